/**
 * End-to-end: the built-in loader boots the test kernel (tests/loader/fixtures/kernel.asm)
 * from HDD and ISO images under QEMU + OVMF, and every response the kernel prints is checked
 * against what QEMU and the image were given.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, buildIsoImage, writeImageFile } from '../../src/image/index.js';
import { assemble } from '../../src/assembler/index.js';
import { link } from '../../src/linker/index.js';
import { LOADER_VERSION, buildLoader } from '../../src/loader/index.js';
import {
  FIXTURES,
  STATUS_PASS,
  TREE_DTB,
  bootUefi,
  buildAsmKernel,
  parseReport,
  type BootResult,
} from './boot.js';

const HHDM = 0xffff800000000000n;
const KERNEL_BASE = 0xffffffff80000000n;
const CMDLINE = 'console=ttyS0 answer=42 words with spaces';
const MODULE_NAME = 'initrd.txt';
const MODULE_CMDLINE = 'the first module';
const MODULE_DATA = new TextEncoder().encode('module contents: 0123456789 abcdefghijklmnopqrstuvwxyz\n');
const SECOND_MODULE_DATA = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
const MEMMAP_USABLE = 0n;
const MEMMAP_RECLAIMABLE = 5n;
const MEMMAP_KERNEL_AND_MODULES = 6n;
const MEMMAP_FRAMEBUFFER = 7n;
const MEMMAP_RESERVED = 1n;
const MEMMAP_ACPI_RECLAIMABLE = 2n;
const MEMMAP_ACPI_NVS = 3n;
const MEMMAP_RESERVED_MAPPED = 8n;

let work: string;
let kernel: Uint8Array;
let efi: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-test-'));
  efi = await buildLoader();
  kernel = await buildAsmKernel(work, 'kernel.asm');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function one(report: Map<string, string[]>, key: string): string {
  const values = report.get(key);
  if (!values || values.length !== 1)
    throw new Error(`expected one '${key}' line, got ${JSON.stringify(values)}`);
  return values[0];
}
const num = (report: Map<string, string[]>, key: string): bigint => BigInt(one(report, key));
const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

/** A GUID string as the bytes of struct limine_uuid (first three fields little-endian). */
function guidBytesHex(guid: string): string {
  const hex = guid.replace(/-/g, '').toLowerCase();
  const swap = (part: string) => part.match(/../g)!.reverse().join('');
  return swap(hex.slice(0, 8)) + swap(hex.slice(8, 12)) + swap(hex.slice(12, 16)) + hex.slice(16);
}

interface MemmapEntry {
  base: bigint;
  length: bigint;
  type: bigint;
}
function memmapOf(report: Map<string, string[]>): MemmapEntry[] {
  return (report.get('memmap') ?? []).map((line) => {
    const [base, length, type] = line.split(',').map((v) => BigInt(v));
    return { base, length, type };
  });
}

/** PT_LOAD flags by virtual address, from readelf (the oracle for the permission check). */
async function segmentFlags(elfPath: string): Promise<Map<bigint, string>> {
  const { stdout } = await execa('readelf', ['-lW', elfPath]);
  const flags = new Map<bigint, string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*LOAD\s+\S+\s+(0x[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+([RWE ]+?)\s+0x/.exec(line);
    if (match) flags.set(BigInt(match[1]), match[2].replace(/\s/g, ''));
  }
  return flags;
}

interface BootImageOptions {
  extraArgs?: string[];
  memory?: string;
  kernel?: Uint8Array;
  config?: string;
}

async function bootImage(kind: 'hdd' | 'iso', how: BootImageOptions = {}): Promise<BootResult> {
  const { extraArgs = [], memory = '256M' } = how;
  const options = {
    kernel: how.kernel ?? kernel,
    config: how.config,
    bootloader: { kind: 'builtin' as const, efi },
    cmdline: CMDLINE,
    modules: [
      { name: MODULE_NAME, data: MODULE_DATA, cmdline: MODULE_CMDLINE },
      { name: 'second.bin', data: SECOND_MODULE_DATA },
    ],
  };
  const built = kind === 'hdd' ? await buildHddImage(options) : await buildIsoImage(options);
  const file = join(work, kind === 'hdd' ? 'disk.img' : 'disk.iso');
  await writeImageFile(built.image, file);
  return bootUefi({ image: file, memory, extraArgs, firstLineMarker: 'ostool-test-kernel: start' });
}

/** Everything that must hold whatever the medium. */
async function checkCommonReport(
  result: BootResult,
  memoryBytes: bigint,
  booted = { kernel, elfPath: join(work, 'kernel.asm.plain.elf') },
): Promise<Map<string, string[]>> {
  expect(result.serial).not.toContain('ostool loader: error');
  expect(result.serial).toContain('ostool-test-kernel: done');
  expect(result.status, result.reason).toBe(STATUS_PASS);
  const report = parseReport(result.serial);

  // machine state at entry (spec: x86-64 machine state)
  expect(num(report, 'entered_through_elf_entry')).toBe(0n); // the entry point request won
  expect(num(report, 'nonzero_registers')).toBe(0n);
  expect(num(report, 'bss_nonzero_bytes')).toBe(0n);
  expect(num(report, 'return_address')).toBe(0n);
  expect(num(report, 'rsp') % 16n).toBe(8n); // SysV: as if called
  const rflags = num(report, 'rflags');
  expect(rflags & (1n << 9n)).toBe(0n); // IF
  expect(rflags & (1n << 10n)).toBe(0n); // DF
  const cr0 = num(report, 'cr0');
  for (const bit of [0n, 16n, 31n]) expect(cr0 & (1n << bit)).not.toBe(0n); // PE, WP, PG
  const cr4 = num(report, 'cr4');
  expect(cr4 & (1n << 5n)).not.toBe(0n); // PAE
  expect(cr4 & (1n << 12n)).toBe(0n); // LA57: 4-level paging
  const efer = num(report, 'efer');
  expect(efer & (1n << 8n)).not.toBe(0n); // LME
  expect(efer & (1n << 11n)).not.toBe(0n); // NXE
  expect(num(report, 'pat') & 0xffffffffffffn).toBe(0x010500070406n); // WB WT UC- UC WP WC
  expect(num(report, 'cs')).toBe(0x28n);
  expect(num(report, 'ds')).toBe(0x30n);
  expect(num(report, 'ss')).toBe(0x30n);
  expect(num(report, 'pic_masks')).toBe(0xffffn);
  expect(num(report, 'ioapic_entries')).toBeGreaterThan(0n);
  expect(num(report, 'ioapic_unmasked')).toBe(0n);
  expect(num(report, 'gdt_limit')).toBeGreaterThanOrEqual(7n * 8n - 1n);
  expect(num(report, 'gdt_base') >= HHDM).toBe(true);
  checkGdt(report);

  // requests found and answered as the spec says
  expect(num(report, 'base_revision')).toBe(0n);
  expect(num(report, 'loaded_revision')).toBeLessThanOrEqual(6n); // the 2nd word: the revision used
  expect(num(report, 'outside_request_response')).toBe(0n); // after the end marker
  expect(num(report, 'before_start_request_response')).toBe(0n); // before the start marker
  expect(num(report, 'unknown_request_response')).toBe(0n);
  expect(one(report, 'bootloader_name')).toBe('ostool');
  expect(one(report, 'bootloader_version')).toBe(LOADER_VERSION); // ostool's package version
  expect(num(report, 'firmware_type')).toBe(2n);
  expect(num(report, 'stack_size_response')).not.toBe(0n);
  expect(num(report, 'stack_in_reclaimable')).toBe(1n);
  expect(num(report, 'hhdm')).toBe(HHDM);
  expect(num(report, 'paging_mode')).toBe(0n);
  expect(num(report, 'entry_point_response')).not.toBe(0n);

  // SMP: every listed AP reached the kernel's goto_address in the spec's state
  expect(num(report, 'smp_flags')).toBe(0n);
  expect(num(report, 'smp_ap_arrivals')).toBe(num(report, 'smp_cpu_count') - 1n);
  expect(num(report, 'smp_ap_bad_state')).toBe(0n);
  expect(report.get('smp_cpu_goto_address')?.every((v) => BigInt(v) === 0n)).toBe(true);
  expect(report.get('smp_cpu_lapic_id')).toContain(one(report, 'smp_bsp_lapic_id'));
  expect(num(report, 'smp_bsp_id_matches')).toBe(1n);
  expect(num(report, 'smp_bsp_x2apic_mode')).toBe(0n); // not asked for: xAPIC
  expect(num(report, 'smp_ap_mtrr_mismatches')).toBe(0n); // the APs' MTRRs are the BSP's

  // kernel file and modules: what the image holds
  expect(num(report, 'kernel_file_size')).toBe(BigInt(booted.kernel.length));
  expect(one(report, 'kernel_file_path')).toBe('/boot/kernel');
  expect(one(report, 'kernel_file_cmdline')).toBe(CMDLINE);
  expect(one(report, 'kernel_file_head')).toBe('7f454c46');
  expect(num(report, 'module_count')).toBe(2n);
  expect(report.get('module_path')).toEqual([`/boot/modules/${MODULE_NAME}`, '/boot/modules/second.bin']);
  expect(report.get('module_cmdline')).toEqual([MODULE_CMDLINE, '']);
  expect(report.get('module_size')).toEqual(
    [MODULE_DATA.length, SECOND_MODULE_DATA.length].map((n) => `0x${n.toString(16).padStart(16, '0')}`),
  );
  expect(report.get('module_head')).toEqual([
    hexOf(MODULE_DATA.subarray(0, 32)),
    hexOf(SECOND_MODULE_DATA.subarray(0, 32)),
  ]);
  const byteSum = (bytes: Uint8Array) =>
    `0x${bytes
      .reduce((sum, b) => sum + b, 0)
      .toString(16)
      .padStart(16, '0')}`;
  expect(report.get('module_byte_sum')).toEqual([byteSum(MODULE_DATA), byteSum(SECOND_MODULE_DATA)]);
  expect(report.get('module_address_page_offset')).toEqual(['0x0000000000000000', '0x0000000000000000']);

  // firmware tables, by their signatures
  expect(one(report, 'rsdp_signature')).toBe(ascii('RSD PTR '));
  expect([ascii('_SM_'), ascii('_SM3')]).toContain(one(report, 'smbios_signature'));
  expect(one(report, 'efi_system_table_signature')).toBe(ascii('IBI SYST'));
  const descriptorSize = num(report, 'efi_memmap_desc_size');
  expect(descriptorSize).toBeGreaterThanOrEqual(40n);
  expect(num(report, 'efi_memmap_size') % descriptorSize).toBe(0n);
  expect(num(report, 'efi_memmap_desc_version')).toBe(1n);
  const bootTime = Number(num(report, 'boot_time'));
  expect(Math.abs(bootTime - Date.now() / 1000)).toBeLessThan(600);

  // executable command line (the executable file's string), performance, keep IOMMU, TSC, entropy
  expect(one(report, 'executable_cmdline')).toBe(one(report, 'kernel_file_cmdline'));
  expect(num(report, 'executable_cmdline_same_memory')).toBe(1n);
  expect(num(report, 'perf_reset_usec')).toBe(0n);
  expect(num(report, 'perf_exec_usec') > num(report, 'perf_init_usec')).toBe(true);
  if (!report.has('vtd_gsts')) expect(num(report, 'keep_iommu_response')).not.toBe(0n);
  expect(num(report, 'tsc_frequency') > 1_000_000n).toBe(true);
  expect(num(report, 'entropy_count')).toBe(4n);
  expect(new Set(report.get('entropy_value')).size).toBe(4);

  // kernel address and the memory map
  expect(num(report, 'kernel_virtual_base')).toBe(KERNEL_BASE);
  const physicalBase = num(report, 'kernel_physical_base');
  expect(physicalBase % 4096n).toBe(0n);
  const memmap = memmapOf(report);
  expect(BigInt(memmap.length)).toBe(num(report, 'memmap_count'));
  checkMemmap(memmap, memoryBytes);
  expect(
    memmap.some(
      (e) =>
        e.type === MEMMAP_KERNEL_AND_MODULES && e.base <= physicalBase && physicalBase < e.base + e.length,
    ),
  ).toBe(true);
  const usablePages = memmap
    .filter((e) => e.type === MEMMAP_USABLE)
    .reduce((sum, e) => sum + e.length / 4096n, 0n);
  expect(num(report, 'usable_pages_checked')).toBe(usablePages);
  expect(num(report, 'usable_page_failures')).toBe(0n);

  // page permissions of the kernel's segments against readelf's PT_LOAD flags
  const flags = await segmentFlags(booted.elfPath);
  const [text, rodata, data] = [...flags.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [key, [vaddr, segment]] of [
    ['perm.text', text],
    ['perm.rodata', rodata],
    ['perm.data', data],
    ['perm.bss', data],
  ] as const) {
    const entry = num(report, key);
    expect(entry & 1n).toBe(1n);
    expect((entry & 2n) !== 0n).toBe(segment.includes('W'));
    expect(entry >> 63n === 0n).toBe(segment.includes('E'));
    if (key !== 'perm.bss') expect(entry & 0x000ffffffffff000n).toBe(physicalBase + (vaddr - KERNEL_BASE));
  }
  expect(num(report, 'perm.hhdm0') & 3n).toBe(3n);
  return report;
}

/**
 * Base revision 3 and later map exactly the listed types in the HHDM: every entry of those types
 * has its first and last page mapped (memmap_hhdm = 3), every RESERVED one neither (it is 0 unless
 * a RESERVED_MAPPED entry overlaps it).
 */
function checkHhdmCoverage(report: Map<string, string[]>, mapped: bigint[]): void {
  const memmap = memmapOf(report);
  const coverage = (report.get('memmap_hhdm') ?? []).map((v) => BigInt(v));
  expect(coverage.length).toBe(memmap.length);
  const overlapsMapped = (e: MemmapEntry) =>
    memmap.some(
      (o) => o !== e && mapped.includes(o.type) && o.base < e.base + e.length && e.base < o.base + o.length,
    );
  for (const [i, entry] of memmap.entries()) {
    const what = `entry ${entry.base.toString(16)}+${entry.length.toString(16)} type ${entry.type}`;
    if (mapped.includes(entry.type)) expect(coverage[i], what).toBe(3n);
    else if (entry.type === MEMMAP_RESERVED && !overlapsMapped(entry)) expect(coverage[i], what).toBe(0n);
  }
}

/** The spec's descriptors: 16-bit code/data (limit 0xffff), 32-bit code/data (4 GiB), 64-bit code/data. */
function checkGdt(report: Map<string, string[]>): void {
  const descriptor = (index: number) => {
    const value = num(report, `gdt.${index}`);
    const access = (value >> 40n) & 0xffn;
    const flags = (value >> 52n) & 0xfn;
    const limit = (value & 0xffffn) | (((value >> 48n) & 0xfn) << 16n);
    const base = ((value >> 16n) & 0xffffffn) | (((value >> 56n) & 0xffn) << 24n);
    return {
      present: (access & 0x80n) !== 0n,
      code: (access & 0x08n) !== 0n,
      rw: (access & 0x02n) !== 0n,
      long: (flags & 2n) !== 0n,
      big: (flags & 4n) !== 0n,
      granular: (flags & 8n) !== 0n,
      limit,
      base,
    };
  };
  const d = [1, 2, 3, 4, 5, 6].map(descriptor);
  for (const entry of d) expect(entry.present && entry.rw && entry.base === 0n).toBe(true);
  expect([d[0].code, d[0].big, d[0].long, d[0].limit]).toEqual([true, false, false, 0xffffn]);
  expect([d[1].code, d[1].big, d[1].long, d[1].limit]).toEqual([false, false, false, 0xffffn]);
  expect([d[2].code, d[2].big, d[2].granular, d[2].limit]).toEqual([true, true, true, 0xfffffn]);
  expect([d[3].code, d[3].big, d[3].granular, d[3].limit]).toEqual([false, true, true, 0xfffffn]);
  expect([d[4].code, d[4].long, d[4].big]).toEqual([true, true, false]);
  expect(d[5].code).toBe(false);
}

/** Sorted; usable and reclaimable entries page-aligned and overlapping nothing; RAM as given. */
function checkMemmap(memmap: MemmapEntry[], memoryBytes: bigint): void {
  for (let i = 1; i < memmap.length; i++) expect(memmap[i].base >= memmap[i - 1].base).toBe(true);
  for (const [i, entry] of memmap.entries()) {
    expect(entry.length > 0n).toBe(true);
    if (entry.type !== MEMMAP_USABLE && entry.type !== MEMMAP_RECLAIMABLE) continue;
    expect(entry.base % 4096n).toBe(0n);
    expect(entry.length % 4096n).toBe(0n);
    for (const [j, other] of memmap.entries()) {
      if (i !== j)
        expect(entry.base < other.base + other.length && other.base < entry.base + entry.length).toBe(false);
    }
  }
  expect(memmap.find((e) => e.type === MEMMAP_USABLE && e.base < 0x1000n)).toBeUndefined();
  // RAM (everything but reserved, bad and framebuffer) adds up to a little under -m
  const ram = memmap
    .filter((e) => [0n, 2n, 3n, 5n, 6n].includes(e.type))
    .reduce((sum, e) => sum + e.length, 0n);
  expect(ram <= memoryBytes).toBe(true);
  expect(ram > (memoryBytes * 9n) / 10n).toBe(true);
  const topOfUsable = memmap
    .filter((e) => e.type === MEMMAP_USABLE)
    .reduce((top, e) => (e.base + e.length > top ? e.base + e.length : top), 0n);
  expect(topOfUsable <= memoryBytes && topOfUsable > memoryBytes / 2n).toBe(true);
}

describe('built-in loader boots the test kernel', () => {
  test('from an HDD image: every response matches what QEMU and the image were given', async () => {
    const result = await bootImage('hdd', {
      extraArgs: ['-vga', 'none', '-device', 'VGA,xres=1024,yres=768'],
    });
    const report = await checkCommonReport(result, 256n << 20n);
    expect(num(report, 'kernel_file_media_type')).toBe(0n);
    expect(num(report, 'kernel_file_partition_index')).toBe(1n); // the ESP, first GPT partition
    // GUIDs as sgdisk reads them from the image
    const disk = await execa('sgdisk', ['-p', join(work, 'disk.img')]);
    const partition = await execa('sgdisk', ['-i', '1', join(work, 'disk.img')]);
    const diskGuid = /Disk identifier \(GUID\): ([0-9A-F-]+)/i.exec(disk.stdout)![1];
    const partGuid = /Partition unique GUID: ([0-9A-F-]+)/i.exec(partition.stdout)![1];
    expect(one(report, 'kernel_file_gpt_disk_uuid')).toBe(guidBytesHex(diskGuid));
    expect(one(report, 'kernel_file_gpt_part_uuid')).toBe(guidBytesHex(partGuid));

    // framebuffer: the resolution QEMU's VGA was told to prefer
    expect(num(report, 'fb_response_revision')).toBe(1n);
    expect(num(report, 'fb_count')).toBe(1n);
    expect(num(report, 'fb_width')).toBe(1024n);
    expect(num(report, 'fb_height')).toBe(768n);
    expect(num(report, 'fb_bpp')).toBe(32n);
    expect(num(report, 'fb_pitch')).toBe(1024n * 4n);
    expect(num(report, 'fb_memory_model')).toBe(1n);
    expect(one(report, 'fb_masks')).toBe('081008080800'); // BGRX: red 8@16, green 8@8, blue 8@0
    expect(num(report, 'fb_written')).toBe(1n);
    const modes = report.get('fb_mode') ?? [];
    expect(BigInt(modes.length)).toBe(num(report, 'fb_mode_count'));
    expect(modes).toContain(`0x${((1024n << 32n) | 768n).toString(16).padStart(16, '0')}`);
    const fbAddress = num(report, 'fb_address');
    expect(fbAddress >= HHDM).toBe(true);
    const fbEntry = memmapOf(report).find((e) => e.type === MEMMAP_FRAMEBUFFER);
    expect(fbEntry?.base).toBe(fbAddress - HHDM);
    expect(fbEntry!.length >= 1024n * 768n * 4n).toBe(true);
  }, 150_000);

  test('from an ISO image with more memory and no display: optical media, no framebuffer response', async () => {
    const result = await bootImage('iso', { extraArgs: ['-vga', 'none'], memory: '512M' });
    const report = await checkCommonReport(result, 512n << 20n);
    expect(num(report, 'kernel_file_media_type')).toBe(1n);
    expect(report.has('fb_count')).toBe(false);
    expect(memmapOf(report).some((e) => e.type === MEMMAP_FRAMEBUFFER)).toBe(false);
  }, 150_000);

  test('base revision 3: loaded revision reported, restrictive HHDM, physical RSDP/SMBIOS/EFI system table', async () => {
    const r3 = await buildAsmKernel(work, 'kernel.asm', ['BASE_REVISION=3', 'MMIO_IDENTITY']);
    const result = await bootImage('hdd', { kernel: r3 });
    const report = await checkCommonReport(result, 256n << 20n, {
      kernel: r3,
      elfPath: join(work, 'kernel.asm.BASE_REVISION=3_MMIO_IDENTITY.elf'),
    });
    expect(num(report, 'loaded_revision')).toBe(3n);
    expect(num(report, 'rsdp_address') < HHDM).toBe(true);
    expect(num(report, 'efi_system_table_address') < HHDM).toBe(true);
    const smbios = num(report, 'smbios_entry_32') | num(report, 'smbios_entry_64');
    expect(smbios < HHDM).toBe(true);
    checkHhdmCoverage(report, [
      MEMMAP_USABLE,
      MEMMAP_RECLAIMABLE,
      MEMMAP_KERNEL_AND_MODULES,
      MEMMAP_FRAMEBUFFER,
    ]);
  }, 150_000);

  test('base revision 5 with -smp 2 and a VT-d unit: HHDM, RESERVED_MAPPED, virtual pointers, strict CPU, APIC and IOMMU state', async () => {
    const r5 = await buildAsmKernel(work, 'kernel.asm', ['BASE_REVISION=5', 'MMIO_IDENTITY', 'VTD_CHECK']);
    const result = await bootImage('hdd', { kernel: r5, extraArgs: ['-smp', '2', '-device', 'intel-iommu'] });
    const report = await checkCommonReport(result, 256n << 20n, {
      kernel: r5,
      elfPath: join(work, 'kernel.asm.BASE_REVISION=5_MMIO_IDENTITY_VTD_CHECK.elf'),
    });
    // a VT-d unit is present (QEMU's intel-iommu) and, without the keep-IOMMU request, left off
    expect(num(report, 'keep_iommu_response')).toBe(0n);
    expect(num(report, 'vtd_gsts') & ((1n << 31n) | (1n << 25n))).toBe(0n);
    expect(num(report, 'loaded_revision')).toBe(5n);
    expect(num(report, 'rsdp_address') >= HHDM).toBe(true);
    expect(num(report, 'efi_system_table_address') >= HHDM).toBe(true);
    // runtime services code and data are RESERVED_MAPPED, and mapped
    expect(memmapOf(report).some((e) => e.type === MEMMAP_RESERVED_MAPPED)).toBe(true);
    checkHhdmCoverage(report, [
      MEMMAP_USABLE,
      MEMMAP_RECLAIMABLE,
      MEMMAP_KERNEL_AND_MODULES,
      MEMMAP_FRAMEBUFFER,
      MEMMAP_ACPI_RECLAIMABLE,
      MEMMAP_ACPI_NVS,
      MEMMAP_RESERVED_MAPPED,
    ]);
    // CPU state: only the named CR0/CR4/EFER bits, RFLAGS 2, TR base 0 limit 0, no LDT, no IDT
    expect(num(report, 'cr0')).toBe(0x80010011n); // PG WP ET PE
    expect(num(report, 'cr4')).toBe(0x20n); // PAE
    expect(num(report, 'efer')).toBe(0xd00n); // NXE LMA LME
    expect(num(report, 'rflags')).toBe(2n);
    expect(num(report, 'tr')).toBe(0x38n);
    expect(num(report, 'tss_access')).toBe(0x8bn); // present, busy 64-bit TSS
    expect(num(report, 'tss_limit_low')).toBe(0n);
    expect(num(report, 'ldtr')).toBe(0n);
    expect(num(report, 'idt_limit')).toBe(0n);
    expect(num(report, 'idt_base')).toBe(0n);
    // local APIC: enabled, SVR 0x1ff, TPR 0, LVTs masked, LINT1 NMI per QEMU's MADT
    expect(num(report, 'apic_base_msr') & (1n << 11n)).not.toBe(0n);
    expect(num(report, 'lapic_svr') & 0x1ffn).toBe(0x1ffn);
    expect(num(report, 'lapic_tpr')).toBe(0n);
    for (const lvt of ['lapic_lvt_timer', 'lapic_lvt_lint0', 'lapic_lvt_lint1', 'lapic_lvt_error'])
      expect(num(report, lvt) & (1n << 16n), lvt).not.toBe(0n);
    expect(num(report, 'lapic_lvt_lint1') & 0x700n).toBe(0x400n);
    expect(num(report, 'ioapic_unmasked_nmi_extint')).toBe(0n);
    expect(num(report, 'smp_cpu_count')).toBe(2n);
  }, 150_000);

  test('a kernel asking for a base revision newer than 6 boots as 6 and finds its tag unchanged', async () => {
    const newer = await buildAsmKernel(work, 'kernel.asm', ['BASE_REVISION=9', 'MMIO_IDENTITY']);
    const result = await bootImage('hdd', { kernel: newer });
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(num(report, 'base_revision')).toBe(9n);
    expect(num(report, 'loaded_revision')).toBe(6n);
    expect(num(report, 'rflags')).toBe(2n);
    expect(num(report, 'hhdm')).toBe(HHDM);
  }, 150_000);

  test('the test kernel assembled and linked by ostool itself boots just the same', async () => {
    const assembled = assemble({
      source: await readFile(join(FIXTURES, 'kernel.asm'), 'utf8'),
      fileName: 'kernel.asm',
      format: 'elf64',
    });
    expect(assembled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const linked = link({
      inputs: [{ name: 'kernel.o', data: assembled.output! }],
      script: await readFile(join(FIXTURES, 'kernel.ld'), 'utf8'),
      scriptName: 'kernel.ld',
    });
    const elfPath = join(work, 'kernel-by-ostool.elf');
    await writeFile(elfPath, linked.output);
    const result = await bootImage('hdd', { kernel: linked.output });
    await checkCommonReport(result, 256n << 20n, { kernel: linked.output, elfPath });
  }, 150_000);

  test('with RAM above 4 GiB (-m 3G), high memory is in the map and writable through the HHDM', async () => {
    const sparse = await buildAsmKernel(work, 'kernel.asm', ['SPARSE_MEMORY_CHECK']);
    const result = await bootImage('hdd', { kernel: sparse, memory: '3G' });
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    const memmap = memmapOf(report);
    const usable = memmap.filter((e) => e.type === MEMMAP_USABLE);
    const high = usable.filter((e) => e.base >= 1n << 32n);
    expect(high.length).toBeGreaterThan(0);
    const ram = memmap
      .filter((e) => [0n, 2n, 3n, 5n, 6n].includes(e.type))
      .reduce((sum, e) => sum + e.length, 0n);
    expect(ram <= 3n << 30n && ram > (3n << 30n) - (64n << 20n)).toBe(true);
    const expectedChecks = usable.reduce((sum, e) => sum + (e.length > 4096n ? 2n : 1n), 0n);
    expect(num(report, 'usable_pages_checked')).toBe(expectedChecks);
    expect(num(report, 'usable_page_failures')).toBe(0n);
  }, 150_000);

  test('limine.conf: comments, CRLF, any key case, aliases, hidden entries, directories, default_entry, macros, boot(N)/guid()/fslabel() paths, #hashes, resolution', async () => {
    const config = (partitionGuid: string) =>
      [
        '# written by hand, not by ostool',
        'TIMEOUT: 5',
        'serial: yes',
        `\${KERNEL}=boot(1):/boot/kernel#${createHash('blake2b512').update(kernel).digest('hex')}`,
        '${WORDS}=  spaced   out',
        'Default_Entry: 2',
        '',
        '/For BIOS only: hidden under UEFI, not a line of the menu',
        '    if_fw_type: BIOS',
        '    protocol: limine',
        '    path: boot():/boot/missing',
        '/+An expanded directory',
        '    comment: its sub-entry is the menu line 2',
        '//+The real entry',
        '    if_fw_type: uefi',
        '    PROTOCOL: limine',
        '    path: ${KERNEL}',
        '    KERNEL_CMDLINE:   ${WORDS} cmdline ${UNDEFINED}${FW_TYPE} ${ARCH}  ',
        `    module_path: guid(${partitionGuid.toLowerCase()}):/boot/modules/${MODULE_NAME}`,
        '    Module_Cmdline: first',
        `    module_path: fslabel(ostool):/boot/modules/second.bin#${createHash('blake2b512').update(SECOND_MODULE_DATA).digest('hex')}`,
        '    resolution: 800x600x32',
        '    paging_mode: 4level',
        '    dtb_path: boot():/boot/modules/tree.dtb',
        '    kaslr: no',
        '/Another entry, never booted',
        '    protocol: linux',
        '',
      ].join('\r\n');
    // the partition GUID is only known once the image exists: write the config afterwards
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi },
      cmdline: CMDLINE,
      modules: [
        { name: MODULE_NAME, data: MODULE_DATA, cmdline: MODULE_CMDLINE },
        { name: 'second.bin', data: SECOND_MODULE_DATA },
        { name: 'tree.dtb', data: TREE_DTB.blob },
      ],
    });
    const image = join(work, 'config.img');
    await writeImageFile(built.image, image);
    const partition = await execa('sgdisk', ['-i', '1', image]);
    const partGuid = /Partition unique GUID: ([0-9A-F-]+)/i.exec(partition.stdout)![1];
    const configFile = join(work, 'limine.conf');
    await writeFile(configFile, config(partGuid));
    await execa('mcopy', ['-o', '-i', `${image}@@1048576`, configFile, '::/boot/limine/limine.conf']);
    const result = await bootUefi({ image, firstLineMarker: 'ostool-test-kernel: start' });
    expect(result.status, `${result.reason} ${result.serial.slice(-400)}`).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(one(report, 'kernel_file_path')).toBe('/boot/kernel');
    expect(one(report, 'kernel_file_cmdline')).toBe('spaced   out cmdline UEFI x86-64');
    expect(report.get('module_path')).toEqual([`/boot/modules/${MODULE_NAME}`, '/boot/modules/second.bin']);
    expect(report.get('module_cmdline')).toEqual(['first', '']);
    // resolution: picked among the GOP modes (the firmware's own choice would be 1280x800)
    expect(num(report, 'fb_width')).toBe(800n);
    expect(num(report, 'fb_height')).toBe(600n);
    expect(num(report, 'fb_pitch')).toBe(800n * 4n);
    expect(num(report, 'paging_mode')).toBe(0n);
    expect(num(report, 'kernel_virtual_base')).toBe(KERNEL_BASE);
    // dtb_path: the blob, its memory node turned into FDT_NOP tokens, everything else intact
    const dtb = Buffer.from((report.get('dtb_bytes') ?? []).join(''), 'hex');
    expect(dtb.length).toBe(TREE_DTB.blob.length);
    const expected = Buffer.from(TREE_DTB.blob);
    for (let at = TREE_DTB.memoryNode[0]; at < TREE_DTB.memoryNode[1]; at += 4) expected.writeUInt32BE(4, at);
    expect(dtb.toString('hex')).toBe(expected.toString('hex'));
  }, 150_000);

  test('SMP with -smp 4: every CPU is listed once and each AP reaches goto_address in the BSP state', async () => {
    const result = await bootImage('hdd', { extraArgs: ['-smp', '4'] });
    const report = await checkCommonReport(result, 256n << 20n);
    expect(num(report, 'smp_cpu_count')).toBe(4n);
    const ids = (report.get('smp_cpu_lapic_id') ?? []).map((v) => BigInt(v));
    expect(new Set(ids).size).toBe(4);
    expect(num(report, 'smp_ap_arrivals')).toBe(3n);
  }, 150_000);

  test('SMP with the X2APIC flag, -cpu max,+x2apic and -smp 4: x2APIC exactly when the CPU has it (flag 1), else xAPIC and flag 0', async () => {
    const result = await bootImage('hdd', {
      kernel: await buildAsmKernel(work, 'kernel.asm', ['MP_X2APIC']),
      extraArgs: ['-smp', '4', '-cpu', 'max,+x2apic'],
    });
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    // QEMU's TCG gained x2APIC in 8.0: before that the flag is masked and this checks the
    // fallback Limine has (x2APIC asked for but unavailable: xAPIC, flags 0)
    const hasX2apic = num(report, 'cpu_has_x2apic');
    expect(num(report, 'smp_flags')).toBe(hasX2apic);
    expect(num(report, 'smp_bsp_x2apic_mode')).toBe(hasX2apic);
    expect(num(report, 'smp_bsp_id_matches')).toBe(1n);
    expect(num(report, 'smp_cpu_count')).toBe(4n);
    expect(new Set(report.get('smp_cpu_lapic_id')).size).toBe(4);
    expect(num(report, 'smp_ap_arrivals')).toBe(3n);
    expect(num(report, 'smp_ap_bad_state')).toBe(0n); // each AP: its own ID, the BSP's APIC mode
  }, 150_000);

  test('a config in an SMBIOS OEM string (limine:config:) is taken before the image limine.conf', async () => {
    const oem = join(work, 'oem-config.txt');
    const entry = ['timeout: 0', '/oem', '    protocol: limine', '    kernel_path: boot():/boot/kernel'];
    await writeFile(oem, `limine:config:${[...entry, '    cmdline: from smbios', ''].join('\n')}`);
    const result = await bootImage('hdd', { extraArgs: ['-smbios', `type=11,path=${oem}`] });
    expect(result.status, `${result.reason} ${result.serial.slice(-300)}`).toBe(STATUS_PASS);
    expect(parseReport(result.serial).get('kernel_file_cmdline')).toEqual(['from smbios']);
  }, 150_000);

  test('internal modules (module request revision 1) come first, relative to the kernel, optional ones may be absent', async () => {
    const result = await bootImage('hdd', {
      kernel: await buildAsmKernel(work, 'kernel.asm', ['INTERNAL_MODULES']),
    });
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(num(report, 'module_count')).toBe(3n);
    expect(report.get('module_path')).toEqual([
      '/boot/modules/second.bin',
      `/boot/modules/${MODULE_NAME}`,
      '/boot/modules/second.bin',
    ]);
    expect(report.get('module_cmdline')).toEqual(['internal and required', MODULE_CMDLINE, '']);
    expect(report.get('module_head')?.[0]).toBe(hexOf(SECOND_MODULE_DATA.subarray(0, 32)));
  }, 150_000);
});
