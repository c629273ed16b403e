; The legacy 8259 PIC pair: remapped off the exception vectors (to PIC_VECTOR_BASE) and fully masked,
; since device interrupts come through the I/O APIC. A spurious IRQ 7/15 can still arrive; irq.asm
; counts it without an EOI (IRQ 15 acknowledges the master, which did see the cascade).

PIC_MASTER_COMMAND  equ 0x20
PIC_MASTER_DATA     equ 0x21
PIC_SLAVE_COMMAND   equ 0xa0
PIC_SLAVE_DATA      equ 0xa1
PIC_ICW1_INIT_ICW4  equ 0x11        ; edge triggered, cascaded, ICW4 follows
PIC_ICW4_8086       equ 0x01
PIC_CASCADE_IRQ     equ 2
PIC_EOI             equ 0x20
PIC_READ_ISR        equ 0x0b        ; OCW3: next read of the command port returns the in-service register
PIC_SPURIOUS_IRQ    equ 7
IO_WAIT_PORT        equ 0x80        ; an unused port: writing it gives the old PICs time between commands

section .text

; io_wait: a short delay between accesses to slow legacy devices.
; IN: nothing. OUT: nothing. Clobbers: rax.
io_wait:
    xor eax, eax
    out IO_WAIT_PORT, al
    ret

; pic_disable: remap both PICs to PIC_VECTOR_BASE..+15 and mask every line.
; IN: nothing. OUT: nothing. Clobbers: rax.
pic_disable:
    mov al, PIC_ICW1_INIT_ICW4
    out PIC_MASTER_COMMAND, al
    call io_wait
    out PIC_SLAVE_COMMAND, al
    call io_wait
    mov al, PIC_VECTOR_BASE
    out PIC_MASTER_DATA, al
    call io_wait
    mov al, PIC_VECTOR_BASE + 8
    out PIC_SLAVE_DATA, al
    call io_wait
    mov al, 1 << PIC_CASCADE_IRQ            ; master: the slave hangs on IRQ 2
    out PIC_MASTER_DATA, al
    call io_wait
    mov al, PIC_CASCADE_IRQ                 ; slave: its cascade identity
    out PIC_SLAVE_DATA, al
    call io_wait
    mov al, PIC_ICW4_8086
    out PIC_MASTER_DATA, al
    call io_wait
    out PIC_SLAVE_DATA, al
    call io_wait
    mov al, 0xff
    out PIC_MASTER_DATA, al
    out PIC_SLAVE_DATA, al
    ret

; pic_masks: both PICs' interrupt masks (tests check every line stays masked).
; IN: nothing. OUT: eax = slave mask << 8 | master mask. Clobbers: nothing else.
pic_masks:
    in al, PIC_SLAVE_DATA
    mov ah, al
    in al, PIC_MASTER_DATA
    movzx eax, ax
    ret
