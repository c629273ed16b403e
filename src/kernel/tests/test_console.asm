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

TEST "console: a line past the last row scrolls the screen up by half its rows; the cursor stays on screen", test_console_scrolls
test_console_scrolls:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    movzx ecx, byte [rel fb_console_ready]
    ASSERT_EQ rcx, 1                        ; QEMU always gives us a 32 bpp framebuffer
    ; "A\n" on the last row: the A moves up by ceil(rows / 2) rows, the row below it comes back
    ; empty, and the cursor is at the start of that row.
    mov rbx, [rel fb_rows]
    lea r13, [rbx + 1]
    shr r13, 1                              ; rows a scroll moves
    dec rbx
    mov [rel fb_cursor_row], rbx
    mov qword [rel fb_cursor_column], 0
    lea rdi, [rel console_test_text]
    call console_puts
    sub rbx, r13                            ; where the A is now
    lea rcx, [rbx + 1]
    ASSERT_EQ [rel fb_cursor_row], rcx
    ASSERT_EQ [rel fb_cursor_column], 0
    ; Glyph 'A', font row 1 is #...#: pixel column 1 (bit 6) is lit, drawn on cell pixel rows 2 and 3.
    mov r12, rbx
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
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
