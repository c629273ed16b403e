; Framebuffer text console: draws the built-in 8x8 font (fb/font.asm), each font row doubled, so a
; character cell is 8x16 pixels; when the cursor passes the last row the screen jumps up by half its
; rows. klog mirrors every byte here (lib/klog.asm). Only 32 bpp framebuffers are used; others leave
; the console off.

FONT_FIRST_CHAR     equ 32
FONT_LAST_CHAR      equ 126
FONT_ROWS           equ 8
CELL_WIDTH          equ 8
CELL_HEIGHT         equ 16
CELL_ROW_REPEAT     equ CELL_HEIGHT / FONT_ROWS
CONSOLE_FOREGROUND  equ 0x00c0c0c0
CONSOLE_BACKGROUND  equ 0x00000000
FB_BYTES_PER_PIXEL  equ 4

section .bss
fb_console_ready:   resb 1
    alignb 8
fb_base:            resq 1      ; virtual address of pixel (0, 0)
fb_pitch:           resq 1      ; bytes per scan line
fb_columns:         resq 1
fb_rows:            resq 1
fb_cursor_column:   resq 1
fb_cursor_row:      resq 1

; The 8 pixels (32 bytes) of every font row pattern, bit 7 leftmost: drawing a row is four stores,
; not eight tests and stores (general registers only: klog runs in interrupt handlers too, and the
; interrupted thread's SSE registers are not saved there). fb_draw_glyph relies on 8-pixel cells of
; 32 bpp and on each font row taking 2 pixel rows (CELL_WIDTH, FB_BYTES_PER_PIXEL, CELL_ROW_REPEAT).
section .rodata
    align 8
fb_row_pixels:
%assign row_pattern 0
%rep 256
%assign pixel_bit 7
%rep 8
%if (row_pattern >> pixel_bit) & 1
    dd CONSOLE_FOREGROUND
%else
    dd CONSOLE_BACKGROUND
%endif
%assign pixel_bit pixel_bit - 1
%endrep
%assign row_pattern row_pattern + 1
%endrep

section .text

; fb_console_init: take the first framebuffer if it is 32 bpp, clear it, and turn the console on.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
fb_console_init:
    call first_framebuffer
    test rax, rax
    jz .off
    cmp word [rax + limine_framebuffer.bpp], 32
    jne .off
    mov rcx, [rax + limine_framebuffer.address]
    mov [rel fb_base], rcx
    mov rcx, [rax + limine_framebuffer.pitch]
    mov [rel fb_pitch], rcx
    mov rcx, [rax + limine_framebuffer.width]
    shr rcx, 3                              ; / CELL_WIDTH
    mov [rel fb_columns], rcx
    mov rcx, [rax + limine_framebuffer.height]
    shr rcx, 4                              ; / CELL_HEIGHT
    mov [rel fb_rows], rcx
    test rcx, rcx
    jz .off
    cmp qword [rel fb_columns], 0
    je .off
    ; Clear the whole screen.
    mov rdi, [rel fb_base]
    mov rcx, [rax + limine_framebuffer.height]
    imul rcx, [rel fb_pitch]
    shr rcx, 2
    mov eax, CONSOLE_BACKGROUND
    rep stosd
    mov qword [rel fb_cursor_column], 0
    mov qword [rel fb_cursor_row], 0
    mov byte [rel fb_console_ready], 1
.off:
    ret

; fb_console_putc: print one byte at the cursor ('\n' starts a new line, '\r' returns).
; IN: dil = byte. OUT: nothing. Clobbers: caller-saved registers.
fb_console_putc:
    cmp dil, `\n`
    je .newline
    cmp dil, `\r`
    je .carriage_return
    movzx edi, dil
    call fb_draw_glyph
    inc qword [rel fb_cursor_column]
    mov rax, [rel fb_cursor_column]
    cmp rax, [rel fb_columns]
    jb .done
.newline:
    mov qword [rel fb_cursor_column], 0
    inc qword [rel fb_cursor_row]
    mov rax, [rel fb_cursor_row]
    cmp rax, [rel fb_rows]
    jb .done
    call fb_scroll
    sub [rel fb_cursor_row], rax
.done:
    ret
.carriage_return:
    mov qword [rel fb_cursor_column], 0
    ret

; fb_draw_glyph: draw a character in the cell under the cursor (unknown characters draw as '?'). Each
; font row becomes its 8 pixels through fb_row_pixels, stored twice (the cell's two pixel rows).
; IN: edi = character. OUT: nothing. Clobbers: rax, rcx, rdx, rsi, rdi, r8, r9, r10.
fb_draw_glyph:
    cmp edi, FONT_FIRST_CHAR
    jb .unknown
    cmp edi, FONT_LAST_CHAR
    jbe .known
.unknown:
    mov edi, '?'
.known:
    sub edi, FONT_FIRST_CHAR
    lea rsi, [rel font_8x8]
    imul edi, edi, FONT_ROWS
    add rsi, rdi                            ; glyph rows, bit 7 = leftmost pixel
    ; rdi = address of the cell's top-left pixel
    mov rax, [rel fb_cursor_row]
    shl rax, 4
    imul rax, [rel fb_pitch]
    mov rdi, [rel fb_cursor_column]
    shl rdi, 5                              ; * CELL_WIDTH * FB_BYTES_PER_PIXEL
    add rdi, rax
    add rdi, [rel fb_base]
    mov r9, [rel fb_pitch]
    lea r10, [rel fb_row_pixels]
    mov ecx, FONT_ROWS
.row:
    movzx eax, byte [rsi]
    shl eax, 5                              ; 32 bytes of pixels per row pattern
    mov rdx, [r10 + rax]
    mov r8, [r10 + rax + 8]
    mov [rdi], rdx
    mov [rdi + 8], r8
    mov [rdi + r9], rdx
    mov [rdi + r9 + 8], r8
    mov rdx, [r10 + rax + 16]
    mov r8, [r10 + rax + 24]
    mov [rdi + 16], rdx
    mov [rdi + 24], r8
    mov [rdi + r9 + 16], rdx
    mov [rdi + r9 + 24], r8
    lea rdi, [rdi + r9 * CELL_ROW_REPEAT]
    inc rsi
    dec ecx
    jnz .row
    ret

; fb_scroll: jump scroll: move the lower half of the text rows to the top and clear the rest. Moving
; the screen once per rows/2 lines instead of on every line matters: a move touches the whole
; framebuffer (4 MB at 1280x800), which under an emulator costs more than printing several lines.
; IN: nothing. OUT: rax = text rows scrolled (at least one). Clobbers: rcx, rdx, rsi, rdi, r8.
fb_scroll:
    mov r8, [rel fb_rows]
    inc r8
    shr r8, 1                               ; rows scrolled: ceil(rows / 2)
    mov rdx, [rel fb_pitch]
    shl rdx, 4                              ; bytes per text row
    mov rdi, [rel fb_base]
    mov rsi, r8
    imul rsi, rdx
    add rsi, rdi
    mov rcx, [rel fb_rows]
    sub rcx, r8                             ; rows kept
    imul rcx, rdx
    shr rcx, 3
    rep movsq
    mov rcx, r8
    imul rcx, rdx
    shr rcx, 3
    xor eax, eax
    rep stosq
    mov rax, r8
    ret
