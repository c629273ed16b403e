import { describe, expect, it } from 'vitest';
import { defaultProject } from '../../src/build/index.js';
import { applyGuestCodes } from '../../src/cli/commands/run.js';
import type { RunResult } from '../../src/qemu/index.js';

function ended(qemuExitCode: number, status: 0 | 1): RunResult {
  return {
    status,
    qemuExitCode,
    serial: '',
    durationMs: 1,
    reason: 'runner',
    accel: 'tcg',
    notes: [],
    interrupted: false,
    command: ['qemu'],
  };
}

describe("a project's own isa-debug-exit codes ([test] success_code, failure_code)", () => {
  const project = defaultProject('/p');
  project.test.successCode = 0x21;
  project.test.failureCode = 0x22;

  it('passes on the success code and fails on any other, including the default 0x10', () => {
    expect(applyGuestCodes(ended((0x21 << 1) | 1, 1), project)).toMatchObject({ status: 0 });
    expect(applyGuestCodes(ended((0x22 << 1) | 1, 1), project)).toMatchObject({
      status: 1,
      reason: 'the guest wrote 0x22 (failure) to port 0xf4',
    });
    expect(applyGuestCodes(ended((0x10 << 1) | 1, 0), project)).toMatchObject({ status: 1 });
  });

  it('leaves the runner verdict alone with the default codes', () => {
    const result = ended((0x10 << 1) | 1, 0);
    expect(applyGuestCodes(result, defaultProject('/p'))).toBe(result);
  });
});
