/**
 * Effective addresses, generated: register pairs in both orders, with and without scales, multipliers written
 * on either side, displacements that nasm's evaluator sums or does not, `nosplit`, and the registers whose
 * encodings are special (rsp/r12 need a SIB, rbp/r13 a displacement). nasm is the oracle for every form it
 * accepts, byte for byte: each instruction is padded to its own 16-byte slot so a difference names its line.
 */

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { hex, runNasm, runOstool } from './oracle.js';

const SLOT = 16;

function addresses(regs: string[], label: string): string[] {
  const out: string[] = [];
  const disps = ['', '+0', '+1+1', '+3-3', '+12', '-8', `+${label}`, '+0x7f', '+0x80'];
  for (const a of regs) {
    for (const d of disps) out.push(`[${a}${d}]`, `[nosplit ${a}${d}]`, `[${d.slice(1) || 0}+${a}]`);
    for (const s of [1, 2, 3, 4, 5, 8, 9])
      for (const d of ['', '+4', '+1+1'])
        out.push(`[${a}*${s}${d}]`, `[${s}*${a}${d}]`, `[nosplit ${a}*${s}${d}]`);
    out.push(`[${a}+${a}]`, `[${a}+${a}*2]`, `[nosplit ${a}+${a}]`, `[${a}*2+${a}+1+1]`);
    for (const b of regs) {
      if (a === b) continue;
      for (const d of disps) out.push(`[${a}+${b}${d}]`, `[${d.slice(1) || 0}+${a}+${b}]`);
      for (const s of [1, 2, 4, 8])
        out.push(
          `[${a}*${s}+${b}]`,
          `[${a}+${b}*${s}]`,
          `[${s}*${a}+${b}]`,
          `[${a}+${s}*${b}+1+1]`,
          `[nosplit ${a}+${b}*${s}]`,
        );
    }
  }
  return out;
}

function slotted(lines: string[]): string {
  return lines.map((l) => `${l}\nalign ${SLOT}, db 0xcc`).join('\n');
}

/** Replaces the lines nasm rejects with `nop`, until nasm assembles the rest. */
function acceptedByNasm(prologue: string, lines: string[]): { lines: string[]; rejected: string[] } {
  const kept = [...lines];
  const rejected: string[] = [];
  for (let round = 0; round < 5; round++) {
    const source = `${prologue}\n${slotted(kept)}\n`;
    const r = runNasm(source, 'bin');
    if (r.output) return { lines: kept, rejected };
    const prologueLines = prologue.split('\n').length;
    const bad = new Set<number>();
    for (const m of r.stderr.matchAll(/^test\.asm:(\d+): error/gm)) {
      const k = (Number(m[1]) - prologueLines - 1) / 2;
      if (Number.isInteger(k) && k >= 0 && k < kept.length) bad.add(k);
    }
    if (bad.size === 0) throw new Error(`nasm failed on the generated source:\n${r.stderr.slice(0, 2000)}`);
    for (const k of bad) {
      rejected.push(kept[k]!);
      kept[k] = 'nop';
    }
  }
  throw new Error('nasm kept rejecting the generated source');
}

function compare(bits: 16 | 32 | 64, regs: string[], destination: string): number {
  const prologue = `bits ${bits}\norg 0x1000\njmp near past\nlbl: dd 0\npast:`;
  const lines = addresses(regs, 'lbl').map((ea) => `lea ${destination}, ${ea}`);
  const { lines: kept, rejected } = acceptedByNasm(prologue, lines);
  const source = `${prologue}\n${slotted(kept)}\n`;
  const nasm = runNasm(source, 'bin').output!;
  const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
  expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  const ours = result.output!;
  const start = nasm.length - kept.length * SLOT;
  const differing: string[] = [];
  for (let k = 0; k < kept.length; k++) {
    const slot = (b: Uint8Array) =>
      Buffer.from(b.subarray(start + k * SLOT, start + (k + 1) * SLOT)).toString('hex');
    if (slot(ours) !== slot(nasm)) differing.push(`${kept[k]}: ostool ${slot(ours)} nasm ${slot(nasm)}`);
  }
  expect(differing.slice(0, 20)).toEqual([]);
  expect(ours.length).toBe(nasm.length);
  // what nasm refuses, ostool refuses too
  const refusedByUs = rejected.filter((line) => {
    const one = assemble({ source: `bits ${bits}\n${line}\n`, fileName: 'test.asm', format: 'bin' });
    return one.output === undefined;
  });
  expect(rejected.filter((line) => !refusedByUs.includes(line))).toEqual([]);
  return kept.length;
}

describe('effective addresses against nasm', () => {
  it('64-bit registers in 64-bit code', () => {
    expect(compare(64, ['rax', 'rcx', 'rsp', 'rbp', 'rsi', 'r8', 'r12', 'r13'], 'rax')).toBeGreaterThan(1000);
  });
  it('32-bit registers in 64-bit and 32-bit code', () => {
    expect(compare(64, ['eax', 'ebx', 'esp', 'ebp', 'edi', 'r9d', 'r12d', 'r13d'], 'eax')).toBeGreaterThan(
      1000,
    );
    expect(compare(32, ['eax', 'ecx', 'esp', 'ebp', 'esi', 'edi'], 'eax')).toBeGreaterThan(500);
  });
  it('16-bit registers in 16-bit code', () => {
    expect(compare(16, ['bx', 'bp', 'si', 'di'], 'ax')).toBeGreaterThan(50);
  });
});

describe('address sizes given inside the brackets', () => {
  it('takes [a16 x] [a32 x] [a64 x] as the prefix would, with the moffs forms and zero-extended relocations nasm picks', () => {
    const source = `bits 64
extern ext
foo equ 0x1000
mov eax, [a32 foo]
a32 mov eax, [foo]
a32 mov al, [foo]
a32 mov [foo], rax
a32 mov eax, [dword foo]
a32 mov eax, [qword foo]
mov rax, [a32 qword foo]
mov eax, [a64 foo]
mov eax, [a64 0xffffffffcccccccc]
mov eax, [a32 eax]
lea rax, [a32 foo]
mov eax, [a32 ext]
mov rax, [a32 qword ext]
mov ecx, [a32 ext]
bits 32
mov eax, [a16 0x10]
mov eax, [a32 0x10]
mov eax, [a16 bx]
bits 16
mov ax, [a32 0x10]
`;
    for (const format of ['elf64', 'elf32'] as const) {
      const nasm = runNasm(source, format === 'elf32' ? ('elf' as 'elf32') : format);
      expect(hex(runOstool(source, format, {}, 'test.asm', { disabledWarnings: ['all'] })), format).toBe(
        hex(nasm.output!),
      );
    }
  });
});
