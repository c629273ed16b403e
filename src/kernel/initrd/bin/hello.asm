; /bin/hello from the initrd: one line, then exits with what write returned.
; Build: ostool asm -f elf64 -I src/kernel/initrd/ -o hello.o hello.asm; ostool link -e _start -o hello hello.o

bits 64
default rel
%include "syscalls.inc"

section .text
global _start
_start:
    mov edi, STDOUT
    lea rsi, [rel text]
    mov edx, text_end - text
    SYSCALL SYS_WRITE
    mov rdi, rax
    SYSCALL SYS_EXIT

section .data
text:       db `hello from an ELF program in the initrd\n`
text_end:
