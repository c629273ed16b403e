/**
 * The generic encoding engine: picks the first table form that matches the operands (and fits, for short
 * branches), then lays out prefixes, REX, opcode, ModRM/SIB/displacement and trailing fields as NASM does.
 */
import { FORMS_BY_MNEMONIC, PatternKind, Role, VexKind, type InstructionForm } from './forms.js';
import { encodeMemory, encodeVectorIndexMemory, memoryAsRegister, type MemoryEncoding } from './memory.js';
import { lookupRegister, type RegisterInfo } from './registers.js';
import { matches, resolveUnsizedMemory, validInMode } from './select.js';
import { defaultOperandSize, EncodeError, isKnownAbsolute, wrapSigned } from './shared.js';
import { ABSOLUTE_SYMBOL } from './types.js';
import type { EncodeResult, Fixup, InstructionRequest, MemoryOperand, Operand, Value } from './types.js';

const PREFIX_BYTES = new Map<string, number>(
  Object.entries({
    lock: 0xf0,
    rep: 0xf3,
    repe: 0xf3,
    repz: 0xf3,
    repne: 0xf2,
    repnz: 0xf2,
    xacquire: 0xf2,
    xrelease: 0xf3,
    bnd: 0xf2,
    es: 0x26,
    cs: 0x2e,
    ss: 0x36,
    ds: 0x3e,
    fs: 0x64,
    gs: 0x65,
    wait: 0x9b,
    o16: -1,
    o32: -1,
    o64: -1,
    a16: -1,
    a32: -1,
    a64: -1,
    // NASM's raw operand- and address-size prefixes: a 66 / 67 byte whatever the instruction's size.
    osp: -1,
    asp: -1,
    // `{rex}`: a REX prefix even when nothing needs one
    '{rex}': -1,
    '{vex}': -1,
    '{vex2}': -1,
    '{vex3}': -1,
    '{evex}': -1,
  }),
);

const SEGMENT_PREFIX: Record<string, number> = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };

export function isPrefix(name: string): boolean {
  return PREFIX_BYTES.has(name);
}

export function isMnemonic(name: string): boolean {
  return FORMS_BY_MNEMONIC.has(name);
}

const REDUNDANT_PREFIXES = 'instruction has redundant prefixes';
const CONFLICTING_PREFIXES = 'instruction has conflicting prefixes';

/** A short branch whose target is out of reach: the caller tries the next (near) form. */
const DOES_NOT_FIT = Symbol('does not fit');

function fail(message: string): EncodeResult {
  return { ok: false, message };
}

/** Register info of the current request's operands, resolved once per call. */
const operandRegisters: (RegisterInfo | undefined)[] = [];

export function encodeInstruction(req: InstructionRequest): EncodeResult {
  const forms = FORMS_BY_MNEMONIC.get(req.mnemonic);
  if (!forms) {
    // A prefix alone on its line is emitted as its byte (`rep` before a `times` or an EVEX instruction).
    const byte = PREFIX_BYTES.get(req.mnemonic);
    if (byte !== undefined && byte >= 0 && req.operands.length === 0 && req.prefixes.length === 0)
      return { ok: true, bytes: Uint8Array.of(byte), fixups: [], warnings: [] };
    return fail(`unknown instruction '${req.mnemonic}'`);
  }
  // only entries below the operand count are read: no `length` write (a slow runtime call) per instruction
  for (let i = 0; i < req.operands.length; i++) {
    const op = req.operands[i];
    operandRegisters[i] = op.kind === 'reg' ? lookupRegister(op.name) : undefined;
    if (op.kind === 'reg' && !operandRegisters[i]) return fail(`unknown register '${op.name}'`);
  }
  let wrongMode = false;
  const preference = encodingPreference(req.prefixes);
  for (let i = 0; i < forms.length; i++) {
    let form = forms[i];
    if (preference !== 0 && (form.vex === VexKind.Evex) !== (preference === VexKind.Evex)) continue;
    // `cpu novex`/`noevex` steer the choice; an explicit `{vex}`/`{evex}` still wins, as in nasm.
    if (preference === 0 && (form.vex === VexKind.Evex ? req.noEvex : form.vex !== VexKind.None && req.noVex))
      continue;
    if (
      form.explicitVex !== 0 &&
      !req.lateVex &&
      !req.noEvex &&
      !(form.explicitVex === 1 && preference === VexKind.Vex)
    )
      continue;
    if (!matches(form, req, operandRegisters)) continue;
    if (!validInMode(form, req.bits)) {
      wrongMode = true;
      continue;
    }
    const resolved = resolveUnsizedMemory(forms, i, req, operandRegisters);
    if (typeof resolved === 'string') return fail(resolved);
    form = resolved;
    try {
      const result = encodeForm(form, req);
      if (result === DOES_NOT_FIT) continue;
      return result;
    } catch (e) {
      if (e instanceof EncodeError) return fail(e.message);
      throw e;
    }
  }
  if (wrongMode) return fail(`instruction not supported in ${req.bits}-bit mode`);
  return fail('invalid combination of opcode and operands');
}

/** `{evex}` asks for an EVEX form, `{vex}`/`{vex2}`/`{vex3}` for a VEX one; 0 when nothing is asked. */
function encodingPreference(prefixes: string[]): number {
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i];
    if (p.charCodeAt(0) !== 123 /* { */ || p === '{rex}') continue;
    return p === '{evex}' ? VexKind.Evex : VexKind.Vex;
  }
  return 0;
}

// Scratch state for one instruction, reused across calls so the hot path allocates only its result.
const out = new Uint8Array(32);
/** Warnings found while laying out the instruction, before its fields are filled. */
const earlyWarnings: string[] = [];
const trailing: Operand[] = [];
/** Fields to fill once the instruction length is known: position, size, kind, signedness and value. */
const pendingPos: number[] = [];
const pendingSize: number[] = [];
const pendingKind: number[] = [];
const pendingSigned: boolean[] = [];
const pendingValue: Value[] = [];
/** Field takes only unsigned values (`int`, `in`, `out` port numbers). */
const pendingUnsigned: boolean[] = [];
/** The source wrote the field's size (`byte 5`, `[byte rax+1]`). */
const pendingExplicit: boolean[] = [];
const FIELD_IMMEDIATE = 0;
const FIELD_RELATIVE = 1;
const FIELD_DISPLACEMENT = 2;
const FIELD_RIP_DISPLACEMENT = 3;

/** Writes the low `size` (<= 4) bytes of an integer, little-endian. */
function writeSmallLE(pos: number, value: number, size: number): void {
  let v = value | 0;
  for (let i = 0; i < size; i++) {
    out[pos + i] = v & 0xff;
    v >>>= 8;
  }
}

function writeLE(pos: number, value: bigint, size: number): void {
  if (size <= 4) return writeSmallLE(pos, wrapSigned(value, 32), size);
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[pos + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * NASM's overflow warnings for a known value in a field, or undefined (NASM warns, then truncates). Like NASM,
 * a plain n-bit field accepts -2^n..2^n-1 (either signedness), an unsigned one 0..2^n-1, a signed one
 * -2^(n-1)..2^(n-1)-1; a sign-extended byte is checked at the operation size.
 */
function overflowWarning(
  kind: number,
  value: bigint,
  size: number,
  signed: boolean,
  unsignedOnly: boolean,
  operandSize: number,
  explicitByte: boolean,
): string[] | undefined {
  // Fast path: 0..127 fits every field.
  const small = Number(value);
  if (small >= 0 && small <= 127) return undefined;
  const v = BigInt.asIntN(64, value);
  let width = size * 8;
  let check: 'general' | 'signed' | 'unsigned' = 'general';
  if (kind === FIELD_IMMEDIATE) {
    if (unsignedOnly) check = 'unsigned';
    else if (signed && size === 1 && explicitByte) check = 'signed';
    else if (signed && operandSize === 64) [width, check] = [32, 'signed'];
    else if (signed && size === 1 && operandSize > 8) width = operandSize;
  }
  if (width >= 64) return undefined;
  const range = 1n << BigInt(width);
  const [min, max] =
    check === 'general'
      ? [-range, range - 1n]
      : check === 'unsigned'
        ? [0n, range - 1n]
        : [-(range >> 1n), (range >> 1n) - 1n];
  if (v >= min && v <= max) return undefined;
  const name = width === 8 ? 'byte' : width === 16 ? 'word' : 'dword';
  // a sign-extended dword field of a 64-bit operation: nasm's `id,s` checks the value, then writes it as signed
  // dword data (both warn); its sign-extended byte warns as though it had been that dword
  if (check === 'signed' && kind === FIELD_IMMEDIATE && operandSize === 64 && size === 4)
    return ['signed dword immediate exceeds bounds', 'dword data exceeds bounds'];
  return [check === 'signed' ? `signed ${name} value exceeds bounds` : `${name} data exceeds bounds`];
}

let pendingCount = 0;

/** Reserves `size` bytes at `pos` for a field filled in once the instruction length is known; returns the end. */
function addPending(
  pos: number,
  size: number,
  kind: number,
  signed: boolean,
  value: Value,
  unsignedOnly = false,
  explicit = false,
): number {
  pendingUnsigned[pendingCount] = unsignedOnly;
  pendingExplicit[pendingCount] = explicit;
  pendingPos[pendingCount] = pos;
  pendingSize[pendingCount] = size;
  pendingKind[pendingCount] = kind;
  pendingSigned[pendingCount] = signed;
  pendingValue[pendingCount] = value;
  pendingCount++;
  return pos + size;
}

function hasExplicitShort(req: InstructionRequest): boolean {
  return req.operands.some((o) => o.kind === 'imm' && o.distance === 'short');
}

/** The prefixes before a legacy opcode, in NASM's order; returns the new write position. */
function writeLegacyPrefixes(
  n: number,
  form: InstructionForm,
  waitByte: boolean,
  repByte: number,
  lockByte: number,
  segByte: number,
  opsizeOverride: boolean,
  addrOverride: boolean,
): number {
  if (waitByte) out[n++] = 0x9b;
  if (repByte) out[n++] = repByte;
  if (lockByte) out[n++] = lockByte;
  if (segByte) out[n++] = segByte;
  if (opsizeOverride) out[n++] = 0x66;
  if (addrOverride) out[n++] = 0x67;
  if (form.mandatoryPrefix) out[n++] = form.mandatoryPrefix;
  return n;
}

const VEX_PP: Record<number, number> = { 0: 0, 0x66: 1, 0xf3: 2, 0xf2: 3 };

/**
 * A VEX (c5 2-byte or c4 3-byte) or XOP (8f) prefix. `rex` holds W R X B as in a REX byte. NASM takes the 2-byte
 * form whenever it can (map 0f, W0, no X or B) unless `{vex3}` asks for three bytes.
 */
function writeVexPrefix(
  n: number,
  form: InstructionForm,
  rex: number,
  vvvv: number,
  vex3: boolean,
  vex2: boolean,
): number {
  const pp = VEX_PP[form.mandatoryPrefix];
  const tail = ((~vvvv & 15) << 3) | (form.vexL << 2) | pp;
  const notR = rex & 4 ? 0 : 0x80;
  const fitsTwoBytes = form.vex === VexKind.Vex && form.vexMap === 1 && (rex & 0xb) === 0;
  if (vex2 && !fitsTwoBytes) throw new EncodeError('instruction cannot be encoded with {vex2}');
  if (fitsTwoBytes && !vex3) {
    out[n++] = 0xc5;
    out[n++] = notR | tail;
    return n;
  }
  out[n++] = form.vex === VexKind.Xop ? 0x8f : 0xc4;
  out[n++] = notR | (rex & 2 ? 0 : 0x40) | (rex & 1 ? 0 : 0x20) | form.vexMap;
  out[n++] = ((rex & 8) << 4) | tail;
  return n;
}

/** The same address with a SIB byte that names no index (`sibmem` operands must have one). */
function withSib(enc: MemoryEncoding): MemoryEncoding {
  if (enc.mod === 0 && enc.rm === 5) return { ...enc, rm: 4, sib: 0x25 };
  return { ...enc, sib: (4 << 3) | enc.rm, rm: 4 };
}

/**
 * EVEX's compressed displacement: a displacement that is a multiple of N (the memory operand's size, or the
 * broadcast element's) is written as a byte of disp/N when that fits; any other takes four bytes, as in nasm.
 */
function compressDisplacement(
  enc: MemoryEncoding,
  mem: MemoryOperand,
  form: InstructionForm,
  req: InstructionRequest,
): MemoryEncoding {
  // nasm compresses a displacement written `byte` too (`[byte rax+0x40]` of a zmm is disp8 1)
  const sized = mem.displacementSize !== undefined && mem.displacementSize !== 8;
  if (enc.mod === 0 || sized || !isKnownAbsolute(enc.disp)) return enc;
  const scale = disp8Scale(form, mem, req);
  const raw = BigInt.asIntN(64, enc.disp.offset);
  // nasm checks the written value before scaling it, as it does a byte displacement
  if (scale > 1 && enc.addressSize !== 16 && (raw < -0x80000000n || raw > 0x7fffffffn))
    earlyWarnings.push('signed dword value exceeds bounds');
  const v = wrapSigned(enc.disp.offset, enc.addressSize === 16 ? 16 : 32);
  if (v % scale === 0 && v / scale >= -128 && v / scale <= 127)
    return { ...enc, mod: 1, dispSize: 1, disp: { offset: BigInt(v / scale) } };
  return { ...enc, mod: 2, dispSize: enc.addressSize === 16 ? 2 : 4 };
}

/**
 * N of disp8*N: for a broadcast nasm's element by EVEX.W (a dword, or a qword under W1, whatever the element:
 * FP16's word broadcasts scale by 4) unless the table says `d8=m`, else the table's override or the memory
 * operand's size.
 */
function disp8Scale(form: InstructionForm, mem: MemoryOperand, req: InstructionRequest): number {
  if (mem.decorators?.broadcast !== undefined && !form.disp8ByMemory) return form.vexW ? 8 : 4;
  if (form.disp8Scale) return form.disp8Scale;
  const i = req.operands.indexOf(mem);
  const size = i >= 0 ? form.operands[i].size : 0;
  // vector memory of no fixed size (`xyzu`): the vector's
  return size >= 8 ? size / 8 : form.packed ? 16 << form.vexL : 1;
}

const ROUNDING_BITS: Record<string, number> = { 'rn-sae': 0, 'rd-sae': 1, 'ru-sae': 2, 'rz-sae': 3 };

/**
 * The 4-byte EVEX prefix: 62, then R X B R' 0 m m m, W vvvv 1 pp, z L'L b V' aaa (R X B R' vvvv V' inverted).
 * Embedded rounding takes L'L for the rounding mode and sets b, as broadcast does.
 */
function writeEvexPrefix(
  n: number,
  form: InstructionForm,
  req: InstructionRequest,
  rex: number,
  regNumber: number,
  x: number,
  vvvv: number,
  vPrime: number,
): number {
  const pp = VEX_PP[form.mandatoryPrefix];
  const dest = req.operands[0];
  const decorators = dest && (dest.kind === 'reg' || dest.kind === 'mem') ? dest.decorators : undefined;
  const mem = req.operands.find((o) => o.kind === 'mem');
  const broadcast = mem?.kind === 'mem' && mem.decorators?.broadcast !== undefined;
  let lengthBits = form.vexL;
  let b = broadcast ? 1 : 0;
  if (req.rounding !== undefined) {
    b = 1;
    lengthBits = req.rounding === 'sae' ? 0 : ROUNDING_BITS[req.rounding];
  }
  out[n++] = 0x62;
  out[n++] =
    (rex & 4 ? 0 : 0x80) |
    (x ? 0 : 0x40) |
    (rex & 1 ? 0 : 0x20) |
    ((regNumber >> 4) & 1 ? 0 : 0x10) |
    form.vexMap;
  out[n++] = (form.vexW << 7) | ((~vvvv & 15) << 3) | 4 | pp;
  out[n++] =
    (decorators?.zeroing ? 0x80 : 0) |
    (lengthBits << 5) |
    (b << 4) |
    (vPrime ? 0 : 8) |
    (decorators?.mask ?? 0);
  return n;
}

function encodeForm(form: InstructionForm, req: InstructionRequest): EncodeResult | typeof DOES_NOT_FIT {
  const bits = req.bits;
  const ops = req.operands;
  let rex = 0;
  let needsRex = false;
  let forbidsRex = false;
  let regField = form.modrm === 8 ? 0 : form.modrm;
  let rmReg: RegisterInfo | undefined;
  let mem: MemoryOperand | undefined;
  /** A memory operand in the vvvv field (see vexMemory below). */
  let vexMemory: MemoryOperand | undefined;
  let opcodeReg = 0;
  let trailingCount = 0;
  let separateIndex: string | undefined;
  let vexRegister = 0;
  const isVex = form.vex !== VexKind.None;
  /** Full register numbers (0-31) of the ModRM.reg and ModRM.rm registers, for EVEX's R' and X. */
  let regNumber = 0;
  let rmNumber = 0;
  let vectorIndex = 0;

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const role = form.roles[i];
    const r = operandRegisters[i];
    if (r !== undefined && role === Role.MemIndex) separateIndex = r.name;
    else if (r !== undefined) {
      // NASM's pinsrb encodes spl..dil as ah..bh numbers, without REX, in every mode.
      const byteRegisterWithoutRex = form.byteRegisterWithoutRex && r.number < 8;
      if (byteRegisterWithoutRex && r.forbidsRex)
        throw new EncodeError('instruction cannot use high registers');
      if (r.needsRex && !byteRegisterWithoutRex) {
        if (bits !== 64) throw new EncodeError(`register '${r.name}' is only available in 64-bit mode`);
        if (r.class === 'gpr') needsRex = true;
      }
      if (r.forbidsRex) forbidsRex = true;
      if (role === Role.RegAndVexRegister || role === Role.RmAndVexRegister) vexRegister = r.number;
      if (role === Role.RegField || role === Role.BothFields || role === Role.RegAndVexRegister) {
        regField = r.number & 7;
        regNumber = r.number;
        if (r.number & 8) rex |= 4;
      }
      if (role === Role.RmField || role === Role.BothFields || role === Role.RmAndVexRegister) {
        rmReg = r;
        rmNumber = r.number;
        if (r.number & 8) rex |= 1;
      } else if (role === Role.OpcodeReg) {
        opcodeReg = r.number & 7;
        if (r.number & 8) rex |= 1;
      } else if (role === Role.VexRegister) vexRegister = r.number;
      else if (role === Role.Is4Register)
        trailing[trailingCount++] = { kind: 'imm', value: { offset: BigInt(r.number << 4) } };
    } else if (op.kind === 'mem') {
      if (role === Role.RmField || role === Role.MemOffset) mem = op;
      else if (role === Role.VexRegister) vexMemory = op;
    } else if (op.kind === 'imm' && role === Role.RmField) {
      mem = { kind: 'mem', scale: 1, displacement: op.value, ripRelative: false };
    } else if (role === Role.Immediate || role === Role.Relative || role === Role.FarPointer)
      trailing[trailingCount++] = op;
  }
  if (separateIndex !== undefined && mem !== undefined) {
    // NASM lets the separate register replace an index written inside the brackets; a stack pointer, which
    // cannot be an index, becomes the base of an address that has none.
    const indexSize = lookupRegister(separateIndex)!.size;
    if (
      (mem.base !== undefined && lookupRegister(mem.base)?.size !== indexSize) ||
      (mem.index !== undefined && lookupRegister(mem.index)?.size !== indexSize)
    )
      throw new EncodeError('impossible combination of address sizes');
    const stackPointer = (lookupRegister(separateIndex)!.number & 15) === 4;
    if (stackPointer && mem.base === undefined)
      mem = { ...mem, base: separateIndex, index: undefined, scale: 1 };
    // written as an index, it stays one whatever the brackets held
    else mem = { ...mem, index: separateIndex, scale: 1, hint: { kind: 'notbase', register: separateIndex } };
  }

  let vexMemoryAddressSize = 0;
  if (vexMemory) {
    const asRegister = memoryAsRegister(vexMemory, bits);
    vexRegister = asRegister.number;
    vexMemoryAddressSize = asRegister.addressSize;
  }

  // Prefixes, in NASM's order: wait, rep/lock family, segment, operand size, address size.
  let n = 0;
  let repByte = 0;
  let lockByte = 0;
  let waitByte = form.wait;
  const segment = mem?.segment ?? vexMemory?.segment;
  let segByte = segment ? SEGMENT_PREFIX[segment] : 0;
  let opsizeOverride = false;
  const dropOperandSize = form.operandSizeOptional && req.optimization === undefined;
  let operandSize = dropOperandSize ? 0 : form.operandSize;
  let addrOverride = false;
  let prefixAddressSize = 0;
  let explicitOperandSize = 0;
  let bnd = false;
  let vex3 = false;
  let vex2 = false;
  if (earlyWarnings.length > 0) earlyWarnings.length = 0;
  for (const p of req.prefixes) {
    const b = PREFIX_BYTES.get(p);
    if (b === undefined) throw new EncodeError(`unknown prefix '${p}'`);
    if (p === 'lock') {
      if (lockByte) earlyWarnings.push(REDUNDANT_PREFIXES);
      lockByte = b;
    } else if (p === 'wait') waitByte = true;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65) {
      if (segByte && segByte !== b) throw new EncodeError(CONFLICTING_PREFIXES);
      if (segByte) earlyWarnings.push(REDUNDANT_PREFIXES);
      segByte = b;
    } else if (p === 'o16' || p === 'o32') {
      const size = p === 'o16' ? 16 : 32;
      if (explicitOperandSize && explicitOperandSize !== size) throw new EncodeError(CONFLICTING_PREFIXES);
      explicitOperandSize = operandSize = size;
    } else if (p === 'o64') {
      if (bits !== 64) throw new EncodeError('o64 is only available in 64-bit mode');
      explicitOperandSize = 64;
      rex |= 8;
    } else if (p === 'a16') {
      if (bits === 64) throw new EncodeError('impossible combination of address sizes');
      prefixAddressSize = 16;
      addrOverride ||= bits !== 16;
    } else if (p === 'a32') {
      prefixAddressSize = 32;
      addrOverride ||= bits !== 32;
    } else if (p === 'osp') opsizeOverride = true;
    else if (p === 'asp') addrOverride = true;
    else if (p === 'a64') {
      if (bits !== 64) throw new EncodeError('a64 is only available in 64-bit mode');
    } else if (p === '{rex}') {
      if (isVex) throw new EncodeError('cannot use {rex} with a VEX or EVEX instruction');
      if (bits !== 64) throw new EncodeError('{rex} is only available in 64-bit mode');
      needsRex = true;
    } else if (p[0] === '{') {
      if (!isVex) throw new EncodeError(`instruction cannot be encoded with ${p}`);
      if (p === '{vex3}') vex3 = true;
      if (p === '{vex2}') vex2 = true;
    } else {
      if (repByte && repByte !== b) throw new EncodeError(CONFLICTING_PREFIXES);
      if (repByte) earlyWarnings.push(REDUNDANT_PREFIXES);
      repByte = b;
      bnd = p === 'bnd';
    }
  }
  // A fixed operand size other than the written one (`o32 movsw`); default-64 forms (`o16 push rax`) may change.
  const fixedOperandSize = form.operandSize !== 0 && !(form.operandSize === 64 && !form.rexW);
  if (explicitOperandSize && fixedOperandSize && explicitOperandSize !== form.operandSize)
    earlyWarnings.push(`invalid operand size prefix, must be o${form.operandSize}`);
  if (form.obsolete) earlyWarnings.push('instruction obsolete and removed from the target CPU');
  if (form.neverImplemented)
    earlyWarnings.push('instruction never implemented and is a noop on the target CPU');
  if (form.repIsMandatory && repByte === form.mandatoryPrefix) repByte = 0;
  if (lockByte && !(form.lockable && ops[0]?.kind === 'mem'))
    earlyWarnings.push('instruction is not lockable');
  for (const hle of req.prefixes) {
    if (hle !== 'xacquire' && hle !== 'xrelease') continue;
    // HLE hints apply to locked read-modify-writes and xchg; xrelease also to a plain store (mov to memory).
    const toMemory = ops[0]?.kind === 'mem';
    const valid =
      toMemory &&
      ((lockByte !== 0 && form.lockable) ||
        req.mnemonic === 'xchg' ||
        (hle === 'xrelease' && req.mnemonic === 'mov'));
    if (!valid) earlyWarnings.push(`${hle} invalid with this instruction`);
  }
  if (bnd && form.fields.length > 0 && form.fields[0].type === 'r' && form.fields[0].size === 1) {
    earlyWarnings.push('jmp short does not init bnd regs - bnd prefix dropped');
    repByte = 0;
  }
  if (bits === 64 && segByte && segByte !== 0x64 && segByte !== 0x65) {
    const name = segByte === 0x26 ? 'es' : segByte === 0x2e ? 'cs' : segByte === 0x36 ? 'ss' : 'ds';
    earlyWarnings.push(`${name} segment base generated, but will be ignored in 64-bit mode`);
  }
  if (form.addressSize !== 0 && form.addressSize !== bits) addrOverride = true;
  if (vexMemoryAddressSize !== 0 && vexMemoryAddressSize !== bits) addrOverride = true;
  // `jmp word x` / `call dword x` outside 64-bit mode: that operand size and a displacement of its width
  const relativeSize = explicitRelativeSize(form, req.operands, bits);
  if (relativeSize) operandSize = relativeSize;
  if (operandSize === 16 && bits !== 16) opsizeOverride = true;
  if (operandSize === 32 && bits === 16) opsizeOverride = true;
  if (form.rexW && !dropOperandSize) rex |= 8;

  let memEnc: MemoryEncoding | undefined;
  let absoluteNotRipRelative = false;
  if (mem && form.modrm >= 0 && form.operands.some((p) => p.kind === PatternKind.VectorIndexMem)) {
    const vsib = encodeVectorIndexMemory(mem, bits, prefixAddressSize);
    memEnc = vsib;
    vectorIndex = vsib.indexNumber;
    rex |= (memEnc.rexX << 1) | memEnc.rexB;
    if (memEnc.addressSize !== bits) addrOverride = true;
  } else if (mem && form.modrm >= 0) {
    // AMX's sibmem, like MPX's mib, takes the address as nasm's split-SIB rules give it
    const splitSib = form.noSplit || form.operands.some((p) => p.kind === PatternKind.SibMem);
    if (mem.ripRelative && isKnownAbsolute(mem.displacement) && req.address.symbol !== undefined) {
      // In an object file a plain number is no section offset: NASM warns and addresses it absolutely.
      mem = { ...mem, ripRelative: false };
      absoluteNotRipRelative = true;
    }
    memEnc = encodeMemory(mem, bits, prefixAddressSize, splitSib);
    rex |= (memEnc.rexX << 1) | memEnc.rexB;
    if (memEnc.addressSize !== bits) addrOverride = true;
    // movdir64b/enqcmd: the register also asks for an address size; NASM 2.16 fails on a 64-bit register
    // with 32-bit addressing in 64-bit mode (it panics), so that is refused here.
    if (bits === 64 && form.addressSize === 64 && memEnc.addressSize !== 64)
      throw new EncodeError('invalid effective address: its size does not match the register');
  } else if (mem) {
    // moffs: the address field has the address size.
    const size = prefixAddressSize || mem.displacementSize || bits;
    if (size !== bits) addrOverride = true;
    memEnc = {
      mod: 0,
      rm: 0,
      sib: -1,
      rexX: 0,
      rexB: 0,
      dispSize: size / 8,
      disp: mem.displacement,
      addressSize: size,
      pcRelative: false,
      signed: false,
    };
  }
  if (memEnc && form.vex === VexKind.Evex && mem) memEnc = compressDisplacement(memEnc, mem, form, req);
  if (memEnc && memEnc.sib < 0 && form.operands.some((p) => p.kind === PatternKind.SibMem))
    memEnc = withSib(memEnc);
  if (form.vex === VexKind.Evex) {
    if (forbidsRex) throw new EncodeError('cannot use high register in AVX instruction');
    if (opsizeOverride || explicitOperandSize || repByte || lockByte || waitByte)
      throw new EncodeError('invalid prefix on an EVEX-encoded instruction');
    if (segByte) out[n++] = segByte;
    if (addrOverride) out[n++] = 0x67;
    const x = memEnc ? memEnc.rexX : (rmNumber >> 4) & 1;
    const vPrime = (vexRegister >> 4) & 1 || (vectorIndex >> 4) & 1;
    n = writeEvexPrefix(n, form, req, rex, regNumber, x, vexRegister, vPrime);
  } else if (isVex) {
    if (forbidsRex) throw new EncodeError('cannot use high register in AVX instruction');
    if (opsizeOverride || explicitOperandSize || repByte || lockByte || waitByte)
      throw new EncodeError('invalid prefix on a VEX-encoded instruction');
    if (segByte) out[n++] = segByte;
    if (addrOverride) out[n++] = 0x67;
    n = writeVexPrefix(n, form, rex | (form.vexW << 3), vexRegister, vex3, vex2);
  } else {
    if (rex !== 0) needsRex = true;
    if (needsRex && forbidsRex) throw new EncodeError("can't use high 8-bit register with a REX prefix");
    n = writeLegacyPrefixes(n, form, waitByte, repByte, lockByte, segByte, opsizeOverride, addrOverride);
    if (needsRex) out[n++] = 0x40 | rex;
  }
  const opcode = form.opcode;
  for (let i = 0; i < opcode.length; i++) out[n++] = opcode[i] + (i === form.opcodeRegByte ? opcodeReg : 0);

  pendingCount = 0;
  if (form.modrm >= 0) {
    if (rmReg) out[n++] = 0xc0 | (regField << 3) | (rmReg.number & 7);
    else if (memEnc) {
      out[n++] = (memEnc.mod << 6) | (regField << 3) | memEnc.rm;
      if (memEnc.sib >= 0) out[n++] = memEnc.sib;
      if (memEnc.dispSize) {
        const kind = memEnc.pcRelative ? FIELD_RIP_DISPLACEMENT : FIELD_DISPLACEMENT;
        n = addPending(
          n,
          memEnc.dispSize,
          kind,
          memEnc.signed,
          memEnc.disp,
          false,
          mem!.displacementSize !== undefined,
        );
      }
    } else if (isVex && form.roles.includes(Role.RegField)) out[n++] = 0xc0 | (regField << 3);
    else throw new EncodeError('invalid combination of opcode and operands');
  } else if (memEnc) n = addPending(n, memEnc.dispSize, FIELD_DISPLACEMENT, false, memEnc.disp);

  let trailingIndex = 0;
  for (const field of form.fields) {
    if (field.type === 'c') {
      out[n++] = field.value!;
      continue;
    }
    const op = trailingIndex < trailingCount ? trailing[trailingIndex++] : undefined;
    if (field.type === 'f') {
      if (op?.kind !== 'farptr') throw new EncodeError('invalid combination of opcode and operands');
      n = addPending(n, (operandSize || defaultOperandSize(bits)) / 8, FIELD_IMMEDIATE, false, op.offset);
      n = addPending(n, 2, FIELD_IMMEDIATE, false, op.segment);
      continue;
    }
    if (op?.kind !== 'imm') throw new EncodeError('invalid combination of opcode and operands');
    const size = field.size || (field.type === 'r' && relativeSize ? relativeSize / 8 : bits === 16 ? 2 : 4);
    const kind = field.type === 'r' ? FIELD_RELATIVE : FIELD_IMMEDIATE;
    n = addPending(n, size, kind, field.signed, op.value, field.unsignedOnly === true, op.size === 8);
  }

  if (absoluteNotRipRelative) earlyWarnings.push('absolute address can not be RIP-relative');
  return fillPendingFields(form, req, n, operandSize);
}

/** The size written on a near branch target (`word`/`dword`), when it chooses the displacement width. */
function explicitRelativeSize(form: InstructionForm, operands: Operand[], bits: number): 16 | 32 | undefined {
  if (bits === 64 || !form.fields.some((f) => f.type === 'r' && !f.size)) return undefined;
  const target = operands.find((op) => op.kind === 'imm');
  return target?.kind === 'imm' && (target.size === 16 || target.size === 32) ? target.size : undefined;
}

/**
 * Writes the displacement, immediate and branch fields of the `length`-byte instruction in `out`: known values
 * (with NASM's overflow warnings), zeros plus a fixup for relocatable ones, zeros for ones not known yet.
 */
function fillPendingFields(
  form: InstructionForm,
  req: InstructionRequest,
  length: number,
  operandSize: number,
): EncodeResult | typeof DOES_NOT_FIT {
  let fixups: Fixup[] | undefined;
  let warnings: string[] | undefined = earlyWarnings.length > 0 ? [...earlyWarnings] : undefined;
  const address = req.address;
  for (let k = 0; k < pendingCount; k++) {
    const pos = pendingPos[k];
    const size = pendingSize[k];
    const kind = pendingKind[k];
    const v = pendingValue[k];
    if (v.unknown) {
      writeLE(pos, 0n, size);
      continue;
    }
    if (kind === FIELD_RELATIVE || kind === FIELD_RIP_DISPLACEMENT) {
      if (v.symbol === address.symbol && !address.unknown) {
        // Section offsets stay far below 2^53, so plain numbers are exact here.
        const distance = Number(v.offset) - Number(address.offset) - length;
        const limit = size === 1 ? 128 : size === 2 ? 32768 : 2147483648;
        if (distance < -limit || distance >= limit) {
          if (size === 1) {
            if (form.hasNearAlternative && !hasExplicitShort(req)) return DOES_NOT_FIT;
            throw new EncodeError('short jump is out of range');
          }
          // nasm truncates a too-far rel32 with its data-overflow warning
          (warnings ??= []).push(
            size === 2 ? 'word displacement exceeds bounds' : 'dword data exceeds bounds',
          );
        }
        writeSmallLE(pos, distance, size);
        continue;
      }
      // A target in another section or an extern: near form with a PC-relative fixup.
      if (size === 1 && form.hasNearAlternative && !hasExplicitShort(req)) return DOES_NOT_FIT;
      writeLE(pos, 0n, size);
      const addend = v.offset - BigInt(length - pos);
      (fixups ??= []).push({
        offset: pos,
        size: size as Fixup['size'],
        pcRelative: true,
        signed: true,
        // an absolute target (`jmp 0x100000`): the output format decides (bin: the distance from the field)
        symbol: v.symbol ?? ABSOLUTE_SYMBOL,
        addend,
        pcAdjust: length - pos,
        ...(v.wrt ? { wrt: v.wrt } : {}),
      });
      continue;
    }
    if (v.symbol !== undefined) {
      writeLE(pos, 0n, size);
      // R_X86_64_32S only where the CPU sign-extends a dword to 64 bits (64-bit addressing or operand size).
      const signed =
        kind === FIELD_DISPLACEMENT ? pendingSigned[k] : pendingSigned[k] && size === 4 && operandSize === 64;
      (fixups ??= []).push({
        offset: pos,
        size: size as Fixup['size'],
        pcRelative: false,
        signed,
        symbol: v.symbol,
        addend: v.offset,
        ...(v.wrt ? { wrt: v.wrt } : {}),
        ...(v.selfRelative ? { selfRelative: true } : {}),
      });
      continue;
    }
    // Displacements: NASM checks byte and 16/32-bit-address fields, not 64-bit addressing's signed dword.
    if (
      kind === FIELD_IMMEDIATE ||
      (kind === FIELD_DISPLACEMENT && !pendingExplicit[k] && (size === 1 || !pendingSigned[k]))
    ) {
      const w = overflowWarning(
        kind,
        v.offset,
        size,
        pendingSigned[k],
        pendingUnsigned[k],
        operandSize,
        pendingExplicit[k],
      );
      if (w) (warnings ??= []).push(...w);
    }
    writeLE(pos, v.offset, size);
  }
  return { ok: true, bytes: out.slice(0, length), fixups: fixups ?? [], warnings: warnings ?? [] };
}
