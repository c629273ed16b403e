; Tests: the physical frame allocator against the memory map it was built from.

section .text

; count_free_bits: number of clear bits in the frame bitmap (frames the bitmap says are free).
; IN: nothing. OUT: rax = count. Clobbers: rcx, rdx, rsi, r8.
count_free_bits:
    mov rsi, [rel pmm_bitmap]
    mov rcx, [rel pmm_qword_count]
    xor eax, eax
.next:
    test rcx, rcx
    jz .done
    dec rcx
    mov rdx, [rsi + rcx * 8]
    not rdx
.bit:
    test rdx, rdx                           ; (no popcnt: QEMU's default CPU model lacks it)
    jz .next
    inc rax
    lea r8, [rdx - 1]
    and rdx, r8                             ; clear the lowest set bit
    jmp .bit
.done:
    ret

; frame_is_in_usable_region: whether a physical frame lies in a usable memory-map entry.
; IN: rdi = physical address. OUT: eax = 1 or 0. Clobbers: rcx, rdx, rsi, r8.
frame_is_in_usable_region:
    mov rsi, [rel memmap_request + limine_request.response]
    mov rcx, [rsi + limine_memmap_response.entry_count]
    mov rsi, [rsi + limine_memmap_response.entries]
.next:
    test rcx, rcx
    jz .no
    dec rcx
    mov rdx, [rsi + rcx * 8]
    cmp qword [rdx + limine_memmap_entry.type], LIMINE_MEMMAP_USABLE
    jne .next
    mov r8, [rdx + limine_memmap_entry.base]
    cmp rdi, r8
    jb .next
    add r8, [rdx + limine_memmap_entry.length]
    cmp rdi, r8
    jae .next
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

TEST "pmm: usable frame count matches the memory map and the bitmap", test_pmm_counters
test_pmm_counters:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    ; Sum of usable entries, in frames.
    mov rsi, [rel memmap_request + limine_request.response]
    mov rcx, [rsi + limine_memmap_response.entry_count]
    mov rsi, [rsi + limine_memmap_response.entries]
    xor ebx, ebx
.entry:
    test rcx, rcx
    jz .summed
    dec rcx
    mov rdx, [rsi + rcx * 8]
    cmp qword [rdx + limine_memmap_entry.type], LIMINE_MEMMAP_USABLE
    jne .entry
    mov rax, [rdx + limine_memmap_entry.length]
    shr rax, PAGE_SHIFT
    add rbx, rax
    jmp .entry
.summed:
    ASSERT_EQ [rel pmm_usable_frames], rbx
    call count_free_bits
    mov r12, rax
    ASSERT_EQ r12, [rel pmm_free_frames]
    pop r12
    pop rbx
    pop rbp
    ret

TEST "pmm: alloc_frame gives distinct aligned usable frames; free_frame restores the count", test_pmm_alloc_free
test_pmm_alloc_free:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r14, [rel pmm_free_frames]
    call alloc_frame
    mov rbx, rax
    call alloc_frame
    mov r12, rax
    ASSERT_NE rbx, 0
    ASSERT_NE r12, 0
    ASSERT_NE rbx, r12
    mov rax, rbx
    or rax, r12
    and rax, PAGE_OFFSET_MASK
    ASSERT_EQ rax, 0
    mov rdi, rbx
    call frame_is_in_usable_region
    ASSERT_EQ rax, 1
    mov rdi, r12
    call frame_is_in_usable_region
    ASSERT_EQ rax, 1
    lea r13, [r14 - 2]
    ASSERT_EQ [rel pmm_free_frames], r13
    mov rdi, rbx
    call free_frame
    ASSERT_EQ rax, 0
    mov rdi, r12
    call free_frame
    ASSERT_EQ rax, 0
    ASSERT_EQ [rel pmm_free_frames], r14
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "pmm: freeing a frame twice is detected and changes nothing", test_pmm_double_free
test_pmm_double_free:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call alloc_frame
    mov rbx, rax
    mov rdi, rbx
    call free_frame
    ASSERT_EQ rax, 0
    mov r12, [rel pmm_free_frames]
    mov rdi, rbx
    call free_frame
    ASSERT_EQ rax, PMM_ERROR_DOUBLE_FREE
    ASSERT_EQ [rel pmm_free_frames], r12
    mov rdi, 0x1001
    call free_frame
    ASSERT_EQ rax, PMM_ERROR_BAD_ADDRESS
    pop r12
    pop rbx
    pop rbp
    ret

TEST "pmm: alloc_frames returns an aligned run of free frames", test_pmm_contiguous
test_pmm_contiguous:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    mov r12, [rel pmm_free_frames]
    mov edi, 16
    mov esi, 16
    call alloc_frames
    mov rbx, rax
    ASSERT_NE rbx, 0
    mov rax, rbx
    and rax, 16 * PAGE_SIZE - 1
    ASSERT_EQ rax, 0                        ; 64 KiB aligned
    lea r13, [r12 - 16]
    ASSERT_EQ [rel pmm_free_frames], r13
    call count_free_bits
    ASSERT_EQ rax, r13
    ; Every frame of the run is really taken: freeing each succeeds once.
    mov rdi, rbx
    mov esi, 16
    call free_frames
    ASSERT_EQ rax, 0
    ASSERT_EQ [rel pmm_free_frames], r12
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

TEST "pmm: exhaustion returns 0 after every free frame, and all of them come back", test_pmm_exhaustion
test_pmm_exhaustion:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    mov r12, [rel pmm_free_frames]
    xor ebx, ebx                            ; list of taken frames, linked through their first word
    xor r13d, r13d                          ; how many
.take:
    call alloc_frame
    test rax, rax
    jz .exhausted
    mov rcx, rax
    add rcx, [rel hhdm_offset]
    mov [rcx], rbx
    mov rbx, rax
    inc r13
    jmp .take
.exhausted:
    ASSERT_EQ r13, r12
    ASSERT_EQ [rel pmm_free_frames], 0
.give_back:
    test rbx, rbx
    jz .returned
    mov rcx, rbx
    add rcx, [rel hhdm_offset]
    mov rdi, rbx
    mov rbx, [rcx]
    call free_frame
    jmp .give_back
.returned:
    ASSERT_EQ [rel pmm_free_frames], r12
    call count_free_bits
    ASSERT_EQ rax, r12
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
