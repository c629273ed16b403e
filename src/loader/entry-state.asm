; entry-state.asm — the stricter x86-64 entry state of base revision 5 and later, for the BSP
; (from enter_kernel) and for every AP (from the trampoline, on our page tables, through the
; identity map of this loader): CR0/CR4/EFER hold only the bits the spec names, IDTR and TR
; have base 0 and limit 0, LDTR is null, and the local APIC is enabled with SVR 0x1ff, TPR 0
; and its LVT entries masked (LINT pins named by MADT NMI entries set to NMI first).
; RFLAGS = 2 is set by the callers at the jump.

section .text

; apply_strict_entry_state — IN: base_revision, the kernel GDT loaded (with its TSS
; descriptor at GDT_TSS_SELECTOR), madt. Does nothing below base revision 5.
; Preserves rbx, rsi, rdi, rbp, r12-r15 and the stack; clobbers rax, rcx, rdx, r8-r11.
apply_strict_entry_state:
    cmp qword [rel base_revision], 5
    jb .done
    ; control registers: PE ET WP PG; PAE (and LA57 if it is on); LME LMA (NXE)
    mov eax, CR0_PE | CR0_ET | CR0_WP | CR0_PG
    mov cr0, rax
    mov rax, cr4
    and eax, 1 << CR4_LA57_BIT
    or eax, CR4_PAE
    mov cr4, rax
    mov ecx, MSR_EFER
    rdmsr
    and eax, EFER_LME | EFER_LMA | EFER_NXE
    xor edx, edx
    wrmsr
    ; descriptor tables: no IDT, no LDT, a TR of base 0 and limit 0
    sub rsp, 16
    mov qword [rsp], 0
    mov qword [rsp + 8], 0
    lidt [rsp]
    xor eax, eax
    lldt ax
    sgdt [rsp]
    mov rax, [rsp + 2]
    and byte [rax + GDT_TSS_SELECTOR + 5], ~TSS_BUSY_BIT ; each CPU loads the same descriptor
    mov ax, GDT_TSS_SELECTOR
    ltr ax
    add rsp, 16
    call init_local_apic
.done:
    ret

; lapic_read / lapic_write — IN: ecx = register offset, r10 = xAPIC base (0: x2APIC, MSRs).
; lapic_read OUT: eax. lapic_write IN: eax. Clobber ecx, edx.
lapic_read:
    test r10, r10
    jz .msr
    mov eax, [r10 + rcx]
    ret
.msr:
    shr ecx, 4
    add ecx, MSR_X2APIC_BASE
    rdmsr
    ret
lapic_write:
    test r10, r10
    jz .msr
    mov [r10 + rcx], eax
    ret
.msr:
    shr ecx, 4
    add ecx, MSR_X2APIC_BASE
    xor edx, edx
    wrmsr
    ret

; mask_lvt — mask the LVT register at ecx when its delivery mode is fixed, lowest priority,
; NMI or ExtINT (Timer and Error have no mode field: they read as fixed). IN: ecx, r10.
; OUT: eax = the original value, r11d = 1 if the mode was one of those. Clobbers edx, r8d.
mask_lvt:
    mov r8d, ecx
    call lapic_read
    xor r11d, r11d
    mov edx, eax
    and edx, LVT_DELIVERY_MODE_MASK
    cmp edx, LVT_DELIVERY_LOWEST
    jbe .maskable
    cmp edx, LVT_DELIVERY_NMI
    je .maskable
    cmp edx, LVT_DELIVERY_EXTINT
    jne .done
.maskable:
    mov r11d, 1
    push rax
    or eax, LVT_MASKED
    mov ecx, r8d
    call lapic_write
    pop rax
.done:
    ret

; init_local_apic — this CPU's local APIC in the base revision 5 state.
init_local_apic:
    push rbx
    push rsi
    push rdi
    mov eax, 1
    cpuid
    bt edx, CPUID_APIC_BIT
    jnc .done
    mov ecx, MSR_APIC_BASE
    rdmsr
    or eax, APIC_BASE_ENABLE
    wrmsr
    xor r10d, r10d
    test eax, APIC_BASE_X2APIC
    jnz .mode_known
    mov r10d, eax
    and r10d, 0xfffff000
    shl rdx, 32
    or r10, rdx
.mode_known:
    mov ecx, LAPIC_SVR
    mov eax, 0x1ff
    call lapic_write
    mov ecx, LAPIC_TPR
    xor eax, eax
    call lapic_write
    mov ecx, LAPIC_VERSION
    call lapic_read
    shr eax, 16
    movzx ebx, al                       ; max LVT index
    mov ecx, LAPIC_LVT_TIMER
    call mask_lvt
    mov ecx, LAPIC_LVT_ERROR
    call mask_lvt
    cmp ebx, 4
    jb .lints
    mov ecx, LAPIC_LVT_PERFORMANCE
    call mask_lvt
    cmp ebx, 5
    jb .lints
    mov ecx, LAPIC_LVT_THERMAL
    call mask_lvt
    cmp ebx, 6
    jb .lints
    mov ecx, LAPIC_LVT_CMCI
    call mask_lvt
.lints:
    xor esi, esi                        ; LINT0, then LINT1
.lint:
    mov ecx, esi
    shl ecx, 4                          ; LINT0 and LINT1 are 0x10 apart
    add ecx, LAPIC_LVT_LINT0
    mov edi, ecx
    call mask_lvt
    test r11d, r11d
    jz .next_lint                       ; another delivery mode: left as the firmware set it
    mov ebx, eax                        ; the firmware's value
    mov ecx, esi
    call madt_nmi_flags_for_lint
    test eax, eax
    js .next_lint                       ; no MADT NMI entry for this pin and CPU
    ; NMI delivery, polarity and trigger from the MPS INTI flags, masked
    and ebx, ~(LVT_DELIVERY_MODE_MASK | LVT_ACTIVE_LOW | LVT_LEVEL_TRIGGERED)
    or ebx, LVT_DELIVERY_NMI | LVT_MASKED
    mov edx, eax
    and edx, MPS_POLARITY_MASK
    cmp edx, MPS_ACTIVE_LOW
    jne .polarity_done
    or ebx, LVT_ACTIVE_LOW
.polarity_done:
    and eax, MPS_TRIGGER_MASK
    cmp eax, MPS_LEVEL_TRIGGERED
    jne .trigger_done
    or ebx, LVT_LEVEL_TRIGGERED
.trigger_done:
    mov eax, ebx
    mov ecx, edi
    call lapic_write
.next_lint:
    inc esi
    cmp esi, 2
    jb .lint
.done:
    pop rdi
    pop rsi
    pop rbx
    ret

; madt_nmi_flags_for_lint — the MPS INTI flags of a MADT NMI entry that names LINT ecx for
; this CPU: a Local APIC NMI entry (type 4, 8-bit processor UID, 0xff = every CPU) or a Local
; x2APIC NMI entry (type 0xa, 32-bit UID, 0xffffffff = every CPU). The CPU's UID comes from
; the Local x2APIC entry with its APIC ID when there is one (it describes the CPU, as in
; smp.asm), else from its Local APIC entry. IN: ecx = 0 or 1, r10.
; OUT: eax = flags, or -1 when there is none. Clobbers ecx, edx, r8, r9, r11.
madt_nmi_flags_for_lint:
    push rbx
    push rsi
    push rdi
    push r12
    mov ebx, ecx
    mov r11d, 0xfffffffe                ; this CPU's processor UID: unknown yet (no entry uses it)
    xor r12d, r12d                      ; 1 once an x2APIC entry gave it
    mov ecx, LAPIC_ID
    call lapic_read
    test r10, r10
    jz .x2apic_id
    shr eax, 24
.x2apic_id:
    mov r9d, eax                        ; this CPU's APIC ID
    xor esi, esi
.find_uid:
    call madt_next_entry
    test rsi, rsi
    jz .find_nmi
    cmp byte [rsi], MADT_LOCAL_X2APIC
    je .x2apic_entry
    cmp byte [rsi], MADT_LOCAL_APIC
    jne .next_uid
    test r12d, r12d
    jnz .next_uid
    movzx eax, byte [rsi + MADT_LAPIC_ID]
    cmp eax, r9d
    jne .next_uid
    movzx r11d, byte [rsi + MADT_LAPIC_PROCESSOR_UID]
    jmp .next_uid
.x2apic_entry:
    cmp ecx, MADT_X2APIC_SIZE
    jb .next_uid
    cmp [rsi + MADT_X2APIC_ID], r9d
    jne .next_uid
    mov r11d, [rsi + MADT_X2APIC_PROCESSOR_UID]
    mov r12d, 1
.next_uid:
    jmp .find_uid
.find_nmi:
    xor esi, esi
.entry:
    call madt_next_entry
    test rsi, rsi
    jz .none
    cmp byte [rsi], MADT_X2APIC_NMI
    je .x2apic_nmi
    cmp byte [rsi], MADT_LAPIC_NMI
    jne .next
    cmp byte [rsi + MADT_NMI_LINT], bl
    jne .next
    movzx eax, byte [rsi + MADT_NMI_PROCESSOR_UID]
    cmp eax, 0xff
    je .found
    cmp eax, r11d
    jne .next
.found:
    movzx eax, word [rsi + MADT_NMI_FLAGS]
    jmp .done
.x2apic_nmi:
    cmp ecx, MADT_X2APIC_NMI_LINT + 1
    jb .next
    cmp byte [rsi + MADT_X2APIC_NMI_LINT], bl
    jne .next
    mov eax, [rsi + MADT_X2APIC_NMI_PROCESSOR_UID]
    cmp eax, 0xffffffff
    je .found_x2apic
    cmp eax, r11d
    jne .next
.found_x2apic:
    movzx eax, word [rsi + MADT_X2APIC_NMI_FLAGS]
    jmp .done
.next:
    jmp .entry
.none:
    mov eax, -1
.done:
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret
