; Benchmarks (cmdline `bench`): cycles per operation with rdtsc, median of BENCH_ROUNDS rounds of
; BENCH_ITERATIONS operations each. Output lines: "bench NAME CYCLES" (bench/kernel.ts parses them).

BENCH_ROUNDS        equ 15
BENCH_ITERATIONS    equ 1000
BENCH_BATCH         equ 64          ; allocations held at once by the batch benchmarks

section .bss
bench_samples:      resq BENCH_ROUNDS
bench_batch:        resq BENCH_BATCH

section .rodata
bench_line_format:      db `bench %s %u\n`, 0
bench_done_text:        db `bench done\n`, 0
bench_name_frame:       db "frame_alloc_free", 0
bench_name_frames16:    db "frames16_alloc_free", 0
bench_name_kmalloc32:   db "kmalloc_kfree_32", 0
bench_name_kmalloc256:  db "kmalloc_kfree_256", 0
bench_name_kmalloc4k:   db "kmalloc_kfree_4096", 0
bench_name_map:         db "map_unmap", 0
bench_name_warm32:      db "kmalloc_kfree_32_warm", 0
bench_name_warm256:     db "kmalloc_kfree_256_warm", 0
bench_name_warm4k:      db "kmalloc_kfree_4096_warm", 0
bench_name_batch32:     db "kmalloc_kfree_32_batch", 0
bench_name_batch256:    db "kmalloc_kfree_256_batch", 0
bench_name_irq:         db "irq_entry_exit", 0
bench_name_yield:       db "context_switch_pair", 0
bench_partner_name:     db "bench-partner", 0
bench_name_syscall:     db "syscall_null_roundtrip", 0

section .bss
bench_partner_stop:     resq 1

section .text

; read_tsc: serialised time-stamp counter.
; IN: nothing. OUT: rax = TSC. Clobbers: rdx.
read_tsc:
    lfence
    rdtsc
    shl rdx, 32
    or rax, rdx
    ret

; bench_measure: median cycles of one operation.
; IN: rdi = operation (called with rdi = argument), rsi = argument. OUT: rax = cycles per operation.
; Clobbers: caller-saved registers.
bench_measure:
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
    xor r15d, r15d                          ; round
.round:
    call read_tsc
    mov r14, rax
    mov ebx, BENCH_ITERATIONS
.iteration:
    mov rdi, r13
    call r12
    dec ebx
    jnz .iteration
    call read_tsc
    sub rax, r14
    xor edx, edx
    mov ecx, BENCH_ITERATIONS
    div rcx
    lea rcx, [rel bench_samples]
    mov [rcx + r15 * 8], rax
    inc r15
    cmp r15, BENCH_ROUNDS
    jb .round
    ; Insertion sort, then the middle sample.
    lea rsi, [rel bench_samples]
    mov ecx, 1
.outer:
    cmp ecx, BENCH_ROUNDS
    jae .sorted
    mov rax, [rsi + rcx * 8]
    mov edx, ecx
.inner:
    test edx, edx
    jz .place
    mov r8, [rsi + rdx * 8 - 8]
    cmp r8, rax
    jbe .place
    mov [rsi + rdx * 8], r8
    dec edx
    jmp .inner
.place:
    mov [rsi + rdx * 8], rax
    inc ecx
    jmp .outer
.sorted:
    mov rax, [rsi + (BENCH_ROUNDS / 2) * 8]
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; The measured operations. IN: rdi = argument. OUT: nothing. Clobbers: caller-saved registers.
bench_frame_alloc_free:
    call alloc_frame
    mov rdi, rax
    jmp free_frame
bench_frames16_alloc_free:
    mov edi, 16
    mov esi, 1
    call alloc_frames
    mov rdi, rax
    mov esi, 16
    jmp free_frames
bench_kmalloc_kfree:
    call kmalloc
    mov rdi, rax
    jmp kfree
bench_map_unmap:
    ; rdi = physical frame to map at SCRATCH_BASE
    mov rsi, rdi
    mov rdi, SCRATCH_BASE
    mov rdx, PTE_WRITABLE
    call map_page
    mov rdi, SCRATCH_BASE
    jmp unmap_page

; bench_null_handler: an interrupt handler that does nothing (the IRQ benchmark's).
bench_null_handler:
    ret
; bench_irq_entry_exit: one interrupt through the shared stub: frame, dispatch, handler, iretq.
bench_irq_entry_exit:
    int VECTOR_TEST
    ret
; bench_yield_partner: the other thread of the context-switch benchmark: yields back until stopped.
bench_yield_partner:
    push rbp
    mov rbp, rsp
.yield:
    call thread_yield
    cmp qword [rel bench_partner_stop], 0
    je .yield
    xor eax, eax
    pop rbp
    ret

; bench_report_context_switch: thread_yield to a partner thread that yields straight back: two
; context switches (callee-saved registers and FPU/SSE state each way) per operation.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
bench_report_context_switch:
    push rbx
    mov qword [rel bench_partner_stop], 0
    lea rdi, [rel bench_yield_partner]
    xor esi, esi
    lea rdx, [rel bench_partner_name]
    call thread_create
    test rax, rax
    jz .done
    mov rbx, rax
    lea rdi, [rel bench_name_yield]
    lea rsi, [rel thread_yield]
    xor edx, edx
    call bench_report
    mov qword [rel bench_partner_stop], 1
    mov rdi, rbx
    call thread_join
.done:
    pop rbx
    ret

; bench_report_syscall: a null syscall from ring 3 and back (syscall, dispatch, sysret), measured by
; /bin/bench-syscall in user mode and handed back as its exit code.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
bench_report_syscall:
    push rbx
    lea rdi, [rel user_name_bench_syscall]
    call user_program_find
    test rax, rax
    jz .done
    mov rdi, rax
    call process_spawn
    test rax, rax
    jz .done
    mov rdi, rax
    call thread_join
    lea rdi, [rel bench_line_format]
    lea rsi, [rel bench_name_syscall]
    mov rdx, rax
    call kprintf
.done:
    pop rbx
    ret

; bench_kmalloc_batch: BENCH_BATCH kmallocs, then kfree of all of them in the same order: the
; splits and merges of a burst of allocations, amortised over the burst.
; IN: rdi = size. OUT: nothing. Clobbers: caller-saved registers.
bench_kmalloc_batch:
    push rbx
    push r12
    mov r12, rdi
    xor ebx, ebx
.allocate:
    mov rdi, r12
    call kmalloc
    lea rcx, [rel bench_batch]
    mov [rcx + rbx * 8], rax
    inc ebx
    cmp ebx, BENCH_BATCH
    jb .allocate
    xor ebx, ebx
.free:
    lea rcx, [rel bench_batch]
    mov rdi, [rcx + rbx * 8]
    call kfree
    inc ebx
    cmp ebx, BENCH_BATCH
    jb .free
    pop r12
    pop rbx
    ret

; bench_report_batch: like bench_report for a batch operation, printed per kmalloc+kfree pair.
; IN: rdi = name, rsi = size. OUT: nothing. Clobbers: caller-saved registers.
bench_report_batch:
    push rbx
    push r12
    mov rbx, rdi
    lea rdi, [rel bench_kmalloc_batch]
    call bench_measure
    xor edx, edx
    mov ecx, BENCH_BATCH
    div rcx
    lea rdi, [rel bench_line_format]
    mov rsi, rbx
    mov rdx, rax
    call kprintf
    pop r12
    pop rbx
    ret

; bench_report: measure one operation and print its line.
; IN: rdi = name, rsi = operation, rdx = argument. OUT: nothing. Clobbers: caller-saved registers.
bench_report:
    push rbx
    mov rbx, rdi
    mov rdi, rsi
    mov rsi, rdx
    call bench_measure
    lea rdi, [rel bench_line_format]
    mov rsi, rbx
    mov rdx, rax
    call kprintf
    pop rbx
    ret

; bench_warm_kmalloc: kmalloc+kfree with another block of the same size kept allocated, so the freed
; block's buddy is busy and nothing splits or merges: the steady state of a heap in use. (The plain
; kmalloc_kfree_* benchmarks start from an empty heap: every pair splits a 1 MiB block and merges it.)
; IN: rdi = name, rsi = size. OUT: nothing. Clobbers: caller-saved registers.
bench_warm_kmalloc:
    push rbx
    push r12
    push r13
    mov r12, rdi
    mov r13, rsi
    mov rdi, r13
    call kmalloc
    mov rbx, rax
    mov rdi, r12
    lea rsi, [rel bench_kmalloc_kfree]
    mov rdx, r13
    call bench_report
    mov rdi, rbx
    call kfree
    pop r13
    pop r12
    pop rbx
    ret

; run_benchmarks: every benchmark, one line each.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
run_benchmarks:
    push rbx
    ; The allocator and paging figures are of the operations alone: no timer tick in the middle.
    pushfq
    cli
    sub rsp, 8                              ; keeps calls 16-byte aligned
    lea rdi, [rel bench_name_frame]
    lea rsi, [rel bench_frame_alloc_free]
    xor edx, edx
    call bench_report
    lea rdi, [rel bench_name_frames16]
    lea rsi, [rel bench_frames16_alloc_free]
    xor edx, edx
    call bench_report
    lea rdi, [rel bench_name_kmalloc32]
    lea rsi, [rel bench_kmalloc_kfree]
    mov edx, 32
    call bench_report
    lea rdi, [rel bench_name_kmalloc256]
    lea rsi, [rel bench_kmalloc_kfree]
    mov edx, 256
    call bench_report
    lea rdi, [rel bench_name_kmalloc4k]
    lea rsi, [rel bench_kmalloc_kfree]
    mov edx, 4096
    call bench_report
    lea rdi, [rel bench_name_warm32]
    mov esi, 32
    call bench_warm_kmalloc
    lea rdi, [rel bench_name_warm256]
    mov esi, 256
    call bench_warm_kmalloc
    lea rdi, [rel bench_name_warm4k]
    mov esi, 4096
    call bench_warm_kmalloc
    lea rdi, [rel bench_name_batch32]
    mov esi, 32
    call bench_report_batch
    lea rdi, [rel bench_name_batch256]
    mov esi, 256
    call bench_report_batch
    call alloc_frame
    mov rbx, rax
    lea rdi, [rel bench_name_map]
    lea rsi, [rel bench_map_unmap]
    mov rdx, rbx
    call bench_report
    mov rdi, rbx
    call free_frame
    add rsp, 8
    popfq
    mov edi, VECTOR_TEST
    lea rsi, [rel bench_null_handler]
    xor edx, edx
    call irq_register
    lea rdi, [rel bench_name_irq]
    lea rsi, [rel bench_irq_entry_exit]
    xor edx, edx
    call bench_report
    mov edi, VECTOR_TEST
    xor esi, esi
    xor edx, edx
    call irq_register
    call bench_report_context_switch
    call bench_report_syscall
    lea rdi, [rel bench_done_text]
    call kprintf
    pop rbx
    ret
