import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { chooseBoot, type MachineCliOptions } from '../../src/cli/commands/run.js';

const ostool = fileURLToPath(new URL('../../bin/ostool.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const base: MachineCliOptions = { accel: 'tcg' };

describe('--boot', () => {
  it('defaults to direct for test and UEFI for run', () => {
    expect(chooseBoot(base, 'test', undefined)).toBe('direct');
    expect(chooseBoot(base, 'run', undefined)).toBe('uefi');
  });

  it('is what --boot says, and --firmware or the project firmware mean an image boot', () => {
    expect(chooseBoot({ ...base, boot: 'bios' }, 'test', undefined)).toBe('bios');
    expect(chooseBoot({ ...base, boot: 'direct' }, 'run', undefined)).toBe('direct');
    expect(chooseBoot({ ...base, firmware: 'bios' }, 'test', undefined)).toBe('bios');
    expect(chooseBoot(base, 'test', 'uefi')).toBe('uefi');
    expect(chooseBoot({ ...base, boot: 'direct' }, 'test', 'uefi')).toBe('direct');
  });

  it('takes the image options of today to mean an image boot (UEFI unless told otherwise)', () => {
    expect(chooseBoot({ ...base, image: 'os.iso' }, 'test', undefined)).toBe('uefi');
    expect(chooseBoot({ ...base, bootloader: 'builtin' }, 'test', undefined)).toBe('uefi');
    expect(chooseBoot({ ...base, media: 'hdd', firmware: 'bios' }, 'test', undefined)).toBe('bios');
  });

  it('refuses combinations that contradict each other, by name', () => {
    expect(() => chooseBoot({ ...base, boot: 'direct', image: 'os.iso' }, 'test', undefined)).toThrow(
      /--image is for an image boot/,
    );
    expect(() => chooseBoot({ ...base, boot: 'direct', firmware: 'uefi' }, 'test', undefined)).toThrow(
      /--boot direct has none/,
    );
    expect(() => chooseBoot({ ...base, boot: 'uefi', firmware: 'bios' }, 'test', undefined)).toThrow(
      /disagree/,
    );
  });

  it('`ostool test` boots the repo kernel directly by default and passes', async () => {
    const result = await execa('node', [ostool, 'test', '--accel', 'tcg'], {
      cwd: REPO,
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    });
    expect(result.stderr).toMatch(/ostool: testing .*kernel\.elf \(direct boot\)/);
    expect(result.stderr).toMatch(/tests: \d+ passed, 0 failed/);
    expect(result.exitCode, result.stderr.slice(-1500)).toBe(0);
  }, 150_000);
});
