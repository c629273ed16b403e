; uefi-iso9660.asm — files and labels of ISO 9660 volumes, read through Block I/O: OVMF has
; no ISO 9660 driver, and Limine reads ISO 9660 itself. As CONFIG.md says Limine matches
; names: a Rock Ridge name (NM) exactly, else the ISO name without its ";version" and a
; trailing "." ignoring case; Joliet is not read. The volume's label is the primary volume
; descriptor's volume identifier without its trailing spaces.

section .text

; iso_read_file — read_file for an ISO 9660 volume. IN: rcx = path, rdx = EFI memory type,
; r8 = volume (VOL_ISO). OUT: rax = physical address (0: missing, status in
; last_file_status), rdx = size; at least one zero byte follows the data.
iso_read_file:
    FRAME
    mov r12, rcx                        ; what is left of the path
    mov r13, rdx
    mov rbx, r8
    mov r14d, [rbx + VOL_ISO_ROOT_LBA]  ; the directory looked in
    mov r15d, [rbx + VOL_ISO_ROOT_SIZE]
.component:
    cmp byte [r12], '/'
    jne .have_component
    inc r12
    jmp .component
.have_component:
    cmp byte [r12], 0
    je .missing                         ; the path names a directory
    mov rax, r12
.component_end:
    mov dl, [rax]
    test dl, dl
    jz .ended
    cmp dl, '/'
    je .ended
    inc rax
    jmp .component_end
.ended:
    mov [rel iso_component_end], rax
    sub rax, r12
    mov [rel iso_component_length], rax
    ; the directory's records
    test r15, r15
    jz .missing
    mov rcx, rbx
    mov edx, r14d
    mov r8, r15
    mov r9d, EFI_LOADER_DATA
    call iso_read_extent
    test rax, rax
    jz .device_error
    mov rdi, rax
    mov rsi, rdi
    lea r10, [rdi + r15]
    mov [rel iso_directory_end], r10
.record:
    cmp rsi, [rel iso_directory_end]
    jae .missing
    movzx eax, byte [rsi]
    test eax, eax
    jnz .sized
    ; records do not cross sectors: the rest of this one is padding
    mov rax, rsi
    sub rax, rdi
    or rax, ISO_SECTOR - 1
    lea rsi, [rdi + rax + 1]
    jmp .record
.sized:
    cmp eax, ISO_RECORD_NAME
    jb .missing                         ; malformed
    lea rcx, [rsi + rax]
    cmp rcx, [rel iso_directory_end]
    ja .missing
    mov rcx, rsi
    mov rdx, r12
    call iso_record_matches
    test eax, eax
    jnz .matched
    movzx eax, byte [rsi]
    add rsi, rax
    jmp .record
.matched:
    mov r14d, [rsi + ISO_RECORD_EXTENT]
    mov r15d, [rsi + ISO_RECORD_SIZE]
    mov al, [rsi + ISO_RECORD_FLAGS]
    and al, ISO_FLAG_DIRECTORY
    mov r12, [rel iso_component_end]
    cmp byte [r12], 0
    je .last
    test al, al
    jz .missing                         ; a file where the path wants a directory
    jmp .component
.last:
    test al, al
    jnz .missing                        ; a directory where the path wants a file
    mov rcx, rbx
    mov edx, r14d
    mov r8, r15
    mov r9, r13
    call iso_read_extent
    test rax, rax
    jz .device_error
    mov rdx, r15
    UNFRAME
.device_error:
    mov rax, EFI_DEVICE_ERROR
    jmp .fail
.missing:
    mov rax, EFI_NOT_FOUND
.fail:
    mov [rel last_file_status], rax
    xor eax, eax
    xor edx, edx
    UNFRAME

; iso_read_extent — an extent of an ISO 9660 volume (a directory's records or a file) in new
; pages, followed by zeros up to the pages' end (at least one zero byte).
; IN: rcx = volume, edx = first sector, r8 = size in bytes, r9 = EFI memory type.
; OUT: rax = physical address, 0 after a device error.
iso_read_extent:
    FRAME
    mov rbx, rcx
    mov r14d, edx
    mov r15, r8
    lea rcx, [r15 + PAGE_SIZE]          ; room for the terminating zero byte
    shr rcx, 12
    mov rdx, r9
    call alloc_pages
    mov rsi, rax
    mov rcx, [rbx + VOL_BLOCK_IO]
    mov rdx, r14
    shl rdx, ISO_SECTOR_SHIFT
    mov r8, r15
    mov r9, rsi
    call read_bytes
    test eax, eax
    jz .device_error
    ; whole blocks were read: zero what follows the extent up to the pages' end
    lea rcx, [r15 + PAGE_SIZE]
    and rcx, -PAGE_SIZE
    sub rcx, r15
    lea rdi, [rsi + r15]
    xor eax, eax
    rep stosb
    mov rax, rsi
    UNFRAME
.device_error:
    xor eax, eax
    UNFRAME

; iso_record_matches — IN: rcx = directory record, rdx = name (iso_component_length bytes).
; OUT: eax = 1 when the record is that name. Clobbers r8-r11.
iso_record_matches:
    push rsi
    push rdi
    movzx r8d, byte [rcx + ISO_RECORD_NAME_LENGTH]
    lea r9, [rcx + ISO_RECORD_NAME]
    cmp r8d, 1
    jne .not_dot
    cmp byte [r9], 1
    jbe .no                             ; "." and ".."
.not_dot:
    ; the System Use area, after the name padded to an even offset: a Rock Ridge NM entry
    lea rsi, [r8 + ISO_RECORD_NAME + 1]
    and rsi, -2
    add rsi, rcx
    movzx r10d, byte [rcx]
    add r10, rcx                        ; the record's end
.entry:
    lea rax, [rsi + 4]
    cmp rax, r10
    ja .iso_name
    movzx eax, byte [rsi + 2]
    cmp eax, 4
    jb .iso_name
    lea r11, [rsi + rax]
    cmp r11, r10
    ja .iso_name
    cmp word [rsi], 'NM'
    jne .next_entry
    cmp eax, 5
    jb .next_entry
    test byte [rsi + 4], RR_NM_CURRENT | RR_NM_PARENT
    jnz .no
    sub eax, 5                          ; the name's length
    cmp rax, [rel iso_component_length]
    jne .no
    lea rsi, [rsi + 5]
    mov rdi, rdx
    mov rcx, rax
    repe cmpsb
    jne .no
    jmp .yes
.next_entry:
    add rsi, rax
    jmp .entry
.iso_name:
    ; no Rock Ridge name: the ISO name without ";version" and a trailing ".", any case
    xor eax, eax
.version:
    cmp eax, r8d
    jae .stem
    cmp byte [r9 + rax], ';'
    je .stem
    inc eax
    jmp .version
.stem:
    test eax, eax
    jz .compare
    cmp byte [r9 + rax - 1], '.'
    jne .compare
    dec eax
.compare:
    cmp rax, [rel iso_component_length]
    jne .no
    mov r10, rax
    xor r11d, r11d
.char:
    cmp r11, r10
    jae .yes
    mov al, [r9 + r11]
    call lower_case_char
    mov ah, al
    mov al, [rdx + r11]
    call lower_case_char
    cmp al, ah
    jne .no
    inc r11
    jmp .char
.yes:
    mov eax, 1
    pop rdi
    pop rsi
    ret
.no:
    xor eax, eax
    pop rdi
    pop rsi
    ret

; iso_label_equals — volume_label_equals for an ISO 9660 volume. IN: rcx = volume, rdx =
; label. OUT: eax = 1 when the volume identifier (trailing spaces dropped) is the label,
; ignoring ASCII case.
iso_label_equals:
    FRAME
    mov rsi, rdx
    mov rcx, [rcx + VOL_BLOCK_IO]
    mov rdx, ISO_DESCRIPTOR_OFFSET
    mov r8d, ISO_SECTOR
    mov r9, [rel sector_page]
    call read_bytes
    test eax, eax
    jz .no
    mov rdi, [rel sector_page]
    add rdi, ISO_VOLUME_ID
    mov ecx, ISO_VOLUME_ID_SIZE
.trim:
    test ecx, ecx
    jz .trimmed
    cmp byte [rdi + rcx - 1], ' '
    jne .trimmed
    dec ecx
    jmp .trim
.trimmed:
    xor edx, edx
.char:
    cmp edx, ecx
    jae .end
    mov al, [rdi + rdx]
    call lower_case_char
    mov ah, al
    mov al, [rsi + rdx]
    call lower_case_char
    cmp al, ah
    jne .no
    inc edx
    jmp .char
.end:
    cmp byte [rsi + rdx], 0
    jne .no
    mov eax, 1
    UNFRAME
.no:
    xor eax, eax
    UNFRAME

section .data
ISO_SECTOR              equ 2048
ISO_SECTOR_SHIFT        equ 11
ISO_DESCRIPTOR_OFFSET   equ 16 * ISO_SECTOR     ; the first volume descriptor
ISO_PRIMARY_DESCRIPTOR  equ 1
ISO_STANDARD_ID_LOW     equ 'CD00'              ; "CD001" at byte 1
ISO_VOLUME_ID           equ 40
ISO_VOLUME_ID_SIZE      equ 32
ISO_ROOT_RECORD         equ 156
ISO_RECORD_EXTENT       equ 2                   ; little-endian halves of both-endian fields
ISO_RECORD_SIZE         equ 10
ISO_RECORD_FLAGS        equ 25
ISO_FLAG_DIRECTORY      equ 2
ISO_RECORD_NAME_LENGTH  equ 32
ISO_RECORD_NAME         equ 33
RR_NM_CURRENT           equ 2
RR_NM_PARENT            equ 4
align 8
iso_component_end:      dq 0
iso_component_length:   dq 0
iso_directory_end:      dq 0
