/**
 * GUID Partition Table: protective MBR, primary header + entry array at LBA 1/2, backup entry array and
 * header at the end of the disk, CRC32s over both (UEFI spec, chapter 5).
 */
import { crc32, putAscii, view } from './bytes.js';
import type { DiskImage } from './disk-image.js';
import { guidBytes } from './ids.js';

export const LBA = 512;
export const GPT_ENTRY_COUNT = 128;
export const GPT_ENTRY_SIZE = 128;
/** Sectors taken by a 128-entry array. */
const ENTRY_ARRAY_SECTORS = (GPT_ENTRY_COUNT * GPT_ENTRY_SIZE) / LBA;
export const GPT_HEADER_SIZE = 92;

export const EFI_SYSTEM_PARTITION = guidBytes('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');

export interface GptPartition {
  type: Uint8Array;
  unique: Uint8Array;
  firstLba: number;
  lastLba: number;
  name: string;
  attributes?: bigint;
}

export interface GptLayout {
  diskSectors: number;
  firstUsableLba: number;
  lastUsableLba: number;
}

export function gptLayout(diskBytes: number): GptLayout {
  const diskSectors = Math.floor(diskBytes / LBA);
  return {
    diskSectors,
    firstUsableLba: 2 + ENTRY_ARRAY_SECTORS,
    lastUsableLba: diskSectors - 2 - ENTRY_ARRAY_SECTORS,
  };
}

/** Writes protective MBR, both headers and both entry arrays. */
export function writeGpt(
  image: DiskImage,
  diskGuid: Uint8Array,
  partitions: GptPartition[],
  bootCode?: Uint8Array,
): void {
  const { diskSectors, firstUsableLba, lastUsableLba } = gptLayout(image.size);
  const mbr = protectiveMbr(diskSectors);
  if (bootCode) mbr.set(bootCode.subarray(0, 440));
  image.write(0, mbr);

  const entries = new Uint8Array(GPT_ENTRY_COUNT * GPT_ENTRY_SIZE);
  const data = view(entries);
  partitions.forEach((partition, index) => {
    if (
      partition.firstLba < firstUsableLba ||
      partition.lastLba > lastUsableLba ||
      partition.lastLba < partition.firstLba
    ) {
      throw new RangeError(
        `GPT partition ${index + 1} (${partition.firstLba}..${partition.lastLba}) is outside the usable sectors`,
      );
    }
    const at = index * GPT_ENTRY_SIZE;
    entries.set(partition.type, at);
    entries.set(partition.unique, at + 16);
    data.setBigUint64(at + 32, BigInt(partition.firstLba), true);
    data.setBigUint64(at + 40, BigInt(partition.lastLba), true);
    data.setBigUint64(at + 48, partition.attributes ?? 0n, true);
    for (let i = 0; i < Math.min(partition.name.length, 36); i++)
      data.setUint16(at + 56 + i * 2, partition.name.charCodeAt(i), true);
  });
  const entriesCrc = crc32(entries);
  const backupEntriesLba = diskSectors - 1 - ENTRY_ARRAY_SECTORS;

  const header = (myLba: number, alternateLba: number, entriesLba: number) => {
    const bytes = new Uint8Array(LBA);
    const fields = view(bytes);
    putAscii(bytes, 0, 'EFI PART', 8);
    fields.setUint32(8, 0x00010000, true);
    fields.setUint32(12, GPT_HEADER_SIZE, true);
    fields.setBigUint64(24, BigInt(myLba), true);
    fields.setBigUint64(32, BigInt(alternateLba), true);
    fields.setBigUint64(40, BigInt(firstUsableLba), true);
    fields.setBigUint64(48, BigInt(lastUsableLba), true);
    bytes.set(diskGuid, 56);
    fields.setBigUint64(72, BigInt(entriesLba), true);
    fields.setUint32(80, GPT_ENTRY_COUNT, true);
    fields.setUint32(84, GPT_ENTRY_SIZE, true);
    fields.setUint32(88, entriesCrc, true);
    fields.setUint32(16, crc32(bytes.subarray(0, GPT_HEADER_SIZE)), true);
    return bytes;
  };
  image.write(LBA, header(1, diskSectors - 1, 2));
  image.write(2 * LBA, entries);
  image.write(backupEntriesLba * LBA, entries);
  image.write((diskSectors - 1) * LBA, header(diskSectors - 1, 1, backupEntriesLba));
}

/** One partition of type 0xEE covering the whole disk (up to 2 TiB), so MBR-only tools keep off. */
function protectiveMbr(diskSectors: number): Uint8Array {
  const mbr = new Uint8Array(LBA);
  const data = view(mbr);
  const entry = 446;
  mbr.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], entry);
  data.setUint32(entry + 8, 1, true);
  data.setUint32(entry + 12, Math.min(diskSectors - 1, 0xffffffff), true);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}
