; video.asm — the framebuffer response, from what the platform found (uefi-gop.asm: GOP;
; pvh-vbe.asm: the Bochs VBE interface): framebuffer_base/size/width/height/pitch, the pixel
; layout in current_layout, and list_video_modes for the mode list.

section .text

; parse_decimal — IN: rcx = text. OUT: rax = the decimal number at its start (0 if none),
; rcx = the first character after it. Clobbers rdx.
parse_decimal:
    xor eax, eax
.digit:
    movzx edx, byte [rcx]
    sub edx, '0'
    cmp edx, 9
    ja .done
    imul rax, rax, 10
    add rax, rdx
    inc rcx
    jmp .digit
.done:
    ret

; parse_resolution — limine.conf's "resolution: WxH[xBPP]". OUT: eax = 1 and r8 = width,
; r9 = height, r10 = bpp (32 when omitted or 0, as Limine), or eax = 0 when there is none,
; it does not parse, or the width or height is 0.
; Clobbers rcx, rdx.
parse_resolution:
    mov rcx, [rel resolution_text]
    test rcx, rcx
    jz .none
    call parse_decimal
    mov r8, rax
    mov al, [rcx]
    or al, 0x20
    cmp al, 'x'
    jne .none
    inc rcx
    call parse_decimal
    mov r9, rax
    test r8, r8
    jz .none
    test r9, r9
    jz .none
    mov r10d, 32
    mov al, [rcx]
    or al, 0x20
    cmp al, 'x'
    jne .parsed
    inc rcx
    call parse_decimal
    test rax, rax
    jz .parsed
    mov r10, rax
.parsed:
    mov eax, 1
    ret
.none:
    xor eax, eax
    ret

; answer_framebuffer — the framebuffer response (revision 1: with the mode list).
answer_framebuffer:
    FRAME
    mov ecx, REQ_FRAMEBUFFER
    mov edx, 24
    call respond
    mov r12, rax
    mov qword [r12], 1                  ; response revision 1
    mov qword [r12 + 8], 1              ; one framebuffer
    mov ecx, 8
    call arena_alloc
    mov r13, rax                        ; the pointer array
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [r12 + 16], rax
    mov ecx, FB_STRUCT_SIZE
    call arena_alloc
    mov rbx, rax                        ; struct limine_framebuffer
    mov rcx, [rel hhdm_offset]
    add rax, rcx
    mov [r13], rax
    mov rax, [rel framebuffer_base]
    add rax, rcx
    mov [rbx + FB_ADDRESS], rax
    mov rax, [rel framebuffer_width]
    mov [rbx + FB_WIDTH], rax
    mov rax, [rel framebuffer_height]
    mov [rbx + FB_HEIGHT], rax
    mov rax, [rel current_layout]
    mov [rbx + FB_BPP], rax             ; bpp, model and the first mask bytes
    mov al, [rel current_layout + 8]
    mov [rbx + FB_BPP + 8], al
    mov rax, [rel framebuffer_pitch]
    mov [rbx + FB_PITCH], rax
    call list_video_modes
    UNFRAME

section .data
align 8
framebuffer_base:   dq 0                ; physical; 0: no framebuffer
framebuffer_size:   dq 0
framebuffer_width:  dq 0
framebuffer_height: dq 0
framebuffer_pitch:  dq 0
; bpp (u16), memory model, red size, red shift, green size, green shift, blue size, blue shift
current_layout:     times 16 db 0
