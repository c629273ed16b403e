; The ostool kernel: a higher-half x86-64 kernel booted through the Limine protocol.
; This top file only pulls the subsystems together; each folder is one subsystem:
;   boot/    Limine requests, kmain, boot log, command line
;   serial/  16550 COM1 driver                 lib/   format, klog, panic, symbols, setjmp
;   cpu/     GDT, TSS, IDT, exceptions, FPU    mm/    frame allocator, paging, buddy heap
;   acpi/    RSDP, XSDT/RSDT, MADT, HPET       irq/   PIC, local APIC, I/O APIC, IRQ dispatch
;   time/    HPET, PIT, LAPIC timer, clock     sched/ threads, scheduler, spinlocks
;   dev/     PS/2 keyboard                     user/  processes, ELF loader, syscalls, programs
;   fs/      the initrd: USTAR ramfs and VFS
;   fb/      framebuffer console and font      tests/ in-kernel test runner and tests
;   bench/   cycle-count benchmarks
; Calling convention everywhere: System V (rdi, rsi, rdx, rcx, r8, r9 in; rax out; rbx, rbp,
; r12-r15 preserved); every routine builds an rbp frame or is a leaf, so backtraces work.

bits 64
default rel

%include "include/x86.inc"
%include "include/limine.inc"
%include "include/kernel.inc"
%include "include/ktest.inc"

section .text
%include "boot/requests.asm"
%include "boot/kmain.asm"
%include "serial/serial.asm"
%include "lib/format.asm"
%include "lib/klog.asm"
%include "lib/setjmp.asm"
%include "lib/ksyms.asm"
%include "lib/panic.asm"
%include "cpu/gdt.asm"
%include "cpu/exceptions.asm"
%include "cpu/fpu.asm"
%include "mm/pmm.asm"
%include "mm/paging.asm"
%include "mm/heap.asm"
%include "acpi/acpi.asm"
%include "irq/irq.asm"
%include "irq/pic.asm"
%include "irq/lapic.asm"
%include "irq/ioapic.asm"
%include "time/hpet.asm"
%include "time/pit.asm"
%include "time/timer.asm"
%include "sched/spinlock.asm"
%include "sched/thread.asm"
%include "dev/keyboard.asm"
%include "fs/initrd.asm"
%include "user/process.asm"
%include "user/elf.asm"
%include "user/syscall.asm"
%include "user/programs.asm"
%include "fb/console.asm"
%include "fb/font.asm"
%include "bench/bench.asm"
%include "tests/runner.asm"
%include "tests/test_format.asm"
%include "tests/test_cpu.asm"
%include "tests/test_pmm.asm"
%include "tests/test_paging.asm"
%include "tests/test_console.asm"
%include "tests/test_acpi.asm"
%include "tests/test_irq.asm"
%include "tests/test_timer.asm"
%include "tests/test_keyboard.asm"
%include "tests/test_sched.asm"
%include "tests/test_user.asm"
%include "tests/test_initrd.asm"
%include "tests/test_heap.asm"              ; last: its out-of-memory test leaves every frame in the heap
%ifdef KTEST_DEMO_FAILURES
%include "tests/test_demo_failures.asm"     ; deliberately failing tests, for the runner's own tests
%endif

; Linker-script symbols.
extern __text_start, __text_end, __rodata_start, __rodata_end, __data_start, __data_end
extern __kernel_tests_start, __kernel_tests_end
global kmain
