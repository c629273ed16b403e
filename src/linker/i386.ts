/**
 * i386 relocation numbers (System V i386 psABI) for `-m elf_i386` static links: the implicit addends of SHT_REL,
 * which relocations use or need the GOT, the GOT-load rewrites ld makes in a non-PIC link (R_386_GOT32X, as
 * elf_i386_convert_load_reloc) and how each relocation is computed. Addresses are 32 bits wide: values wrap, and
 * overflow is checked the way bfd checks it with a 32-bit address mask.
 */
import { R_386 } from '../elf/constants.js';
import type { RelocationProblem, RelocationSite, RelocationTarget } from './x86-64.js';

export const relocationNames386: Record<number, string> = Object.fromEntries(
  Object.entries(R_386).map(([name, value]) => [value, `R_386_${name}`]),
);

export function relocationName386(type: number): string {
  return relocationNames386[type] ?? `i386 relocation type ${type}`;
}

/** Bytes of the relocated field (and of its implicit addend). */
export function fieldSize386(type: number): number {
  switch (type) {
    case R_386['16']:
    case R_386.PC16:
      return 2;
    case R_386['8']:
    case R_386.PC8:
      return 1;
    case R_386.TLS_DESC_CALL: // marks the `call *(%eax)` (2 bytes); it has no field of its own
      return 2;
    default:
      return 4;
  }
}

/** The addend an SHT_REL entry keeps in the field it relocates: sign-extended, as bfd reads it. */
export function implicitAddend386(type: number, data: Uint8Array, offset: number): number {
  const size = fieldSize386(type);
  if (type === R_386.NONE || type === R_386.TLS_DESC_CALL || offset < 0 || offset + size > data.length)
    return 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (size === 1) return view.getInt8(offset);
  if (size === 2) return view.getInt16(offset, true);
  return view.getInt32(offset, true);
}

/** Relocations that need the symbol's GOT slot unless rewritten (ld's GOT32X conversion). */
export const GOT_SLOT_TYPES_386 = new Set<number>([R_386.GOT32, R_386.GOT32X]);
/** Relocations that use the GOT's address (`_GLOBAL_OFFSET_TABLE_`, the start of `.got.plt`). */
export const GOT_ADDRESS_TYPES_386 = new Set<number>([R_386.GOTOFF, R_386.GOTPC, R_386.GOT32, R_386.GOT32X]);

const SHORT_NOP = [0x66, 0x90];

type Conversion = 'mov-imm' | 'lea' | 'test' | 'binop' | 'call' | 'jmp';

/** ALU opcodes `op r32, r/m32` ld converts to `op $imm32, r32` (adc, add, and, cmp, or, sbb, sub, xor). */
const BINOPS = new Set([0x03, 0x0b, 0x13, 0x1b, 0x23, 0x2b, 0x33, 0x3b]);

/**
 * What ld turns a GOT32X load into (elf_i386_convert_load_reloc), or undefined when the GOT slot stays: the addend
 * must be 0 and the instruction one of mov, test, an ALU op, or an indirect call/jmp. In a PIE an immediate would
 * need a text relocation: mov becomes `lea foo@GOTOFF(%reg)`, test and ALU ops keep the slot (unless the symbol is
 * an undefined weak, whose value 0 is no address), and a branch to an undefined weak keeps it too.
 */
function conversion386(
  bytes: Uint8Array,
  at: number,
  addend: number,
  pic: boolean,
  undefinedWeak: boolean,
): Conversion | undefined {
  if (at < 2 || addend !== 0) return undefined;
  const opcode = bytes[at - 2]!;
  const modrm = bytes[at - 1]!;
  const immediate = !pic || undefinedWeak;
  if (opcode === 0x8b) return immediate ? 'mov-imm' : 'lea';
  if (opcode === 0x85) return immediate ? 'test' : undefined;
  if (BINOPS.has(opcode)) return immediate ? 'binop' : undefined;
  if (opcode === 0xff && !(pic && undefinedWeak)) {
    const reg = (modrm >> 3) & 7;
    if (reg === 2) return 'call';
    if (reg === 4) return 'jmp';
  }
  return undefined;
}

/** True when this relocation keeps a GOT slot (R_386_GOT32, or a GOT32X ld cannot rewrite). */
export function needsGotSlot386(
  type: number,
  bytes: Uint8Array,
  at: number,
  pic: boolean,
  undefinedWeak: boolean,
): boolean {
  if (type === R_386.GOT32) return true;
  if (type !== R_386.GOT32X) return false;
  return conversion386(bytes, at, implicitAddend386(type, bytes, at), pic, undefinedWeak) === undefined;
}

const MASK32 = 0xffffffffn;

/**
 * bfd's overflow test with a 32-bit address mask: the value is taken modulo 2^32, then the bits above the field
 * must be all clear or all set (`bitfield`), or must copy the field's sign bit (`signed`).
 */
function fits(value: bigint, bits: number, check: 'bitfield' | 'signed'): boolean {
  const a = value & MASK32;
  if (bits === 32) return true;
  const outside =
    check === 'signed' ? MASK32 & ~((1n << BigInt(bits - 1)) - 1n) : MASK32 & ~((1n << BigInt(bits)) - 1n);
  const high = a & outside;
  return high === 0n || high === outside;
}

/** Applies one i386 relocation in place (the field's old contents were its addend, already in `target.addend`). */
export function applyRelocation386(
  type: number,
  site: RelocationSite,
  target: RelocationTarget,
): RelocationProblem | undefined {
  const S = target.value;
  const A = target.addend;
  const P = site.place;
  const { view, at } = site;
  const put = (v: bigint, bits: 8 | 16 | 32, check: 'bitfield' | 'signed'): RelocationProblem | undefined => {
    if (!fits(v, bits, check))
      return { kind: 'overflow', value: v & MASK32, bits, signed: check === 'signed' };
    const u = Number(v & MASK32);
    if (bits === 32) view.setUint32(at, u, true);
    else if (bits === 16) view.setUint16(at, u & 0xffff, true);
    else view.setUint8(at, u & 0xff);
    return undefined;
  };
  switch (type) {
    case R_386.NONE:
      return undefined;
    case R_386['32']:
      return put(S + A, 32, 'bitfield');
    case R_386.PC32:
    case R_386.PLT32: // no PLT in a static link: the function itself
      return put(S + A - P, 32, 'bitfield');
    case R_386['16']:
      return put(S + A, 16, 'bitfield');
    case R_386.PC16:
      return put(S + A - P, 16, 'bitfield');
    case R_386['8']:
      return put(S + A, 8, 'bitfield');
    case R_386.PC8:
      return put(S + A - P, 8, 'signed');
    case R_386.SIZE32:
      return put(target.size + A, 32, 'bitfield');
    case R_386.GOTOFF:
      return put(S + A - target.got, 32, 'bitfield');
    case R_386.GOTPC:
      return put(target.got + A - P, 32, 'bitfield');
    case R_386.GOT32X:
      // ld converts each convertible load, even when another reference gave the symbol a GOT slot.
      if (
        conversion386(site.bytes, at, Number(A), target.pic ?? false, target.undefinedWeak) !== undefined ||
        target.gotSlot === undefined
      )
        return convertGotLoad(site, target);
      return gotSlotValue(site, target, put);
    case R_386.GOT32:
      if (target.gotSlot === undefined) return { kind: 'unsupported' };
      return gotSlotValue(site, target, put);
  }
  if (TLS_TYPES_386.has(type)) return relaxTls386(type, site, target);
  return { kind: 'unsupported' };
}

/** The TLS relocations of a static executable, each relaxed to local-exec as ld's elf_i386_relocate_section does. */
const TLS_TYPES_386 = new Set<number>([
  R_386.TLS_LE,
  R_386.TLS_LE_32,
  R_386.TLS_LDO_32,
  R_386.TLS_IE,
  R_386.TLS_GOTIE,
  R_386.TLS_IE_32,
  R_386.TLS_GD,
  R_386.TLS_LDM,
  R_386.TLS_GOTDESC,
  R_386.TLS_DESC_CALL,
]);

/** `movl %gs:0, %eax` then `subl $tpoff, %eax` (its 32-bit immediate at byte 8): what a GD sequence becomes. */
const GD_TO_LE = [0x65, 0xa1, 0, 0, 0, 0, 0x81, 0xe8, 0, 0, 0, 0];
/** `movl %gs:0, %eax` padded to the 12 bytes of an LDM sequence with an indirect (or addr32) call. */
const LDM_TO_LE_12 = [0x65, 0xa1, 0, 0, 0, 0, 0x8d, 0xb6, 0, 0, 0, 0];
/** The same padded to the 11 bytes of an LDM sequence with a direct call. */
const LDM_TO_LE_11 = [0x65, 0xa1, 0, 0, 0, 0, 0x90, 0x8d, 0x74, 0x26, 0];

/**
 * i386 TLS is variant II: the block ends at the thread pointer (%gs:0), so ld's `tpoff` (elf_i386_tpoff) is the
 * thread pointer minus the variable's address, a positive distance; @ntpoff fields hold its negation. In a static
 * executable every model becomes local-exec: GD/LDM call sequences are rewritten whole (their ___tls_get_addr call
 * with them), IE/GOTIE loads take the offset as an immediate and TLS descriptors load it directly.
 */
function relaxTls386(
  type: number,
  site: RelocationSite,
  target: RelocationTarget,
): RelocationProblem | undefined {
  if (!target.tls) return { kind: 'unsupported' };
  const { bytes, view, at } = site;
  const tpoff = target.tls.threadPointer - target.value;
  const A = target.addend;
  const write = (v: bigint, where = at): undefined => {
    view.setUint32(where, Number(v & MASK32), true);
    return undefined;
  };
  switch (type) {
    case R_386.TLS_LE:
      return write(A - tpoff);
    case R_386.TLS_LE_32:
      return write(tpoff + A);
    case R_386.TLS_LDO_32:
      // In code it follows a relaxed LDM sequence, so it becomes an offset from the thread pointer too.
      return write(target.inCode ? A - tpoff : target.value + A - target.tls.start);
    case R_386.TLS_IE: {
      // movl foo, %eax / movl foo, %reg / addl foo, %reg  ->  the same with $-tpoff as an immediate.
      if (at >= 1 && bytes[at - 1] === 0xa1) bytes[at - 1] = 0xb8;
      else if (!rewriteToImmediate(bytes, at, [0x8b, 0x03])) return { kind: 'tls-sequence' };
      return write(-tpoff);
    }
    case R_386.TLS_GOTIE:
    case R_386.TLS_IE_32:
      // movl/addl/subl foo(%reg1), %reg2  ->  movl/addl/subl $offset, %reg2.
      if (!rewriteToImmediate(bytes, at, [0x8b, 0x03, 0x2b])) return { kind: 'tls-sequence' };
      return write(type === R_386.TLS_GOTIE ? -tpoff : tpoff);
    case R_386.TLS_GD: {
      // leal foo@tlsgd(,%ebx,1), %eax (SIB form, 7 bytes) or leal foo@tlsgd(%reg), %eax (6), then the call.
      const sib = at >= 3 && bytes[at - 3] === 0x8d && bytes[at - 2] === 0x04;
      const start = sib ? at - 3 : at - 2;
      if (start < 0 || bytes[start] !== 0x8d || start + GD_TO_LE.length > bytes.length)
        return { kind: 'tls-sequence' };
      bytes.set(GD_TO_LE, start);
      write(tpoff, start + 8);
      return { kind: 'consumed-next' };
    }
    case R_386.TLS_LDM: {
      const start = at - 2;
      const indirect = bytes[at + 4] === 0xff || bytes[at + 4] === 0x67;
      const code = indirect ? LDM_TO_LE_12 : LDM_TO_LE_11;
      if (start < 0 || bytes[start] !== 0x8d || start + code.length > bytes.length)
        return { kind: 'tls-sequence' };
      bytes.set(code, start);
      return { kind: 'consumed-next' };
    }
    case R_386.TLS_GOTDESC:
      // leal x@tlsdesc(%ebx), %reg  ->  leal x@ntpoff, %reg (mod 10 with base %ebx becomes mod 00, disp32).
      if (at < 2 || bytes[at - 2] !== 0x8d || (bytes[at - 1]! & 0xc7) !== 0x83)
        return { kind: 'tls-sequence' };
      bytes[at - 1] = bytes[at - 1]! ^ 0x86;
      return write(-tpoff);
    case R_386.TLS_DESC_CALL:
      // call *(%eax)  ->  xchg %ax, %ax
      if (bytes[at] !== 0xff || bytes[at + 1] !== 0x10) return { kind: 'tls-sequence' };
      bytes.set(SHORT_NOP, at);
      return undefined;
  }
  return { kind: 'unsupported' };
}

/** `op m32, %reg` with one of `opcodes` becomes `op $imm32, %reg` (mov: c7 /0; add: 81 /0; sub: 81 /5). */
function rewriteToImmediate(bytes: Uint8Array, at: number, opcodes: readonly number[]): boolean {
  if (at < 2) return false;
  const opcode = bytes[at - 2]!;
  if (!opcodes.includes(opcode)) return false;
  const reg = (bytes[at - 1]! >> 3) & 7;
  bytes[at - 2] = opcode === 0x8b ? 0xc7 : 0x81;
  bytes[at - 1] = (opcode === 0x2b ? 0xe8 : 0xc0) | reg;
  return true;
}

/** A GOT32 field: the slot's offset from the GOT, or (no base register: `mov foo@GOT, %eax`) its address. */
function gotSlotValue(
  site: RelocationSite,
  target: RelocationTarget,
  put: (v: bigint, bits: 32, check: 'bitfield') => RelocationProblem | undefined,
): RelocationProblem | undefined {
  const baseless = site.at >= 1 && (site.bytes[site.at - 1]! & 0xc7) === 0x05;
  return put(target.gotSlot! + target.addend - (baseless ? 0n : target.got), 32, 'bitfield');
}

/**
 * ld's GOT32X rewrites for a static executable: `mov foo@GOT(%reg), %r` becomes `mov $foo, %r`, test and ALU ops
 * take `$foo` as an immediate, `call *foo@GOT(%reg)` becomes `addr32 call foo` and `jmp *foo@GOT(%reg)` becomes
 * `jmp foo; nop`.
 */
function convertGotLoad(site: RelocationSite, target: RelocationTarget): RelocationProblem | undefined {
  const { bytes, view, at, place } = site;
  const form = conversion386(bytes, at, Number(target.addend), target.pic ?? false, target.undefinedWeak);
  if (!form) return { kind: 'cannot-relax' };
  const S = target.value;
  const modrm = bytes[at - 1]!;
  const reg = (modrm >> 3) & 7;
  switch (form) {
    case 'mov-imm':
      bytes[at - 2] = 0xc7;
      bytes[at - 1] = 0xc0 | reg;
      view.setUint32(at, Number(S & MASK32), true);
      return undefined;
    case 'lea':
      bytes[at - 2] = 0x8d;
      view.setUint32(at, Number((S - target.got) & MASK32), true);
      return undefined;
    case 'test':
      bytes[at - 2] = 0xf7;
      bytes[at - 1] = 0xc0 | reg;
      view.setUint32(at, Number(S & MASK32), true);
      return undefined;
    case 'binop': {
      const opcode = bytes[at - 2]!;
      bytes[at - 2] = 0x81;
      bytes[at - 1] = 0xc0 | reg | (opcode & 0x38);
      view.setUint32(at, Number(S & MASK32), true);
      return undefined;
    }
    case 'call':
      bytes[at - 2] = 0x67;
      bytes[at - 1] = 0xe8;
      view.setUint32(at, Number((S - 4n - place) & MASK32), true);
      return undefined;
    case 'jmp':
      // jmp rel32 is one byte shorter than the indirect form: the displacement moves back and a nop follows.
      bytes[at - 2] = 0xe9;
      view.setUint32(at - 1, Number((S - 4n - (place - 1n)) & MASK32), true);
      bytes[at + 3] = 0x90;
      return undefined;
  }
}

/** bfd's i386 code fill: short NOPs only, `66 90` repeated and a `90` for an odd byte. */
export function fillWithShortNops(bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  for (; end - at >= 2; at += 2) bytes.set(SHORT_NOP, at);
  if (end > at) bytes[at] = 0x90;
}
