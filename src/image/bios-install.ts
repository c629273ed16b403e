/**
 * `limine bios-install`, reimplemented from the algorithm of Limine's host/limine.c: stage 1 goes into
 * the MBR boot code (keeping the disk timestamp and the partition table), stage 2 is split in two halves
 * that go either right after the MBR (MBR disks) or into the tail of the primary and backup GPT entry
 * arrays (GPT disks, shrinking the arrays), and stage 1 is patched with where the halves are.
 */
import { UserError } from '../errors.js';
import { crc32, view } from './bytes.js';
import type { DiskImage } from './disk-image.js';
import { GPT_HEADER_SIZE } from './gpt.js';

const SECTOR = 512;
/** Where stage 1 keeps the sizes and byte offsets of the two stage-2 halves. */
const STAGE2_LOCATION_FIELD = 0x1a4;
/** Bytes of the old MBR that survive: the "disk timestamp" some Windows versions keep... */
const TIMESTAMP = { offset: 218, length: 6 };
/** ...and the disk signature, copy-protect word and the four partition entries. */
const PARTITION_TABLE = { offset: 440, length: 70 };
/** Embedding assumes the stage-2 half fits in the 32 sectors a 128-entry array starts with (as Limine does). */
const ENTRY_ARRAY_SPAN = 32;

export interface BiosInstallResult {
  scheme: 'gpt' | 'mbr';
  stage2Offsets: [number, number];
  stage2Sizes: [number, number];
  /** GPT only: the entry count left after embedding (44 for Limine 8's stage 2). */
  gptEntryCount?: number;
}

/** Parses `limine-bios-hdd.h`: the C array of hex bytes Limine ships (`const uint8_t ...[] = { 0xeb, ... };`). */
export function parseBiosHddHeader(text: string, source = 'limine-bios-hdd.h'): Uint8Array {
  const open = text.indexOf('{');
  const close = text.indexOf('}', open);
  if (open < 0 || close < 0) throw new UserError(`${source}: no C array found`);
  // A hand-written scanner over char codes: the header is ~130 KB of "0xNN, " and this runs per image.
  const bytes = new Uint8Array(Math.ceil((close - open) / 5) + 1);
  let count = 0;
  let at = open + 1;
  const hexValue = (code: number) =>
    code >= 48 && code <= 57
      ? code - 48
      : code >= 97 && code <= 102
        ? code - 87
        : code >= 65 && code <= 70
          ? code - 55
          : -1;
  while (at < close) {
    const code = text.charCodeAt(at);
    if (code === 0x2c || code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) {
      at++;
      continue;
    }
    const high = hexValue(text.charCodeAt(at + 2));
    const low = hexValue(text.charCodeAt(at + 3));
    const ok = code === 0x30 && (text.charCodeAt(at + 1) | 0x20) === 0x78 && high >= 0;
    if (!ok || count >= bytes.length)
      throw new UserError(`${source}: byte ${count} is not a hex byte: '${text.slice(at, at + 6).trim()}'`);
    if (low >= 0) {
      bytes[count++] = high * 16 + low;
      at += 4;
    } else {
      bytes[count++] = high;
      at += 3;
    }
  }
  const stages = bytes.slice(0, count);
  if (stages.length < SECTOR + SECTOR)
    throw new UserError(`${source}: only ${stages.length} bytes, expected stage 1 and stage 2`);
  if (stages[510] !== 0x55 || stages[511] !== 0xaa)
    throw new UserError(`${source}: stage 1 has no 55 AA boot signature`);
  return stages;
}

interface GptHeaderFields {
  bytes: Uint8Array;
  alternateLba: number;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
}

function readGptHeader(image: DiskImage, lba: number): GptHeaderFields | undefined {
  if ((lba + 1) * SECTOR > image.size) return undefined;
  const bytes = image.read(lba * SECTOR, GPT_HEADER_SIZE);
  if (String.fromCharCode(...bytes.subarray(0, 8)) !== 'EFI PART') return undefined;
  const data = view(bytes);
  return {
    bytes,
    alternateLba: Number(data.getBigUint64(32, true)),
    entriesLba: Number(data.getBigUint64(72, true)),
    entryCount: data.getUint32(80, true),
    entrySize: data.getUint32(84, true),
  };
}

export function biosInstall(image: DiskImage, stages: Uint8Array): BiosInstallResult {
  const stage2 = stages.subarray(SECTOR);
  const stage2Sectors = Math.ceil(stage2.length / SECTOR);
  const sizeA = Math.ceil(stage2Sectors / 2) * SECTOR;
  const sizeB = Math.floor(stage2Sectors / 2) * SECTOR;
  let offsetA = SECTOR;
  let offsetB = offsetA + sizeA;
  let scheme: 'gpt' | 'mbr' = 'mbr';
  let gptEntryCount: number | undefined;

  const primary = readGptHeader(image, 1);
  if (primary) {
    scheme = 'gpt';
    const backup = readGptHeader(image, primary.alternateLba);
    if (!backup) throw new UserError('bios-install: the backup GPT header is missing or invalid');
    let lastUsedEntry = -1;
    for (let i = 0; i < primary.entryCount; i++) {
      const unique = image.read(primary.entriesLba * SECTOR + i * primary.entrySize + 16, 16);
      if (unique.some((byte) => byte !== 0)) lastUsedEntry = i;
    }
    offsetA = alignDown((primary.entriesLba + ENTRY_ARRAY_SPAN) * SECTOR - sizeA, SECTOR);
    offsetB = alignDown((backup.entriesLba + ENTRY_ARRAY_SPAN) * SECTOR - sizeB, SECTOR);
    const entriesPerSector = SECTOR / primary.entrySize;
    const newCount = (offsetA / SECTOR - primary.entriesLba) * entriesPerSector;
    if (newCount <= lastUsedEntry)
      throw new UserError('bios-install: too many GPT partitions to embed stage 2 in the entry array');
    const empty = new Uint8Array(primary.entrySize);
    for (let i = lastUsedEntry + 1; i < newCount; i++) {
      image.write(primary.entriesLba * SECTOR + i * primary.entrySize, empty);
      image.write(backup.entriesLba * SECTOR + i * backup.entrySize, empty);
    }
    const entriesCrc = crc32(image.read(primary.entriesLba * SECTOR, newCount * primary.entrySize));
    for (const [header, lba] of [
      [primary, 1],
      [backup, primary.alternateLba],
    ] as const) {
      const bytes = header.bytes.slice();
      const data = view(bytes);
      data.setUint32(80, newCount, true);
      data.setUint32(88, entriesCrc, true);
      data.setUint32(16, 0, true);
      data.setUint32(16, crc32(bytes), true);
      image.write(lba * SECTOR, bytes);
    }
    gptEntryCount = newCount;
  } else {
    checkMbrDisk(image);
  }

  const timestamp = image.read(TIMESTAMP.offset, TIMESTAMP.length);
  const partitionTable = image.read(PARTITION_TABLE.offset, PARTITION_TABLE.length);
  image.write(0, stages.subarray(0, SECTOR));
  image.write(offsetA, stage2.subarray(0, sizeA));
  image.write(offsetB, stage2.subarray(sizeA));
  const locations = new Uint8Array(20);
  const fields = view(locations);
  fields.setUint16(0, sizeA, true);
  fields.setUint16(2, sizeB, true);
  fields.setBigUint64(4, BigInt(offsetA), true);
  fields.setBigUint64(12, BigInt(offsetB), true);
  image.write(STAGE2_LOCATION_FIELD, locations);
  image.write(TIMESTAMP.offset, timestamp);
  image.write(PARTITION_TABLE.offset, partitionTable);
  return { scheme, stage2Offsets: [offsetA, offsetB], stage2Sizes: [sizeA, sizeB], gptEntryCount };
}

/**
 * Limine's sanity checks before treating a disk as MBR-partitioned: sane boot flags and no file system
 * starting at sector 0. With no active partition it marks partition 1 active, as some BIOSes need.
 */
function checkMbrDisk(image: DiskImage): void {
  const head = image.read(0, 1082);
  let anyActive = false;
  for (const flag of [446, 462, 478, 494].map((at) => head[at])) {
    if (flag !== 0x00 && flag !== 0x80)
      throw new UserError('bios-install: the disk has no valid MBR or GPT (bad partition boot flags)');
    anyActive ||= flag === 0x80;
  }
  const text = (at: number, length: number) => String.fromCharCode(...head.subarray(at, at + length));
  if (
    text(4, 8) === '_ECH_FS_' ||
    text(3, 4) === 'NTFS' ||
    text(54, 3) === 'FAT' ||
    text(82, 3) === 'FAT' ||
    text(3, 5) === 'FAT32' ||
    view(head).getUint16(1080, true) === 0xef53
  ) {
    throw new UserError('bios-install: the disk starts with a file system, not a partition table');
  }
  if (!anyActive) image.write(446, Uint8Array.of(0x80));
}

function alignDown(value: number, alignment: number): number {
  return Math.floor(value / alignment) * alignment;
}
