/** Building the loader: a position-independent PE32+ EFI application, cached by source hash. */
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCacheFile } from '../../src/cache-file.js';
import { assemble } from '../../src/assembler/index.js';
import {
  DIRECT_LOADER_MAIN_SOURCE,
  DIRECT_LOADER_SCRIPT,
  LOADER_MAIN_SOURCE,
  LOADER_VERSION,
  buildDirectLoader,
  buildLoaderDetailed,
  hashSources,
  loaderSourceDir,
  readLoaderSources,
} from '../../src/loader/index.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-build-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('buildLoader', () => {
  test('produces a PE32+ EFI application (subsystem 10) that the firmware may load at any address', async () => {
    const { efi } = await buildLoaderDetailed({ cacheDir: join(work, 'cache-pe') });
    const file = join(work, 'BOOTX64.EFI');
    await writeFile(file, efi);
    const { stdout } = await execa('objdump', ['-p', file]);
    expect(stdout).toContain('file format pei-x86-64');
    expect(stdout).toMatch(/Subsystem\s+0000000a\s+\(EFI application\)/);
    const characteristics = Number.parseInt(/Characteristics 0x([0-9a-f]+)/.exec(stdout)![1], 16);
    expect(characteristics & 0x0001).toBe(0); // IMAGE_FILE_RELOCS_STRIPPED would forbid relocation
    expect(stdout).toMatch(/Magic\s+020b/); // PE32+
  });

  test('has only PC-relative relocations, so the image needs no .reloc fix-ups', async () => {
    const dir = loaderSourceDir();
    const object = join(work, 'loader.o');
    await execa('nasm', ['-f', 'elf64', '-I', `${dir}/`, '-o', object, join(dir, LOADER_MAIN_SOURCE)]);
    const { stdout } = await execa('readelf', ['-rW', object]);
    const types = [...stdout.matchAll(/\b(R_X86_64_\w+)/g)].map((m) => m[1]);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['R_X86_64_PC32']));
  });

  test('ostool asm assembles the loader to the same sections and relocations as nasm', async () => {
    const sources = await readLoaderSources();
    const result = await assemble({
      source: new TextDecoder().decode(sources.files.get(LOADER_MAIN_SOURCE)!),
      fileName: LOADER_MAIN_SOURCE,
      format: 'elf64',
      includePaths: [sources.dir],
      readFile: (path: string) => sources.files.get(path.split('/').pop()!),
      defines: { LOADER_VERSION: '"9.9.9"' },
    });
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ours = join(work, 'ostool.o');
    const theirs = join(work, 'nasm.o');
    await writeFile(ours, result.output!);
    await execa('nasm', [
      '-f',
      'elf64',
      '-DLOADER_VERSION="9.9.9"',
      '-I',
      `${sources.dir}/`,
      '-o',
      theirs,
      join(sources.dir, LOADER_MAIN_SOURCE),
    ]);
    for (const section of ['.text', '.data']) {
      const bytes = async (object: string) => {
        const out = join(work, `${section}.${object.endsWith('nasm.o') ? 'nasm' : 'ostool'}.bin`);
        await execa('objcopy', ['-O', 'binary', '-j', section, object, out]);
        return readFile(out);
      };
      expect(Buffer.compare(await bytes(ours), await bytes(theirs)), section).toBe(0);
    }
    const relocations = async (object: string) =>
      (await execa('readelf', ['-rW', object])).stdout.split('\n').filter((line) => /R_X86_64/.test(line));
    expect(await relocations(ours)).toEqual(await relocations(theirs));
  });

  test("it is assembled and linked by ostool's own toolchain, with no nasm or ld on PATH", async () => {
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      const build = await buildLoaderDetailed({ cacheDir: join(work, 'cache-default'), rebuild: true });
      expect(build.toolchain).toBe('ostool');
      expect(Buffer.from(build.efi.subarray(0, 2)).toString('latin1')).toBe('MZ');
    } finally {
      process.env.PATH = path;
    }
  });

  test('a second build comes from the cache with the same bytes', async () => {
    const cacheDir = join(work, 'cache-reuse');
    const first = await buildLoaderDetailed({ cacheDir });
    const second = await buildLoaderDetailed({ cacheDir });
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(second.toolchain).toBe(first.toolchain);
    expect(Buffer.from(second.efi).equals(Buffer.from(first.efi))).toBe(true);
    expect(second.cacheFile).toBe(first.cacheFile);
    expect(first.cacheFile.startsWith(join(cacheDir, first.sourceHash))).toBe(true);
    expect(Buffer.from(readCacheFile(first.cacheFile)!).equals(Buffer.from(first.efi))).toBe(true);
  });

  test('a truncated or corrupted cached loader is noticed, thrown away and rebuilt', async () => {
    const cacheDir = join(work, 'cache-corrupt');
    const first = await buildLoaderDetailed({ cacheDir });
    const whole = await readFile(first.cacheFile);
    const damaged = [whole.subarray(0, whole.length >> 1), Buffer.from(whole)];
    damaged[1]![whole.length - 100] ^= 0x40;
    for (const bytes of damaged) {
      await writeFile(first.cacheFile, bytes);
      const again = await buildLoaderDetailed({ cacheDir });
      expect(again.fromCache).toBe(false);
      expect(Buffer.from(again.efi).equals(Buffer.from(first.efi))).toBe(true);
      expect((await buildLoaderDetailed({ cacheDir })).fromCache).toBe(true);
    }
  });

  test('two builds at once into one cache both succeed and leave one intact cache file', async () => {
    const cacheDir = join(work, 'cache-parallel');
    const [a, b] = await Promise.all([buildLoaderDetailed({ cacheDir }), buildLoaderDetailed({ cacheDir })]);
    expect(Buffer.from(a.efi).equals(Buffer.from(b.efi))).toBe(true);
    expect((await readdir(cacheDir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(Buffer.from(readCacheFile(a.cacheFile)!).equals(Buffer.from(a.efi))).toBe(true);
  });

  test('the cache keeps only the newest few loaders', async () => {
    const cacheDir = join(work, 'cache-prune');
    await mkdir(cacheDir, { recursive: true });
    for (let i = 0; i < 12; i++) {
      const stale = join(cacheDir, `stale-${i}.efi-cache`);
      await writeFile(stale, 'old');
      await utimes(stale, new Date(1000 * i), new Date(1000 * i));
    }
    const build = await buildLoaderDetailed({ cacheDir, rebuild: true });
    const left = (await readdir(cacheDir)).filter((name) => name.endsWith('.efi-cache'));
    expect(left.length).toBe(8);
    expect(left).toContain(basename(build.cacheFile));
    expect(left).not.toContain('stale-0.efi-cache');
  });

  test('the cache key changes when any source byte or file name changes', async () => {
    const sources = await readLoaderSources();
    const original = hashSources(sources);
    const edited = new Map(sources.files);
    const main = new Uint8Array(edited.get(LOADER_MAIN_SOURCE)!);
    main[main.length - 1] ^= 1;
    edited.set(LOADER_MAIN_SOURCE, main);
    expect(hashSources({ dir: sources.dir, files: edited })).not.toBe(original);
    const renamed = new Map(
      [...sources.files].map(([name, data]) => [name === 'defs.asm' ? 'defs2.asm' : name, data]),
    );
    expect(hashSources({ dir: sources.dir, files: renamed })).not.toBe(original);
    expect(hashSources(await readLoaderSources())).toBe(original);
  });
});

describe('buildDirectLoader', () => {
  test('an ELF with the Xen PVH entry note in a PT_NOTE, loaded as nasm + GNU ld load it', async () => {
    const { elf, fromCache } = await buildDirectLoader({ cacheDir: join(work, 'cache-direct') });
    expect(fromCache).toBe(false);
    const ours = join(work, 'direct-ostool.elf');
    await writeFile(ours, elf);
    const notes = (await execa('readelf', ['-nW', ours])).stdout;
    expect(notes).toMatch(/Xen\s+0x00000004\s+Unknown note type: \(0x00000012\)/); // XEN_ELFNOTE_PHYS32_ENTRY
    const dir = loaderSourceDir();
    const object = join(work, 'direct-nasm.o');
    const theirs = join(work, 'direct-ld.elf');
    const script = join(work, 'direct.ld');
    await writeFile(script, DIRECT_LOADER_SCRIPT);
    await execa('nasm', [
      '-f',
      'elf64',
      `-DLOADER_VERSION=${JSON.stringify(LOADER_VERSION)}`,
      '-I',
      `${dir}/`,
      '-o',
      object,
      join(dir, DIRECT_LOADER_MAIN_SOURCE),
    ]);
    await execa('ld', ['-z', 'max-page-size=0x1000', '-T', script, '-o', theirs, object]);
    const segments = async (file: string) =>
      (await execa('readelf', ['-lW', file])).stdout
        .split('\n')
        .filter((line) => /^\s+(LOAD|NOTE)\s/.test(line));
    expect(await segments(ours)).toEqual(await segments(theirs));
    const image = async (file: string) => {
      await execa('objcopy', ['-O', 'binary', file, `${file}.bin`]);
      return readFile(`${file}.bin`);
    };
    expect(Buffer.compare(await image(ours), await image(theirs)), 'loaded bytes').toBe(0);
    const again = await buildDirectLoader({ cacheDir: join(work, 'cache-direct') });
    expect(again.fromCache).toBe(true);
    expect(Buffer.compare(Buffer.from(again.elf), Buffer.from(elf))).toBe(0);
  });
});
