/**
 * FAT12/16/32 formatter: lays out a file tree and writes boot sector, FATs, directories (with long file
 * names) and file data into a DiskImage. The FAT type follows from the cluster count, as the FAT spec
 * (Microsoft's fatgen103) defines it; we keep clear of the boundaries like mkfs.fat does.
 */
import { UserError } from '../errors.js';
import { putAscii, view } from './bytes.js';
import type { DiskImage } from './disk-image.js';
import type { ImageFile } from './types.js';

export const SECTOR = 512;
export type FatType = 12 | 16 | 32;

const FAT12_MAX_CLUSTERS = 4084;
const FAT16_MAX_CLUSTERS = 65524;
/** Cluster counts this close to a type boundary are avoided: drivers disagree about them. */
const BOUNDARY_MARGIN = 16;
/** fatgen103: volumes below this are never FAT32. */
const FAT32_MIN_SECTORS = 66600;
const NUM_FATS = 2;

export interface FatGeometry {
  type: FatType;
  sectors: number;
  sectorsPerCluster: number;
  reservedSectors: number;
  fatSectors: number;
  rootEntries: number;
  rootDirSectors: number;
  firstDataSector: number;
  clusterCount: number;
}

function clusterCountFits(type: FatType, clusters: number): boolean {
  if (type === 12) return clusters >= 1 && clusters <= FAT12_MAX_CLUSTERS - BOUNDARY_MARGIN;
  if (type === 16)
    return (
      clusters >= FAT12_MAX_CLUSTERS + 1 + BOUNDARY_MARGIN && clusters <= FAT16_MAX_CLUSTERS - BOUNDARY_MARGIN
    );
  return clusters >= FAT16_MAX_CLUSTERS + 1 + BOUNDARY_MARGIN && clusters <= 0x0ffffff5;
}

function geometryFor(type: FatType, sectors: number, sectorsPerCluster: number): FatGeometry | undefined {
  const reservedSectors = type === 32 ? 32 : 1;
  const rootEntries = type === 32 ? 0 : 512;
  const rootDirSectors = Math.ceil((rootEntries * 32) / SECTOR);
  let fatSectors = 1;
  for (;;) {
    const dataSectors = sectors - reservedSectors - rootDirSectors - NUM_FATS * fatSectors;
    if (dataSectors <= 0) return undefined;
    const clusters = Math.floor(dataSectors / sectorsPerCluster);
    const needed = Math.ceil(((clusters + 2) * type) / 8 / SECTOR);
    if (needed <= fatSectors) {
      if (!clusterCountFits(type, clusters)) return undefined;
      const firstDataSector = reservedSectors + NUM_FATS * fatSectors + rootDirSectors;
      return {
        type,
        sectors,
        sectorsPerCluster,
        reservedSectors,
        fatSectors,
        rootEntries,
        rootDirSectors,
        firstDataSector,
        clusterCount: clusters,
      };
    }
    fatSectors = needed;
  }
}

/** FAT32 when the volume is big enough for it, else FAT16, else FAT12; smallest cluster that works. */
export function fatGeometry(sectors: number): FatGeometry {
  const types: FatType[] = sectors >= FAT32_MIN_SECTORS ? [32, 16, 12] : [16, 12];
  for (const type of types) {
    for (let sectorsPerCluster = 1; sectorsPerCluster <= 128; sectorsPerCluster *= 2) {
      const geometry = geometryFor(type, sectors, sectorsPerCluster);
      if (geometry) return geometry;
    }
  }
  throw new UserError(
    `cannot format a FAT volume of ${sectors} sectors (${(sectors * SECTOR) / 1024} KiB): too small`,
  );
}

// ---------------------------------------------------------------------------------------------------
// The file tree and its directory entries

interface FatDirectory {
  kind: 'dir';
  name: string;
  children: FatNode[];
  firstCluster: number;
  clusters: number;
  entries?: Uint8Array;
}
interface FatFile {
  kind: 'file';
  name: string;
  data: Uint8Array;
  firstCluster: number;
  clusters: number;
}
type FatNode = FatDirectory | FatFile;

function buildTree(files: ImageFile[]): FatDirectory {
  const root: FatDirectory = { kind: 'dir', name: '', children: [], firstCluster: 0, clusters: 0 };
  for (const file of files) {
    const parts = file.path.split('/').filter(Boolean);
    if (!parts.length) throw new UserError(`bad image path '${file.path}'`);
    let dir = root;
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      const existing = dir.children.find((child) => child.name.toUpperCase() === part.toUpperCase());
      if (last) {
        if (existing)
          throw new UserError(`two files at ${file.path} in the FAT volume (names are case-insensitive)`);
        dir.children.push({ kind: 'file', name: part, data: file.data, firstCluster: 0, clusters: 0 });
      } else if (existing?.kind === 'dir') {
        dir = existing;
      } else if (existing) {
        throw new UserError(`${parts.slice(0, index + 1).join('/')} is both a file and a directory`);
      } else {
        const created: FatDirectory = { kind: 'dir', name: part, children: [], firstCluster: 0, clusters: 0 };
        dir.children.push(created);
        dir = created;
      }
    });
  }
  return root;
}

const SHORT_NAME_CHARS = /^[A-Z0-9!#$%&'()\-@^_`{}~]$/;

function isExactShortName(name: string): boolean {
  const match = /^([^.]{1,8})(?:\.([^.]{1,3}))?$/.exec(name);
  if (!match) return false;
  return [...name.replace('.', '')].every((char) => SHORT_NAME_CHARS.test(char));
}

/** The 11-byte 8.3 name for `name`, unique among `taken`; `lossy` names get a `~N` tail. */
function shortNameFor(name: string, taken: Set<string>): { short: string; needsLongName: boolean } {
  if (isExactShortName(name) && !taken.has(pad83(name))) return { short: pad83(name), needsLongName: false };
  const upper = name.toUpperCase();
  const clean = (text: string) =>
    [...text.replace(/ /g, '')].map((c) => (SHORT_NAME_CHARS.test(c) ? c : '_')).join('');
  const dot = upper.lastIndexOf('.');
  const baseRaw = upper
    .slice(0, dot > 0 ? dot : undefined)
    .replace(/^\.+/, '')
    .replace(/\./g, '');
  const extRaw = dot > 0 ? upper.slice(dot + 1) : '';
  const base = clean(baseRaw) || '_';
  const ext = clean(extRaw).slice(0, 3);
  const lossy = base !== baseRaw || base.length > 8 || clean(extRaw) !== extRaw || extRaw.length > 3;
  if (!lossy) {
    const candidate = pad83(ext ? `${base}.${ext}` : base);
    if (!taken.has(candidate)) return { short: candidate, needsLongName: true };
  }
  for (let n = 1; n < 1_000_000; n++) {
    const tail = `~${n}`;
    const candidate = pad83(`${base.slice(0, 8 - tail.length)}${tail}${ext ? `.${ext}` : ''}`);
    if (!taken.has(candidate)) return { short: candidate, needsLongName: true };
  }
  throw new UserError(`too many files like '${name}' in one FAT directory`);
}

function pad83(name: string): string {
  const dot = name.indexOf('.');
  const base = dot >= 0 ? name.slice(0, dot) : name;
  const ext = dot >= 0 ? name.slice(dot + 1) : '';
  return base.padEnd(8, ' ') + ext.padEnd(3, ' ');
}

function shortNameChecksum(short: string): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + short.charCodeAt(i)) & 0xff;
  return sum;
}

function dosDateTime(date: Date): { date: number; time: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  const clampedToEpoch = date.getUTCFullYear() < 1980;
  return {
    date:
      ((year - 1980) << 9) |
      ((clampedToEpoch ? 1 : date.getUTCMonth() + 1) << 5) |
      (clampedToEpoch ? 1 : date.getUTCDate()),
    time: clampedToEpoch
      ? 0
      : (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
  };
}

interface EntryPlan {
  node?: FatNode;
  short: string;
  longName?: string;
  attributes: number;
  /** Set for `.` and `..`. */
  dotTarget?: 'self' | 'parent';
}

function directoryPlan(dir: FatDirectory, isRoot: boolean, label: string | undefined): EntryPlan[] {
  const plan: EntryPlan[] = [];
  if (isRoot && label)
    plan.push({ short: label.toUpperCase().padEnd(11, ' ').slice(0, 11), attributes: 0x08 });
  if (!isRoot) {
    plan.push({ short: '.'.padEnd(11, ' '), attributes: 0x10, dotTarget: 'self' });
    plan.push({ short: '..'.padEnd(11, ' '), attributes: 0x10, dotTarget: 'parent' });
  }
  const taken = new Set<string>();
  for (const node of dir.children) {
    const { short, needsLongName } = shortNameFor(node.name, taken);
    taken.add(short);
    plan.push({
      node,
      short,
      longName: needsLongName ? node.name : undefined,
      attributes: node.kind === 'dir' ? 0x10 : 0x20,
    });
  }
  return plan;
}

function entryCount(plan: EntryPlan[]): number {
  return plan.reduce(
    (count, entry) => count + 1 + (entry.longName ? Math.ceil(utf16Length(entry.longName) / 13) : 0),
    0,
  );
}

function utf16Length(text: string): number {
  return text.length;
}

function encodeDirectory(
  plan: EntryPlan[],
  dir: FatDirectory,
  parent: FatDirectory | undefined,
  parentIsRoot: boolean,
  stamp: { date: number; time: number },
  size: number,
): Uint8Array {
  const bytes = new Uint8Array(size);
  const data = view(bytes);
  let at = 0;
  for (const entry of plan) {
    if (entry.longName) {
      if (entry.longName.length > 255) throw new UserError(`file name too long for FAT: ${entry.longName}`);
      const units: number[] = [];
      for (let i = 0; i < entry.longName.length; i++) units.push(entry.longName.charCodeAt(i));
      const pieces = Math.ceil(units.length / 13);
      if (units.length % 13) units.push(0);
      while (units.length < pieces * 13) units.push(0xffff);
      const checksum = shortNameChecksum(entry.short);
      for (let piece = pieces; piece >= 1; piece--) {
        const chars = units.slice((piece - 1) * 13, piece * 13);
        bytes[at] = piece | (piece === pieces ? 0x40 : 0);
        const slots = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        slots.forEach((slot, i) => data.setUint16(at + slot, chars[i], true));
        bytes[at + 11] = 0x0f;
        bytes[at + 13] = checksum;
        at += 32;
      }
    }
    putAscii(bytes, at, entry.short, 11);
    bytes[at + 11] = entry.attributes;
    let cluster = 0;
    let fileSize = 0;
    if (entry.dotTarget === 'self') cluster = dir.firstCluster;
    // `..` of a directory in the root says 0, even on FAT32 where the root has a cluster (fatgen103).
    else if (entry.dotTarget === 'parent') cluster = parent && !parentIsRoot ? parent.firstCluster : 0;
    else if (entry.node) {
      cluster = entry.node.firstCluster;
      if (entry.node.kind === 'file') fileSize = entry.node.data.length;
    }
    data.setUint16(at + 14, stamp.time, true); // creation time
    data.setUint16(at + 16, stamp.date, true); // creation date
    data.setUint16(at + 18, stamp.date, true); // last access date
    data.setUint16(at + 20, cluster >>> 16, true);
    data.setUint16(at + 22, stamp.time, true);
    data.setUint16(at + 24, stamp.date, true);
    data.setUint16(at + 26, cluster & 0xffff, true);
    data.setUint32(at + 28, fileSize, true);
    at += 32;
  }
  return bytes;
}

function fatLabel(label: string): string {
  return label
    .toUpperCase()
    .replace(/[^A-Z0-9_\- ]/g, '_')
    .slice(0, 11);
}

/** Marks the FAT12/16 root, which lives in its own region and has no cluster; `..` entries then say 0. */
const ROOT_MARKER = -1;

export interface FatVolumeOptions {
  /** Volume size in 512-byte sectors: the FAT is sized to exactly this. */
  sectors: number;
  /** LBA of the volume on its disk (BPB_HiddSec); 0 for a stand-alone image. */
  hiddenSectors: number;
  label: string;
  serial: number;
  date: Date;
  files: ImageFile[];
}

export interface FatSummary {
  geometry: FatGeometry;
  usedClusters: number;
}

interface FatPlan {
  geometry: FatGeometry;
  root: FatDirectory;
  directories: Array<{ dir: FatDirectory; parent?: FatDirectory; plan: EntryPlan[]; bytes: number }>;
  files: FatFile[];
  nextCluster: number;
}

function planVolume(options: FatVolumeOptions): FatPlan {
  const geometry = fatGeometry(options.sectors);
  const clusterBytes = geometry.sectorsPerCluster * SECTOR;
  const root = buildTree(options.files);
  const directories: FatPlan['directories'] = [];
  const files: FatFile[] = [];
  let nextCluster = 2;
  const allocate = (bytes: number) => {
    const count = Math.ceil(bytes / clusterBytes);
    const first = count ? nextCluster : 0;
    nextCluster += count;
    return { first, count };
  };
  const label = fatLabel(options.label);
  const visit = (dir: FatDirectory, parent: FatDirectory | undefined) => {
    const isRoot = parent === undefined;
    const plan = directoryPlan(dir, isRoot, label);
    let bytes = entryCount(plan) * 32;
    if (isRoot && geometry.type !== 32) {
      if (entryCount(plan) > geometry.rootEntries)
        throw new UserError(`too many files in the FAT root directory`);
      dir.firstCluster = ROOT_MARKER;
      bytes = geometry.rootEntries * 32;
    } else {
      const { first, count } = allocate(Math.max(bytes, 1));
      dir.firstCluster = first;
      dir.clusters = count;
      bytes = count * clusterBytes;
    }
    directories.push({ dir, parent, plan, bytes });
    for (const child of dir.children) {
      if (child.kind === 'file') {
        const { first, count } = allocate(child.data.length);
        child.firstCluster = first;
        child.clusters = count;
        files.push(child);
      }
    }
    for (const child of dir.children) if (child.kind === 'dir') visit(child, dir);
  };
  visit(root, undefined);
  return { geometry, root, directories, files, nextCluster };
}

/** Whether `files` fit a FAT volume of `sectors` sectors. */
export function fatFits(sectors: number, files: ImageFile[]): boolean {
  try {
    const plan = planVolume({ sectors, hiddenSectors: 0, label: 'X', serial: 0, date: new Date(0), files });
    return plan.nextCluster - 2 <= plan.geometry.clusterCount;
  } catch (error) {
    if (error instanceof UserError) return false;
    throw error;
  }
}

/** The smallest comfortable volume size (in sectors, whole 64 KiB steps) that holds `files`. */
export function fatSectorsFor(files: ImageFile[]): number {
  const payload = files.reduce((sum, file) => sum + Math.ceil(file.data.length / 4096) * 4096, 0);
  let sectors = Math.ceil((payload * 1.05 + 128 * 1024) / 65536) * 128;
  while (!fatFits(sectors, files)) sectors = Math.ceil((sectors * 1.25) / 128) * 128;
  return sectors;
}

/** Formats a FAT volume at byte `offset` of `image` and writes `files` into it. */
export function writeFatVolume(image: DiskImage, offset: number, options: FatVolumeOptions): FatSummary {
  const plan = planVolume(options);
  const { geometry } = plan;
  const usedClusters = plan.nextCluster - 2;
  if (usedClusters > geometry.clusterCount) {
    const need = Math.ceil((usedClusters * geometry.sectorsPerCluster * SECTOR) / (1024 * 1024));
    throw new UserError(
      `the files need about ${need} MiB but the FAT volume has ${Math.floor((geometry.clusterCount * geometry.sectorsPerCluster * SECTOR) / (1024 * 1024))} MiB: choose a larger --size`,
    );
  }
  const stamp = dosDateTime(options.date);
  const clusterOffset = (cluster: number) =>
    offset + (geometry.firstDataSector + (cluster - 2) * geometry.sectorsPerCluster) * SECTOR;

  const bootSector = encodeBootSector(geometry, options);
  image.write(offset, bootSector);
  if (geometry.type === 32) {
    const fsInfo = encodeFsInfo(geometry.clusterCount - usedClusters, plan.nextCluster);
    image.write(offset + SECTOR, fsInfo);
    image.write(offset + 6 * SECTOR, bootSector); // backup boot sector
    image.write(offset + 7 * SECTOR, fsInfo);
  }

  const fat = encodeFat(geometry.type, plan.nextCluster, [
    ...plan.directories.map((d) => d.dir),
    ...plan.files,
  ]);
  for (let copy = 0; copy < NUM_FATS; copy++) {
    image.write(offset + (geometry.reservedSectors + copy * geometry.fatSectors) * SECTOR, fat);
  }

  for (const { dir, parent, plan: entries, bytes } of plan.directories) {
    const encoded = encodeDirectory(entries, dir, parent, parent === plan.root, stamp, bytes);
    const at =
      dir.firstCluster === ROOT_MARKER
        ? offset + (geometry.reservedSectors + NUM_FATS * geometry.fatSectors) * SECTOR
        : clusterOffset(dir.firstCluster);
    image.write(at, encoded);
  }
  for (const file of plan.files)
    if (file.data.length) image.share(clusterOffset(file.firstCluster), file.data);
  return { geometry, usedClusters };
}

function encodeBootSector(geometry: FatGeometry, options: FatVolumeOptions): Uint8Array {
  const bytes = new Uint8Array(SECTOR);
  const data = view(bytes);
  const isFat32 = geometry.type === 32;
  bytes.set([0xeb, isFat32 ? 0x58 : 0x3c, 0x90]);
  putAscii(bytes, 3, 'OSTOOL  ', 8);
  data.setUint16(11, SECTOR, true);
  bytes[13] = geometry.sectorsPerCluster;
  data.setUint16(14, geometry.reservedSectors, true);
  bytes[16] = NUM_FATS;
  data.setUint16(17, geometry.rootEntries, true);
  if (geometry.sectors < 0x10000 && !isFat32) data.setUint16(19, geometry.sectors, true);
  else data.setUint32(32, geometry.sectors, true);
  bytes[21] = 0xf8; // fixed disk
  if (!isFat32) data.setUint16(22, geometry.fatSectors, true);
  data.setUint16(24, 32, true); // sectors per track: only CHS-era tools look
  data.setUint16(26, 64, true); // heads
  data.setUint32(28, options.hiddenSectors, true);
  let ext = 36;
  if (isFat32) {
    data.setUint32(36, geometry.fatSectors, true);
    data.setUint16(40, 0, true); // FATs mirrored
    data.setUint16(42, 0, true); // version 0.0
    data.setUint32(44, 2, true); // root directory cluster
    data.setUint16(48, 1, true); // FSInfo sector
    data.setUint16(50, 6, true); // backup boot sector
    ext = 64;
  }
  bytes[ext] = 0x80; // drive number
  bytes[ext + 2] = 0x29; // extended boot signature: the next three fields are valid
  data.setUint32(ext + 3, options.serial, true);
  putAscii(bytes, ext + 7, fatLabel(options.label) || 'NO NAME', 11);
  putAscii(bytes, ext + 18, isFat32 ? 'FAT32' : geometry.type === 16 ? 'FAT16' : 'FAT12', 8);
  // Boot code: print nothing, just tell the BIOS to try the next device (int 18h), as mkfs.fat's stub does.
  const code = ext + 26;
  bytes[1] = code - 2;
  bytes.set([0xcd, 0x18, 0xeb, 0xfe], code);
  bytes[510] = 0x55;
  bytes[511] = 0xaa;
  return bytes;
}

function encodeFsInfo(freeClusters: number, nextFree: number): Uint8Array {
  const bytes = new Uint8Array(SECTOR);
  const data = view(bytes);
  data.setUint32(0, 0x41615252, true);
  data.setUint32(484, 0x61417272, true);
  data.setUint32(488, freeClusters, true);
  data.setUint32(492, nextFree, true);
  data.setUint32(508, 0xaa550000, true);
  return bytes;
}

/** The used prefix of the FAT: every allocation is one contiguous run, chained cluster to cluster. */
function encodeFat(
  type: FatType,
  nextCluster: number,
  nodes: Array<{ firstCluster: number; clusters: number }>,
): Uint8Array {
  const entries = new Uint32Array(nextCluster);
  const endOfChain = type === 32 ? 0x0fffffff : type === 16 ? 0xffff : 0xfff;
  entries[0] = type === 32 ? 0x0ffffff8 : type === 16 ? 0xfff8 : 0xff8;
  entries[1] = endOfChain;
  for (const node of nodes) {
    if (node.firstCluster <= 0 || node.clusters === 0) continue;
    for (let i = 0; i < node.clusters; i++) {
      const cluster = node.firstCluster + i;
      entries[cluster] = i === node.clusters - 1 ? endOfChain : cluster + 1;
    }
  }
  if (type === 12) {
    const bytes = new Uint8Array(Math.ceil((nextCluster * 3) / 2) + 1);
    for (let n = 0; n < nextCluster; n++) {
      const at = Math.floor((n * 3) / 2);
      if (n % 2 === 0) {
        bytes[at] = entries[n] & 0xff;
        bytes[at + 1] = (bytes[at + 1] & 0xf0) | ((entries[n] >> 8) & 0x0f);
      } else {
        bytes[at] = (bytes[at] & 0x0f) | ((entries[n] & 0x0f) << 4);
        bytes[at + 1] = (entries[n] >> 4) & 0xff;
      }
    }
    return bytes;
  }
  const width = type / 8;
  const bytes = new Uint8Array(nextCluster * width);
  const data = view(bytes);
  for (let n = 0; n < nextCluster; n++) {
    if (type === 32) data.setUint32(n * 4, entries[n], true);
    else data.setUint16(n * 2, entries[n], true);
  }
  return bytes;
}
