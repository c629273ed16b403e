import { describe, expect, it } from 'vitest';
import { biosInstall, DiskImage, parseBiosHddHeader } from '../../src/image/index.js';
import { cArrayHeader, patternBytes, syntheticStages } from './helpers.js';

function mbrDisk(bootFlag: number): DiskImage {
  const disk = new DiskImage(8 * 1024 * 1024);
  const mbr = new Uint8Array(512);
  mbr.set(patternBytes(6, 51), 218); // a disk timestamp to keep
  mbr.set([0x11, 0x22, 0x33, 0x44], 440); // disk signature to keep
  mbr.set([bootFlag, 0, 0, 0, 0x0c, 0, 0, 0], 446); // FAT32 LBA partition from 2048
  new DataView(mbr.buffer).setUint32(446 + 8, 2048, true);
  new DataView(mbr.buffer).setUint32(446 + 12, 16384 - 2048, true);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  disk.write(0, mbr);
  return disk;
}

describe('limine bios-install on MBR disks', () => {
  it('puts both stage-2 halves right after the MBR and keeps timestamp, signature and partitions', () => {
    const disk = mbrDisk(0x80);
    const before = disk.read(0, 512);
    const stages = syntheticStages();
    const result = biosInstall(disk, stages);
    expect(result.scheme).toBe('mbr');
    const mbr = disk.read(0, 512);
    expect(mbr.subarray(218, 224)).toEqual(before.subarray(218, 224));
    expect(mbr.subarray(440, 510)).toEqual(before.subarray(440, 510));
    expect(mbr.subarray(0, 218)).toEqual(stages.subarray(0, 218));
    const fields = new DataView(mbr.buffer, 0x1a4, 20);
    const [sizeA, offsetA, offsetB] = [
      fields.getUint16(0, true),
      Number(fields.getBigUint64(4, true)),
      Number(fields.getBigUint64(12, true)),
    ];
    expect(offsetA).toBe(512);
    expect(offsetB).toBe(512 + sizeA);
    expect(disk.read(512, stages.length - 512)).toEqual(stages.subarray(512));
  });

  it('marks partition 1 active when no partition is', () => {
    const disk = mbrDisk(0x00);
    biosInstall(disk, syntheticStages());
    expect(disk.read(446, 1)[0]).toBe(0x80);
  });

  it('refuses a disk that starts with a FAT file system instead of a partition table', () => {
    const disk = new DiskImage(1024 * 1024);
    const boot = new Uint8Array(512);
    boot.set(new TextEncoder().encode('FAT32   '), 82);
    disk.write(0, boot);
    expect(() => biosInstall(disk, syntheticStages())).toThrow(/file system, not a partition table/);
  });
});

describe('limine-bios-hdd.h parsing', () => {
  it('reads back the bytes of the C array Limine ships', () => {
    const stages = syntheticStages();
    expect(parseBiosHddHeader(cArrayHeader(stages))).toEqual(stages);
  });

  it('names the offending byte of a malformed array', () => {
    const text = cArrayHeader(syntheticStages()).replace('0x', 'zz');
    expect(() => parseBiosHddHeader(text, 'x/limine-bios-hdd.h')).toThrow(
      /x\/limine-bios-hdd\.h: byte 0 is not a hex byte/,
    );
  });

  it('rejects a stage 1 without the 55 AA signature', () => {
    const stages = syntheticStages();
    stages[511] = 0;
    expect(() => parseBiosHddHeader(cArrayHeader(stages))).toThrow(/55 AA/);
  });
});
