import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalKernelElf, patternBytes, syntheticLimineDir, tarball, tempDir, tool } from './helpers.js';

const repo = new URL('../../', import.meta.url).pathname;
const entry = new URL('./fixtures/ostool-from-source.ts', import.meta.url).pathname;

/** Runs the real CLI entry from source (tsx), with a clean environment for Limine discovery. */
function ostool(args: string[], env: Record<string, string> = {}) {
  return execa('node', ['--import', 'tsx', entry, ...args], {
    cwd: repo,
    reject: false,
    stdin: 'ignore',
    env: { XDG_CACHE_HOME: join(work.dir, 'cache'), LIMINE_DIR: '', SOURCE_DATE_EPOCH: '', ...env },
    timeout: 60_000,
  });
}

let work: Awaited<ReturnType<typeof tempDir>>;
let kernel: string;
let efi: string;
let limineDir: string;

beforeAll(async () => {
  work = await tempDir();
  kernel = join(work.dir, 'kernel.elf');
  await writeFile(kernel, minimalKernelElf(patternBytes(10_000, 71)));
  efi = join(work.dir, 'loader.efi');
  await writeFile(efi, patternBytes(4096, 72));
  limineDir = (await syntheticLimineDir(join(work.dir, 'limine'))).dir;
  await writeFile(join(work.dir, 'mod.bin'), patternBytes(999, 73));
});
afterAll(async () => work.cleanup());

describe('ostool image', () => {
  it('writes an ISO and a disk with the built-in loader and says they boot with UEFI only', async () => {
    const iso = join(work.dir, 'a.iso');
    const hdd = join(work.dir, 'a.img');
    const run = await ostool([
      'image',
      '--kernel',
      kernel,
      '--iso',
      iso,
      '--hdd',
      hdd,
      '--size',
      '48M',
      '--bootloader',
      'builtin',
      '--loader-efi',
      efi,
      '--module',
      `${join(work.dir, 'mod.bin')}:mod args`,
      '--cmdline',
      'one two',
      '--timeout',
      '3',
      '--label',
      'TESTOS',
    ]);
    expect(run.stderr).toContain('built-in UEFI loader: the image boots with UEFI only');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/wrote .*a\.iso \(ISO.*UEFI only\)/);
    expect(run.stdout).toMatch(/wrote .*a\.img \(disk, 48\.0 MiB, FAT32; boots UEFI only\)/);
    const config = (await tool('mtype', ['-i', `${hdd}@@1M`, '::/boot/limine/limine.conf'])).stdout;
    expect(config).toMatch(/^timeout: 3$/m);
    expect(config).toMatch(/^\s+cmdline: one two$/m);
    expect(config).toMatch(/module_path: boot\(\):\/boot\/modules\/mod\.bin\n\s+module_cmdline: mod args/);
    expect((await tool('mdir', ['-i', `${hdd}@@1M`, '::'])).stdout).toContain('Volume in drive : is TESTOS');
    expect((await readdir(work.dir)).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('uses Limine from --limine and reports a BIOS + UEFI image', async () => {
    const iso = join(work.dir, 'l.iso');
    const run = await ostool(['image', '--kernel', kernel, '--iso', iso, '--limine', limineDir]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(`using Limine from ${limineDir} (--limine)`);
    expect(run.stdout).toMatch(/boots BIOS \+ UEFI/);
  });

  it('falls back to the built-in loader with auto when no Limine is found, and says why', async () => {
    const run = await ostool([
      'image',
      '--kernel',
      kernel,
      '--hdd',
      join(work.dir, 'auto.img'),
      '--loader-efi',
      efi,
    ]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('no Limine found, using the built-in UEFI loader');
  });

  it('gives byte-identical images for the same SOURCE_DATE_EPOCH', async () => {
    const paths = [join(work.dir, 'r1.iso'), join(work.dir, 'r2.iso')];
    for (const path of paths) {
      const run = await ostool(['image', '--kernel', kernel, '--iso', path, '--limine', limineDir], {
        SOURCE_DATE_EPOCH: '1700000000',
      });
      expect(run.exitCode).toBe(0);
    }
    const [a, b] = await Promise.all(paths.map((path) => readFile(path)));
    expect(Buffer.compare(a, b)).toBe(0);
  });

  for (const [what, args, message] of [
    [
      'a kernel that is not ELF',
      ['--kernel', join('KERNEL_DIR', 'mod.bin'), '--iso', 'OUT'],
      /kernel .*mod\.bin: not an ELF file \(bad magic or too short\)/,
    ],
    [
      'a missing kernel',
      ['--kernel', join('KERNEL_DIR', 'nope.elf'), '--iso', 'OUT'],
      /--kernel .*nope\.elf: no such file/,
    ],
    [
      'no output option',
      ['--kernel', 'KERNEL'],
      /nothing to write: give --iso OUT\.iso and\/or --hdd OUT\.img/,
    ],
    [
      'a bad --size',
      ['--kernel', 'KERNEL', '--hdd', 'OUT', '--size', '12Q', '--loader-efi', 'EFI'],
      /--size '12Q'/,
    ],
    [
      '--bootloader limine without Limine',
      ['--kernel', 'KERNEL', '--iso', 'OUT', '--bootloader', 'limine'],
      /no Limine found .*ostool limine fetch/,
    ],
    [
      'a bad --bootloader',
      ['--kernel', 'KERNEL', '--iso', 'OUT', '--bootloader', 'grub'],
      /--bootloader must be auto, limine or builtin/,
    ],
    [
      'an output in a missing directory',
      ['--kernel', 'KERNEL', '--iso', 'OUT/no/dir/x.iso', '--loader-efi', 'EFI'],
      /cannot write .*x\.iso: its directory does not exist/,
    ],
    [
      'a --size too small for the files',
      ['--kernel', 'KERNEL', '--hdd', 'OUT', '--size', '1M', '--loader-efi', 'EFI'],
      /too small/,
    ],
  ] as const) {
    it(`fails cleanly on ${what}: message, status 1, no output file, no stack trace`, async () => {
      const out = join(work.dir, `fail-${what.replace(/\W+/g, '-')}.img`);
      const resolved = args.map((arg) =>
        arg
          .replace('KERNEL_DIR', work.dir)
          .replace(/^KERNEL$/, kernel)
          .replace('OUT', out)
          .replace(/^EFI$/, efi),
      );
      const run = await ostool(['image', ...resolved]);
      expect(run.exitCode).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/^ostool: error: /m);
      expect(run.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('ostool limine', () => {
  it('path prints the directory LIMINE_DIR points at and which rule found it', async () => {
    const run = await ostool(['limine', 'path'], { LIMINE_DIR: limineDir });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(limineDir);
    expect(run.stderr).toContain('found via LIMINE_DIR');
  });

  it('path fails with advice when there is no Limine', async () => {
    const run = await ostool(['limine', 'path']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/ostool: error: no Limine found .*ostool limine fetch/);
  });

  it('fetch refuses to download without a checksum', async () => {
    const run = await ostool(['limine', 'fetch', '--url', 'http://127.0.0.1:9/limine.tar.gz']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/pass --sha256 HEX/);
  });
});

describe('ostool limine fetch (CLI, local HTTP server)', () => {
  it('downloads into $XDG_CACHE_HOME/ostool/limine/<version> and prints the directory', async () => {
    const archive = await tarball(
      ['limine-bios.sys', 'BOOTX64.EFI'].map((name) => ({
        name: `limine-1.2.3/${name}`,
        data: new TextEncoder().encode(name),
      })),
    );
    const server = http.createServer((_, response) => response.end(archive));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const cache = join(work.dir, 'fetch-cache');
      const sum = createHash('sha256').update(archive).digest('hex');
      const run = await ostool(
        ['limine', 'fetch', '--version', '1.2.3', '--url', `http://127.0.0.1:${port}/l.tgz`, '--sha256', sum],
        { XDG_CACHE_HOME: cache },
      );
      expect(run.stderr).not.toContain('error');
      expect(run.exitCode).toBe(0);
      expect(run.stdout.trim()).toBe(join(cache, 'ostool', 'limine', '1.2.3'));
      expect(await readFile(join(run.stdout.trim(), 'BOOTX64.EFI'), 'utf8')).toBe('BOOTX64.EFI');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
