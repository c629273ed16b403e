/** ModRM, SIB and displacement for a memory operand, with NASM's address rewrites (`[rbx*2]` -> `[rbx+rbx]`). */
import { lookupRegister, type RegisterInfo } from './registers.js';
import { EncodeError, isKnownAbsolute, wrapSigned } from './shared.js';
import type { AddressHint, MemoryOperand, Value } from './types.js';

export interface MemoryEncoding {
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

function addressSizeOf(mem: MemoryOperand, bits: number, prefixAddressSize: number): number {
  const reg = mem.base ?? mem.index;
  if (reg) {
    const r = registerOf(reg);
    if (r.class !== 'gpr' || r.size === 8)
      throw new EncodeError(`invalid effective address: '${reg}' cannot be used in an address`);
    return r.size;
  }
  // `a32` in 64-bit code: a dword address whatever size the displacement was given (nasm ignores it)
  if (bits === 64 && prefixAddressSize === 32 && mem.displacementSize !== 16) return 32;
  if (mem.displacementSize === 16 || mem.displacementSize === 32 || mem.displacementSize === 64)
    return bits === 64 && mem.displacementSize === 32 ? 64 : mem.displacementSize;
  return prefixAddressSize || bits;
}

function encodeMemory16(mem: MemoryOperand, bits: number): MemoryEncoding {
  if (bits === 64) throw new EncodeError('impossible combination of address sizes');
  const regs = [mem.base, mem.index].filter((r): r is string => r !== undefined);
  if (mem.index !== undefined && mem.scale !== 1)
    throw new EncodeError('invalid effective address: 16-bit addressing has no scale');
  let key: string;
  if (regs.length === 2) {
    const [a, b] = regs;
    key = a === 'bx' || a === 'bp' ? `${a}+${b}` : `${b}+${a}`;
  } else key = regs[0] ?? '';
  const disp = mem.displacement;
  const enc: MemoryEncoding = {
    mod: 0,
    rm: 6,
    sib: -1,
    rexX: 0,
    rexB: 0,
    dispSize: 2,
    disp,
    addressSize: 16,
    pcRelative: false,
    signed: false,
  };
  if (key === '') return enc;
  const rm = BASE_INDEX_16[key];
  if (rm === undefined) throw new EncodeError('invalid 16-bit effective address');
  enc.rm = rm;
  enc.dispSize = displacementSize(mem, disp, 16, rm === 6);
  enc.mod = enc.dispSize === 0 ? 0 : enc.dispSize === 1 ? 1 : 2;
  return enc;
}

/** 0, 1 or the full size (2 or 4) for a based address. */
function displacementSize(
  mem: MemoryOperand,
  disp: Value,
  addressSize: number,
  baseNeedsDisp: boolean,
): number {
  const full = addressSize === 16 ? 2 : 4;
  if (mem.displacementSize === 8) return 1;
  if (mem.displacementSize !== undefined) return full;
  if (!isKnownAbsolute(disp)) return full;
  const v = wrapSigned(disp.offset, addressSize === 16 ? 16 : 32);
  if (v === 0 && !baseNeedsDisp) return 0;
  if (v >= -128 && v <= 127) return 1;
  return full;
}

function checkAddressRegister(r: RegisterInfo | undefined, addressSize: number, bits: number): void {
  if (!r) return;
  if (r.size !== addressSize) throw new EncodeError('invalid effective address: mixed address sizes');
  if (r.needsRex && bits !== 64)
    throw new EncodeError(`register '${r.name}' is only available in 64-bit mode`);
}

/** `mib`: the operand is an MPX/AMX split (sib) address, which nasm reorganises by other rules. */
export function encodeMemory(
  mem: MemoryOperand,
  bits: number,
  prefixAddressSize: number,
  mib = false,
): MemoryEncoding {
  const addressSize = addressSizeOf(mem, bits, prefixAddressSize);
  if (addressSize === 64 && bits !== 64)
    throw new EncodeError('64-bit addressing is only available in 64-bit mode');
  if (addressSize === 16) return encodeMemory16(mem, bits);
  const disp = mem.displacement;
  if (mem.ripRelative) {
    if (bits !== 64) throw new EncodeError('RIP-relative addressing is only available in 64-bit mode');
    if (mem.base !== undefined || mem.index !== undefined)
      throw new EncodeError('invalid effective address: RIP-relative address with a register');
    return {
      mod: 0,
      rm: 5,
      sib: -1,
      rexX: 0,
      rexB: 0,
      dispSize: 4,
      disp,
      addressSize,
      pcRelative: true,
      signed: true,
    };
  }
  let base = mem.base ? registerOf(mem.base) : undefined;
  let index = mem.index ? registerOf(mem.index) : undefined;
  let scale = index ? mem.scale : 1;
  checkAddressRegister(base, addressSize, bits);
  checkAddressRegister(index, addressSize, bits);
  // nasm's reorganisation of base and index, steered by what its evaluator noticed in the source order
  const hint = mem.hint;
  const hinted = (r: RegisterInfo | undefined, kind: AddressHint['kind']) =>
    r !== undefined && hint?.kind === kind && hint.register === r.name;
  const writtenBase = base;
  const writtenIndex = index;
  if (
    index &&
    base &&
    scale === 1 &&
    base.number !== index.number &&
    (hinted(writtenBase, 'notbase') || hinted(writtenIndex, 'makebase'))
  )
    [base, index] = [index, base];
  if (index && !base && scale === 1 && !hinted(writtenIndex, 'notbase')) [base, index] = [index, undefined];
  if (mib) {
    // MPX's split addresses: a register written with a multiplier stays the index; a summed one is split
    if (base && !index && hinted(writtenBase, 'notbase')) [base, index, scale] = [undefined, base, 1];
    if (hint?.kind === 'summed' && index && !base) {
      base = index;
      scale -= 1;
    }
  } else {
    if (
      index &&
      !base &&
      ((scale === 2 && index.number !== 4 && (!mem.nosplit || hint?.kind === 'summed')) ||
        scale === 3 ||
        scale === 5 ||
        scale === 9)
    ) {
      base = index;
      scale -= 1;
    }
    // `[nosplit rax*1]`: a SIB with no base and a zero disp32
    if (base && !index && (base.number & 7) !== 4 && mem.nosplit && hinted(writtenBase, 'notbase'))
      [base, index, scale] = [undefined, base, 1];
  }
  if (index && scale === 1 && index.number === 4) [base, index] = [index, base];
  if (index && index.number === 4)
    throw new EncodeError('invalid effective address: the stack pointer cannot be an index');
  if (index && scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8)
    throw new EncodeError('invalid effective address: scale must be 1, 2, 4 or 8');
  const scaleBits = scale === 8 ? 3 : scale === 4 ? 2 : scale === 2 ? 1 : 0;
  const signed = addressSize === 64;
  const enc: MemoryEncoding = {
    mod: 0,
    rm: 0,
    sib: -1,
    rexX: 0,
    rexB: 0,
    dispSize: 4,
    disp,
    addressSize,
    pcRelative: false,
    signed,
  };
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

/**
 * A VSIB address (`[rcx+xmm2*4]`, `[ymm3]`): the vector register is always the index, so NASM's base/index
 * rewrites do not apply; without a general base the SIB names no base and a 32-bit displacement follows.
 */
export function encodeVectorIndexMemory(
  mem: MemoryOperand,
  bits: number,
  prefixAddressSize: number,
): MemoryEncoding & { indexNumber: number } {
  if (mem.ripRelative) throw new EncodeError('invalid effective address: RIP-relative VSIB address');
  let base = mem.base ? registerOf(mem.base) : undefined;
  let index = mem.index ? registerOf(mem.index) : undefined;
  let scale = index ? mem.scale : 1;
  const isVector = (r: RegisterInfo | undefined) =>
    r !== undefined && (r.class === 'xmm' || r.class === 'ymm' || r.class === 'zmm');
  if (isVector(base) && !isVector(index)) {
    if (index && scale !== 1) throw new EncodeError('invalid effective address: VSIB needs a vector index');
    [base, index] = [index, base];
    scale = 1;
  }
  if (!index || !isVector(index) || isVector(base))
    throw new EncodeError('invalid effective address: VSIB needs one vector index register');
  if (scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8)
    throw new EncodeError('invalid effective address: scale must be 1, 2, 4 or 8');
  if (index.needsRex && bits !== 64)
    throw new EncodeError(`register '${index.name}' is only available in 64-bit mode`);
  let addressSize = prefixAddressSize || (bits === 64 ? 64 : 32);
  if (base) {
    if (base.class !== 'gpr' || (base.size !== 32 && base.size !== 64))
      throw new EncodeError(`invalid effective address: '${base.name}' cannot be used in an address`);
    addressSize = base.size;
    checkAddressRegister(base, addressSize, bits);
  } else if (mem.displacementSize === 32 && bits === 64) addressSize = 64;
  if (addressSize === 64 && bits !== 64)
    throw new EncodeError('64-bit addressing is only available in 64-bit mode');
  const scaleBits = scale === 8 ? 3 : scale === 4 ? 2 : scale === 2 ? 1 : 0;
  const disp = mem.displacement;
  const enc = {
    mod: 0,
    rm: 4,
    sib: (scaleBits << 6) | ((index.number & 7) << 3) | 5,
    rexX: (index.number >> 3) & 1,
    rexB: 0,
    dispSize: 4,
    disp,
    addressSize,
    pcRelative: false,
    signed: addressSize === 64,
    indexNumber: index.number,
  };
  if (!base) return enc;
  enc.dispSize = displacementSize(mem, disp, addressSize, (base.number & 7) === 5);
  enc.mod = enc.dispSize === 0 ? 0 : enc.dispSize === 1 ? 1 : 2;
  enc.rexB = base.number >> 3;
  enc.sib = (scaleBits << 6) | ((index.number & 7) << 3) | (base.number & 7);
  return enc;
}

/** What nasm 2.16.01 makes of a memory operand it reads as a register (see memoryAsRegister). */
export interface MemoryAsRegister {
  /** The register number nasm's regval() returns: that of the operand's base register. */
  number: number;
  /** The width of the address registers, for the address-size prefix nasm still writes. */
  addressSize: number;
}

/**
 * nasm 2.16.01's vreducesh puts its second source, a memory operand too, in EVEX.vvvv; nasm's regval() then
 * writes the number of the operand's base register and drops the rest of the address, checking only that its
 * registers have one width that the mode can address with. nasm's parser takes as base the first
 * general-purpose register with multiplier 1 in its register order (by name: `[esp+eax]` -> eax,
 * `[r10+r9]` -> r10); an operand with none (`[eax*2]`, `[ebx+ebx]`, `[rel x]`) makes nasm panic, so it is refused.
 */
export function memoryAsRegister(mem: MemoryOperand, bits: number): MemoryAsRegister {
  const named = [mem.base, mem.index].filter((r): r is string => r !== undefined).map(registerOf);
  const gprs = named.filter((r) => r.class === 'gpr');
  if (gprs.some((r) => r.size === 8)) throw new EncodeError('invalid effective address');
  if (bits !== 64 && gprs.some((r) => r.size === 64))
    throw new EncodeError('impossible combination of address sizes');
  if (bits === 64 && gprs.some((r) => r.size === 16))
    throw new EncodeError('impossible combination of address sizes');
  if (new Set(gprs.map((r) => r.size)).size > 1)
    throw new EncodeError('impossible combination of address sizes');
  // `[ebx+ebx]` is ebx*2 to nasm's expression evaluator: no register with multiplier 1
  const sameTwice = mem.base !== undefined && mem.base === mem.index;
  const baseCandidates = sameTwice
    ? []
    : gprs.filter((r) => r.name === mem.base || (r.name === mem.index && mem.scale === 1));
  if (mem.ripRelative || baseCandidates.length === 0)
    throw new EncodeError('this memory operand has no base register to encode (nasm 2.16.01 panics on it)');
  const base = baseCandidates.reduce((a, b) => (b.name < a.name ? b : a));
  // (only the base is checked against the mode: nasm takes `[eax+r8d]` in 32-bit code, not `[r8d]`)
  if (bits !== 64 && base.needsRex) throw new EncodeError('invalid operands in non-64-bit mode');
  return { number: base.number & 15, addressSize: base.size };
}
