; uefi-platform.asm — the UEFI side of the platform layer boot.asm relies on (with
; uefi-file.asm: pages and files, and uefi-gop.asm: the framebuffer): the memory map
; snapshots, leaving boot services, ACPI and SMBIOS from the configuration table, the
; firmware's console, clock and Stall, and the EFI tables base revision 5 maps.

PLATFORM_FIRMWARE_TYPE  equ FIRMWARE_TYPE_UEFI64
%define PLATFORM_FW_TYPE_NAME "UEFI"
FIRST_CONFIG_LOCATION   equ 0           ; /EFI/BOOT/limine.conf first, as Limine on UEFI

section .text

; find_rsdp — OUT: rax = the ACPI RSDP (physical; the 2.0 one when there is one), or 0.
find_rsdp:
    lea rcx, [rel guid_acpi_20]
    call find_config_table
    test rax, rax
    jnz .done
    lea rcx, [rel guid_acpi_10]
    call find_config_table
.done:
    ret

; find_smbios — OUT: r12 = the 32-bit SMBIOS entry point, r13 = the 64-bit one (physical, 0: none).
; Clobbers rax, rcx, r8-r11.
find_smbios:
    lea rcx, [rel guid_smbios]
    call find_config_table
    mov r12, rax
    lea rcx, [rel guid_smbios3]
    call find_config_table
    mov r13, rax
    ret

; find_firmware_dtb — OUT: rax = the device tree of the EFI configuration table (physical),
; or 0.
find_firmware_dtb:
    lea rcx, [rel guid_dtb]
    jmp find_config_table

; platform_stall — IN: ecx = microseconds to wait (boot services' Stall).
platform_stall:
    FRAME
    mov rax, [rel boot_services]
    call [rax + BS_STALL]
    UNFRAME

; read_clock — IN: rcx = an EFI_TIME to fill (RT->GetTime). OUT: rax = 0 when it was read.
read_clock:
    FRAME
    mov rax, [rel system_table]
    mov rax, [rax + ST_RUNTIME_SERVICES]
    xor edx, edx
    call [rax + RT_GET_TIME]
    UNFRAME

; firmware_console_write — IN: rcx = zero-terminated UTF-16 text for ConOut.
firmware_console_write:
    FRAME
    mov rdx, rcx
    mov rax, [rel system_table]
    mov rcx, [rax + ST_CON_OUT]
    call [rcx + CON_OUTPUT_STRING]
    UNFRAME

; alloc_page_below_1m — one bootloader-reclaimable page below 1 MiB (the AP trampoline).
; OUT: rax = its address, 0 when there is none.
alloc_page_below_1m:
    FRAME
    mov qword [rel low_page], 0xfffff
    mov ecx, ALLOCATE_MAX_ADDRESS
    mov edx, MEM_LOADER_RECLAIMABLE
    mov r8d, 1
    lea r9, [rel low_page]
    mov rax, [rel boot_services]
    call [rax + BS_ALLOCATE_PAGES]
    test rax, rax
    jnz .none
    mov rax, [rel low_page]
    UNFRAME
.none:
    xor eax, eax
    UNFRAME

; file_missing — stop: "<before><path><after> (EFI status …)" for a file read_file could not
; open. IN: rcx = before, rdx = path, r8 = after.
file_missing:
    mov r9, [rel last_file_status]
    jmp fatal_status

; snapshot_memory_map — allocate a buffer and read the current UEFI memory map into it.
; IN: ecx = EFI memory type for the buffer. OUT: efi_map, efi_map_capacity, efi_map_size,
; efi_map_key, efi_descriptor_size, efi_descriptor_version.
; The buffer has room for 32 more descriptors: allocations made after this call (and
; this buffer itself) add a few.
snapshot_memory_map:
    FRAME
    mov ebx, ecx
    mov qword [rel efi_map_size], 0
    lea rcx, [rel efi_map_size]
    xor edx, edx
    lea r8, [rel efi_map_key]
    lea r9, [rel efi_descriptor_size]
    lea rax, [rel efi_descriptor_version]
    mov [rsp + 32], rax
    mov rax, [rel boot_services]
    call [rax + BS_GET_MEMORY_MAP]
    mov rcx, EFI_BUFFER_TOO_SMALL
    cmp rax, rcx
    jne .failed
    mov rax, [rel efi_descriptor_size]
    shl rax, 5
    add rax, [rel efi_map_size]
    mov [rel efi_map_capacity], rax
    lea rcx, [rax + PAGE_SIZE - 1]
    shr rcx, 12
    mov edx, ebx
    call alloc_pages
    mov [rel efi_map], rax
    call fetch_memory_map
    test rax, rax
    jnz .failed
    UNFRAME
.failed:
    mov r9, rax
    lea rcx, [rel msg_memory_map]
    xor edx, edx
    xor r8d, r8d
    call fatal_status

; fetch_memory_map — read the UEFI memory map into the existing efi_map buffer.
; OUT: rax = EFI status; efi_map_size, efi_map_key, descriptor size and version.
fetch_memory_map:
    FRAME
    mov rax, [rel efi_map_capacity]
    mov [rel efi_map_size], rax
    lea rcx, [rel efi_map_size]
    mov rdx, [rel efi_map]
    lea r8, [rel efi_map_key]
    lea r9, [rel efi_descriptor_size]
    lea rax, [rel efi_descriptor_version]
    mov [rsp + 32], rax
    mov rax, [rel boot_services]
    call [rax + BS_GET_MEMORY_MAP]
    UNFRAME

; leave_firmware — take the final memory map and leave boot services, retrying
; when the map changed in between (the spec allows the key to go stale once).
; Nothing may allocate or print between the two calls.
leave_firmware:
    FRAME
    mov ebx, 4                          ; attempts
.attempt:
    call fetch_memory_map
    test rax, rax
    jnz .failed
    mov rcx, [rel image_handle]
    mov rdx, [rel efi_map_key]
    mov rax, [rel boot_services]
    call [rax + BS_EXIT_BOOT_SERVICES]
    test rax, rax
    jz .exited
    dec ebx
    jnz .attempt
.failed:
    ; boot services may be half gone: report on COM1 only
    mov byte [rel firmware_console_active], 0
    mov r9, rax
    lea rcx, [rel msg_exit_failed]
    xor edx, edx
    xor r8d, r8d
    call fatal_status
.exited:
    cli
    mov byte [rel firmware_console_active], 0
    UNFRAME

; find_config_table — IN: rcx = GUID. OUT: rax = the vendor table of that GUID in the
; EFI configuration table, or 0.
find_config_table:
    mov rax, [rel system_table]
    mov r8, [rax + ST_CONFIG_TABLE_COUNT]
    mov r9, [rax + ST_CONFIG_TABLE]
    mov r10, [rcx]
    mov r11, [rcx + 8]
.entry:
    test r8, r8
    jz .none
    cmp [r9], r10
    jne .next
    cmp [r9 + 8], r11
    jne .next
    mov rax, [r9 + 16]
    ret
.next:
    add r9, CONFIG_TABLE_ENTRY_SIZE
    dec r8
    jmp .entry
.none:
    xor eax, eax
    ret

; add_firmware_reserved_mapped — base revision 5 on: the EFI system table with the runtime
; services table, the configuration table array and the firmware vendor string.
add_firmware_reserved_mapped:
    FRAME
    mov rbx, [rel system_table]
    mov rcx, rbx
    mov edx, [rbx + TABLE_HEADER_SIZE]
    call add_reserved_mapped
    mov rcx, [rbx + ST_RUNTIME_SERVICES]
    test rcx, rcx
    jz .config_tables
    mov edx, [rcx + TABLE_HEADER_SIZE]
    call add_reserved_mapped
.config_tables:
    mov rcx, [rbx + ST_CONFIG_TABLE]
    imul rdx, [rbx + ST_CONFIG_TABLE_COUNT], CONFIG_TABLE_ENTRY_SIZE
    call add_reserved_mapped
    mov rcx, [rbx + ST_FIRMWARE_VENDOR]
    test rcx, rcx
    jz .done
    xor edx, edx
.vendor_length:
    cmp word [rcx + rdx], 0
    je .vendor_end
    add rdx, 2
    cmp rdx, PAGE_SIZE
    jb .vendor_length
.vendor_end:
    add rdx, 2                          ; and its terminating NUL
    call add_reserved_mapped
.done:
    UNFRAME

; detect_serial_console — conout_on_serial = 1 when the ConOut variable (the console
; devices the firmware writes to) contains a UART device path node.
detect_serial_console:
    FRAME
    mov qword [rel console_paths_size], CONSOLE_PATHS_BYTES
    lea rcx, [rel variable_con_out]
    lea rdx, [rel guid_global_variable]
    xor r8d, r8d
    lea r9, [rel console_paths_size]
    lea rax, [rel console_paths]
    mov [rsp + 32], rax
    mov rax, [rel system_table]
    mov rax, [rax + ST_RUNTIME_SERVICES]
    call [rax + RT_GET_VARIABLE]
    test rax, rax
    jnz .done
    lea rsi, [rel console_paths]
    mov rdi, rsi
    add rdi, [rel console_paths_size]
.node:
    lea rax, [rsi + 4]
    cmp rax, rdi
    ja .done
    cmp word [rsi], DP_MESSAGING_UART
    jne .next
    mov byte [rel conout_on_serial], 1
    jmp .done
.next:
    movzx eax, word [rsi + 2]
    cmp eax, 4
    jb .done
    add rsi, rax
    jmp .node
.done:
    UNFRAME

; fatal_status — like fatal, for a failed UEFI call: "<before><detail><after> (EFI status 0x…)".
; IN: rcx, rdx, r8 as for fatal, r9 = the EFI_STATUS.
fatal_status:
    FRAME
    mov rsi, rcx
    mov rdi, rdx
    mov rbx, r8
    mov r12, r9
    lea rcx, [rel msg_error_prefix]
    call print
    mov rcx, rsi
    call print
    test rdi, rdi
    jz .no_detail
    mov rcx, rdi
    call print
.no_detail:
    test rbx, rbx
    jz .no_after
    mov rcx, rbx
    call print
.no_after:
    lea rcx, [rel msg_status]
    call print
    mov rcx, r12
    call print_hex
    mov rax, EFI_NOT_FOUND
    cmp r12, rax
    jne .status_named
    lea rcx, [rel msg_not_found]
    call print
.status_named:
    lea rcx, [rel msg_close_paren]
    call print
    jmp stop_machine

; volume_label_equals — IN: rcx = volume, rdx = label. OUT: eax = 1 when the volume's file
; system label (EFI_FILE_SYSTEM_INFO: FAT's volume label; ISO 9660: iso_label_equals) is
; that, ignoring ASCII case.
volume_label_equals:
    cmp byte [rcx + VOL_ISO], 0
    jne iso_label_equals
    FRAME
    mov rsi, rdx
    call volume_root
    test rax, rax
    jz .no
    mov rbx, rax
    mov qword [rel fs_info_size], FS_INFO_BUFFER_SIZE
    mov rcx, rbx
    lea rdx, [rel guid_file_system_info]
    lea r8, [rel fs_info_size]
    lea r9, [rel fs_info_buffer]
    call [rbx + FILE_GET_INFO]
    test rax, rax
    jnz .no
    lea rdi, [rel fs_info_buffer + FS_INFO_VOLUME_LABEL]
.char:
    movzx eax, word [rdi]
    cmp eax, 0x7f
    ja .no
    call lower_case_char
    mov edx, eax
    mov al, [rsi]
    call lower_case_char
    cmp al, dl
    jne .no
    test al, al
    jz .yes
    inc rsi
    add rdi, 2
    jmp .char
.yes:
    mov eax, 1
    UNFRAME
.no:
    xor eax, eax
    UNFRAME


section .data
align 8
low_page:           dq 0
msg_memory_map:     db "cannot read the UEFI memory map", 0
msg_exit_failed:    db "ExitBootServices failed", 0
guid_acpi_20:       GUID 0x8868e871, 0xe4f1, 0x11d3, 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81
guid_acpi_10:       GUID 0xeb9d2d30, 0x2d88, 0x11d3, 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d
guid_dtb:           GUID 0xb1b621d5, 0xf19c, 0x41a5, 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0
guid_smbios:        GUID 0xeb9d2d31, 0x2d88, 0x11d3, 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d
guid_smbios3:       GUID 0xf2fd1544, 0x9794, 0x4a2c, 0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94

CONSOLE_PATHS_BYTES equ 2048
align 8
console_paths_size: dq 0
console_paths:      times CONSOLE_PATHS_BYTES db 0
variable_con_out:   dw 'C', 'o', 'n', 'O', 'u', 't', 0
guid_global_variable: GUID 0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c
msg_status:         db " (EFI status ", 0
msg_not_found:      db ": not found", 0
msg_close_paren:    db ")", 10, 0
FS_INFO_BUFFER_SIZE equ 512
FS_INFO_VOLUME_LABEL equ 36
guid_file_system_info: GUID 0x09576e93, 0x6d3f, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b
align 8
fs_info_size:       dq 0
fs_info_buffer:     times FS_INFO_BUFFER_SIZE db 0
