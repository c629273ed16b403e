; Spinlocks that also keep interrupts off while held (a handler taking the same lock on this CPU
; would otherwise spin forever). A lock is one quadword: 0 free, 1 held.

section .text

; spin_lock_irqsave: disable interrupts, then take the lock.
; IN: rdi = lock. OUT: rax = the RFLAGS from before (for spin_unlock_irqrestore). Clobbers: nothing else.
spin_lock_irqsave:
    pushfq
    pop rax
    cli
.try:
    lock bts qword [rdi], 0
    jnc .taken
.spin:
    pause                                   ; read-only spinning until it looks free, then try again
    test qword [rdi], 1
    jnz .spin
    jmp .try
.taken:
    ret

; spin_unlock_irqrestore: release the lock, then put the interrupt flag back as it was.
; IN: rdi = lock, rsi = RFLAGS from spin_lock_irqsave. OUT: nothing. Clobbers: nothing.
spin_unlock_irqrestore:
    mov qword [rdi], 0
    push rsi
    popfq
    ret

; spin_try_lock_irqsave: take the lock only when it is free.
; IN: rdi = lock. OUT: rax = RFLAGS from before when taken (interrupts now off), or -1 when the
; lock was held (interrupts as they were). Clobbers: rcx.
spin_try_lock_irqsave:
    pushfq
    pop rcx
    cli
    lock bts qword [rdi], 0
    jc .held
    mov rax, rcx
    ret
.held:
    push rcx
    popfq
    mov rax, -1
    ret
