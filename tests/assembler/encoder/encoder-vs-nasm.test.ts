import { beforeAll, describe, expect, it } from 'vitest';
import { encodeInstruction } from '../../../src/assembler/encoder/index.js';
import type { Bits } from '../../../src/assembler/encoder/types.js';
import { generateCases, mem, paletteCases, prefixCases } from './cases.js';
import { compareWithNasm, requestFor } from './differential.js';
import { assembleLinesWithNasm, requireNasm, type TestCase, type TestOperand } from './nasm-oracle.js';

beforeAll(() => requireNasm());

describe.each([64, 32, 16] as Bits[])('encoder against nasm 2.16 in %i-bit mode', (bits) => {
  it('encodes every table form with register, memory and immediate samples byte for byte as nasm, refuses what nasm refuses and warns where it warns', async () => {
    const cases = generateCases(bits);
    expect(cases.length).toBeGreaterThan(10_000);
    expect(await compareWithNasm(cases, bits)).toEqual([]);
  }, 240_000);

  it('accepts exactly the register, memory and immediate combinations nasm accepts for every mnemonic it knows', async () => {
    const cases = paletteCases(bits);
    expect(await compareWithNasm(cases, bits)).toEqual([]);
  }, 240_000);

  it('orders lock, rep, segment, operand- and address-size prefixes as nasm does', async () => {
    expect(await compareWithNasm(prefixCases(bits), bits)).toEqual([]);
  });
});

describe.each(['O0', 'O1'] as const)('encoder against nasm -%s', (optimization) => {
  it.each([64, 32, 16] as Bits[])(
    'keeps full-size immediates, near jumps and operand-size prefixes exactly where nasm does (%i-bit)',
    async (bits) => {
      expect(
        await compareWithNasm([...generateCases(bits), ...prefixCases(bits)], bits, optimization),
      ).toEqual([]);
    },
    240_000,
  );
});

const reg = (name: string): TestOperand => ({ kind: 'reg', name });
const imm = (v: bigint): TestOperand => ({ kind: 'imm', value: { offset: v } });
const c = (mnemonic: string, ...operands: TestOperand[]): TestCase => ({ mnemonic, prefixes: [], operands });

describe('encoding choices nasm makes that other assemblers do not', () => {
  const cases: [string, TestCase][] = [
    ['mov r64 with a small non-negative value uses the 5-byte mov r32 form', c('mov', reg('rax'), imm(5n))],
    [
      'mov r64 with a value below 2^32 keeps the zero-extending mov r32 form',
      c('mov', reg('r9'), imm(0xfffffffen)),
    ],
    ['mov r64 with a negative value uses the sign-extended imm32 form', c('mov', reg('rcx'), imm(-2n))],
    ['mov r64 with a large value uses the 10-byte imm64 form', c('mov', reg('rdx'), imm(0x100000000n))],
    ['[rbx*2] becomes [rbx+rbx]', c('mov', reg('eax'), mem(undefined, 'rbx', 2, 0))],
    ['[rax*1] becomes a base register', c('mov', reg('eax'), mem(undefined, 'rax', 1, 0))],
    ['register-register xchg puts the first operand in ModRM.reg', c('xchg', reg('rcx'), reg('rdx'))],
    ['xchg eax, eax in 64-bit mode is not a nop', c('xchg', reg('eax'), reg('eax'))],
    ['int 3 stays cd 03', c('int', imm(3n))],
    ['add with a byte-range value uses the sign-extended imm8 form', c('add', reg('rax'), imm(-128n))],
    ['add with a larger value uses the accumulator short form', c('add', reg('eax'), imm(1000n))],
    [
      'lock goes before a segment prefix',
      {
        mnemonic: 'add',
        prefixes: ['lock'],
        operands: [mem('rax', undefined, 1, 0, { segment: 'gs' }), reg('eax')],
      },
    ],
    ['[rbp] needs a zero disp8', c('mov', reg('eax'), mem('rbp', undefined, 1, 0))],
    ['[r12] needs a SIB byte', c('mov', reg('eax'), mem('r12', undefined, 1, 0))],
  ];
  it.each(cases)('%s', async (_, testCase) => {
    expect(await compareWithNasm([testCase], 64)).toEqual([]);
  });
});

describe('relative branches', () => {
  const branch = (mnemonic: string, delta: number, distance?: 'short' | 'near'): TestCase =>
    c(mnemonic, {
      kind: 'imm',
      value: { offset: BigInt(delta) },
      relativeToHere: true,
      ...(distance ? { distance } : {}),
    });

  it.each([16, 32, 64] as Bits[])(
    'pick short when the target fits in a byte and near otherwise, as nasm (%i-bit)',
    async (bits) => {
      const cases = [-130, -129, -128, -127, 0, 127, 128, 129, 130, 131, 5000].flatMap((d) =>
        ['jmp', 'jz', 'jnc', 'call'].map((m) => branch(m, d)),
      );
      expect(await compareWithNasm(cases, bits)).toEqual([]);
    },
  );

  it('keeps near when the front end asks for it even if short would fit, as nasm does for `jmp near`', async () => {
    expect(await compareWithNasm([branch('jmp', 2, 'near'), branch('jne', -2, 'near')], 64)).toEqual([]);
  });

  it('refuses an out-of-range short jump and an out-of-range loop with nasm', async () => {
    expect(
      await compareWithNasm([branch('jmp', 300, 'short'), branch('loop', 300), branch('jrcxz', -200)], 64),
    ).toEqual([]);
  });

  it('picks the short form for a target not known yet, so the front end can grow it', async () => {
    const unknown = (mnemonic: string) =>
      encodeInstruction({
        mnemonic,
        prefixes: [],
        bits: 64,
        address: { offset: 0n },
        operands: [{ kind: 'imm', value: { offset: 0n, unknown: true } }],
      });
    const [nasmShort] = await assembleLinesWithNasm(['jz $+2'], 64);
    const result = unknown('jz');
    expect(result.ok && result.bytes.length).toBe(nasmShort.bytes!.length);
  });

  it('gives an immediate not known yet the sign-extended byte form at -Ox and the full field at -O0, as nasm', async () => {
    const request = (optimization?: 'O0') =>
      encodeInstruction({
        mnemonic: 'add',
        prefixes: [],
        bits: 64,
        address: { offset: 0n },
        operands: [
          { kind: 'reg', name: 'ecx' },
          { kind: 'imm', value: { offset: 0n, unknown: true } },
        ],
        ...(optimization ? { optimization } : {}),
      });
    // nasm's first pass guesses 0 for a forward reference: `add ecx, byte` at -O1/-Ox, imm32 at -O0
    const [nasmByte, nasmFull] = await assembleLinesWithNasm(['add ecx, 0x12', 'add ecx, 0x12345678'], 64);
    const optimized = request();
    const unoptimized = request('O0');
    expect(optimized.ok && optimized.bytes.length).toBe(nasmByte.bytes!.length);
    expect(unoptimized.ok && unoptimized.bytes.length).toBe(nasmFull.bytes!.length);
  });

  it('resolves a request at a non-zero address the same way nasm does at that offset', async () => {
    const cases = [branch('jmp', -100), branch('call', 100)];
    const nasm = await assembleLinesWithNasm(['times 1000 nop', 'jmp $-100', 'call $+100'], 32);
    for (let i = 0; i < 2; i++) {
      const ours = encodeInstruction(requestFor(cases[i], 32, nasm[i + 1].offset));
      expect(ours.ok && Buffer.from(ours.bytes).toString('hex')).toBe(
        Buffer.from(nasm[i + 1].bytes!).toString('hex'),
      );
    }
  });
});
