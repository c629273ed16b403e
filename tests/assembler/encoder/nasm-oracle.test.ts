/** The nasm oracle itself: a batch with lines nasm panics on still yields the other lines' bytes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithNasm } from './differential.js';
import { assembleLinesWithNasm, requireNasm, type TestCase, type TestOperand } from './nasm-oracle.js';

beforeAll(() => requireNasm());

describe('the nasm oracle', () => {
  it('marks the lines nasm panics on, keeps ordinary errors apart and assembles the rest', async () => {
    const lines = [
      'vreducesh xmm1, xmm2, [rax], 3',
      'vreducesh xmm1, xmm2, [0x40], 3',
      'mov eax, [ebx+esi*3+ecx]',
      'vreducesh xmm1, xmm2, [rbx*2], 3',
      'nop',
    ];
    const results = await assembleLinesWithNasm(lines, 64);
    expect(results.map((r) => r.panic !== undefined)).toEqual([false, true, false, true, false]);
    expect(results[1].panic).toMatch(/regval/);
    expect(results[2].error).toBeDefined();
    expect(Buffer.from(results[0].bytes!).toString('hex')).toBe('62f37c0857ca03');
    expect(Buffer.from(results[4].bytes!).toString('hex')).toBe('90');
  });

  it('leaves lines nasm panics on out of a comparison only when asked to, and lists them', async () => {
    const memory: TestOperand = {
      kind: 'mem',
      scale: 1,
      displacement: { offset: 0x40n },
      ripRelative: false,
    };
    const reg = (name: string): TestOperand => ({ kind: 'reg', name });
    const cases: TestCase[] = [
      {
        mnemonic: 'vreducesh',
        prefixes: [],
        operands: [reg('xmm1'), reg('xmm2'), memory, { kind: 'imm', value: { offset: 3n } }],
      },
      { mnemonic: 'nop', prefixes: [], operands: [] },
    ];
    const panics: string[] = [];
    expect(await compareWithNasm(cases, 64, undefined, panics)).toEqual([]);
    expect(panics).toHaveLength(1);
    expect(panics[0]).toMatch(/^bits 64: vreducesh xmm1, xmm2, \[0x40\], 0x3: nasm panics .*; we refuse/);
    // without the list a panic counts as nasm refusing the line, which we do too
    expect(await compareWithNasm(cases, 64)).toEqual([]);
  });
});
