; pvh-fwcfg.asm — the PVH platform's files: QEMU's fw_cfg ("-fw_cfg name=opt/ostool/<path>,
; file=..."). A path of limine.conf, "/boot/kernel", is the fw_cfg file "opt/ostool/boot/kernel".
; Read by DMA when QEMU offers it (one request per file), else through the data port.

FW_CFG_SELECTOR         equ 0x510
FW_CFG_DATA             equ 0x511
FW_CFG_DMA_HIGH         equ 0x514       ; big-endian address of a FWCfgDmaAccess, high half
FW_CFG_DMA_LOW          equ 0x518       ; low half: writing it starts the transfer
FW_CFG_KEY_SIGNATURE    equ 0x0000
FW_CFG_KEY_FEATURES     equ 0x0001
FW_CFG_KEY_FILE_DIR     equ 0x0019
FW_CFG_FEATURE_DMA      equ 1 << 1
FW_CFG_DMA_ERROR        equ 1 << 0
FW_CFG_DMA_READ         equ 1 << 1
FW_CFG_DMA_SELECT       equ 1 << 3
FW_CFG_FILE_SIZE        equ 0           ; struct FWCfgFile: size (BE), select (BE), reserved, name
FW_CFG_FILE_SELECT      equ 4
FW_CFG_FILE_NAME        equ 8
FW_CFG_FILE_ENTRY_SIZE  equ 64
FW_CFG_NAME_MAX         equ 56
FW_CFG_SIGNATURE_QEMU   equ 0x554d4551  ; "QEMU"
E820_ENTRY_SIZE         equ 20          ; fw_cfg etc/e820: address, length, type

section .text

; fw_cfg_read — read bytes of an fw_cfg item. IN: ecx = key (0xffffffff: go on where the
; last read stopped), rdx = destination (physical), r8 = byte count.
fw_cfg_read:
    push rdi
    cmp byte [rel fw_cfg_dma], 0
    je .ports
    mov eax, FW_CFG_DMA_READ
    cmp ecx, -1
    je .control
    shl ecx, 16
    or eax, ecx
    or eax, FW_CFG_DMA_SELECT
.control:
    bswap eax
    mov [rel fw_cfg_access], eax
    mov eax, r8d
    bswap eax
    mov [rel fw_cfg_access + 4], eax
    mov rax, rdx
    bswap rax
    mov [rel fw_cfg_access + 8], rax
    lea rax, [rel fw_cfg_access]
    mov rdi, rax
    shr rax, 32
    bswap eax
    mov dx, FW_CFG_DMA_HIGH
    out dx, eax
    mov eax, edi
    bswap eax
    mov dx, FW_CFG_DMA_LOW
    out dx, eax                         ; QEMU does the whole transfer here
.wait:
    mov eax, [rel fw_cfg_access]
    bswap eax
    test eax, ~FW_CFG_DMA_ERROR
    jnz .wait
    test eax, FW_CFG_DMA_ERROR
    jnz .failed
    pop rdi
    ret
.ports:
    mov rdi, rdx
    cmp ecx, -1
    je .data
    mov eax, ecx
    mov dx, FW_CFG_SELECTOR
    out dx, ax
.data:
    mov rcx, r8
    mov dx, FW_CFG_DATA
    rep insb
    pop rdi
    ret
.failed:
    sub rsp, 8
    FAIL msg_fw_cfg_dma

; init_fw_cfg — check for QEMU's fw_cfg, take DMA if it has it, and read the file directory.
; OUT: fw_cfg_dma, fw_cfg_directory, fw_cfg_file_count.
init_fw_cfg:
    FRAME
    mov ecx, FW_CFG_KEY_SIGNATURE
    lea rdx, [rel fw_cfg_word]
    mov r8d, 4
    call fw_cfg_read
    cmp dword [rel fw_cfg_word], FW_CFG_SIGNATURE_QEMU
    jne .missing
    mov ecx, FW_CFG_KEY_FEATURES
    lea rdx, [rel fw_cfg_word]
    mov r8d, 4
    call fw_cfg_read
    test dword [rel fw_cfg_word], FW_CFG_FEATURE_DMA
    setnz byte [rel fw_cfg_dma]
    call read_fw_cfg_directory
    UNFRAME
.missing:
    FAIL msg_no_fw_cfg

; read_fw_cfg_directory — OUT: fw_cfg_directory (entries in reclaimable pages), fw_cfg_file_count.
read_fw_cfg_directory:
    FRAME
    mov ecx, FW_CFG_KEY_FILE_DIR
    lea rdx, [rel fw_cfg_word]
    mov r8d, 4
    call fw_cfg_read
    mov eax, [rel fw_cfg_word]
    bswap eax
    mov [rel fw_cfg_file_count], rax
    imul rbx, rax, FW_CFG_FILE_ENTRY_SIZE
    lea rcx, [rbx + PAGE_SIZE]
    shr rcx, 12
    mov edx, MEM_LOADER_RECLAIMABLE
    call alloc_pages
    mov [rel fw_cfg_directory], rax
    mov ecx, -1
    mov rdx, rax
    mov r8, rbx
    call fw_cfg_read
    UNFRAME

; find_fw_cfg_file — IN: rcx = zero-terminated fw_cfg name. OUT: rax = its directory entry, or 0.
find_fw_cfg_file:
    push rsi
    push rdi
    push rbx
    mov rbx, [rel fw_cfg_directory]
    mov r8, [rel fw_cfg_file_count]
.entry:
    test r8, r8
    jz .none
    lea rsi, [rbx + FW_CFG_FILE_NAME]
    mov rdi, rcx
.char:
    mov al, [rsi]
    cmp al, [rdi]
    jne .next
    test al, al
    jz .found
    inc rsi
    inc rdi
    jmp .char
.next:
    add rbx, FW_CFG_FILE_ENTRY_SIZE
    dec r8
    jmp .entry
.none:
    xor ebx, ebx
.found:
    mov rax, rbx
    pop rbx
    pop rdi
    pop rsi
    ret

; fw_cfg_name_of — "opt/ostool" + path into fw_cfg_name. IN: rcx = path ("/boot/kernel").
; OUT: eax = 1, or 0 when the name would be longer than fw_cfg allows (55 characters).
fw_cfg_name_of:
    push rsi
    push rdi
    lea rdi, [rel fw_cfg_name]
    lea rsi, [rel fw_cfg_prefix]
.prefix:
    lodsb
    test al, al
    jz .path
    stosb
    jmp .prefix
.path:
    mov rsi, rcx
    lea rdx, [rel fw_cfg_name + FW_CFG_NAME_MAX]
.char:
    cmp rdi, rdx
    jae .too_long
    lodsb
    stosb
    test al, al
    jnz .char
    mov eax, 1
    jmp .done
.too_long:
    xor eax, eax
.done:
    pop rdi
    pop rsi
    ret

; read_file — read a whole fw_cfg file into fresh zeroed pages.
; IN: rcx = path (ASCII, leading "/"), rdx = EFI memory type for the pages, r8 = the
; volume (always boot_volume: fw_cfg has no other). OUT: rax = physical address (0 if
; there is no such file), rdx = size in bytes. The buffer always has at least one zero
; byte after the data.
read_file:
    FRAME
    mov r14, rdx
    call fw_cfg_name_of
    test eax, eax
    jz .missing
    lea rcx, [rel fw_cfg_name]
    call find_fw_cfg_file
    test rax, rax
    jz .missing
    mov ebx, [rax + FW_CFG_FILE_SIZE]
    bswap ebx
    movzx eax, word [rax + FW_CFG_FILE_SELECT]
    xchg al, ah                         ; big-endian key
    mov r12d, eax
    lea rcx, [rbx + PAGE_SIZE]          ; room for the terminating zero byte
    shr rcx, 12
    mov rdx, r14
    call alloc_pages
    mov r13, rax
    mov ecx, r12d
    mov rdx, rax
    mov r8, rbx
    call fw_cfg_read
    mov rax, r13
    mov rdx, rbx
    UNFRAME
.missing:
    xor eax, eax
    xor edx, edx
    UNFRAME

; read_fw_cfg_e820 — fw_cfg's etc/e820, for a start info without a memory map.
; OUT: rsi = entries, r12d = count (0: none), r13d = entry size. Uses only loader data
; (nothing can be allocated before there is a memory map).
read_fw_cfg_e820:
    push rbx
    mov ecx, FW_CFG_KEY_SIGNATURE
    lea rdx, [rel fw_cfg_word]
    mov r8d, 4
    call fw_cfg_read
    xor r12d, r12d
    cmp dword [rel fw_cfg_word], FW_CFG_SIGNATURE_QEMU
    jne .done
    ; the directory, one entry at a time, through the port interface (no DMA needed yet)
    mov byte [rel fw_cfg_dma], 0
    mov ecx, FW_CFG_KEY_FILE_DIR
    lea rdx, [rel fw_cfg_word]
    mov r8d, 4
    call fw_cfg_read
    mov ebx, [rel fw_cfg_word]
    bswap ebx
.entry:
    test ebx, ebx
    jz .done
    dec ebx
    mov ecx, -1
    lea rdx, [rel fw_cfg_entry]
    mov r8d, FW_CFG_FILE_ENTRY_SIZE
    call fw_cfg_read
    lea rsi, [rel fw_cfg_entry + FW_CFG_FILE_NAME]
    lea rdi, [rel fw_cfg_e820_name]
    mov ecx, fw_cfg_e820_name_end - fw_cfg_e820_name
    repe cmpsb
    jne .entry
    mov eax, [rel fw_cfg_entry + FW_CFG_FILE_SIZE]
    bswap eax
    cmp eax, E820_BUFFER_BYTES
    jbe .size_ok
    mov eax, E820_BUFFER_BYTES
.size_ok:
    xor edx, edx
    mov ecx, E820_ENTRY_SIZE
    div ecx
    mov r12d, eax
    movzx ecx, word [rel fw_cfg_entry + FW_CFG_FILE_SELECT]
    xchg cl, ch
    lea rdx, [rel e820_buffer]
    imul r8d, r12d, E820_ENTRY_SIZE
    call fw_cfg_read
.done:
    lea rsi, [rel e820_buffer]
    mov r13d, E820_ENTRY_SIZE
    pop rbx
    ret

; file_missing — stop: "<before><path><after> (QEMU has no fw_cfg file opt/ostool<path>)".
; IN: rcx = before, rdx = path, r8 = after.
file_missing:
    mov rsi, rcx
    mov rdi, rdx
    mov rbx, r8
    lea rcx, [rel msg_error_prefix]
    call print
    mov rcx, rsi
    call print
    mov rcx, rdi
    call print
    mov rcx, rbx
    call print
    lea rcx, [rel msg_no_fw_cfg_file]
    call print
    mov rcx, rdi
    call print
    lea rcx, [rel msg_no_fw_cfg_file_end]
    call print
    jmp stop_machine

section .data
E820_BUFFER_BYTES   equ 128 * E820_ENTRY_SIZE
fw_cfg_dma:         db 0
align 16
fw_cfg_access:      dd 0, 0             ; FWCfgDmaAccess: control, length (big-endian)
                    dq 0                ; address (big-endian)
fw_cfg_word:        dd 0
align 8
fw_cfg_directory:   dq 0
fw_cfg_file_count:  dq 0
fw_cfg_entry:       times FW_CFG_FILE_ENTRY_SIZE db 0
fw_cfg_name:        times FW_CFG_NAME_MAX + 1 db 0
e820_buffer:        times E820_BUFFER_BYTES db 0
fw_cfg_prefix:      db "opt/ostool", 0
fw_cfg_e820_name:   db "etc/e820", 0
fw_cfg_e820_name_end:
msg_no_fw_cfg:      db "no QEMU fw_cfg device (the direct boot reads limine.conf, the kernel and modules from it)", 0
msg_fw_cfg_dma:     db "fw_cfg DMA transfer failed", 0
msg_no_fw_cfg_file: db " (QEMU has no fw_cfg file opt/ostool", 0
msg_no_fw_cfg_file_end: db ")", 10, 0
