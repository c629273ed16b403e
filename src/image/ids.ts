import { createHash, randomBytes } from 'node:crypto';

/**
 * Where unique ids and timestamps come from. With a SOURCE_DATE_EPOCH everything derives from it (and
 * from what the id is for), so rebuilding gives the same bytes; without one, ids are random.
 */
export class IdSource {
  readonly epochSeconds: number;

  constructor(readonly sourceDateEpoch?: number) {
    this.epochSeconds = sourceDateEpoch ?? Math.floor(Date.now() / 1000);
  }

  private bytes(purpose: string, length: number): Uint8Array {
    if (this.sourceDateEpoch === undefined) return new Uint8Array(randomBytes(length));
    const digest = createHash('sha256').update(`ostool-image:${this.sourceDateEpoch}:${purpose}`).digest();
    return new Uint8Array(digest.subarray(0, length));
  }

  /** A version-4 style GUID in GPT's on-disk byte order (the first three fields little-endian). */
  guid(purpose: string): Uint8Array {
    const bytes = this.bytes(purpose, 16);
    bytes[7] = (bytes[7] & 0x0f) | 0x40; // version 4 (high nibble of the little-endian 3rd field)
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    return bytes;
  }

  serial32(purpose: string): number {
    const bytes = this.bytes(purpose, 4);
    return (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
  }

  get date(): Date {
    return new Date(this.epochSeconds * 1000);
  }
}

/** Parses `C12A7328-F81F-11D2-BA4B-00A0C93EC93B` into GPT's mixed-endian byte order. */
export function guidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`bad GUID ${text}`);
  const plain = Uint8Array.from(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
  const out = new Uint8Array(16);
  out.set([plain[3], plain[2], plain[1], plain[0], plain[5], plain[4], plain[7], plain[6]], 0);
  out.set(plain.subarray(8), 8);
  return out;
}

/** The inverse of `guidBytes`, upper case like sgdisk prints. */
export function guidText(bytes: Uint8Array): string {
  const hex = (indices: number[]) => indices.map((i) => bytes[i].toString(16).padStart(2, '0')).join('');
  return [hex([3, 2, 1, 0]), hex([5, 4]), hex([7, 6]), hex([8, 9]), hex([10, 11, 12, 13, 14, 15])]
    .join('-')
    .toUpperCase();
}
