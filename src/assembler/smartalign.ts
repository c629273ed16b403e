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

/** The bytes that fill a gap of `pad` bytes. */
export function smartPadding(
  pad: number,
  mode: AlignMode,
  threshold: number,
  bits: 16 | 32 | 64,
): Uint8Array {
  const out = new Uint8Array(pad);
  if (pad === 0) return out;
  if (pad > threshold) {
    out.fill(0x90);
    if (pad - 2 <= 127) {
      out[0] = 0xeb;
      out[1] = pad - 2;
    } else {
      const width = bits === 16 ? 2 : 4;
      out[0] = 0xe9;
      let rel = pad - 1 - width;
      for (let i = 0; i < width; i++, rel >>>= 8) out[1 + i] = rel & 0xff;
    }
    return out;
  }
  const table = SEQUENCES[mode][bits].map(hexBytes);
  const longest = table[table.length - 1]!;
  let at = 0;
  while (pad - at >= longest.length) {
    out.set(longest, at);
    at += longest.length;
  }
  if (at < pad) out.set(table[pad - at - 1]!, at);
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
