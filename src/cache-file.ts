import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';

/**
 * Files in ostool's cache ($XDG_CACHE_HOME/ostool) carry their own checksum, so a cache file that was truncated,
 * corrupted or half-copied is noticed when read, thrown away and rebuilt instead of being used:
 *
 *   "OSTOOLC1" | SHA-256 of the payload (32 bytes) | payload length (u64 LE) | payload
 *
 * Writes go through writeFileAtomic, so parallel builds each write a complete file and the last rename wins.
 */
const MAGIC = Buffer.from('OSTOOLC1', 'latin1');
const HEADER_SIZE = MAGIC.length + 32 + 8;

export function writeCacheFile(path: string, payload: Uint8Array | string): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  createHash('sha256').update(bytes).digest().copy(header, MAGIC.length);
  header.writeBigUInt64LE(BigInt(bytes.length), MAGIC.length + 32);
  writeFileAtomic(path, Buffer.concat([header, bytes]), { makeDirectory: true });
}

/** The payload, or undefined when the file is missing or fails its checksum (a bad file is removed). */
export function readCacheFile(path: string): Uint8Array | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  const payload = data.subarray(HEADER_SIZE);
  const intact =
    data.length >= HEADER_SIZE &&
    data.subarray(0, MAGIC.length).equals(MAGIC) &&
    data.readBigUInt64LE(MAGIC.length + 32) === BigInt(payload.length) &&
    createHash('sha256')
      .update(payload)
      .digest()
      .equals(data.subarray(MAGIC.length, MAGIC.length + 32));
  if (intact) return new Uint8Array(payload);
  rmSync(path, { force: true });
  return undefined;
}
