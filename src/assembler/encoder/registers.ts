/**
 * Every register name NASM 2.16 knows, with what the encoder needs to place it in an instruction.
 * The front end's lexer uses `lookupRegister` to tell registers from symbols, so names NASM does not treat
 * as registers (`rip`, `st`, `r8l`) are deliberately absent.
 */

export type RegisterClass =
  | 'gpr'
  | 'segment'
  | 'control'
  | 'debug'
  | 'test'
  | 'x87'
  | 'mmx'
  | 'xmm'
  | 'ymm'
  | 'zmm'
  | 'mask'
  | 'bound'
  | 'tile';

export interface RegisterInfo {
  name: string;
  class: RegisterClass;
  /** Width in bits (gpr 8/16/32/64, segment 16, xmm 128, ...). */
  size: number;
  /** Number as encoded: low 3 bits go in ModRM/SIB/opcode, bit 3 in REX.R/X/B. */
  number: number;
  /** Encodable only with a REX prefix: r8-r15 in any size, and spl/bpl/sil/dil. */
  needsRex: boolean;
  /** ah/ch/dh/bh: not encodable in an instruction that has a REX prefix. */
  forbidsRex: boolean;
}

const registers = new Map<string, RegisterInfo>();

function add(
  name: string,
  cls: RegisterClass,
  size: number,
  number: number,
  needsRex = false,
  forbidsRex = false,
): void {
  registers.set(name, { name, class: cls, size, number, needsRex, forbidsRex });
}

const legacyNames = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
legacyNames.forEach((base, n) => {
  add(base, 'gpr', 16, n);
  add('e' + base, 'gpr', 32, n);
  add('r' + base, 'gpr', 64, n);
});
['al', 'cl', 'dl', 'bl'].forEach((name, n) => add(name, 'gpr', 8, n));
['ah', 'ch', 'dh', 'bh'].forEach((name, n) => add(name, 'gpr', 8, n + 4, false, true));
['spl', 'bpl', 'sil', 'dil'].forEach((name, n) => add(name, 'gpr', 8, n + 4, true));
for (let n = 8; n < 16; n++) {
  add(`r${n}`, 'gpr', 64, n, true);
  add(`r${n}d`, 'gpr', 32, n, true);
  add(`r${n}w`, 'gpr', 16, n, true);
  add(`r${n}b`, 'gpr', 8, n, true);
}
['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'segr6', 'segr7'].forEach((name, n) => add(name, 'segment', 16, n));
for (let n = 0; n < 16; n++) {
  add(`cr${n}`, 'control', 64, n, n >= 8);
  add(`dr${n}`, 'debug', 64, n, n >= 8);
}
for (let n = 0; n < 8; n++) {
  add(`tr${n}`, 'test', 32, n);
  add(`st${n}`, 'x87', 80, n);
  add(`mm${n}`, 'mmx', 64, n);
  add(`k${n}`, 'mask', 64, n);
  add(`tmm${n}`, 'tile', 8192, n);
}
for (let n = 0; n < 4; n++) add(`bnd${n}`, 'bound', 128, n);
for (let n = 0; n < 32; n++) {
  add(`xmm${n}`, 'xmm', 128, n, n >= 8);
  add(`ymm${n}`, 'ymm', 256, n, n >= 8);
  add(`zmm${n}`, 'zmm', 512, n, n >= 8);
}

/** Register info for a lower-case NASM register name, or undefined if the name is not a register. */
export function lookupRegister(name: string): RegisterInfo | undefined {
  return registers.get(name);
}

/** All register names, for tests and the lexer's keyword tables. */
export function registerNames(): string[] {
  return [...registers.keys()];
}
