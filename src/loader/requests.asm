; requests.asm — find the kernel's Limine requests and write the responses.
; Responses live in an arena of bootloader-reclaimable pages; every pointer handed to the
; kernel is a higher-half direct map (HHDM) address.

section .text

; firmware_pointer_offset — what to add to a physical SMBIOS or EFI system table address:
; the HHDM offset, except in base revisions 3 and 4 where those pointers are physical.
; OUT: rcx. Preserves everything else.
firmware_pointer_offset:
    mov rcx, [rel hhdm_offset]
    cmp qword [rel base_revision], 3
    je .physical
    cmp qword [rel base_revision], 4
    jne .done
.physical:
    xor ecx, ecx
.done:
    ret

; scan_requests — find the base revision tag and every known request in the loaded image,
; 8-byte aligned, in one pass as Limine makes it: each start marker restarts the window (what
; came before it is not looked at), the first end marker closes it, so the window runs from the
; last start marker before the first end marker to that end marker (PROTOCOL.md's "last start
; marker found" and "first end marker found"; a start marker after an end marker is never seen).
; Two requests with the same ID or two base revision tags stop the boot, as Limine panics
; (the first only when the requests do come from this scan, see below).
; A base revision 0 kernel (no tag, or a tag asking for 0) with a `.limine_reqs` section gets
; its requests from that section instead (read_limine_reqs), as PROTOCOL.md and Limine keep it.
; OUT: found_requests[], base_revision.
scan_requests:
    FRAME
    mov qword [rel duplicate_request], -1
    mov rsi, [rel kernel_physical_base]
    mov rdi, rsi
    add rdi, [rel kernel_image_size]    ; end of the scanned window
    mov r12, rsi                        ; start of the scanned window
    mov r8, START_MARKER_0
    mov r9, START_MARKER_1
    mov r10, START_MARKER_2
    mov r11, START_MARKER_3
    mov r13, END_MARKER_0
    mov r14, END_MARKER_1
    mov rbx, rsi
.marker:
    lea rax, [rbx + 16]
    cmp rax, rdi
    ja .window_done
    lea rax, [rbx + 32]
    cmp rax, rdi
    ja .not_start_marker
    cmp [rbx], r8
    jne .not_start_marker
    cmp [rbx + 8], r9
    jne .not_start_marker
    cmp [rbx + 16], r10
    jne .not_start_marker
    cmp [rbx + 24], r11
    jne .not_start_marker
    lea r12, [rbx + 32]                 ; the window restarts after it
    jmp .next_marker
.not_start_marker:
    cmp [rbx], r13
    jne .next_marker
    cmp [rbx + 8], r14
    jne .next_marker
    mov rdi, rbx                        ; the first end marker: nothing after it is looked at
    jmp .window_done
.next_marker:
    add rbx, 8
    jmp .marker
.window_done:
    mov rbx, r12
.scan:
    lea rax, [rbx + 24]
    cmp rax, rdi
    ja .scan_done
    mov rax, BASE_REVISION_MAGIC_0
    cmp [rbx], rax
    jne .not_base_revision
    mov rax, BASE_REVISION_MAGIC_1
    cmp [rbx + 8], rax
    jne .not_base_revision
    cmp byte [rel base_revision_found], 0
    jne .duplicate_base_revision
    mov byte [rel base_revision_found], 1
    mov rax, [rbx + 16]
    cmp rax, HIGHEST_SUPPORTED_BASE_REVISION
    jbe .supported
    ; too new: boot as our highest and leave the 3rd word alone, so the kernel sees we did
    ; not comply; the 2nd word says which revision it got (mandatory from revision 3 on)
    mov eax, HIGHEST_SUPPORTED_BASE_REVISION
    mov [rel base_revision], rax
    mov [rbx + 8], rax
    jmp .not_base_revision
.supported:
    mov [rel base_revision], rax
    mov [rbx + 8], rax                  ; the loaded revision
    mov qword [rbx + 16], 0
.not_base_revision:
    lea rax, [rbx + 48]                 ; id[4], revision, response
    cmp rax, rdi
    ja .next
    mov rax, LIMINE_COMMON_MAGIC_0
    cmp [rbx], rax
    jne .next
    mov rax, LIMINE_COMMON_MAGIC_1
    cmp [rbx + 8], rax
    jne .next
    lea r13, [rel request_ids]
    xor ecx, ecx
.match:
    mov rax, [r13]
    cmp [rbx + 16], rax
    jne .no_match
    mov rax, [r13 + 8]
    cmp [rbx + 24], rax
    jne .no_match
    lea rax, [rel found_requests]
    cmp qword [rax + rcx*8], 0
    jne .duplicate
    mov [rax + rcx*8], rbx
    jmp .next
.no_match:
    add r13, 16
    inc ecx
    cmp ecx, REQUEST_KIND_COUNT
    jb .match
.next:
    add rbx, 8
    jmp .scan
.duplicate:
    cmp qword [rel duplicate_request], -1
    jne .next
    mov [rel duplicate_request], rcx    ; refused below unless .limine_reqs replaces the scan
    jmp .next
.scan_done:
    cmp qword [rel base_revision], 0
    jne .scanned
    call read_limine_reqs
    test rax, rax
    jnz .done
.scanned:
    mov rcx, [rel duplicate_request]
    cmp rcx, -1
    jne .refuse_duplicate
.done:
    UNFRAME
.refuse_duplicate:
    lea rax, [rel request_names]
    movsxd rdx, dword [rax + rcx*4]
    add rdx, rax
    FAIL3 msg_duplicate, rdx, msg_duplicate_end
.duplicate_base_revision:
    FAIL msg_duplicate_base_revision

; read_limine_reqs — base revision 0's `.limine_reqs` section: a zero-terminated array of
; pointers to the requests, read as Limine's limine_load reads it. The section is looked up by
; name in the section headers (none, or a header table, name or data outside the file: no
; section, and the scan's requests stand); its contents are taken from the loaded image when
; the section lies in it (so a PIE's pointers are relocated, as Limine relocates its copy),
; else from the file. The array ends at a zero entry or at the section's end; each pointer must
; be 8-byte aligned with a request ID inside the image before its bss, at most 128 of them.
; When two pointers name the same ID the first counts (Limine's _get_request).
; OUT: rax = 1 and found_requests[] replaced when the section exists, else rax = 0.
read_limine_reqs:
    FRAME
    mov rsi, [rel kernel_file_address]
    mov r14, [rel kernel_file_size]
    movzx ecx, word [rsi + E_SHNUM]
    test ecx, ecx
    jz .none
    cmp word [rsi + E_SHENTSIZE], SHDR_SIZE
    jb .none
    movzx eax, word [rsi + E_SHSTRNDX]
    cmp eax, ecx
    jae .none
    movzx r12d, word [rsi + E_SHENTSIZE] ; header stride
    imul rcx, r12
    add rcx, [rsi + E_SHOFF]
    jc .none
    cmp rcx, r14
    ja .none
    mov r13, [rsi + E_SHOFF]
    add r13, rsi                        ; section headers
    imul rax, r12
    add rax, r13                        ; .shstrtab's header
    mov r15, [rax + SH_OFFSET]
    cmp r15, r14
    jae .none
    mov r8, r14
    sub r8, r15
    mov r9, [rax + SH_SIZE]
    cmp r9, r8
    ja .none
    add r15, rsi                        ; names, r9 bytes
    movzx ebx, word [rsi + E_SHNUM]
    mov rdi, r13
.section:
    test rbx, rbx
    jz .none
    mov eax, [rdi + SH_NAME]
    cmp rax, r9
    jae .next_section
    ; the name, NUL-terminated inside the table, must be ".limine_reqs" exactly
    lea r10, [r15 + rax]
    mov r11, r9
    sub r11, rax                        ; bytes left in the table
    lea rdx, [rel limine_reqs_name]
    xor ecx, ecx
.name:
    cmp rcx, r11
    jae .next_section
    mov al, [r10 + rcx]
    cmp al, [rdx + rcx]
    jne .next_section
    inc rcx
    test al, al
    jnz .name
    jmp .found
.next_section:
    add rdi, r12
    dec rbx
    jmp .section
.found:
    mov rax, [rdi + SH_OFFSET]
    cmp rax, r14
    jae .none
    mov rcx, r14
    sub rcx, rax
    mov r12, [rdi + SH_SIZE]            ; the array's bytes
    cmp r12, rcx
    ja .none
    lea r13, [rsi + rax]                ; its contents in the file
    mov rax, [rdi + SH_ADDR]
    add rax, [rel kernel_slide]
    sub rax, [rel kernel_virtual_base]  ; offset in the image
    jb .contents_known
    cmp rax, [rel kernel_image_size]
    ja .contents_known
    mov rcx, [rel kernel_image_size]
    sub rcx, rax
    cmp r12, rcx
    ja .contents_known
    add rax, [rel kernel_physical_base]
    mov r13, rax                        ; in the loaded, relocated image
.contents_known:
    lea rdi, [rel found_requests]
    mov ecx, REQUEST_KIND_COUNT
    xor eax, eax
    rep stosq
    xor ebx, ebx                        ; entry index
.entry:
    cmp rbx, MAX_LIMINE_REQS
    jae .too_many
    lea rax, [rbx*8 + 8]
    cmp rax, r12
    ja .listed                          ; the section ends: the list ends
    mov rax, [r13 + rbx*8]
    test rax, rax
    jz .listed
    sub rax, [rel kernel_virtual_base]
    jb .outside
    mov rcx, [rel kernel_size_before_bss]
    cmp rax, rcx
    jae .outside
    sub rcx, rax
    cmp rcx, 32                         ; the request's ID
    jb .outside
    test al, 7
    jnz .misaligned
    add rax, [rel kernel_physical_base]
    lea r10, [rel request_ids]
    lea r11, [rel found_requests]
    xor ecx, ecx
.match:
    mov rdx, [r10]
    cmp [rax + 16], rdx
    jne .no_match
    mov rdx, [r10 + 8]
    cmp [rax + 24], rdx
    jne .no_match
    cmp qword [r11 + rcx*8], 0
    jne .next_entry                     ; an earlier pointer named this ID: it counts
    mov [r11 + rcx*8], rax
    jmp .next_entry
.no_match:
    add r10, 16
    inc ecx
    cmp ecx, REQUEST_KIND_COUNT
    jb .match
.next_entry:
    inc rbx
    jmp .entry
.listed:
    mov eax, 1
    UNFRAME
.none:
    xor eax, eax
    UNFRAME
.too_many:
    FAIL msg_limine_reqs_too_many
.outside:
    FAIL msg_limine_reqs_outside
.misaligned:
    FAIL msg_limine_reqs_misaligned

; request_address — IN: ecx = request index. OUT: rax = the request (physical) or 0.
request_address:
    lea rax, [rel found_requests]
    mov rax, [rax + rcx*8]
    ret

; arena_alloc — carve zeroed, 16-byte aligned bytes out of the response arena.
; IN: rcx = size. OUT: rax = physical address.
arena_alloc:
    mov rax, [rel arena_next]
    add rcx, 15
    and rcx, -16
    add rcx, rax
    cmp rcx, [rel arena_end]
    ja .full
    mov [rel arena_next], rcx
    ret
.full:
    sub rsp, 8
    FAIL msg_arena_full

; arena_string — copy a C string into the arena. IN: rcx = string. OUT: rax = its HHDM address.
arena_string:
    FRAME
    mov rsi, rcx
    xor ecx, ecx
.length:
    cmp byte [rsi + rcx], 0
    je .measured
    inc rcx
    jmp .length
.measured:
    inc rcx
    mov rbx, rcx
    call arena_alloc
    mov rdi, rax
    mov rcx, rbx
    rep movsb
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    UNFRAME

; respond — allocate a response of a given size and hook it to its request.
; IN: ecx = request index, edx = response size. OUT: rax = the response (physical).
respond:
    FRAME
    mov ebx, ecx
    mov ecx, edx
    call arena_alloc
    lea rcx, [rel found_requests]
    mov rcx, [rcx + rbx*8]
    mov rdx, [rel hhdm_offset]
    add rdx, rax
    mov [rcx + REQ_RESPONSE], rdx
    UNFRAME

; make_file — build a struct limine_file for a file.
; IN: rcx = address (physical), rdx = size, r8 = path, r9 = cmdline, 5th argument = the
; volume it was read from (VOL_*). OUT: rax = HHDM address.
make_file:
    FRAME
    mov r12, rcx
    mov r13, rdx
    mov r14, r8
    mov r15, r9
    mov ecx, LFILE_STRUCT_SIZE
    call arena_alloc
    mov rbx, rax
    mov rax, [rel hhdm_offset]
    add r12, rax
    mov [rbx + LFILE_ADDRESS], r12
    mov [rbx + LFILE_SIZE], r13
    mov rcx, r14
    call arena_string
    mov [rbx + LFILE_PATH], rax
    mov rcx, r15
    call arena_string
    mov [rbx + LFILE_CMDLINE], rax
    mov rsi, [rbp + 48]                 ; the volume
    mov eax, [rsi + VOL_MEDIA_TYPE]
    mov [rbx + LFILE_MEDIA_TYPE], eax
    mov eax, [rsi + VOL_PARTITION]
    mov [rbx + LFILE_PARTITION_INDEX], eax
    mov eax, [rsi + VOL_MBR_DISK_ID]
    mov [rbx + LFILE_MBR_DISK_ID], eax
    mov rax, [rsi + VOL_GPT_DISK_UUID]
    mov [rbx + LFILE_GPT_DISK_UUID], rax
    mov rax, [rsi + VOL_GPT_DISK_UUID + 8]
    mov [rbx + LFILE_GPT_DISK_UUID + 8], rax
    mov rax, [rsi + VOL_GPT_PART_UUID]
    mov [rbx + LFILE_GPT_PART_UUID], rax
    mov rax, [rsi + VOL_GPT_PART_UUID + 8]
    mov [rbx + LFILE_GPT_PART_UUID + 8], rax
    mov rax, [rel hhdm_offset]
    add rax, rbx
    UNFRAME

; choose_stack_size — OUT: stack_size = the Stack Size request's size (at least 64 KiB),
; rounded up to whole pages.
choose_stack_size:
    mov ecx, REQ_STACK_SIZE_FEATURE
    call request_address
    mov rdx, DEFAULT_STACK_SIZE
    test rax, rax
    jz .chosen
    mov rax, [rax + REQ_STACK_SIZE]
    cmp rax, rdx
    jbe .chosen
    mov rdx, rax
.chosen:
    add rdx, PAGE_SIZE - 1
    and rdx, -PAGE_SIZE
    mov [rel stack_size], rdx
    ret

; check_paging_mode — choose 4- or 5-level paging as Limine does: the Paging Mode request's
; mode (default 4-level), within its [min_mode, max_mode] (revision 0: [4-level, mode]) and
; the entry's min_paging_mode / max_paging_mode / paging_mode, 5-level only when the CPU has
; LA57 (and this loader runs below 4 GiB, where the switch happens). Stops the boot when no
; available mode lies in the range. OUT: paging_mode, paging_levels.
check_paging_mode:
    FRAME
    xor r12d, r12d                      ; preferred mode
    xor r13d, r13d                      ; max
    xor r14d, r14d                      ; min
    mov ecx, REQ_PAGING_MODE_FEATURE
    call request_address
    test rax, rax
    jz .limits
    mov r12, [rax + REQ_PAGING_MODE]
    mov r13, r12
    cmp qword [rax + REQ_REVISION], 1
    jb .limits
    mov r13, [rax + REQ_PAGING_MAX_MODE]
    mov r14, [rax + REQ_PAGING_MIN_MODE]
.limits:
    ; modes above 5-level do not exist on x86-64: the highest known stands in
    mov eax, PAGING_MODE_5LEVEL
    cmp r12, rax
    cmova r12, rax
    cmp r13, rax
    cmova r13, rax
    cmp r14, rax
    cmova r14, rax
    movzx eax, byte [rel config_max_paging_mode]
    cmp r13, rax
    cmova r13, rax
    movzx eax, byte [rel config_min_paging_mode]
    cmp r14, rax
    cmovb r14, rax
    cmp r14, r13
    ja .none
    cmp r12, r13
    cmova r12, r13
    cmp r12, r14
    cmovb r12, r14
    ; can we have 5-level?
    xor ebx, ebx
    mov eax, 7
    xor ecx, ecx
    push rbx
    cpuid
    bt ecx, CPUID_LA57_BIT
    pop rbx
    jnc .have_la57_answer
    mov rcx, [rel loader_image_base]
    add rcx, [rel loader_image_size]
    mov rax, LOW_MAPPED_LIMIT
    cmp rcx, rax
    ja .have_la57_answer
    mov ebx, 1
.have_la57_answer:
    cmp r12, PAGING_MODE_5LEVEL
    jne .chosen
    test ebx, ebx
    jnz .chosen
    mov r12d, PAGING_MODE_4LEVEL        ; 5-level wanted but not available: fall back if allowed
    cmp r14, r12
    ja .none
.chosen:
    mov [rel paging_mode], r12
    lea rax, [r12 + 4]
    mov [rel paging_levels], rax
    UNFRAME
.none:
    FAIL msg_paging_mode

; answer_requests — write every response except the two memory maps' contents, which
; only exist after leave_firmware (their structures are allocated here).
answer_requests:
    FRAME
    ; bootloader info
    mov ecx, REQ_BOOTLOADER_INFO
    call request_address
    test rax, rax
    jz .firmware
    mov ecx, REQ_BOOTLOADER_INFO
    mov edx, 24
    call respond
    mov rbx, rax
    lea rcx, [rel bootloader_name]
    call arena_string
    mov [rbx + 8], rax
    lea rcx, [rel bootloader_version]
    call arena_string
    mov [rbx + 16], rax
.firmware:
    mov ecx, REQ_FIRMWARE_TYPE
    call request_address
    test rax, rax
    jz .stack
    mov ecx, REQ_FIRMWARE_TYPE
    mov edx, 16
    call respond
    mov qword [rax + 8], PLATFORM_FIRMWARE_TYPE
.stack:
    mov ecx, REQ_STACK_SIZE_FEATURE
    call request_address
    test rax, rax
    jz .hhdm
    mov ecx, REQ_STACK_SIZE_FEATURE
    mov edx, 8
    call respond
.hhdm:
    mov ecx, REQ_HHDM
    call request_address
    test rax, rax
    jz .framebuffer
    mov ecx, REQ_HHDM
    mov edx, 16
    call respond
    mov rcx, [rel hhdm_offset]
    mov [rax + 8], rcx
.framebuffer:
    mov ecx, REQ_FRAMEBUFFER
    call request_address
    test rax, rax
    jz .paging
    cmp qword [rel framebuffer_base], 0
    je .paging                          ; no GOP framebuffer: no response
    call answer_framebuffer
.paging:
    mov ecx, REQ_PAGING_MODE_FEATURE
    call request_address
    test rax, rax
    jz .memmap
    mov ecx, REQ_PAGING_MODE_FEATURE
    mov edx, 16
    call respond
    mov rcx, [rel paging_mode]
    mov [rax + 8], rcx
.memmap:
    mov ecx, REQ_MEMMAP
    call request_address
    test rax, rax
    jz .entry_point
    mov ecx, REQ_MEMMAP
    mov edx, 24
    call respond
    mov [rel memmap_response], rax
.entry_point:
    mov ecx, REQ_ENTRY_POINT
    call request_address
    test rax, rax
    jz .kernel_file
    mov rbx, [rax + REQ_ENTRY]
    test rbx, rbx
    jz .kernel_file                     ; no entry given: keep e_entry, leave it unanswered
    mov [rel kernel_entry], rbx
    mov ecx, REQ_ENTRY_POINT
    mov edx, 8
    call respond
.kernel_file:
    mov ecx, REQ_KERNEL_FILE
    call request_address
    test rax, rax
    jz .modules
    mov ecx, REQ_KERNEL_FILE
    mov edx, 16
    call respond
    mov rbx, rax
    mov rcx, [rel kernel_file_address]
    mov rdx, [rel kernel_file_size]
    mov r8, [rel kernel_path]
    mov r9, [rel kernel_cmdline]
    mov rax, [rel kernel_volume]
    mov [rsp + 32], rax
    call make_file
    mov [rbx + 8], rax
    mov [rel kernel_file_struct], rax
.modules:
    mov ecx, REQ_MODULE
    call request_address
    test rax, rax
    jz .rsdp
    cmp qword [rel declared_module_count], 0
    je .rsdp                            ; no module named anywhere: no response, as Limine
    mov ecx, REQ_MODULE
    mov edx, 24
    call respond
    mov r12, rax
    mov qword [r12], 2                  ; response revision 2: internal modules, compressed ones too
    mov rax, [rel module_count]
    mov [r12 + 8], rax
    lea rcx, [rax*8 + 8]
    call arena_alloc
    mov r13, rax                        ; array of pointers
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [r12 + 16], rax
    xor ebx, ebx
.module:
    cmp rbx, [rel module_count]
    jae .rsdp
    lea rax, [rel module_addresses]
    mov rcx, [rax + rbx*8]
    lea rax, [rel module_sizes]
    mov rdx, [rax + rbx*8]
    lea rax, [rel module_paths]
    mov r8, [rax + rbx*8]
    lea rax, [rel module_cmdlines]
    mov r9, [rax + rbx*8]
    lea rax, [rel module_volumes]
    mov rax, [rax + rbx*8]
    mov [rsp + 32], rax
    call make_file
    mov [r13 + rbx*8], rax
    inc rbx
    jmp .module
.rsdp:
    mov ecx, REQ_RSDP
    call request_address
    test rax, rax
    jz .smbios
    call find_rsdp
    test rax, rax
    jz .smbios
    mov rbx, rax
    mov ecx, REQ_RSDP
    mov edx, 16
    call respond
    cmp qword [rel base_revision], 3
    je .rsdp_physical                   ; physical in base revision 3 only
    mov rcx, [rel hhdm_offset]
    add rbx, rcx
.rsdp_physical:
    mov [rax + 8], rbx
.smbios:
    mov ecx, REQ_SMBIOS
    call request_address
    test rax, rax
    jz .system_table
    call find_smbios
    mov rax, r12
    or rax, r13
    jz .system_table
    mov ecx, REQ_SMBIOS
    mov edx, 24
    call respond
    call firmware_pointer_offset
    test r12, r12
    jz .no_smbios32
    add r12, rcx
.no_smbios32:
    test r13, r13
    jz .no_smbios64
    add r13, rcx
.no_smbios64:
    mov [rax + 8], r12
    mov [rax + 16], r13
.system_table:
    mov ecx, REQ_EFI_SYSTEM_TABLE
    call request_address
    test rax, rax
    jz .efi_memmap
    cmp qword [rel system_table], 0
    je .efi_memmap                      ; not booted by UEFI: no response
    mov ecx, REQ_EFI_SYSTEM_TABLE
    mov edx, 16
    call respond
    call firmware_pointer_offset
    add rcx, [rel system_table]
    mov [rax + 8], rcx
.efi_memmap:
    mov ecx, REQ_EFI_MEMMAP
    call request_address
    test rax, rax
    jz .boot_time
    cmp qword [rel system_table], 0
    je .boot_time                       ; not booted by UEFI: no response
    mov ecx, REQ_EFI_MEMMAP
    mov edx, 40
    call respond
    mov [rel efi_memmap_response], rax
.boot_time:
    mov ecx, REQ_BOOT_TIME
    call request_address
    test rax, rax
    jz .kernel_address
    call read_unix_time
    mov rbx, rax
    mov ecx, REQ_BOOT_TIME
    mov edx, 16
    call respond
    mov [rax + 8], rbx
.kernel_address:
    mov ecx, REQ_KERNEL_ADDRESS
    call request_address
    test rax, rax
    jz .done
    mov ecx, REQ_KERNEL_ADDRESS
    mov edx, 24
    call respond
    mov rcx, [rel kernel_physical_base]
    mov [rax + 8], rcx
    mov rcx, [rel kernel_virtual_base]
    mov [rax + 16], rcx
.done:
    call answer_newer_requests
    UNFRAME

; answer_newer_requests — executable command line, bootloader performance (exec_usec is
; written at the jump), keep IOMMU, TSC frequency and entropy.
answer_newer_requests:
    FRAME
    mov ecx, REQ_DTB
    call request_address
    test rax, rax
    jz .cmdline
    cmp qword [rel dtb_address], 0
    je .cmdline                         ; no DTB: no response
    mov ecx, REQ_DTB
    mov edx, 16
    call respond
    mov rcx, [rel hhdm_offset]
    add rcx, [rel dtb_address]
    mov [rax + 8], rcx
.cmdline:
    mov ecx, REQ_EXECUTABLE_CMDLINE
    call request_address
    test rax, rax
    jz .performance
    mov ecx, REQ_EXECUTABLE_CMDLINE
    mov edx, 16
    call respond
    mov rbx, rax
    mov rax, [rel kernel_file_struct]   ; the same string as executable_file->string
    test rax, rax
    jnz .have_file
    mov rcx, [rel kernel_cmdline]
    call arena_string
    mov [rbx + 8], rax
    jmp .performance
.have_file:
    mov rcx, [rel hhdm_offset]
    sub rax, rcx
    mov rax, [rax + LFILE_CMDLINE]
    mov [rbx + 8], rax
.performance:
    mov ecx, REQ_BOOTLOADER_PERFORMANCE
    call request_address
    test rax, rax
    jz .keep_iommu
    cmp qword [rel tsc_frequency], 0
    je .keep_iommu                      ; no clock to convert with: no response
    mov ecx, REQ_BOOTLOADER_PERFORMANCE
    mov edx, 32
    call respond
    mov [rel performance_response], rax
    mov qword [rax + 8], 0              ; reset time: not known to the loader
    mov rcx, [rel loader_start_tsc]
    call tsc_to_microseconds
    mov rcx, [rel performance_response]
    mov [rcx + 16], rax
.keep_iommu:
    mov ecx, REQ_KEEP_IOMMU
    call request_address
    test rax, rax
    jz .tsc
    mov byte [rel keep_iommu], 1
    mov ecx, REQ_KEEP_IOMMU
    mov edx, 8
    call respond
.tsc:
    mov ecx, REQ_TSC_FREQUENCY
    call request_address
    test rax, rax
    jz .entropy
    cmp qword [rel tsc_frequency], 0
    je .entropy
    mov ecx, REQ_TSC_FREQUENCY
    mov edx, 16
    call respond
    mov rcx, [rel tsc_frequency]
    mov [rax + 8], rcx
.entropy:
    mov ecx, REQ_ENTROPY
    call request_address
    test rax, rax
    jz .done
    mov r12, [rax + REQ_ENTROPY_COUNT]
    cmp r12, ENTROPY_MAX_VALUES
    jbe .count_ok
    mov r12d, ENTROPY_MAX_VALUES        ; the implementation-defined limit
.count_ok:
    mov ecx, REQ_ENTROPY
    mov edx, 24
    call respond
    mov rbx, rax
    mov [rbx + 8], r12
    mov qword [rbx + 16], 0
    test r12, r12
    jz .done
    lea rcx, [r12*8]
    call arena_alloc
    mov r13, rax
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [rbx + 16], rax
    xor r14d, r14d
.value:
    call random_number
    mov [r13 + r14*8], rax
    inc r14
    cmp r14, r12
    jb .value
.done:
    UNFRAME

; measure_tsc_frequency — TSC ticks over a 10 ms platform_stall (best effort, as the spec
; allows). OUT: tsc_frequency in Hz, 0 when the CPU has no invariant way to tell.
measure_tsc_frequency:
    FRAME
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rbx, rax
    mov ecx, TSC_MEASURE_MICROSECONDS
    call platform_stall
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, rbx
    imul rax, rax, 1000000 / TSC_MEASURE_MICROSECONDS
    cmp rax, 1000000
    jae .plausible
    xor eax, eax                        ; under 1 MHz: not a clock to report (or divide by)
.plausible:
    mov [rel tsc_frequency], rax
    UNFRAME

; tsc_to_microseconds — IN: rcx = TSC value. OUT: rax = microseconds. Clobbers rdx.
tsc_to_microseconds:
    mov rax, rcx
    mov rdx, 1000000
    mul rdx                             ; rdx:rax = ticks * 10^6
    mov rcx, [rel tsc_frequency]
    div rcx
    ret

; finish_performance_response — exec_usec, the TSC at the jump. Clobbers rax, rcx, rdx.
finish_performance_response:
    mov rcx, [rel performance_response]
    test rcx, rcx
    jz .done
    push rcx
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rcx, rax
    call tsc_to_microseconds
    pop rcx
    mov [rcx + 24], rax
.done:
    ret

; read_unix_time — OUT: rax = seconds since 1970 from the platform's clock (read_clock fills
; efi_time), 0 if the clock cannot be read. Time zones are ignored (QEMU's RTC is UTC).
read_unix_time:
    FRAME
    lea rcx, [rel efi_time]
    call read_clock
    test rax, rax
    jnz .unknown
    ; days from civil (Howard Hinnant's algorithm), with March-based years
    movzx eax, word [rel efi_time + TIME_YEAR]
    movzx ecx, byte [rel efi_time + TIME_MONTH]
    cmp ecx, 2
    ja .year_ok
    dec eax
    add ecx, 12
.year_ok:
    sub ecx, 3                          ; month, March = 0
    mov r8d, eax                        ; y (always >= 0 for firmware dates)
    xor edx, edx
    mov r10d, 400
    div r10d                            ; eax = era, edx = year of era
    mov r9d, eax
    mov r11d, edx                       ; yoe
    imul eax, ecx, 153
    add eax, 2
    xor edx, edx
    mov r10d, 5
    div r10d
    movzx ecx, byte [rel efi_time + TIME_DAY]
    lea eax, [eax + ecx - 1]            ; day of year
    mov r10d, eax
    imul eax, r11d, 365
    add eax, r10d
    mov ecx, r11d
    shr ecx, 2
    add eax, ecx
    mov ecx, r11d
    mov r8d, eax
    mov eax, ecx
    xor edx, edx
    mov r10d, 100
    div r10d
    sub r8d, eax                        ; day of era
    imul rax, r9, 146097
    add rax, r8
    sub rax, 719468                     ; days since 1970-01-01
    imul rax, rax, 86400
    movzx ecx, byte [rel efi_time + TIME_HOUR]
    imul ecx, ecx, 3600
    add rax, rcx
    movzx ecx, byte [rel efi_time + TIME_MINUTE]
    imul ecx, ecx, 60
    add rax, rcx
    movzx ecx, byte [rel efi_time + TIME_SECOND]
    add rax, rcx
    UNFRAME
.unknown:
    xor eax, eax
    UNFRAME

section .data
ARENA_PAGES         equ 32
align 8
found_requests:     times REQUEST_KIND_COUNT dq 0
base_revision:      dq 0
base_revision_found: db 0
align 8
duplicate_request:  dq -1               ; the first request kind found twice by the scan
limine_reqs_name:   db ".limine_reqs", 0
align 8
arena_next:         dq 0
arena_end:          dq 0
stack_size:         dq DEFAULT_STACK_SIZE
memmap_response:    dq 0
efi_memmap_response: dq 0
module_addresses:   times MAX_MODULES dq 0
module_sizes:       times MAX_MODULES dq 0
efi_time:           times 16 db 0
TSC_MEASURE_MICROSECONDS equ 10000
loader_start_tsc:   dq 0
tsc_frequency:      dq 0
performance_response: dq 0
kernel_file_struct: dq 0                ; HHDM address of the kernel's limine_file, once made
keep_iommu:         db 0
align 8
paging_mode:        dq PAGING_MODE_4LEVEL
paging_levels:      dq 4
align 8

; the 3rd and 4th words of each request ID, in REQ_* order
request_ids:
    dq 0xf55038d8e2a1202f, 0x279426fcf5f59740   ; bootloader info
    dq 0x8c2f75d90bef28a8, 0x7045a4688eac00c3   ; firmware type
    dq 0x224ef0460a8e8926, 0xe1cb0fc25f46ea3d   ; stack size
    dq 0x48dcf1cb8ad2b852, 0x63984e959a98244b   ; HHDM
    dq 0x9d5827dcd881dd75, 0xa3148604f6fab11b   ; framebuffer
    dq 0x95c1a0edab0944cb, 0xa4e5cb3842f7488a   ; paging mode
    dq 0x95a67b819a1b857e, 0xa0b61b723b6a73e0   ; MP (answered by smp.asm)
    dq 0x67cf3d9d378a806f, 0xe304acdfc50c3c62   ; memory map
    dq 0x13d86c035a1cd3e1, 0x2b0caa89d8f3026a   ; entry point
    dq 0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69   ; kernel file
    dq 0x3e7e279702be32af, 0xca1c4f3bd1280cee   ; modules
    dq 0xc5e77b6b397e7b43, 0x27637845accdcf3c   ; RSDP
    dq 0x9e9046f11e095391, 0xaa4a520fefbde5ee   ; SMBIOS
    dq 0x5ceba5163eaaf6d6, 0x0a6981610cf65fcc   ; EFI system table
    dq 0x7df62a431d6872d5, 0xa4fcdfb3e57306c8   ; EFI memory map
    dq 0x502746e184c088aa, 0xfbc5ec83e6327893   ; boot time
    dq 0x71ba76863cc55f63, 0xb2644a48c516a487   ; kernel address
    dq 0xb40ddb48fb54bac7, 0x545081493f81ffb7   ; device tree blob (dtb.asm)
    dq 0x4b161536e598651e, 0xb390ad4a2f1f303a   ; executable command line
    dq 0x6b50ad9bf36d13ad, 0xdc4c7e88fc759e17   ; bootloader performance
    dq 0x8ebaabe51f490179, 0x2aa86a59ffb4ab0f   ; x86-64 keep IOMMU
    dq 0x10f2ee1d87d195e4, 0xf747a2b78f6ddb31   ; TSC frequency
    dq 0x65ea80255d5682c5, 0x9117240723f493eb   ; entropy
request_names:                          ; offsets from request_names, in REQ_* order
    dd name_bootloader_info - request_names
    dd name_firmware_type - request_names
    dd name_stack_size - request_names
    dd name_hhdm - request_names
    dd name_framebuffer - request_names
    dd name_paging_mode - request_names
    dd name_smp - request_names
    dd name_memmap - request_names
    dd name_entry_point - request_names
    dd name_kernel_file - request_names
    dd name_module - request_names
    dd name_rsdp - request_names
    dd name_smbios - request_names
    dd name_efi_system_table - request_names
    dd name_efi_memmap - request_names
    dd name_boot_time - request_names
    dd name_kernel_address - request_names
    dd name_dtb - request_names
    dd name_executable_cmdline - request_names
    dd name_bootloader_performance - request_names
    dd name_keep_iommu - request_names
    dd name_tsc_frequency - request_names
    dd name_entropy - request_names

%ifndef LOADER_VERSION
%define LOADER_VERSION "0.1.0"
%endif
bootloader_name:    db "ostool", 0
bootloader_version: db LOADER_VERSION, 0
name_bootloader_info: db "bootloader info", 0
name_firmware_type: db "firmware type", 0
name_stack_size:    db "stack size", 0
name_hhdm:          db "HHDM", 0
name_framebuffer:   db "framebuffer", 0
name_paging_mode:   db "paging mode", 0
name_smp:           db "SMP", 0
name_memmap:        db "memory map", 0
name_entry_point:   db "entry point", 0
name_kernel_file:   db "kernel file", 0
name_module:        db "module", 0
name_rsdp:          db "RSDP", 0
name_smbios:        db "SMBIOS", 0
name_efi_system_table: db "EFI system table", 0
name_efi_memmap:    db "EFI memory map", 0
name_boot_time:     db "boot time", 0
name_kernel_address: db "kernel address", 0
name_dtb:           db "device tree blob", 0
name_executable_cmdline: db "executable command line", 0
name_bootloader_performance: db "bootloader performance", 0
name_keep_iommu:    db "x86-64 keep IOMMU", 0
name_tsc_frequency: db "TSC frequency", 0
name_entropy:       db "entropy", 0
msg_duplicate:      db "the kernel has two ", 0
msg_duplicate_end:  db " requests (the Limine protocol allows one of each)", 0
msg_duplicate_base_revision: db "the kernel has two base revision tags (Limine refuses it: Duplicated base revision tag)", 0
msg_limine_reqs_too_many: db "the kernel's .limine_reqs section lists more than 128 requests (Limine: Maximum requests exceeded)", 0
msg_limine_reqs_outside: db "a .limine_reqs entry points outside the kernel image (Limine: .limine_reqs entry outside kernel image)", 0
msg_limine_reqs_misaligned: db "a .limine_reqs entry is not 8-byte aligned (Limine: .limine_reqs entry is not 8-byte aligned)", 0
msg_arena_full:     db "too many or too large responses for the response area", 0
msg_paging_mode:    db "no paging mode the kernel accepts (its paging mode request's min_mode..max_mode, "
                    db "narrowed by limine.conf's paging_mode keys) is available: 5-level paging needs "
                    db "a CPU with LA57", 0
