; ACPI: find the RSDP (Limine's RSDP response, or the BIOS area scan when there is none), walk the
; XSDT (or the RSDT on ACPI 1.0), verify every table's checksum, log one line per table, and keep
; what the interrupt and timer code needs from the MADT (local APIC, first I/O APIC, ISA interrupt
; source overrides, CPUs) and the HPET table (register block address).

ACPI_RSDP_SIGNATURE     equ 0x2052545020445352      ; "RSD PTR "
ACPI_SIGNATURE_XSDT     equ 0x54445358              ; "XSDT"
ACPI_SIGNATURE_RSDT     equ 0x54445352              ; "RSDT"
ACPI_SIGNATURE_MADT     equ 0x43495041              ; "APIC"
ACPI_SIGNATURE_HPET     equ 0x54455048              ; "HPET"
ACPI_RSDP_V1_LENGTH     equ 20
ACPI_TABLE_MAX_LENGTH   equ 0x100000                ; a longer table is taken as corrupt
ACPI_BIOS_AREA_START    equ 0xe0000                 ; where BIOS firmware leaves the RSDP
ACPI_BIOS_AREA_END      equ 0x100000
ISA_IRQ_COUNT           equ 16

struc acpi_rsdp
    .signature:     resb 8
    .checksum:      resb 1
    .oem_id:        resb 6
    .revision:      resb 1
    .rsdt_address:  resd 1
    .length:        resd 1      ; revision >= 2 from here on
    .xsdt_address:  resq 1
    .ext_checksum:  resb 1
    .reserved:      resb 3
endstruc

struc acpi_header
    .signature:         resd 1
    .length:            resd 1
    .revision:          resb 1
    .checksum:          resb 1
    .oem_id:            resb 6
    .oem_table_id:      resb 8
    .oem_revision:      resd 1
    .creator_id:        resd 1
    .creator_revision:  resd 1
endstruc

; MADT body after the header, and its entry types.
MADT_LAPIC_ADDRESS      equ acpi_header_size
MADT_ENTRIES            equ acpi_header_size + 8
MADT_TYPE_LAPIC         equ 0
MADT_TYPE_IOAPIC        equ 1
MADT_TYPE_OVERRIDE      equ 2
MADT_TYPE_LAPIC_ADDRESS equ 5
MADT_TYPE_X2APIC        equ 9
MADT_LAPIC_ENABLED      equ 1 << 0
MADT_LAPIC_ONLINE_CAPABLE equ 1 << 1
; HPET table: the register block is a Generic Address Structure at offset 40; its address at 44.
HPET_TABLE_ADDRESS_SPACE equ acpi_header_size + 4
HPET_TABLE_ADDRESS      equ acpi_header_size + 8
HPET_TABLE_LENGTH       equ acpi_header_size + 20
GAS_SYSTEM_MEMORY       equ 0

section .bss
acpi_rsdp_physical:     resq 1      ; 0 when no RSDP was found
acpi_revision:          resq 1      ; RSDP revision (0 = ACPI 1.0, 2 = ACPI 2.0+)
acpi_table_count:       resq 1      ; tables listed by the XSDT/RSDT
acpi_bad_checksums:     resq 1      ; tables skipped because their checksum was wrong
madt_found:             resq 1
madt_lapic_address:     resq 1      ; physical address of the local APIC registers
madt_cpu_count:         resq 1      ; enabled or online-capable processors
ioapic_physical:        resq 1      ; first I/O APIC, or 0
ioapic_id:              resq 1
ioapic_gsi_base:        resq 1
madt_override_count:    resq 1
hpet_physical:          resq 1      ; HPET register block, or 0
; ISA IRQ n arrives on GSI isa_irq_gsi[n] with MPS flags isa_irq_flags[n] (identity / 0 by default).
isa_irq_gsi:            resd ISA_IRQ_COUNT
isa_irq_flags:          resw ISA_IRQ_COUNT
acpi_signature_text:    resb 8      ; a table's signature, 0-terminated, for the log
acpi_oem_text:          resb 8

section .rodata
acpi_no_rsdp_text:      db "acpi: no RSDP (no bootloader answer, none in the BIOS area); using the defaults", 0
acpi_rsdp_format:       db "acpi: RSDP revision %u at %p, OEM '%s'", 0
acpi_bad_rsdp_format:   db "acpi: the RSDP at %p has a bad checksum; ignoring ACPI", 0
acpi_root_format:       db "acpi: %s at %p, %u bytes, %u tables", 0
acpi_table_format:      db "acpi: %s at %p, %u bytes, OEM '%s'", 0
acpi_bad_table_format:  db "acpi: table at %p has a bad checksum or length; skipped", 0
acpi_unmapped_format:   db "acpi: table at %p lies outside the direct map; skipped", 0
acpi_madt_format:       db "acpi: MADT: local APIC at %p, %u CPUs, I/O APIC %u at %p (GSI base %u), %u overrides", 0
acpi_override_format:   db "acpi: MADT: ISA IRQ %u -> GSI %u, flags %x", 0
acpi_hpet_format:       db "acpi: HPET: registers at %p", 0
acpi_hpet_io_text:      db "acpi: HPET registers are not in memory space; ignoring the HPET", 0

section .text

; acpi_checksum: whether bytes add up to 0 mod 256.
; IN: rdi = address, rsi = length. OUT: eax = 1 when the checksum holds, else 0. Clobbers: rcx, rdx.
acpi_checksum:
    xor ecx, ecx
    xor edx, edx
.next:
    cmp rcx, rsi
    je .done
    add dl, [rdi + rcx]
    inc rcx
    jmp .next
.done:
    xor eax, eax
    test dl, dl
    sete al
    ret

; acpi_copy_text: copy a fixed-length, space- or NUL-padded name into a 0-terminated buffer, without the padding.
; IN: rdi = destination (length + 1 bytes), rsi = source, edx = length. OUT: nothing. Clobbers: rax, rcx.
acpi_copy_text:
    xor ecx, ecx
.next:
    cmp ecx, edx
    je .done
    mov al, [rsi + rcx]
    cmp al, ' '
    jb .stop
    cmp al, '~'
    ja .stop
    mov [rdi + rcx], al
    inc ecx
    jmp .next
.stop:
.done:
    ; Names are padded with spaces; the padding is not part of the name.
    test ecx, ecx
    jz .terminate
    cmp byte [rdi + rcx - 1], ' '
    jne .terminate
    dec ecx
    jmp .done
.terminate:
    mov byte [rdi + rcx], 0
    ret

; acpi_find_rsdp: the RSDP's physical address, from the Limine response or the BIOS area.
; Under base revision 3 the response holds a physical address; below it, an HHDM pointer.
; IN: nothing. OUT: rax = physical address of a checksummed RSDP, or 0. Clobbers: caller-saved.
acpi_find_rsdp:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rax, [rel rsdp_request + limine_request.response]
    test rax, rax
    jz .scan
    mov rbx, [rax + limine_rsdp_response.address]
    ; Base revision 3 gives a physical address, lower revisions an HHDM pointer: nothing below the
    ; HHDM offset can be an HHDM pointer, so one comparison serves both (and loaders that disagree).
    cmp rbx, [rel hhdm_offset]
    jb .have_physical
    sub rbx, [rel hhdm_offset]
.have_physical:
    mov rax, rbx
    jmp .done
.scan:
    ; BIOS firmware leaves it on a 16-byte boundary in 0xe0000-0xfffff.
    mov rbx, ACPI_BIOS_AREA_START
.candidate:
    cmp rbx, ACPI_BIOS_AREA_END
    jae .none
    mov rdi, rbx
    mov esi, ACPI_RSDP_V1_LENGTH
    call phys_to_virt
    test rax, rax
    jz .none
    mov r12, rax
    mov rcx, ACPI_RSDP_SIGNATURE
    cmp [r12], rcx
    jne .advance
    mov rdi, r12
    mov esi, ACPI_RSDP_V1_LENGTH
    call acpi_checksum
    test eax, eax
    jz .advance
    mov rax, rbx
    jmp .done
.advance:
    add rbx, 16
    jmp .candidate
.none:
    xor eax, eax
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; acpi_map_table: check that a table is mapped, sane in length and checksummed.
; IN: rdi = physical address. OUT: rax = virtual address, or 0 (a warning was logged).
; Clobbers: caller-saved registers.
acpi_map_table:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    mov esi, acpi_header_size
    call phys_to_virt
    test rax, rax
    jz .unmapped
    mov r12, rax
    mov esi, [r12 + acpi_header.length]
    cmp esi, acpi_header_size
    jb .bad
    cmp esi, ACPI_TABLE_MAX_LENGTH
    ja .bad
    mov rdi, rbx
    call phys_to_virt
    test rax, rax
    jz .unmapped
    mov rdi, r12
    mov esi, [r12 + acpi_header.length]
    call acpi_checksum
    test eax, eax
    jz .bad
    mov rax, r12
    jmp .done
.unmapped:
    mov edi, LOG_WARN
    lea rsi, [rel acpi_unmapped_format]
    mov rdx, rbx
    call klog
    xor eax, eax
    jmp .done
.bad:
    inc qword [rel acpi_bad_checksums]
    mov edi, LOG_WARN
    lea rsi, [rel acpi_bad_table_format]
    mov rdx, rbx
    call klog
    xor eax, eax
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; acpi_init: parse the ACPI tables. Without ACPI (or without a MADT) the defaults stay: local APIC
; from IA32_APIC_BASE, no I/O APIC, identity ISA routing, no HPET.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
acpi_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    xor ecx, ecx
.default_route:
    mov [rel isa_irq_gsi + rcx * 4], ecx
    mov word [rel isa_irq_flags + rcx * 2], 0
    inc ecx
    cmp ecx, ISA_IRQ_COUNT
    jb .default_route

    call acpi_find_rsdp
    test rax, rax
    jz .no_rsdp
    mov rbx, rax
    mov rdi, rbx
    mov esi, acpi_rsdp_size
    call phys_to_virt
    test rax, rax
    jz .no_rsdp
    mov r12, rax
    mov rdi, r12
    mov esi, ACPI_RSDP_V1_LENGTH
    call acpi_checksum
    test eax, eax
    jz .bad_rsdp
    movzx eax, byte [r12 + acpi_rsdp.revision]
    mov [rel acpi_revision], rax
    cmp eax, 2
    jb .rsdp_ok
    mov rdi, r12
    mov esi, [r12 + acpi_rsdp.length]
    cmp esi, acpi_rsdp_size
    jb .bad_rsdp
    call acpi_checksum
    test eax, eax
    jz .bad_rsdp
.rsdp_ok:
    mov [rel acpi_rsdp_physical], rbx
    lea rdi, [rel acpi_oem_text]
    lea rsi, [r12 + acpi_rsdp.oem_id]
    mov edx, 6
    call acpi_copy_text
    mov edi, LOG_INFO
    lea rsi, [rel acpi_rsdp_format]
    mov rdx, [rel acpi_revision]
    mov rcx, rbx
    lea r8, [rel acpi_oem_text]
    call klog

    ; ACPI 2.0+ with an XSDT: 8-byte entries; otherwise the RSDT's 4-byte ones.
    mov r15d, 4
    mov edi, [r12 + acpi_rsdp.rsdt_address]
    cmp qword [rel acpi_revision], 2
    jb .have_root
    mov rax, [r12 + acpi_rsdp.xsdt_address]
    test rax, rax
    jz .have_root
    mov rdi, rax
    mov r15d, 8
.have_root:
    mov rbx, rdi
    call acpi_map_table
    test rax, rax
    jz .done
    mov r12, rax
    mov r13d, [r12 + acpi_header.length]
    sub r13d, acpi_header_size
    shr r13d, 2
    cmp r15d, 8
    jne .counted
    shr r13d, 1
.counted:
    mov [rel acpi_table_count], r13
    lea rdi, [rel acpi_signature_text]
    mov rsi, r12
    mov edx, 4
    call acpi_copy_text
    mov edi, LOG_INFO
    lea rsi, [rel acpi_root_format]
    lea rdx, [rel acpi_signature_text]
    mov rcx, rbx
    mov r8d, [r12 + acpi_header.length]
    mov r9, r13
    call klog

    xor r14d, r14d
.table:
    cmp r14, r13
    jae .tables_done
    cmp r15d, 8
    jne .rsdt_entry
    mov rbx, [r12 + acpi_header_size + r14 * 8]
    jmp .have_entry
.rsdt_entry:
    mov ebx, [r12 + acpi_header_size + r14 * 4]
.have_entry:
    inc r14
    mov rdi, rbx
    call acpi_map_table
    test rax, rax
    jz .table
    mov [rsp], rax
    lea rdi, [rel acpi_signature_text]
    mov rsi, rax
    mov edx, 4
    call acpi_copy_text
    lea rdi, [rel acpi_oem_text]
    mov rsi, [rsp]
    add rsi, acpi_header.oem_id
    mov edx, 6
    call acpi_copy_text
    mov rax, [rsp]
    mov edi, LOG_INFO
    lea rsi, [rel acpi_table_format]
    lea rdx, [rel acpi_signature_text]
    mov rcx, rbx
    mov r8d, [rax + acpi_header.length]
    lea r9, [rel acpi_oem_text]
    call klog
    mov rdi, [rsp]
    mov eax, [rdi + acpi_header.signature]
    cmp eax, ACPI_SIGNATURE_MADT
    jne .not_madt
    call acpi_parse_madt
    jmp .table
.not_madt:
    cmp eax, ACPI_SIGNATURE_HPET
    jne .table
    call acpi_parse_hpet
    jmp .table
.tables_done:
    jmp .done
.bad_rsdp:
    mov edi, LOG_WARN
    lea rsi, [rel acpi_bad_rsdp_format]
    mov rdx, rbx
    call klog
    jmp .done
.no_rsdp:
    mov edi, LOG_WARN
    lea rsi, [rel acpi_no_rsdp_text]
    call klog
.done:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; acpi_parse_madt: take the local APIC address, the CPUs, the first I/O APIC and the ISA overrides.
; IN: rdi = MADT (virtual, checksummed). OUT: nothing. Clobbers: caller-saved registers.
acpi_parse_madt:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov rbx, rdi
    mov qword [rel madt_found], 1
    mov eax, [rbx + MADT_LAPIC_ADDRESS]
    mov [rel madt_lapic_address], rax
    mov r12d, [rbx + acpi_header.length]
    add r12, rbx                            ; end of the table
    lea r13, [rbx + MADT_ENTRIES]
.entry:
    lea rax, [r13 + 2]
    cmp rax, r12
    ja .entries_done
    movzx r14d, byte [r13 + 1]              ; entry length
    cmp r14d, 2
    jb .entries_done                        ; a zero length would loop forever
    lea rax, [r13 + r14]
    cmp rax, r12
    ja .entries_done
    movzx eax, byte [r13]
    cmp eax, MADT_TYPE_LAPIC
    je .lapic
    cmp eax, MADT_TYPE_X2APIC
    je .x2apic
    cmp eax, MADT_TYPE_IOAPIC
    je .ioapic
    cmp eax, MADT_TYPE_OVERRIDE
    je .override
    cmp eax, MADT_TYPE_LAPIC_ADDRESS
    je .lapic_address
    jmp .next
.lapic:
    test dword [r13 + 4], MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE
    jz .next
    inc qword [rel madt_cpu_count]
    jmp .next
.x2apic:
    test dword [r13 + 8], MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE
    jz .next
    inc qword [rel madt_cpu_count]
    jmp .next
.ioapic:
    cmp qword [rel ioapic_physical], 0
    jne .next                               ; interrupts go through the first I/O APIC only
    movzx eax, byte [r13 + 2]
    mov [rel ioapic_id], rax
    mov eax, [r13 + 4]
    mov [rel ioapic_physical], rax
    mov eax, [r13 + 8]
    mov [rel ioapic_gsi_base], rax
    jmp .next
.override:
    movzx ecx, byte [r13 + 3]               ; source: the ISA IRQ
    cmp byte [r13 + 2], 0
    jne .next                               ; bus 0 is ISA; nothing else is defined
    cmp ecx, ISA_IRQ_COUNT
    jae .next
    mov eax, [r13 + 4]
    lea rdx, [rel isa_irq_gsi]
    mov [rdx + rcx * 4], eax
    movzx eax, word [r13 + 8]
    lea rdx, [rel isa_irq_flags]
    mov [rdx + rcx * 2], ax
    inc qword [rel madt_override_count]
    mov edi, LOG_INFO
    lea rsi, [rel acpi_override_format]
    movzx edx, byte [r13 + 3]
    mov ecx, [r13 + 4]
    movzx r8d, word [r13 + 8]
    call klog
    jmp .next
.lapic_address:
    mov rax, [r13 + 4]
    mov [rel madt_lapic_address], rax
.next:
    add r13, r14
    jmp .entry
.entries_done:
    mov edi, LOG_INFO
    lea rsi, [rel acpi_madt_format]
    mov rdx, [rel madt_lapic_address]
    mov rcx, [rel madt_cpu_count]
    mov r8, [rel ioapic_id]
    mov r9, [rel ioapic_physical]
    push qword [rel madt_override_count]
    push qword [rel ioapic_gsi_base]
    call klog
    add rsp, 16
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; acpi_parse_hpet: take the HPET's register block address.
; IN: rdi = HPET table (virtual, checksummed). OUT: nothing. Clobbers: caller-saved registers.
acpi_parse_hpet:
    push rbp
    mov rbp, rsp
    cmp dword [rdi + acpi_header.length], HPET_TABLE_LENGTH
    jb .done
    cmp byte [rdi + HPET_TABLE_ADDRESS_SPACE], GAS_SYSTEM_MEMORY
    jne .not_memory
    mov rax, [rdi + HPET_TABLE_ADDRESS]
    mov [rel hpet_physical], rax
    mov edi, LOG_INFO
    lea rsi, [rel acpi_hpet_format]
    mov rdx, rax
    call klog
    jmp .done
.not_memory:
    mov edi, LOG_WARN
    lea rsi, [rel acpi_hpet_io_text]
    call klog
.done:
    pop rbp
    ret
