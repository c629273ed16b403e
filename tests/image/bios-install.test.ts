import { describe, expect, it } from 'vitest';
import { biosInstall, biosInstallBehaviour, DiskImage, parseBiosHddHeader } from '../../src/image/index.js';
import { EFI_SYSTEM_PARTITION, writeGpt } from '../../src/image/gpt.js';
import { guidBytes } from '../../src/image/ids.js';
import { cArrayHeader, patternBytes, syntheticStages } from './helpers.js';

const LIMINE_8 = { major: 8, minor: 2, patch: 0 };

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
    const result = biosInstall(disk, stages, LIMINE_8);
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
    biosInstall(disk, syntheticStages(), LIMINE_8);
    expect(disk.read(446, 1)[0]).toBe(0x80);
  });

  it('refuses a disk that starts with a FAT file system instead of a partition table', () => {
    const disk = new DiskImage(1024 * 1024);
    const boot = new Uint8Array(512);
    boot.set(new TextEncoder().encode('FAT32   '), 82);
    boot[510] = 0x55;
    boot[511] = 0xaa;
    disk.write(0, boot);
    expect(() => biosInstall(disk, syntheticStages(), LIMINE_8)).toThrow(
      /file system, not a partition table/,
    );
  });
});

const LIMINE_12 = { major: 12, minor: 5, patch: 1 };

/** A GPT disk (8 MiB) with one partition of `type` from LBA 2048, as writeGpt lays it out. */
function gptDisk(type: Uint8Array, lastLba = 4095): DiskImage {
  const disk = new DiskImage(8 * 1024 * 1024);
  writeGpt(disk, guidBytes('11111111-2222-4333-8444-555555555555'), [
    { type, unique: guidBytes('66666666-7777-4888-9999-AAAAAAAAAAAA'), firstLba: 2048, lastLba, name: 'p1' },
  ]);
  return disk;
}

describe('limine bios-install as Limine 10.1 and later do it', () => {
  it('writes stage 2 in one run right after the MBR and its byte offset as one u64 at 0x1a4', () => {
    const disk = mbrDisk(0x80);
    const before = disk.read(0, 512);
    const stages = syntheticStages();
    const result = biosInstall(disk, stages, LIMINE_12);
    expect(result).toMatchObject({ scheme: 'mbr', stage2Field: 'single', stage2Offsets: [512] });
    const mbr = disk.read(0, 512);
    expect(new DataView(mbr.buffer).getBigUint64(0x1a4, true)).toBe(512n);
    // Everything else of the boot code is stage 1's; timestamp and partition table are the disk's.
    expect(mbr.subarray(0, 218)).toEqual(stages.subarray(0, 218));
    expect(mbr.subarray(224, 0x1a4)).toEqual(stages.subarray(224, 0x1a4));
    expect(mbr.subarray(0x1ac, 440)).toEqual(stages.subarray(0x1ac, 440));
    expect(mbr.subarray(218, 224)).toEqual(before.subarray(218, 224));
    expect(mbr.subarray(440, 510)).toEqual(before.subarray(440, 510));
    expect(disk.read(512, stages.length - 512)).toEqual(stages.subarray(512));
  });

  it('refuses a stage 2 larger than the 62 sectors before LBA 63', () => {
    const stages = syntheticStages(undefined, patternBytes(62 * 512 + 1, 5));
    expect(() => biosInstall(mbrDisk(0x80), stages, LIMINE_12)).toThrow(/stage 2 needs 31745 bytes/);
  });

  it('refuses a partition that starts inside the post-MBR gap', () => {
    const disk = mbrDisk(0x80);
    disk.write(446 + 8, Uint8Array.of(62, 0, 0, 0));
    expect(() => biosInstall(disk, syntheticStages(), LIMINE_12)).toThrow(/start sector is less than 63/);
  });

  it('no longer embeds stage 2 in a GPT: without a BIOS boot partition it refuses', () => {
    const disk = gptDisk(EFI_SYSTEM_PARTITION);
    expect(() => biosInstall(disk, syntheticStages(), LIMINE_12)).toThrow(/no BIOS boot partition/);
  });

  it('puts stage 2 at the start of a BIOS boot partition and leaves the GPT alone', () => {
    const disk = gptDisk(guidBytes('21686148-6449-6E6F-744E-656564454649'));
    const gpt = disk.read(512, 33 * 512);
    const stages = syntheticStages();
    const result = biosInstall(disk, stages, LIMINE_12);
    expect(result.scheme).toBe('gpt-bios-boot-partition');
    expect(new DataView(disk.read(0, 512).buffer).getBigUint64(0x1a4, true)).toBe(2048n * 512n);
    expect(disk.read(2048 * 512, stages.length - 512)).toEqual(stages.subarray(512));
    expect(disk.read(512, 33 * 512)).toEqual(gpt);
  });

  it('refuses a BIOS boot partition smaller than 32 KiB', () => {
    const disk = gptDisk(guidBytes('21686148-6449-6E6F-744E-656564454649'), 2048 + 62);
    expect(() => biosInstall(disk, syntheticStages(), LIMINE_12)).toThrow(/smaller than 32 KiB/);
  });
});

describe('which bios-install each Limine version runs', () => {
  it('embeds in the GPT up to 9.x, converts ISO GPTs from 9.1, reads one stage-2 run from 10.1', () => {
    const at = (major: number, minor: number) => biosInstallBehaviour({ major, minor, patch: 0 });
    expect(at(8, 2)).toEqual({ embedsInGpt: true, convertsIsoGptToMbr: false, stage2Field: 'halves' });
    expect(at(9, 1)).toEqual({ embedsInGpt: true, convertsIsoGptToMbr: true, stage2Field: 'halves' });
    expect(at(10, 0)).toEqual({ embedsInGpt: false, convertsIsoGptToMbr: true, stage2Field: 'halves' });
    expect(at(10, 1)).toEqual({ embedsInGpt: false, convertsIsoGptToMbr: true, stage2Field: 'single' });
    expect(at(12, 5)).toEqual({ embedsInGpt: false, convertsIsoGptToMbr: true, stage2Field: 'single' });
  });
});

describe('limine-bios-hdd.h parsing', () => {
  it('reads back the bytes of the C array Limine ships', () => {
    const stages = syntheticStages();
    expect(parseBiosHddHeader(cArrayHeader(stages))).toEqual(stages);
  });

  it('reads one-digit and upper-case bytes as well (the slower scanner takes over)', () => {
    const stages = syntheticStages();
    const text = cArrayHeader(stages)
      .replace(/0x0([0-9a-f])\b/g, '0x$1')
      .replace(/0xa/g, '0XA');
    expect(text).toMatch(/0x[0-9a-f],/);
    expect(parseBiosHddHeader(text)).toEqual(stages);
  });

  it('refuses a byte with three digits and digits without 0x', () => {
    const text = cArrayHeader(syntheticStages());
    expect(() => parseBiosHddHeader(text.replace('0x', '0x1'))).toThrow(/byte 1 is not a hex byte/);
    expect(() => parseBiosHddHeader(text.replace(', 0x', ', '))).toThrow(/byte 1 is not a hex byte/);
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
