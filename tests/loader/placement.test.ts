/**
 * Where the loaders place the kernel, as Limine's elf64_load does (common/lib/elf.c): the physical image is
 * aligned to the largest PT_LOAD p_align, the base is the lowest p_vaddr aligned down to 4 KiB (the executable
 * address response's virtual_base, and the anchor of a lower-half PIE's slide to 0xffffffff80000000), KASLR
 * slides by random multiples of that alignment; two PT_LOADs with different permissions sharing a page are
 * refused (as Limine since 7.x), PT_LOADs out of p_vaddr order are loaded (as Limine 8.2.0). And base revision
 * 0's `.limine_reqs` section, a zero-terminated array of request pointers, replaces the image scan.
 * The fixture (fixtures/placement.asm) is linked by GNU ld with the layouts below and booted direct (the ELF
 * and request code is shared); one UEFI boot checks the UEFI side's aligned allocation.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildDirectLoader, buildLoader } from '../../src/loader/index.js';
import { runImage, type RunResult } from '../../src/qemu/index.js';
import { FIXTURES, STATUS_FAIL, STATUS_PASS, bootUefi, parseReport } from './boot.js';

const KERNEL_BASE = 0xffffffff80000000n;
const MIB2 = 0x200000n;

let work: string;
let loader: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-placement-'));
  loader = join(work, 'loader.elf');
  await writeFile(loader, (await buildDirectLoader()).elf);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Layout {
  /** Where the first section goes. */
  base: string;
  /** PIE (adds the dynamic sections and PT_DYNAMIC). */
  pie?: boolean;
  /** No page alignment between .text and .data (one page holds code and data). */
  sharePage?: boolean;
  /** The PHDRS in the order data, rodata, text: a table out of p_vaddr order. */
  reversed?: boolean;
}

function script(layout: Layout): string {
  const phdrs = ['text PT_LOAD FLAGS(5);', 'rodata PT_LOAD FLAGS(4);', 'data PT_LOAD FLAGS(6);'];
  if (layout.reversed) phdrs.reverse();
  if (layout.pie) phdrs.push('dynamic PT_DYNAMIC FLAGS(6);');
  const align = layout.sharePage ? '' : '. = ALIGN(4096);';
  const dynamicSections = layout.pie
    ? ['.dynsym', '.dynstr', '.hash', '.gnu.hash', '.rela.dyn'].map(
        (name) => `  ${name} : { *(${name}) } :rodata`,
      )
    : [];
  return [
    'OUTPUT_FORMAT(elf64-x86-64)',
    'ENTRY(kernel_entry)',
    `PHDRS { ${phdrs.join(' ')} }`,
    'SECTIONS {',
    `  . = ${layout.base};`,
    '  .text : { *(.text .text.*) } :text',
    `  ${align}`,
    '  .rodata : { *(.rodata .rodata.*) } :rodata',
    ...dynamicSections,
    `  ${align}`,
    '  .data : { *(.data .data.*) } :data',
    '  .limine_reqs : { KEEP(*(.limine_reqs)) } :data',
    layout.pie ? '  .dynamic : { *(.dynamic) } :data :dynamic' : '',
    '  .bss : { *(.bss .bss.*) } :data',
    '  /DISCARD/ : { *(.note .note.*) *(.comment) *(.interp) }',
    '}',
  ].join('\n');
}

let built = 0;
/** The fixture assembled with `defines` and linked by GNU ld to `layout`, pages of `pageSize` bytes. */
async function buildKernel(layout: Layout, pageSize: bigint, defines: string[] = []): Promise<string> {
  const name = join(work, `k${built++}`);
  await writeFile(`${name}.ld`, script(layout));
  await execa('nasm', [
    '-f',
    'elf64',
    ...defines.map((d) => `-D${d}`),
    '-o',
    `${name}.o`,
    join(FIXTURES, 'placement.asm'),
  ]);
  const pie = layout.pie ? ['-pie', '--no-dynamic-linker'] : [];
  await execa('ld', [
    ...pie,
    '-z',
    `max-page-size=${pageSize}`,
    '-T',
    `${name}.ld`,
    '-o',
    `${name}.elf`,
    `${name}.o`,
  ]);
  if (layout.pie) {
    // GNU ld writes ET_EXEC for a PIE whose first address is not 0; a kernel linked so is still relocatable
    const elf = await readFile(`${name}.elf`);
    elf.writeUInt16LE(3, 16);
    await writeFile(`${name}.elf`, elf);
  }
  return `${name}.elf`;
}

const CONFIG = ['timeout: 0', '/placement', '    protocol: limine', '    kernel_path: boot():/boot/kernel'];

async function bootDirect(kernel: string, options: string[] = []): Promise<RunResult> {
  const config = `${kernel}.conf`;
  await writeFile(config, [...CONFIG, ...options.map((o) => `    ${o}`), ''].join('\n'));
  return runImage({
    firmware: 'direct',
    direct: {
      loader,
      files: [
        { name: 'opt/ostool/boot/limine/limine.conf', file: config },
        { name: 'opt/ostool/boot/kernel', file: kernel },
      ],
    },
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 30,
    memory: '128M',
  });
}

interface Placement {
  physical: bigint;
  virtual: bigint;
  entry: bigint;
  sameBytes: bigint;
}

function placementOf(run: RunResult): Placement {
  expect(run.serial).not.toContain('ostool loader: error');
  expect(run.status, run.serial).toBe(STATUS_PASS);
  const report = parseReport(run.serial);
  const value = (key: string) => BigInt(report.get(key)?.[0] ?? '-1');
  return {
    physical: value('physical_base'),
    virtual: value('virtual_base'),
    entry: value('entry'),
    sameBytes: value('same_bytes'),
  };
}

function answered(run: RunResult): Record<string, bigint> {
  expect(run.serial).not.toContain('ostool loader: error');
  expect(run.status, run.serial).toBe(STATUS_PASS);
  const report = parseReport(run.serial);
  const value = (key: string) => BigInt(report.get(key)?.[0] ?? '-1');
  return { hhdm: value('hhdm_answered'), address: value('address_answered'), info: value('info_answered') };
}

describe('physical placement and the executable address response', () => {
  test('a 2 MiB-aligned higher-half kernel is placed 2 MiB-aligned: physical = virtual mod 2 MiB', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, MIB2);
    const placement = placementOf(await bootDirect(kernel));
    expect(placement.virtual).toBe(KERNEL_BASE);
    expect(placement.entry).toBe(KERNEL_BASE);
    expect(placement.physical % MIB2).toBe(0n);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);

  test('a 64 KiB p_align is honoured as well, and a 4 KiB one gives a page-aligned base', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, 0x10000n);
    expect(placementOf(await bootDirect(kernel)).physical % 0x10000n).toBe(0n);
    const small = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n);
    const placement = placementOf(await bootDirect(small));
    expect(placement.physical % 0x1000n).toBe(0n);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);

  test('virtual_base is the lowest p_vaddr aligned down to 4 KiB, not to p_align; the physical base keeps p_align', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80001000' }, MIB2);
    const placement = placementOf(await bootDirect(kernel));
    expect(placement.virtual).toBe(0xffffffff80001000n);
    expect(placement.entry).toBe(0xffffffff80001000n);
    expect(placement.physical % MIB2).toBe(0n);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);

  test('a lower-half PIE at 0 is slid to 0xffffffff80000000, placed 2 MiB-aligned', async () => {
    const kernel = await buildKernel({ base: '0', pie: true }, MIB2);
    const placement = placementOf(await bootDirect(kernel));
    expect(placement.virtual).toBe(KERNEL_BASE);
    expect(placement.entry).toBe(KERNEL_BASE);
    expect(placement.physical % MIB2).toBe(0n);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);

  test('a lower-half PIE at 0x201000 is slid by 0xffffffff80000000 - 0x201000 (its page-aligned base), not to a 2 MiB boundary', async () => {
    const kernel = await buildKernel({ base: '0x201000', pie: true }, MIB2);
    const placement = placementOf(await bootDirect(kernel));
    expect(placement.virtual).toBe(KERNEL_BASE);
    expect(placement.entry).toBe(KERNEL_BASE);
    expect(placement.physical % MIB2).toBe(0n);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);

  test('with kaslr: yes a PIE slides by multiples of its 2 MiB alignment inside the top 2 GiB, physical = virtual mod 2 MiB', async () => {
    const kernel = await buildKernel({ base: '0', pie: true }, MIB2);
    const slides: bigint[] = [];
    for (let boot = 0; boot < 2; boot++) {
      const placement = placementOf(await bootDirect(kernel, ['kaslr: yes']));
      const slide = placement.virtual - KERNEL_BASE;
      expect(slide >= 0n && slide < 0x80000000n).toBe(true);
      expect(slide % MIB2).toBe(0n);
      expect(placement.entry).toBe(placement.virtual);
      expect(placement.physical % MIB2).toBe(0n);
      expect(placement.sameBytes).toBe(1n);
      slides.push(slide);
    }
    // a slide of 0 has a chance of 1 in 1024 per boot: both 0 means no randomness
    expect(slides.some((slide) => slide !== 0n)).toBe(true);
  }, 60_000);
});

describe('what is relocatable', () => {
  test('an ET_DYN without PT_DYNAMIC is loaded at its link addresses, also with kaslr: yes (as Limine 8.2.0)', async () => {
    const path = await buildKernel({ base: '0xffffffff80000000' }, MIB2);
    const elf = await readFile(path);
    elf.writeUInt16LE(3, 16); // ET_DYN, and still no PT_DYNAMIC
    await writeFile(path, elf);
    const placement = placementOf(await bootDirect(path, ['kaslr: yes']));
    expect(placement.virtual).toBe(KERNEL_BASE);
    expect(placement.entry).toBe(KERNEL_BASE);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);
});

describe('PT_LOAD order and shared pages', () => {
  test('R-X code and RW- data in one page are refused, as Limine refuses them', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000', sharePage: true }, 0x1000n);
    const { stdout } = await execa('readelf', ['-lW', kernel]);
    expect(stdout).toMatch(/LOAD.*R E.*\n.*LOAD/);
    const run = await bootDirect(kernel);
    expect(run.serial).toContain(
      'ostool loader: error: kernel /boot/kernel: two PT_LOAD segments with different permissions share a page',
    );
    expect(run.status).toBe(STATUS_FAIL);
  }, 60_000);

  test('a p_align that is not a power of two is refused, as Limine 12 refuses it', async () => {
    const path = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n);
    const elf = await readFile(path);
    const phoff = Number(elf.readBigUInt64LE(32));
    elf.writeBigUInt64LE(0x3000n, phoff + 48); // the first PT_LOAD's p_align
    await writeFile(path, elf);
    const run = await bootDirect(path);
    expect(run.serial).toContain(
      "ostool loader: error: kernel /boot/kernel: a PT_LOAD segment's p_align is not a power of two",
    );
    expect(run.status).toBe(STATUS_FAIL);
  }, 60_000);

  test('a program header table out of p_vaddr order is loaded (Limine 8.2.0 loads it)', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000', reversed: true }, 0x1000n);
    const { stdout } = await execa('readelf', ['-lW', kernel]);
    const loads = [...stdout.matchAll(/LOAD\s+\S+\s+(0x[0-9a-f]+)/g)].map((m) => BigInt(m[1]!));
    expect(loads.length).toBe(3);
    expect(loads[0]! > loads[2]!).toBe(true);
    const placement = placementOf(await bootDirect(kernel));
    expect(placement.virtual).toBe(KERNEL_BASE);
    expect(placement.sameBytes).toBe(1n);
  }, 60_000);
});

describe("base revision 0's .limine_reqs section", () => {
  test('without a base revision tag the requests are the ones the section lists, not the ones in the image', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n, ['LIMINE_REQS']);
    expect(answered(await bootDirect(kernel))).toEqual({ hhdm: 1n, address: 0n, info: 1n });
  }, 60_000);

  test("a PIE's list is read relocated", async () => {
    const kernel = await buildKernel({ base: '0', pie: true }, 0x1000n, ['LIMINE_REQS']);
    expect(answered(await bootDirect(kernel))).toEqual({ hhdm: 1n, address: 0n, info: 1n });
  }, 60_000);

  test('from base revision 1 on the section is not read: every request in the image is answered', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n, ['LIMINE_REQS', 'REVISION=1']);
    expect(answered(await bootDirect(kernel))).toEqual({ hhdm: 1n, address: 1n, info: 1n });
  }, 60_000);

  test('without the section a base revision 0 kernel has its image scanned', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n);
    expect(answered(await bootDirect(kernel))).toEqual({ hhdm: 1n, address: 1n, info: 1n });
  }, 60_000);

  test('a second request with one ID in the image does not matter when the list is read, and is refused when the image is scanned', async () => {
    const listed = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n, ['LIMINE_REQS', 'DUPLICATE']);
    expect(answered(await bootDirect(listed))).toEqual({ hhdm: 1n, address: 0n, info: 1n });
    const scanned = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n, ['DUPLICATE']);
    const run = await bootDirect(scanned);
    expect(run.serial).toContain('ostool loader: error: the kernel has two ');
    expect(run.status).toBe(STATUS_FAIL);
  }, 60_000);

  test('a pointer outside the image is refused, as Limine refuses it', async () => {
    const kernel = await buildKernel({ base: '0xffffffff80000000' }, 0x1000n, ['BAD_POINTER']);
    const run = await bootDirect(kernel);
    expect(run.serial).toContain(
      'ostool loader: error: a .limine_reqs entry points outside the kernel image',
    );
    expect(run.status).toBe(STATUS_FAIL);
  }, 60_000);
});

describe('the UEFI loader', () => {
  test('places a 2 MiB-aligned kernel 2 MiB-aligned too (boot services allocation, ends given back)', async () => {
    const kernel = new Uint8Array(await readFile(await buildKernel({ base: '0xffffffff80000000' }, MIB2)));
    const image = join(work, 'disk.img');
    const { image: bytes } = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi: await buildLoader() },
    });
    await writeImageFile(bytes, image);
    const result = await bootUefi({ image });
    expect(result.serial).not.toContain('ostool loader: error');
    expect(result.status, result.serial).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(BigInt(report.get('virtual_base')![0]!)).toBe(KERNEL_BASE);
    expect(BigInt(report.get('physical_base')![0]!) % MIB2).toBe(0n);
    expect(BigInt(report.get('same_bytes')![0]!)).toBe(1n);
  }, 120_000);
});
