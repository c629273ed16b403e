; FPU/SSE state: x87 and SSE on (and AVX state too when XSAVE is there), one save area per thread.
; The scheduler saves and restores it on every switch with xsave/xrstor when the CPU has XSAVE,
; else fxsave/fxrstor; new threads start from the clean state captured here.

FXSAVE_AREA_SIZE    equ 512
FPU_AREA_ALIGN      equ 64          ; xsave wants 64, fxsave 16
MXCSR_DEFAULT       equ 0x1f80      ; every SIMD exception masked, round to nearest

section .bss
fpu_uses_xsave:     resq 1
fpu_state_size:     resq 1
fpu_xcr0:           resq 1
fpu_initial_state:  resq 1          ; the clean state new threads start from (FPU_AREA_ALIGN aligned)

section .data
fpu_mxcsr_default:  dd MXCSR_DEFAULT

section .rodata
fpu_xsave_format:   db "fpu: xsave, %u-byte state per thread, XCR0=%x", 0
fpu_fxsave_format:  db "fpu: fxsave, %u-byte state per thread", 0
fpu_no_memory_text: db "fpu: no memory for the initial FPU state", 0

section .text

; fpu_init: enable x87/SSE (and XSAVE), reset the FPU, capture the clean state.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
fpu_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rax, cr0
    and rax, ~(CR0_EM | CR0_TS)
    or rax, CR0_MP
    mov cr0, rax
    mov rax, cr4
    or rax, CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, rax
    mov qword [rel fpu_state_size], FXSAVE_AREA_SIZE
    mov eax, CPUID_FEATURES
    cpuid
    test ecx, CPUID_FEATURES_ECX_XSAVE
    jz .no_xsave
    mov rax, cr4
    or rax, CR4_OSXSAVE
    mov cr4, rax
    mov eax, CPUID_XSAVE_LEAF
    xor ecx, ecx
    cpuid
    and eax, XCR0_X87 | XCR0_SSE | XCR0_AVX ; what the CPU supports, of what we save
    mov [rel fpu_xcr0], rax
    xor ecx, ecx
    xor edx, edx
    xsetbv
    mov eax, CPUID_XSAVE_LEAF
    xor ecx, ecx
    cpuid                                   ; ebx: the area size for what XCR0 now enables
    mov [rel fpu_state_size], rbx
    mov qword [rel fpu_uses_xsave], 1
.no_xsave:
    fninit
    ldmxcsr [rel fpu_mxcsr_default]
    call fpu_alloc_area
    test rax, rax
    jz .no_memory
    mov [rel fpu_initial_state], rax
    mov rdi, rax
    call fpu_save
    cmp qword [rel fpu_uses_xsave], 0
    je .fxsave
    mov edi, LOG_INFO
    lea rsi, [rel fpu_xsave_format]
    mov rdx, [rel fpu_state_size]
    mov rcx, [rel fpu_xcr0]
    call klog
    jmp .done
.fxsave:
    mov edi, LOG_INFO
    lea rsi, [rel fpu_fxsave_format]
    mov rdx, [rel fpu_state_size]
    call klog
.done:
    pop r12
    pop rbx
    pop rbp
    ret
.no_memory:
    lea rdi, [rel fpu_no_memory_text]
    call panic

; fpu_alloc_area: a zeroed, aligned FPU save area from the heap. The kmalloc block's address is
; kept in the quadword before the area, for fpu_free_area.
; IN: nothing. OUT: rax = area, or 0 when out of memory. Clobbers: caller-saved registers.
fpu_alloc_area:
    push rbp
    mov rbp, rsp
    mov rdi, [rel fpu_state_size]
    add rdi, FPU_AREA_ALIGN * 2
    call kmalloc
    test rax, rax
    jz .done
    mov rdx, rax
    mov rdi, rax
    mov rcx, [rel fpu_state_size]
    add rcx, FPU_AREA_ALIGN * 2
    shr rcx, 3
    xor eax, eax
    rep stosq
    lea rax, [rdx + FPU_AREA_ALIGN]
    and rax, -FPU_AREA_ALIGN
    mov [rax - 8], rdx
.done:
    pop rbp
    ret

; fpu_free_area: give back an area from fpu_alloc_area.
; IN: rdi = area. OUT: nothing. Clobbers: caller-saved registers.
fpu_free_area:
    mov rdi, [rdi - 8]
    jmp kfree

; fpu_save: IN: rdi = area. OUT: nothing. Clobbers: rax, rdx.
fpu_save:
    cmp qword [rel fpu_uses_xsave], 0
    je .fxsave
    mov eax, -1
    mov edx, -1
    xsave64 [rdi]
    ret
.fxsave:
    fxsave64 [rdi]
    ret

; fpu_restore: IN: rdi = area. OUT: nothing. Clobbers: rax, rdx.
fpu_restore:
    cmp qword [rel fpu_uses_xsave], 0
    je .fxrstor
    mov eax, -1
    mov edx, -1
    xrstor64 [rdi]
    ret
.fxrstor:
    fxrstor64 [rdi]
    ret
