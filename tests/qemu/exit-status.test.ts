import { describe, expect, it } from 'vitest';
import { classifyQemuEnding } from '../../src/qemu/index.js';

const ended = (exitCode: number | null, stderr = '') => ({
  exitCode,
  stderr,
  timedOut: false,
  interrupted: false,
});

describe('classifyQemuEnding', () => {
  it('maps isa-debug-exit codes: 0x10 → 0, 0x11 → 1, other odd codes → 1', () => {
    expect(classifyQemuEnding(ended((0x10 << 1) | 1)).status).toBe(0);
    expect(classifyQemuEnding(ended((0x11 << 1) | 1)).status).toBe(1);
    expect(classifyQemuEnding(ended((0x05 << 1) | 1)).status).toBe(1);
  });

  it('treats exit 0 under -no-reboot as a reset or triple fault (3), never a pass', () => {
    expect(classifyQemuEnding(ended(0)).status).toBe(3);
  });

  it('tells a guest write of 0x00 (exit 1, silent) from a QEMU error (exit 1 with a message)', () => {
    expect(classifyQemuEnding(ended(1)).status).toBe(1);
    const error = classifyQemuEnding(
      ended(1, "qemu-system-x86_64: -drive file=x: Could not open 'x': No such file or directory\n"),
    );
    expect(error.status).toBe(4);
    expect(error.reason).toContain("Could not open 'x'");
  });

  it('does not mistake a QEMU warning for a start-up error', () => {
    expect(
      classifyQemuEnding(ended(1, 'qemu-system-x86_64: warning: host does not support x2apic\n')).status,
    ).toBe(1);
  });

  it('gives 2 for a timeout and for an interruption, whatever QEMU exited with after being killed', () => {
    expect(
      classifyQemuEnding({
        ...ended(0, 'qemu-system-x86_64: terminating on signal 15\n'),
        timedOut: true,
        timeoutSeconds: 5,
      }),
    ).toMatchObject({ status: 2 });
    expect(classifyQemuEnding({ ...ended(0), interrupted: true }).status).toBe(2);
  });

  it('gives 4 when QEMU could not be spawned', () => {
    expect(classifyQemuEnding({ ...ended(null), spawnError: 'spawn ENOENT' })).toEqual({
      status: 4,
      reason: 'spawn ENOENT',
    });
  });
});
