; Device interrupts: the vector plan, per-vector handler registration, the dispatcher behind the
; shared interrupt stubs (cpu/exceptions.asm), EOI, and interrupts_init bringing up PIC, local APIC
; and I/O APIC. A handler is a System V routine: rdi = the context it was registered with,
; rsi = the register frame; it runs with interrupts disabled unless it enables them itself (the
; frame lives on the stack, so nesting is safe). After the EOI of the outermost interrupt the
; dispatcher lets the scheduler switch threads when a handler asked for it.

PIC_VECTOR_BASE     equ 0x20        ; 0x20-0x2f: the masked legacy PICs (only spurious IRQs arrive)
ISA_VECTOR_BASE     equ 0x30        ; 0x30-0x3f: ISA IRQ n through the I/O APIC at 0x30 + n
VECTOR_TIMER        equ 0x40        ; the local APIC timer
VECTOR_TEST         equ 0x41        ; raised with `int` by the interrupt tests
VECTOR_APIC_ERROR   equ 0xfe
VECTOR_SPURIOUS     equ 0xff

section .bss
    alignb 8
irq_handlers:       resq IDT_VECTOR_COUNT
irq_contexts:       resq IDT_VECTOR_COUNT
irq_counts:         resq IDT_VECTOR_COUNT     ; interrupts taken per vector
irq_depth:          resq 1          ; interrupts being handled right now (> 1 when nested)
irq_max_depth:      resq 1          ; deepest nesting seen
irq_unhandled:      resq 1          ; interrupts on a vector nobody registered
interrupts_ready:   resq 1          ; 1 once interrupts_init ran and interrupts are enabled

section .rodata
irq_ready_text:     db "interrupts: PIC remapped and masked, local APIC and I/O APIC up, interrupts enabled", 0
irq_unhandled_format: db "irq: vector %u has no handler", 0

section .text

; irq_register: make a routine the handler of a vector (32-255); 0 removes it.
; IN: edi = vector, rsi = handler, rdx = context. OUT: nothing. Clobbers: rax.
irq_register:
    pushfq
    cli
    mov eax, edi
    lea rdi, [rel irq_contexts]
    mov [rdi + rax * 8], rdx
    lea rdi, [rel irq_handlers]
    mov [rdi + rax * 8], rsi
    popfq
    ret

; isa_irq_register: handle an ISA IRQ: register its vector's handler and route it through the I/O APIC.
; IN: edi = ISA IRQ, rsi = handler, rdx = context. OUT: rax = 0, or -1 when it cannot be routed.
; Clobbers: caller-saved registers.
isa_irq_register:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov ebx, edi
    lea edi, [rbx + ISA_VECTOR_BASE]
    call irq_register
    mov edi, ebx
    lea esi, [rbx + ISA_VECTOR_BASE]
    call isa_irq_route
    pop r12
    pop rbx
    pop rbp
    ret

; irq_dispatch: run a device interrupt's handler, acknowledge it, maybe switch threads.
; IN: rdi = register frame. OUT: nothing. Clobbers: caller-saved registers.
irq_dispatch:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov r12, [rbx + frame.vector]
    inc qword [rel irq_depth]
    mov rax, [rel irq_depth]
    cmp rax, [rel irq_max_depth]
    jbe .depth_known
    mov [rel irq_max_depth], rax
.depth_known:
    lea rax, [rel irq_counts]
    inc qword [rax + r12 * 8]
    cmp r12, VECTOR_SPURIOUS
    je .spurious                            ; the APIC wants no EOI for it
    cmp r12, ISA_VECTOR_BASE
    jb .pic_spurious                        ; the PICs are masked: only their spurious IRQs get here
    lea rax, [rel irq_handlers]
    mov rax, [rax + r12 * 8]
    test rax, rax
    jz .unhandled
    lea rcx, [rel irq_contexts]
    mov rdi, [rcx + r12 * 8]
    mov rsi, rbx
    call rax
    jmp .eoi
.unhandled:
    inc qword [rel irq_unhandled]
    mov edi, LOG_WARN
    lea rsi, [rel irq_unhandled_format]
    mov rdx, r12
    call klog
.eoi:
    ; A software `int` is not in service at the APIC; an EOI then would end some other interrupt.
    cmp r12, VECTOR_TEST
    je .done
    call lapic_eoi
    jmp .done
.pic_spurious:
    cmp r12, PIC_VECTOR_BASE + 15
    jne .done
    mov al, PIC_EOI                         ; a spurious IRQ 15 was still a real cascade on the master
    out PIC_MASTER_COMMAND, al
    jmp .done
.spurious:
.done:
    dec qword [rel irq_depth]
    jnz .nested
    cmp qword [rel need_resched], 0
    je .nested
    call schedule                           ; outermost interrupt only: the frame below us is complete
.nested:
    pop r12
    pop rbx
    pop rbp
    ret

; interrupts_init: legacy PIC off, local APIC and I/O APIC on, error handler in place, interrupts on.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
interrupts_init:
    push rbp
    mov rbp, rsp
    call pic_disable
    call lapic_init
    call ioapic_init
    mov edi, VECTOR_APIC_ERROR
    lea rsi, [rel lapic_error_interrupt]
    xor edx, edx
    call irq_register
    mov qword [rel interrupts_ready], 1
    sti
    mov edi, LOG_INFO
    lea rsi, [rel irq_ready_text]
    call klog
    pop rbp
    ret
