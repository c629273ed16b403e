import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { checkKernelElf, KERNEL_CHECK_MESSAGES } from '../../src/loader/kernel-check.js';

/** The host-side kernel check: same rules and same words as the loaders' assembly, before anything is written. */
const loaderDir = new URL('../../src/loader/', import.meta.url).pathname;
const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ostool-kernel-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function link(name: string, source: string, ldArgs: string[]): Uint8Array {
  writeFileSync(join(work, `${name}.asm`), source);
  execFileSync('nasm', ['-f', 'elf64', '-o', join(work, `${name}.o`), join(work, `${name}.asm`)]);
  execFileSync('ld', [...ldArgs, '-e', 'start', '-o', join(work, `${name}.elf`), join(work, `${name}.o`)]);
  return new Uint8Array(readFileSync(join(work, `${name}.elf`)));
}

const TINY = 'section .text\nglobal start\nstart: hlt\njmp start\nsection .data\npointer: dq start\n';
const HIGHER_HALF_SCRIPT = join(work, 'higher-half.ld');
writeFileSync(
  HIGHER_HALF_SCRIPT,
  'SECTIONS { . = 0xffffffff80000000; .text : { *(.text) } . = ALIGN(4096); .data : { *(.data) } }\n',
);
const higherHalf = () => link('higher', TINY, ['-T', HIGHER_HALF_SCRIPT]);

function failureOf(kernel: Uint8Array): string | undefined {
  return checkKernelElf(kernel, '/boot/kernel')?.failure;
}

describe('host-side kernel check', () => {
  it('uses exactly the words of the loaders: every message is in src/loader/*.asm', () => {
    const assembly = readdirSync(loaderDir)
      .filter((name) => name.endsWith('.asm'))
      .map((name) => readFileSync(join(loaderDir, name), 'utf8'))
      .join('\n');
    for (const text of Object.values(KERNEL_CHECK_MESSAGES)) expect(assembly).toContain(`db "${text}", 0`);
  });

  it('accepts what the loader loads: higher-half ET_EXEC, lower-half and higher-half PIE', () => {
    expect(checkKernelElf(higherHalf(), 'k')).toBeUndefined();
    expect(checkKernelElf(link('pie', TINY, ['-pie', '--no-dynamic-linker']), 'k')).toBeUndefined();
    expect(
      checkKernelElf(link('pie-high', TINY, ['-pie', '--no-dynamic-linker', '-T', HIGHER_HALF_SCRIPT]), 'k'),
    ).toBeUndefined();
  });

  it('refuses what the loader refuses, in the loader order', () => {
    expect(failureOf(new TextEncoder().encode('not a kernel at all, just text'))).toBe('notElf');
    writeFileSync(join(work, 'tiny32.asm'), 'section .text\nglobal start\nstart: hlt\n');
    execFileSync('nasm', ['-f', 'elf32', '-o', join(work, 'tiny32.o'), join(work, 'tiny32.asm')]);
    execFileSync('ld', [
      '-m',
      'elf_i386',
      '-e',
      'start',
      '-o',
      join(work, 'tiny32.elf'),
      join(work, 'tiny32.o'),
    ]);
    expect(failureOf(readFileSync(join(work, 'tiny32.elf')))).toBe('elf32');
    expect(failureOf(link('low', TINY, ['-Ttext=0x200000']))).toBe('lowerHalf');
    // ET_DYN without PT_DYNAMIC is not relocatable: in the lower half it is refused too
    const lowDyn = link('low-dyn', TINY, ['-Ttext=0x200000']);
    new DataView(lowDyn.buffer, lowDyn.byteOffset).setUint16(16, 3, true);
    expect(failureOf(lowDyn)).toBe('lowerHalf');

    const good = higherHalf();
    const patch = (edit: (view: DataView) => void) => {
      const copy = new Uint8Array(good);
      edit(new DataView(copy.buffer));
      return copy;
    };
    const phoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(32, true));
    expect(failureOf(good.subarray(0, 40))).toBe('notElf');
    expect(failureOf(patch((v) => v.setUint8(5, 2)))).toBe('bigEndian');
    expect(failureOf(patch((v) => v.setUint16(18, 3, true)))).toBe('wrongMachine');
    expect(failureOf(patch((v) => v.setUint16(16, 1, true)))).toBe('notExecutable');
    expect(failureOf(patch((v) => v.setBigUint64(32, BigInt(good.length), true)))).toBe('badPhdrs');
    expect(failureOf(good.subarray(0, phoff + 20))).toBe('badPhdrs');
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 32, 1n << 40n, true)))).toBe('filesz');
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 8, 1n << 40n, true)))).toBe('beyondFile');
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 40, 1n << 63n, true)))).toBe('wraps');
    const firstVaddr = new DataView(good.buffer, good.byteOffset).getBigUint64(phoff + 16, true);
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 56 + 16, firstVaddr + 1n, true)))).toBe('overlap');
    expect(failureOf(patch((v) => v.setUint16(56, 0, true)))).toBe('noSegments');
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 48, 0x3000n, true)))).toBe('alignNotPowerOfTwo');
    // the data segment moved into the code's page (not overlapping it): RW- and R-X share a page
    expect(failureOf(patch((v) => v.setBigUint64(phoff + 56 + 16, firstVaddr + 0x100n, true)))).toBe(
      'sharedPage',
    );
  });

  it('refuses a PIE kernel whose dynamic relocation the loader would not apply', () => {
    const pie = link('pie-irel', TINY, ['-pie', '--no-dynamic-linker']);
    const sections = execFileSync('readelf', ['-SW', join(work, 'pie-irel.elf')], { encoding: 'utf8' });
    const relaOffset = Number.parseInt(
      /\.rela\.dyn\s+RELA\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(sections)![1]!,
      16,
    );
    const view = new DataView(pie.buffer, pie.byteOffset);
    expect(view.getBigUint64(relaOffset + 8, true)).toBe(8n); // R_X86_64_RELATIVE
    view.setBigUint64(relaOffset + 8, 37n, true); // R_X86_64_IRELATIVE
    expect(checkKernelElf(pie, '/boot/kernel')?.message).toBe(
      'kernel /boot/kernel: has a dynamic relocation other than R_X86_64_RELATIVE, 64, GLOB_DAT, JUMP_SLOT',
    );
  });

  it('ostool image refuses a truncated kernel before writing anything, naming the file and the field', async () => {
    const good = higherHalf();
    const phoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(32, true));
    const kernel = join(work, 'truncated.elf');
    writeFileSync(kernel, good.subarray(0, phoff + 20));
    const image = join(work, 'never.img');
    const result = await execa(
      'node',
      [ostool, 'image', '--kernel', kernel, '--bootloader', 'builtin', '--hdd', image],
      {
        reject: false,
      },
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `kernel ${kernel}: program header table is malformed or outside the file`,
    );
    expect(result.stderr).toContain('e_phoff');
    expect(readdirSync(work)).not.toContain('never.img');
  });
});
