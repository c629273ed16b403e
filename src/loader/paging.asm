; paging.asm — the kernel's 4-level page tables, built before the loader leaves the firmware.
; Layout: the HHDM (0xffff800000000000 + phys) of the first 4 GiB and of every memory map
; region above it that is not reserved or bad, in 2 MiB pages (identity-mapped as well for
; base revision 0 kernels); an identity map of the first 4 GiB (this loader keeps running there until it jumps to the kernel; the protocol leaves
; the layout open beyond the mappings it requires); the kernel at its link address in 4 KiB
; pages with its segments' permissions (writable only if PF_W, NX unless PF_X).
; Framebuffer pages use PAT entry 5 (write-combining) when the CPU has a PAT.

section .text

; detect_cpu_features — OUT: nx_supported, pat_supported.
detect_cpu_features:
    push rbx
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_nx
    mov eax, 0x80000001
    cpuid
    bt edx, CPUID_NX_BIT
    jnc .no_nx
    mov byte [rel nx_supported], 1
.no_nx:
    mov eax, 1
    cpuid
    bt edx, CPUID_PAT_BIT
    jnc .no_pat
    mov byte [rel pat_supported], 1
.no_pat:
    pop rbx
    ret

; table_page — a zeroed page for a page table, from a pool refilled 16 pages at a time.
; OUT: rax = physical address.
table_page:
    FRAME
    mov rax, [rel table_pool_next]
    cmp rax, [rel table_pool_end]
    jb .take
    mov ecx, 16
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    mov [rel table_pool_next], rax
    lea rcx, [rax + 16 * PAGE_SIZE]
    mov [rel table_pool_end], rcx
.take:
    lea rcx, [rax + PAGE_SIZE]
    mov [rel table_pool_next], rcx
    UNFRAME

; map_page — map one page, merging permissions with an existing mapping of that page
; (writable if either wants it, executable if either wants it).
; IN: rcx = virtual address, rdx = physical address, r8 = flags (PTE_* with bit 63 = NX),
;     r9 = 1 for a 4 KiB page, 2 for a 2 MiB page.
map_page:
    FRAME
    mov r12, rcx
    mov r13, rdx
    mov r14, r8
    cmp byte [rel nx_supported], 0
    jne .nx_ok
    btr r14, PTE_NX_BIT
.nx_ok:
    mov r15, r9
    mov rbx, [rel pml4]                 ; the root: a PML4, or a PML5 with 5-level paging
    mov rsi, [rel paging_levels]        ; level of the table rbx points to
.walk:
    lea ecx, [esi*8 + esi + 3]          ; 12 + 9 * (level - 1)
    mov rax, r12
    shr rax, cl
    and eax, 511
    lea rdi, [rbx + rax*8]              ; the entry at this level
    cmp rsi, r15
    je .leaf
    mov rax, [rdi]
    test rax, PTE_PRESENT
    jnz .descend
    call table_page
    or rax, PTE_PRESENT | PTE_WRITABLE
    mov [rdi], rax
.descend:
    test rax, PTE_LARGE
    jnz .conflict
    mov rbx, rax
    mov rcx, PTE_ADDRESS_MASK
    and rbx, rcx
    dec esi
    jmp .walk
.leaf:
    mov rax, r13
    or rax, r14
    cmp r15, 2
    jne .merge
    or rax, PTE_LARGE
.merge:
    mov rcx, [rdi]
    test rcx, PTE_PRESENT
    jz .store
    and rcx, PTE_WRITABLE
    or rax, rcx                         ; writable if either was
    mov rcx, [rdi]
    bt rcx, PTE_NX_BIT
    jc .store
    btr rax, PTE_NX_BIT                 ; executable if either was
.store:
    mov [rdi], rax
    UNFRAME
.conflict:
    FAIL msg_mapping_conflict

; large_page_flags — flags for a 2 MiB page of the direct maps: write-combining when it
; touches the framebuffer and the CPU has a PAT. IN: rcx = physical address. OUT: rax.
large_page_flags:
    mov eax, PTE_PRESENT | PTE_WRITABLE
    cmp byte [rel pat_supported], 0
    je .done
    mov rdx, [rel framebuffer_size]
    test rdx, rdx
    jz .done
    add rdx, [rel framebuffer_base]
    cmp rcx, rdx
    jae .done                           ; page starts after the framebuffer
    lea rdx, [rcx + LARGE_PAGE_SIZE]
    cmp [rel framebuffer_base], rdx
    jae .done                           ; page ends before it
    or eax, PTE_PWT | PTE_PAT_LARGE     ; PAT index 5
.done:
    ret

; small_page_flags — flags for a 4 KiB page of the HHDM: write-combining (PAT index 5: PAT
; bit 7 + PWT) inside the framebuffer when the CPU has a PAT. IN: rcx = physical address.
small_page_flags:
    mov eax, PTE_PRESENT | PTE_WRITABLE
    cmp byte [rel pat_supported], 0
    je .done
    mov rdx, [rel framebuffer_size]
    test rdx, rdx
    jz .done
    add rdx, [rel framebuffer_base]
    cmp rcx, rdx
    jae .done
    cmp rcx, [rel framebuffer_base]
    jb .done
    or eax, PTE_PWT | PTE_PAT_SMALL
.done:
    ret

; map_direct_range — map [rcx, rdx) of physical memory with 2 MiB pages (rounded outwards).
; IN: r8 = MAP_HHDM, MAP_IDENTITY or both.
map_direct_range:
    FRAME
    mov rbx, rcx
    and rbx, -LARGE_PAGE_SIZE
    lea r12, [rdx + LARGE_PAGE_SIZE - 1]
    and r12, -LARGE_PAGE_SIZE
    mov r13, r8
.page:
    cmp rbx, r12
    jae .done
    mov rcx, rbx
    call large_page_flags
    mov r14, rax
    test r13, MAP_HHDM
    jz .identity
    mov rcx, [rel hhdm_offset]
    add rcx, rbx
    mov rdx, rbx
    mov r8, r14
    mov r9d, 2
    call map_page
.identity:
    test r13, MAP_IDENTITY
    jz .next
    mov rcx, rbx
    mov rdx, rbx
    mov r8, r14
    mov r9d, 2
    call map_page
.next:
    add rbx, LARGE_PAGE_SIZE
    jmp .page
.done:
    UNFRAME

; map_hhdm_exactly — map [rcx, rdx) in the HHDM rounded out to 4 KiB only (base revision 3
; and later map nothing but the regions they list): 2 MiB pages where a whole aligned 2 MiB
; lies inside, 4 KiB pages at the edges.
map_hhdm_exactly:
    FRAME
    mov rbx, rcx
    and rbx, -PAGE_SIZE
    lea r12, [rdx + PAGE_SIZE - 1]
    and r12, -PAGE_SIZE
.page:
    cmp rbx, r12
    jae .done
    test rbx, LARGE_PAGE_SIZE - 1
    jnz .small
    lea rax, [rbx + LARGE_PAGE_SIZE]
    cmp rax, r12
    ja .small
    mov rcx, rbx
    call large_page_flags
    mov r8, rax
    mov rcx, [rel hhdm_offset]
    add rcx, rbx
    mov rdx, rbx
    mov r9d, 2
    call map_page
    add rbx, LARGE_PAGE_SIZE
    jmp .page
.small:
    mov rcx, rbx
    call small_page_flags
    mov r8, rax
    mov rcx, [rel hhdm_offset]
    add rcx, rbx
    mov rdx, rbx
    mov r9d, 1
    call map_page
    add rbx, PAGE_SIZE
    jmp .page
.done:
    UNFRAME

; build_page_tables — the whole address space described at the top of this file.
; IN: efi_map holds a current snapshot of the memory map. OUT: pml4.
build_page_tables:
    FRAME
    call collect_reserved_mapped_ranges
    call table_page
    mov [rel pml4], rax
    ; the first 4 GiB identity-mapped (this loader runs there until the jump; base revision
    ; 0 promises it), and in the HHDM for revisions 0-2, which map it unconditionally
    xor ecx, ecx
    mov rdx, LOW_MAPPED_LIMIT
    mov r8d, MAP_IDENTITY
    cmp qword [rel base_revision], 3
    jae .low_identity_only
    mov r8d, MAP_IDENTITY | MAP_HHDM
.low_identity_only:
    call map_direct_range
    ; this loader keeps running identity-mapped until the jump: map it too should the
    ; platform have put it above 4 GiB
    mov rcx, [rel loader_image_base]
    mov rdx, [rel loader_image_size]
    add rdx, rcx
    mov rax, LOW_MAPPED_LIMIT
    cmp rdx, rax
    jbe .regions
    mov r8d, MAP_IDENTITY
    call map_direct_range
.regions:
    ; the regions the base revision maps in the HHDM (revisions 0-2: those above 4 GiB)
    mov rsi, [rel efi_map]
    mov rdi, rsi
    add rdi, [rel efi_map_size]
.region:
    cmp rsi, rdi
    jae .framebuffer
    mov ecx, [rsi + MD_TYPE]
    call limine_type_of
    call hhdm_maps_type
    jz .next_region
    mov rcx, [rsi + MD_PHYSICAL_START]
    mov rdx, [rsi + MD_NUMBER_OF_PAGES]
    shl rdx, 12
    add rdx, rcx
    cmp qword [rel base_revision], 3
    jb .above_4g
    call map_hhdm_exactly
    jmp .next_region
.above_4g:
    mov rax, LOW_MAPPED_LIMIT
    cmp rdx, rax
    jbe .next_region
    cmp rcx, rax
    jae .above
    mov rcx, rax
.above:
    mov r8d, MAP_HHDM
    cmp qword [rel base_revision], 0
    jne .no_identity
    mov r8d, MAP_HHDM | MAP_IDENTITY    ; base revision 0 also identity-maps memory above 4 GiB
.no_identity:
    call map_direct_range
.next_region:
    add rsi, [rel efi_descriptor_size]
    jmp .region
.framebuffer:
    mov rcx, [rel framebuffer_base]
    mov rdx, [rel framebuffer_size]
    test rdx, rdx
    jz .extra_ranges
    add rdx, rcx
    cmp qword [rel base_revision], 3
    jb .framebuffer_large
    call map_hhdm_exactly
    jmp .extra_ranges
.framebuffer_large:
    mov r8d, MAP_HHDM
    call map_direct_range
.extra_ranges:
    call map_reserved_mapped_ranges
.kernel:
    mov r12, [rel kernel_phdrs]
    xor ebx, ebx
.segment:
    cmp rbx, [rel kernel_phdr_count]
    jae .done
    imul r13, rbx, PHDR_SIZE
    add r13, r12
    cmp dword [r13 + P_TYPE], PT_LOAD
    jne .next_segment
    cmp qword [r13 + P_MEMSZ], 0
    je .next_segment
    mov r14, PTE_PRESENT
    test dword [r13 + P_FLAGS], PF_W
    jz .read_only
    or r14, PTE_WRITABLE
.read_only:
    test dword [r13 + P_FLAGS], PF_X
    jnz .executable
    bts r14, PTE_NX_BIT
.executable:
    mov rsi, [r13 + P_VADDR]
    add rsi, [rel kernel_slide]         ; where a relocatable kernel was slid to
    mov rdi, rsi
    add rdi, [r13 + P_MEMSZ]
    and rsi, -PAGE_SIZE
.kernel_page:
    cmp rsi, rdi
    jae .next_segment
    mov rcx, rsi
    mov rdx, rsi
    sub rdx, [rel kernel_virtual_base]
    add rdx, [rel kernel_physical_base]
    mov r8, r14
    mov r9d, 1
    call map_page
    add rsi, PAGE_SIZE
    jmp .kernel_page
.next_segment:
    inc rbx
    jmp .segment
.done:
    UNFRAME

section .data
align 8
pml4:               dq 0
table_pool_next:    dq 0
table_pool_end:     dq 0
nx_supported:       db 0
pat_supported:      db 0
msg_mapping_conflict: db "internal error: a kernel page falls inside a 2 MiB direct-map page", 0
