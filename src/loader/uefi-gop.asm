; uefi-gop.asm — the UEFI platform's framebuffer: GOP's current mode (or the one limine.conf's
; resolution names) and its mode list, for video.asm's framebuffer response.

section .text

; find_framebuffer — locate GOP and note the current mode's framebuffer.
; OUT: gop, framebuffer_base/size (0 when there is no GOP or it has no linear framebuffer).
find_framebuffer:
    FRAME
    lea rcx, [rel guid_gop]
    xor edx, edx
    lea r8, [rel gop]
    mov rax, [rel boot_services]
    call [rax + BS_LOCATE_PROTOCOL]
    test rax, rax
    jnz .none
    call apply_resolution
    mov rax, [rel gop]
    mov rbx, [rax + GOP_MODE]
    mov rcx, [rbx + GOPM_INFO]
    lea rdx, [rel current_layout]
    call describe_pixels
    test eax, eax
    jz .none
    mov rax, [rbx + GOPM_FRAMEBUFFER_BASE]
    mov [rel framebuffer_base], rax
    mov rax, [rbx + GOPM_FRAMEBUFFER_SIZE]
    mov [rel framebuffer_size], rax
    mov rsi, [rbx + GOPM_INFO]
    mov eax, [rsi + GOPI_WIDTH]
    mov [rel framebuffer_width], rax
    mov eax, [rsi + GOPI_HEIGHT]
    mov [rel framebuffer_height], rax
    movzx eax, word [rel current_layout]
    shr eax, 3
    mov ecx, [rsi + GOPI_PIXELS_PER_SCANLINE]
    imul rax, rcx
    mov [rel framebuffer_pitch], rax
.none:
    UNFRAME

; apply_resolution — switch GOP to the entry's "resolution: WxH[xBPP]" when one of its modes
; matches; otherwise (or when the text does not parse) keep the firmware's mode.
apply_resolution:
    FRAME
    call parse_resolution
    test eax, eax
    jz .done
    mov r12, r8                         ; width
    mov r13, r9                         ; height
    mov r14, r10                        ; bpp (32 unless given)
    mov rax, [rel gop]
    mov rax, [rax + GOP_MODE]
    mov r15d, [rax + GOPM_MAX_MODE]
    xor ebx, ebx
.mode:
    cmp rbx, r15
    jae .done
    mov rcx, [rel gop]
    mov edx, ebx
    lea r8, [rel mode_info_size]
    lea r9, [rel mode_info]
    call [rcx + GOP_QUERY_MODE]
    test rax, rax
    jnz .next
    mov rsi, [rel mode_info]
    mov rcx, rsi
    lea rdx, [rel candidate_layout]
    call describe_pixels
    xor edi, edi                        ; 1 = this mode matches
    test eax, eax
    jz .compared                        ; no linear framebuffer
    mov eax, [rsi + GOPI_WIDTH]
    cmp rax, r12
    jne .compared
    mov eax, [rsi + GOPI_HEIGHT]
    cmp rax, r13
    jne .compared
    test r14, r14
    jz .matches
    movzx eax, word [rel candidate_layout]
    cmp rax, r14
    jne .compared
.matches:
    mov edi, 1
.compared:
    mov rcx, rsi
    mov rax, [rel boot_services]
    call [rax + BS_FREE_POOL]
    test edi, edi
    jz .next
    mov rcx, [rel gop]
    mov edx, ebx
    call [rcx + GOP_SET_MODE]
    jmp .done
.next:
    inc rbx
    jmp .mode
.done:
    UNFRAME

; describe_pixels — translate a GOP mode's pixel format into Limine's bpp, memory model
; and mask sizes/shifts.
; IN: rcx = EFI_GRAPHICS_OUTPUT_MODE_INFORMATION, rdx = 9 bytes out: bpp (u16), memory
; model, red size, red shift, green size, green shift, blue size, blue shift.
; OUT: eax = 1, or 0 for a mode without a linear framebuffer (PixelBltOnly).
describe_pixels:
    FRAME
    mov rsi, rcx
    mov rdi, rdx
    mov byte [rdi + 2], MEMORY_MODEL_RGB
    mov eax, [rsi + GOPI_PIXEL_FORMAT]
    cmp eax, PIXEL_RGB_RESERVED_8BIT
    je .rgb
    cmp eax, PIXEL_BGR_RESERVED_8BIT
    je .bgr
    cmp eax, PIXEL_BIT_MASK
    je .masks
    xor eax, eax
    UNFRAME
.rgb:
    mov word [rdi], 32
    mov dword [rdi + 3], 0x08080008     ; red 8@0, green 8@8
    mov word [rdi + 7], 0x1008          ; blue 8@16
    mov eax, 1
    UNFRAME
.bgr:
    mov word [rdi], 32
    mov dword [rdi + 3], 0x08081008     ; red 8@16, green 8@8
    mov word [rdi + 7], 0x0008          ; blue 8@0
    mov eax, 1
    UNFRAME
.masks:
    mov ecx, [rsi + GOPI_RED_MASK]
    call mask_size_shift
    mov [rdi + 3], ax
    mov ecx, [rsi + GOPI_GREEN_MASK]
    call mask_size_shift
    mov [rdi + 5], ax
    mov ecx, [rsi + GOPI_BLUE_MASK]
    call mask_size_shift
    mov [rdi + 7], ax
    mov eax, [rsi + GOPI_RED_MASK]
    or eax, [rsi + GOPI_GREEN_MASK]
    or eax, [rsi + GOPI_BLUE_MASK]
    or eax, [rsi + GOPI_RED_MASK + 12]  ; reserved mask
    bsr eax, eax
    add eax, 8                          ; highest bit + 1, rounded up to whole bytes
    and eax, -8
    mov [rdi], ax
    mov eax, 1
    UNFRAME

; mask_size_shift — IN: ecx = contiguous bit mask. OUT: al = its size, ah = its shift.
mask_size_shift:
    xor eax, eax
    test ecx, ecx
    jz .done
    bsf edx, ecx
    mov ah, dl
    shr ecx, cl
.count:
    test ecx, 1
    jz .done
    inc al
    shr ecx, 1
    jmp .count
.done:
    ret

; list_video_modes — every mode the GOP offers that has a linear framebuffer, as the
; framebuffer's mode list. IN: rbx = the struct limine_framebuffer (physical).
list_video_modes:
    FRAME
    mov rax, [rel gop]
    mov r14, [rax + GOP_MODE]
    mov eax, [r14 + GOPM_MAX_MODE]
    mov r15, rax
    lea rcx, [rax*8 + 8]
    call arena_alloc
    mov r13, rax                        ; array of mode pointers
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [rbx + FB_MODES], rax
    xor r12d, r12d                      ; mode number
.mode:
    cmp r12, r15
    jae .modes_done
    mov rcx, [rel gop]
    mov edx, r12d
    lea r8, [rel mode_info_size]
    lea r9, [rel mode_info]
    call [rcx + GOP_QUERY_MODE]
    test rax, rax
    jnz .next_mode
    mov ecx, VM_STRUCT_SIZE
    call arena_alloc
    mov rdi, rax
    mov rcx, [rel mode_info]
    lea rdx, [rdi + VM_BPP]
    call describe_pixels
    test eax, eax
    jz .free_info                       ; BltOnly mode: not listed (its arena bytes stay unused)
    mov rsi, [rel mode_info]
    mov eax, [rsi + GOPI_WIDTH]
    mov [rdi + VM_WIDTH], rax
    mov eax, [rsi + GOPI_HEIGHT]
    mov [rdi + VM_HEIGHT], rax
    movzx eax, word [rdi + VM_BPP]
    shr eax, 3
    mov ecx, [rsi + GOPI_PIXELS_PER_SCANLINE]
    imul rax, rcx
    mov [rdi + VM_PITCH], rax
    mov rax, [rel hhdm_offset]
    add rax, rdi
    mov rcx, [rbx + FB_MODE_COUNT]
    mov [r13 + rcx*8], rax
    inc qword [rbx + FB_MODE_COUNT]
.free_info:
    mov rcx, [rel mode_info]
    mov rax, [rel boot_services]
    call [rax + BS_FREE_POOL]
.next_mode:
    inc r12
    jmp .mode
.modes_done:
    UNFRAME

section .data
align 8
gop:                dq 0
mode_info_size:     dq 0
mode_info:          dq 0
candidate_layout:   times 16 db 0
guid_gop:           GUID 0x9042a9de, 0x23dc, 0x4a38, 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a
