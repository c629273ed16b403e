import { describe, expect, it } from 'vitest';
import { listKernelTests } from '../../src/build/index.js';
import { buildAndBoot, parseTap, QEMU_EXIT_FAILURE, QEMU_EXIT_SUCCESS } from './boot-helpers.js';

// Each test boots the repo kernel under OVMF (TCG) through ostool's built-in loader: ~5-20 s each.
const BOOT_TEST_TIMEOUT = 150_000;

describe('kernel booted through the built-in loader under OVMF', () => {
  it(
    'prints the boot log on serial (debug lines with log=debug) and leaves QEMU with success for `exit` (ISO)',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'exit log=debug' });
      expect(boot.toolchain).toBe('ostool');
      expect(boot.timedOut).toBe(false);
      const log = boot.serial;
      expect(log).toMatch(/\[info\]  bootloader: ostool \S+/);
      expect(log).toMatch(/\[info\]  firmware: UEFI \(64-bit\)/);
      expect(log).toMatch(/\[info\]  memory map \(\d+ entries\):/);
      expect(log).toMatch(/\[info\]    0x[0-9a-f]{16} 0x[0-9a-f]{16} usable/);
      expect(log).toMatch(/\[info\]    0x[0-9a-f]{16} 0x[0-9a-f]{16} kernel and modules/);
      expect(log).toMatch(/\[info\]  usable memory: \d+ KiB \(\d+ MiB\)/);
      expect(log).toMatch(/\[info\]  kernel: physical 0x[0-9a-f]{16}, virtual 0xffffffff80000000/);
      expect(log).toMatch(/\[info\]  framebuffer: \d+x\d+, 32 bpp/);
      expect(log).toContain('[info]  cmdline: "exit log=debug"');
      expect(log).toContain('[debug] stack size request honoured');
      expect(log).toMatch(/\[info\]  paging: kernel page tables active/);
      // ACPI: one line per table, checksums verified, MADT and HPET parsed (QEMU q35 under OVMF).
      expect(log).toMatch(/\[info\]  acpi: RSDP revision 2 at 0x[0-9a-f]{16}, OEM '\S+'/);
      expect(log).toMatch(/\[info\]  acpi: XSDT at 0x[0-9a-f]{16}, \d+ bytes, \d+ tables/);
      expect(log).toMatch(/\[info\]  acpi: APIC at 0x[0-9a-f]{16}, \d+ bytes, OEM '\S+'/);
      expect(log).toMatch(/\[info\]  acpi: HPET at 0x[0-9a-f]{16}, \d+ bytes/);
      expect(log).toContain('[info]  acpi: MADT: ISA IRQ 0 -> GSI 2, flags 0');
      expect(log).toMatch(
        /\[info\]  acpi: MADT: local APIC at 0x00000000fee00000, 1 CPUs, I\/O APIC 0 at 0x00000000fec00000/,
      );
      expect(log).toContain('[info]  acpi: HPET: registers at 0x00000000fed00000');
      expect(log).not.toContain('bad checksum');
      expect(log).toMatch(/\[info\]  lapic: xAPIC, id 0, version [0-9a-f]+, registers at 0xffffe00000000000/);
      expect(log).toMatch(/\[info\]  ioapic: id 0 at 0x00000000fec00000, GSIs 0-23, all masked/);
      expect(log).toMatch(
        /\[info\]  timer: local APIC timer [1-9]\d* ticks\/ms, TSC [1-9]\d* kHz \(calibrated against the HPET\), 250 Hz tick/,
      );
      expect(log).toContain('[info]  keyboard: PS/2 on IRQ 1, scancode set 1');
      expect(log).toContain('[info]  fpu: fxsave, 512-byte state per thread'); // QEMU's default CPU has no XSAVE
      expect(log).toContain('[info]  boot complete');
      expect(boot.exitCode).toBe(QEMU_EXIT_SUCCESS);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'runs every registered test and they all pass (HDD)',
    async () => {
      const boot = await buildAndBoot({ media: 'hdd', cmdline: 'test' });
      const registered = listKernelTests(boot.elf);
      const report = parseTap(boot.serial);
      expect(report.plan).toBe(registered.length);
      expect(report.results.map((result) => result.name)).toEqual(registered.map((test) => test.name));
      const failed = report.results.filter((result) => !result.ok).map((result) => result.name);
      expect(failed, boot.serial.slice(-3000)).toEqual([]);
      expect(report.summary).toEqual({ tests: registered.length, passed: registered.length, failed: 0 });
      expect(boot.exitCode).toBe(QEMU_EXIT_SUCCESS);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'runs only the tests whose names contain the cmdline filter',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'test filter=heap:' });
      const expected = listKernelTests(boot.elf).filter((test) => test.name.includes('heap:'));
      const report = parseTap(boot.serial);
      expect(expected.length).toBeGreaterThan(3);
      expect(report.plan).toBe(expected.length);
      expect(report.results.map((result) => result.name)).toEqual(expected.map((test) => test.name));
      expect(report.results.every((result) => result.ok)).toBe(true);
      expect(boot.exitCode).toBe(QEMU_EXIT_SUCCESS);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'switches threads with xsave (x87, SSE and AVX state) on a CPU that has XSAVE (-cpu max): the thread tests pass',
    async () => {
      const boot = await buildAndBoot({
        media: 'iso',
        cmdline: 'test filter=sched:',
        qemuArgs: ['-cpu', 'max'],
      });
      expect(boot.serial).toMatch(/\[info\]  fpu: xsave, \d+-byte state per thread, XCR0=7/);
      const report = parseTap(boot.serial);
      expect(report.plan).toBeGreaterThan(5);
      expect(report.results.filter((result) => !result.ok).map((result) => result.name)).toEqual([]);
      expect(boot.exitCode).toBe(QEMU_EXIT_SUCCESS);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'reports a panic with its message, the registers and a function+offset backtrace, even with log=error, then exits with failure',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'panic log=error' });
      const log = boot.serial;
      expect(log).not.toContain('[info]');
      expect(log).toContain('*** KERNEL PANIC: panic requested on the command line (panic)');
      expect(log).toContain('\n  in thread kmain (id 0)\n');
      expect(log).toMatch(/ rax=0x[0-9a-f]{16} rbx=0x[0-9a-f]{16} rcx=0x[0-9a-f]{16}/);
      expect(log).toMatch(/ r15=0x[0-9a-f]{16} rip=0xffffffff8[0-9a-f]{7} rflags=/);
      const backtrace = log.slice(log.indexOf('backtrace:'));
      expect(backtrace).toMatch(/\n  0xffffffff8[0-9a-f]{7} panic_on_request\+0x[0-9a-f]+\n/);
      expect(backtrace).toMatch(/\n  0xffffffff8[0-9a-f]{7} kmain\+0x[0-9a-f]+(\n|$)/);
      expect(boot.exitCode).toBe(QEMU_EXIT_FAILURE);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'reports failing tests as not ok with their diagnostics after the result, and keeps running the rest',
    async () => {
      const boot = await buildAndBoot({
        media: 'iso',
        cmdline: 'test filter=demo:',
        defines: { KTEST_DEMO_FAILURES: '' },
      });
      const report = parseTap(boot.serial);
      expect(report.plan).toBe(10);
      expect(report.results.map((result) => result.ok)).toEqual([
        false,
        false,
        false,
        false,
        false,
        false,
        false,
        false,
        false,
        true,
      ]);
      expect(report.summary).toEqual({ tests: 10, passed: 1, failed: 9 });
      const lines = boot.serial.split('\n');
      const diagnosticsOf = (number: number) => {
        const at = lines.findIndex((line) => new RegExp(`^(not )?ok ${number} - `).test(line));
        const after = lines.slice(at + 1);
        return after
          .slice(
            0,
            after.findIndex((line) => !line.startsWith('# ')),
          )
          .join('\n');
      };
      expect(diagnosticsOf(1)).toMatch(
        /^# \S*tests\/test_demo_failures\.asm:17: expected 42 \(0x0+2a\), actual 41 \(0x0+29\)$/,
      );
      expect(diagnosticsOf(2)).toMatch(/test_demo_failures\.asm:\d+: expected "expected", actual "actual"/);
      expect(diagnosticsOf(3)).toContain('# the test panicked');
      expect(diagnosticsOf(3)).toContain('# unexpected panic in a demo test');
      expect(diagnosticsOf(4)).toContain('# expected a panic, but the test returned');
      expect(diagnosticsOf(5)).toContain('# expected exception 14, but the test returned');
      expect(diagnosticsOf(6)).toContain('# unhandled exception 6: invalid opcode (#UD)');
      expect(diagnosticsOf(7)).toContain('# unhandled exception 14: page fault (#PF)');
      expect(diagnosticsOf(8)).toMatch(
        /^# \S*tests\/test_demo_failures\.asm:\d+: expected 8 \(0x0+8\), actual 7 \(0x0+7\)$/,
      );
      expect(diagnosticsOf(9)).toContain("# deliberate panic in a test's thread");
      expect(boot.serial).toMatch(
        /\*\*\* KERNEL PANIC: deliberate panic in a test's thread\n  in thread demo-panicker \(id \d+\)\n/,
      );
      expect(boot.serial).toContain('*** exception 14: page fault (#PF), error code 2 at rip 0xffffffff8');
      expect(boot.serial).toContain(
        '  page fault at cr2=0xffffd00000abc000: page not present, write, kernel mode',
      );
      expect(boot.serial).toMatch(
        /backtrace:\n  0xffffffff8[0-9a-f]{7} demo_unexpected_page_fault\+0x[0-9a-f]+\n  0xffffffff8[0-9a-f]{7} run_one_test\+/,
      );
      expect(boot.exitCode).toBe(QEMU_EXIT_FAILURE);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'reports every optional request the bootloader did not answer, and still boots',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', defines: { KTEST_UNANSWERED_REQUESTS: '' } });
      const log = boot.serial;
      for (const request of [
        'bootloader info',
        'firmware type',
        'kernel file (no command line)',
        'RSDP',
        'stack size',
        'paging mode',
      ]) {
        expect(log).toContain(`[warn]  the bootloader did not answer the ${request} request`);
      }
      expect(log).toContain('[info]  framebuffer: none');
      // Without the RSDP (no BIOS area under UEFI): no I/O APIC, no HPET; the PIT calibrates the timer.
      expect(log).toContain('[warn]  acpi: no RSDP');
      expect(log).toMatch(
        /\[info\]  timer: local APIC timer [1-9]\d* ticks\/ms, .*calibrated against the PIT/,
      );
      expect(log).toContain('[info]  cmdline: ""');
      expect(log).toMatch(/\[info\]  memory map \(\d+ entries\):/);
      expect(log).toContain('[info]  boot complete');
      expect(boot.exitCode).toBe(QEMU_EXIT_SUCCESS);
    },
    BOOT_TEST_TIMEOUT,
  );

  it(
    'halts with a message on serial when the bootloader does not support the requested base revision',
    async () => {
      const boot = await buildAndBoot({
        media: 'iso',
        cmdline: 'exit',
        defines: { KTEST_BASE_REVISION: '99' },
      });
      expect(boot.serial).toContain(
        'ostool kernel: the bootloader does not support Limine base revision 2; halting',
      );
      expect(boot.serial).not.toContain('[info]  ostool kernel booting');
      expect(boot.exitCode).toBe(QEMU_EXIT_FAILURE);
    },
    BOOT_TEST_TIMEOUT,
  );
});
