; The built-in user programs: position-independent ring-3 code (only rip-relative references), kept
; in .rodata and copied to USER_CODE_BASE of each process that runs one. spawn() finds them by name.
; They talk to the kernel only through syscalls (user/syscall.asm).

%macro USER_SYSCALL 1
    mov eax, %1
    syscall
%endmacro

section .rodata
    align 8
user_programs:
    dq user_name_init, user_init, user_init_end
    dq user_name_hello, user_hello, user_hello_end
    dq user_name_int80, user_int80, user_int80_end
    dq user_name_badptr, user_badptr, user_badptr_end
    dq user_name_fault, user_fault_program, user_fault_program_end
    dq user_name_privileged, user_privileged, user_privileged_end
    dq user_name_mmap, user_mmap, user_mmap_end
    dq user_name_space, user_space, user_space_end
    dq user_name_echo, user_echo, user_echo_end
    dq user_name_bench_syscall, user_bench_syscall, user_bench_syscall_end
user_programs_end:
user_name_init:         db "/bin/init", 0
user_name_hello:        db "/bin/hello", 0
user_name_int80:        db "/bin/int80", 0
user_name_badptr:       db "/bin/badptr", 0
user_name_fault:        db "/bin/fault", 0
user_name_privileged:   db "/bin/privileged", 0
user_name_mmap:         db "/bin/mmap", 0
user_name_space:        db "/bin/space", 0
user_name_echo:         db "/bin/echo", 0
user_name_bench_syscall: db "/bin/bench-syscall", 0

; /bin/init: greets, spawns /bin/echo (the console), exits 0 when the spawn worked.
user_init:
    mov edi, 1
    lea rsi, [rel .greeting]
    mov edx, .greeting_end - .greeting
    USER_SYSCALL SYS_WRITE
    lea rdi, [rel .child]
    USER_SYSCALL SYS_SPAWN
    xor edi, edi
    test rax, rax
    jg .spawned
    mov edi, 1
.spawned:
    USER_SYSCALL SYS_EXIT
.greeting:  db `init: hello from ring 3\n`
.greeting_end:
.child:     db "/bin/echo", 0
user_init_end:

; /bin/echo: reads the keyboard and writes back what was typed, forever.
user_echo:
    mov edi, 1
    lea rsi, [rel .prompt]
    mov edx, .prompt_end - .prompt
    USER_SYSCALL SYS_WRITE
    sub rsp, 64
.next:
    xor edi, edi
    mov rsi, rsp
    mov edx, 64
    USER_SYSCALL SYS_READ
    test rax, rax
    jle .next
    mov edi, 1
    mov rsi, rsp
    mov rdx, rax
    USER_SYSCALL SYS_WRITE
    jmp .next
.prompt:    db `echo: type here\n`
.prompt_end:
user_echo_end:

; /bin/hello: writes a line; exits with what write returned (the length).
user_hello:
    mov edi, 1
    lea rsi, [rel .text]
    mov edx, .text_end - .text
    USER_SYSCALL SYS_WRITE
    mov rdi, rax
    USER_SYSCALL SYS_EXIT
.text:      db `hello from ring 3 (syscall)\n`
.text_end:
user_hello_end:

; /bin/int80: the same calls through int 0x80: exits with its pid.
user_int80:
    mov eax, SYS_GETPID
    int VECTOR_SYSCALL
    mov rdi, rax
    mov eax, SYS_EXIT
    int VECTOR_SYSCALL
user_int80_end:

; /bin/badptr: every bad argument must come back as an error; exits with one bit per check passed.
user_badptr:
    xor ebx, ebx
    mov edi, 1                              ; a kernel pointer
    mov rsi, 0xffffffff80000000
    mov edx, 8
    USER_SYSCALL SYS_WRITE
    cmp rax, -EFAULT
    jne .check_2
    or ebx, 1
.check_2:
    mov edi, 1                              ; unmapped user memory
    mov esi, 0x1000
    mov edx, 8
    USER_SYSCALL SYS_WRITE
    cmp rax, -EFAULT
    jne .check_3
    or ebx, 2
.check_3:
    mov edi, 1                              ; a length that wraps around
    lea rsi, [rel user_badptr]
    mov rdx, -16
    USER_SYSCALL SYS_WRITE
    cmp rax, -EFAULT
    jne .check_4
    or ebx, 4
.check_4:
    USER_SYSCALL 999                        ; no such call
    cmp rax, -ENOSYS
    jne .check_5
    or ebx, 8
.check_5:
    xor edi, edi                            ; read into read-only code
    lea rsi, [rel user_badptr]
    mov edx, 4
    USER_SYSCALL SYS_READ
    cmp rax, -EFAULT
    jne .check_6
    or ebx, 16
.check_6:
    mov edi, 7                              ; no such file descriptor
    lea rsi, [rel user_badptr]
    mov edx, 1
    USER_SYSCALL SYS_WRITE
    cmp rax, -EBADF
    jne .done
    or ebx, 32
.done:
    mov edi, ebx
    USER_SYSCALL SYS_EXIT
user_badptr_end:

; /bin/fault: writes to address 0 (unmapped): the kernel must kill it.
user_fault_program:
    mov qword [abs 0], 1
    USER_SYSCALL SYS_EXIT
user_fault_program_end:

; /bin/privileged: a ring-0 instruction: #GP, killed.
user_privileged:
    cli
    USER_SYSCALL SYS_EXIT
user_privileged_end:

; /bin/mmap: anonymous memory is zeroed and writable; a zero length is refused. Exits 1 when all held.
user_mmap:
    xor edi, edi
    USER_SYSCALL SYS_MMAP
    cmp rax, -EINVAL
    jne .failed
    mov edi, 8192
    USER_SYSCALL SYS_MMAP
    test rax, rax
    js .failed
    mov rbx, rax
    mov rcx, 8192 / 8
    mov rdi, rbx
.zero:
    cmp qword [rdi], 0
    jne .failed
    add rdi, 8
    dec rcx
    jnz .zero
    mov rax, 0x1234567890abcdef
    mov [rbx], rax
    mov [rbx + 8192 - 8], rax
    cmp [rbx + 8192 - 8], rax
    jne .failed
    mov edi, 1
    USER_SYSCALL SYS_EXIT
.failed:
    xor edi, edi
    USER_SYSCALL SYS_EXIT
user_mmap_end:

; /bin/space: stores its pid at the address of its first mapping (the same address in every
; process), sleeps and yields so others run, then checks it is still its own. Exits 1 when it is.
user_space:
    mov edi, 4096
    USER_SYSCALL SYS_MMAP
    test rax, rax
    js .failed
    mov rbx, rax
    USER_SYSCALL SYS_GETPID
    mov r12, rax
    mov [rbx], rax
    mov edi, 1
    USER_SYSCALL SYS_SLEEP
    USER_SYSCALL SYS_YIELD
    cmp [rbx], r12
    jne .failed
    mov edi, 1
    USER_SYSCALL SYS_EXIT
.failed:
    xor edi, edi
    USER_SYSCALL SYS_EXIT
user_space_end:

; /bin/bench-syscall: cycles of a null syscall (getpid) round trip, median of 15 rounds of 1000;
; exits with it (the kernel's bench prints it).
USER_BENCH_ROUNDS       equ 15
USER_BENCH_ITERATIONS   equ 1000
user_bench_syscall:
    sub rsp, USER_BENCH_ROUNDS * 8
    xor r12d, r12d                          ; round
.round:
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r13, rax
    mov ebx, USER_BENCH_ITERATIONS
.call:
    USER_SYSCALL SYS_GETPID
    dec ebx
    jnz .call
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, r13
    xor edx, edx
    mov ecx, USER_BENCH_ITERATIONS
    div rcx
    ; Insertion into the sorted samples so far.
    mov rcx, r12
.place:
    test rcx, rcx
    jz .placed
    cmp [rsp + rcx * 8 - 8], rax
    jbe .placed
    mov rdx, [rsp + rcx * 8 - 8]
    mov [rsp + rcx * 8], rdx
    dec rcx
    jmp .place
.placed:
    mov [rsp + rcx * 8], rax
    inc r12
    cmp r12, USER_BENCH_ROUNDS
    jb .round
    mov rdi, [rsp + (USER_BENCH_ROUNDS / 2) * 8]
    USER_SYSCALL SYS_EXIT
user_bench_syscall_end:

section .text
