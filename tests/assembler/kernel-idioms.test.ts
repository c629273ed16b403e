/**
 * Idioms of real boot loaders and kernels written for nasm, checked against nasm byte for byte: padding computed
 * as `N-$+$$` (a section base subtracted before it is added back), and the errors nasm gives when such a
 * subtraction is never cancelled.
 */

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

describe('a relocatable value subtracted from a number and added back', () => {
  it('pads a boot sector with times N-$+$$ in bin, after org and in a named section', () => {
    const source = `bits 16
org 0x7c00
entry: jmp short entry
msg db "boot", 0
times 446-$+$$ db 0
db 0x80
times 510-$+$$ db 0
dw 0xaa55
section .data follows=.text
dd 100-$+$$, 7-entry+entry
`;
    const nasm = runNasm(source, 'bin');
    expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output!));
  });

  it('does the same in an ELF object', () => {
    const source = `section .text
start: nop
times 64-$+$$ db 0x90
mov eax, 32-$+$$
section .data
x: dd 16-x+x, 8-$+$$
`;
    const nasm = runNasm(source, 'elf64');
    expect(readElf(runOstool(source, 'elf64'))).toEqual(readElf(nasm.output!));
  });

  it('places a number minus a label in a flat binary, where every label has its address', () => {
    const source = `org 0x100
nop
dd 5-$
a: nop
mov eax, 5-a+3
push 5-a
add ax, 2-a
times 3-a+a db 1
`;
    const nasm = runNasm(source, 'bin');
    expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output!));
  });

  it('refuses a subtracted base that nothing cancels, as nasm does', () => {
    for (const source of ['section .a\nx: nop\nsection .b\ny: dd 1-x+y\n', 'x: nop\ntimes 5-x db 0\n']) {
      expect(runNasm(source, 'bin').output).toBeUndefined();
      const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
      expect(result.output).toBeUndefined();
      expect(result.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    }
  });

  it('stores a number minus a label of the same section in ELF as nasm: relative to the field, no symbol', () => {
    const source = `section .text
x: nop
dd 5-x, -x, 3+-x
mov eax, 5-x
push 5-x
dw 7-y
y: nop
mov rax, 5-x
dq 5-x
dd (5-x)+(x-$$)
`;
    for (const format of ['elf64', 'elf32'] as const) {
      const text = format === 'elf32' ? source.replace(/.*rax.*\n|dq.*\n/g, '') : source;
      const nasm = runNasm(text, format === 'elf32' ? ('elf' as 'elf32') : format);
      expect(hex(runOstool(text, format)), format).toBe(hex(nasm.output!));
    }
  });

  it('refuses such a value in another section and as a jump target, as nasm does', () => {
    for (const source of ['x: nop\nsection .data\ndd 5-x\n', 'x: nop\njmp 5-x\n', 'x: nop\ncall 5-x\n']) {
      expect(runNasm(source, 'elf64').output).toBeUndefined();
      const result = assemble({ source, fileName: 'test.asm', format: 'elf64' });
      expect(result.output).toBeUndefined();
    }
  });
});
