; /bin/init from the initrd: greets, prints /etc/motd (open, stat, read, close), lists /bin
; (readdir), spawns /bin/hello and then /bin/echo (the console), and exits 0 when all of it worked.
; Build: ostool asm -f elf64 -I src/kernel/initrd/ -o init.o init.asm; ostool link -e _start -o init init.o

bits 64
default rel
%include "syscalls.inc"

section .bss
buffer:     resb 256
stat:       resq 2

section .text
global _start
_start:
    xor r15d, r15d                          ; failures
    lea rdi, [rel greeting]
    call puts
    ; /etc/motd: its size from stat, its bytes from read.
    lea rdi, [rel motd_path]
    lea rsi, [rel stat]
    SYSCALL SYS_STAT
    test rax, rax
    jnz .failed_motd
    lea rdi, [rel motd_path]
    SYSCALL SYS_OPEN
    test rax, rax
    js .failed_motd
    mov rbx, rax
    mov rdi, rbx
    lea rsi, [rel buffer]
    mov edx, 256
    SYSCALL SYS_READ
    cmp rax, [rel stat]                     ; all of it in one read
    jne .failed_motd
    mov r12, rax
    lea rdi, [rel motd_header]
    call puts
    mov edi, STDOUT
    lea rsi, [rel buffer]
    mov rdx, r12
    SYSCALL SYS_WRITE
    mov rdi, rbx
    SYSCALL SYS_CLOSE
    jmp .list
.failed_motd:
    inc r15
.list:
    ; /bin, one name per line.
    lea rdi, [rel listing_header]
    call puts
    xor r12d, r12d
.entry:
    lea rdi, [rel bin_path]
    mov rsi, r12
    lea rdx, [rel buffer]
    mov r10d, 255
    SYSCALL SYS_READDIR
    test rax, rax
    jz .listed
    js .failed_list
    lea rcx, [rel buffer]
    mov byte [rcx + rax], 10
    lea rdx, [rax + 1]
    mov edi, STDOUT
    lea rsi, [rel buffer]
    SYSCALL SYS_WRITE
    inc r12
    jmp .entry
.failed_list:
    inc r15
.listed:
    lea rdi, [rel hello_path]
    SYSCALL SYS_SPAWN
    test rax, rax
    jg .spawned_hello
    inc r15
.spawned_hello:
    mov edi, 50
    SYSCALL SYS_SLEEP                       ; let /bin/hello speak first
    lea rdi, [rel echo_path]
    SYSCALL SYS_SPAWN
    test rax, rax
    jg .spawned_echo
    inc r15
.spawned_echo:
    mov rdi, r15
    SYSCALL SYS_EXIT

; puts: write a 0-terminated string. IN: rdi = string. Clobbers: rax, rcx, rdx, rsi, rdi, r11.
puts:
    mov rsi, rdi
    xor edx, edx
.length:
    cmp byte [rsi + rdx], 0
    je .write
    inc rdx
    jmp .length
.write:
    mov edi, STDOUT
    SYSCALL SYS_WRITE
    ret

section .rodata
greeting:       db `init: hello from the initrd\n`, 0
motd_header:    db `init: /etc/motd says:\n`, 0
listing_header: db `init: /bin holds:\n`, 0
motd_path:      db "/etc/motd", 0
bin_path:       db "/bin", 0
hello_path:     db "/bin/hello", 0
echo_path:      db "/bin/echo", 0
