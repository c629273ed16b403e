; Non-local return, used by the test runner to recover from panics and expected exceptions.

struc jmp_buf
    .rbx:   resq 1
    .rbp:   resq 1
    .r12:   resq 1
    .r13:   resq 1
    .r14:   resq 1
    .r15:   resq 1
    .rsp:   resq 1
    .rip:   resq 1
endstruc

section .text

; ksetjmp: remember the caller's callee-saved registers, stack and return point.
; IN: rdi = jmp_buf. OUT: rax = 0 now, or the value given to klongjmp later.
ksetjmp:
    mov [rdi + jmp_buf.rbx], rbx
    mov [rdi + jmp_buf.rbp], rbp
    mov [rdi + jmp_buf.r12], r12
    mov [rdi + jmp_buf.r13], r13
    mov [rdi + jmp_buf.r14], r14
    mov [rdi + jmp_buf.r15], r15
    lea rax, [rsp + 8]
    mov [rdi + jmp_buf.rsp], rax
    mov rax, [rsp]
    mov [rdi + jmp_buf.rip], rax
    xor eax, eax
    ret

; klongjmp: return from the ksetjmp that filled the buffer, with a value. Does not return.
; IN: rdi = jmp_buf, rsi = value (must not be 0).
klongjmp:
    mov rbx, [rdi + jmp_buf.rbx]
    mov rbp, [rdi + jmp_buf.rbp]
    mov r12, [rdi + jmp_buf.r12]
    mov r13, [rdi + jmp_buf.r13]
    mov r14, [rdi + jmp_buf.r14]
    mov r15, [rdi + jmp_buf.r15]
    mov rsp, [rdi + jmp_buf.rsp]
    mov rax, rsi
    jmp [rdi + jmp_buf.rip]

; qemu_exit: leave QEMU through isa-debug-exit; on anything else, halt forever. Does not return.
; IN: dil = DEBUG_EXIT_SUCCESS or DEBUG_EXIT_FAILURE.
qemu_exit:
    mov eax, edi
    out DEBUG_EXIT_PORT, al
halt_forever:
    cli
.halt:
    hlt
    jmp .halt
