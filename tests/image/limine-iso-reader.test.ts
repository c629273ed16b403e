/**
 * Reads our ISOs back the way Limine's ISO 9660 driver does (common/fs/iso9660.s2.c, re-expressed
 * here): find the PVD from sector 16, walk directories from the root extent, match a name by its Rock
 * Ridge NM entry exactly, or else by the ISO name (without ";1" and a trailing ".") ignoring case.
 * If these lookups work, Limine finds limine.conf, limine-bios.sys, the kernel and modules.
 */
import { describe, expect, it } from 'vitest';
import { buildIsoImage, readLimineDir } from '../../src/image/index.js';
import { patternBytes, syntheticLimineDir, tempDir } from './helpers.js';

const SECTOR = 2048;

function le32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true);
}

function entryName(record: Uint8Array): { name: string; rockRidge: boolean } {
  const nameLength = record[32];
  let at = 33 + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  while (at + 4 <= record.length && (record[at + 3] === 1 || record[at + 2] === 2)) {
    if (record[at] === 0x4e && record[at + 1] === 0x4d) {
      return {
        name: new TextDecoder().decode(record.subarray(at + 5, at + record[at + 2])),
        rockRidge: true,
      };
    }
    if (record[at + 2] === 0) break;
    at += record[at + 2];
  }
  let name = '';
  for (let i = 0; i < nameLength; i++) {
    const char = String.fromCharCode(record[33 + i]);
    if (char === ';' || (char === '.' && record[33 + i + 1] === 0x3b)) break;
    name += char;
  }
  return { name, rockRidge: false };
}

function findIn(
  iso: Uint8Array,
  extent: number,
  size: number,
  wanted: string,
): { extent: number; size: number } | undefined {
  let at = extent * SECTOR;
  const end = at + size;
  while (at < end) {
    const length = iso[at];
    if (length === 0) {
      at = (Math.floor(at / SECTOR) + 1) * SECTOR;
      continue;
    }
    const record = iso.subarray(at, at + length);
    const { name, rockRidge } = entryName(record);
    if (rockRidge ? name === wanted : name.toLowerCase() === wanted.toLowerCase())
      return { extent: le32(record, 2), size: le32(record, 10) };
    at += length;
  }
  return undefined;
}

function limineOpen(iso: Uint8Array, path: string): Uint8Array | undefined {
  let lba = 16;
  while (iso[lba * SECTOR] !== 1) {
    if (iso[lba * SECTOR] === 255) return undefined;
    lba++;
  }
  const pvd = iso.subarray(lba * SECTOR);
  let current = { extent: le32(pvd, 156 + 2), size: le32(pvd, 156 + 10) };
  for (const part of path.split('/').filter(Boolean)) {
    const next = findIn(iso, current.extent, current.size, part);
    if (!next) return undefined;
    current = next;
  }
  return iso.subarray(current.extent * SECTOR, current.extent * SECTOR + current.size);
}

describe("our ISOs as Limine's ISO 9660 driver sees them", () => {
  it('resolves every Limine path to the right bytes, by exact Rock Ridge name', async () => {
    const work = await tempDir();
    try {
      const files = await readLimineDir((await syntheticLimineDir(`${work.dir}/limine`)).dir);
      const kernel = patternBytes(70_000, 81);
      const module = patternBytes(1234, 82);
      const built = await buildIsoImage({
        kernel,
        bootloader: { kind: 'limine', files },
        modules: [{ name: 'Initrd.Mixed-Case.tar', data: module }],
      });
      const iso = built.image.toBytes();
      expect(limineOpen(iso, '/boot/kernel')).toEqual(kernel);
      expect(new TextDecoder().decode(limineOpen(iso, '/boot/limine/limine.conf'))).toBe(built.config);
      expect(limineOpen(iso, '/boot/limine/limine-bios.sys')).toEqual(files.biosSys);
      expect(limineOpen(iso, '/EFI/BOOT/BOOTX64.EFI')).toEqual(files.bootX64);
      expect(limineOpen(iso, '/boot/modules/Initrd.Mixed-Case.tar')).toEqual(module);
      // Rock Ridge names are matched exactly, as Limine does: a wrongly cased path is not found.
      expect(limineOpen(iso, '/boot/modules/initrd.mixed-case.tar')).toBeUndefined();
      expect(limineOpen(iso, '/boot/no-such-file')).toBeUndefined();
    } finally {
      await work.cleanup();
    }
  });
});
