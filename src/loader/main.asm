; main.asm — ostool's built-in loader: a UEFI application (BOOTX64.EFI) that boots a
; kernel with the Limine boot protocol, base revisions 0-6 (see src/loader/STATUS.md).
; This file is the UEFI entry; boot.asm is the protocol, shared with the PVH entry
; (pvh-main.asm), and uefi-*.asm are the UEFI side of the platform layer it calls.
;
; Position-independent: every address is RIP-relative and no data holds an absolute
; address of the image, so the PE file needs no relocations and any linker can make it.
; Assemble with `nasm -f elf64` (or win64) and link as an EFI application (subsystem 10)
; with entry efi_main.

default rel
bits 64

%include "defs.asm"

section .text
global efi_main

; efi_main — the UEFI entry point. IN: rcx = image handle, rdx = system table.
; Does not return on success; on any failure prints why and halts.
efi_main:
    FRAME
    mov [rel image_handle], rcx
    mov [rel system_table], rdx
    mov rax, [rdx + ST_BOOT_SERVICES]
    mov [rel boot_services], rax
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov [rel loader_start_tsc], rax     ; init_usec of the bootloader performance response
    mov byte [rel firmware_console_active], 1
    mov rcx, [rel image_handle]
    lea rdx, [rel guid_loaded_image]
    lea r8, [rel loaded_image]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    test rax, rax
    jnz .no_image
    mov rax, [rel loaded_image]
    mov rcx, [rax + LI_IMAGE_BASE]
    mov [rel loader_image_base], rcx
    mov rcx, [rax + LI_IMAGE_SIZE]
    mov [rel loader_image_size], rcx
.no_image:

    call open_boot_volume
    call read_gpt_disk_uuid
    call detect_serial_console
    jmp boot_kernel

%include "uefi-platform.asm"
%include "uefi-file.asm"
%include "uefi-volumes.asm"
%include "uefi-iso9660.asm"
%include "uefi-gop.asm"
%include "boot.asm"
