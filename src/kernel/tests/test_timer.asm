; Tests: calibration, the tick, the clock, sleeping. Durations are measured on clock_ns (the HPET),
; never against the host: an emulator may run the guest slowly, but its HPET and APIC timer agree.
; The waits are a few tick periods (timer_hz, 1000 Hz under test), with bounds in tick periods.

TIMER_TEST_TICKS        equ 10      ; ticks the tick-rate test waits for
TIMER_TEST_SLOWEST_TICK_MS equ 100  ; the longest it accepts per tick: the host may hold ticks back
TIMER_TEST_TIMEOUT_MS   equ 2000
TIMER_TEST_TRIES        equ 3
TIMER_TEST_SLEEP_MS     equ 4

section .text

TEST "timer: the local APIC timer and the TSC were calibrated to nonzero rates", test_timer_calibrated
test_timer_calibrated:
    push rbp
    mov rbp, rsp
    ASSERT_NE [rel lapic_ticks_per_ms], 0
    ASSERT_NE [rel tsc_per_ms], 0
    pop rbp
    ret

TEST "timer: clock_ns never goes backwards", test_timer_clock_monotonic
test_timer_clock_monotonic:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call clock_ns
    mov rbx, rax
    mov r12d, 2000
.next:
    call clock_ns
    cmp rax, rbx
    jb .backwards
    mov rbx, rax
    dec r12d
    jnz .next
    xor eax, eax
.backwards:
    mov rbx, rax
    ASSERT_EQ rbx, 0                        ; 0: no reading was smaller than the one before it
    pop r12
    pop rbx
    pop rbp
    ret

; tick_period_ns: nanoseconds between two ticks.
; IN: nothing. OUT: rax = 1000000000 / timer_hz. Clobbers: rdx.
tick_period_ns:
    mov eax, 1000000000
    xor edx, edx
    div qword [rel timer_hz]
    ret

TEST "timer: the local APIC timer is periodic on its vector, divides by 16 and counts one tick period per tick", test_timer_programmed
test_timer_programmed:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov edi, LAPIC_LVT_TIMER
    call lapic_read
    and eax, LAPIC_TIMER_PERIODIC | LAPIC_LVT_MASKED | 0xff
    mov ebx, eax
    ASSERT_EQ rbx, LAPIC_TIMER_PERIODIC | VECTOR_TIMER
    mov edi, LAPIC_TIMER_DIVIDE
    call lapic_read
    and eax, 0xb                            ; the divide bits (3, 1, 0)
    mov ebx, eax
    ASSERT_EQ rbx, LAPIC_TIMER_DIVIDE_16    ; as calibrated
    ; The count per tick is what the calibration measured in one tick period.
    mov rax, [rel lapic_ticks_per_ms]
    imul rax, rax, 1000
    xor edx, edx
    div qword [rel timer_hz]
    mov r12, rax
    mov edi, LAPIC_TIMER_INITIAL
    call lapic_read
    mov ebx, eax
    ASSERT_EQ rbx, r12
    pop r12
    pop rbx
    pop rbp
    ret

TEST "timer: 10 ticks take at least 9 tick periods of clock_ns (never faster), and keep coming", test_timer_ticks_advance
test_timer_ticks_advance:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    call tick_period_ns
    mov r15, rax
    mov rbx, [rel timer_ticks]
    call clock_ns
    mov r12, rax
    lea r14, [rax + TIMER_TEST_TICKS * TIMER_TEST_SLOWEST_TICK_MS * NS_PER_MS]
.wait:
    pause
    mov r13, [rel timer_ticks]
    sub r13, rbx
    cmp r13, TIMER_TEST_TICKS
    jae .seen
    call clock_ns
    cmp rax, r14
    jb .wait
.seen:
    ; All of them came: at most 100 ms each. (An emulator whose process is descheduled merges the ticks
    ; that came due meanwhile, so only a stopped or far too slow timer fails here; the test above
    ; checks the rate it is programmed with.) Two may come between polls when the host holds us back.
    cmp r13, TIMER_TEST_TICKS
    setae al
    movzx ebx, al
    ASSERT_EQ rbx, 1
    ; Never more ticks than time allows. N ticks span N-1 periods (the first may come just before
    ; the start was read), and the calibrated period may be a little short of tick_period_ns, so the
    ; whole periods in the elapsed time can be N-2: two of slack, which still fails a timer 12% fast.
    call clock_ns
    sub rax, r12
    xor edx, edx
    div r15
    lea r14, [rax + 2]                      ; whole tick periods the elapsed time holds, plus two
    cmp r13, r14
    setbe al
    movzx ebx, al
    ASSERT_EQ rbx, 1
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "timer: thread_sleep_ms(4) sleeps at least 4 ms of clock_ns and wakes on the first tick after its deadline", test_timer_sleep_accuracy
test_timer_sleep_accuracy:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r13d, TIMER_TEST_TRIES
.try:
    call clock_ns
    mov r12, rax
    mov edi, TIMER_TEST_SLEEP_MS
    call thread_sleep_ms
    pushfq
    cli
    mov r14, [rel tick_previous_ns]         ; the tick before the one that woke us
    call clock_ns
    popfq
    sub rax, r12
    mov r12, rax
    ; Never shorter than asked, on any try ...
    cmp r12, TIMER_TEST_SLEEP_MS * NS_PER_MS
    setae al
    movzx ebx, al
    ASSERT_EQ rbx, 1
    ; ... and not a tick late: the tick before the waking one came before the deadline. (How late the
    ; waking tick itself is depends on the host; the tick-rate test bounds that.) A tick handled between
    ; the wake-up and the reading above spoils one try; another try is taken then.
    mov rax, [rel current_thread]
    mov rbx, [rax + thread.wake_ns]
    cmp r14, rbx
    jb .done
    dec r13d
    jnz .try
    cmp r14, rbx
    setb al
    movzx r14d, al
    ASSERT_EQ r14, 1
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
