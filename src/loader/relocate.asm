; relocate.asm — apply a position-independent (ET_DYN) kernel's dynamic relocations to its
; loaded image, for the slide check_kernel chose: RELA tables (DT_RELA and the PLT's DT_JMPREL)
; with R_X86_64_RELATIVE, R_X86_64_64, R_X86_64_GLOB_DAT and R_X86_64_JUMP_SLOT, and packed
; DT_RELR tables. That is what GNU ld and lld write for `-pie` (with -z pack-relative-relocs
; for RELR). Anything else stops the boot with the type named.

section .text

; image_pointer — where a linked virtual address of the kernel lies in the loaded copy.
; IN: rcx = linked vaddr, rdx = bytes needed there. OUT: rax = physical address.
; Stops the boot when [vaddr, vaddr + bytes) is not inside the loaded image.
image_pointer:
    mov rax, rcx
    sub rax, [rel kernel_link_base]
    jc .outside
    add rdx, rax
    jc .outside
    cmp rdx, [rel kernel_image_size]
    ja .outside
    add rax, [rel kernel_physical_base]
    ret
.outside:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_relocation_outside

; relocate_kernel — read PT_DYNAMIC and apply every relocation table it names.
; IN: kernel_phdrs, kernel_phdr_count, kernel_slide, the loaded image.
relocate_kernel:
    FRAME
    mov r12, [rel kernel_phdrs]
    xor ebx, ebx
.find_dynamic:
    cmp rbx, [rel kernel_phdr_count]
    jae .done                           ; no PT_DYNAMIC: nothing to relocate
    imul r13, rbx, PHDR_SIZE
    add r13, r12
    cmp dword [r13 + P_TYPE], PT_DYNAMIC
    je .found
    inc rbx
    jmp .find_dynamic
.found:
    mov rcx, [r13 + P_VADDR]
    mov rdx, [r13 + P_MEMSZ]
    call image_pointer
    mov rsi, rax
    mov rdi, [r13 + P_MEMSZ]
    shr rdi, 4                          ; entries, DYN_SIZE bytes each
    lea r14, [rel dynamic_values]
    xor eax, eax
    mov ecx, DYNAMIC_VALUE_COUNT
.clear:
    mov qword [r14 + rcx*8 - 8], 0
    loop .clear
.entry:
    test rdi, rdi
    jz .table_read
    mov rax, [rsi]
    cmp rax, DT_NULL
    je .table_read
    mov rdx, [rsi + 8]
    cmp rax, DT_REL
    je .rel_table
    cmp rax, DT_RELSZ
    je .rel_table
    lea r8, [rel dynamic_tags]
    xor ecx, ecx
.tag:
    cmp ecx, DYNAMIC_VALUE_COUNT
    jae .next_entry
    cmp rax, [r8 + rcx*8]
    je .keep
    inc ecx
    jmp .tag
.keep:
    mov [r14 + rcx*8], rdx
.next_entry:
    add rsi, DYN_SIZE
    dec rdi
    jmp .entry
.table_read:
    mov rax, [rel dyn_relaent]
    test rax, rax
    jz .relaent_ok
    cmp rax, RELA_SIZE
    jne .bad_entry_size
.relaent_ok:
    mov rax, [rel dyn_relrent]
    test rax, rax
    jz .relrent_ok
    cmp rax, 8
    jne .bad_entry_size
.relrent_ok:
    mov rcx, [rel dyn_rela]
    mov rdx, [rel dyn_relasz]
    call apply_rela_table
    mov rcx, [rel dyn_jmprel]
    mov rdx, [rel dyn_pltrelsz]
    call apply_rela_table
    call apply_relr_table
.done:
    UNFRAME
.rel_table:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_rel_table
.bad_entry_size:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_bad_entry_size

; apply_rela_table — IN: rcx = linked vaddr of a RELA table (0: none), rdx = its size.
apply_rela_table:
    FRAME
    test rcx, rcx
    jz .done
    test rdx, rdx
    jz .done
    mov r12, rdx
    call image_pointer
    mov rsi, rax
    mov r15, [rel kernel_slide]
.relocation:
    cmp r12, RELA_SIZE
    jb .done
    mov ebx, [rsi + RELA_INFO]          ; type (low 32 bits)
    cmp ebx, R_X86_64_NONE
    je .next
    mov r13, [rsi + RELA_ADDEND]
    cmp ebx, R_X86_64_RELATIVE
    jne .symbolic
    lea r14, [r15 + r13]                ; B + A
    jmp .store
.symbolic:
    cmp ebx, R_X86_64_64
    je .symbol_value
    cmp ebx, R_X86_64_GLOB_DAT
    je .symbol_only
    cmp ebx, R_X86_64_JUMP_SLOT
    jne .unsupported
.symbol_only:
    xor r13d, r13d                      ; GLOB_DAT and JUMP_SLOT are S, without A
.symbol_value:
    mov ecx, [rsi + RELA_INFO + 4]      ; symbol index
    call dynamic_symbol_value
    lea r14, [rax + r13]                ; S + A
.store:
    mov rcx, [rsi + RELA_OFFSET]
    mov edx, 8
    call image_pointer
    mov [rax], r14
.next:
    add rsi, RELA_SIZE
    sub r12, RELA_SIZE
    jmp .relocation
.done:
    UNFRAME
.unsupported:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_unsupported_relocation

; dynamic_symbol_value — IN: ecx = index into DT_SYMTAB. OUT: rax = its run-time address
; (0 for an undefined weak symbol, st_value for SHN_ABS, else st_value + slide).
dynamic_symbol_value:
    FRAME
    xor eax, eax
    test ecx, ecx
    jz .done
    mov rax, [rel dyn_syment]
    test rax, rax
    jnz .entry_size
    mov eax, SYM_SIZE
.entry_size:
    imul rax, rcx
    mov rcx, [rel dyn_symtab]
    test rcx, rcx
    jz .no_symtab
    add rcx, rax
    mov edx, SYM_SIZE
    call image_pointer
    movzx ecx, word [rax + SYM_SHNDX]
    mov rax, [rax + SYM_VALUE]
    test ecx, ecx
    jz .undefined
    cmp ecx, SHN_ABS
    je .done
    add rax, [rel kernel_slide]
    jmp .done
.undefined:
    xor eax, eax
.done:
    UNFRAME
.no_symtab:
    FAIL3 msg_kernel_prefix, [rel kernel_name], msg_no_symtab

; apply_relr_table — DT_RELR: a list of addresses (even entries) each followed by bitmaps
; (odd entries) of the next 63 words; every word named gets the slide added.
apply_relr_table:
    FRAME
    mov rcx, [rel dyn_relr]
    test rcx, rcx
    jz .done
    mov r12, [rel dyn_relrsz]
    mov rdx, r12
    call image_pointer
    mov rsi, rax
    mov r15, [rel kernel_slide]
    xor r13d, r13d                      ; next linked address a bitmap starts at
.entry:
    cmp r12, 8
    jb .done
    mov rbx, [rsi]
    test ebx, 1
    jnz .bitmap
    mov rcx, rbx
    mov edx, 8
    call image_pointer
    add [rax], r15
    lea r13, [rbx + 8]
    jmp .next
.bitmap:
    shr rbx, 1
    mov r14, r13
.bit:
    test rbx, rbx
    jz .bitmap_done
    test ebx, 1
    jz .next_bit
    mov rcx, r14
    mov edx, 8
    call image_pointer
    add [rax], r15
.next_bit:
    shr rbx, 1
    add r14, 8
    jmp .bit
.bitmap_done:
    add r13, 63 * 8
.next:
    add rsi, 8
    sub r12, 8
    jmp .entry
.done:
    UNFRAME

; random_number — OUT: rax = 64 random bits: RDRAND when the CPU has it, else the TSC
; scrambled (good enough to vary a slide from boot to boot).
random_number:
    push rbx
    mov eax, 1
    cpuid
    bt ecx, CPUID_RDRAND_BIT
    jnc .tsc
    mov ecx, 16
.retry:
    rdrand rax
    jc .done
    loop .retry
.tsc:
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rdx, 0x9e3779b97f4a7c15         ; one multiply spreads the low bits upwards
    imul rax, rdx
    mov rdx, rax
    shr rdx, 29
    xor rax, rdx
.done:
    pop rbx
    ret

section .data
align 8
; the dynamic tags read, and where each value goes (same order)
dynamic_tags:       dq DT_RELA, DT_RELASZ, DT_RELAENT, DT_JMPREL, DT_PLTRELSZ
                    dq DT_RELR, DT_RELRSZ, DT_RELRENT, DT_SYMTAB, DT_SYMENT
DYNAMIC_VALUE_COUNT equ ($ - dynamic_tags) / 8
dynamic_values:
dyn_rela:           dq 0
dyn_relasz:         dq 0
dyn_relaent:        dq 0
dyn_jmprel:         dq 0
dyn_pltrelsz:       dq 0
dyn_relr:           dq 0
dyn_relrsz:         dq 0
dyn_relrent:        dq 0
dyn_symtab:         dq 0
dyn_syment:         dq 0

msg_relocation_outside: db ": a dynamic relocation or table lies outside the loaded image", 0
msg_rel_table:      db ": has a DT_REL table (x86-64 kernels use DT_RELA)", 0
msg_bad_entry_size: db ": DT_RELAENT or DT_RELRENT has a size other than 24 or 8", 0
msg_unsupported_relocation: db ": has a dynamic relocation other than R_X86_64_RELATIVE, 64, GLOB_DAT, JUMP_SLOT", 0
msg_no_symtab:      db ": a symbolic relocation but no DT_SYMTAB", 0
