/**
 * The padding `%use smartalign` puts in code: for a mode (`alignmode nop|generic|k7|k8|p6`) and the current
 * `bits`, a table of multi-byte no-op sequences of 1..N bytes; a gap is filled with N-byte sequences and one
 * shorter one for the rest. A gap longer than the mode's jump threshold is jumped over (`jmp short`, or a
 * near jump when it does not reach) and filled with plain 0x90. The sequences were learnt by assembling every
 * gap size with nasm 2.16.01's package and reading the bytes back.
 */

export type AlignMode = 'nop' | 'generic' | 'k7' | 'k8' | 'p6';

const ONE = ['90'];
const K8 = ['90', '6690', '666690', '66666690'];
const P6_32 = [
  '90',
  '6690',
  '0f1f00',
  '0f1f4000',
  '0f1f440000',
  '660f1f440000',
  '0f1f8000000000',
  '0f1f840000000000',
];

const SEQUENCES: Record<AlignMode, Record<16 | 32 | 64, string[]>> = {
  nop: { 16: ONE, 32: ONE, 64: ONE },
  generic: {
    16: [
      '90',
      '89f6',
      '8d7400',
      '8db40000',
      '8db4000090',
      '8db4000089ff',
      '8db400008d7d00',
      '8db400008dbd0000',
    ],
    32: ['90', '89f6', '8d7600', '8d742600', '908d742600', '8db600000000', '8db42600000000'],
    64: K8,
  },
  k7: {
    16: [
      '90',
      '6690',
      '666690',
      '66666690',
      '8db4000090',
      '8db4000089ff',
      '8db400008d7d00',
      '8db400008dbd0000',
    ],
    32: ['90', '8bc0', '8d0420', '8d442000', '8d44200090', '8d8000000000', '8d040500000000'],
    64: K8,
  },
  k8: { 16: K8, 32: K8, 64: K8 },
  p6: { 16: ['90', '6690', '0f1f00', '0f1f4000'], 32: P6_32, 64: P6_32 },
};

/** The jump threshold `alignmode MODE` uses when it is given none. */
export function defaultAlignThreshold(mode: AlignMode): number {
  return mode === 'generic' ? 8 : 16;
}

export function isAlignMode(name: string): name is AlignMode {
  return name in SEQUENCES;
}

/**
 * The pieces smartalign's `align` macro emits for a gap of `pad` bytes, as its lines do: a jump over the gap
 * and `times N nop` when the gap is past the threshold, else `times N db` of the mode's longest nop and one
 * shorter nop for the rest (nasm lists each `times` as its bytes once and the count).
 */
export function smartPaddingParts(
  pad: number,
  mode: AlignMode,
  threshold: number,
  bits: 16 | 32 | 64,
): Array<{ bytes: Uint8Array; repeat: number }> {
  if (pad === 0) return [];
  const nops = (n: number): Array<{ bytes: Uint8Array; repeat: number }> =>
    n > 0 ? [{ bytes: Uint8Array.of(0x90), repeat: n }] : [];
  if (pad > threshold) {
    if (pad - 2 <= 127) return [{ bytes: Uint8Array.of(0xeb, pad - 2), repeat: 1 }, ...nops(pad - 2)];
    const width = bits === 16 ? 2 : 4;
    const jump = new Uint8Array(1 + width);
    jump[0] = 0xe9;
    let rel = pad - 1 - width;
    for (let i = 0; i < width; i++, rel >>>= 8) jump[1 + i] = rel & 0xff;
    return [{ bytes: jump, repeat: 1 }, ...nops(pad - 1 - width)];
  }
  const table = SEQUENCES[mode][bits].map(hexBytes);
  const longest = table[table.length - 1]!;
  const parts: Array<{ bytes: Uint8Array; repeat: number }> = [];
  const count = Math.floor(pad / longest.length);
  if (count > 0) parts.push({ bytes: longest, repeat: count });
  const rest = pad - count * longest.length;
  if (rest > 0) parts.push({ bytes: table[rest - 1]!, repeat: 1 });
  return parts;
}

/** The bytes that fill a gap of `pad` bytes. */
export function smartPadding(
  pad: number,
  mode: AlignMode,
  threshold: number,
  bits: 16 | 32 | 64,
): Uint8Array {
  const out = new Uint8Array(pad);
  let at = 0;
  for (const { bytes, repeat } of smartPaddingParts(pad, mode, threshold, bits))
    for (let i = 0; i < repeat; i++, at += bytes.length) out.set(bytes, at);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
