; Tests: processes in ring 3: syscall and int 0x80, argument validation, faults that kill only the
; process, anonymous memory, separate address spaces, spawn.

section .rodata
user_test_unknown:  db "/bin/none", 0

section .text

; user_test_run: start a built-in program and wait for its exit code.
; IN: rdi = program name. OUT: rax = exit code, or -2 when it could not start. Clobbers: caller-saved.
user_test_run:
    push rbp
    mov rbp, rsp
    call user_builtin_find
    test rax, rax
    jz .missing
    mov rdi, rax
    call process_spawn
    test rax, rax
    jz .missing
    mov rdi, rax
    call thread_join
    jmp .done
.missing:
    mov rax, -2
.done:
    pop rbp
    ret

TEST "user: a ring-3 program writes through syscall and its exit code comes back through join", test_user_hello
test_user_hello:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, [rel syscall_count]
    lea rdi, [rel user_name_hello]
    call user_test_run
    mov r12, rax
    ASSERT_EQ r12, user_hello.text_end - user_hello.text
    sub rbx, [rel syscall_count]
    neg rbx
    ASSERT_EQ rbx, 2                        ; write and exit
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: int 0x80 reaches the same syscalls (getpid, exit)", test_user_int80
test_user_int80:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel user_name_int80]
    call user_program_find
    mov rdi, rax
    call process_spawn
    ASSERT_NE rax, 0
    mov r12, [rax + thread.id]
    mov rdi, rax
    call thread_join
    mov rbx, rax
    ASSERT_EQ rbx, r12
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: kernel, unmapped, wrapping and read-only pointers, bad fds and numbers are refused", test_user_bad_arguments
test_user_bad_arguments:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel user_name_badptr]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, 63                       ; every check of /bin/badptr passed
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: a page fault in ring 3 kills the process, and the kernel goes on", test_user_fault_kills
test_user_fault_kills:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel user_name_fault]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, PROCESS_KILLED
    lea rdi, [rel user_name_privileged]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, PROCESS_KILLED
    ; Still in business: another process runs normally.
    lea rdi, [rel user_name_hello]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, user_hello.text_end - user_hello.text
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: mmap gives zeroed writable memory and refuses a zero length", test_user_mmap
test_user_mmap:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel user_name_mmap]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, 1
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: two processes keep their own data at the same address; exit frees every frame", test_user_address_spaces
test_user_address_spaces:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r14, [rel pmm_free_frames]
    lea rdi, [rel user_name_space]
    call user_program_find
    mov rbx, rax
    mov rdi, rbx
    call process_spawn
    ASSERT_NE rax, 0
    mov r12, rax
    mov rdi, rbx
    call process_spawn
    ASSERT_NE rax, 0
    mov r13, rax
    mov rdi, r12
    call thread_join
    mov r12, rax
    mov rdi, r13
    call thread_join
    mov r13, rax
    ASSERT_EQ r12, 1
    ASSERT_EQ r13, 1
    ; Page tables, user pages and kernel stacks all went back to the frame allocator.
    ASSERT_EQ [rel pmm_free_frames], r14
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "user: /bin/init prints, spawns /bin/echo and exits 0; spawn of an unknown name fails", test_user_init_spawns
test_user_init_spawns:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov r12, [rel next_thread_id]
    lea rdi, [rel user_name_init]
    call user_test_run
    mov rbx, rax
    ASSERT_EQ rbx, 0
    ; init and its child both got an id.
    mov rbx, [rel next_thread_id]
    sub rbx, r12
    ASSERT_EQ rbx, 2
    lea rdi, [rel user_test_unknown]
    call user_program_find
    ASSERT_EQ rax, 0
    pop r12
    pop rbx
    pop rbp
    ret
