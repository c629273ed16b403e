; entry-path.asm — `default_entry` given as an entry path ("OSes/Arch Linux"), as CONFIG.md
; defines it: components separated by "/", matched against the entry names of successive
; levels ("/Name", "//Name", ...; a "+" after the slashes only marks a directory expanded in
; the menu), "\/", "\\" and "\#" standing for literal characters, and a "#N" suffix choosing
; the Nth (0-based) of sibling entries sharing the name. menu.asm then boots that entry.

section .text

; default_entry_by_path — the number of the entry a path names, counting every entry line
; from the start of the config (directories too). As Limine's find_entry_by_path: entries the
; menu hides are passed over (and are no duplicates), the last component names a leaf and
; the others directories; a same-named entry of the other kind counts as a duplicate.
; IN: rcx = the path, rdx = the config text (lines not yet split: "\n"-separated,
; zero-terminated), menu_records from build_menu.
; OUT: rax = the entry number, 0 when the path names no entry.
default_entry_by_path:
    FRAME
    mov r12, rcx                        ; the component looked for
    mov rsi, rdx
    xor r13d, r13d                      ; components matched so far = the level inside them
    xor r14d, r14d                      ; entry lines seen
    xor r15d, r15d                      ; siblings seen with the wanted name
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
    cmp al, '/'
    jne .skip_line
    inc r14
    xor ebx, ebx                        ; the entry's level: its leading slashes
.slash:
    cmp byte [rsi], '/'
    jne .level_known
    inc ebx
    inc rsi
    jmp .slash
.level_known:
    cmp byte [rsi], '+'
    jne .name
    inc rsi
.name:
    cmp rbx, r13
    jbe .not_found                      ; the entry matched last has no such descendant
    lea rax, [r13 + 1]
    cmp rbx, rax
    jne .skip_line                      ; inside a sibling that did not match
    mov rcx, r14
    call menu_entry_record
    mov rdi, rax
    cmp byte [rdi + MENU_HIDDEN], 0
    jne .skip_line
    mov rcx, rsi
    mov rdx, r12
    call entry_name_is_component
    test eax, eax
    jz .skip_line
    cmp r15, r8
    jne .duplicate
    test r9d, r9d
    jnz .want_leaf
    cmp byte [rdi + MENU_DIRECTORY], 0
    je .duplicate                       ; a leaf where a directory is wanted
    mov r12, rdx
    inc r13
    xor r15d, r15d
    jmp .skip_line
.want_leaf:
    cmp byte [rdi + MENU_DIRECTORY], 0
    je .found
.duplicate:
    inc r15
.skip_line:
    mov al, [rsi]
    test al, al
    jz .not_found
    inc rsi
    cmp al, 10
    jne .skip_line
    jmp .line
.found:
    mov rax, r14
    UNFRAME
.not_found:
    xor eax, eax
    UNFRAME

; entry_name_is_component — compare an entry name (up to the end of its line, trailing
; blanks ignored) with one path component.
; IN: rcx = the name, rdx = the component. OUT: eax = 1 when they match, and then
; rdx = the next component, r8 = the duplicate index ("#N", else 0), r9d = 1 when this was
; the last component. Clobbers rax, rcx, r10, r11.
entry_name_is_component:
    xor r8d, r8d
.char:
    movzx eax, byte [rdx]
    cmp al, '\'
    je .escaped
    test al, al
    jz .component_end
    cmp al, '/'
    je .component_end
    cmp al, '#'
    je .component_end
    inc rdx
    jmp .compare
.escaped:
    movzx eax, byte [rdx + 1]
    test al, al
    jz .component_end                   ; a lone "\" at the end ends the path
    add rdx, 2
.compare:
    cmp [rcx], al
    jne .differ
    inc rcx
    jmp .char
.component_end:
    ; the name must end here too (blanks, then the end of its line)
    movzx r10d, byte [rcx]
    cmp r10d, ' '
    je .name_blank
    cmp r10d, 9
    jne .name_end
.name_blank:
    inc rcx
    jmp .component_end
.name_end:
    test r10d, r10d
    jz .suffix
    cmp r10d, 10
    je .suffix
    cmp r10d, 13
    jne .differ
.suffix:
    cmp byte [rdx], '#'
    jne .separator
    inc rdx
.digit:
    movzx r11d, byte [rdx]
    sub r11d, '0'
    cmp r11d, 9
    ja .separator
    imul r8, r8, 10
    add r8, r11
    inc rdx
    jmp .digit
.separator:
    xor r9d, r9d
    cmp byte [rdx], '/'
    jne .last
    inc rdx
    cmp byte [rdx], 0
    jne .matches
.last:
    mov r9d, 1
.matches:
    mov eax, 1
    ret
.differ:
    xor eax, eax
    ret
