; The local APIC: x2APIC (MSRs) when CPUID offers it, else xAPIC (uncached MMIO mapped with
; map_mmio). Spurious interrupts go to VECTOR_SPURIOUS, APIC errors to VECTOR_APIC_ERROR; LINT0 (the
; old PIC's ExtINT path) is masked. Every register access goes through lapic_read/lapic_write.

LAPIC_ID            equ 0x020
LAPIC_VERSION       equ 0x030
LAPIC_TPR           equ 0x080
LAPIC_EOI           equ 0x0b0
LAPIC_SVR           equ 0x0f0
LAPIC_ESR           equ 0x280
LAPIC_LVT_TIMER     equ 0x320
LAPIC_LVT_LINT0     equ 0x350
LAPIC_LVT_ERROR     equ 0x370
LAPIC_TIMER_INITIAL equ 0x380
LAPIC_TIMER_CURRENT equ 0x390
LAPIC_TIMER_DIVIDE  equ 0x3e0
LAPIC_SVR_ENABLE    equ 1 << 8
LAPIC_LVT_MASKED    equ 1 << 16
LAPIC_TIMER_PERIODIC equ 1 << 17
LAPIC_TIMER_DIVIDE_16 equ 0x3
LAPIC_MMIO_SIZE     equ 0x1000

section .bss
lapic_base:         resq 1          ; virtual address of the xAPIC registers (0 in x2APIC mode)
lapic_x2apic:       resq 1          ; 1 in x2APIC mode
lapic_id:           resq 1          ; this CPU's APIC ID (destination of every I/O APIC route)
lapic_error_count:  resq 1

section .rodata
lapic_mode_format:  db "lapic: %s, id %u, version %x, registers at %p", 0
lapic_mode_x2apic:  db "x2APIC", 0
lapic_mode_xapic:   db "xAPIC", 0
lapic_error_format: db "lapic: APIC error, ESR=%x", 0
lapic_none_text:    db "lapic: this CPU has no local APIC", 0

section .text

; lapic_read: read a local APIC register.
; IN: edi = xAPIC register offset. OUT: eax = value. Clobbers: rcx, rdx.
lapic_read:
    cmp qword [rel lapic_x2apic], 0
    jne .msr
    mov rax, [rel lapic_base]
    mov eax, [rax + rdi]
    ret
.msr:
    mov ecx, edi
    shr ecx, 4
    add ecx, MSR_X2APIC_BASE
    rdmsr
    ret

; lapic_write: write a local APIC register.
; IN: edi = xAPIC register offset, esi = value. OUT: nothing. Clobbers: rax, rcx, rdx.
lapic_write:
    cmp qword [rel lapic_x2apic], 0
    jne .msr
    mov rax, [rel lapic_base]
    mov [rax + rdi], esi
    ret
.msr:
    mov ecx, edi
    shr ecx, 4
    add ecx, MSR_X2APIC_BASE
    mov eax, esi
    xor edx, edx
    wrmsr
    ret

; lapic_eoi: signal the end of the interrupt being serviced.
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdx, rsi, rdi.
lapic_eoi:
    mov edi, LAPIC_EOI
    xor esi, esi
    jmp lapic_write

; lapic_init: enable the local APIC (x2APIC when available), set the spurious and error vectors,
; mask LINT0 and the timer, accept every priority.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
lapic_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov eax, CPUID_FEATURES
    cpuid
    test edx, CPUID_FEATURES_EDX_APIC
    jz .no_apic
    mov ebx, ecx
    mov ecx, MSR_APIC_BASE
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov r12, rax
    or r12, APIC_BASE_ENABLE
    test ebx, CPUID_FEATURES_ECX_X2APIC
    jz .xapic
    or r12, APIC_BASE_X2APIC
    mov qword [rel lapic_x2apic], 1
    jmp .enable
.xapic:
    ; The MADT's address is the one the platform documents; IA32_APIC_BASE has it too.
    mov rdi, [rel madt_lapic_address]
    test rdi, rdi
    jnz .have_address
    mov rdi, APIC_BASE_ADDRESS_MASK
    and rdi, r12
.have_address:
    mov esi, LAPIC_MMIO_SIZE
    call map_mmio
    mov [rel lapic_base], rax
.enable:
    mov ecx, MSR_APIC_BASE
    mov rax, r12
    mov rdx, r12
    shr rdx, 32
    wrmsr
    mov edi, LAPIC_TPR
    xor esi, esi
    call lapic_write
    mov edi, LAPIC_LVT_LINT0
    mov esi, LAPIC_LVT_MASKED
    call lapic_write
    mov edi, LAPIC_LVT_TIMER
    mov esi, LAPIC_LVT_MASKED | VECTOR_TIMER
    call lapic_write
    mov edi, LAPIC_LVT_ERROR
    mov esi, VECTOR_APIC_ERROR
    call lapic_write
    mov edi, LAPIC_SVR
    mov esi, LAPIC_SVR_ENABLE | VECTOR_SPURIOUS
    call lapic_write
    ; The error status register latches on a write; two clear anything left from the firmware.
    mov edi, LAPIC_ESR
    xor esi, esi
    call lapic_write
    mov edi, LAPIC_ESR
    xor esi, esi
    call lapic_write
    call lapic_eoi
    mov edi, LAPIC_ID
    call lapic_read
    cmp qword [rel lapic_x2apic], 0
    jne .have_id
    shr eax, 24                             ; xAPIC: the ID is in bits 24-31
.have_id:
    mov [rel lapic_id], rax
    mov edi, LAPIC_VERSION
    call lapic_read
    movzx ebx, al
    lea rdx, [rel lapic_mode_xapic]
    lea rax, [rel lapic_mode_x2apic]
    cmp qword [rel lapic_x2apic], 0
    cmovne rdx, rax
    mov edi, LOG_INFO
    lea rsi, [rel lapic_mode_format]
    mov rcx, [rel lapic_id]
    mov r8, rbx
    mov r9, [rel lapic_base]
    call klog
    pop r12
    pop rbx
    pop rbp
    ret
.no_apic:
    lea rdi, [rel lapic_none_text]
    call panic

; lapic_error_interrupt: an APIC error: read (after writing, as the manual says) and log the ESR.
; IN: rdi = context, rsi = frame. OUT: nothing. Clobbers: caller-saved registers.
lapic_error_interrupt:
    push rbp
    mov rbp, rsp
    inc qword [rel lapic_error_count]
    mov edi, LAPIC_ESR
    xor esi, esi
    call lapic_write
    mov edi, LAPIC_ESR
    call lapic_read
    mov edx, eax
    mov edi, LOG_WARN
    lea rsi, [rel lapic_error_format]
    call klog
    pop rbp
    ret
