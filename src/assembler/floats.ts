/**
 * Floating-point constants, as nasm reads and rounds them: decimal (`1.5e3`, `0d1.5`, `0t1.5`), hexadecimal
 * (`0x1.8p3`, `0h1.8`, `$1.8`), octal (`0o1.4p2`, `0q…`) and binary (`0b1.1p-1`, `0y…`) significands, packed
 * BCD (`123p`, `0p123`, `dt` only) and the specials `__?Infinity?__`, `__?QNaN?__`/`__?NaN?__`, `__?SNaN?__`.
 *
 * Every value is converted exactly (a BigInt rational) and rounded to nearest-even into the target format,
 * denormals and overflow included. One nasm quirk is kept on purpose: nasm builds decimal significands by
 * truncating multi-precision arithmetic, so a decimal constant exactly halfway between two representable
 * values rounds towards zero (`dd 16777219.0` is 16777218), while hex/octal/binary ties round to even.
 */

import { LineError } from './diagnostics.js';

/** An IEEE-style binary format: exponent bits, stored fraction bits, and whether the integer bit is stored. */
interface FloatFormat {
  expBits: number;
  fracBits: number;
  explicitInteger: boolean;
}

/** The format of each data unit: `db` is nasm's 8-bit float (1.4.3, bias 7), `dt` the x87 80-bit format. */
const FORMATS: Record<number, FloatFormat> = {
  1: { expBits: 4, fracBits: 3, explicitInteger: false },
  2: { expBits: 5, fracBits: 10, explicitInteger: false },
  4: { expBits: 8, fracBits: 23, explicitInteger: false },
  8: { expBits: 11, fracBits: 52, explicitInteger: false },
  10: { expBits: 15, fracBits: 63, explicitInteger: true },
  16: { expBits: 15, fracBits: 112, explicitInteger: false },
};

/** Special values, as the parser spells them in a float data item's text. */
const FLOAT_SPECIALS: Record<string, string> = {
  __infinity__: 'Infinity',
  __qnan__: 'QNaN',
  __nan__: 'QNaN',
  __snan__: 'SNaN',
};

/** Reports a warning with nasm's warning class (`float-overflow`, `other`). */
export type FloatWarn = (message: string, warningClass: string) => void;

interface Rational {
  num: bigint;
  den: bigint;
  /** Decimal text: exact ties round towards zero, as nasm's truncating conversion does. */
  decimal: boolean;
}

const RADIX_OF_PREFIX: Record<string, number> = { x: 16, h: 16, o: 8, q: 8, b: 2, y: 2, d: 10, t: 10 };
const BITS_PER_DIGIT: Record<number, number> = { 16: 4, 8: 3, 2: 1 };

function significandError(c: string): string {
  return `invalid character in floating-point constant significand: '${c}'`;
}

/** A decimal significand with an optional `e` exponent. */
function parseDecimal(body: string): Rational {
  const m = /^([0-9]*)(?:\.([0-9]*))?(?:e([+-]?[0-9]+))?$/i.exec(body);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
    const bad = /[^0-9.]/.exec(body.replace(/e[+-]?[0-9]*$/i, ''));
    throw new Error(bad ? significandError(bad[0]) : 'invalid floating-point constant');
  }
  const frac = m[2] ?? '';
  const digits = BigInt((m[1] ?? '') + frac || '0');
  // Beyond ±100000 the value is zero or infinite in every format: clamp before building 10^exp10.
  const exp10 = Math.max(-100000, Math.min(100000, Number(m[3] ?? '0'))) - frac.length;
  if (exp10 >= 0) return { num: digits * 10n ** BigInt(exp10), den: 1n, decimal: true };
  return { num: digits, den: 10n ** BigInt(-exp10), decimal: true };
}

/** A hex, octal or binary significand with an optional binary `p` exponent. */
function parsePowerOfTwo(body: string, radix: number): Rational {
  const m = /^([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?$/i.exec(body);
  const digitOk = (c: string): boolean => parseInt(c, 16) < radix;
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) {
    const bad = /[^0-9a-f.]/i.exec(body.replace(/p[+-]?[0-9]*$/i, ''));
    throw new Error(bad ? significandError(bad[0]) : 'invalid floating-point constant');
  }
  const all = (m[1] ?? '') + (m[2] ?? '');
  for (const c of all) if (!digitOk(c)) throw new Error(significandError(c));
  let digits = 0n;
  for (const c of all) digits = digits * BigInt(radix) + BigInt(parseInt(c, 16));
  const exp2 =
    Math.max(-400000, Math.min(400000, Number(m[3] ?? '0'))) - (m[2] ?? '').length * BITS_PER_DIGIT[radix]!;
  if (exp2 >= 0) return { num: digits << BigInt(exp2), den: 1n, decimal: false };
  return { num: digits, den: 1n << BigInt(-exp2), decimal: false };
}

/** The exact value of a constant's text (underscores already removed), or a packed BCD digit string. */
function parseConstant(s: string): Rational | { bcd: string } {
  const lower = s.toLowerCase();
  if (lower[0] === '$') return parsePowerOfTwo(s.slice(1), 16);
  if (lower[0] === '0' && lower.length > 1) {
    if (lower[1] === 'p') return { bcd: s.slice(2) };
    const radix = RADIX_OF_PREFIX[lower[1]!];
    if (radix === 10) return parseDecimal(s.slice(2));
    if (radix !== undefined) return parsePowerOfTwo(s.slice(2), radix);
  }
  if (lower.endsWith('p')) return { bcd: s.slice(0, -1) };
  return parseDecimal(s);
}

/** About log2 of the value, from the text's size alone, to keep absurd exponents out of BigInt. */
function roughLog2(value: Rational): number {
  return bitLength(value.num) - bitLength(value.den);
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Rounds num/den (> 0) into `fmt`: the significand (integer bit included) and the biased exponent.
 * Two nasm 2.16 behaviours are reproduced: a decimal value is taken as a hair below its exact value (so an
 * exact power of two arrives as 0.111…×2^(e+1) and rounds up into place), and the range check before
 * rounding admits one exponent above the largest normal: such a value is stored with the all-ones exponent
 * (`dw 0x1.8p16` is 0x7e00) and only a value that rounds up beyond that overflows to infinity with a warning.
 */
function round(value: Rational, fmt: FloatFormat): { significand: bigint; biased: number; overflow: boolean } {
  const precision = fmt.fracBits + 1;
  const bias = (1 << (fmt.expBits - 1)) - 1;
  const minExp = 1 - bias;
  const overflow = { significand: 0n, biased: -1, overflow: true };
  let exp = bitLength(value.num) - bitLength(value.den);
  if (exp >= 0 ? value.num < value.den << BigInt(exp) : value.num << BigInt(-exp) < value.den) exp--;
  else if (value.decimal && isPowerOfTwoRatio(value, exp)) exp--;
  if (exp > bias + 1) return overflow;
  exp = Math.max(exp, minExp);
  const shift = precision - 1 - exp;
  const n = shift >= 0 ? value.num << BigInt(shift) : value.num;
  const d = shift >= 0 ? value.den : value.den << BigInt(-shift);
  let q = n / d;
  const twiceRest = (n % d) * 2n;
  if (twiceRest > d || (twiceRest === d && !value.decimal && (q & 1n) === 1n)) q++;
  if (q >= 1n << BigInt(precision)) {
    q >>= 1n;
    exp++;
    if (exp > bias) return overflow;
  }
  const normal = q >= 1n << BigInt(precision - 1);
  return { significand: q, biased: normal ? exp + bias : 0, overflow: false };
}

/** Whether num/den is exactly 2^exp (exp < 0 included). */
function isPowerOfTwoRatio(value: Rational, exp: number): boolean {
  return exp >= 0
    ? value.num === value.den << BigInt(exp)
    : value.num << BigInt(-exp) === value.den;
}

function packedBcd(digits: string, negative: boolean, unit: number, warn?: FloatWarn): Uint8Array {
  if (unit !== 10) throw new Error('packed BCD requires an 80-bit format');
  const bad = /[^0-9]/.exec(digits);
  if (bad || digits === '') throw new Error(`invalid character in packed BCD constant: '${bad?.[0] ?? ''}'`);
  let kept = digits.replace(/^0+(?=.)/, '');
  if (kept.length > 18) {
    warn?.('packed BCD truncated to 18 digits', 'other');
    kept = kept.slice(-18);
  }
  const out = new Uint8Array(10);
  for (let i = 0; i < kept.length; i++) {
    const digit = kept.charCodeAt(kept.length - 1 - i) - 48;
    out[i >> 1]! |= i & 1 ? digit << 4 : digit;
  }
  if (negative) out[9] = 0x80;
  return out;
}

/** Little-endian bytes of `unit` from a bit pattern. */
function littleEndian(bits: bigint, unit: number): Uint8Array {
  const out = new Uint8Array(unit);
  for (let i = 0; i < unit; i++) out[i] = Number((bits >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The bit pattern of a special value or a rounded finite value in `fmt`. */
function pattern(fmt: FloatFormat, sign: boolean, biased: number, significand: bigint): bigint {
  const significandBits = BigInt(fmt.fracBits + (fmt.explicitInteger ? 1 : 0));
  const stored =
    (significand & ((1n << BigInt(fmt.fracBits)) - 1n)) | (fmt.explicitInteger ? significand : 0n);
  const signBit = sign ? 1n << (significandBits + BigInt(fmt.expBits)) : 0n;
  return signBit | (BigInt(biased) << significandBits) | stored;
}

/**
 * The `unit`-byte encoding (1, 2, 4, 8, 10 or 16) of a float constant's text, negated if `negative`.
 * Throws LineError at `col` for text that is no float constant and for units without a float format.
 */
export function encodeFloat(
  text: string,
  negative: boolean,
  unit: number,
  col: number,
  warn?: FloatWarn,
): Uint8Array {
  const fmt = FORMATS[unit];
  if (!fmt) throw new LineError(`no ${unit * 8}-bit floating-point format supported`, col);
  const maxExp = (1 << fmt.expBits) - 1;
  const frac = BigInt(fmt.fracBits);
  const integerBit = fmt.explicitInteger ? 1n << frac : 0n;
  const special = (biased: number, significand: bigint): Uint8Array =>
    littleEndian(pattern(fmt, negative, biased, significand), unit);
  if (text === 'Infinity') return special(maxExp, integerBit);
  if (text === 'QNaN' || text === 'NaN') return special(maxExp, integerBit | (1n << (frac - 1n)));
  if (text === 'SNaN') return special(maxExp, integerBit | 1n);
  let value: Rational | { bcd: string };
  try {
    value = parseConstant(text.replace(/_/g, ''));
    if ('bcd' in value) return packedBcd(value.bcd, negative, unit, warn);
  } catch (e) {
    if (e instanceof Error && !(e instanceof LineError)) throw new LineError(e.message, col);
    throw e;
  }
  if (value.num === 0n) return special(0, 0n);
  const magnitude = roughLog2(value);
  if (magnitude < -20000) return special(0, 0n);
  const r = magnitude > 20000 ? { significand: 0n, biased: -1, overflow: true } : round(value, fmt);
  if (r.overflow) {
    warn?.('overflow in floating-point constant', 'float-overflow');
    return special(maxExp, integerBit);
  }
  return special(r.biased, r.significand);
}

/** `__?float32?__` and friends: the data unit they encode, and which 8-byte/2-byte part they keep. */
const FLOAT_FUNCTIONS: Record<string, { unit: number; from: number; size: number }> = {
  __float8__: { unit: 1, from: 0, size: 1 },
  __float16__: { unit: 2, from: 0, size: 2 },
  __float32__: { unit: 4, from: 0, size: 4 },
  __float64__: { unit: 8, from: 0, size: 8 },
  __float80m__: { unit: 10, from: 0, size: 8 },
  __float80e__: { unit: 10, from: 8, size: 2 },
  __float128l__: { unit: 16, from: 0, size: 8 },
  __float128h__: { unit: 16, from: 8, size: 8 },
};

/** The lower-cased name without nasm's `?` decorations, if it is a float function (`__?float32?__`). */
export function floatFunctionName(name: string): string | undefined {
  const bare = name.replace(/\?/g, '').toLowerCase();
  return FLOAT_FUNCTIONS[bare] ? bare : undefined;
}

/** The integer a float function yields: its part of the encoding, little-endian, unsigned. */
export function floatFunctionValue(
  name: string,
  text: string,
  negative: boolean,
  col: number,
  warn?: FloatWarn,
): bigint {
  const f = FLOAT_FUNCTIONS[name]!;
  const bytes = encodeFloat(text, negative, f.unit, col, warn);
  let v = 0n;
  for (let i = f.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[f.from + i]!);
  return v;
}

/** `__?Infinity?__`, `__?QNaN?__`, `__?NaN?__`, `__?SNaN?__`: the float text they stand for. */
export function floatSpecialText(name: string): string | undefined {
  return FLOAT_SPECIALS[name.replace(/\?/g, '').toLowerCase()];
}
