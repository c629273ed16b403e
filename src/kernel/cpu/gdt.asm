; GDT with kernel and user segments and a TSS whose IST stacks catch double faults (with a guard page
; below, so a kernel stack overflow lands on a good stack), NMIs and machine checks.

; Segment descriptors (64-bit code sets L; data ignores base/limit in long mode).
GDT_KERNEL_CODE     equ 0x00af9a000000ffff  ; present, ring 0, code, readable, L=1
GDT_KERNEL_DATA     equ 0x00cf92000000ffff  ; present, ring 0, data, writable
GDT_USER_DATA       equ 0x00cff2000000ffff  ; present, ring 3, data, writable
GDT_USER_CODE       equ 0x00affa000000ffff  ; present, ring 3, code, readable, L=1
TSS_TYPE_AVAILABLE  equ 0x89                ; present, ring 0, 64-bit TSS (available)

; The 64-bit TSS.
struc tss
    .reserved0:     resd 1
    .rsp0:          resq 1
    .rsp1:          resq 1
    .rsp2:          resq 1
    .reserved1:     resq 1
    .ist1:          resq 1
    .ist2:          resq 1
    .ist3:          resq 1
    .ist4:          resq 1
    .ist5:          resq 1
    .ist6:          resq 1
    .ist7:          resq 1
    .reserved2:     resq 1
    .reserved3:     resw 1
    .iopb_offset:   resw 1
endstruc

; Which IST slot each special exception uses (the IDT entries name these numbers).
IST_DOUBLE_FAULT    equ 1
IST_NMI             equ 2
IST_MACHINE_CHECK   equ 3
IST_STACK_SIZE      equ 16 * 1024

section .data
    align 16
gdt:
    dq 0
    dq GDT_KERNEL_CODE
    dq GDT_KERNEL_DATA
    dq GDT_USER_DATA
    dq GDT_USER_CODE
gdt_tss_descriptor:
    dq 0, 0                                 ; filled by gdt_init: the TSS base is only known at run time
gdt_end:

gdt_pointer:
    dw gdt_end - gdt - 1
    dq gdt

section .bss
    alignb 16
kernel_tss:
    resb tss_size

; Each IST stack sits above a guard page that paging_init leaves unmapped.
    alignb PAGE_SIZE
double_fault_stack_guard:   resb PAGE_SIZE
double_fault_stack:         resb IST_STACK_SIZE
double_fault_stack_top:
nmi_stack_guard:            resb PAGE_SIZE
nmi_stack:                  resb IST_STACK_SIZE
nmi_stack_top:
machine_check_stack_guard:  resb PAGE_SIZE
machine_check_stack:        resb IST_STACK_SIZE
machine_check_stack_top:

section .text

; gdt_init: fill in the TSS and its descriptor, load the GDT, reload every segment register and TR.
; IN: nothing. OUT: nothing. Clobbers: rax, rcx, rdx.
gdt_init:
    lea rax, [rel double_fault_stack_top]
    mov [rel kernel_tss + tss.ist1], rax
    lea rax, [rel nmi_stack_top]
    mov [rel kernel_tss + tss.ist2], rax
    lea rax, [rel machine_check_stack_top]
    mov [rel kernel_tss + tss.ist3], rax
    mov word [rel kernel_tss + tss.iopb_offset], tss_size    ; no I/O permission bitmap

    ; TSS descriptor: limit[15:0] base[23:0] type limit[19:16] base[31:24] | base[63:32]
    lea rax, [rel kernel_tss]
    mov rdx, tss_size - 1
    mov rcx, rax
    and rcx, 0xffffff
    shl rcx, 16
    or rdx, rcx                             ; base[23:0] at bits 16..39
    mov rcx, TSS_TYPE_AVAILABLE
    shl rcx, 40
    or rdx, rcx
    mov rcx, rax
    shr rcx, 24
    and rcx, 0xff
    shl rcx, 56
    or rdx, rcx                             ; base[31:24] at bits 56..63
    mov [rel gdt_tss_descriptor], rdx
    shr rax, 32
    mov [rel gdt_tss_descriptor + 8], rax

    lgdt [rel gdt_pointer]
    ; Reload CS with a far return to the next instruction.
    lea rax, [rel .reload_cs]
    push KERNEL_CODE_SELECTOR
    push rax
    retfq
.reload_cs:
    mov ax, KERNEL_DATA_SELECTOR
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov ax, TSS_SELECTOR
    ltr ax
    ret
