import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHddImage, ESP_FIRST_LBA, writeImageFile } from '../../src/image/index.js';
import { crc32 } from '../../src/image/bytes.js';
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
const kernel = patternBytes(200_000, 7);
const loader = patternBytes(4096, 8);

beforeAll(async () => {
  work = await tempDir();
  limine = await syntheticLimineDir(join(work.dir, 'limine'));
});
afterAll(async () => work.cleanup());

async function sgdiskPrint(path: string) {
  return (await tool('sgdisk', ['-p', path])).stdout;
}

async function espCopy(image: string): Promise<string> {
  const esp = `${image}.esp`;
  await tool('dd', [`if=${image}`, `of=${esp}`, 'bs=512', `skip=${ESP_FIRST_LBA}`, 'status=none']);
  return esp;
}

describe('GPT disk images with the built-in loader', () => {
  it('has a valid GPT with one EF00 ESP from 1 MiB, formatted FAT32 to the partition size', async () => {
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi: loader },
      sourceDateEpoch: 1_700_000_000,
    });
    const path = join(work.dir, 'builtin.img');
    await writeImageFile(built.image, path);
    expect((await tool('sgdisk', ['-v', path])).stdout).toContain('No problems found');
    const table = await sgdiskPrint(path);
    expect(table).toMatch(/^\s+1\s+2048\s+131038\s+63\.0 MiB\s+EF00\s+EFI System Partition$/m);
    expect(table).toContain('Partition table holds up to 128 entries');
    const esp = await espCopy(path);
    const fsck = await tool('fsck.fat', ['-n', '-v', esp]);
    expect(fsck.stdout).toContain(`${131038 - 2048 + 1} sectors total`);
    expect(fsck.stdout).toContain('32 bit entries');
    expect((await tool('file', ['-b', path])).stdout).toContain('ID=0xee');
    expect(built.uefiOnly).toBe(true);
  });

  it('puts kernel, limine.conf and BOOTX64.EFI where the layout says, byte for byte', async () => {
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi: loader },
      cmdline: 'console=ttyS0 verbose',
      modules: [{ name: 'initrd.tar', data: patternBytes(3333, 9), cmdline: 'root' }],
    });
    const path = join(work.dir, 'layout.img');
    await writeImageFile(built.image, path);
    const at = `${path}@@1M`;
    const listing = (await tool('mdir', ['-i', at, '-b', '-/', '::'])).stdout.split('\n');
    expect(listing).toEqual(
      expect.arrayContaining([
        '::/boot/kernel',
        '::/boot/limine/limine.conf',
        '::/EFI/BOOT/BOOTX64.EFI',
        '::/boot/modules/initrd.tar',
      ]),
    );
    for (const [inside, expected] of [
      ['/boot/kernel', kernel],
      ['/EFI/BOOT/BOOTX64.EFI', loader],
    ] as const) {
      const out = join(work.dir, 'copy');
      await tool('mcopy', ['-n', '-o', '-i', at, `::${inside}`, out]);
      expect(new Uint8Array(await readFile(out))).toEqual(expected);
    }
    const config = (await tool('mtype', ['-i', at, '::/boot/limine/limine.conf'])).stdout;
    expect(config).toBe(built.config.trimEnd());
    expect(config).toMatch(/^\s+kernel_path: boot\(\):\/boot\/kernel$/m);
    expect(config).toMatch(/^\s+cmdline: console=ttyS0 verbose$/m);
    expect(config).toMatch(
      /^\s+module_path: boot\(\):\/boot\/modules\/initrd\.tar\n\s+module_cmdline: root$/m,
    );
    expect(config).toMatch(/^serial: yes$/m);
  });

  it('uses FAT16 for a small disk and still fits the FAT inside the partition', async () => {
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi: loader },
      sizeBytes: 16 * 1024 * 1024,
    });
    const path = join(work.dir, 'small.img');
    await writeImageFile(built.image, path);
    expect(built.fat?.type).toBe(16);
    expect((await tool('sgdisk', ['-v', path])).stdout).toContain('No problems found');
    expect((await tool('fsck.fat', ['-n', await espCopy(path)])).exitCode).toBe(0);
  });

  it('refuses a --size the files do not fit in', async () => {
    await expect(
      buildHddImage({
        kernel: new Uint8Array(3 * 1024 * 1024),
        bootloader: { kind: 'builtin', efi: loader },
        sizeBytes: 3 * 1024 * 1024,
      }),
    ).rejects.toThrow(/larger --size/);
  });

  it('is byte-identical for the same inputs and SOURCE_DATE_EPOCH, with different GUIDs for another epoch', async () => {
    const make = (epoch: number) =>
      buildHddImage({
        kernel,
        bootloader: { kind: 'builtin', efi: loader },
        sourceDateEpoch: epoch,
        sizeBytes: 8 * 1024 * 1024,
      });
    const [a, b, c] = await Promise.all([make(1_600_000_000), make(1_600_000_000), make(1_600_000_001)]);
    expect(Buffer.compare(a.image.toBytes(), b.image.toBytes())).toBe(0);
    const paths = await Promise.all(
      [a, c].map(async (built, index) => {
        const path = join(work.dir, `repro-${index}.img`);
        await writeImageFile(built.image, path);
        return path;
      }),
    );
    const guid = async (path: string) => /Disk identifier \(GUID\): (\S+)/.exec(await sgdiskPrint(path))![1];
    expect(await guid(paths[0])).not.toBe(await guid(paths[1]));
  });
});

describe('GPT disk images with Limine', () => {
  it('embeds stage 2 in the GPT entry arrays (128 -> 44 entries) with valid CRCs, and keeps the ESP intact', async () => {
    const built = await buildHddImage({ kernel, bootloader: { kind: 'limine', dir: limine.dir } });
    const path = join(work.dir, 'limine.img');
    await writeImageFile(built.image, path);
    const verify = (await tool('sgdisk', ['-v', path])).stdout;
    expect(verify).toContain('No problems found');
    const table = await sgdiskPrint(path);
    expect(table).toContain('Partition table holds up to 44 entries');
    expect(table).toMatch(/^\s+1\s+2048\s+\d+\s+[\d.]+ MiB\s+EF00/m);
    expect((await tool('fsck.fat', ['-n', await espCopy(path)])).exitCode).toBe(0);
    const at = `${path}@@1M`;
    const out = join(work.dir, 'sys');
    await tool('mcopy', ['-n', '-o', '-i', at, '::/boot/limine/limine-bios.sys', out]);
    expect(new Uint8Array(await readFile(out))).toEqual(limine.biosSys);
    expect(built.uefiOnly).toBe(false);
  });

  it('writes stage 1 over the MBR boot code only, and both stage-2 halves where stage 1 is told to look', async () => {
    const built = await buildHddImage({ kernel, bootloader: { kind: 'limine', dir: limine.dir } });
    const disk = built.image;
    const mbr = disk.read(0, 512);
    const stages = syntheticStages();
    // Boot code comes from stage 1 except the location field and the kept timestamp and partition table.
    expect(mbr.subarray(0, 218)).toEqual(stages.subarray(0, 218));
    expect(mbr.subarray(224, 0x1a4)).toEqual(stages.subarray(224, 0x1a4));
    expect(mbr.subarray(0x1a4 + 20, 440)).toEqual(stages.subarray(0x1a4 + 20, 440));
    expect([...mbr.subarray(218, 224)]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(mbr[446 + 4]).toBe(0xee); // protective partition kept
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
    const fields = new DataView(mbr.buffer, mbr.byteOffset + 0x1a4, 20);
    const sizeA = fields.getUint16(0, true);
    const sizeB = fields.getUint16(2, true);
    const offsetA = Number(fields.getBigUint64(4, true));
    const offsetB = Number(fields.getBigUint64(12, true));
    expect(sizeA + sizeB).toBe(Math.ceil(SYNTHETIC_STAGE2_BYTES / 512) * 512);
    const stage2 = stages.subarray(512);
    expect(disk.read(offsetA, sizeA)).toEqual(stage2.subarray(0, sizeA));
    expect(disk.read(offsetB, stage2.length - sizeA)).toEqual(stage2.subarray(sizeA));
    // Halves sit after the shrunk arrays (44 entries = 11 sectors from LBA 2), inside the old 32-sector span.
    expect(offsetA).toBeGreaterThanOrEqual((2 + 11) * 512);
    expect(offsetA + sizeA).toBeLessThanOrEqual((2 + 32) * 512);
    const backupEntriesLba = disk.size / 512 - 33;
    expect(offsetB).toBeGreaterThanOrEqual((backupEntriesLba + 11) * 512);
    expect(offsetB + sizeB).toBeLessThanOrEqual((backupEntriesLba + 32) * 512);
    // Both headers agree on the count and the array CRC.
    for (const headerLba of [1, disk.size / 512 - 1]) {
      const header = disk.read(headerLba * 512, 92);
      const view = new DataView(header.buffer);
      expect(view.getUint32(80, true)).toBe(44);
      const stored = view.getUint32(16, true);
      view.setUint32(16, 0, true);
      expect(crc32(header)).toBe(stored);
    }
  });
});

describe('FAT directories larger than one cluster', () => {
  it('holds 150 long-named modules that mtools lists and fsck.fat accepts', async () => {
    const modules = Array.from({ length: 150 }, (_, index) => ({
      name: `module-with-a-long-name-${String(index).padStart(3, '0')}.bin`,
      data: patternBytes(100 + index, 300 + index),
    }));
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi: loader },
      modules,
      sizeBytes: 8 << 20,
    });
    const path = join(work.dir, 'many.img');
    await writeImageFile(built.image, path);
    expect((await tool('fsck.fat', ['-n', await espCopy(path)])).exitCode).toBe(0);
    const listing = (await tool('mdir', ['-i', `${path}@@1M`, '-b', '/boot/modules'])).stdout
      .split('\n')
      .filter(Boolean);
    expect(listing.map((line) => line.replace(/^.*\//, '')).sort()).toEqual(
      modules.map((module) => module.name).sort(),
    );
    const out = join(work.dir, 'last');
    await tool('mcopy', ['-n', '-o', '-i', `${path}@@1M`, `::/boot/modules/${modules[149].name}`, out]);
    expect(new Uint8Array(await readFile(out))).toEqual(modules[149].data);
  });
});

describe('MBR disk images for Limine 10 and later (no GPT embedding)', () => {
  let limine12: Awaited<ReturnType<typeof syntheticLimineDir>>;
  let path: string;
  let built: Awaited<ReturnType<typeof buildHddImage>>;
  beforeAll(async () => {
    limine12 = await syntheticLimineDir(join(work.dir, 'limine-12'), { version: '12.5.1' });
    built = await buildHddImage({ kernel, bootloader: { kind: 'limine', dir: limine12.dir } });
    path = join(work.dir, 'limine12.img');
    await writeImageFile(built.image, path);
  });

  it('has the partition table `sgdisk -n 1:2048 -t 1:ef00 -m 1` makes, with partition 1 marked active', async () => {
    const oracle = join(work.dir, 'sgdisk-oracle.img');
    await tool('truncate', ['-s', String(built.image.size), oracle]);
    await tool('sgdisk', [oracle, '-n', '1:2048', '-t', '1:ef00', '-m', '1']);
    const expected = new Uint8Array(await readFile(oracle)).subarray(440, 512);
    expected[446 - 440] = 0x80; // bios-install marks the only partition active, as some BIOSes need
    expect(built.image.read(440, 72)).toEqual(expected);
    const listing = (await tool('fdisk', ['-l', path])).stdout;
    expect(listing).toContain('Disklabel type: dos');
    expect(listing).toMatch(/limine12\.img1 \*\s+2048\s+131038\s+128991\s+63M ef EFI \(FAT-12\/16\/32\)/);
    // No GPT left for GPT-aware tools to disagree with (LBA 1 holds stage 2 now).
    expect(new TextDecoder().decode(built.image.read(512, 8))).not.toBe('EFI PART');
    expect(built.image.read(built.image.size - 33 * 512, 33 * 512).every((byte) => byte === 0)).toBe(true);
  });

  it('puts stage 2 in one run right after the MBR, where the u64 at 0x1a4 says', () => {
    const stages = syntheticStages();
    expect(built.biosInstall).toMatchObject({ scheme: 'mbr', stage2Field: 'single' });
    const mbr = built.image.read(0, 512);
    expect(new DataView(mbr.buffer).getBigUint64(0x1a4, true)).toBe(512n);
    expect(mbr.subarray(0, 218)).toEqual(stages.subarray(0, 218));
    expect(built.image.read(512, SYNTHETIC_STAGE2_BYTES)).toEqual(stages.subarray(512));
  });

  it('holds a FAT file system exactly the size of the partition, with Limine stage 3 on it', async () => {
    const esp = await espCopy(path);
    expect((await tool('fsck.fat', ['-n', esp])).exitCode).toBe(0);
    const out = join(work.dir, 'sys12');
    await tool('mcopy', ['-n', '-o', '-i', `${path}@@1M`, '::/boot/limine/limine-bios.sys', out]);
    expect(new Uint8Array(await readFile(out))).toEqual(limine12.biosSys);
    expect(built.fat?.sectors).toBe(128991);
  });
});
