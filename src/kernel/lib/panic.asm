; panic: print a message, the registers and a backtrace, then stop (or hand control back to the test
; runner when a test is running). Backtraces follow the rbp chain every kernel routine builds and
; resolve addresses through the symbol table the build writes into .ksyms (lib/ksyms.asm).

BACKTRACE_MAX_DEPTH equ 32
NO_VECTOR           equ -1

section .bss
panic_depth:    resq 1          ; > 0 while a panic is being reported, to stop a fault in the report from looping

section .rodata
panic_banner:       db `\n*** KERNEL PANIC: `, 0
panic_nested_text:  db `\n*** nested panic while reporting a panic; halting\n`, 0
panic_regs_format:
    db `  rax=%p rbx=%p rcx=%p\n`, 0
panic_regs_format_2:
    db `  rdx=%p rsi=%p rdi=%p\n`, 0
panic_regs_format_3:
    db `  rbp=%p rsp=%p r8 =%p\n`, 0
panic_regs_format_4:
    db `  r9 =%p r10=%p r11=%p\n`, 0
panic_regs_format_5:
    db `  r12=%p r13=%p r14=%p\n`, 0
panic_regs_format_6:
    db `  r15=%p rip=%p rflags=%p\n`, 0
panic_regs_format_7:
    db `  cs=%x ss=%x cr2=%p cr3=%p\n`, 0
panic_thread_format: db `  in thread %s (id %u)\n`, 0
backtrace_header:   db `backtrace:\n`, 0
backtrace_line:     db `  %p %s+0x%x\n`, 0
backtrace_unknown:  db `  %p ?\n`, 0

section .text

; panic: report a fatal error. Does not return (except through the test runner's recovery point).
; IN: rdi = format, rsi, rdx, rcx, r8, r9, stack = arguments.
panic:
    cli
    push rbp
    mov rbp, rsp
    sub rsp, frame_size + VA_FRAME_SIZE
    ; Capture the registers as the caller had them.
    mov [rsp + frame.rax], rax
    mov [rsp + frame.rbx], rbx
    mov [rsp + frame.rcx], rcx
    mov [rsp + frame.rdx], rdx
    mov [rsp + frame.rsi], rsi
    mov [rsp + frame.rdi], rdi
    mov [rsp + frame.r8], r8
    mov [rsp + frame.r9], r9
    mov [rsp + frame.r10], r10
    mov [rsp + frame.r11], r11
    mov [rsp + frame.r12], r12
    mov [rsp + frame.r13], r13
    mov [rsp + frame.r14], r14
    mov [rsp + frame.r15], r15
    mov rax, [rbp]
    mov [rsp + frame.rbp], rax              ; the caller's rbp
    mov rax, [rbp + 8]
    mov [rsp + frame.rip], rax              ; where panic was called from
    lea rax, [rbp + 16]
    mov [rsp + frame.rsp], rax              ; the caller's rsp after the call returns
    mov qword [rsp + frame.vector], NO_VECTOR
    mov qword [rsp + frame.error], 0
    mov word [rsp + frame.cs], cs
    mov word [rsp + frame.ss], ss
    and qword [rsp + frame.cs], 0xffff
    and qword [rsp + frame.ss], 0xffff
    pushfq
    pop rax
    mov [rsp + frame.rflags], rax
    ; The message arguments, as a va_cursor over the spilled argument registers and the caller's stack.
    lea rax, [rsp + frame_size]
    mov [rax], rdi
    mov [rax + 8], rsi
    mov [rax + 16], rdx
    mov [rax + 24], rcx
    mov [rax + 32], r8
    mov [rax + 40], r9
    lea rdx, [rax + VA_REGISTERS_OFFSET]
    mov [rdx + va_cursor.registers], rax
    mov qword [rdx + va_cursor.index], 1
    lea rcx, [rbp + 16]
    mov [rdx + va_cursor.stack], rcx
    mov rsi, rdi
    mov rdi, rsp
    call panic_with_frame

; panic_with_frame: the body of every panic, also reached from unhandled exceptions. Does not return.
; IN: rdi = register frame (struc frame), rsi = format, rdx = va_cursor of the format's arguments.
panic_with_frame:
    cli
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov r12, rsi
    mov r13, rdx
    mov r14, [r13 + va_cursor.index]        ; the message is formatted twice inside a test
    inc qword [rel panic_depth]
    cmp qword [rel panic_depth], 1
    ja .nested
    ; The console write this panic may have interrupted will never finish: break its lock.
    mov qword [rel console_lock], 0
    ; A test that expects this panic only needs the message; anyone else gets the whole report.
    call test_panic_is_expected
    test al, al
    jnz .test_note
    lea rdi, [rel panic_banner]
    call console_puts
    call .message
    mov edi, `\n`
    call console_putc
    call thread_current_name
    test rax, rax
    jz .no_thread
    lea rdi, [rel panic_thread_format]
    mov rsi, rax
    call kprintf
.no_thread:
    mov rdi, rbx
    call print_frame
    mov rdi, [rbx + frame.rip]
    mov rsi, [rbx + frame.rbp]
    xor edx, edx
    cmp qword [rbx + frame.vector], NO_VECTOR
    sete dl                                 ; panic's own frame: rip is where panic returns to
    call print_backtrace
    cmp qword [rel test_current], 0
    je .stop
.test_note:
    ; Inside a test the message also becomes the test's diagnostic line: "# message".
    lea rdi, [rel test_diagnostic_prefix]
    call test_note
    mov [r13 + va_cursor.index], r14
    lea rdi, [rel buffer_sink_put]
    lea rsi, [rel test_diagnostic_sink]
    mov rdx, r12
    mov rcx, r13
    call format
    lea rdi, [rel test_newline]
    call test_note
.stop:
    mov qword [rel panic_depth], 0
    call test_recover_from_panic            ; returns only when no test is running
    mov edi, DEBUG_EXIT_FAILURE
    call qemu_exit
.nested:
    lea rdi, [rel panic_nested_text]
    call serial_puts
    mov edi, DEBUG_EXIT_FAILURE
    call qemu_exit
.message:
    lea rdi, [rel console_sink]
    xor esi, esi
    mov rdx, r12
    mov rcx, r13
    jmp format

; print_frame: print every register of a frame, plus cr2 and cr3.
; IN: rdi = register frame. OUT: nothing. Clobbers: caller-saved registers.
print_frame:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    lea rdi, [rel panic_regs_format]
    mov rsi, [rbx + frame.rax]
    mov rdx, [rbx + frame.rbx]
    mov rcx, [rbx + frame.rcx]
    call kprintf
    lea rdi, [rel panic_regs_format_2]
    mov rsi, [rbx + frame.rdx]
    mov rdx, [rbx + frame.rsi]
    mov rcx, [rbx + frame.rdi]
    call kprintf
    lea rdi, [rel panic_regs_format_3]
    mov rsi, [rbx + frame.rbp]
    mov rdx, [rbx + frame.rsp]
    mov rcx, [rbx + frame.r8]
    call kprintf
    lea rdi, [rel panic_regs_format_4]
    mov rsi, [rbx + frame.r9]
    mov rdx, [rbx + frame.r10]
    mov rcx, [rbx + frame.r11]
    call kprintf
    lea rdi, [rel panic_regs_format_5]
    mov rsi, [rbx + frame.r12]
    mov rdx, [rbx + frame.r13]
    mov rcx, [rbx + frame.r14]
    call kprintf
    lea rdi, [rel panic_regs_format_6]
    mov rsi, [rbx + frame.r15]
    mov rdx, [rbx + frame.rip]
    mov rcx, [rbx + frame.rflags]
    call kprintf
    lea rdi, [rel panic_regs_format_7]
    mov rsi, [rbx + frame.cs]
    mov rdx, [rbx + frame.ss]
    mov rcx, cr2
    mov r8, cr3
    call kprintf
    pop r12
    pop rbx
    pop rbp
    ret

; print_backtrace: print the faulting address and the return addresses of the rbp chain, resolved
; to function+offset.
; IN: rdi = first address (rip), rsi = rbp of the innermost frame, edx = 1 when the first address is
; a return address (panic called from there), 0 when it is the faulting instruction.
; OUT: nothing. Clobbers: caller-saved.
print_backtrace:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r12, rdi
    mov rbx, rsi
    mov r14d, edx
    xor r13d, r13d
    lea rdi, [rel backtrace_header]
    call console_puts
    mov rdi, r12
    mov esi, r14d
    call print_code_address
.walk:
    inc r13
    cmp r13, BACKTRACE_MAX_DEPTH
    ja .done
    ; Only follow frame pointers that look like kernel stack addresses (higher half, 8-aligned).
    mov rax, 0xffff800000000000
    cmp rbx, rax
    jb .done
    test rbx, 7
    jnz .done
    ; Once our page tables are live, a frame pointer into an unmapped page ends the walk instead of
    ; faulting in the middle of a panic (both words of the frame are checked: they may straddle pages).
    cmp qword [rel kernel_pml4], 0
    je .read_frame
    mov rdi, rbx
    call translate
    cmp rax, PAGING_ERROR
    je .done
    lea rdi, [rbx + 8]
    call translate
    cmp rax, PAGING_ERROR
    je .done
.read_frame:
    mov rdi, [rbx + 8]
    test rdi, rdi
    jz .done
    mov esi, 1
    call print_code_address
    mov rbx, [rbx]
    jmp .walk
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; print_code_address: one backtrace line, "address function+offset" or "address ?".
; A return address is looked up one byte earlier: a call that ends a routine returns to the start of
; the next one, but the call itself belongs to the caller.
; IN: rdi = code address, esi = 1 for a return address, 0 for the faulting instruction itself.
; OUT: nothing. Clobbers: caller-saved registers.
print_code_address:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov r12d, esi
    sub rdi, r12
    call ksym_resolve
    test rax, rax
    jz .unknown
    lea rdi, [rel backtrace_line]
    mov rsi, rbx
    lea rcx, [rdx + r12]
    mov rdx, rax
    call kprintf
    jmp .done
.unknown:
    lea rdi, [rel backtrace_unknown]
    mov rsi, rbx
    call kprintf
.done:
    pop r12
    pop rbx
    pop rbp
    ret
