/**
 * `limine bios-install`, reimplemented from the algorithm of Limine's host/limine.c, as the version of
 * the release at hand does it. Stage 1 goes into the MBR boot code (keeping the disk timestamp and the
 * partition table), stage 2 goes where that version puts it, and stage 1 is patched with where it is:
 *
 * - Limine < 10 on a GPT disk embeds stage 2 in two halves in the tails of the primary and backup GPT
 *   entry arrays, shrinking the arrays. 10.0 dropped GPT embedding: a GPT disk then needs a BIOS boot
 *   partition (type 21686148-6449-6E6F-744E-656564454649) to hold stage 2.
 * - On an MBR disk stage 2 goes right after the MBR, in LBAs 1-62 (no partition may start before 63).
 * - From 9.1 a hybrid ISO's GPT is first turned into an MBR (the GPT structures wiped, up to four
 *   partitions carried over), which many BIOSes boot more readily.
 * - Up to 10.0 stage 1 reads stage 2 as two halves, from a field at 0x1a4 of two u16 sizes and two u64
 *   byte offsets; from 10.1 (the remains of embedding removed) it reads 32 KiB from one u64 offset.
 */
import { UserError } from '../errors.js';
import { alignUp, ascii, crc32, view } from './bytes.js';
import type { DiskImage } from './disk-image.js';
import { GPT_HEADER_SIZE } from './gpt.js';
import { guidBytes } from './ids.js';
import { mbrEntry, MBR_PARTITION_TABLE, MBR_TYPE_EFI_SYSTEM, SECTOR } from './mbr.js';
import type { LimineVersion } from './types.js';

/** Where stage 1 keeps where stage 2 is (and, in the halves layout, how large each half is). */
const STAGE2_LOCATION_FIELD = 0x1a4;
/** Bytes of the old MBR that survive: the "disk timestamp" some Windows versions keep... */
const TIMESTAMP = { offset: 218, length: 6 };
/** ...and the disk signature, copy-protect word and the four partition entries. */
const PARTITION_TABLE = { offset: 440, length: 70 };
/** Embedding assumes the stage-2 half fits in the 32 sectors a 128-entry array starts with (as Limine does). */
const ENTRY_ARRAY_SPAN = 32;
/** LBAs 1-62 are the post-MBR gap: no partition may start before LBA 63. */
const FIRST_PARTITION_LBA_MIN = 63;
/** UEFI reserves 16 KiB for an entry array: with the header and the MBR, 34 sectors at the start... */
const PRIMARY_GPT_RESERVE = 2 + 16384 / SECTOR;
/** ...and 33 at the end (array + backup header). */
const BACKUP_GPT_RESERVE = 1 + 16384 / SECTOR;
/** Limine reads at most this many GPT entries (its loader enumerates no more). */
const MAX_GPT_PARTITIONS = 256;
const BIOS_BOOT_PARTITION = ascii('Hah!IdontNeedEFI');
/** Where an ISO 9660 primary volume descriptor says `CD001`. */
const ISO9660_SIGNATURE = { offset: 32769, text: 'CD001' };

/** The GPT partition types Limine carries over into an ISO's MBR (its conversion table), by type GUID. */
const GPT_TO_MBR_TYPES: Array<{ guid: string; mbrType: number }> = [
  { guid: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', mbrType: MBR_TYPE_EFI_SYSTEM },
  { guid: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', mbrType: 0x07 },
  { guid: '48465300-0000-11AA-AA11-00306543ECAC', mbrType: 0xaf },
];

/** What `bios-install` of one Limine version does; see the file comment. */
export interface BiosInstallBehaviour {
  embedsInGpt: boolean;
  convertsIsoGptToMbr: boolean;
  stage2Field: 'halves' | 'single';
}

export function biosInstallBehaviour(version: LimineVersion): BiosInstallBehaviour {
  return {
    embedsInGpt: !atLeast(version, 10, 0),
    convertsIsoGptToMbr: atLeast(version, 9, 1),
    stage2Field: atLeast(version, 10, 1) ? 'single' : 'halves',
  };
}

/** True when Limine boots disks by BIOS only from an MBR (or a BIOS boot partition): 10.0 and later. */
export function limineNeedsMbrDisk(version: LimineVersion): boolean {
  return !biosInstallBehaviour(version).embedsInGpt;
}

function atLeast(version: LimineVersion, major: number, minor: number): boolean {
  return version.major !== major ? version.major > major : version.minor >= minor;
}

export interface BiosInstallResult {
  /** Where stage 2 went: after the MBR, embedded in the GPT arrays, or into a BIOS boot partition. */
  scheme: 'mbr' | 'gpt' | 'gpt-bios-boot-partition';
  /** True when a hybrid ISO's GPT was turned into an MBR first. */
  convertedGptToMbr: boolean;
  stage2Field: 'halves' | 'single';
  /** Byte offsets and sizes of the stage-2 pieces written (two halves, or one run). */
  stage2Offsets: number[];
  stage2Sizes: number[];
  /** GPT embedding only: the entry count left (44 for Limine 8's stage 2). */
  gptEntryCount?: number;
}

/** Parses `limine-bios-hdd.h`: the C array of hex bytes Limine ships (`const uint8_t ...[] = { 0xeb, ... };`). */
export function parseBiosHddHeader(text: string, source = 'limine-bios-hdd.h'): Uint8Array {
  const open = text.indexOf('{');
  const close = text.indexOf('}', open);
  if (open < 0 || close < 0) throw new UserError(`${source}: no C array found`);
  const stages = canonicalHexBytes(text.slice(open + 1, close)) ?? scanHexBytes(text, open, close, source);
  if (stages.length < SECTOR + SECTOR)
    throw new UserError(`${source}: only ${stages.length} bytes, expected stage 1 and stage 2`);
  if (stages[510] !== 0x55 || stages[511] !== 0xaa)
    throw new UserError(`${source}: stage 1 has no 55 AA boot signature`);
  return stages;
}

/**
 * The bytes of an array body written as Limine writes it (two-digit `0xNN` separated by commas and white space),
 * or undefined for any other spelling. Built-in regular expressions and hex decoding: a JavaScript loop over the
 * ~130 KB runs interpreted in a fresh `ostool image` process (measured cold, loaded machine: 25-38 ms against 3-12 ms).
 */
function canonicalHexBytes(body: string): Uint8Array | undefined {
  // Nothing but bytes and separators: removing every byte leaves only separators.
  if (!/^[ \t\r\n,]*$/.test(body.replace(CANONICAL_BYTE, ''))) return undefined;
  const digits = body.replace(CANONICAL_BYTE, '$1').replace(/[ \t\r\n,]+$/, '');
  const bytes = Buffer.from(digits, 'hex');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** One byte of Limine's array with the separators before it; a third hex digit is not a byte. */
const CANONICAL_BYTE = /[ \t\r\n,]*0[xX]([0-9a-fA-F]{2})(?![0-9a-fA-F])/g;

/** A scanner over char codes for every spelling the C array may use (one-digit bytes too), naming a bad byte. */
function scanHexBytes(text: string, open: number, close: number, source: string): Uint8Array {
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
  return bytes.slice(0, count);
}

interface GptHeaderFields {
  bytes: Uint8Array;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
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
    firstUsableLba: Number(data.getBigUint64(40, true)),
    lastUsableLba: Number(data.getBigUint64(48, true)),
    entriesLba: Number(data.getBigUint64(72, true)),
    entryCount: data.getUint32(80, true),
    entrySize: data.getUint32(84, true),
  };
}

interface GptEntryFields {
  type: Uint8Array;
  unique: Uint8Array;
  firstLba: number;
  lastLba: number;
}

function readGptEntry(image: DiskImage, header: GptHeaderFields, index: number): GptEntryFields {
  const entry = image.read(header.entriesLba * SECTOR + index * header.entrySize, 48);
  const data = view(entry);
  return {
    type: entry.subarray(0, 16),
    unique: entry.subarray(16, 32),
    firstLba: Number(data.getBigUint64(32, true)),
    lastLba: Number(data.getBigUint64(40, true)),
  };
}

/** Where stage 2 goes and how much room it has there. */
interface Stage2Place {
  offset: number;
  room: number;
}

export function biosInstall(image: DiskImage, stages: Uint8Array, version: LimineVersion): BiosInstallResult {
  const behaviour = biosInstallBehaviour(version);
  const stage2 = stages.subarray(SECTOR);
  const stage2Sectors = Math.ceil(stage2.length / SECTOR);
  const halves = [Math.ceil(stage2Sectors / 2) * SECTOR, Math.floor(stage2Sectors / 2) * SECTOR];

  let primary = readGptHeader(image, 1);
  let convertedGptToMbr = false;
  if (primary && !readGptHeader(image, primary.alternateLba))
    throw new UserError('bios-install: the backup GPT header is missing or invalid');
  if (primary && behaviour.convertsIsoGptToMbr && isIso9660(image)) {
    convertedGptToMbr = convertIsoGptToMbr(image, primary);
    if (convertedGptToMbr) primary = undefined;
  }

  let scheme: BiosInstallResult['scheme'];
  let place: Stage2Place | undefined;
  let gptEntryCount: number | undefined;
  let embedded: number[] | undefined;
  if (!primary) {
    scheme = 'mbr';
    checkMbrDisk(image);
    place = { offset: SECTOR, room: (FIRST_PARTITION_LBA_MIN - 1) * SECTOR };
  } else if (behaviour.embedsInGpt) {
    scheme = 'gpt';
    ({ offsets: embedded, entryCount: gptEntryCount } = embedInGpt(image, primary, halves));
  } else {
    scheme = 'gpt-bios-boot-partition';
    place = biosBootPartition(image, primary);
  }

  if (place && stage2.length > place.room)
    throw new UserError(
      `bios-install: stage 2 needs ${stage2.length} bytes at offset 0x${place.offset.toString(16)}, but only ${place.room} are free there`,
    );

  const timestamp = image.read(TIMESTAMP.offset, TIMESTAMP.length);
  const partitionTable = image.read(PARTITION_TABLE.offset, PARTITION_TABLE.length);
  image.write(0, stages.subarray(0, SECTOR));
  let stage2Offsets: number[];
  let stage2Sizes: number[];
  if (behaviour.stage2Field === 'single') {
    stage2Offsets = [place!.offset];
    stage2Sizes = [stage2.length];
    image.write(place!.offset, stage2);
    const field = new Uint8Array(8);
    view(field).setBigUint64(0, BigInt(place!.offset), true);
    image.write(STAGE2_LOCATION_FIELD, field);
  } else {
    const offsetA = embedded ? embedded[0] : place!.offset;
    const offsetB = embedded ? embedded[1] : alignUp(offsetA + halves[0], SECTOR);
    stage2Offsets = [offsetA, offsetB];
    stage2Sizes = halves;
    image.write(offsetA, stage2.subarray(0, halves[0]));
    image.write(offsetB, stage2.subarray(halves[0]));
    const field = new Uint8Array(20);
    const fields = view(field);
    fields.setUint16(0, halves[0], true);
    fields.setUint16(2, halves[1], true);
    fields.setBigUint64(4, BigInt(offsetA), true);
    fields.setBigUint64(12, BigInt(offsetB), true);
    image.write(STAGE2_LOCATION_FIELD, field);
  }
  image.write(TIMESTAMP.offset, timestamp);
  image.write(PARTITION_TABLE.offset, partitionTable);
  return {
    scheme,
    convertedGptToMbr,
    stage2Field: behaviour.stage2Field,
    stage2Offsets,
    stage2Sizes,
    gptEntryCount,
  };
}

/**
 * Limine < 10: the halves go into the last sectors of the 32 each entry array starts with; the arrays
 * shrink to the entries before them (used entries must stay) and both headers get new CRCs.
 */
function embedInGpt(
  image: DiskImage,
  primary: GptHeaderFields,
  halves: number[],
): { offsets: number[]; entryCount: number } {
  const backup = readGptHeader(image, primary.alternateLba)!;
  let lastUsedEntry = -1;
  for (let i = 0; i < primary.entryCount; i++) {
    if (readGptEntry(image, primary, i).unique.some((byte) => byte !== 0)) lastUsedEntry = i;
  }
  const offsetA = alignDown((primary.entriesLba + ENTRY_ARRAY_SPAN) * SECTOR - halves[0], SECTOR);
  const offsetB = alignDown((backup.entriesLba + ENTRY_ARRAY_SPAN) * SECTOR - halves[1], SECTOR);
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
  return { offsets: [offsetA, offsetB], entryCount: newCount };
}

/** Limine >= 10 on a GPT disk: the first partition of BIOS boot type, with Limine's sanity checks. */
function biosBootPartition(image: DiskImage, header: GptHeaderFields): Stage2Place {
  const count = Math.min(header.entryCount, MAX_GPT_PARTITIONS);
  for (let index = 0; index < count; index++) {
    const entry = readGptEntry(image, header, index);
    if (!sameBytes(entry.type, BIOS_BOOT_PARTITION)) continue;
    const number = index + 1;
    const lastDiskLba = image.size / SECTOR - 1;
    if (entry.lastLba < entry.firstLba)
      throw new UserError(`bios-install: GPT partition ${number} ends before it starts`);
    if (
      entry.firstLba < PRIMARY_GPT_RESERVE ||
      entry.firstLba < header.firstUsableLba ||
      entry.lastLba > header.lastUsableLba ||
      entry.lastLba > lastDiskLba - BACKUP_GPT_RESERVE
    )
      throw new UserError(`bios-install: GPT partition ${number} lies outside the GPT usable range`);
    const room = (entry.lastLba - entry.firstLba + 1) * SECTOR;
    if (room < 32768) throw new UserError(`bios-install: GPT partition ${number} is smaller than 32 KiB`);
    if (startsWithFileSystem(image, entry.firstLba * SECTOR))
      throw new UserError(`bios-install: the BIOS boot partition ${number} holds a file system`);
    return { offset: entry.firstLba * SECTOR, room };
  }
  throw new UserError(
    'bios-install: installing to a GPT disk, but it has no BIOS boot partition (Limine 10 and later no longer embed stage 2 in the GPT)',
  );
}

function isIso9660(image: DiskImage): boolean {
  const { offset, text } = ISO9660_SIGNATURE;
  if (image.size < offset + text.length) return false;
  return String.fromCharCode(...image.read(offset, text.length)) === text;
}

/**
 * Limine >= 9.1 on a hybrid ISO: the GPT's partitions (at most four, of types it knows) become MBR
 * entries, and both GPTs are wiped so no GPT-aware reader disagrees with the MBR. A GPT it cannot
 * convert is left alone (returns false) and the install goes on with it.
 */
function convertIsoGptToMbr(image: DiskImage, primary: GptHeaderFields): boolean {
  if (primary.entryCount > MAX_GPT_PARTITIONS) return false;
  const lastDiskLba = image.size / SECTOR - 1;
  const entries: Uint8Array[] = [];
  for (let index = 0; index < primary.entryCount; index++) {
    const entry = readGptEntry(image, primary, index);
    if (entry.type.every((byte) => byte === 0)) continue;
    const mbrType = GPT_TO_MBR_TYPES.find(({ guid }) => sameBytes(guidBytes(guid), entry.type))?.mbrType;
    const fits =
      entries.length < 4 &&
      entry.lastLba >= entry.firstLba &&
      entry.firstLba >= primary.firstUsableLba &&
      entry.lastLba <= primary.lastUsableLba &&
      entry.lastLba <= lastDiskLba &&
      entry.lastLba <= 0xffffffff &&
      mbrType !== undefined;
    if (!fits) return false;
    if (entry.firstLba < FIRST_PARTITION_LBA_MIN)
      throw new UserError("bios-install: a partition's start sector is less than 63");
    entries.push(
      mbrEntry({ type: mbrType, firstLba: entry.firstLba, sectorCount: entry.lastLba - entry.firstLba + 1 }),
    );
  }

  // The backup GPTs to wipe: the one the header names and one in the last sector, if that differs.
  const backups = [primary.alternateLba, lastDiskLba].filter(
    (lba, index, all) => lba >= BACKUP_GPT_RESERVE && all.indexOf(lba) === index,
  );
  const wipes: Array<{ first: number; last: number }> = [];
  for (const lba of backups) {
    if (!readGptHeader(image, lba)) continue;
    if (primary.lastUsableLba >= lba)
      throw new UserError('bios-install: the GPT places a backup header inside its usable range');
    wipes.push({ first: Math.max(lba - (BACKUP_GPT_RESERVE - 1), primary.lastUsableLba + 1), last: lba });
  }
  const primaryReserve = Math.min(primary.firstUsableLba, PRIMARY_GPT_RESERVE);
  const empty = new Uint8Array(SECTOR);
  for (let lba = 0; lba < primaryReserve; lba++) image.write(lba * SECTOR, empty);
  for (const { first, last } of wipes)
    for (let lba = first; lba <= last; lba++) image.write(lba * SECTOR, empty);

  // The disk signature comes from the disk GUID (FNV-1a), so the conversion is reproducible.
  let diskId = 2166136261;
  for (const byte of primary.bytes.subarray(56, 72)) diskId = Math.imul(diskId ^ byte, 16777619) >>> 0;
  const signature = new Uint8Array(4);
  view(signature).setUint32(0, diskId === 0 ? 1 : diskId, true);
  image.write(440, signature);
  entries.forEach((entry, index) => image.write(MBR_PARTITION_TABLE + index * 16, entry));
  image.write(510, Uint8Array.of(0x55, 0xaa));
  return true;
}

/**
 * Limine's sanity checks before treating a disk as MBR-partitioned: a boot signature, sane boot flags,
 * no partition in the post-MBR gap and no file system starting at sector 0. With no active partition
 * it marks partition 1 active, as some BIOSes need.
 */
function checkMbrDisk(image: DiskImage): void {
  const head = image.read(0, SECTOR);
  const invalid = () => new UserError('bios-install: the disk has no valid MBR or GPT');
  if (head[510] !== 0x55 || head[511] !== 0xaa) throw invalid();
  let anyActive = false;
  for (let entry = MBR_PARTITION_TABLE; entry < 510; entry += 16) {
    const flag = head[entry];
    if (flag !== 0x00 && flag !== 0x80) throw invalid();
    anyActive ||= flag === 0x80;
    if (head[entry + 4] !== 0 && view(head).getUint32(entry + 8, true) < FIRST_PARTITION_LBA_MIN)
      throw new UserError("bios-install: a partition's start sector is less than 63");
  }
  if (startsWithFileSystem(image, 0))
    throw new UserError('bios-install: the disk starts with a file system, not a partition table');
  if (!anyActive) image.write(MBR_PARTITION_TABLE, Uint8Array.of(0x80));
}

/** The file-system signatures Limine refuses to overwrite (NTFS, FAT12/16/32, ext2/3/4). */
function startsWithFileSystem(image: DiskImage, offset: number): boolean {
  const head = image.read(offset, 1082);
  const text = (at: number, length: number) => String.fromCharCode(...head.subarray(at, at + length));
  return (
    text(3, 4) === 'NTFS' ||
    text(54, 3) === 'FAT' ||
    text(82, 3) === 'FAT' ||
    text(3, 5) === 'FAT32' ||
    view(head).getUint16(1080, true) === 0xef53
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function alignDown(value: number, alignment: number): number {
  return Math.floor(value / alignment) * alignment;
}
