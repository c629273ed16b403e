/* serial.h — COM1 output and the QEMU exit port. */
#pragma once
#include <stdint.h>

#define EXIT_SUCCESS_CODE 0x10 /* ostool.toml [test] success_code */
#define EXIT_FAILURE_CODE 0x11 /* ostool.toml [test] failure_code */

void serial_write(const char *text);
/* Waits until COM1 has sent everything, then ends the QEMU run with `code` (isa-debug-exit, port 0xf4). */
__attribute__((noreturn)) void exit_qemu(uint8_t code);
