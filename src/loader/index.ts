/**
 * The built-in loader: builds BOOTX64.EFI from `src/loader/*.asm` (a Limine-protocol UEFI
 * loader written in NASM syntax, see STATUS.md) and caches it by the sources' content hash.
 *
 * Toolchain: ostool's own assembler (`-f elf64`) and linker (`--oformat efi-app-x86_64`), through
 * the build driver's typed seam (src/build/toolchain.ts). nasm + GNU ld are test oracles only.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCacheFile, writeCacheFile } from '../cache-file.js';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { version } from '../version.js';

/** The file every other source is `%include`d from. */
export const LOADER_MAIN_SOURCE = 'main.asm';
/** The UEFI entry point symbol in main.asm. */
export const LOADER_ENTRY_SYMBOL = 'efi_main';
/** What the Bootloader Info response says: ostool's own version (`-DLOADER_VERSION`). */
export const LOADER_VERSION = version;

/** Kept in the result for callers that report it: always ostool's own assembler and linker. */
export type LoaderToolchain = 'ostool';

export interface BuildLoaderOptions {
  /** Where built loaders are kept; default `$XDG_CACHE_HOME/ostool/loader` (or `~/.cache/...`). */
  cacheDir?: string;
  /** Build even when a cached copy exists (the cache is still refreshed). */
  rebuild?: boolean;
}

export interface LoaderBuild {
  efi: Uint8Array;
  toolchain: LoaderToolchain;
  fromCache: boolean;
  /** SHA-256 of the loader sources (names and contents): the cache key, with the toolchain's fingerprint. */
  sourceHash: string;
  /** Where the bytes are cached. */
  cacheFile: string;
}

/** The built-in loader's BOOTX64.EFI bytes. */
export async function buildLoader(options: BuildLoaderOptions = {}): Promise<Uint8Array> {
  return (await buildLoaderDetailed(options)).efi;
}

/** Like `buildLoader`, and says whether it came from the cache. */
export async function buildLoaderDetailed(options: BuildLoaderOptions = {}): Promise<LoaderBuild> {
  const sources = await readLoaderSources();
  const sourceHash = hashSources(sources);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const cacheFile = join(cacheDir, `${sourceHash}-ostool-${await toolchainFingerprint()}.efi-cache`);
  const cached = options.rebuild ? undefined : readCacheFile(cacheFile);
  if (cached) return { efi: cached, toolchain: 'ostool', fromCache: true, sourceHash, cacheFile };
  let efi: Uint8Array;
  try {
    efi = await buildWithOstool(sources);
  } catch (error) {
    throw new UserError(
      `cannot build the built-in loader: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // the cache is best effort (a read-only home must not stop the build)
  try {
    writeCacheFile(cacheFile, efi);
    await pruneCache(cacheDir);
  } catch {
    // a read-only cache only costs a rebuild next time
  }
  return { efi, toolchain: 'ostool', fromCache: false, sourceHash, cacheFile };
}

/** The loader's source files by name (`main.asm`, `defs.asm`, ...). */
export interface LoaderSources {
  dir: string;
  files: Map<string, Uint8Array>;
}

/** Where the `.asm` files are: next to this module in `src/`, else the package's `src/loader`. */
export function loaderSourceDir(): string {
  const candidates = [fileURLToPath(new URL('.', import.meta.url)), join(PACKAGE_ROOT, 'src', 'loader')];
  const found = candidates.find((dir) => existsSync(join(dir, LOADER_MAIN_SOURCE)));
  if (!found) throw new UserError(`built-in loader sources not found (looked in ${candidates.join(', ')})`);
  return found;
}

export async function readLoaderSources(dir = loaderSourceDir()): Promise<LoaderSources> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.asm')).sort();
  const files = new Map<string, Uint8Array>();
  for (const name of names) files.set(name, new Uint8Array(await readFile(join(dir, name))));
  return { dir, files };
}

/** Content hash of the sources: file names and bytes, in name order (and the version they are built with). */
export function hashSources(sources: LoaderSources): string {
  const hash = createHash('sha256');
  hash.update(`LOADER_VERSION=${LOADER_VERSION}\0`);
  for (const [name, data] of sources.files) {
    hash.update(`${name}\0${data.length}\0`);
    hash.update(data);
  }
  return hash.digest('hex');
}

/**
 * Part of the cache key: a changed assembler or linker must not keep serving a loader it built
 * before: a hash of its assembler, linker and ELF code as loaded (.ts in src, .js in dist, or the
 * whole bundle when this module is part of dist/bundle).
 */
async function toolchainFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const here = fileURLToPath(new URL('.', import.meta.url));
  const bundled = basename(here) === 'bundle';
  for (const stage of bundled ? ['./'] : ['../assembler/', '../linker/', '../elf/']) {
    const dir = fileURLToPath(new URL(stage, import.meta.url));
    if (!existsSync(dir)) continue;
    const names = (await readdir(dir, { recursive: true })).filter((name) => /\.(ts|js)$/.test(name)).sort();
    for (const name of names) {
      hash.update(`${stage}${name}\0`);
      hash.update(await readFile(join(dir, name)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ostool', 'loader');
}

/** How many built loaders the cache keeps (each source or toolchain change adds one). */
const CACHE_KEEP = 8;

/** Deletes all but the newest CACHE_KEEP loaders. */
async function pruneCache(cacheDir: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(cacheDir))
      .filter((name) => name.endsWith('.efi-cache'))
      .map(async (name) => ({
        path: join(cacheDir, name),
        mtime: (await stat(join(cacheDir, name))).mtimeMs,
      })),
  );
  entries.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(entries.slice(CACHE_KEEP).map((entry) => rm(entry.path, { force: true })));
}

// ---------------------------------------------------------------- ostool's own toolchain

async function buildWithOstool(sources: LoaderSources): Promise<Uint8Array> {
  // Loaded only when the cache misses: a cached loader must not pay for loading the assembler and linker.
  const { assembleObject, linkExecutable } = await import('../build/toolchain.js');
  const main = sources.files.get(LOADER_MAIN_SOURCE);
  if (!main) throw new Error(`${LOADER_MAIN_SOURCE} missing`);
  // Every source sits in one directory: an include resolves to the file of that name there.
  const readSource = (path: string) => sources.files.get(path.split('/').pop() ?? path);
  const { object } = assembleObject({
    source: new TextDecoder().decode(main),
    fileName: LOADER_MAIN_SOURCE,
    readFile: readSource,
    includePaths: [sources.dir],
    defines: { LOADER_VERSION: JSON.stringify(LOADER_VERSION) },
  });
  return linkExecutable({
    inputs: [{ name: 'loader.o', data: object }],
    entry: LOADER_ENTRY_SYMBOL,
    oformat: 'efi-app-x86_64',
  }).output;
}
