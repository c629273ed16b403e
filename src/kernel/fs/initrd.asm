; The initrd: a USTAR archive given as a Limine module, mounted read-only as a ramfs (its files stay
; where the bootloader loaded them), behind a small VFS: path lookup, stat, readdir, and open/read/
; close through per-process file descriptors (user/syscall.asm). Paths are absolute ("/bin/init");
; archive names may start with "./" or "/" and directories may end with "/".

USTAR_BLOCK             equ 512
USTAR_NAME              equ 0       ; 100 bytes
USTAR_SIZE              equ 124     ; 12 bytes of octal
USTAR_CHECKSUM          equ 148     ; 8 bytes of octal: the header's byte sum, this field as spaces
USTAR_TYPE              equ 156
USTAR_MAGIC             equ 257     ; "ustar"
USTAR_PREFIX            equ 345     ; 155 bytes, joined to the name with '/'
USTAR_TYPE_FILE         equ '0'
USTAR_TYPE_FILE_OLD     equ 0
USTAR_TYPE_DIRECTORY    equ '5'
VFS_PATH_MAX            equ 256
VFS_MAX_NODES           equ 256

VFS_FILE                equ 1
VFS_DIRECTORY           equ 2

; A node starts like struc user_program (name, start, end), so process_spawn takes either.
struc vfs_node
    .name:      resq 1      ; absolute path, 0-terminated, no trailing '/' ("/" for the root)
    .start:     resq 1      ; file contents (in the module's memory)
    .end:       resq 1
    .type:      resq 1
    .path:      resb VFS_PATH_MAX
endstruc

; What stat fills in.
struc vfs_stat
    .size:      resq 1
    .type:      resq 1
endstruc

section .bss
vfs_nodes:          resq 1      ; array of vfs_node (heap), or 0 without an initrd
vfs_node_count:     resq 1
initrd_base:        resq 1
initrd_size:        resq 1

section .rodata
initrd_none_text:       db "initrd: no USTAR module; built-in programs only", 0
initrd_mounted_format:  db "initrd: %s (%u bytes) mounted: %u files, %u directories", 0
initrd_bad_format:      db "initrd: entry %u of %s is malformed; the rest is ignored", 0
initrd_full_text:       db "initrd: more than 256 entries; the rest is ignored", 0
ustar_magic_text:       db "ustar", 0
vfs_root_path:          db "/", 0

section .text

; ustar_octal: parse an octal field (digits, then space/NUL).
; IN: rdi = field, esi = length. OUT: rax = value, or -1 when a character is not octal. Clobbers: rcx, rdx.
ustar_octal:
    xor eax, eax
    xor ecx, ecx
.next:
    cmp ecx, esi
    je .done
    movzx edx, byte [rdi + rcx]
    test edx, edx
    jz .done
    cmp edx, ' '
    je .skip_space
    sub edx, '0'
    cmp edx, 7
    ja .bad
    shl rax, 3
    add rax, rdx
.skip_space:
    inc ecx
    jmp .next
.bad:
    mov rax, -1
.done:
    ret

; ustar_checksum_ok: whether a header's checksum field matches its bytes.
; IN: rdi = header. OUT: eax = 1 or 0. Clobbers: rcx, rdx, rsi, r8.
ustar_checksum_ok:
    push rdi
    lea rdi, [rdi + USTAR_CHECKSUM]
    mov esi, 8
    call ustar_octal
    pop rdi
    mov r8, rax
    xor eax, eax
    xor ecx, ecx
.byte:
    movzx edx, byte [rdi + rcx]
    lea rsi, [rcx - USTAR_CHECKSUM]
    cmp rsi, 8
    jae .add
    mov edx, ' '                            ; the checksum field counts as spaces
.add:
    add rax, rdx
    inc ecx
    cmp ecx, USTAR_BLOCK
    jb .byte
    cmp rax, r8
    sete al
    movzx eax, al
    ret

; vfs_normalise: write an archive or user path as "/a/b": one leading '/', no "./" at the start,
; no trailing '/', no doubled '/'.
; IN: rdi = destination (VFS_PATH_MAX), rsi = prefix (or 0), rdx = prefix length limit,
;     rcx = name, r8 = name length limit.
; OUT: rax = 1, or 0 when the result would not fit. Clobbers: caller-saved registers.
vfs_normalise:
    push rbx
    push r12
    mov byte [rdi], '/'
    mov r9d, 1                              ; length written
    ; Two parts: prefix then name; each part copied with the same rules.
    mov r10, rsi
    mov r11, rdx
    call .part
    test eax, eax
    jz .done
    mov r10, rcx
    mov r11, r8
    call .part
    test eax, eax
    jz .done
    ; No trailing '/' (except the root itself).
.trim:
    cmp r9d, 1
    jbe .terminate
    cmp byte [rdi + r9 - 1], '/'
    jne .terminate
    dec r9d
    jmp .trim
.terminate:
    mov byte [rdi + r9], 0
    mov eax, 1
.done:
    pop r12
    pop rbx
    ret
; .part: r10 = text (0: none), r11 = its length limit. eax = 1 ok, 0 too long.
.part:
    mov eax, 1
    test r10, r10
    jz .part_done
    xor ebx, ebx
    ; Skip leading "./" and "/".
.lead:
    cmp rbx, r11
    jae .part_done
    cmp byte [r10 + rbx], '/'
    je .lead_skip
    cmp byte [r10 + rbx], '.'
    jne .copy
    lea r12, [rbx + 1]
    cmp r12, r11
    jae .copy
    cmp byte [r10 + r12], '/'
    jne .copy
    inc rbx
.lead_skip:
    inc rbx
    jmp .lead
.copy:
    cmp rbx, r11
    jae .part_done
    movzx r12d, byte [r10 + rbx]
    test r12d, r12d
    jz .part_done
    inc rbx
    cmp r12d, '/'
    jne .store
    cmp byte [rdi + r9 - 1], '/'
    je .copy                                ; no doubled '/'
.store:
    cmp r9d, VFS_PATH_MAX - 1
    jae .too_long
    mov [rdi + r9], r12b
    inc r9d
    jmp .copy
.too_long:
    xor eax, eax
    ret
.part_done:
    ; Parts are joined with one '/'.
    cmp byte [rdi + r9 - 1], '/'
    je .joined
    cmp r9d, VFS_PATH_MAX - 1
    jae .too_long
    mov byte [rdi + r9], '/'
    inc r9d
.joined:
    mov eax, 1
    ret

; initrd_find_module: the first Limine module that is a USTAR archive.
; IN: nothing. OUT: rax = struc limine_file, or 0. Clobbers: caller-saved registers.
initrd_find_module:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rax, [rel module_request + limine_request.response]
    test rax, rax
    jz .none
    mov r12, [rax + limine_module_response.module_count]
    mov rbx, [rax + limine_module_response.modules]
.next:
    test r12, r12
    jz .none
    mov rax, [rbx]
    add rbx, 8
    dec r12
    cmp qword [rax + limine_file.size], USTAR_BLOCK
    jb .next
    mov rdx, [rax + limine_file.address]
    cmp dword [rdx + USTAR_MAGIC], 'usta'
    jne .next
    cmp byte [rdx + USTAR_MAGIC + 4], 'r'
    jne .next
    jmp .done
.none:
    xor eax, eax
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; initrd_init: mount the initrd when the bootloader loaded one.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
initrd_init:
    push rbp
    mov rbp, rsp
    call initrd_find_module
    test rax, rax
    jz .none
    mov rdi, [rax + limine_file.address]
    mov rsi, [rax + limine_file.size]
    mov rdx, [rax + limine_file.path]
    call initrd_mount
    pop rbp
    ret
.none:
    mov edi, LOG_INFO
    lea rsi, [rel initrd_none_text]
    call klog
    pop rbp
    ret

; initrd_mount: make an archive the VFS: a node for the root, one per file and directory entry
; (other entry types are skipped); a malformed entry (bad magic, checksum or size) ends the archive.
; IN: rdi = archive, rsi = its size, rdx = its name (for the log).
; OUT: rax = 1 when mounted (maybe partly), 0 when out of memory. Clobbers: caller-saved registers.
initrd_mount:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 24
    mov [rsp], rdx                          ; the name
    mov [rel initrd_base], rdi
    mov [rel initrd_size], rsi
    mov qword [rel vfs_nodes], 0
    mov qword [rel vfs_node_count], 0
    mov edi, vfs_node_size * VFS_MAX_NODES
    call kmalloc
    test rax, rax
    jz .no_memory
    mov [rel vfs_nodes], rax
    ; The root directory.
    mov rbx, rax
    lea rdi, [rbx + vfs_node.path]
    lea rsi, [rel vfs_root_path]
    mov ecx, 2
    rep movsb
    lea rax, [rbx + vfs_node.path]
    mov [rbx + vfs_node.name], rax
    mov qword [rbx + vfs_node.type], VFS_DIRECTORY
    mov qword [rbx + vfs_node.start], 0
    mov qword [rbx + vfs_node.end], 0
    mov qword [rel vfs_node_count], 1
    xor r14d, r14d                          ; files
    xor r15d, r15d                          ; directories
    mov r12, [rel initrd_base]              ; header
    xor r13d, r13d                          ; entry number
.entry:
    mov rax, [rel initrd_base]
    add rax, [rel initrd_size]
    lea rcx, [r12 + USTAR_BLOCK]
    cmp rcx, rax
    ja .mounted
    cmp byte [r12], 0
    je .mounted                             ; the end-of-archive blocks
    cmp dword [r12 + USTAR_MAGIC], 'usta'
    jne .malformed
    mov rdi, r12
    call ustar_checksum_ok
    test eax, eax
    jz .malformed
    lea rdi, [r12 + USTAR_SIZE]
    mov esi, 12
    call ustar_octal
    cmp rax, -1
    je .malformed
    mov [rsp + 8], rax                      ; size
    lea rcx, [r12 + USTAR_BLOCK]
    add rcx, rax
    jc .malformed
    mov rdx, [rel initrd_base]
    add rdx, [rel initrd_size]
    cmp rcx, rdx
    ja .malformed
    movzx eax, byte [r12 + USTAR_TYPE]
    mov edx, VFS_FILE
    cmp eax, USTAR_TYPE_FILE
    je .typed
    cmp eax, USTAR_TYPE_FILE_OLD
    je .typed
    mov edx, VFS_DIRECTORY
    cmp eax, USTAR_TYPE_DIRECTORY
    jne .skip                               ; links, devices, ...: not in a ramfs
.typed:
    mov [rsp + 16], rdx
    cmp qword [rel vfs_node_count], VFS_MAX_NODES
    jae .full
    imul rbx, [rel vfs_node_count], vfs_node_size
    add rbx, [rel vfs_nodes]
    lea rdi, [rbx + vfs_node.path]
    lea rsi, [r12 + USTAR_PREFIX]
    mov edx, 155
    cmp byte [rsi], 0
    jne .have_prefix
    xor esi, esi
.have_prefix:
    mov rcx, r12                            ; name
    mov r8d, 100
    call vfs_normalise
    test eax, eax
    jz .malformed
    lea rdi, [rbx + vfs_node.path]
    call vfs_lookup
    test rax, rax
    jnz .skip                               ; "./" and repeated entries: the first one counts
    lea rax, [rbx + vfs_node.path]
    mov [rbx + vfs_node.name], rax
    lea rax, [r12 + USTAR_BLOCK]
    mov [rbx + vfs_node.start], rax
    add rax, [rsp + 8]
    mov [rbx + vfs_node.end], rax
    mov rax, [rsp + 16]
    mov [rbx + vfs_node.type], rax
    inc qword [rel vfs_node_count]
    cmp rax, VFS_DIRECTORY
    je .directory
    inc r14
    jmp .skip
.directory:
    inc r15
.skip:
    ; Next header: after the contents, rounded up to a block.
    mov rax, [rsp + 8]
    add rax, USTAR_BLOCK - 1
    and rax, -USTAR_BLOCK
    lea r12, [r12 + USTAR_BLOCK + rax]
    inc r13
    jmp .entry
.full:
    mov edi, LOG_WARN
    lea rsi, [rel initrd_full_text]
    call klog
    jmp .mounted
.malformed:
    mov edi, LOG_WARN
    lea rsi, [rel initrd_bad_format]
    mov rdx, r13
    mov rcx, [rsp]
    call klog
.mounted:
    mov edi, LOG_INFO
    lea rsi, [rel initrd_mounted_format]
    mov rdx, [rsp]
    mov rcx, [rel initrd_size]
    mov r8, r14
    mov r9, r15
    call klog
    mov eax, 1
    jmp .done
.no_memory:
    xor eax, eax
.done:
    add rsp, 24
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; vfs_lookup: find a node by normalised absolute path.
; IN: rdi = path. OUT: rax = struc vfs_node, or 0. Clobbers: caller-saved registers.
vfs_lookup:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    mov r12, rdi
    mov rbx, [rel vfs_nodes]
    xor r13d, r13d
.next:
    cmp r13, [rel vfs_node_count]
    jae .none
    mov rdi, [rbx + vfs_node.name]
    test rdi, rdi
    jz .skip
    mov rsi, r12
    call string_equals
    test eax, eax
    jnz .found
.skip:
    add rbx, vfs_node_size
    inc r13
    jmp .next
.found:
    mov rax, rbx
    jmp .done
.none:
    xor eax, eax
.done:
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; vfs_lookup_path: normalise a path, then look it up.
; IN: rdi = 0-terminated path. OUT: rax = struc vfs_node, or 0. Clobbers: caller-saved registers.
vfs_lookup_path:
    push rbp
    mov rbp, rsp
    sub rsp, VFS_PATH_MAX
    mov rcx, rdi
    mov r8d, VFS_PATH_MAX
    mov rdi, rsp
    xor esi, esi
    xor edx, edx
    call vfs_normalise
    test eax, eax
    jz .none
    mov rdi, rsp
    call vfs_lookup
    jmp .done
.none:
    xor eax, eax
.done:
    leave
    ret

; vfs_fill_stat: size and type of a node.
; IN: rdi = struc vfs_node, rsi = struc vfs_stat to fill. OUT: nothing. Clobbers: rax.
vfs_fill_stat:
    mov rax, [rdi + vfs_node.end]
    sub rax, [rdi + vfs_node.start]
    mov [rsi + vfs_stat.size], rax
    mov rax, [rdi + vfs_node.type]
    mov [rsi + vfs_stat.type], rax
    ret

; vfs_readdir: the index-th entry directly inside a directory.
; IN: rdi = directory node, rsi = index (0, 1, ...). OUT: rax = the entry's node, or 0 past the end.
; Clobbers: caller-saved registers.
vfs_readdir:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov r12, [rdi + vfs_node.name]
    mov r13, rsi
    mov rdi, r12
    call strlen
    mov r14, rax                            ; directory path length
    cmp r14, 1
    jne .not_root
    xor r14d, r14d                          ; "/": children are "/x"
.not_root:
    mov rbx, [rel vfs_nodes]
    xor r15d, r15d
.next:
    cmp r15, [rel vfs_node_count]
    jae .none
    mov rsi, [rbx + vfs_node.name]
    ; A child: the directory's path, '/', then a name without '/'.
    xor ecx, ecx
.prefix:
    cmp rcx, r14
    je .prefix_done
    mov al, [r12 + rcx]
    cmp al, [rsi + rcx]
    jne .skip
    inc rcx
    jmp .prefix
.prefix_done:
    cmp byte [rsi + rcx], '/'
    jne .skip
    inc rcx
    cmp byte [rsi + rcx], 0
    je .skip                                ; the root itself
.rest:
    mov al, [rsi + rcx]
    test al, al
    jz .child
    cmp al, '/'
    je .skip                                ; deeper down
    inc rcx
    jmp .rest
.child:
    test r13, r13
    jz .found
    dec r13
.skip:
    add rbx, vfs_node_size
    inc r15
    jmp .next
.found:
    mov rax, rbx
    jmp .done
.none:
    xor eax, eax
.done:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
