/**
 * Paths on other volumes: the built-in UEFI loader reads the kernel and modules named by
 * hdd(D:P), odd(D:P), guid(), uuid() and fslabel() from disks besides its own, numbered as
 * Limine numbers them on UEFI (firmware order, hard disks and optical drives apart, from 1;
 * partition 0 the whole medium), and refuses a drive or partition that is not there by name.
 * The extra disks are made with the real tools (sgdisk, sfdisk, mtools), not by src/image.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { STATUS_FAIL, STATUS_PASS, bootUefi, buildAsmKernel, parseReport } from './boot.js';

const MIB = 1024 * 1024;
const KERNEL_ON_DISK2 = '/sys/kernel.elf';
const FAT32_MODULE = new Uint8Array(70_000).map((_, i) => (i * 13 + 5) & 0xff);
const FAT12_MODULE = new TextEncoder().encode('a module on an MBR disk, FAT12, partition slot 2\n');
const CD_MODULE = new TextEncoder().encode('a module on a FAT file system that fills an optical medium\n');
const RR_MODULE = new Uint8Array(10_000).map((_, i) => (i * 31 + 7) & 0xff);
const PLAIN_MODULE = new TextEncoder().encode('a module on an ISO 9660 volume without Rock Ridge\n');
const OWN_MODULE = new TextEncoder().encode('a module on the loader volume\n');

let work: string;
let efi: Uint8Array;
let kernel: Uint8Array;
/** Disk 2: GPT, partition 1 FAT16 "OTHER" (the kernel), partition 2 FAT32 "WIDE". */
let disk2: string;
let disk2Guid: string;
let disk2Part1Guid: string;
let disk2Part2Guid: string;
/** Disk 3: MBR, slot 1 empty, slot 2 FAT12 "MBRDISK". */
let disk3: string;
/** Optical drive 1: a FAT image as the whole medium ("ODDFAT"). */
let cd: string;
/** Optical drive 2: ISO 9660 with Rock Ridge names; 3: plain ISO 9660 ("PLAINISO"). */
let rockRidgeIso: string;
let plainIso: string;

async function file(name: string, data: Uint8Array): Promise<string> {
  const path = join(work, name);
  await writeFile(path, data);
  return path;
}

async function guidsOf(image: string, partition: number): Promise<{ disk: string; part: string }> {
  const disk = await execa('sgdisk', ['-p', image]);
  const part = await execa('sgdisk', ['-i', String(partition), image]);
  return {
    disk: /Disk identifier \(GUID\): ([0-9A-F-]+)/i.exec(disk.stdout)![1],
    part: /Partition unique GUID: ([0-9A-F-]+)/i.exec(part.stdout)![1],
  };
}

/** A GUID string as the bytes of struct limine_uuid (first three fields little-endian). */
function guidBytesHex(guid: string): string {
  const hex = guid.replace(/-/g, '').toLowerCase();
  const swap = (part: string) => part.match(/../g)!.reverse().join('');
  return swap(hex.slice(0, 8)) + swap(hex.slice(8, 12)) + swap(hex.slice(12, 16)) + hex.slice(16);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-volumes-'));
  efi = await buildLoader();
  kernel = await buildAsmKernel(work, 'kernel.asm');

  disk2 = join(work, 'disk2.img');
  await truncate(await file('disk2.img', new Uint8Array(0)), 64 * MIB);
  await execa('sgdisk', ['-n', '1:2048:+16M', '-t', '1:0700', '-n', '2:0:0', '-t', '2:0700', disk2]);
  const p1 = await guidsOf(disk2, 1);
  const p2 = await guidsOf(disk2, 2);
  disk2Guid = p1.disk;
  disk2Part1Guid = p1.part;
  disk2Part2Guid = p2.part;
  const part2Start = Number(
    /First sector: (\d+)/.exec((await execa('sgdisk', ['-i', '2', disk2])).stdout)![1],
  );
  await execa('mformat', ['-i', `${disk2}@@${MIB}`, '-v', 'OTHER', '::']);
  await execa('mformat', ['-i', `${disk2}@@${part2Start * 512}`, '-F', '-c', '1', '-v', 'WIDE', '::']);
  await execa('mmd', ['-i', `${disk2}@@${MIB}`, '::/sys']);
  await execa('mcopy', ['-i', `${disk2}@@${MIB}`, await file('kernel.elf', kernel), `::${KERNEL_ON_DISK2}`]);
  await execa('mmd', ['-i', `${disk2}@@${part2Start * 512}`, '::/data']);
  await execa('mcopy', [
    '-i',
    `${disk2}@@${part2Start * 512}`,
    await file('wide.bin', FAT32_MODULE),
    '::/data/wide.bin',
  ]);

  disk3 = join(work, 'disk3.img');
  await truncate(await file('disk3.img', new Uint8Array(0)), 8 * MIB);
  await execa('sfdisk', [disk3], {
    input: 'label: dos\nlabel-id: 0x0badcafe\n\n2 : start=2048, size=8192, type=1\n',
  });
  await execa('mformat', ['-i', `${disk3}@@${MIB}`, '-v', 'MBRDISK', '::']);
  await execa('mcopy', ['-i', `${disk3}@@${MIB}`, await file('small.txt', FAT12_MODULE), '::/small.txt']);

  cd = join(work, 'cd.img');
  await truncate(await file('cd.img', new Uint8Array(0)), 4 * MIB);
  await execa('mformat', ['-i', cd, '-v', 'ODDFAT', '::']);
  await execa('mcopy', ['-i', cd, await file('cd.txt', CD_MODULE), '::/cd.txt']);

  const tree = (name: string) => join(work, name);
  await execa('mkdir', ['-p', join(tree('rr'), 'deep/Mixed-Case.dir'), join(tree('plain'), 'DATA')]);
  await writeFile(join(tree('rr'), 'deep/Mixed-Case.dir/module.Bin'), RR_MODULE);
  await writeFile(join(tree('plain'), 'DATA/PLAIN.TXT'), PLAIN_MODULE);
  rockRidgeIso = join(work, 'rr.iso');
  plainIso = join(work, 'plain.iso');
  await execa('xorriso', ['-as', 'mkisofs', '-R', '-V', 'RRISO', '-o', rockRidgeIso, tree('rr')]);
  await execa('xorriso', ['-as', 'mkisofs', '--norock', '-V', 'PLAINISO', '-o', plainIso, tree('plain')]);
}, 120_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The boot disk (the loader's ESP is hard disk 1) with this config, and the other drives. */
async function bootWith(config: string): Promise<ReturnType<typeof bootUefi>> {
  const built = await buildHddImage({
    kernel,
    bootloader: { kind: 'builtin', efi },
    config,
    modules: [{ name: 'own.txt', data: OWN_MODULE }],
  });
  const image = join(work, 'boot.img');
  await writeImageFile(built.image, image);
  return bootUefi({
    image,
    timeoutSeconds: 120,
    extraArgs: [
      '-drive',
      `media=disk,format=raw,file=${disk2}`,
      '-drive',
      `media=disk,format=raw,file=${disk3}`,
      '-drive',
      `media=cdrom,format=raw,readonly=on,file=${cd}`,
      '-drive',
      `media=cdrom,format=raw,readonly=on,file=${rockRidgeIso}`,
      '-drive',
      `media=cdrom,format=raw,readonly=on,file=${plainIso}`,
    ],
  });
}

const numbers = (report: Map<string, string[]>, key: string): bigint[] =>
  (report.get(key) ?? []).map((v) => BigInt(v));
const byteSum = (data: Uint8Array): bigint => BigInt(data.reduce((sum, b) => sum + b, 0));

describe('built-in loader: paths on other disks and volumes', () => {
  test('kernel from hdd(2:1), modules by guid() (FAT32), fslabel() (MBR, FAT12), hdd(3:2), odd(1:) (FAT), uuid(), boot(1), odd(2:0) (ISO 9660, Rock Ridge) and fslabel() (ISO 9660)', async () => {
    const config = [
      'timeout: 0',
      '/other volumes',
      '    protocol: limine',
      `    kernel_path: hdd(2:1):${KERNEL_ON_DISK2}`,
      `    module_path: guid(${disk2Part2Guid.toLowerCase()}):/data/wide.bin`,
      '    module_path: fslabel(mbrdisk):/small.txt',
      '    module_path: hdd(3:2):/SMALL.TXT',
      '    module_path: odd(1:):/cd.txt',
      `    module_path: uuid(${disk2Part1Guid}):${KERNEL_ON_DISK2}`,
      '    module_path: boot(1):/boot/modules/own.txt',
      '    module_path: odd(2:0):/deep/Mixed-Case.dir/module.Bin',
      '    module_path: fslabel(plainiso):/data/plain.txt',
      '',
    ].join('\n');
    const result = await bootWith(config);
    expect(result.status, `${result.reason} ${result.serial.slice(-600)}`).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(report.get('kernel_file_path')).toEqual([KERNEL_ON_DISK2]);
    expect(numbers(report, 'kernel_file_partition_index')).toEqual([1n]);
    expect(report.get('kernel_file_gpt_part_uuid')).toEqual([guidBytesHex(disk2Part1Guid)]);
    expect(report.get('kernel_file_gpt_disk_uuid')).toEqual([guidBytesHex(disk2Guid)]);
    expect(report.get('module_path')).toEqual([
      '/data/wide.bin',
      '/small.txt',
      '/SMALL.TXT',
      '/cd.txt',
      KERNEL_ON_DISK2,
      '/boot/modules/own.txt',
      '/deep/Mixed-Case.dir/module.Bin',
      '/data/plain.txt',
    ]);
    expect(numbers(report, 'module_byte_sum')).toEqual([
      byteSum(FAT32_MODULE),
      byteSum(FAT12_MODULE),
      byteSum(FAT12_MODULE),
      byteSum(CD_MODULE),
      byteSum(kernel),
      byteSum(OWN_MODULE),
      byteSum(RR_MODULE),
      byteSum(PLAIN_MODULE),
    ]);
    expect(numbers(report, 'module_partition_index')).toEqual([2n, 2n, 2n, 0n, 1n, 1n, 0n, 0n]);
    expect(numbers(report, 'module_mbr_disk_id')).toEqual([0n, 0xbadcafen, 0xbadcafen, 0n, 0n, 0n, 0n, 0n]);
    expect(numbers(report, 'module_media_type')).toEqual([0n, 0n, 0n, 1n, 0n, 0n, 1n, 1n]); // 1: optical
    const none = '00'.repeat(16);
    expect(report.get('module_gpt_part_uuid')).toEqual([
      guidBytesHex(disk2Part2Guid),
      none,
      none,
      none,
      guidBytesHex(disk2Part1Guid),
      expect.not.stringMatching(/^(00)+$/),
      none,
      none,
    ]);
  }, 150_000);

  test('a file missing on another volume is named with its volume', async () => {
    const config = [
      'timeout: 0',
      '/missing module',
      '    protocol: limine',
      `    kernel_path: hdd(2:1):${KERNEL_ON_DISK2}`,
      '    module_path: fslabel(WIDE):/data/absent.bin',
      '',
    ];
    const result = await bootWith(config.join('\n'));
    expect(result.serial, result.serial.slice(-600)).toContain(
      'ostool loader: error: cannot open module file fslabel(WIDE):/data/absent.bin (a module_path',
    );
    expect(result.status, result.reason).toBe(STATUS_FAIL);
  }, 150_000);

  test('a partition that is not there is refused by name', async () => {
    const config = [
      'timeout: 0',
      '/missing',
      '    protocol: limine',
      `    kernel_path: hdd(2:3):${KERNEL_ON_DISK2}`,
      '',
    ];
    const result = await bootWith(config.join('\n'));
    expect(result.serial, result.serial.slice(-600)).toContain(
      `ostool loader: error: limine.conf: no volume for path 'hdd(2:3):${KERNEL_ON_DISK2}' (no such drive or partition`,
    );
    expect(result.status, result.reason).toBe(STATUS_FAIL);
  }, 150_000);
});
