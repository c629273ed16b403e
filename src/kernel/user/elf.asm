; Loading a static ELF64 executable (ET_EXEC, x86-64) into the running process's lower half: every
; PT_LOAD segment mapped (zeroed, then its file bytes copied in), then made read-only unless PF_W and
; no-execute unless PF_X. Everything is checked against the file first: a bad executable is refused,
; never half-trusted.

ELF_MAGIC           equ 0x464c457f      ; "\x7fELF"
ELF_CLASS_64        equ 2
ELF_DATA_LSB        equ 1
ELF_TYPE_EXEC       equ 2
ELF_MACHINE_X86_64  equ 0x3e
ELF_HEADER_SIZE     equ 64
ELF_PHDR_SIZE       equ 56
ELF_PT_LOAD         equ 1
ELF_PF_X            equ 1
ELF_PF_W            equ 2
ELF_E_TYPE          equ 16
ELF_E_MACHINE       equ 18
ELF_E_ENTRY         equ 24
ELF_E_PHOFF         equ 32
ELF_E_PHENTSIZE     equ 54
ELF_E_PHNUM         equ 56
ELF_P_TYPE          equ 0
ELF_P_FLAGS         equ 4
ELF_P_OFFSET        equ 8
ELF_P_VADDR         equ 16
ELF_P_FILESZ        equ 32
ELF_P_MEMSZ         equ 40
USER_LOAD_MIN       equ 0x1000                          ; page 0 stays unmapped
USER_LOAD_LIMIT     equ USER_STACK_TOP - USER_STACK_SIZE - PAGE_SIZE

section .text

; elf_is_executable: whether a file starts like an ELF file (the rest is checked by elf_load).
; IN: rdi = contents, rsi = size. OUT: eax = 1 or 0. Clobbers: nothing else.
elf_is_executable:
    xor eax, eax
    cmp rsi, 4
    jb .done
    cmp dword [rdi], ELF_MAGIC
    jne .done
    mov eax, 1
.done:
    ret

; elf_load: load an executable into the running process.
; IN: rdi = contents, rsi = size. OUT: rax = entry point, or -1 when the file is not a loadable
; static ELF64 x86-64 executable or memory ran out. Clobbers: caller-saved registers.
elf_load:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov rbx, rdi
    mov r12, rsi
    cmp r12, ELF_HEADER_SIZE
    jb .bad
    cmp dword [rbx], ELF_MAGIC
    jne .bad
    cmp byte [rbx + 4], ELF_CLASS_64
    jne .bad
    cmp byte [rbx + 5], ELF_DATA_LSB
    jne .bad
    cmp word [rbx + ELF_E_TYPE], ELF_TYPE_EXEC
    jne .bad
    cmp word [rbx + ELF_E_MACHINE], ELF_MACHINE_X86_64
    jne .bad
    cmp word [rbx + ELF_E_PHENTSIZE], ELF_PHDR_SIZE
    jne .bad
    movzx r13d, word [rbx + ELF_E_PHNUM]
    mov rax, [rbx + ELF_E_PHOFF]
    imul rcx, r13, ELF_PHDR_SIZE
    add rcx, rax
    jc .bad
    cmp rcx, r12
    ja .bad
    lea r14, [rbx + rax]                    ; program headers
    ; First pass: check every PT_LOAD.
    xor r15d, r15d
.check:
    cmp r15, r13
    jae .checked
    imul rdi, r15, ELF_PHDR_SIZE
    add rdi, r14
    inc r15
    cmp dword [rdi + ELF_P_TYPE], ELF_PT_LOAD
    jne .check
    mov rax, [rdi + ELF_P_FILESZ]
    cmp rax, [rdi + ELF_P_MEMSZ]
    ja .bad
    mov rcx, [rdi + ELF_P_OFFSET]
    add rcx, rax
    jc .bad
    cmp rcx, r12
    ja .bad
    mov rax, [rdi + ELF_P_VADDR]
    cmp rax, USER_LOAD_MIN
    jb .bad
    add rax, [rdi + ELF_P_MEMSZ]
    jc .bad
    mov rcx, USER_LOAD_LIMIT
    cmp rax, rcx
    ja .bad
    jmp .check
.checked:
    mov rax, [rbx + ELF_E_ENTRY]
    cmp rax, USER_LOAD_MIN
    jb .bad
    mov rcx, USER_LOAD_LIMIT
    cmp rax, rcx
    jae .bad
    ; Second pass: map, copy, protect.
    xor r15d, r15d
.segment:
    cmp r15, r13
    jae .loaded
    imul rax, r15, ELF_PHDR_SIZE
    add rax, r14
    mov [rsp], rax
    inc r15
    cmp dword [rax + ELF_P_TYPE], ELF_PT_LOAD
    jne .segment
    mov rdi, rax
    call elf_map_segment
    test rax, rax
    jnz .bad
    ; Copy the file bytes (the rest of memsz is already zero).
    mov rax, [rsp]
    mov rdi, [rax + ELF_P_VADDR]
    mov rsi, [rax + ELF_P_OFFSET]
    add rsi, rbx
    mov rcx, [rax + ELF_P_FILESZ]
    rep movsb
    mov rdi, [rsp]
    call elf_protect_segment
    jmp .segment
.loaded:
    mov rax, [rbx + ELF_E_ENTRY]
    jmp .done
.bad:
    mov rax, -1
.done:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; elf_segment_pages: the page range of a segment. IN: rdi = program header.
; OUT: rax = first page, rdx = end of the last page. Clobbers: nothing else.
elf_segment_pages:
    mov rax, [rdi + ELF_P_VADDR]
    mov rdx, rax
    add rdx, [rdi + ELF_P_MEMSZ]
    add rdx, PAGE_SIZE - 1
    and rdx, -PAGE_SIZE
    and rax, -PAGE_SIZE
    ret

; elf_map_segment: map a segment's pages zeroed and writable (pages a previous segment mapped stay).
; IN: rdi = program header. OUT: rax = 0, or -1 when out of memory. Clobbers: caller-saved registers.
elf_map_segment:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call elf_segment_pages
    mov rbx, rax
    mov r12, rdx
.page:
    cmp rbx, r12
    jae .done
    mov rdi, rbx
    call translate
    cmp rax, PAGING_ERROR
    jne .next
    mov rdi, rbx
    mov esi, PAGE_SIZE
    mov edx, PTE_WRITABLE
    call user_map_zeroed
    test rax, rax
    jnz .failed
.next:
    add rbx, PAGE_SIZE
    jmp .page
.done:
    xor eax, eax
.failed:
    pop r12
    pop rbx
    pop rbp
    ret

; elf_protect_segment: read-only unless PF_W, no-execute unless PF_X.
; IN: rdi = program header. OUT: nothing. Clobbers: caller-saved registers.
elf_protect_segment:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r13d, [rdi + ELF_P_FLAGS]
    call elf_segment_pages
    mov rbx, rax
    mov r12, rdx
.page:
    cmp rbx, r12
    jae .done
    mov rdi, rbx
    xor esi, esi
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .next
    mov rcx, [rax]
    test r13d, ELF_PF_W
    jnz .writable
    and rcx, ~PTE_WRITABLE
.writable:
    test r13d, ELF_PF_X
    jnz .executable
    or rcx, [rel pte_nx]
.executable:
    mov [rax], rcx
    invlpg [rbx]
.next:
    add rbx, PAGE_SIZE
    jmp .page
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
