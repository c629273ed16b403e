; dtb.asm — the Device Tree Blob request, as Limine answers it on every architecture: the
; entry's dtb_path, else the global global_dtb, else (UEFI) the firmware's DTB configuration
; table, copied into bootloader-reclaimable memory with its memory nodes removed (the spec:
; executables use the memory map instead). Only read when the kernel asks for it; a path
; that is missing or not a valid flattened device tree stops the boot, as Limine panics. A
; "$" resource is gzip, decompressed as for kernels and modules.

FDT_MAGIC           equ 0xd00dfeed
FDT_HEADER_SIZE     equ 40                  ; version 17
FDT_TOTAL_SIZE      equ 4
FDT_OFF_STRUCT      equ 8
FDT_OFF_STRINGS     equ 12
FDT_OFF_MEM_RSVMAP  equ 16
FDT_VERSION         equ 20
FDT_LAST_COMP_VERSION equ 24
FDT_SIZE_STRINGS    equ 32
FDT_SIZE_STRUCT     equ 36
FDT_BEGIN_NODE      equ 1
FDT_END_NODE        equ 2
FDT_PROP            equ 3
FDT_NOP             equ 4
FDT_END             equ 9

section .text

; load_dtb — with a DTB request: read the blob (see above), check it and strip its memory
; nodes. OUT: dtb_address (0: no DTB, no response).
load_dtb:
    FRAME
    mov ecx, REQ_DTB
    call request_address
    test rax, rax
    jz .done
    mov rsi, [rel dtb_path]
    test rsi, rsi
    jnz .from_file
    mov rsi, [rel global_dtb_path]
    test rsi, rsi
    jnz .from_file
    call find_firmware_dtb
    test rax, rax
    jz .done
    mov rsi, rax
    mov ecx, [rax + FDT_TOTAL_SIZE]
    bswap ecx
    mov r12d, ecx
    lea rcx, [r12 + PAGE_SIZE - 1]
    shr rcx, 12
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    mov rbx, rax
    mov rdi, rax
    mov rcx, r12
    rep movsb
    lea rax, [rel msg_firmware_dtb]
    mov [rel dtb_source], rax
    jmp .check
.from_file:
    xor r13d, r13d
    cmp byte [rsi], '$'                 ; "$resource(...)": a gzip blob
    jne .resource
    inc rsi
    mov r13d, 1
.resource:
    mov rcx, rsi
    call normalize_path
    mov rsi, rax
    mov [rel dtb_source], r8
    mov r14, r9                         ; its "#hash"
    mov rcx, rax
    mov r8, rdx
    mov edx, MEM_LOADER_RECLAIMABLE
    call read_file
    test rax, rax
    jz .missing
    mov rbx, rax
    mov r12, rdx
    mov rcx, rax
    mov r8, r14
    mov r9, [rel dtb_source]
    call check_file_hash
    mov rax, rbx
    mov rdx, r12
    test r13d, r13d
    jz .check
    mov rcx, rax
    mov r8, [rel dtb_source]
    mov r9d, MEM_LOADER_RECLAIMABLE
    call gunzip_file
    mov rbx, rax
    mov r12, rdx
.check:
    mov rcx, rbx
    mov rdx, r12
    call check_fdt
    test rax, rax
    jnz .bad
    mov rcx, rbx
    call strip_memory_nodes
    mov [rel dtb_address], rbx
.done:
    UNFRAME
.missing:
    lea rcx, [rel msg_dtb_missing]
    mov rdx, [rel dtb_source]
    lea r8, [rel msg_dtb_missing_end]
    call file_missing
.bad:
    mov r8, rax
    lea rcx, [rel msg_bad_dtb]
    mov rdx, [rel dtb_source]
    call fatal

; check_fdt — what libfdt's fdt_check_full asks of a blob, in short: the magic, version 17
; (last compatible 16 or 17), a totalsize within the data, the blocks inside it, and a
; structure block of balanced nodes under one root whose properties fit and name strings
; inside the strings block, ending in FDT_END. IN: rcx = blob, rdx = bytes available.
; OUT: rax = 0, or the end of a message naming the problem. Clobbers rcx, rdx, r8-r11.
check_fdt:
    push rbx
    push rsi
    push rdi
    lea rax, [rel msg_fdt_short]
    cmp rdx, FDT_HEADER_SIZE
    jb .done
    lea rax, [rel msg_fdt_magic]
    mov r8d, [rcx]
    bswap r8d
    cmp r8d, FDT_MAGIC
    jne .done
    lea rax, [rel msg_fdt_version]
    mov r8d, [rcx + FDT_VERSION]
    bswap r8d
    cmp r8d, 17
    jb .done
    mov r8d, [rcx + FDT_LAST_COMP_VERSION]
    bswap r8d
    cmp r8d, 17
    ja .done
    lea rax, [rel msg_fdt_sizes]
    mov r9d, [rcx + FDT_TOTAL_SIZE]
    bswap r9d                           ; totalsize
    cmp r9, rdx
    ja .done
    cmp r9d, FDT_HEADER_SIZE
    jb .done
    mov r8d, [rcx + FDT_OFF_MEM_RSVMAP]
    bswap r8d
    cmp r8, r9
    ja .done
    mov r8d, [rcx + FDT_OFF_STRINGS]
    bswap r8d
    mov r10d, [rcx + FDT_SIZE_STRINGS]
    bswap r10d                          ; strings block size (property name offsets)
    lea r11, [r8 + r10]
    cmp r11, r9
    ja .done
    mov r8d, [rcx + FDT_OFF_STRUCT]
    bswap r8d
    mov r11d, [rcx + FDT_SIZE_STRUCT]
    bswap r11d
    lea rdi, [r8 + r11]
    cmp rdi, r9
    ja .done
    lea rsi, [rcx + r8]                 ; structure block
    lea rdi, [rsi + r11]                ; its end
    xor ebx, ebx                        ; depth
    xor r9d, r9d                        ; 1 once the root node has closed
    lea rax, [rel msg_fdt_structure]
.token:
    lea rdx, [rsi + 4]
    cmp rdx, rdi
    ja .done
    mov edx, [rsi]
    bswap edx
    add rsi, 4
    cmp edx, FDT_NOP
    je .token
    cmp edx, FDT_END
    je .end
    test r9d, r9d
    jnz .done                           ; only NOPs and the end after the root
    cmp edx, FDT_BEGIN_NODE
    je .begin_node
    cmp edx, FDT_END_NODE
    je .end_node
    cmp edx, FDT_PROP
    jne .done
    test ebx, ebx
    jz .done                            ; a property outside every node
    lea rdx, [rsi + 8]
    cmp rdx, rdi
    ja .done
    mov edx, [rsi]
    bswap edx                           ; value length
    mov r8d, [rsi + 4]
    bswap r8d                           ; name offset
    cmp r8, r10
    jae .done
    lea rsi, [rsi + rdx + 8 + 3]
    and rsi, -4
    cmp rsi, rdi
    ja .done
    jmp .token
.begin_node:
    inc rbx
.name:
    cmp rsi, rdi
    jae .done
    lodsb
    test al, al
    jnz .name
    add rsi, 3
    and rsi, -4
    lea rax, [rel msg_fdt_structure]
    jmp .token
.end_node:
    test ebx, ebx
    jz .done
    dec rbx
    jnz .token
    mov r9d, 1
    jmp .token
.end:
    test r9d, r9d
    jz .done                            ; no root, or one left open
    xor eax, eax
.done:
    pop rdi
    pop rsi
    pop rbx
    ret

; strip_memory_nodes — turn every token of each "memory" or "memory@..." node directly under
; the root into FDT_NOP (the same tree for every reader; check_fdt has run).
; IN: rcx = blob. Clobbers rax, rcx, rdx, r8-r11.
strip_memory_nodes:
    push rsi
    push rdi
    push rbx
    mov eax, [rcx + FDT_OFF_STRUCT]
    bswap eax
    lea rsi, [rcx + rax]
    xor ebx, ebx                        ; depth
    xor r8d, r8d                        ; start of a memory node being removed, or 0
.token:
    mov eax, [rsi]
    bswap eax
    cmp eax, FDT_END
    je .done
    cmp eax, FDT_PROP
    je .property
    cmp eax, FDT_END_NODE
    je .end_node
    cmp eax, FDT_BEGIN_NODE
    je .begin_node
    add rsi, 4                          ; FDT_NOP
    jmp .token
.begin_node:
    lea rdi, [rsi + 4]                  ; its name
    inc rbx
    cmp rbx, 2
    jne .skip_name
    test r8, r8
    jnz .skip_name
    cmp dword [rdi], 'memo'
    jne .skip_name
    cmp word [rdi + 4], 'ry'
    jne .skip_name
    mov al, [rdi + 6]
    test al, al
    jz .memory_node
    cmp al, '@'
    jne .skip_name
.memory_node:
    mov r8, rsi
.skip_name:
    cmp byte [rdi], 0
    je .name_end
    inc rdi
    jmp .skip_name
.name_end:
    lea rsi, [rdi + 4]
    and rsi, -4                         ; past the NUL, 4-byte aligned
    jmp .token
.property:
    mov ecx, [rsi + 4]
    bswap ecx                           ; value length
    lea rsi, [rsi + rcx + 15]           ; token, length, name offset (12) and padding (3)
    and rsi, -4
    jmp .token
.end_node:
    add rsi, 4
    cmp rbx, 2
    jne .depth_down
    test r8, r8
    jz .depth_down
    ; the memory node ends here: every token of it becomes FDT_NOP
    mov rdi, r8
    mov rcx, rsi
    sub rcx, r8
    shr rcx, 2
    mov eax, FDT_NOP << 24              ; big-endian 4
    rep stosd
    xor r8d, r8d
.depth_down:
    dec rbx
    jmp .token
.done:
    pop rbx
    pop rdi
    pop rsi
    ret

section .data
align 8
dtb_path:           dq 0                ; the entry's dtb_path value, as written
global_dtb_path:    dq 0                ; the first global_dtb value of the file
dtb_address:        dq 0
dtb_source:         dq 0                ; for messages: the path, or the firmware's table
msg_firmware_dtb:   db "the firmware's DTB configuration table", 0
msg_dtb_missing:    db "cannot open device tree blob file ", 0
msg_dtb_missing_end: db " (the dtb_path or global_dtb of limine.conf)", 0
msg_bad_dtb:        db "device tree blob '", 0
msg_fdt_short:      db "': not a flattened device tree (shorter than its header)", 0
msg_fdt_magic:      db "': not a flattened device tree (bad magic)", 0
msg_fdt_version:    db "': flattened device tree version below 17, or last compatible version above 17", 0
msg_fdt_sizes:      db "': flattened device tree whose totalsize or blocks lie outside it", 0
msg_fdt_structure:  db "': flattened device tree with a bad structure block", 0
