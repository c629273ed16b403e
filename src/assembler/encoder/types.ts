/**
 * The contract between the assembler's front end (lexer, preprocessor, parser, passes, object writers) and
 * the instruction encoder. The front end evaluates every operand expression to a `Value`, decides which
 * symbol a relocatable value is relative to, and calls `encodeInstruction` once per instruction per pass.
 * The encoder knows every opcode, prefix and ModRM/SIB rule and nothing about files, sections or passes.
 */

export type Bits = 16 | 32 | 64;

/** Operand sizes in bits, as written with NASM's size keywords (byte word dword qword tword oword yword). */
export type OperandSize = 8 | 16 | 32 | 64 | 80 | 128 | 256 | 512;

/**
 * Opaque handle of a symbol the front end owns (an extern, a global, or a section's own symbol).
 * The encoder compares handles for equality and copies them into fixups; it never looks inside.
 */
export type SymbolRef = number;

/**
 * The `symbol` of a PC-relative fixup whose target is an absolute address (`jmp 0x100000`): no front-end symbol
 * has this handle. Its `addend` is the address, adjusted like any other PC-relative addend.
 */
export const ABSOLUTE_SYMBOL: SymbolRef = 0;

/**
 * What an expression evaluated to.
 * - Absolute number: `symbol` absent.
 * - Relocatable: `symbol` + `offset` (a label in an object file is its section's symbol + the label's offset,
 *   unless the front end chose to relocate against the label's own symbol).
 * - `unknown`: not known yet in this pass (a forward reference). The encoder must not report range errors
 *   for it; for a relative branch it picks the short form (the front end grows branches that do not fit);
 *   for anything else it picks the form that can hold any value (imm32/disp32), as NASM does.
 */
export interface Value {
  offset: bigint;
  symbol?: SymbolRef;
  unknown?: boolean;
  /** `wrt ..plt`, `wrt ..gotpcrel`, `wrt ..got`, `wrt ..sym`...: the relocation flavour the source asked for. */
  wrt?: 'plt' | 'gotpcrel' | 'got' | 'sym' | 'tlsie' | 'gottpoff' | 'gotpc' | 'gotoff';
  /**
   * `symbol + offset` minus a place in the section being assembled (`lea rax, [rdi + other - $$]`): the front
   * end turns the fixup into a PC-relative one measured from the field.
   */
  selfRelative?: boolean;
}

/** AVX-512 operand decorators: `{k1}` write mask, `{z}` zeroing, `{1to16}` embedded broadcast (memory only). */
export interface VectorDecorators {
  /** Opmask register number 1-7 (`{k0}` is refused by the parser as nasm does). */
  mask?: number;
  zeroing?: boolean;
  /** N of `{1toN}`. */
  broadcast?: number;
}

/** Embedded rounding or suppress-all-exceptions operand: `{rn-sae}` `{rd-sae}` `{ru-sae}` `{rz-sae}` `{sae}`. */
export type RoundingControl = 'rn-sae' | 'rd-sae' | 'ru-sae' | 'rz-sae' | 'sae';

export interface RegisterOperand {
  kind: 'reg';
  decorators?: VectorDecorators;
  /** Lower-case register name as NASM spells it: `rax`, `r8d`, `r8b`, `spl`, `ah`, `xmm3`, `cr0`, `dr7`, `es`, `st1`. */
  name: string;
  /** NASM's `to` keyword before an x87 register (`fadd to st1`: the result goes to st1). */
  to?: boolean;
  /**
   * NASM 3's register-set notation `zmm1+3` (4FMAPS/4VNNIW sources: zmm1 and the three registers after it):
   * the number written after `+`. Only those sources take 3; `+0` is the register alone.
   */
  registerSet?: number;
}

export interface ImmediateOperand {
  kind: 'imm';
  value: Value;
  /** Size keyword written before the immediate (`push dword 5`, `add rax, byte 3`). */
  size?: OperandSize;
  /** `strict`: do not optimise the size away from the one written. */
  strict?: boolean;
  /**
   * Branch distance for jmp/jcc/call/loop: `short` or `near` as written in the source, or as the front end's
   * relaxation decided (it passes `near` for a branch that once failed to fit, so branches only ever grow).
   * `far` is `jmp far label` / `call far`.
   */
  distance?: 'short' | 'near' | 'far';
}

export interface MemoryOperand {
  kind: 'mem';
  decorators?: VectorDecorators;
  /** Size keyword in front of the brackets (`dword [x]`), if any. */
  size?: OperandSize;
  /** Explicit segment override (`[fs:rax]`, `fs:[rax]`). */
  segment?: 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';
  /**
   * Registers as the front end split the address expression: the first register with multiplier 1 is the
   * base, a register with another multiplier (or the second register) is the index with that scale. The
   * encoder applies NASM's rewrites (`[rbx*2]` -> `[rbx+rbx]`, `[rax*3]` -> `[rax+rax*2]`, swapping so that
   * rsp/esp is never an index, `nosplit`), and rejects what cannot be encoded.
   */
  base?: string;
  index?: string;
  scale: number;
  displacement: Value;
  /** Displacement size written inside the brackets (`[byte rax+1]`, `[dword rbp]`), if any. */
  displacementSize?: 8 | 16 | 32 | 64;
  /**
   * RIP-relative addressing in 64-bit mode: `rel` written, or `default rel` in force with no base/index and
   * no `abs`. The front end resolves `default rel`/`abs` so the encoder reads only this flag.
   */
  ripRelative: boolean;
  nosplit?: boolean;
  /**
   * What nasm's expression evaluator noticed about the registers, which steers its base/index choice: the first
   * register written (`register`) and whether it stayed a plain term (`makebase`), was multiplied (`notbase`),
   * or whether any two terms of the expression were summed (`summed`, which cancels the preference).
   */
  hint?: AddressHint;
  /** `jmp far [mem]` / `call far [mem]`. */
  far?: boolean;
}

export interface AddressHint {
  kind: 'makebase' | 'notbase' | 'summed';
  register?: string;
}

/** `jmp 0x08:label`, `call seg:off`. */
export interface FarPointerOperand {
  kind: 'farptr';
  segment: Value;
  offset: Value;
  /** Offset size written before it (`jmp dword 0x08:pm_entry` in 16-bit code); absent: the mode's default. */
  size?: OperandSize;
}

export type Operand = RegisterOperand | ImmediateOperand | MemoryOperand | FarPointerOperand;

export interface InstructionRequest {
  /** Lower-case mnemonic: `mov`, `jnz`, `rep movsb` is mnemonic `movsb` with prefix `rep`. */
  mnemonic: string;
  /**
   * Lower-case prefixes written before the mnemonic, in source order: `lock`, `rep`, `repe`, `repz`,
   * `repne`, `repnz`, `o16`, `o32`, `o64`, `a16`, `a32`, `a64`, `es`..`gs` (standalone segment prefixes),
   * `wait`, `xacquire`, `xrelease`, `bnd`.
   */
  prefixes: string[];
  operands: Operand[];
  bits: Bits;
  /**
   * Address of the instruction's first byte: `{symbol: <current section>, offset}` in object files,
   * an absolute number in flat binaries. A relative branch whose target has the same `symbol` (or both none)
   * is resolved to a constant displacement; any other target needs a fixup.
   */
  address: Value;
  /**
   * NASM's `-O0` / `-O1` (absent: the default `-Ox`). `O0`: immediates keep their full size unless `byte` is
   * written, `jmp` is near unless `short`, `jcc` short unless `near`. `O1`: sign-extended imm8 forms are used,
   * but `jmp` and `jcc` are near unless `short`, and `mov r64, imm` keeps its 10-byte form.
   */
  optimization?: 'O0' | 'O1';
  /** `{rn-sae}`/`{sae}` written among the operands of an EVEX instruction. */
  rounding?: RoundingControl;
  /** `cpu latevex`: the VEX forms of AVX-VNNI/AVX-IFMA instructions are taken without `{vex}`. */
  lateVex?: boolean;
  /** `cpu novex` / `cpu noevex`: forms of that encoding are not taken. */
  noVex?: boolean;
  noEvex?: boolean;
  /** `cpu` level or other options may be added here later; the encoder ignores unknown fields. */
}

/** A field of the encoded bytes the object writer must relocate (the bytes there are zero). */
export interface Fixup {
  /** Offset of the field from the instruction's first byte. */
  offset: number;
  size: 1 | 2 | 4 | 8;
  /** Field holds target - (address of the field) + addend, i.e. an ELF PC-relative relocation. */
  pcRelative: boolean;
  /** Field is sign-extended by the CPU (R_X86_64_32S rather than R_X86_64_32 for a 4-byte absolute field). */
  signed: boolean;
  symbol: SymbolRef;
  /**
   * The relocation addend, final: for pcRelative fields it already includes `-(distance from the field to the
   * end of the instruction)`, so `call ext` gives -4 and `cmp dword [rel x], 5` gives -5 (as NASM writes).
   */
  addend: bigint;
  /** pcRelative fields: the distance from the field to the end of the instruction (`addend` = target - this). */
  pcAdjust?: number;
  /** bin listings: the field as nasm lists it, before section placement (see the layout's `placementShift`). */
  listed?: bigint;
  listedRelative?: boolean;
  wrt?: Value['wrt'];
  /** See `Value.selfRelative`. */
  selfRelative?: boolean;
}

export type EncodeResult =
  { ok: true; bytes: Uint8Array; fixups: Fixup[]; warnings: string[] } | { ok: false; message: string };
