/**
 * ISO 9660 writer with Rock Ridge names (what Limine's ISO driver matches exactly; plain ISO names are
 * matched case-insensitively) and an El Torito boot catalog: a BIOS no-emulation entry with a boot info
 * table, and an EFI (platform 0xEF) entry pointing at a FAT image file.
 */
import { UserError } from '../errors.js';
import { alignUp, putAscii, view } from './bytes.js';
import type { DiskImage } from './disk-image.js';
import type { ImageFile } from './types.js';

export const ISO_SECTOR = 2048;
/** The first 16 sectors are the system area: free for the hybrid MBR/GPT and Limine's stages. */
const SYSTEM_AREA_SECTORS = 16;
const PVD_LBA = 16;
const BOOT_RECORD_LBA = 17;
const TERMINATOR_LBA = 18;
const CATALOG_LBA = 19;
/** El Torito counts boot images in 512-byte "virtual sectors". */
const VIRTUAL_SECTOR = 512;
const PLATFORM_X86 = 0x00;
const PLATFORM_EFI = 0xef;

export interface IsoBoot {
  /** Image path of the BIOS no-emulation boot file; it gets a boot info table. */
  biosBootFile?: string;
  /** Sectors (512 B) the BIOS loads; Limine's templates use 4. */
  biosLoadSectors?: number;
  /** Image path of the FAT image for the EFI entry. */
  efiBootFile?: string;
}

export interface IsoOptions {
  files: ImageFile[];
  label: string;
  date: Date;
  boot: IsoBoot;
  /** Bytes reserved after the ISO volume (for the backup GPT of the hybrid disk layout). */
  trailerBytes?: number;
}

export interface IsoLayout {
  /** Bytes of the whole image, trailer included. */
  size: number;
  volumeSectors: number;
  /** LBA (2048-byte sectors) and size of every file by its image path. */
  fileExtents: Map<string, { lba: number; size: number }>;
  /** Writes the whole ISO volume into `image` (sized `size` or more). */
  write(image: DiskImage): void;
}

interface IsoDirectory {
  kind: 'dir';
  name: string;
  isoName: string;
  children: IsoNode[];
  parent?: IsoDirectory;
  lba: number;
  size: number;
  number: number;
}
interface IsoFile {
  kind: 'file';
  name: string;
  isoName: string;
  path: string;
  data: Uint8Array;
  lba: number;
}
type IsoNode = IsoDirectory | IsoFile;

function buildTree(files: ImageFile[]): IsoDirectory {
  const root: IsoDirectory = {
    kind: 'dir',
    name: '',
    isoName: '\0',
    children: [],
    lba: 0,
    size: 0,
    number: 1,
  };
  for (const file of files) {
    const parts = file.path.split('/').filter(Boolean);
    let dir = root;
    parts.forEach((part, index) => {
      const existing = dir.children.find((child) => child.name === part);
      if (index === parts.length - 1) {
        if (existing) throw new UserError(`two files at ${file.path} in the ISO`);
        dir.children.push({
          kind: 'file',
          name: part,
          isoName: '',
          path: normalise(file.path),
          data: file.data,
          lba: 0,
        });
      } else if (existing?.kind === 'dir') dir = existing;
      else if (existing)
        throw new UserError(`${parts.slice(0, index + 1).join('/')} is both a file and a directory`);
      else {
        const created: IsoDirectory = {
          kind: 'dir',
          name: part,
          isoName: '',
          children: [],
          parent: dir,
          lba: 0,
          size: 0,
          number: 0,
        };
        dir.children.push(created);
        dir = created;
      }
    });
  }
  assignIsoNames(root);
  return root;
}

function normalise(path: string): string {
  return '/' + path.split('/').filter(Boolean).join('/');
}

/** ISO 9660 level 2 identifiers: d-characters, one dot for files, `;1` version, unique per directory. */
function assignIsoNames(dir: IsoDirectory): void {
  const taken = new Set<string>();
  for (const child of dir.children) {
    const upper = child.name.toUpperCase();
    let base: string;
    let ext = '';
    if (child.kind === 'file') {
      const dot = upper.lastIndexOf('.');
      base = dot > 0 ? upper.slice(0, dot) : upper;
      ext = dot > 0 ? upper.slice(dot + 1) : '';
    } else base = upper;
    const clean = (text: string) => text.replace(/[^A-Z0-9_]/g, '_');
    base = clean(base);
    ext = clean(ext).slice(0, 8);
    const maxBase = child.kind === 'file' ? 30 - ext.length - 1 : 31;
    const make = (suffix: string) => {
      const stem = base.slice(0, maxBase - suffix.length) + suffix;
      return child.kind === 'file' ? `${stem}.${ext};1` : stem;
    };
    let candidate = make('');
    for (let n = 1; taken.has(candidate); n++) candidate = make(`_${n}`);
    taken.add(candidate);
    child.isoName = candidate;
    if (child.kind === 'dir') assignIsoNames(child);
  }
  dir.children.sort((a, b) => (a.isoName < b.isoName ? -1 : a.isoName > b.isoName ? 1 : 0));
}

// Rock Ridge / SUSP system-use entries (IEEE P1281/P1282, RRIP 1.09 PX layout).
function suspEntry(signature: string, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(4 + payload.length);
  bytes[0] = signature.charCodeAt(0);
  bytes[1] = signature.charCodeAt(1);
  bytes[2] = bytes.length;
  bytes[3] = 1;
  bytes.set(payload, 4);
  return bytes;
}

function bothEndian32(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const data = view(bytes);
  data.setUint32(0, value, true);
  data.setUint32(4, value, false);
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function posixAttributes(isDirectory: boolean, links: number): Uint8Array {
  const mode = isDirectory ? 0o40555 : 0o100444;
  return suspEntry('PX', concat([bothEndian32(mode), bothEndian32(links), bothEndian32(0), bothEndian32(0)]));
}

function alternateName(name: string): Uint8Array {
  const encoded = new TextEncoder().encode(name);
  return suspEntry('NM', concat([Uint8Array.of(0), encoded]));
}

const SHARING_PROTOCOL = suspEntry('SP', Uint8Array.of(0xbe, 0xef, 0));
const RRIP_ID = 'RRIP_1991A';
const RRIP_DESCRIPTOR =
  'THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS';
const RRIP_SOURCE =
  'PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.';

function extensionReference(): Uint8Array {
  const text = new TextEncoder().encode(RRIP_ID + RRIP_DESCRIPTOR + RRIP_SOURCE);
  return suspEntry(
    'ER',
    concat([Uint8Array.of(RRIP_ID.length, RRIP_DESCRIPTOR.length, RRIP_SOURCE.length, 1), text]),
  );
}

function continuationArea(lba: number, length: number): Uint8Array {
  return suspEntry('CE', concat([bothEndian32(lba), bothEndian32(0), bothEndian32(length)]));
}

function recordingDate(date: Date): Uint8Array {
  return Uint8Array.of(
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  );
}

function directoryRecord(
  identifier: Uint8Array,
  lba: number,
  size: number,
  isDirectory: boolean,
  date: Date,
  systemUse: Uint8Array,
): Uint8Array {
  const padding = identifier.length % 2 === 0 ? 1 : 0;
  const length = 33 + identifier.length + padding + systemUse.length;
  if (length > 255) throw new UserError(`file name too long for an ISO 9660 directory record`);
  const bytes = new Uint8Array(length);
  const data = view(bytes);
  bytes[0] = length;
  data.setUint32(2, lba, true);
  data.setUint32(6, lba, false);
  data.setUint32(10, size, true);
  data.setUint32(14, size, false);
  bytes.set(recordingDate(date), 18);
  bytes[25] = isDirectory ? 0x02 : 0x00;
  data.setUint16(28, 1, true);
  data.setUint16(30, 1, false);
  bytes[32] = identifier.length;
  bytes.set(identifier, 33);
  bytes.set(systemUse, 33 + identifier.length + padding);
  return bytes;
}

function identifierBytes(text: string): Uint8Array {
  return Uint8Array.from([...text].map((char) => char.charCodeAt(0)));
}

/** Packs records into 2048-byte sectors; a record never crosses a sector boundary. */
function packRecords(records: Uint8Array[]): Uint8Array {
  let size = 0;
  const offsets: number[] = [];
  for (const record of records) {
    if ((size % ISO_SECTOR) + record.length > ISO_SECTOR) size = alignUp(size, ISO_SECTOR);
    offsets.push(size);
    size += record.length;
  }
  const out = new Uint8Array(alignUp(Math.max(size, 1), ISO_SECTOR));
  records.forEach((record, index) => out.set(record, offsets[index]));
  return out;
}

function subdirectoryCount(dir: IsoDirectory): number {
  return dir.children.filter((child) => child.kind === 'dir').length;
}

function directoryRecords(
  dir: IsoDirectory,
  date: Date,
  continuationLba: number,
  continuationLength: number,
): Uint8Array[] {
  const parent = dir.parent ?? dir;
  const selfUse = dir.parent
    ? posixAttributes(true, 2 + subdirectoryCount(dir))
    : concat([
        SHARING_PROTOCOL,
        posixAttributes(true, 2 + subdirectoryCount(dir)),
        continuationArea(continuationLba, continuationLength),
      ]);
  const records = [
    directoryRecord(Uint8Array.of(0), dir.lba, dir.size, true, date, selfUse),
    directoryRecord(
      Uint8Array.of(1),
      parent.lba,
      parent.size,
      true,
      date,
      posixAttributes(true, 2 + subdirectoryCount(parent)),
    ),
  ];
  for (const child of dir.children) {
    const isDirectory = child.kind === 'dir';
    const systemUse = concat([
      posixAttributes(isDirectory, isDirectory ? 2 + subdirectoryCount(child) : 1),
      alternateName(child.name),
    ]);
    const size = child.kind === 'dir' ? child.size : child.data.length;
    records.push(
      directoryRecord(identifierBytes(child.isoName), child.lba, size, isDirectory, date, systemUse),
    );
  }
  return records;
}

function directoriesBreadthFirst(root: IsoDirectory): IsoDirectory[] {
  const order: IsoDirectory[] = [root];
  for (let i = 0; i < order.length; i++) {
    for (const child of order[i].children) if (child.kind === 'dir') order.push(child);
  }
  order.forEach((dir, index) => (dir.number = index + 1));
  return order;
}

function pathTable(directories: IsoDirectory[], littleEndian: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const dir of directories) {
    const identifier = dir.parent ? identifierBytes(dir.isoName) : Uint8Array.of(0);
    const entry = new Uint8Array(8 + identifier.length + (identifier.length % 2));
    const data = view(entry);
    entry[0] = identifier.length;
    data.setUint32(2, dir.lba, littleEndian);
    data.setUint16(6, dir.parent ? dir.parent.number : 1, littleEndian);
    entry.set(identifier, 8);
    parts.push(entry);
  }
  return concat(parts);
}

function decimalDate(date: Date): Uint8Array {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');
  const text = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1, 2)}${pad(date.getUTCDate(), 2)}${pad(date.getUTCHours(), 2)}${pad(date.getUTCMinutes(), 2)}${pad(date.getUTCSeconds(), 2)}00`;
  const bytes = new Uint8Array(17);
  putAscii(bytes, 0, text, 16);
  return bytes;
}

function unsetDate(): Uint8Array {
  const bytes = new Uint8Array(17);
  putAscii(bytes, 0, '0000000000000000', 16);
  return bytes;
}

export function layoutIso(options: IsoOptions): IsoLayout {
  const root = buildTree(options.files);
  const directories = directoriesBreadthFirst(root);
  const date = options.date;
  const extensionRecord = extensionReference();

  // Directory sizes depend only on names, so they can be sized before any LBA is known.
  for (const dir of directories) dir.size = packRecords(directoryRecords(dir, date, 0, 0)).length;
  const pathTableSize = pathTable(directories, true).length;
  const pathTableSectors = Math.ceil(pathTableSize / ISO_SECTOR);

  let nextLba = CATALOG_LBA + 1;
  const littlePathTableLba = nextLba;
  nextLba += pathTableSectors;
  const bigPathTableLba = nextLba;
  nextLba += pathTableSectors;
  const continuationLba = nextLba++;
  for (const dir of directories) {
    dir.lba = nextLba;
    nextLba += dir.size / ISO_SECTOR;
  }
  const fileExtents = new Map<string, { lba: number; size: number }>();
  const allFiles: IsoFile[] = [];
  for (const dir of directories) {
    for (const child of dir.children) {
      if (child.kind !== 'file') continue;
      child.lba = child.data.length ? nextLba : 0;
      nextLba += Math.ceil(child.data.length / ISO_SECTOR);
      fileExtents.set(child.path, { lba: child.lba, size: child.data.length });
      allFiles.push(child);
    }
  }
  const volumeSectors = nextLba;
  const size = volumeSectors * ISO_SECTOR + (options.trailerBytes ?? 0);

  const bootFile = (path: string | undefined) => {
    if (path === undefined) return undefined;
    const extent = fileExtents.get(normalise(path));
    if (!extent) throw new Error(`El Torito boot file ${path} is not in the ISO`);
    return extent;
  };
  const biosBoot = bootFile(options.boot.biosBootFile);
  const efiBoot = bootFile(options.boot.efiBootFile);

  const write = (image: DiskImage) => {
    image.write(PVD_LBA * ISO_SECTOR, primaryVolumeDescriptor());
    if (biosBoot || efiBoot) image.write(BOOT_RECORD_LBA * ISO_SECTOR, bootRecord());
    image.write((biosBoot || efiBoot ? TERMINATOR_LBA : BOOT_RECORD_LBA) * ISO_SECTOR, terminator());
    if (biosBoot || efiBoot) image.write(CATALOG_LBA * ISO_SECTOR, bootCatalog());
    image.write(littlePathTableLba * ISO_SECTOR, pathTable(directories, true));
    image.write(bigPathTableLba * ISO_SECTOR, pathTable(directories, false));
    image.write(continuationLba * ISO_SECTOR, extensionRecord);
    for (const dir of directories)
      image.write(
        dir.lba * ISO_SECTOR,
        packRecords(directoryRecords(dir, date, continuationLba, extensionRecord.length)),
      );
    for (const file of allFiles) {
      if (!file.data.length) continue;
      const isBiosBoot =
        options.boot.biosBootFile !== undefined && file.path === normalise(options.boot.biosBootFile);
      image.share(file.lba * ISO_SECTOR, isBiosBoot ? withBootInfoTable(file.data, file.lba) : file.data);
    }
  };

  const primaryVolumeDescriptor = () => {
    const bytes = new Uint8Array(ISO_SECTOR);
    const data = view(bytes);
    bytes[0] = 1;
    putAscii(bytes, 1, 'CD001', 5);
    bytes[6] = 1;
    putAscii(bytes, 8, '', 32);
    putAscii(bytes, 40, options.label.toUpperCase().replace(/[^A-Z0-9_]/g, '_'), 32);
    bytes.set(bothEndian32(volumeSectors), 80);
    data.setUint16(120, 1, true);
    data.setUint16(122, 1, false);
    data.setUint16(124, 1, true);
    data.setUint16(126, 1, false);
    data.setUint16(128, ISO_SECTOR, true);
    data.setUint16(130, ISO_SECTOR, false);
    bytes.set(bothEndian32(pathTableSize), 132);
    data.setUint32(140, littlePathTableLba, true);
    data.setUint32(148, bigPathTableLba, false);
    bytes.set(directoryRecord(Uint8Array.of(0), root.lba, root.size, true, date, new Uint8Array(0)), 156);
    putAscii(bytes, 190, '', 128); // volume set
    putAscii(bytes, 318, '', 128); // publisher
    putAscii(bytes, 446, '', 128); // data preparer
    putAscii(bytes, 574, 'OSTOOL', 128); // application
    putAscii(bytes, 702, '', 37 + 37 + 37);
    bytes.set(decimalDate(date), 813); // creation
    bytes.set(decimalDate(date), 830); // modification
    bytes.set(unsetDate(), 847); // expiration
    bytes.set(decimalDate(date), 864); // effective
    bytes[881] = 1;
    return bytes;
  };

  const bootRecord = () => {
    const bytes = new Uint8Array(ISO_SECTOR);
    bytes[0] = 0;
    putAscii(bytes, 1, 'CD001', 5);
    bytes[6] = 1;
    putAscii(bytes, 7, 'EL TORITO SPECIFICATION', 32, 0);
    view(bytes).setUint32(0x47, CATALOG_LBA, true);
    return bytes;
  };

  const terminator = () => {
    const bytes = new Uint8Array(ISO_SECTOR);
    bytes[0] = 255;
    putAscii(bytes, 1, 'CD001', 5);
    bytes[6] = 1;
    return bytes;
  };

  const bootCatalog = () => {
    const bytes = new Uint8Array(ISO_SECTOR);
    const data = view(bytes);
    const entry = (at: number, lba: number, sectors: number) => {
      bytes[at] = 0x88; // bootable
      bytes[at + 1] = 0; // no emulation
      data.setUint16(at + 2, 0, true); // load segment: the default 0x7c0
      data.setUint16(at + 6, sectors, true);
      data.setUint32(at + 8, lba, true);
    };
    const efiSectors = (extent: { size: number }) => {
      const sectors = Math.ceil(extent.size / VIRTUAL_SECTOR);
      // Too big for the 16-bit field: 1 makes firmware (EDK2) use the image up to the volume's end.
      return sectors <= 0xffff ? sectors : 1;
    };
    // Validation entry: its 16-bit words sum to zero.
    bytes[0] = 1;
    bytes[1] = biosBoot ? PLATFORM_X86 : PLATFORM_EFI;
    bytes[30] = 0x55;
    bytes[31] = 0xaa;
    let sum = 0;
    for (let i = 0; i < 32; i += 2) sum = (sum + data.getUint16(i, true)) & 0xffff;
    data.setUint16(28, (0x10000 - sum) & 0xffff, true);
    if (biosBoot) {
      entry(32, biosBoot.lba, options.boot.biosLoadSectors ?? 4);
      if (efiBoot) {
        bytes[64] = 0x91; // final section header
        bytes[65] = PLATFORM_EFI;
        data.setUint16(66, 1, true);
        entry(96, efiBoot.lba, efiSectors(efiBoot));
      }
    } else if (efiBoot) {
      entry(32, efiBoot.lba, efiSectors(efiBoot));
    }
    return bytes;
  };

  return { size, volumeSectors, fileExtents, write };
}

/**
 * The boot info table mkisofs' -boot-info-table writes at offset 8 of a BIOS boot file: PVD LBA, the
 * file's own LBA and length, and a checksum of its 32-bit words from offset 64 on.
 */
export function withBootInfoTable(file: Uint8Array, fileLba: number): Uint8Array {
  if (file.length < 64)
    throw new UserError(`the BIOS boot file is only ${file.length} bytes: too small for a boot info table`);
  const patched = new Uint8Array(alignUp(file.length, 4));
  patched.set(file);
  const data = view(patched);
  let checksum = 0;
  for (let at = 64; at < patched.length; at += 4) checksum = (checksum + data.getUint32(at, true)) >>> 0;
  data.setUint32(8, PVD_LBA, true);
  data.setUint32(12, fileLba, true);
  data.setUint32(16, file.length, true);
  data.setUint32(20, checksum, true);
  patched.fill(0, 24, 64);
  return patched.subarray(0, file.length);
}

export { SYSTEM_AREA_SECTORS };
