; memmap.asm — the platform's memory map (efi_map, in UEFI descriptor layout: UEFI's own, or
; the PVH platform's E820 regions) and its translation into Limine's map.

section .text

; limine_type_of — translate a UEFI memory type into a Limine memory map type (runtime
; services code and data are RESERVED_MAPPED from base revision 5 on, else RESERVED).
; IN: ecx = EFI type. OUT: eax = Limine type. Clobbers rdx.
limine_type_of:
    cmp ecx, EFI_RUNTIME_SERVICES_CODE
    je .runtime
    cmp ecx, EFI_RUNTIME_SERVICES_DATA
    je .runtime
    cmp ecx, MEM_KERNEL_AND_MODULES
    je .kernel
    cmp ecx, MEM_LOADER_RECLAIMABLE
    je .reclaimable
    mov eax, LMM_RESERVED
    cmp ecx, EFI_TYPE_COUNT
    jae .done
    lea rdx, [rel efi_type_to_limine]
    movzx eax, byte [rdx + rcx]
.done:
    ret
.kernel:
    mov eax, LMM_KERNEL_AND_MODULES
    ret
.reclaimable:
    mov eax, LMM_BOOTLOADER_RECLAIMABLE
    ret
.runtime:
    mov eax, LMM_RESERVED
    cmp qword [rel base_revision], 5
    jb .done
    mov eax, LMM_RESERVED_MAPPED
    ret

; hhdm_maps_type — whether the base revision maps a Limine memory map type in the HHDM
; (beyond the first 4 GiB that revisions 0-2 always map).
; IN: eax = Limine type. OUT: ZF clear (jnz) = mapped. Preserves everything but flags.
hhdm_maps_type:
    push rcx
    mov rcx, [rel base_revision]
    cmp rcx, HHDM_REVISION_COUNT - 1
    jbe .revision_known
    mov ecx, HHDM_REVISION_COUNT - 1
.revision_known:
    push rdx
    lea rdx, [rel hhdm_types_by_revision]
    movzx ecx, word [rdx + rcx*2]
    pop rdx
    bt ecx, eax
    setc cl
    test cl, cl
    pop rcx
    ret

; reserve_limine_memmap — allocate room for the Limine entries and their pointer array,
; sized from the current map (entries only merge or stay; one is added for the framebuffer).
reserve_limine_memmap:
    FRAME
    mov rax, [rel efi_map_capacity]
    xor edx, edx
    div qword [rel efi_descriptor_size]
    add rax, 2 + RESERVED_MAPPED_MAX
    mov [rel limine_entries_capacity], rax
    imul rcx, rax, ME_SIZE + 8
    add rcx, PAGE_SIZE - 1
    shr rcx, 12
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    mov [rel limine_entries], rax
    mov rcx, [rel limine_entries_capacity]
    imul rcx, rcx, ME_SIZE
    add rax, rcx
    mov [rel limine_entry_pointers], rax
    UNFRAME

; build_limine_memmap — after leave_firmware: translate the final map into the
; memory map response: Limine types, page 0 never usable, the framebuffer added, sorted
; by base, touching entries of one type merged. Also fills the EFI memory map response.
; Calls nothing from the firmware.
build_limine_memmap:
    FRAME
    mov rdi, [rel limine_entries]
    xor r12d, r12d                      ; entry count
    mov rsi, [rel efi_map]
    mov r13, rsi
    add r13, [rel efi_map_size]
.descriptor:
    cmp rsi, r13
    jae .descriptors_done
    mov ecx, [rsi + MD_TYPE]
    call limine_type_of
    mov r8, [rsi + MD_PHYSICAL_START]
    mov r9, [rsi + MD_NUMBER_OF_PAGES]
    shl r9, 12
    test r8, r8
    jnz .keep
    cmp qword [rel base_revision], 2
    ja .keep                            ; revision 3 on: page 0 may be usable
    cmp eax, LMM_USABLE
    je .drop_page_zero
    cmp eax, LMM_BOOTLOADER_RECLAIMABLE
    jne .keep                           ; (reclaimable becomes usable once the kernel is done)
.drop_page_zero:
    add r8, PAGE_SIZE                   ; revisions 0-2: memory between 0 and 0x1000 never usable
    sub r9, PAGE_SIZE
.keep:
    test r9, r9
    jz .next_descriptor
    cmp r12, [rel limine_entries_capacity]
    jae .next_descriptor
    imul rdx, r12, ME_SIZE
    mov [rdi + rdx + ME_BASE], r8
    mov [rdi + rdx + ME_LENGTH], r9
    mov [rdi + rdx + ME_TYPE], rax
    inc r12
.next_descriptor:
    add rsi, [rel efi_descriptor_size]
    jmp .descriptor
.descriptors_done:
    ; RESERVED_MAPPED ranges (firmware tables outside regions the HHDM maps)
    xor ebx, ebx
.reserved_mapped:
    cmp rbx, [rel reserved_mapped_count]
    jae .framebuffer
    cmp r12, [rel limine_entries_capacity]
    jae .framebuffer
    mov rax, rbx
    shl rax, 4
    lea rcx, [rel reserved_mapped_ranges]
    imul rdx, r12, ME_SIZE
    mov r8, [rcx + rax]
    mov [rdi + rdx + ME_BASE], r8
    mov r8, [rcx + rax + 8]
    mov [rdi + rdx + ME_LENGTH], r8
    mov qword [rdi + rdx + ME_TYPE], LMM_RESERVED_MAPPED
    inc r12
    inc rbx
    jmp .reserved_mapped
.framebuffer:
    mov rax, [rel framebuffer_size]
    test rax, rax
    jz .sort
    cmp r12, [rel limine_entries_capacity]
    jae .sort
    imul rdx, r12, ME_SIZE
    mov rcx, [rel framebuffer_base]
    mov [rdi + rdx + ME_BASE], rcx
    mov [rdi + rdx + ME_LENGTH], rax
    mov qword [rdi + rdx + ME_TYPE], LMM_FRAMEBUFFER
    inc r12
.sort:
    ; insertion sort by base (a few dozen entries)
    mov rbx, 1
.sort_outer:
    cmp rbx, r12
    jae .merge
    imul rdx, rbx, ME_SIZE
    mov r8, [rdi + rdx + ME_BASE]
    mov r9, [rdi + rdx + ME_LENGTH]
    mov r10, [rdi + rdx + ME_TYPE]
    mov rcx, rbx
.sort_inner:
    test rcx, rcx
    jz .sort_place
    imul rdx, rcx, ME_SIZE
    cmp [rdi + rdx - ME_SIZE + ME_BASE], r8
    jbe .sort_place
    mov rax, [rdi + rdx - ME_SIZE + ME_BASE]
    mov [rdi + rdx + ME_BASE], rax
    mov rax, [rdi + rdx - ME_SIZE + ME_LENGTH]
    mov [rdi + rdx + ME_LENGTH], rax
    mov rax, [rdi + rdx - ME_SIZE + ME_TYPE]
    mov [rdi + rdx + ME_TYPE], rax
    dec rcx
    jmp .sort_inner
.sort_place:
    imul rdx, rcx, ME_SIZE
    mov [rdi + rdx + ME_BASE], r8
    mov [rdi + rdx + ME_LENGTH], r9
    mov [rdi + rdx + ME_TYPE], r10
    inc rbx
    jmp .sort_outer
.merge:
    ; r14 = last kept entry, rbx = entry being looked at
    test r12, r12
    jz .publish
    xor r14d, r14d
    mov rbx, 1
.merge_next:
    cmp rbx, r12
    jae .merge_done
    imul rdx, rbx, ME_SIZE
    imul rcx, r14, ME_SIZE
    mov rax, [rdi + rdx + ME_TYPE]
    cmp rax, [rdi + rcx + ME_TYPE]
    jne .separate
    mov rax, [rdi + rcx + ME_BASE]
    add rax, [rdi + rcx + ME_LENGTH]
    cmp rax, [rdi + rdx + ME_BASE]
    jne .separate
    mov rax, [rdi + rdx + ME_LENGTH]
    add [rdi + rcx + ME_LENGTH], rax
    jmp .merged
.separate:
    inc r14
    imul rcx, r14, ME_SIZE
    mov rax, [rdi + rdx + ME_BASE]
    mov [rdi + rcx + ME_BASE], rax
    mov rax, [rdi + rdx + ME_LENGTH]
    mov [rdi + rcx + ME_LENGTH], rax
    mov rax, [rdi + rdx + ME_TYPE]
    mov [rdi + rcx + ME_TYPE], rax
.merged:
    inc rbx
    jmp .merge_next
.merge_done:
    lea r12, [r14 + 1]
.publish:
    mov rsi, [rel limine_entry_pointers]
    mov r8, [rel hhdm_offset]
    xor ebx, ebx
.pointer:
    cmp rbx, r12
    jae .pointers_done
    imul rax, rbx, ME_SIZE
    add rax, rdi
    add rax, r8
    mov [rsi + rbx*8], rax
    inc rbx
    jmp .pointer
.pointers_done:
    mov rax, [rel memmap_response]
    test rax, rax
    jz .efi_map
    mov [rax + 8], r12
    lea rcx, [rsi + r8]
    mov [rax + 16], rcx
.efi_map:
    mov rax, [rel efi_memmap_response]
    test rax, rax
    jz .done
    mov rcx, [rel efi_map]
    add rcx, r8
    mov [rax + 8], rcx
    mov rcx, [rel efi_map_size]
    mov [rax + 16], rcx
    mov rcx, [rel efi_descriptor_size]
    mov [rax + 24], rcx
    mov ecx, [rel efi_descriptor_version]
    mov [rax + 32], rcx
.done:
    UNFRAME

section .data
align 8
efi_map:                dq 0
efi_map_capacity:       dq 0
efi_map_size:           dq 0
efi_map_key:            dq 0
efi_descriptor_size:    dq 0
efi_descriptor_version: dq 0
limine_entries:         dq 0
limine_entry_pointers:  dq 0
limine_entries_capacity: dq 0
efi_type_to_limine:
    db LMM_RESERVED                     ; EfiReservedMemoryType
    db LMM_BOOTLOADER_RECLAIMABLE       ; EfiLoaderCode (this loader)
    db LMM_BOOTLOADER_RECLAIMABLE       ; EfiLoaderData
    db LMM_BOOTLOADER_RECLAIMABLE       ; EfiBootServicesCode (reclaimable since Limine 9.3.2:
    db LMM_BOOTLOADER_RECLAIMABLE       ; EfiBootServicesData  BGRT and ESRT may live there)
    db LMM_RESERVED                     ; EfiRuntimeServicesCode
    db LMM_RESERVED                     ; EfiRuntimeServicesData
    db LMM_USABLE                       ; EfiConventionalMemory
    db LMM_BAD_MEMORY                   ; EfiUnusableMemory
    db LMM_ACPI_RECLAIMABLE             ; EfiACPIReclaimMemory
    db LMM_ACPI_NVS                     ; EfiACPIMemoryNVS
    db LMM_RESERVED                     ; EfiMemoryMappedIO
    db LMM_RESERVED                     ; EfiMemoryMappedIOPortSpace
    db LMM_RESERVED                     ; EfiPalCode
    db LMM_RESERVED                     ; EfiPersistentMemory
    db LMM_RESERVED                     ; EfiUnacceptedMemoryType
; the Limine memory map types each base revision maps in the HHDM, one bit per type
HHDM_ALL_TYPES      equ 0x1ff
HHDM_R3_TYPES       equ (1 << LMM_USABLE) | (1 << LMM_BOOTLOADER_RECLAIMABLE) | (1 << LMM_KERNEL_AND_MODULES) | (1 << LMM_FRAMEBUFFER)
HHDM_R4_TYPES       equ HHDM_R3_TYPES | (1 << LMM_RESERVED_MAPPED) | (1 << LMM_ACPI_RECLAIMABLE) | (1 << LMM_ACPI_NVS)
hhdm_types_by_revision:
    dw HHDM_ALL_TYPES                                           ; 0: everything
    dw HHDM_ALL_TYPES & ~((1 << LMM_RESERVED) | (1 << LMM_BAD_MEMORY)) ; 1
    dw HHDM_ALL_TYPES & ~((1 << LMM_RESERVED) | (1 << LMM_BAD_MEMORY)) ; 2
    dw HHDM_R3_TYPES                                            ; 3
    dw HHDM_R4_TYPES                                            ; 4
    dw HHDM_R4_TYPES                                            ; 5
    dw HHDM_R4_TYPES                                            ; 6
HHDM_REVISION_COUNT equ ($ - hhdm_types_by_revision) / 2
