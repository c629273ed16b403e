import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIsoImage, ISO_EFI_IMAGE_PATH, writeImageFile } from '../../src/image/index.js';
import {
  patternBytes,
  syntheticLimineDir,
  syntheticStages,
  SYNTHETIC_STAGE2_BYTES,
  tempDir,
  tool,
} from './helpers.js';

let work: Awaited<ReturnType<typeof tempDir>>;
let limine: Awaited<ReturnType<typeof syntheticLimineDir>>;
const kernel = patternBytes(300_000, 31);
const loader = patternBytes(4096, 32);
const module = patternBytes(5000, 33);

beforeAll(async () => {
  work = await tempDir();
  limine = await syntheticLimineDir(join(work.dir, 'limine'), { bootIa32: patternBytes(2500, 34) });
});
afterAll(async () => work.cleanup());

async function xorrisoReport(path: string): Promise<string> {
  return (
    (await tool('xorriso', ['-indev', path, '-report_el_torito', 'plain', '-report_system_area', 'plain']))
      .all ?? ''
  );
}

async function isoFiles(path: string): Promise<string[]> {
  const found = await tool('xorriso', ['-indev', path, '-find', '/', '-type', 'f']);
  return found.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^'|'$/g, ''));
}

async function extract(path: string, inside: string): Promise<Uint8Array> {
  const out = join(work.dir, `x-${Math.random().toString(16).slice(2)}`);
  await tool('xorriso', ['-osirrox', 'on', '-indev', path, '-extract', inside, out]);
  return new Uint8Array(await readFile(out));
}

describe('hybrid ISO with Limine', () => {
  let path: string;
  let built: Awaited<ReturnType<typeof buildIsoImage>>;
  beforeAll(async () => {
    built = await buildIsoImage({
      kernel,
      bootloader: { kind: 'limine', dir: limine.dir },
      modules: [{ name: 'mod.bin', data: module }],
      cmdline: 'quiet',
    });
    path = join(work.dir, 'limine.iso');
    await writeImageFile(built.image, path);
  });

  it('has the El Torito BIOS entry (4 sectors, boot info table) and the EFI entry for limine-uefi-cd.bin', async () => {
    const report = await xorrisoReport(path);
    expect(report).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+\d+/);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/boot\/limine\/limine-bios-cd\.bin/);
    expect(report).toMatch(/El Torito img opts :\s+1\s+boot-info-table/);
    expect(report).toMatch(/El Torito boot img :\s+2\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+2880\s+\d+/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/boot\/limine\/limine-uefi-cd\.bin/);
  });

  it('lays the files out as the Limine templates do, under their exact Rock Ridge names', async () => {
    expect((await isoFiles(path)).sort()).toEqual(
      [
        '/EFI/BOOT/BOOTIA32.EFI',
        '/EFI/BOOT/BOOTX64.EFI',
        '/boot/kernel',
        '/boot/limine/limine-bios-cd.bin',
        '/boot/limine/limine-bios.sys',
        '/boot/limine/limine-uefi-cd.bin',
        '/boot/limine/limine.conf',
        '/boot/modules/mod.bin',
      ].sort(),
    );
    expect(await extract(path, '/boot/kernel')).toEqual(kernel);
    expect(await extract(path, '/boot/modules/mod.bin')).toEqual(module);
    expect(await extract(path, '/boot/limine/limine-bios.sys')).toEqual(limine.biosSys);
    expect(new TextDecoder().decode(await extract(path, '/boot/limine/limine.conf'))).toBe(built.config);
  });

  it('patches the boot info table into limine-bios-cd.bin: PVD at 16, its own LBA and length, checksum', async () => {
    const cd = await extract(path, '/boot/limine/limine-bios-cd.bin');
    const view = new DataView(cd.buffer, cd.byteOffset);
    const report = await xorrisoReport(path);
    const lba = Number(
      /El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+(\d+)/.exec(report)![1],
    );
    expect(view.getUint32(8, true)).toBe(16);
    expect(view.getUint32(12, true)).toBe(lba);
    expect(view.getUint32(16, true)).toBe(limine.biosCd.length);
    let sum = 0;
    const original = new DataView(limine.biosCd.buffer, limine.biosCd.byteOffset);
    for (let at = 64; at < limine.biosCd.length; at += 4) sum = (sum + original.getUint32(at, true)) >>> 0;
    expect(view.getUint32(20, true)).toBe(sum);
    expect(cd.subarray(64)).toEqual(limine.biosCd.subarray(64));
    expect(cd.subarray(0, 8)).toEqual(limine.biosCd.subarray(0, 8));
  });

  it('is also a GPT disk whose ESP is the EFI boot image, with Limine stage 2 embedded', async () => {
    const report = await xorrisoReport(path);
    expect(report).toMatch(/GPT partition path :\s+1\s+\/boot\/limine\/limine-uefi-cd\.bin/);
    expect((await tool('sgdisk', ['-v', path])).stdout).toContain('No problems found');
    const table = (await tool('sgdisk', ['-p', path])).stdout;
    expect(table).toMatch(/^\s+1\s+\d+\s+\d+\s+1\.4 MiB\s+EF00/m);
    expect(table).toContain('Partition table holds up to 44 entries');
    expect(built.biosInstall?.scheme).toBe('gpt');
    expect((await tool('file', ['-b', path])).stdout).toMatch(
      /ISO 9660 CD-ROM filesystem data.*'OSTOOL' \(bootable\)/,
    );
  });
});

describe('ISO with the built-in loader', () => {
  it('has only an EFI El Torito entry, for a FAT image holding the loader, kernel, limine.conf and modules', async () => {
    const built = await buildIsoImage({
      kernel,
      bootloader: { kind: 'builtin', efi: loader },
      modules: [{ name: 'mod.bin', data: module }],
      label: 'MyOS',
    });
    const path = join(work.dir, 'builtin.iso');
    await writeImageFile(built.image, path);
    const report = await xorrisoReport(path);
    expect(report).not.toMatch(/\bBIOS\b/);
    expect(report).toMatch(/El Torito boot img :\s+1\s+UEFI\s+y\s+none/);
    expect(report).toContain(`El Torito img path :   1  ${ISO_EFI_IMAGE_PATH}`);
    expect(report).toContain("Volume id    : 'MYOS'");
    const fat = join(work.dir, 'efiboot.img');
    await tool('xorriso', ['-osirrox', 'on', '-indev', path, '-extract', ISO_EFI_IMAGE_PATH, fat]);
    expect((await tool('fsck.fat', ['-n', fat])).exitCode).toBe(0);
    const listing = (await tool('mdir', ['-i', fat, '-b', '-/', '::'])).stdout.split('\n');
    expect(listing).toEqual(
      expect.arrayContaining([
        '::/EFI/BOOT/BOOTX64.EFI',
        '::/boot/kernel',
        '::/boot/limine/limine.conf',
        '::/boot/modules/mod.bin',
      ]),
    );
    const out = join(work.dir, 'k');
    await tool('mcopy', ['-n', '-o', '-i', fat, '::/boot/kernel', out]);
    expect(new Uint8Array(await readFile(out))).toEqual(kernel);
    expect((await tool('sgdisk', ['-v', path])).stdout).toContain('No problems found');
    expect(built.uefiOnly).toBe(true);
    expect(built.biosInstall).toBeUndefined();
  });

  it('is byte-identical when rebuilt with the same SOURCE_DATE_EPOCH', async () => {
    const make = () =>
      buildIsoImage({ kernel, bootloader: { kind: 'builtin', efi: loader }, sourceDateEpoch: 1_234_567_890 });
    const [a, b] = await Promise.all([make(), make()]);
    expect(Buffer.compare(a.image.toBytes(), b.image.toBytes())).toBe(0);
    const path = join(work.dir, 'dated.iso');
    await writeImageFile(a.image, path);
    const listing = (await tool('xorriso', ['-indev', path, '-lsdl', '/boot/kernel'])).stdout;
    expect(listing).toContain('Feb 13  2009');
  });
});

describe('ISO directories larger than one sector', () => {
  it('lists, extracts and resolves all of 150 modules', async () => {
    const modules = Array.from({ length: 150 }, (_, index) => ({
      name: `module-with-a-long-name-${String(index).padStart(3, '0')}.bin`,
      data: patternBytes(100 + index, 200 + index),
    }));
    const built = await buildIsoImage({ kernel, bootloader: { kind: 'builtin', efi: loader }, modules });
    const path = join(work.dir, 'many.iso');
    await writeImageFile(built.image, path);
    const listed = (await isoFiles(path)).filter((name) => name.startsWith('/boot/modules/'));
    expect(listed.sort()).toEqual(modules.map((module) => `/boot/modules/${module.name}`).sort());
    expect(await extract(path, `/boot/modules/${modules[149].name}`)).toEqual(modules[149].data);
    expect(await extract(path, `/boot/modules/${modules[0].name}`)).toEqual(modules[0].data);
  });
});

describe('hybrid ISO for Limine 9.1 and later', () => {
  let path: string;
  let built: Awaited<ReturnType<typeof buildIsoImage>>;
  beforeAll(async () => {
    const limine12 = await syntheticLimineDir(join(work.dir, 'limine-12'), { version: '12.5.1' });
    built = await buildIsoImage({ kernel, bootloader: { kind: 'limine', dir: limine12.dir } });
    path = join(work.dir, 'limine12.iso');
    await writeImageFile(built.image, path);
  });

  it('has its GPT turned into an MBR by bios-install, the EFI boot image as partition 1', async () => {
    expect(built.biosInstall).toMatchObject({
      scheme: 'mbr',
      convertedGptToMbr: true,
      stage2Field: 'single',
    });
    const listing = (await tool('fdisk', ['-l', path])).stdout;
    expect(listing).toContain('Disklabel type: dos');
    const efiImage = (await xorrisoReport(path)).match(
      /El Torito boot img :\s+2\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+(\d+)\s+(\d+)/,
    );
    expect(efiImage).not.toBeNull();
    const [, sectors, isoLba] = efiImage!.map(Number);
    const first = isoLba * 4;
    expect(listing).toMatch(
      new RegExp(`limine12\\.iso1 \\*\\s+${first}\\s+${first + sectors - 1}\\s+${sectors}\\s`),
    );
    expect(listing).toMatch(/\sef EFI \(FAT-12\/16\/32\)/);
    // Both GPTs are gone: LBA 1 holds stage 2 now, and the backup's 33 sectors at the end are wiped.
    expect(new TextDecoder().decode(built.image.read(512, 8))).not.toBe('EFI PART');
    expect(built.image.read(512, SYNTHETIC_STAGE2_BYTES)).toEqual(syntheticStages().subarray(512));
    expect(built.image.read(built.image.size - 33 * 512, 33 * 512).every((b) => b === 0)).toBe(true);
  });

  it('still boots as a CD: both El Torito entries are where they were', async () => {
    const report = await xorrisoReport(path);
    expect(report).toMatch(/El Torito boot img :\s+1\s+BIOS\s+y\s+none/);
    expect(report).toMatch(/El Torito img path :\s+1\s+\/boot\/limine\/limine-bios-cd\.bin/);
    expect(report).toMatch(/El Torito img path :\s+2\s+\/boot\/limine\/limine-uefi-cd\.bin/);
  });
});
