; macros.asm — limine.conf macros: "${NAME}=value" lines define NAME (anywhere in the file,
; and those lines are then dropped), "${NAME}" anywhere else is replaced by its value. The
; built-ins ARCH, FW_TYPE and LOADER_ARCH are "x86-64", the platform's PLATFORM_FW_TYPE_NAME
; ("UEFI" or "BIOS") and "x86-64". A macro that is
; never defined expands to nothing.

section .text

; expand_config_macros — IN: rcx = zero-terminated config text. OUT: rax = a new
; zero-terminated text with every definition dropped and every use expanded.
expand_config_macros:
    FRAME
    mov rsi, rcx
    ; pass 1: collect the definitions, and the longest value and the text's length
    mov r12, rsi
    call collect_macro_definitions
    ; room: the text plus, per "${", the longest value (uses only ever shrink otherwise)
    mov rcx, [rel macro_uses]
    imul rcx, [rel macro_longest_value]
    add rcx, [rel config_text_length]
    add rcx, PAGE_SIZE                  ; and the terminating zero, rounded up
    shr rcx, 12
    mov edx, EFI_LOADER_DATA
    call alloc_pages
    mov r13, rax                        ; the new text
    mov rdi, rax
    mov rsi, r12
.line:
    cmp byte [rsi], 0
    je .done
    ; a definition line (after leading blanks) is dropped, its newline kept
    mov rcx, rsi
    call definition_at_line
    test rax, rax
    jz .copy
.skip_definition:
    mov al, [rsi]
    test al, al
    jz .done
    inc rsi
    cmp al, 10
    jne .skip_definition
    mov byte [rdi], 10
    inc rdi
    jmp .line
.copy:
    mov al, [rsi]
    test al, al
    jz .done
    cmp al, '$'
    jne .plain
    cmp byte [rsi + 1], '{'
    jne .plain
    mov rcx, rsi
    call find_macro                     ; rax = value, rdx = value length, r8 = use length (0: not a use)
    test r8, r8
    jz .plain
    add rsi, r8
    mov rcx, rdx
    push rsi
    mov rsi, rax
    rep movsb
    pop rsi
    jmp .copy
.plain:
    movsb
    cmp al, 10
    je .line
    jmp .copy
.done:
    mov byte [rdi], 0
    mov rax, r13
    UNFRAME

; definition_at_line — IN: rcx = start of a line. OUT: rax = the "${" of a definition
; ("${NAME}=" after optional blanks), else 0. Clobbers rdx.
definition_at_line:
.blank:
    mov al, [rcx]
    cmp al, ' '
    je .next_blank
    cmp al, 9
    jne .check
.next_blank:
    inc rcx
    jmp .blank
.check:
    cmp word [rcx], '${'
    jne .no
    lea rdx, [rcx + 2]
.name:
    mov al, [rdx]
    test al, al
    jz .no
    cmp al, 10
    je .no
    cmp al, '}'
    je .close
    inc rdx
    jmp .name
.close:
    cmp byte [rdx + 1], '='
    jne .no
    mov rax, rcx
    ret
.no:
    xor eax, eax
    ret

; collect_macro_definitions — IN: rsi = text. OUT: macro_table (user definitions after the
; built-ins), macro_count, macro_uses ("${" seen), macro_longest_value, config_text_length.
collect_macro_definitions:
    FRAME
    mov qword [rel macro_count], BUILTIN_MACRO_COUNT
    mov qword [rel macro_uses], 0
    mov qword [rel macro_longest_value], BUILTIN_LONGEST_VALUE
    mov rbx, rsi
.count:
    mov al, [rbx]
    test al, al
    jz .counted
    cmp al, '$'
    jne .count_next
    cmp byte [rbx + 1], '{'
    jne .count_next
    inc qword [rel macro_uses]
.count_next:
    inc rbx
    jmp .count
.counted:
    sub rbx, rsi
    mov [rel config_text_length], rbx
    mov rbx, rsi
.line:
    cmp byte [rbx], 0
    je .done
    mov rcx, rbx
    call definition_at_line
    test rax, rax
    jz .next_line
    mov r12, [rel macro_count]
    cmp r12, MAX_MACROS
    jae .too_many
    lea r8, [rax + 2]                   ; name
    mov r9, r8
.name_end:
    cmp byte [r9], '}'
    je .name_done
    inc r9
    jmp .name_end
.name_done:
    lea r10, [r9 + 2]                   ; value: to the end of the line, CR dropped
    mov r11, r10
.value_end:
    mov al, [r11]
    test al, al
    jz .value_done
    cmp al, 10
    je .value_done
    inc r11
    jmp .value_end
.value_done:
    cmp r11, r10
    je .value_trimmed
    cmp byte [r11 - 1], 13
    jne .value_trimmed
    dec r11
.value_trimmed:
    imul rdx, r12, MACRO_ENTRY_SIZE
    lea rcx, [rel macro_table]
    sub r9, r8
    mov [rcx + rdx], r8
    mov [rcx + rdx + 8], r9
    mov [rcx + rdx + 16], r10
    sub r11, r10
    mov [rcx + rdx + 24], r11
    cmp r11, [rel macro_longest_value]
    jbe .longest_known
    mov [rel macro_longest_value], r11
.longest_known:
    inc qword [rel macro_count]
.next_line:
    mov al, [rbx]
    test al, al
    jz .done
    inc rbx
    cmp al, 10
    jne .next_line
    jmp .line
.done:
    UNFRAME
.too_many:
    FAIL msg_too_many_macros

; find_macro — IN: rcx = a "${" in the text. OUT: r8 = length of the use "${NAME}" (0 when
; no "}" closes it on this line), rax = value, rdx = value length (the last definition of
; the name wins; an undefined name gives the empty value). Clobbers r9-r11.
find_macro:
    push rbx
    push rsi
    push rdi
    lea r9, [rcx + 2]
    mov r10, r9
.name:
    mov al, [r10]
    test al, al
    jz .not_a_use
    cmp al, 10
    je .not_a_use
    cmp al, '}'
    je .named
    inc r10
    jmp .name
.named:
    lea r8, [r10 + 1]
    sub r8, rcx                         ; the use's length
    sub r10, r9                         ; the name's length
    xor eax, eax
    xor edx, edx
    mov rbx, [rel macro_count]
.entry:
    test rbx, rbx
    jz .done
    dec rbx
    imul r11, rbx, MACRO_ENTRY_SIZE
    lea rsi, [rel macro_table]
    add r11, rsi
    cmp r10, [r11 + 8]
    jne .entry
    mov rsi, [r11]
    mov rdi, r9
    mov rcx, r10
    repe cmpsb
    jne .entry
    mov rax, [r11 + 16]
    mov rdx, [r11 + 24]
.done:
    pop rdi
    pop rsi
    pop rbx
    ret
.not_a_use:
    xor r8d, r8d
    jmp .done

; install_builtin_macros — the table's first entries (addresses are only known at run time).
install_builtin_macros:
    lea rcx, [rel macro_table]
    lea rax, [rel macro_name_arch]
    mov [rcx], rax
    mov qword [rcx + 8], 4
    lea rax, [rel macro_value_x86_64]
    mov [rcx + 16], rax
    mov qword [rcx + 24], 6
    lea rax, [rel macro_name_fw_type]
    mov [rcx + MACRO_ENTRY_SIZE], rax
    mov qword [rcx + MACRO_ENTRY_SIZE + 8], 7
    lea rax, [rel macro_value_fw_type]
    mov [rcx + MACRO_ENTRY_SIZE + 16], rax
    mov qword [rcx + MACRO_ENTRY_SIZE + 24], macro_value_fw_type_end - macro_value_fw_type
    lea rax, [rel macro_name_loader_arch]
    mov [rcx + 2 * MACRO_ENTRY_SIZE], rax
    mov qword [rcx + 2 * MACRO_ENTRY_SIZE + 8], 11
    lea rax, [rel macro_value_x86_64]
    mov [rcx + 2 * MACRO_ENTRY_SIZE + 16], rax
    mov qword [rcx + 2 * MACRO_ENTRY_SIZE + 24], 6
    ret

section .data
MAX_MACROS          equ 64
MACRO_ENTRY_SIZE    equ 32                  ; name, name length, value, value length
BUILTIN_MACRO_COUNT equ 3
BUILTIN_LONGEST_VALUE equ 6
align 8
macro_count:        dq 0
macro_uses:         dq 0
macro_longest_value: dq 0
config_text_length: dq 0
macro_table:        times MAX_MACROS * MACRO_ENTRY_SIZE db 0
macro_name_arch:    db "ARCH"
macro_name_fw_type: db "FW_TYPE"
macro_name_loader_arch: db "LOADER_ARCH"
macro_value_x86_64: db "x86-64"
macro_value_fw_type: db PLATFORM_FW_TYPE_NAME
macro_value_fw_type_end:
msg_too_many_macros: db "limine.conf: more than 61 macro definitions", 0
