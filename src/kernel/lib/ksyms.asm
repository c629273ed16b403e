; The kernel's own symbol table, for backtraces. The build reserves KSYMS_CAPACITY bytes here and,
; after linking, writes the sorted function addresses and names into them (src/build/symbols.ts):
;   u64 count; count × { u64 address; u64 name_offset }; names (0-terminated, offsets from ksyms_table)

KSYMS_CAPACITY  equ 64 * 1024
KSYMS_MAGIC     equ 0x30534d59534b534f  ; "OSKSYMS0": marks the blob for the build to find and fill

struc ksym_entry
    .address:       resq 1
    .name_offset:   resq 1
endstruc

section .ksyms progbits alloc noexec nowrite align=8
    align 8
ksyms_table:
    dq KSYMS_MAGIC
    times KSYMS_CAPACITY - 8 db 0

section .text

; ksym_resolve: find the function containing an address.
; IN: rdi = address. OUT: rax = function name (0 when unknown), rdx = offset into it.
; Clobbers: rcx, rsi, r8, r9.
ksym_resolve:
    lea rsi, [rel ksyms_table]
    mov rcx, [rsi]                          ; count (the build replaced the magic)
    mov rax, KSYMS_MAGIC
    cmp rcx, rax
    je .unknown
    lea r8, [rsi + 8]                       ; first entry
    xor r9d, r9d                            ; best entry so far
.scan:
    test rcx, rcx
    jz .scanned
    cmp [r8 + ksym_entry.address], rdi
    ja .scanned                             ; entries are sorted: nothing further can contain rdi
    mov r9, r8
    add r8, ksym_entry_size
    dec rcx
    jmp .scan
.scanned:
    test r9, r9
    jz .unknown
    mov rdx, rdi
    sub rdx, [r9 + ksym_entry.address]
    mov rax, [r9 + ksym_entry.name_offset]
    add rax, rsi
    ret
.unknown:
    xor eax, eax
    xor edx, edx
    ret
