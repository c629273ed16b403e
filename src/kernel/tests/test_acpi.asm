; Tests: ACPI discovery and table parsing.

section .text

TEST "acpi: the RSDP was found and every table it lists passed its checksum", test_acpi_tables_checksummed
test_acpi_tables_checksummed:
    push rbp
    mov rbp, rsp
    ASSERT_NE [rel acpi_rsdp_physical], 0
    ASSERT_EQ [rel acpi_bad_checksums], 0
    ASSERT_NE [rel acpi_table_count], 0
    ASSERT_EQ [rel madt_found], 1
    ASSERT_NE [rel ioapic_physical], 0
    pop rbp
    ret

TEST "acpi: the checksum accepts the MADT as it is and rejects it with one byte changed", test_acpi_checksum_detects_change
test_acpi_checksum_detects_change:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    ; The XSDT/RSDT's MADT again, copied to the heap so one byte can be changed.
    mov rdi, [rel acpi_rsdp_physical]
    mov esi, acpi_rsdp_size
    call phys_to_virt
    mov edi, [rax + acpi_rsdp.rsdt_address]
    call acpi_map_table
    ASSERT_NE rax, 0
    mov rbx, rax
    mov edi, [rbx + acpi_header.length]
    call kmalloc
    ASSERT_NE rax, 0
    mov r12, rax
    mov rdi, r12
    mov rsi, rbx
    mov ecx, [rbx + acpi_header.length]
    rep movsb
    mov rdi, r12
    mov esi, [r12 + acpi_header.length]
    call acpi_checksum
    ASSERT_EQ rax, 1
    xor byte [r12 + acpi_header_size - 1], 0x10
    mov rdi, r12
    mov esi, [r12 + acpi_header.length]
    call acpi_checksum
    ASSERT_EQ rax, 0
    mov rdi, r12
    call kfree
    pop r12
    pop rbx
    pop rbp
    ret

TEST "acpi: the MADT counts this CPU and its local APIC address is IA32_APIC_BASE's", test_acpi_madt_lapic
test_acpi_madt_lapic:
    push rbp
    mov rbp, rsp
    push rbx
    mov rax, [rel madt_cpu_count]
    test rax, rax
    setnz al
    movzx eax, al
    mov rbx, rax
    ASSERT_EQ rbx, 1
    mov ecx, MSR_APIC_BASE
    rdmsr
    shl rdx, 32
    or rax, rdx
    mov rbx, APIC_BASE_ADDRESS_MASK
    and rbx, rax
    ASSERT_EQ [rel madt_lapic_address], rbx
    pop rbx
    pop rbp
    ret

TEST "acpi: ISA IRQs without an override keep their own GSI; overridden ones use the MADT's", test_acpi_isa_routes
test_acpi_isa_routes:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    ; Count the IRQs routed elsewhere or with non-default flags: no more than the overrides.
    xor ebx, ebx
    xor r12d, r12d
.irq:
    lea rax, [rel isa_irq_gsi]
    mov eax, [rax + rbx * 4]
    lea rcx, [rel isa_irq_flags]
    movzx ecx, word [rcx + rbx * 2]
    cmp eax, ebx
    jne .overridden
    test ecx, ecx
    jz .next
.overridden:
    inc r12
.next:
    inc ebx
    cmp ebx, ISA_IRQ_COUNT
    jb .irq
    mov rax, [rel madt_override_count]
    cmp r12, rax
    setbe al
    movzx eax, al
    mov rbx, rax
    ASSERT_EQ rbx, 1
    pop r12
    pop rbx
    pop rbp
    ret
