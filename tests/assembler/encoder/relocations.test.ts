import { beforeAll, describe, expect, it } from 'vitest';
import { encodeInstruction } from '../../../src/assembler/encoder/index.js';
import type { Fixup, Operand, Value } from '../../../src/assembler/encoder/types.js';
import { mem } from './cases.js';
import {
  assembleElfWithNasm,
  renderInstruction,
  requireNasm,
  type NasmRelocation,
  type TestCase,
} from './nasm-oracle.js';

beforeAll(() => requireNasm());

// Symbol handles as a front end would hand them out: an extern, the .data section, the .text section.
const EXT = 1;
const DATA = 2;
const TEXT = 3;
const names = new Map([
  [EXT, 'ext'],
  [DATA, 'dat'], // `dat` is at .data+0, so `dat+n` is the section symbol + n
  [TEXT, 'start'], // `start` is at .text+0
]);
const SYMBOL_NAMES_IN_READELF = new Map([
  [EXT, 'ext'],
  [DATA, '.data'],
  [TEXT, '.text'],
]);

const sym = (symbol: number, offset = 0, wrt?: Value['wrt']): Value => ({
  symbol,
  offset: BigInt(offset),
  ...(wrt ? { wrt } : {}),
});
const reg = (name: string): Operand => ({ kind: 'reg', name });
const imm = (value: Value, extra: object = {}): Operand => ({ kind: 'imm', value, ...extra });
const c = (mnemonic: string, ...operands: Operand[]): TestCase => ({ mnemonic, prefixes: [], operands });

/** ELF relocation type an object writer would emit for a fixup (kept here so the test states the mapping). */
function relocationType(f: Fixup): string {
  if (f.pcRelative) {
    if (f.wrt === 'plt') return 'R_X86_64_PLT32';
    if (f.wrt === 'got' || f.wrt === 'gotpcrel') return 'R_X86_64_GOTPCREL';
    return { 1: 'R_X86_64_PC8', 2: 'R_X86_64_PC16', 4: 'R_X86_64_PC32', 8: 'R_X86_64_PC64' }[f.size];
  }
  if (f.size === 4) return f.signed ? 'R_X86_64_32S' : 'R_X86_64_32';
  return { 1: 'R_X86_64_8', 2: 'R_X86_64_16', 8: 'R_X86_64_64' }[f.size];
}

const CASES: TestCase[] = [
  c('call', imm(sym(EXT))),
  c('call', imm(sym(EXT, 0, 'plt'))),
  c('jmp', imm(sym(EXT))),
  c('jz', imm(sym(EXT, 16))),
  c('call', imm(sym(TEXT, 0))),
  c('jmp', imm(sym(TEXT, 2))),
  c('mov', reg('eax'), { ...mem(undefined, undefined, 1, 8), displacement: sym(DATA, 8), ripRelative: true }),
  c(
    'cmp',
    { ...mem(undefined, undefined, 1, 0), size: 32, displacement: sym(DATA, 4), ripRelative: true },
    imm({ offset: 5n }),
  ),
  c(
    'mov',
    { ...mem(undefined, undefined, 1, 0), size: 16, displacement: sym(EXT), ripRelative: true },
    imm({ offset: 0x1234n }),
  ),
  c('lea', reg('rsi'), { ...mem(undefined, undefined, 1, 0), displacement: sym(TEXT, 0), ripRelative: true }),
  c('mov', reg('rax'), {
    ...mem(undefined, undefined, 1, 0),
    displacement: sym(EXT, 0, 'got'),
    ripRelative: true,
  }),
  c('mov', reg('eax'), { ...mem(undefined, undefined, 1, 0), displacement: sym(DATA, 16) }),
  c('mov', reg('eax'), mem(undefined, undefined, 1, 0xb8000, { ripRelative: true })),
  c('mov', reg('ecx'), { ...mem('rbx', 'rcx', 8, 0), displacement: sym(DATA, 0) }),
  c('mov', reg('rax'), imm(sym(EXT, 3))),
  c('mov', reg('eax'), imm(sym(DATA, 8))),
  c('mov', reg('r10w'), imm(sym(EXT))),
  c('mov', reg('dl'), imm(sym(EXT))),
  c('push', imm(sym(EXT))),
  c('add', reg('rax'), imm(sym(DATA, 24))),
  c('add', reg('ecx'), imm(sym(DATA, 24))),
  c('mov', { ...mem('rax', undefined, 1, 0), size: 64 }, imm(sym(DATA))),
  c('mov', { ...mem('rax', undefined, 1, 0), size: 32 }, imm(sym(EXT, -4))),
  c('imul', reg('eax'), reg('ebx'), imm(sym(EXT))),
];

const CASES_16_32: [16 | 32, TestCase][] = [
  [32, c('push', imm(sym(EXT)))],
  [32, c('push', imm(sym(DATA, 4)))],
  [32, c('add', reg('ecx'), imm(sym(EXT)))],
  [32, c('mov', reg('eax'), { ...mem(undefined, undefined, 1, 0), displacement: sym(DATA, 8) })],
  [32, c('call', imm(sym(EXT)))],
  [32, c('jmp', imm(sym(EXT, 8)))],
  [32, c('imul', reg('eax'), reg('ebx'), imm(sym(EXT)))],
  [16, c('mov', reg('ax'), imm(sym(EXT)))],
  [16, c('mov', reg('eax'), imm(sym(EXT)))],
  [16, c('mov', reg('ax'), { ...mem('bx', 'si', 1, 0), displacement: sym(DATA, 2) })],
  [16, c('jmp', { kind: 'farptr', segment: { offset: 8n }, offset: sym(EXT) })],
  [16, c('jmp', { kind: 'farptr', segment: { offset: 8n }, offset: sym(EXT), size: 32 })],
  [16, c('call', imm(sym(EXT)))],
  [16, c('lgdt', { ...mem(undefined, undefined, 1, 0), displacement: sym(DATA) })],
];

interface Ours {
  text: Uint8Array;
  relocations: NasmRelocation[];
}

function encodeAll(cases: [16 | 32 | 64, TestCase][]): Ours {
  const chunks: Uint8Array[] = [];
  const relocations: NasmRelocation[] = [];
  let offset = 0;
  for (const [bits, tc] of cases) {
    const r = encodeInstruction({ ...tc, bits, address: { symbol: TEXT, offset: BigInt(offset) } });
    if (!r.ok) throw new Error(`${renderInstruction(tc, names)}: ${r.message}`);
    for (const f of r.fixups) {
      const symbol = SYMBOL_NAMES_IN_READELF.get(f.symbol)!;
      relocations.push({ offset: offset + f.offset, type: relocationType(f)!, symbol, addend: f.addend });
    }
    chunks.push(r.bytes);
    offset += r.bytes.length;
  }
  return { text: Buffer.concat(chunks), relocations };
}

function nasmSource(cases: [16 | 32 | 64, TestCase][]): string {
  const lines = ['extern ext', 'section .data', 'dat: times 64 db 0', 'section .text', 'start:'];
  for (const [bits, tc] of cases) lines.push(`bits ${bits}`, renderInstruction(tc, names));
  return lines.join('\n') + '\n';
}

describe('relocatable operands against nasm -f elf64', () => {
  it('emits the same bytes, relocation types, symbols and addends as nasm in 64-bit code, and no relocation for same-section branches', async () => {
    const cases = CASES.map((tc): [64, TestCase] => [64, tc]);
    const nasm = await assembleElfWithNasm(nasmSource(cases));
    expect(nasm.relocations.length).toBeGreaterThan(15);
    const ours = encodeAll(cases);
    expect(Buffer.from(ours.text).toString('hex')).toBe(Buffer.from(nasm.text).toString('hex'));
    expect(ours.relocations).toEqual(nasm.relocations);
  });

  it('uses unsigned 32-bit and 16-bit relocations in 32- and 16-bit code, as nasm does', async () => {
    const nasm = await assembleElfWithNasm(nasmSource(CASES_16_32));
    expect(nasm.relocations.length).toBeGreaterThan(10);
    const ours = encodeAll(CASES_16_32);
    expect(Buffer.from(ours.text).toString('hex')).toBe(Buffer.from(nasm.text).toString('hex'));
    expect(ours.relocations).toEqual(nasm.relocations);
  });
});
