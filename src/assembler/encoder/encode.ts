/**
 * The generic encoding engine: picks the first table form that matches the operands (and fits, for short
 * branches), then lays out prefixes, REX, opcode, ModRM/SIB/displacement and trailing fields as NASM does.
 */
import { FORMS_BY_MNEMONIC, PatternKind, Role, type InstructionForm, type OperandPattern } from './forms.js';
import { lookupRegister, type RegisterInfo } from './registers.js';
import type { EncodeResult, Fixup, ImmediateOperand, InstructionRequest, MemoryOperand, Operand, Value } from './types.js';

const PREFIX_BYTES: Record<string, number> = {
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
};

const SEGMENT_PREFIX: Record<string, number> = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };

export function isPrefix(name: string): boolean {
  return name in PREFIX_BYTES;
}

export function isMnemonic(name: string): boolean {
  return FORMS_BY_MNEMONIC.has(name);
}

class EncodeError extends Error {}

/** A short branch whose target is out of reach: the caller tries the next (near) form. */
const DOES_NOT_FIT = Symbol('does not fit');

function fail(message: string): EncodeResult {
  return { ok: false, message };
}

const isKnownAbsolute = (v: Value): boolean => v.symbol === undefined && !v.unknown;

function fitsSignedByte(value: bigint, operandSize: number): boolean {
  const v = BigInt.asIntN(operandSize >= 32 ? 32 : operandSize, value);
  return v >= -128n && v <= 127n;
}

function defaultOperandSize(bits: number): number {
  return bits === 16 ? 16 : 32;
}

function matchImmediateSize(op: ImmediateOperand, patternSize: number, form: InstructionForm, bits: number): boolean {
  if (op.distance !== undefined) return false;
  if (op.size === undefined) {
    if (form.stackWidth) return patternSize === (bits === 64 ? 64 : defaultOperandSize(bits));
    return true;
  }
  if (op.size === patternSize) return true;
  return patternSize === 64 && op.size === 32;
}

function matchOperand(p: OperandPattern, op: Operand, r: RegisterInfo | undefined, form: InstructionForm, bits: number): boolean {
  switch (p.kind) {
    case PatternKind.Gpr:
      return r !== undefined && r.class === 'gpr' && r.size === p.size;
    case PatternKind.RegOrMem:
      if (op.kind === 'mem') return !op.far && (op.size === undefined || op.size === p.size);
      return r !== undefined && r.class === 'gpr' && r.size === p.size;
    case PatternKind.Mem:
      return op.kind === 'mem' && !op.far && (op.size === undefined || (p.size !== 0 && op.size === p.size));
    case PatternKind.MemFar:
      return op.kind === 'mem' && op.far === true && (op.size === undefined || op.size === p.size);
    case PatternKind.MemAnySize:
      return op.kind === 'mem' && !op.far;
    case PatternKind.ImmNoSize:
      return op.kind === 'imm' && op.distance === undefined && op.size === undefined && !op.strict;
    case PatternKind.ImmByte:
      return op.kind === 'imm' && op.distance === undefined && (op.size === undefined || op.size === 8);
    case PatternKind.Imm:
      return op.kind === 'imm' && matchImmediateSize(op, p.size, form, bits);
    case PatternKind.SignedByte:
      if (op.kind !== 'imm' || op.distance !== undefined) return false;
      if (op.size === 8) return !form.stackWidth || p.size === (bits === 64 ? 64 : defaultOperandSize(bits));
      if (op.strict) return false;
      if (!matchImmediateSize(op, p.size, form, bits)) return false;
      return isKnownAbsolute(op.value) && fitsSignedByte(op.value.offset, p.size);
    case PatternKind.Unsigned32:
      return (
        op.kind === 'imm' &&
        op.distance === undefined &&
        (op.size === undefined || op.size === 64) &&
        !op.strict &&
        isKnownAbsolute(op.value) &&
        op.value.offset >= 0n &&
        op.value.offset <= 0xffffffffn
      );
    case PatternKind.Signed32:
      if (op.kind !== 'imm' || op.distance !== undefined) return false;
      if (op.size === 32) return true;
      return (
        op.size === undefined &&
        !op.strict &&
        isKnownAbsolute(op.value) &&
        op.value.offset >= -0x80000000n &&
        op.value.offset <= 0x7fffffffn
      );
    case PatternKind.One:
      return (
        op.kind === 'imm' &&
        op.distance === undefined &&
        !op.strict &&
        op.size === undefined &&
        isKnownAbsolute(op.value) &&
        op.value.offset === 1n
      );
    case PatternKind.Rel8:
      // NASM refuses `short` on loop/jcxz, whose only form is short.
      return op.kind === 'imm' && (op.distance === undefined || (op.distance === 'short' && form.hasNearAlternative));
    case PatternKind.Rel:
      return op.kind === 'imm' && (op.distance === undefined || op.distance === 'near');
    case PatternKind.FarPointer:
      return op.kind === 'farptr';
    case PatternKind.MemOffset:
      return (
        op.kind === 'mem' &&
        !op.far &&
        op.base === undefined &&
        op.index === undefined &&
        !op.ripRelative &&
        (op.size === undefined || op.size === p.size) &&
        (bits === 64 ? op.displacementSize === 64 : op.displacementSize === undefined)
      );
    case PatternKind.Segment:
      return r?.class === 'segment';
    case PatternKind.Control:
      return r?.class === 'control';
    case PatternKind.Debug:
      return r?.class === 'debug';
    case PatternKind.Test:
      return r?.class === 'test';
    case PatternKind.Xmm:
      return r !== undefined && r.class === 'xmm' && r.number < 16;
    case PatternKind.XmmOrMem:
      if (op.kind === 'mem') return !op.far && (op.size === undefined || (p.size !== 0 && op.size === p.size));
      return r !== undefined && r.class === 'xmm' && r.number < 16;
    case PatternKind.Mmx:
      return r?.class === 'mmx';
    case PatternKind.MmxOrMem:
      if (op.kind === 'mem') return !op.far && (op.size === undefined || (p.size !== 0 && op.size === p.size));
      return r?.class === 'mmx';
    case PatternKind.Fixed:
      return op.kind === 'reg' && op.name === p.register;
  }
}

function validInMode(form: InstructionForm, bits: number): boolean {
  return bits === 64 ? !form.noLong : !form.longOnly;
}

/** Register info of the current request's operands, resolved once per `encodeInstruction` call. */
const operandRegisters: (RegisterInfo | undefined)[] = [];

function matches(form: InstructionForm, req: InstructionRequest): boolean {
  const ops = req.operands;
  if (form.operands.length !== ops.length) return false;
  for (let i = 0; i < ops.length; i++) if (!matchOperand(form.operands[i], ops[i], operandRegisters[i], form, req.bits)) return false;
  return true;
}

/** Size of the unsized memory operand that the form fixes, or 0 if the form does not decide a size. */
function inferredMemorySize(form: InstructionForm, req: InstructionRequest): number {
  for (let i = 0; i < req.operands.length; i++) {
    const op = req.operands[i];
    if (op.kind !== 'mem' || op.size !== undefined) continue;
    const p = form.operands[i];
    if (p.size === 0) continue;
    if (
      p.kind === PatternKind.RegOrMem ||
      p.kind === PatternKind.Mem ||
      p.kind === PatternKind.XmmOrMem ||
      p.kind === PatternKind.MmxOrMem ||
      p.kind === PatternKind.MemOffset ||
      p.kind === PatternKind.MemFar
    )
      return p.size;
  }
  return 0;
}

/** Size keyword of an immediate that the form treats as operation-sized (not a shift count), or 0. */
function operationImmediateSize(form: InstructionForm, req: InstructionRequest): number {
  for (let i = 0; i < req.operands.length; i++) {
    const op = req.operands[i];
    const kind = form.operands[i].kind;
    if (op.kind === 'imm' && op.size !== undefined && (kind === PatternKind.Imm || kind === PatternKind.SignedByte)) return op.size;
  }
  return 0;
}

function isModeDefaultSize(form: InstructionForm, bits: number): boolean {
  return form.operandSize === 0 || form.operandSize === (bits === 64 ? 64 : defaultOperandSize(bits));
}

/** NASM refuses `inc [rax]`: the forms that match disagree on the memory size and none is the default. */
function resolveUnsizedMemory(forms: InstructionForm[], first: number, req: InstructionRequest): InstructionForm | string {
  const form = forms[first];
  const size = inferredMemorySize(form, req);
  if (size === 0 || form.memorySizedByRegister) return form;
  // NASM never lets a qword immediate size a memory operand: `add [rax], qword 5` is refused.
  if (operationImmediateSize(form, req) === 64 && !req.operands.some((o) => o.kind === 'reg')) return 'operation size not specified';
  let ambiguous = false;
  for (let i = first + 1; i < forms.length && !ambiguous; i++) {
    const other = forms[i];
    if (validInMode(other, req.bits) && matches(other, req) && inferredMemorySize(other, req) !== size) ambiguous = true;
  }
  if (!ambiguous) return form;
  // A size keyword on the operation's immediate sizes the memory operand: `add [rax], byte 5`.
  const immSize = operationImmediateSize(form, req);
  if (immSize !== 0) {
    for (let i = first; i < forms.length; i++) {
      const f = forms[i];
      if (validInMode(f, req.bits) && matches(f, req) && inferredMemorySize(f, req) === immSize && operationImmediateSize(f, req) === immSize)
        return f;
    }
  }
  for (let i = first; i < forms.length; i++) {
    const f = forms[i];
    if (f.sizeOptional && validInMode(f, req.bits) && isModeDefaultSize(f, req.bits) && matches(f, req)) return f;
  }
  return 'operation size not specified';
}

export function encodeInstruction(req: InstructionRequest): EncodeResult {
  const forms = FORMS_BY_MNEMONIC.get(req.mnemonic);
  if (!forms) return fail(`unknown instruction '${req.mnemonic}'`);
  operandRegisters.length = req.operands.length;
  for (let i = 0; i < req.operands.length; i++) {
    const op = req.operands[i];
    operandRegisters[i] = op.kind === 'reg' ? lookupRegister(op.name) : undefined;
    if (op.kind === 'reg' && !operandRegisters[i]) return fail(`unknown register '${op.name}'`);
  }
  let wrongMode = false;
  for (let i = 0; i < forms.length; i++) {
    let form = forms[i];
    if (!matches(form, req)) continue;
    if (!validInMode(form, req.bits)) {
      wrongMode = true;
      continue;
    }
    const resolved = resolveUnsizedMemory(forms, i, req);
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

// ---- layout -------------------------------------------------------------------------------------------

interface MemoryEncoding {
  mod: number;
  rm: number;
  sib: number; // -1 when absent
  rexX: number;
  rexB: number;
  dispSize: number;
  disp: Value;
  addressSize: number;
  pcRelative: boolean;
  /** Fixup of a relocatable displacement is sign-extended (64-bit addressing). */
  signed: boolean;
}

function registerOf(name: string): RegisterInfo {
  const r = lookupRegister(name);
  if (!r) throw new EncodeError(`unknown register '${name}'`);
  return r;
}

const BASE_INDEX_16: Record<string, number> = {
  'bx+si': 0,
  'bx+di': 1,
  'bp+si': 2,
  'bp+di': 3,
  si: 4,
  di: 5,
  bp: 6,
  bx: 7,
};

function addressSizeOf(mem: MemoryOperand, bits: number): number {
  const reg = mem.base ?? mem.index;
  if (reg) {
    const r = registerOf(reg);
    if (r.class !== 'gpr' || r.size === 8) throw new EncodeError(`invalid effective address: '${reg}' cannot be used in an address`);
    return r.size;
  }
  if (mem.displacementSize === 16 || mem.displacementSize === 32 || mem.displacementSize === 64)
    return bits === 64 && mem.displacementSize === 32 ? 64 : mem.displacementSize;
  return bits;
}

function encodeMemory16(mem: MemoryOperand, bits: number): MemoryEncoding {
  if (bits === 64) throw new EncodeError('impossible combination of address sizes');
  const regs = [mem.base, mem.index].filter((r): r is string => r !== undefined);
  if (mem.index !== undefined && mem.scale !== 1) throw new EncodeError('invalid effective address: 16-bit addressing has no scale');
  let key: string;
  if (regs.length === 2) {
    const [a, b] = regs;
    key = a === 'bx' || a === 'bp' ? `${a}+${b}` : `${b}+${a}`;
  } else key = regs[0] ?? '';
  const disp = mem.displacement;
  const enc: MemoryEncoding = { mod: 0, rm: 6, sib: -1, rexX: 0, rexB: 0, dispSize: 2, disp, addressSize: 16, pcRelative: false, signed: false };
  if (key === '') return enc;
  const rm = BASE_INDEX_16[key];
  if (rm === undefined) throw new EncodeError('invalid 16-bit effective address');
  enc.rm = rm;
  enc.dispSize = displacementSize(mem, disp, 16, rm === 6);
  enc.mod = enc.dispSize === 0 ? 0 : enc.dispSize === 1 ? 1 : 2;
  return enc;
}

/** 0, 1 or the full size (2 or 4) for a based address. */
function displacementSize(mem: MemoryOperand, disp: Value, addressSize: number, baseNeedsDisp: boolean): number {
  const full = addressSize === 16 ? 2 : 4;
  if (mem.displacementSize === 8) return 1;
  if (mem.displacementSize !== undefined) return full;
  if (!isKnownAbsolute(disp)) return full;
  const v = BigInt.asIntN(addressSize === 16 ? 16 : 32, disp.offset);
  if (v === 0n && !baseNeedsDisp) return 0;
  if (v >= -128n && v <= 127n) return 1;
  return full;
}

function encodeMemory(mem: MemoryOperand, bits: number): MemoryEncoding {
  const addressSize = addressSizeOf(mem, bits);
  if (addressSize === 64 && bits !== 64) throw new EncodeError('64-bit addressing is only available in 64-bit mode');
  if (addressSize === 16) return encodeMemory16(mem, bits);
  const disp = mem.displacement;
  if (mem.ripRelative) {
    if (bits !== 64) throw new EncodeError('RIP-relative addressing is only available in 64-bit mode');
    if (mem.base !== undefined || mem.index !== undefined)
      throw new EncodeError('invalid effective address: RIP-relative address with a register');
    return { mod: 0, rm: 5, sib: -1, rexX: 0, rexB: 0, dispSize: 4, disp, addressSize, pcRelative: true, signed: true };
  }
  let base = mem.base ? registerOf(mem.base) : undefined;
  let index = mem.index ? registerOf(mem.index) : undefined;
  let scale = index ? mem.scale : 1;
  for (const r of [base, index]) {
    if (r && r.size !== addressSize) throw new EncodeError('invalid effective address: mixed address sizes');
    if (r && r.needsRex && bits !== 64) throw new EncodeError(`register '${r.name}' is only available in 64-bit mode`);
  }
  if (index && !base && !mem.nosplit) {
    if (scale === 1) [base, index] = [index, undefined];
    else if (scale === 2 || scale === 3 || scale === 5 || scale === 9) {
      base = index;
      scale -= 1;
    }
  }
  if (index && scale === 1 && index.number === 4 && base && base.number !== 4) [base, index] = [index, base];
  if (index && index.number === 4) throw new EncodeError('invalid effective address: the stack pointer cannot be an index');
  if (index && scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8) throw new EncodeError('invalid effective address: scale must be 1, 2, 4 or 8');
  const scaleBits = scale === 8 ? 3 : scale === 4 ? 2 : scale === 2 ? 1 : 0;
  const signed = addressSize === 64;
  const enc: MemoryEncoding = { mod: 0, rm: 0, sib: -1, rexX: 0, rexB: 0, dispSize: 4, disp, addressSize, pcRelative: false, signed };
  if (!base) {
    if (index) {
      enc.rm = 4;
      enc.sib = (scaleBits << 6) | ((index.number & 7) << 3) | 5;
      enc.rexX = index.number >> 3;
    } else if (bits === 64) {
      enc.rm = 4;
      enc.sib = 0x25;
    } else enc.rm = 5;
    return enc;
  }
  enc.dispSize = displacementSize(mem, disp, addressSize, (base.number & 7) === 5);
  enc.mod = enc.dispSize === 0 ? 0 : enc.dispSize === 1 ? 1 : 2;
  enc.rexB = base.number >> 3;
  if (index || (base.number & 7) === 4) {
    enc.rm = 4;
    const indexBits = index ? index.number & 7 : 4;
    enc.sib = (scaleBits << 6) | (indexBits << 3) | (base.number & 7);
    enc.rexX = index ? index.number >> 3 : 0;
  } else enc.rm = base.number & 7;
  return enc;
}

// Scratch buffer for one instruction (max 15 bytes, but far pointers and moffs64 can make longer tables).
const out = new Uint8Array(32);

function writeLE(pos: number, value: bigint, size: number): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[pos + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function rangeWarning(value: bigint, size: number, signed: boolean): string | undefined {
  const bitsN = BigInt(size * 8);
  const min = -(1n << (bitsN - 1n));
  const max = signed ? (1n << (bitsN - 1n)) - 1n : (1n << bitsN) - 1n;
  if (value >= min && value <= max) return undefined;
  const name = size === 1 ? 'byte' : size === 2 ? 'word' : size === 4 ? 'dword' : 'qword';
  return `${signed && size === 4 ? 'signed ' : ''}${name} ${size === 1 ? 'data' : 'value'} exceeds bounds`;
}

interface Pending {
  pos: number;
  size: number;
  value: Value;
  kind: 'imm' | 'rel' | 'disp-rip' | 'disp';
  signed: boolean;
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
  let opcodeReg = 0;
  const immediates: Operand[] = [];

  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const role = form.roles[i];
    if (op.kind === 'reg') {
      const r = registerOf(op.name);
      if (r.needsRex) {
        if (bits !== 64) throw new EncodeError(`register '${r.name}' is only available in 64-bit mode`);
        if (r.class === 'gpr') needsRex = true;
      }
      if (r.forbidsRex) forbidsRex = true;
      if (role === Role.RegField) {
        regField = r.number & 7;
        if (r.number & 8) rex |= 4;
      } else if (role === Role.RmField) rmReg = r;
      else if (role === Role.BothFields) {
        rmReg = r;
        regField = r.number & 7;
        if (r.number & 8) rex |= 4;
      }
      else if (role === Role.OpcodeReg) {
        opcodeReg = r.number & 7;
        if (r.number & 8) rex |= 1;
      }
    } else if (op.kind === 'mem') {
      if (role === Role.RmField || role === Role.MemOffset) mem = op;
    } else if (role === Role.Immediate || role === Role.Relative || role === Role.FarPointer) immediates.push(op);
  }

  // Prefixes, in NASM's order: wait, rep/lock family, segment, operand size, address size.
  let n = 0;
  let repByte = 0;
  let lockByte = 0;
  let waitByte = false;
  let segByte = mem?.segment ? SEGMENT_PREFIX[mem.segment] : 0;
  let opsizeOverride = false;
  let operandSize = form.operandSize;
  let addrOverride = false;
  let explicitRexW = false;
  for (const p of req.prefixes) {
    const b = PREFIX_BYTES[p];
    if (b === undefined) throw new EncodeError(`unknown prefix '${p}'`);
    if (p === 'lock') lockByte = b;
    else if (p === 'wait') waitByte = true;
    else if (b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65) segByte = b;
    else if (p === 'o16') operandSize = 16;
    else if (p === 'o32') operandSize = 32;
    else if (p === 'o64') {
      if (bits !== 64) throw new EncodeError('o64 is only available in 64-bit mode');
      explicitRexW = true;
    } else if (p === 'a16') {
      if (bits === 64) throw new EncodeError('impossible combination of address sizes');
      addrOverride ||= bits !== 16;
    }
    else if (p === 'a32') addrOverride ||= bits !== 32;
    else if (p === 'a64') {
      if (bits !== 64) throw new EncodeError('a64 is only available in 64-bit mode');
    } else repByte = b;
  }
  if (form.addressSize !== 0 && form.addressSize !== bits) addrOverride = true;
  if (operandSize === 16 && bits !== 16) opsizeOverride = true;
  if (operandSize === 32 && bits === 16) opsizeOverride = true;
  if (form.rexW || explicitRexW) rex |= 8;

  let memEnc: MemoryEncoding | undefined;
  if (mem && form.modrm >= 0) {
    memEnc = encodeMemory(mem, bits);
    rex |= (memEnc.rexX << 1) | memEnc.rexB;
    if (memEnc.addressSize !== (bits === 64 ? 64 : bits)) addrOverride = true;
  } else if (mem) {
    // moffs: the address field has the address size.
    const size = mem.displacementSize === 64 ? 64 : bits;
    memEnc = { mod: 0, rm: 0, sib: -1, rexX: 0, rexB: 0, dispSize: size / 8, disp: mem.displacement, addressSize: size, pcRelative: false, signed: false };
  }
  if (rmReg) {
    if (rmReg.number & 8) rex |= 1;
  }
  if (rex !== 0) needsRex = true;
  if (needsRex && forbidsRex) throw new EncodeError("can't use high 8-bit register with a REX prefix");

  if (waitByte) out[n++] = 0x9b;
  if (repByte) out[n++] = repByte;
  if (lockByte) out[n++] = lockByte;
  if (segByte) out[n++] = segByte;
  if (opsizeOverride) out[n++] = 0x66;
  if (addrOverride) out[n++] = 0x67;
  if (form.mandatoryPrefix) out[n++] = form.mandatoryPrefix;
  if (needsRex) out[n++] = 0x40 | rex;
  for (let i = 0; i < form.opcode.length; i++) out[n++] = form.opcode[i] + (i === form.opcodeRegByte ? opcodeReg : 0);

  const pending: Pending[] = [];
  if (form.modrm >= 0) {
    if (rmReg) out[n++] = 0xc0 | (regField << 3) | (rmReg.number & 7);
    else if (memEnc) {
      out[n++] = (memEnc.mod << 6) | (regField << 3) | memEnc.rm;
      if (memEnc.sib >= 0) out[n++] = memEnc.sib;
      if (memEnc.dispSize) {
        pending.push({ pos: n, size: memEnc.dispSize, value: memEnc.disp, kind: memEnc.pcRelative ? 'disp-rip' : 'disp', signed: memEnc.signed });
        n += memEnc.dispSize;
      }
    } else throw new EncodeError('invalid combination of opcode and operands');
  } else if (memEnc) {
    pending.push({ pos: n, size: memEnc.dispSize, value: memEnc.disp, kind: 'disp', signed: false });
    n += memEnc.dispSize;
  }

  let immIndex = 0;
  for (const field of form.fields) {
    const op = immediates[immIndex++];
    if (!op) throw new EncodeError('invalid combination of opcode and operands');
    if (field.type === 'f') {
      if (op.kind !== 'farptr') throw new EncodeError('invalid combination of opcode and operands');
      const offSize = (form.operandSize || defaultOperandSize(bits)) / 8;
      pending.push({ pos: n, size: offSize, value: op.offset, kind: 'imm', signed: false });
      n += offSize;
      pending.push({ pos: n, size: 2, value: op.segment, kind: 'imm', signed: false });
      n += 2;
      continue;
    }
    if (op.kind !== 'imm') throw new EncodeError('invalid combination of opcode and operands');
    const size = field.size || (field.type === 'r' ? (bits === 16 ? 2 : 4) : 4);
    pending.push({ pos: n, size, value: op.value, kind: field.type === 'r' ? 'rel' : 'imm', signed: field.signed });
    n += size;
  }

  const fixups: Fixup[] = [];
  const warnings: string[] = [];
  const address = req.address;
  for (const f of pending) {
    const v = f.value;
    if (f.kind === 'rel' || f.kind === 'disp-rip') {
      const sameBase = v.symbol === address.symbol && !v.unknown && !address.unknown;
      if (v.unknown) {
        writeLE(f.pos, 0n, f.size);
        continue;
      }
      if (sameBase) {
        const disp = v.offset - (address.offset + BigInt(n));
        const limit = 1n << BigInt(f.size * 8 - 1);
        if (disp < -limit || disp >= limit) {
          if (f.size === 1) {
            const short = req.operands.some((o) => o.kind === 'imm' && o.distance === 'short');
            if (form.hasNearAlternative && !short) return DOES_NOT_FIT;
            throw new EncodeError('short jump is out of range');
          }
          if (f.size === 2) warnings.push('word displacement exceeds bounds');
          else throw new EncodeError('relative displacement exceeds bounds');
        }
        writeLE(f.pos, disp, f.size);
        continue;
      }
      if (f.size === 1 && form.hasNearAlternative && !req.operands.some((o) => o.kind === 'imm' && o.distance === 'short'))
        return DOES_NOT_FIT;
      if (v.symbol === undefined) throw new EncodeError('relative reference to an absolute address in a relocatable section');
      writeLE(f.pos, 0n, f.size);
      fixups.push({ offset: f.pos, size: f.size as Fixup['size'], pcRelative: true, signed: true, symbol: v.symbol, addend: v.offset - BigInt(n - f.pos), ...(v.wrt ? { wrt: v.wrt } : {}) });
      continue;
    }
    if (v.unknown) {
      writeLE(f.pos, 0n, f.size);
      continue;
    }
    if (v.symbol !== undefined) {
      writeLE(f.pos, 0n, f.size);
      const signed = f.kind === 'disp' ? f.signed : f.signed && f.size < 8;
      fixups.push({ offset: f.pos, size: f.size as Fixup['size'], pcRelative: false, signed, symbol: v.symbol, addend: v.offset, ...(v.wrt ? { wrt: v.wrt } : {}) });
      continue;
    }
    if (f.kind === 'imm') {
      const w = rangeWarning(v.offset, f.size, f.signed && f.size === 4 && form.operandSize === 64);
      if (w) warnings.push(w);
    }
    writeLE(f.pos, v.offset, f.size);
  }
  return { ok: true, bytes: out.slice(0, n), fixups, warnings };
}
