import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A full disk or a read-only destination: every command that writes an output says so clearly, exits 1 and leaves
 * the old file exactly as it was (and no temporary file). Needs root to mount a small tmpfs; skips otherwise.
 */
const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ostool-output-safety-'));
const mountPoint = join(work, 'small');

function tryMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    mkdirSync(mountPoint, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = tryMount();
if (!mounted) console.log('output safety: skipped (needs root and a mountable tmpfs)');

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(work, { recursive: true, force: true });
});

const OLD = 'the old file, which must survive\n';

/** Each command writes `out` in the small tmpfs; its output is bigger than the file system. */
const commands: { name: string; out: string; args: (out: string) => string[] }[] = [
  {
    name: 'ostool asm',
    out: 'big.bin',
    args: (out) => ['asm', '-f', 'bin', '-o', out, join(work, 'big.asm')],
  },
  {
    name: 'ostool link',
    out: 'big.elf',
    args: (out) => ['link', '-T', join(work, 'k.ld'), '-o', out, join(work, 'k.o')],
  },
  {
    name: 'ostool image',
    out: 'big.img',
    args: (out) => ['image', '--kernel', join(work, 'k.elf'), '--bootloader', 'builtin', '--hdd', out],
  },
];

describe.skipIf(!mounted)('outputs on a full or read-only file system', () => {
  beforeAll(async () => {
    writeFileSync(join(work, 'big.asm'), 'times 600000 db 0x90\n');
    writeFileSync(
      join(work, 'k.asm'),
      'bits 64\nsection .text\nglobal _start\n_start: hlt\njmp _start\nsection .data\ntimes 400000 db 1\n',
    );
    writeFileSync(
      join(work, 'k.ld'),
      'ENTRY(_start)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text) } .data : { *(.data) } }\n',
    );
    await execa('node', [ostool, 'asm', '-f', 'elf64', '-o', join(work, 'k.o'), join(work, 'k.asm')]);
    await execa('node', [
      ostool,
      'link',
      '-T',
      join(work, 'k.ld'),
      '-o',
      join(work, 'k.elf'),
      join(work, 'k.o'),
    ]);
  });

  for (const command of commands) {
    it(`${command.name}: a full disk gives a clear error and keeps the old file`, async () => {
      const out = join(mountPoint, command.out);
      writeFileSync(out, OLD);
      const result = await execa('node', [ostool, ...command.args(out)], { reject: false });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`cannot write ${out}: no space left on the device (ENOSPC)`);
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(readFileSync(out, 'utf8')).toBe(OLD);
      expect(readdirSync(mountPoint).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }, 60_000);
  }

  it('every command on a read-only file system gives a clear error and keeps the old file', async () => {
    for (const command of commands) writeFileSync(join(mountPoint, command.out), OLD);
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    try {
      for (const command of commands) {
        const out = join(mountPoint, command.out);
        const result = await execa('node', [ostool, ...command.args(out)], { reject: false });
        expect(result.exitCode, command.name).toBe(1);
        expect(result.stderr, command.name).toContain(
          `cannot write ${out}: the file system is read-only (EROFS)`,
        );
        expect(readFileSync(out, 'utf8')).toBe(OLD);
      }
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    }
    expect(existsSync(mountPoint)).toBe(true);
  }, 120_000);
});
