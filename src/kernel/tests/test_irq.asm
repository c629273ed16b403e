; Tests: PIC, local APIC, I/O APIC routing, handler registration and dispatch, nesting.

section .bss
irq_test_context:   resq 1      ; what the test handler saw
irq_test_rbx:       resq 1
irq_test_calls:     resq 1
irq_test_ticks_seen: resq 1

section .text

TEST "irq: both legacy PICs have every line masked", test_irq_pic_masked
test_irq_pic_masked:
    push rbp
    mov rbp, rsp
    call pic_masks
    mov rcx, rax
    ASSERT_EQ rcx, 0xffff
    pop rbp
    ret

TEST "irq: the local APIC is software-enabled with the spurious vector and an unmasked error vector", test_irq_lapic_vectors
test_irq_lapic_vectors:
    push rbp
    mov rbp, rsp
    push rbx
    mov edi, LAPIC_SVR
    call lapic_read
    mov ebx, eax
    and ebx, LAPIC_SVR_ENABLE | 0xff
    ASSERT_EQ rbx, LAPIC_SVR_ENABLE | VECTOR_SPURIOUS
    mov edi, LAPIC_LVT_ERROR
    call lapic_read
    mov ebx, eax
    and ebx, LAPIC_LVT_MASKED | 0xff
    ASSERT_EQ rbx, VECTOR_APIC_ERROR
    mov edi, LAPIC_LVT_TIMER
    call lapic_read
    mov ebx, eax
    and ebx, LAPIC_LVT_MASKED | LAPIC_TIMER_PERIODIC | 0xff
    ASSERT_EQ rbx, LAPIC_TIMER_PERIODIC | VECTOR_TIMER
    ASSERT_EQ [rel lapic_error_count], 0
    pop rbx
    pop rbp
    ret

; irq_test_handler: records its context and the interrupted rbx from the frame.
irq_test_handler:
    mov [rel irq_test_context], rdi
    mov rax, [rsi + frame.rbx]
    mov [rel irq_test_rbx], rax
    inc qword [rel irq_test_calls]
    ret

TEST "irq: a registered handler runs with its context and the interrupted registers in the frame", test_irq_handler_dispatch
test_irq_handler_dispatch:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov qword [rel irq_test_calls], 0
    mov edi, VECTOR_TEST
    lea rsi, [rel irq_test_handler]
    mov rdx, 0xc0ffee
    call irq_register
    lea rax, [rel irq_counts]
    mov r12, [rax + VECTOR_TEST * 8]
    mov rbx, 0x1122334455667788
    int VECTOR_TEST
    ASSERT_EQ rbx, 0x1122334455667788       ; restored on the way out
    ASSERT_EQ [rel irq_test_calls], 1
    ASSERT_EQ [rel irq_test_context], 0xc0ffee
    mov rcx, 0x1122334455667788
    ASSERT_EQ [rel irq_test_rbx], rcx
    inc r12
    lea rax, [rel irq_counts]
    ASSERT_EQ [rax + VECTOR_TEST * 8], r12
    mov edi, VECTOR_TEST
    xor esi, esi
    xor edx, edx
    call irq_register
    pop r12
    pop rbx
    pop rbp
    ret

; irq_test_nesting_handler: enables interrupts and waits (at most 200 ms) for a timer tick to nest in.
irq_test_nesting_handler:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, [rel timer_ticks]
    call clock_ns
    lea r12, [rax + 200 * NS_PER_MS]
    sti
.wait:
    cmp [rel timer_ticks], rbx
    jne .ticked
    call clock_ns
    cmp rax, r12
    jb .wait
.ticked:
    cli
    mov rax, [rel timer_ticks]
    sub rax, rbx
    mov [rel irq_test_ticks_seen], rax
    pop r12
    pop rbx
    pop rbp
    ret

TEST "irq: a handler that enables interrupts is interrupted by the timer (nesting depth 2)", test_irq_nesting
test_irq_nesting:
    push rbp
    mov rbp, rsp
    mov qword [rel irq_max_depth], 0
    mov qword [rel irq_test_ticks_seen], 0
    mov edi, VECTOR_TEST
    lea rsi, [rel irq_test_nesting_handler]
    xor edx, edx
    call irq_register
    int VECTOR_TEST
    mov edi, VECTOR_TEST
    xor esi, esi
    xor edx, edx
    call irq_register
    ASSERT_NE [rel irq_test_ticks_seen], 0
    ASSERT_EQ [rel irq_max_depth], 2
    ASSERT_EQ [rel irq_depth], 0
    pop rbp
    ret

TEST "irq: ISA IRQ 1 is routed unmasked through the I/O APIC to vector 0x31 on this CPU", test_irq_keyboard_route
test_irq_keyboard_route:
    push rbp
    mov rbp, rsp
    push rbx
    mov edi, KEYBOARD_IRQ
    call isa_irq_entry
    mov rbx, rax
    and ebx, 0xff | IOAPIC_ENTRY_MASKED
    ASSERT_EQ rbx, ISA_VECTOR_BASE + KEYBOARD_IRQ
    ; The destination half names our APIC ID.
    lea rax, [rel isa_irq_gsi]
    mov edi, [rax + KEYBOARD_IRQ * 4]
    call ioapic_redirection_entry
    lea edi, [IOAPIC_REG_REDIRECTION + rax * 2 + 1]
    call ioapic_read
    shr eax, 24
    mov rbx, rax
    ASSERT_EQ rbx, [rel lapic_id]
    pop rbx
    pop rbp
    ret

TEST "irq: isa_irq_route programs ISA IRQ 0 through its override with the MADT's polarity", test_irq_override_flags
test_irq_override_flags:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    ; Route ISA IRQ 0 (the PIT, overridden to GSI 2 on PC platforms) to its vector, read the entry
    ; back, compare the polarity with the MADT flags, mask it again. A PIT interrupt meanwhile
    ; finds no handler: it is counted and acknowledged.
    mov edi, 0
    mov esi, ISA_VECTOR_BASE
    call isa_irq_route
    ASSERT_EQ rax, 0
    mov edi, 0
    call isa_irq_entry
    mov rbx, rax
    mov edi, 0
    call isa_irq_mask
    mov r12, rbx
    and r12d, 0xff
    ASSERT_EQ r12, ISA_VECTOR_BASE
    movzx eax, word [rel isa_irq_flags]
    xor ecx, ecx
    and eax, MPS_POLARITY_MASK
    cmp eax, MPS_POLARITY_LOW
    jne .high
    mov ecx, IOAPIC_ENTRY_ACTIVE_LOW
.high:
    mov r12, rbx
    and r12d, IOAPIC_ENTRY_ACTIVE_LOW
    ASSERT_EQ r12, rcx
    mov edi, 0
    call isa_irq_entry
    and eax, IOAPIC_ENTRY_MASKED
    mov rbx, rax
    ASSERT_EQ rbx, IOAPIC_ENTRY_MASKED
    pop r12
    pop rbx
    pop rbp
    ret
