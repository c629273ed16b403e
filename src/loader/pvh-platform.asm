; pvh-platform.asm — the PVH side of the platform layer boot.asm relies on (with
; pvh-fwcfg.asm: files, and pvh-vbe.asm: the framebuffer). No firmware services here:
; memory comes from the E820 map QEMU's PVH boot left in hvm_start_info (or fw_cfg's
; etc/e820), kept in UEFI descriptor layout so the shared memory map code reads it as it
; reads UEFI's; the clock is the CMOS RTC, the stall the PIT, tables are found by scanning.

PLATFORM_FIRMWARE_TYPE  equ FIRMWARE_TYPE_X86BIOS   ; the spec's value for a non-UEFI x86 boot
%define PLATFORM_FW_TYPE_NAME "BIOS"
FIRST_CONFIG_LOCATION   equ 1           ; no /EFI/BOOT/limine.conf: that is UEFI's place

E820_USABLE             equ 1
E820_RESERVED           equ 2
E820_ACPI               equ 3
E820_NVS                equ 4
E820_UNUSABLE           equ 5
REGION_SIZE             equ 32          ; an EFI_MEMORY_DESCRIPTOR without attributes
MAX_REGIONS             equ 256
LOW_MEMORY_LIMIT        equ 0x100000    ; a SIPI vector is a page number below 1 MiB

section .text

; init_memory_map — the region table from an E820 map: usable ranges shrunk to whole pages,
; the others grown to whole pages, then this loader's own image marked as loader code.
; IN: rcx = the map (physical, 0 for none: fw_cfg's etc/e820 is read instead), edx = entry
; count, r8d = entry size.
init_memory_map:
    FRAME
    mov rsi, rcx
    mov r12d, edx
    mov r13d, r8d
    test rsi, rsi
    jz .from_fw_cfg
    test r12d, r12d
    jnz .entries
.from_fw_cfg:
    call read_fw_cfg_e820               ; rsi = entries, r12d = count, r13d = size
.entries:
    test r12d, r12d
    jz .empty
.entry:
    mov rcx, [rsi]                      ; base
    mov rdx, [rsi + 8]
    add rdx, rcx                        ; end
    mov eax, [rsi + 16]
    mov r8d, EFI_CONVENTIONAL
    cmp eax, E820_USABLE
    je .usable
    mov r8d, EFI_ACPI_RECLAIM
    cmp eax, E820_ACPI
    je .grow
    mov r8d, EFI_ACPI_NVS
    cmp eax, E820_NVS
    je .grow
    mov r8d, EFI_UNUSABLE
    cmp eax, E820_UNUSABLE
    je .grow
    mov r8d, EFI_RESERVED
.grow:
    and rcx, -PAGE_SIZE
    add rdx, PAGE_SIZE - 1
    and rdx, -PAGE_SIZE
    jmp .add
.usable:
    add rcx, PAGE_SIZE - 1
    and rcx, -PAGE_SIZE
    and rdx, -PAGE_SIZE
.add:
    cmp rdx, rcx
    jbe .next
    call append_region
.next:
    add rsi, r13
    dec r12d
    jnz .entry
    ; this loader's image (code, data, the boot page tables and stack): reclaimable
    mov rcx, [rel loader_image_base]
    mov rdx, [rel loader_image_size]
    add rdx, rcx
    mov r8d, EFI_LOADER_CODE
    call mark_region
    UNFRAME
.empty:
    FAIL msg_no_memory_map

; append_region — IN: rcx = base, rdx = end (page-aligned, end > base), r8d = EFI type.
; Clobbers rax, r9.
append_region:
    mov rax, [rel region_count]
    cmp rax, MAX_REGIONS
    jae .full
    imul rax, rax, REGION_SIZE
    lea r9, [rel region_table]
    add r9, rax
    mov [r9 + MD_TYPE], r8d
    mov [r9 + MD_PHYSICAL_START], rcx
    mov qword [r9 + 16], 0
    mov rax, rdx
    sub rax, rcx
    shr rax, 12
    mov [r9 + MD_NUMBER_OF_PAGES], rax
    inc qword [rel region_count]
    ret
.full:
    sub rsp, 8
    FAIL msg_too_many_regions

; mark_region — give [rcx, rdx) the type r8d. The range must lie inside one usable region,
; which is split around it; a range that touches a region of the same type joins it.
mark_region:
    FRAME
    mov r12, rcx
    mov r13, rdx
    mov r14d, r8d
    lea rsi, [rel region_table]
    mov rdi, [rel region_count]
.find:
    test rdi, rdi
    jz .not_usable
    cmp dword [rsi + MD_TYPE], EFI_CONVENTIONAL
    jne .find_next
    mov rax, [rsi + MD_PHYSICAL_START]
    cmp r12, rax
    jb .find_next
    mov rbx, [rsi + MD_NUMBER_OF_PAGES]
    shl rbx, 12
    add rbx, rax                        ; the region's end
    cmp r13, rbx
    jbe .found
.find_next:
    add rsi, REGION_SIZE
    dec rdi
    jmp .find
.found:
    ; the usable rest above the range
    cmp r13, rbx
    je .no_tail
    mov rcx, r13
    mov rdx, rbx
    mov r8d, EFI_CONVENTIONAL
    call append_region
.no_tail:
    mov rax, [rsi + MD_PHYSICAL_START]
    cmp rax, r12
    jne .keep_head
    ; the range starts the region: the region becomes the range
    mov [rsi + MD_TYPE], r14d
    mov rax, r13
    sub rax, r12
    shr rax, 12
    mov [rsi + MD_NUMBER_OF_PAGES], rax
    UNFRAME
.keep_head:
    mov rax, r12
    sub rax, [rsi + MD_PHYSICAL_START]
    shr rax, 12
    mov [rsi + MD_NUMBER_OF_PAGES], rax
    ; a neighbour above of the same type (the previous allocation, top-down) grows down
    lea rdi, [rel region_table]
    mov rcx, [rel region_count]
.neighbour:
    test rcx, rcx
    jz .append
    cmp [rdi + MD_TYPE], r14d
    jne .neighbour_next
    cmp [rdi + MD_PHYSICAL_START], r13
    jne .neighbour_next
    mov [rdi + MD_PHYSICAL_START], r12
    mov rax, r13
    sub rax, r12
    shr rax, 12
    add [rdi + MD_NUMBER_OF_PAGES], rax
    UNFRAME
.neighbour_next:
    add rdi, REGION_SIZE
    dec rcx
    jmp .neighbour
.append:
    mov rcx, r12
    mov rdx, r13
    mov r8d, r14d
    call append_region
    UNFRAME
.not_usable:
    FAIL msg_region_not_usable

; find_free_pages — the highest rcx pages of usable memory that end at or below rdx (never
; page 0) and start at a multiple of r8 (a power of two, at least PAGE_SIZE).
; OUT: rax = their base, 0 when no usable region has room.
find_free_pages:
    push rbx
    push rsi
    push rdi
    push r12
    mov r12, r8
    neg r12                             ; the alignment as a mask
    mov rdi, rcx
    shl rdi, 12                         ; bytes wanted
    xor eax, eax                        ; best base so far
    lea rsi, [rel region_table]
    mov r9, [rel region_count]
.region:
    test r9, r9
    jz .done
    cmp dword [rsi + MD_TYPE], EFI_CONVENTIONAL
    jne .next
    mov r10, [rsi + MD_PHYSICAL_START]
    mov r11, [rsi + MD_NUMBER_OF_PAGES]
    shl r11, 12
    add r11, r10                        ; end
    cmp r11, rdx
    cmova r11, rdx                      ; clipped to the limit
    cmp r10, PAGE_SIZE
    jae .floor_ok
    mov r10d, PAGE_SIZE
.floor_ok:
    cmp r11, r10
    jbe .next
    mov rbx, r11
    sub rbx, r10
    cmp rbx, rdi
    jb .next
    mov rbx, r11
    sub rbx, rdi
    and rbx, r12                        ; the highest aligned base that still fits
    cmp rbx, r10
    jb .next
    cmp rbx, rax
    jbe .next
    mov rax, rbx
.next:
    add rsi, REGION_SIZE
    dec r9
    jmp .region
.done:
    pop r12
    pop rdi
    pop rsi
    pop rbx
    ret

; alloc_pages — zeroed whole pages below 4 GiB (the loader runs identity-mapped there), taken
; from the top of usable memory, or stop with a message.
; IN: rcx = page count, rdx = EFI memory type. OUT: rax = physical address.
alloc_pages:
    mov r8d, PAGE_SIZE
    ; fall through
; alloc_pages_aligned — alloc_pages whose address is a multiple of r8 (a power of two, at
; least PAGE_SIZE): the kernel's image, aligned to its largest p_align as Limine places it.
; IN: rcx = page count, rdx = EFI memory type, r8 = alignment. OUT: rax = physical address.
alloc_pages_aligned:
    FRAME
    mov rbx, rcx
    mov r12d, edx
    mov rdx, LOW_MAPPED_LIMIT
    call find_free_pages
    test rax, rax
    jz .out_of_memory
    mov r13, rax
    mov rcx, rax
    mov rdx, rbx
    shl rdx, 12
    add rdx, rax
    mov r8d, r12d
    call mark_region
    mov rdi, r13
    mov rcx, rbx
    shl rcx, 12
    xor eax, eax
    rep stosb
    mov rax, r13
    UNFRAME
.out_of_memory:
    FAIL msg_out_of_memory

; alloc_page_below_1m — one zeroed bootloader-reclaimable page below 1 MiB (the AP
; trampoline). OUT: rax = its address, 0 when there is none.
alloc_page_below_1m:
    FRAME
    mov ecx, 1
    mov edx, LOW_MEMORY_LIMIT
    mov r8d, PAGE_SIZE
    call find_free_pages
    test rax, rax
    jz .done
    mov rbx, rax
    mov rcx, rax
    lea rdx, [rax + PAGE_SIZE]
    mov r8d, MEM_LOADER_RECLAIMABLE
    call mark_region
    mov rdi, rbx
    mov ecx, PAGE_SIZE
    xor eax, eax
    rep stosb
    mov rax, rbx
.done:
    UNFRAME

; copy_regions — the region table into efi_map. Stops when it outgrew the buffer.
copy_regions:
    push rsi
    push rdi
    mov rcx, [rel region_count]
    imul rcx, rcx, REGION_SIZE
    cmp rcx, [rel efi_map_capacity]
    ja .too_big
    mov [rel efi_map_size], rcx
    lea rsi, [rel region_table]
    mov rdi, [rel efi_map]
    rep movsb
    pop rdi
    pop rsi
    ret
.too_big:
    FAIL msg_too_many_regions

; snapshot_memory_map — a copy of the region table in fresh pages (with room for 32 more
; regions: later allocations add a few). IN: ecx = EFI memory type for the buffer.
; OUT: efi_map, efi_map_capacity, efi_map_size, efi_descriptor_size, efi_descriptor_version.
snapshot_memory_map:
    FRAME
    mov edx, ecx
    mov rcx, [rel region_count]
    add rcx, 32
    imul rcx, rcx, REGION_SIZE
    mov rbx, rcx
    add rcx, PAGE_SIZE - 1
    shr rcx, 12
    call alloc_pages
    mov [rel efi_map], rax
    mov [rel efi_map_capacity], rbx
    mov qword [rel efi_descriptor_size], REGION_SIZE
    mov qword [rel efi_descriptor_version], 1
    call copy_regions
    UNFRAME

; leave_firmware — the final memory map (nothing allocates after this), interrupts off.
leave_firmware:
    FRAME
    call copy_regions
    cli
    UNFRAME

; find_rsdp — OUT: rax = the ACPI RSDP: hvm_start_info's, else one found in the BIOS area
; (the EBDA's first KiB, then 0xe0000-0xfffff, 16-byte aligned, checksum of its first 20
; bytes zero), else 0.
find_rsdp:
    mov rax, [rel pvh_rsdp]
    test rax, rax
    jnz .done
    mov eax, BDA_EBDA_SEGMENT
    movzx eax, word [rax]               ; the EBDA's segment, from the BIOS data area
    shl eax, 4
    lea rdx, [rax + 1024]
    call scan_for_rsdp
    test rax, rax
    jnz .done
    mov eax, 0xe0000
    mov edx, 0x100000
    call scan_for_rsdp
.done:
    ret

; scan_for_rsdp — IN: rax = start, rdx = end. OUT: rax = the RSDP or 0. Clobbers rcx, r8-r9.
scan_for_rsdp:
    test rax, rax
    jz .none
    mov r8, RSDP_SIGNATURE
.candidate:
    cmp rax, rdx
    jae .none
    cmp [rax], r8
    jne .next
    xor ecx, ecx
    xor r9d, r9d
.sum:
    add r9b, [rax + rcx]
    inc ecx
    cmp ecx, RSDP_V1_LENGTH
    jb .sum
    test r9b, r9b
    jz .found
.next:
    add rax, 16
    jmp .candidate
.none:
    xor eax, eax
.found:
    ret

; find_firmware_dtb — OUT: rax = 0 (a PVH boot hands over no device tree).
find_firmware_dtb:
    xor eax, eax
    ret

; find_smbios — the SMBIOS entry points in 0xf0000-0xfffff, 16-byte aligned.
; OUT: r12 = the 32-bit one ("_SM_"), r13 = the 64-bit one ("_SM3_"), each 0 when absent.
find_smbios:
    xor r12d, r12d
    xor r13d, r13d
    mov eax, 0xf0000
.candidate:
    cmp eax, 0x100000
    jae .done
    cmp dword [rax], SMBIOS_ANCHOR
    jne .not_32
    test r12, r12
    jnz .next
    mov r12, rax
    jmp .next
.not_32:
    cmp dword [rax], SMBIOS3_ANCHOR
    jne .next
    cmp byte [rax + 4], '_'
    jne .next
    test r13, r13
    jnz .next
    mov r13, rax
.next:
    add eax, 16
    jmp .candidate
.done:
    ret

; platform_stall — IN: ecx = microseconds (at most ~54 000): PIT channel 2 counts them down
; (mode 0: its output, bit 5 of port 0x61, rises at zero). Bounded: without a PIT it returns.
platform_stall:
    mov eax, ecx
    mov ecx, PIT_HZ
    mul rcx
    mov ecx, 1000000
    div rcx                             ; ticks
    mov ecx, eax
    in al, PIT_CONTROL_PORT_B
    and al, ~(PORT_B_GATE2 | PORT_B_SPEAKER)
    out PIT_CONTROL_PORT_B, al          ; gate low while it is programmed
    mov al, PIT_CHANNEL2_MODE0
    out PIT_COMMAND, al
    mov al, cl
    out PIT_CHANNEL2, al
    mov al, ch
    out PIT_CHANNEL2, al
    in al, PIT_CONTROL_PORT_B
    or al, PORT_B_GATE2
    out PIT_CONTROL_PORT_B, al
    mov ecx, STALL_POLL_LIMIT
.wait:
    in al, PIT_CONTROL_PORT_B
    test al, PORT_B_OUT2
    jnz .done
    dec ecx
    jnz .wait
.done:
    ret

; cmos_read — IN: cl = register. OUT: al. Leaves NMIs enabled as QEMU boots them.
cmos_read:
    mov al, cl
    out CMOS_INDEX, al
    in al, CMOS_DATA
    ret

; bcd_to_binary — IN: al (BCD). OUT: al. Clobbers ah.
bcd_to_binary:
    mov ah, al
    shr ah, 4
    and al, 0x0f
    push rcx
    mov cl, al
    mov al, ah
    mov ah, 10
    mul ah
    add al, cl
    pop rcx
    ret

; read_clock — the CMOS RTC into an EFI_TIME. IN: rcx = the EFI_TIME. OUT: rax = 0.
read_clock:
    push rbx
    push rdi
    mov rdi, rcx
    mov ebx, STALL_POLL_LIMIT
.update:
    mov cl, CMOS_STATUS_A
    call cmos_read
    test al, CMOS_UPDATE_IN_PROGRESS
    jz .stable
    dec ebx
    jnz .update
.stable:
    mov cl, CMOS_STATUS_B
    call cmos_read
    mov bl, al                          ; bit 2: binary, bit 1: 24-hour
    mov cl, CMOS_SECONDS
    call .field
    mov [rdi + TIME_SECOND], al
    mov cl, CMOS_MINUTES
    call .field
    mov [rdi + TIME_MINUTE], al
    mov cl, CMOS_HOURS
    call cmos_read
    mov bh, al
    and al, 0x7f
    test bl, CMOS_BINARY
    jnz .hour_binary
    call bcd_to_binary
.hour_binary:
    test bl, CMOS_24_HOUR
    jnz .hour_done
    cmp al, 12
    jne .twelve_hour
    xor eax, eax                        ; 12 AM is 0, 12 PM is 12
.twelve_hour:
    test bh, 0x80
    jz .hour_done
    add al, 12
.hour_done:
    mov [rdi + TIME_HOUR], al
    mov cl, CMOS_DAY
    call .field
    mov [rdi + TIME_DAY], al
    mov cl, CMOS_MONTH
    call .field
    mov [rdi + TIME_MONTH], al
    mov cl, CMOS_CENTURY
    call .field
    movzx edx, al
    test edx, edx
    jnz .century
    mov edx, 20                         ; no century register: this one
.century:
    imul edx, edx, 100
    mov cl, CMOS_YEAR
    call .field
    movzx eax, al
    add eax, edx
    mov [rdi + TIME_YEAR], ax
    xor eax, eax
    pop rdi
    pop rbx
    ret
.field:                                 ; cl = register -> al in binary
    call cmos_read
    test bl, CMOS_BINARY
    jnz .binary
    call bcd_to_binary
.binary:
    ret

; The parts of the platform layer that only UEFI has.
firmware_console_write:                 ; no console but COM1
add_firmware_reserved_mapped:           ; no EFI tables to keep mapped
    ret

; Volumes: fw_cfg files have none, so boot() (any partition) is all a path can name and no
; label or GUID matches. OUT: rax = 0 (no volume; eax = 0: no match).
volume_by_coordinates:
volume_on_boot_disk:
volume_by_guid:
volume_by_label:
volume_label_equals:
    xor eax, eax
    ret

section .data
PIT_HZ              equ 1193182
PIT_CHANNEL2        equ 0x42
PIT_COMMAND         equ 0x43
PIT_CHANNEL2_MODE0  equ 0xb0                ; channel 2, low then high byte, mode 0, binary
PIT_CONTROL_PORT_B  equ 0x61
PORT_B_GATE2        equ 1 << 0
PORT_B_SPEAKER      equ 1 << 1
PORT_B_OUT2         equ 1 << 5
STALL_POLL_LIMIT    equ 10000000
CMOS_INDEX          equ 0x70
CMOS_DATA           equ 0x71
CMOS_SECONDS        equ 0x00
CMOS_MINUTES        equ 0x02
CMOS_HOURS          equ 0x04
CMOS_DAY            equ 0x07
CMOS_MONTH          equ 0x08
CMOS_YEAR           equ 0x09
CMOS_STATUS_A       equ 0x0a
CMOS_STATUS_B       equ 0x0b
CMOS_CENTURY        equ 0x32
CMOS_UPDATE_IN_PROGRESS equ 0x80
CMOS_BINARY         equ 1 << 2
CMOS_24_HOUR        equ 1 << 1
BDA_EBDA_SEGMENT    equ 0x40e
RSDP_SIGNATURE      equ 0x2052545020445352      ; "RSD PTR "
SMBIOS_ANCHOR       equ 0x5f4d535f              ; "_SM_"
SMBIOS3_ANCHOR      equ 0x334d535f              ; "_SM3" (then "_")
align 8
system_table:       dq 0                        ; not booted by UEFI: EFI requests stay unanswered
region_count:       dq 0
region_table:       times MAX_REGIONS * REGION_SIZE db 0
msg_no_memory_map:  db "no memory map: hvm_start_info has none and fw_cfg has no etc/e820", 0
msg_too_many_regions: db "more than 256 memory map regions", 0
msg_region_not_usable: db "this loader's image (at 1 MiB) is not in usable RAM of the E820 map", 0
msg_out_of_memory:  db "out of memory below 4 GiB while allocating boot structures", 0
msg_no_volume_detail: db "' (the direct loader reads QEMU fw_cfg files, named as boot() paths: it has no disks, partitions or file systems)", 0
