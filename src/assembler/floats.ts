/**
 * Floating-point constants, as nasm reads and rounds them: decimal (`1.5e3`, `0d1.5`, `0t1.5`), hexadecimal
 * (`0x1.8p3`, `0h1.8`, `$1.8`), octal (`0o1.4p2`, `0q…`) and binary (`0b1.1p-1`, `0y…`) significands, packed
 * BCD (`123p`, `0p123`, `dt` only) and the specials `__?Infinity?__`, `__?QNaN?__`/`__?NaN?__`, `__?SNaN?__`.
 *
 * Values go through the same steps as in nasm 2.16, so the bytes are identical (tests/assembler/floats.test.ts
 * checks that against nasm): a 192-bit truncated significand (decimal through nasm's truncating 5^n
 * multiplies, which is why `dd 16777219.0` is 16777218 while `db 0.96875` ties to even), then rounding to
 * nearest-even at the format's width, denormals included, and nasm's range check at the top end.
 */

import { LineError } from './diagnostics.js';

/** An IEEE-style binary format: exponent bits, stored fraction bits, and whether the integer bit is stored. */
interface FloatFormat {
  expBits: number;
  fracBits: number;
  explicitInteger: boolean;
}

/** The format of each data unit: `db` is nasm's 8-bit float (1.4.3, bias 7), `dt` the x87 80-bit format. */
const FORMATS: Record<string, FloatFormat> = {
  1: { expBits: 4, fracBits: 3, explicitInteger: false },
  2: { expBits: 5, fracBits: 10, explicitInteger: false },
  4: { expBits: 8, fracBits: 23, explicitInteger: false },
  8: { expBits: 11, fracBits: 52, explicitInteger: false },
  10: { expBits: 15, fracBits: 63, explicitInteger: true },
  16: { expBits: 15, fracBits: 112, explicitInteger: false },
  /** `__?bfloat16?__` (the `fp` package's `bf16`): a single with its low 16 fraction bits gone. */
  bfloat16: { expBits: 8, fracBits: 7, explicitInteger: false },
};

/** A data unit in bytes, or `bfloat16`, the 2-byte format only `__?bfloat16?__` produces. */
export type FloatUnit = number | 'bfloat16';

/** Special values, as the parser spells them in a float data item's text. */
const FLOAT_SPECIALS: Record<string, string> = {
  __infinity__: 'Infinity',
  __qnan__: 'QNaN',
  __nan__: 'QNaN',
  __snan__: 'SNaN',
};

/** Reports a warning with nasm's warning class (`float-overflow`, `other`). */
export type FloatWarn = (message: string, warningClass: string) => void;

/**
 * A constant as nasm holds it before rounding: the first 192 significant bits (truncated), top bit set,
 * so that the value is 0.mantissa × 2^exponent; mantissa 0 for zero.
 */
interface Significand {
  mantissa: bigint;
  exponent: number;
}

const MANTISSA_BITS = 192;
const MANTISSA_MASK = (1n << 192n) - 1n;
/** nasm keeps this many decimal digits of a significand; later ones only scale it. */
const DECIMAL_DIGITS = 52;

const RADIX_OF_PREFIX: Record<string, number> = { x: 16, h: 16, o: 8, q: 8, b: 2, y: 2, d: 10, t: 10 };
const BITS_PER_DIGIT: Record<number, number> = { 16: 4, 8: 3, 2: 1 };

function significandError(c: string): string {
  return `invalid character in floating-point constant significand: '${c}'`;
}

/** nasm's truncating 192×192-bit multiply: the top 192 bits, normalised, and the exponent change (0 or -1). */
function multiply(a: bigint, b: bigint): [bigint, number] {
  const product = a * b;
  if ((product >> 383n) & 1n) return [product >> 192n, 0];
  return [(product >> 191n) & MANTISSA_MASK, -1];
}

/**
 * A decimal significand with an optional `e` exponent, converted the way nasm 2.16 does: the digits as a
 * binary fraction truncated to 192 bits, then multiplied by 5^exponent through truncating square-and-
 * multiply. Its small errors are what make some exact decimal ties round down, so they are reproduced.
 */
function parseDecimal(body: string): Significand {
  const m = /^([0-9.]*)(?:e([+-]?[0-9]*))?$/i.exec(body);
  if (!m) {
    const bad = /[^0-9.]/.exec(body.replace(/e.*$/i, '')) ?? /[^0-9+-]/.exec(body.replace(/^[^e]*e/i, ''));
    throw new Error(
      /e/i.test(body) && !/[^0-9.]/.test(body.replace(/e.*$/i, ''))
        ? `invalid character in floating-point constant exponent: '${bad?.[0] ?? ''}'`
        : significandError(bad?.[0] ?? ''),
    );
  }
  const text = m[1]!;
  if ((text.match(/\./g) ?? []).length > 1) throw new Error('too many periods in floating-point constant');
  let tenPower = 0;
  let started = false;
  let seenDot = false;
  let digits = '';
  for (const c of text) {
    if (c === '.') seenDot = true;
    else if (c === '0' && !started) {
      if (seenDot) tenPower--;
    } else {
      started = true;
      if (digits.length < DECIMAL_DIGITS) digits += c;
      if (!seenDot) tenPower++;
    }
  }
  // nasm stops reading the exponent once it passes 5000: the value is zero or infinite by then anyway
  let e = 0;
  for (const c of (m[2] ?? '').replace(/^[+-]/, '')) {
    e = e * 10 + Number(c);
    if (e > 5000) break;
  }
  tenPower += m[2]?.startsWith('-') ? -e : e;
  const value = BigInt(digits || '0');
  if (value === 0n) return { mantissa: 0n, exponent: 0 };
  // 0.digits as a binary fraction: leading zero bits counted, then 192 bits from the first one
  const scale = 10n ** BigInt(digits.length);
  let leadingZeros = 0;
  while (value << BigInt(leadingZeros + 1) < scale) leadingZeros++;
  let mantissa = (value << BigInt(leadingZeros + MANTISSA_BITS)) / scale;
  let twoPower = -leadingZeros + tenPower;
  let mult: bigint;
  let extraTwos: number;
  if (tenPower < 0) {
    mult = (0xccccccccn * ((1n << 192n) - 1n)) / 0xffffffffn + 1n; // 0.8, rounded up in its last limb
    extraTwos = -2;
    tenPower = -tenPower;
  } else {
    mult = 5n << 189n; // 0.625
    extraTwos = 3;
  }
  while (tenPower) {
    if (tenPower & 1) {
      const [product, shift] = multiply(mantissa, mult);
      mantissa = product;
      twoPower += extraTwos + shift;
    }
    const [square, shift] = multiply(mult, mult);
    mult = square;
    extraTwos = extraTwos * 2 + shift;
    tenPower >>= 1;
  }
  return { mantissa, exponent: twoPower };
}

/** A hex, octal or binary significand with an optional binary `p` exponent, truncated to 192 bits. */
function parsePowerOfTwo(body: string, radix: number): Significand {
  const m = /^([0-9a-f.]*)(?:p([+-]?[0-9]*))?$/i.exec(body);
  const bits = BITS_PER_DIGIT[radix]!;
  if (!m) {
    const bad = /[^0-9a-f.]/i.exec(body.replace(/p.*$/i, ''));
    throw new Error(significandError(bad?.[0] ?? body[0] ?? ''));
  }
  const text = m[1]!;
  if ((text.match(/\./g) ?? []).length > 1) throw new Error('too many periods in floating-point constant');
  for (const c of text) if (c !== '.' && parseInt(c, 16) >= radix) throw new Error(significandError(c));
  const [whole = '', fraction = ''] = text.split('.');
  const all = (whole + fraction).replace(/^0+/, '');
  if (all === '') return { mantissa: 0n, exponent: 0 };
  let value = 0n;
  for (const c of all) value = (value << BigInt(bits)) | BigInt(parseInt(c, 16));
  const length = bitLength(value);
  const mantissa =
    length >= MANTISSA_BITS
      ? value >> BigInt(length - MANTISSA_BITS)
      : value << BigInt(MANTISSA_BITS - length);
  const exp = Math.max(-1000000, Math.min(1000000, Number(m[2] || '0')));
  // value = 0.mantissa × 2^length, then the fraction digits scale it down
  return { mantissa, exponent: length - fraction.length * bits + exp };
}

/** The value of a constant's text (underscores already removed), or a packed BCD digit string. */
function parseConstant(s: string): Significand | { bcd: string } {
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

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/**
 * Rounds a significand into `fmt` as nasm 2.16 does: the 192 bits are shifted under the sign and exponent
 * fields (bits shifted out are lost) and rounded to nearest-even at the format's width. nasm's range check
 * admits one exponent above the largest normal: such a value keeps the all-ones exponent (`dw 0x1.8p16` is
 * 0x7e00), and only a value beyond it, or one that rounds up into it, overflows to infinity with a warning.
 */
function round(
  value: Significand,
  fmt: FloatFormat,
  width: number,
): { significand: bigint; biased: number; overflow: boolean } {
  const expMax = 1 << (fmt.expBits - 1);
  const fieldBits = fmt.expBits + (fmt.explicitInteger ? 1 : 0);
  const exponent = value.exponent - 1;
  const overflow = { significand: 0n, biased: -1, overflow: true };
  const roundAt = (shift: number): bigint => {
    const container = shift >= MANTISSA_BITS ? 0n : value.mantissa >> BigInt(shift);
    const dropped = BigInt(MANTISSA_BITS - width);
    let kept = container >> dropped;
    const rest = container & ((1n << dropped) - 1n);
    const half = 1n << (dropped - 1n);
    if (rest > half || (rest === half && (kept & 1n) === 1n)) kept++;
    return kept;
  };
  const integerBit = 1n << BigInt(fmt.fracBits);
  if (exponent >= 2 - expMax && exponent <= expMax) {
    let kept = roundAt(fieldBits);
    let biased = exponent + expMax - 1;
    if (kept >= integerBit << 1n) {
      kept >>= 1n;
      biased++;
      if (biased >= (expMax << 1) - 1) return overflow;
    }
    return { significand: kept, biased, overflow: false };
  }
  if (exponent > 0) return overflow;
  const kept = roundAt(-(exponent + expMax - 2 - fmt.expBits) + (fmt.explicitInteger ? 1 : 0));
  return { significand: kept, biased: kept >= integerBit ? 1 : 0, overflow: false };
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
  floatUnit: FloatUnit,
  col: number,
  warn?: FloatWarn,
): Uint8Array {
  const fmt = FORMATS[floatUnit];
  const unit = floatUnit === 'bfloat16' ? 2 : floatUnit;
  if (!fmt) throw new LineError(`no ${unit * 8}-bit floating-point format supported`, col);
  const maxExp = (1 << fmt.expBits) - 1;
  const frac = BigInt(fmt.fracBits);
  const integerBit = fmt.explicitInteger ? 1n << frac : 0n;
  const special = (biased: number, significand: bigint): Uint8Array =>
    littleEndian(pattern(fmt, negative, biased, significand), unit);
  if (text === 'Infinity') return special(maxExp, integerBit);
  if (text === 'QNaN' || text === 'NaN') return special(maxExp, integerBit | (1n << (frac - 1n)));
  if (text === 'SNaN') return special(maxExp, integerBit | 1n);
  let value: Significand | { bcd: string };
  try {
    value = parseConstant(text.replace(/_/g, ''));
    if ('bcd' in value) return packedBcd(value.bcd, negative, unit, warn);
  } catch (e) {
    if (e instanceof Error && !(e instanceof LineError)) throw new LineError(e.message, col);
    throw e;
  }
  if (value.mantissa === 0n) return special(0, 0n);
  const r = round(value, fmt, unit * 8);
  if (r.overflow) {
    warn?.('overflow in floating-point constant', 'float-overflow');
    return special(maxExp, integerBit);
  }
  return special(r.biased, r.significand);
}

/** `__?float32?__` and friends: the data unit they encode, and which 8-byte/2-byte part they keep. */
const FLOAT_FUNCTIONS: Record<string, { unit: FloatUnit; from: number; size: number }> = {
  __float8__: { unit: 1, from: 0, size: 1 },
  __float16__: { unit: 2, from: 0, size: 2 },
  __bfloat16__: { unit: 'bfloat16', from: 0, size: 2 },
  __float32__: { unit: 4, from: 0, size: 4 },
  __float64__: { unit: 8, from: 0, size: 8 },
  __float80m__: { unit: 10, from: 0, size: 8 },
  __float80e__: { unit: 10, from: 8, size: 2 },
  __float128l__: { unit: 16, from: 0, size: 8 },
  __float128h__: { unit: 16, from: 8, size: 8 },
};

/** The lower-cased name without nasm's `?` decorations, if it is a float function (`__?float32?__`). */
export function floatFunctionName(name: string): string | undefined {
  // every identifier in an expression comes here: only names starting `__` (after `?`s) can be one
  if (!mayBeDecorated(name)) return undefined;
  const bare = name.replace(/\?/g, '').toLowerCase();
  // nasm's standard macros alias the old `__float32__` spellings; bfloat16 only has the `__?…?__` one
  if (bare === '__bfloat16__' && !name.includes('?')) return undefined;
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
  if (!mayBeDecorated(name)) return undefined;
  return FLOAT_SPECIALS[name.replace(/\?/g, '').toLowerCase()];
}

/** Whether a name can be one of nasm's `__?name?__` specials: it starts with `_` or `?`. */
function mayBeDecorated(name: string): boolean {
  const c = name.charCodeAt(0);
  // `_` or `?`
  return c === 95 || c === 63;
}
