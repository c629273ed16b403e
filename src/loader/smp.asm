; smp.asm — the MP feature: start every enabled application processor the MADT lists and park
; it, in the same state as the BSP, until the kernel writes its mp_info.goto_address.
; As Limine: with the request's X2APIC flag and a CPU that has x2APIC (and no DMAR opt-out),
; x2APIC mode is enabled on every CPU and the MADT's x2APIC entries (type 9, 32-bit IDs) are
; started too; otherwise xAPIC mode, where x2APIC entries with IDs of 0xff and above are
; skipped (an 8-bit ICR destination cannot reach them) and an x2APIC mode the firmware left on
; is turned off (the boot stops when the CPU has locked it on).
;
; Each AP runs the trampoline below, copied to a page under 1 MiB: real mode -> protected
; mode -> long mode on our page tables (the page is identity-mapped), then the kernel's GDT
; and the spec's state. APs are started one at a time: the BSP fills the trampoline's slots
; (stack, mp_info), sends INIT-SIPI-SIPI and waits until the AP says it has taken them.

section .text

; prepare_smp — before leave_firmware: choose the APIC mode, list the MADT's processors (one
; mp_info each, a stack per AP), allocate the response and the trampoline page and fill its
; slots. Leaves smp_response 0 (request unanswered) when there is no MP request, no local
; APIC, no MADT, no processor to list, or no page below 1 MiB.
prepare_smp:
    FRAME
    mov ecx, REQ_SMP
    call request_address
    test rax, rax
    jz .done
    mov byte [rel smp_requested], 1
    mov eax, 1
    cpuid
    bt edx, CPUID_APIC_BIT
    jnc .done
    mov ecx, REQ_SMP
    call request_address
    mov rcx, [rax + REQ_SMP_FLAGS]
    call choose_apic_mode
    cmp qword [rel madt], 0
    je .done
    call bsp_apic_id
    mov [rel bsp_lapic_id], eax
    call list_processors
    cmp qword [rel cpu_slots], 0
    je .done                            ; nothing the MADT lets us list: no response, as Limine
    call save_bsp_mtrrs
    ; the trampoline page, below 1 MiB (a SIPI vector is a page number < 256)
    call alloc_page_below_1m
    test rax, rax
    jz .done
    mov [rel trampoline_page], rax
    mov rdi, [rel trampoline_page]
    lea rsi, [rel trampoline_start]
    mov ecx, TRAMPOLINE_SIZE
    rep movsb
    mov rdi, [rel trampoline_page]
    mov rax, [rel pml4]
    mov [rdi + TR_CR3], rax
    mov eax, EFER_LME
    cmp byte [rel nx_supported], 0
    je .no_nx
    or eax, EFER_NXE
.no_nx:
    mov [rdi + TR_EFER_BITS], eax
    movzx eax, byte [rel pat_supported]
    mov [rdi + TR_PAT_SUPPORTED], eax
    movzx eax, byte [rel x2apic_mode]
    mov [rdi + TR_X2APIC], eax
    mov rax, [rel gdtr_address]
    mov [rdi + TR_KERNEL_GDTR], rax
    mov rax, cr0
    mov [rdi + TR_CR0], eax
    mov rax, cr4
    btr eax, CR4_PCIDE_BIT              ; only settable in long mode
    btr eax, CR4_LA57_BIT
    cmp qword [rel paging_levels], 5
    jne .four_levels
    bts eax, CR4_LA57_BIT               ; the APs come up on our 5-level tables directly
.four_levels:
    mov [rdi + TR_CR4], eax
    mov dword [rdi + TR_STARTED], 0
    lea rax, [rel apply_strict_entry_state]
    mov [rdi + TR_STRICT_STATE], rax
    lea rax, [rel load_bsp_mtrrs]
    mov [rdi + TR_MTRR_SYNC], rax

    ; the response: revision 0, flags, the BSP's ID, the CPU list (filled by start_aps)
    mov ecx, REQ_SMP
    mov edx, 32
    call respond
    mov [rel smp_response], rax
    movzx ecx, byte [rel x2apic_mode]   ; LIMINE_MP_RESPONSE_X86_64_X2APIC
    mov [rax + SMP_FLAGS], ecx
    mov ecx, [rel bsp_lapic_id]
    mov [rax + SMP_BSP_LAPIC_ID], ecx
    mov ecx, MAX_CPUS * 8
    call arena_alloc
    mov [rel smp_cpu_pointers], rax
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov rcx, [rel smp_response]
    mov [rcx + SMP_CPUS], rax
.done:
    UNFRAME

; save_bsp_mtrrs — the BSP's MTRRs (fixed-range ones when it has them, the variable pairs,
; the default type last), which every AP loads before it parks: the spec synchronises them
; (Intel SDM Vol. 3A, 12.11.5). OUT: mtrr_msrs, mtrr_values, mtrr_msr_count (0: no MTRRs).
save_bsp_mtrrs:
    FRAME
    mov dword [rel mtrr_msr_count], 0
    mov eax, 1
    cpuid
    bt edx, CPUID_MTRR_BIT
    jnc .done
    mov ecx, MSR_MTRR_CAP
    rdmsr
    movzx r12d, al                      ; variable pairs
    cmp r12d, MAX_VARIABLE_MTRRS
    jbe .pairs_known
    mov r12d, MAX_VARIABLE_MTRRS
.pairs_known:
    bt eax, 8
    jnc .variable
    lea rsi, [rel fixed_mtrr_msrs]
.fixed:
    movzx ecx, word [rsi]
    test ecx, ecx
    jz .variable
    call .save
    add rsi, 2
    jmp .fixed
.variable:
    mov ecx, MSR_MTRR_PHYS_BASE0
    lea r13d, [rcx + r12*2]
.pair:
    cmp ecx, r13d
    jae .default_type
    push rcx
    call .save
    pop rcx
    inc ecx
    jmp .pair
.default_type:
    mov ecx, MSR_MTRR_DEF_TYPE
    call .save
.done:
    UNFRAME
.save:                                  ; ecx = an MSR: append it and its value
    mov r8d, [rel mtrr_msr_count]
    lea rax, [rel mtrr_msrs]
    mov [rax + r8*4], ecx
    rdmsr
    shl rdx, 32
    or rax, rdx
    lea rdx, [rel mtrr_values]
    mov [rdx + r8*8], rax
    inc dword [rel mtrr_msr_count]
    ret

; load_bsp_mtrrs — on an AP (from the trampoline, on our page tables): the MTRRs
; save_bsp_mtrrs took, with caches off and the MTRRs disabled meanwhile, as the SDM's
; procedure has it (12.11.8). Preserves rbx, rsi, rdi; clobbers rax, rcx, rdx, r8, r9.
load_bsp_mtrrs:
    cmp dword [rel mtrr_msr_count], 0
    je .done
    mov r9, cr0
    mov rax, r9
    or eax, CR0_CD
    and eax, ~CR0_NW
    mov cr0, rax
    wbinvd
    mov ecx, MSR_MTRR_DEF_TYPE
    rdmsr
    and eax, ~0xc00                     ; E and FE off while they change
    wrmsr
    xor r8d, r8d
.msr:
    cmp r8d, [rel mtrr_msr_count]
    jae .written
    lea rax, [rel mtrr_msrs]
    mov ecx, [rax + r8*4]
    lea rax, [rel mtrr_values]
    mov rdx, [rax + r8*8]
    mov eax, edx
    shr rdx, 32
    wrmsr
    inc r8d
    jmp .msr
.written:
    wbinvd
    mov rax, cr3                        ; and no TLB entry from before
    mov cr3, rax
    mov cr0, r9
.done:
    ret

; choose_apic_mode — IN: rcx = the MP request's flags. OUT: x2apic_mode (1: x2APIC, asked for
; and available: CPUID.1:ECX.x2APIC and no DMAR with both INTR_REMAP and X2APIC_OPT_OUT),
; x2apic_revert (1: the firmware left x2APIC on and it must go). An x2APIC mode the kernel did
; not ask for and the CPU keeps locked on (IA32_XAPIC_DISABLE_STATUS) stops the boot.
choose_apic_mode:
    FRAME
    mov rbx, rcx
    mov ecx, MSR_APIC_BASE
    rdmsr
    xor r12d, r12d
    test eax, APIC_BASE_X2APIC
    setnz r12b                          ; the firmware's mode is x2APIC
    test ebx, MP_REQUEST_X2APIC
    jz .xapic
    test r12d, r12d
    jnz .x2apic                         ; asked for and already on
    mov eax, 1
    cpuid
    bt ecx, CPUID_X2APIC_BIT
    jnc .xapic                          ; asked for, not there: xAPIC, flags 0
    mov rax, [rel dmar]
    test rax, rax
    jz .x2apic
    mov al, [rax + DMAR_FLAGS]
    and al, DMAR_INTR_REMAP | DMAR_X2APIC_OPT_OUT
    cmp al, DMAR_INTR_REMAP | DMAR_X2APIC_OPT_OUT
    je .xapic
.x2apic:
    mov byte [rel x2apic_mode], 1
    UNFRAME
.xapic:
    test r12d, r12d
    jz .done
    call xapic_locked_out
    test eax, eax
    jnz .locked
    mov byte [rel x2apic_revert], 1
.done:
    UNFRAME
.locked:
    FAIL msg_x2apic_locked

; xapic_locked_out — OUT: eax = 1 when the CPU cannot leave x2APIC mode (CPUID.7:EDX names
; IA32_ARCH_CAPABILITIES, its XAPIC_DISABLE bit is set, and IA32_XAPIC_DISABLE_STATUS says
; legacy xAPIC is disabled). Clobbers rbx, rcx, rdx.
xapic_locked_out:
    xor eax, eax
    cpuid
    cmp eax, 7
    jb .no
    mov eax, 7
    xor ecx, ecx
    cpuid
    bt edx, CPUID_ARCH_CAPABILITIES_BIT
    jnc .no
    mov ecx, MSR_ARCH_CAPABILITIES
    rdmsr
    bt eax, ARCH_CAP_XAPIC_DISABLE_BIT
    jnc .no
    mov ecx, MSR_XAPIC_DISABLE_STATUS
    rdmsr
    and eax, 1
    ret
.no:
    xor eax, eax
    ret

; bsp_apic_id — OUT: eax = this CPU's APIC ID in the chosen mode, from its ID register as
; Limine reads it once the mode is set: in x2APIC mode the 32-bit x2APIC ID (its MSR when
; x2APIC is already on, else CPUID leaf 0xb, which enabling it will show); in xAPIC mode
; bits 24-31 of the xAPIC ID register, or the low byte of the x2APIC ID a firmware x2APIC
; mode has (the xAPIC ID it reverts to). Not CPUID.1:EBX[31:24]: some hypervisors (KVM with
; more than 255 possible CPUs) report another CPU's ID there. Clobbers rbx, rcx, rdx.
bsp_apic_id:
    mov ecx, MSR_APIC_BASE
    rdmsr
    test eax, APIC_BASE_X2APIC
    jnz .x2apic_register
    cmp byte [rel x2apic_mode], 0
    je .xapic_register
    xor eax, eax
    cpuid
    cmp eax, 0xb
    jb .xapic_register
    mov eax, 0xb
    xor ecx, ecx
    cpuid
    mov eax, edx
    ret
.x2apic_register:
    mov ecx, MSR_X2APIC_BASE + (LAPIC_ID >> 4)
    rdmsr
    cmp byte [rel x2apic_mode], 0
    jne .done
    movzx eax, al
.done:
    ret
.xapic_register:                        ; the page IA32_APIC_BASE names (identity-mapped)
    mov ecx, MSR_APIC_BASE
    rdmsr
    and eax, 0xfffff000
    shl rdx, 32
    or rax, rdx
    mov eax, [rax + LAPIC_ID]
    shr eax, 24
    ret

; list_processors — one mp_info (and a stack, for an AP) per processor of the MADT, in its
; order, as Limine picks them: enabled Local APIC entries (not ID 0xff, and not one an enabled
; Local x2APIC entry also describes), enabled Local x2APIC entries (not ID 0xffffffff; in xAPIC
; mode only IDs below 0xff), each ID once. Malformed entries end or skip the walk.
; OUT: cpu_slots, cpu_infos, cpu_stacks.
list_processors:
    FRAME
    xor esi, esi
.entry:
    call madt_next_entry
    test rsi, rsi
    jz .done
    mov r13d, ecx                       ; entry length
    cmp byte [rsi], MADT_LOCAL_APIC
    je .local_apic
    cmp byte [rsi], MADT_LOCAL_X2APIC
    je .local_x2apic
    jmp .next
.local_apic:
    cmp r13d, MADT_LAPIC_SIZE
    jb .next
    test dword [rsi + MADT_LAPIC_FLAGS], MADT_LAPIC_ENABLED
    jz .next
    movzx r14d, byte [rsi + MADT_LAPIC_ID]
    cmp r14d, 0xff                      ; the broadcast ID: INIT to it would reset every CPU
    je .next
    movzx r15d, byte [rsi + MADT_LAPIC_PROCESSOR_UID]
    mov ecx, r14d
    call madt_x2apic_entry_enabled
    test eax, eax
    jnz .next                           ; the x2APIC entry describes this one
    jmp .candidate
.local_x2apic:
    cmp r13d, MADT_X2APIC_SIZE
    jb .next
    test dword [rsi + MADT_X2APIC_FLAGS], MADT_LAPIC_ENABLED
    jz .next
    mov r14d, [rsi + MADT_X2APIC_ID]
    cmp r14d, 0xffffffff
    je .next
    cmp byte [rel x2apic_mode], 0
    jne .x2apic_reachable
    cmp r14d, 0xff
    jae .next
.x2apic_reachable:
    mov r15d, [rsi + MADT_X2APIC_PROCESSOR_UID]
.candidate:
    mov ecx, r14d
    call processor_listed
    test eax, eax
    jnz .next
    mov rbx, [rel cpu_slots]
    cmp rbx, MAX_CPUS
    jae .done
    mov ecx, SMP_INFO_SIZE
    call arena_alloc
    mov [rax + SMP_INFO_PROCESSOR_ID], r15d
    mov [rax + SMP_INFO_LAPIC_ID], r14d
    lea rdx, [rel cpu_infos]
    mov [rdx + rbx*8], rax
    xor eax, eax
    cmp r14d, [rel bsp_lapic_id]
    je .slot                            ; the BSP keeps its own stack
    mov rcx, [rel stack_size]
    shr rcx, 12
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    add rax, [rel stack_size]
    mov rcx, [rel hhdm_offset]
    add rax, rcx
.slot:
    lea rdx, [rel cpu_stacks]
    mov [rdx + rbx*8], rax
    inc qword [rel cpu_slots]
.next:
    jmp .entry
.done:
    UNFRAME

; madt_x2apic_entry_enabled — IN: ecx = an APIC ID. OUT: eax = 1 when an enabled Local
; x2APIC entry of the MADT has it. Clobbers rcx, r10.
madt_x2apic_entry_enabled:
    push rsi
    mov r10d, ecx
    xor esi, esi
.entry:
    call madt_next_entry
    test rsi, rsi
    jz .no
    cmp byte [rsi], MADT_LOCAL_X2APIC
    jne .entry
    cmp ecx, MADT_X2APIC_SIZE
    jb .entry
    cmp [rsi + MADT_X2APIC_ID], r10d
    jne .entry
    test dword [rsi + MADT_X2APIC_FLAGS], MADT_LAPIC_ENABLED
    jz .entry
    mov eax, 1
    pop rsi
    ret
.no:
    xor eax, eax
    pop rsi
    ret

; processor_listed — IN: ecx = an APIC ID. OUT: eax = 1 when cpu_infos already has it.
; Clobbers rdx, r8.
processor_listed:
    xor r8d, r8d
.slot:
    cmp r8, [rel cpu_slots]
    jae .no
    lea rax, [rel cpu_infos]
    mov rdx, [rax + r8*8]
    cmp [rdx + SMP_INFO_LAPIC_ID], ecx
    je .yes
    inc r8
    jmp .slot
.yes:
    mov eax, 1
    ret
.no:
    xor eax, eax
    ret

; settle_apic_mode — after leave_firmware, on the platform's page tables, before start_aps:
; the BSP enters the mode prepare_smp chose (x2APIC: EN and EXTD set; xAPIC after a firmware
; x2APIC: through the disabled state, which resets the local APIC, so its TPR, SVR and LVTs
; are carried over). Without an MP request an x2APIC mode the firmware left on is turned off
; too when the CPU allows it, as a courtesy (Limine does the same, without stopping).
; Clobbers rax, rcx, rdx, rsi, r8-r11.
settle_apic_mode:
    push rbx
    call .settle
    pop rbx
    ret
.settle:
    cmp byte [rel x2apic_mode], 0
    je .xapic
    mov ecx, MSR_APIC_BASE
    rdmsr
    or eax, APIC_BASE_ENABLE | APIC_BASE_X2APIC
    wrmsr
    ret
.xapic:
    cmp byte [rel x2apic_revert], 0
    jne .revert
    cmp byte [rel smp_requested], 0
    jne .done
    mov eax, 1
    cpuid
    bt edx, CPUID_APIC_BIT
    jnc .done
    mov ecx, MSR_APIC_BASE
    rdmsr
    test eax, APIC_BASE_X2APIC
    jz .done
    call xapic_locked_out
    test eax, eax
    jnz .done
.revert:
    jmp leave_x2apic
.done:
    ret

; leave_x2apic — x2APIC -> disabled -> xAPIC (the direct transition faults), the registers the
; reset clears written back through the xAPIC page, SVR last. Only the LVTs this APIC has
; (its max LVT index) are read: an x2APIC MSR of an absent register faults.
; Clobbers rax, rcx, rdx, rsi, r8-r11.
leave_x2apic:
    xor r10d, r10d                      ; lapic_read/lapic_write: MSRs
    mov ecx, LAPIC_VERSION
    call lapic_read
    shr eax, 16
    movzx r11d, al                      ; max LVT index: which of PMC, thermal, CMCI exist
    lea rsi, [rel saved_lapic_registers]
    xor r9d, r9d
.save:
    lea rax, [rel carried_lapic_registers]
    movzx ecx, word [rax + r9*2]
    test ecx, ecx
    jz .switch
    lea rax, [rel carried_lapic_min_lvt]
    movzx eax, byte [rax + r9]
    cmp r11d, eax
    jb .absent
    call lapic_read
    mov [rsi + r9*4], eax
.absent:
    inc r9
    jmp .save
.switch:
    mov ecx, MSR_APIC_BASE
    rdmsr
    and eax, ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC)
    wrmsr
    or eax, APIC_BASE_ENABLE
    wrmsr
    and eax, 0xfffff000
    shl rdx, 32
    or rax, rdx
    mov r10, rax                        ; the xAPIC page (identity-mapped)
    xor r9d, r9d
.restore:
    lea rax, [rel carried_lapic_registers]
    movzx ecx, word [rax + r9*2]
    test ecx, ecx
    jz .done
    lea rax, [rel carried_lapic_min_lvt]
    movzx eax, byte [rax + r9]
    cmp r11d, eax
    jb .skip
    mov eax, [rsi + r9*4]
    call lapic_write
.skip:
    inc r9
    jmp .restore
.done:
    ret

; start_aps — after leave_firmware, on the platform's page tables (the local APIC is
; identity-mapped there): start each AP and list every CPU that runs in the response.
; Clobbers rax, rcx, rdx, rsi, rdi, r8-r11 (called from enter_kernel, no frame needed).
start_aps:
    cmp qword [rel smp_response], 0
    je .done
    mov ecx, MSR_APIC_BASE
    rdmsr
    xor r8d, r8d                        ; 0: x2APIC mode, IPIs through the ICR MSR
    test eax, APIC_BASE_X2APIC
    jnz .mode_known
    shl rdx, 32
    or rax, rdx
    mov rcx, 0x000000fffffff000
    and rax, rcx
    mov r8, rax                         ; xAPIC: the registers' physical address
.mode_known:
    mov r9, [rel trampoline_page]
    xor r10d, r10d                      ; slot
    xor r11d, r11d                      ; CPUs listed so far
.cpu:
    cmp r10, [rel cpu_slots]
    jae .publish
    lea rax, [rel cpu_infos]
    mov rsi, [rax + r10*8]              ; smp_info (physical)
    mov eax, [rsi + SMP_INFO_LAPIC_ID]
    cmp eax, [rel bsp_lapic_id]
    je .list
    mov rax, [rel hhdm_offset]
    add rax, rsi
    mov [r9 + TR_INFO], rax
    lea rax, [rel cpu_stacks]
    mov rax, [rax + r10*8]
    mov [r9 + TR_STACK], rax
    mov edi, [r9 + TR_STARTED]          ; count before this AP
    ; INIT, then two STARTUP IPIs pointing at the trampoline page
    mov edx, [rsi + SMP_INFO_LAPIC_ID]
    mov eax, ICR_INIT
    call send_ipi
    mov ecx, 10000                      ; ~10 ms
    call io_delay
    mov eax, r9d
    shr eax, 12
    or eax, ICR_STARTUP
    call send_ipi
    mov ecx, 200
    call io_delay
    mov eax, r9d
    shr eax, 12
    or eax, ICR_STARTUP
    call send_ipi
    ; wait until the AP has taken its slots (about a second at most)
    mov ecx, AP_START_TIMEOUT
.wait:
    cmp [r9 + TR_STARTED], edi
    jne .list
    pause
    in al, IO_DELAY_PORT
    dec ecx
    jnz .wait
    jmp .next                           ; did not start: not listed
.list:
    mov rax, [rel hhdm_offset]
    add rax, rsi
    mov rcx, [rel smp_cpu_pointers]
    mov [rcx + r11*8], rax
    inc r11
.next:
    inc r10
    jmp .cpu
.publish:
    mov rax, [rel smp_response]
    mov [rax + SMP_CPU_COUNT], r11
.done:
    ret

; send_ipi — IN: r8 = local APIC base (0 in x2APIC mode), edx = destination APIC ID,
; eax = ICR low (vector and delivery mode). Waits for the previous IPI to be delivered first.
; Clobbers ecx.
send_ipi:
    test r8, r8
    jz .x2apic
.pending:
    test dword [r8 + LAPIC_ICR_LOW], ICR_DELIVERY_PENDING
    jnz .pending
    push rdx
    shl edx, 24
    mov [r8 + LAPIC_ICR_HIGH], edx
    mov [r8 + LAPIC_ICR_LOW], eax
    pop rdx
    ret
.x2apic:
    push rax
    push rdx
    mov ecx, MSR_X2APIC_ICR
    wrmsr                               ; edx = destination, eax = command
    pop rdx
    pop rax
    ret

; io_delay — IN: ecx = number of ~1 µs port 0x80 reads. Clobbers al, ecx.
io_delay:
    in al, IO_DELAY_PORT
    dec ecx
    jnz io_delay
    ret

; ---------------------------------------------------------------- the AP trampoline
; Copied to a page under 1 MiB; entered in real mode at offset 0 with CS = page >> 4.
; Position-independent: ebx holds the page's linear address from the first instructions on.
align 16
trampoline_start:
bits 16
    cli
    cld
    mov bx, cs
    mov ds, bx
    mov ss, bx
    mov sp, PAGE_SIZE                   ; a stack at the top of the trampoline page
    movzx ebx, bx
    shl ebx, 4
    lea eax, [ebx + tr_gdt - trampoline_start]
    mov [tr_gdtr + 2 - trampoline_start], eax
    lgdt [tr_gdtr - trampoline_start]
    mov eax, cr0
    or al, 1                            ; PE
    mov cr0, eax
    lea eax, [ebx + tr_protected - trampoline_start]
    push dword TR_CODE32
    push eax
    o32 retf
bits 32
tr_protected:
    mov ax, TR_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    lea esp, [ebx + PAGE_SIZE]
    mov eax, [ebx + TR_CR4]             ; the BSP's CR4 (PAE, OSFXSR, ...)
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ebx + TR_CR3]
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, [ebx + TR_EFER_BITS]
    wrmsr
    mov eax, [ebx + TR_CR0]             ; the BSP's CR0: paging, WP, and caches on (INIT left CD/NW set)
    or eax, CR0_PG | CR0_WP | CR0_PE
    mov cr0, eax
    lea eax, [ebx + tr_long - trampoline_start]
    push TR_CODE64
    push eax
    retf
bits 64
tr_long:
    mov ebx, ebx                        ; upper halves are undefined after the switch
    mov ecx, MSR_APIC_BASE              ; INIT keeps the APIC mode the firmware left
    rdmsr
    cmp dword [rbx + TR_X2APIC], 0
    je .xapic
    or eax, APIC_BASE_ENABLE | APIC_BASE_X2APIC
    wrmsr
    jmp .apic_mode_set
.xapic:
    test eax, APIC_BASE_X2APIC
    jz .apic_mode_set
    and eax, ~(APIC_BASE_ENABLE | APIC_BASE_X2APIC)
    wrmsr                               ; x2APIC -> disabled -> xAPIC, as the BSP went
    or eax, APIC_BASE_ENABLE
    wrmsr
.apic_mode_set:
    cmp dword [rbx + TR_PAT_SUPPORTED], 0
    je .no_pat
    mov ecx, MSR_PAT
    mov eax, PAT_LIMINE_LAYOUT & 0xffffffff
    mov edx, PAT_LIMINE_LAYOUT >> 32
    wrmsr
.no_pat:
    mov rax, [rbx + TR_KERNEL_GDTR]
    lgdt [rax]
    mov eax, GDT_DATA64_SELECTOR
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov rsp, [rbx + TR_STACK]
    mov rdi, [rbx + TR_INFO]
    push GDT_CODE64_SELECTOR
    lea rax, [rbx + tr_parked - trampoline_start]
    push rax
    retfq
tr_parked:
    mov rax, [rbx + TR_MTRR_SYNC]       ; the loader's routines, identity-mapped in our tables
    call rax
    mov rax, [rbx + TR_STRICT_STATE]
    call rax
    lock inc dword [rbx + TR_STARTED]   ; slots taken: the BSP may reuse them
.wait:
    pause
    mov rax, [rdi + SMP_INFO_GOTO_ADDRESS]
    test rax, rax
    jz .wait
    push 0                              ; the invalid return address, as for the BSP
    push rax
    push 2                              ; RFLAGS = 2 as for the BSP, popped after the xors
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
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
    ret                                 ; to goto_address with rdi = this CPU's smp_info
align 8
tr_gdt:
    dq 0
    dq 0x00cf9a000000ffff               ; TR_CODE32
    dq 0x00cf92000000ffff               ; TR_DATA32
    dq 0x00af9a000000ffff               ; TR_CODE64
tr_gdtr:
    dw 4 * 8 - 1
    dd 0                                ; linear base, filled in by the AP itself
TR_SLOTS_SIZE       equ 80
align 8
tr_slots:
    times TR_SLOTS_SIZE db 0
trampoline_end:
TRAMPOLINE_SIZE     equ trampoline_end - trampoline_start
TR_CR3              equ tr_slots - trampoline_start + 0
TR_STACK            equ tr_slots - trampoline_start + 8
TR_INFO             equ tr_slots - trampoline_start + 16
TR_KERNEL_GDTR      equ tr_slots - trampoline_start + 24
TR_EFER_BITS        equ tr_slots - trampoline_start + 32
TR_PAT_SUPPORTED    equ tr_slots - trampoline_start + 36
TR_STARTED          equ tr_slots - trampoline_start + 40
TR_CR0              equ tr_slots - trampoline_start + 44
TR_CR4              equ tr_slots - trampoline_start + 48
TR_STRICT_STATE     equ tr_slots - trampoline_start + 56
TR_X2APIC           equ tr_slots - trampoline_start + 64
TR_MTRR_SYNC        equ tr_slots - trampoline_start + 72

section .data
MAX_CPUS            equ 64
AP_START_TIMEOUT    equ 1000000
align 8
smp_response:       dq 0
smp_cpu_pointers:   dq 0
trampoline_page:    dq 0
cpu_slots:          dq 0
bsp_lapic_id:       dd 0
smp_requested:      db 0
x2apic_mode:        db 0                ; 1: every CPU in x2APIC mode (response flag 0)
x2apic_revert:      db 0                ; 1: the firmware's x2APIC mode is turned off
msg_x2apic_locked:  db "the firmware left the CPU in x2APIC mode, which it cannot leave (IA32_XAPIC_DISABLE_STATUS), "
                    db "and the kernel's MP request does not ask for x2APIC (LIMINE_MP_REQUEST_X86_64_X2APIC)", 0
; the local APIC registers the x2APIC -> xAPIC reset clears, SVR last; with the lowest max
; LVT index (LAPIC version bits 16-23) at which each exists
align 2
carried_lapic_registers: dw LAPIC_TPR, LAPIC_LVT_TIMER, LAPIC_LVT_LINT0, LAPIC_LVT_LINT0 + 0x10
                    dw LAPIC_LVT_ERROR, LAPIC_LVT_PERFORMANCE, LAPIC_LVT_THERMAL, LAPIC_LVT_CMCI
                    dw LAPIC_SVR, 0
carried_lapic_min_lvt: db 0, 0, 0, 0, 0, 4, 5, 6, 0
align 4
saved_lapic_registers: times 9 dd 0
MAX_VARIABLE_MTRRS  equ 32
MAX_MTRR_MSRS       equ 11 + 2 * MAX_VARIABLE_MTRRS + 1
align 2
fixed_mtrr_msrs:    dw 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f, 0
align 4
mtrr_msr_count:     dd 0
mtrr_msrs:          times MAX_MTRR_MSRS dd 0
align 8
mtrr_values:        times MAX_MTRR_MSRS dq 0
align 8
cpu_infos:          times MAX_CPUS dq 0
cpu_stacks:         times MAX_CPUS dq 0
