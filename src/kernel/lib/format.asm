; printf-style formatting into any byte sink, so kernel code never hand-assembles numbers.
; Conversions: %s %c %d %u %x %p %%, flags '-' (left-justify) and '0' (zero-pad), a decimal width,
; and an ignored 'l' length modifier (every integer argument is 64-bit).

; Where the next variadic argument is: the six System V argument registers spilled by the variadic
; entry point, then the caller's stack arguments.
struc va_cursor
    .registers: resq 1      ; address of the 6 spilled argument registers (rdi, rsi, rdx, rcx, r8, r9)
    .index:     resq 1      ; number of the next argument
    .stack:     resq 1      ; address of the 7th argument
endstruc

ARGUMENT_REGISTER_COUNT equ 6

; Locals of `format`, addressed from rsp.
struc format_locals
    .digits:    resb 32     ; number text, written backwards from .digits_end
    .digits_end:
    .width:     resq 1
    .text:      resq 1      ; what to print for the current conversion
    .length:    resq 1
    .prefix:    resq 1      ; 0-terminated sign or "0x" printed before padding zeros, or 0
    .left:      resb 1      ; 1 = left-justify
    .pad:       resb 1      ; ' ' or '0'
    .reserved:  resb 6
endstruc

; Spills the argument registers and builds a va_cursor at [rbp - VA_CURSOR_OFFSET] whose first
; argument is number %1 (the fixed arguments before the variable ones are skipped).
VA_REGISTERS_OFFSET equ 48
VA_CURSOR_OFFSET    equ VA_REGISTERS_OFFSET + va_cursor_size
VA_FRAME_SIZE       equ VA_CURSOR_OFFSET + 8
%macro VARIADIC_PROLOGUE 1
    push rbp
    mov rbp, rsp
    sub rsp, VA_FRAME_SIZE
    mov [rbp - VA_REGISTERS_OFFSET], rdi
    mov [rbp - VA_REGISTERS_OFFSET + 8], rsi
    mov [rbp - VA_REGISTERS_OFFSET + 16], rdx
    mov [rbp - VA_REGISTERS_OFFSET + 24], rcx
    mov [rbp - VA_REGISTERS_OFFSET + 32], r8
    mov [rbp - VA_REGISTERS_OFFSET + 40], r9
    lea rax, [rbp - VA_REGISTERS_OFFSET]
    mov [rbp - VA_CURSOR_OFFSET + va_cursor.registers], rax
    mov qword [rbp - VA_CURSOR_OFFSET + va_cursor.index], %1
    lea rax, [rbp + 16]
    mov [rbp - VA_CURSOR_OFFSET + va_cursor.stack], rax
%endmacro

section .rodata
format_hex_digits:  db "0123456789abcdef"
format_null_text:   db "(null)", 0
format_minus:       db "-", 0
format_hex_prefix:  db "0x", 0

section .text

; va_next: fetch the next variadic argument.
; IN: rdi = va_cursor. OUT: rax = argument. Clobbers: rcx.
va_next:
    mov rcx, [rdi + va_cursor.index]
    inc qword [rdi + va_cursor.index]
    cmp rcx, ARGUMENT_REGISTER_COUNT
    jae .on_stack
    mov rax, [rdi + va_cursor.registers]
    mov rax, [rax + rcx * 8]
    ret
.on_stack:
    sub rcx, ARGUMENT_REGISTER_COUNT
    mov rax, [rdi + va_cursor.stack]
    mov rax, [rax + rcx * 8]
    ret

; format: render a format string into a sink.
; IN: rdi = sink (called with rdi = context, esi = byte; may clobber caller-saved registers),
;     rsi = sink context, rdx = format string, rcx = va_cursor of the arguments.
; OUT: rax = number of bytes sent to the sink. Preserves callee-saved registers.
format:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, format_locals_size
    mov r12, rdi
    mov r13, rsi
    mov rbx, rdx
    mov r14, rcx
    xor r15d, r15d
.next:
    movzx eax, byte [rbx]
    inc rbx
    test al, al
    jz .done
    cmp al, '%'
    je .conversion
    call .emit
    jmp .next

.conversion:
    mov qword [rsp + format_locals.width], 0
    mov qword [rsp + format_locals.prefix], 0
    mov byte [rsp + format_locals.left], 0
    mov byte [rsp + format_locals.pad], ' '
.flag:
    movzx eax, byte [rbx]
    cmp al, '-'
    jne .not_left
    mov byte [rsp + format_locals.left], 1
    inc rbx
    jmp .flag
.not_left:
    cmp al, '0'
    jne .width
    mov byte [rsp + format_locals.pad], '0'
    inc rbx
    jmp .flag
.width:
    movzx eax, byte [rbx]
    sub eax, '0'
    cmp eax, 9
    ja .length_modifier
    mov rcx, [rsp + format_locals.width]
    imul rcx, rcx, 10
    add rcx, rax
    mov [rsp + format_locals.width], rcx
    inc rbx
    jmp .width
.length_modifier:
    cmp byte [rbx], 'l'
    jne .specifier
    inc rbx
    jmp .length_modifier
.specifier:
    movzx eax, byte [rbx]
    inc rbx
    cmp al, 's'
    je .string
    cmp al, 'c'
    je .char
    cmp al, 'd'
    je .signed
    cmp al, 'u'
    je .unsigned
    cmp al, 'x'
    je .hex
    cmp al, 'p'
    je .pointer
    test al, al
    jnz .literal
    dec rbx                 ; "%" at the very end: print it and stop at the terminator
    mov al, '%'
.literal:
    ; "%%" prints '%'; an unknown conversion prints itself so the mistake shows in the log.
    cmp al, '%'
    je .emit_literal
    push rax
    mov al, '%'
    call .emit
    pop rax
.emit_literal:
    call .emit
    jmp .next

.string:
    mov rdi, r14
    call va_next
    test rax, rax
    jnz .have_string
    lea rax, [rel format_null_text]
.have_string:
    mov [rsp + format_locals.text], rax
    mov rdi, rax
    call strlen
    mov [rsp + format_locals.length], rax
    jmp .pad_and_emit

.char:
    mov rdi, r14
    call va_next
    lea rcx, [rsp + format_locals.digits]
    mov [rcx], al
    mov [rsp + format_locals.text], rcx
    mov qword [rsp + format_locals.length], 1
    jmp .pad_and_emit

.signed:
    mov rdi, r14
    call va_next
    test rax, rax
    jns .decimal
    neg rax
    lea rcx, [rel format_minus]
    mov [rsp + format_locals.prefix], rcx
    jmp .decimal
.unsigned:
    mov rdi, r14
    call va_next
.decimal:
    lea rdi, [rsp + format_locals.digits_end]
    mov ecx, 10
.decimal_digit:
    xor edx, edx
    div rcx
    add dl, '0'
    dec rdi
    mov [rdi], dl
    test rax, rax
    jnz .decimal_digit
    jmp .number_done

.pointer:
    lea rcx, [rel format_hex_prefix]
    mov [rsp + format_locals.prefix], rcx
    mov byte [rsp + format_locals.pad], '0'
    mov qword [rsp + format_locals.width], 18       ; "0x" + 16 digits
.hex:
    mov rdi, r14
    call va_next
    lea rdi, [rsp + format_locals.digits_end]
    lea rsi, [rel format_hex_digits]
.hex_digit:
    mov rdx, rax
    and edx, 0xf
    mov dl, [rsi + rdx]
    dec rdi
    mov [rdi], dl
    shr rax, 4
    jnz .hex_digit
.number_done:
    mov [rsp + format_locals.text], rdi
    lea rax, [rsp + format_locals.digits_end]
    sub rax, rdi
    mov [rsp + format_locals.length], rax

; Prints prefix, text and padding to `width` as the flags say:
;   right-justified, space pad:  spaces prefix text
;   right-justified, zero pad:   prefix zeros text
;   left-justified:              prefix text spaces
.pad_and_emit:
    mov rcx, [rsp + format_locals.prefix]
    test rcx, rcx
    jz .counted
    mov rdi, rcx
    call strlen
    sub [rsp + format_locals.width], rax            ; the prefix counts towards the width
    jae .counted
    mov qword [rsp + format_locals.width], 0
.counted:
    mov rax, [rsp + format_locals.width]
    sub rax, [rsp + format_locals.length]
    jae .have_padding
    xor eax, eax
.have_padding:
    mov [rsp + format_locals.width], rax            ; from here on: number of padding bytes
    cmp byte [rsp + format_locals.left], 0
    jne .left_justified
    cmp byte [rsp + format_locals.pad], '0'
    je .zero_padded
    call .emit_padding
    call .emit_prefix
    call .emit_text
    jmp .next
.zero_padded:
    call .emit_prefix
    call .emit_padding
    call .emit_text
    jmp .next
.left_justified:
    mov byte [rsp + format_locals.pad], ' '
    call .emit_prefix
    call .emit_text
    call .emit_padding
    jmp .next

.done:
    mov rax, r15
    add rsp, format_locals_size
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; Internal helpers: called with one return address on the stack, so locals are at rsp + 8 inside them.
; .emit: send al to the sink and count it. Clobbers caller-saved registers.
.emit:
    mov rdi, r13
    movzx esi, al
    call r12
    inc r15
    ret
.emit_padding:
    cmp qword [rsp + 8 + format_locals.width], 0
    je .emit_padding_done
    dec qword [rsp + 8 + format_locals.width]
    mov al, [rsp + 8 + format_locals.pad]
    call .emit
    jmp .emit_padding
.emit_padding_done:
    ret
.emit_prefix:
    mov rcx, [rsp + 8 + format_locals.prefix]
    test rcx, rcx
    jz .emit_prefix_done
    movzx eax, byte [rcx]
    test al, al
    jz .emit_prefix_done
    inc qword [rsp + 8 + format_locals.prefix]
    call .emit
    jmp .emit_prefix
.emit_prefix_done:
    ret
.emit_text:
    cmp qword [rsp + 8 + format_locals.length], 0
    je .emit_text_done
    dec qword [rsp + 8 + format_locals.length]
    mov rcx, [rsp + 8 + format_locals.text]
    inc qword [rsp + 8 + format_locals.text]
    movzx eax, byte [rcx]
    call .emit
    jmp .emit_text
.emit_text_done:
    ret

; Buffer sink context for ksnprintf.
struc buffer_sink
    .next:      resq 1      ; where the next byte goes
    .remaining: resq 1      ; bytes left, including the one reserved for the terminator
endstruc

; buffer_sink_put: store one byte if there is room, keeping one byte for the terminator.
; IN: rdi = buffer_sink, esi = byte. OUT: nothing. Clobbers: rax.
buffer_sink_put:
    cmp qword [rdi + buffer_sink.remaining], 1
    jbe .full
    mov rax, [rdi + buffer_sink.next]
    mov [rax], sil
    inc qword [rdi + buffer_sink.next]
    dec qword [rdi + buffer_sink.remaining]
.full:
    ret

; ksnprintf: format into a buffer, always 0-terminated when size > 0.
; IN: rdi = buffer, rsi = size, rdx = format, rcx, r8, r9, stack = arguments.
; OUT: rax = length of the whole formatted text (may exceed size - 1 when truncated).
ksnprintf:
    VARIADIC_PROLOGUE 3
    sub rsp, buffer_sink_size
    mov [rsp + buffer_sink.next], rdi
    mov [rsp + buffer_sink.remaining], rsi
    lea rcx, [rbp - VA_CURSOR_OFFSET]
    lea rdi, [rel buffer_sink_put]
    mov rsi, rsp
    call format
    cmp qword [rsp + buffer_sink.remaining], 0
    je .no_room
    mov rcx, [rsp + buffer_sink.next]
    mov byte [rcx], 0
.no_room:
    leave
    ret

; strlen: length of a 0-terminated string.
; IN: rdi = string. OUT: rax = length. Clobbers: nothing else.
strlen:
    mov rax, rdi
.scan:
    cmp byte [rax], 0
    je .end
    inc rax
    jmp .scan
.end:
    sub rax, rdi
    ret
