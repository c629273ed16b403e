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
;   7 spawn(path)              a program from the initrd, else a built-in one ("/bin/hello");
;                              returns its pid; the child is detached (freed when it exits)
;   8 open(path)               an initrd file, read only; returns fd (3-15)
;   9 close(fd)                returns 0
;  10 stat(path, buf)          buf: size, type (1 file, 2 directory), two quadwords; returns 0
;  11 readdir(path, i, buf, len) the i-th entry's name (not 0-terminated) into buf; returns its
;                              length, 0 past the last entry

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
SYS_OPEN            equ 8
SYS_CLOSE           equ 9
SYS_STAT            equ 10
SYS_READDIR         equ 11
SYSCALL_COUNT       equ 12
FIRST_FILE_FD       equ 3
ERRNO_MAX           equ 4095            ; results in [-4095, -1] are errors, as on Linux
ENOTDIR             equ 20
EISDIR              equ 21
EMFILE              equ 24
ERANGE              equ 34
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
    dq sys_open, sys_close, sys_stat, sys_readdir
syscall_ready_text: db "syscalls: syscall/sysret (STAR/LSTAR/FMASK) and int 0x80, 12 calls", 0

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
    PUSH_FRAME_REGISTERS
    cld
    mov rdi, rsp
    mov rbx, rsp
    push qword [rdi + frame.rip]
    push qword [rdi + frame.rbp]
    mov rbp, rsp
    call syscall_dispatch
    mov rsp, rbx
    POP_FRAME_REGISTERS
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
    mov rdi, rbx
    mov rsi, r12
    call console_write                      ; in one piece: another writer cannot cut into it
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
    cmp rdi, FIRST_FILE_FD
    jb .console
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    jmp sys_read_file
.console:
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
    sub rsp, VFS_PATH_MAX
    mov rsi, rdi
    mov rdi, rsp
    call user_copy_path
    test rax, rax
    js .done
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
.not_found:
    mov rax, -ENOENT
    jmp .done
.no_memory:
    mov rax, -ENOMEM
.done:
    add rsp, VFS_PATH_MAX
    pop r12
    pop rbx
    pop rbp
    ret

; user_copy_path: copy a 0-terminated user string into a kernel buffer, each byte's page checked.
; IN: rdi = buffer (VFS_PATH_MAX bytes), rsi = user address. OUT: rax = length, or -EFAULT /
; -EINVAL (too long). Clobbers: caller-saved registers.
user_copy_path:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r13, rdi
    mov rbx, rsi
    xor r12d, r12d
.byte:
    cmp r12d, VFS_PATH_MAX
    je .too_long
    lea rdi, [rbx + r12]
    mov esi, 1
    xor edx, edx
    call user_range_ok
    test eax, eax
    jz .fault
    mov al, [rbx + r12]
    mov [r13 + r12], al
    test al, al
    jz .copied
    inc r12d
    jmp .byte
.copied:
    mov rax, r12
    jmp .done
.too_long:
    mov rax, -EINVAL
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

; user_lookup: a user path's node in the initrd.
; IN: rdi = user address of the path. OUT: rax = struc vfs_node (a kernel address), or a negative
; errno (-ERRNO_MAX..-1: test with JUMP_IF_ERRNO). Clobbers: caller-saved registers.
user_lookup:
    push rbp
    mov rbp, rsp
    sub rsp, VFS_PATH_MAX
    mov rsi, rdi
    mov rdi, rsp
    call user_copy_path
    test rax, rax
    js .done
    mov rax, -ENOENT
    cmp qword [rel vfs_nodes], 0
    je .done
    mov rdi, rsp
    call vfs_lookup_path
    test rax, rax
    jnz .done
    mov rax, -ENOENT
.done:
    leave
    ret

; JUMP_IF_ERRNO label: jump when rax is an error code (-ERRNO_MAX..-1) rather than a value; kernel
; pointers are negative too, so a sign test would not do.
%macro JUMP_IF_ERRNO 1
    cmp rax, -ERRNO_MAX
    jae %1
%endmacro

; process_file: the open-file slot of a descriptor of the running process.
; IN: rdi = fd. OUT: rax = slot (vfs_node, offset), or 0 when fd is not an open file. Clobbers: rcx.
process_file:
    xor eax, eax
    cmp rdi, FIRST_FILE_FD
    jb .done
    cmp rdi, PROCESS_FILES
    jae .done
    mov rax, rdi
    shl rax, 4
    mov rcx, [rel current_thread]
    lea rax, [rcx + thread.files + rax]
    cmp qword [rax], 0
    jne .done
    xor eax, eax
.done:
    ret

sys_open:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call user_lookup
    JUMP_IF_ERRNO .done
    cmp qword [rax + vfs_node.type], VFS_FILE
    jne .directory
    mov rcx, [rel current_thread]
    mov edx, FIRST_FILE_FD
.slot:
    cmp edx, PROCESS_FILES
    je .full
    mov r8, rdx
    shl r8, 4
    lea r8, [rcx + thread.files + r8]
    cmp qword [r8], 0
    je .free
    inc edx
    jmp .slot
.free:
    mov [r8], rax
    mov qword [r8 + 8], 0
    mov eax, edx
    jmp .done
.directory:
    mov rax, -EISDIR
    jmp .done
.full:
    mov rax, -EMFILE
.done:
    pop r12
    pop rbx
    pop rbp
    ret

sys_close:
    call process_file
    test rax, rax
    jz .bad_fd
    mov qword [rax], 0
    mov qword [rax + 8], 0
    xor eax, eax
    ret
.bad_fd:
    mov rax, -EBADF
    ret

; sys_read_file: read(fd, buf, len) on an open initrd file from its offset on.
sys_read_file:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r12, rsi
    mov r13, rdx
    call process_file
    test rax, rax
    jz .bad_fd
    mov rbx, rax
    mov rdi, r12
    mov rsi, r13
    mov edx, 1
    call user_range_ok
    test eax, eax
    jz .fault
    mov rax, [rbx]                          ; node
    mov rsi, [rax + vfs_node.start]
    mov rcx, [rax + vfs_node.end]
    sub rcx, rsi                            ; size
    mov rdx, [rbx + 8]                      ; offset
    sub rcx, rdx                            ; left
    cmp r13, rcx
    cmova r13, rcx
    add rsi, rdx
    mov rdi, r12
    mov rcx, r13
    rep movsb
    add [rbx + 8], r13
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

sys_stat:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov r12, rsi
    call user_lookup
    JUMP_IF_ERRNO .done
    mov rbx, rax
    mov rdi, r12
    mov esi, vfs_stat_size
    mov edx, 1
    call user_range_ok
    test eax, eax
    jz .fault
    mov rdi, rbx
    mov rsi, r12
    call vfs_fill_stat
    xor eax, eax
    jmp .done
.fault:
    mov rax, -EFAULT
.done:
    pop r12
    pop rbx
    pop rbp
    ret

sys_readdir:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r12, rsi                            ; index
    mov r13, rdx                            ; buf
    mov r14, rcx                            ; len
    call user_lookup
    JUMP_IF_ERRNO .done
    cmp qword [rax + vfs_node.type], VFS_DIRECTORY
    jne .not_directory
    mov rdi, rax
    mov rsi, r12
    call vfs_readdir
    test rax, rax
    jz .done                                ; 0: past the end
    ; The name: what follows the last '/'.
    mov rdi, [rax + vfs_node.name]
    mov rbx, rdi
.find:
    mov al, [rdi]
    test al, al
    jz .found
    inc rdi
    cmp al, '/'
    jne .find
    mov rbx, rdi
    jmp .find
.found:
    mov rdi, rbx
    call strlen
    mov r12, rax
    cmp r12, r14
    ja .too_small
    mov rdi, r13
    mov rsi, r12
    mov edx, 1
    call user_range_ok
    test eax, eax
    jz .fault
    mov rdi, r13
    mov rsi, rbx
    mov rcx, r12
    rep movsb
    mov rax, r12
    jmp .done
.not_directory:
    mov rax, -ENOTDIR
    jmp .done
.too_small:
    mov rax, -ERANGE
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
