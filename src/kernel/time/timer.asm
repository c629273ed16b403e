; Time: the local APIC timer, calibrated against the HPET (or the PIT), ticks at timer_hz and drives
; the scheduler; clock_ns reads the HPET (or the TSC calibrated the same way) for everything that
; needs real time (sleep deadlines, tests), so lost or late ticks under a slow emulator never make
; the clock drift.

TIMER_HZ                equ 250
TIMER_TEST_HZ           equ 1000    ; the test suite's tick: its timing tests wait a few ticks or slices
CALIBRATION_MS          equ 10      ; against the PIT
HPET_CALIBRATION_MS     equ 2       ; against the HPET, whose samples bracket the other counters
SAMPLE_MAX_FS           equ 20000000000 ; 20 us: the most two HPET reads around a sample may be apart
SAMPLE_TRIES            equ 100
NS_PER_MS               equ 1000000

section .bss
timer_ticks:            resq 1      ; timer interrupts so far
timer_hz:               resq 1      ; ticks per second
lapic_ticks_per_ms:     resq 1      ; local APIC timer counts per millisecond (divide by 16)
tsc_per_ms:             resq 1      ; TSC increments per millisecond (= TSC kHz)
timer_reference:        resq 1      ; name of what the calibration was measured against

section .rodata
timer_ready_format:     db "timer: local APIC timer %u ticks/ms, TSC %u kHz (calibrated against the %s), %u Hz tick", 0
timer_reference_hpet:   db "HPET", 0
timer_reference_pit:    db "PIT", 0
timer_zero_text:        db "timer: the local APIC timer does not count", 0

section .text

; clock_ns: nanoseconds since an arbitrary point, from the HPET or else the calibrated TSC.
; IN: nothing. OUT: rax = nanoseconds. Clobbers: rdx.
clock_ns:
    cmp qword [rel hpet_base], 0
    je .tsc
    call hpet_counter
    mul qword [rel hpet_period_fs]
    push rcx
    mov rcx, FEMTOSECONDS_PER_NS
    div rcx
    pop rcx
    ret
.tsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rdx, NS_PER_MS
    mul rdx
    div qword [rel tsc_per_ms]
    ret

; busy_wait_ns: spin for a duration measured on clock_ns (interrupts may come and go meanwhile).
; IN: rdi = nanoseconds. OUT: nothing. Clobbers: rax, rdx, rsi.
busy_wait_ns:
    mov rsi, rdi
    call clock_ns
    add rsi, rax
.wait:
    pause
    call clock_ns
    cmp rax, rsi
    jb .wait
    ret

; timer_sample: the HPET counter, the local APIC timer's current count and the TSC at one moment: the
; two are read between two HPET reads, again while those are more than SAMPLE_MAX_FS apart (a guest
; descheduled by its host, or an SMI, in between would skew the calibration); the HPET count is the
; middle of the two. Interrupts must be off.
; IN: nothing. OUT: rax = HPET count, rdx = LAPIC current count, rcx = TSC. Clobbers: rsi, rdi, r8-r11.
timer_sample:
    push rbx
    push r12
    push r13
    push r14
    mov rax, SAMPLE_MAX_FS
    xor edx, edx
    div qword [rel hpet_period_fs]
    mov r14, rax                            ; the most HPET ticks a sample may take
    mov r13d, SAMPLE_TRIES
.try:
    call hpet_counter
    mov rbx, rax
    mov edi, LAPIC_TIMER_CURRENT
    call lapic_read
    mov r12d, eax
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov r8, rax
    call hpet_counter
    sub rax, rbx
    cmp rax, r14
    jbe .taken
    dec r13d
    jnz .try                                ; (after SAMPLE_TRIES, the last one it is)
.taken:
    shr rax, 1
    add rax, rbx
    mov edx, r12d
    mov rcx, r8
    pop r14
    pop r13
    pop r12
    pop rbx
    ret

; timer_init: calibrate the local APIC timer and the TSC, then start the periodic tick.
; IN: rdi = ticks per second (1 to 1000). OUT: nothing. Clobbers: caller-saved registers.
timer_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    pushfq
    cli
    mov [rel timer_hz], rdi
    call hpet_init
    mov edi, LAPIC_TIMER_DIVIDE
    mov esi, LAPIC_TIMER_DIVIDE_16
    call lapic_write
    mov edi, LAPIC_LVT_TIMER
    mov esi, LAPIC_LVT_MASKED | VECTOR_TIMER
    call lapic_write
    mov edi, LAPIC_TIMER_INITIAL
    mov esi, 0xffffffff
    call lapic_write
    cmp qword [rel hpet_base], 0
    je .pit
    ; Against the HPET: two samples HPET_CALIBRATION_MS apart; the rates are the other counters'
    ; progress over the HPET time between them.
    lea rax, [rel timer_reference_hpet]
    mov [rel timer_reference], rax
    call timer_sample
    mov rbx, rax                            ; HPET
    mov r12, rdx                            ; LAPIC count (counting down)
    mov r13, rcx                            ; TSC
    mov rax, HPET_CALIBRATION_MS * 1000000000000 ; femtoseconds
    xor edx, edx
    div qword [rel hpet_period_fs]
    lea r15, [rbx + rax]                    ; the HPET count that ends the interval
.hpet_wait:
    call hpet_counter
    cmp rax, r15
    jb .hpet_wait
    call timer_sample
    sub r12, rdx                            ; LAPIC counts
    sub rcx, r13
    mov r13, rcx                            ; TSC increments
    sub rax, rbx
    mul qword [rel hpet_period_fs]
    mov rcx, FEMTOSECONDS_PER_NS
    div rcx
    mov r15, rax                            ; nanoseconds between the samples
    mov rax, r13
    mov ecx, NS_PER_MS
    mul rcx
    div r15
    mov [rel tsc_per_ms], rax
    mov rax, r12
    mov ecx, NS_PER_MS
    mul rcx
    div r15
    jmp .measured
.pit:
    lea rax, [rel timer_reference_pit]
    mov [rel timer_reference], rax
    call read_tsc
    mov r12, rax
    mov edi, CALIBRATION_MS
    call pit_wait_ms
    mov edi, LAPIC_TIMER_CURRENT
    call lapic_read
    mov ebx, eax
    call read_tsc
    sub rax, r12
    xor edx, edx
    mov ecx, CALIBRATION_MS
    div rcx
    mov [rel tsc_per_ms], rax
    mov eax, 0xffffffff
    sub eax, ebx
    xor edx, edx
    mov ecx, CALIBRATION_MS
    div rcx
.measured:
    test rax, rax
    jz .not_counting
    mov [rel lapic_ticks_per_ms], rax
    mov edi, LAPIC_TIMER_INITIAL
    xor esi, esi
    call lapic_write                        ; stop the calibration count

    mov edi, VECTOR_TIMER
    lea rsi, [rel timer_interrupt]
    xor edx, edx
    call irq_register
    mov edi, LAPIC_LVT_TIMER
    mov esi, LAPIC_TIMER_PERIODIC | VECTOR_TIMER
    call lapic_write
    mov rax, [rel lapic_ticks_per_ms]
    imul rax, rax, 1000
    xor edx, edx
    div qword [rel timer_hz]
    mov edi, LAPIC_TIMER_INITIAL
    mov esi, eax
    call lapic_write
    mov edi, LOG_INFO
    lea rsi, [rel timer_ready_format]
    mov rdx, [rel lapic_ticks_per_ms]
    mov rcx, [rel tsc_per_ms]
    mov r8, [rel timer_reference]
    mov r9, [rel timer_hz]
    call klog
    popfq
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.not_counting:
    lea rdi, [rel timer_zero_text]
    call panic

; timer_interrupt: one tick: count it and let the scheduler wake sleepers and rotate threads.
; IN: rdi = context, rsi = frame. OUT: nothing. Clobbers: caller-saved registers.
timer_interrupt:
    push rbp
    mov rbp, rsp
    inc qword [rel timer_ticks]
    call scheduler_tick
    pop rbp
    ret
