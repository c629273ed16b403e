/**
 * Bad inputs: the built-in loader prints a clear message on serial naming the file and the
 * check, and the run ends with the failure status (QEMU exit 35: guest wrote 0x11 to
 * isa-debug-exit) instead of hanging.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { FIXTURES, STATUS_FAIL, bootUefi, buildAsmKernel, type BootResult } from './boot.js';

let work: string;
let efi: Uint8Array;
let goodKernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-bad-'));
  efi = await buildLoader();
  goodKernel = await buildAsmKernel(work, 'kernel.asm');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function tinyKernel(
  format: 'elf32' | 'elf64',
  ldArgs: string[],
  defines: string[] = [],
): Promise<Uint8Array> {
  const object = join(work, `tiny-${format}-${ldArgs.length}.o`);
  const elf = join(work, `tiny-${format}-${ldArgs.length}.elf`);
  await execa('nasm', [
    '-f',
    format,
    ...defines.map((d) => `-D${d}`),
    '-o',
    object,
    join(FIXTURES, 'tiny.asm'),
  ]);
  await execa('ld', [...ldArgs, '-e', 'start', '-o', elf, object]);
  return new Uint8Array(await readFile(elf));
}

async function writeHdd(
  kernel: Uint8Array,
  config?: string,
  modules?: Array<{ name: string; data: Uint8Array }>,
): Promise<string> {
  const built = await buildHddImage({ kernel, bootloader: { kind: 'builtin', efi }, config, modules });
  const file = join(work, 'bad.img');
  await writeImageFile(built.image, file);
  return file;
}

async function bootWithKernel(kernel: Uint8Array, config?: string): Promise<BootResult> {
  return bootUefi({ image: await writeHdd(kernel, config) });
}

function expectRefusal(result: BootResult, message: string): void {
  const context = `${result.reason}; serial ends with: ${JSON.stringify(result.serial.slice(-600))}`;
  expect(result.serial, context).toContain(`ostool loader: error: ${message}`);
  expect(result.status, result.reason).toBe(STATUS_FAIL); // not a timeout (2) nor a crash (3)
}

describe('built-in loader refuses bad inputs with a clear message', () => {
  test('no limine.conf on the volume', async () => {
    const image = await writeHdd(goodKernel);
    // the ESP starts at 1 MiB; mtools removes the config the image builder wrote
    await execa('mdel', ['-i', `${image}@@1048576`, '::/boot/limine/limine.conf']);
    const result = await bootUefi({ image });
    expectRefusal(result, 'no limine.conf found on the boot volume');
  }, 150_000);

  test('kernel_path names a file that does not exist', async () => {
    const config =
      'timeout: 0\n/broken\n    protocol: limine\n    kernel_path: boot():/boot/missing-kernel\n';
    const result = await bootWithKernel(goodKernel, config);
    expectRefusal(result, 'cannot open kernel file /boot/missing-kernel named in limine.conf');
    expect(result.serial).toContain(': not found)');
  }, 150_000);

  test('the kernel is not an ELF file', async () => {
    const result = await bootWithKernel(new TextEncoder().encode('this is a text file, not a kernel\n'));
    expectRefusal(result, 'kernel /boot/kernel: not an ELF file');
  }, 150_000);

  test('the kernel is a 32-bit ELF', async () => {
    const result = await bootWithKernel(await tinyKernel('elf32', ['-m', 'elf_i386']));
    expectRefusal(result, 'kernel /boot/kernel: is a 32-bit ELF (ELFCLASS32)');
  }, 150_000);

  test('the kernel is linked in the lower half', async () => {
    const result = await bootWithKernel(await tinyKernel('elf64', ['-Ttext=0x200000']));
    expectRefusal(result, 'kernel /boot/kernel: a PT_LOAD segment is below 0xffffffff80000000');
  }, 150_000);

  test('the kernel has the same request twice', async () => {
    const result = await bootWithKernel(await buildAsmKernel(work, 'kernel.asm', ['DUPLICATE_REQUEST']));
    expectRefusal(result, 'the kernel has two HHDM requests');
  }, 150_000);

  test('a path names a disk that is not there (hdd(2:1) with one disk)', async () => {
    const config = 'timeout: 0\n/other disk\n    protocol: limine\n    kernel_path: hdd(2:1):/boot/kernel\n';
    const result = await bootWithKernel(goodKernel, config);
    expectRefusal(
      result,
      "limine.conf: no volume for path 'hdd(2:1):/boot/kernel' (no such drive or partition",
    );
  }, 150_000);

  test('a path with a malformed drive number (hdd(0:1))', async () => {
    const config = 'timeout: 0\n/zero\n    protocol: limine\n    kernel_path: hdd(0:1):/boot/kernel\n';
    const result = await bootWithKernel(goodKernel, config);
    expectRefusal(
      result,
      "limine.conf: unsupported path 'hdd(0:1):/boot/kernel': hdd() and odd() take drive:partition, the drive 1-256",
    );
  }, 150_000);

  test('the entry uses another boot protocol', async () => {
    const config = 'timeout: 0\n/linux\n    protocol: linux\n    kernel_path: boot():/boot/kernel\n';
    const result = await bootWithKernel(goodKernel, config);
    expectRefusal(result, "limine.conf: the entry uses protocol 'linux'");
  }, 150_000);

  test('a position-independent kernel has a dynamic relocation the loader does not apply', async () => {
    const pie = await tinyKernel('elf64', ['-pie', '--no-dynamic-linker'], ['WITH_POINTER']);
    // its one R_X86_64_RELATIVE (r_info 8) becomes R_X86_64_IRELATIVE (37), an ifunc resolver call the loader does not make
    const { stdout } = await execa('readelf', ['-SW', join(work, 'tiny-elf64-2.elf')]);
    const relaOffset = Number.parseInt(/\.rela\.dyn\s+RELA\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(stdout)![1], 16);
    const patched = new Uint8Array(pie);
    const view = new DataView(patched.buffer);
    expect(view.getBigUint64(relaOffset + 8, true)).toBe(8n);
    view.setBigUint64(relaOffset + 8, 37n, true);
    const result = await bootWithKernel(patched);
    expectRefusal(result, 'kernel /boot/kernel: has a dynamic relocation other than R_X86_64_RELATIVE');
  }, 150_000);

  test('two PT_LOAD segments of the kernel overlap', async () => {
    // the good kernel with its second PT_LOAD moved onto the first one
    const patched = new Uint8Array(goodKernel);
    const view = new DataView(patched.buffer);
    const phoff = Number(view.getBigUint64(32, true));
    const firstVaddr = view.getBigUint64(phoff + 16, true);
    view.setBigUint64(phoff + 56 + 16, firstVaddr + 8n, true);
    const result = await bootWithKernel(patched);
    expectRefusal(result, 'kernel /boot/kernel: two PT_LOAD segments overlap in virtual memory');
  }, 150_000);

  test('a required internal module is missing', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm', ['INTERNAL_MODULES', 'REQUIRE_ABSENT_MODULE']);
    const modules = [{ name: 'second.bin', data: new Uint8Array([1, 2, 3]) }]; // the present one
    const result = await bootUefi({ image: await writeHdd(kernel, undefined, modules) });
    expectRefusal(result, 'cannot open module file /boot/modules/absent.bin');
  }, 150_000);
});
