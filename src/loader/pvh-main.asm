; pvh-main.asm — ostool's built-in loader for a firmware-less QEMU boot: an ELF that QEMU
; starts with `-kernel loader.elf` through its PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY).
; The CPU arrives in 32-bit protected mode, paging off, ebx = the hvm_start_info. This file
; gets to long mode on an identity map of the first 4 GiB, notes what hvm_start_info says,
; and jumps to boot.asm's boot_kernel, the same Limine protocol the UEFI loader implements.
; Files come from QEMU's fw_cfg (pvh-fwcfg.asm), memory from the start info's E820 map
; (pvh-platform.asm), the framebuffer from the Bochs VBE interface (pvh-vbe.asm).
;
; Linked at 1 MiB by index.ts's script (PT_LOAD plus a PT_NOTE for the entry note); the
; 32-bit code uses absolute addresses, the 64-bit code is RIP-relative as everywhere else.

default rel
bits 64

%include "defs.asm"

XEN_ELFNOTE_PHYS32_ENTRY        equ 18
HVM_START_MAGIC                 equ 0x336ec578
HVM_VERSION                     equ 4
HVM_RSDP_PADDR                  equ 32
HVM_MEMMAP_PADDR                equ 40
HVM_MEMMAP_ENTRIES              equ 48
HVM_MEMMAP_ENTRY_SIZE           equ 24      ; addr, size, type, reserved
BOOT_CODE64                     equ 0x08
BOOT_DATA64                     equ 0x10
CR4_OSFXSR                      equ 1 << 9
CR4_OSXMMEXCPT                  equ 1 << 10
PVH_STACK_SIZE                  equ 65536

section .note.Xen
align 4
    dd 4                                ; name size ("Xen\0")
    dd 4                                ; descriptor size
    dd XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd pvh_start

section .text
global pvh_start
extern __loader_start, __loader_end   ; from the linker script: the whole image, bss included

bits 32
; pvh_start — the PVH entry. IN: ebx = hvm_start_info (physical). Never returns.
pvh_start:
    cli
    cld
    mov esp, pvh_stack + PVH_STACK_SIZE
    mov esi, ebx
    ; identity map of the first 4 GiB in 2 MiB pages: PML4 -> PDPT -> 4 page directories
    mov edi, boot_tables
    mov ecx, BOOT_TABLE_PAGES * PAGE_SIZE / 4
    xor eax, eax
    rep stosd
    mov dword [boot_tables], boot_tables + PAGE_SIZE + PTE_PRESENT + PTE_WRITABLE
    mov edi, boot_tables + PAGE_SIZE
    mov eax, boot_tables + 2 * PAGE_SIZE + PTE_PRESENT + PTE_WRITABLE
    mov ecx, 4
.directory:
    mov [edi], eax
    add edi, 8
    add eax, PAGE_SIZE
    loop .directory
    mov edi, boot_tables + 2 * PAGE_SIZE
    mov eax, PTE_PRESENT | PTE_WRITABLE | PTE_LARGE
    xor edx, edx                        ; upper half of the entry (above 4 GiB: never)
    mov ecx, 4 * 512
.large_page:
    mov [edi], eax
    mov [edi + 4], edx
    add edi, 8
    add eax, LARGE_PAGE_SIZE
    loop .large_page
    ; long mode: PAE (and SSE, as firmware leaves it), our tables, EFER.LME, paging
    mov eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov eax, boot_tables
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, CR0_PG | CR0_PE | CR0_ET | CR0_WP
    mov cr0, eax
    lgdt [boot_gdtr]
    jmp BOOT_CODE64:pvh_long

bits 64
pvh_long:
    mov eax, BOOT_DATA64
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esi, esi                        ; the start info, zero-extended
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov [rel loader_start_tsc], rax     ; init_usec of the bootloader performance response
    cmp dword [rsi], HVM_START_MAGIC
    jne .not_pvh
    lea rax, [rel __loader_start]
    mov [rel loader_image_base], rax
    lea rcx, [rel __loader_end]
    sub rcx, rax
    mov [rel loader_image_size], rcx
    mov rax, [rsi + HVM_RSDP_PADDR]
    mov [rel pvh_rsdp], rax
    ; the E820 map (start info version 1 on), before anything is allocated over it
    xor ecx, ecx
    xor edx, edx
    cmp dword [rsi + HVM_VERSION], 1
    jb .memory_map
    mov rcx, [rsi + HVM_MEMMAP_PADDR]
    mov edx, [rsi + HVM_MEMMAP_ENTRIES]
.memory_map:
    mov r8d, HVM_MEMMAP_ENTRY_SIZE
    call init_memory_map
    call init_fw_cfg
    jmp boot_kernel
.not_pvh:
    FAIL msg_not_pvh

section .data
align 8
pvh_rsdp:           dq 0
boot_gdt:
    dq 0
    dq 0x00af9a000000ffff               ; BOOT_CODE64
    dq 0x00cf92000000ffff               ; BOOT_DATA64
boot_gdtr:
    dw 3 * 8 - 1
    dq boot_gdt
msg_not_pvh:        db "not started through a PVH entry (no hvm_start_info in ebx)", 0

section .bss
BOOT_TABLE_PAGES    equ 6
alignb 4096
boot_tables:        resb BOOT_TABLE_PAGES * PAGE_SIZE
alignb 16
pvh_stack:          resb PVH_STACK_SIZE

section .text
%include "pvh-platform.asm"
%include "pvh-fwcfg.asm"
%include "pvh-vbe.asm"
%include "boot.asm"
