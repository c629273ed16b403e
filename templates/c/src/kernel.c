/* kernel.c — a Limine-protocol x86-64 kernel in C: says hello on the serial port, and with `test` on its
 * command line runs its in-kernel tests and reports them in ostool's test protocol (TAP-like lines on COM1,
 * the verdict on QEMU's isa-debug-exit port). `ostool run` boots it, `ostool test` tests it. */
#include <stddef.h>
#include <stdint.h>

#include "serial.h"

/* ---- Limine requests (base revision 2), written from the Limine protocol document */

#define LIMINE_COMMON_MAGIC 0xc7b1dd30df4c8b88, 0x0a82e883a194f07b

struct limine_file {
    uint64_t revision;
    void *address;
    uint64_t size;
    char *path;
    char *cmdline;
};

struct limine_kernel_file_response {
    uint64_t revision;
    struct limine_file *kernel_file;
};

struct limine_kernel_file_request {
    uint64_t id[4];
    uint64_t revision;
    struct limine_kernel_file_response *response;
};

__attribute__((used, section(".requests_start_marker"))) static volatile uint64_t requests_start[4] = {
    0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9};

/* The loader sets the third word to 0 when it speaks base revision 2. */
__attribute__((used, section(".requests"))) static volatile uint64_t base_revision[3] = {
    0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 2};

__attribute__((used, section(".requests"))) static volatile struct limine_kernel_file_request kernel_file_request = {
    .id = {LIMINE_COMMON_MAGIC, 0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69},
    .revision = 0,
};

__attribute__((used, section(".requests_end_marker"))) static volatile uint64_t requests_end[2] = {
    0xadc0e0531bb10d03, 0x9572709f31764c62};

/* ---- tests */

static int multiply(int a, int b) { return a * b; }

/* The example test: returns 1 when it passed. */
static int test_multiply(void) {
    volatile int six = 6; /* volatile: computed at run time, not folded by the compiler */
    return multiply(six, 7) == 42;
}

static __attribute__((noreturn)) void run_tests(void) {
    serial_write("1..1\n");
    if (test_multiply()) {
        serial_write("ok 1 - math: 6 * 7 is 42\n# tests 1, passed 1, failed 0\n");
        exit_qemu(EXIT_SUCCESS_CODE);
    }
    serial_write("not ok 1 - math: 6 * 7 is 42\n# src/kernel.c: expected 42\n# tests 1, passed 0, failed 1\n");
    exit_qemu(EXIT_FAILURE_CODE);
}

/* Whether the kernel command line starts with the word `test`. */
static int command_line_is_test(void) {
    struct limine_kernel_file_response *response = kernel_file_request.response;
    if (!response || !response->kernel_file || !response->kernel_file->cmdline) return 0;
    const char *cmdline = response->kernel_file->cmdline;
    const char *word = "test";
    while (*word && *cmdline == *word) cmdline++, word++;
    return *word == 0 && (*cmdline == 0 || *cmdline == ' ');
}

/* The entry point (ENTRY in linker.ld). */
void kmain(void) {
    if (base_revision[2] != 0) {
        serial_write("Bail out! the bootloader does not support Limine base revision 2\n");
        exit_qemu(EXIT_FAILURE_CODE);
    }
    if (command_line_is_test()) run_tests();
    serial_write("Hello from your ostool kernel in C!\n");
    exit_qemu(EXIT_SUCCESS_CODE); /* a real kernel would carry on here; this one ends the QEMU run */
}
