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

; Frame records: a bitmap the allocator's size, one bit per frame a test took, so a test can take
; most or all of memory and give exactly those frames back. Nothing is written into the frames
; taken: under an emulator the first touch of guest memory is what costs (the host faults it in,
; 2 MiB at a time), so taking all of memory costs a bitmap scan, not a walk over all of it.

; frame_record_frames: frames one record occupies.
; IN: nothing. OUT: rax = frames. Clobbers: nothing else.
frame_record_frames:
    mov rax, [rel pmm_qword_count]
    shl rax, 3
    add rax, PAGE_SIZE - 1
    shr rax, PAGE_SHIFT
    ret

; frame_record_new: an empty record, in frames from the allocator.
; IN: nothing. OUT: rax = the record (through the HHDM), or 0 when there is no room.
; Clobbers: caller-saved registers.
frame_record_new:
    call frame_record_frames
    mov rdi, rax
    xor esi, esi
    call alloc_frames
    test rax, rax
    jz .done
    add rax, [rel hhdm_offset]
    mov rdi, rax
    mov rcx, [rel pmm_qword_count]
    mov rdx, rax
    xor eax, eax
    rep stosq
    mov rax, rdx
.done:
    ret

; frame_record_mark: note a frame in a record.
; IN: rdi = record, rsi = physical address of a frame the allocator manages.
; OUT: eax = 1 when the frame was already noted, else 0. Clobbers: rcx, rdx.
frame_record_mark:
    mov rcx, rsi
    shr rcx, PAGE_SHIFT
    mov rdx, rcx
    shr rdx, 6
    and ecx, BITS_PER_QWORD - 1
    xor eax, eax
    bts qword [rdi + rdx * 8], rcx
    setc al
    ret

; frame_record_give_back: free every frame noted in a record (a bitmap qword at a time) and clear it.
; IN: rdi = record. OUT: rax = 0, or the first error free_frame returned. Clobbers: caller-saved.
frame_record_give_back:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    xor r12d, r12d                          ; qword number
    xor r14d, r14d                          ; first error
.qword:
    cmp r12, [rel pmm_qword_count]
    jae .done
    mov r13, [rbx + r12 * 8]                ; its frames not given back yet
    mov qword [rbx + r12 * 8], 0
.frame:
    test r13, r13
    jz .next_qword
    bsf rcx, r13
    btr r13, rcx
    mov rdi, r12
    shl rdi, 6
    add rdi, rcx
    shl rdi, PAGE_SHIFT
    call free_frame
    test r14, r14
    cmovz r14, rax
    jmp .frame
.next_qword:
    inc r12
    jmp .qword
.done:
    mov rax, r14
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; frame_record_delete: give a record's own frames back to the allocator.
; IN: rdi = record. OUT: rax = 0 or free_frames' error. Clobbers: caller-saved registers.
frame_record_delete:
    sub rdi, [rel hhdm_offset]
    call frame_record_frames
    mov rsi, rax
    jmp free_frames

TEST "pmm: exhaustion returns 0 after every free frame, each handed out once, and all of them come back", test_pmm_exhaustion
test_pmm_exhaustion:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    call frame_record_new
    ASSERT_NE rax, 0
    mov rbx, rax                            ; the frames handed out
    call frame_record_new
    ASSERT_NE rax, 0
    mov r15, rax                            ; the allocator's bitmap as it is now
    mov rsi, [rel pmm_bitmap]
    mov rdi, r15
    mov rcx, [rel pmm_qword_count]
    rep movsq
    mov r12, [rel pmm_free_frames]
    xor r13d, r13d                          ; how many were handed out
.take:
    call alloc_frame
    test rax, rax
    jz .exhausted
    inc r13
    mov r14, rax
    ; Every frame is page aligned, one the allocator manages, free when the test began, and new.
    test r14, PAGE_OFFSET_MASK
    jnz .bad_frame
    mov rcx, r14
    shr rcx, PAGE_SHIFT
    cmp rcx, [rel pmm_frame_count]
    jae .bad_frame
    mov rdx, rcx
    shr rdx, 6
    and ecx, BITS_PER_QWORD - 1
    bt qword [r15 + rdx * 8], rcx
    jc .bad_frame                           ; it was in use
    mov rdi, rbx
    mov rsi, r14
    call frame_record_mark
    test eax, eax
    jz .take                                ; (else it was handed out before)
.bad_frame:
    ASSERT_EQ r14, 0                        ; fails, naming the frame
.exhausted:
    ASSERT_EQ r13, r12
    ASSERT_EQ [rel pmm_free_frames], 0
    call count_free_bits
    ASSERT_EQ rax, 0
    call alloc_frame
    ASSERT_EQ rax, 0                        ; still exhausted
    mov rdi, rbx
    call frame_record_give_back
    ASSERT_EQ rax, 0
    ASSERT_EQ [rel pmm_free_frames], r12
    ; The bitmap is exactly as it was.
    mov rsi, [rel pmm_bitmap]
    mov rdi, r15
    mov rcx, [rel pmm_qword_count]
    repe cmpsq
    setne al
    movzx r13d, al
    ASSERT_EQ r13, 0
    mov rdi, r15
    call frame_record_delete
    ASSERT_EQ rax, 0
    mov rdi, rbx
    call frame_record_delete
    ASSERT_EQ rax, 0
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
