/**
 * Generates test instructions from the encoder's own table: every mnemonic x operand form, with sample
 * operands for each pattern (registers of each size incl. r8-r15, spl..dil, ah..bh; every memory shape;
 * immediates at range edges; branch distances around the short/near boundary).
 */
import {
  FORMS_BY_MNEMONIC,
  PatternKind,
  VexKind,
  type InstructionForm,
  type OperandPattern,
} from '../../../src/assembler/encoder/forms.js';

/** Forms with legacy (non-VEX) encodings: the VEX and XOP forms have their own differential test. */
// NASM 3 instructions that nasm 2.16 refuses are left to NASM's own suite: nasm 2.16 is the oracle here.
export const isLegacy = (form: InstructionForm): boolean => form.vex === VexKind.None && !form.nasm3;
export const isVexEncoded = (form: InstructionForm): boolean => form.vex !== VexKind.None && !form.nasm3;
import { lookupRegister } from '../../../src/assembler/encoder/registers.js';
import type { Bits, MemoryOperand, OperandSize } from '../../../src/assembler/encoder/types.js';
import type { TestCase, TestOperand } from './nasm-oracle.js';

const reg = (name: string): TestOperand => ({ kind: 'reg', name });
const imm = (v: bigint, extra: Partial<Extract<TestOperand, { kind: 'imm' }>> = {}): TestOperand => ({
  kind: 'imm',
  value: { offset: v },
  ...extra,
});
const rel = (delta: number, distance?: 'short' | 'near'): TestOperand => ({
  kind: 'imm',
  value: { offset: BigInt(delta) },
  relativeToHere: true,
  ...(distance ? { distance } : {}),
});

export function mem(
  base: string | undefined,
  index: string | undefined,
  scale: number,
  disp: number | bigint,
  extra: Partial<MemoryOperand> = {},
): MemoryOperand {
  return {
    kind: 'mem',
    ...(base ? { base } : {}),
    ...(index ? { index } : {}),
    scale,
    displacement: { offset: BigInt(disp) },
    ripRelative: false,
    ...extra,
  };
}

const GPRS: Record<number, string[]> = {
  8: ['al', 'cl', 'bl', 'ah', 'bh', 'spl', 'dil', 'r8b', 'r15b'],
  16: ['ax', 'cx', 'sp', 'bp', 'di', 'r9w', 'r15w'],
  32: ['eax', 'edx', 'esp', 'ebp', 'esi', 'r8d', 'r13d'],
  64: ['rax', 'rbx', 'rsp', 'rbp', 'r8', 'r12', 'r13', 'r15'],
};

function usable(name: string, bits: Bits): boolean {
  const r = lookupRegister(name)!;
  if (bits === 64) return true;
  return !r.needsRex && !(r.class === 'gpr' && r.size === 64);
}

function memoryShapes(bits: Bits): MemoryOperand[] {
  const shapes: MemoryOperand[] = [];
  if (bits === 64) {
    shapes.push(
      mem('rax', undefined, 1, 0),
      mem('rsp', undefined, 1, 0),
      mem('rbp', undefined, 1, 0),
      mem('r12', undefined, 1, 0),
      mem('r13', undefined, 1, 0),
      mem('rax', 'rcx', 4, 8),
      mem('rbp', 'r13', 8, -0x100),
      mem('r12', 'r9', 2, 127),
      mem('rsp', 'rax', 1, -128),
      mem('rax', 'rsp', 1, 0),
      mem('rbx', undefined, 1, 128),
      mem(undefined, 'rbx', 2, 0),
      mem(undefined, 'rax', 3, 4),
      mem(undefined, 'r9', 8, 0x12345678),
      mem(undefined, 'rbx', 2, 0, { nosplit: true }),
      mem(undefined, undefined, 1, 0x1000),
      {
        ...mem(undefined, undefined, 1, 0x2000, { ripRelative: true }),
        relativeToHere: true,
      } as MemoryOperand,
      { ...mem(undefined, undefined, 1, -8, { ripRelative: true }), relativeToHere: true } as MemoryOperand,
      mem('rax', undefined, 1, 1, { segment: 'fs' }),
      mem(undefined, undefined, 1, 0x10, { segment: 'gs' }),
      mem('eax', undefined, 1, 0),
      mem('esp', 'ecx', 2, 127),
      mem('r8d', 'r15d', 4, -129),
      mem('rax', undefined, 1, 1, { displacementSize: 32 }),
      mem('rax', undefined, 1, 0, { displacementSize: 8 }),
      mem('rax', undefined, 1, 0xffffffff),
      mem(undefined, 'rbp', 2, 0),
      mem(undefined, 'r12', 2, 0),
      mem(undefined, 'r13', 9, 0x40),
      mem('r13', 'r12', 1, 0),
      mem(undefined, 'rsp', 2, 0),
      mem('rsp', 'rsp', 1, 0),
      mem('rax', 'rbx', 3, 0),
      mem('rax', 'ebx', 1, 0),
    );
  } else {
    shapes.push(
      mem('eax', undefined, 1, 0),
      mem('esp', undefined, 1, 0),
      mem('ebp', undefined, 1, 0),
      mem('eax', 'ecx', 4, 8),
      mem('ebp', 'esi', 8, -0x100),
      mem('esp', 'eax', 1, 0x7fffffff),
      mem(undefined, 'ebx', 2, 0),
      mem(undefined, 'edi', 4, 0x1000),
      mem(undefined, undefined, 1, 0x1234),
      mem('ebx', undefined, 1, 1, { segment: 'es' }),
      mem('bx', 'si', 1, 0),
      mem('bp', 'di', 1, 5),
      mem('bp', undefined, 1, 0),
      mem('bp', 'si', 1, -300),
      mem('si', undefined, 1, 0),
      mem('di', undefined, 1, 0x1234),
      mem('bx', undefined, 1, 0, { segment: 'cs' }),
      mem('si', 'bx', 1, 127),
      mem(undefined, 'ebp', 9, 0),
      mem(undefined, 'esp', 2, 0),
      mem('si', 'di', 1, 0),
      mem('bx', 'si', 2, 0),
      mem('eax', 'bx', 1, 0),
    );
  }
  return shapes;
}

/** VSIB addresses: the vector index with and without a base, every scale, both register banks. */
function vectorIndexShapes(bits: Bits, bank: 'xmm' | 'ymm' | 'zmm', evex: boolean): MemoryOperand[] {
  const b = bits === 64 ? 'r' : 'e';
  const shapes = [
    mem(`${b}ax`, `${bank}1`, 4, 8),
    mem(`${b}bp`, `${bank}2`, 1, 0),
    mem(`${b}sp`, `${bank}3`, 8, -0x100),
    mem(undefined, `${bank}4`, 2, 0),
    mem(undefined, `${bank}5`, 1, 0x40),
    mem(`${bank}6`, `${b}cx`, 1, 0),
  ];
  if (bits === 64)
    shapes.push(
      mem('r13', `${bank}9`, 4, 0),
      mem('r8', `${bank}15`, 1, 0x12345),
      mem('eax', `${bank}0`, 1, 0),
    );
  // EVEX: an index in the upper bank (EVEX.V'), and disp8*N
  if (bits === 64 && evex) shapes.push(mem('rcx', `${bank}17`, 2, 0x40), mem('r9', `${bank}31`, 1, 0x1000));
  return shapes;
}

function withSize(m: MemoryOperand, size: number | undefined): MemoryOperand {
  return size ? { ...m, size: size as OperandSize } : { ...m };
}

function immediatesFor(size: number): bigint[] {
  switch (size) {
    case 8:
      return [0n, 1n, 127n, -128n, 255n];
    case 16:
      return [0n, 5n, 0x7fffn, -0x8000n, 0xffffn, 1000n];
    case 32:
      return [0n, -1n, 0x7fffffffn, -0x80000000n, 0xffffffffn, 128n, -129n];
    default:
      return [
        0n,
        -1n,
        0x7fffffffn,
        -0x80000000n,
        128n,
        0x80000000n,
        0xffffffffn,
        0x123456789abcdef0n,
        -0x80000001n,
        0xffffffffffffffffn,
        0xfffffffffffffff0n,
        0x8000000000000000n,
      ];
  }
}

/**
 * The size keyword on the i-th memory sample of a vector-or-memory operand: none on every other one, else the
 * pattern's size (the full vector for one of no fixed size), or `word` on half of those where the pattern also
 * takes word memory (nasm's vaddph).
 */
function vectorMemorySize(p: OperandPattern, i: number, fullVector: number): number | undefined {
  if (i % 2 === 0) return undefined;
  if (p.wordMemory && i % 4 === 1) return 16;
  return p.size || fullVector;
}
function samples(p: OperandPattern, bits: Bits, evex = false): TestOperand[] {
  const shapes = memoryShapes(bits);
  /** xmm16-31 (EVEX only) where the form is EVEX. */
  const upper = (bank: string) => (evex && bits === 64 ? [`${bank}16`, `${bank}31`].map(reg) : []);
  const regs = (size: number) => (GPRS[size] ?? []).filter((r) => usable(r, bits)).map(reg);
  switch (p.kind) {
    case PatternKind.Gpr:
      return regs(p.size);
    case PatternKind.RegOrMem:
      return [...regs(p.size), ...shapes.map((m, i) => withSize(m, i % 3 === 0 ? undefined : p.size))];
    case PatternKind.Mem:
      return shapes.map((m, i) => withSize(m, i % 3 === 0 ? undefined : p.size || [8, 16, 32, 64][i % 4]));
    case PatternKind.MemAnySize:
      return shapes.map((m, i) => withSize(m, i % 3 === 0 ? undefined : [8, 16, 32, 64][i % 4]));
    case PatternKind.MemFar:
      return shapes.slice(0, 4).map((m, i) => ({ ...withSize(m, i % 2 ? p.size : undefined), far: true }));
    case PatternKind.ImmNoSize:
      return [imm(0n), imm(3n), imm(255n), imm(3n, { size: 8 })];
    case PatternKind.ImmByte:
      return [imm(0n), imm(3n), imm(255n), imm(3n, { size: 8 }), imm(3n, { strict: true, size: 8 })];
    case PatternKind.Imm:
      return [
        ...immediatesFor(p.size).map((v) => imm(v)),
        imm(3n, { size: p.size as OperandSize }),
        imm(3n, { size: p.size as OperandSize, strict: true }),
      ];
    case PatternKind.SignedByte:
      return [
        imm(-128n),
        imm(127n),
        imm(0n),
        imm(200n, { size: 8 }),
        imm(5n, { size: p.size as OperandSize }),
        imm(5n, { size: p.size as OperandSize, strict: true }),
      ];
    case PatternKind.Unsigned32:
    case PatternKind.Signed32:
      return immediatesFor(64).map((v) => imm(v));
    case PatternKind.One:
      return [imm(1n), imm(1n, { size: 8 })];
    case PatternKind.Rel8:
    case PatternKind.Rel:
      return [
        rel(0),
        rel(2),
        rel(-126),
        rel(129),
        rel(-128),
        rel(131),
        rel(1000),
        rel(-1000),
        rel(5, 'near'),
        rel(-3, 'short'),
      ];
    case PatternKind.FarPointer:
      return [undefined, 16, 32].map((size) => ({
        kind: 'farptr' as const,
        segment: { offset: 0x10n },
        offset: { offset: 0x1234n },
        ...(size ? { size: size as OperandSize } : {}),
      }));
    case PatternKind.MemOffset:
      return bits === 64
        ? [
            mem(undefined, undefined, 1, 0x1000, { displacementSize: 64 }),
            mem(undefined, undefined, 1, 0x123456789n, { displacementSize: 64, segment: 'fs' }),
          ]
        : [mem(undefined, undefined, 1, 0x1000), mem(undefined, undefined, 1, 0x20, { segment: 'es' })];
    case PatternKind.Segment:
      return ['es', 'cs', 'ss', 'ds', 'fs', 'gs'].map(reg);
    case PatternKind.Control:
      return ['cr0', 'cr2', 'cr3', 'cr4', 'cr8'].filter((r) => usable(r, bits)).map(reg);
    case PatternKind.Debug:
      return ['dr0', 'dr3', 'dr6', 'dr7'].map(reg);
    case PatternKind.Test:
      return ['tr6', 'tr7'].map(reg);
    case PatternKind.Xmm:
      return [...['xmm0', 'xmm7', 'xmm8', 'xmm15'].filter((r) => usable(r, bits)).map(reg), ...upper('xmm')];
    case PatternKind.XmmOrMem:
      return [
        ...['xmm1', 'xmm9'].filter((r) => usable(r, bits)).map(reg),
        ...upper('xmm'),
        ...shapes.map((m, i) => withSize(m, vectorMemorySize(p, i, 128))),
      ];
    case PatternKind.Ymm:
      return [...['ymm0', 'ymm7', 'ymm8', 'ymm15'].filter((r) => usable(r, bits)).map(reg), ...upper('ymm')];
    case PatternKind.YmmOrMem:
      return [
        ...['ymm1', 'ymm9'].filter((r) => usable(r, bits)).map(reg),
        ...upper('ymm'),
        ...shapes.map((m, i) => withSize(m, vectorMemorySize(p, i, 256))),
      ];
    case PatternKind.Zmm:
      return ['zmm0', 'zmm7', 'zmm8', 'zmm15', 'zmm16', 'zmm31'].filter((r) => usable(r, bits)).map(reg);
    case PatternKind.ZmmOrMem:
      return [
        ...['zmm1', 'zmm9', 'zmm17'].filter((r) => usable(r, bits)).map(reg),
        ...shapes.map((m, i) => withSize(m, vectorMemorySize(p, i, 512))),
        // disp8*N: multiples of 64 fit a byte, other displacements take four
        mem(bits === 64 ? 'rax' : 'eax', undefined, 1, 64 * 127),
        mem(bits === 64 ? 'rax' : 'eax', undefined, 1, -64 * 128),
        mem(bits === 64 ? 'rax' : 'eax', undefined, 1, 64 * 128),
        mem(bits === 64 ? 'rax' : 'eax', undefined, 1, 32),
      ];
    case PatternKind.Mask:
      return ['k0', 'k1', 'k7'].map(reg);
    case PatternKind.MaskOrMem:
      return [reg('k2'), ...shapes.slice(0, 6).map((m, i) => withSize(m, i % 2 ? p.size : undefined))];
    case PatternKind.Tile:
      return ['tmm0', 'tmm5', 'tmm7'].map(reg);
    case PatternKind.SibMem:
      return shapes.filter((m) => !m.ripRelative).slice(0, 16);
    case PatternKind.VectorIndexMem:
      return vectorIndexShapes(bits, p.size === 128 ? 'xmm' : p.size === 256 ? 'ymm' : 'zmm', evex);
    case PatternKind.Mmx:
      return ['mm0', 'mm7'].map(reg);
    case PatternKind.MmxOrMem:
      return [reg('mm3'), ...shapes.slice(0, 6).map((m, i) => withSize(m, i % 2 ? p.size || 64 : undefined))];
    case PatternKind.Fixed:
      return [reg(p.register!)];
    case PatternKind.ImmAsMem:
      return [imm(5n), imm(0x12345678n), imm(3n, { size: 8 })];
    case PatternKind.Fpu:
      return ['st0', 'st1', 'st7'].map(reg);
    case PatternKind.FpuTo:
      return ['st0', 'st3'].map((name): TestOperand => ({ kind: 'reg', name, to: true }));
    case PatternKind.Bound:
      return ['bnd0', 'bnd3'].map(reg);
    case PatternKind.BoundOrMem:
      return [reg('bnd1'), ...shapes.slice(0, 8).map((m, i) => withSize(m, i % 2 ? 128 : undefined))];
  }
}

/**
 * Instructions for every form of every mnemonic: each operand position runs through all its samples while
 * the other positions cycle through theirs, so every sample appears and pairs vary.
 */
export function generateCases(bits: Bits, only: (form: InstructionForm) => boolean = isLegacy): TestCase[] {
  const cases: TestCase[] = [];
  const seen = new Set<string>();
  const add = (c: TestCase) => {
    const key = JSON.stringify(c, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
    if (seen.has(key)) return;
    seen.add(key);
    cases.push(c);
  };
  for (const [mnemonic, forms] of FORMS_BY_MNEMONIC) {
    for (const form of forms) {
      if (!only(form)) continue;
      const perOperand = form.operands.map((p) => samples(p, bits, form.vex === VexKind.Evex));
      if (perOperand.some((list) => list.length === 0)) continue;
      if (perOperand.length === 0) {
        add({ mnemonic, prefixes: [], operands: [] });
        continue;
      }
      let counter = 0;
      perOperand.forEach((list, position) => {
        for (const sample of list) {
          counter++;
          const operands = perOperand.map((others, j) =>
            j === position ? sample : others[(counter + j) % others.length],
          );
          add({ mnemonic, prefixes: [], operands });
        }
      });
    }
  }
  return cases;
}

/** Prefix combinations NASM orders in a fixed way. */
export function prefixCases(bits: Bits): TestCase[] {
  const m =
    bits === 64
      ? mem('rax', undefined, 1, 0, { segment: 'fs' })
      : mem('ebx', undefined, 1, 4, { segment: 'gs' });
  const r = bits === 64 ? 'ecx' : 'ecx';
  return [
    { mnemonic: 'add', prefixes: ['lock'], operands: [m, reg(r)] },
    { mnemonic: 'xchg', prefixes: ['lock'], operands: [m, reg('ax')] },
    {
      mnemonic: 'cmpxchg',
      prefixes: ['lock'],
      operands: [{ ...m, base: bits === 64 ? 'rdi' : 'edi' }, reg('edx')],
    },
    { mnemonic: 'movsb', prefixes: ['rep'], operands: [] },
    { mnemonic: 'movsd', prefixes: ['rep'], operands: [] },
    { mnemonic: 'stosw', prefixes: ['rep'], operands: [] },
    { mnemonic: 'cmpsb', prefixes: ['repe'], operands: [] },
    { mnemonic: 'scasb', prefixes: ['repne'], operands: [] },
    { mnemonic: 'insd', prefixes: ['rep'], operands: [] },
    { mnemonic: 'outsb', prefixes: ['rep'], operands: [] },
    { mnemonic: 'lodsb', prefixes: ['fs'], operands: [] },
    { mnemonic: 'movsb', prefixes: ['rep', 'es'], operands: [] },
    { mnemonic: 'movsw', prefixes: ['o32'], operands: [] },
    { mnemonic: 'lodsb', prefixes: ['a16'], operands: [] },
    { mnemonic: 'iret', prefixes: ['o16'], operands: [] },
    { mnemonic: 'ret', prefixes: ['o16'], operands: [] },
    { mnemonic: 'nop', prefixes: ['wait'], operands: [] },
    { mnemonic: 'stosb', prefixes: ['rep', 'rep'], operands: [] },
    { mnemonic: 'stosb', prefixes: ['rep', 'repne'], operands: [] },
    { mnemonic: 'nop', prefixes: ['o16', 'o32'], operands: [] },
    { mnemonic: 'nop', prefixes: ['fs', 'gs'], operands: [] },
    { mnemonic: 'nop', prefixes: ['es', 'es'], operands: [] },
    { mnemonic: 'add', prefixes: ['lock', 'lock'], operands: [m, reg(r)] },
    { mnemonic: 'add', prefixes: ['xacquire', 'lock'], operands: [m, reg(r)] },
    { mnemonic: 'add', prefixes: ['rep', 'lock'], operands: [m, reg(r)] },
    { mnemonic: 'movsb', prefixes: ['lock', 'rep'], operands: [] },
    { mnemonic: 'ret', prefixes: ['bnd'], operands: [] },
    {
      mnemonic: 'jmp',
      prefixes: ['bnd'],
      operands: [{ kind: 'imm', value: { offset: 0n }, relativeToHere: true }],
    },
    {
      mnemonic: 'jmp',
      prefixes: ['bnd'],
      operands: [{ kind: 'imm', value: { offset: 1000n }, relativeToHere: true }],
    },
    {
      mnemonic: 'call',
      prefixes: ['bnd'],
      operands: [{ kind: 'imm', value: { offset: 0n }, relativeToHere: true }],
    },
    {
      mnemonic: 'mov',
      prefixes: ['es'],
      operands: [reg('eax'), mem(bits === 16 ? 'bx' : 'ebx', undefined, 1, 0)],
    },
    { mnemonic: 'mov', prefixes: [], operands: [reg('eax'), mem('ebx', undefined, 1, 0, { segment: 'ds' })] },
    ...lockCases(bits),
    ...(bits === 64
      ? [
          { mnemonic: 'sysret', prefixes: ['o64'], operands: [] },
          { mnemonic: 'sysexit', prefixes: ['o64'], operands: [] },
          { mnemonic: 'stosd', prefixes: ['rep', 'o64'], operands: [] },
          { mnemonic: 'mov', prefixes: ['gs'], operands: [reg('eax'), mem('rax', undefined, 1, 0)] },
          { mnemonic: 'push', prefixes: ['o16'], operands: [reg('rax')] },
        ]
      : [{ mnemonic: 'mov', prefixes: ['a16'], operands: [reg('eax'), mem(undefined, undefined, 1, 0x10)] }]),
  ];
}

/**
 * Every mnemonic of the table with 0 to 2 operands from a fixed palette (and 3 for three-operand mnemonics):
 * finds operand combinations nasm accepts that the table lacks, and ones it refuses that the table accepts.
 * Every single operand is tried; of the operand pairs (and triples) each mode tries a different twelfth, chosen
 * per mnemonic (neighbouring mnemonics of a family get different ones), so one run stays affordable.
 * Branches are left out (their operands are targets, covered by `generateCases`), and so is `wait`, which nasm
 * reads as a prefix when a segment register follows.
 */
export function paletteCases(bits: Bits): TestCase[] {
  const base = bits === 16 ? 'bx' : bits === 32 ? 'ebx' : 'rbx';
  const m = mem(base, undefined, 1, 4);
  const palette: TestOperand[] = [
    ...['al', 'cl', 'ax', 'dx', 'eax', 'ecx', ...(bits === 64 ? ['rax', 'r9'] : [])].map(reg),
    ...['ds', 'fs', 'cr0', 'dr1', 'xmm0', 'xmm1', 'mm2', 'st0', 'st1', 'bnd1'].map(reg),
    m,
    ...[8, 16, 32, 64, 80, 128].map((size) => withSize(m, size)),
    imm(1n),
    imm(300n),
    imm(0x12345678n),
    ...[8, 16, 32].map((size) => imm(3n, { size: size as OperandSize })),
  ];
  const cases: TestCase[] = [];
  const third = bits === 64 ? 0 : bits === 32 ? 1 : 2;
  let mnemonicIndex = 0;
  for (const [mnemonic, forms] of FORMS_BY_MNEMONIC) {
    if (/^(j|loop|call|xbegin)/.test(mnemonic) || mnemonic === 'wait' || !forms.some(isLegacy)) continue;
    mnemonicIndex++;
    cases.push({ mnemonic, prefixes: [], operands: [] });
    for (const a of palette) cases.push({ mnemonic, prefixes: [], operands: [a] });
    palette.forEach((a, i) =>
      palette.forEach((b, j) => {
        if ((i + j + mnemonicIndex) % 12 === third) cases.push({ mnemonic, prefixes: [], operands: [a, b] });
      }),
    );
    if (forms.some((f) => f.operands.length === 3))
      palette.slice(0, 9).forEach((a, i) =>
        palette.forEach((b, j) => {
          if ((i + j + mnemonicIndex) % 12 === third)
            cases.push({ mnemonic, prefixes: [], operands: [a, b, imm(3n)] });
        }),
      );
  }
  return cases;
}

/** `lock` before every lockable form and some that are not, with memory or a register first. */
function lockCases(bits: Bits): TestCase[] {
  const m = mem(bits === 16 ? 'bx' : 'ebx', undefined, 1, 0);
  const r = reg('ecx');
  const one = imm(1n);
  const cases: [string, TestOperand[]][] = [
    ...[
      'add',
      'or',
      'adc',
      'sbb',
      'and',
      'sub',
      'xor',
      'cmp',
      'xchg',
      'xadd',
      'cmpxchg',
      'bts',
      'btr',
      'btc',
      'bt',
    ].flatMap((mnemonic): [string, TestOperand[]][] => [
      [mnemonic, [{ ...m, size: 32 }, r]],
      [mnemonic, [r, { ...m, size: 32 }]],
      [mnemonic, [r, r]],
    ]),
    ...['add', 'sub', 'bts', 'test', 'mov'].map((mnemonic): [string, TestOperand[]] => [
      mnemonic,
      [{ ...m, size: 32 }, one],
    ]),
    ...['inc', 'dec', 'not', 'neg', 'mul', 'push'].flatMap((mnemonic): [string, TestOperand[]][] => [
      [mnemonic, [{ ...m, size: 16 }]],
      [mnemonic, [reg('ax')]],
    ]),
    ['cmpxchg8b', [m]],
    ['mov', [{ ...m, size: 32 }, r]],
  ];
  return cases.map(([mnemonic, operands]) => ({ mnemonic, prefixes: ['lock'], operands }));
}
