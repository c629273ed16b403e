import { beforeAll, describe, expect, it } from 'vitest';
import { isPrefix, lookupRegister, registerNames } from '../../../src/assembler/encoder/index.js';
import { compareWithNasm } from './differential.js';
import { assembleLinesWithNasm, requireNasm } from './nasm-oracle.js';

beforeAll(() => requireNasm());

/** nasm says "symbol `x' not defined" for a name it does not treat as a register. */
async function namesNasmTreatsAsSymbols(names: string[]): Promise<Set<string>> {
  const results = await assembleLinesWithNasm(
    names.map((n) => `mov eax, ${n}`),
    64,
  );
  return new Set(names.filter((n, i) => results[i].error?.startsWith('symbol')));
}

describe('register names', () => {
  it('knows every name it lists as a register exactly where nasm treats the name as a register', async () => {
    const names = registerNames();
    expect(names.length).toBeGreaterThan(200);
    expect([...(await namesNasmTreatsAsSymbols(names))]).toEqual([]);
  });

  it('treats names nasm reads as symbols (rip, st, r8l, eip, xmm32, cr16) as non-registers', async () => {
    const candidates = ['rip', 'st', 'r8l', 'eip', 'xmm32', 'cr16', 'k8', 'sp1', 'al1'];
    const symbols = await namesNasmTreatsAsSymbols(candidates);
    for (const name of candidates) expect(lookupRegister(name) === undefined, name).toBe(symbols.has(name));
  });

  it('marks r8-r15, spl-dil as needing REX and ah-bh as forbidding it', () => {
    expect(lookupRegister('r9w')).toMatchObject({ class: 'gpr', size: 16, number: 9, needsRex: true });
    expect(lookupRegister('sil')).toMatchObject({ size: 8, number: 6, needsRex: true, forbidsRex: false });
    expect(lookupRegister('dh')).toMatchObject({ size: 8, number: 6, needsRex: false, forbidsRex: true });
    expect(lookupRegister('cr8')).toMatchObject({ class: 'control', number: 8 });
  });
});

describe('prefixes', () => {
  const prefixes = [
    'lock',
    'rep',
    'repe',
    'repz',
    'repne',
    'repnz',
    'o16',
    'o32',
    'a32',
    'es',
    'cs',
    'ss',
    'ds',
    'fs',
    'gs',
    'wait',
  ];

  it('recognises every prefix of the contract and nothing else', () => {
    for (const p of [...prefixes, 'o64', 'a16', 'a64', 'xacquire', 'xrelease', 'bnd'])
      expect(isPrefix(p), p).toBe(true);
    for (const p of ['mov', 'rex', 'far', 'byte']) expect(isPrefix(p), p).toBe(false);
  });

  it('encodes each prefix before a string instruction as nasm does', async () => {
    const cases = prefixes.map((p) => ({ mnemonic: 'stosb', prefixes: [p], operands: [] }));
    expect(await compareWithNasm(cases, 64)).toEqual([]);
    expect(await compareWithNasm(cases, 16)).toEqual([]);
  });
});
