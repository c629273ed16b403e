/**
 * Where the HHDM goes, as Limine places it: 0xffff800000000000 with 4-level paging (0xff00000000000000
 * with 5-level: see limine-test-kernel.test.ts), moved by a random multiple of 1 GiB within a quarter
 * of the higher half when the entry says `randomise_hhdm_base: yes` (or `randomize_...`); without
 * the key it follows KASLR, which only a relocatable kernel gets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { STATUS_PASS, bootUefi, buildAsmKernel, parseReport } from './boot.js';

const HHDM_4LEVEL = 0xffff800000000000n;
const GIB = 1n << 30n;

let work: string;
let efi: Uint8Array;
let kernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-hhdm-'));
  efi = await buildLoader();
  kernel = await buildAsmKernel(work, 'kernel.asm');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function hhdmWith(option: string): Promise<bigint> {
  const config = [
    'timeout: 0',
    '/hhdm',
    '    protocol: limine',
    '    kernel_path: boot():/boot/kernel',
    `    ${option}`,
  ];
  const built = await buildHddImage({
    kernel,
    bootloader: { kind: 'builtin', efi },
    config: config.join('\n') + '\n',
  });
  const image = join(work, 'hhdm.img');
  await writeImageFile(built.image, image);
  const result = await bootUefi({ image, timeoutSeconds: 120 });
  expect(result.serial).not.toContain('ostool loader: error');
  // the test kernel reads its framebuffer, memory map entries and page tables through the HHDM
  expect(result.serial).toContain('ostool-test-kernel: done');
  expect(result.status, result.reason).toBe(STATUS_PASS);
  const report = parseReport(result.serial);
  const hhdm = BigInt(report.get('hhdm')?.[0] ?? '0');
  expect(BigInt(report.get('fb_address')?.[0] ?? '0') >= hhdm).toBe(true);
  return hhdm;
}

describe('the HHDM base', () => {
  test('randomize_hhdm_base: yes moves it by whole GiBs within a quarter of the higher half', async () => {
    const hhdm = await hhdmWith('randomize_hhdm_base: yes');
    const offset = hhdm - HHDM_4LEVEL;
    expect(offset).not.toBe(0n); // (one chance in 2^15 of drawing 0)
    expect(offset % GIB).toBe(0n);
    expect(offset < 1n << 45n).toBe(true);
  }, 150_000);

  test('kaslr: yes leaves it in place for a kernel that cannot be relocated', async () => {
    expect(await hhdmWith('kaslr: yes')).toBe(HHDM_4LEVEL);
  }, 150_000);
});
