/**
 * The image builder's public entry: ISO 9660 hybrids and GPT/FAT hard-disk images holding a kernel,
 * its limine.conf and modules, booted by real Limine or by ostool's built-in UEFI loader. Everything
 * is built in memory as a sparse DiskImage; only `writeImageFile` and Limine discovery touch disks.
 */
import { UserError } from '../errors.js';
import { biosInstall, limineNeedsMbrDisk, type BiosInstallResult } from './bios-install.js';
import { utf8 } from './bytes.js';
import { DiskImage } from './disk-image.js';
import { fatSectorsFor, writeFatVolume, type FatGeometry } from './fat.js';
import { EFI_SYSTEM_PARTITION, gptLayout, LBA, writeGpt } from './gpt.js';
import { IdSource } from './ids.js';
import { ISO_SECTOR, layoutIso } from './iso9660.js';
import { CONFIG_PATH, KERNEL_PATH, limineConfig, MODULE_DIR, moduleFileName } from './limine-config.js';
import { readLimineDir } from './limine.js';
import { MBR_TYPE_EFI_SYSTEM, writeMbr } from './mbr.js';
import { uefiOnlyBootCode } from './uefi-only-mbr.js';
import type { Bootloader, HddOptions, ImageFile, ImageOptions, LimineFiles } from './types.js';

export { DiskImage, writeImageFile } from './disk-image.js';
export { limineConfig, KERNEL_PATH, CONFIG_PATH, MODULE_DIR, moduleFileName } from './limine-config.js';
export {
  findLimine,
  fetchLimine,
  readLimineDir,
  limineCacheRoot,
  LIMINE_VERSION,
  type LimineLocation,
} from './limine.js';
export {
  parseBiosHddHeader,
  biosInstall,
  biosInstallBehaviour,
  type BiosInstallResult,
} from './bios-install.js';
export type {
  Bootloader,
  HddOptions,
  ImageFile,
  ImageModule,
  ImageOptions,
  LimineFiles,
  LimineVersion,
} from './types.js';

export const DEFAULT_HDD_SIZE = 64 * 1024 * 1024;
/** The ESP starts at 1 MiB, as sgdisk and the Limine templates place it. */
export const ESP_FIRST_LBA = 2048;
/** Where the ISO keeps the FAT image for the El Torito EFI entry when it builds one itself. */
export const ISO_EFI_IMAGE_PATH = '/boot/efiboot.img';

export interface BuiltImage {
  image: DiskImage;
  /** True when only UEFI can boot it (the built-in loader has no BIOS stage). */
  uefiOnly: boolean;
  /** What `limine bios-install` did, when it ran. */
  biosInstall?: BiosInstallResult;
  /** FAT geometry of the ESP (HDD) or of the El Torito EFI image (ISO, built-in loader). */
  fat?: FatGeometry;
  /** limine.conf as written. */
  config: string;
}

type ResolvedBootloader = { kind: 'builtin'; efi: Uint8Array } | { kind: 'limine'; files: LimineFiles };

async function resolveBootloader(bootloader: Bootloader): Promise<ResolvedBootloader> {
  if (bootloader.kind === 'builtin') return bootloader;
  if ('files' in bootloader) return bootloader;
  return { kind: 'limine', files: await readLimineDir(bootloader.dir) };
}

/** The files every image carries: kernel, limine.conf, modules (and BOOTX64.EFI / Limine's BIOS stage 3). */
function payloadFiles(
  options: ImageOptions,
  bootloader: ResolvedBootloader,
): { files: ImageFile[]; config: string } {
  const modules = options.modules ?? [];
  const names = new Set<string>();
  for (const module of modules) {
    const name = moduleFileName(module.name);
    if (names.has(name)) throw new UserError(`two modules named '${name}'`);
    names.add(name);
  }
  const config =
    options.config ?? limineConfig({ cmdline: options.cmdline, modules, timeout: options.timeout });
  const files: ImageFile[] = [
    { path: KERNEL_PATH, data: options.kernel },
    { path: CONFIG_PATH, data: utf8(config) },
    ...modules.map((module) => ({ path: `${MODULE_DIR}/${module.name}`, data: module.data })),
  ];
  if (bootloader.kind === 'builtin') {
    files.push({ path: '/EFI/BOOT/BOOTX64.EFI', data: bootloader.efi });
  } else {
    files.push({ path: '/boot/limine/limine-bios.sys', data: bootloader.files.biosSys });
    files.push({ path: '/EFI/BOOT/BOOTX64.EFI', data: bootloader.files.bootX64 });
    if (bootloader.files.bootIa32)
      files.push({ path: '/EFI/BOOT/BOOTIA32.EFI', data: bootloader.files.bootIa32 });
  }
  return { files, config };
}

function label(options: ImageOptions): string {
  return (options.label ?? 'OSTOOL').slice(0, 11);
}

/**
 * A hybrid ISO: ISO 9660 + Rock Ridge with an El Torito catalog (BIOS entry for limine-bios-cd.bin when
 * Limine is used, EFI entry for a FAT image), plus a protective MBR and GPT whose ESP partition is that
 * FAT image, so the same file also boots as a disk; with Limine, its BIOS stages are installed too.
 */
export async function buildIsoImage(options: ImageOptions): Promise<BuiltImage> {
  const bootloader = await resolveBootloader(options.bootloader);
  const ids = new IdSource(options.sourceDateEpoch);
  const { files, config } = payloadFiles(options, bootloader);
  let efiImagePath: string;
  let fat: FatGeometry | undefined;
  const isoFiles = [...files];
  if (bootloader.kind === 'limine') {
    isoFiles.push({ path: '/boot/limine/limine-bios-cd.bin', data: bootloader.files.biosCd });
    isoFiles.push({ path: '/boot/limine/limine-uefi-cd.bin', data: bootloader.files.uefiCd });
    efiImagePath = '/boot/limine/limine-uefi-cd.bin';
  } else {
    // OVMF reads the El Torito EFI image, not ISO 9660: the built-in loader finds everything in there.
    const sectors = fatSectorsFor(files);
    const efiImage = new DiskImage(sectors * LBA);
    fat = writeFatVolume(efiImage, 0, {
      sectors,
      hiddenSectors: 0,
      label: label(options),
      serial: ids.serial32('efi-image'),
      date: ids.date,
      files,
    }).geometry;
    isoFiles.push({ path: ISO_EFI_IMAGE_PATH, data: efiImage.toBytes() });
    efiImagePath = ISO_EFI_IMAGE_PATH;
  }
  // Room after the volume for the backup GPT (header + 128 entries), whole ISO sectors.
  const trailerBytes = Math.ceil((34 * LBA) / ISO_SECTOR) * ISO_SECTOR;
  const iso = layoutIso({
    files: isoFiles,
    label: label(options),
    date: ids.date,
    boot: {
      biosBootFile: bootloader.kind === 'limine' ? '/boot/limine/limine-bios-cd.bin' : undefined,
      biosLoadSectors: 4,
      efiBootFile: efiImagePath,
    },
    trailerBytes,
  });
  const image = new DiskImage(iso.size);
  const efiExtent = iso.fileExtents.get(efiImagePath)!;
  const firstLba = (efiExtent.lba * ISO_SECTOR) / LBA;
  writeGpt(
    image,
    ids.guid('iso-disk'),
    [
      {
        type: EFI_SYSTEM_PARTITION,
        unique: ids.guid('iso-esp'),
        firstLba,
        lastLba: firstLba + Math.ceil(efiExtent.size / LBA) - 1,
        name: 'EFI boot image',
      },
    ],
    bootloader.kind === 'builtin' ? uefiOnlyBootCode() : undefined,
  );
  iso.write(image);
  // From 9.1 this turns the GPT into an MBR (as `limine bios-install` does to xorriso's hybrids).
  const install =
    bootloader.kind === 'limine'
      ? biosInstall(image, bootloader.files.biosHdd, bootloader.files.version)
      : undefined;
  return { image, uefiOnly: bootloader.kind === 'builtin', biosInstall: install, fat, config };
}

/**
 * A raw disk with one EFI System Partition from 1 MiB to where a GPT's usable sectors end, FAT32
 * (FAT16/12 when small) sized to exactly the partition. The table is a GPT, except for Limine >= 10,
 * which boots by BIOS only from an MBR (or a BIOS boot partition): then it is the MBR the Limine
 * templates make with `sgdisk -n 1:2048 -t 1:ef00 -m 1` (the same partition, the GPT converted away).
 * With Limine, `bios-install` runs after partitioning (for Limine < 10 it embeds stage 2 in the GPT
 * entry arrays, otherwise it fills the gap before 1 MiB); the FAT never touches those sectors.
 */
export async function buildHddImage(options: HddOptions): Promise<BuiltImage> {
  const bootloader = await resolveBootloader(options.bootloader);
  const ids = new IdSource(options.sourceDateEpoch);
  const { files, config } = payloadFiles(options, bootloader);
  const size = options.sizeBytes ?? Math.max(DEFAULT_HDD_SIZE, autoDiskSize(files));
  if (size % LBA !== 0) throw new UserError(`--size must be a multiple of 512 bytes (got ${size})`);
  const layout = gptLayout(size);
  if (layout.lastUsableLba < ESP_FIRST_LBA + 64)
    throw new UserError(`--size ${size} is too small for a disk with an ESP at 1 MiB`);
  const image = new DiskImage(size);
  const espSectors = layout.lastUsableLba - ESP_FIRST_LBA + 1;
  if (bootloader.kind === 'limine' && limineNeedsMbrDisk(bootloader.files.version)) {
    writeMbr(image, [{ type: MBR_TYPE_EFI_SYSTEM, firstLba: ESP_FIRST_LBA, sectorCount: espSectors }]);
  } else {
    writeGpt(
      image,
      ids.guid('hdd-disk'),
      [
        {
          type: EFI_SYSTEM_PARTITION,
          unique: ids.guid('hdd-esp'),
          firstLba: ESP_FIRST_LBA,
          lastLba: layout.lastUsableLba,
          name: 'EFI System Partition',
        },
      ],
      bootloader.kind === 'builtin' ? uefiOnlyBootCode() : undefined,
    );
  }
  const install =
    bootloader.kind === 'limine'
      ? biosInstall(image, bootloader.files.biosHdd, bootloader.files.version)
      : undefined;
  const { geometry } = writeFatVolume(image, ESP_FIRST_LBA * LBA, {
    sectors: espSectors,
    hiddenSectors: ESP_FIRST_LBA,
    label: label(options),
    serial: ids.serial32('hdd-esp-fat'),
    date: ids.date,
    files,
  });
  return { image, uefiOnly: bootloader.kind === 'builtin', biosInstall: install, fat: geometry, config };
}

/** A disk comfortably larger than the files, in whole MiB. */
function autoDiskSize(files: ImageFile[]): number {
  const payload = files.reduce((sum, file) => sum + file.data.length, 0);
  return Math.ceil((payload * 1.1 + 4 * 1024 * 1024) / (1024 * 1024)) * 1024 * 1024;
}
