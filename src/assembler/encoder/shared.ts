/** Small helpers shared by the encoder's form selection, memory operand and layout modules. */
import type { Value } from './types.js';

/** An operand combination the CPU cannot encode; becomes `{ ok: false, message }`. */
export class EncodeError extends Error {}

export const isKnownAbsolute = (v: Value): boolean => v.symbol === undefined && !v.unknown;

/**
 * `value` wrapped to a signed `bits`-bit integer (bits <= 32), as a number. Avoids BigInt arithmetic (and its
 * allocations) on the hot path when the value is a safe integer, which it nearly always is.
 */
export function wrapSigned(value: bigint, bits: 8 | 16 | 32): number {
  const n = Number(value);
  if (Number.isSafeInteger(n)) return bits === 32 ? n | 0 : bits === 16 ? (n << 16) >> 16 : (n << 24) >> 24;
  return Number(BigInt.asIntN(bits, value));
}

export function defaultOperandSize(bits: number): number {
  return bits === 16 ? 16 : 32;
}
