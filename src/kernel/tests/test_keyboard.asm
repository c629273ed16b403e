; Tests: scancode decoding (fed directly) and delivery of a byte through the controller on IRQ 1.

section .text

; keyboard_test_drain: empty both rings. IN: nothing. OUT: nothing. Clobbers: caller-saved.
keyboard_test_drain:
    push rbp
    mov rbp, rsp
.events:
    call keyboard_read_event
    cmp rax, -1
    jne .events
.chars:
    call keyboard_read_char
    cmp rax, -1
    jne .chars
    pop rbp
    ret

; keyboard_test_type: feed a 0-terminated list of scancode bytes. IN: rdi = bytes. Clobbers: caller-saved.
keyboard_test_type:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
.next:
    movzx edi, byte [rbx]
    test edi, edi
    jz .done
    call keyboard_feed
    inc rbx
    jmp .next
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_test_read_text: the typed characters as a 0-terminated string.
; IN: rdi = buffer (64 bytes). OUT: nothing. Clobbers: caller-saved.
keyboard_test_read_text:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    xor r12d, r12d
.next:
    cmp r12d, 63
    je .done
    call keyboard_read_char
    cmp rax, -1
    je .done
    mov [rbx + r12], al
    inc r12d
    jmp .next
.done:
    mov byte [rbx + r12], 0
    pop r12
    pop rbx
    pop rbp
    ret

section .rodata
; "a", shift+"a1", release shift, caps lock on, "b", shift+"c", caps off, "d", an extended key
; (right arrow, no ASCII), space, enter.
keyboard_test_scancodes:
    db 0x1e, 0x9e                               ; a
    db 0x2a, 0x1e, 0x9e, 0x02, 0x82, 0xaa       ; shift: A !
    db 0x3a, 0xba                               ; caps lock on
    db 0x30, 0xb0                               ; B
    db 0x36, 0x2e, 0xae, 0xb6                   ; shift+caps: c
    db 0x3a, 0xba                               ; caps lock off
    db 0x20, 0xa0                               ; d
    db 0xe0, 0x4d, 0xe0, 0xcd                   ; right arrow
    db 0x39, 0xb9, 0x1c, 0x9c                   ; space, enter
    db 0
keyboard_test_expected:     db `aA!Bcd \n`, 0
keyboard_test_control:      db 0x1d, 0x2e, 0xae, 0x9d, 0   ; ctrl+c
section .bss
keyboard_test_text:         resb 64

section .text

TEST "keyboard: scancode set 1 decodes to ASCII with shift, caps lock and extended keys", test_keyboard_decode
test_keyboard_decode:
    push rbp
    mov rbp, rsp
    call keyboard_test_drain
    lea rdi, [rel keyboard_test_scancodes]
    call keyboard_test_type
    lea rdi, [rel keyboard_test_text]
    call keyboard_test_read_text
    lea rcx, [rel keyboard_test_text]
    lea rdx, [rel keyboard_test_expected]
    ASSERT_STR_EQ rcx, rdx
    call keyboard_test_drain
    pop rbp
    ret

TEST "keyboard: events carry scancode, extended flag, press/release, ASCII and modifiers", test_keyboard_events
test_keyboard_events:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call keyboard_test_drain
    lea rdi, [rel keyboard_test_control]
    call keyboard_test_type
    call keyboard_read_event                ; control pressed
    mov rbx, rax
    mov rcx, 0xffffffffff
    and rbx, rcx
    ASSERT_EQ rbx, (MODIFIER_CONTROL << 32) | (1 << 16) | 0x1d
    call keyboard_read_event                ; c pressed with control: ASCII 3
    mov rbx, rax
    mov rcx, 0xffffffffff
    and rbx, rcx
    ASSERT_EQ rbx, (MODIFIER_CONTROL << 32) | (3 << 24) | (1 << 16) | 0x2e
    call keyboard_read_event                ; c released: no ASCII
    mov rbx, rax
    mov rcx, 0xffffffffff
    and rbx, rcx
    ASSERT_EQ rbx, (MODIFIER_CONTROL << 32) | 0x2e
    call keyboard_read_event                ; control released
    mov rbx, rax
    mov rcx, 0xffffffffff
    and rbx, rcx
    ASSERT_EQ rbx, 0x1d
    call keyboard_read_event
    ASSERT_EQ rax, -1
    call keyboard_read_char
    mov rbx, rax
    ASSERT_EQ rbx, 3
    call keyboard_test_drain
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_test_inject: make the controller deliver a byte as if the keyboard had sent it.
; IN: dil = byte. OUT: nothing. Clobbers: rax, rcx.
keyboard_test_inject:
    push rdi
    mov dil, PS2_WRITE_KEYBOARD_OUTPUT
    call ps2_command
    pop rdi
    jmp ps2_write_data

TEST "keyboard: bytes injected at the PS/2 controller arrive on IRQ 1 through the I/O APIC", test_keyboard_irq_delivery
test_keyboard_irq_delivery:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    push r13
    push r14
    call keyboard_test_drain
    lea rax, [rel irq_counts]
    mov r13, [rax + (ISA_VECTOR_BASE + KEYBOARD_IRQ) * 8]
    mov dil, 0x23                           ; h pressed
    call keyboard_test_inject
    mov dil, 0xa3                           ; h released
    call keyboard_test_inject
    ; Wait for both (at most 500 ms of clock_ns), then check what arrived.
    call clock_ns
    lea r12, [rax + 500 * NS_PER_MS]
.wait:
    mov rax, [rel key_event_head]
    sub rax, [rel key_event_tail]
    cmp rax, 2
    jae .arrived
    call clock_ns
    cmp rax, r12
    jb .wait
.arrived:
    lea rax, [rel irq_counts]
    mov r14, [rax + (ISA_VECTOR_BASE + KEYBOARD_IRQ) * 8]
    sub r14, r13
    ASSERT_NE r14, 0
    call keyboard_read_char
    mov rbx, rax
    ASSERT_EQ rbx, 'h'
    call keyboard_read_event
    mov rbx, rax
    and rbx, 0xffffff
    ASSERT_EQ rbx, (1 << 16) | 0x23
    call keyboard_read_event
    mov rbx, rax
    and rbx, 0xffffff
    ASSERT_EQ rbx, 0x23
    call keyboard_test_drain
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_test_reader: a thread body that waits for one character and returns it.
keyboard_test_reader:
    push rbp
    mov rbp, rsp
    call keyboard_wait_char
    pop rbp
    ret

[section .rodata]
keyboard_test_reader_name:  db "test-reader", 0
section .text

TEST "keyboard: a reader blocks (not runnable) until a key arrives, then gets it", test_keyboard_reader_blocks
test_keyboard_reader_blocks:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    call keyboard_test_drain
    lea rdi, [rel keyboard_test_reader]
    xor esi, esi
    lea rdx, [rel keyboard_test_reader_name]
    call thread_create
    ASSERT_NE rax, 0
    mov rbx, rax
    call thread_yield                       ; it runs, finds nothing, blocks; kmain comes back
    ASSERT_EQ [rbx + thread.state], THREAD_BLOCKED
    ASSERT_EQ [rel keyboard_waiters], rbx
    mov edi, 0x2d                           ; x pressed
    call keyboard_feed
    mov edi, 0xad
    call keyboard_feed
    ASSERT_EQ [rel keyboard_waiters], 0
    mov rdi, rbx
    call thread_join
    mov rbx, rax
    ASSERT_EQ rbx, 'x'
    call keyboard_test_drain
    pop r12
    pop rbx
    pop rbp
    ret
