; Processes: a kernel thread that drops to ring 3 in an address space of its own. The PML4's lower
; half is the process's (code at USER_CODE_BASE, a stack under USER_STACK_TOP with an unmapped guard
; page below it, anonymous mappings from USER_MMAP_BASE up); the upper half is copied from the
; kernel's PML4, whose every upper entry exists from paging_init on, so the kernel is shared.
; A program is an ELF executable from the initrd (user/elf.asm loads it) or one of the programs built
; into the kernel (user/programs.asm), copied to USER_CODE_BASE.

USER_CODE_BASE      equ 0x400000
USER_STACK_TOP      equ 0x00007ffffffff000
USER_STACK_SIZE     equ 16 * 1024
USER_MMAP_BASE      equ 0x0000100000000000
USER_LIMIT          equ 0x0000800000000000     ; first address above the lower half
USER_RFLAGS         equ RFLAGS_IF | 2          ; bit 1 always reads as 1
PROCESS_KILLED      equ -1                     ; exit code of a process killed for a fault

struc user_program
    .name:      resq 1
    .start:     resq 1
    .end:       resq 1
endstruc

section .rodata
process_no_memory_text: db "user: no memory for process %s; it exits", 0
process_not_loadable_text: db "user: %s is not a loadable static ELF64 x86-64 executable; it exits", 0
process_killed_format:  db "user: process %u (%s) killed: %s at rip %p, cr2 %p", 0

section .text

; user_program_find: look a program up by path: a file in the initrd first, else a built-in one.
; IN: rdi = 0-terminated name. OUT: rax = struc user_program (or a vfs_node, which starts like one),
; or 0. Clobbers: caller-saved registers.
user_program_find:
    push rbp
    mov rbp, rsp
    push r12
    push r12                            ; (keeps the stack 16-byte aligned)
    mov r12, rdi
    cmp qword [rel vfs_nodes], 0
    je .builtin
    call vfs_lookup_path
    test rax, rax
    jz .builtin
    cmp qword [rax + vfs_node.type], VFS_FILE
    je .done
.builtin:
    mov rdi, r12
    call user_builtin_find
.done:
    pop r12
    pop r12
    pop rbp
    ret

; user_builtin_find: look a program up among the ones built into the kernel, whatever the initrd holds
; (the in-kernel tests run these, so their results do not depend on the initrd booted with).
; IN: rdi = 0-terminated name. OUT: rax = struc user_program, or 0. Clobbers: caller-saved registers.
user_builtin_find:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov r12, rdi
    lea rbx, [rel user_programs]
.next:
    lea rax, [rel user_programs_end]
    cmp rbx, rax
    jae .none
    mov rdi, [rbx + user_program.name]
    mov rsi, r12
    call string_equals
    test eax, eax
    jnz .found
    add rbx, user_program_size
    jmp .next
.found:
    mov rax, rbx
    jmp .done
.none:
    xor eax, eax
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; process_spawn: start a built-in program as a new process.
; IN: rdi = struc user_program. OUT: rax = its thread (join it for the exit code), or 0.
; Clobbers: caller-saved registers.
process_spawn:
    push rbp
    mov rbp, rsp
    mov rsi, rdi
    mov rdx, [rdi + user_program.name]
    lea rdi, [rel process_start]
    call thread_create
    pop rbp
    ret

; user_map_zeroed: map zeroed user pages.
; IN: rdi = first virtual address, rsi = length (page multiple), rdx = PTE bits besides PRESENT|USER.
; OUT: rax = 0, or -1 when out of memory (what was mapped stays, for address_space_free).
; Clobbers: caller-saved registers.
user_map_zeroed:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    lea r12, [rdi + rsi]
    mov r13, rdx
.page:
    cmp rbx, r12
    jae .done
    call alloc_zeroed_frame
    test rax, rax
    jz .no_memory
    mov r14, rax
    mov rdi, rbx
    mov rsi, r14
    mov rdx, r13
    or rdx, PTE_USER
    call map_page
    test rax, rax
    jnz .map_failed
    add rbx, PAGE_SIZE
    jmp .page
.map_failed:
    mov rdi, r14
    call free_frame
.no_memory:
    mov rax, -1
    jmp .out
.done:
    xor eax, eax
.out:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; process_start: the kernel side of a new process (a thread entry): build the address space, copy
; the program in, enter ring 3 at its first byte. Does not return.
; IN: rdi = struc user_program.
process_start:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    call alloc_zeroed_frame
    test rax, rax
    jz .no_memory
    mov r12, rax
    ; The kernel half: the kernel PML4's upper 256 entries.
    mov rsi, [rel kernel_pml4]
    add rsi, [rel hhdm_offset]
    add rsi, PAGE_SIZE / 2
    mov rdi, r12
    add rdi, [rel hhdm_offset]
    add rdi, PAGE_SIZE / 2
    mov ecx, ENTRIES_PER_TABLE / 2
    rep movsq
    cli
    mov rax, [rel current_thread]
    mov [rax + thread.cr3], r12
    mov qword [rax + thread.user], 1
    mov rcx, USER_MMAP_BASE
    mov [rax + thread.mmap_next], rcx
    mov cr3, r12
    sti
    ; An ELF executable (from the initrd) is loaded by its program headers; a built-in program is
    ; copied to USER_CODE_BASE.
    mov rdi, [rbx + user_program.start]
    mov rsi, [rbx + user_program.end]
    sub rsi, rdi
    call elf_is_executable
    test eax, eax
    jz .builtin
    mov rdi, [rbx + user_program.start]
    mov rsi, [rbx + user_program.end]
    sub rsi, rdi
    call elf_load
    cmp rax, -1
    je .not_loadable
    mov r12, rax
    jmp .stack
.builtin:
    ; Code: writable while it is copied in, then read + execute.
    mov r12, [rbx + user_program.end]
    sub r12, [rbx + user_program.start]
    mov edi, USER_CODE_BASE
    lea rsi, [r12 + PAGE_SIZE - 1]
    and rsi, -PAGE_SIZE
    mov edx, PTE_WRITABLE
    call user_map_zeroed
    test rax, rax
    jnz .no_memory
    mov edi, USER_CODE_BASE
    mov rsi, [rbx + user_program.start]
    mov rcx, r12
    rep movsb
    xor r12d, r12d
.protect:
    mov edi, USER_CODE_BASE
    add rdi, r12
    xor esi, esi
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .protected
    test qword [rax], PTE_PRESENT
    jz .protected
    and qword [rax], ~PTE_WRITABLE
    mov edi, USER_CODE_BASE
    add rdi, r12
    invlpg [rdi]
    add r12, PAGE_SIZE
    jmp .protect
.protected:
    mov r12d, USER_CODE_BASE
.stack:
    ; Stack, with the page below it left unmapped. r12: the entry point.
    mov rdi, USER_STACK_TOP - USER_STACK_SIZE
    mov esi, USER_STACK_SIZE
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE
    call user_map_zeroed
    test rax, rax
    jnz .no_memory
    ; Into ring 3 with clean registers.
    cli
    push USER_DATA_SELECTOR
    mov rax, USER_STACK_TOP
    push rax
    push USER_RFLAGS
    push USER_CODE_SELECTOR
    push r12
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    iretq
.not_loadable:
    mov edi, LOG_WARN
    lea rsi, [rel process_not_loadable_text]
    mov rdx, [rbx + user_program.name]
    call klog
    mov rdi, PROCESS_KILLED
    call process_exit
.no_memory:
    mov edi, LOG_WARN
    lea rsi, [rel process_no_memory_text]
    mov rdx, [rbx + user_program.name]
    call klog
    mov rdi, PROCESS_KILLED
    call process_exit

; process_exit: end the running process: back to the kernel's address space, free the process's,
; exit the thread. Also right for a process that never reached ring 3. Does not return.
; IN: rdi = exit code.
process_exit:
    push rbp
    mov rbp, rsp
    push rdi
    push rdi
    cli
    mov rax, [rel current_thread]
    mov rdi, [rax + thread.cr3]
    mov rcx, [rel kernel_pml4]
    mov [rax + thread.cr3], rcx
    mov cr3, rcx
    cmp rdi, rcx
    je .freed
    call address_space_free
.freed:
    pop rdi
    pop rdi
    call thread_exit

; address_space_free: free every page and table of a lower half, and the PML4 (never the live one).
; IN: rdi = physical address of the PML4. OUT: nothing. Clobbers: caller-saved registers.
address_space_free:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov rdi, rbx
    mov esi, 4
    call page_table_free_lower
    mov rdi, rbx
    call free_frame
    pop r12
    pop rbx
    pop rbp
    ret

; page_table_free_lower: free what a table maps (its lower half only, for a PML4), recursively,
; but not the table itself.
; IN: rdi = physical address of the table, esi = its level (4 = PML4 ... 1 = PT).
; OUT: nothing. Clobbers: caller-saved registers.
page_table_free_lower:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    add rbx, [rel hhdm_offset]
    mov r12d, esi
    xor r13d, r13d
    mov r14d, ENTRIES_PER_TABLE
    cmp r12d, 4
    jne .entry
    mov r14d, ENTRIES_PER_TABLE / 2         ; a PML4's upper half is the kernel's
.entry:
    cmp r13d, r14d
    jae .done
    mov rax, [rbx + r13 * 8]
    test rax, PTE_PRESENT
    jz .next
    mov rdi, PTE_ADDRESS_MASK
    and rdi, rax
    cmp r12d, 1
    je .leaf
    push rdi
    push rdi
    lea esi, [r12 - 1]
    call page_table_free_lower
    pop rdi
    pop rdi
.leaf:
    call free_frame
    mov qword [rbx + r13 * 8], 0
.next:
    inc r13d
    jmp .entry
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; user_fault: an exception in ring 3 ends the process, never the kernel. Does not return.
; IN: rdi = register frame.
user_fault:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov rax, [rbx + frame.vector]
    lea rcx, [rel exception_names]
    mov rcx, [rcx + rax * 8]
    mov rax, [rel current_thread]
    mov rdx, [rax + thread.id]
    lea r8, [rax + thread.name]
    mov r9, rcx
    mov edi, LOG_WARN
    lea rsi, [rel process_killed_format]
    mov rcx, r8
    mov r8, r9
    mov r9, [rbx + frame.rip]
    mov rax, cr2
    push rax
    push rax
    call klog
    add rsp, 16
    mov rdi, PROCESS_KILLED
    call process_exit
