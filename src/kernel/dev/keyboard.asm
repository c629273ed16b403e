; PS/2 keyboard on ISA IRQ 1 (through the I/O APIC). The controller translates to scancode set 1;
; keyboard_feed turns scancodes into key events (scancode, extended, pressed, ASCII, modifiers) and
; the ASCII of pressed keys, honouring shift, caps lock and control. Both land in ring buffers the
; interrupt handler fills and readers drain (keyboard_read_event, keyboard_read_char).

PS2_DATA                equ 0x60
PS2_STATUS              equ 0x64    ; read: status; write: controller command
PS2_STATUS_OUTPUT_FULL  equ 1 << 0
PS2_STATUS_INPUT_FULL   equ 1 << 1
PS2_STATUS_AUX_DATA     equ 1 << 5  ; the byte in the output buffer is from the second (mouse) port
PS2_DISABLE_PORT_1      equ 0xad
PS2_DISABLE_PORT_2      equ 0xa7
PS2_ENABLE_PORT_1       equ 0xae
PS2_READ_CONFIG         equ 0x20
PS2_WRITE_CONFIG        equ 0x60
PS2_WRITE_KEYBOARD_OUTPUT equ 0xd2  ; the next data byte is returned as if the keyboard had sent it
PS2_CONFIG_PORT_1_IRQ   equ 1 << 0
PS2_CONFIG_PORT_2_IRQ   equ 1 << 1
PS2_CONFIG_PORT_1_CLOCK_OFF equ 1 << 4
PS2_CONFIG_TRANSLATE    equ 1 << 6
PS2_TIMEOUT_LOOPS       equ 100000
KEYBOARD_IRQ            equ 1

SCANCODE_EXTENDED       equ 0xe0
SCANCODE_RELEASED       equ 0x80
SCANCODE_LEFT_SHIFT     equ 0x2a
SCANCODE_RIGHT_SHIFT    equ 0x36
SCANCODE_CONTROL        equ 0x1d
SCANCODE_CAPS_LOCK      equ 0x3a
SCANCODE_MAP_SIZE       equ 0x3a
; Bytes a keyboard sends that are answers, not keys: ACK, resend, errors.
KEYBOARD_ACK            equ 0xfa
KEYBOARD_RESEND         equ 0xfe
KEYBOARD_ERROR_0        equ 0x00
KEYBOARD_ERROR_1        equ 0xff

MODIFIER_SHIFT          equ 1 << 0
MODIFIER_CONTROL        equ 1 << 1
MODIFIER_CAPS_LOCK      equ 1 << 2

; A key event is one quadword: these byte offsets.
KEY_EVENT_SCANCODE      equ 0
KEY_EVENT_EXTENDED      equ 1
KEY_EVENT_PRESSED       equ 2
KEY_EVENT_ASCII         equ 3
KEY_EVENT_MODIFIERS     equ 4
KEY_EVENT_RING_SIZE     equ 64      ; powers of two: the indices wrap with a mask
KEY_CHAR_RING_SIZE      equ 256

section .bss
keyboard_lock:          resq 1
keyboard_extended:      resq 1      ; the last byte was the 0xe0 prefix
keyboard_left_shift:    resq 1
keyboard_right_shift:   resq 1
keyboard_control:       resq 1
keyboard_caps_lock:     resq 1
keyboard_bytes:         resq 1      ; bytes the interrupt handler read
key_events:             resq KEY_EVENT_RING_SIZE
key_event_head:         resq 1      ; next to write
key_event_tail:         resq 1      ; next to read
key_chars:              resb KEY_CHAR_RING_SIZE
key_char_head:          resq 1
key_char_tail:          resq 1
keyboard_waiters:       resq 1      ; threads blocked in keyboard_wait_char, linked through .next

section .rodata
; Scancode set 1, make codes 0x00-0x39: ASCII without and with shift (0: no character).
scancode_ascii:
    db 0, 27, "1234567890-=", 8, 9
    db "qwertyuiop[]", 10, 0, "asdfghjkl;'`", 0, "\zxcvbnm,./", 0, "*", 0, " "
scancode_ascii_shifted:
    db 0, 27, "!@#$%^&*()_+", 8, 9
    db "QWERTYUIOP{}", 10, 0, "ASDFGHJKL:", '"', "~", 0, "|ZXCVBNM<>?", 0, "*", 0, " "
keyboard_ready_text:    db "keyboard: PS/2 on IRQ 1, scancode set 1", 0
keyboard_none_text:     db "keyboard: no PS/2 controller answered", 0
keyboard_unroutable_text: db "keyboard: IRQ 1 cannot be routed", 0

section .text

; ps2_wait_input_empty: wait until the controller takes a byte. OUT: eax = 1 ready, 0 timed out.
; IN: nothing. Clobbers: rcx.
ps2_wait_input_empty:
    mov ecx, PS2_TIMEOUT_LOOPS
.wait:
    in al, PS2_STATUS
    test al, PS2_STATUS_INPUT_FULL
    jz .ready
    pause
    dec ecx
    jnz .wait
    xor eax, eax
    ret
.ready:
    mov eax, 1
    ret

; ps2_read: wait for a byte from the controller. IN: nothing. OUT: rax = byte, or -1 on timeout.
; Clobbers: rcx.
ps2_read:
    mov ecx, PS2_TIMEOUT_LOOPS
.wait:
    in al, PS2_STATUS
    test al, PS2_STATUS_OUTPUT_FULL
    jnz .ready
    pause
    dec ecx
    jnz .wait
    mov rax, -1
    ret
.ready:
    in al, PS2_DATA
    movzx eax, al
    ret

; ps2_command: send a controller command. IN: dil = command. OUT: eax = 1 sent, 0 timed out. Clobbers: rcx.
ps2_command:
    call ps2_wait_input_empty
    test eax, eax
    jz .done
    mov al, dil
    out PS2_STATUS, al
    mov eax, 1
.done:
    ret

; ps2_write_data: send a data byte. IN: dil = byte. OUT: eax = 1 sent, 0 timed out. Clobbers: rcx.
ps2_write_data:
    call ps2_wait_input_empty
    test eax, eax
    jz .done
    mov al, dil
    out PS2_DATA, al
    mov eax, 1
.done:
    ret

; keyboard_init: program the controller (port 1 interrupt on, translation to set 1 on, port 2
; interrupt off), route IRQ 1 and start taking keys.
; IN: nothing. OUT: nothing. Clobbers: caller-saved registers.
keyboard_init:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov dil, PS2_DISABLE_PORT_1
    call ps2_command
    test eax, eax
    jz .none
    mov dil, PS2_DISABLE_PORT_2
    call ps2_command
.flush:
    in al, PS2_STATUS
    test al, PS2_STATUS_OUTPUT_FULL
    jz .flushed
    in al, PS2_DATA
    jmp .flush
.flushed:
    mov dil, PS2_READ_CONFIG
    call ps2_command
    call ps2_read
    cmp rax, -1
    je .none
    mov ebx, eax
    or ebx, PS2_CONFIG_PORT_1_IRQ | PS2_CONFIG_TRANSLATE
    and ebx, ~(PS2_CONFIG_PORT_2_IRQ | PS2_CONFIG_PORT_1_CLOCK_OFF) & 0xff
    mov dil, PS2_WRITE_CONFIG
    call ps2_command
    mov edi, ebx
    call ps2_write_data
    mov edi, KEYBOARD_IRQ
    lea rsi, [rel keyboard_interrupt]
    xor edx, edx
    call isa_irq_register
    cmp rax, -1
    je .unroutable
    mov dil, PS2_ENABLE_PORT_1
    call ps2_command
    mov edi, LOG_INFO
    lea rsi, [rel keyboard_ready_text]
    call klog
    jmp .done
.unroutable:
    mov edi, LOG_WARN
    lea rsi, [rel keyboard_unroutable_text]
    call klog
    jmp .done
.none:
    mov edi, LOG_WARN
    lea rsi, [rel keyboard_none_text]
    call klog
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_interrupt: take every keyboard byte the controller holds.
; IN: rdi = context, rsi = frame. OUT: nothing. Clobbers: caller-saved registers.
keyboard_interrupt:
    push rbp
    mov rbp, rsp
.next:
    in al, PS2_STATUS
    test al, PS2_STATUS_OUTPUT_FULL
    jz .done
    test al, PS2_STATUS_AUX_DATA
    jnz .aux
    in al, PS2_DATA
    inc qword [rel keyboard_bytes]
    movzx edi, al
    call keyboard_feed
    jmp .next
.aux:
    in al, PS2_DATA                         ; not ours (port 2 is off); drop it
    jmp .next
.done:
    pop rbp
    ret

; keyboard_feed: decode one scancode-set-1 byte into a key event (and a character when it types one).
; IN: dil = byte. OUT: nothing. Clobbers: caller-saved registers.
keyboard_feed:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    movzx ebx, dil
    cmp ebx, KEYBOARD_ACK
    je .done
    cmp ebx, KEYBOARD_RESEND
    je .done
    cmp ebx, KEYBOARD_ERROR_0
    je .done
    cmp ebx, KEYBOARD_ERROR_1
    je .done
    cmp ebx, SCANCODE_EXTENDED
    jne .not_prefix
    mov qword [rel keyboard_extended], 1
    jmp .done
.not_prefix:
    mov r12, [rel keyboard_extended]        ; r12: extended
    mov qword [rel keyboard_extended], 0
    xor ecx, ecx
    test ebx, SCANCODE_RELEASED
    setz cl                                 ; ecx: pressed
    and ebx, ~SCANCODE_RELEASED             ; ebx: make code
    ; Modifiers (right control is the extended 0x1d).
    cmp ebx, SCANCODE_CONTROL
    jne .not_control
    mov [rel keyboard_control], rcx
    jmp .event
.not_control:
    test r12, r12
    jnz .event                              ; extended keys (arrows, ...) carry no ASCII here
    cmp ebx, SCANCODE_LEFT_SHIFT
    jne .not_left_shift
    mov [rel keyboard_left_shift], rcx
    jmp .event
.not_left_shift:
    cmp ebx, SCANCODE_RIGHT_SHIFT
    jne .not_right_shift
    mov [rel keyboard_right_shift], rcx
    jmp .event
.not_right_shift:
    cmp ebx, SCANCODE_CAPS_LOCK
    jne .event
    test ecx, ecx
    jz .event
    xor qword [rel keyboard_caps_lock], 1   ; toggles on the press, not the release (nor repeats' releases)
.event:
    ; Build the event quadword: scancode, extended, pressed, ASCII, modifiers.
    xor r8d, r8d                            ; r8: ASCII
    test ecx, ecx
    jz .have_ascii
    test r12, r12
    jnz .have_ascii
    cmp ebx, SCANCODE_MAP_SIZE
    jae .have_ascii
    call keyboard_modifiers
    mov r9d, eax
    lea rdx, [rel scancode_ascii]
    movzx r8d, byte [rdx + rbx]
    ; Letters: upper case when shift XOR caps lock; everything else follows shift alone.
    mov eax, r8d
    sub eax, 'a'
    cmp eax, 'z' - 'a'
    ja .not_letter
    mov eax, r9d
    and eax, MODIFIER_SHIFT
    mov edx, r9d
    shr edx, 2                              ; MODIFIER_CAPS_LOCK -> bit 0
    xor eax, edx
    test eax, 1
    jz .control
    sub r8d, 'a' - 'A'
    jmp .control
.not_letter:
    test r9d, MODIFIER_SHIFT
    jz .control
    lea rdx, [rel scancode_ascii_shifted]
    movzx r8d, byte [rdx + rbx]
.control:
    test r9d, MODIFIER_CONTROL
    jz .have_ascii
    mov eax, r8d
    or eax, 0x20
    sub eax, 'a'
    cmp eax, 'z' - 'a'
    ja .have_ascii
    and r8d, 0x1f                           ; control-letter: the C0 control code
.have_ascii:
    push rcx
    push r8
    call keyboard_modifiers
    pop r8
    pop rcx
    mov r9, rax
    shl r9, KEY_EVENT_MODIFIERS * 8
    mov rax, r8
    shl rax, KEY_EVENT_ASCII * 8
    or r9, rax
    shl rcx, KEY_EVENT_PRESSED * 8
    or r9, rcx
    mov rax, r12
    shl rax, KEY_EVENT_EXTENDED * 8
    or r9, rax
    or r9, rbx
    mov rdi, r9
    call keyboard_push
.done:
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_modifiers: the modifier bits in effect. IN: nothing. OUT: eax = MODIFIER_* bits.
; Clobbers: rdx.
keyboard_modifiers:
    xor eax, eax
    mov rdx, [rel keyboard_left_shift]
    or rdx, [rel keyboard_right_shift]
    jz .no_shift
    or eax, MODIFIER_SHIFT
.no_shift:
    cmp qword [rel keyboard_control], 0
    je .no_control
    or eax, MODIFIER_CONTROL
.no_control:
    cmp qword [rel keyboard_caps_lock], 0
    je .no_caps
    or eax, MODIFIER_CAPS_LOCK
.no_caps:
    ret

; keyboard_push: store an event, and its character when it has one (dropped when a ring is full).
; IN: rdi = event. OUT: nothing. Clobbers: caller-saved registers.
keyboard_push:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    mov rbx, rdi
    lea rdi, [rel keyboard_lock]
    call spin_lock_irqsave
    mov r12, rax
    mov rax, [rel key_event_head]
    mov rcx, rax
    sub rcx, [rel key_event_tail]
    cmp rcx, KEY_EVENT_RING_SIZE
    jae .chars
    mov rcx, rax
    and ecx, KEY_EVENT_RING_SIZE - 1
    lea rdx, [rel key_events]
    mov [rdx + rcx * 8], rbx
    inc qword [rel key_event_head]
.chars:
    mov rax, rbx
    shr rax, KEY_EVENT_ASCII * 8
    movzx eax, al
    test eax, eax
    jz .unlock
    mov rdx, [rel key_char_head]
    mov rcx, rdx
    sub rcx, [rel key_char_tail]
    cmp rcx, KEY_CHAR_RING_SIZE
    jae .unlock
    and edx, KEY_CHAR_RING_SIZE - 1
    lea rcx, [rel key_chars]
    mov [rcx + rdx], al
    inc qword [rel key_char_head]
    ; A character: every waiting reader may run again (interrupts are off under the lock).
.wake:
    mov rdi, [rel keyboard_waiters]
    test rdi, rdi
    jz .unlock
    mov rax, [rdi + thread.next]
    mov [rel keyboard_waiters], rax
    call thread_make_ready
    mov qword [rel need_resched], 1
    jmp .wake
.unlock:
    lea rdi, [rel keyboard_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_read_event: take the oldest key event.
; IN: nothing. OUT: rax = event quadword, or -1 when there is none. Clobbers: caller-saved registers.
keyboard_read_event:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel keyboard_lock]
    call spin_lock_irqsave
    mov r12, rax
    mov rbx, -1
    mov rax, [rel key_event_tail]
    cmp rax, [rel key_event_head]
    je .unlock
    and eax, KEY_EVENT_RING_SIZE - 1
    lea rdx, [rel key_events]
    mov rbx, [rdx + rax * 8]
    inc qword [rel key_event_tail]
.unlock:
    lea rdi, [rel keyboard_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    mov rax, rbx
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_read_char: take the oldest typed character.
; IN: nothing. OUT: rax = character, or -1 when there is none. Clobbers: caller-saved registers.
keyboard_read_char:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
    lea rdi, [rel keyboard_lock]
    call spin_lock_irqsave
    mov r12, rax
    mov rbx, -1
    mov rax, [rel key_char_tail]
    cmp rax, [rel key_char_head]
    je .unlock
    and eax, KEY_CHAR_RING_SIZE - 1
    lea rdx, [rel key_chars]
    movzx ebx, byte [rdx + rax]
    inc qword [rel key_char_tail]
.unlock:
    lea rdi, [rel keyboard_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    mov rax, rbx
    pop r12
    pop rbx
    pop rbp
    ret

; keyboard_wait_char: wait for a typed character, blocked (not polling) until the keyboard interrupt
; brings one.
; IN: nothing. OUT: rax = character. Clobbers: caller-saved registers.
keyboard_wait_char:
    push rbp
    mov rbp, rsp
    push rbx
    push r12
.try:
    lea rdi, [rel keyboard_lock]
    call spin_lock_irqsave
    mov r12, rax
    mov rax, [rel key_char_tail]
    cmp rax, [rel key_char_head]
    jne .available
    ; Nothing yet: queue up as a waiter and sleep; with interrupts off from the check to the
    ; switch, a key cannot slip in between.
    mov rax, [rel current_thread]
    mov rcx, [rel keyboard_waiters]
    mov [rax + thread.next], rcx
    mov [rel keyboard_waiters], rax
    mov qword [rax + thread.state], THREAD_BLOCKED
    mov qword [rel keyboard_lock], 0        ; released, interrupts still off
    call schedule
    push r12
    popfq
    jmp .try
.available:
    lea rdi, [rel keyboard_lock]
    mov rsi, r12
    call spin_unlock_irqrestore
    call keyboard_read_char
    cmp rax, -1
    je .try                                 ; another reader took it first
    pop r12
    pop rbx
    pop rbp
    ret
