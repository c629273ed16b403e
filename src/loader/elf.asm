; elf.asm — check the kernel ELF64 and copy its PT_LOAD segments into one contiguous
; physically allocated image (the spec guarantees a physically contiguous kernel).

section .text

; check_kernel — check the kernel ELF64 the way Limine does (common/lib/elf.c, elf64_load):
; x86-64 ET_EXEC or ET_DYN, sane non-overlapping PT_LOAD segments (those with p_memsz 0 are
; ignored, as Limine ignores them: the C template's empty `data` PHDR is one), power-of-two
; p_aligns, and no page shared by two segments with different permissions (R, W, X), which
; Limine refuses since 7.x. Segments out of p_vaddr order are accepted: Limine 8.2.0 loads them
; (12.x refuses them). ET_EXEC (and ET_DYN without PT_DYNAMIC) must already be higher-half.
; ET_DYN with PT_DYNAMIC is relocatable: a lower-half one is slid up to 0xffffffff80000000 (the spec's minimum slide), a higher-half one stays where
; it is linked, and `kaslr: yes` adds a random slide. The base is the lowest p_vaddr aligned
; down to 4 KiB, as Limine takes it; the physical image is aligned to the largest p_align.
; Messages name the file and the failed check.
; IN: kernel_file_address, kernel_file_size, kernel_path, kaslr_enabled.
; OUT: kernel_entry (slid), kernel_link_base (lowest linked vaddr, 4 KiB-aligned), kernel_slide,
;      kernel_virtual_base (= link base + slide), kernel_image_size (page-rounded),
;      kernel_size_before_bss, kernel_alignment, kernel_relocatable.
check_kernel:
    FRAME
    mov rsi, [rel kernel_file_address]
    mov r14, [rel kernel_file_size]
    cmp r14, ELF_HEADER_SIZE
    jb .not_elf
    cmp dword [rsi], 0x464c457f         ; "\x7fELF"
    jne .not_elf
    cmp byte [rsi + EI_CLASS], ELFCLASS32
    je .elf32
    cmp byte [rsi + EI_CLASS], ELFCLASS64
    jne .not_elf
    cmp byte [rsi + EI_DATA], ELFDATA2LSB
    jne .big_endian
    cmp word [rsi + E_MACHINE], EM_X86_64
    jne .wrong_machine
    cmp word [rsi + E_TYPE], ET_DYN
    je .type_ok
    cmp word [rsi + E_TYPE], ET_EXEC
    jne .not_executable
.type_ok:
    cmp word [rsi + E_PHENTSIZE], PHDR_SIZE
    jne .bad_phdrs
    movzx r12d, word [rsi + E_PHNUM]
    mov rax, [rsi + E_PHOFF]
    imul rcx, r12, PHDR_SIZE
    add rcx, rax
    jc .bad_phdrs
    cmp rcx, r14
    ja .bad_phdrs
    lea r13, [rsi + rax]                ; program headers
    ; relocatable: ET_DYN with a PT_DYNAMIC (Limine 8.2.0 loads one without it at its link
    ; addresses, Limine 12 refuses it)
    cmp word [rsi + E_TYPE], ET_DYN
    jne .relocatable_known
    xor ecx, ecx
.find_dynamic:
    cmp rcx, r12
    jae .relocatable_known
    imul rdx, rcx, PHDR_SIZE
    inc rcx
    cmp dword [r13 + rdx + P_TYPE], PT_DYNAMIC
    jne .find_dynamic
    mov byte [rel kernel_relocatable], 1
.relocatable_known:
    mov rax, [rsi + E_ENTRY]
    mov [rel kernel_entry], rax
    mov r8, -1                          ; lowest vaddr
    xor r9d, r9d                        ; highest end
    xor ebx, ebx                        ; index
    xor r15d, r15d                      ; PT_LOAD count
    mov qword [rel kernel_alignment], PAGE_SIZE ; Limine's floor: its allocation granule
.segment:
    cmp rbx, r12
    jae .segments_done
    imul rdi, rbx, PHDR_SIZE
    add rdi, r13
    cmp dword [rdi + P_TYPE], PT_LOAD
    jne .next_segment
    cmp qword [rdi + P_MEMSZ], 0
    je .next_segment                    ; empty PT_LOAD: nothing to load, Limine skips it
    inc r15
    mov rax, [rdi + P_FILESZ]
    cmp rax, [rdi + P_MEMSZ]
    ja .filesz_too_big
    add rax, [rdi + P_OFFSET]
    jc .beyond_file
    cmp rax, r14
    ja .beyond_file
    mov rax, [rdi + P_ALIGN]
    lea rcx, [rax - 1]
    cmp rax, 1
    jbe .alignment_known                ; 0 and 1: no alignment
    test rax, rcx
    jnz .align_not_power_of_two
    cmp rax, [rel kernel_alignment]
    jbe .alignment_known
    mov [rel kernel_alignment], rax
.alignment_known:
    mov rax, [rdi + P_VADDR]
    cmp byte [rel kernel_relocatable], 0
    jne .placement_ok                   ; a relocatable kernel is slid into the higher half
    mov rcx, KERNEL_LOWEST_ADDRESS
    cmp rax, rcx
    jb .lower_half
.placement_ok:
    mov rcx, rax
    add rcx, [rdi + P_MEMSZ]
    jc .wraps
    cmp rax, r8
    jae .not_lower
    mov r8, rax
.not_lower:
    cmp rcx, r9
    jbe .not_higher
    mov r9, rcx
.not_higher:
    mov r11, rax
    shr r11, 12
    mov [rel segment_first_page], r11
    lea r11, [rcx - 1]
    shr r11, 12
    mov [rel segment_last_page], r11
    ; against every earlier PT_LOAD: [a, a+m) and [b, b+n) overlap iff a < b+n and b < a+m;
    ; they share a page iff their page ranges intersect
    xor edx, edx
.earlier:
    cmp rdx, rbx
    jae .next_segment
    imul r10, rdx, PHDR_SIZE
    add r10, r13
    cmp dword [r10 + P_TYPE], PT_LOAD
    jne .next_earlier
    cmp qword [r10 + P_MEMSZ], 0
    je .next_earlier
    mov r11, [r10 + P_VADDR]
    add r11, [r10 + P_MEMSZ]            ; end of the earlier one
    cmp rax, r11
    jae .pages
    mov r11, [r10 + P_VADDR]
    cmp r11, rcx
    jb .overlap
.pages:
    mov r11, [r10 + P_VADDR]
    shr r11, 12
    cmp r11, [rel segment_last_page]
    ja .next_earlier
    mov r11, [r10 + P_VADDR]
    add r11, [r10 + P_MEMSZ]
    dec r11
    shr r11, 12
    cmp r11, [rel segment_first_page]
    jb .next_earlier
    mov r11d, [r10 + P_FLAGS]
    xor r11d, [rdi + P_FLAGS]
    test r11d, PF_R | PF_W | PF_X
    jnz .shared_page
.next_earlier:
    inc rdx
    jmp .earlier
.next_segment:
    inc rbx
    jmp .segment
.segments_done:
    test r15, r15
    jz .no_segments
    and r8, -PAGE_SIZE                  ; Limine's base: the lowest p_vaddr, page-aligned
    mov [rel kernel_link_base], r8
    mov rax, r9
    sub rax, r8
    mov [rel kernel_span], rax          ; Limine's image_size
    call measure_bss
    add r9, PAGE_SIZE - 1
    jc .wraps
    and r9, -PAGE_SIZE
    sub r9, r8
    mov [rel kernel_image_size], r9
    mov [rel kernel_phdrs], r13
    mov [rel kernel_phdr_count], r12
    ; the slide: none for ET_EXEC; for ET_DYN the least that puts it at or above
    ; 0xffffffff80000000, plus with KASLR a random 32-bit multiple of the alignment, drawn
    ; again while the image would wrap past the top (Limine's elf64_load)
    xor eax, eax
    cmp byte [rel kernel_relocatable], 0
    je .slid
    mov rcx, KERNEL_LOWEST_ADDRESS
    cmp r8, rcx
    jae .higher_half_already
    sub rcx, r8
    mov rax, rcx
.higher_half_already:
    cmp byte [rel kaslr_enabled], 0
    je .slid
    mov r12, rax                        ; the least slide
    mov r15d, KASLR_TRIES
.draw:
    call random_number
    mov eax, eax                        ; 32 random bits, as Limine's rand32
    mov rcx, [rel kernel_alignment]
    neg rcx
    and rax, rcx
    add rax, r12
    mov rcx, [rel kernel_link_base]
    add rcx, rax
    add rcx, [rel kernel_span]
    mov rdx, KERNEL_LOWEST_ADDRESS
    cmp rcx, rdx
    jae .slid                           ; modulo 2^64: below it means it wrapped
    dec r15
    jnz .draw
    jmp .too_high
.slid:
    mov [rel kernel_slide], rax
    mov rcx, [rel kernel_link_base]
    add rcx, rax
    mov [rel kernel_virtual_base], rcx
    add rcx, [rel kernel_image_size]
    jnc .fits
    jnz .wraps                          ; ending exactly at 2^64 (rcx = 0) still fits
.fits:
    add [rel kernel_entry], rax
    UNFRAME
.not_elf:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_not_elf
.elf32:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_elf32
.big_endian:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_big_endian
.wrong_machine:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_wrong_machine
.not_executable:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_not_executable
.bad_phdrs:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_bad_phdrs
.filesz_too_big:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_filesz
.beyond_file:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_beyond_file
.lower_half:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_lower_half
.wraps:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_wraps
.overlap:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_overlap
.no_segments:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_no_segments
.align_not_power_of_two:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_align_not_power_of_two
.shared_page:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_shared_page
.too_high:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_too_high

; measure_bss — Limine's image_size_before_bss: the image less the bss of the PT_LOAD that
; ends highest (the last such in the table). IN: r9 = highest end, r12 = phnum, r13 = phdrs,
; kernel_span. OUT: kernel_size_before_bss. Clobbers rax, rcx, rdx, r10.
measure_bss:
    xor eax, eax                        ; its bss
    xor ecx, ecx
.segment:
    cmp rcx, r12
    jae .done
    imul r10, rcx, PHDR_SIZE
    add r10, r13
    cmp dword [r10 + P_TYPE], PT_LOAD
    jne .next
    cmp qword [r10 + P_MEMSZ], 0
    je .next
    mov rdx, [r10 + P_VADDR]
    add rdx, [r10 + P_MEMSZ]
    cmp rdx, r9
    jne .next
    mov rax, [r10 + P_MEMSZ]
    sub rax, [r10 + P_FILESZ]
.next:
    inc rcx
    jmp .segment
.done:
    mov rdx, [rel kernel_span]
    sub rdx, rax
    mov [rel kernel_size_before_bss], rdx
    ret

; load_kernel — copy every PT_LOAD segment to its place in a fresh zeroed allocation
; (so bss is zero-filled) aligned to the largest p_align, so that for a kernel whose base is
; that aligned physical and virtual addresses agree modulo it (2 MiB pages stay possible).
; OUT: kernel_physical_base.
load_kernel:
    FRAME
    mov rcx, [rel kernel_image_size]
    shr rcx, 12
    mov edx, MEM_KERNEL_AND_MODULES
    mov r8, [rel kernel_alignment]
    call alloc_pages_aligned
    mov [rel kernel_physical_base], rax
    mov r12, [rel kernel_phdrs]
    mov r13, [rel kernel_phdr_count]
    xor ebx, ebx
.segment:
    cmp rbx, r13
    jae .done
    imul r8, rbx, PHDR_SIZE
    add r8, r12
    cmp dword [r8 + P_TYPE], PT_LOAD
    jne .next
    cmp qword [r8 + P_MEMSZ], 0
    je .next
    mov rdi, [r8 + P_VADDR]
    sub rdi, [rel kernel_link_base]
    add rdi, [rel kernel_physical_base]
    mov rsi, [r8 + P_OFFSET]
    add rsi, [rel kernel_file_address]
    mov rcx, [r8 + P_FILESZ]
    rep movsb
.next:
    inc rbx
    jmp .segment
.done:
    cmp byte [rel kernel_relocatable], 0
    je .no_relocations
    call relocate_kernel
.no_relocations:
    UNFRAME

section .data
align 8
kernel_file_address:  dq 0
kernel_file_size:     dq 0
kernel_entry:         dq 0
kernel_virtual_base:  dq 0
kernel_link_base:     dq 0
kernel_slide:         dq 0
kernel_alignment:     dq 0
kernel_span:          dq 0                ; highest end - link base, not rounded
kernel_size_before_bss: dq 0
segment_first_page:   dq 0
segment_last_page:    dq 0
kernel_relocatable:   db 0
kaslr_enabled:        db 0
align 8
kernel_image_size:    dq 0
kernel_physical_base: dq 0
kernel_phdrs:         dq 0
kernel_phdr_count:    dq 0

msg_kernel_prefix:  db "kernel ", 0
msg_not_elf:        db ": not an ELF file (bad magic or too short)", 0
msg_elf32:          db ": is a 32-bit ELF (ELFCLASS32); the Limine protocol needs an ELF64 x86-64 kernel", 0
msg_big_endian:     db ": is a big-endian ELF; an x86-64 kernel is little-endian", 0
msg_wrong_machine:  db ": ELF machine is not x86-64 (EM_X86_64)", 0
msg_not_executable: db ": is not an executable ELF (e_type must be ET_EXEC or ET_DYN)", 0
msg_bad_phdrs:      db ": program header table is malformed or outside the file", 0
msg_filesz:         db ": a PT_LOAD segment has p_filesz larger than p_memsz", 0
msg_beyond_file:    db ": a PT_LOAD segment's data lies beyond the end of the file", 0
msg_lower_half:     db ": a PT_LOAD segment is below 0xffffffff80000000 (the Limine protocol only loads higher-half kernels)", 0
msg_wraps:          db ": a PT_LOAD segment wraps around the end of the address space", 0
msg_overlap:        db ": two PT_LOAD segments overlap in virtual memory", 0
msg_no_segments:    db ": has no PT_LOAD segment", 0
msg_align_not_power_of_two: db ": a PT_LOAD segment's p_align is not a power of two", 0
msg_shared_page:    db ": two PT_LOAD segments with different permissions share a page", 0
msg_too_high:       db ": no KASLR slide keeps the image below the top of the address space", 0
