; blake2b.asm — BLAKE2b-512 (RFC 7693, unkeyed, 64-byte digest): a "#hash" of 128 hex
; digits (file-hash.asm).

; BLAKE_G — the G mixing step of BLAKE2b (64-bit words) and of BLAKE3 (BLAKE2s's G: 32-bit words,
; other rotations) on the state at rdi. IN: eax, ebx, ecx, edx = the indices a, b, c, d;
; %1 = x (then scratch for d), %2 = y, %3 and %4 = scratch for a and b (registers of the word
; size), %5 = the word size in bytes, %6..%9 = the four rotation counts.
%macro BLAKE_G 9
    mov %3, [rdi + rax*%5]              ; a
    mov %4, [rdi + rbx*%5]              ; b
    add %3, %4
    add %3, %1
    mov %1, [rdi + rdx*%5]              ; d
    xor %1, %3
    ror %1, %6
    add [rdi + rcx*%5], %1              ; c += d
    xor %4, [rdi + rcx*%5]
    ror %4, %7
    add %3, %4
    add %3, %2
    xor %1, %3
    ror %1, %8
    add [rdi + rcx*%5], %1
    xor %4, [rdi + rcx*%5]
    ror %4, %9
    mov [rdi + rax*%5], %3
    mov [rdi + rbx*%5], %4
    mov [rdi + rdx*%5], %1
%endmacro

section .text

; blake2b_512 — IN: rcx = data, rdx = its length in bytes, r8 = 64-byte digest buffer.
blake2b_512:
    FRAME
    mov rsi, rcx
    mov r12, rdx                        ; bytes left
    mov r13, r8
    xor r14d, r14d                      ; t: bytes hashed so far
    ; h = IV, parameter block word 0: digest length 64, no key, fanout 1, depth 1
    lea rcx, [rel blake2b_iv]
    lea rdx, [rel blake2b_h]
    xor eax, eax
.init:
    mov r8, [rcx + rax*8]
    mov [rdx + rax*8], r8
    inc eax
    cmp eax, 8
    jb .init
    xor qword [rdx], 0x01010040
.full_block:
    cmp r12, 128                        ; the last block (even a full one) is flagged final
    jbe .last_block
    add r14, 128
    mov rcx, rsi
    mov rdx, r14
    xor r8d, r8d
    call blake2b_compress
    add rsi, 128
    sub r12, 128
    jmp .full_block
.last_block:
    ; zero-padded copy of what is left (empty data: one block of zeros, t = 0)
    lea rdi, [rel blake2b_last]
    xor eax, eax
    mov ecx, 16
    rep stosq
    lea rdi, [rel blake2b_last]
    mov rcx, r12
    rep movsb
    add r14, r12
    lea rcx, [rel blake2b_last]
    mov rdx, r14
    mov r8d, 1
    call blake2b_compress
    ; the digest: h, little-endian
    lea rsi, [rel blake2b_h]
    mov rdi, r13
    mov ecx, 8
    rep movsq
    UNFRAME

; blake2b_compress — RFC 7693 section 3.2, F: mix one 128-byte block into blake2b_h.
; IN: rcx = block, rdx = t (the byte offset after this block; files stay below 2^64 bytes,
; so the counter's high word is 0), r8d = 1 for the final block.
blake2b_compress:
    FRAME
    mov rsi, rcx
    lea rdi, [rel blake2b_v]
    lea rbx, [rel blake2b_h]
    lea rcx, [rel blake2b_iv]
    xor eax, eax
.init:
    mov r9, [rbx + rax*8]
    mov [rdi + rax*8], r9
    mov r9, [rcx + rax*8]
    mov [rdi + rax*8 + 64], r9
    inc eax
    cmp eax, 8
    jb .init
    xor [rdi + 12*8], rdx
    test r8d, r8d
    jz .rounds
    not qword [rdi + 14*8]
.rounds:
    xor r12d, r12d                      ; round 0..11
.round:
    mov eax, r12d
    xor edx, edx
    mov ecx, 10
    div ecx                             ; edx = round mod 10: the SIGMA row
    lea r13, [rel blake2b_sigma]
    shl edx, 4
    add r13, rdx
    lea r14, [rel blake2b_columns]      ; a, b, c, d of each of the eight G
    xor r15d, r15d                      ; G 0..7
.mix:
    movzx eax, byte [r14]
    movzx ebx, byte [r14 + 1]
    movzx ecx, byte [r14 + 2]
    movzx edx, byte [r14 + 3]
    movzx r8d, byte [r13 + r15*2]       ; x = m[sigma[2i]]
    mov r8, [rsi + r8*8]
    movzx r9d, byte [r13 + r15*2 + 1]   ; y = m[sigma[2i+1]]
    mov r9, [rsi + r9*8]
    BLAKE_G r8, r9, r10, r11, 8, 32, 24, 16, 63
    add r14, 4
    inc r15d
    cmp r15d, 8
    jb .mix
    inc r12d
    cmp r12d, 12
    jb .round
    ; h ^= v[0..7] ^ v[8..15]
    lea rbx, [rel blake2b_h]
    xor eax, eax
.fold:
    mov r9, [rdi + rax*8]
    xor r9, [rdi + rax*8 + 64]
    xor [rbx + rax*8], r9
    inc eax
    cmp eax, 8
    jb .fold
    UNFRAME

section .data
align 8
blake2b_iv:
    dq 0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1
    dq 0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179
blake2b_sigma:
    db  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15
    db 14, 10,  4,  8,  9, 15, 13,  6,  1, 12,  0,  2, 11,  7,  5,  3
    db 11,  8, 12,  0,  5,  2, 15, 13, 10, 14,  3,  6,  7,  1,  9,  4
    db  7,  9,  3,  1, 13, 12, 11, 14,  2,  6,  5, 10,  4,  0, 15,  8
    db  9,  0,  5,  7,  2,  4, 10, 15, 14,  1, 11, 12,  6,  8,  3, 13
    db  2, 12,  6, 10,  0, 11,  8,  3,  4, 13,  7,  5, 15, 14,  1,  9
    db 12,  5,  1, 15, 14, 13,  4, 10,  0,  7,  6,  3,  9,  2,  8, 11
    db 13, 11,  7, 14, 12,  1,  3,  9,  5,  0, 15,  4,  8,  6,  2, 10
    db  6, 15, 14,  9, 11,  3,  0,  8, 12,  2, 13,  7,  1,  4, 10,  5
    db 10,  2,  8,  4,  7,  6,  1,  5, 15, 11,  9, 14,  3, 12, 13,  0
blake2b_columns:                        ; the columns, then the diagonals
    db 0, 4,  8, 12,  1, 5,  9, 13,  2, 6, 10, 14,  3, 7, 11, 15
    db 0, 5, 10, 15,  1, 6, 11, 12,  2, 7,  8, 13,  3, 4,  9, 14
blake2b_h:          times 8 dq 0
blake2b_v:          times 16 dq 0
blake2b_last:       times 128 db 0
