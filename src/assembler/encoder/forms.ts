/**
 * Turns the text table in `table.ts` into `InstructionForm` records indexed by mnemonic, once at load time,
 * so the encoder's hot path only walks small arrays of plain objects.
 */
import { lookupRegister } from './registers.js';
import { INSTRUCTION_TABLE } from './table.js';
import { EVEX_INSTRUCTION_TABLE } from './table-evex.js';
import { VEX_INSTRUCTION_TABLE } from './table-vex.js';
import { FP16_TABLE } from './table-fp16.js';
import { SIMD_TABLE } from './table-simd.js';
import { SYSTEM_TABLE } from './table-system.js';
import { X87_TABLE } from './table-x87.js';

/** The instruction set: the core table, then the x87, SIMD (non-VEX), system, VEX/XOP, EVEX and FP16 tables, in that order. */
const ALL_TABLES = [
  INSTRUCTION_TABLE,
  X87_TABLE,
  SIMD_TABLE,
  SYSTEM_TABLE,
  VEX_INSTRUCTION_TABLE,
  EVEX_INSTRUCTION_TABLE,
  FP16_TABLE,
].join('\n');

export const enum PatternKind {
  Gpr,
  RegOrMem,
  Mem,
  MemFar,
  Imm,
  SignedByte,
  Unsigned32,
  Signed32,
  One,
  Rel8,
  Rel,
  FarPointer,
  MemOffset,
  Segment,
  Control,
  Debug,
  Test,
  Xmm,
  XmmOrMem,
  Mmx,
  MmxOrMem,
  Fixed,
  /** Immediate written without a size keyword. */
  ImmNoSize,
  /** Byte immediate whose size is independent of the operation size (shift counts, `bt` bit numbers). */
  ImmByte,
  /** Memory of any size keyword, or none (`lea`). */
  MemAnySize,
  /** An immediate read as an absolute address (`lea eax, 5`). */
  ImmAsMem,
  /** x87 register st0..st7 written without `to`. */
  Fpu,
  /** x87 register written with NASM's `to` keyword (`fadd to st1`). */
  FpuTo,
  /** MPX bound register bnd0..bnd3. */
  Bound,
  /** Bound register or memory (any size). */
  BoundOrMem,
  Ymm,
  YmmOrMem,
  /** VSIB memory: a vector index register of the pattern's size (128: xmm, 256: ymm) and an optional GPR base. */
  VectorIndexMem,
  Zmm,
  ZmmOrMem,
  /** Opmask register k0-k7. */
  Mask,
  MaskOrMem,
  /** AMX tile register tmm0-tmm7. */
  Tile,
  /** Memory that is always encoded with a SIB byte (AMX's `sibmem`). */
  SibMem,
}

export interface OperandPattern {
  kind: PatternKind;
  /** Operand size in bits (0: any). */
  size: number;
  /** For `Fixed`: the register name. */
  register?: string;
  /** Vector or memory of no fixed size that also takes a `word` memory operand (nasm 2.16.01's vaddph, vcmpph). */
  wordMemory?: boolean;
}

export const enum Role {
  RmField,
  RegField,
  Immediate,
  Relative,
  OpcodeReg,
  FarPointer,
  MemOffset,
  Implicit,
  /** Both ModRM fields (`imul eax, 5` is `imul eax, eax, 5`). */
  BothFields,
  /** The memory operand's index register, written as a separate operand (`bndstx [rax+3], bnd0, rbx`). */
  MemIndex,
  /** VEX.vvvv (the extra source or destination register of VEX/XOP forms). */
  VexRegister,
  /** A register in bits 7-4 of the trailing immediate byte (`vblendvps`, FMA4). */
  Is4Register,
  /** ModRM.reg and VEX.vvvv both (the two-operand shorthand of three-operand VEX forms). */
  RegAndVexRegister,
  /** ModRM.rm and VEX.vvvv both (`vpsrlw xmm1, 3` is `vpsrlw xmm1, xmm1, 3`). */
  RmAndVexRegister,
}

/** How the opcode is introduced: legacy prefixes and escapes, a VEX prefix (c4/c5), or AMD's XOP (8f). */
export const enum VexKind {
  None,
  Vex,
  Xop,
  Evex,
}

/** A field appended after ModRM/SIB/displacement. */
export interface TrailingField {
  /**
   * 'i' immediate, 'r' relative, 'f' far pointer (offset by operand size, then 16-bit segment), 'c' a constant
   * byte the form fixes (`cmpeqps`' predicate, 3DNow!'s opcode suffix), written after ModRM and displacement.
   */
  type: 'i' | 'r' | 'f' | 'c';
  /** Bytes; 0 for `rv` (decided by mode). */
  size: number;
  /** The CPU sign-extends the field to the operand size. */
  signed: boolean;
  /** Only 0..255 is meaningful (port and interrupt numbers). */
  unsignedOnly?: boolean;
  /** For 'c': the byte. */
  value?: number;
}

export interface InstructionForm {
  mnemonic: string;
  operands: OperandPattern[];
  roles: Role[];
  /** 0 (no operand size), 16, 32 or 64. */
  operandSize: number;
  /** Needs REX.W (o64). */
  rexW: boolean;
  /** Emit a WAIT (9b) before all prefixes (`finit`, `fstsw`). */
  wait: boolean;
  /** Address size the opcode implies (jcxz/jecxz/jrcxz), 0 if none. */
  addressSize: number;
  /** Mandatory prefix byte (0x66/0xf2/0xf3) or 0. */
  mandatoryPrefix: number;
  opcode: number[];
  /** ModRM reg digit 0-7, 8 for `/r`, -1 without ModRM. */
  modrm: number;
  /** Opcode byte index that gets the register number added, or -1. */
  opcodeRegByte: number;
  fields: TrailingField[];
  longOnly: boolean;
  noLong: boolean;
  /** Unsized memory is acceptable for this form when its operand size is the mode's default. */
  sizeOptional: boolean;
  /** An unsized immediate takes the mode's stack width. */
  stackWidth: boolean;
  /** NASM warns that the instruction is obsolete (`ud0` without operands). */
  obsolete: boolean;
  /** Memory needs a size keyword even where no other form competes (NASM's ptwrite). */
  sizeRequired: boolean;
  /** spl..dil are encoded without REX, as ah..bh (NASM's `pinsrb xmm1, sil, 0`). */
  byteRegisterWithoutRex: boolean;
  /** NASM warns that the instruction was never implemented and is a no-op (`pcommit`). */
  neverImplemented: boolean;
  /** The mandatory f3 is a rep prefix (VIA PadLock): a written `rep` is the same byte, not a second one. */
  repIsMandatory: boolean;
  /** `lock` is meaningful when the first operand is memory (else NASM warns). */
  lockable: boolean;
  /** The operand size (66 / REX.W) is encoded only at -O0/-O1; -Ox drops it (`mov ds, ax`). */
  operandSizeOptional: boolean;
  /** A `dword` keyword may size the immediate of the 64-bit operation (`push dword 5`, `imul rax, dword 5`). */
  dwordImmediate64: boolean;
  /** Another form of this mnemonic takes a near relative target, so a short one that does not fit retries. */
  hasNearAlternative: boolean;
  /** A register operand has the memory operand's size (`mov [rax], eax`), so unsized memory is never ambiguous. */
  memorySizedByRegister: boolean;
  /** MPX's base+index memory operand: NASM never splits `[rbx*2]` into `[rbx+rbx]` for it. */
  noSplit: boolean;
  /** VEX or XOP encoding; `opcode` then holds only the bytes after the prefix (the map is `vexMap`). */
  vex: VexKind;
  /** VEX.mmmmm: 1 (0f), 2 (0f 38), 3 (0f 3a); XOP: 8, 9, 10. */
  vexMap: number;
  /** VEX.L: 1 for 256-bit forms. */
  vexL: number;
  /** VEX.W (also set by o64 on VEX forms). */
  vexW: number;
  /** EVEX: element size in bits that `{1toN}` broadcasts (0: no broadcast). */
  broadcast: number;
  /** EVEX: `{k}` write masking / `{z}` zeroing allowed on the destination. */
  maskable: boolean;
  zeroable: boolean;
  /** EVEX: `{z}` only on a register destination (`zreg`). */
  zeroRegisterOnly: boolean;
  /** EVEX: `{rn-sae}`... (er) or only `{sae}` (sae) may be written. */
  rounding: '' | 'er' | 'sae';
  /** EVEX: the disp8 scale N when it is not the memory operand's size (`d8=4` for gathers). */
  disp8Scale: number;
  /** EVEX: a broadcast's displacement scales by the memory operand's size too (`d8=m`), not by EVEX.W. */
  disp8ByMemory: boolean;
  /** EVEX: the vector registers are xmm0-15 only (`lowregs`, nasm 2.16's FP16 slips). */
  lowRegisters: boolean;
  /** The line expanded over vector lengths (a packed form, not a scalar one). */
  packed: boolean;
  /**
   * A VEX form of an instruction that came to EVEX first, taken only under `cpu latevex` (2: AVX-VNNI) or also
   * with a `{vex}` prefix (1: AVX-IFMA); 0 for every other form.
   */
  explicitVex: number;
  /**
   * An instruction or form of NASM 3 that nasm 2.16 refuses (`nasm3` in the table): checked against NASM 3's
   * regression suite rather than against nasm 2.16.
   */
  nasm3: boolean;
  /** The second operand is a set of four registers, written `zmm1+3` or `zmm1` (`regset`). */
  registerSet: boolean;
  /** Source line of the table, for tests and error messages. */
  text: string;
}

const CONDITION_CODES: [string, number][] = [
  ['o', 0],
  ['no', 1],
  ['b', 2],
  ['c', 2],
  ['nae', 2],
  ['ae', 3],
  ['nb', 3],
  ['nc', 3],
  ['e', 4],
  ['z', 4],
  ['ne', 5],
  ['nz', 5],
  ['be', 6],
  ['na', 6],
  ['a', 7],
  ['nbe', 7],
  ['s', 8],
  ['ns', 9],
  ['p', 10],
  ['pe', 10],
  ['np', 11],
  ['po', 11],
  ['l', 12],
  ['nge', 12],
  ['ge', 13],
  ['nl', 13],
  ['le', 14],
  ['ng', 14],
  ['g', 15],
  ['nle', 15],
];

const SIMPLE_PATTERNS: Record<string, OperandPattern> = {
  m: { kind: PatternKind.Mem, size: 0 },
  ma: { kind: PatternKind.MemAnySize, size: 0 },
  imm: { kind: PatternKind.ImmNoSize, size: 0 },
  mimm: { kind: PatternKind.ImmAsMem, size: 0 },
  ib: { kind: PatternKind.ImmByte, size: 8 },
  xmu: { kind: PatternKind.XmmOrMem, size: 0 },
  xmw: { kind: PatternKind.XmmOrMem, size: 0, wordMemory: true },
  mmu: { kind: PatternKind.MmxOrMem, size: 0 },
  u32: { kind: PatternKind.Unsigned32, size: 64 },
  s32: { kind: PatternKind.Signed32, size: 64 },
  one: { kind: PatternKind.One, size: 0 },
  rel8: { kind: PatternKind.Rel8, size: 0 },
  rel: { kind: PatternKind.Rel, size: 0 },
  sreg: { kind: PatternKind.Segment, size: 16 },
  creg: { kind: PatternKind.Control, size: 0 },
  dreg: { kind: PatternKind.Debug, size: 0 },
  treg: { kind: PatternKind.Test, size: 0 },
  xmm: { kind: PatternKind.Xmm, size: 128 },
  ymm: { kind: PatternKind.Ymm, size: 256 },
  ymu: { kind: PatternKind.YmmOrMem, size: 0 },
  ymw: { kind: PatternKind.YmmOrMem, size: 0, wordMemory: true },
  vmx: { kind: PatternKind.VectorIndexMem, size: 128 },
  vmy: { kind: PatternKind.VectorIndexMem, size: 256 },
  vmz: { kind: PatternKind.VectorIndexMem, size: 512 },
  zmm: { kind: PatternKind.Zmm, size: 512 },
  zmu: { kind: PatternKind.ZmmOrMem, size: 0 },
  zmw: { kind: PatternKind.ZmmOrMem, size: 0, wordMemory: true },
  kreg: { kind: PatternKind.Mask, size: 64 },
  tmm: { kind: PatternKind.Tile, size: 0 },
  sibm: { kind: PatternKind.SibMem, size: 0 },
  mmx: { kind: PatternKind.Mmx, size: 64 },
  fpu: { kind: PatternKind.Fpu, size: 80 },
  fputo: { kind: PatternKind.FpuTo, size: 80 },
  bnd: { kind: PatternKind.Bound, size: 128 },
  bndm: { kind: PatternKind.BoundOrMem, size: 0 },
};

const SIZED_PATTERNS: [RegExp, PatternKind][] = [
  [/^r(8|16|32|64)$/, PatternKind.Gpr],
  [/^rm(8|16|32|64)$/, PatternKind.RegOrMem],
  [/^m(8|16|32|64|80|128|256|512)$/, PatternKind.Mem],
  [/^mfar(16|32|64)$/, PatternKind.MemFar],
  [/^far(16|32)$/, PatternKind.FarPointer],
  [/^i(8|16|32|64)$/, PatternKind.Imm],
  [/^sb(16|32|64)$/, PatternKind.SignedByte],
  [/^moffs(8|16|32|64)$/, PatternKind.MemOffset],
  [/^xm(8|16|32|64|128)$/, PatternKind.XmmOrMem],
  [/^mm(32|64|128)$/, PatternKind.MmxOrMem],
  [/^ym(256)$/, PatternKind.YmmOrMem],
  [/^zm(512)$/, PatternKind.ZmmOrMem],
  [/^km(8|16|32|64)$/, PatternKind.MaskOrMem],
];

/** The same for EVEX lines, which expand to 128-, 256- and 512-bit forms (EVEX.L'L 0, 1, 2). */
const EVEX_LENGTH_PLACEHOLDERS: Record<string, [string, string, string]> = {
  xyz: ['xmm', 'ymm', 'zmm'],
  xyzm: ['xm128', 'ym256', 'zm512'],
  xyzu: ['xmu', 'ymu', 'zmu'],
  xyzw: ['xmw', 'ymw', 'zmw'],
  xyzh: ['xmm', 'xmm', 'ymm'],
  xyzhm: ['xm64', 'xm128', 'ym256'],
  xyzqm: ['xm32', 'xm64', 'xm128'],
  xyzem: ['xm16', 'xm32', 'xm64'],
  mxyz: ['m128', 'm256', 'm512'],
  vmxyz: ['vmx', 'vmy', 'vmz'],
  vmxyh: ['vmx', 'vmx', 'vmy'],
};

/**
 * Vector-length placeholders of VEX lines, which expand the line to a 128-bit (VEX.L=0) and a 256-bit (VEX.L=1)
 * form: the full-width register or register/memory, and the half- and quarter-width register/memory that
 * widening conversions read (`vpmovzxbw ymm, xmm/m128`, `vpmovzxbd ymm, xmm/m64`).
 */
const LENGTH_PLACEHOLDERS: Record<string, [string, string]> = {
  xy: ['xmm', 'ymm'],
  xym: ['xm128', 'ym256'],
  xyu: ['xmu', 'ymu'],
  xhm: ['xm64', 'xm128'],
  xqm: ['xm32', 'xm64'],
  xem: ['xm16', 'xm32'],
  mxy: ['m128', 'm256'],
  vmxy: ['vmx', 'vmy'],
};

const MEMORY_KINDS = new Set([
  PatternKind.RegOrMem,
  PatternKind.Mem,
  PatternKind.XmmOrMem,
  PatternKind.MmxOrMem,
  PatternKind.YmmOrMem,
  PatternKind.ZmmOrMem,
  PatternKind.MaskOrMem,
]);
const REGISTER_KINDS = new Set([
  PatternKind.Gpr,
  PatternKind.Xmm,
  PatternKind.Mmx,
  PatternKind.Ymm,
  PatternKind.Zmm,
  PatternKind.Mask,
]);

function parsePattern(text: string, line: string): OperandPattern {
  const simple = SIMPLE_PATTERNS[text];
  if (simple) return simple;
  for (const [re, kind] of SIZED_PATTERNS) {
    const m = re.exec(text);
    if (m) return { kind, size: Number(m[1]) };
  }
  const reg = lookupRegister(text);
  if (reg) return { kind: PatternKind.Fixed, size: reg.size, register: text };
  throw new Error(`instruction table: bad operand pattern '${text}' in: ${line}`);
}

const ROLE_LETTERS: Record<string, Role> = {
  m: Role.RmField,
  r: Role.RegField,
  i: Role.Immediate,
  j: Role.Relative,
  o: Role.OpcodeReg,
  f: Role.FarPointer,
  x: Role.MemOffset,
  '-': Role.Implicit,
  b: Role.BothFields,
  n: Role.MemIndex,
  v: Role.VexRegister,
  s: Role.Is4Register,
};

const FIELD_TOKENS: Record<string, TrailingField> = {
  ib: { type: 'i', size: 1, signed: false },
  ibs: { type: 'i', size: 1, signed: true },
  ibu: { type: 'i', size: 1, signed: false, unsignedOnly: true },
  iw: { type: 'i', size: 2, signed: false },
  id: { type: 'i', size: 4, signed: false },
  ids: { type: 'i', size: 4, signed: true },
  iq: { type: 'i', size: 8, signed: false },
  rb: { type: 'r', size: 1, signed: true },
  rv: { type: 'r', size: 0, signed: true },
  fp: { type: 'f', size: 0, signed: false },
  is4: { type: 'i', size: 1, signed: false },
};

/**
 * The comparison predicates of `vcmpps` and friends, by immediate (the 32 names, then other names of the first
 * seven); a `@` in a mnemonic expands to each.
 */
const COMPARE_PREDICATES: [string, number][] = [
  ...(
    'eq lt le unord neq nlt nle ord eq_uq nge ngt false neq_oq ge gt true ' +
    'eq_os lt_oq le_oq unord_s neq_us nlt_uq nle_uq ord_s eq_us nge_uq ngt_uq false_os neq_os ge_oq gt_oq true_us'
  )
    .split(' ')
    .map((name, i): [string, number] => [name, i]),
  ...'lt_os le_os unord_q neq_uq nlt_us nle_us ord_q'
    .split(' ')
    .map((name, i): [string, number] => [name, i + 1]),
];

/** The predicates of the EVEX compares (`&` in a mnemonic): the same, and names nasm gives only them. */
const EVEX_COMPARE_PREDICATES: [string, number][] = [
  ...COMPARE_PREDICATES,
  ['eq_oq', 0],
  ['nge_us', 9],
  ['ngt_us', 10],
  ['false_oq', 11],
  ['ge_os', 13],
  ['gt_os', 14],
  ['true_uq', 15],
];

const KNOWN_FLAGS = new Set([
  'sized',
  'long',
  'nolong',
  'nosize',
  'stk',
  'd64',
  'dropsz',
  'lock',
  'obsolete',
  'mib',
  'noop',
  'rep',
  'r8norex',
  'nodup',
  'dupm',
  'dupk',
  'latevex',
  'cpulatevex',
  'k',
  'z',
  'er',
  'sae',
  'nasm3',
  'regset',
  'packed',
  'lowregs',
  'zreg',
]);

interface Expansion {
  mnemonic: string;
  /** Vector length of a line with length placeholders (128 or 256); 0 when it has none. */
  length: number;
  /** Replaces `v` sizes; 0 when the line has none. */
  size: number;
  /** Group index for `/g`, `+g`, `+g8`; condition code for `+cc`. */
  group: number;
}

function expansions(
  mnemonicField: string,
  hasSizeVariable: boolean,
  hasLength = false,
  isVex = false,
  hasEvexLength = false,
): Expansion[] {
  let names: { mnemonic: string; group: number }[];
  if (mnemonicField.includes(',')) {
    names = mnemonicField
      .split(',')
      .map((mnemonic, group) => ({ mnemonic, group }))
      .filter((n) => n.mnemonic !== '-');
  } else if (mnemonicField.includes('@') || mnemonicField.includes('&')) {
    const predicates = mnemonicField.includes('@') ? COMPARE_PREDICATES : EVEX_COMPARE_PREDICATES;
    names = predicates.map(([p, group]) => ({ mnemonic: mnemonicField.replace(/[@&]/, p), group }));
  } else if (/^(j|set|cmov)cc$|^cmpccxadd$/.test(mnemonicField)) {
    // Only these four: `pfacc` and `pfnacc` also contain `cc`.
    names = CONDITION_CODES.map(([cc, group]) => ({ mnemonic: mnemonicField.replace('cc', cc), group }));
  } else {
    names = [{ mnemonic: mnemonicField, group: 0 }];
  }
  // VEX forms have no 16-bit general-register operation size.
  const sizes = hasSizeVariable ? (isVex ? [32, 64] : [16, 32, 64]) : [0];
  const lengths = hasEvexLength ? [128, 256, 512] : hasLength ? [128, 256] : [0];
  return names.flatMap((n) => sizes.flatMap((size) => lengths.map((length) => ({ ...n, size, length }))));
}

function parseLine(line: string): InstructionForm[] {
  const [head, rolesField = '', encodingField = '', flagsField = ''] = line.split('|').map((s) => s.trim());
  const [mnemonicField, operandsField = ''] = head.split(/\s+/);
  const hasSizeVariable = /v(,|$)/.test(operandsField) || /\bov\b|\biv\b/.test(encodingField);
  const flags = new Set(flagsField.split(/\s+/).filter(Boolean));
  const encodingTokens = encodingField.split(/\s+/).filter(Boolean);
  const isVex = encodingTokens.some((t) => t === 'vex' || t === 'evex' || /^xop[89a]$/.test(t));
  const hasLength = operandsField.split(',').some((t) => t in LENGTH_PLACEHOLDERS);
  const hasEvexLength = operandsField.split(',').some((t) => t in EVEX_LENGTH_PLACEHOLDERS);
  for (const flag of flags)
    if (!KNOWN_FLAGS.has(flag)) throw new Error(`instruction table: bad flag '${flag}' in: ${line}`);
  const forms: InstructionForm[] = [];
  for (const x of expansions(mnemonicField, hasSizeVariable, hasLength, isVex, hasEvexLength)) {
    const sizeText = String(x.size);
    const operandTexts = (operandsField ? operandsField.split(',') : []).map((t) =>
      t in LENGTH_PLACEHOLDERS
        ? LENGTH_PLACEHOLDERS[t][x.length === 256 ? 1 : 0]
        : t in EVEX_LENGTH_PLACEHOLDERS
          ? EVEX_LENGTH_PLACEHOLDERS[t][x.length === 512 ? 2 : x.length === 256 ? 1 : 0]
          : t,
    );
    const operands = operandTexts.map((t) => parsePattern(x.size ? t.replace(/v$/, sizeText) : t, line));
    const roles = [...rolesField.replace(/\s/g, '')].map((c) => {
      const role = ROLE_LETTERS[c];
      if (role === undefined) throw new Error(`instruction table: bad role '${c}' in: ${line}`);
      return role;
    });
    if (roles.length !== operands.length)
      throw new Error(`instruction table: roles do not match operands in: ${line}`);
    const form: InstructionForm = {
      mnemonic: x.mnemonic,
      operands,
      roles,
      operandSize: 0,
      rexW: false,
      mandatoryPrefix: 0,
      addressSize: 0,
      wait: false,
      opcode: [],
      modrm: -1,
      opcodeRegByte: -1,
      fields: [],
      longOnly: flags.has('long'),
      noLong: flags.has('nolong'),
      sizeOptional: flags.has('nosize'),
      stackWidth: flags.has('stk'),
      dwordImmediate64: flags.has('d64'),
      operandSizeOptional: flags.has('dropsz'),
      lockable: flags.has('lock'),
      obsolete: flags.has('obsolete'),
      neverImplemented: flags.has('noop'),
      byteRegisterWithoutRex: flags.has('r8norex'),
      sizeRequired: flags.has('sized'),
      repIsMandatory: flags.has('rep'),
      hasNearAlternative: false,
      memorySizedByRegister: false,
      noSplit: flags.has('mib'),
      vex: VexKind.None,
      vexMap: 0,
      vexL: x.length === 512 ? 2 : x.length === 256 ? 1 : 0,
      broadcast: 0,
      maskable: flags.has('k'),
      zeroable: flags.has('z') || flags.has('zreg'),
      zeroRegisterOnly: flags.has('zreg'),
      rounding: flags.has('er') ? 'er' : flags.has('sae') ? 'sae' : '',
      disp8Scale: 0,
      disp8ByMemory: false,
      lowRegisters: flags.has('lowregs'),
      packed: x.length !== 0 || flags.has('packed'),
      explicitVex: flags.has('latevex') ? 1 : flags.has('cpulatevex') ? 2 : 0,
      nasm3: flags.has('nasm3'),
      registerSet: flags.has('regset'),
      vexW: 0,
      text: line,
    };
    for (let token of encodingTokens) {
      if (token === 'ov') token = 'o' + sizeText;
      if (token === 'iv') token = x.size === 16 ? 'iw' : x.size === 32 ? 'id' : 'ids';
      if (token === 'o16' || token === 'o32') form.operandSize = Number(token.slice(1));
      else if (token === 'o64') {
        form.operandSize = 64;
        form.rexW = true;
        form.longOnly = true;
      } else if (token === 'o64nw') {
        form.operandSize = 64;
        form.longOnly = true;
      } else if (token === 'p66' || token === 'pf2' || token === 'pf3')
        form.mandatoryPrefix = parseInt(token.slice(1), 16);
      else if (token === 'a16' || token === 'a32' || token === 'a64')
        form.addressSize = Number(token.slice(1));
      else if (token === 'wait') form.wait = true;
      else if (token === 'vex') form.vex = VexKind.Vex;
      else if (token === 'evex') form.vex = VexKind.Evex;
      else if (token === 'b16' || token === 'b32' || token === 'b64') form.broadcast = Number(token.slice(1));
      else if (/^d8=\d+$/.test(token)) form.disp8Scale = Number(token.slice(3));
      else if (token === 'd8=m') form.disp8ByMemory = true;
      else if (/^map[56]$/.test(token)) form.vexMap = Number(token[3]);
      else if (token === 'l2') form.vexL = 2;
      else if (/^xop[89a]$/.test(token)) {
        form.vex = VexKind.Xop;
        form.vexMap = parseInt(token[3], 16);
      } else if (token === 'l1') form.vexL = 1;
      else if (token === 'w1') form.vexW = 1;
      else if (token === 'w0' || token === 'wig' || token === 'l0' || token === 'lig') continue;
      else if (token === '/r') form.modrm = 8;
      else if (token === '/g') form.modrm = x.group;
      else if (/^\/[0-7]$/.test(token)) form.modrm = Number(token[1]);
      else if (FIELD_TOKENS[token]) form.fields.push(FIELD_TOKENS[token]);
      else if (/^=[0-9a-f]{2}$/.test(token))
        form.fields.push({ type: 'c', size: 1, signed: false, value: parseInt(token.slice(1), 16) });
      else if (token === 'ig') form.fields.push({ type: 'c', size: 1, signed: false, value: x.group });
      else if (/^i=[0-9a-f]{2}$/.test(token))
        form.fields.push({ type: 'c', size: 1, signed: false, value: parseInt(token.slice(2), 16) });
      else {
        const m = /^([0-9a-f]{2})(?:\+(r|cc|g8|g4|g))?$/.exec(token);
        if (!m) throw new Error(`instruction table: bad encoding token '${token}' in: ${line}`);
        let byte = parseInt(m[1], 16);
        if (m[2] === 'r') form.opcodeRegByte = form.opcode.length;
        else if (m[2] === 'cc' || m[2] === 'g') byte += x.group;
        else if (m[2] === 'g8') byte += 8 * x.group;
        else if (m[2] === 'g4') byte += 4 * x.group;
        form.opcode.push(byte);
      }
    }
    if ((form.vex === VexKind.Vex || form.vex === VexKind.Evex) && form.vexMap === 0) takeVexMap(form, line);
    // VEX general-register forms take their operation size from VEX.W.
    if (form.vex !== VexKind.None && x.size === 64) {
      form.rexW = true;
      form.longOnly = true;
    }
    if (form.vex !== VexKind.None && form.rexW) {
      form.vexW = 1;
      form.rexW = false;
    }
    const memorySize = operands.find((p) => MEMORY_KINDS.has(p.kind))?.size ?? 0;
    form.memorySizedByRegister =
      memorySize !== 0 && operands.some((p) => REGISTER_KINDS.has(p.kind) && p.size === memorySize);
    forms.push(form);
  }
  // NASM lets a VEX form whose destination is followed by the vvvv source drop that source: `vaddps xmm1, xmm2`
  // is `vaddps xmm1, xmm1, xmm2`.
  // Likewise a shift by an immediate, whose destination is vvvv and source ModRM.rm: `vpsrlw xmm1, 3`.
  // `dupm` (XOP's rotates and shifts): the destination is the ModRM.rm source too (`vprotb xmm1, xmm2`).
  const duplicated = flags.has('dupm')
    ? Role.BothFields
    : rolesField.startsWith('rv')
      ? Role.RegAndVexRegister
      : rolesField.startsWith('vm')
        ? Role.RmAndVexRegister
        : undefined;
  // Only vector operands are duplicated: the general-register forms (BMI, TBM, LWP) have no shorthand, and an
  // opmask destination only where flagged `dupk` (nasm 2.16.01's vcmpph: `vcmpph k1, xmm2, 3` has k1 in vvvv).
  if (isVex && duplicated !== undefined && !flags.has('nodup'))
    for (const form of forms.slice())
      if (
        form.operands[0].kind === PatternKind.Xmm ||
        form.operands[0].kind === PatternKind.Ymm ||
        form.operands[0].kind === PatternKind.Zmm ||
        (form.operands[0].kind === PatternKind.Mask && flags.has('dupk'))
      )
        forms.push({
          ...form,
          operands: form.operands.filter(
            (_, i) => i !== (duplicated === Role.RegAndVexRegister || duplicated === Role.BothFields ? 1 : 0),
          ),
          roles: [duplicated, ...form.roles.slice(2)],
        });
  return forms;
}

/** A VEX line writes its map as the legacy escape bytes (`0f`, `0f 38`, `0f 3a`) that the VEX prefix replaces. */
function takeVexMap(form: InstructionForm, line: string): void {
  const op = form.opcode;
  if (op[0] !== 0x0f) throw new Error(`instruction table: VEX opcode must start with 0f in: ${line}`);
  if (op[1] === 0x38 || op[1] === 0x3a) {
    form.vexMap = op[1] === 0x38 ? 2 : 3;
    op.splice(0, 2);
  } else {
    form.vexMap = 1;
    op.splice(0, 1);
  }
  if (form.opcodeRegByte >= 0) form.opcodeRegByte -= form.vexMap === 1 ? 1 : 2;
}

/**
 * Table lines by the mnemonics they define, in table order, found without parsing the lines: a program uses a
 * few dozen mnemonics, and parsing the whole table up front is a noticeable part of assembling a small file.
 */
function indexLines(): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const raw of ALL_TABLES.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const mnemonicField = line.slice(0, line.search(/\s|\||$/));
    for (const { mnemonic } of expansions(mnemonicField, false)) {
      let lines = index.get(mnemonic);
      if (!lines) index.set(mnemonic, (lines = []));
      if (lines[lines.length - 1] !== line) lines.push(line);
    }
  }
  return index;
}

const LINES_BY_MNEMONIC = indexLines();
const parsedLines = new Map<string, InstructionForm[]>();
const formsByMnemonic = new Map<string, InstructionForm[]>();

/** The forms of one mnemonic in table order (parsed on first use), or undefined for an unknown mnemonic. */
function formsFor(mnemonic: string): InstructionForm[] | undefined {
  const known = formsByMnemonic.get(mnemonic);
  if (known) return known;
  const lines = LINES_BY_MNEMONIC.get(mnemonic);
  if (!lines) return undefined;
  const list: InstructionForm[] = [];
  for (const line of lines) {
    let forms = parsedLines.get(line);
    if (!forms) parsedLines.set(line, (forms = parseLine(line)));
    for (const form of forms) if (form.mnemonic === mnemonic) list.push(form);
  }
  list.forEach((form, i) => {
    form.hasNearAlternative = list
      .slice(i + 1)
      .some((f) => f.operands.some((p) => p.kind === PatternKind.Rel));
  });
  formsByMnemonic.set(mnemonic, list);
  return list;
}

/** Every mnemonic's forms, in table order; a mnemonic's lines are parsed when it is first asked for. */
class FormIndex implements ReadonlyMap<string, InstructionForm[]> {
  get size(): number {
    return LINES_BY_MNEMONIC.size;
  }
  get(mnemonic: string): InstructionForm[] | undefined {
    return formsFor(mnemonic);
  }
  has(mnemonic: string): boolean {
    return LINES_BY_MNEMONIC.has(mnemonic);
  }
  forEach(
    callback: (
      forms: InstructionForm[],
      mnemonic: string,
      map: ReadonlyMap<string, InstructionForm[]>,
    ) => void,
  ): void {
    for (const [mnemonic, forms] of this.entries()) callback(forms, mnemonic, this);
  }
  *entries(): IterableIterator<[string, InstructionForm[]]> {
    for (const mnemonic of LINES_BY_MNEMONIC.keys()) yield [mnemonic, formsFor(mnemonic)!];
  }
  keys(): IterableIterator<string> {
    return LINES_BY_MNEMONIC.keys();
  }
  *values(): IterableIterator<InstructionForm[]> {
    for (const mnemonic of LINES_BY_MNEMONIC.keys()) yield formsFor(mnemonic)!;
  }
  [Symbol.iterator](): IterableIterator<[string, InstructionForm[]]> {
    return this.entries();
  }
}

export const FORMS_BY_MNEMONIC: ReadonlyMap<string, InstructionForm[]> = new FormIndex();
