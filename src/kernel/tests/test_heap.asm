; Tests: the buddy heap (alignment, splitting and coalescing, error detection, contents under a
; random workload, krealloc, out of memory). The out-of-memory test leaves the few MiB it let the
; heap have mapped into it.

HEAP_TEST_BLOCKS    equ 200
HEAP_TEST_MAX_SIZE  equ 5000
HEAP_TEST_FRAMES_LEFT equ 300       ; frames the out-of-memory test leaves free: a 1 MiB block and part
                                    ; of another, whose growth then rolls back

section .bss
heap_test_snapshot: resq HEAP_ORDER_COUNT
heap_test_pointers: resq HEAP_TEST_BLOCKS
heap_test_sizes:    resq HEAP_TEST_BLOCKS
heap_test_random:   resq 1

section .text

; heap_snapshot: record the number of free blocks of every order.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
heap_snapshot:
    push rbx
    xor ebx, ebx
.order:
    mov edi, ebx
    call heap_free_block_count
    lea rcx, [rel heap_test_snapshot]
    mov [rcx + rbx * 8], rax
    inc ebx
    cmp ebx, HEAP_ORDER_COUNT
    jb .order
    pop rbx
    ret

; heap_matches_snapshot: whether every order has as many free blocks as at the snapshot.
; IN: nothing. OUT: rax = 1 when the heap is back to the snapshot, else 0. Clobbers: caller-saved.
heap_matches_snapshot:
    push rbx
    xor ebx, ebx
.order:
    mov edi, ebx
    call heap_free_block_count
    lea rcx, [rel heap_test_snapshot]
    cmp [rcx + rbx * 8], rax
    jne .different
    inc ebx
    cmp ebx, HEAP_ORDER_COUNT
    jb .order
    mov eax, 1
    pop rbx
    ret
.different:
    xor eax, eax
    pop rbx
    ret

; heap_test_next_random: xorshift64 pseudo-random numbers (fixed seed, so failures reproduce).
; IN: nothing. OUT: rax = next number. Clobbers: rcx.
heap_test_next_random:
    mov rax, [rel heap_test_random]
    mov rcx, rax
    shl rcx, 13
    xor rax, rcx
    mov rcx, rax
    shr rcx, 7
    xor rax, rcx
    mov rcx, rax
    shl rcx, 17
    xor rax, rcx
    mov [rel heap_test_random], rax
    ret

; fill_pattern: fill a block with bytes derived from its number; checksum_pattern checks them.
; IN: rdi = block, rsi = size, edx = block number. OUT: nothing. Clobbers: rax, rcx, rdi.
fill_pattern:
    xor ecx, ecx
.next:
    cmp rcx, rsi
    je .done
    imul eax, edx, 7
    add eax, ecx
    mov [rdi + rcx], al
    inc rcx
    jmp .next
.done:
    ret
; IN: rdi = block, rsi = size, edx = block number. OUT: rax = 1 when intact, else 0. Clobbers: rcx, r8.
check_pattern:
    xor ecx, ecx
.next:
    cmp rcx, rsi
    je .intact
    imul eax, edx, 7
    add eax, ecx
    cmp [rdi + rcx], al
    jne .broken
    inc rcx
    jmp .next
.intact:
    mov eax, 1
    ret
.broken:
    xor eax, eax
    ret

TEST "heap: kmalloc returns 16-byte aligned memory in the heap region; kmalloc(0) is null", test_heap_alignment
test_heap_alignment:
    push rbp
    mov rbp, rsp
    push rbx
    mov edi, 24
    call kmalloc
    mov rbx, rax
    ASSERT_NE rbx, 0
    mov rax, rbx
    and rax, 15
    ASSERT_EQ rax, 0
    mov rax, HEAP_BASE
    cmp rbx, rax
    setae al
    movzx eax, al
    ASSERT_EQ rax, 1
    mov rdi, rbx
    call kfree
    ASSERT_EQ rax, 0
    xor edi, edi
    call kmalloc
    ASSERT_EQ rax, 0
    pop rbx
    pop rbp
    ret

TEST "heap: splitting then freeing in any order coalesces back to the original free state", test_heap_coalesce
test_heap_coalesce:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    ; Make sure the heap has grown once, then remember its shape.
    mov edi, 16
    call kmalloc
    mov rdi, rax
    call kfree
    call heap_snapshot
    mov edi, 10                             ; order 5: splits a 1 MiB block all the way down
    call kmalloc
    mov rbx, rax
    mov edi, 100
    call kmalloc
    mov r12, rax
    mov edi, 3000
    call kmalloc
    mov r13, rax
    call heap_matches_snapshot
    ASSERT_EQ rax, 0                        ; the allocations changed the free lists
    mov edi, 5
    call heap_free_block_count
    ASSERT_NE rax, 0                        ; the 32-byte block's buddy is free
    mov rdi, r12
    call kfree
    mov rdi, rbx
    call kfree
    mov rdi, r13
    call kfree
    call heap_matches_snapshot
    ASSERT_EQ rax, 1
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "heap: double free and foreign pointers are detected and reported", test_heap_bad_free
test_heap_bad_free:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov edi, 64
    call kmalloc
    mov rbx, rax
    mov edi, 64
    call kmalloc
    mov r12, rax                            ; keeps rbx's buddy busy so rbx stays a block of its own
    mov rdi, rbx
    call kfree
    ASSERT_EQ rax, 0
    mov rdi, rbx
    call kfree
    ASSERT_EQ rax, HEAP_ERROR_DOUBLE_FREE
    lea rdi, [r12 + 8]
    call kfree
    ASSERT_EQ rax, HEAP_ERROR_INVALID
    lea rdi, [rel log_level]
    call kfree
    ASSERT_EQ rax, HEAP_ERROR_INVALID
    mov rdi, r12
    call kfree
    ASSERT_EQ rax, 0
    pop r12
    pop rbx
    pop rbp
    ret

TEST "heap: 1 MiB minus the header is the largest allocation", test_heap_largest
test_heap_largest:
    push rbp
    mov rbp, rsp
    push rbx
    mov edi, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE
    call kmalloc
    mov rbx, rax
    ASSERT_NE rbx, 0
    mov rdi, rbx
    mov rsi, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE
    mov edx, 3
    call fill_pattern
    mov rdi, rbx
    call kfree
    ASSERT_EQ rax, 0
    mov edi, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE + 1
    call kmalloc
    ASSERT_EQ rax, 0
    pop rbx
    pop rbp
    ret

TEST "heap: many random sizes keep every block's contents, then free back to the start", test_heap_random
test_heap_random:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rax, 0x9e3779b97f4a7c15
    mov [rel heap_test_random], rax
    call heap_snapshot
    lea r12, [rel heap_test_pointers]
    lea r13, [rel heap_test_sizes]
    xor ebx, ebx
.allocate:
    call heap_test_next_random
    xor edx, edx
    mov ecx, HEAP_TEST_MAX_SIZE
    div rcx
    lea r14, [rdx + 1]
    mov [r13 + rbx * 8], r14
    mov rdi, r14
    call kmalloc
    mov [r12 + rbx * 8], rax
    ASSERT_NE rax, 0
    mov rdi, rax
    mov rsi, r14
    mov edx, ebx
    call fill_pattern
    inc ebx
    cmp ebx, HEAP_TEST_BLOCKS
    jb .allocate
    ; Free every other block, check all, then free the rest.
    xor ebx, ebx
.check:
    mov rdi, [r12 + rbx * 8]
    mov rsi, [r13 + rbx * 8]
    mov edx, ebx
    call check_pattern
    ASSERT_EQ rax, 1
    inc ebx
    cmp ebx, HEAP_TEST_BLOCKS
    jb .check
    xor ebx, ebx
.free_even:
    mov rdi, [r12 + rbx * 8]
    call kfree
    ASSERT_EQ rax, 0
    add ebx, 2
    cmp ebx, HEAP_TEST_BLOCKS
    jb .free_even
    mov ebx, 1
.free_odd:
    mov rdi, [r12 + rbx * 8]
    mov rsi, [r13 + rbx * 8]
    mov edx, ebx
    call check_pattern
    ASSERT_EQ rax, 1
    mov rdi, [r12 + rbx * 8]
    call kfree
    ASSERT_EQ rax, 0
    add ebx, 2
    cmp ebx, HEAP_TEST_BLOCKS
    jb .free_odd
    call heap_matches_snapshot
    ASSERT_EQ rax, 1
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "heap: krealloc grows a block keeping its contents", test_heap_krealloc
test_heap_krealloc:
    push rbp
    mov rbp, rsp
    push rbx
    mov edi, 40
    call kmalloc
    mov rbx, rax
    mov rdi, rbx
    mov esi, 40
    mov edx, 9
    call fill_pattern
    mov rdi, rbx
    mov esi, 10                             ; shrinking within the block keeps the pointer
    call krealloc
    ASSERT_EQ rax, rbx
    mov rdi, rbx
    mov esi, 2000
    call krealloc
    mov rbx, rax
    ASSERT_NE rbx, 0
    mov rdi, rbx
    mov esi, 40
    mov edx, 9
    call check_pattern
    ASSERT_EQ rax, 1
    mov rdi, rbx
    xor esi, esi
    call krealloc                           ; size 0 frees
    ASSERT_EQ rax, 0
    pop rbx
    pop rbp
    ret

TEST "heap: out of memory makes kmalloc return null, and freeing recovers", test_heap_out_of_memory
test_heap_out_of_memory:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    ; Physical memory runs out after a few MiB: the test takes all frames but those first (in a frame
    ; record, without touching them), so the heap only maps and touches what is left.
    call frame_record_new
    ASSERT_NE rax, 0
    mov r13, rax
.hold:
    cmp qword [rel pmm_free_frames], HEAP_TEST_FRAMES_LEFT
    jbe .held
    call alloc_frame
    ASSERT_NE rax, 0
    mov rdi, r13
    mov rsi, rax
    call frame_record_mark
    jmp .hold
.held:
    xor ebx, ebx                            ; list of 1 MiB blocks, linked through their first word
    xor r12d, r12d
.take:
    mov edi, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE
    call kmalloc
    test rax, rax
    jz .exhausted
    mov [rax], rbx
    mov rbx, rax
    inc r12
    jmp .take
.exhausted:
    ASSERT_NE r12, 0
    ; A failed growth gave back the frames of the block it could not complete.
    mov r14, [rel pmm_free_frames]
    cmp r14, HEAP_CHUNK_SIZE / PAGE_SIZE
    setb al
    movzx r14d, al
    ASSERT_EQ r14, 1
.give_back:
    test rbx, rbx
    jz .returned
    mov rdi, rbx
    mov rbx, [rbx]
    call kfree
    ASSERT_EQ rax, 0
    jmp .give_back
.returned:
    mov edi, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE
    call kmalloc
    ASSERT_NE rax, 0
    mov rdi, rax
    call kfree
    mov rdi, r13
    call frame_record_give_back
    ASSERT_EQ rax, 0
    mov rdi, r13
    call frame_record_delete
    ASSERT_EQ rax, 0
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
