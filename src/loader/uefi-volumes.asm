; uefi-volumes.asm — the volumes hdd(), odd(), boot(N), guid() and fslabel() paths name, found
; as Limine's UEFI disk index finds them (common/drivers/disk.s2.c, common/lib/part.s2.c).
;
; Drives: every Block I/O handle, in the firmware's order, that is a whole medium (not a
; LogicalPartition), has blocks and reads 4 KiB at LBA 0. Limine calls one optical when
; writing those 4 KiB back fails; here a ReadOnly medium is optical — the reason such a
; write fails (EDK2 refuses it before touching the device), without writing to disks.
; Hard disks and optical drives are numbered apart, each from 1, in that order.
;
; Volumes: rather than parse partition tables and read FAT itself, the loader takes the
; firmware's Simple File System handles. Each one's device path is its drive's path plus
; (for a partition) a hard drive node carrying the partition number, and the numbers are
; Limine's: GPT entry index + 1, MBR primary slot 1-4, logical partitions from 5, and a
; file system on the whole medium (no media node) is partition 0. The node also carries
; the GPT partition GUID or MBR signature struct limine_file reports. So the firmware's
; own partition and FAT drivers (FAT12/16/32, long names) read the files, as they read
; the loader's own volume. OVMF has no ISO 9660 driver: a whole medium with no firmware
; file system but an ISO 9660 descriptor is volume 0 of its drive, read by
; uefi-iso9660.asm. What this does not see that Limine does: partitions the firmware does
; not expose (EDK2 checks GPT CRCs, Limine does not), partitions of a hybrid ISO's table on
; a CD (EDK2 gives a CD its El Torito images instead: CD-ROM nodes, no partition number,
; not listed), ISO 9660 inside a partition, and the whole-disk volume of a GPT disk that
; Limine matches by the disk GUID (it has no file system of its own).
; Search order (fslabel, guid) is Limine's: drive order, then partition number.

section .text

; build_volume_index — list the drives and the volumes on them, once.
; OUT: disk_table/disk_count, volume_table/volume_count, the boot volume's drive.
build_volume_index:
    FRAME
    cmp byte [rel volume_index_built], 0
    jne .done
    mov byte [rel volume_index_built], 1
    mov ecx, 1
    mov edx, EFI_LOADER_DATA
    call alloc_pages
    mov [rel sector_page], rax
    lea rcx, [rel guid_block_io]
    call locate_handles
    test rax, rax
    jz .volumes
    xor r12d, r12d                      ; handle looked at
.disk:
    cmp r12, [rel handle_count]
    jae .disks_done
    mov rax, [rel handle_buffer]
    mov r13, [rax + r12*8]
    inc r12
    mov rcx, r13
    lea rdx, [rel guid_block_io]
    call handle_protocol
    test rax, rax
    jz .disk
    mov r14, rax                        ; EFI_BLOCK_IO_PROTOCOL
    mov r15, [r14 + BLOCK_IO_MEDIA]
    cmp qword [r15 + MEDIA_LAST_BLOCK], 0
    je .disk
    cmp byte [r15 + MEDIA_LOGICAL_PARTITION], 0
    jne .disk
    mov rcx, r14
    mov edx, [r15 + MEDIA_ID]
    xor r8d, r8d
    mov r9d, PAGE_SIZE
    mov rax, [rel sector_page]
    mov [rsp + 32], rax
    call [r14 + BLOCK_IO_READ_BLOCKS]
    test rax, rax
    jnz .disk                           ; no medium, or blocks larger than 4 KiB: as Limine
    mov rbx, [rel disk_count]
    cmp rbx, MAX_DISKS
    jae .disks_done
    inc qword [rel disk_count]
    imul rbx, rbx, DISK_SIZE
    lea rax, [rel disk_table]
    add rbx, rax
    lea rcx, [rel hdd_count]
    mov al, [r15 + MEDIA_READ_ONLY]
    test al, al
    jz .count
    mov byte [rbx + DISK_OPTICAL], 1
    lea rcx, [rel odd_count]
.count:
    inc dword [rcx]
    mov eax, [rcx]
    mov [rbx + DISK_NUMBER], eax
    ; the GPT header at byte 512 (Limine's 512-byte sectors on any medium)
    mov rsi, [rel sector_page]
    mov rax, GPT_SIGNATURE
    cmp [rsi + 512], rax
    jne .no_gpt
    cmp dword [rsi + 512 + GPT_REVISION], GPT_REVISION_1_0
    jne .no_gpt
    mov rax, [rsi + 512 + GPT_DISK_GUID]
    mov [rbx + DISK_GPT_GUID], rax
    mov rax, [rsi + 512 + GPT_DISK_GUID + 8]
    mov [rbx + DISK_GPT_GUID + 8], rax
.no_gpt:
    ; its partitions and file systems, in case the firmware has not connected them
    mov rcx, r13
    xor edx, edx
    xor r8d, r8d
    mov r9d, 1                          ; recursively
    mov rax, [rel boot_services]
    call [rax + BS_CONNECT_CONTROLLER]
    mov [rbx + DISK_BLOCK_IO], r14
    mov rcx, r13
    lea rdx, [rel guid_device_path]
    call handle_protocol
    mov [rbx + DISK_PATH], rax          ; 0: no path, so no volume can be matched to it
    test rax, rax
    jz .disk
    mov rcx, rax
    call device_path_size
    mov [rbx + DISK_PATH_SIZE], rax
    jmp .disk
.disks_done:
    call free_handles
.volumes:
    lea rcx, [rel guid_simple_file_system]
    call locate_handles
    test rax, rax
    jz .boot_drive
    xor r12d, r12d
.volume:
    cmp r12, [rel handle_count]
    jae .volumes_done
    cmp qword [rel volume_count], MAX_VOLUMES
    jae .volumes_done
    mov rax, [rel handle_buffer]
    mov r13, [rax + r12*8]
    inc r12
    lea rdi, [rel candidate_volume]
    mov ecx, VOL_SIZE
    xor eax, eax
    rep stosb
    mov rcx, r13
    lea rdx, [rel guid_simple_file_system]
    call handle_protocol
    mov [rel candidate_volume + VOL_FILE_SYSTEM], rax
    test rax, rax
    jz .volume
    mov rcx, r13
    lea rdx, [rel guid_device_path]
    call handle_protocol
    test rax, rax
    jz .volume
    mov rsi, rax
    mov rcx, rax
    lea rdx, [rel candidate_volume]
    call describe_volume
    cmp byte [rax], DP_TYPE_MEDIA
    jne .prefix
    cmp byte [rax + 1], DP_MEDIA_CDROM
    je .volume                          ; an El Torito image: not a numbered partition
.prefix:
    mov r14, rax
    sub r14, rsi                        ; the drive's part of the path
    xor r15d, r15d
.match:
    cmp r15, [rel disk_count]
    jae .volume                         ; on no listed drive
    imul rbx, r15, DISK_SIZE
    lea rax, [rel disk_table]
    add rbx, rax
    inc r15
    mov rdi, [rbx + DISK_PATH]
    test rdi, rdi
    jz .match
    cmp [rbx + DISK_PATH_SIZE], r14
    jne .match
    mov r8, rsi
    mov rcx, r14
    repe cmpsb
    mov rsi, r8
    jne .match
    lea rdi, [rel candidate_volume]
    mov eax, [rbx + DISK_NUMBER]
    mov [rdi + VOL_DISK], eax
    lea eax, [r15 - 1]
    mov [rdi + VOL_ORDER], eax
    mov al, [rbx + DISK_OPTICAL]
    mov [rdi + VOL_OPTICAL], al
    test al, al
    jz .not_optical
    mov dword [rdi + VOL_MEDIA_TYPE], MEDIA_TYPE_OPTICAL
.not_optical:
    cmp byte [rdi + VOL_HAS_PART_GUID], 0
    je .insert
    mov rax, [rbx + DISK_GPT_GUID]
    mov [rdi + VOL_GPT_DISK_UUID], rax
    mov rax, [rbx + DISK_GPT_GUID + 8]
    mov [rdi + VOL_GPT_DISK_UUID + 8], rax
.insert:
    call insert_candidate
    jmp .volume
.volumes_done:
    call free_handles
.boot_drive:
    call add_iso9660_volumes
    ; which drive the loader's own volume is on, for boot(N)
    mov rax, [rel boot_volume + VOL_FILE_SYSTEM]
    lea rsi, [rel volume_table]
    mov rcx, [rel volume_count]
.find_boot:
    test rcx, rcx
    jz .done
    cmp [rsi + VOL_FILE_SYSTEM], rax
    je .boot_found
    add rsi, VOL_SIZE
    dec rcx
    jmp .find_boot
.boot_found:
    mov eax, [rsi + VOL_DISK]
    mov [rel boot_volume + VOL_DISK], eax
    mov eax, [rsi + VOL_ORDER]
    mov [rel boot_volume + VOL_ORDER], eax
    mov al, [rsi + VOL_OPTICAL]
    mov [rel boot_volume + VOL_OPTICAL], al
.done:
    UNFRAME

; insert_candidate — add candidate_volume to volume_table, kept sorted by (drive order,
; partition): the order searches go in. Stops adding at MAX_VOLUMES.
insert_candidate:
    mov r10, [rel volume_count]
    cmp r10, MAX_VOLUMES
    jae .full
    lea rdi, [rel candidate_volume]
    mov eax, [rdi + VOL_ORDER]
    shl rax, 32
    mov ecx, [rdi + VOL_PARTITION]
    or rax, rcx
    mov r9, rax                         ; the candidate's key
    lea r11, [rel volume_table]
.shift:
    test r10, r10
    jz .place
    imul rsi, r10, VOL_SIZE
    add rsi, r11
    sub rsi, VOL_SIZE                   ; the record before the free slot
    mov eax, [rsi + VOL_ORDER]
    shl rax, 32
    mov ecx, [rsi + VOL_PARTITION]
    or rax, rcx
    cmp rax, r9
    jbe .place
    lea rdi, [rsi + VOL_SIZE]
    mov ecx, VOL_SIZE
    rep movsb
    dec r10
    jmp .shift
.place:
    imul rdi, r10, VOL_SIZE
    add rdi, r11
    lea rsi, [rel candidate_volume]
    mov ecx, VOL_SIZE
    rep movsb
    inc qword [rel volume_count]
.full:
    ret

; add_iso9660_volumes — a drive whose whole medium has no firmware file system but an ISO
; 9660 primary volume descriptor (byte 32768) is volume 0 of that drive, read by
; iso9660.asm (OVMF has no ISO 9660 driver; Limine reads ISO 9660 itself).
add_iso9660_volumes:
    FRAME
    xor r15d, r15d                      ; drive
.disk:
    cmp r15, [rel disk_count]
    jae .done
    imul rbx, r15, DISK_SIZE
    lea rax, [rel disk_table]
    add rbx, rax
    inc r15
    movzx ecx, byte [rbx + DISK_OPTICAL]
    mov edx, [rbx + DISK_NUMBER]
    xor r8d, r8d
    call find_volume
    test rax, rax
    jnz .disk                           ; the firmware reads its whole medium already
    mov rcx, [rbx + DISK_BLOCK_IO]
    mov rdx, ISO_DESCRIPTOR_OFFSET
    mov r8d, ISO_SECTOR
    mov r9, [rel sector_page]
    call read_bytes
    test eax, eax
    jz .disk
    mov rsi, [rel sector_page]
    cmp byte [rsi], ISO_PRIMARY_DESCRIPTOR
    jne .disk
    mov eax, [rsi + 1]
    cmp eax, ISO_STANDARD_ID_LOW        ; "CD00" then "1"
    jne .disk
    cmp byte [rsi + 5], '1'
    jne .disk
    lea rdi, [rel candidate_volume]
    mov ecx, VOL_SIZE
    xor eax, eax
    rep stosb
    lea rdi, [rel candidate_volume]
    mov byte [rdi + VOL_ISO], 1
    mov rax, [rbx + DISK_BLOCK_IO]
    mov [rdi + VOL_BLOCK_IO], rax
    mov eax, [rsi + ISO_ROOT_RECORD + ISO_RECORD_EXTENT]
    mov [rdi + VOL_ISO_ROOT_LBA], eax
    mov eax, [rsi + ISO_ROOT_RECORD + ISO_RECORD_SIZE]
    mov [rdi + VOL_ISO_ROOT_SIZE], eax
    mov eax, [rbx + DISK_NUMBER]
    mov [rdi + VOL_DISK], eax
    lea eax, [r15 - 1]
    mov [rdi + VOL_ORDER], eax
    mov al, [rbx + DISK_OPTICAL]
    mov [rdi + VOL_OPTICAL], al
    test al, al
    jz .insert
    mov dword [rdi + VOL_MEDIA_TYPE], MEDIA_TYPE_OPTICAL
.insert:
    call insert_candidate
    jmp .disk
.done:
    UNFRAME

; read_bytes — read from a medium through its Block I/O, at a byte offset that is a whole
; number of its blocks. IN: rcx = EFI_BLOCK_IO_PROTOCOL, rdx = byte offset, r8 = byte count
; (rounded up to whole blocks: the buffer must have room), r9 = buffer.
; OUT: eax = 1 when read, 0 on failure or an offset between blocks.
read_bytes:
    FRAME
    mov rbx, rcx
    mov rsi, [rbx + BLOCK_IO_MEDIA]
    mov ecx, [rsi + MEDIA_BLOCK_SIZE]
    test ecx, ecx
    jz .fail
    mov rax, rdx
    xor edx, edx
    div rcx
    test rdx, rdx
    jnz .fail
    mov r10, rax                        ; first block
    lea rax, [r8 + rcx - 1]
    xor edx, edx
    div rcx
    imul rax, rcx                       ; whole blocks
    test rax, rax
    jz .read                            ; nothing to read
    mov [rsp + 32], r9
    mov r9, rax
    mov r8, r10
    mov edx, [rsi + MEDIA_ID]
    mov rcx, rbx
    call [rbx + BLOCK_IO_READ_BLOCKS]
    test rax, rax
    jnz .fail
.read:
    mov eax, 1
    UNFRAME
.fail:
    xor eax, eax
    UNFRAME

; locate_handles — IN: rcx = protocol GUID. OUT: handle_buffer, handle_count; rax = the
; count (0 when none or on failure).
locate_handles:
    FRAME
    mov rdx, rcx
    mov ecx, LOCATE_BY_PROTOCOL
    xor r8d, r8d
    lea r9, [rel handle_count]
    lea rax, [rel handle_buffer]
    mov [rsp + 32], rax
    mov rax, [rel boot_services]
    call [rax + BS_LOCATE_HANDLE_BUFFER]
    test rax, rax
    jz .found
    mov qword [rel handle_count], 0
    mov qword [rel handle_buffer], 0
.found:
    mov rax, [rel handle_count]
    UNFRAME

; free_handles — give locate_handles's buffer back to the firmware.
free_handles:
    FRAME
    mov rcx, [rel handle_buffer]
    test rcx, rcx
    jz .done
    mov rax, [rel boot_services]
    call [rax + BS_FREE_POOL]
    mov qword [rel handle_buffer], 0
.done:
    UNFRAME

; handle_protocol — IN: rcx = handle, rdx = protocol GUID. OUT: rax = the interface, or 0.
handle_protocol:
    FRAME
    mov qword [rel protocol_interface], 0
    lea r8, [rel protocol_interface]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    mov rdx, rax
    xor eax, eax
    test rdx, rdx
    jnz .out
    mov rax, [rel protocol_interface]
.out:
    UNFRAME

; device_path_size — IN: rcx = device path. OUT: rax = its bytes before the first end node.
device_path_size:
    mov rax, rcx
.node:
    cmp byte [rax], DP_TYPE_END
    je .done
    movzx edx, word [rax + 2]
    cmp edx, 4
    jb .done                            ; malformed: stop there
    add rax, rdx
    jmp .node
.done:
    sub rax, rcx
    ret

; volume_by_coordinates — hdd(D:P) / odd(D:P). IN: ecx = 1 for an optical drive, edx =
; drive number, r8d = partition (0: the whole medium). OUT: rax = volume, or 0.
volume_by_coordinates:
    FRAME
    mov r12d, ecx
    mov r13d, edx
    mov r14d, r8d
    call build_volume_index
    mov ecx, r12d
    mov edx, r13d
    mov r8d, r14d
    call find_volume
    UNFRAME

; find_volume — volume_by_coordinates in the index as it is. Clobbers r9, r10.
find_volume:
    lea rax, [rel volume_table]
    imul r10, [rel volume_count], VOL_SIZE
    add r10, rax                        ; the end of the table
.volume:
    cmp rax, r10
    jae .none
    movzx r9d, byte [rax + VOL_OPTICAL]
    cmp r9d, ecx
    jne .next
    cmp [rax + VOL_DISK], edx
    jne .next
    cmp [rax + VOL_PARTITION], r8d
    je .out
.next:
    add rax, VOL_SIZE
    jmp .volume
.none:
    xor eax, eax
.out:
    ret

; volume_on_boot_disk — boot(N). IN: ecx = partition. OUT: rax = that partition of the
; drive the loader's volume is on, or 0 (also when that drive is not known).
volume_on_boot_disk:
    FRAME
    mov r12d, ecx
    call build_volume_index
    xor eax, eax
    mov edx, [rel boot_volume + VOL_DISK]
    test edx, edx
    jz .out
    movzx ecx, byte [rel boot_volume + VOL_OPTICAL]
    mov r8d, r12d
    call volume_by_coordinates
.out:
    UNFRAME

; volume_by_guid — IN: rcx = 16-byte GUID. OUT: rax = the first volume whose GPT partition
; GUID it is, or 0.
volume_by_guid:
    lea rdx, [rel volume_has_guid]
    jmp first_volume_where

; volume_by_label — IN: rcx = label. OUT: rax = the first volume with that file system
; label (any case), or 0.
volume_by_label:
    lea rdx, [rel volume_label_equals]
    jmp first_volume_where

; first_volume_where — IN: rcx = key, rdx = test (rcx = volume, rdx = key; eax != 0 when it
; matches). OUT: rax = the first volume, in drive then partition order, that matches, or 0.
first_volume_where:
    FRAME
    mov r12, rcx
    mov r14, rdx
    call build_volume_index
    lea rbx, [rel volume_table]
    mov r13, [rel volume_count]
.volume:
    test r13, r13
    jz .none
    mov rcx, rbx
    mov rdx, r12
    call r14
    test eax, eax
    jnz .found
    add rbx, VOL_SIZE
    dec r13
    jmp .volume
.found:
    mov rax, rbx
    UNFRAME
.none:
    xor eax, eax
    UNFRAME

section .data
MAX_DISKS           equ 32
MAX_VOLUMES         equ 64
DISK_PATH           equ 0                   ; its device path, 0 if it has none
DISK_PATH_SIZE      equ 8                   ; bytes before the end node
DISK_NUMBER         equ 16                  ; dd 1-based among its kind
DISK_OPTICAL        equ 20                  ; db
DISK_GPT_GUID       equ 24                  ; 16 bytes, zero without a GPT
DISK_BLOCK_IO       equ 40                  ; its EFI_BLOCK_IO_PROTOCOL
DISK_SIZE           equ 48
align 8
volume_index_built: db 0
align 8
sector_page:        dq 0
handle_buffer:      dq 0
handle_count:       dq 0
protocol_interface: dq 0
disk_count:         dq 0
volume_count:       dq 0
hdd_count:          dd 0
odd_count:          dd 0
disk_table:         times MAX_DISKS * DISK_SIZE db 0
candidate_volume:   times VOL_SIZE db 0
volume_table:       times MAX_VOLUMES * VOL_SIZE db 0
msg_no_volume_detail: db "' (no such drive or partition, or no FAT or ISO 9660 file system on it: drives are counted "
                    db "in firmware order, hard disks and optical drives apart, from 1; partition 0 "
                    db "is the whole medium)", 0
