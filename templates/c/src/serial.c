/* serial.c — COM1 output and the QEMU exit port. */
#include "serial.h"

#define COM1 0x3f8
#define COM1_LINE_STATUS (COM1 + 5)
#define LINE_THR_EMPTY 0x20 /* the transmit holding register can take a byte */
#define LINE_IDLE 0x40      /* everything has been sent */
#define DEBUG_EXIT 0xf4     /* QEMU isa-debug-exit: QEMU exits with (value << 1) | 1 */

static inline void outb(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void serial_write(const char *text) {
    for (; *text; text++) {
        while (!(inb(COM1_LINE_STATUS) & LINE_THR_EMPTY)) {
        }
        outb(COM1, (uint8_t)*text);
    }
}

void exit_qemu(uint8_t code) {
    while (!(inb(COM1_LINE_STATUS) & LINE_IDLE)) {
    }
    outb(DEBUG_EXIT, code);
    for (;;) __asm__ volatile("cli; hlt");
}
