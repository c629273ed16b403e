; Kernel threads and the scheduler: preemptive round robin on the timer tick (a thread runs
; THREAD_SLICE_TICKS ticks while others wait), create/exit/join, sleep(ms) against clock_ns, yield.
; A switch saves the callee-saved registers on the old stack and the FPU/SSE state in the thread.
; Each thread's stack sits in its own slot of the THREAD_STACKS_BASE region above an unmapped guard
; page. One CPU: the run queue and sleep list are guarded by disabling interrupts.
; The boot thread ("kmain", on the kernel stack) and the idle thread exist from scheduler_init on.

THREAD_STACK_SIZE   equ 16 * 1024
THREAD_SLOT_SIZE    equ 64 * 1024           ; guard page, stack, and unmapped space up to the next slot
THREAD_NAME_SIZE    equ 32
THREAD_SLICE_TICKS  equ 2                   ; 8 ms at 250 Hz (2 ms at the test suite's 1000 Hz)

THREAD_READY        equ 0
THREAD_RUNNING      equ 1
THREAD_SLEEPING     equ 2
THREAD_BLOCKED      equ 3                   ; waiting in thread_join
THREAD_DEAD         equ 4
PROCESS_FILES       equ 16

struc thread
    .rsp:           resq 1      ; saved stack pointer while switched out
    .state:         resq 1
    .id:            resq 1
    .next:          resq 1      ; link in the run queue or the sleep list
    .wake_ns:       resq 1      ; SLEEPING: clock_ns deadline
    .joiner:        resq 1      ; the thread waiting for this one to exit, or 0
    .exit_code:     resq 1
    .stack_bottom:  resq 1      ; lowest stack address; the guard page is just below (0: not ours)
    .stack_top:     resq 1
    .fpu_state:     resq 1      ; FPU/SSE save area (cpu/fpu.asm)
    .runs:          resq 1      ; times the scheduler switched to it
    .cr3:           resq 1      ; address space: the kernel's PML4, or its process's
    .user:          resq 1      ; 1 for a process (a thread that runs in ring 3)
    .mmap_next:     resq 1      ; process: where the next anonymous mapping goes
    .detached:      resq 1      ; 1: nobody joins it; freed by the next thread_create after it exits
    .files:         resb PROCESS_FILES * 16 ; process: open files (vfs_node, offset); fds 0-2 are the console
    .name:          resb THREAD_NAME_SIZE
endstruc

section .bss
    alignb 16
boot_thread:        resb thread_size
current_thread:     resq 1      ; 0 until scheduler_init
idle_thread:        resq 1
run_queue_head:     resq 1
run_queue_tail:     resq 1
sleep_list:         resq 1
next_thread_id:     resq 1
need_resched:       resq 1      ; set by the tick; irq_dispatch calls schedule after the EOI
slice_left:         resq 1
context_switches:   resq 1
zombies:            resq 1      ; detached threads that exited, linked through .next, not yet freed
tick_ns:            resq 1      ; clock_ns at the last tick the scheduler saw (sleepers wake on ticks)
tick_previous_ns:   resq 1      ; and at the one before it

section .rodata
thread_boot_name:   db "kmain", 0
thread_idle_name:   db "idle", 0
scheduler_ready_format: db "sched: round robin, %u ms slices, %u KiB stacks with guard pages", 0
thread_no_memory_text:  db "sched: no memory for the idle thread", 0

section .text

; run_queue_push: append a thread to the run queue. Interrupts must be off.
; IN: rdi = thread. OUT: nothing. Clobbers: rax.
run_queue_push:
    mov qword [rdi + thread.next], 0
    mov rax, [rel run_queue_tail]
    test rax, rax
    jz .empty
    mov [rax + thread.next], rdi
    mov [rel run_queue_tail], rdi
    ret
.empty:
    mov [rel run_queue_head], rdi
    mov [rel run_queue_tail], rdi
    ret

; run_queue_pop: take the first thread of the run queue. Interrupts must be off.
; IN: nothing. OUT: rax = thread, or 0 when the queue is empty. Clobbers: rcx.
run_queue_pop:
    mov rax, [rel run_queue_head]
    test rax, rax
    jz .done
    mov rcx, [rax + thread.next]
    mov [rel run_queue_head], rcx
    test rcx, rcx
    jnz .done
    mov qword [rel run_queue_tail], 0
.done:
    ret

; thread_make_ready: a sleeping, blocked or new thread may run again. Interrupts must be off.
; IN: rdi = thread. OUT: nothing. Clobbers: rax.
thread_make_ready:
    mov qword [rdi + thread.state], THREAD_READY
    jmp run_queue_push

; scheduler_init: the boot thread becomes a thread, the idle thread is created.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
scheduler_init:
    push rbp
    mov rbp, rsp
    lea rdi, [rel boot_thread]
    mov qword [rdi + thread.state], THREAD_RUNNING
    mov qword [rdi + thread.id], 0
    lea rax, [rel kernel_stack]
    mov [rdi + thread.stack_bottom], rax
    lea rax, [rel kernel_stack_top]
    mov [rdi + thread.stack_top], rax
    call fpu_alloc_area
    test rax, rax
    jz .no_memory
    lea rdi, [rel boot_thread]
    mov [rdi + thread.fpu_state], rax
    mov rax, [rel kernel_pml4]
    mov [rdi + thread.cr3], rax
    lea rdi, [rel boot_thread + thread.name]
    lea rsi, [rel thread_boot_name]
    call thread_copy_name
    mov qword [rel next_thread_id], 1
    lea rax, [rel boot_thread]
    mov [rel current_thread], rax
    mov qword [rel slice_left], THREAD_SLICE_TICKS
    lea rdi, [rel idle_loop]
    xor esi, esi
    lea rdx, [rel thread_idle_name]
    call thread_spawn
    test rax, rax
    jz .no_memory
    mov [rel idle_thread], rax
    mov edi, LOG_INFO
    lea rsi, [rel scheduler_ready_format]
    mov eax, THREAD_SLICE_TICKS * 1000
    xor edx, edx
    div qword [rel timer_hz]
    mov edx, eax
    mov ecx, THREAD_STACK_SIZE / 1024
    call klog
    pop rbp
    ret
.no_memory:
    lea rdi, [rel thread_no_memory_text]
    call panic

; idle_loop: what runs when no thread can: wait for the next interrupt.
idle_loop:
    sti
    hlt
    jmp idle_loop

; thread_copy_name: copy a 0-terminated name, cut to THREAD_NAME_SIZE - 1 bytes.
; IN: rdi = destination, rsi = name. OUT: nothing. Clobbers: rax, rcx.
thread_copy_name:
    xor ecx, ecx
.next:
    cmp ecx, THREAD_NAME_SIZE - 1
    je .end
    mov al, [rsi + rcx]
    test al, al
    jz .end
    mov [rdi + rcx], al
    inc ecx
    jmp .next
.end:
    mov byte [rdi + rcx], 0
    ret

; thread_spawn: make a thread without making it runnable (scheduler_init's idle thread).
; IN: rdi = entry (System V: rdi = argument; its return value is the exit code), rsi = argument,
; rdx = name. OUT: rax = thread, or 0 when out of memory. Clobbers: caller-saved registers.
thread_spawn:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov r12, rdi
    mov r13, rsi
    mov r14, rdx
    mov edi, thread_size
    call kmalloc
    test rax, rax
    jz .failed
    mov rbx, rax
    mov rdi, rbx
    mov ecx, thread_size / 8
    xor eax, eax
    rep stosq
    lea rdi, [rbx + thread.name]
    mov rsi, r14
    call thread_copy_name
    mov rax, [rel kernel_pml4]
    mov [rbx + thread.cr3], rax
    call fpu_alloc_area
    test rax, rax
    jz .free_thread
    mov [rbx + thread.fpu_state], rax
    ; The clean FPU state: a copy of the template.
    mov rdi, rax
    mov rsi, [rel fpu_initial_state]
    mov rcx, [rel fpu_state_size]
    rep movsb
    pushfq
    cli
    mov rax, [rel next_thread_id]
    inc qword [rel next_thread_id]
    popfq
    mov [rbx + thread.id], rax
    ; Stack slot: the guard page at the slot's start stays unmapped; the stack follows it.
    imul rax, rax, THREAD_SLOT_SIZE
    mov rcx, THREAD_STACKS_BASE + PAGE_SIZE
    add rax, rcx
    mov [rbx + thread.stack_bottom], rax
    add rax, THREAD_STACK_SIZE
    mov [rbx + thread.stack_top], rax
    mov r15, [rbx + thread.stack_bottom]
.map_stack:
    cmp r15, [rbx + thread.stack_top]
    jae .stack_mapped
    call alloc_frame
    test rax, rax
    jz .free_stack
    mov rdi, r15
    mov rsi, rax
    mov [rsp], rax
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE
    call map_page
    test rax, rax
    jnz .free_frame
    add r15, PAGE_SIZE
    jmp .map_stack
.free_frame:
    mov rdi, [rsp]
    call free_frame
.free_stack:
    mov rdi, rbx
    mov rsi, r15
    call thread_unmap_stack
    mov rdi, [rbx + thread.fpu_state]
    call fpu_free_area
.free_thread:
    mov rdi, rbx
    call kfree
.failed:
    xor eax, eax
    jmp .done
.stack_mapped:
    ; The first switch_to pops r15, r14, r13, r12, rbx, rbp and returns into thread_start.
    mov rax, [rbx + thread.stack_top]
    mov qword [rax - 8], 0                  ; no return address: thread_start never returns
    lea rcx, [rel thread_start]
    mov [rax - 16], rcx
    mov qword [rax - 24], 0                 ; rbp: ends backtraces
    mov [rax - 32], r12                     ; rbx: entry
    mov [rax - 40], r13                     ; r12: argument
    mov qword [rax - 48], 0                 ; r13
    mov qword [rax - 56], 0                 ; r14
    mov qword [rax - 64], 0                 ; r15
    sub rax, 64
    mov [rbx + thread.rsp], rax
    mov qword [rbx + thread.state], THREAD_READY
    mov rax, rbx
.done:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; thread_unmap_stack: unmap and free a thread's stack pages below an address.
; IN: rdi = thread, rsi = end of the mapped part. OUT: nothing. Clobbers: caller-saved registers.
thread_unmap_stack:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, [rdi + thread.stack_bottom]
    mov r12, rsi
.page:
    cmp rbx, r12
    jae .done
    mov rdi, rbx
    call unmap_page
    cmp rax, PAGING_ERROR
    je .next
    mov rdi, rax
    call free_frame
.next:
    add rbx, PAGE_SIZE
    jmp .page
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; thread_start: where a new thread begins (rbx = entry, r12 = argument): interrupts on, run the
; entry, exit with what it returned.
thread_start:
    xor ebp, ebp
    and rsp, -16
    sti
    mov rdi, r12
    call rbx
    mov rdi, rax
    call thread_exit

; thread_create: a new thread, runnable at once.
; IN: rdi = entry (rdi = argument; returns the exit code), rsi = argument, rdx = name (copied).
; OUT: rax = thread (for thread_join), or 0 when out of memory. Clobbers: caller-saved registers.
thread_create:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push rdi
    push rsi
    push rdx
    push rdx
    call thread_reap_zombies
    pop rdx
    pop rdx
    pop rsi
    pop rdi
    call thread_spawn
    test rax, rax
    jz .done
    mov rbx, rax
    pushfq
    cli
    mov rdi, rbx
    call thread_make_ready
    popfq
    mov rax, rbx
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; thread_detach: nobody will join this thread: free it once it has exited.
; IN: rdi = thread. OUT: nothing. Clobbers: rax.
thread_detach:
    pushfq
    cli
    mov qword [rdi + thread.detached], 1
    cmp qword [rdi + thread.state], THREAD_DEAD
    jne .done
    mov rax, [rel zombies]                  ; it already exited
    mov [rdi + thread.next], rax
    mov [rel zombies], rdi
.done:
    popfq
    ret

; thread_reap_zombies: free the detached threads that exited (their stacks are no longer in use).
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
thread_reap_zombies:
    push rbp
    mov rbp, rsp
.next:
    pushfq
    cli
    mov rdi, [rel zombies]
    test rdi, rdi
    jz .none
    mov rax, [rdi + thread.next]
    mov [rel zombies], rax
    popfq
    call thread_free
    jmp .next
.none:
    popfq
    pop rbp
    ret

; thread_free: give back a dead thread's stack, FPU area and record.
; IN: rdi = thread. OUT: nothing. Clobbers: caller-saved registers.
thread_free:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov rsi, [rbx + thread.stack_top]
    call thread_unmap_stack
    mov rdi, [rbx + thread.fpu_state]
    call fpu_free_area
    mov rdi, rbx
    call kfree
    pop r12
    pop rbx
    pop rbp
    ret

; thread_exit: end the running thread with an exit code; its joiner wakes up (a detached thread
; waits for thread_reap_zombies instead). Does not return.
; IN: rdi = exit code.
thread_exit:
    cli
    mov rax, [rel current_thread]
    mov [rax + thread.exit_code], rdi
    mov qword [rax + thread.state], THREAD_DEAD
    cmp qword [rax + thread.detached], 0
    je .joinable
    mov rcx, [rel zombies]
    mov [rax + thread.next], rcx
    mov [rel zombies], rax
    jmp .switch
.joinable:
    mov rdi, [rax + thread.joiner]
    test rdi, rdi
    jz .switch
    call thread_make_ready
.switch:
    call schedule
    ud2                                     ; a dead thread is never switched back to

; thread_join: wait for a thread to exit, free it, and return its exit code.
; IN: rdi = thread (from thread_create; joined once). OUT: rax = its exit code.
; Clobbers: caller-saved registers.
thread_join:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    pushfq
    cli
.wait:
    cmp qword [rbx + thread.state], THREAD_DEAD
    je .dead
    mov rax, [rel current_thread]
    mov [rbx + thread.joiner], rax
    mov qword [rax + thread.state], THREAD_BLOCKED
    call schedule
    jmp .wait
.dead:
    popfq
    mov r12, [rbx + thread.exit_code]
    mov rdi, rbx
    call thread_free
    mov rax, r12
    pop r12
    pop rbx
    pop rbp
    ret

; thread_yield: let every other ready thread run first.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
thread_yield:
    push rbp
    mov rbp, rsp
    call schedule
    pop rbp
    ret

; thread_sleep_ms: sleep at least a number of milliseconds (measured on clock_ns).
; IN: rdi = milliseconds. OUT: nothing. Clobbers: caller-saved registers.
thread_sleep_ms:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    imul rbx, rdi, NS_PER_MS
    call clock_ns
    add rbx, rax
    pushfq
    cli
    mov rax, [rel current_thread]
    mov [rax + thread.wake_ns], rbx
    mov qword [rax + thread.state], THREAD_SLEEPING
    mov rcx, [rel sleep_list]
    mov [rax + thread.next], rcx
    mov [rel sleep_list], rax
    call schedule
    popfq
    pop r12
    pop rbx
    pop rbp
    ret

; scheduler_tick: from the timer interrupt: wake the sleepers whose deadline passed, and ask for a
; switch when the running thread's slice is over (or the idle thread runs) and someone is waiting.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
scheduler_tick:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    cmp qword [rel current_thread], 0
    je .done
    call clock_ns
    mov r12, rax
    mov rax, [rel tick_ns]
    mov [rel tick_previous_ns], rax
    mov [rel tick_ns], r12
    lea rbx, [rel sleep_list]               ; rbx: the link that points at the candidate
.sleeper:
    mov rdi, [rbx]
    test rdi, rdi
    jz .slept
    cmp [rdi + thread.wake_ns], r12
    ja .keep
    mov rax, [rdi + thread.next]
    mov [rbx], rax                          ; unlink, then queue it
    call thread_make_ready
    jmp .sleeper
.keep:
    lea rbx, [rdi + thread.next]
    jmp .sleeper
.slept:
    cmp qword [rel run_queue_head], 0
    je .done
    mov rax, [rel current_thread]
    cmp rax, [rel idle_thread]
    je .switch
    dec qword [rel slice_left]
    jg .done
.switch:
    mov qword [rel need_resched], 1
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; schedule: switch to the next ready thread (the idle thread when none is); the running thread,
; if still RUNNING, goes to the back of the queue. Returns when this thread is switched back to.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
schedule:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    pushfq
    cli
    sub rsp, 8
    mov qword [rel need_resched], 0
    mov rbx, [rel current_thread]
    test rbx, rbx
    jz .same_thread                         ; before scheduler_init
    cmp qword [rbx + thread.state], THREAD_RUNNING
    jne .pick
    mov qword [rbx + thread.state], THREAD_READY
    cmp rbx, [rel idle_thread]
    je .pick
    mov rdi, rbx
    call run_queue_push
.pick:
    call run_queue_pop
    test rax, rax
    jnz .have_next
    mov rax, [rel idle_thread]
.have_next:
    mov r12, rax
    mov qword [r12 + thread.state], THREAD_RUNNING
    mov qword [rel slice_left], THREAD_SLICE_TICKS
    cmp r12, rbx
    je .same_thread
    inc qword [r12 + thread.runs]
    inc qword [rel context_switches]
    mov [rel current_thread], r12
    mov rdi, rbx
    mov rsi, r12
    call switch_to
.same_thread:
    add rsp, 8
    popfq
    pop r12
    pop rbx
    pop rbp
    ret

; switch_to: save this thread's callee-saved registers and FPU state, continue on the next one.
; Interrupts must be off. TSS.rsp0 follows the thread, so a ring-3 entry lands on its stack.
; IN: rdi = current thread, rsi = next thread. OUT: returns when the current thread runs again.
; Clobbers: caller-saved registers (the FPU state is the thread's own again on return).
switch_to:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov r12, rdi
    mov r13, rsi
    mov rdi, [r12 + thread.fpu_state]
    call fpu_save
    mov [r12 + thread.rsp], rsp
    mov rsp, [r13 + thread.rsp]
    mov rdi, [r13 + thread.fpu_state]
    call fpu_restore
    ; A process's address space comes along; kernel threads share the kernel's (same CR3: no flush).
    mov rax, [r13 + thread.cr3]
    mov rcx, cr3
    cmp rax, rcx
    je .same_space
    mov cr3, rax
.same_space:
    ; Interrupts and syscalls from ring 3 land at the top of this thread's kernel stack.
    mov rax, [r13 + thread.stack_top]
    mov [rel kernel_tss + tss.rsp0], rax
    mov [rel syscall_kernel_rsp], rax
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; thread_current_name: the running thread's name (panic reports it).
; IN: nothing. OUT: rax = name, or 0 before scheduler_init; rdx = thread id. Clobbers: nothing else.
thread_current_name:
    mov rax, [rel current_thread]
    test rax, rax
    jz .none
    mov rdx, [rax + thread.id]
    add rax, thread.name
    ret
.none:
    xor edx, edx
    ret
