; Physical frame allocator: one bit per 4 KiB frame (1 = used) over all memory up to the end of the
; highest usable region. The bitmap lives in usable memory, reached through the HHDM. Allocation
; starts at a hint (the lowest qword that may hold a free bit), so it is amortised O(1).

PMM_ERROR_DOUBLE_FREE   equ -1
PMM_ERROR_BAD_ADDRESS   equ -2
BITS_PER_QWORD          equ 64

section .bss
pmm_bitmap:         resq 1      ; virtual address of the bitmap
pmm_frame_count:    resq 1      ; frames the bitmap covers
pmm_qword_count:    resq 1
pmm_free_frames:    resq 1      ; frames free right now
pmm_usable_frames:  resq 1      ; frames the memory map called usable
pmm_bitmap_frames:  resq 1      ; frames holding the bitmap itself
pmm_hint:           resq 1      ; no free frame below qword number pmm_hint

section .rodata
pmm_no_room_format:     db "no usable region can hold the %u-byte frame bitmap", 0
pmm_double_free_format: db "free_frame: double free of frame %p", 0
pmm_bad_free_format:    db "free_frame: %p is not a frame this allocator manages", 0

section .text

; pmm_init: build the bitmap from the Limine memory map.
; IN: rdi = memmap response (checked non-null by the caller). OUT: nothing. Clobbers: caller-saved.
pmm_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r12, [rdi + limine_memmap_response.entry_count]
    mov r13, [rdi + limine_memmap_response.entries]

    ; 1. Highest end of usable memory decides how many frames the bitmap covers.
    xor eax, eax
    xor ecx, ecx
.highest:
    cmp rcx, r12
    je .have_highest
    mov rdx, [r13 + rcx * 8]
    inc rcx
    cmp qword [rdx + limine_memmap_entry.type], LIMINE_MEMMAP_USABLE
    jne .highest
    mov rsi, [rdx + limine_memmap_entry.base]
    add rsi, [rdx + limine_memmap_entry.length]
    cmp rsi, rax
    cmova rax, rsi
    jmp .highest
.have_highest:
    shr rax, PAGE_SHIFT
    mov [rel pmm_frame_count], rax
    add rax, BITS_PER_QWORD - 1
    shr rax, 6
    mov [rel pmm_qword_count], rax
    lea r14, [rax * 8]                      ; bitmap bytes

    ; 2. The first usable region big enough holds the bitmap.
    xor ecx, ecx
.find_room:
    cmp rcx, r12
    je .no_room
    mov rdx, [r13 + rcx * 8]
    inc rcx
    cmp qword [rdx + limine_memmap_entry.type], LIMINE_MEMMAP_USABLE
    jne .find_room
    cmp [rdx + limine_memmap_entry.length], r14
    jb .find_room
    mov rbx, [rdx + limine_memmap_entry.base]      ; bitmap physical address
    mov rax, rbx
    add rax, [rel hhdm_offset]
    mov [rel pmm_bitmap], rax

    ; 3. Everything used, then usable regions free.
    mov rdi, rax
    mov rcx, [rel pmm_qword_count]
    mov rax, -1
    rep stosq
    mov qword [rel pmm_free_frames], 0
    xor ecx, ecx
.free_usable:
    cmp rcx, r12
    je .usable_done
    mov rdx, [r13 + rcx * 8]
    inc rcx
    cmp qword [rdx + limine_memmap_entry.type], LIMINE_MEMMAP_USABLE
    jne .free_usable
    push rcx
    mov rdi, [rdx + limine_memmap_entry.base]
    mov rsi, [rdx + limine_memmap_entry.length]
    shr rdi, PAGE_SHIFT
    shr rsi, PAGE_SHIFT
    add [rel pmm_free_frames], rsi
    xor edx, edx                            ; 0 = mark free
    call pmm_mark_frames
    pop rcx
    jmp .free_usable
.usable_done:
    mov rax, [rel pmm_free_frames]
    mov [rel pmm_usable_frames], rax

    ; 4. The bitmap's own frames are used.
    lea rsi, [r14 + PAGE_SIZE - 1]
    shr rsi, PAGE_SHIFT
    mov [rel pmm_bitmap_frames], rsi
    sub [rel pmm_free_frames], rsi
    mov rdi, rbx
    shr rdi, PAGE_SHIFT
    mov edx, 1
    call pmm_mark_frames
    mov qword [rel pmm_hint], 0

    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.no_room:
    lea rdi, [rel pmm_no_room_format]
    mov rsi, r14
    call panic

; pmm_mark_frames: set or clear a run of bitmap bits.
; IN: rdi = first frame number, rsi = frame count, edx = 1 to mark used, 0 to mark free.
; OUT: nothing. Clobbers: rax, rcx, rsi, rdi, r8.
pmm_mark_frames:
    mov r8, [rel pmm_bitmap]
.next:
    test rsi, rsi
    jz .done
    mov rax, rdi
    shr rax, 6
    mov ecx, edi
    and ecx, BITS_PER_QWORD - 1
    test edx, edx
    jz .clear
    bts qword [r8 + rax * 8], rcx
    jmp .marked
.clear:
    btr qword [r8 + rax * 8], rcx
.marked:
    inc rdi
    dec rsi
    jmp .next
.done:
    ret

; alloc_frame: take one free frame.
; IN: nothing. OUT: rax = physical address of the frame, or 0 when memory is exhausted.
; Clobbers: rcx, rdx, rsi.
alloc_frame:
    mov rsi, [rel pmm_bitmap]
    mov rcx, [rel pmm_hint]
    mov rdx, [rel pmm_qword_count]
.scan:
    cmp rcx, rdx
    jae .exhausted
    mov rax, [rsi + rcx * 8]
    not rax                                 ; (not leaves the flags alone)
    test rax, rax
    jnz .found
    inc rcx
    jmp .scan
.found:
    mov [rel pmm_hint], rcx
    bsf rax, rax
    bts qword [rsi + rcx * 8], rax
    shl rcx, 6
    add rax, rcx
    dec qword [rel pmm_free_frames]
    shl rax, PAGE_SHIFT
    ret
.exhausted:
    mov [rel pmm_hint], rdx
    xor eax, eax
    ret

; free_frame: give a frame back, refusing double frees and foreign addresses (logged as errors).
; IN: rdi = physical address. OUT: rax = 0, PMM_ERROR_DOUBLE_FREE or PMM_ERROR_BAD_ADDRESS.
; Clobbers: caller-saved registers.
free_frame:
    test rdi, PAGE_OFFSET_MASK
    jnz .bad_address
    mov rax, rdi
    shr rax, PAGE_SHIFT
    cmp rax, [rel pmm_frame_count]
    jae .bad_address
    mov rsi, [rel pmm_bitmap]
    mov rcx, rax
    shr rcx, 6
    and eax, BITS_PER_QWORD - 1
    btr qword [rsi + rcx * 8], rax
    jnc .double_free
    inc qword [rel pmm_free_frames]
    cmp rcx, [rel pmm_hint]
    jae .done
    mov [rel pmm_hint], rcx
.done:
    xor eax, eax
    ret
.double_free:
    mov rdx, rdi
    lea rsi, [rel pmm_double_free_format]
    mov edi, LOG_ERROR
    call klog
    mov rax, PMM_ERROR_DOUBLE_FREE
    ret
.bad_address:
    mov rdx, rdi
    lea rsi, [rel pmm_bad_free_format]
    mov edi, LOG_ERROR
    call klog
    mov rax, PMM_ERROR_BAD_ADDRESS
    ret

; alloc_frames: take `count` physically contiguous frames starting on an `alignment`-frame boundary.
; IN: rdi = count (> 0), rsi = alignment in frames (a power of two; 0 means 1).
; OUT: rax = physical address of the first frame, or 0 when no such run exists.
; Clobbers: caller-saved registers.
alloc_frames:
    push rbx
    push r12
    mov r12, rdi                            ; count
    test rsi, rsi
    jnz .have_alignment
    mov esi, 1
.have_alignment:
    lea r11, [rsi - 1]                      ; alignment mask
    mov r8, [rel pmm_bitmap]
    mov r9, [rel pmm_frame_count]
    mov rbx, [rel pmm_hint]
    shl rbx, 6                              ; no free frame below the hint
.candidate:
    add rbx, r11
    mov rax, r11
    not rax
    and rbx, rax                            ; align the candidate start up
    lea rax, [rbx + r12]
    cmp rax, r9
    ja .none
    xor ecx, ecx
.check:
    cmp rcx, r12
    je .found
    lea rax, [rbx + rcx]
    mov rdx, rax
    shr rdx, 6
    and eax, BITS_PER_QWORD - 1
    bt qword [r8 + rdx * 8], rax
    jc .used
    inc rcx
    jmp .check
.used:
    lea rbx, [rbx + rcx + 1]                ; restart just past the used frame
    jmp .candidate
.found:
    mov rdi, rbx
    mov rsi, r12
    mov edx, 1
    call pmm_mark_frames
    sub [rel pmm_free_frames], r12
    mov rax, rbx
    shl rax, PAGE_SHIFT
    jmp .done
.none:
    xor eax, eax
.done:
    pop r12
    pop rbx
    ret

; free_frames: give back a run of frames taken with alloc_frames.
; IN: rdi = physical address of the first frame, rsi = count. OUT: rax = 0 or the first error.
; Clobbers: caller-saved registers.
free_frames:
    push rbx
    push r12
    push r13
    mov rbx, rdi
    mov r12, rsi
    xor r13d, r13d
.next:
    test r12, r12
    jz .done
    mov rdi, rbx
    call free_frame
    test rax, rax
    jz .freed
    test r13, r13
    jnz .freed
    mov r13, rax
.freed:
    add rbx, PAGE_SIZE
    dec r12
    jmp .next
.done:
    mov rax, r13
    pop r13
    pop r12
    pop rbx
    ret
