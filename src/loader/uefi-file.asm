; uefi-file.asm — the UEFI platform's pages and files: alloc_pages through boot services,
; read_file from the loader's own FAT volume, and where that volume is (for limine_file).

section .text

; alloc_pages — allocate zeroed whole pages below 4 GiB or stop with a message.
; IN: rcx = page count, rdx = EFI memory type. OUT: rax = physical address.
; Below 4 GiB because the loader itself runs identity-mapped there and touches them.
alloc_pages:
    FRAME
    mov rbx, rcx
    mov eax, LOW_MAPPED_LIMIT - 1
    mov [rel alloc_result], rax
    mov ecx, ALLOCATE_MAX_ADDRESS
    ; rdx already holds the memory type
    mov r8, rbx
    lea r9, [rel alloc_result]
    mov rax, [rel boot_services]
    call [rax + BS_ALLOCATE_PAGES]
    test rax, rax
    jz .zero
    mov r9, rax
    lea rcx, [rel msg_out_of_memory]
    xor edx, edx
    xor r8d, r8d
    call fatal_status
.zero:
    mov rdi, [rel alloc_result]
    mov rcx, rbx
    shl rcx, 12
    xor eax, eax
    rep stosb
    mov rax, [rel alloc_result]
    UNFRAME

; alloc_pages_aligned — alloc_pages whose address is a multiple of r8 (a power of two): the
; kernel's image, aligned to its largest p_align as Limine places it. Boot services have no
; aligned allocation, so this takes alignment - 4 KiB more pages and gives back both ends.
; IN: rcx = page count, rdx = EFI memory type, r8 = alignment. OUT: rax = physical address.
alloc_pages_aligned:
    FRAME
    cmp r8, PAGE_SIZE
    ja .over_allocate
    call alloc_pages
    UNFRAME
.over_allocate:
    mov r12, rcx                        ; pages wanted
    mov r13, r8                         ; alignment
    mov r14, r8
    shr r14, 12
    dec r14
    add r14, rcx                        ; pages taken
    mov eax, LOW_MAPPED_LIMIT - 1
    mov [rel alloc_result], rax
    mov ecx, ALLOCATE_MAX_ADDRESS
    ; rdx already holds the memory type
    mov r8, r14
    lea r9, [rel alloc_result]
    mov rax, [rel boot_services]
    call [rax + BS_ALLOCATE_PAGES]
    test rax, rax
    jz .allocated
    mov r9, rax
    lea rcx, [rel msg_out_of_memory]
    xor edx, edx
    xor r8d, r8d
    call fatal_status
.allocated:
    mov rbx, [rel alloc_result]
    lea r15, [rbx + r13 - 1]
    mov rax, r13
    neg rax
    and r15, rax                        ; the aligned start
    mov rdx, r15
    sub rdx, rbx
    shr rdx, 12                         ; pages before it
    jz .no_head
    mov rcx, rbx
    mov rax, [rel boot_services]
    call [rax + BS_FREE_PAGES]
.no_head:
    mov rcx, r12
    shl rcx, 12
    add rcx, r15                        ; the end of what is kept
    mov rdx, r14
    shl rdx, 12
    add rdx, rbx
    sub rdx, rcx
    shr rdx, 12                         ; pages after it
    jz .no_tail
    mov rax, [rel boot_services]
    call [rax + BS_FREE_PAGES]
.no_tail:
    mov rdi, r15
    mov rcx, r12
    shl rcx, 12
    xor eax, eax
    rep stosb
    mov rax, r15
    UNFRAME

; open_boot_volume — open the root directory of the volume this loader was started from,
; and note where that volume is (media type, partition) for struct limine_file.
; OUT: boot_volume (root directory, file system, what its device path says).
open_boot_volume:
    FRAME
    mov rcx, [rel image_handle]
    lea rdx, [rel guid_loaded_image]
    lea r8, [rel loaded_image]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    test rax, rax
    jnz .no_volume
    mov rax, [rel loaded_image]
    mov rbx, [rax + LI_DEVICE_HANDLE]
    mov rcx, rbx
    lea rdx, [rel guid_simple_file_system]
    lea r8, [rel boot_volume + VOL_FILE_SYSTEM]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    test rax, rax
    jnz .no_volume
    mov rcx, [rel boot_volume + VOL_FILE_SYSTEM]
    lea rdx, [rel boot_volume + VOL_ROOT]
    call [rcx + SFS_OPEN_VOLUME]
    test rax, rax
    jnz .no_volume
    ; The device path is only informative: a volume without one is still usable.
    mov rcx, rbx
    lea rdx, [rel guid_device_path]
    lea r8, [rel boot_device_path]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    test rax, rax
    jnz .done
    mov rcx, [rel boot_device_path]
    lea rdx, [rel boot_volume]
    call describe_volume
    mov [rel boot_partition_node], rax
.done:
    UNFRAME
.no_volume:
    mov r9, rax
    lea rcx, [rel msg_no_volume]
    xor edx, edx
    xor r8d, r8d
    call fatal_status

; describe_volume — what a volume's device path says of it: optical for an El Torito
; (CD-ROM) node; partition number, MBR disk signature or GPT partition GUID for a hard
; drive node. IN: rcx = device path, rdx = volume record (VOL_*).
; OUT: rax = the first hard drive or CD-ROM node, or the end node (a whole-disk volume).
describe_volume:
    mov r8, rcx
    xor r9d, r9d                        ; the media node, once found
.node:
    mov al, [r8]
    cmp al, DP_TYPE_END
    je .done
    cmp al, DP_TYPE_MEDIA
    jne .skip
    mov al, [r8 + 1]
    cmp al, DP_MEDIA_CDROM
    jne .not_cdrom
    mov dword [rdx + VOL_MEDIA_TYPE], MEDIA_TYPE_OPTICAL
    jmp .media_node
.not_cdrom:
    cmp al, DP_MEDIA_HARD_DRIVE
    jne .skip
    mov eax, [r8 + DP_HD_PARTITION_NUMBER]
    mov [rdx + VOL_PARTITION], eax
    mov al, [r8 + DP_HD_SIGNATURE_TYPE]
    cmp al, SIGNATURE_TYPE_MBR
    jne .not_mbr
    mov eax, [r8 + DP_HD_SIGNATURE]
    mov [rdx + VOL_MBR_DISK_ID], eax
    jmp .media_node
.not_mbr:
    cmp al, SIGNATURE_TYPE_GUID
    jne .media_node
    mov rax, [r8 + DP_HD_SIGNATURE]
    mov [rdx + VOL_GPT_PART_UUID], rax
    mov rax, [r8 + DP_HD_SIGNATURE + 8]
    mov [rdx + VOL_GPT_PART_UUID + 8], rax
    mov byte [rdx + VOL_HAS_PART_GUID], 1
.media_node:
    test r9, r9
    jnz .skip
    mov r9, r8
.skip:
    movzx eax, word [r8 + 2]
    cmp eax, 4
    jb .done                            ; malformed node: stop walking
    add r8, rax
    jmp .node
.done:
    mov rax, r9
    test rax, rax
    jnz .out
    mov rax, r8
.out:
    ret

; read_gpt_disk_uuid — for a volume on a GPT partition, read the disk's GPT header (LBA 1)
; through the whole disk's Block I/O and keep its disk GUID. Best effort: any failure just
; leaves the boot volume's disk GUID zero. IN: what open_boot_volume found.
read_gpt_disk_uuid:
    FRAME
    cmp byte [rel boot_volume + VOL_HAS_PART_GUID], 0
    je .done
    ; the disk's device path: the volume's, cut before the hard drive node
    mov rsi, [rel boot_device_path]
    mov rcx, [rel boot_partition_node]
    sub rcx, rsi
    cmp rcx, DISK_PATH_MAX - 4
    ja .done
    lea rdi, [rel disk_device_path]
    rep movsb
    mov dword [rdi], DP_END_ENTIRE
    lea rax, [rel disk_device_path]
    mov [rel disk_path_cursor], rax
    lea rcx, [rel guid_block_io]
    lea rdx, [rel disk_path_cursor]
    lea r8, [rel disk_handle]
    mov rax, [rel boot_services]
    call [rax + BS_LOCATE_DEVICE_PATH]
    test rax, rax
    jnz .done
    mov rcx, [rel disk_handle]
    lea rdx, [rel guid_block_io]
    lea r8, [rel disk_block_io]
    mov rax, [rel boot_services]
    call [rax + BS_HANDLE_PROTOCOL]
    test rax, rax
    jnz .done
    mov rbx, [rel disk_block_io]
    mov rsi, [rbx + BLOCK_IO_MEDIA]
    mov r12d, [rsi + MEDIA_BLOCK_SIZE]
    test r12d, r12d
    jz .done
    cmp r12d, PAGE_SIZE
    ja .done
    mov ecx, 1
    mov edx, EFI_LOADER_DATA
    call alloc_pages
    mov r13, rax
    mov rcx, rbx
    mov edx, [rsi + MEDIA_ID]
    mov r8d, 1                          ; LBA 1: the primary GPT header
    mov r9, r12
    mov [rsp + 32], r13
    call [rbx + BLOCK_IO_READ_BLOCKS]
    test rax, rax
    jnz .done
    mov rax, GPT_SIGNATURE
    cmp [r13], rax
    jne .done
    mov rax, [r13 + GPT_DISK_GUID]
    mov [rel boot_volume + VOL_GPT_DISK_UUID], rax
    mov rax, [r13 + GPT_DISK_GUID + 8]
    mov [rel boot_volume + VOL_GPT_DISK_UUID + 8], rax
.done:
    UNFRAME

; volume_root — a volume's root directory, opened on first use.
; IN: rcx = volume. OUT: rax = EFI_FILE_PROTOCOL, or 0 with rdx = the EFI status.
volume_root:
    FRAME
    mov rbx, rcx
    mov rax, [rbx + VOL_ROOT]
    test rax, rax
    jnz .out
    mov rcx, [rbx + VOL_FILE_SYSTEM]
    lea rdx, [rbx + VOL_ROOT]
    call [rcx + SFS_OPEN_VOLUME]
    mov rdx, rax
    xor eax, eax
    test rdx, rdx
    jnz .out
    mov rax, [rbx + VOL_ROOT]
.out:
    UNFRAME

; read_file — read a whole file of a volume into fresh zeroed pages.
; IN: rcx = path (ASCII, leading "/", "/" separators), rdx = EFI memory type for the pages,
; r8 = the volume (VOL_*; its root directory is opened on first use).
; OUT: rax = physical address (0 if the file cannot be opened; status in last_file_status),
;      rdx = size in bytes. The buffer always has at least one zero byte after the data.
read_file:
    FRAME
    mov rsi, rcx
    mov r14, rdx
    cmp byte [r8 + VOL_ISO], 0
    je .file_system
    call iso_read_file                  ; rcx, rdx, r8 as given
    jmp .out
.file_system:
    mov rcx, r8
    call volume_root
    mov [rel read_root], rax
    test rax, rax
    jnz .have_root
    mov [rel last_file_status], rdx
    xor eax, eax
    xor edx, edx
    jmp .out
.have_root:
    ; the path as UTF-16 with backslashes
    lea rdi, [rel utf16_path]
    xor ecx, ecx
.convert:
    movzx eax, byte [rsi + rcx]
    cmp al, '/'
    jne .not_slash
    mov al, '\'
.not_slash:
    mov [rdi + rcx*2], ax
    inc ecx
    test al, al
    jz .open
    cmp ecx, PATH_MAX - 1
    jb .convert
    mov word [rdi + rcx*2], 0
.open:
    mov rcx, [rel read_root]
    lea rdx, [rel file_handle]
    lea r8, [rel utf16_path]
    mov r9d, FILE_MODE_READ
    mov qword [rsp + 32], 0
    call [rcx + FILE_OPEN]
    mov [rel last_file_status], rax
    test rax, rax
    jz .opened
    xor eax, eax
    xor edx, edx
    jmp .out
.opened:
    ; size = position after seeking to the end (0xffff... means "end of file")
    mov rcx, [rel file_handle]
    mov rdx, -1
    call [rcx + FILE_SET_POSITION]
    test rax, rax
    jnz .read_error
    mov rcx, [rel file_handle]
    lea rdx, [rel file_size]
    call [rcx + FILE_GET_POSITION]
    test rax, rax
    jnz .read_error
    mov rcx, [rel file_handle]
    xor edx, edx
    call [rcx + FILE_SET_POSITION]
    test rax, rax
    jnz .read_error
    mov rcx, [rel file_size]
    add rcx, PAGE_SIZE                  ; room for the terminating zero byte
    shr rcx, 12
    mov rdx, r14
    call alloc_pages
    mov rbx, rax
    mov rax, [rel file_size]
    mov [rel read_size], rax
    mov rcx, [rel file_handle]
    lea rdx, [rel read_size]
    mov r8, rbx
    call [rcx + FILE_READ]
    test rax, rax
    jnz .read_error
    mov rax, [rel read_size]
    cmp rax, [rel file_size]
    jne .short_read
    mov rcx, [rel file_handle]
    call [rcx + FILE_CLOSE]
    mov rax, rbx
    mov rdx, [rel file_size]
.out:
    UNFRAME
.read_error:
    mov r9, rax
    lea rcx, [rel msg_read_error]
    mov rdx, rsi
    xor r8d, r8d
    call fatal_status
.short_read:
    lea rcx, [rel msg_read_error]
    mov rdx, rsi
    lea r8, [rel msg_short_read]
    call fatal

section .data
align 8
image_handle:       dq 0
system_table:       dq 0
boot_services:      dq 0
loaded_image:       dq 0
read_root:          dq 0                ; the directory read_file opens in
boot_device_path:   dq 0
file_handle:        dq 0
file_size:          dq 0
read_size:          dq 0
last_file_status:   dq 0
alloc_result:       dq 0
boot_partition_node: dq 0
DISK_PATH_MAX       equ 512
align 8
disk_path_cursor:   dq 0
disk_handle:        dq 0
disk_block_io:      dq 0
disk_device_path:   times DISK_PATH_MAX db 0
utf16_path:         times PATH_MAX dw 0

guid_loaded_image:       GUID 0x5b1b31a1, 0x9562, 0x11d2, 0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b
guid_simple_file_system: GUID 0x964e5b22, 0x6459, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b
guid_block_io:           GUID 0x964e5b21, 0x6459, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b
guid_device_path:        GUID 0x09576e91, 0x6d3f, 0x11d2, 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b

msg_out_of_memory:  db "out of memory while allocating boot structures", 0
msg_no_volume:      db "cannot open the volume the loader was started from", 0
msg_read_error:     db "cannot read file ", 0
msg_short_read:     db ": the firmware returned fewer bytes than the file size", 0
