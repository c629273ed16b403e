/**
 * Everything that knows x86-64 relocation numbers: which relocations need a GOT slot, how GOT loads are relaxed
 * (the same rewrites GNU ld makes in a static, non-PIC link) and how each relocation is computed and range-checked.
 */
import { R_X86_64 } from '../elf/constants.js';

export interface RelocationSite {
  /** Output bytes of the section being relocated. */
  bytes: Uint8Array;
  view: DataView;
  /** Offset of the relocated field inside `bytes`. */
  at: number;
  /** Address of the relocated field (P). */
  place: bigint;
}

export interface RelocationTarget {
  /** S: the symbol's address (or value), already including a merged-section mapping. */
  value: bigint;
  /** A. */
  addend: bigint;
  /** Z: the symbol's size (SIZE32/SIZE64). */
  size: bigint;
  /** Address of the symbol's GOT slot when it has one. */
  gotSlot?: bigint;
  /** Address of the GOT (`_GLOBAL_OFFSET_TABLE_`). */
  got: bigint;
  /** Undefined weak: ld resolves it to 0. */
  undefinedWeak: boolean;
  /** Position-independent output (-pie): GOT loads relax only to RIP-relative forms. */
  pic?: boolean;
  /** The output's TLS block (PT_TLS), when there is one. */
  tls?: TlsBlock;
  /** The relocated field is in code (DTPOFF32 there follows a relaxed TLSLD sequence: a TP offset). */
  inCode?: boolean;
  /** --relax (the default): ld converts GOT loads; under --no-relax only those of undefined weak symbols. */
  relax?: boolean;
  /** The symbol is in an SHF_X86_64_LARGE section: ld never converts its GOT loads. */
  large?: boolean;
}

/** Where thread-local data lies: x86-64 puts the block just below the thread pointer (TLS variant II). */
export interface TlsBlock {
  /** Address of the first TLS section (DTPOFF is relative to it). */
  start: bigint;
  /** The thread pointer's image address: start + memsz rounded up to the segment's alignment. */
  threadPointer: bigint;
}

/** What went wrong, for the caller to turn into a message naming symbol, object, section and offset. */
export type RelocationProblem =
  | { kind: 'overflow'; value: bigint; bits: number; signed: boolean }
  | { kind: 'unsupported' }
  | { kind: 'cannot-relax' }
  /** The instructions around a TLS relocation are not a sequence ld knows how to relax to local-exec. */
  | { kind: 'tls-sequence' }
  /** Not a problem: a relaxed TLS sequence rewrote the next relocation's instruction too (skip it). */
  | { kind: 'consumed-next' };

const RELAXABLE = new Set<number>([R_X86_64.GOTPCRELX, R_X86_64.REX_GOTPCRELX]);
export const GOT_RELATIVE = new Set<number>([
  R_X86_64.GOTPCREL,
  R_X86_64.GOTPCRELX,
  R_X86_64.REX_GOTPCRELX,
  R_X86_64.GOTPCREL64,
  R_X86_64.GOT32,
  R_X86_64.GOT64,
  R_X86_64.GOTPLT64,
]);
/** Relocations that use the GOT's own address (`_GLOBAL_OFFSET_TABLE_`), so ld creates `.got.plt`. */
export const GOT_ADDRESS_TYPES = new Set<number>([
  R_X86_64.GOTPC32,
  R_X86_64.GOTPC64,
  R_X86_64.GOTOFF64,
  R_X86_64.GOT32,
  R_X86_64.GOT64,
  R_X86_64.GOTPLT64,
]);

/** Bytes of the relocated field. */
export function fieldSize(type: number): number {
  switch (type) {
    case R_X86_64['64']:
    case R_X86_64.PC64:
    case R_X86_64.SIZE64:
    case R_X86_64.GOTOFF64:
    case R_X86_64.GOTPC64:
    case R_X86_64.GOTPCREL64:
    case R_X86_64.GOT64:
      return 8;
    case R_X86_64['16']:
    case R_X86_64.PC16:
      return 2;
    case R_X86_64['8']:
    case R_X86_64.PC8:
      return 1;
    default:
      return 4;
  }
}

/** Relocations that store an absolute address (a PE `.reloc` entry is needed for these when the image moves). */
export const ABSOLUTE_64 = R_X86_64['64'];
export const ABSOLUTE_32 = new Set<number>([R_X86_64['32'], R_X86_64['32S']]);

export const relocationNames: Record<number, string> = Object.fromEntries(
  Object.entries(R_X86_64).map(([name, value]) => [value, `R_X86_64_${name}`]),
);

export function relocationName(type: number): string {
  return relocationNames[type] ?? `relocation type ${type}`;
}

/**
 * True when this relocation keeps a GOT slot after relaxation. `bytes`/`at` locate the field in the input
 * section so the instruction before it can be inspected.
 */
export function needsGotSlot(
  type: number,
  bytes: Uint8Array,
  at: number,
  pic = false,
  undefinedWeak = false,
  relax = true,
): boolean {
  if (!GOT_RELATIVE.has(type)) return false;
  if (type === R_X86_64.GOTPCREL || RELAXABLE.has(type))
    return relaxedForm(type, bytes, at, pic, undefinedWeak, relax) === undefined;
  return true;
}

type Relaxation = 'mov-imm' | 'call' | 'jmp' | 'test' | 'binop' | 'lea';

/**
 * ld's choice per instruction (elf_x86_64_convert_load_reloc). In position-independent output the address is not
 * a link-time constant, so a load becomes `lea` (still RIP-relative) and test/binop forms, which would need an
 * immediate address, keep the GOT. An undefined weak symbol there, or under --no-relax anywhere, is 0, a
 * constant: GOTPCRELX loads, tests and binops take it as an immediate, calls and jumps keep the GOT, and a plain
 * GOTPCREL load becomes `lea` only in a static link. Under --no-relax nothing else converts.
 */
function relaxedForm(
  type: number,
  bytes: Uint8Array,
  at: number,
  pic: boolean,
  undefinedWeak = false,
  relax = true,
): Relaxation | undefined {
  if (at < 2) return undefined;
  const opcode = bytes[at - 2]!;
  const modrm = bytes[at - 1]!;
  if (undefinedWeak && (pic || !relax)) {
    if (type === R_X86_64.GOTPCREL) return opcode === 0x8b && !pic ? 'lea' : undefined;
    if (opcode === 0xff) return undefined;
    return relaxedForm(type, bytes, at, false);
  }
  if (!relax) return undefined;
  if (type === R_X86_64.GOTPCREL) return opcode === 0x8b ? 'lea' : undefined;
  if ((modrm & 0xc7) !== 0x05) return undefined; // must be RIP-relative
  if (opcode === 0x8b) return pic ? 'lea' : 'mov-imm';
  if (opcode === 0xff && modrm === 0x15) return 'call';
  if (opcode === 0xff && modrm === 0x25) return 'jmp';
  if (pic) return undefined;
  if (opcode === 0x85) return 'test';
  if ([0x03, 0x0b, 0x13, 0x1b, 0x23, 0x2b, 0x33, 0x3b].includes(opcode)) return 'binop';
  return undefined;
}

const fitsSigned = (v: bigint, bits: number) => v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1);
const fitsUnsigned = (v: bigint, bits: number) => v >= 0n && v < 1n << BigInt(bits);
/** ld's "bitfield" check: the value fits either as signed or as unsigned. */
const fitsBitfield = (v: bigint, bits: number) => v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits);

/** Applies one relocation in place; returns a problem instead of throwing so the caller can name the site. */
export function applyRelocation(
  type: number,
  site: RelocationSite,
  target: RelocationTarget,
): RelocationProblem | undefined {
  const S = target.value;
  const A = target.addend;
  const P = site.place;
  const { view, at } = site;
  const signed64 = (v: bigint) => BigInt.asIntN(64, v);
  const put32 = (v: bigint, check: 'signed' | 'unsigned' | 'bitfield'): RelocationProblem | undefined => {
    const value = signed64(v);
    const ok =
      check === 'signed'
        ? fitsSigned(value, 32)
        : check === 'unsigned'
          ? fitsUnsigned(BigInt.asUintN(64, v), 32)
          : fitsBitfield(value, 32);
    if (!ok) return { kind: 'overflow', value: BigInt.asUintN(64, v), bits: 32, signed: check === 'signed' };
    view.setUint32(at, Number(BigInt.asUintN(32, v)), true);
    return undefined;
  };
  switch (type) {
    case R_X86_64.NONE:
      return undefined;
    case R_X86_64['64']:
      view.setBigUint64(at, BigInt.asUintN(64, S + A), true);
      return undefined;
    case R_X86_64.PC64:
      view.setBigUint64(at, BigInt.asUintN(64, S + A - P), true);
      return undefined;
    case R_X86_64['32']:
      return put32(S + A, 'unsigned');
    case R_X86_64['32S']:
      return put32(S + A, 'signed');
    case R_X86_64.PC32:
    case R_X86_64.PLT32:
      return put32(S + A - P, 'signed');
    case R_X86_64['16']:
    case R_X86_64.PC16: {
      const v = signed64(type === R_X86_64.PC16 ? S + A - P : S + A);
      if (type === R_X86_64.PC16 ? !fitsSigned(v, 16) : !fitsBitfield(v, 16))
        return { kind: 'overflow', value: BigInt.asUintN(64, v), bits: 16, signed: type === R_X86_64.PC16 };
      view.setUint16(at, Number(BigInt.asUintN(16, v)), true);
      return undefined;
    }
    case R_X86_64['8']:
    case R_X86_64.PC8: {
      const v = signed64(type === R_X86_64.PC8 ? S + A - P : S + A);
      if (type === R_X86_64.PC8 ? !fitsSigned(v, 8) : !fitsBitfield(v, 8))
        return { kind: 'overflow', value: BigInt.asUintN(64, v), bits: 8, signed: type === R_X86_64.PC8 };
      view.setUint8(at, Number(BigInt.asUintN(8, v)));
      return undefined;
    }
    case R_X86_64.SIZE32:
      return put32(target.size + A, 'unsigned');
    case R_X86_64.SIZE64:
      view.setBigUint64(at, BigInt.asUintN(64, target.size + A), true);
      return undefined;
    case R_X86_64.GOTPC32:
      return put32(target.got + A - P, 'signed');
    case R_X86_64.GOTPC64:
      view.setBigUint64(at, BigInt.asUintN(64, target.got + A - P), true);
      return undefined;
    case R_X86_64.GOTOFF64:
    case R_X86_64.PLTOFF64: // no PLT in a static link: the function itself
      view.setBigUint64(at, BigInt.asUintN(64, S + A - target.got), true);
      return undefined;
    case R_X86_64.TPOFF32:
    case R_X86_64.TPOFF64:
    case R_X86_64.DTPOFF32:
    case R_X86_64.DTPOFF64: {
      if (!target.tls) return { kind: 'unsupported' };
      // ld: a DTPOFF in code belongs to a relaxed local-dynamic sequence, so it is a TP offset as well.
      const fromTp =
        type === R_X86_64.TPOFF32 ||
        type === R_X86_64.TPOFF64 ||
        (type === R_X86_64.DTPOFF32 && target.inCode);
      const v = S + A - (fromTp ? target.tls.threadPointer : target.tls.start);
      if (type === R_X86_64.TPOFF64 || type === R_X86_64.DTPOFF64) {
        view.setBigUint64(at, BigInt.asUintN(64, v), true);
        return undefined;
      }
      return put32(v, 'signed');
    }
    case R_X86_64.GOTTPOFF:
      return relaxInitialExec(site, target);
    case R_X86_64.TLSGD:
      return relaxGeneralDynamic(site, target);
    case R_X86_64.TLSLD:
      return relaxLocalDynamic(site);
    case R_X86_64.GOTPCREL:
    case R_X86_64.GOTPCRELX:
    case R_X86_64.REX_GOTPCRELX: {
      const converts =
        target.large !== true &&
        relaxedForm(type, site.bytes, at, target.pic ?? false, target.undefinedWeak, target.relax ?? true) !==
          undefined;
      if (target.gotSlot === undefined || converts) return relax(type, site, target);
      return put32(target.gotSlot + A - P, 'signed');
    }
    case R_X86_64.GOTPCREL64:
      if (target.gotSlot === undefined) return { kind: 'unsupported' };
      view.setBigUint64(at, BigInt.asUintN(64, target.gotSlot + A - P), true);
      return undefined;
    case R_X86_64.GOT32:
      if (target.gotSlot === undefined) return { kind: 'unsupported' };
      return put32(target.gotSlot - target.got + A, 'signed');
    case R_X86_64.GOT64:
    case R_X86_64.GOTPLT64:
      if (target.gotSlot === undefined) return { kind: 'unsupported' };
      view.setBigUint64(at, BigInt.asUintN(64, target.gotSlot - target.got + A), true);
      return undefined;
  }
  return { kind: 'unsupported' };
}

/** A relocation as ld writes it back for --emit-relocs: its type, and how far its offset and addend moved. */
export interface ConvertedRelocation {
  type: number;
  offsetDelta: number;
  addendDelta: bigint;
}

/**
 * The relocation elf_x86_64_convert_load_reloc leaves behind when it turns a GOT load into a direct reference
 * (undefined when it does not): PC32 for `lea`, `call` and `jmp` (whose displacement moved back a byte), and for
 * an immediate R_X86_64_32S with REX.W, else R_X86_64_32, its addend no longer counting the -4 of RIP-relative
 * addressing. `bytes`/`at` locate the field in the input section.
 */
export function convertedRelocation(
  type: number,
  bytes: Uint8Array,
  at: number,
  target: Pick<RelocationTarget, 'pic' | 'undefinedWeak' | 'relax' | 'large'>,
): ConvertedRelocation | undefined {
  if (type !== R_X86_64.GOTPCREL && !RELAXABLE.has(type)) return undefined;
  if (target.large === true) return undefined;
  const form = relaxedForm(type, bytes, at, target.pic ?? false, target.undefinedWeak, target.relax ?? true);
  switch (form) {
    case undefined:
      return undefined;
    case 'lea':
    case 'call':
      return { type: R_X86_64.PC32, offsetDelta: 0, addendDelta: 0n };
    case 'jmp':
      return { type: R_X86_64.PC32, offsetDelta: -1, addendDelta: 0n };
    default: {
      const rex = at >= 3 ? bytes[at - 3]! : 0;
      const rexW = (rex & 0xf0) === 0x40 && (rex & 0x08) !== 0;
      return { type: rexW ? R_X86_64['32S'] : R_X86_64['32'], offsetDelta: 0, addendDelta: 4n };
    }
  }
}

/** Rewrites a GOT load into a direct reference, exactly as ld's elf_x86_64_convert_load_reloc does (non-PIC). */
function relax(type: number, site: RelocationSite, target: RelocationTarget): RelocationProblem | undefined {
  const { bytes, view, at, place } = site;
  const form = relaxedForm(type, bytes, at, target.pic ?? false, target.undefinedWeak, target.relax ?? true);
  const S = target.value;
  const A = target.addend;
  const rexAt = at - 3;
  const hasRex = rexAt >= 0 && (bytes[rexAt]! & 0xf0) === 0x40;
  const rexW = hasRex && (bytes[rexAt]! & 0x08) !== 0;
  const write32 = (v: bigint, signed: boolean): RelocationProblem | undefined => {
    const s = BigInt.asIntN(64, v);
    const ok = signed ? fitsSigned(s, 32) : fitsUnsigned(BigInt.asUintN(64, v), 32);
    if (!ok) return { kind: 'cannot-relax' };
    view.setUint32(at, Number(BigInt.asUintN(32, v)), true);
    return undefined;
  };
  switch (form) {
    case 'lea':
      bytes[at - 2] = 0x8d;
      return write32(S + A - place, true);
    case 'mov-imm': {
      const reg = (bytes[at - 1]! >> 3) & 7;
      bytes[at - 2] = 0xc7;
      bytes[at - 1] = 0xc0 | reg;
      if (hasRex) bytes[rexAt] = (bytes[rexAt]! & ~0x04) | ((bytes[rexAt]! & 0x04) >> 2);
      // The immediate replaces a RIP-relative displacement whose addend accounted for the -4; undo that.
      return write32(S + A + 4n, rexW);
    }
    case 'test':
    case 'binop': {
      const reg = (bytes[at - 1]! >> 3) & 7;
      const opcode = bytes[at - 2]!;
      bytes[at - 2] = form === 'test' ? 0xf7 : 0x81;
      bytes[at - 1] = 0xc0 | ((form === 'test' ? 0 : (opcode >> 3) & 7) << 3) | reg;
      if (hasRex) bytes[rexAt] = (bytes[rexAt]! & ~0x04) | ((bytes[rexAt]! & 0x04) >> 2);
      return write32(S + A + 4n, rexW);
    }
    case 'call':
      bytes[at - 2] = 0x67;
      bytes[at - 1] = 0xe8;
      return write32(S + A - place, true);
    case 'jmp':
      bytes[at - 2] = 0xe9;
      if (write32(S + A - place + 1n, true)) return { kind: 'cannot-relax' };
      bytes[at - 1] = 0x90;
      // jmp rel32 is one byte shorter: shift it back and put the nop after it.
      bytes.copyWithin(at - 2 + 1, at, at + 4);
      bytes[at - 2] = 0xe9;
      bytes[at + 3] = 0x90;
      return undefined;
    default:
      return { kind: 'cannot-relax' };
  }
}

/** A TP offset that must fit the 32-bit field of the rewritten instruction. */
function writeTpOffset(
  site: RelocationSite,
  target: RelocationTarget,
  at: number,
): RelocationProblem | undefined {
  if (!target.tls) return { kind: 'unsupported' };
  const v = BigInt.asIntN(64, target.value - target.tls.threadPointer);
  if (!fitsSigned(v, 32)) return { kind: 'overflow', value: BigInt.asUintN(64, v), bits: 32, signed: true };
  site.view.setInt32(at, Number(v), true);
  return undefined;
}

/**
 * Initial-exec to local-exec, as ld does in an executable: `movq x@gottpoff(%rip), %reg` becomes `movq $tpoff,
 * %reg`; `addq x@gottpoff(%rip), %reg` becomes `leaq tpoff(%reg), %reg` (or `addq $tpoff` for %rsp/%r12).
 */
function relaxInitialExec(site: RelocationSite, target: RelocationTarget): RelocationProblem | undefined {
  const { bytes, at } = site;
  if (at < 3) return { kind: 'unsupported' };
  const rex = bytes[at - 3]!;
  const opcode = bytes[at - 2]!;
  const reg = (bytes[at - 1]! >> 3) & 7;
  const hasRex = (rex & 0xf0) === 0x40;
  if ((bytes[at - 1]! & 0xc7) !== 0x05 || (opcode !== 0x8b && opcode !== 0x03))
    return { kind: 'unsupported' };
  if (opcode === 0x8b) {
    if (hasRex && rex & 0x04) bytes[at - 3] = (rex & ~0x04) | 0x01;
    bytes[at - 2] = 0xc7;
    bytes[at - 1] = 0xc0 | reg;
  } else if (reg === 4) {
    if (hasRex && rex & 0x04) bytes[at - 3] = (rex & ~0x04) | 0x01;
    bytes[at - 2] = 0x81;
    bytes[at - 1] = 0xc0 | reg;
  } else {
    if (hasRex && rex & 0x04) bytes[at - 3] = rex | 0x01;
    bytes[at - 2] = 0x8d;
    bytes[at - 1] = 0x80 | reg | (reg << 3);
  }
  return writeTpOffset(site, target, at);
}

const FS_BASE_TO_RAX = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]; // movq %fs:0, %rax

/**
 * A TLS GOT entry ld creates in dynamic output: the general-dynamic pair (module id, offset in its block), the
 * initial-exec slot (TP offset) or the local-dynamic pair shared by the whole output (its offset word stays 0).
 */
export type TlsGotKind = 'gd-module' | 'gd-offset' | 'ie' | 'ld-module' | 'ld-offset';

/**
 * Which TLS GOT entry a relocation needs (elf_x86_64_tls_transition): in a shared object every general-dynamic,
 * local-dynamic and initial-exec reference keeps its model; an executable relaxes them all to local-exec except
 * those of a symbol in `.dynsym`, whose general-dynamic and initial-exec references become initial-exec.
 */
export function tlsGotNeed(type: number, shared: boolean, inDynsym: boolean): 'gd' | 'ie' | 'ld' | undefined {
  if (type === R_X86_64.TLSGD) return shared ? 'gd' : inDynsym ? 'ie' : undefined;
  if (type === R_X86_64.GOTTPOFF) return shared || inDynsym ? 'ie' : undefined;
  if (type === R_X86_64.TLSLD) return shared ? 'ld' : undefined;
  return undefined;
}

/** The dynamic relocation each TLS GOT entry gets (none for an offset the linker writes itself). */
export function tlsGotRelocation(kind: TlsGotKind, inDynsym: boolean): number | undefined {
  switch (kind) {
    case 'gd-module':
    case 'ld-module':
      return R_X86_64.DTPMOD64;
    case 'gd-offset':
      return inDynsym ? R_X86_64.DTPOFF64 : undefined;
    case 'ie':
      return R_X86_64.TPOFF64;
    default:
      return undefined;
  }
}

/**
 * General-dynamic to initial-exec, as ld does in an executable for a symbol in `.dynsym`: the `leaq
 * x@tlsgd(%rip), %rdi; call __tls_get_addr` sequence (or the large model's movabs/add/call form) becomes `movq
 * %fs:0, %rax; addq x@gottpoff(%rip), %rax` (+ a nop), reading the TP offset from the symbol's GOT slot.
 */
export function relaxGeneralDynamicToInitialExec(site: RelocationSite, slot: bigint): RelocationProblem {
  const { bytes, at } = site;
  const large = bytes[at + 5] === 0xb8;
  const start = large ? at - 3 : at - 4;
  const length = large ? 22 : 16;
  if (start < 0 || start + length > bytes.length) return { kind: 'tls-sequence' };
  const code = [
    ...FS_BASE_TO_RAX,
    0x48,
    0x03,
    0x05,
    0,
    0,
    0,
    0,
    ...(large ? [0x66, 0x0f, 0x1f, 0x44, 0, 0] : []),
  ];
  bytes.set(code, start);
  const field = start + 12;
  const v = BigInt.asIntN(64, slot - (site.place + BigInt(field - at) + 4n));
  if (!fitsSigned(v, 32)) return { kind: 'overflow', value: BigInt.asUintN(64, v), bits: 32, signed: true };
  site.view.setInt32(field, Number(v), true);
  return { kind: 'consumed-next' };
}

/**
 * General-dynamic to local-exec: the `leaq x@tlsgd(%rip), %rdi; call __tls_get_addr` sequence (16 bytes, or 22 in
 * the large model's movabs/add/call form) becomes `movq %fs:0, %rax; leaq tpoff(%rax), %rax` (+ a nop).
 */
function relaxGeneralDynamic(site: RelocationSite, target: RelocationTarget): RelocationProblem | undefined {
  const { bytes, at } = site;
  const large = bytes[at + 5] === 0xb8;
  const start = large ? at - 3 : at - 4;
  const length = large ? 22 : 16;
  if (start < 0 || start + length > bytes.length) return { kind: 'unsupported' };
  const code = [
    ...FS_BASE_TO_RAX,
    0x48,
    0x8d,
    0x80,
    0,
    0,
    0,
    0,
    ...(large ? [0x66, 0x0f, 0x1f, 0x44, 0, 0] : []),
  ];
  bytes.set(code, start);
  return writeTpOffset(site, target, start + 12) ?? { kind: 'consumed-next' };
}

/**
 * Local-dynamic to local-exec: `leaq x@tlsld(%rip), %rdi; call __tls_get_addr` becomes `movq %fs:0, %rax` padded
 * with prefixes (and a nop for the indirect and large-model call forms), as ld writes it.
 */
function relaxLocalDynamic(site: RelocationSite): RelocationProblem | undefined {
  const { bytes, at } = site;
  const start = at - 3;
  let code: number[];
  if (bytes[at + 5] === 0xb8)
    code = [0x66, 0x66, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, ...FS_BASE_TO_RAX];
  else if (bytes[at + 4] === 0xff || bytes[at + 4] === 0x67)
    code = [0x66, 0x66, 0x66, 0x66, ...FS_BASE_TO_RAX];
  else code = [0x66, 0x66, 0x66, ...FS_BASE_TO_RAX];
  if (start < 0 || start + code.length > bytes.length) return { kind: 'unsupported' };
  bytes.set(code, start);
  return { kind: 'consumed-next' };
}

const NOPS = [
  [0x90],
  [0x66, 0x90],
  [0x0f, 0x1f, 0x00],
  [0x0f, 0x1f, 0x40, 0x00],
  [0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
  [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
  [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

/** As many 10-byte NOPs as fit, then one NOP of the remaining length (bfd's x86-64 code fill). */
export function fillWithNops(bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  while (end - at >= 10) {
    bytes.set(NOPS[9]!, at);
    at += 10;
  }
  if (end > at) bytes.set(NOPS[end - at - 1]!, at);
}
