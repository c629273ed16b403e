; IDT and the 32 CPU exceptions: one small stub per vector pushes a uniform (error code, vector) pair,
; the common stub saves every register into a `frame` and calls interrupt_dispatch with it, which
; hands vectors 0-31 to exception_dispatch and device interrupts (32-255, irq/irq.asm) to irq_dispatch.
; Breakpoints print and resume; a test expecting this exception gets control back; anything else is
; reported (name, error code, CR2 decoded for page faults, registers) and panics.

IDT_INTERRUPT_GATE  equ 0x8e            ; present, ring 0, 64-bit interrupt gate (IF cleared on entry)

struc idt_gate
    .offset_low:    resw 1
    .selector:      resw 1
    .ist:           resb 1
    .type:          resb 1
    .offset_mid:    resw 1
    .offset_high:   resd 1
    .reserved:      resd 1
endstruc

; Stub for a vector where the CPU pushes no error code: push 0 so every frame looks the same.
%macro EXCEPTION_STUB 1
exception_stub_%1:
    push 0
    push %1
    jmp exception_common
%endmacro
; Stub for a vector where the CPU already pushed an error code.
%macro EXCEPTION_STUB_WITH_ERROR 1
exception_stub_%1:
    push %1
    jmp exception_common
%endmacro

section .bss
    alignb 16
idt:
    resb idt_gate_size * IDT_VECTOR_COUNT
breakpoint_count:   resq 1          ; how many breakpoints were taken (tests check it grows)

section .data
idt_pointer:
    dw idt_gate_size * IDT_VECTOR_COUNT - 1
    dq idt

section .rodata
exception_stubs:
    dq exception_stub_0, exception_stub_1, exception_stub_2, exception_stub_3
    dq exception_stub_4, exception_stub_5, exception_stub_6, exception_stub_7
    dq exception_stub_8, exception_stub_9, exception_stub_10, exception_stub_11
    dq exception_stub_12, exception_stub_13, exception_stub_14, exception_stub_15
    dq exception_stub_16, exception_stub_17, exception_stub_18, exception_stub_19
    dq exception_stub_20, exception_stub_21, exception_stub_22, exception_stub_23
    dq exception_stub_24, exception_stub_25, exception_stub_26, exception_stub_27
    dq exception_stub_28, exception_stub_29, exception_stub_30, exception_stub_31

exception_name_0:   db "divide error (#DE)", 0
exception_name_1:   db "debug (#DB)", 0
exception_name_2:   db "non-maskable interrupt (NMI)", 0
exception_name_3:   db "breakpoint (#BP)", 0
exception_name_4:   db "overflow (#OF)", 0
exception_name_5:   db "bound range exceeded (#BR)", 0
exception_name_6:   db "invalid opcode (#UD)", 0
exception_name_7:   db "device not available (#NM)", 0
exception_name_8:   db "double fault (#DF)", 0
exception_name_9:   db "coprocessor segment overrun", 0
exception_name_10:  db "invalid TSS (#TS)", 0
exception_name_11:  db "segment not present (#NP)", 0
exception_name_12:  db "stack-segment fault (#SS)", 0
exception_name_13:  db "general protection (#GP)", 0
exception_name_14:  db "page fault (#PF)", 0
exception_name_15:  db "reserved (15)", 0
exception_name_16:  db "x87 floating-point (#MF)", 0
exception_name_17:  db "alignment check (#AC)", 0
exception_name_18:  db "machine check (#MC)", 0
exception_name_19:  db "SIMD floating-point (#XM)", 0
exception_name_20:  db "virtualization (#VE)", 0
exception_name_21:  db "control protection (#CP)", 0
exception_name_22:  db "reserved (22)", 0
exception_name_23:  db "reserved (23)", 0
exception_name_24:  db "reserved (24)", 0
exception_name_25:  db "reserved (25)", 0
exception_name_26:  db "reserved (26)", 0
exception_name_27:  db "reserved (27)", 0
exception_name_28:  db "hypervisor injection (#HV)", 0
exception_name_29:  db "VMM communication (#VC)", 0
exception_name_30:  db "security (#SX)", 0
exception_name_31:  db "reserved (31)", 0
exception_names:
    dq exception_name_0, exception_name_1, exception_name_2, exception_name_3
    dq exception_name_4, exception_name_5, exception_name_6, exception_name_7
    dq exception_name_8, exception_name_9, exception_name_10, exception_name_11
    dq exception_name_12, exception_name_13, exception_name_14, exception_name_15
    dq exception_name_16, exception_name_17, exception_name_18, exception_name_19
    dq exception_name_20, exception_name_21, exception_name_22, exception_name_23
    dq exception_name_24, exception_name_25, exception_name_26, exception_name_27
    dq exception_name_28, exception_name_29, exception_name_30, exception_name_31

exception_header_format:    db `\n*** exception %u: %s, error code %x at rip %p`, 10, 0
page_fault_format:          db `  page fault at cr2=%p: %s, %s, %s%s`, 10, 0
page_fault_present:         db "protection violation", 0
page_fault_not_present:     db "page not present", 0
page_fault_write:           db "write", 0
page_fault_read:            db "read", 0
page_fault_user:            db "user mode", 0
page_fault_kernel:          db "kernel mode", 0
page_fault_fetch:           db ", instruction fetch", 0
empty_string:               db 0
breakpoint_format:          db "breakpoint at %p, resuming", 0
unhandled_exception_format: db "unhandled exception %u: %s", 0

section .text

; idt_init: point all 32 exception vectors at their stubs (double fault, NMI and machine check on
; their IST stacks), the 224 others at the interrupt stubs, and load the IDT.
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdx, rsi, rdi.
idt_init:
    lea rdi, [rel idt]
    lea rsi, [rel exception_stubs]
    xor ecx, ecx
.gate:
    cmp ecx, EXCEPTION_VECTOR_COUNT
    jae .interrupt_stub
    mov rax, [rsi + rcx * 8]
    jmp .have_stub
.interrupt_stub:
    ; The interrupt stubs are INTERRUPT_STUB_SIZE apart, from vector 32 on.
    mov eax, ecx
    sub eax, EXCEPTION_VECTOR_COUNT
    imul eax, eax, INTERRUPT_STUB_SIZE
    lea rdx, [rel interrupt_stubs]
    add rax, rdx
.have_stub:
    mov [rdi + idt_gate.offset_low], ax
    shr rax, 16
    mov [rdi + idt_gate.offset_mid], ax
    shr rax, 16
    mov [rdi + idt_gate.offset_high], eax
    mov word [rdi + idt_gate.selector], KERNEL_CODE_SELECTOR
    mov byte [rdi + idt_gate.type], IDT_INTERRUPT_GATE
    mov dword [rdi + idt_gate.reserved], 0
    xor edx, edx
    cmp ecx, VECTOR_DOUBLE_FAULT
    jne .not_double_fault
    mov edx, IST_DOUBLE_FAULT
.not_double_fault:
    cmp ecx, VECTOR_NMI
    jne .not_nmi
    mov edx, IST_NMI
.not_nmi:
    cmp ecx, VECTOR_MACHINE_CHECK
    jne .not_machine_check
    mov edx, IST_MACHINE_CHECK
.not_machine_check:
    mov [rdi + idt_gate.ist], dl
    add rdi, idt_gate_size
    inc ecx
    cmp ecx, IDT_VECTOR_COUNT
    jb .gate
    lidt [rel idt_pointer]
    ret

    EXCEPTION_STUB 0
    EXCEPTION_STUB 1
    EXCEPTION_STUB 2
    EXCEPTION_STUB 3
    EXCEPTION_STUB 4
    EXCEPTION_STUB 5
    EXCEPTION_STUB 6
    EXCEPTION_STUB 7
    EXCEPTION_STUB_WITH_ERROR 8
    EXCEPTION_STUB 9
    EXCEPTION_STUB_WITH_ERROR 10
    EXCEPTION_STUB_WITH_ERROR 11
    EXCEPTION_STUB_WITH_ERROR 12
    EXCEPTION_STUB_WITH_ERROR 13
    EXCEPTION_STUB_WITH_ERROR 14
    EXCEPTION_STUB 15
    EXCEPTION_STUB 16
    EXCEPTION_STUB_WITH_ERROR 17
    EXCEPTION_STUB 18
    EXCEPTION_STUB 19
    EXCEPTION_STUB 20
    EXCEPTION_STUB_WITH_ERROR 21
    EXCEPTION_STUB 22
    EXCEPTION_STUB 23
    EXCEPTION_STUB 24
    EXCEPTION_STUB 25
    EXCEPTION_STUB 26
    EXCEPTION_STUB 27
    EXCEPTION_STUB 28
    EXCEPTION_STUB_WITH_ERROR 29
    EXCEPTION_STUB_WITH_ERROR 30
    EXCEPTION_STUB 31

; The device-interrupt stubs, one per vector 32-255, each INTERRUPT_STUB_SIZE bytes (push imm32 is
; the longest form: 2 + 5 + 5 bytes), so idt_init can compute where each one is.
INTERRUPT_STUB_SIZE equ 16
    align INTERRUPT_STUB_SIZE
interrupt_stubs:
%assign interrupt_vector 32                 ; EXCEPTION_VECTOR_COUNT (equ is invisible to %assign)
%rep 256 - 32                               ; IDT_VECTOR_COUNT - EXCEPTION_VECTOR_COUNT
    align INTERRUPT_STUB_SIZE
    push 0
    push interrupt_vector
    jmp exception_common
%assign interrupt_vector interrupt_vector + 1
%endrep

; exception_common: save every general register below the CPU's frame, call the dispatcher with the
; frame, restore and return from the interrupt (breakpoints and device interrupts come back here).
; Everything lives on the interrupted stack, so an interrupt taken inside a handler that enabled
; interrupts again nests cleanly.
exception_common:
    PUSH_FRAME_REGISTERS
    cld
    mov rdi, rsp
    ; Make the interrupted code look like our caller in backtraces: a frame whose return address is rip.
    push qword [rdi + frame.rip]
    push qword [rdi + frame.rbp]
    mov rbp, rsp
    and rsp, -16
    call interrupt_dispatch
    lea rsp, [rbp + 16]
    POP_FRAME_REGISTERS
    add rsp, 16                             ; vector and error code
    iretq

; interrupt_dispatch: exceptions to exception_dispatch, int 0x80 to syscall_dispatch, everything
; else to irq_dispatch.
; IN: rdi = register frame. OUT: as the handler. Clobbers: caller-saved registers.
interrupt_dispatch:
    cmp qword [rdi + frame.vector], VECTOR_SYSCALL
    je syscall_dispatch                     ; int 0x80 from ring 3
    cmp qword [rdi + frame.vector], EXCEPTION_VECTOR_COUNT
    jae irq_dispatch
    jmp exception_dispatch

; exception_dispatch: decide what an exception means.
; IN: rdi = register frame. OUT: returns only for breakpoints (to resume). Clobbers: caller-saved.
exception_dispatch:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov rax, [rbx + frame.vector]
    cmp rax, VECTOR_BREAKPOINT
    je .breakpoint
    ; A fault in ring 3 ends that process, not the kernel.
    test qword [rbx + frame.cs], 3
    jz .kernel_mode
    mov rdi, rbx
    call user_fault
.kernel_mode:
    ; A test expecting this vector takes over (does not return when it does).
    mov rdi, rbx
    call test_catch_exception
    ; Report: name, error code, where.
    mov rax, [rbx + frame.vector]
    lea rcx, [rel exception_names]
    mov rdx, [rcx + rax * 8]
    lea rdi, [rel exception_header_format]
    mov rsi, rax
    mov rcx, [rbx + frame.error]
    mov r8, [rbx + frame.rip]
    call kprintf
    cmp qword [rbx + frame.vector], VECTOR_PAGE_FAULT
    jne .panic
    mov rdi, rbx
    call print_page_fault
.panic:
    ; panic_with_frame(frame, "unhandled exception %u: %s", vector, name) prints the registers and
    ; the backtrace from the faulting instruction.

    sub rsp, VA_FRAME_SIZE
    mov rax, [rbx + frame.vector]
    mov [rsp], rax
    lea rcx, [rel exception_names]
    mov rax, [rcx + rax * 8]
    mov [rsp + 8], rax
    lea rdx, [rsp + VA_REGISTERS_OFFSET]
    mov [rdx + va_cursor.registers], rsp
    mov qword [rdx + va_cursor.index], 0
    mov [rdx + va_cursor.stack], rsp
    mov rdi, rbx
    lea rsi, [rel unhandled_exception_format]
    call panic_with_frame
.breakpoint:
    inc qword [rel breakpoint_count]
    mov edi, LOG_DEBUG
    lea rsi, [rel breakpoint_format]
    mov rdx, [rbx + frame.rip]
    dec rdx                                 ; rip is after the int3; report the int3 itself
    call klog
    pop r12
    pop rbx
    pop rbp
    ret

; print_page_fault: decode a page fault's CR2 and error code.
; IN: rdi = register frame. OUT: nothing. Clobbers: caller-saved registers.
print_page_fault:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, [rdi + frame.error]
    lea rdi, [rel page_fault_format]
    mov rsi, cr2
    lea rdx, [rel page_fault_not_present]
    lea rax, [rel page_fault_present]
    test rbx, PF_ERROR_PRESENT
    cmovnz rdx, rax
    lea rcx, [rel page_fault_read]
    lea rax, [rel page_fault_write]
    test rbx, PF_ERROR_WRITE
    cmovnz rcx, rax
    lea r8, [rel page_fault_kernel]
    lea rax, [rel page_fault_user]
    test rbx, PF_ERROR_USER
    cmovnz r8, rax
    lea r9, [rel empty_string]
    lea rax, [rel page_fault_fetch]
    test rbx, PF_ERROR_FETCH
    cmovnz r9, rax
    call kprintf
    pop r12
    pop rbx
    pop rbp
    ret
