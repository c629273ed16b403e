; reserved.asm — LIMINE_MEMMAP_RESERVED_MAPPED ranges: firmware tables the base revision
; promises are reachable through the HHDM even when the firmware left them in memory the
; revision does not map. Revision 4 on: the ACPI tables (RSDP, RSDT/XSDT, every table they
; list, FACS and DSDT from the FADT). Revision 5 on: the SMBIOS entry points and structure
; tables, and what the platform adds (add_firmware_reserved_mapped: under UEFI the EFI
; system table with the runtime services table, the configuration table array and the
; firmware vendor string). A table already inside a mapped region adds nothing;
; the others become page-rounded RESERVED_MAPPED entries, mapped in the HHDM.

section .text

; add_reserved_mapped — note [rcx, rcx + rdx) as a RESERVED_MAPPED range unless a region
; mapped in this revision's HHDM already holds all of it. IN: efi_map snapshot.
; Preserves rbx, rsi, rdi, r12-r15 (FRAME).
add_reserved_mapped:
    FRAME
    test rcx, rcx
    jz .done
    test rdx, rdx
    jz .done
    mov r12, rcx
    lea r13, [rcx + rdx]
    mov rsi, [rel efi_map]
    mov rdi, rsi
    add rdi, [rel efi_map_size]
.region:
    cmp rsi, rdi
    jae .not_covered
    mov rax, [rsi + MD_PHYSICAL_START]
    cmp r12, rax
    jb .next
    mov rcx, [rsi + MD_NUMBER_OF_PAGES]
    shl rcx, 12
    add rcx, rax
    cmp r13, rcx
    ja .next
    mov ecx, [rsi + MD_TYPE]
    call limine_type_of
    call hhdm_maps_type
    jnz .done                           ; already reachable
    jmp .not_covered
.next:
    add rsi, [rel efi_descriptor_size]
    jmp .region
.not_covered:
    mov rax, [rel reserved_mapped_count]
    cmp rax, RESERVED_MAPPED_MAX
    jae .done                           ; more than we keep: the rest stay as the firmware typed them
    and r12, -PAGE_SIZE
    add r13, PAGE_SIZE - 1
    and r13, -PAGE_SIZE
    shl rax, 4
    lea rcx, [rel reserved_mapped_ranges]
    mov [rcx + rax], r12
    sub r13, r12
    mov [rcx + rax + 8], r13
    inc qword [rel reserved_mapped_count]
.done:
    UNFRAME

; add_acpi_table — an SDT header at rcx (physical, may be 0) and its length.
add_acpi_table:
    FRAME
    test rcx, rcx
    jz .done
    mov edx, [rcx + SDT_LENGTH]
    call add_reserved_mapped
.done:
    UNFRAME

; collect_reserved_mapped_ranges — every table above that this revision promises.
collect_reserved_mapped_ranges:
    FRAME
    mov qword [rel reserved_mapped_count], 0
    cmp qword [rel base_revision], 4
    jb .done
    call find_rsdp
    test rax, rax
    jz .smbios
    mov rbx, rax
    mov rcx, rax
    mov edx, RSDP_V1_LENGTH
    cmp byte [rbx + RSDP_REVISION], 2
    jb .rsdp_length
    mov edx, [rbx + RSDP_LENGTH]
.rsdp_length:
    call add_reserved_mapped
    mov r8d, 4
    mov esi, [rbx + RSDP_RSDT]
    cmp byte [rbx + RSDP_REVISION], 2
    jb .root
    cmp qword [rbx + RSDP_XSDT], 0
    je .root
    mov rsi, [rbx + RSDP_XSDT]
    mov r8d, 8
.root:
    test rsi, rsi
    jz .smbios
    mov r14, r8                         ; entry width
    mov rcx, rsi
    call add_acpi_table
    mov ecx, [rsi + SDT_LENGTH]
    lea r15, [rsi + rcx]                ; end of the entry array
    lea rdi, [rsi + SDT_HEADER_SIZE]
.table:
    lea rax, [rdi + r14]
    cmp rax, r15
    ja .smbios
    mov eax, [rdi]
    cmp r14d, 8
    jne .narrow
    mov rax, [rdi]
.narrow:
    mov rbx, rax
    mov rcx, rax
    call add_acpi_table
    test rbx, rbx
    jz .next_table
    cmp dword [rbx], FADT_SIGNATURE
    jne .next_table
    ; the FADT points at the FACS and the DSDT, 32-bit and (ACPI 2.0+) 64-bit fields
    mov ecx, [rbx + FADT_FIRMWARE_CTRL]
    call add_acpi_table
    mov ecx, [rbx + FADT_DSDT]
    call add_acpi_table
    cmp dword [rbx + SDT_LENGTH], FADT_X_DSDT + 8
    jb .next_table
    mov rcx, [rbx + FADT_X_FIRMWARE_CTRL]
    call add_acpi_table
    mov rcx, [rbx + FADT_X_DSDT]
    call add_acpi_table
.next_table:
    add rdi, r14
    jmp .table
.smbios:
    cmp qword [rel base_revision], 5
    jb .done
    call find_smbios
    push r13
    test r12, r12
    jz .smbios3
    mov rbx, r12
    mov rcx, rax
    movzx edx, byte [rbx + SMBIOS_LENGTH]
    call add_reserved_mapped
    mov ecx, [rbx + SMBIOS_TABLE_ADDRESS]
    movzx edx, word [rbx + SMBIOS_TABLE_LENGTH]
    call add_reserved_mapped
.smbios3:
    pop rbx
    test rbx, rbx
    jz .firmware_tables
    mov rcx, rax
    movzx edx, byte [rbx + SMBIOS3_LENGTH]
    call add_reserved_mapped
    mov rcx, [rbx + SMBIOS3_TABLE_ADDRESS]
    mov edx, [rbx + SMBIOS3_TABLE_MAX_SIZE]
    call add_reserved_mapped
.firmware_tables:
    call add_firmware_reserved_mapped
.done:
    UNFRAME

; map_reserved_mapped_ranges — put every collected range in the HHDM.
map_reserved_mapped_ranges:
    FRAME
    xor ebx, ebx
.range:
    cmp rbx, [rel reserved_mapped_count]
    jae .done
    mov rax, rbx
    shl rax, 4
    lea rsi, [rel reserved_mapped_ranges]
    mov rcx, [rsi + rax]
    mov rdx, [rsi + rax + 8]
    add rdx, rcx
    call map_hhdm_exactly
    inc rbx
    jmp .range
.done:
    UNFRAME

section .data
RESERVED_MAPPED_MAX equ 48
align 8
reserved_mapped_count:  dq 0
reserved_mapped_ranges: times RESERVED_MAPPED_MAX dq 0, 0     ; base, length (page-rounded)
