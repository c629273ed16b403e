/**
 * Whole programs, written the way real projects write them (macros, %include, struc, 16/32/64-bit code, org),
 * plus generated random programs, assembled by ostool and nasm and compared byte for byte: flat binaries as
 * whole files, ELF objects by section bytes, symbols and relocations.
 */

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProgram } from '../../bench/asm.js';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;

function fixtureFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(fixtures, 'inc')))
    files[`inc/${name}`] = readFileSync(join(fixtures, 'inc', name), 'utf8');
  return files;
}

function compareElf(source: string, files: Record<string, string> = {}): void {
  const nasm = runNasm(source, 'elf64', files);
  if (!nasm.output) throw new Error(`nasm rejected the source:\n${nasm.stderr}`);
  expect(readElf(runOstool(source, 'elf64', files))).toEqual(readElf(nasm.output));
}

function compareBin(source: string, files: Record<string, string> = {}): void {
  const nasm = runNasm(source, 'bin', files);
  if (!nasm.output) throw new Error(`nasm rejected the source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin', files))).toBe(hex(nasm.output));
}

describe('real programs against nasm', () => {
  it('assembles a 64-bit kernel entry (struc, macros, default rel, externs, bss) identically in ELF64', () => {
    compareElf(readFileSync(join(fixtures, 'kernel.asm'), 'utf8'));
  });

  it('assembles an interrupt stub table (%include guards, %rep, %rotate, wrt ..plt) identically in ELF64', () => {
    compareElf(readFileSync(join(fixtures, 'interrupts.asm'), 'utf8'), fixtureFiles());
  });

  it('assembles a multiboot header with 32- and 64-bit code, far jumps and R_X86_64_32/32S/PC32/PLT32 identically', () => {
    compareElf(readFileSync(join(fixtures, 'multiboot.asm'), 'utf8'));
  });

  it('assembles a boot sector (16 -> 32-bit, org, far jumps, times padding) identically as a flat binary', () => {
    compareBin(readFileSync(join(fixtures, 'boot.asm'), 'utf8'));
  });

  it('assembles 16- and 32-bit code with .data/.bss sections after .text identically as a flat binary', () => {
    compareBin(readFileSync(join(fixtures, 'real16.asm'), 'utf8'));
  });

  it('assembles the same sources in the other output format identically too', () => {
    compareBin(
      readFileSync(join(fixtures, 'kernel.asm'), 'utf8')
        .replace(/^extern.*$/m, 'kmain:\npanic:')
        .replace(/^global.*$/gm, ''),
    );
    compareElf(readFileSync(join(fixtures, 'real16.asm'), 'utf8').replace('org 0x1000', ''));
  });
});

describe('jump sizing', () => {
  it('chooses short and near jumps exactly like nasm around the -128..127 boundary', () => {
    const lines = ['bits 64', 'section .text'];
    for (let n = 118; n <= 134; n++) {
      lines.push(`a${n}: jz b${n}`, `times ${n} nop`, `b${n}: jmp a${n}`);
      lines.push(`c${n}: jnz d${n}`, `times ${n - 8} nop`, `mov r11, [rel data${n}]`, `d${n}:`);
    }
    lines.push('section .data');
    for (let n = 118; n <= 134; n++) lines.push(`data${n}: dq 0`);
    compareElf(lines.join('\n'));
  });

  it('matches nasm on a generated kernel-style program whose jump sizes take many passes to settle', () => {
    compareElf(generateProgram(3000, 7).nasm);
  });
});

/** Deterministic generator of small random programs: labels, forward/backward jumps, relocations, macros. */
function randomProgram(seed: number): string {
  let s = seed;
  const random = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const out = [
    'bits 64',
    'extern ext1, ext2',
    'global g0',
    '%macro twice 1',
    '%%top: %1',
    '%1',
    'jnz %%top',
    '%endmacro',
    'section .text',
    'g0:',
  ];
  const labels = 12;
  for (let i = 0; i < labels; i++) {
    out.push(`l${i}:`);
    const count = Math.floor(random() * 6);
    for (let k = 0; k < count; k++) {
      const r = random();
      if (r < 0.2) out.push(`${pick(['jz', 'jnz', 'jmp', 'jb', 'jg'])} l${Math.floor(random() * labels)}`);
      else if (r < 0.3) out.push(`call ${pick(['ext1', 'ext2', 'g0', `l${Math.floor(random() * labels)}`])}`);
      else if (r < 0.4) out.push(`mov ${pick(['rax', 'ecx', 'r9'])}, [rel d${Math.floor(random() * 4)}]`);
      else if (r < 0.5) out.push(`lea rsi, [d${Math.floor(random() * 4)} + ${Math.floor(random() * 100)}]`);
      else if (r < 0.6) out.push(`times ${Math.floor(random() * 60)} nop`);
      else if (r < 0.7) out.push(`twice ${pick(['inc eax', 'dec rbx', 'add ecx, 3'])}`);
      else if (r < 0.8) out.push(`mov rdx, l${Math.floor(random() * labels)}`);
      else if (r < 0.9) out.push(`cmp ${pick(['eax', 'r10'])}, ${pick([1, 127, 128, -129, 70000])}`);
      else out.push(`.local${k}: loop .local${k}`);
    }
  }
  out.push('section .data');
  for (let i = 0; i < 4; i++)
    out.push(`d${i}: dq l${Math.floor(random() * labels)}, ext1`, `dd d${i}, ${Math.floor(random() * 1000)}`);
  return out.join('\n') + '\n';
}

describe('random programs against nasm', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`assembles random program #${seed} (labels, jumps, relocations, macros) like nasm, or rejects it when nasm does`, () => {
      const source = randomProgram(seed);
      const nasm = runNasm(source, 'elf64');
      if (nasm.output) expect(readElf(runOstool(source, 'elf64'))).toEqual(readElf(nasm.output));
      else
        expect(() => runOstool(source, 'elf64')).toThrow(
          /error: (short jump is out of range|label `.*' inconsistently redefined)/,
        );
    });
  }
});
