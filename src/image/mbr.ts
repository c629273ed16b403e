/**
 * Classic MBR partition tables: the four primary entries at byte 446 with CHS and LBA extents. Used for
 * the disks current Limine (>= 10) boots by BIOS, which no longer embeds stage 2 in a GPT: the Limine
 * templates partition with `sgdisk -n 1:2048 -t 1:ef00 -m 1`, i.e. a GPT turned into an MBR holding
 * just the ESP (sgdisk's `-m`/`--gpttombr` destroys the GPT structures), and `limine bios-install` then
 * puts stage 2 in the gap between the MBR and the first partition. `bios-install` itself turns the
 * GPT of a hybrid ISO into the same kind of MBR.
 */
import { view } from './bytes.js';
import type { DiskImage } from './disk-image.js';

export const SECTOR = 512;
export const MBR_PARTITION_TABLE = 446;
const ENTRY_SIZE = 16;
export const MBR_TYPE_EFI_SYSTEM = 0xef;

export interface MbrPartition {
  type: number;
  firstLba: number;
  sectorCount: number;
  active?: boolean;
}

/**
 * CHS for `lba` in the 255-head, 63-sector geometry both sgdisk and Limine use; past what CHS can
 * address (cylinder 1024) the conventional FE FF FF.
 */
export function lbaToChs(lba: number): [number, number, number] {
  const cylinder = Math.floor(lba / (255 * 63));
  if (lba > 63 * 255 * 1024 || cylinder >= 1024) return [0xfe, 0xff, 0xff];
  const head = Math.floor(lba / 63) % 255;
  const sector = (lba % 63) + 1;
  return [head, ((cylinder >> 2) & 0xc0) | (sector & 0x3f), cylinder & 0xff];
}

/** One 16-byte partition entry. */
export function mbrEntry(partition: MbrPartition): Uint8Array {
  if (partition.firstLba > 0xffffffff || partition.sectorCount > 0xffffffff)
    throw new RangeError(`MBR partition at LBA ${partition.firstLba} does not fit 32-bit sector numbers`);
  const entry = new Uint8Array(ENTRY_SIZE);
  entry[0] = partition.active ? 0x80 : 0x00;
  entry.set(lbaToChs(partition.firstLba), 1);
  entry[4] = partition.type;
  entry.set(lbaToChs(partition.firstLba + partition.sectorCount - 1), 5);
  view(entry).setUint32(8, partition.firstLba, true);
  view(entry).setUint32(12, partition.sectorCount, true);
  return entry;
}

/**
 * Writes sector 0 as sgdisk's GPT-to-MBR conversion leaves it: no boot code, disk signature 0, the
 * given primary partitions, the 55 AA signature.
 */
export function writeMbr(image: DiskImage, partitions: MbrPartition[]): void {
  if (partitions.length > 4) throw new RangeError('an MBR holds at most 4 primary partitions');
  const sector = new Uint8Array(SECTOR);
  partitions.forEach((partition, index) =>
    sector.set(mbrEntry(partition), MBR_PARTITION_TABLE + index * ENTRY_SIZE),
  );
  sector[510] = 0x55;
  sector[511] = 0xaa;
  image.write(0, sector);
}
