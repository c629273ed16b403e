/**
 * The built-in loader: builds BOOTX64.EFI from `src/loader/*.asm` (a Limine-protocol UEFI
 * loader written in NASM syntax, see STATUS.md) and caches it by the sources' content hash.
 *
 * Toolchain: ostool's own assembler (`-f elf64`) and linker (`--oformat efi-app-x86_64`).
 * TEMPORARY FALLBACK: while those cannot build it yet, nasm + GNU ld (`ld -m i386pep
 * --subsystem 10`) are used instead; `buildLoaderDetailed()` says which one produced the bytes
 * and why ostool's was not used. Remove the fallback once ostool asm/link build the loader.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { version } from '../cli/version.js';
import { readCacheFile, writeCacheFile } from '../cache-file.js';
import { UserError } from '../errors.js';

/** The file every other source is `%include`d from. */
export const LOADER_MAIN_SOURCE = 'main.asm';
/** The UEFI entry point symbol in main.asm. */
export const LOADER_ENTRY_SYMBOL = 'efi_main';
/** What the Bootloader Info response says: ostool's own version (`-DLOADER_VERSION`). */
export const LOADER_VERSION = version;

export type LoaderToolchain = 'ostool' | 'nasm+ld';

export interface BuildLoaderOptions {
  /** Which toolchain to use; `auto` (default) prefers ostool and falls back to nasm + GNU ld. */
  toolchain?: 'auto' | LoaderToolchain;
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
  /** Why ostool's own toolchain was not used, when the fallback built it. */
  ostoolFailure?: string;
}

/** The built-in loader's BOOTX64.EFI bytes. */
export async function buildLoader(options: BuildLoaderOptions = {}): Promise<Uint8Array> {
  return (await buildLoaderDetailed(options)).efi;
}

/** Like `buildLoader`, and says which toolchain built it and whether it came from the cache. */
export async function buildLoaderDetailed(options: BuildLoaderOptions = {}): Promise<LoaderBuild> {
  const sources = await readLoaderSources();
  const sourceHash = hashSources(sources);
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const wanted = options.toolchain ?? 'auto';
  const order: LoaderToolchain[] = wanted === 'auto' ? ['ostool', 'nasm+ld'] : [wanted];

  let ostoolFailure: string | undefined;
  for (const toolchain of order) {
    const cached = join(
      cacheDir,
      `${sourceHash}-${toolchain}-${await toolchainFingerprint(toolchain)}.efi-cache`,
    );
    const fromCache = options.rebuild ? undefined : readCacheFile(cached);
    if (fromCache) {
      return {
        efi: fromCache,
        toolchain,
        fromCache: true,
        sourceHash,
        cacheFile: cached,
        ostoolFailure,
      };
    }
    try {
      const efi = toolchain === 'ostool' ? await buildWithOstool(sources) : await buildWithNasmAndLd(sources);
      // the cache is best effort (a read-only home must not stop the build)
      try {
        writeCacheFile(cached, efi);
        await pruneCache(cacheDir);
      } catch {
        // a read-only cache only costs a rebuild next time
      }
      return { efi, toolchain, fromCache: false, sourceHash, cacheFile: cached, ostoolFailure };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (toolchain === 'ostool') ostoolFailure = reason;
      if (toolchain === order[order.length - 1]) {
        const before = ostoolFailure && toolchain !== 'ostool' ? `ostool toolchain: ${ostoolFailure}; ` : '';
        throw new UserError(`cannot build the built-in loader: ${before}${toolchain}: ${reason}`);
      }
    }
  }
  throw new UserError('cannot build the built-in loader: no toolchain selected');
}

/** The loader's source files by name (`main.asm`, `defs.asm`, ...). */
export interface LoaderSources {
  dir: string;
  files: Map<string, Uint8Array>;
}

/** Where the `.asm` files are: next to this module in `src/`, or `src/loader` from `dist/loader`. */
export function loaderSourceDir(): string {
  const candidates = [
    fileURLToPath(new URL('.', import.meta.url)),
    fileURLToPath(new URL('../../src/loader/', import.meta.url)),
  ];
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
 * Part of the cache key: a changed assembler or linker must not keep serving a loader it
 * built before. For ostool, a hash of its assembler, linker and ELF code (as loaded: .ts in
 * src, .js in dist); for the fallback, the tools' version lines.
 */
async function toolchainFingerprint(toolchain: LoaderToolchain): Promise<string> {
  const hash = createHash('sha256');
  if (toolchain === 'ostool') {
    for (const stage of ['../assembler/', '../linker/', '../elf/']) {
      const dir = fileURLToPath(new URL(stage, import.meta.url));
      if (!existsSync(dir)) continue;
      const names = (await readdir(dir, { recursive: true }))
        .filter((name) => /\.(ts|js)$/.test(name))
        .sort();
      for (const name of names) {
        hash.update(`${stage}${name}\0`);
        hash.update(await readFile(join(dir, name)));
      }
    }
  } else {
    for (const [tool, flag] of [
      ['nasm', '-v'],
      ['ld', '-v'],
    ]) {
      const result = await execa(tool, [flag], { reject: false, stdin: 'ignore' });
      hash.update(`${tool}\0${result.stdout ?? ''}\0`);
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

interface OstoolDiagnostic {
  severity: string;
  message: string;
  location?: { file: string; line: number; column: number };
}
interface OstoolAssembler {
  assemble(options: {
    source: string;
    fileName: string;
    format?: 'elf64';
    readFile?: (path: string) => Uint8Array | undefined;
    includePaths?: string[];
    defines?: Record<string, string>;
  }):
    | { output?: Uint8Array; diagnostics: OstoolDiagnostic[] }
    | Promise<{ output?: Uint8Array; diagnostics: OstoolDiagnostic[] }>;
}
interface OstoolLinker {
  link(options: {
    inputs: Array<{ name: string; data: Uint8Array }>;
    entry?: string;
    oformat?: 'efi-app-x86_64';
  }): { output: Uint8Array } | Promise<{ output: Uint8Array }>;
}

/** Loaded by computed specifier: the assembler and linker are optional until they land. */
async function importStage<T>(relative: string): Promise<T> {
  const specifier = relative;
  return (await import(specifier)) as T;
}

async function buildWithOstool(sources: LoaderSources): Promise<Uint8Array> {
  const assembler = await importStage<OstoolAssembler>('../assembler/index.js');
  const linker = await importStage<OstoolLinker>('../linker/index.js');
  if (typeof assembler.assemble !== 'function') throw new Error('src/assembler has no assemble()');
  if (typeof linker.link !== 'function') throw new Error('src/linker has no link()');
  const main = sources.files.get(LOADER_MAIN_SOURCE);
  if (!main) throw new Error(`${LOADER_MAIN_SOURCE} missing`);
  const readSource = (path: string) => sources.files.get(path.split('/').pop() ?? path);
  const assembled = await assembler.assemble({
    source: new TextDecoder().decode(main),
    fileName: LOADER_MAIN_SOURCE,
    format: 'elf64',
    readFile: readSource,
    includePaths: [sources.dir],
    defines: { LOADER_VERSION: JSON.stringify(LOADER_VERSION) },
  });
  const errors = assembled.diagnostics.filter((d) => d.severity === 'error');
  if (!assembled.output || errors.length > 0) {
    const first = errors[0];
    const where = first?.location
      ? `${first.location.file}:${first.location.line}:${first.location.column}: `
      : '';
    throw new Error(
      `ostool asm: ${where}${first?.message ?? 'no output'}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`,
    );
  }
  const linked = await linker.link({
    inputs: [{ name: 'loader.o', data: assembled.output }],
    entry: LOADER_ENTRY_SYMBOL,
    oformat: 'efi-app-x86_64',
  });
  return linked.output;
}

// ---------------------------------------------------------------- TEMPORARY: nasm + GNU ld

async function buildWithNasmAndLd(sources: LoaderSources): Promise<Uint8Array> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-loader-'));
  try {
    const object = join(work, 'loader.o');
    const efi = join(work, 'BOOTX64.EFI');
    await runTool('nasm', [
      '-f',
      'elf64',
      `-DLOADER_VERSION=${JSON.stringify(LOADER_VERSION)}`,
      '-I',
      sources.dir.endsWith('/') ? sources.dir : `${sources.dir}/`,
      '-o',
      object,
      join(sources.dir, LOADER_MAIN_SOURCE),
    ]);
    await runTool('ld', ['-m', 'i386pep', '--subsystem', '10', '-e', LOADER_ENTRY_SYMBOL, '-o', efi, object]);
    return new Uint8Array(await readFile(efi));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function runTool(tool: string, args: string[]): Promise<void> {
  const result = await execa(tool, args, { reject: false, stdin: 'ignore', all: true });
  if (result.failed) {
    const output =
      (result.all ?? '').trim() || (result.code === 'ENOENT' ? 'not installed' : `exit ${result.exitCode}`);
    throw new Error(`${tool} failed: ${output}`);
  }
}
