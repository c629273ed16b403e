; console.asm — messages on COM1 (always) and the firmware's console (UEFI: while boot
; services last).

section .text

; serial_write_byte — send one byte to COM1, waiting for the transmitter.
; IN: cl = byte. OUT: rax, rdx clobbered. A missing UART reads 0xff, so this never spins.
serial_write_byte:
    mov dx, COM1_LINE_STATUS
.wait:
    in al, dx
    test al, LSR_TRANSMIT_EMPTY
    jz .wait
    mov dx, COM1
    mov al, cl
    out dx, al
    ret

; write_serial_unless_mirrored — COM1 output, skipped while the firmware's console already
; copies ConOut to a serial port (it would print every message twice, interleaved).
; IN: cl = byte. OUT: rax, rdx clobbered.
write_serial_unless_mirrored:
    cmp byte [rel firmware_console_active], 0
    je serial_write_byte
    cmp byte [rel conout_on_serial], 0
    je serial_write_byte
    ret

; print — write a C string to COM1 and, while firmware_console_active, to the firmware's
; console (firmware_console_write, UTF-16).
; IN: rcx = zero-terminated ASCII. "\n" becomes CR LF on both.
print:
    FRAME
    mov rsi, rcx
.next_chunk:
    lea rdi, [rel conout_buffer]
    xor ebx, ebx                        ; UTF-16 characters in this chunk
.next_char:
    movzx eax, byte [rsi]
    test al, al
    jz .flush
    inc rsi
    mov r12d, eax
    cmp al, 10
    jne .plain
    mov cl, 13
    call write_serial_unless_mirrored
    mov word [rdi + rbx*2], 13
    inc ebx
.plain:
    mov ecx, r12d
    call write_serial_unless_mirrored
    mov eax, r12d
    mov [rdi + rbx*2], ax
    inc ebx
    cmp ebx, CONOUT_CHUNK - 2
    jb .next_char
.flush:
    mov word [rdi + rbx*2], 0
    cmp byte [rel firmware_console_active], 0
    je .flushed
    test ebx, ebx
    jz .flushed
    mov rcx, rdi
    call firmware_console_write
.flushed:
    cmp byte [rsi], 0
    jne .next_chunk
    UNFRAME

; print_hex — print a value as 0x followed by 16 hex digits.
; IN: rcx = value.
print_hex:
    FRAME
    lea rdi, [rel hex_buffer + 2]
    mov rdx, rcx
    mov ecx, 16
.digit:
    rol rdx, 4
    mov eax, edx
    and eax, 0xf
    lea r8, [rel hex_digits]
    mov al, [r8 + rax]
    stosb
    loop .digit
    lea rcx, [rel hex_buffer]
    call print
    UNFRAME

; fatal — print "ostool loader: error: <before><detail><after>" and stop the machine.
; IN: rcx = before (C string), rdx = detail (C string or 0), r8 = after (C string or 0).
; Writes the failure code to QEMU's isa-debug-exit port (ignored elsewhere) so that test
; runs end at once, then halts with interrupts off. Never returns.
fatal:
    FRAME
    mov rsi, rcx
    mov rdi, rdx
    mov rbx, r8
    lea rcx, [rel msg_error_prefix]
    call print
    mov rcx, rsi
    call print
    test rdi, rdi
    jz .no_detail
    mov rcx, rdi
    call print
.no_detail:
    test rbx, rbx
    jz .no_after
    mov rcx, rbx
    call print
.no_after:
    lea rcx, [rel msg_newline]
    call print
stop_machine:
    ; let COM1 drain first: QEMU sends a byte from its main loop, which a loaded host may not
    ; run for a while, so the bound is time (TSC), not a number of polls. A missing UART reads
    ; 0xff (idle); a stuck one must not hang us.
    mov rcx, [rel tsc_frequency]
    shl rcx, 1                          ; two seconds when the TSC has been measured
    test rcx, rcx
    jnz .have_budget
    mov rcx, SERIAL_DRAIN_TSC_TICKS
.have_budget:
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rsi, rax                        ; start
    mov dx, COM1_LINE_STATUS
.drain:
    in al, dx
    test al, LSR_TRANSMITTER_IDLE
    jnz .drained
    pause
    mov rdi, rdx
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rdx, rdi
    sub rax, rsi
    cmp rax, rcx
    jb .drain
.drained:
    mov al, DEBUG_EXIT_FAILURE
    out DEBUG_EXIT_PORT, al
.halt:
    cli
    hlt
    jmp .halt

section .data
CONOUT_CHUNK        equ 128
; unmeasured TSC: 2^33 ticks, 2-3 s at today's clock rates
SERIAL_DRAIN_TSC_TICKS equ 1 << 33
firmware_console_active: db 0            ; set by a platform with a console of its own
conout_on_serial:   db 0
align 8
hex_digits:         db "0123456789abcdef"
hex_buffer:         db "0x0000000000000000", 0
msg_error_prefix:   db "ostool loader: error: ", 0
msg_newline:        db 10, 0
align 8
conout_buffer:      times CONOUT_CHUNK dw 0
