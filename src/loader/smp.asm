; smp.asm — the SMP feature: start every enabled application processor listed in the MADT
; (xAPIC, 8-bit APIC IDs) and park it, in the same state as the BSP, until the kernel writes
; its smp_info.goto_address. x2APIC is never enabled (response flags 0).
;
; Each AP runs the trampoline below, copied to a page under 1 MiB: real mode -> protected
; mode -> long mode on our page tables (the page is identity-mapped), then the kernel's GDT
; and the spec's state. APs are started one at a time: the BSP fills the trampoline's slots
; (stack, smp_info), sends INIT-SIPI-SIPI and waits until the AP says it has taken them.

section .text

; prepare_smp — before leave_firmware: allocate the response, one smp_info per enabled
; LAPIC of the MADT, a stack per AP and the trampoline page; fill the trampoline's slots.
; Leaves smp_response 0 (request unanswered) when there is no SMP request, no MADT, or no
; page below 1 MiB.
prepare_smp:
    FRAME
    mov ecx, REQ_SMP
    call request_address
    test rax, rax
    jz .done
    cmp qword [rel madt], 0
    je .done
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

    ; the response and one smp_info per enabled processor, in MADT order
    mov ecx, REQ_SMP
    mov edx, 32
    call respond
    mov [rel smp_response], rax
    mov eax, 1
    cpuid
    shr ebx, 24
    mov [rel bsp_lapic_id], ebx
    mov rax, [rel smp_response]
    mov [rax + SMP_BSP_LAPIC_ID], ebx
    mov ecx, MAX_CPUS * 8
    call arena_alloc
    mov [rel smp_cpu_pointers], rax
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov rcx, [rel smp_response]
    mov [rcx + SMP_CPUS], rax
    mov rsi, [rel madt]
    mov r12d, [rsi + SDT_LENGTH]
    add r12, rsi                        ; end of the MADT
    add rsi, MADT_ENTRIES
.entry:
    lea rax, [rsi + 2]
    cmp rax, r12
    ja .done
    movzx r13d, byte [rsi + 1]          ; entry length
    test r13d, r13d
    jz .done
    cmp byte [rsi], MADT_LOCAL_APIC
    jne .next
    test dword [rsi + MADT_LAPIC_FLAGS], MADT_LAPIC_ENABLED
    jz .next
    mov rbx, [rel cpu_slots]
    cmp rbx, MAX_CPUS
    jae .done
    mov ecx, SMP_INFO_SIZE
    call arena_alloc
    movzx ecx, byte [rsi + MADT_LAPIC_PROCESSOR_UID]
    mov [rax + SMP_INFO_PROCESSOR_ID], ecx
    movzx ecx, byte [rsi + MADT_LAPIC_ID]
    mov [rax + SMP_INFO_LAPIC_ID], ecx
    lea rdx, [rel cpu_infos]
    mov [rdx + rbx*8], rax
    xor eax, eax
    cmp ecx, [rel bsp_lapic_id]
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
    add rsi, r13
    jmp .entry
.done:
    UNFRAME

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
    mov rax, [rbx + TR_STRICT_STATE]    ; the loader's routine, identity-mapped in our tables
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
TR_SLOTS_SIZE       equ 64
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

section .data
MAX_CPUS            equ 64
AP_START_TIMEOUT    equ 1000000
align 8
smp_response:       dq 0
smp_cpu_pointers:   dq 0
trampoline_page:    dq 0
cpu_slots:          dq 0
bsp_lapic_id:       dd 0
align 8
cpu_infos:          times MAX_CPUS dq 0
cpu_stacks:         times MAX_CPUS dq 0
