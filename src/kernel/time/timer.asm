; Time: the local APIC timer, calibrated against the HPET (or the PIT), ticks at timer_hz and drives
; the scheduler; clock_ns reads the HPET (or the TSC calibrated the same way) for everything that
; needs real time (sleep deadlines, tests), so lost or late ticks under a slow emulator never make
; the clock drift.

TIMER_HZ                equ 250
TIMER_TEST_HZ           equ 1000    ; the test suite's tick: its timing tests wait a few ticks or slices
CALIBRATION_MS          equ 10
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

; timer_init: calibrate the local APIC timer and the TSC, then start the periodic tick.
; IN: rdi = ticks per second (1 to 1000). OUT: nothing. Clobbers: caller-saved registers.
timer_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
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
    call read_tsc
    mov r12, rax
    cmp qword [rel hpet_base], 0
    je .pit
    lea rax, [rel timer_reference_hpet]
    mov [rel timer_reference], rax
    call hpet_counter
    mov r13, rax
    mov rax, CALIBRATION_MS * 1000000000000 ; femtoseconds
    xor edx, edx
    div qword [rel hpet_period_fs]
    add r13, rax                            ; the HPET count that ends the interval
.hpet_wait:
    call hpet_counter
    cmp rax, r13
    jb .hpet_wait
    jmp .measured
.pit:
    lea rax, [rel timer_reference_pit]
    mov [rel timer_reference], rax
    mov edi, CALIBRATION_MS
    call pit_wait_ms
.measured:
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
