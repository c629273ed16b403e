/**
 * The built-in loaders, from `src/loader/*.asm` (the Limine protocol written in NASM syntax, see
 * STATUS.md), each cached by the sources' content hash:
 *  - BOOTX64.EFI (main.asm), a UEFI application;
 *  - the direct loader (pvh-main.asm), an ELF QEMU starts with `-kernel` through its PVH entry note,
 *    reading limine.conf, the kernel and modules from fw_cfg files (`opt/ostool/<path>`).
 *
 * Toolchain: ostool's own assembler (`-f elf64`) and linker (`--oformat efi-app-x86_64`), through
 * the build driver's typed seam (src/build/toolchain.ts). nasm + GNU ld are test oracles only.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCacheFile, writeCacheFile } from '../cache-file.js';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { version } from '../version.js';

/** The file every other source is `%include`d from. */
export const LOADER_MAIN_SOURCE = 'main.asm';
/** The UEFI entry point symbol in main.asm. */
export const LOADER_ENTRY_SYMBOL = 'efi_main';
/** The direct (PVH) loader's top file, its entry symbol, and where its fw_cfg files are named. */
export const DIRECT_LOADER_MAIN_SOURCE = 'pvh-main.asm';
export const DIRECT_LOADER_ENTRY_SYMBOL = 'pvh_start';
/** A file at path `/boot/kernel` of limine.conf is the fw_cfg file `opt/ostool/boot/kernel`. */
export const DIRECT_FW_CFG_PREFIX = 'opt/ostool';
/** fw_cfg names are at most 55 characters (56 with the terminating zero). */
export const FW_CFG_NAME_MAX = 55;
/**
 * The direct loader's layout: linked at 1 MiB (free RAM on every PC QEMU emulates), one RWX PT_LOAD (QEMU
 * loads by physical address), and a PT_NOTE holding the Xen PVH entry note QEMU looks for.
 */
export const DIRECT_LOADER_SCRIPT = `ENTRY(${DIRECT_LOADER_ENTRY_SYMBOL})
PHDRS { image PT_LOAD FLAGS(7); note PT_NOTE; }
SECTIONS {
  . = 0x100000;
  __loader_start = .;
  .note.Xen : { *(.note.Xen) } :image :note
  .text : { *(.text) } :image
  .data : { *(.data) }
  .bss : { *(.bss) }
  . = ALIGN(4096);
  __loader_end = .;
}
`;
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
  const { bytes, ...build } = await buildCached(UEFI_LOADER, options);
  return { efi: bytes, toolchain: 'ostool', ...build };
}

export interface DirectLoaderBuild {
  /** The ELF for QEMU's `-kernel`. */
  elf: Uint8Array;
  fromCache: boolean;
  sourceHash: string;
  cacheFile: string;
}

/** The direct (PVH) loader's ELF, cached like BOOTX64.EFI. */
export async function buildDirectLoader(options: BuildLoaderOptions = {}): Promise<DirectLoaderBuild> {
  const { bytes, ...build } = await buildCached(DIRECT_LOADER, options);
  return { elf: bytes, ...build };
}

/** How one of the loaders is made from the sources, and the suffix of its cache files. */
interface LoaderKind {
  main: string;
  entry: string;
  link: { oformat: 'efi-app-x86_64' } | { script: string };
  cacheSuffix: string;
}

const UEFI_LOADER: LoaderKind = {
  main: LOADER_MAIN_SOURCE,
  entry: LOADER_ENTRY_SYMBOL,
  link: { oformat: 'efi-app-x86_64' },
  cacheSuffix: '.efi-cache',
};

const DIRECT_LOADER: LoaderKind = {
  main: DIRECT_LOADER_MAIN_SOURCE,
  entry: DIRECT_LOADER_ENTRY_SYMBOL,
  link: { script: DIRECT_LOADER_SCRIPT },
  cacheSuffix: '.pvh-cache',
};

async function buildCached(
  kind: LoaderKind,
  options: BuildLoaderOptions,
): Promise<{ bytes: Uint8Array; fromCache: boolean; sourceHash: string; cacheFile: string }> {
  const sources = await readLoaderSources();
  const sourceHash = hashSources(sources);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  // the link options (the direct loader's script) are part of the key too
  const linkHash = createHash('sha256').update(JSON.stringify(kind.link)).digest('hex').slice(0, 8);
  const cacheFile = join(
    cacheDir,
    `${sourceHash}-ostool-${await toolchainFingerprint()}-${linkHash}${kind.cacheSuffix}`,
  );
  const cached = options.rebuild ? undefined : readCacheFile(cacheFile);
  if (cached) return { bytes: cached, fromCache: true, sourceHash, cacheFile };
  let bytes: Uint8Array;
  try {
    bytes = await buildWithOstool(sources, kind);
  } catch (error) {
    throw new UserError(
      `cannot build the built-in loader: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // the cache is best effort (a read-only home must not stop the build)
  try {
    writeCacheFile(cacheFile, bytes);
    await pruneCache(cacheDir, kind.cacheSuffix);
  } catch {
    // a read-only cache only costs a rebuild next time
  }
  return { bytes, fromCache: false, sourceHash, cacheFile };
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
  // synchronous reads: a few dozen small files, read on every (cached) build; awaiting each costs more
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.asm'))
    .sort();
  const files = new Map<string, Uint8Array>();
  for (const name of names) files.set(name, new Uint8Array(readFileSync(join(dir, name))));
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
 * before: a hash of its assembler, linker and ELF code as loaded (.ts in src, .js in dist), or in the
 * bundle (dist/bundle/ostool.cjs) the hash of the whole bundle that its first line carries.
 */
async function toolchainFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  const module = fileURLToPath(import.meta.url);
  if (module.endsWith('.cjs')) {
    const head = Buffer.alloc(64);
    const fd = openSync(module, 'r');
    const length = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const firstLine = head.toString('latin1', 0, length).split('\n')[0]!;
    if (firstLine.startsWith('// ostool-bundle ')) return firstLine.slice('// ostool-bundle '.length);
  }
  for (const stage of ['../assembler/', '../linker/', '../elf/']) {
    const dir = fileURLToPath(new URL(stage, import.meta.url));
    if (!existsSync(dir)) continue;
    const names = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((name) => /\.(ts|js)$/.test(name))
      .sort();
    for (const name of names) {
      hash.update(`${stage}${name}\0`);
      hash.update(readFileSync(join(dir, name)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ostool', 'loader');
}

/** How many built loaders of each kind the cache keeps (each source or toolchain change adds one). */
const CACHE_KEEP = 8;

/** Deletes all but the newest CACHE_KEEP loaders of one kind. */
async function pruneCache(cacheDir: string, suffix: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(cacheDir))
      .filter((name) => name.endsWith(suffix))
      .map(async (name) => ({
        path: join(cacheDir, name),
        mtime: (await stat(join(cacheDir, name))).mtimeMs,
      })),
  );
  entries.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(entries.slice(CACHE_KEEP).map((entry) => rm(entry.path, { force: true })));
}

// ---------------------------------------------------------------- ostool's own toolchain

async function buildWithOstool(sources: LoaderSources, kind: LoaderKind): Promise<Uint8Array> {
  // Loaded only when the cache misses: a cached loader must not pay for loading the assembler and linker.
  const { assembleObject, linkExecutable } = await import('../build/toolchain.js');
  const main = sources.files.get(kind.main);
  if (!main) throw new Error(`${kind.main} missing`);
  // Every source sits in one directory: an include resolves to the file of that name there.
  const readSource = (path: string) => sources.files.get(path.split('/').pop() ?? path);
  const { object } = assembleObject({
    source: new TextDecoder().decode(main),
    fileName: kind.main,
    readFile: readSource,
    includePaths: [sources.dir],
    defines: { LOADER_VERSION: JSON.stringify(LOADER_VERSION) },
  });
  return linkExecutable({
    inputs: [{ name: 'loader.o', data: object }],
    entry: kind.entry,
    ...kind.link,
  }).output;
}
