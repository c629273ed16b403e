; kernel.asm — a Limine-protocol x86-64 kernel: says hello on the serial port, and with `test` on its
; command line runs its in-kernel tests and reports them in ostool's test protocol (TAP-like lines on COM1,
; the verdict on QEMU's isa-debug-exit port). `ostool run` boots it, `ostool test` tests it.

bits 64
default rel

COM1            equ 0x3f8       ; first serial port: data register
COM1_LINE_STATUS equ COM1 + 5
LINE_THR_EMPTY  equ 0x20        ; line status: the transmit holding register can take a byte
LINE_IDLE       equ 0x40        ; line status: everything has been sent
DEBUG_EXIT      equ 0xf4        ; QEMU isa-debug-exit: QEMU exits with (value << 1) | 1
EXIT_SUCCESS    equ 0x10        ; ostool.toml [test] success_code
EXIT_FAILURE    equ 0x11        ; ostool.toml [test] failure_code

; ---------------------------------------------------------------- Limine requests (base revision 2)

%define LIMINE_COMMON_MAGIC 0xc7b1dd30df4c8b88, 0x0a82e883a194f07b

LIMINE_RESPONSE         equ 40  ; offset of the response pointer in a request (id[4], revision)
FILE_RESPONSE_FILE      equ 8   ; kernel file response: pointer to its struct limine_file
LIMINE_FILE_CMDLINE     equ 32  ; struct limine_file: revision, address, size, path, cmdline

section .requests_start_marker progbits alloc write noexec align=8
    dq 0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9

section .requests progbits alloc write noexec align=8
base_revision:
    dq 0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 2    ; the loader sets the third word to 0 when it complies
kernel_file_request:
    dq LIMINE_COMMON_MAGIC, 0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69
    dq 0                                            ; revision
    dq 0                                            ; response, filled in by the loader

section .requests_end_marker progbits alloc write noexec align=8
    dq 0xadc0e0531bb10d03, 0x9572709f31764c62

; ---------------------------------------------------------------- text

section .rodata
text_hello:     db "Hello from your ostool kernel!", 10, 0
text_no_base:   db "Bail out! the bootloader does not support Limine base revision 2", 10, 0
text_plan:      db "1..1", 10, 0
text_ok:        db "ok 1 - math: 6 * 7 is 42", 10, 0
text_not_ok:    db "not ok 1 - math: 6 * 7 is 42", 10, "# src/kernel.asm: expected 42", 10, 0
text_passed:    db "# tests 1, passed 1, failed 0", 10, 0
text_failed:    db "# tests 1, passed 0, failed 1", 10, 0
word_test:      db "test"

section .text

; kmain: the entry point (ENTRY in linker.ld). Never returns.
global kmain
kmain:
    cld
    cmp qword [base_revision + 16], 0
    jne .unsupported
    call command_line_is_test
    test al, al
    jnz run_tests
    lea rsi, [text_hello]
    call serial_write
    mov al, EXIT_SUCCESS                ; a real kernel would carry on here; this one ends the QEMU run
    jmp exit_qemu
.unsupported:
    lea rsi, [text_no_base]
    call serial_write
    mov al, EXIT_FAILURE
    jmp exit_qemu

; run_tests: runs the in-kernel tests, reports them and exits QEMU with the verdict. Never returns.
run_tests:
    lea rsi, [text_plan]
    call serial_write
    call test_multiply
    test al, al
    jz .failed
    lea rsi, [text_ok]
    call serial_write
    lea rsi, [text_passed]
    call serial_write
    mov al, EXIT_SUCCESS
    jmp exit_qemu
.failed:
    lea rsi, [text_not_ok]
    call serial_write
    lea rsi, [text_failed]
    call serial_write
    mov al, EXIT_FAILURE
    jmp exit_qemu

; test_multiply: the example test. OUT: al = 1 when it passed. Clobbers: rcx, rdx.
test_multiply:
    mov eax, 6
    mov ecx, 7
    imul eax, ecx
    cmp eax, 42
    sete al
    ret

; command_line_is_test: OUT: al = 1 when the kernel command line starts with the word `test`.
; Clobbers: rcx, rsi, rdi.
command_line_is_test:
    xor eax, eax
    mov rsi, [kernel_file_request + LIMINE_RESPONSE]
    test rsi, rsi
    jz .done
    mov rsi, [rsi + FILE_RESPONSE_FILE]
    mov rsi, [rsi + LIMINE_FILE_CMDLINE]
    test rsi, rsi
    jz .done
    lea rdi, [word_test]
    mov ecx, 4
    repe cmpsb
    jne .done
    mov cl, [rsi]                       ; `test` must be a whole word
    test cl, cl
    jz .yes
    cmp cl, ' '
    jne .done
.yes:
    mov al, 1
.done:
    ret

; serial_write: writes a 0-terminated string to COM1. IN: rsi = string. Clobbers: rax, rdx, rsi.
serial_write:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, COM1_LINE_STATUS
.wait:
    in al, dx
    test al, LINE_THR_EMPTY
    jz .wait
    mov al, ah
    mov dx, COM1
    out dx, al
    jmp serial_write
.done:
    ret

; exit_qemu: waits until COM1 has sent everything, then writes the verdict to isa-debug-exit.
; IN: al = EXIT_SUCCESS or EXIT_FAILURE. Never returns.
exit_qemu:
    mov ah, al
    mov dx, COM1_LINE_STATUS
.drain:
    in al, dx
    test al, LINE_IDLE
    jz .drain
    mov al, ah
    out DEBUG_EXIT, al
.halt:
    cli
    hlt
    jmp .halt
