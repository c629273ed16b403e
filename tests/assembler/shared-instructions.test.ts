/**
 * Lines of the same text share one parsed instruction when its operands name no symbol (see
 * `isShareableInstruction`): checked against nasm where the same text must still encode differently (another
 * mode, `default rel`, another section) or must give its message on every line.
 */

import { describe, expect, it } from 'vitest';
import { assemble, formatNasmDiagnostic } from '../../src/assembler/index.js';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

describe('instructions written the same on several lines', () => {
  it('encode for the mode, default and section each line is in, as in nasm (bin)', () => {
    const source = `bits 64
mov eax, [0x1000]
push rbx
add rax, 100
default rel
mov eax, [0x1000]
mov eax, [0x1000]
default abs
mov eax, [0x1000]
bits 32
mov eax, [0x1000]
add eax, 100
push ebx
bits 16
mov eax, [0x1000]
add eax, 100
bits 64
push rbx
add rax, 100
mov eax, [0x1000]
`;
    expect(hex(runOstool(source, 'bin'))).toBe(hex(runNasm(source, 'bin').output!));
  });

  it('lay out the same in every section and after labels, as in nasm (elf64)', () => {
    const source = `section .text
a: xor eax, eax
.x: xor eax, eax
lea rsi, [rbx + rcx*4 + 8]
section .data
xor eax, eax
lea rsi, [rbx + rcx*4 + 8]
section .text
b: lea rsi, [rbx + rcx*4 + 8]
xor eax, eax
`;
    expect(readElf(runOstool(source, 'elf64'))).toEqual(readElf(runNasm(source, 'elf64').output!));
  });

  it('each give their warning on their own line, as nasm does', () => {
    const source = `bits 64
mov al, 300
nop
mov al, 300
section .bss
nop
nop
`;
    const nasm = runNasm(source, 'elf64');
    const ours = assemble({ source, fileName: 'test.asm', format: 'elf64' });
    // the warning classes nasm names are not what this test is about
    const withoutClass = (text: string): string => text.replace(/ \[-w\+[a-z-]+\]/g, '').trim();
    const messages = ours.diagnostics.map((d) => formatNasmDiagnostic(d));
    expect(withoutClass(messages.join('\n'))).toBe(withoutClass(nasm.stderr));
    expect(messages.length).toBe(4);
  });
});
