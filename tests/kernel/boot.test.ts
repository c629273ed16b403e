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
    'reports a panic with its message, the registers and a function+offset backtrace, even with log=error, then exits with failure',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'panic log=error' });
      const log = boot.serial;
      expect(log).not.toContain('[info]');
      expect(log).toContain('*** KERNEL PANIC: panic requested on the command line (panic)');
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
      expect(report.plan).toBe(8);
      expect(report.results.map((result) => result.ok)).toEqual([
        false,
        false,
        false,
        false,
        false,
        false,
        false,
        true,
      ]);
      expect(report.summary).toEqual({ tests: 8, passed: 1, failed: 7 });
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
