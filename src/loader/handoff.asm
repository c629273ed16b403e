; handoff.asm — enter the kernel in the state the Limine spec describes for x86-64 (after
; the platform's leave_firmware).

section .text

; build_gdt — the spec's GDT (null, 16-, 32- and 64-bit code and data) and a GDTR for it,
; in bootloader-reclaimable memory. OUT: gdtr_address (HHDM address of the GDTR).
build_gdt:
    FRAME
    mov ecx, GDT_BYTES + 16
    call arena_alloc
    mov rdi, rax
    lea rsi, [rel gdt_template]
    mov ecx, GDT_BYTES
    rep movsb
    ; the GDTR right after the table: limit, then the table's HHDM address
    mov word [rdi], GDT_BYTES - 1
    mov rcx, [rel hhdm_offset]
    add rcx, rax
    mov [rdi + 2], rcx
    mov rcx, [rel hhdm_offset]
    add rcx, rdi
    mov [rel gdtr_address], rcx
    UNFRAME

; allocate_kernel_stack — OUT: stack_top (HHDM address, 16-byte aligned).
allocate_kernel_stack:
    FRAME
    mov rcx, [rel stack_size]
    shr rcx, 12
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    add rax, [rel stack_size]
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [rel stack_top], rax
    UNFRAME

; find_madt — note the ACPI MADT ("APIC" table), and the DMAR and IVRS for the IOMMUs.
; OUT: madt (physical address or 0).
find_madt:
    FRAME
    call find_rsdp
    test rax, rax
    jz .done
    ; XSDT (8-byte entries) from ACPI 2.0 on, else RSDT (4-byte entries)
    cmp byte [rax + RSDP_REVISION], 2
    jb .rsdt
    mov rsi, [rax + RSDP_XSDT]
    test rsi, rsi
    jz .rsdt
    mov r8d, 8
    jmp .scan
.rsdt:
    mov esi, [rax + RSDP_RSDT]
    mov r8d, 4
.scan:
    test rsi, rsi
    jz .done
    mov ecx, [rsi + SDT_LENGTH]
    lea rdi, [rsi + rcx]                ; end of the entry array
    add rsi, SDT_HEADER_SIZE
.entry:
    lea rax, [rsi + r8]
    cmp rax, rdi
    ja .done
    mov eax, [rsi]
    cmp r8d, 8
    jne .narrow
    mov rax, [rsi]
.narrow:
    test rax, rax
    jz .next
    ; the first table of each signature, as Limine's acpi_get_table(signature, 0)
    cmp dword [rax], MADT_SIGNATURE
    jne .not_madt
    cmp qword [rel madt], 0
    jne .not_madt
    mov [rel madt], rax
.not_madt:
    cmp dword [rax], DMAR_SIGNATURE
    jne .not_dmar
    cmp qword [rel dmar], 0
    jne .not_dmar
    mov [rel dmar], rax                 ; Intel VT-d units
.not_dmar:
    cmp dword [rax], IVRS_SIGNATURE
    jne .next
    cmp qword [rel ivrs], 0
    jne .next
    mov [rel ivrs], rax                 ; AMD-Vi units
.next:
    add rsi, r8
    jmp .entry
.done:
    UNFRAME

; madt_next_entry — step through the MADT's interrupt controller structures; the one walk
; every MADT reader uses. IN: rsi = the entry it returned last, or 0 to start.
; OUT: rsi = the next entry, rcx = its length (at least its 2-byte header, and it lies
; inside the table), or rsi = 0 at the end, at a malformed entry and without a MADT.
; Clobbers rax.
madt_next_entry:
    mov rax, [rel madt]
    test rax, rax
    jz .end
    test rsi, rsi
    jnz .advance
    lea rsi, [rax + MADT_ENTRIES]
    jmp .check
.advance:
    movzx ecx, byte [rsi + 1]
    add rsi, rcx
.check:
    mov ecx, [rax + SDT_LENGTH]
    add rax, rcx                        ; the end of the table
    lea rcx, [rsi + 2]
    cmp rcx, rax
    ja .end
    movzx ecx, byte [rsi + 1]
    cmp ecx, 2
    jb .end                             ; shorter than its header: the walk cannot go on
    add rcx, rsi
    cmp rcx, rax
    ja .end
    movzx ecx, byte [rsi + 1]
    ret
.end:
    xor esi, esi
    ret

; disable_iommus — base revision 5 on, unless the kernel asked to keep them: every VT-d unit
; (DMAR DRHD) gets DMA translation and interrupt remapping turned off, every AMD-Vi unit
; (IVRS IVHD types 0x10, 0x11, 0x40) is disabled. Firmware page tables (MMIO identity-mapped).
; Clobbers rax, rcx, rdx, rsi, rdi, r8-r11.
disable_iommus:
    cmp qword [rel base_revision], 5
    jb .done
    cmp byte [rel keep_iommu], 0
    jne .done
    mov rsi, [rel dmar]
    test rsi, rsi
    jz .amd
    mov ecx, [rsi + SDT_LENGTH]
    lea rdi, [rsi + rcx]
    add rsi, DMAR_STRUCTURES
.dmar_entry:
    lea rax, [rsi + 4]
    cmp rax, rdi
    ja .amd
    movzx r8d, word [rsi + 2]           ; structure length
    test r8d, r8d
    jz .amd
    cmp word [rsi], DMAR_DRHD
    jne .dmar_next
    mov r9, [rsi + DRHD_REGISTER_BASE]
    mov ecx, VTD_GSTS_TES
    call vtd_clear_command
    mov ecx, VTD_GSTS_IRES
    call vtd_clear_command
.dmar_next:
    add rsi, r8
    jmp .dmar_entry
.amd:
    mov rsi, [rel ivrs]
    test rsi, rsi
    jz .done
    mov ecx, [rsi + SDT_LENGTH]
    lea rdi, [rsi + rcx]
    add rsi, IVRS_BLOCKS
.ivhd:
    lea rax, [rsi + 4]
    cmp rax, rdi
    ja .done
    movzx r8d, word [rsi + 2]
    test r8d, r8d
    jz .done
    mov al, [rsi]
    cmp al, 0x10
    je .amd_unit
    cmp al, 0x11
    je .amd_unit
    cmp al, 0x40
    jne .ivhd_next
.amd_unit:
    mov r9, [rsi + IVHD_IOMMU_BASE]
    and qword [r9 + AMDVI_CONTROL], ~AMDVI_CONTROL_ENABLE
.ivhd_next:
    add rsi, r8
    jmp .ivhd
.done:
    ret

; vtd_clear_command — turn one VT-d global command off when its status bit is on, the way the
; VT-d spec says to change one bit: GSTS with the one-shot bits cleared, minus that bit,
; written to GCMD; then wait (bounded) for the status to follow.
; IN: r9 = register base, ecx = the GSTS bit (same position in GCMD). Clobbers eax, edx, r10.
vtd_clear_command:
    mov eax, [r9 + VTD_GSTS]
    test eax, ecx
    jz .done
    and eax, VTD_GSTS_PERSISTENT
    not ecx
    and eax, ecx
    not ecx
    mov [r9 + VTD_GCMD], eax
    mov r10d, 1000000
.wait:
    test [r9 + VTD_GSTS], ecx
    jz .done
    pause
    dec r10d
    jnz .wait
.done:
    ret

; mask_io_apics — mask every IO APIC redirection entry whose delivery mode is fixed or
; lowest priority (and, from base revision 5 on, NMI or ExtINT), as the spec asks. Runs on the platform's page tables (MMIO identity-mapped).
; Clobbers rax, rcx, rdx, rsi, r9-r11.
mask_io_apics:
    xor esi, esi
.entry:
    call madt_next_entry
    test rsi, rsi
    jz .done
    cmp byte [rsi], MADT_IO_APIC
    jne .entry
    cmp ecx, MADT_IO_APIC_SIZE
    jb .entry
    mov r9d, [rsi + MADT_IO_APIC_ADDRESS]
    mov dword [r9 + IOAPIC_SELECT], IOAPIC_VERSION_REGISTER
    mov eax, [r9 + IOAPIC_WINDOW]
    shr eax, 16
    movzx r10d, al                      ; index of the last redirection entry
    xor r11d, r11d
.redirection:
    cmp r11d, r10d
    ja .entry
    lea ecx, [r11*2 + IOAPIC_REDIRECTION_BASE]
    mov [r9 + IOAPIC_SELECT], ecx
    mov eax, [r9 + IOAPIC_WINDOW]
    mov edx, eax
    and edx, IOAPIC_DELIVERY_MODE_MASK
    cmp edx, IOAPIC_DELIVERY_LOWEST
    jbe .mask
    cmp qword [rel base_revision], 5
    jb .keep                            ; SMI, NMI, INIT, ExtINT: left alone
    cmp edx, IOAPIC_DELIVERY_NMI
    je .mask                            ; revision 5 on: NMI and ExtINT masked too
    cmp edx, IOAPIC_DELIVERY_EXTINT
    jne .keep
.mask:
    or eax, IOAPIC_MASKED
    mov [r9 + IOAPIC_SELECT], ecx
    mov [r9 + IOAPIC_WINDOW], eax
.keep:
    inc r11d
    jmp .redirection
.done:
    ret

; enter_kernel — switch to our page tables, GDT and stack and jump to the kernel entry
; with every general-purpose register zero and a 0 return address on the stack.
; Never returns. Runs identity-mapped (the first 4 GiB stay mapped in our tables).
enter_kernel:
    cli
    cld
    ; mask the legacy PICs
    mov al, 0xff
    out PIC1_DATA, al
    out PIC2_DATA, al
    call mask_io_apics
    call disable_iommus
    ; NX must be on before any table with NX bits is live
    cmp byte [rel nx_supported], 0
    je .no_nx
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_NXE
    wrmsr
.no_nx:
    cmp byte [rel pat_supported], 0
    je .no_pat
    mov ecx, MSR_PAT
    mov rax, PAT_LIMINE_LAYOUT
    mov rdx, rax
    shr rdx, 32
    wrmsr
.no_pat:
    mov rax, cr0
    or eax, CR0_WP
    mov cr0, rax
    call settle_apic_mode
    call start_aps
    call finish_performance_response
    cmp qword [rel paging_levels], 5
    jne .four_levels
    call switch_to_five_levels
    jmp .tables_live
.four_levels:
    mov rax, [rel pml4]
    mov cr3, rax
.tables_live:
    mov r8, [rel kernel_entry]
    mov r9, [rel stack_top]
    mov r10, [rel gdtr_address]
    mov rsp, r9
    lgdt [r10]
    mov eax, GDT_DATA64_SELECTOR
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    push GDT_CODE64_SELECTOR
    lea rax, [rel .reloaded]
    push rax
    retfq
.reloaded:
    push r8
    call apply_strict_entry_state
    pop r8
    ; Tell QEMU's debug console (port 0xe9, `-debugcon`) that the kernel gets control now, so a test feeding
    ; the loader bad kernels can tell a crash of the loader from one of the kernel. Without that device
    ; the bytes go nowhere.
    lea rsi, [rel handoff_marker]
    mov ecx, HANDOFF_MARKER_BYTES
    mov dx, DEBUGCON_PORT
    rep outsb
    push 0                              ; the invalid return address the spec asks for
    push r8                             ; consumed by the ret below
    push 2                              ; RFLAGS = 2 (base revision 5 asks it; fine for all),
                                        ; popped after the xors below, which set flags
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    popfq
    ret

; switch_to_five_levels — CR4.LA57 can only change with paging off, so: down to 32-bit
; compatibility mode, paging off (long mode drops to protected mode), LA57 on, CR3 = our
; PML5, paging on (long mode again), far jump back to 64-bit code. Runs identity-mapped
; below 4 GiB (check_paging_mode made sure of that; the root table is below 4 GiB too), with
; a temporary GDT in this loader's data. Clobbers rax, rcx, rdx; returns on our tables.
switch_to_five_levels:
    lea rax, [rel switch_gdt]
    mov [rel switch_gdtr + 2], rax
    lgdt [rel switch_gdtr]
    lea rax, [rel .long_again]
    mov [rel switch_far_pointer], eax
    mov ecx, [rel pml4]                 ; the PML5, below 4 GiB
    lea rdx, [rel switch_far_pointer]   ; identity address below 4 GiB
    push SWITCH_CODE32
    lea rax, [rel .compat]
    push rax
    retfq
bits 32
.compat:
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax                        ; long mode inactive: plain protected mode
    mov eax, cr4
    or eax, 1 << CR4_LA57_BIT
    mov cr4, eax
    mov cr3, ecx
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax                        ; EFER.LME is still set: long mode, 5-level
    jmp far [edx]
bits 64
.long_again:
    mov eax, SWITCH_DATA
    mov ss, ax
    mov ds, ax
    mov es, ax
    ret

section .data
handoff_marker:     db "ostool loader: entering the kernel", 10
HANDOFF_MARKER_BYTES equ $ - handoff_marker
DEBUGCON_PORT       equ 0xe9

align 8
switch_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; SWITCH_CODE32
    dq 0x00cf92000000ffff               ; SWITCH_DATA
    dq 0x00af9a000000ffff               ; SWITCH_CODE64
switch_gdtr:
    dw 4 * 8 - 1
    dq 0
switch_far_pointer:
    dd 0                                ; .long_again (below 4 GiB)
    dw SWITCH_CODE64
SWITCH_CODE32       equ 0x08
SWITCH_DATA         equ 0x10
SWITCH_CODE64       equ 0x18

align 8
gdt_template:
    dq 0                                ; null
    dq 0x00009a000000ffff               ; 0x08 16-bit code, base 0, limit 0xffff, readable
    dq 0x000092000000ffff               ; 0x10 16-bit data, writable
    dq 0x00cf9a000000ffff               ; 0x18 32-bit code, base 0, limit 4 GiB, readable
    dq 0x00cf92000000ffff               ; 0x20 32-bit data, writable
    dq 0x00af9b000000ffff               ; 0x28 64-bit code (L=1), readable
    dq 0x00cf93000000ffff               ; 0x30 64-bit data, writable
    dq 0x0000890000000000, 0            ; 0x38 64-bit TSS, base 0, limit 0 (revision 5+ loads TR)
GDT_BYTES           equ $ - gdt_template
gdtr_address:       dq 0
madt:               dq 0
dmar:               dq 0
ivrs:               dq 0
stack_top:          dq 0
