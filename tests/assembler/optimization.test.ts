/**
 * `-O0` and `-O1` change encodings the way nasm's do (full-size immediates, near jumps, operand-size
 * prefixes kept) and follow nasm's pass rules for them; compared byte for byte with `nasm -O0` / `nasm -O1`.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateProgram } from '../../bench/asm.js';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

type Level = 'O0' | 'O1';

function compare(source: string, format: 'bin' | 'elf64', level: Level): void {
  const nasm = runNasm(source, format, {}, 'test.asm', [`-${level}`]);
  if (!nasm.output) throw new Error(`nasm rejected the source:\n${nasm.stderr}`);
  const ours = runOstool(source, format, {}, 'test.asm', { optimization: level });
  if (format === 'bin') expect(hex(ours)).toBe(hex(nasm.output));
  else expect(readElf(ours)).toEqual(readElf(nasm.output));
}

const MIXED = `bits 64
start:
  add eax, 1
  add rax, 1000
  mov rax, 5
  mov rax, -5
  mov ecx, [rbx+8]
  push 1
  imul eax, ebx, 3
  add eax, later_small
  jz start
  jmp start
  jz fwd
  jz far_away
  jmp fwd
  jmp short fwd
  call fwd
  mov eax, [rel fwd]
  loop start
  times 10 nop
fwd:
  jnz start
  mov ds, ax
  times 200 nop
far_away:
  jz start
  ret
later_small equ 3
`;

const SIXTEEN = `bits 16
org 0x7c00
  jmp main
  times 20 db 0
main:
  mov ax, 0x10
  add sp, 2
  cmp byte [0x500], 1
  jne main
  jmp done
  times 150 nop
done:
  jmp 0x08:main
  hlt
`;

describe.each(['O0', 'O1'] as const)('-%s like nasm', (level) => {
  it('encodes immediates, jumps and operand-size prefixes like nasm (64-bit flat binary)', () => {
    compare(MIXED, 'bin', level);
  });

  it('sizes jumps in 16-bit code with org like nasm', () => {
    compare(SIXTEEN, 'bin', level);
  });

  it('assembles the kernel fixture identically in ELF64', () => {
    const kernel = readFileSync(new URL('./fixtures/kernel.asm', import.meta.url), 'utf8');
    compare(kernel, 'elf64', level);
  });

  it('assembles a generated 3000-line program (local jumps, calls, relocations) identically in ELF64', () => {
    compare(generateProgram(3000, 7).nasm, 'elf64', level);
  });
});
