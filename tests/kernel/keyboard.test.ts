import { describe, expect, it } from 'vitest';
import { repoKernelProject } from '../../src/build/index.js';
import { bootWithMonitor } from './boot-helpers.js';

// Boots the kernel in run mode under OVMF (TCG), types through QEMU's monitor: ~10-30 s.
const KEYBOARD_TEST_TIMEOUT = 180_000;
const READY = 'echo: type here';

describe('userspace and the PS/2 keyboard end to end', () => {
  it(
    'boots into /bin/init, whose /bin/echo echoes keys typed with the QEMU monitor sendkey command (shift, caps lock)',
    async () => {
      // h i shift+a space caps b caps 1 shift+1 enter
      const keys = ['h', 'i', 'shift-a', 'spc', 'caps_lock', 'b', 'caps_lock', '1', 'shift-1', 'ret'];
      const expected = 'hiA B1!\n';
      let echoed = false;
      const { serial } = await bootWithMonitor(
        // The kernel's built-in /bin/init (the initrd's has its own: tests/kernel/initrd.test.ts).
        {
          media: 'iso',
          cmdline: '',
          readyText: READY,
          project: { ...repoKernelProject(), initrd: undefined },
        },
        async (session) => {
          for (const key of keys) await session.monitor(`sendkey ${key}`);
          echoed = await session.waitForSerial(`${READY}\n${expected}`, 30_000);
        },
      );
      expect(serial).toContain('[info]  keyboard: PS/2 on IRQ 1, scancode set 1');
      expect(serial).toMatch(/\[info\]  user: started \/bin\/init as process \d+\n/);
      expect(serial).toContain('init: hello from ring 3\n');
      expect(echoed, serial.slice(-2000)).toBe(true);
    },
    KEYBOARD_TEST_TIMEOUT,
  );
});
