; The I/O APIC (the MADT's first): every redirection entry starts masked; isa_irq_route sends an ISA
; IRQ to a vector on this CPU through the GSI and polarity/trigger the MADT overrides give it.

IOAPIC_REGISTER_SELECT  equ 0x00
IOAPIC_WINDOW           equ 0x10
IOAPIC_MMIO_SIZE        equ 0x20
IOAPIC_REG_ID           equ 0x00
IOAPIC_REG_VERSION      equ 0x01
IOAPIC_REG_REDIRECTION  equ 0x10    ; entry n: low dword at 0x10 + 2n, high dword at 0x11 + 2n
IOAPIC_ENTRY_ACTIVE_LOW equ 1 << 13
IOAPIC_ENTRY_LEVEL      equ 1 << 15
IOAPIC_ENTRY_MASKED     equ 1 << 16
; MPS INTI flags of a MADT override: polarity in bits 0-1, trigger mode in bits 2-3 (0 = bus default).
MPS_POLARITY_MASK       equ 0x3
MPS_POLARITY_LOW        equ 0x3
MPS_TRIGGER_MASK        equ 0xc
MPS_TRIGGER_LEVEL       equ 0xc

section .bss
ioapic_base:            resq 1      ; virtual address of the registers, 0 when there is no I/O APIC
ioapic_entry_count:     resq 1

section .rodata
ioapic_ready_format:    db "ioapic: id %u at %p, GSIs %u-%u, all masked", 0
ioapic_none_text:       db "ioapic: none in the MADT; device interrupts are unavailable", 0
ioapic_bad_gsi_format:  db "ioapic: GSI %u is not on the I/O APIC", 0

section .text

; ioapic_read: IN: edi = register. OUT: eax = value. Clobbers: rcx.
ioapic_read:
    mov rcx, [rel ioapic_base]
    mov [rcx + IOAPIC_REGISTER_SELECT], edi
    mov eax, [rcx + IOAPIC_WINDOW]
    ret

; ioapic_write: IN: edi = register, esi = value. OUT: nothing. Clobbers: rcx.
ioapic_write:
    mov rcx, [rel ioapic_base]
    mov [rcx + IOAPIC_REGISTER_SELECT], edi
    mov [rcx + IOAPIC_WINDOW], esi
    ret

; ioapic_init: map the I/O APIC and mask every redirection entry.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
ioapic_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rdi, [rel ioapic_physical]
    test rdi, rdi
    jz .none
    mov esi, IOAPIC_MMIO_SIZE
    call map_mmio
    mov [rel ioapic_base], rax
    mov edi, IOAPIC_REG_VERSION
    call ioapic_read
    shr eax, 16
    movzx eax, al
    inc eax                                 ; the register holds the highest entry number
    mov [rel ioapic_entry_count], rax
    xor ebx, ebx
.mask:
    cmp rbx, [rel ioapic_entry_count]
    jae .masked
    lea edi, [IOAPIC_REG_REDIRECTION + rbx * 2]
    mov esi, IOAPIC_ENTRY_MASKED
    call ioapic_write
    lea edi, [IOAPIC_REG_REDIRECTION + rbx * 2 + 1]
    xor esi, esi
    call ioapic_write
    inc rbx
    jmp .mask
.masked:
    mov edi, LOG_INFO
    lea rsi, [rel ioapic_ready_format]
    mov rdx, [rel ioapic_id]
    mov rcx, [rel ioapic_physical]
    mov r8, [rel ioapic_gsi_base]
    mov r9, r8
    add r9, [rel ioapic_entry_count]
    dec r9
    call klog
    jmp .done
.none:
    mov edi, LOG_WARN
    lea rsi, [rel ioapic_none_text]
    call klog
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; ioapic_redirection_entry: the redirection entry number of a GSI.
; IN: edi = GSI. OUT: rax = entry number, or -1 when the GSI is not on our I/O APIC. Clobbers: nothing.
ioapic_redirection_entry:
    mov eax, edi
    cmp qword [rel ioapic_base], 0
    je .outside
    sub rax, [rel ioapic_gsi_base]
    jb .outside
    cmp rax, [rel ioapic_entry_count]
    jae .outside
    ret
.outside:
    mov rax, -1
    ret

; isa_irq_route: route an ISA IRQ to a vector on this CPU, unmasked, as the MADT overrides say
; (ISA default: active high, edge triggered).
; IN: edi = ISA IRQ (0-15), esi = vector. OUT: rax = 0, or -1 when it cannot be routed.
; Clobbers: caller-saved registers.
isa_irq_route:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov r12d, esi
    mov ebx, edi
    lea rax, [rel isa_irq_gsi]
    mov edi, [rax + rbx * 4]
    call ioapic_redirection_entry
    cmp rax, -1
    je .unroutable
    lea rcx, [rel isa_irq_flags]
    movzx edx, word [rcx + rbx * 2]
    mov ebx, eax                            ; entry number from here on
    mov eax, edx
    and eax, MPS_POLARITY_MASK
    cmp eax, MPS_POLARITY_LOW
    jne .high
    or r12d, IOAPIC_ENTRY_ACTIVE_LOW
.high:
    and edx, MPS_TRIGGER_MASK
    cmp edx, MPS_TRIGGER_LEVEL
    jne .edge
    or r12d, IOAPIC_ENTRY_LEVEL
.edge:
    ; Destination first (physical mode: APIC ID in bits 56-63), then the unmasked low half.
    lea edi, [IOAPIC_REG_REDIRECTION + rbx * 2 + 1]
    mov esi, [rel lapic_id]
    shl esi, 24
    call ioapic_write
    lea edi, [IOAPIC_REG_REDIRECTION + rbx * 2]
    mov esi, r12d
    call ioapic_write
    xor eax, eax
    jmp .done
.unroutable:
    mov edi, LOG_WARN
    lea rsi, [rel ioapic_bad_gsi_format]
    lea rax, [rel isa_irq_gsi]
    mov edx, [rax + rbx * 4]
    call klog
    mov rax, -1
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; isa_irq_mask: mask an ISA IRQ's redirection entry again.
; IN: edi = ISA IRQ. OUT: nothing. Clobbers: caller-saved registers.
isa_irq_mask:
    lea rax, [rel isa_irq_gsi]
    mov edi, [rax + rdi * 4]
    call ioapic_redirection_entry
    cmp rax, -1
    je .done
    lea edi, [IOAPIC_REG_REDIRECTION + rax * 2]
    push rdi
    call ioapic_read
    pop rdi
    or eax, IOAPIC_ENTRY_MASKED
    mov esi, eax
    call ioapic_write
.done:
    ret

; isa_irq_entry: the low half of an ISA IRQ's redirection entry (tests read the routing back).
; IN: edi = ISA IRQ. OUT: rax = low dword, or -1 when unroutable. Clobbers: rcx.
isa_irq_entry:
    lea rax, [rel isa_irq_gsi]
    mov edi, [rax + rdi * 4]
    call ioapic_redirection_entry
    cmp rax, -1
    je .done
    lea edi, [IOAPIC_REG_REDIRECTION + rax * 2]
    call ioapic_read
.done:
    ret
