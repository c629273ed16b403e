/**
 * Choosing the table form for a request: operand patterns, mode validity, and NASM's rules for memory operands
 * written without a size keyword.
 */
import { PatternKind, VexKind, type InstructionForm, type OperandPattern } from './forms.js';
import { lookupRegister, type RegisterInfo } from './registers.js';
import { defaultOperandSize, isKnownAbsolute, wrapSigned } from './shared.js';
import type { ImmediateOperand, InstructionRequest, MemoryOperand, Operand } from './types.js';

/** NASM truncates to the operation size (at most a dword) first: `add eax, 0xffffffff` is `83 c0 ff`. */
function fitsSignedByte(value: bigint, operandSize: number): boolean {
  const v = wrapSigned(value, operandSize >= 32 ? 32 : 16);
  return v >= -128 && v <= 127;
}

/** Whether an immediate's size keyword (or its absence) fits a pattern for a `patternSize`-bit operation. */
function matchImmediateSize(
  op: ImmediateOperand,
  patternSize: number,
  form: InstructionForm,
  bits: number,
): boolean {
  if (op.distance !== undefined) return false;
  if (op.size === undefined) {
    if (form.stackWidth) return patternSize === (bits === 64 ? 64 : defaultOperandSize(bits));
    return true;
  }
  if (op.size === patternSize) return true;
  return patternSize === 64 && op.size === 32 && form.dwordImmediate64;
}

function matchOperand(
  p: OperandPattern,
  op: Operand,
  r: RegisterInfo | undefined,
  form: InstructionForm,
  req: InstructionRequest,
): boolean {
  const bits = req.bits;
  switch (p.kind) {
    case PatternKind.Gpr:
      return r !== undefined && r.class === 'gpr' && r.size === p.size;
    case PatternKind.RegOrMem:
      if (op.kind === 'mem')
        return !op.far && (op.size === undefined ? !form.sizeRequired : op.size === p.size);
      return r !== undefined && r.class === 'gpr' && r.size === p.size;
    case PatternKind.Mem:
      // `sized`: unsized memory only as a broadcast (the EVEX narrowing conversions: `vcvtpd2dq xmm16, [rax]`)
      return (
        op.kind === 'mem' &&
        !op.far &&
        (op.decorators?.broadcast !== undefined
          ? vectorMemory(op, p, form)
          : op.size === undefined
            ? !form.sizeRequired
            : p.size !== 0 && op.size === p.size)
      );
    case PatternKind.MemFar:
      return op.kind === 'mem' && op.far === true && (op.size === undefined || op.size === p.size);
    case PatternKind.MemAnySize:
      return op.kind === 'mem' && !op.far;
    case PatternKind.ImmAsMem:
      return op.kind === 'imm' && op.distance === undefined;
    case PatternKind.ImmNoSize:
      return op.kind === 'imm' && op.distance === undefined && op.size === undefined && !op.strict;
    case PatternKind.ImmByte:
      return op.kind === 'imm' && op.distance === undefined && (op.size === undefined || op.size === 8);
    case PatternKind.Imm:
      return op.kind === 'imm' && matchImmediateSize(op, p.size, form, bits);
    case PatternKind.SignedByte:
      if (op.kind !== 'imm' || op.distance !== undefined) return false;
      if (op.size === 8) return !form.stackWidth || p.size === (bits === 64 ? 64 : defaultOperandSize(bits));
      if (op.strict || req.optimization === 'O0') return false;
      if (!matchImmediateSize(op, p.size, form, bits)) return false;
      // a value not known yet takes the sign-extended byte form, as nasm's -O1/-Ox (its first guess is 0)
      if (op.value.unknown) return true;
      return isKnownAbsolute(op.value) && fitsSignedByte(op.value.offset, p.size);
    case PatternKind.Unsigned32:
      return (
        req.optimization === undefined &&
        op.kind === 'imm' &&
        op.distance === undefined &&
        (op.size === undefined || op.size === 64) &&
        !op.strict &&
        // not known yet: nasm's first guess is 0, which fits (so a forward `mov rdi, later` starts as 5 bytes)
        (op.value.unknown ||
          (isKnownAbsolute(op.value) &&
            BigInt.asIntN(64, op.value.offset) >= 0n &&
            BigInt.asIntN(64, op.value.offset) <= 0xffffffffn))
      );
    case PatternKind.Signed32:
      if (op.kind !== 'imm' || op.distance !== undefined) return false;
      if (op.size === 32) return true;
      return (
        req.optimization === undefined &&
        op.size === undefined &&
        !op.strict &&
        (op.value.unknown ||
          (isKnownAbsolute(op.value) &&
            BigInt.asIntN(64, op.value.offset) >= -0x80000000n &&
            BigInt.asIntN(64, op.value.offset) <= 0x7fffffffn))
      );
    case PatternKind.One:
      return (
        op.kind === 'imm' &&
        op.distance === undefined &&
        !op.strict &&
        op.size === undefined &&
        // a count not known yet takes the short `shl eax, 1` form at -O1/-Ox, as nasm's first pass does
        ((op.value.unknown && req.optimization !== 'O0') ||
          (isKnownAbsolute(op.value) && op.value.offset === 1n))
      );
    case PatternKind.Rel8:
      // a target measured from here already (`jmp 5-x`, `jmp y-$$`): nasm's "invalid use of self-relative"
      if (op.kind !== 'imm' || op.value.selfRelative) return false;
      // NASM refuses `short` on loop/jcxz, whose only form is short.
      if (!form.hasNearAlternative) return op.distance === undefined;
      if (op.distance !== undefined) return op.distance === 'short';
      // a size on the target (`jmp word x`) asks for the near form of that width; `jmp strict x` is near
      if (op.size === 16 || op.size === 32 || op.strict) return false;
      // Without a distance: short if it fits at -Ox; -O0 still tries short for jcc but not jmp; -O1 never.
      return req.optimization === undefined || (req.optimization === 'O0' && form.mnemonic !== 'jmp');
    case PatternKind.Rel:
      return (
        op.kind === 'imm' && !op.value.selfRelative && (op.distance === undefined || op.distance === 'near')
      );
    case PatternKind.FarPointer:
      return (
        op.kind === 'farptr' &&
        (op.size === undefined ? p.size === defaultOperandSize(bits) : op.size === p.size)
      );
    case PatternKind.MemOffset:
      // With an HLE hint NASM uses the ModRM form of mov (`xrelease mov [sym], eax` is 89 05).
      return (
        !req.prefixes.some((x) => x === 'xacquire' || x === 'xrelease') &&
        op.kind === 'mem' &&
        !op.far &&
        op.base === undefined &&
        op.index === undefined &&
        !op.ripRelative &&
        (op.size === undefined || op.size === p.size) &&
        // `[word foo]` / `[dword foo]` in 16/32-bit code give the moffs field's (address) size
        // in 64-bit code `[qword foo]`, or an `a32` address (its dword field) without a qword size
        (bits === 64
          ? req.prefixes.includes('a32')
            ? op.displacementSize === undefined || op.displacementSize === 32
            : op.displacementSize === 64
          : op.displacementSize === undefined || op.displacementSize === 16 || op.displacementSize === 32)
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
      return r !== undefined && r.class === 'xmm' && r.number < vectorLimit(form);
    case PatternKind.XmmOrMem:
      if (op.kind === 'mem') return vectorMemory(op, p, form);
      return r !== undefined && r.class === 'xmm' && r.number < vectorLimit(form);
    case PatternKind.Ymm:
      return r !== undefined && r.class === 'ymm' && r.number < vectorLimit(form);
    case PatternKind.YmmOrMem:
      if (op.kind === 'mem') return vectorMemory(op, p, form);
      return r !== undefined && r.class === 'ymm' && r.number < vectorLimit(form);
    case PatternKind.Zmm:
      return r !== undefined && r.class === 'zmm' && r.number < vectorLimit(form);
    case PatternKind.ZmmOrMem:
      if (op.kind === 'mem') return vectorMemory(op, p, form);
      return r !== undefined && r.class === 'zmm' && r.number < vectorLimit(form);
    case PatternKind.Mask:
      return r?.class === 'mask';
    case PatternKind.Tile:
      return r?.class === 'tile';
    case PatternKind.SibMem:
      return op.kind === 'mem' && !op.far && !op.ripRelative;
    case PatternKind.MaskOrMem:
      if (op.kind === 'mem')
        return !op.far && (op.size === undefined || (p.size !== 0 && op.size === p.size));
      return r?.class === 'mask';
    case PatternKind.VectorIndexMem:
      return op.kind === 'mem' && !op.far && vectorIndexSize(op) === p.size;
    case PatternKind.Mmx:
      return r?.class === 'mmx';
    case PatternKind.MmxOrMem:
      if (op.kind === 'mem')
        return !op.far && (op.size === undefined || (p.size !== 0 && op.size === p.size));
      return r?.class === 'mmx';
    case PatternKind.Fixed:
      return op.kind === 'reg' && op.name === p.register && !op.to;
    case PatternKind.Fpu:
      return r?.class === 'x87' && op.kind === 'reg' && !op.to;
    case PatternKind.FpuTo:
      return r?.class === 'x87' && op.kind === 'reg' && op.to === true;
    case PatternKind.Bound:
      return r?.class === 'bound';
    case PatternKind.BoundOrMem:
      if (op.kind === 'mem') return !op.far && op.size === undefined;
      return r?.class === 'bound';
  }
}

/** xmm16-31 and ymm16-31 exist only in EVEX forms. */
function vectorLimit(form: InstructionForm): number {
  return form.vex === VexKind.Evex && !form.lowRegisters ? 32 : 16;
}

/** A memory operand of a vector pattern: its size keyword, or with `{1toN}` the broadcast element's. */
function vectorMemory(op: MemoryOperand, p: OperandPattern, form: InstructionForm): boolean {
  if (op.far) return false;
  const broadcast = op.decorators?.broadcast;
  if (broadcast !== undefined) {
    // the memory operand's width: half the vector for widening conversions (`vcvtps2pd zmm, [m]{1to8}`)
    if (form.broadcast === 0 || broadcast * form.broadcast !== (p.size || vectorBits(form))) return false;
    return op.size === undefined || op.size === form.broadcast;
  }
  return (
    op.size === undefined || (p.size !== 0 && op.size === p.size) || (op.size === 16 && p.wordMemory === true)
  );
}

/** The vector length of an EVEX/VEX form in bits. */
export function vectorBits(form: InstructionForm): number {
  return 128 << form.vexL;
}

/** Whether the operands' decorators and the rounding operand fit the form. */
function decoratorsFit(form: InstructionForm, req: InstructionRequest): boolean {
  const ops = req.operands;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (op.kind !== 'reg' && op.kind !== 'mem') continue;
    const d = op.decorators;
    if (d === undefined) continue;
    if (form.vex !== VexKind.Evex) return false;
    if (d.mask !== undefined && !(i === 0 && form.maskable)) return false;
    // `zreg`: nasm refuses `{z}` on these forms' memory destination (and takes it on vmovdqa32's)
    if (d.zeroing && !(i === 0 && form.zeroable && (op.kind === 'reg' || !form.zeroRegisterOnly)))
      return false;
    if (d.broadcast !== undefined && form.broadcast === 0) return false;
  }
  if (req.rounding !== undefined) {
    // nasm takes the four rounding modes on `er` forms and only `{sae}` on `sae` forms.
    if (form.rounding === '' || (form.rounding === 'sae') !== (req.rounding === 'sae')) return false;
    // Rounding reuses the vector-length bits: only 512-bit packed and scalar forms have it.
    if (form.packed && form.vexL !== 2) return false;
    if (ops.some((o) => o.kind === 'mem')) return false;
  }
  return true;
}

/** Size of the vector register in a VSIB address (128 for xmm, 256 for ymm, 512 for zmm), 0 if none. */
function vectorIndexSize(op: MemoryOperand): number {
  for (const name of [op.index, op.base]) {
    if (name === undefined) continue;
    const r = lookupRegister(name);
    if (r && (r.class === 'xmm' || r.class === 'ymm' || r.class === 'zmm')) return r.size;
  }
  return 0;
}

function hasDecorators(op: Operand): boolean {
  return (op.kind === 'reg' || op.kind === 'mem') && op.decorators !== undefined;
}

export function validInMode(form: InstructionForm, bits: number): boolean {
  return bits === 64 ? !form.noLong : !form.longOnly;
}

/** Register info of the current request's operands, resolved once per `encodeInstruction` call. */
/** Whether every operand fits the form's pattern; `registers[i]` is operand i's register info, if a register. */
export function matches(
  form: InstructionForm,
  req: InstructionRequest,
  registers: (RegisterInfo | undefined)[],
): boolean {
  const ops = req.operands;
  if (form.operands.length !== ops.length) return false;
  for (let i = 0; i < ops.length; i++) {
    if (!matchOperand(form.operands[i], ops[i], registers[i], form, req)) return false;
    const set = ops[i].kind === 'reg' ? (ops[i] as { registerSet?: number }).registerSet : undefined;
    if (set !== undefined && set !== 0 && !(form.registerSet && i === 1 && set === 3)) return false;
  }
  if (form.vex === VexKind.None) {
    if (req.rounding !== undefined) return false;
    for (let i = 0; i < ops.length; i++) if (hasDecorators(ops[i])) return false;
    return true;
  }
  return decoratorsFit(form, req);
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
      p.kind === PatternKind.YmmOrMem ||
      p.kind === PatternKind.ZmmOrMem ||
      p.kind === PatternKind.MaskOrMem ||
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
    if (
      op.kind === 'imm' &&
      op.size !== undefined &&
      (kind === PatternKind.Imm || kind === PatternKind.SignedByte)
    )
      return op.size;
  }
  return 0;
}

function isModeDefaultSize(form: InstructionForm, bits: number): boolean {
  return form.operandSize === 0 || form.operandSize === (bits === 64 ? 64 : defaultOperandSize(bits));
}

/** NASM refuses `inc [rax]`: the forms that match disagree on the memory size and none is the default. */
export function resolveUnsizedMemory(
  forms: InstructionForm[],
  first: number,
  req: InstructionRequest,
  registers: (RegisterInfo | undefined)[],
): InstructionForm | string {
  const form = forms[first];
  const size = inferredMemorySize(form, req);
  if (size === 0 || form.memorySizedByRegister) return form;
  // NASM never lets a qword immediate size a memory operand: `add [rax], qword 5` is refused.
  if (operationImmediateSize(form, req) === 64 && !req.operands.some((o) => o.kind === 'reg'))
    return 'operation size not specified';
  let ambiguous = false;
  for (let i = first + 1; i < forms.length && !ambiguous; i++) {
    const other = forms[i];
    if (
      validInMode(other, req.bits) &&
      matches(other, req, registers) &&
      inferredMemorySize(other, req) !== size
    )
      ambiguous = true;
  }
  if (!ambiguous) return form;
  // A size keyword on the operation's immediate sizes the memory operand: `add [rax], byte 5`.
  const immSize = operationImmediateSize(form, req);
  if (immSize !== 0) {
    for (let i = first; i < forms.length; i++) {
      const f = forms[i];
      if (
        validInMode(f, req.bits) &&
        matches(f, req, registers) &&
        inferredMemorySize(f, req) === immSize &&
        operationImmediateSize(f, req) === immSize
      )
        return f;
    }
  }
  for (let i = first; i < forms.length; i++) {
    const f = forms[i];
    if (
      f.sizeOptional &&
      validInMode(f, req.bits) &&
      isModeDefaultSize(f, req.bits) &&
      matches(f, req, registers)
    )
      return f;
  }
  return 'operation size not specified';
}
