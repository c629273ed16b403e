import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskImage, writeImageFile } from '../../src/image/index.js';
import { fatGeometry, writeFatVolume } from '../../src/image/fat.js';
import { patternBytes, tempDir, tool } from './helpers.js';

const files = [
  { path: '/EFI/BOOT/BOOTX64.EFI', data: patternBytes(5000, 1) },
  { path: '/boot/kernel', data: patternBytes(150_000, 2) },
  { path: '/boot/limine/limine.conf', data: new TextEncoder().encode('timeout: 0\n') },
  { path: '/boot/limine/limine-bios.sys', data: patternBytes(40_000, 3) },
  { path: '/boot/modules/a rather long module name with spaces.tar.gz', data: patternBytes(777, 4) },
  { path: '/boot/modules/initrd', data: patternBytes(12_345, 5) },
  { path: '/boot/empty', data: new Uint8Array(0) },
];

let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  work = await tempDir();
});
afterAll(async () => work.cleanup());

async function formatted(sectors: number, name: string): Promise<string> {
  const image = new DiskImage(sectors * 512);
  writeFatVolume(image, 0, {
    sectors,
    hiddenSectors: 0,
    label: 'OSTOOL',
    serial: 0x1234abcd,
    date: new Date(Date.UTC(2024, 4, 6, 7, 8, 10)),
    files,
  });
  const path = join(work.dir, name);
  await writeImageFile(image, path);
  return path;
}

describe('FAT volumes', () => {
  // Sizes straddling the FAT12/16/32 choice: 1.5 MiB, 8 MiB, 32 MiB (just under FAT32's minimum), 40 MiB, 200 MiB.
  for (const sectors of [3072, 16384, 65536, 81920, 409600]) {
    it(`passes fsck.fat and round-trips every file through mtools at ${sectors} sectors`, async () => {
      const path = await formatted(sectors, `v${sectors}.img`);
      const fsck = await tool('fsck.fat', ['-n', '-v', path]);
      expect(fsck.stdout).toContain(`${sectors} sectors total`);
      const listing = await tool('mdir', ['-i', path, '-b', '-/', '::']);
      for (const file of files) {
        expect(listing.stdout.split('\n')).toContain(`::${file.path}`);
        const copy = join(work.dir, `out-${sectors}`);
        await tool('mcopy', ['-n', '-o', '-i', path, `::${file.path}`, copy]);
        expect(new Uint8Array(await readFile(copy))).toEqual(file.data);
      }
    });
  }

  it('picks the FAT type from the cluster count as file(1) and fsck.fat read it', async () => {
    for (const [sectors, bits] of [
      [3072, 12],
      [16384, 16],
      [65536, 16],
      [409600, 32],
    ] as const) {
      expect(fatGeometry(sectors).type).toBe(bits);
      const path = await formatted(sectors, `t${sectors}.img`);
      const described = await tool('file', ['-b', path]);
      expect(described.stdout).toContain(`FAT (${bits} bit)`);
    }
  });

  it('keeps cluster counts away from the FAT12/16/32 boundaries', () => {
    for (let sectors = 2048; sectors < 200_000; sectors += 977) {
      const geometry = fatGeometry(sectors);
      const limits = { 12: [1, 4084 - 16], 16: [4085 + 16, 65524 - 16], 32: [65525 + 16, 0x0ffffff5] }[
        geometry.type
      ];
      expect(geometry.clusterCount).toBeGreaterThanOrEqual(limits[0]);
      expect(geometry.clusterCount).toBeLessThanOrEqual(limits[1]);
      const used = geometry.firstDataSector + geometry.clusterCount * geometry.sectorsPerCluster;
      expect(used).toBeLessThanOrEqual(sectors);
    }
  });

  it('stores the volume label, serial and the fixed timestamp', async () => {
    const path = await formatted(16384, 'label.img');
    const listing = await tool('mdir', ['-i', path, '::/boot']);
    expect(listing.stdout).toContain('Volume in drive : is OSTOOL');
    expect(listing.stdout).toContain('Volume Serial Number is 1234-ABCD');
    expect(listing.stdout).toMatch(/kernel\s*$/m);
    expect(listing.stdout).toContain('2024-05-06   7:08');
  });

  it('refuses files that do not fit, naming the sizes', () => {
    const image = new DiskImage(3072 * 512);
    expect(() =>
      writeFatVolume(image, 0, {
        sectors: 3072,
        hiddenSectors: 0,
        label: 'X',
        serial: 1,
        date: new Date(0),
        files: [{ path: '/big', data: new Uint8Array(2 * 1024 * 1024) }],
      }),
    ).toThrow(/choose a larger --size/);
  });
});
