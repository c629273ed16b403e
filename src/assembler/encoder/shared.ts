/** Small helpers shared by the encoder's form selection, memory operand and layout modules. */
import type { Value } from './types.js';

/** An operand combination the CPU cannot encode; becomes `{ ok: false, message }`. */
export class EncodeError extends Error {}

export const isKnownAbsolute = (v: Value): boolean => v.symbol === undefined && !v.unknown;

export function defaultOperandSize(bits: number): number {
  return bits === 16 ? 16 : 32;
}
