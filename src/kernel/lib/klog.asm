; The kernel log: every line goes to COM1 and, once it is up, to the framebuffer console.
; klog(level, format, ...) prints "[level] text\n" when level <= log_level (set by `log=` on the cmdline).

section .data
log_level:  dq LOG_INFO

section .bss
console_lock:   resq 1  ; one write at a time (a log line, a kprintf, a process's write): threads
                        ; and interrupt handlers all write, and a line cut by another is unreadable

section .rodata
log_prefix_error:   db "[error] ", 0
log_prefix_warn:    db "[warn]  ", 0
log_prefix_info:    db "[info]  ", 0
log_prefix_debug:   db "[debug] ", 0
log_prefixes:       dq log_prefix_error, log_prefix_warn, log_prefix_info, log_prefix_debug
log_level_names:    db "error", 0, "warn", 0, "info", 0, "debug", 0, 0

section .text

; console_putc: write one byte to serial and to the framebuffer console when it is ready. The caller
; holds console_lock (or is a panic, which broke it).
; IN: dil = byte. OUT: nothing. Clobbers: caller-saved registers.
console_putc:
    push rbx
    mov ebx, edi
    call serial_putc
    cmp byte [rel fb_console_ready], 0
    je .done
    mov edi, ebx
    call fb_console_putc
.done:
    pop rbx
    ret

; console_sink: format() sink writing to the console (the caller holds console_lock).
; IN: rdi = unused context, esi = byte. OUT: nothing. Clobbers: caller-saved registers.
console_sink:
    mov edi, esi
    jmp console_putc

; console_string_unlocked: write a 0-terminated string; the caller holds console_lock.
; IN: rdi = string. OUT: nothing. Clobbers: caller-saved registers.
console_string_unlocked:
    push rbx
    mov rbx, rdi
.next:
    movzx edi, byte [rbx]
    test dil, dil
    jz .done
    call console_putc
    inc rbx
    jmp .next
.done:
    pop rbx
    ret

; console_puts: write a 0-terminated string to the console, in one piece.
; IN: rdi = string. OUT: nothing. Clobbers: caller-saved registers.
console_puts:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    lea rdi, [rel console_lock]
    call spin_lock_irqsave
    mov r12, rax
    mov rdi, rbx
    call console_string_unlocked
    lea rdi, [rel console_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    pop r12
    pop rbx
    pop rbp
    ret

; console_write: write bytes to the console, in one piece.
; IN: rdi = bytes, rsi = count. OUT: nothing. Clobbers: caller-saved registers.
console_write:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    lea r13, [rdi + rsi]                    ; end
    lea rdi, [rel console_lock]
    call spin_lock_irqsave
    mov r12, rax
.next:
    cmp rbx, r13
    jae .done
    movzx edi, byte [rbx]
    call console_putc
    inc rbx
    jmp .next
.done:
    lea rdi, [rel console_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; kprintf: format to the console, no prefix, no newline added, in one piece.
; IN: rdi = format, rsi, rdx, rcx, r8, r9, stack = arguments. OUT: rax = bytes written.
kprintf:
    VARIADIC_PROLOGUE 1
    lea rdi, [rel console_lock]
    call spin_lock_irqsave
    push rax                                ; the RFLAGS to restore
    push rax
    lea rcx, [rbp - VA_CURSOR_OFFSET]
    mov rdx, [rbp - VA_REGISTERS_OFFSET]
    lea rdi, [rel console_sink]
    xor esi, esi
    call format
    pop rsi
    pop rsi
    lea rdi, [rel console_lock]
    call spin_unlock_irqrestore             ; (leaves rax alone)
    leave
    ret

; klog: one log line at a level, dropped when the level is above log_level.
; IN: rdi = level (LOG_ERROR..LOG_DEBUG), rsi = format, rdx, rcx, r8, r9, stack = arguments.
; OUT: nothing. Clobbers: caller-saved registers.
klog:
    VARIADIC_PROLOGUE 2
    cmp rdi, LOG_DEBUG
    jbe .valid_level
    mov edi, LOG_DEBUG
.valid_level:
    cmp rdi, [rel log_level]
    ja .quiet
    push rdi
    lea rdi, [rel console_lock]
    call spin_lock_irqsave
    pop rdi
    push rax                                ; the RFLAGS to restore
    push rax
    lea rax, [rel log_prefixes]
    mov rdi, [rax + rdi * 8]
    call console_string_unlocked
    lea rcx, [rbp - VA_CURSOR_OFFSET]
    mov rdx, [rbp - VA_REGISTERS_OFFSET + 8]
    lea rdi, [rel console_sink]
    xor esi, esi
    call format
    mov edi, `\n`
    call console_putc
    pop rsi
    pop rsi
    lea rdi, [rel console_lock]
    call spin_unlock_irqrestore
.quiet:
    leave
    ret

; log_level_from_name: look up a level by name ("error", "warn", "info", "debug").
; IN: rdi = name, rsi = name length. OUT: rax = level, or -1 when unknown. Clobbers: rcx, rdx, r8.
log_level_from_name:
    lea r8, [rel log_level_names]
    xor eax, eax
.candidate:
    cmp byte [r8], 0
    je .unknown
    xor ecx, ecx
.compare:
    cmp rcx, rsi
    je .end_of_name
    mov dl, [r8 + rcx]
    cmp dl, [rdi + rcx]
    jne .skip
    inc rcx
    jmp .compare
.end_of_name:
    cmp byte [r8 + rcx], 0
    je .found
.skip:
    cmp byte [r8], 0
    je .skipped
    inc r8
    jmp .skip
.skipped:
    inc r8
    inc rax
    jmp .candidate
.unknown:
    mov rax, -1
.found:
    ret
