/**
 * The instruction set against nasm 2.16: every mnemonic nasm encodes, without and with VEX/EVEX/XOP, is in the
 * table. (Every form of the table, x87, MMX, SSE..SSE4.2, AES, SHA, 3DNow! and system ones included, is checked
 * byte for byte against nasm in encoder-vs-nasm.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMnemonic } from '../../../src/assembler/encoder/index.js';
import { compareWithNasm } from './differential.js';
import { requireNasm, type TestCase, type TestOperand } from './nasm-oracle.js';

const mnemonicList = (file: string): string[] =>
  readFileSync(new URL(file, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'));
const NASM_LEGACY_MNEMONICS = mnemonicList('./nasm-legacy-mnemonics.txt');
const NASM_VEX_MNEMONICS = mnemonicList('./nasm-vex-mnemonics.txt');

/**
 * FP16 mnemonics nasm 2.16.01 encodes that the table lacks (none left: `vreducesh` and `vcvtph2udq`, once listed
 * here, are in table-fp16.ts as nasm encodes them).
 */
const NOT_YET: string[] = [];

describe('the legacy (non-VEX) instruction set', () => {
  it('has every mnemonic nasm 2.16 encodes without VEX, EVEX or XOP', () => {
    expect(NASM_LEGACY_MNEMONICS.length).toBeGreaterThan(900);
    expect(NASM_LEGACY_MNEMONICS.filter((m) => !isMnemonic(m))).toEqual([]);
  });

  it('has every mnemonic nasm 2.16 encodes with VEX, EVEX or XOP', () => {
    expect(NASM_VEX_MNEMONICS.length).toBeGreaterThan(1200);
    expect(NASM_VEX_MNEMONICS.filter((m) => !isMnemonic(m))).toEqual(NOT_YET);
  });

  it('encodes NASM spellings nasm 2.16 accepts: `to st(i)`, rep-merged PadLock, pcmpeq pseudo-ops', async () => {
    const reg = (name: string, to = false): TestOperand => ({ kind: 'reg', name, ...(to ? { to } : {}) });
    const cases: TestCase[] = [
      { mnemonic: 'fadd', prefixes: [], operands: [reg('st1', true)] },
      { mnemonic: 'fsub', prefixes: [], operands: [reg('st3', true)] },
      { mnemonic: 'fdivr', prefixes: [], operands: [reg('st0'), reg('st2')] },
      { mnemonic: 'xsha1', prefixes: ['rep'], operands: [] },
      { mnemonic: 'cmpnleps', prefixes: [], operands: [reg('xmm1'), reg('xmm2')] },
      { mnemonic: 'pclmulhqlqdq', prefixes: [], operands: [reg('xmm1'), reg('xmm2')] },
      { mnemonic: 'pfacc', prefixes: [], operands: [reg('mm1'), reg('mm2')] },
    ];
    requireNasm();
    expect(await compareWithNasm(cases, 32)).toEqual([]);
  });
});
