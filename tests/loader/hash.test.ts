/**
 * A limine.conf path's `#hash` suffix (CONFIG.md), checked by the built-in loader as Limine checks it:
 * 128 hex digits are the BLAKE2b-512 digest of the file as read (a `$` gzip file's compressed bytes),
 * a mismatch stops the boot naming the path unless `hash_mismatch_panic: no`, which warns and boots
 * on. 64 or 256 digits (BLAKE3) are not checked. Digests come from node's OpenSSL BLAKE2b-512 (the
 * same as coreutils' b2sum). Direct (PVH) boots: the two loaders share this code (boot.asm, dtb.asm).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDirectLoader } from '../../src/loader/index.js';
import { runImage, type RunResult } from '../../src/qemu/index.js';
import { buildAsmKernel, parseReport, STATUS_FAIL, STATUS_PASS, TREE_DTB } from './boot.js';

let work: string;
let kernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-hash-'));
  kernel = await buildAsmKernel(work, 'kernel.asm');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const blake2b = (data: Uint8Array): string => createHash('blake2b512').update(data).digest('hex');

/** A different digest of the same length: the first digit changed. */
const wrong = (hash: string): string => (hash[0] === '0' ? '1' : '0') + hash.slice(1);

async function bootDirect(
  config: string,
  modules: Array<{ name: string; data: Uint8Array }>,
): Promise<RunResult> {
  const { elf } = await buildDirectLoader();
  const loader = join(work, 'loader.elf');
  await writeFile(loader, elf);
  await writeFile(join(work, 'limine.conf'), config);
  await writeFile(join(work, 'kernel'), kernel);
  const files = [
    { name: 'opt/ostool/boot/limine/limine.conf', file: join(work, 'limine.conf') },
    { name: 'opt/ostool/boot/kernel', file: join(work, 'kernel') },
  ];
  for (const module of modules) {
    await writeFile(join(work, module.name), module.data);
    files.push({ name: `opt/ostool/boot/modules/${module.name}`, file: join(work, module.name) });
  }
  return runImage({
    firmware: 'direct',
    direct: { loader, files },
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 60,
    memory: '256M',
  });
}

const entry = (kernelPath: string, ...lines: string[]): string =>
  ['timeout: 0', '/hashed', '    protocol: limine', `    kernel_path: ${kernelPath}`, ...lines, ''].join(
    '\n',
  );

function expectRefusal(run: RunResult, message: string): void {
  expect(run.serial, `${run.reason}: ${run.serial.slice(-600)}`).toContain(
    `ostool loader: error: ${message}`,
  );
  expect(run.status, run.reason).toBe(STATUS_FAIL);
}

/** Bytes that differ from block to block, so a block counted or mixed wrongly shows. */
const bytes = (length: number, seed: number): Uint8Array =>
  new Uint8Array(length).map((_, i) => (i * 131 + seed + (i >> 7)) & 0xff);

describe('#hash: BLAKE2b-512 of the file read', () => {
  test('kernel and modules of 0, 1, 127, 128, 129, 256, 257 bytes and 1 MiB with their digests (one in upper case) boot', async () => {
    const sizes = [0, 1, 127, 128, 129, 256, 257, 1 << 20];
    const modules = sizes.map((size, i) => ({ name: `m${size}.bin`, data: bytes(size, i) }));
    const config = entry(
      `boot():/boot/kernel#${blake2b(kernel).toUpperCase()}`,
      ...modules.map((m) => `    module_path: boot():/boot/modules/${m.name}#${blake2b(m.data)}`),
    );
    const run = await bootDirect(config, modules);
    expect(run.status, `${run.reason}: ${run.serial.slice(-600)}`).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect(report.get('module_size')?.map((v) => Number(BigInt(v)))).toEqual(sizes);
    expect(report.get('module_path')).toEqual(modules.map((m) => `/boot/modules/${m.name}`));
  }, 120_000);

  test('a mismatch stops the boot naming the path (module, kernel, dtb)', async () => {
    const module = { name: 'initrd.bin', data: bytes(300, 7) };
    const badModule = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    module_path: boot():/boot/modules/initrd.bin#${wrong(blake2b(module.data))}`,
      ),
      [module],
    );
    expectRefusal(
      badModule,
      'Blake2b hash for /boot/modules/initrd.bin does not match the #hash of its limine.conf path',
    );
    const badKernel = await bootDirect(entry(`boot():/boot/kernel#${wrong(blake2b(kernel))}`), []);
    expectRefusal(
      badKernel,
      'Blake2b hash for /boot/kernel does not match the #hash of its limine.conf path',
    );
    const tree = { name: 'tree.dtb', data: TREE_DTB.blob };
    const badDtb = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    dtb_path: boot():/boot/modules/tree.dtb#${wrong(blake2b(tree.data))}`,
      ),
      [tree],
    );
    expectRefusal(
      badDtb,
      'Blake2b hash for /boot/modules/tree.dtb does not match the #hash of its limine.conf path',
    );
    const goodDtb = await bootDirect(
      entry('boot():/boot/kernel', `    dtb_path: boot():/boot/modules/tree.dtb#${blake2b(tree.data)}`),
      [tree],
    );
    expect(goodDtb.status, goodDtb.reason).toBe(STATUS_PASS);
    expect(parseReport(goodDtb.serial).has('dtb_bytes')).toBe(true);
  }, 120_000);

  test('hash_mismatch_panic: no (anywhere, the first counts) warns and boots; any other value than "yes" too', async () => {
    const module = { name: 'initrd.bin', data: bytes(1000, 3) };
    const line = `    module_path: boot():/boot/modules/initrd.bin#${wrong(blake2b(module.data))}`;
    for (const [setting, panics] of [
      ['hash_mismatch_panic: no', false],
      ['hash_mismatch_panic: yes', true],
      ['hash_mismatch_panic: No', false],
    ] as const) {
      const run = await bootDirect(
        `${setting}\nhash_mismatch_panic: yes\n${entry('boot():/boot/kernel', line)}`,
        [module],
      );
      if (panics) {
        expectRefusal(run, 'Blake2b hash for /boot/modules/initrd.bin does not match');
      } else {
        expect(run.serial).toContain(
          'ostool loader: warning: Blake2b hash for /boot/modules/initrd.bin does not match the #hash of its limine.conf path (hash_mismatch_panic: no, booting on)',
        );
        expect(run.status, run.reason).toBe(STATUS_PASS);
        expect(parseReport(run.serial).get('module_size')).toEqual(['0x00000000000003e8']);
      }
    }
  }, 120_000);

  test('a $ gzip file: the digest of its compressed bytes, as Limine hashes it', async () => {
    const plain = bytes(5000, 9);
    const module = { name: 'initrd.gz', data: gzipSync(plain) };
    const good = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    module_path: $boot():/boot/modules/initrd.gz#${blake2b(module.data)}`,
      ),
      [module],
    );
    expect(good.status, good.reason).toBe(STATUS_PASS);
    expect(parseReport(good.serial).get('module_size')).toEqual(['0x0000000000001388']);
    const ofPlain = await bootDirect(
      entry('boot():/boot/kernel', `    module_path: $boot():/boot/modules/initrd.gz#${blake2b(plain)}`),
      [module],
    );
    expectRefusal(ofPlain, 'Blake2b hash for /boot/modules/initrd.gz does not match');
  }, 120_000);

  test('64 or 256 hex digits (BLAKE3) are not checked; another length or a non-hex digit is refused', async () => {
    const module = { name: 'initrd.bin', data: bytes(64, 1) };
    for (const digits of [64, 256]) {
      const run = await bootDirect(
        entry(
          'boot():/boot/kernel',
          `    module_path: boot():/boot/modules/initrd.bin#${'ab'.repeat(digits / 2)}`,
        ),
        [module],
      );
      expect(run.status, run.reason).toBe(STATUS_PASS);
    }
    for (const hash of ['0123456789abcdef', `${blake2b(module.data).slice(0, 127)}g`]) {
      const run = await bootDirect(
        entry('boot():/boot/kernel', `    module_path: boot():/boot/modules/initrd.bin#${hash}`),
        [module],
      );
      expectRefusal(
        run,
        'the #hash of /boot/modules/initrd.bin in limine.conf is not 64, 128 or 256 hexadecimal digits',
      );
    }
  }, 120_000);
});
