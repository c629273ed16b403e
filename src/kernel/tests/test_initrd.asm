; Tests: USTAR parsing and the ramfs/VFS, on an archive the test writes into the heap (each header
; checksummed like tar does), mounted in place of the boot's initrd and put back afterwards.

INITRD_TEST_ARCHIVE_SIZE equ 8 * USTAR_BLOCK

section .bss
initrd_test_saved:      resq 4      ; vfs_nodes, vfs_node_count, initrd_base, initrd_size
initrd_test_archive:    resq 1
initrd_test_stat:       resb vfs_stat_size
initrd_test_path:       resb VFS_PATH_MAX

section .rodata
initrd_test_octal:      db "0001750 ", 0            ; 1000
initrd_test_not_octal:  db "00019", 0
initrd_test_messy:      db "./bin//tools/", 0
initrd_test_clean:      db "/bin/tools", 0
initrd_test_name:       db "test archive", 0
initrd_test_dir:        db "dir/", 0
initrd_test_file_a:     db "dir/a.txt", 0
initrd_test_file_b:     db "./dir/b.bin", 0
initrd_test_file_c:     db "c", 0
initrd_test_alpha:      db `alpha\n`
initrd_test_alpha_end:
initrd_test_path_dir:   db "/dir", 0
initrd_test_path_a:     db "/dir/a.txt", 0
initrd_test_path_b:     db "/dir/b.bin", 0
initrd_test_path_c:     db "/c", 0
initrd_test_name_a:     db "/dir/a.txt", 0

section .text

; initrd_test_header: write a USTAR header the way tar does, checksum included.
; IN: rdi = header (zeroed block), rsi = name, rdx = size, ecx = type flag. OUT: nothing.
; Clobbers: caller-saved registers.
initrd_test_header:
    push rbx
    push r12
    mov rbx, rdi
    mov [rbx + USTAR_TYPE], cl
    ; Name.
    xor ecx, ecx
.name:
    mov al, [rsi + rcx]
    mov [rbx + rcx], al
    inc ecx
    test al, al
    jnz .name
    ; Size: 11 octal digits and a NUL.
    mov rax, rdx
    mov ecx, 10
.size:
    mov r8, rax
    and r8d, 7
    add r8d, '0'
    mov [rbx + USTAR_SIZE + rcx], r8b
    shr rax, 3
    dec ecx
    jns .size
    mov dword [rbx + USTAR_MAGIC], 'usta'
    mov word [rbx + USTAR_MAGIC + 4], 'r'   ; "r\0"
    mov word [rbx + USTAR_MAGIC + 6], '00'
    ; Checksum: the sum with the field as spaces, as 6 octal digits, NUL, space.
    mov rax, '        '
    mov [rbx + USTAR_CHECKSUM], rax
    xor eax, eax
    xor ecx, ecx
.sum:
    movzx edx, byte [rbx + rcx]
    add eax, edx
    inc ecx
    cmp ecx, USTAR_BLOCK
    jb .sum
    mov ecx, 5
.digits:
    mov edx, eax
    and edx, 7
    add edx, '0'
    mov [rbx + USTAR_CHECKSUM + rcx], dl
    shr eax, 3
    dec ecx
    jns .digits
    mov byte [rbx + USTAR_CHECKSUM + 6], 0
    mov byte [rbx + USTAR_CHECKSUM + 7], ' '
    pop r12
    pop rbx
    ret

; initrd_test_build: the test archive: dir/, dir/a.txt ("alpha\n"), ./dir/b.bin (700 bytes 0..255
; repeating, two blocks), c (empty), end blocks. IN: nothing. OUT: rax = archive. Clobbers: caller-saved.
initrd_test_build:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov edi, INITRD_TEST_ARCHIVE_SIZE
    call kmalloc
    mov rbx, rax
    mov rdi, rbx
    mov ecx, INITRD_TEST_ARCHIVE_SIZE / 8
    xor eax, eax
    rep stosq
    mov rdi, rbx
    lea rsi, [rel initrd_test_dir]
    xor edx, edx
    mov ecx, USTAR_TYPE_DIRECTORY
    call initrd_test_header
    lea rdi, [rbx + USTAR_BLOCK]
    lea rsi, [rel initrd_test_file_a]
    mov edx, initrd_test_alpha_end - initrd_test_alpha
    mov ecx, USTAR_TYPE_FILE
    call initrd_test_header
    lea rdi, [rbx + 2 * USTAR_BLOCK]
    lea rsi, [rel initrd_test_alpha]
    mov ecx, initrd_test_alpha_end - initrd_test_alpha
    rep movsb
    lea rdi, [rbx + 3 * USTAR_BLOCK]
    lea rsi, [rel initrd_test_file_b]
    mov edx, 700
    mov ecx, USTAR_TYPE_FILE
    call initrd_test_header
    xor ecx, ecx
.pattern:
    mov [rbx + 4 * USTAR_BLOCK + rcx], cl
    inc ecx
    cmp ecx, 700
    jb .pattern
    lea rdi, [rbx + 6 * USTAR_BLOCK]
    lea rsi, [rel initrd_test_file_c]
    xor edx, edx
    mov ecx, USTAR_TYPE_FILE
    call initrd_test_header
    mov rax, rbx                            ; block 7 stays zero: the end
    pop r12
    pop rbx
    pop rbp
    ret

; initrd_test_mount: save the boot's VFS and mount a fresh test archive. OUT: rax = archive.
; Clobbers: caller-saved registers.
initrd_test_mount:
    push rbp
    mov rbp, rsp
    push r12
    push r12
    call initrd_test_build
    mov r12, rax
    call initrd_test_mount_prebuilt_r12
    mov rax, r12
    pop r12
    pop r12
    pop rbp
    ret

; initrd_test_unmount: free the test's VFS and archive, put the boot's back.
initrd_test_unmount:
    push rbp
    mov rbp, rsp
    mov rdi, [rel vfs_nodes]
    test rdi, rdi
    jz .no_nodes
    call kfree
.no_nodes:
    mov rdi, [rel initrd_test_archive]
    call kfree
    mov rax, [rel initrd_test_saved]
    mov [rel vfs_nodes], rax
    mov rax, [rel initrd_test_saved + 8]
    mov [rel vfs_node_count], rax
    mov rax, [rel initrd_test_saved + 16]
    mov [rel initrd_base], rax
    mov rax, [rel initrd_test_saved + 24]
    mov [rel initrd_size], rax
    pop rbp
    ret

TEST "initrd: octal fields parse, non-octal ones are refused", test_initrd_octal
test_initrd_octal:
    push rbp
    mov rbp, rsp
    lea rdi, [rel initrd_test_octal]
    mov esi, 8
    call ustar_octal
    ASSERT_EQ rax, 1000
    lea rdi, [rel initrd_test_not_octal]
    mov esi, 5
    call ustar_octal
    ASSERT_EQ rax, -1
    pop rbp
    ret

TEST "initrd: paths normalise to one leading slash, no ./, no doubled or trailing slash", test_initrd_normalise
test_initrd_normalise:
    push rbp
    mov rbp, rsp
    lea rdi, [rel initrd_test_path]
    xor esi, esi
    xor edx, edx
    lea rcx, [rel initrd_test_messy]
    mov r8d, 100
    call vfs_normalise
    ASSERT_EQ rax, 1
    lea rcx, [rel initrd_test_path]
    lea rdx, [rel initrd_test_clean]
    ASSERT_STR_EQ rcx, rdx
    pop rbp
    ret

TEST "initrd: a mounted archive's lookup, stat, readdir and bytes match what was archived", test_initrd_matches_archive
test_initrd_matches_archive:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call initrd_test_mount
    mov r12, rax
    ASSERT_EQ [rel vfs_node_count], 5       ; the root and four entries
    lea rdi, [rel initrd_test_path_a]
    call vfs_lookup_path
    ASSERT_NE rax, 0
    mov rbx, rax
    mov rdi, rbx
    lea rsi, [rel initrd_test_stat]
    call vfs_fill_stat
    ASSERT_EQ [rel initrd_test_stat + vfs_stat.size], initrd_test_alpha_end - initrd_test_alpha
    ASSERT_EQ [rel initrd_test_stat + vfs_stat.type], VFS_FILE
    lea rcx, [r12 + 2 * USTAR_BLOCK]
    ASSERT_EQ [rbx + vfs_node.start], rcx   ; the bytes are the archive's, in place
    ; "./dir/b.bin": 700 bytes over two blocks.
    lea rdi, [rel initrd_test_path_b]
    call vfs_lookup_path
    ASSERT_NE rax, 0
    mov rbx, rax
    mov rcx, [rbx + vfs_node.end]
    sub rcx, [rbx + vfs_node.start]
    ASSERT_EQ rcx, 700
    mov rcx, [rbx + vfs_node.start]
    movzx ecx, byte [rcx + 699]
    ASSERT_EQ rcx, 699 & 0xff
    ; The empty file after it was found: the two-block file was skipped correctly.
    lea rdi, [rel initrd_test_path_c]
    call vfs_lookup_path
    ASSERT_NE rax, 0
    ; readdir of /dir: a.txt, b.bin, then the end.
    lea rdi, [rel initrd_test_path_dir]
    call vfs_lookup_path
    ASSERT_NE rax, 0
    mov rbx, rax
    ASSERT_EQ [rbx + vfs_node.type], VFS_DIRECTORY
    mov rdi, rbx
    xor esi, esi
    call vfs_readdir
    ASSERT_NE rax, 0
    mov rcx, [rax + vfs_node.name]
    lea rdx, [rel initrd_test_name_a]
    ASSERT_STR_EQ rcx, rdx
    mov rdi, rbx
    mov esi, 1
    call vfs_readdir
    ASSERT_NE rax, 0
    mov rdi, rbx
    mov esi, 2
    call vfs_readdir
    ASSERT_EQ rax, 0
    call initrd_test_unmount
    pop r12
    pop rbx
    pop rbp
    ret

TEST "initrd: a header with a wrong checksum ends the archive there", test_initrd_bad_checksum
test_initrd_bad_checksum:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call initrd_test_build
    mov r12, rax
    xor byte [r12 + 3 * USTAR_BLOCK + 1], 1 ; damage b.bin's name: its checksum no longer holds
    call initrd_test_mount_prebuilt_r12
    ASSERT_EQ [rel vfs_node_count], 3       ; the root, dir/, dir/a.txt
    lea rdi, [rel initrd_test_path_c]
    call vfs_lookup_path
    ASSERT_EQ rax, 0
    call initrd_test_unmount
    pop r12
    pop rbx
    pop rbp
    ret

; initrd_test_mount_prebuilt_r12: save the boot's VFS and mount the archive in r12.
; IN: r12 = archive (INITRD_TEST_ARCHIVE_SIZE bytes). OUT: nothing. Clobbers: caller-saved registers.
initrd_test_mount_prebuilt_r12:
    push rbp
    mov rbp, rsp
    mov rax, [rel vfs_nodes]
    mov [rel initrd_test_saved], rax
    mov rax, [rel vfs_node_count]
    mov [rel initrd_test_saved + 8], rax
    mov rax, [rel initrd_base]
    mov [rel initrd_test_saved + 16], rax
    mov rax, [rel initrd_size]
    mov [rel initrd_test_saved + 24], rax
    mov [rel initrd_test_archive], r12
    mov rdi, r12
    mov esi, INITRD_TEST_ARCHIVE_SIZE
    lea rdx, [rel initrd_test_name]
    call initrd_mount
    pop rbp
    ret
