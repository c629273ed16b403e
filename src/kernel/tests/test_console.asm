; Tests: the framebuffer console (text drawing and scrolling).

section .rodata
console_test_text:  db `A\n`, 0

section .text

; fb_pixel: the pixel at (x, y) of the framebuffer.
; IN: rdi = x, rsi = y. OUT: eax = 32-bit pixel. Clobbers: rcx, rdi.
fb_pixel:
    mov rcx, rsi
    imul rcx, [rel fb_pitch]
    add rcx, [rel fb_base]
    imul rdi, rdi, FB_BYTES_PER_PIXEL
    mov eax, [rcx + rdi]
    ret

TEST "console: text on the last row scrolls up a row and the cursor stays on screen", test_console_scrolls
test_console_scrolls:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    movzx ecx, byte [rel fb_console_ready]
    ASSERT_EQ rcx, 1                        ; QEMU always gives us a 32 bpp framebuffer
    ; "A\n" on the last row: the A moves to the row above, the last row comes back empty.
    mov rbx, [rel fb_rows]
    dec rbx
    mov [rel fb_cursor_row], rbx
    mov qword [rel fb_cursor_column], 0
    lea rdi, [rel console_test_text]
    call console_puts
    ASSERT_EQ [rel fb_cursor_row], rbx
    ASSERT_EQ [rel fb_cursor_column], 0
    ; Glyph 'A', font row 1 is #...#: pixel column 1 (bit 6) is lit, drawn on cell pixel rows 2 and 3.
    lea r12, [rbx - 1]
    shl r12, 4
    add r12, 2
    mov edi, 1
    mov rsi, r12
    call fb_pixel
    ASSERT_EQ rax, CONSOLE_FOREGROUND
    add r12, CELL_HEIGHT
    mov edi, 1
    mov rsi, r12
    call fb_pixel
    ASSERT_EQ rax, CONSOLE_BACKGROUND
    pop r12
    pop rbx
    pop rbp
    ret
