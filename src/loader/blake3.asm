; blake3.asm — BLAKE3 (the BLAKE3 paper's hash mode, no key), 32 bytes or extended output,
; for a "#hash" of 64 or 256 hex digits (file-hash.asm).

B3_CHUNK_START  equ 1
B3_CHUNK_END    equ 2
B3_PARENT       equ 4
B3_ROOT         equ 8
B3_CHUNK_LEN    equ 1024
B3_MAX_DEPTH    equ 64                  ; chaining values waiting: one per bit of the chunk count

section .text

; blake3_hash — IN: rcx = data, rdx = its length, r8 = digest buffer, r9 = digest length
; (a multiple of 32: the root's 64-byte output blocks, the last one cut).
blake3_hash:
    FRAME
    mov rsi, rcx
    mov r12, rdx                        ; bytes left
    mov r13, r8
    mov r14, r9
    xor r15d, r15d                      ; chunk counter
    mov qword [rel b3_stack_len], 0
.chunk:
    cmp r12, B3_CHUNK_LEN               ; the last chunk (even a full one) is the root's
    jbe .last_chunk
    mov rcx, rsi
    mov edx, B3_CHUNK_LEN
    mov r8, r15
    call b3_chunk_output
    lea rcx, [rel b3_new_cv]
    call b3_output_cv
    inc r15
    mov rbx, r15                        ; chunks done: merge one pair per trailing zero bit
.merge:
    test bl, 1
    jnz .push
    call b3_pop_parent
    lea rcx, [rel b3_new_cv]
    call b3_output_cv
    shr rbx, 1
    jmp .merge
.push:
    mov rax, [rel b3_stack_len]
    shl rax, 5
    lea rdi, [rel b3_stack]
    add rdi, rax
    lea rcx, [rel b3_new_cv]
    xor eax, eax
.push_word:
    mov edx, [rcx + rax*4]
    mov [rdi + rax*4], edx
    inc eax
    cmp eax, 8
    jb .push_word
    inc qword [rel b3_stack_len]
    add rsi, B3_CHUNK_LEN
    sub r12, B3_CHUNK_LEN
    jmp .chunk
.last_chunk:
    mov rcx, rsi
    mov rdx, r12
    mov r8, r15
    call b3_chunk_output
.fold:
    cmp qword [rel b3_stack_len], 0
    je .root
    lea rcx, [rel b3_new_cv]
    call b3_output_cv
    call b3_pop_parent
    jmp .fold
.root:
    xor ebx, ebx                        ; output block counter
.root_block:
    test r14, r14
    jz .done
    lea rcx, [rel b3_out_cv]
    lea rdx, [rel b3_out_block]
    mov r8, rbx
    mov r9d, [rel b3_out_len]
    mov r10d, [rel b3_out_flags]
    or r10d, B3_ROOT
    call b3_compress
    lea rcx, [rel b3_state]
    mov rdx, r14
    cmp rdx, 64
    jbe .copy
    mov edx, 64
.copy:
    mov al, [rcx]
    mov [r13], al
    inc rcx
    inc r13
    dec r14
    dec rdx
    jnz .copy
    inc rbx
    jmp .root_block
.done:
    UNFRAME

; b3_chunk_output — the output of one chunk (up to 1024 bytes): its blocks but the last are
; compressed into the chaining value, the last one is left in b3_out_*.
; IN: rcx = data, rdx = length, r8 = chunk counter.
b3_chunk_output:
    FRAME
    mov rsi, rcx
    mov r12, rdx
    mov r13, r8
    lea rdi, [rel b3_out_cv]
    lea rcx, [rel b3_iv]
    xor eax, eax
.key:
    mov edx, [rcx + rax*4]
    mov [rdi + rax*4], edx
    inc eax
    cmp eax, 8
    jb .key
    mov r14d, B3_CHUNK_START
.block:
    cmp r12, 64
    jbe .last
    lea rcx, [rel b3_out_cv]
    mov rdx, rsi
    mov r8, r13
    mov r9d, 64
    mov r10d, r14d
    call b3_compress
    lea rcx, [rel b3_state]
    lea rdi, [rel b3_out_cv]
    xor eax, eax
.chain:
    mov edx, [rcx + rax*4]
    mov [rdi + rax*4], edx
    inc eax
    cmp eax, 8
    jb .chain
    xor r14d, r14d
    add rsi, 64
    sub r12, 64
    jmp .block
.last:
    lea rdi, [rel b3_out_block]
    xor eax, eax
    mov ecx, 8
    rep stosq
    lea rdi, [rel b3_out_block]
    mov rcx, r12
    rep movsb
    mov [rel b3_out_counter], r13
    mov [rel b3_out_len], r12d
    or r14d, B3_CHUNK_END
    mov [rel b3_out_flags], r14d
    UNFRAME

; b3_output_cv — the chaining value of the output in b3_out_*. IN: rcx = 8-word buffer.
b3_output_cv:
    FRAME
    mov rdi, rcx
    lea rcx, [rel b3_out_cv]
    lea rdx, [rel b3_out_block]
    mov r8, [rel b3_out_counter]
    mov r9d, [rel b3_out_len]
    mov r10d, [rel b3_out_flags]
    call b3_compress
    lea rcx, [rel b3_state]
    xor eax, eax
.word:
    mov edx, [rcx + rax*4]
    mov [rdi + rax*4], edx
    inc eax
    cmp eax, 8
    jb .word
    UNFRAME

; b3_pop_parent — make b3_out_* the parent node of the top of the stack (left) and b3_new_cv
; (right), popping the stack.
b3_pop_parent:
    dec qword [rel b3_stack_len]
    mov rax, [rel b3_stack_len]
    shl rax, 5
    lea rcx, [rel b3_stack]
    add rcx, rax
    lea rdx, [rel b3_new_cv]
    lea r8, [rel b3_out_block]
    lea r9, [rel b3_out_cv]
    lea r10, [rel b3_iv]
    xor eax, eax
.word:
    mov r11d, [rcx + rax*4]
    mov [r8 + rax*4], r11d
    mov r11d, [rdx + rax*4]
    mov [r8 + rax*4 + 32], r11d
    mov r11d, [r10 + rax*4]
    mov [r9 + rax*4], r11d
    inc eax
    cmp eax, 8
    jb .word
    mov qword [rel b3_out_counter], 0
    mov dword [rel b3_out_len], 64
    mov dword [rel b3_out_flags], B3_PARENT
    ret

; b3_compress — the compression function: 7 rounds of G over the columns and diagonals,
; the message words permuted between rounds. IN: rcx = chaining value (8 words), rdx = block
; (16 words), r8 = counter, r9d = block length, r10d = flags.
; OUT: b3_state = the 16 output words (the first 8: the new chaining value).
b3_compress:
    FRAME
    mov rsi, rcx
    lea rdi, [rel b3_state]
    lea rcx, [rel b3_iv]
    lea rbx, [rel b3_message]
    xor eax, eax
.init:
    mov r11d, [rsi + rax*4]
    mov [rdi + rax*4], r11d
    mov r11d, [rdx + rax*4]
    mov [rbx + rax*4], r11d
    mov r11d, [rdx + rax*4 + 32]
    mov [rbx + rax*4 + 32], r11d
    inc eax
    cmp eax, 8
    jb .init
    xor eax, eax
.iv:
    mov r11d, [rcx + rax*4]
    mov [rdi + rax*4 + 32], r11d
    inc eax
    cmp eax, 4
    jb .iv
    mov [rdi + 48], r8d
    shr r8, 32
    mov [rdi + 52], r8d
    mov [rdi + 56], r9d
    mov [rdi + 60], r10d
    xor r12d, r12d                      ; round 0..6
.round:
    lea r14, [rel blake2b_columns]      ; the same a, b, c, d as BLAKE2b's eight G
    lea r13, [rel b3_message]
    xor r15d, r15d
.mix:
    movzx eax, byte [r14]
    movzx ebx, byte [r14 + 1]
    movzx ecx, byte [r14 + 2]
    movzx edx, byte [r14 + 3]
    mov r8d, [r13 + r15*8]              ; x = m[2i]
    mov r9d, [r13 + r15*8 + 4]          ; y = m[2i+1]
    BLAKE_G r8d, r9d, r10d, r11d, 4, 16, 12, 8, 7
    add r14, 4
    inc r15d
    cmp r15d, 8
    jb .mix
    ; m'[i] = m[PERMUTATION[i]]
    lea rbx, [rel b3_permuted]
    lea rcx, [rel b3_permutation]
    xor eax, eax
.permute:
    movzx edx, byte [rcx + rax]
    mov r11d, [r13 + rdx*4]
    mov [rbx + rax*4], r11d
    inc eax
    cmp eax, 16
    jb .permute
    xor eax, eax
.permuted:
    mov r11d, [rbx + rax*4]
    mov [r13 + rax*4], r11d
    inc eax
    cmp eax, 16
    jb .permuted
    inc r12d
    cmp r12d, 7
    jb .round
    ; state[i] ^= state[i+8]; state[i+8] ^= cv[i]
    xor eax, eax
.output:
    mov r11d, [rdi + rax*4 + 32]
    xor [rdi + rax*4], r11d
    mov r11d, [rsi + rax*4]
    xor [rdi + rax*4 + 32], r11d
    inc eax
    cmp eax, 8
    jb .output
    UNFRAME

section .data
align 8
b3_iv:
    dd 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
b3_permutation:
    db 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8
align 8
b3_state:           times 16 dd 0
b3_message:         times 16 dd 0
b3_permuted:        times 16 dd 0
b3_new_cv:          times 8 dd 0
b3_out_cv:          times 8 dd 0        ; the output not yet compressed: chaining value,
b3_out_block:       times 16 dd 0       ; block,
b3_out_counter:     dq 0                ; counter,
b3_out_len:         dd 0                ; block length
b3_out_flags:       dd 0                ; and flags
b3_stack_len:       dq 0
b3_stack:           times B3_MAX_DEPTH * 8 dd 0
