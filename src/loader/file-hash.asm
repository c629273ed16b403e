; file-hash.asm — the "#hash" suffix of a limine.conf path, checked as Limine checks it.

section .text

; check_file_hash — check a file read against the "#hash" of its path (normalize_path), on
; the bytes as read (a "$" file's compressed bytes, as Limine hashes them): 128 hex digits
; are a BLAKE2b-512 digest, 64 a BLAKE3 one, 256 BLAKE3's first 128 bytes of extended output
; (blake3.asm); another length or a non-hex digit stops the boot. A mismatch stops it too,
; unless hash_mismatch_panic is not "yes": then a warning, and the boot goes on (Limine
; would wait for Y; the built-in loader has no keyboard).
; IN: rcx = data, rdx = its length, r8 = the hash text (0: none), r9 = the file's name.
check_file_hash:
    FRAME
    test r8, r8
    jz .done
    mov rsi, rcx
    mov rdi, rdx
    mov r12, r8
    mov r13, r9
    xor ebx, ebx
.count:
    mov al, [r12 + rbx]
    test al, al
    jz .counted
    call hex_digit_value
    test eax, eax
    js .bad_digit
    inc rbx
    jmp .count
.counted:
    mov r15, rbx
    shr r15, 1                          ; digest bytes
    cmp rbx, 128
    je .blake2b
    cmp rbx, 64
    je .blake3
    cmp rbx, 256
    je .blake3
.bad_digit:
    FAIL3 msg_hash_length, r13, msg_hash_length_end
.blake2b:
    mov rcx, rsi
    mov rdx, rdi
    lea r8, [rel file_digest]
    call blake2b_512
    lea rdi, [rel msg_blake2b_mismatch]
    jmp .compare_digest
.blake3:
    mov rcx, rsi
    mov rdx, rdi
    lea r8, [rel file_digest]
    mov r9, r15
    call blake3_hash
    lea rdi, [rel msg_blake3_mismatch]
.compare_digest:
    xor ebx, ebx
.compare:
    mov al, [r12 + rbx*2]
    call hex_digit_value
    mov r14d, eax
    shl r14d, 4
    mov al, [r12 + rbx*2 + 1]
    call hex_digit_value
    or r14d, eax
    lea rcx, [rel file_digest]
    cmp [rcx + rbx], r14b
    jne .mismatch
    inc rbx
    cmp rbx, r15
    jb .compare
.done:
    UNFRAME
.mismatch:
    cmp byte [rel hash_mismatch_panic], 0
    je .warn
    mov rcx, rdi
    mov rdx, r13
    lea r8, [rel msg_hash_mismatch_end]
    call fatal
.warn:
    lea rcx, [rel msg_hash_warning]
    call print
    mov rcx, rdi
    call print
    mov rcx, r13
    call print
    lea rcx, [rel msg_hash_warning_end]
    call print
    UNFRAME

; hex_digit_value — IN: al = a character. OUT: eax = its value as a hex digit, -1 if none.
hex_digit_value:
    movzx eax, al
    sub eax, '0'
    cmp eax, 9
    jbe .done
    or eax, 0x20                        ; 'A'-'0' | 0x20 = 'a'-'0'
    sub eax, 'a' - '0'
    cmp eax, 5
    ja .none
    add eax, 10
.done:
    ret
.none:
    mov eax, -1
    ret

section .data
file_digest:        times 128 db 0
msg_blake2b_mismatch: db "Blake2b hash for ", 0
msg_blake3_mismatch: db "BLAKE3 hash for ", 0
msg_hash_mismatch_end: db " does not match the #hash of its limine.conf path", 0
msg_hash_warning:   db "ostool loader: warning: ", 0
msg_hash_warning_end: db " does not match the #hash of its limine.conf path (hash_mismatch_panic: no, booting on)", 10, 0
msg_hash_length:    db "the #hash of ", 0
msg_hash_length_end: db " in limine.conf is not 64, 128 or 256 hexadecimal digits", 0
