; boot.asm — the Limine protocol, shared by both entries of the built-in loader: main.asm
; (UEFI) and pvh-main.asm (QEMU's PVH entry). An entry sets up its platform, then jumps to
; boot_kernel. The platform layer each side provides (uefi-*.asm, pvh-*.asm):
;   alloc_pages, alloc_pages_aligned, alloc_page_below_1m
;                                       pages, typed with the EFI memory types of defs.asm
;   read_file, file_missing             files by volume and path ("/boot/kernel"), their error
;   volume_by_coordinates, volume_by_guid, volume_by_label, volume_label_equals,
;   msg_no_volume_detail                the volumes paths name besides boot_volume
;   snapshot_memory_map, leave_firmware the memory map in UEFI descriptor layout (efi_map)
;   find_rsdp, find_smbios, find_firmware_dtb  firmware tables
;   find_framebuffer, list_video_modes  the framebuffer (video.asm answers from it)
;   platform_stall, read_clock          10 ms for the TSC, and the RTC
;   firmware_console_write              a console besides COM1 (while firmware_console_active)
;   add_firmware_reserved_mapped
;   system_table                        the EFI system table, 0 when not booted by UEFI
;   PLATFORM_FIRMWARE_TYPE, PLATFORM_FW_TYPE_NAME, FIRST_CONFIG_LOCATION
; and sets loader_image_base/size before the jump.

section .text

; boot_kernel — read limine.conf, the kernel and its modules, answer the requests, build the
; page tables and jump to the kernel. Never returns: any failure prints why and halts.
boot_kernel:
    FRAME
    call detect_cpu_features
    call measure_tsc_frequency

    ; configuration and files
    call install_builtin_macros
    call find_and_read_config
    mov rcx, rax
    call expand_config_macros
    mov [rel config_text], rax
    mov rcx, rax
    call choose_entry
    mov [rel chosen_entry], rax
    mov rcx, [rel config_text]
    call parse_config
    mov rcx, [rel kernel_path]
    mov edx, MEM_KERNEL_AND_MODULES
    mov r8, [rel kernel_volume]
    cmp byte [rel kernel_compressed], 0
    je .read_kernel
    mov edx, MEM_LOADER_RECLAIMABLE     ; a gzip kernel: only its decompressed bytes stay
.read_kernel:
    call read_file
    test rax, rax
    jz .kernel_missing
    mov r12, rax
    mov r13, rdx
    mov rcx, rax
    mov r8, [rel kernel_hash]
    mov r9, [rel kernel_name]
    call check_file_hash
    mov rax, r12
    mov rdx, r13
    cmp byte [rel kernel_compressed], 0
    je .kernel_read
    mov rcx, rax
    mov r8, [rel kernel_name]
    mov r9d, MEM_KERNEL_AND_MODULES
    call gunzip_file
.kernel_read:
    mov [rel kernel_file_address], rax
    mov [rel kernel_file_size], rdx
    call check_kernel
    call load_kernel

    ; requests and responses
    call scan_requests
    call check_paging_mode
    call choose_hhdm_offset
    call choose_stack_size
    mov ecx, ARENA_PAGES
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    mov [rel arena_next], rax
    add rax, ARENA_PAGES * PAGE_SIZE
    mov [rel arena_end], rax
    call add_internal_modules
    mov rax, [rel module_count]
    mov [rel declared_module_count], rax ; before missing optional ones are dropped
    call load_modules
    call load_dtb
    call find_framebuffer
    call find_madt
    call answer_requests

    ; the machine state for the kernel
    call build_gdt
    call allocate_kernel_stack
    mov ecx, EFI_LOADER_DATA
    call snapshot_memory_map
    call build_page_tables
    call prepare_smp

    ; the final memory map, then no more firmware
    mov ecx, MEM_LOADER_RECLAIMABLE
    call snapshot_memory_map
    call reserve_limine_memmap
    call leave_firmware
    call build_limine_memmap
    jmp enter_kernel

.kernel_missing:
    lea rcx, [rel msg_kernel_missing]
    mov rdx, [rel kernel_name]
    lea r8, [rel msg_kernel_missing_end]
    call file_missing

; load_modules — read every module: the kernel's internal ones first (optional ones that are
; missing are dropped), then the entry's module_path lines; each "#hash" is checked on the
; bytes read, then gzip ones are decompressed.
; OUT: module_addresses, module_sizes, module_count.
load_modules:
    FRAME
    xor ebx, ebx                        ; module looked at
    xor r12d, r12d                      ; modules kept
.module:
    cmp rbx, [rel module_count]
    jae .done
    lea rax, [rel module_paths]
    mov rsi, [rax + rbx*8]
    mov rcx, rsi
    mov edx, MEM_KERNEL_AND_MODULES
    lea rax, [rel module_volumes]
    mov r8, [rax + rbx*8]
    lea rax, [rel module_compressed]
    cmp byte [rax + rbx], 0
    je .read
    mov edx, MEM_LOADER_RECLAIMABLE     ; a gzip module: only its decompressed bytes stay
.read:
    call read_file
    test rax, rax
    jz .missing
    mov r13, rax
    mov r14, rdx
    mov rcx, rax
    lea r8, [rel module_hashes]
    mov r8, [r8 + rbx*8]
    lea r9, [rel module_names]
    mov r9, [r9 + rbx*8]
    call check_file_hash
    mov rax, r13
    mov rdx, r14
    lea rcx, [rel module_compressed]
    cmp byte [rcx + rbx], 0
    je .loaded
    mov rcx, rax
    lea r8, [rel module_names]
    mov r8, [r8 + rbx*8]
    mov r9d, MEM_KERNEL_AND_MODULES
    call gunzip_file
.loaded:
    lea rcx, [rel module_addresses]
    mov [rcx + r12*8], rax
    lea rcx, [rel module_sizes]
    mov [rcx + r12*8], rdx
    lea rcx, [rel module_paths]
    mov [rcx + r12*8], rsi
    lea rcx, [rel module_volumes]
    mov rax, [rcx + rbx*8]
    mov [rcx + r12*8], rax
    lea rcx, [rel module_cmdlines]
    mov rax, [rcx + rbx*8]
    mov [rcx + r12*8], rax
    inc r12
.next:
    inc rbx
    jmp .module
.done:
    mov [rel module_count], r12
    UNFRAME
.missing:
    lea rax, [rel module_optional]
    cmp byte [rax + rbx], 0
    jne .next
    lea rcx, [rel msg_module_missing]
    lea rdx, [rel module_names]
    mov rdx, [rdx + rbx*8]
    lea r8, [rel msg_module_missing_end]
    call file_missing

section .data
align 8
loader_image_base:  dq 0                ; where this loader runs (identity-mapped until the jump)
loader_image_size:  dq 0
; the volume limine.conf is read from, boot() paths name (the platform fills what it knows)
boot_volume:        times VOL_SIZE db 0
kernel_volume:      dq 0                ; the volume kernel_path names (internal modules too)
config_text:        dq 0                ; limine.conf, macros expanded
declared_module_count: dq 0             ; module_path lines + internal modules
msg_kernel_missing: db "cannot open kernel file ", 0
msg_kernel_missing_end: db " named in limine.conf", 0
msg_module_missing: db "cannot open module file ", 0
msg_module_missing_end: db " (a module_path of limine.conf or a required internal module)", 0

%include "console.asm"
%include "config.asm"
%include "menu.asm"
%include "entry-path.asm"
%include "hhdm.asm"
%include "elf.asm"
%include "relocate.asm"
%include "reserved.asm"
%include "entry-state.asm"
%include "macros.asm"
%include "dtb.asm"
%include "requests.asm"
%include "video.asm"
%include "memmap.asm"
%include "paging.asm"
%include "handoff.asm"
%include "smp.asm"
%include "modules.asm"
%include "inflate.asm"
%include "file-hash.asm"
%include "blake2b.asm"
%include "blake3.asm"
