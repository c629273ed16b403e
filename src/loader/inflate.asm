; inflate.asm — gzip-compressed files, decompressed as Limine does: a kernel_path or
; module_path whose resource starts with "$" ("$boot():/initrd.gz"), or an internal module
; flagged LIMINE_INTERNAL_MODULE_COMPRESSED (honoured with module response revision 2), is one
; gzip member (RFC 1952) around a deflate stream (RFC 1951: stored, fixed and dynamic Huffman
; blocks); the file the kernel sees is the decompressed bytes, checked against the
; member's CRC-32 and ISIZE. Bytes after the member are ignored, as Limine ignores them.
;
; Decoding is canonical-Huffman, one bit at a time (count/symbol tables, as zlib's "puff"
; reference decoder does it): small and easy to check, and fast enough for modules.

section .text

; gunzip_file — decompress a gzip file (kernel or module) read into memory, or stop with a
; message that names it. IN: rcx = data, rdx = size, r8 = the file's path (for messages),
; r9d = the memory type of the output. OUT: rax = physical address of fresh zeroed pages
; holding the decompressed bytes and at least one zero byte after them, rdx = their size.
gunzip_file:
    FRAME
    mov rsi, rcx
    mov rdi, rdx
    mov r12, r8
    mov r15d, r9d
    ; a first pass only measures the output (and validates the stream), so that the output
    ; gets exactly the pages it needs
    mov rcx, rsi
    mov rdx, rdi
    xor r8d, r8d
    call inflate_gzip
    test rax, rax
    jnz .bad
    mov r13, rdx                        ; decompressed size
    lea rcx, [r13 + PAGE_SIZE]          ; + the zero byte read_file also guarantees
    shr rcx, 12
    mov edx, r15d
    call alloc_pages
    mov r14, rax
    mov rcx, rsi
    mov rdx, rdi
    mov r8, r14
    mov r9, r13
    call inflate_gzip
    test rax, rax
    jnz .bad
    mov rax, r14
    mov rdx, r13
    UNFRAME
.bad:
    mov r8, rax
    lea rcx, [rel msg_gzip_file]
    mov rdx, r12
    call fatal

; inflate_gzip — decompress one gzip member.
; IN: rcx = input, rdx = input size, r8 = output (0: only count the output bytes), r9 = output
; capacity (ignored when counting). OUT: rax = 0 and rdx = output size, or rax = an error
; message (C string) for a stream that is not gzip, ends early, is corrupt, or fails its checks.
; Inside: rsi = input cursor, r12 = input end, r13 = bit buffer, r14d = bits in it,
; rdi = output, r15 = output bytes so far. Errors jump to inflate_fail from any depth.
inflate_gzip:
    FRAME
    mov [rel inflate_frame], rbp
    mov rsi, rcx
    lea r12, [rcx + rdx]
    mov rdi, r8
    mov [rel inflate_capacity], r9
    test r8, r8
    jnz .writing
    mov qword [rel inflate_capacity], -1
.writing:
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    call inflate_gzip_header
.block:
    mov r9d, 1
    call inflate_bits
    mov [rel inflate_last_block], al
    mov r9d, 2
    call inflate_bits
    cmp eax, DEFLATE_STORED
    je .stored
    cmp eax, DEFLATE_FIXED
    je .fixed
    cmp eax, DEFLATE_DYNAMIC
    jne inflate_corrupt
    call inflate_dynamic_tables
    jmp .codes
.fixed:
    call inflate_fixed_tables
.codes:
    call inflate_codes
    jmp .block_done
.stored:
    call inflate_stored
.block_done:
    cmp byte [rel inflate_last_block], 0
    je .block
    ; the trailer starts at the next byte: the bits left over are padding
    xor r13d, r13d
    xor r14d, r14d
    mov rax, r12
    sub rax, rsi
    cmp rax, GZIP_TRAILER_SIZE
    jb inflate_truncated
    test rdi, rdi
    jz .size_check                      ; counting pass: the CRC waits for the bytes
    call inflate_crc32
    cmp eax, [rsi]
    jne .bad_crc
.size_check:
    cmp r15d, [rsi + 4]                 ; ISIZE: the size modulo 2^32
    jne .bad_size
    xor eax, eax
    mov rdx, r15
    UNFRAME
.bad_crc:
    lea rax, [rel msg_gzip_crc]
    jmp inflate_fail
.bad_size:
    lea rax, [rel msg_gzip_size]
    jmp inflate_fail

; The error exits: IN: rax = message. Unwinds to inflate_gzip's frame and returns rax.
inflate_truncated:
    lea rax, [rel msg_gzip_truncated]
    jmp inflate_fail
inflate_corrupt:
    lea rax, [rel msg_gzip_corrupt]
inflate_fail:
    mov rbp, [rel inflate_frame]
    UNFRAME

; inflate_gzip_header — check and skip the member header (ID1 ID2 CM FLG MTIME XFL OS and
; the optional extra field, name, comment and header CRC). Advances rsi.
inflate_gzip_header:
    mov rax, r12
    sub rax, rsi
    cmp rax, GZIP_HEADER_SIZE
    jb .not_gzip
    cmp word [rsi], GZIP_MAGIC
    jne .not_gzip
    cmp byte [rsi + 2], GZIP_CM_DEFLATE
    jne .not_gzip
    movzx r8d, byte [rsi + 3]           ; FLG
    test r8d, GZIP_FLG_RESERVED
    jnz .not_gzip
    add rsi, GZIP_HEADER_SIZE
    test r8d, GZIP_FLG_EXTRA
    jz .name
    mov rax, r12
    sub rax, rsi
    cmp rax, 2
    jb inflate_truncated
    movzx eax, word [rsi]               ; XLEN
    add rsi, 2
    mov rcx, r12
    sub rcx, rsi
    cmp rcx, rax
    jb inflate_truncated
    add rsi, rax
.name:
    test r8d, GZIP_FLG_NAME
    jz .comment
    call .skip_string
.comment:
    test r8d, GZIP_FLG_COMMENT
    jz .header_crc
    call .skip_string
.header_crc:
    test r8d, GZIP_FLG_HCRC
    jz .done
    mov rax, r12
    sub rax, rsi
    cmp rax, 2
    jb inflate_truncated
    add rsi, 2
.done:
    ret
.skip_string:                           ; past the next zero byte
    cmp rsi, r12
    jae inflate_truncated
    lodsb
    test al, al
    jnz .skip_string
    ret
.not_gzip:
    lea rax, [rel msg_gzip_header]
    jmp inflate_fail

; inflate_bits — the next r9d (0-16) bits of the stream, least significant first.
; OUT: eax. Clobbers rcx.
inflate_bits:
.fill:
    cmp r14d, r9d
    jae .have
    cmp rsi, r12
    jae inflate_truncated
    movzx eax, byte [rsi]
    inc rsi
    mov ecx, r14d
    shl rax, cl
    or r13, rax
    add r14d, 8
    jmp .fill
.have:
    mov ecx, r9d
    mov eax, 1
    shl eax, cl
    dec eax
    and eax, r13d
    shr r13, cl
    sub r14d, r9d
    ret

; inflate_decode — the next symbol of a canonical Huffman code, read bit by bit: a code of
; length L is the (code - first)th symbol of that length when it is below first + count(L).
; IN: r10 = counts per length (16 words), r11 = symbols in code order (words).
; OUT: eax = symbol. Clobbers rcx, rdx, r8, r9.
inflate_decode:
    xor edx, edx                        ; the code read so far
    xor r8d, r8d                        ; first code of this length
    xor r9d, r9d                        ; index of its first symbol
    mov ecx, 1
.length:
    test r14d, r14d
    jnz .bit
    cmp rsi, r12
    jae inflate_truncated
    movzx r13d, byte [rsi]
    inc rsi
    mov r14d, 8
.bit:
    mov eax, r13d
    and eax, 1
    shr r13, 1
    dec r14d
    or edx, eax
    movzx eax, word [r10 + rcx*2]
    add r8d, eax                        ; first + count
    cmp edx, r8d
    jb .found
    add r9d, eax
    shl r8d, 1
    shl edx, 1
    inc ecx
    cmp ecx, DEFLATE_MAX_BITS
    jbe .length
    jmp inflate_corrupt                 ; no symbol has this code
.found:
    sub edx, r8d
    add edx, eax                        ; code - first
    add edx, r9d
    movzx eax, word [r11 + rdx*2]
    ret

; inflate_build — the count/symbol tables of the canonical code with the given lengths.
; IN: r8 = code lengths (bytes), r9d = how many, r10 = counts (16 words), r11 = symbols.
; An over-subscribed set of lengths is corrupt. Clobbers rax, rbx, rcx, rdx.
inflate_build:
    xor eax, eax
    xor ecx, ecx
.zero:
    mov [r10 + rcx*2], ax
    inc ecx
    cmp ecx, DEFLATE_MAX_BITS + 1
    jb .zero
    xor ecx, ecx
.count:
    cmp ecx, r9d
    jae .counted
    movzx eax, byte [r8 + rcx]
    inc word [r10 + rax*2]
    inc ecx
    jmp .count
.counted:
    movzx eax, word [r10]
    cmp eax, r9d
    je .done                            ; no codes at all (a block with no distances)
    mov edx, 1                          ; codes left to assign
    mov ecx, 1
.left:
    shl edx, 1
    movzx eax, word [r10 + rcx*2]
    sub edx, eax
    js inflate_corrupt
    inc ecx
    cmp ecx, DEFLATE_MAX_BITS
    jbe .left
    ; where each length's symbols start in the symbol table
    lea rbx, [rel inflate_offsets]
    mov word [rbx + 2], 0
    mov ecx, 1
.offset:
    movzx eax, word [rbx + rcx*2]
    add ax, [r10 + rcx*2]
    mov [rbx + rcx*2 + 2], ax
    inc ecx
    cmp ecx, DEFLATE_MAX_BITS
    jb .offset
    xor ecx, ecx
.symbol:
    cmp ecx, r9d
    jae .done
    movzx eax, byte [r8 + rcx]
    test eax, eax
    jz .next_symbol
    movzx edx, word [rbx + rax*2]
    inc word [rbx + rax*2]
    mov [r11 + rdx*2], cx
.next_symbol:
    inc ecx
    jmp .symbol
.done:
    ret

; inflate_fixed_tables — the fixed literal/length and distance codes of RFC 1951 3.2.6.
inflate_fixed_tables:
    lea r8, [rel inflate_lengths]
    xor ecx, ecx
.lengths:
    mov al, 8
    cmp ecx, 144
    jb .put
    mov al, 9
    cmp ecx, 256
    jb .put
    mov al, 7
    cmp ecx, 280
    jb .put
    mov al, 8
.put:
    mov [r8 + rcx], al
    inc ecx
    cmp ecx, DEFLATE_FIXED_LITERALS
    jb .lengths
    mov r9d, DEFLATE_FIXED_LITERALS
    lea r10, [rel inflate_literal_counts]
    lea r11, [rel inflate_literal_symbols]
    call inflate_build
    lea r8, [rel inflate_lengths]
    xor ecx, ecx
.distances:
    mov byte [r8 + rcx], 5
    inc ecx
    cmp ecx, DEFLATE_DISTANCE_CODES
    jb .distances
    mov r9d, DEFLATE_DISTANCE_CODES
    lea r10, [rel inflate_distance_counts]
    lea r11, [rel inflate_distance_symbols]
    jmp inflate_build

; inflate_dynamic_tables — read a dynamic block's code lengths (themselves Huffman-coded
; with run lengths) and build its literal/length and distance codes.
inflate_dynamic_tables:
    mov r9d, 5
    call inflate_bits
    add eax, 257
    mov [rel inflate_literal_count], eax
    mov r9d, 5
    call inflate_bits
    inc eax
    mov [rel inflate_distance_count], eax
    mov r9d, 4
    call inflate_bits
    add eax, 4
    mov ebx, eax                        ; code length codes given
    cmp dword [rel inflate_literal_count], DEFLATE_LITERAL_CODES
    ja inflate_corrupt
    cmp dword [rel inflate_distance_count], DEFLATE_DISTANCE_CODES
    ja inflate_corrupt
    lea r8, [rel inflate_lengths]
    xor eax, eax
    xor ecx, ecx
.clear:
    mov [r8 + rcx], al
    inc ecx
    cmp ecx, DEFLATE_CODE_LENGTH_CODES
    jb .clear
    xor edx, edx
.code_length_code:
    cmp edx, ebx
    jae .code_lengths_read
    push rdx
    mov r9d, 3
    call inflate_bits
    pop rdx
    lea r8, [rel inflate_code_length_order]
    movzx ecx, byte [r8 + rdx]
    lea r8, [rel inflate_lengths]
    mov [r8 + rcx], al
    inc edx
    jmp .code_length_code
.code_lengths_read:
    lea r8, [rel inflate_lengths]
    mov r9d, DEFLATE_CODE_LENGTH_CODES
    lea r10, [rel inflate_literal_counts]
    lea r11, [rel inflate_literal_symbols]
    call inflate_build
    ; the literal/length and distance code lengths, as one sequence
    mov ebx, [rel inflate_literal_count]
    add ebx, [rel inflate_distance_count]
    xor edx, edx                        ; lengths read
.length:
    cmp edx, ebx
    jae .lengths_read
    push rdx
    lea r10, [rel inflate_literal_counts]
    lea r11, [rel inflate_literal_symbols]
    call inflate_decode
    pop rdx
    cmp eax, 16
    jae .run
    lea r8, [rel inflate_lengths]
    mov [r8 + rdx], al
    inc edx
    jmp .length
.run:
    push rdx
    mov r10d, eax                       ; 16: repeat the last length, 17/18: zeros
    cmp eax, 16
    jne .zeros
    mov r9d, 2
    call inflate_bits
    add eax, 3
    pop rdx
    test edx, edx
    jz inflate_corrupt                  ; nothing to repeat
    lea r8, [rel inflate_lengths]
    movzx r10d, byte [r8 + rdx - 1]
    jmp .repeat
.zeros:
    mov r9d, 3
    cmp r10d, 17
    je .zero_bits
    mov r9d, 7
.zero_bits:
    call inflate_bits
    add eax, 3
    cmp r10d, 17
    je .zero_run
    add eax, 8                          ; 18: 11-138 zeros
.zero_run:
    pop rdx
    xor r10d, r10d
.repeat:
    lea ecx, [edx + eax]
    cmp ecx, ebx
    ja inflate_corrupt                  ; runs past the lengths this block declared
    lea r8, [rel inflate_lengths]
.fill:
    mov [r8 + rdx], r10b
    inc edx
    dec eax
    jnz .fill
    jmp .length
.lengths_read:
    lea r8, [rel inflate_lengths]
    cmp byte [r8 + DEFLATE_END_OF_BLOCK], 0
    je inflate_corrupt                  ; a block must be able to end
    mov r9d, [rel inflate_literal_count]
    lea r10, [rel inflate_literal_counts]
    lea r11, [rel inflate_literal_symbols]
    call inflate_build
    lea r8, [rel inflate_lengths]
    mov eax, [rel inflate_literal_count]
    add r8, rax
    mov r9d, [rel inflate_distance_count]
    lea r10, [rel inflate_distance_counts]
    lea r11, [rel inflate_distance_symbols]
    jmp inflate_build

; inflate_codes — decode one Huffman block's literals and (length, distance) copies up to its
; end-of-block code.
inflate_codes:
.symbol:
    lea r10, [rel inflate_literal_counts]
    lea r11, [rel inflate_literal_symbols]
    call inflate_decode
    cmp eax, DEFLATE_END_OF_BLOCK
    jb .literal
    je .done
    sub eax, DEFLATE_END_OF_BLOCK + 1
    cmp eax, DEFLATE_LENGTH_CODES
    jae inflate_corrupt
    lea r8, [rel inflate_length_extra]
    movzx r9d, byte [r8 + rax]
    lea r8, [rel inflate_length_base]
    movzx ebx, word [r8 + rax*2]
    call inflate_bits
    add ebx, eax                        ; copy length
    lea r10, [rel inflate_distance_counts]
    lea r11, [rel inflate_distance_symbols]
    call inflate_decode
    cmp eax, DEFLATE_DISTANCE_CODES
    jae inflate_corrupt
    lea r8, [rel inflate_distance_extra]
    movzx r9d, byte [r8 + rax]
    lea r8, [rel inflate_distance_base]
    movzx r10d, word [r8 + rax*2]
    call inflate_bits
    add eax, r10d                       ; distance back
    cmp rax, r15
    ja inflate_corrupt                  ; before the first byte
    mov rdx, r15
    add rdx, rbx
    cmp rdx, [rel inflate_capacity]
    ja .overflow
    test rdi, rdi
    jz .counted_copy
    mov rdx, r15
    sub rdx, rax                        ; source: may overlap the bytes being written
.copy:
    mov al, [rdi + rdx]
    mov [rdi + r15], al
    inc rdx
    inc r15
    dec ebx
    jnz .copy
    jmp .symbol
.counted_copy:
    add r15, rbx
    jmp .symbol
.literal:
    cmp r15, [rel inflate_capacity]
    jae .overflow
    test rdi, rdi
    jz .counted_literal
    mov [rdi + r15], al
.counted_literal:
    inc r15
    jmp .symbol
.done:
    ret
.overflow:
    lea rax, [rel msg_gzip_size]
    jmp inflate_fail

; inflate_stored — a stored block: LEN, its complement NLEN, then LEN bytes as they are.
inflate_stored:
    xor r13d, r13d                      ; the block starts at the next byte
    xor r14d, r14d
    mov rax, r12
    sub rax, rsi
    cmp rax, 4
    jb inflate_truncated
    movzx eax, word [rsi]
    movzx edx, word [rsi + 2]
    not dx
    cmp ax, dx
    jne inflate_corrupt
    add rsi, 4
    mov rdx, r12
    sub rdx, rsi
    cmp rdx, rax
    jb inflate_truncated
    mov rdx, r15
    add rdx, rax
    cmp rdx, [rel inflate_capacity]
    ja inflate_codes.overflow
    test rdi, rdi
    jz .counted
    push rdi
    lea rdi, [rdi + r15]
    mov ecx, eax
    rep movsb
    pop rdi
    add r15, rax
    ret
.counted:
    add rsi, rax
    add r15, rax
    ret

; inflate_crc32 — CRC-32 (IEEE, reflected) of the output so far, as gzip stores it.
; OUT: eax. Clobbers rcx, rdx, r8, r9.
inflate_crc32:
    lea r8, [rel inflate_crc_table]
    cmp dword [r8 + 4], 0               ; entry 1 is never 0 once built
    jne .table_ready
    xor ecx, ecx
.entry:
    mov eax, ecx
    mov edx, 8
.entry_bit:
    shr eax, 1
    jnc .entry_no_xor
    xor eax, CRC32_POLYNOMIAL
.entry_no_xor:
    dec edx
    jnz .entry_bit
    mov [r8 + rcx*4], eax
    inc ecx
    cmp ecx, 256
    jb .entry
.table_ready:
    mov eax, -1
    xor r9d, r9d
.byte:
    cmp r9, r15
    jae .done
    movzx ecx, byte [rdi + r9]
    xor cl, al
    shr eax, 8
    xor eax, [r8 + rcx*4]
    inc r9
    jmp .byte
.done:
    not eax
    ret

GZIP_MAGIC                      equ 0x8b1f             ; ID1 0x1f, ID2 0x8b
GZIP_CM_DEFLATE                 equ 8
GZIP_HEADER_SIZE                equ 10
GZIP_TRAILER_SIZE               equ 8                  ; CRC32, ISIZE
GZIP_FLG_HCRC                   equ 1 << 1
GZIP_FLG_EXTRA                  equ 1 << 2
GZIP_FLG_NAME                   equ 1 << 3
GZIP_FLG_COMMENT                equ 1 << 4
GZIP_FLG_RESERVED               equ 0xe0
DEFLATE_STORED                  equ 0
DEFLATE_FIXED                   equ 1
DEFLATE_DYNAMIC                 equ 2
DEFLATE_MAX_BITS                equ 15
DEFLATE_END_OF_BLOCK            equ 256
DEFLATE_LENGTH_CODES            equ 29
DEFLATE_LITERAL_CODES           equ 286
DEFLATE_FIXED_LITERALS          equ 288
DEFLATE_DISTANCE_CODES          equ 30
DEFLATE_CODE_LENGTH_CODES       equ 19
CRC32_POLYNOMIAL                equ 0xedb88320

section .data
inflate_length_base:    dw 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31
                        dw 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258
inflate_length_extra:   db 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2
                        db 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
align 2
inflate_distance_base:  dw 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193
                        dw 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145
                        dw 8193, 12289, 16385, 24577
inflate_distance_extra: db 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6
                        db 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13
inflate_code_length_order: db 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
msg_gzip_file:          db "gzip file ", 0
msg_gzip_header:        db ": not gzip data (no 1f 8b 08 header, or reserved flags set)", 0
msg_gzip_truncated:     db ": the gzip data ends before its last block and trailer", 0
msg_gzip_corrupt:       db ": corrupt deflate data in the gzip member", 0
msg_gzip_crc:           db ": the decompressed data fails the gzip CRC-32", 0
msg_gzip_size:          db ": the decompressed size differs from the gzip ISIZE", 0

kernel_compressed:      db 0                   ; kernel_path had "$"
align 8
inflate_frame:          dq 0
inflate_capacity:       dq 0
inflate_literal_count:  dd 0
inflate_distance_count: dd 0
inflate_last_block:     db 0
align 4
inflate_crc_table:      times 256 dd 0
inflate_offsets:        times DEFLATE_MAX_BITS + 2 dw 0
inflate_literal_counts: times DEFLATE_MAX_BITS + 1 dw 0
inflate_literal_symbols: times DEFLATE_FIXED_LITERALS dw 0
inflate_distance_counts: times DEFLATE_MAX_BITS + 1 dw 0
inflate_distance_symbols: times DEFLATE_DISTANCE_CODES + 2 dw 0
inflate_lengths:        times DEFLATE_FIXED_LITERALS + 32 db 0
