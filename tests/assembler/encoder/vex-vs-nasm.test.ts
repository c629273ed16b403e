/**
 * The VEX and XOP forms of the instruction table against nasm 2.16: every form with register, memory, VSIB and
 * immediate samples, the two-operand shorthand, `{vex3}`, and a palette of operand combinations per mnemonic, so
 * that forms nasm refuses are refused too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../../src/assembler/index.js';
import {
  FORMS_BY_MNEMONIC,
  PatternKind,
  VexKind,
  type InstructionForm,
} from '../../../src/assembler/encoder/forms.js';
import { hex, runNasm, runOstool } from '../oracle.js';
import type { Bits, OperandSize } from '../../../src/assembler/encoder/types.js';
import { generateCases, isVexEncoded, mem } from './cases.js';
import { compareWithNasm } from './differential.js';
import { renderInstruction, requireNasm, type TestCase, type TestOperand } from './nasm-oracle.js';

beforeAll(() => requireNasm());

const reg = (name: string): TestOperand => ({ kind: 'reg', name });
const imm = (v: bigint): TestOperand => ({ kind: 'imm', value: { offset: v } });

const vexMnemonics = [...FORMS_BY_MNEMONIC].filter(([, forms]) => forms.some(isVexEncoded));

/**
 * One mnemonic for each set of table lines: the mnemonics of one line (`vaddps,vmulps,...`, the `vcmp@ps`
 * predicates) take the same operands, so the palette needs only one of them.
 */
const paletteMnemonics = (() => {
  const seen = new Set<string>();
  return vexMnemonics.filter(([, forms]) => {
    const key = [...new Set(forms.map((f) => f.text))].join('\n');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
})();

let checked = 0;
/** The lines nasm itself panics on, left out of the comparison (see compareWithNasm). */
const leftOut: string[] = [];

/**
 * nasm 2.16 accepts `vpmaskmovq [rbx+4], xmm1` and puts the base register's number in VEX.vvvv, an artefact of
 * its operand duplication, not an instruction anyone writes; we refuse it.
 */
const NASM_ARTEFACT = /: vp?maskmov[dq] (?:\w+ )?\[[^,]*\], [xy]mm\d+: nasm/;

/**
 * At most this share of the lines may be ones nasm panics on (vreducesh with a memory operand without a base
 * register: "invalid operand passed to regval()"), so that a broken oracle cannot pass by leaving everything out.
 */
const MAX_PANIC_SHARE = 0.002;

/**
 * Compares the cases with nasm and expects no difference. nasm slows down on very long files (its label
 * table), so the cases go to it in slices.
 */
async function expectSameAsNasm(cases: TestCase[], bits: Bits): Promise<void> {
  checked += cases.length;
  const problems: string[] = [];
  const panics: string[] = [];
  for (let i = 0; i < cases.length; i += 20_000)
    problems.push(...(await compareWithNasm(cases.slice(i, i + 20_000), bits, undefined, panics)));
  expect(problems.filter((p) => !NASM_ARTEFACT.test(p))).toEqual([]);
  leftOut.push(...panics);
  expect(panics.length, panics.join('\n')).toBeLessThanOrEqual(Math.ceil(cases.length * MAX_PANIC_SHARE));
}

afterAll(() =>
  console.log(
    `VEX differential: ${checked - leftOut.length} instructions compared with nasm, ${leftOut.length} left out as nasm panics on them` +
      leftOut.map((l) => `\n  ${l}`).join(''),
  ),
);

/** Registers of every class a VEX form might take, memory of each size, and immediates. */
function palette(bits: Bits): TestOperand[] {
  const base = bits === 64 ? 'rbx' : 'ebx';
  const m = mem(base, undefined, 1, 4);
  return [
    ...['xmm1', 'ymm2', 'eax', 'ax', ...(bits === 64 ? ['rcx', 'xmm9'] : [])].map(reg),
    m,
    ...[32, 64, 128, 256].map((size) => ({ ...m, size: size as OperandSize })),
    mem(base, 'xmm3', 4, 0),
    imm(3n),
  ];
}

/**
 * Registers only EVEX encodes (xmm16-31, ymm16-31, zmm, an opmask) and a byte register, which nasm takes in
 * EVEX forms it picks by itself (`vaddps xmm17, xmm1, xmm2`), in vcmpph's shorthand (`vcmpph k1, xmm2, 3`) and
 * in `kmov k1, al`.
 */
function evexPalette(bits: Bits): TestOperand[] {
  return [...(bits === 64 ? ['xmm17', 'ymm18'] : []), 'zmm3', 'k1', 'al'].map(reg);
}

/**
 * Every mnemonic with no operand, one, two, or three of the palette (the first two from a shorter list); with
 * `extra`, only the combinations that have one of those too.
 */
function paletteCases(bits: Bits, extra: TestOperand[] = []): TestCase[] {
  const ops = [...palette(bits), ...extra];
  const short = [...ops.slice(0, 4), ops[bits === 64 ? 6 : 4], ...extra];
  const wanted = (operands: TestOperand[]) => extra.length === 0 || operands.some((o) => extra.includes(o));
  const cases: TestCase[] = [];
  const add = (mnemonic: string, operands: TestOperand[]) => {
    if (wanted(operands)) cases.push({ mnemonic, prefixes: [], operands });
  };
  for (const [mnemonic] of paletteMnemonics) {
    add(mnemonic, []);
    for (const a of ops) {
      add(mnemonic, [a]);
      for (const b of ops) add(mnemonic, [a, b]);
    }
    for (const a of short) for (const b of short) for (const c of ops) add(mnemonic, [a, b, c]);
  }
  return cases;
}

/**
 * Each EVEX form with a write mask, with zeroing, with a broadcast memory source and with each rounding operand
 * (nasm refuses the ones the form does not take, and so must we).
 */
function decoratedCases(bits: Bits): TestCase[] {
  const cases: TestCase[] = [];
  for (const [mnemonic, forms] of FORMS_BY_MNEMONIC)
    for (const form of forms) {
      if (form.vex !== VexKind.Evex || form.nasm3) continue;
      const [first] = generateCases(bits, (f) => f === form).filter((c) => c.mnemonic === mnemonic);
      if (!first) continue;
      const dest = first.operands[0];
      if (dest.kind === 'reg' || dest.kind === 'mem') {
        cases.push({
          ...first,
          operands: [{ ...dest, decorators: { mask: 3 } }, ...first.operands.slice(1)],
        });
        cases.push({
          ...first,
          operands: [{ ...dest, decorators: { mask: 1, zeroing: true } }, ...first.operands.slice(1)],
        });
      }
      // a memory destination with a mask and zeroing (nasm takes `{z}` on some stores, not on others)
      const store = generateCases(bits, (f) => f === form).find(
        (c) => c.mnemonic === mnemonic && c.operands[0]?.kind === 'mem',
      );
      if (store?.operands[0].kind === 'mem')
        cases.push({
          ...store,
          operands: [
            { ...store.operands[0], decorators: { mask: 2, zeroing: true } },
            ...store.operands.slice(1),
          ],
        });
      const memAt = first.operands.findIndex((o) => o.kind === 'mem');
      if (memAt > 0)
        for (const n of [2, 4, 8, 16])
          cases.push({
            ...first,
            operands: first.operands.map((o, i) =>
              i === memAt && o.kind === 'mem'
                ? { ...o, size: undefined, displacement: { offset: 0x40n }, decorators: { broadcast: n } }
                : o,
            ),
          });
      // (a rounding operand goes before an immediate, where the rendered line cannot put it: see below)
      if (memAt < 0 && form.operands.length >= 2 && !hasImmediate(form))
        for (const rounding of ['rn-sae', 'rz-sae', 'sae'] as const) cases.push({ ...first, rounding });
    }
  return cases;
}

const hasImmediate = (form: InstructionForm): boolean =>
  form.operands.some((p) => p.kind === PatternKind.ImmByte || p.kind === PatternKind.Imm);

/**
 * The EVEX forms with an immediate, each with `{sae}`/`{rn-sae}` before the immediate (where nasm takes it) and
 * after it (which nasm refuses), assembled as whole lines by ostool and by nasm.
 */
function roundingBeforeImmediate(bits: Bits): { source: string; lines: number } {
  const lines: string[] = [`bits ${bits}`];
  for (const [mnemonic, forms] of FORMS_BY_MNEMONIC)
    for (const form of forms) {
      if (form.vex !== VexKind.Evex || form.nasm3 || !hasImmediate(form)) continue;
      if (!form.operands.every((p) => p.kind !== PatternKind.VectorIndexMem)) continue;
      const [first] = generateCases(bits, (f) => f === form).filter((c) => c.mnemonic === mnemonic);
      if (!first || first.operands.some((o) => o.kind === 'mem')) continue;
      const rendered = renderInstruction(first);
      const at = rendered.lastIndexOf(',');
      for (const rounding of ['{sae}', '{rn-sae}'])
        lines.push(`${rendered.slice(0, at)}, ${rounding}${rendered.slice(at)}`, `${rendered}, ${rounding}`);
    }
  return { source: lines.join('\n') + '\n', lines: lines.length - 1 };
}

describe.each([64, 32] as Bits[])(
  'rounding operands of EVEX forms with an immediate in %i-bit mode',
  (bits) => {
    it('are taken before the immediate and refused after it, line by line as nasm', () => {
      const { source, lines } = roundingBeforeImmediate(bits);
      expect(lines).toBeGreaterThan(bits === 64 ? 100 : 50);
      const all = source.split('\n').slice(1, -1);
      const nasmRejects = new Set(
        [...(runNasm(source, 'bin').stderr.matchAll(/^test\.asm:(\d+): error/gm) ?? [])].map((m) =>
          Number(m[1]),
        ),
      );
      const ours = assemble({ source, fileName: 'test.asm', format: 'bin' });
      const oursRejects = new Set(
        ours.diagnostics.filter((d) => d.severity === 'error').map((d) => d.location.line),
      );
      const disagree = all.filter((_, k) => nasmRejects.has(k + 2) !== oursRejects.has(k + 2));
      expect(disagree).toEqual([]);
      // the accepted lines alone: byte for byte
      const accepted = all.filter((_, k) => !nasmRejects.has(k + 2));
      const only = `bits ${bits}\n${accepted.join('\n')}\n`;
      const nasm = runNasm(only, 'bin');
      expect(hex(runOstool(only, 'bin', {}, 'test.asm', { disabledWarnings: ['all'] }))).toBe(
        hex(nasm.output!),
      );
    });
  },
);

/** The same register in the bank only EVEX reaches (xmm1 -> xmm17), or a wider one (xmm -> ymm, ymm -> zmm). */
function upgradeRegister(name: string, how: 'high' | 'wide'): string {
  const m = /^([xyz])mm(\d+)$/.exec(name);
  if (!m) return name;
  if (how === 'high') return `${m[1]}mm${(Number(m[2]) % 16) + 16}`;
  return `${m[1] === 'x' ? 'y' : 'z'}mm${m[2]}`;
}

/**
 * Samples of every VEX form rewritten the ways that only EVEX can encode, which nasm then encodes with EVEX by
 * itself: registers xmm16-31/ymm16-31 (64-bit mode), the 256-bit form widened to 512 bits, a `{k1}` mask and a
 * `{k2}{z}` on the destination. Where nasm has no EVEX form it refuses them, and so must we.
 */
function evexByItselfCases(bits: Bits): TestCase[] {
  const cases: TestCase[] = [];
  const wider: Record<number, OperandSize> = { 64: 128, 128: 256, 256: 512 };
  for (const [mnemonic, forms] of vexMnemonics)
    for (const form of forms) {
      if (form.vex !== VexKind.Vex || form.explicitVex || form.nasm3) continue;
      const samples = generateCases(bits, (f) => f === form)
        .filter((c) => c.mnemonic === mnemonic)
        .filter((c) => c.operands.every((o) => o.kind !== 'mem' || !o.segment))
        .slice(0, 2);
      for (const c of samples) {
        const renamed = (how: 'high' | 'wide'): TestCase => ({
          ...c,
          operands: c.operands.map((o) =>
            o.kind === 'reg'
              ? { ...o, name: upgradeRegister(o.name, how) }
              : o.kind === 'mem'
                ? {
                    ...o,
                    ...(o.index ? { index: upgradeRegister(o.index, how) } : {}),
                    ...(how === 'wide' && o.size && wider[o.size] ? { size: wider[o.size] } : {}),
                  }
                : o,
          ),
        });
        if (bits === 64) cases.push(renamed('high'));
        if (form.vexL === 1) cases.push(renamed('wide'));
        const [dest, ...rest] = c.operands;
        // an opmask destination: the EVEX compares (`vcmpps k1, xmm2, xmm3, 0`)
        if (dest?.kind === 'reg' && /^[xy]mm/.test(dest.name))
          cases.push({
            ...renamed(bits === 64 ? 'high' : 'wide'),
            operands: [
              { kind: 'reg', name: 'k1' },
              ...renamed(bits === 64 ? 'high' : 'wide').operands.slice(1),
            ],
          });
        if (dest && (dest.kind === 'reg' || dest.kind === 'mem')) {
          cases.push({ ...c, operands: [{ ...dest, decorators: { mask: 1 } }, ...rest] });
          cases.push({ ...c, operands: [{ ...dest, decorators: { mask: 2, zeroing: true } }, ...rest] });
        }
      }
    }
  return cases;
}

describe.each([64, 32] as Bits[])('VEX and XOP encodings against nasm 2.16 in %i-bit mode', (bits) => {
  it('encodes every VEX/XOP table form with register, memory, VSIB and immediate samples byte for byte as nasm', async () => {
    const cases = generateCases(bits, isVexEncoded);
    expect(cases.length).toBeGreaterThan(bits === 64 ? 20_000 : 10_000);
    await expectSameAsNasm(cases, bits);
  }, 120_000);

  it('accepts exactly the operand combinations nasm accepts for every VEX mnemonic, and refuses the rest', async () => {
    await expectSameAsNasm(paletteCases(bits), bits);
  }, 120_000);

  it('accepts exactly the combinations nasm accepts with xmm16-31, zmm, opmask and byte registers too', async () => {
    const cases = paletteCases(bits, evexPalette(bits));
    expect(cases.length).toBeGreaterThan(bits === 64 ? 500_000 : 200_000);
    await expectSameAsNasm(cases, bits);
  }, 240_000);

  it('takes the EVEX form nasm picks by itself for xmm16-31, 512 bits and masks on AVX mnemonics', async () => {
    const cases = evexByItselfCases(bits);
    expect(cases.length).toBeGreaterThan(bits === 64 ? 3000 : 2000);
    await expectSameAsNasm(cases, bits);
  }, 120_000);

  it('takes {k} masks, {z}, {1toN} broadcasts and rounding operands exactly where nasm does', async () => {
    await expectSameAsNasm(decoratedCases(bits), bits);
  });

  it('takes the EVEX form of an AVX instruction where {evex} asks for it', async () => {
    const cases: TestCase[] = vexMnemonics
      .filter(
        ([, forms]) => forms.some((f) => f.vex === VexKind.Vex) && forms.some((f) => f.vex === VexKind.Evex),
      )
      .flatMap(([mnemonic, forms]) =>
        generateCases(bits, (f) => f === forms.find((g) => g.vex === VexKind.Vex && !g.explicitVex))
          .filter((c) => c.mnemonic === mnemonic)
          .slice(0, 3),
      )
      .map((c) => ({ ...c, prefixes: ['{evex}'] }));
    await expectSameAsNasm(cases, bits);
  });

  it('writes the three-byte VEX prefix where {vex3} asks for it', async () => {
    // nasm refuses {vex3} on some forms of the VEX-only-on-request instructions (AVX-VNNI, AVX-IFMA): left out.
    const cases: TestCase[] = vexMnemonics
      .filter(([, forms]) => !forms.some((f) => f.explicitVex))
      .flatMap(([mnemonic, forms]) =>
        generateCases(bits, (f) => f === forms.find(isVexEncoded))
          .filter((c) => c.mnemonic === mnemonic)
          .slice(0, 2),
      )
      .map((c) => ({ ...c, prefixes: ['{vex3}'] }));
    await expectSameAsNasm(cases, bits);
  });
});
