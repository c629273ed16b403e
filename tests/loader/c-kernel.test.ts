/**
 * A kernel written in C (gcc -ffreestanding -mcmodel=kernel, linked by GNU ld here) with
 * requests written from the protocol document boots through the built-in loader and prints
 * its framebuffer and memory map.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { FIXTURES, STATUS_PASS, bootUefi } from './boot.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-c-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const TEMPLATE_SCRIPT = fileURLToPath(
  new URL('../../../shared/limine/c-template-linker-x86_64.ld.txt', import.meta.url),
);

async function buildCKernel(script = join(FIXTURES, 'kernel.ld')): Promise<Uint8Array> {
  const object = join(work, 'c-kernel.o');
  const elf = join(work, 'c-kernel.elf');
  await execa('gcc', [
    '-ffreestanding',
    '-mcmodel=kernel',
    '-mno-red-zone',
    '-fno-pic',
    '-fno-pie',
    '-fno-stack-protector',
    '-fno-asynchronous-unwind-tables',
    '-mgeneral-regs-only',
    '-O2',
    '-Wall',
    '-Werror',
    '-c',
    join(FIXTURES, 'c-kernel.c'),
    '-o',
    object,
  ]);
  await execa('ld', [
    '-nostdlib',
    '-static',
    '-z',
    'max-page-size=0x1000',
    '-T',
    script,
    '-e',
    'kmain',
    '-o',
    elf,
    object,
  ]);
  return new Uint8Array(await readFile(elf));
}

test('a C kernel built by gcc and GNU ld boots and prints its framebuffer and memory map', async () => {
  const kernel = await buildCKernel();
  const built = await buildHddImage({ kernel, bootloader: { kind: 'builtin', efi: await buildLoader() } });
  const file = join(work, 'c-kernel.img');
  await writeImageFile(built.image, file);
  const result = await bootUefi({
    image: file,
    extraArgs: ['-vga', 'none', '-device', 'VGA,xres=800,yres=600'],
  });

  expect(result.serial).toContain('c-kernel: done');
  expect(result.status, result.reason).toBe(STATUS_PASS);
  expect(result.serial).toMatch(/c-kernel: fb 800x600 pitch 3200 bpp 32 modes [1-9]\d*\r?\n/);
  const count = Number(/c-kernel: memmap (\d+)/.exec(result.serial)?.[1]);
  const entries = [...result.serial.matchAll(/c-kernel: mem (0x[0-9a-f]+) (0x[0-9a-f]+) (\d)/g)].map((m) => ({
    base: BigInt(m[1]),
    length: BigInt(m[2]),
    type: Number(m[3]),
  }));
  expect(entries.length).toBe(count);
  for (let i = 1; i < entries.length; i++) expect(entries[i].base > entries[i - 1].base).toBe(true);
  expect(entries.some((e) => e.type === 6)).toBe(true); // the kernel itself
  expect(entries.some((e) => e.type === 7)).toBe(true); // the framebuffer
  const usable = BigInt(/c-kernel: usable (\d+)/.exec(result.serial)?.[1] ?? '0');
  expect(usable).toBe(entries.filter((e) => e.type === 0).reduce((sum, e) => sum + e.length, 0n));
  expect(usable > 200n << 20n && usable < 256n << 20n).toBe(true);
}, 150_000);

test.skipIf(!existsSync(TEMPLATE_SCRIPT))(
  "linked with the official C template's linker script (its empty data PHDR is a zero-size PT_LOAD at 0) it boots",
  async () => {
    const kernel = await buildCKernel(TEMPLATE_SCRIPT);
    const { stdout } = await execa('readelf', ['-lW', join(work, 'c-kernel.elf')]);
    expect(stdout).toMatch(/LOAD\s+0x[0-9a-f]+ 0x0+ 0x0+ 0x0+ 0x0+ /); // the empty PT_LOAD
    const built = await buildHddImage({ kernel, bootloader: { kind: 'builtin', efi: await buildLoader() } });
    const file = join(work, 'c-template.img');
    await writeImageFile(built.image, file);
    const result = await bootUefi({ image: file });
    expect(result.serial, result.reason).toContain('c-kernel: done');
    expect(result.status, result.reason).toBe(STATUS_PASS);
  },
  150_000,
);
