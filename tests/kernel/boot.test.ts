import { describe, expect, it } from 'vitest';
import { listKernelTests } from '../../src/build/index.js';
import { buildAndBoot, parseTap, QEMU_EXIT_FAILURE, QEMU_EXIT_SUCCESS } from './boot-helpers.js';

// Each test boots the repo kernel under OVMF (TCG) through ostool's built-in loader: ~5-20 s each.
const BOOT_TEST_TIMEOUT = 150_000;

describe('kernel booted through the built-in loader under OVMF', () => {
  it(
    'prints the boot log on serial and leaves QEMU with success for `exit` (ISO)',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'exit' });
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
      expect(log).toContain('[info]  cmdline: "exit"');
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
    'reports a panic with its message, the registers and a function+offset backtrace, then exits with failure',
    async () => {
      const boot = await buildAndBoot({ media: 'iso', cmdline: 'panic' });
      const log = boot.serial;
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
});
