; Tests: GDT/TSS/IDT state read back from the CPU, breakpoints, page faults, double fault on stack
; overflow, panics inside tests.

section .bss
cpu_test_descriptor:    resb 16         ; sgdt/sidt write 10 bytes: limit (2), base (8)

section .rodata
cpu_test_read_only:     dq 0x1234       ; a rodata word: writing it must fault
cpu_test_panic_text:    db "deliberate panic from a test (%u)", 0
cpu_test_no_execute:    db 0xc3         ; ret, in a no-execute page

section .text

TEST "cpu: sgdt reads back our GDT, with ring-3 user code and data segments", test_cpu_gdt_loaded
test_cpu_gdt_loaded:
    push rbp
    mov rbp, rsp
    sgdt [rel cpu_test_descriptor]
    movzx ecx, word [rel cpu_test_descriptor]
    ASSERT_EQ rcx, gdt_end - gdt - 1
    mov rcx, [rel cpu_test_descriptor + 2]
    lea rdx, [rel gdt]
    ASSERT_EQ rcx, rdx
    mov rcx, cs
    ASSERT_EQ rcx, KERNEL_CODE_SELECTOR
    mov rcx, ss
    ASSERT_EQ rcx, KERNEL_DATA_SELECTOR
    ; User segments: ring 3 (DPL bits 45-46), 64-bit code (L, bit 53).
    mov rcx, [rel gdt + (USER_CODE_SELECTOR & ~3)]
    shr rcx, 45
    and ecx, 3
    ASSERT_EQ rcx, 3
    mov rcx, [rel gdt + (USER_DATA_SELECTOR & ~3)]
    shr rcx, 45
    and ecx, 3
    ASSERT_EQ rcx, 3
    mov rcx, [rel gdt + (USER_CODE_SELECTOR & ~3)]
    bt rcx, 53
    setc cl
    movzx ecx, cl
    ASSERT_EQ rcx, 1
    pop rbp
    ret

TEST "cpu: str reads back the TSS, whose IST1 is the double-fault stack", test_cpu_tss_loaded
test_cpu_tss_loaded:
    push rbp
    mov rbp, rsp
    xor ecx, ecx
    str cx
    ASSERT_EQ rcx, TSS_SELECTOR
    mov rcx, [rel kernel_tss + tss.ist1]
    lea rdx, [rel double_fault_stack_top]
    ASSERT_EQ rcx, rdx
    mov rcx, [rel kernel_tss + tss.ist2]
    lea rdx, [rel nmi_stack_top]
    ASSERT_EQ rcx, rdx
    mov rcx, [rel kernel_tss + tss.ist3]
    lea rdx, [rel machine_check_stack_top]
    ASSERT_EQ rcx, rdx
    pop rbp
    ret

TEST "cpu: sidt reads back 256 gates; double fault, NMI and #MC use IST stacks", test_cpu_idt_loaded
test_cpu_idt_loaded:
    push rbp
    mov rbp, rsp
    sidt [rel cpu_test_descriptor]
    movzx ecx, word [rel cpu_test_descriptor]
    ASSERT_EQ rcx, IDT_VECTOR_COUNT * idt_gate_size - 1
    mov rcx, [rel cpu_test_descriptor + 2]
    lea rdx, [rel idt]
    ASSERT_EQ rcx, rdx
    movzx ecx, byte [rel idt + VECTOR_DOUBLE_FAULT * idt_gate_size + idt_gate.ist]
    ASSERT_EQ rcx, IST_DOUBLE_FAULT
    movzx ecx, byte [rel idt + VECTOR_NMI * idt_gate_size + idt_gate.ist]
    ASSERT_EQ rcx, IST_NMI
    movzx ecx, byte [rel idt + VECTOR_MACHINE_CHECK * idt_gate_size + idt_gate.ist]
    ASSERT_EQ rcx, IST_MACHINE_CHECK
    movzx ecx, byte [rel idt + VECTOR_PAGE_FAULT * idt_gate_size + idt_gate.ist]
    ASSERT_EQ rcx, 0
    ; Gate 14 points at its stub.
    movzx ecx, word [rel idt + VECTOR_PAGE_FAULT * idt_gate_size + idt_gate.offset_low]
    lea rdx, [rel exception_stub_14]
    and edx, 0xffff
    ASSERT_EQ rcx, rdx
    ; Device vectors point at their interrupt stubs, INTERRUPT_STUB_SIZE apart.
    movzx ecx, word [rel idt + VECTOR_TIMER * idt_gate_size + idt_gate.offset_low]
    lea rdx, [rel interrupt_stubs + (VECTOR_TIMER - EXCEPTION_VECTOR_COUNT) * INTERRUPT_STUB_SIZE]
    and edx, 0xffff
    ASSERT_EQ rcx, rdx
    movzx ecx, byte [rel idt + VECTOR_SPURIOUS * idt_gate_size + idt_gate.type]
    ASSERT_EQ rcx, IDT_INTERRUPT_GATE
    pop rbp
    ret

TEST "cpu: a breakpoint is reported and execution resumes after it", test_cpu_breakpoint_resumes
test_cpu_breakpoint_resumes:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, [rel breakpoint_count]
    mov r12d, 0x5a5a
    int3
    ASSERT_EQ r12, 0x5a5a                   ; registers survive the round trip
    inc rbx
    ASSERT_EQ [rel breakpoint_count], rbx
    pop r12
    pop rbx
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "cpu: reading an unmapped page faults with that address in cr2", test_cpu_page_fault_read, VECTOR_PAGE_FAULT, check_cpu_page_fault_read
CPU_TEST_UNMAPPED equ SCRATCH_BASE + 0x7f0123
test_cpu_page_fault_read:
    push rbp
    mov rbp, rsp
    mov rax, CPU_TEST_UNMAPPED
    mov rax, [rax]
    pop rbp
    ret
check_cpu_page_fault_read:
    push rbp
    mov rbp, rsp
    mov rcx, CPU_TEST_UNMAPPED
    ASSERT_EQ [rel test_caught_cr2], rcx
    mov rcx, [rel test_caught_error]
    and rcx, PF_ERROR_PRESENT | PF_ERROR_WRITE | PF_ERROR_USER | PF_ERROR_FETCH
    ASSERT_EQ rcx, 0                        ; not present, read, kernel mode, data access
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "cpu: writing read-only data is a present+write page fault", test_cpu_page_fault_write, VECTOR_PAGE_FAULT, check_cpu_page_fault_write
test_cpu_page_fault_write:
    push rbp
    mov rbp, rsp
    mov qword [rel cpu_test_read_only], 0
    pop rbp
    ret
check_cpu_page_fault_write:
    push rbp
    mov rbp, rsp
    lea rcx, [rel cpu_test_read_only]
    ASSERT_EQ [rel test_caught_cr2], rcx
    mov rcx, [rel test_caught_error]
    and rcx, PF_ERROR_PRESENT | PF_ERROR_WRITE
    ASSERT_EQ rcx, PF_ERROR_PRESENT | PF_ERROR_WRITE
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "cpu: executing a no-execute page is an instruction-fetch page fault", test_cpu_no_execute, VECTOR_PAGE_FAULT, check_cpu_no_execute
test_cpu_no_execute:
    push rbp
    mov rbp, rsp
    lea rax, [rel cpu_test_no_execute]
    call rax
    pop rbp
    ret
check_cpu_no_execute:
    push rbp
    mov rbp, rsp
    mov rcx, [rel test_caught_error]
    and rcx, PF_ERROR_FETCH
    ASSERT_EQ rcx, PF_ERROR_FETCH
    lea rcx, [rel cpu_test_no_execute]
    ASSERT_EQ [rel test_caught_cr2], rcx
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "cpu: kernel stack overflow is a double fault taken on the IST stack", test_cpu_stack_overflow, VECTOR_DOUBLE_FAULT, check_cpu_stack_overflow
test_cpu_stack_overflow:
    push rbp
    mov rbp, rsp
    sub rsp, 256
    call test_cpu_stack_overflow            ; until the guard page stops it
    leave
    ret
check_cpu_stack_overflow:
    push rbp
    mov rbp, rsp
    mov rcx, [rel test_caught_frame]
    lea rdx, [rel double_fault_stack]
    ASSERT_NE rcx, 0
    cmp rcx, rdx
    setae al
    lea rdx, [rel double_fault_stack_top]
    cmp rcx, rdx
    setb cl
    and al, cl
    movzx ecx, al
    ASSERT_EQ rcx, 1                        ; the frame is on the double-fault stack
    pop rbp
    ret

TEST_EXPECT_EXCEPTION "cpu: divide by zero raises #DE", test_cpu_divide_error, 0, 0
test_cpu_divide_error:
    push rbp
    mov rbp, rsp
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
    div ecx
    pop rbp
    ret

TEST_SHOULD_PANIC "panic: a panic inside a test ends that test, not the run", test_panic_recovers
test_panic_recovers:
    push rbp
    mov rbp, rsp
    lea rdi, [rel cpu_test_panic_text]
    mov esi, 7
    call panic
    pop rbp
    ret
