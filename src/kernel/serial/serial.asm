; 16550 UART on COM1: polled output at 115200 baud, 8 data bits, no parity, 1 stop bit, FIFO on.

COM1_BASE           equ 0x3f8
UART_DATA           equ 0       ; transmit holding / receive buffer (DLAB=0), divisor low byte (DLAB=1)
UART_IER            equ 1       ; interrupt enable (DLAB=0), divisor high byte (DLAB=1)
UART_FCR            equ 2       ; FIFO control
UART_LCR            equ 3       ; line control
UART_MCR            equ 4       ; modem control
UART_LSR            equ 5       ; line status

UART_LCR_DLAB       equ 0x80
UART_LCR_8N1        equ 0x03
UART_FCR_ENABLE_CLEAR_14 equ 0xc7   ; enable FIFOs, clear both, interrupt at 14 bytes
UART_MCR_DTR_RTS_OUT2 equ 0x0b
UART_LSR_THR_EMPTY  equ 0x20
UART_BAUD_DIVISOR   equ 1           ; 115200 / 1

section .text

; serial_init: program COM1 for 115200 8N1 with FIFOs, interrupts off.
; IN: nothing. OUT: nothing. Clobbers: rax, rdx.
serial_init:
    mov dx, COM1_BASE + UART_IER
    xor al, al
    out dx, al
    mov dx, COM1_BASE + UART_LCR
    mov al, UART_LCR_DLAB
    out dx, al
    mov dx, COM1_BASE + UART_DATA
    mov al, UART_BAUD_DIVISOR & 0xff
    out dx, al
    mov dx, COM1_BASE + UART_IER
    mov al, UART_BAUD_DIVISOR >> 8
    out dx, al
    mov dx, COM1_BASE + UART_LCR
    mov al, UART_LCR_8N1
    out dx, al
    mov dx, COM1_BASE + UART_FCR
    mov al, UART_FCR_ENABLE_CLEAR_14
    out dx, al
    mov dx, COM1_BASE + UART_MCR
    mov al, UART_MCR_DTR_RTS_OUT2
    out dx, al
    ret

; serial_putc: send one byte, waiting for room in the transmitter.
; IN: dil = byte. OUT: nothing. Clobbers: rax, rdx.
serial_putc:
    mov dx, COM1_BASE + UART_LSR
.wait:
    in al, dx
    test al, UART_LSR_THR_EMPTY
    jz .wait
    mov dx, COM1_BASE + UART_DATA
    mov al, dil
    out dx, al
    ret

; serial_puts: send a 0-terminated string.
; IN: rdi = string. OUT: nothing. Clobbers: rax, rdx, rdi, rsi.
serial_puts:
    mov rsi, rdi
.next:
    movzx edi, byte [rsi]
    test dil, dil
    jz .done
    call serial_putc
    inc rsi
    jmp .next
.done:
    ret
