import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildKernel, DEFAULT_LINKER_SCRIPT } from '../../src/build/index.js';
import { main } from '../../src/cli/main.js';
import { UserError } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-build-command-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI in-process and captures what it prints. */
async function ostool(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const before = process.exitCode;
  try {
    const status = await main(['node', 'ostool', ...args]);
    return { status, stdout, stderr };
  } finally {
    process.exitCode = before;
    vi.restoreAllMocks();
  }
}

describe('ostool build', () => {
  it('writes a GPT disk image and the kernel ELF, and says what it built with', async () => {
    const image = join(work, 'out', 'kernel.img');
    const elf = join(work, 'out', 'kernel.elf');
    const result = await ostool(
      'build',
      '--media',
      'hdd',
      '--bootloader',
      'builtin',
      '-o',
      image,
      '--elf',
      elf,
      '--cmdline',
      'log=debug',
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /built hdd image .*kernel\.img for uefi, built-in loader .*toolchain ostool/,
    );
    expect(readFileSync(elf).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    // sgdisk is the oracle for the partition table the image builder wrote around our kernel.
    expect(execFileSync('sgdisk', ['-v', image], { encoding: 'utf8' })).toMatch(/No problems found/);
  }, 120_000);

  it('refuses BIOS with the built-in loader without writing an image', async () => {
    const image = join(work, 'bios.iso');
    const result = await ostool('build', '--firmware', 'bios', '--bootloader', 'builtin', '-o', image);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^ostool: error: --firmware bios needs real Limine/);
    expect(existsSync(image)).toBe(false);
  });

  it('rejects an unknown media type as a usage error', async () => {
    const result = await ostool('build', '--media', 'floppy');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("argument 'floppy' is invalid");
  });
});

describe('ostool build of a kernel of your own', () => {
  it('assembles and links --kernel-dir with -T, without a backtrace table when it reserves none', async () => {
    const dir = join(work, 'own-kernel');
    mkdirSync(join(dir, 'inc'), { recursive: true });
    writeFileSync(join(dir, 'inc', 'ports.inc'), 'DEBUG_EXIT equ 0xf4\n');
    writeFileSync(
      join(dir, 'kernel.asm'),
      'bits 64\n%include "inc/ports.inc"\nsection .text\nglobal _start\n_start:\n    mov al, 0x10\n    out DEBUG_EXIT, al\n    hlt\n',
    );
    writeFileSync(
      join(dir, 'own.ld'),
      'ENTRY(_start)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text) } }\n',
    );
    const elf = join(work, 'own.elf');
    const result = await ostool(
      'build',
      '--kernel-dir',
      dir,
      '-T',
      join(dir, 'own.ld'),
      '--elf-only',
      '--elf',
      elf,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/built kernel .*own\.elf; kernel \d+ bytes, 0 symbols, toolchain ostool/);
    const header = execFileSync('readelf', ['-hW', elf], { encoding: 'utf8' });
    expect(header).toMatch(/Entry point address:\s+0xffffffff80000000/);
    const disassembly = execFileSync('objdump', ['-d', '-M', 'intel', elf], { encoding: 'utf8' });
    expect(disassembly).toMatch(/out\s+0xf4,al/);
  });
});

describe('kernel build errors', () => {
  const broken = join(work, 'broken-kernel');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'kernel.asm'), 'bits 64\nsection .text\nglobal kmain\nkmain:\n    mov rax,\n');

  it('points at the file and line of a kernel source error', async () => {
    const error = await buildKernel({
      kernelDir: broken,
      linkerScript: DEFAULT_LINKER_SCRIPT,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/kernel\.asm:5:\d+: error: /);
  });

  it('never falls back to nasm + GNU ld: a source error is reported by ostool asm alone', async () => {
    const error = await buildKernel({ kernelDir: broken, linkerScript: DEFAULT_LINKER_SCRIPT }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/kernel\.asm:5:\d+: error: /);
    expect((error as Error).message).not.toMatch(/nasm|fallback/);
  });

  it('reports a missing kernel directory and linker script by path', async () => {
    await expect(buildKernel({ kernelDir: join(work, 'nowhere') })).rejects.toThrow(/cannot read .*nowhere/);
    await expect(buildKernel({ kernelDir: broken, linkerScript: join(work, 'missing.ld') })).rejects.toThrow(
      /linker script .*missing\.ld not found/,
    );
  });
});
