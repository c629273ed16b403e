; System calls, from ring 3 through `syscall` (STAR/LSTAR/FMASK; back with sysret) or `int 0x80`
; (back with iretq). Both build the same register frame the interrupt stubs build and call
; syscall_dispatch: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9 (r10 for the fourth, as
; `syscall` overwrites rcx), result in rax (negative errno on failure). Every user pointer is checked
; against the lower half and the page tables (present, user, writable when written) before use.
;
;   0 write(fd, buf, len)      fd 1 or 2: the console; returns len
;   1 read(fd, buf, len)       fd 0: the keyboard; waits for one character at least; returns count
;   2 exit(code)               does not return
;   3 yield()                  returns 0
;   4 sleep(ms)                returns 0
;   5 getpid()                 the process's thread id
;   6 mmap(len)                anonymous, zeroed, read/write; returns the address
;   7 spawn(name)              a built-in program by name (e.g. "/bin/hello"); returns its pid;
;                              the child is detached (freed when it exits)

MSR_STAR            equ 0xc0000081
MSR_LSTAR           equ 0xc0000082
MSR_FMASK           equ 0xc0000084
EFER_SCE            equ 1 << 0
RFLAGS_TF           equ 1 << 8
RFLAGS_DF           equ 1 << 10
RFLAGS_AC           equ 1 << 18
; sysret loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8: with user data at 0x18 and user code
; at 0x20 (cpu/gdt.asm), the base is 0x10. syscall loads CS = STAR[47:32], SS = that + 8.
STAR_VALUE          equ ((USER_DATA_SELECTOR & ~3) - 8) << 48 | KERNEL_CODE_SELECTOR << 32
VECTOR_SYSCALL      equ 0x80
IDT_USER_INTERRUPT_GATE equ 0xee        ; present, DPL 3 (int 0x80 from ring 3), interrupt gate

SYS_WRITE           equ 0
SYS_READ            equ 1
SYS_EXIT            equ 2
SYS_YIELD           equ 3
SYS_SLEEP           equ 4
SYS_GETPID          equ 5
SYS_MMAP            equ 6
SYS_SPAWN           equ 7
SYSCALL_COUNT       equ 8
EFAULT              equ 14
EINVAL              equ 22
ENOSYS              equ 38
ENOMEM              equ 12
ENOENT              equ 2
EBADF               equ 9
USER_NAME_MAX       equ 64
MMAP_MAX            equ 64 * 1024 * 1024

section .bss
syscall_kernel_rsp: resq 1      ; top of the running thread's kernel stack (switch_to sets it)
syscall_user_rsp:   resq 1      ; the user rsp between the `syscall` and the frame (one CPU, IF off)
syscall_count:      resq 1      ; syscalls served

section .rodata
syscall_table:
    dq sys_write, sys_read, sys_exit, sys_yield, sys_sleep, sys_getpid, sys_mmap, sys_spawn
syscall_ready_text: db "syscalls: syscall/sysret (STAR/LSTAR/FMASK) and int 0x80, 8 calls", 0

section .text

; syscall_init: enable `syscall`, point it at syscall_entry, open int 0x80 to ring 3.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
syscall_init:
    push rbp
    mov rbp, rsp
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_SCE
    wrmsr
    mov ecx, MSR_STAR
    mov rax, STAR_VALUE
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, MSR_LSTAR
    lea rax, [rel syscall_entry]
    mov rdx, rax
    shr rdx, 32
    wrmsr
    mov ecx, MSR_FMASK
    mov eax, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC
    xor edx, edx
    wrmsr
    mov byte [rel idt + VECTOR_SYSCALL * idt_gate_size + idt_gate.type], IDT_USER_INTERRUPT_GATE
    mov rax, [rel current_thread]
    mov rax, [rax + thread.stack_top]
    mov [rel syscall_kernel_rsp], rax
    mov edi, LOG_INFO
    lea rsi, [rel syscall_ready_text]
    call klog
    pop rbp
    ret

; syscall_entry: where `syscall` lands (rcx = user rip, r11 = user rflags, interrupts off, still
; on the user stack). Builds an interrupt-style frame on the thread's kernel stack.
syscall_entry:
    mov [rel syscall_user_rsp], rsp
    mov rsp, [rel syscall_kernel_rsp]
    push USER_DATA_SELECTOR
    push qword [rel syscall_user_rsp]
    push r11
    push USER_CODE_SELECTOR
    push rcx
    push 0
    push VECTOR_SYSCALL
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    mov rbx, rsp
    push qword [rdi + frame.rip]
    push qword [rdi + frame.rbp]
    mov rbp, rsp
    call syscall_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                             ; vector, error code
    ; sysret only to a canonical lower-half rip (a non-canonical one would fault in ring 0);
    ; anything else leaves through iretq, which checks it in ring 3.
    push rax
    mov rax, [rsp + 8]
    shr rax, 47
    pop rax
    jnz .iret
    mov rcx, [rsp]                          ; rip
    mov r11, [rsp + 16]                     ; rflags
    mov rsp, [rsp + 24]                     ; user rsp
    o64 sysret
.iret:
    iretq

; syscall_dispatch: run the syscall a frame asks for and put its result in frame.rax. Interrupts
; are on while it runs (read and sleep wait); a process that exits does not come back.
; IN: rdi = frame. OUT: nothing. Clobbers: caller-saved registers.
syscall_dispatch:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    inc qword [rel syscall_count]
    sti
    mov rax, [rbx + frame.rax]
    cmp rax, SYSCALL_COUNT
    jae .unknown
    lea rcx, [rel syscall_table]
    mov rax, [rcx + rax * 8]
    mov rdi, [rbx + frame.rdi]
    mov rsi, [rbx + frame.rsi]
    mov rdx, [rbx + frame.rdx]
    mov rcx, [rbx + frame.r10]
    mov r8, [rbx + frame.r8]
    mov r9, [rbx + frame.r9]
    call rax
    jmp .result
.unknown:
    mov rax, -ENOSYS
.result:
    cli
    mov [rbx + frame.rax], rax
    pop r12
    pop rbx
    pop rbp
    ret

; user_range_ok: whether [address, address + length) lies in the lower half and every page of it
; is mapped for ring 3 (and writable, when asked).
; IN: rdi = address, rsi = length, edx = 1 when the kernel will write it. OUT: eax = 1 or 0.
; Clobbers: caller-saved registers.
user_range_ok:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov r12, rdi
    add r12, rsi
    jc .bad                                 ; wraps around
    mov rax, USER_LIMIT
    cmp r12, rax
    ja .bad
    mov r13, PTE_PRESENT | PTE_USER
    test edx, edx
    jz .no_write
    or r13, PTE_WRITABLE
.no_write:
    test rsi, rsi
    jz .good
    and rbx, -PAGE_SIZE
.page:
    cmp rbx, r12
    jae .good
    mov rdi, rbx
    xor esi, esi
    mov edx, 1
    call page_table_entry
    test rax, rax
    jz .bad
    mov rax, [rax]
    and rax, r13
    cmp rax, r13
    jne .bad
    add rbx, PAGE_SIZE
    jmp .page
.good:
    mov eax, 1
    jmp .done
.bad:
    xor eax, eax
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; The calls. IN: rdi, rsi, rdx, rcx (the user's r10), r8, r9 = arguments. OUT: rax = result.
; Clobbers: caller-saved registers.
sys_write:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    cmp rdi, 1
    je .console
    cmp rdi, 2
    jne .bad_fd
.console:
    mov rbx, rsi
    mov r12, rdx
    mov rdi, rsi
    mov rsi, rdx
    xor edx, edx
    call user_range_ok
    test eax, eax
    jz .fault
    xor r13d, r13d
.byte:
    cmp r13, r12
    jae .written
    movzx edi, byte [rbx + r13]
    call console_putc
    inc r13
    jmp .byte
.written:
    mov rax, r12
    jmp .done
.bad_fd:
    mov rax, -EBADF
    jmp .done
.fault:
    mov rax, -EFAULT
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

sys_read:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    test rdi, rdi
    jnz .bad_fd
    mov rbx, rsi
    mov r12, rdx
    xor eax, eax
    test r12, r12
    jz .done
    mov rdi, rsi
    mov rsi, rdx
    mov edx, 1
    call user_range_ok
    test eax, eax
    jz .fault
    call keyboard_wait_char                 ; at least one
    mov [rbx], al
    mov r13d, 1
.more:
    cmp r13, r12
    jae .read
    call keyboard_read_char
    cmp rax, -1
    je .read
    mov [rbx + r13], al
    inc r13
    jmp .more
.read:
    mov rax, r13
    jmp .done
.bad_fd:
    mov rax, -EBADF
    jmp .done
.fault:
    mov rax, -EFAULT
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

sys_exit:
    call process_exit

sys_yield:
    push rbp
    mov rbp, rsp
    call thread_yield
    xor eax, eax
    pop rbp
    ret

sys_sleep:
    push rbp
    mov rbp, rsp
    mov eax, 0xffffffff                     ; 49 days at most: keeps ms * 10^6 inside 64 bits
    cmp rdi, rax
    mov rax, -EINVAL
    ja .done
    call thread_sleep_ms
    xor eax, eax
.done:
    pop rbp
    ret

sys_getpid:
    mov rax, [rel current_thread]
    mov rax, [rax + thread.id]
    ret

sys_mmap:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rax, -EINVAL
    test rdi, rdi
    jz .done
    cmp rdi, MMAP_MAX
    ja .done
    lea r12, [rdi + PAGE_SIZE - 1]
    and r12, -PAGE_SIZE
    mov rax, [rel current_thread]
    mov rbx, [rax + thread.mmap_next]
    lea rcx, [rbx + r12 + PAGE_SIZE]        ; a guard page between mappings
    mov [rax + thread.mmap_next], rcx
    mov rdi, rbx
    mov rsi, r12
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE
    call user_map_zeroed
    test rax, rax
    jnz .no_memory
    mov rax, rbx
    jmp .done
.no_memory:
    mov rax, -ENOMEM
.done:
    pop r12
    pop rbx
    pop rbp
    ret

sys_spawn:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    sub rsp, USER_NAME_MAX
    ; Copy the name in, byte by byte, each byte's page checked.
    mov rbx, rdi
    xor r12d, r12d
.byte:
    cmp r12d, USER_NAME_MAX
    je .invalid
    lea rdi, [rbx + r12]
    mov esi, 1
    xor edx, edx
    call user_range_ok
    test eax, eax
    jz .fault
    mov al, [rbx + r12]
    mov [rsp + r12], al
    test al, al
    jz .copied
    inc r12d
    jmp .byte
.copied:
    mov rdi, rsp
    call user_program_find
    test rax, rax
    jz .not_found
    mov rdi, rax
    call process_spawn
    test rax, rax
    jz .no_memory
    mov r12, [rax + thread.id]
    mov rdi, rax
    call thread_detach                      ; no wait() yet: nobody joins it
    mov rax, r12
    jmp .done
.invalid:
    mov rax, -EINVAL
    jmp .done
.fault:
    mov rax, -EFAULT
    jmp .done
.not_found:
    mov rax, -ENOENT
    jmp .done
.no_memory:
    mov rax, -ENOMEM
.done:
    add rsp, USER_NAME_MAX
    pop r12
    pop rbx
    pop rbp
    ret
