; Tests: threads (create, join, exit codes), preemption and fairness, yield order, FPU/SSE state
; across switches, spinlocks, stack guard pages.

SCHED_TEST_SSE_PATTERN  equ 0x5a5a0000a5a50000
SCHED_TEST_FAIR_TURNS   equ 5       ; turns each spinner gets before the fairness test judges,
SCHED_TEST_FAIR_MAX_TURNS equ 60    ; and up to how many more while their work is still uneven
SCHED_TEST_SSE_TURNS    equ 3       ; turns each SSE keeper gets (so it was preempted twice)
SCHED_TEST_TURNS_TIMEOUT_MS equ 2000

section .bss
sched_test_stop:        resq 1
sched_test_counters:    resq 2
sched_test_log:         resb 16
sched_test_log_length:  resq 1
sched_test_lock:        resq 1
sched_test_threads:     resq 2

section .rodata
sched_test_name_a:      db "test-a", 0
sched_test_name_b:      db "test-b", 0
sched_test_expected_log: db "ABABAB", 0

section .text

; sched_test_await_turns: sleep a tick at a time until both threads have been switched to at least
; `turns` times, or 2 s of clock_ns have passed (the caller's checks then fail). Waiting for turns,
; not for a fixed time, keeps the tests short and lets a slow or busy host only make them longer.
; IN: rdi, rsi = the threads, rdx = turns. OUT: nothing. Clobbers: caller-saved registers.
sched_test_await_turns:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov r12, rsi
    mov r13, rdx
    call clock_ns
    add rax, SCHED_TEST_TURNS_TIMEOUT_MS * NS_PER_MS
    mov r14, rax
.wait:
    mov edi, 1
    call thread_sleep_ms
    cmp [rbx + thread.runs], r13
    jb .not_yet
    cmp [r12 + thread.runs], r13
    jae .done
.not_yet:
    call clock_ns
    cmp rax, r14
    jb .wait
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; sched_test_work_even: whether the two spinners' counters are within a factor 4 of each other.
; IN: nothing. OUT: eax = 1 or 0. Clobbers: rcx.
sched_test_work_even:
    mov rax, [rel sched_test_counters]
    mov rcx, [rel sched_test_counters + 8]
    cmp rax, rcx
    jbe .ordered
    xchg rax, rcx
.ordered:
    shl rax, 2
    cmp rcx, rax
    setbe al
    movzx eax, al
    ret

; sched_test_double_plus_one: a thread body returning 2 * argument + 1.
sched_test_double_plus_one:
    lea rax, [rdi * 2 + 1]
    ret

TEST "sched: a thread gets its argument and join returns its exit code", test_sched_create_join
test_sched_create_join:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel sched_test_double_plus_one]
    mov esi, 20
    lea rdx, [rel sched_test_name_a]
    call thread_create
    ASSERT_NE rax, 0
    mov rdi, rax
    call thread_join
    mov rbx, rax
    ASSERT_EQ rbx, 41
    pop r12
    pop rbx
    pop rbp
    ret

; sched_test_spinner: count as fast as possible until told to stop; never yields.
; IN: rdi = index of its counter.
sched_test_spinner:
    lea rcx, [rel sched_test_counters]
    lea rcx, [rcx + rdi * 8]
.spin:
    inc qword [rcx]
    cmp qword [rel sched_test_stop], 0
    je .spin
    xor eax, eax
    ret

TEST "sched: two threads that never yield take turns while kmain sleeps (turns differ by at most one)", test_sched_fairness
test_sched_fairness:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov qword [rel sched_test_stop], 0
    mov qword [rel sched_test_counters], 0
    mov qword [rel sched_test_counters + 8], 0
    lea rdi, [rel sched_test_spinner]
    xor esi, esi
    lea rdx, [rel sched_test_name_a]
    call thread_create
    ASSERT_NE rax, 0
    mov rbx, rax
    lea rdi, [rel sched_test_spinner]
    mov esi, 1
    lea rdx, [rel sched_test_name_b]
    call thread_create
    ASSERT_NE rax, 0
    mov r12, rax
    ; A host that holds the guest back in some turns and not others makes their work uneven: then more
    ; turns even it out (a scheduler that favours one thread never does).
    mov r15d, SCHED_TEST_FAIR_TURNS
.more_turns:
    mov rdi, rbx
    mov rsi, r12
    mov edx, r15d
    call sched_test_await_turns
    call sched_test_work_even
    test eax, eax
    jnz .judge
    add r15d, SCHED_TEST_FAIR_TURNS
    cmp r15d, SCHED_TEST_FAIR_MAX_TURNS
    jbe .more_turns
.judge:
    pushfq
    cli                                     ; the turn counts and the stop at one moment
    mov qword [rel sched_test_stop], 1
    mov r13, [rbx + thread.runs]            ; read before join frees them
    mov r14, [r12 + thread.runs]
    popfq
    mov rdi, rbx
    call thread_join
    mov rdi, r12
    call thread_join
    ; Both were switched to more than once: the timer preempted them.
    cmp r13, 2
    setae al
    cmp r14, 2
    setae cl
    and al, cl
    movzx ebx, al
    ASSERT_EQ rbx, 1
    mov rax, [rel sched_test_counters]
    mov rcx, [rel sched_test_counters + 8]
    ASSERT_NE rax, 0
    ASSERT_NE rcx, 0
    ; Round robin: they took turns, so their turn counts differ by at most one.
    mov rax, r13
    sub rax, r14
    jae .difference
    neg rax
.difference:
    mov rbx, rax
    cmp rbx, 1
    setbe al
    movzx ebx, al
    ASSERT_EQ rbx, 1
    ; Their work is within a factor 4 (the emulator's speed varies between turns).
    call sched_test_work_even
    mov ebx, eax
    ASSERT_EQ rbx, 1
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; sched_test_yielder: three times: log a letter, yield (interrupts off, so only yield switches).
; IN: rdi = letter.
sched_test_yielder:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    cli
    mov r12d, 3
.round:
    mov rax, [rel sched_test_log_length]
    lea rcx, [rel sched_test_log]
    mov [rcx + rax], bl
    inc qword [rel sched_test_log_length]
    call thread_yield
    dec r12d
    jnz .round
    sti
    xor eax, eax
    pop r12
    pop rbx
    pop rbp
    ret

TEST "sched: yield hands the CPU round robin (A, B, A, B, ...)", test_sched_yield_order
test_sched_yield_order:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel sched_test_log]
    xor eax, eax
    mov ecx, 16
    rep stosb
    mov qword [rel sched_test_log_length], 0
    pushfq
    cli                                     ; both queued before either runs
    lea rdi, [rel sched_test_yielder]
    mov esi, 'A'
    lea rdx, [rel sched_test_name_a]
    call thread_create
    mov rbx, rax
    lea rdi, [rel sched_test_yielder]
    mov esi, 'B'
    lea rdx, [rel sched_test_name_b]
    call thread_create
    mov r12, rax
    popfq
    ASSERT_NE rbx, 0
    ASSERT_NE r12, 0
    mov rdi, rbx
    call thread_join
    mov rdi, r12
    call thread_join
    lea rcx, [rel sched_test_log]
    lea rdx, [rel sched_test_expected_log]
    ASSERT_STR_EQ rcx, rdx
    pop r12
    pop rbx
    pop rbp
    ret

; sched_test_sse_keeper: fill xmm0-xmm15 with a pattern made from the argument, spin until told to
; stop (being preempted meanwhile), then check every register. Returns how often it was switched to,
; or 0 on a mismatch.
; IN: rdi = seed.
sched_test_sse_keeper:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    sub rsp, 2 * 16 * 16                    ; what was loaded, then what came back
    mov rbx, SCHED_TEST_SSE_PATTERN
    xor rbx, rdi
    xor ecx, ecx
.fill:
    lea rax, [rbx + rcx]
    mov [rsp + rcx * 8], rax
    inc ecx
    cmp ecx, 32
    jb .fill
%assign xmm_index 0
%rep 16
    movdqu xmm %+ xmm_index, [rsp + xmm_index * 16]
%assign xmm_index xmm_index + 1
%endrep
.spin:
    pause
    cmp qword [rel sched_test_stop], 0
    je .spin
%assign xmm_index 0
%rep 16
    movdqu [rsp + 256 + xmm_index * 16], xmm %+ xmm_index
%assign xmm_index xmm_index + 1
%endrep
    mov rsi, rsp
    lea rdi, [rsp + 256]
    mov ecx, 32
    repe cmpsq
    mov eax, 0
    jne .done                               ; a register changed
    mov rax, [rel current_thread]
    mov rax, [rax + thread.runs]
.done:
    add rsp, 2 * 16 * 16
    pop r12
    pop rbx
    pop rbp
    ret

TEST "sched: SSE registers survive preemption in two threads using all of xmm0-xmm15", test_sched_sse_preserved
test_sched_sse_preserved:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov qword [rel sched_test_stop], 0
    lea rdi, [rel sched_test_sse_keeper]
    mov esi, 0x1111
    lea rdx, [rel sched_test_name_a]
    call thread_create
    ASSERT_NE rax, 0
    mov rbx, rax
    lea rdi, [rel sched_test_sse_keeper]
    mov esi, 0x2222
    lea rdx, [rel sched_test_name_b]
    call thread_create
    ASSERT_NE rax, 0
    mov r12, rax
    mov rdi, rbx
    mov rsi, r12
    mov edx, SCHED_TEST_SSE_TURNS
    call sched_test_await_turns
    mov qword [rel sched_test_stop], 1
    mov rdi, rbx
    call thread_join
    mov rbx, rax
    mov rdi, r12
    call thread_join
    mov r12, rax
    ; Each came back intact (nonzero) after its turns: preempted twice at least with its registers set.
    cmp rbx, SCHED_TEST_SSE_TURNS
    setae al
    cmp r12, SCHED_TEST_SSE_TURNS
    setae cl
    and al, cl
    movzx ebx, al
    ASSERT_EQ rbx, 1
    pop r12
    pop rbx
    pop rbp
    ret

TEST "sched: spin_lock_irqsave takes the lock with interrupts off; unlock restores them", test_sched_spinlock
test_sched_spinlock:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov qword [rel sched_test_lock], 0
    lea rdi, [rel sched_test_lock]
    call spin_lock_irqsave
    mov r12, rax
    pushfq
    pop rbx
    and ebx, RFLAGS_IF
    ASSERT_EQ rbx, 0
    ASSERT_EQ [rel sched_test_lock], 1
    lea rdi, [rel sched_test_lock]
    call spin_try_lock_irqsave
    mov rbx, rax
    ASSERT_EQ rbx, -1                       ; held: not taken again
    lea rdi, [rel sched_test_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    ASSERT_EQ [rel sched_test_lock], 0
    pushfq
    pop rbx
    and ebx, RFLAGS_IF
    ASSERT_EQ rbx, RFLAGS_IF
    pop r12
    pop rbx
    pop rbp
    ret

TEST "sched: every thread stack has an unmapped guard page below it; join unmaps the stack", test_sched_stack_guard
test_sched_stack_guard:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel sched_test_double_plus_one]
    xor esi, esi
    lea rdx, [rel sched_test_name_a]
    call thread_create
    ASSERT_NE rax, 0
    mov rbx, rax
    mov r12, [rbx + thread.stack_bottom]
    lea rdi, [r12 - 8]
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    mov rdi, r12
    call translate
    ASSERT_NE rax, PAGING_ERROR
    mov rdi, [rbx + thread.stack_top]
    sub rdi, 8
    call translate
    ASSERT_NE rax, PAGING_ERROR
    mov rdi, rbx
    call thread_join
    mov rdi, r12
    call translate
    ASSERT_EQ rax, PAGING_ERROR
    pop r12
    pop rbx
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "sched: touching a thread's guard page faults", test_sched_guard_faults, VECTOR_PAGE_FAULT, 0
test_sched_guard_faults:
    push rbp
    mov rbp, rsp
    mov rax, [rel idle_thread]
    mov rax, [rax + thread.stack_bottom]
    mov rax, [rax - 8]
    pop rbp
    ret

TEST "sched: a detached thread's stack goes back to the frame allocator after it exits", test_sched_detached_reaped
test_sched_detached_reaped:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call thread_reap_zombies
    mov r12, [rel pmm_free_frames]
    lea rdi, [rel sched_test_double_plus_one]
    xor esi, esi
    lea rdx, [rel sched_test_name_a]
    call thread_create
    ASSERT_NE rax, 0
    mov rbx, rax
    mov rdi, rbx
    call thread_detach
    call thread_yield                       ; round robin: it runs and exits before kmain is back
    ASSERT_EQ [rel zombies], rbx
    call thread_reap_zombies
    ASSERT_EQ [rel zombies], 0
    ASSERT_EQ [rel pmm_free_frames], r12
    pop r12
    pop rbx
    pop rbp
    ret
