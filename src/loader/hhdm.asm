; hhdm.asm — where the higher half direct map goes, as Limine places it: at the start of the
; higher half of the paging mode in use (0xffff800000000000 with 4 levels, 0xff00000000000000
; with 5), moved up by a random multiple of 1 GiB within a quarter of the higher half when
; the entry's `randomise_hhdm_base` (alias `randomize_hhdm_base`) is yes. Without the key it
; follows KASLR: randomised when `kaslr: yes` applies, i.e. for a relocatable kernel.

HHDM_RANDOMISE_UNSET            equ 2                  ; config_randomise_hhdm: key not given

section .text

; is_randomise_hhdm_key — IN: rcx = a config key. OUT: eax = 1 for randomise_hhdm_base or
; randomize_hhdm_base (any case). Clobbers rcx, rdx, r8-r10.
is_randomise_hhdm_key:
    mov r10, rcx
    lea rdx, [rel key_randomise_hhdm_base]
    call strings_equal_ci
    test eax, eax
    jnz .done
    mov rcx, r10
    lea rdx, [rel key_randomize_hhdm_base]
    call strings_equal_ci
.done:
    ret

; choose_hhdm_offset — set hhdm_offset for the paging mode chosen (after check_paging_mode,
; before anything hands out an HHDM address). IN: paging_mode, config_randomise_hhdm,
; kaslr_enabled, kernel_relocatable. OUT: hhdm_offset.
choose_hhdm_offset:
    FRAME
    mov rbx, HHDM_BASE_4LEVEL
    mov r12d, 48 - 3                    ; a quarter of the 47-bit higher half
    cmp qword [rel paging_mode], PAGING_MODE_5LEVEL
    jne .base_known
    mov rbx, HHDM_BASE_5LEVEL
    mov r12d, 57 - 3
.base_known:
    mov al, [rel config_randomise_hhdm]
    cmp al, HHDM_RANDOMISE_UNSET
    jne .decided
    xor eax, eax
    cmp byte [rel kaslr_enabled], 0
    je .decided
    cmp byte [rel kernel_relocatable], 0
    setne al
.decided:
    test al, al
    jz .done
    call random_number
    mov rcx, -HHDM_RANDOM_STEP
    and rax, rcx
    mov ecx, r12d
    mov edx, 1
    shl rdx, cl
    dec rdx
    and rax, rdx
    add rbx, rax
.done:
    mov [rel hhdm_offset], rbx
    UNFRAME

section .data
align 8
hhdm_offset:            dq HHDM_BASE_4LEVEL
config_randomise_hhdm:  db HHDM_RANDOMISE_UNSET
key_randomise_hhdm_base: db "randomise_hhdm_base", 0
key_randomize_hhdm_base: db "randomize_hhdm_base", 0
