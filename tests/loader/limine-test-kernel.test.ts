/**
 * Limine's own protocol test kernel (../shared/conformance/limine-test/, Limine 8.2.0's test/),
 * built with gcc and GNU ld exactly as its build.sh / test.mk do (-fPIE objects, `ld -pie -ztext`
 * with its linker.ld), boots through the built-in loader, and every line it prints on port 0xE9
 * that belongs to the protocol matches what it printed under real Limine 8.2.0
 * (reference-output-limine-8.2.0.txt). Lines that belong to Limine or the machine (name, version,
 * exact memory map, video mode list, physical base, partition details) are checked for shape only.
 *
 * The corpus lacks the 8.x limine.h and flanterm the kernel includes: fixtures/limine-8-api/ has
 * the 8.x API names written from the 8.x PROTOCOL.md, and a small framebuffer-console stand-in.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CORPUS,
  HAVE_CORPUS,
  bootLimineTestKernel,
  buildLimineTestKernel,
  isMachineLine,
  parseFeatures,
  type Feature,
} from './limine-test.js';

if (!HAVE_CORPUS) {
  console.warn(`skipping Limine test kernel conformance: ${CORPUS} is absent`);
}

let work: string;
let kernel: Uint8Array;
let moduleData: Uint8Array;
let output = '';

async function buildTestKernel(): Promise<Uint8Array> {
  return buildLimineTestKernel(work);
}

async function bootTestKernel(
  extraConfig: string[] = [],
  extraArgs: string[] = [],
  before: string[] = [],
): Promise<{ e9: string; serial: string; reason: string }> {
  return bootLimineTestKernel({ work, kernel, moduleData, boot: 'uefi', extraConfig, extraArgs, before });
}

describe.skipIf(!HAVE_CORPUS)("Limine's test kernel under the built-in loader", () => {
  let reference: Feature[];
  let ours: Feature[];
  let serial = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ostool-limine-test-'));
    await mkdir(work, { recursive: true });
    moduleData = new Uint8Array(await readFile(join(CORPUS, 'test', 'bg.jpg')));
    kernel = await buildTestKernel();
    const run = await bootTestKernel();
    output = run.e9;
    serial = `${run.reason}; serial: ${run.serial.slice(-800)}`;
    const referenceText = await readFile(join(CORPUS, 'reference-output-limine-8.2.0.txt'), 'utf8');
    const e9Start = referenceText.indexOf('--- e9\n') + '--- e9\n'.length;
    const e9End = referenceText.indexOf('--- serial');
    reference = parseFeatures(referenceText.slice(e9Start, e9End < 0 ? undefined : e9End));
    ours = parseFeatures(output);
  }, 240_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('it is a PIE (ET_DYN) whose only dynamic relocations are R_X86_64_RELATIVE', async () => {
    const { stdout } = await execa('readelf', ['-h', '-r', join(work, 'kernel.elf')]);
    expect(stdout).toMatch(/Type:\s+DYN/);
    expect(stdout).toMatch(/R_X86_64_RELATIVE/);
  });

  test('the kernel runs: entry point request honoured, base revision 2 supported', () => {
    expect(output, serial).toContain("We're alive");
    expect(output).not.toContain('Limine base revision not supported');
  });

  test('every feature block of the reference is printed, in the same order', () => {
    const wanted = reference.map((f) => f.header);
    expect(ours.map((f) => f.header).filter((h) => wanted.includes(h))).toEqual(wanted);
  });

  test('every protocol line equals the reference; machine lines have the same shape', () => {
    const mismatches: string[] = [];
    for (const expected of reference) {
      const got = ours.find((f) => f.header === expected.header);
      if (!got) {
        mismatches.push(`${expected.header}: missing`);
        continue;
      }
      const protocolExpected = expected.lines.filter((line) => !isMachineLine(line));
      const protocolGot = got.lines.filter((line) => !isMachineLine(line));
      for (const line of protocolExpected) {
        // the module's path is where this image keeps it, not the reference's /boot/bg.jpg
        const wanted = line === 'File->Path: /boot/bg.jpg' ? 'File->Path: /boot/modules/bg.jpg' : line;
        const kernelSize = `File->Size: 0x${kernel.length.toString(16)}`;
        const expectedLine =
          /^File->Size: /.test(line) && expected.header.startsWith('Kernel file') ? kernelSize : wanted;
        if (!protocolGot.includes(expectedLine))
          mismatches.push(`${expected.header}: expected "${expectedLine}"`);
      }
    }
    expect(mismatches, output).toEqual([]);
  });

  test('the kernel is placed at the lowest higher-half base (no KASLR by default) and relocated', () => {
    expect(output).toContain('Kernel start: 0xffffffff80000000');
    expect(output).toContain('Kernel slide: 0x0');
    expect(output).toContain('Virtual base: 0xffffffff80000000');
  });

  test('the memory map is sorted, usable and reclaimable entries overlap nothing, and it is counted right', () => {
    const block = ours.find((f) => f.header.startsWith('Memory map feature'));
    expect(block).toBeDefined();
    const count = Number(/^(\d+) memory map entries$/.exec(block!.lines[0])?.[1]);
    const entries = block!.lines.slice(1).map((line) => {
      const match = /^0x([0-9a-f]+)->0x([0-9a-f]+) (.+)$/.exec(line);
      expect(match, line).not.toBeNull();
      return { base: BigInt(`0x${match![1]}`), end: BigInt(`0x${match![2]}`), type: match![3] };
    });
    expect(entries.length).toBe(count);
    for (let i = 1; i < entries.length; i++) expect(entries[i].base >= entries[i - 1].base).toBe(true);
    // usable and bootloader-reclaimable entries overlap nothing (other types may overlap)
    for (const e of entries.filter((x) => x.type === 'Usable' || x.type === 'Bootloader reclaimable'))
      for (const o of entries)
        if (o !== e) expect(o.base < e.end && e.base < o.end, `${block!.lines.join('\n')}`).toBe(false);
    expect(entries.some((e) => e.type === 'Kernel and modules')).toBe(true);
    expect(entries.some((e) => e.type === 'Framebuffer')).toBe(true);
    expect(entries.every((e) => e.type !== '???')).toBe(true);
    expect(entries[0].base >= 0x1000n).toBe(true); // revision 2: page 0 never usable
  });

  test('with -cpu max, kaslr: yes and default_entry: 2 it gets 5-level paging, a random slide and a random 5-level HHDM, and still runs', async () => {
    const before = [
      'default_entry: 2',
      '/Not this one',
      '    protocol: linux',
      '    kernel_path: boot():/nothing',
    ];
    const run = await bootTestKernel(['kaslr: yes'], ['-cpu', 'max'], before);
    expect(run.e9, run.reason).toContain("We're alive");
    expect(run.e9).toMatch(/Paging mode feature, revision 0\n {2}mode: 1\n/);
    const slide = BigInt(/Kernel slide: (0x[0-9a-f]+)/.exec(run.e9)?.[1] ?? '0');
    expect(slide).not.toBe(0n); // (one chance in 2^18 of a zero slide)
    expect(slide % 4096n).toBe(0n);
    // Limine's draw: 32 random bits aligned, again while the image would wrap: inside the top 2 GiB
    expect(slide < 1n << 31n, `slide 0x${slide.toString(16)}`).toBe(true);
    // 5-level paging puts the HHDM at 0xff00000000000000, and KASLR moves it by whole GiBs too
    const hhdm = BigInt(/Higher half direct map at: (0x[0-9a-f]+)/.exec(run.e9)?.[1] ?? '0');
    const hhdmOffset = hhdm - 0xff00000000000000n;
    expect(hhdmOffset > 0n && hhdmOffset < 1n << 54n, `HHDM at 0x${hhdm.toString(16)}`).toBe(true);
    expect(hhdmOffset % (1n << 30n)).toBe(0n);
    const start = /Kernel start: (0x[0-9a-f]+)/.exec(run.e9)?.[1];
    expect(run.e9).toContain(`Virtual base: ${start}`);
    expect(parseFeatures(run.e9).map((f) => f.header)).toEqual(ours.map((f) => f.header));
  }, 120_000);

  test('the video mode list starts with the mode in use', () => {
    const block = ours.find((f) => f.header.startsWith('Framebuffers feature'));
    const width = block?.lines.find((l) => l.startsWith('Width: '))?.slice(7);
    const height = block?.lines.find((l) => l.startsWith('Height: '))?.slice(8);
    const first = block?.lines[block.lines.indexOf('Video modes:') + 1];
    expect(first).toBe(`  ${width}x${height}x32`);
  });
});
