; config.asm — find limine.conf on the boot volume and read the options of the entry
; menu.asm chose: protocol (limine), kernel_path / path, cmdline / kernel_cmdline,
; module_path, module_string / module_cmdline, resolution, kaslr, randomise_hhdm_base,
; paging modes, dtb_path; global_dtb from anywhere. Other options (the menu's, serial,
; timeout, comment, ...) are ignored; hash_mismatch_panic from anywhere. Paths: see
; normalize_path; a "#hash" suffix is checked on the file read (check_file_hash).
; Macros are expanded before (macros.asm).

section .text

; lower_case_char — IN: al. OUT: al lowered if it was A-Z.
lower_case_char:
    cmp al, 'A'
    jb .done
    cmp al, 'Z'
    ja .done
    add al, 'a' - 'A'
.done:
    ret

; strings_equal_ci — IN: rcx = string, rdx = lower-case literal. OUT: eax = 1 if equal
; ignoring ASCII case, else 0. Clobbers r8, r9.
strings_equal_ci:
    xor r9d, r9d
.next:
    mov al, [rcx + r9]
    call lower_case_char
    mov r8b, [rdx + r9]
    cmp al, r8b
    jne .different
    inc r9
    test al, al
    jnz .next
    mov eax, 1
    ret
.different:
    xor eax, eax
    ret

; find_and_read_config — read the first limine.conf found in the spec's search order.
; OUT: rax = buffer (zero-terminated). Stops with a message listing the places looked at.
find_and_read_config:
    FRAME
    call smbios_config                  ; first and foremost, as Limine
    test rax, rax
    jz .files
    lea rcx, [rel msg_smbios_config]
    mov [rel config_path], rcx
    UNFRAME
.files:
    mov ebx, FIRST_CONFIG_LOCATION      ; the EFI directory is looked in on UEFI only
.try:
    cmp ebx, CONFIG_LOCATION_COUNT
    jae .missing
    lea rax, [rel config_locations]
    movsxd rsi, dword [rax + rbx*4]     ; offsets, not addresses: no relocations
    add rsi, rax
    mov rcx, rsi
    mov edx, EFI_LOADER_DATA
    lea r8, [rel boot_volume]
    call read_file
    test rax, rax
    jnz .found
    inc ebx
    jmp .try
.found:
    mov [rel config_path], rsi
    UNFRAME
.missing:
    FAIL msg_no_config

; smbios_config — a config given in an SMBIOS OEM Strings structure (type 11) whose first
; string starts with "limine:config:" (CONFIG.md: considered before any file). Walks the
; 64-bit entry point's table, else the 32-bit one's, bounded by its size.
; OUT: rax = a zero-terminated copy of the rest of that string, or 0.
smbios_config:
    FRAME
    call find_smbios
    test r13, r13
    jz .entry32
    mov rsi, [r13 + SMBIOS3_TABLE_ADDRESS]
    mov edi, [r13 + SMBIOS3_TABLE_MAX_SIZE]
    jmp .walk
.entry32:
    test r12, r12
    jz .none
    mov esi, [r12 + SMBIOS_TABLE_ADDRESS]
    movzx edi, word [r12 + SMBIOS_TABLE_LENGTH]
.walk:
    add rdi, rsi                        ; end of the table
.structure:
    lea rax, [rsi + 4]
    cmp rax, rdi
    ja .none
    movzx ecx, byte [rsi + 1]           ; formatted length
    cmp ecx, 4
    jb .none
    cmp byte [rsi], SMBIOS_END_OF_TABLE
    je .none
    lea r8, [rsi + rcx]                 ; its strings
    cmp r8, rdi
    jae .none
    cmp byte [rsi], SMBIOS_OEM_STRINGS
    jne .skip
    cmp ecx, 5
    jb .skip
    cmp byte [rsi + 4], 0               ; string count
    je .skip
    lea rdx, [rel smbios_config_prefix]
    mov r9, r8
.prefix:
    mov al, [rdx]
    test al, al
    jz .found
    cmp r9, rdi
    jae .none
    cmp [r9], al
    jne .skip
    inc r9
    inc rdx
    jmp .prefix
.skip:
    mov rsi, r8                         ; past the strings: their double NUL
.strings:
    lea rax, [rsi + 1]
    cmp rax, rdi
    jae .none
    cmp word [rsi], 0
    je .next
    inc rsi
    jmp .strings
.next:
    add rsi, 2
    jmp .structure
.found:
    mov rbx, r9                         ; the config text
    xor r12d, r12d
.length:
    lea rax, [rbx + r12]
    cmp rax, rdi
    jae .none
    cmp byte [rax], 0
    je .copy
    inc r12
    jmp .length
.copy:
    lea rcx, [r12 + PAGE_SIZE]
    shr rcx, 12
    mov edx, EFI_LOADER_DATA
    call alloc_pages
    mov rdi, rax
    mov rsi, rbx
    mov rcx, r12
    rep movsb
    mov byte [rdi], 0
    UNFRAME
.none:
    xor eax, eax
    UNFRAME

; parse_config — take the first bootable entry from a limine.conf buffer (edited in place:
; values become zero-terminated strings pointed to by kernel_path, kernel_cmdline, modules).
; IN: rcx = zero-terminated config text.
parse_config:
    FRAME
    mov rsi, rcx
    xor r12d, r12d                      ; 0 = before the first entry, 1 = inside an entry
.line:
    cmp byte [rsi], 0
    je .end_of_file
    mov rdi, rsi
.find_end:
    mov al, [rdi]
    test al, al
    jz .at_end
    cmp al, 10
    je .at_end
    inc rdi
    jmp .find_end
.at_end:
    lea r15, [rdi + 1]                  ; next line
    test al, al
    jnz .terminate
    mov r15, rdi                        ; last line: stay on its zero byte
.terminate:
    mov byte [rdi], 0
.trim_right:
    cmp rdi, rsi
    je .trim_left
    mov al, [rdi - 1]
    cmp al, ' '
    je .cut
    cmp al, 9
    je .cut
    cmp al, 13
    jne .trim_left
.cut:
    dec rdi
    mov byte [rdi], 0
    jmp .trim_right
.trim_left:
    mov al, [rsi]
    cmp al, ' '
    je .skip_blank
    cmp al, 9
    jne .classify
.skip_blank:
    inc rsi
    jmp .trim_left
.classify:
    test al, al
    jz .next_line
    cmp al, '#'
    je .next_line
    cmp al, '/'
    jne .option
    ; a new entry: only the one choose_entry picked (by its number in file order) is read
    inc qword [rel entry_number]
    mov rax, [rel chosen_entry]
    cmp [rel entry_number], rax
    jb .skip_entry
    ja .end_of_file                     ; past the chosen one
    jmp .open_entry
.skip_entry:
    mov r12d, 2                         ; options of this entry are not ours
    jmp .next_line
.open_entry:
    mov r12d, 1
    mov qword [rel kernel_path], 0
    lea rax, [rel msg_empty_string]
    mov [rel kernel_cmdline], rax
    mov qword [rel module_count], 0
    mov byte [rel protocol_given], 0
    mov qword [rel resolution_text], 0
    mov byte [rel kaslr_enabled], 0     ; Limine's default since 10.0: no KASLR unless asked
    mov byte [rel config_randomise_hhdm], HHDM_RANDOMISE_UNSET
    mov qword [rel dtb_path], 0
    mov byte [rel config_max_paging_mode], PAGING_MODE_5LEVEL
    mov byte [rel config_min_paging_mode], PAGING_MODE_4LEVEL
    mov byte [rel config_paging_mode_given], 0
    mov dword [rel options_seen], 0     ; Limine reads the first of each single option
    jmp .next_line
.option:
    mov rbx, rsi
.find_colon:
    mov al, [rbx]
    test al, al
    jz .next_line                       ; not "key: value": ignored like an unknown option
    cmp al, ':'
    je .split
    inc rbx
    jmp .find_colon
.split:
    mov byte [rbx], 0
    lea r13, [rbx + 1]                  ; value
.value_blank:
    mov al, [r13]
    cmp al, ' '
    je .value_skip
    cmp al, 9
    jne .key_trim
.value_skip:
    inc r13
    jmp .value_blank
.key_trim:
    cmp rbx, rsi
    je .dispatch
    mov al, [rbx - 1]
    cmp al, ' '
    je .key_cut
    cmp al, 9
    jne .dispatch
.key_cut:
    dec rbx
    mov byte [rbx], 0
    jmp .key_trim
.dispatch:
    ; global_dtb: Limine takes the first one anywhere in the file, entries included
    mov rcx, rsi
    lea rdx, [rel key_global_dtb]
    call strings_equal_ci
    test eax, eax
    jz .not_global_dtb
    cmp qword [rel global_dtb_path], 0
    jne .next_line
    mov [rel global_dtb_path], r13
    jmp .next_line
.not_global_dtb:
    ; hash_mismatch_panic: the first anywhere, as global_dtb; only "yes" (or none) panics
    mov rcx, rsi
    lea rdx, [rel key_hash_mismatch_panic]
    call strings_equal_ci
    test eax, eax
    jz .not_hash_mismatch_panic
    cmp byte [rel hash_mismatch_panic_given], 0
    jne .next_line
    mov byte [rel hash_mismatch_panic_given], 1
    mov rcx, r13
    lea rdx, [rel value_yes]
    xor r8d, r8d                        ; Limine: strcmp(value, "yes")
    call value_equals
    mov [rel hash_mismatch_panic], al
    jmp .next_line
.not_hash_mismatch_panic:
    cmp r12d, 1
    jne .next_line                      ; global options (menu.asm read default_entry) and
                                        ; the options of entries not chosen

    mov rcx, rsi
    lea rdx, [rel key_protocol]
    call strings_equal_ci
    test eax, eax
    jnz .protocol
    mov rcx, rsi
    lea rdx, [rel key_kernel_path]
    call strings_equal_ci
    test eax, eax
    jnz .kernel_path
    mov rcx, rsi
    lea rdx, [rel key_path]
    call strings_equal_ci
    test eax, eax
    jnz .kernel_path
    mov rcx, rsi
    lea rdx, [rel key_cmdline]
    call strings_equal_ci
    test eax, eax
    jnz .cmdline
    mov rcx, rsi
    lea rdx, [rel key_kernel_cmdline]
    call strings_equal_ci
    test eax, eax
    jnz .cmdline
    mov rcx, rsi
    lea rdx, [rel key_module_path]
    call strings_equal_ci
    test eax, eax
    jnz .module_path
    mov rcx, rsi
    lea rdx, [rel key_module_cmdline]
    call strings_equal_ci
    test eax, eax
    jnz .module_cmdline
    mov rcx, rsi
    lea rdx, [rel key_module_string]
    call strings_equal_ci
    test eax, eax
    jnz .module_cmdline
    mov rcx, rsi
    lea rdx, [rel key_resolution]
    call strings_equal_ci
    test eax, eax
    jnz .resolution
    mov rcx, rsi
    lea rdx, [rel key_kaslr]
    call strings_equal_ci
    test eax, eax
    jnz .kaslr
    mov rcx, rsi
    call is_randomise_hhdm_key
    test eax, eax
    jnz .randomise_hhdm
    mov rcx, rsi
    lea rdx, [rel key_dtb_path]
    call strings_equal_ci
    test eax, eax
    jnz .dtb_path
    mov rcx, rsi
    lea rdx, [rel key_paging_mode]
    call strings_equal_ci
    test eax, eax
    jnz .paging_mode
    mov rcx, rsi
    lea rdx, [rel key_max_paging_mode]
    call strings_equal_ci
    test eax, eax
    jnz .max_paging_mode
    mov rcx, rsi
    lea rdx, [rel key_min_paging_mode]
    call strings_equal_ci
    test eax, eax
    jnz .min_paging_mode
    jmp .next_line
.dtb_path:
    bts dword [rel options_seen], SEEN_DTB_PATH
    jc .next_line
    mov [rel dtb_path], r13             ; resolved by load_dtb, only for a DTB request
    jmp .next_line
.paging_mode:
    ; paging_mode stands for both limits wherever it is, as Limine reads it first
    bts dword [rel options_seen], SEEN_PAGING_MODE
    jc .next_line
    call paging_mode_value
    mov [rel config_max_paging_mode], al
    mov [rel config_min_paging_mode], al
    mov byte [rel config_paging_mode_given], 1
    jmp .next_line
.max_paging_mode:
    cmp byte [rel config_paging_mode_given], 0
    jne .next_line
    bts dword [rel options_seen], SEEN_MAX_PAGING_MODE
    jc .next_line
    call paging_mode_value
    mov [rel config_max_paging_mode], al
    jmp .next_line
.min_paging_mode:
    cmp byte [rel config_paging_mode_given], 0
    jne .next_line
    bts dword [rel options_seen], SEEN_MIN_PAGING_MODE
    jc .next_line
    call paging_mode_value
    mov [rel config_min_paging_mode], al
    jmp .next_line
.kaslr:
    bts dword [rel options_seen], SEEN_KASLR
    jc .next_line
    mov rcx, r13
    lea rdx, [rel value_yes]
    xor r8d, r8d                        ; Limine: strcmp(value, "yes")
    call value_equals
    mov [rel kaslr_enabled], al         ; "yes" enables it; anything else leaves it off
    jmp .next_line
.randomise_hhdm:
    bts dword [rel options_seen], SEEN_RANDOMISE_HHDM
    jc .next_line
    mov rcx, r13
    lea rdx, [rel value_yes]
    call strings_equal_ci
    mov [rel config_randomise_hhdm], al ; given: "yes" randomises, anything else does not
    jmp .next_line
.resolution:
    bts dword [rel options_seen], SEEN_RESOLUTION
    jc .next_line
    mov [rel resolution_text], r13
    jmp .next_line
.protocol:
    bts dword [rel options_seen], SEEN_PROTOCOL
    jc .next_line
    mov byte [rel protocol_given], 1
    mov rcx, r13
    lea rdx, [rel value_limine]
    xor r8d, r8d                        ; Limine: strcmp(protocol, "limine")
    call value_equals
    test eax, eax
    jnz .next_line
    FAIL3 msg_bad_protocol, r13, msg_bad_protocol_end
.kernel_path:
    bts dword [rel options_seen], SEEN_KERNEL_PATH
    jc .next_line
    mov rcx, r13
    xor eax, eax
    cmp byte [rcx], '$'                 ; "$resource(...)": a gzip kernel
    sete al
    mov [rel kernel_compressed], al
    add rcx, rax
    call normalize_path
    mov [rel kernel_path], rax
    mov [rel kernel_volume], rdx
    mov [rel kernel_name], r8
    mov [rel kernel_hash], r9
    jmp .next_line
.cmdline:
    bts dword [rel options_seen], SEEN_CMDLINE
    jc .next_line
    mov [rel kernel_cmdline], r13
    jmp .next_line
.module_path:
    mov rbx, [rel module_count]
    cmp rbx, MAX_MODULES
    jae .too_many_modules
    mov rcx, r13
    cmp byte [rcx], '$'                 ; "$resource(...)": a gzip module
    jne .module_resource
    inc rcx
    lea rax, [rel module_compressed]
    mov byte [rax + rbx], 1
.module_resource:
    call normalize_path
    lea rcx, [rel module_paths]
    mov [rcx + rbx*8], rax
    lea rcx, [rel module_volumes]
    mov [rcx + rbx*8], rdx
    lea rcx, [rel module_names]
    mov [rcx + rbx*8], r8
    lea rcx, [rel module_hashes]
    mov [rcx + rbx*8], r9
    lea rcx, [rel module_cmdlines]
    lea rax, [rel msg_empty_string]
    mov [rcx + rbx*8], rax
    inc qword [rel module_count]
    jmp .next_line
.module_cmdline:
    mov rbx, [rel module_count]
    test rbx, rbx
    jz .next_line                       ; no module yet: nothing to attach it to
    lea rcx, [rel module_cmdlines]
    lea rax, [rel msg_empty_string]
    cmp [rcx + rbx*8 - 8], rax
    jne .next_line                      ; the first string after a module_path is its own
    mov [rcx + rbx*8 - 8], r13
.next_line:
    mov rsi, r15
    jmp .line
.end_of_file:
    cmp byte [rel protocol_given], 0
    je .no_protocol
    cmp qword [rel kernel_path], 0
    je .no_kernel_path
    UNFRAME
.no_protocol:
    FAIL3 msg_empty_string, [rel config_path], msg_no_protocol_end
.no_kernel_path:
    FAIL3 msg_empty_string, [rel config_path], msg_no_kernel_path_end
.too_many_modules:
    FAIL msg_too_many_modules

; paging_mode_value — IN: r13 = "4level" or "5level". OUT: al = PAGING_MODE_*. Stops on
; anything else, naming the value.
paging_mode_value:
    FRAME
    mov rcx, r13
    lea rdx, [rel value_4level]
    call strings_equal_ci
    test eax, eax
    jnz .four
    mov rcx, r13
    lea rdx, [rel value_5level]
    call strings_equal_ci
    test eax, eax
    jnz .five
    FAIL3 msg_bad_paging_mode, r13, msg_bad_paging_mode_end
.four:
    mov eax, PAGING_MODE_4LEVEL
    UNFRAME
.five:
    mov eax, PAGING_MODE_5LEVEL
    UNFRAME

; normalize_path — split a Limine path value into its volume and a plain "/dir/file" path,
; in place, as Limine resolves a path: boot() is the config file's volume and boot(N)
; partition N of the boot drive; hdd(D:P) / odd(D:P) hard disk or optical drive D (1-based,
; firmware order) partition P (0 or nothing: the whole medium); guid(G) / uuid(G) the volume
; with that GPT partition GUID, the text read in byte order first, then in the usual mixed
; order (as Limine tries both); fslabel(L) the first volume with that file system label.
; The platform finds the volumes (volume_by_*); a volume it cannot find, a malformed
; argument or another resource (tftp()) stops the boot naming the path. A "$" gzip prefix
; is the caller's to strip.
; IN: rcx = value. OUT: rax = path, rdx = volume (VOL_*), r8 = how messages name the file:
; the path on the config's volume, else the whole value ("hdd(2:1):/boot/kernel"),
; r9 = the "#hash" suffix cut off the path (check_file_hash), 0 when there is none.
normalize_path:
    FRAME
    mov rsi, rcx
    mov rdi, rcx                        ; for messages
    lea r15, [rel boot_volume]          ; the volume, unless a resource names another
    cmp byte [rsi], '/'
    je .strip_hash
    ; resource "(" argument ")" ":/"
    mov rbx, rsi
.paren:
    mov al, [rbx]
    test al, al
    jz .unsupported
    cmp al, '('
    je .have_paren
    inc rbx
    jmp .paren
.have_paren:
    lea r12, [rbx + 1]                  ; argument
    mov r13, r12
.close:
    mov al, [r13]
    test al, al
    jz .unsupported
    cmp al, ')'
    je .have_close
    inc r13
    jmp .close
.have_close:
    cmp byte [r13 + 1], ':'
    jne .unsupported
    cmp byte [r13 + 2], '/'
    jne .unsupported
    mov byte [rbx], 0                   ; resource and argument end here (restored below)
    mov byte [r13], 0
    mov rcx, rsi
    lea rdx, [rel resource_boot]
    call strings_equal_ci
    test eax, eax
    jnz .boot
    xor r14d, r14d                      ; hdd(): not optical
    mov rcx, rsi
    lea rdx, [rel resource_hdd]
    call strings_equal_ci
    test eax, eax
    jnz .coordinates
    mov r14d, 1
    mov rcx, rsi
    lea rdx, [rel resource_odd]
    call strings_equal_ci
    test eax, eax
    jnz .coordinates
    mov rcx, rsi
    lea rdx, [rel resource_guid]
    call strings_equal_ci
    test eax, eax
    jnz .guid
    mov rcx, rsi
    lea rdx, [rel resource_uuid]
    call strings_equal_ci
    test eax, eax
    jnz .guid
    mov rcx, rsi
    lea rdx, [rel resource_fslabel]
    call strings_equal_ci
    test eax, eax
    jnz .fslabel
    jmp .restore_unsupported
.boot:
    cmp byte [r12], 0
    je .found                           ; boot(): the config file's partition
    mov rcx, r12
    call parse_decimal
    cmp byte [rcx], 0
    jne .bad_boot_argument
    cmp rax, PARTITION_NUMBER_MAX
    ja .bad_boot_argument
    cmp eax, [rel boot_volume + VOL_PARTITION]
    je .found
    mov ecx, eax
    call volume_on_boot_disk
    test rax, rax
    jnz .found_rax
    ; an unpartitioned or El Torito boot medium, or fw_cfg: its one volume is all there is
    cmp dword [rel boot_volume + VOL_PARTITION], 0
    je .found
    jmp .no_volume
.coordinates:
    mov rcx, r12
    call parse_decimal
    cmp rcx, r12
    je .bad_coordinates                 ; the drive cannot be omitted
    cmp byte [rcx], ':'
    jne .bad_coordinates
    test rax, rax
    jz .bad_coordinates
    cmp rax, DRIVE_NUMBER_MAX
    ja .bad_coordinates
    mov esi, eax                        ; drive
    inc rcx
    call parse_decimal                  ; nothing: 0, the whole medium
    cmp byte [rcx], 0
    jne .bad_coordinates
    cmp rax, PARTITION_NUMBER_MAX
    ja .bad_coordinates
    mov r8d, eax
    mov ecx, r14d
    mov edx, esi
    call volume_by_coordinates
    test rax, rax
    jz .no_volume
    jmp .found_rax
.guid:
    mov rcx, r12
    call parse_guid_text
    test eax, eax
    jz .bad_guid
    lea rcx, [rel parsed_guid_bytes]
    call volume_by_guid
    test rax, rax
    jnz .found_rax
    lea rcx, [rel parsed_guid]
    call volume_by_guid
    test rax, rax
    jnz .found_rax
    ; the loader's own volume also when the platform lists no volumes (El Torito, fw_cfg)
    lea rcx, [rel boot_volume]
    lea rdx, [rel parsed_guid_bytes]
    call volume_has_guid
    test eax, eax
    jnz .found
    lea rcx, [rel boot_volume]
    lea rdx, [rel parsed_guid]
    call volume_has_guid
    test eax, eax
    jnz .found
    jmp .no_volume
.fslabel:
    mov rcx, r12
    call volume_by_label
    test rax, rax
    jnz .found_rax
    lea rcx, [rel boot_volume]
    mov rdx, r12
    call volume_label_equals
    test eax, eax
    jnz .found
    jmp .no_volume
.found_rax:
    mov r15, rax
.found:
    mov byte [rbx], '('
    mov byte [r13], ')'
    lea rsi, [r13 + 2]
.strip_hash:
    ; the hash follows the last '#' (as Limine splits it; check_file_hash checks it)
    mov rbx, rsi
    xor r12d, r12d
.hash:
    mov al, [rbx]
    test al, al
    jz .hash_scanned
    cmp al, '#'
    jne .hash_next
    mov r12, rbx
.hash_next:
    inc rbx
    jmp .hash
.hash_scanned:
    test r12, r12
    jz .done
    mov byte [r12], 0
    inc r12
.done:
    mov rax, rsi
    mov rdx, r15
    mov r8, rsi
    mov r9, r12
    lea rcx, [rel boot_volume]
    cmp r15, rcx
    je .named
    mov r8, rdi
.named:
    UNFRAME
.no_volume:
    mov byte [rbx], '('
    mov byte [r13], ')'
    FAIL3 msg_no_volume_path, rdi, msg_no_volume_detail
.bad_boot_argument:
    mov byte [rbx], '('
    mov byte [r13], ')'
    FAIL3 msg_bad_path, rdi, msg_bad_boot_argument_end
.bad_coordinates:
    mov byte [rbx], '('
    mov byte [r13], ')'
    FAIL3 msg_bad_path, rdi, msg_bad_coordinates_end
.bad_guid:
    mov byte [rbx], '('
    mov byte [r13], ')'
    FAIL3 msg_bad_path, rdi, msg_bad_guid_end
.restore_unsupported:
    mov byte [rbx], '('
    mov byte [r13], ')'
.unsupported:
    FAIL3 msg_bad_path, rdi, msg_bad_path_end

; parse_guid_text — IN: rcx = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (dashes anywhere, as
; Limine skips them). OUT: eax = 1 and parsed_guid_bytes = the 16 bytes in text order,
; parsed_guid = the same GUID with its first three fields little-endian (GPT's order),
; or eax = 0 when it is not 32 hex digits. Clobbers rcx, rdx, r8-r11.
parse_guid_text:
    lea r8, [rel parsed_guid_bytes]
    xor r9d, r9d                        ; nibbles read
.char:
    movzx eax, byte [rcx]
    inc rcx
    test eax, eax
    jz .end
    cmp eax, '-'
    je .char
    call lower_case_char
    sub eax, '0'
    cmp eax, 9
    jbe .nibble
    sub eax, 'a' - '0' - 10
    cmp eax, 10
    jb .no
    cmp eax, 15
    ja .no
.nibble:
    cmp r9d, 32
    jae .no
    mov r10d, r9d
    shr r10d, 1
    test r9d, 1
    jnz .low
    shl eax, 4
    mov [r8 + r10], al
    jmp .next
.low:
    or [r8 + r10], al
.next:
    inc r9d
    jmp .char
.end:
    cmp r9d, 32
    jne .no
    lea r9, [rel parsed_guid]
    mov rax, [r8]
    mov [r9], rax
    mov rax, [r8 + 8]
    mov [r9 + 8], rax
    mov eax, [r9]
    bswap eax
    mov [r9], eax
    mov ax, [r9 + 4]
    xchg al, ah
    mov [r9 + 4], ax
    mov ax, [r9 + 6]
    xchg al, ah
    mov [r9 + 6], ax
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; volume_has_guid — IN: rcx = volume, rdx = 16-byte GUID. OUT: eax = 1 when it is the
; volume's GPT partition GUID. Clobbers r8.
volume_has_guid:
    xor eax, eax
    cmp byte [rcx + VOL_HAS_PART_GUID], 0
    je .out
    mov r8, [rdx]
    cmp r8, [rcx + VOL_GPT_PART_UUID]
    jne .out
    mov r8, [rdx + 8]
    cmp r8, [rcx + VOL_GPT_PART_UUID + 8]
    jne .out
    inc eax
.out:
    ret

section .data
MAX_MODULES         equ 16
align 8
parsed_guid:        times 16 db 0       ; mixed-endian (GPT) order
parsed_guid_bytes:  times 16 db 0       ; the text's byte order
DRIVE_NUMBER_MAX    equ 256             ; Limine's ranges for hdd(D:P), odd(D:P), boot(P)
PARTITION_NUMBER_MAX equ 256
config_locations:   dd path_conf_1 - config_locations, path_conf_2 - config_locations
                    dd path_conf_3 - config_locations, path_conf_4 - config_locations
                    dd path_conf_5 - config_locations
CONFIG_LOCATION_COUNT equ ($ - config_locations) / 4
config_path:        dq 0
kernel_path:        dq 0
kernel_cmdline:     dq 0                ; set when the entry opens
module_count:       dq 0
resolution_text:    dq 0                ; the entry's "resolution: WxH[xBPP]", if any
module_paths:       times MAX_MODULES dq 0
module_volumes:     times MAX_MODULES dq 0  ; the volume each module_paths entry is on
module_names:       times MAX_MODULES dq 0  ; and how messages name it (see normalize_path)
kernel_name:        dq 0                ; kernel_path as messages name it
kernel_hash:        dq 0                ; its "#hash" (normalize_path), 0 when none
module_hashes:      times MAX_MODULES dq 0
hash_mismatch_panic: db 1               ; Limine's default: a mismatch panics
hash_mismatch_panic_given: db 0
key_hash_mismatch_panic: db "hash_mismatch_panic", 0
module_cmdlines:    times MAX_MODULES dq 0

; current Limine's order on EFI: beside the EFI application, then /boot/limine, /boot,
; /limine and the root
path_conf_1:        db "/EFI/BOOT/limine.conf", 0
path_conf_2:        db "/boot/limine/limine.conf", 0
path_conf_3:        db "/boot/limine.conf", 0
path_conf_4:        db "/limine/limine.conf", 0
path_conf_5:        db "/limine.conf", 0
key_protocol:       db "protocol", 0
key_kernel_path:    db "kernel_path", 0
key_path:           db "path", 0
key_cmdline:        db "cmdline", 0
key_kernel_cmdline: db "kernel_cmdline", 0
key_module_path:    db "module_path", 0
key_module_cmdline: db "module_cmdline", 0
key_resolution:     db "resolution", 0
key_module_string:  db "module_string", 0
key_kaslr:          db "kaslr", 0
value_yes:          db "yes", 0
key_default_entry:  db "default_entry", 0
key_dtb_path:       db "dtb_path", 0
key_global_dtb:     db "global_dtb", 0
align 8
chosen_entry:       dq 0                ; from choose_entry: the entry's number in file order
entry_number:       dq 0
protocol_given:     db 0
msg_default_entry:  db "limine.conf: default_entry '", 0
msg_default_entry_end: db "' is neither an entry number nor the path of an entry (Limine would show its menu, which the built-in loader does not have)", 0
msg_default_entry_unbootable: db "limine.conf: the menu line to boot (default_entry, else the first) is a directory or does not exist: Limine would show its menu, which the built-in loader does not have", 0
key_paging_mode:    db "paging_mode", 0
key_max_paging_mode: db "max_paging_mode", 0
key_min_paging_mode: db "min_paging_mode", 0
value_4level:       db "4level", 0
value_5level:       db "5level", 0
config_max_paging_mode: db PAGING_MODE_5LEVEL
config_min_paging_mode: db PAGING_MODE_4LEVEL
config_paging_mode_given: db 0
align 4
options_seen:       dd 0                ; SEEN_* bits of the chosen entry
SEEN_PROTOCOL       equ 0
SEEN_KERNEL_PATH    equ 1               ; path / kernel_path
SEEN_CMDLINE        equ 2               ; cmdline / kernel_cmdline
SEEN_RESOLUTION     equ 3
SEEN_KASLR          equ 4
SEEN_RANDOMISE_HHDM equ 5
SEEN_PAGING_MODE    equ 6
SEEN_MAX_PAGING_MODE equ 7
SEEN_MIN_PAGING_MODE equ 8
SEEN_DTB_PATH       equ 9
msg_bad_paging_mode: db "limine.conf: paging mode '", 0
msg_bad_paging_mode_end: db "' is not 4level or 5level", 0
value_limine:       db "limine", 0
resource_boot:      db "boot", 0
resource_guid:      db "guid", 0
resource_uuid:      db "uuid", 0
resource_fslabel:   db "fslabel", 0
resource_hdd:       db "hdd", 0
resource_odd:       db "odd", 0
msg_no_volume_path: db "limine.conf: no volume for path '", 0
msg_bad_boot_argument_end: db "': boot() takes a partition number 0-256 or nothing", 0
msg_bad_coordinates_end: db "': hdd() and odd() take drive:partition, the drive 1-256, the partition 0-256 or nothing (the whole medium)", 0
msg_bad_guid_end:   db "': the argument is not a GUID (32 hex digits)", 0
msg_empty_string:   db 0
msg_smbios_config:  db "limine.conf (SMBIOS OEM string)", 0
smbios_config_prefix: db "limine:config:", 0
msg_no_config:      db "no limine.conf found on the boot volume (looked for /EFI/BOOT/limine.conf on UEFI, "
                    db "/boot/limine/limine.conf, /boot/limine.conf, /limine/limine.conf and "
                    db "/limine.conf)", 0
msg_bad_protocol:   db "limine.conf: the entry uses protocol '", 0
msg_bad_protocol_end: db "'; the built-in loader only boots 'protocol: limine'", 0
msg_no_entry_end:   db ": no boot entry (a line starting with '/') found", 0
msg_no_kernel_path_end: db ": the entry has no kernel_path", 0
msg_no_protocol_end: db ": the entry has no protocol (Limine refuses to boot it)", 0
msg_too_many_modules: db "more than 16 modules (module_path lines and internal modules together)", 0
msg_bad_path:       db "limine.conf: unsupported path '", 0
msg_bad_path_end:   db "' (the built-in loader reads boot(), hdd(), odd(), guid(), uuid() and fslabel() paths, not tftp() ones)", 0
