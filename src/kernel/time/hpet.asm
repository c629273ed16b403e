; The HPET: its main counter is the kernel's clock when the ACPI tables list one (clock_ns), and the
; reference the local APIC timer and the TSC are calibrated against.

HPET_CAPABILITIES       equ 0x000
HPET_CONFIGURATION      equ 0x010
HPET_MAIN_COUNTER       equ 0x0f0
HPET_MMIO_SIZE          equ 0x400
HPET_ENABLE             equ 1 << 0
HPET_COUNTER_64BIT      equ 1 << 13
HPET_MAX_PERIOD_FS      equ 100000000       ; the specification's upper bound: 100 ns per tick
FEMTOSECONDS_PER_NS     equ 1000000

section .bss
hpet_base:          resq 1          ; virtual address of the registers, 0 without an HPET
hpet_period_fs:     resq 1          ; femtoseconds per counter tick

section .rodata
hpet_ready_format:  db "hpet: %u fs per tick (%u kHz), %u comparators, %u-bit counter", 0
hpet_bad_format:    db "hpet: implausible period of %u fs; not using the HPET", 0

section .text

; hpet_init: map the HPET the ACPI tables named and start its main counter.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
hpet_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rdi, [rel hpet_physical]
    test rdi, rdi
    jz .done
    mov esi, HPET_MMIO_SIZE
    call map_mmio
    mov rbx, rax
    mov r12, [rbx + HPET_CAPABILITIES]
    mov rax, r12
    shr rax, 32
    test rax, rax
    jz .bad
    cmp rax, HPET_MAX_PERIOD_FS
    ja .bad
    mov [rel hpet_period_fs], rax
    mov [rel hpet_base], rbx
    or qword [rbx + HPET_CONFIGURATION], HPET_ENABLE
    mov rax, 1000000000000                  ; femtoseconds per millisecond
    xor edx, edx
    div qword [rel hpet_period_fs]
    mov rcx, rax                            ; ticks per ms = kHz
    mov r8, r12
    shr r8, 8
    and r8d, 0x1f
    inc r8                                  ; the field holds the last comparator's number
    mov r9d, 32
    test r12, HPET_COUNTER_64BIT
    jz .width
    mov r9d, 64
.width:
    mov edi, LOG_INFO
    lea rsi, [rel hpet_ready_format]
    mov rdx, [rel hpet_period_fs]
    call klog
    jmp .done
.bad:
    mov edi, LOG_WARN
    lea rsi, [rel hpet_bad_format]
    mov rdx, r12
    shr rdx, 32
    call klog
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; hpet_counter: the HPET main counter.
; IN: nothing. OUT: rax = counter. Clobbers: nothing else.
hpet_counter:
    mov rax, [rel hpet_base]
    mov rax, [rax + HPET_MAIN_COUNTER]
    ret
