/**
 * gzip files in the built-in loader, as Limine has them: a `module_path` or `kernel_path` whose
 * resource starts with `$` and an internal module flagged LIMINE_INTERNAL_MODULE_COMPRESSED reach the kernel
 * decompressed (module response revision 2). The compressed files are made by node's zlib (the
 * oracle for the deflate format) with every block type; bad gzip stops the boot with a message.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { STATUS_FAIL, STATUS_PASS, bootUefi, buildAsmKernel, parseReport, type BootResult } from './boot.js';

let work: string;
let efi: Uint8Array;
let kernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-gzip-'));
  efi = await buildLoader();
  kernel = await buildAsmKernel(work, 'kernel.asm');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Text-like data with repeats near and far (long matches, long distances) and some noise. */
function compressibleBytes(length: number, seed: number): Uint8Array {
  const words = ['limine', 'module', 'ostool', 'kernel', 'inflate', 'huffman', '\n', ' ', 'x86-64 '];
  const out = new Uint8Array(length);
  let state = seed;
  let at = 0;
  while (at < length) {
    state = (state * 1103515245 + 12345) >>> 0;
    const word = state % 11 < 9 ? words[state % 9] : String.fromCharCode(33 + ((state >>> 8) % 90));
    for (let i = 0; i < word.length && at < length; i++) out[at++] = word.charCodeAt(i);
  }
  return out;
}

/** A gzip member with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC) around raw deflate. */
function gzipWithAllHeaderFields(data: Uint8Array): Uint8Array {
  const extra = Uint8Array.of(4, 0, 0x41, 0x42, 0, 0); // XLEN 4: one empty subfield "AB"
  const name = new TextEncoder().encode('data.bin\0');
  const comment = new TextEncoder().encode('made for a test\0');
  const head = Uint8Array.of(0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3);
  const body = new Uint8Array(deflateRawSync(data, { level: 6 }));
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, crc32(data), true);
  new DataView(trailer.buffer).setUint32(4, data.length, true);
  const headerCrc = Uint8Array.of(0xaa, 0x55); // not checked by Limine either
  return Buffer.concat([head, extra, name, comment, headerCrc, body, trailer, Uint8Array.of(9, 9, 9)]);
}

const byteSum = (bytes: Uint8Array) =>
  `0x${bytes
    .reduce((s, b) => s + b, 0)
    .toString(16)
    .padStart(16, '0')}`;
const hex16 = (n: number) => `0x${n.toString(16).padStart(16, '0')}`;

interface Module {
  name: string;
  /** What lands in the image. */
  file: Uint8Array;
  /** What the kernel must see. */
  expected: Uint8Array;
  gzip: boolean;
}

async function bootModules(modules: Module[]): Promise<BootResult> {
  const lines = ['timeout: 0', '/gzip', '    protocol: limine', '    kernel_path: boot():/boot/kernel'];
  for (const module of modules)
    lines.push(`    module_path: ${module.gzip ? '$' : ''}boot():/boot/modules/${module.name}`);
  const built = await buildHddImage({
    kernel,
    bootloader: { kind: 'builtin', efi },
    config: lines.join('\n') + '\n',
    modules: modules.map((module) => ({ name: module.name, data: module.file })),
  });
  const image = join(work, 'gzip.img');
  await writeImageFile(built.image, image);
  return bootUefi({ image, timeoutSeconds: 120 });
}

describe('gzip kernels and modules ($ resources) in the built-in loader', () => {
  test('stored, fixed-Huffman, dynamic-Huffman and empty members decompress to the original bytes', async () => {
    const text = compressibleBytes(300_000, 7);
    // gzip bytes in a module without `$`: passed on as they are, as Limine does
    const unflagged = new Uint8Array(gzipSync(compressibleBytes(1000, 3)));
    const noise = Uint8Array.from({ length: 90_000 }, (_, i) => (i * 2654435761) >>> 24);
    const short = new TextEncoder().encode('hello hello hello, fixed Huffman codes only');
    const modules: Module[] = [
      { name: 'dynamic.gz', expected: text, file: gzipSync(text, { level: 9 }), gzip: true },
      { name: 'stored.gz', expected: noise, file: gzipSync(noise, { level: 0 }), gzip: true },
      {
        name: 'fixed.gz',
        expected: short,
        file: gzipSync(short, { strategy: constants.Z_FIXED }),
        gzip: true,
      },
      { name: 'rle.gz', expected: text, file: gzipSync(text, { strategy: constants.Z_RLE }), gzip: true },
      {
        name: 'flags.gz',
        expected: text.subarray(0, 5000),
        file: gzipWithAllHeaderFields(text.subarray(0, 5000)),
        gzip: true,
      },
      { name: 'empty.gz', expected: new Uint8Array(0), file: gzipSync(new Uint8Array(0)), gzip: true },
      { name: 'plain.gz', expected: unflagged, file: unflagged, gzip: false },
    ];
    const result = await bootModules(modules);
    expect(result.serial).not.toContain('ostool loader: error');
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(report.get('module_path')).toEqual(modules.map((m) => `/boot/modules/${m.name}`));
    expect(report.get('module_size')).toEqual(modules.map((m) => hex16(m.expected.length)));
    expect(report.get('module_byte_sum')).toEqual(modules.map((m) => byteSum(m.expected)));
    expect(report.get('module_head')).toEqual(
      modules.map((m) => Buffer.from(m.expected.subarray(0, 32)).toString('hex')),
    );
    expect(report.get('module_address_page_offset')?.every((v) => BigInt(v) === 0n)).toBe(true);
  }, 150_000);

  test('an internal module flagged COMPRESSED is decompressed, and the module response is revision 2', async () => {
    const second = compressibleBytes(40_000, 5);
    const built = await buildHddImage({
      kernel: await buildAsmKernel(work, 'kernel.asm', ['INTERNAL_MODULES', 'COMPRESSED_INTERNAL_MODULE']),
      bootloader: { kind: 'builtin', efi },
      modules: [{ name: 'second.bin.gz', data: gzipSync(second) }],
    });
    const image = join(work, 'internal-gzip.img');
    await writeImageFile(built.image, image);
    const result = await bootUefi({ image, timeoutSeconds: 120 });
    expect(result.serial).not.toContain('ostool loader: error');
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(report.get('module_path')?.[0]).toBe('/boot/modules/second.bin.gz');
    expect(report.get('module_size')?.[0]).toBe(hex16(second.length));
    expect(report.get('module_byte_sum')?.[0]).toBe(byteSum(second));
    expect(report.get('module_response_revision')).toEqual(['0x0000000000000002']);
  }, 150_000);

  test('a $ kernel_path boots the decompressed kernel, which the executable file response describes', async () => {
    const config = [
      'timeout: 0',
      '/gzip kernel',
      '    protocol: limine',
      '    kernel_path: $boot():/boot/modules/kernel.gz',
    ];
    const built = await buildHddImage({
      kernel,
      bootloader: { kind: 'builtin', efi },
      config: config.join('\n') + '\n',
      modules: [{ name: 'kernel.gz', data: gzipSync(kernel, { level: 9 }) }],
    });
    const image = join(work, 'gzip-kernel.img');
    await writeImageFile(built.image, image);
    const result = await bootUefi({ image, timeoutSeconds: 120 });
    expect(result.serial).not.toContain('ostool loader: error');
    expect(result.serial).toContain('ostool-test-kernel: done');
    expect(result.status, result.reason).toBe(STATUS_PASS);
    const report = parseReport(result.serial);
    expect(report.get('kernel_file_path')).toEqual(['/boot/modules/kernel.gz']);
    expect(report.get('kernel_file_size')).toEqual([hex16(kernel.length)]);
    expect(report.get('kernel_file_head')).toEqual(['7f454c46']);
  }, 150_000);

  const data = compressibleBytes(20_000, 11);
  const good = new Uint8Array(gzipSync(data));
  const corrupted = (edit: (bytes: Uint8Array) => void) => {
    const bytes = good.slice();
    edit(bytes);
    return bytes;
  };
  const cases: Array<{ name: string; file: Uint8Array; message: string }> = [
    { name: 'not gzip', file: data, message: ': not gzip data' },
    { name: 'cut short', file: good.subarray(0, good.length - 20), message: ': the gzip data ends before' },
    {
      name: 'a bad CRC-32',
      file: corrupted((b) => (b[b.length - 8] ^= 1)),
      message: ': the decompressed data fails the gzip CRC-32',
    },
    {
      name: 'a wrong ISIZE',
      file: corrupted((b) => (b[b.length - 4] ^= 1)),
      message: ': the decompressed size differs from the gzip ISIZE',
    },
    // BFINAL 1, BTYPE 3 (reserved)
    {
      name: 'a reserved block type',
      file: corrupted((b) => (b[10] = 0x07)),
      message: ': corrupt deflate data',
    },
  ];
  for (const bad of cases) {
    test(`a gzip module with ${bad.name} stops the boot with a message naming it`, async () => {
      const result = await bootModules([{ name: 'bad.gz', file: bad.file, expected: data, gzip: true }]);
      expect(result.serial).toContain(`ostool loader: error: gzip file /boot/modules/bad.gz${bad.message}`);
      expect(result.status, result.reason).toBe(STATUS_FAIL);
    }, 150_000);
  }
});
