; menu.asm — which entry boots: the menu Limine builds from limine.conf, walked without being
; drawn. An entry line "/Name" (one "/" per level, "+" after the slashes: a directory shown
; expanded) is a directory when the next entry line is deeper. A leaf is hidden when its
; protocol belongs to the other firmware (bios/bios_chainload on UEFI; efi, uefi,
; efi_chainload, efi_boot_entry on BIOS), its if_fw_type is not this firmware, or its
; if_arch/if_loader_arch list lacks x86-64 (case-insensitive, as Limine compares them).
; default_entry (the first one anywhere in the file) numbers the lines of the menu as shown:
; hidden leaves and the contents of collapsed directories do not count; an entry path is
; matched by entry-path.asm. Without it the first line is chosen. Where Limine would stop
; at its menu (a directory, nothing chosen) the boot stops with a message instead: there is
; no menu here. timeout is not read: Limine boots the chosen entry once it runs out, at once
; with timeout 0.

MENU_MAX_ENTRIES    equ 256
MENU_RECORD_SIZE    equ 16
MENU_LEVEL          equ 0                   ; byte: leading slashes
MENU_EXPANDED       equ 1                   ; byte: "+" given
MENU_DIRECTORY      equ 2                   ; byte: the next entry line is deeper
MENU_HIDDEN         equ 3                   ; byte: a leaf this platform does not show
MENU_LINE           equ 8                   ; qword: the entry line

section .text

; choose_entry — IN: rcx = the config text (macros expanded, "\n"-separated lines, not yet
; split). OUT: rax = the number of the entry to boot, counting entry lines in file order from
; 1 (what parse_config reads the options of). Stops the boot when nothing bootable is chosen.
choose_entry:
    FRAME
    mov r15, rcx
    call build_menu
    cmp qword [rel menu_count], 0
    je .no_entries
    mov rcx, r15
    lea rdx, [rel key_default_entry]
    call find_option_value
    test rax, rax
    jz .first_line
    mov rsi, rax
    ; the value, zero-terminated, without trailing blanks or CR (the text stays intact)
    lea rdi, [rel default_entry_value]
    xor ecx, ecx
.copy:
    mov al, [rsi + rcx]
    cmp al, 10
    je .copied
    test al, al
    jz .copied
    cmp ecx, DEFAULT_ENTRY_VALUE_MAX
    jae .copied
    mov [rdi + rcx], al
    inc ecx
    jmp .copy
.copied:
    test ecx, ecx
    jz .terminate
    mov al, [rdi + rcx - 1]
    cmp al, ' '
    je .trim
    cmp al, 9
    je .trim
    cmp al, 13
    jne .terminate
.trim:
    dec ecx
    jmp .copied
.terminate:
    mov byte [rdi + rcx], 0
    ; an index is digits only; anything else is an entry path
    mov rcx, rdi
.digit:
    mov al, [rcx]
    test al, al
    jz .index
    sub al, '0'
    cmp al, 9
    ja .path
    inc rcx
    jmp .digit
.index:
    cmp byte [rdi], 0
    je .path                            ; empty: no entry of that name
    mov rcx, rdi
    call parse_decimal
    test rax, rax
    jnz .nth_line
.first_line:
    mov eax, 1                          ; unset (or 0): the menu's first line
.nth_line:
    mov rcx, rax
    call menu_line_entry
    test rax, rax
    jz .unbootable
    UNFRAME
.path:
    mov rcx, rdi
    mov rdx, r15
    call default_entry_by_path
    test rax, rax
    jz .no_such_path
    UNFRAME
.no_entries:
    FAIL3 msg_empty_string, [rel config_path], msg_no_entry_end
.unbootable:
    FAIL msg_default_entry_unbootable
.no_such_path:
    lea rdx, [rel default_entry_value]
    FAIL3 msg_default_entry, rdx, msg_default_entry_end

; menu_line_entry — IN: rcx = a line number of the menu as Limine first shows it (from 1).
; OUT: rax = the number of its entry in file order, 0 when there is no such line or it is a
; directory. Clobbers rcx, rdx, r8-r11.
menu_line_entry:
    lea r8, [rel menu_records]
    xor r9d, r9d                        ; entries looked at
    xor r10d, r10d                      ; menu lines so far
    xor r11d, r11d                      ; level of a collapsed directory being passed, 0: none
.record:
    cmp r9, [rel menu_count]
    jae .none
    movzx eax, byte [r8 + MENU_LEVEL]
    test r11d, r11d
    jz .shown
    cmp eax, r11d
    ja .next                            ; inside the collapsed directory
    xor r11d, r11d
.shown:
    cmp byte [r8 + MENU_HIDDEN], 0
    jne .next
    inc r10
    cmp r10, rcx
    je .this
    cmp byte [r8 + MENU_DIRECTORY], 0
    je .next
    cmp byte [r8 + MENU_EXPANDED], 0
    jne .next
    mov r11d, eax
.next:
    inc r9
    add r8, MENU_RECORD_SIZE
    jmp .record
.this:
    cmp byte [r8 + MENU_DIRECTORY], 0
    jne .none
    lea rax, [r9 + 1]
    ret
.none:
    xor eax, eax
    ret

; menu_entry_record — IN: rcx = an entry number in file order (from 1). OUT: rax = its record.
menu_entry_record:
    lea rax, [rcx - 1]
    shl rax, 4                          ; MENU_RECORD_SIZE
    lea rcx, [rel menu_records]
    add rax, rcx
    ret

; build_menu — one record per entry line of the text (rcx). OUT: menu_records, menu_count.
build_menu:
    FRAME
    mov rsi, rcx
    xor ebx, ebx                        ; records
    xor edi, edi                        ; the current entry's record, 0 before the first
.line:
    mov al, [rsi]
    cmp al, ' '
    je .blank
    cmp al, 9
    jne .first_char
.blank:
    inc rsi
    jmp .line
.first_char:
    test al, al
    jz .done
    cmp al, '/'
    je .entry
    test rdi, rdi
    jz .skip_line                       ; a global option
    mov rcx, rsi
    call option_hides_entry
    or [rdi + MENU_HIDDEN], al
    jmp .skip_line
.entry:
    cmp rbx, MENU_MAX_ENTRIES
    jae .too_many
    mov rax, rbx
    shl rax, 4
    lea rdi, [rel menu_records]
    add rdi, rax
    mov [rdi + MENU_LINE], rsi
    mov dword [rdi], 0
    xor ecx, ecx
.slash:
    cmp byte [rsi], '/'
    jne .level_known
    inc ecx
    inc rsi
    jmp .slash
.level_known:
    mov [rdi + MENU_LEVEL], cl
    cmp byte [rsi], '+'
    jne .directory
    mov byte [rdi + MENU_EXPANDED], 1
.directory:
    test rbx, rbx
    jz .counted
    cmp cl, [rdi - MENU_RECORD_SIZE + MENU_LEVEL]
    jbe .counted
    mov byte [rdi - MENU_RECORD_SIZE + MENU_DIRECTORY], 1
.counted:
    inc rbx
.skip_line:
    mov al, [rsi]
    test al, al
    jz .done
    inc rsi
    cmp al, 10
    jne .skip_line
    jmp .line
.done:
    ; Limine never hides a directory, whatever its options say
    mov [rel menu_count], rbx
    lea rdi, [rel menu_records]
.unhide:
    test rbx, rbx
    jz .built
    cmp byte [rdi + MENU_DIRECTORY], 0
    je .unhide_next
    mov byte [rdi + MENU_HIDDEN], 0
.unhide_next:
    add rdi, MENU_RECORD_SIZE
    dec rbx
    jmp .unhide
.built:
    UNFRAME
.too_many:
    FAIL msg_too_many_entries

; option_hides_entry — IN: rcx = an option line of an entry (after its indentation).
; OUT: al = 1 when it hides the entry on this platform, else 0.
option_hides_entry:
    FRAME
    mov rsi, rcx
    mov rcx, rsi
    lea rdx, [rel key_protocol]
    call option_value
    test rax, rax
    jz .not_protocol
    mov rbx, rax
    lea rdi, [rel bios_only_protocols]
    mov eax, PLATFORM_FIRMWARE_TYPE
    cmp eax, FIRMWARE_TYPE_UEFI64
    je .protocol
    lea rdi, [rel uefi_only_protocols]
.protocol:
    cmp byte [rdi], 0
    je .shown
    mov rcx, rbx
    mov rdx, rdi
    xor r8d, r8d                        ; Limine compares protocol names exactly
    call value_equals
    test eax, eax
    jnz .hidden
.next_protocol:
    inc rdi
    cmp byte [rdi - 1], 0
    jne .next_protocol
    jmp .protocol
.not_protocol:
    mov rcx, rsi
    lea rdx, [rel key_if_fw_type]
    call option_value
    test rax, rax
    jz .not_fw_type
    mov rcx, rax
    lea rdx, [rel fw_type_bios]
    mov eax, PLATFORM_FIRMWARE_TYPE
    cmp eax, FIRMWARE_TYPE_UEFI64
    jne .compare_fw_type
    lea rdx, [rel fw_type_uefi]
.compare_fw_type:
    mov r8d, 1
    call value_equals
    test eax, eax
    jz .hidden
    jmp .shown
.not_fw_type:
    mov rcx, rsi
    lea rdx, [rel key_if_arch]
    call option_value
    test rax, rax
    jnz .arch_list
    mov rcx, rsi
    lea rdx, [rel key_if_loader_arch]
    call option_value
    test rax, rax
    jz .shown
.arch_list:
    mov rcx, rax
    call list_names_x86_64
    test eax, eax
    jz .hidden
.shown:
    xor eax, eax
    UNFRAME
.hidden:
    mov eax, 1
    UNFRAME

; option_value — IN: rcx = a line (after its indentation), rdx = a lower-case key.
; OUT: rax = the value (after ":" and blanks) when the line sets that key (any case), else 0.
; Clobbers rcx, rdx, r8.
option_value:
.key:
    mov r8b, [rdx]
    test r8b, r8b
    jz .key_end
    mov al, [rcx]
    call lower_case_char
    cmp al, r8b
    jne .no
    inc rcx
    inc rdx
    jmp .key
.key_end:
    mov al, [rcx]
    cmp al, ' '
    je .key_blank
    cmp al, 9
    jne .colon
.key_blank:
    inc rcx
    jmp .key_end
.colon:
    cmp al, ':'
    jne .no
    inc rcx
.value_blank:
    mov al, [rcx]
    cmp al, ' '
    je .skip
    cmp al, 9
    jne .value
.skip:
    inc rcx
    jmp .value_blank
.value:
    mov rax, rcx
    ret
.no:
    xor eax, eax
    ret

; find_option_value — IN: rcx = the text, rdx = a lower-case key. OUT: rax = the value of the
; first line anywhere that sets it (Limine looks a global option up in the whole file), or 0.
find_option_value:
    FRAME
    mov rsi, rcx
    mov rdi, rdx
.line:
    mov al, [rsi]
    cmp al, ' '
    je .blank
    cmp al, 9
    jne .look
.blank:
    inc rsi
    jmp .line
.look:
    test al, al
    jz .none
    mov rcx, rsi
    mov rdx, rdi
    call option_value
    test rax, rax
    jnz .done
.skip_line:
    mov al, [rsi]
    test al, al
    jz .none
    inc rsi
    cmp al, 10
    jne .skip_line
    jmp .line
.none:
    xor eax, eax
.done:
    UNFRAME

; value_equals — IN: rcx = a value (ends at CR, LF or 0, trailing blanks ignored), rdx = a
; lower-case literal, r8d = 1 to ignore case. OUT: eax = 1 when they are the same.
; Clobbers rcx, rdx, r9.
value_equals:
.char:
    mov r9b, [rdx]
    test r9b, r9b
    jz .rest
    mov al, [rcx]
    test r8d, r8d
    jz .compare
    call lower_case_char
.compare:
    cmp al, r9b
    jne .no
    inc rcx
    inc rdx
    jmp .char
.rest:
    mov al, [rcx]
    cmp al, ' '
    je .blank
    cmp al, 9
    je .blank
    cmp al, 13
    je .blank
    cmp al, 10
    je .yes
    test al, al
    jz .yes
.no:
    xor eax, eax
    ret
.blank:
    inc rcx
    jmp .rest
.yes:
    mov eax, 1
    ret

; list_names_x86_64 — IN: rcx = a blank-separated list of architecture names (ends at CR,
; LF or 0). OUT: eax = 1 when one of them is x86-64 in any case. Clobbers rcx, rdx, r8-r10.
list_names_x86_64:
.word:
    mov al, [rcx]
    cmp al, ' '
    je .separator
    cmp al, 9
    je .separator
    cmp al, 13
    je .no
    cmp al, 10
    je .no
    test al, al
    jz .no
    lea rdx, [rel arch_x86_64]
    mov r10, rcx
.char:
    mov r9b, [rdx]
    test r9b, r9b
    jz .word_end
    mov al, [r10]
    call lower_case_char
    cmp al, r9b
    jne .skip_word
    inc r10
    inc rdx
    jmp .char
.word_end:
    mov al, [r10]
    cmp al, ' '
    je .yes
    cmp al, 9
    je .yes
    cmp al, 13
    je .yes
    cmp al, 10
    je .yes
    test al, al
    jz .yes
.skip_word:
    mov al, [rcx]
    cmp al, ' '
    je .word
    cmp al, 9
    je .word
    cmp al, 13
    je .no
    cmp al, 10
    je .no
    test al, al
    jz .no
    inc rcx
    jmp .skip_word
.separator:
    inc rcx
    jmp .word
.yes:
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

section .data
DEFAULT_ENTRY_VALUE_MAX equ 1023
align 8
menu_count:         dq 0
menu_records:       times MENU_MAX_ENTRIES * MENU_RECORD_SIZE db 0
default_entry_value: times DEFAULT_ENTRY_VALUE_MAX + 1 db 0
key_if_fw_type:     db "if_fw_type", 0
key_if_arch:        db "if_arch", 0
key_if_loader_arch: db "if_loader_arch", 0
arch_x86_64:        db "x86-64", 0
fw_type_uefi:       db "uefi", 0            ; if_fw_type values, compared in any case
fw_type_bios:       db "bios", 0
bios_only_protocols: db "bios", 0, "bios_chainload", 0, 0
uefi_only_protocols: db "efi", 0, "uefi", 0, "efi_chainload", 0, "efi_boot_entry", 0, 0
msg_too_many_entries: db "limine.conf: more than 256 entries", 0
