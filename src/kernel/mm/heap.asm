; Kernel heap: a buddy allocator over a dedicated virtual region (HEAP_BASE..HEAP_LIMIT) that grows
; one 1 MiB top-order block at a time by mapping fresh frames. Blocks are 2^order bytes, order 5
; (32 B) to 20 (1 MiB), each starting with a header; a free block links into its order's list.
; Freeing merges a block with its buddy (the block at offset ^ size) while the buddy is free.

HEAP_MIN_ORDER      equ 5
HEAP_MAX_ORDER      equ 20
HEAP_ORDER_COUNT    equ HEAP_MAX_ORDER + 1
HEAP_CHUNK_SIZE     equ 1 << HEAP_MAX_ORDER
HEAP_MAGIC_FREE     equ 0x46524545          ; "FREE"
HEAP_MAGIC_USED     equ 0x55534544          ; "USED"
HEAP_ERROR_DOUBLE_FREE  equ -1
HEAP_ERROR_INVALID      equ -2

struc heap_block
    .magic:     resd 1
    .order:     resd 1
    .reserved:  resq 1      ; keeps the payload 16-byte aligned
    .payload:               ; allocated blocks: the caller's bytes start here
    .next:      resq 1      ; free blocks: free-list links
    .prev:      resq 1
endstruc
HEAP_HEADER_SIZE    equ heap_block.payload

section .bss
heap_free_lists:    resq HEAP_ORDER_COUNT       ; head of each order's free list
heap_nonempty:      resq 1                      ; bit n set = the order-n free list is not empty
heap_top:           resq 1                      ; end of the mapped part of the heap region

section .rodata
heap_double_free_format:    db "kfree: double free of %p", 0
heap_invalid_free_format:   db "kfree: %p was not returned by kmalloc", 0

section .text

; heap_init: start with an empty heap (the first kmalloc maps the first block).
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdi.
heap_init:
    lea rdi, [rel heap_free_lists]
    mov ecx, HEAP_ORDER_COUNT
    xor eax, eax
    rep stosq
    mov [rel heap_nonempty], rax
    mov rax, HEAP_BASE
    mov [rel heap_top], rax
    ret

; heap_push_free: mark a block free at an order and put it at the head of that order's list.
; IN: rdi = block, esi = order. OUT: nothing. Clobbers: rax, rcx.
heap_push_free:
    mov dword [rdi + heap_block.magic], HEAP_MAGIC_FREE
    mov [rdi + heap_block.order], esi
    lea rcx, [rel heap_free_lists]
    mov rax, [rcx + rsi * 8]
    mov [rdi + heap_block.next], rax
    mov qword [rdi + heap_block.prev], 0
    test rax, rax
    jz .empty
    mov [rax + heap_block.prev], rdi
.empty:
    mov [rcx + rsi * 8], rdi
    bts [rel heap_nonempty], rsi
    ret

; heap_unlink_free: take a free block out of its order's list.
; IN: rdi = block. OUT: nothing. Clobbers: rax, rcx, rdx.
heap_unlink_free:
    mov rax, [rdi + heap_block.next]
    mov rdx, [rdi + heap_block.prev]
    test rdx, rdx
    jz .was_head
    mov [rdx + heap_block.next], rax
    jmp .fix_next
.was_head:
    mov ecx, [rdi + heap_block.order]
    lea rdx, [rel heap_free_lists]
    mov [rdx + rcx * 8], rax
    test rax, rax
    jnz .fix_next
    btr [rel heap_nonempty], rcx            ; that was the last block of its order
    ret
.fix_next:
    test rax, rax
    jz .done
    mov rdx, [rdi + heap_block.prev]
    mov [rax + heap_block.prev], rdx
.done:
    ret

; heap_grow: map one more top-order block at the end of the heap and free it.
; IN: nothing. OUT: rax = 0, or -1 when the region or physical memory is exhausted.
; Clobbers: caller-saved registers.
heap_grow:
    push rbx
    push r12
    mov rbx, [rel heap_top]
    mov rax, HEAP_LIMIT - HEAP_CHUNK_SIZE
    cmp rbx, rax
    ja .failed
    xor r12d, r12d                          ; bytes mapped so far
.map:
    cmp r12, HEAP_CHUNK_SIZE
    je .mapped
    call alloc_frame
    test rax, rax
    jz .rollback
    lea rdi, [rbx + r12]
    mov rsi, rax
    mov rdx, [rel pte_nx]
    or rdx, PTE_WRITABLE
    push rax
    call map_page
    pop rdi
    test rax, rax
    jnz .rollback_frame
    add r12, PAGE_SIZE
    jmp .map
.rollback_frame:
    call free_frame
.rollback:
    test r12, r12
    jz .failed
    sub r12, PAGE_SIZE
    lea rdi, [rbx + r12]
    call unmap_page
    mov rdi, rax
    call free_frame
    jmp .rollback
.mapped:
    add qword [rel heap_top], HEAP_CHUNK_SIZE
    mov rdi, rbx
    mov esi, HEAP_MAX_ORDER
    call heap_push_free
    xor eax, eax
    jmp .done
.failed:
    mov rax, -1
.done:
    pop r12
    pop rbx
    ret

; kmalloc: allocate bytes from the heap.
; IN: rdi = size in bytes. OUT: rax = 16-byte aligned memory, or 0 when size is 0, too large
; (over 1 MiB minus the header) or memory is exhausted. Clobbers: caller-saved registers.
kmalloc:
    push rbx
    push r12
    test rdi, rdi
    jz .null
    mov rax, HEAP_CHUNK_SIZE - HEAP_HEADER_SIZE
    cmp rdi, rax
    ja .null
    ; order = max(HEAP_MIN_ORDER, ceil(log2(size + header)))
    lea rax, [rdi + HEAP_HEADER_SIZE - 1]
    bsr rax, rax
    inc eax
    mov r12d, HEAP_MIN_ORDER
    cmp eax, r12d
    cmova r12d, eax                         ; r12 = wanted order
.find:
    ; The smallest non-empty order >= the wanted one, in one bit scan.
    mov rax, [rel heap_nonempty]
    mov ecx, r12d
    shr rax, cl
    jz .grow
    bsf rbx, rax
    add ebx, r12d
    lea rcx, [rel heap_free_lists]
    mov rax, [rcx + rbx * 8]
    jmp .take
.grow:
    call heap_grow
    test rax, rax
    jnz .null
    jmp .find
.take:
    ; Pop the head (its prev is 0), then split down to the wanted order, freeing the upper halves.
    mov rdx, [rax + heap_block.next]
    mov [rcx + rbx * 8], rdx
    test rdx, rdx
    jnz .has_next
    btr [rel heap_nonempty], rbx
    jmp .split
.has_next:
    mov qword [rdx + heap_block.prev], 0
.split:
    cmp ebx, r12d
    je .allocated
    dec ebx
    mov rdi, 1
    mov ecx, ebx
    shl rdi, cl
    add rdi, rax
    mov esi, ebx
    push rax
    call heap_push_free
    pop rax
    jmp .split
.allocated:
    mov dword [rax + heap_block.magic], HEAP_MAGIC_USED
    mov [rax + heap_block.order], r12d
    add rax, HEAP_HEADER_SIZE
    jmp .done
.null:
    xor eax, eax
.done:
    pop r12
    pop rbx
    ret

; kfree: return memory to the heap, merging with free buddies. Null is ignored.
; IN: rdi = pointer from kmalloc/krealloc or 0.
; OUT: rax = 0, HEAP_ERROR_DOUBLE_FREE or HEAP_ERROR_INVALID (both logged). Clobbers: caller-saved.
kfree:
    test rdi, rdi
    jz .ok
    push rbx
    push r12
    mov r8, rdi
    lea rbx, [rdi - HEAP_HEADER_SIZE]
    mov rax, HEAP_BASE
    cmp rbx, rax
    jb .invalid
    cmp rbx, [rel heap_top]
    jae .invalid
    test rbx, (1 << HEAP_MIN_ORDER) - 1
    jnz .invalid
    mov eax, [rbx + heap_block.magic]
    cmp eax, HEAP_MAGIC_FREE
    je .double_free
    cmp eax, HEAP_MAGIC_USED
    jne .invalid
    mov r12d, [rbx + heap_block.order]
    cmp r12d, HEAP_MIN_ORDER
    jb .invalid
    cmp r12d, HEAP_MAX_ORDER
    ja .invalid
.merge:
    cmp r12d, HEAP_MAX_ORDER
    je .insert
    ; buddy = base + ((block - base) ^ (1 << order))
    mov rdi, HEAP_BASE
    mov rax, rbx
    sub rax, rdi
    bts rax, r12
    jc .buddy_below
    jmp .have_buddy
.buddy_below:
    btr rax, r12
.have_buddy:
    add rdi, rax
    cmp dword [rdi + heap_block.magic], HEAP_MAGIC_FREE
    jne .insert
    cmp [rdi + heap_block.order], r12d
    jne .insert
    push rdi
    call heap_unlink_free
    pop rdi
    cmp rdi, rbx
    jae .upper_buddy
    xchg rdi, rbx                           ; the merged block starts at the lower address
.upper_buddy:
    mov dword [rdi + heap_block.magic], 0   ; the upper header is now payload of the merged block
    inc r12d
    jmp .merge
.insert:
    mov rdi, rbx
    mov esi, r12d
    call heap_push_free
    pop r12
    pop rbx
.ok:
    xor eax, eax
    ret
.double_free:
    lea rsi, [rel heap_double_free_format]
    mov rdx, r8
    mov edi, LOG_ERROR
    call klog
    mov rax, HEAP_ERROR_DOUBLE_FREE
    pop r12
    pop rbx
    ret
.invalid:
    lea rsi, [rel heap_invalid_free_format]
    mov rdx, r8
    mov edi, LOG_ERROR
    call klog
    mov rax, HEAP_ERROR_INVALID
    pop r12
    pop rbx
    ret

; krealloc: resize an allocation, keeping its contents up to the smaller size.
; IN: rdi = pointer or 0, rsi = new size. OUT: rax = new pointer, or 0 (size 0 frees; on failure the
; old block is left alone). Clobbers: caller-saved registers.
krealloc:
    push rbx
    push r12
    push r13
    mov rbx, rdi
    mov r12, rsi
    test rbx, rbx
    jnz .have_block
    mov rdi, r12
    call kmalloc
    jmp .done
.have_block:
    test r12, r12
    jnz .resize
    call kfree
    xor eax, eax
    jmp .done
.resize:
    ; Capacity of the current block: 2^order - header.
    mov ecx, [rbx - HEAP_HEADER_SIZE + heap_block.order]
    mov r13, 1
    shl r13, cl
    sub r13, HEAP_HEADER_SIZE
    cmp r12, r13
    jbe .fits
    mov rdi, r12
    call kmalloc
    test rax, rax
    jz .done
    mov rdi, rax
    mov rsi, rbx
    mov rcx, r13
    rep movsb
    mov r12, rax
    mov rdi, rbx
    call kfree
    mov rax, r12
    jmp .done
.fits:
    mov rax, rbx
.done:
    pop r13
    pop r12
    pop rbx
    ret

; heap_free_block_count: number of free blocks of one order (tests compare heap states with it).
; IN: edi = order. OUT: rax = count. Clobbers: rcx.
heap_free_block_count:
    lea rcx, [rel heap_free_lists]
    mov rcx, [rcx + rdi * 8]
    xor eax, eax
.next:
    test rcx, rcx
    jz .done
    inc rax
    mov rcx, [rcx + heap_block.next]
    jmp .next
.done:
    ret
