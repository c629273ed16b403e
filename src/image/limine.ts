/**
 * Finding a Limine binary release on this machine, reading its stage files, and fetching one into
 * ostool's cache (checksum-verified, extracted atomically, never half there).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readCacheFile, writeCacheFile } from '../cache-file.js';
import { UserError } from '../errors.js';
import { parseBiosHddHeader } from './bios-install.js';
import type { LimineFiles, LimineVersion } from './types.js';

/** The Limine release `ostool limine fetch` downloads by default. */
export const LIMINE_VERSION = '8.7.0';

interface PinnedRelease {
  url: string;
  /**
   * SHA-256 of the archive at `url`. Only checksums verified by hand are pinned here; a release
   * without one can be fetched only with `--sha256`.
   */
  sha256?: string;
}

/**
 * Where a binary release of `version` is published. Up to 11.x Limine kept binaries on a
 * `vN.x-binary` branch, tagged `v<version>-binary` (GitHub serves that tag as a tarball whose top
 * directory is `limine-<version>-binary/`). From 12.0.0 binaries are release assets instead, named
 * `limine-binary.tar.gz` (no version suffix) from 12.0.2 on; 12.0.0 and 12.0.1 had suffixed names
 * and need `--url`. Every layout unpacks to the same files (`limine-bios.sys`, `limine-bios-cd.bin`,
 * `limine-uefi-cd.bin`, `limine-bios-hdd.h`, `BOOT*.EFI`) under one top directory, which is stripped.
 */
export function limineReleaseUrl(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return undefined;
  const [major, minor, patch] = match.slice(1).map(Number);
  if (major < 12)
    return `https://github.com/limine-bootloader/limine/archive/refs/tags/v${version}-binary.tar.gz`;
  if (major === 12 && minor === 0 && patch < 2) return undefined;
  return `https://github.com/Limine-Bootloader/Limine/releases/download/v${version}/limine-binary.tar.gz`;
}

/**
 * The releases `ostool limine fetch` offers by name: the default and the newest of each later major
 * series (from Limine's ChangeLog). No SHA-256 is pinned for any of them yet: they could not be
 * downloaded where ostool is developed, so `--sha256` is required (the sums are in each release's
 * published checksums).
 */
const OFFERED_VERSIONS = ['8.7.0', '9.6.7', '10.8.5', '11.4.1', '12.5.1'];

export const PINNED_RELEASES: Record<string, PinnedRelease> = Object.fromEntries(
  OFFERED_VERSIONS.map((version) => [version, { url: limineReleaseUrl(version)! }]),
);

const REQUIRED_FILES = [
  'limine-bios.sys',
  'limine-bios-cd.bin',
  'limine-uefi-cd.bin',
  'limine-bios-hdd.h',
  'BOOTX64.EFI',
] as const;

export function limineCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'ostool', 'limine');
}

export interface LimineLocation {
  dir: string;
  /** Which rule found it: `--limine`, `LIMINE_DIR`, `cache`, or the system directory. */
  source: string;
}

async function isLimineDir(dir: string): Promise<boolean> {
  try {
    return (
      (await stat(join(dir, 'BOOTX64.EFI'))).isFile() && (await stat(join(dir, 'limine-bios.sys'))).isFile()
    );
  } catch {
    return false;
  }
}

/**
 * Looks for Limine in order: `--limine`, `LIMINE_DIR`, the ostool cache for `version`,
 * /usr/share/limine, /usr/local/share/limine. An explicit `--limine` or `LIMINE_DIR` that is not a
 * Limine directory is an error, not a reason to look further.
 */
export async function findLimine(
  options: { explicit?: string; env?: NodeJS.ProcessEnv; version?: string; systemDirs?: string[] } = {},
): Promise<LimineLocation | undefined> {
  const env = options.env ?? process.env;
  if (options.explicit) {
    const dir = await limineDirFrom(options.explicit, env);
    return { dir, source: '--limine' };
  }
  if (env.LIMINE_DIR) {
    if (!(await isLimineDir(env.LIMINE_DIR)))
      throw new UserError(
        `LIMINE_DIR=${env.LIMINE_DIR} holds no Limine release (no BOOTX64.EFI and limine-bios.sys)`,
      );
    return { dir: resolve(env.LIMINE_DIR), source: 'LIMINE_DIR' };
  }
  const cached = join(limineCacheRoot(env), options.version ?? LIMINE_VERSION);
  if (await isIntactCacheEntry(cached)) return { dir: cached, source: 'cache' };
  for (const dir of options.systemDirs ?? ['/usr/share/limine', '/usr/local/share/limine']) {
    if (await isLimineDir(dir)) return { dir, source: dir };
  }
  return undefined;
}

/** `--limine` takes a directory or a release tarball (extracted once into the cache, by checksum). */
async function limineDirFrom(path: string, env: NodeJS.ProcessEnv): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UserError(`--limine ${path}: no such file or directory`);
  }
  if (info.isDirectory()) {
    if (!(await isLimineDir(path)))
      throw new UserError(
        `--limine ${path}: not a Limine release directory (no BOOTX64.EFI and limine-bios.sys)`,
      );
    return resolve(path);
  }
  const digest = await sha256File(path);
  const target = join(limineCacheRoot(env), `tarball-${digest.slice(0, 16)}`);
  if (!(await isIntactCacheEntry(target))) await extractArchiveAtomically(path, target);
  if (!(await isLimineDir(target)))
    throw new UserError(
      `--limine ${path}: the archive holds no Limine release (no BOOTX64.EFI and limine-bios.sys)`,
    );
  return target;
}

/** Reads the stage files of the release in `dir`. */
export async function readLimineDir(dir: string): Promise<LimineFiles> {
  // Synchronous reads: each file is one read into a buffer of its size (fs/promises reads in 512 KiB chunks,
  // a thread-pool round trip each, and then concatenates them).
  const read = (name: string) => {
    try {
      return new Uint8Array(readFileSync(join(dir, name)));
    } catch {
      return undefined;
    }
  };
  const found = REQUIRED_FILES.map(read);
  const missing = REQUIRED_FILES.filter((_, index) => !found[index]);
  if (missing.length) throw new UserError(`Limine directory ${dir} lacks ${missing.join(', ')}`);
  const [biosSys, biosCd, uefiCd, hddHeader, bootX64] = found as Uint8Array[];
  const version = limineVersionOf(bootX64) ?? limineVersionOf(biosSys);
  if (!version)
    throw new UserError(
      `Limine directory ${dir}: cannot tell the Limine version (no 'Limine X.Y.Z' string in BOOTX64.EFI or limine-bios.sys)`,
    );
  return {
    version,
    source: dir,
    biosSys,
    biosCd,
    uefiCd,
    biosHdd: parseBiosHddHeader(new TextDecoder().decode(hddHeader), join(dir, 'limine-bios-hdd.h')),
    bootX64,
    bootIa32: read('BOOTIA32.EFI'),
  };
}

/**
 * The version a Limine loader binary was built as. Limine names itself `"Limine " LIMINE_VERSION` in
 * the strings it prints and hands to kernels (the banner, the multiboot boot-loader name), in ASCII,
 * and as UTF-16 in the UEFI builds' Boot Loader Interface variables; the first such string counts.
 */
export function limineVersionOf(binary: Uint8Array): LimineVersion | undefined {
  const ascii = Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString('latin1');
  const pattern = /Limine (\d{1,3})\.(\d{1,8})(?:\.(\d{1,4}))?/;
  const match = pattern.exec(ascii) ?? pattern.exec(ascii.replace(/([\x20-\x7e])\x00/g, '$1'));
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------------
// Fetch

export interface FetchOptions {
  version?: string;
  url?: string;
  sha256?: string;
  env?: NodeJS.ProcessEnv;
  /** Called as bytes arrive; `total` is undefined when the server sends no length. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Downloads, verifies and extracts a Limine release into the cache; returns its directory. */
export async function fetchLimine(options: FetchOptions = {}): Promise<string> {
  const version = options.version ?? LIMINE_VERSION;
  if (!/^[0-9A-Za-z._-]+$/.test(version)) throw new UserError(`bad Limine version '${version}'`);
  const pinned = PINNED_RELEASES[version];
  const url = options.url ?? pinned?.url ?? limineReleaseUrl(version);
  if (!url) throw new UserError(`no download URL known for Limine ${version}: pass --url`);
  // A mirror (--url) must serve the very archive that was pinned, so the pinned checksum still applies.
  const expected = (options.sha256 ?? pinned?.sha256)?.toLowerCase();
  if (!expected)
    throw new UserError(`no SHA-256 pinned for Limine ${version}: pass --sha256 HEX to verify the download`);
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new UserError(`--sha256 must be 64 hex digits`);

  const root = limineCacheRoot(options.env);
  const target = join(root, version);
  await mkdir(root, { recursive: true });
  const download = join(root, `.download-${randomBytes(6).toString('hex')}`);
  try {
    const actual = await downloadTo(url, download, options.onProgress);
    if (actual !== expected)
      throw new UserError(`checksum mismatch for ${url}: expected SHA-256 ${expected}, got ${actual}`);
    await extractArchiveAtomically(download, target, { replace: true });
  } finally {
    await rm(download, { force: true });
  }
  if (!(await isLimineDir(target))) {
    await rm(target, { recursive: true, force: true });
    throw new UserError(
      `the archive from ${url} holds no Limine release (no BOOTX64.EFI and limine-bios.sys)`,
    );
  }
  return target;
}

/** GETs `url` into `path` (following redirects) and returns the SHA-256 of what arrived. */
async function downloadTo(
  url: string,
  path: string,
  onProgress?: FetchOptions['onProgress'],
  redirects = 0,
): Promise<string> {
  // Loaded here, not at start-up: only `limine fetch` needs the network and archive code.
  const [{ default: http }, { default: https }] = await Promise.all([
    import('node:http'),
    import('node:https'),
  ]);
  return new Promise((resolvePromise, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new UserError(`bad URL '${url}'`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new UserError(`unsupported URL scheme in '${url}' (http or https only)`));
      return;
    }
    const request = client.get(parsed, { timeout: 30_000 }, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (redirects >= 5) return reject(new UserError(`too many redirects fetching ${url}`));
        const next = new URL(response.headers.location, parsed).toString();
        return downloadTo(next, path, onProgress, redirects + 1).then(resolvePromise, reject);
      }
      if (status !== 200) {
        response.resume();
        return reject(new UserError(`download of ${url} failed: HTTP ${status}`));
      }
      const lengthHeader = response.headers['content-length'];
      const total = lengthHeader ? Number(lengthHeader) : undefined;
      const hash = createHash('sha256');
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        onProgress?.(received, total);
      });
      pipeline(response, createWriteStream(path)).then(
        () => {
          if (!response.complete || (total !== undefined && received !== total)) {
            reject(
              new UserError(`download of ${url} was cut short: ${received} of ${total ?? 'unknown'} bytes`),
            );
          } else resolvePromise(hash.digest('hex'));
        },
        (error: Error) => reject(new UserError(`download of ${url} failed: ${error.message}`)),
      );
    });
    request.on('timeout', () => request.destroy(new Error('no response for 30 s')));
    request.on('error', (error) => reject(new UserError(`download of ${url} failed: ${error.message}`)));
  });
}

/**
 * Extracts a (gzipped) tar archive into a fresh temporary directory next to `target`, then renames it
 * into place: readers see either no directory or a complete one. Entries with absolute paths or `..`
 * are refused; a single top-level directory (GitHub tarballs) is stripped.
 */
export async function extractArchiveAtomically(
  archive: string,
  target: string,
  options: { replace?: boolean } = {},
): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.extract-${randomBytes(6).toString('hex')}`);
  try {
    await extractInto(archive, staging);
    await writeManifest(staging);
    if (options.replace) await removeAtomically(target);
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // A parallel run put the same release in place first: its copy is as good as ours.
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isLimineDir(target))) return;
    throw error;
  }
}

/** Renames `dir` out of the way before deleting it, so no reader ever sees it half deleted. */
async function removeAtomically(dir: string): Promise<void> {
  const trash = join(dirname(dir), `.remove-${randomBytes(6).toString('hex')}`);
  try {
    await rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(trash, { recursive: true, force: true });
}

/**
 * Each extracted release carries the SHA-256 of every file it holds (in a checksummed cache file), so a cache
 * entry changed after extraction (a truncated copy, a disk error, an edit) is noticed before it is booted.
 */
const MANIFEST = '.ostool-manifest';

async function writeManifest(dir: string): Promise<void> {
  const lines: string[] = [];
  for (const name of await listFiles(dir)) lines.push(`${await sha256File(join(dir, name))}  ${name}`);
  writeCacheFile(join(dir, MANIFEST), `${lines.join('\n')}\n`);
}

/** A release in the cache that still matches its manifest; an entry that does not is removed. */
async function isIntactCacheEntry(dir: string): Promise<boolean> {
  if (!(await isLimineDir(dir))) return false;
  const manifest = readCacheFile(join(dir, MANIFEST));
  const expected = manifest ? new TextDecoder().decode(manifest).split('\n').filter(Boolean) : [];
  const files = await listFiles(dir);
  let intact = manifest !== undefined && expected.length === files.length;
  for (const line of intact ? expected : []) {
    const [digest, name] = [line.slice(0, 64), line.slice(66)];
    if (!files.includes(name) || (await sha256File(join(dir, name))) !== digest) {
      intact = false;
      break;
    }
  }
  if (!intact) await removeAtomically(dir);
  return intact;
}

/** Every regular file below `dir` but the manifest, as sorted `/`-separated relative paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) =>
      relative(dir, join(entry.parentPath ?? entry.path, entry.name))
        .split(sep)
        .join('/'),
    )
    .filter((name) => name !== MANIFEST)
    .sort();
}

async function extractInto(archive: string, destination: string): Promise<void> {
  const head = new Uint8Array(2);
  const handle = await readFile(archive).catch(() => {
    throw new UserError(`cannot read ${archive}`);
  });
  head.set(handle.subarray(0, 2));
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  const entries: Array<{ name: string; type: string; data?: Buffer }> = [];
  const [{ default: tar }, { createGunzip }] = await Promise.all([import('tar-stream'), import('node:zlib')]);
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      entries.push({ name: header.name, type: header.type ?? 'file', data: Buffer.concat(chunks) });
      next();
    });
    stream.on('error', next);
  });
  try {
    const source = createReadStream(archive);
    if (gzipped) await pipeline(source, createGunzip(), extract);
    else await pipeline(source, extract);
  } catch (error) {
    throw new UserError(`${archive} is not a readable tar archive: ${(error as Error).message}`);
  }
  for (const entry of entries) checkEntryName(entry.name, archive);
  const names = entries
    .map((entry) => posix.normalize(entry.name).replace(/^\.\//, '').replace(/\/$/, ''))
    .filter((name) => name && name !== '.');
  const tops = new Set(names.map((name) => name.split('/')[0]));
  const strip =
    tops.size === 1 &&
    entries.some((entry) => entry.type === 'directory' || names.some((name) => name.includes('/')));
  await mkdir(destination, { recursive: true });
  for (const entry of entries) {
    let name = posix.normalize(entry.name).replace(/^\.\//, '').replace(/\/$/, '');
    if (strip) name = name.split('/').slice(1).join('/');
    if (!name || name === '.') continue;
    const path = join(destination, ...name.split('/'));
    if (entry.type === 'directory') await mkdir(path, { recursive: true });
    else if (entry.type === 'file' || entry.type === 'contiguous-file') {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, entry.data ?? Buffer.alloc(0));
    }
    // Links, devices and the like are not part of a Limine release: skipped.
  }
}

function checkEntryName(name: string, archive: string): void {
  const parts = name.split(/[\\/]/);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || parts.includes('..')) {
    throw new UserError(`${archive}: refusing archive entry '${name}' (absolute path or '..')`);
  }
}
