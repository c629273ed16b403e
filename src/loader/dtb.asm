; dtb.asm — the entry's dtb_path: a flattened device tree handed to the kernel through the
; Device Tree Blob request, with its memory nodes removed (the spec: executables use the
; memory map instead). A dtb_path whose file is missing gives no DTB, as with Limine.

FDT_MAGIC           equ 0xd00dfeed
FDT_TOTAL_SIZE      equ 4
FDT_OFF_STRUCT      equ 8
FDT_SIZE_STRUCT     equ 36
FDT_BEGIN_NODE      equ 1
FDT_END_NODE        equ 2
FDT_PROP            equ 3
FDT_NOP             equ 4
FDT_END             equ 9

section .text

; load_dtb — read dtb_path (if any) into bootloader-reclaimable pages and strip its memory
; nodes. OUT: dtb_address (0: none).
load_dtb:
    FRAME
    mov rcx, [rel dtb_path]
    test rcx, rcx
    jz .done
    mov edx, MEM_LOADER_RECLAIMABLE
    call read_file
    test rax, rax
    jz .done                            ; missing: no DTB response
    mov rbx, rax
    mov r12, rdx                        ; file size
    cmp r12, 40
    jb .bad
    mov eax, [rbx]
    bswap eax
    cmp eax, FDT_MAGIC
    jne .bad
    mov eax, [rbx + FDT_OFF_STRUCT]
    bswap eax
    mov r13d, [rbx + FDT_SIZE_STRUCT]
    bswap r13d
    lea rcx, [rax + r13]
    cmp rcx, r12
    ja .bad
    lea rsi, [rbx + rax]                ; structure block
    lea r13, [rsi + r13]                ; its end
    xor r14d, r14d                      ; depth
    xor r15d, r15d                      ; start of a memory node being removed, or 0
.token:
    lea rax, [rsi + 4]
    cmp rax, r13
    ja .bad
    mov eax, [rsi]
    bswap eax
    cmp eax, FDT_END
    je .stripped
    cmp eax, FDT_NOP
    je .nop
    cmp eax, FDT_PROP
    je .property
    cmp eax, FDT_END_NODE
    je .end_node
    cmp eax, FDT_BEGIN_NODE
    jne .bad
    ; a node: a memory node directly under the root is "memory" or "memory@..."
    lea rdi, [rsi + 4]                  ; its name
    inc r14
    cmp r14, 2
    jne .skip_name
    test r15, r15
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
    mov r15, rsi
.skip_name:
    cmp rdi, r13
    jae .bad
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
.nop:
    add rsi, 4
    jmp .token
.end_node:
    add rsi, 4
    cmp r14, 2
    jne .depth_down
    test r15, r15
    jz .depth_down
    ; the memory node ends here: every token of it becomes FDT_NOP
    mov rdi, r15
    mov rcx, rsi
    sub rcx, r15
    shr rcx, 2
    mov eax, FDT_NOP << 24              ; big-endian 4
    rep stosd
    xor r15d, r15d
.depth_down:
    dec r14
    jmp .token
.stripped:
    mov [rel dtb_address], rbx
.done:
    UNFRAME
.bad:
    FAIL3 msg_bad_dtb, [rel dtb_path], msg_bad_dtb_end

section .data
align 8
dtb_path:           dq 0
dtb_address:        dq 0
msg_bad_dtb:        db "dtb_path ", 0
msg_bad_dtb_end:    db ": not a flattened device tree (bad magic, sizes or structure block)", 0
