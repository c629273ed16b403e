import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchLimine, findLimine, limineCacheRoot, readLimineDir } from '../../src/image/index.js';
import { cArrayHeader, patternBytes, syntheticStages, tarball, tempDir } from './helpers.js';

const releaseFiles: Record<string, Uint8Array> = {
  'limine-bios.sys': patternBytes(4000, 61),
  'limine-bios-cd.bin': patternBytes(2048, 62),
  'limine-uefi-cd.bin': patternBytes(8192, 63),
  'limine-bios-hdd.h': new TextEncoder().encode(cArrayHeader(syntheticStages())),
  'BOOTX64.EFI': patternBytes(3000, 64),
  'BOOTIA32.EFI': patternBytes(2000, 65),
};

function goodRelease(top = 'limine-8.7.0-binary'): Promise<Buffer> {
  return tarball([
    { name: `${top}/`, type: 'directory' },
    ...Object.entries(releaseFiles).map(([name, data]) => ({ name: `${top}/${name}`, data })),
  ]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let work: Awaited<ReturnType<typeof tempDir>>;
let server: http.Server;
let base: string;
/** path -> handler; the tests register what the server serves. */
const routes = new Map<string, (response: http.ServerResponse) => void>();

beforeAll(async () => {
  work = await tempDir();
  server = http.createServer((request, response) => {
    const route = routes.get(request.url ?? '');
    if (route) route(response);
    else {
      response.statusCode = 404;
      response.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await work.cleanup();
});

function serve(path: string, body: Buffer, options: { claimLength?: number } = {}) {
  routes.set(path, (response) => {
    response.setHeader('Content-Length', String(options.claimLength ?? body.length));
    if (options.claimLength !== undefined && options.claimLength > body.length) {
      response.write(body);
      // Cut the connection short, as a dropped download would.
      setTimeout(() => response.socket?.destroy(), 20);
    } else response.end(body);
  });
}

async function cacheEntries(env: NodeJS.ProcessEnv): Promise<string[]> {
  const root = limineCacheRoot(env);
  return existsSync(root) ? (await readdir(root)).sort() : [];
}

describe('ostool limine fetch (against a local HTTP server)', () => {
  it('downloads, verifies and extracts a release into the cache, stripping the top directory', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-good') };
    const archive = await goodRelease();
    serve('/good.tar.gz', archive);
    const seen: number[] = [];
    const dir = await fetchLimine({
      version: '8.7.0',
      url: `${base}/good.tar.gz`,
      sha256: sha256(archive),
      env,
      onProgress: (received) => seen.push(received),
    });
    expect(dir).toBe(join(limineCacheRoot(env), '8.7.0'));
    for (const [name, data] of Object.entries(releaseFiles))
      expect(new Uint8Array(await readFile(join(dir, name)))).toEqual(data);
    expect(seen.at(-1)).toBe(archive.length);
    expect(await cacheEntries(env)).toEqual(['8.7.0']);
    const files = await readLimineDir(dir);
    expect(files.biosHdd).toEqual(syntheticStages());
    expect(await findLimine({ env, systemDirs: [] })).toEqual({ dir, source: 'cache' });
  });

  it('refuses an archive whose SHA-256 differs and leaves no cache entry', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-badsum') };
    const archive = await goodRelease();
    serve('/badsum.tar.gz', archive);
    await expect(
      fetchLimine({ url: `${base}/badsum.tar.gz`, sha256: sha256(Buffer.from('something else')), env }),
    ).rejects.toThrow(/checksum mismatch/);
    expect(await cacheEntries(env)).toEqual([]);
  });

  it('reports a truncated download and leaves no partial cache', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-truncated') };
    const archive = await goodRelease();
    serve('/truncated.tar.gz', archive.subarray(0, archive.length >> 1), { claimLength: archive.length });
    await expect(
      fetchLimine({ url: `${base}/truncated.tar.gz`, sha256: sha256(archive), env }),
    ).rejects.toThrow(/cut short|failed/);
    expect(await cacheEntries(env)).toEqual([]);
  });

  it('rejects archive entries with .. or absolute paths, writing nothing outside (or inside) the cache', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-traversal') };
    for (const evil of ['limine/../../escaped.txt', '/tmp/ostool-absolute-entry.txt']) {
      const archive = await tarball([
        { name: 'limine/BOOTX64.EFI', data: patternBytes(10, 1) },
        { name: evil, data: patternBytes(10, 2) },
      ]);
      const path = `/evil-${evil.length}.tar.gz`;
      serve(path, archive);
      await expect(fetchLimine({ url: `${base}${path}`, sha256: sha256(archive), env })).rejects.toThrow(
        /refusing archive entry/,
      );
    }
    expect(existsSync(join(work.dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(limineCacheRoot(env), '..', 'escaped.txt'))).toBe(false);
    expect(existsSync('/tmp/ostool-absolute-entry.txt')).toBe(false);
    expect(await cacheEntries(env)).toEqual([]);
  });

  it('keeps a previously fetched release when a new fetch fails', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-keep') };
    const archive = await goodRelease();
    serve('/keep.tar.gz', archive);
    const dir = await fetchLimine({ url: `${base}/keep.tar.gz`, sha256: sha256(archive), env });
    await expect(
      fetchLimine({ url: `${base}/missing.tar.gz`, sha256: sha256(archive), env }),
    ).rejects.toThrow(/HTTP 404/);
    expect(new Uint8Array(await readFile(join(dir, 'BOOTX64.EFI')))).toEqual(releaseFiles['BOOTX64.EFI']);
    expect(await cacheEntries(env)).toEqual(['8.7.0']);
  });

  it('will not download without a checksum to verify against', async () => {
    await expect(
      fetchLimine({ url: `${base}/good.tar.gz`, env: { XDG_CACHE_HOME: join(work.dir, 'cache-nosum') } }),
    ).rejects.toThrow(/--sha256/);
  });
});

describe('finding Limine', () => {
  let releaseDir: string;
  let otherDir: string;
  beforeAll(async () => {
    releaseDir = join(work.dir, 'release');
    otherDir = join(work.dir, 'other');
    for (const dir of [releaseDir, otherDir]) {
      await mkdir(dir, { recursive: true });
      for (const [name, data] of Object.entries(releaseFiles)) await writeFile(join(dir, name), data);
    }
  });

  it('prefers --limine, then LIMINE_DIR, then the cache, then the system directories', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-order'), LIMINE_DIR: otherDir };
    expect(await findLimine({ explicit: releaseDir, env, systemDirs: [] })).toEqual({
      dir: releaseDir,
      source: '--limine',
    });
    expect(await findLimine({ env, systemDirs: [] })).toEqual({ dir: otherDir, source: 'LIMINE_DIR' });
    expect(
      await findLimine({
        env: { XDG_CACHE_HOME: env.XDG_CACHE_HOME },
        systemDirs: [join(work.dir, 'nothing'), releaseDir],
      }),
    ).toEqual({ dir: releaseDir, source: releaseDir });
    expect(await findLimine({ env: { XDG_CACHE_HOME: env.XDG_CACHE_HOME }, systemDirs: [] })).toBeUndefined();
  });

  it('says so when --limine or LIMINE_DIR point at something that is not a Limine release', async () => {
    await expect(findLimine({ explicit: join(work.dir, 'nope'), env: {} })).rejects.toThrow(
      /no such file or directory/,
    );
    await expect(findLimine({ explicit: work.dir, env: {} })).rejects.toThrow(
      /not a Limine release directory/,
    );
    await expect(findLimine({ env: { LIMINE_DIR: work.dir } })).rejects.toThrow(
      /LIMINE_DIR=.* holds no Limine release/,
    );
  });

  it('accepts a release tarball for --limine and extracts it into the cache once', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-tarball') };
    const path = join(work.dir, 'limine-release.tar.gz');
    await writeFile(path, await goodRelease('limine-9.9.9'));
    const first = await findLimine({ explicit: path, env });
    expect(first?.source).toBe('--limine');
    expect(new Uint8Array(await readFile(join(first!.dir, 'limine-bios.sys')))).toEqual(
      releaseFiles['limine-bios.sys'],
    );
    expect(await findLimine({ explicit: path, env })).toEqual(first);
    expect((await cacheEntries(env)).filter((name) => name.startsWith('tarball-'))).toHaveLength(1);
  });

  it('notices a cached release changed after extraction: a fetched one is dropped, a tarball one re-extracted', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-corrupt') };
    const archive = await goodRelease();
    serve('/corrupt.tar.gz', archive);
    const fetched = await fetchLimine({ url: `${base}/corrupt.tar.gz`, sha256: sha256(archive), env });
    expect(await findLimine({ env, systemDirs: [] })).toEqual({ dir: fetched, source: 'cache' });
    // A truncated stage file: the entry no longer matches its manifest, so it is not booted with.
    const stage = join(fetched, 'limine-bios.sys');
    await writeFile(stage, (await readFile(stage)).subarray(0, 100));
    expect(await findLimine({ env, systemDirs: [] })).toBeUndefined();
    expect(await cacheEntries(env)).toEqual([]);

    const path = join(work.dir, 'corrupt-release.tar.gz');
    await writeFile(path, archive);
    const first = await findLimine({ explicit: path, env });
    await writeFile(join(first!.dir, 'BOOTX64.EFI'), 'not the loader');
    const second = await findLimine({ explicit: path, env });
    expect(second).toEqual(first);
    expect(new Uint8Array(await readFile(join(second!.dir, 'BOOTX64.EFI')))).toEqual(
      releaseFiles['BOOTX64.EFI'],
    );
    // A corrupt manifest is as bad as a corrupt file.
    await writeFile(join(second!.dir, '.ostool-manifest'), 'garbage');
    const third = await findLimine({ explicit: path, env });
    expect(new Uint8Array(await readFile(join(third!.dir, 'limine-bios.sys')))).toEqual(
      releaseFiles['limine-bios.sys'],
    );
    expect((await cacheEntries(env)).filter((name) => name.startsWith('tarball-'))).toHaveLength(1);
  });

  it('extracts the same tarball from parallel runs into one complete cache entry', async () => {
    const env = { XDG_CACHE_HOME: join(work.dir, 'cache-parallel') };
    const path = join(work.dir, 'parallel-release.tar.gz');
    await writeFile(path, await goodRelease('limine-9.9.8'));
    const found = await Promise.all(Array.from({ length: 6 }, () => findLimine({ explicit: path, env })));
    for (const location of found) {
      expect(location).toEqual(found[0]);
      const files = await readLimineDir(location!.dir);
      expect(files.biosSys).toEqual(releaseFiles['limine-bios.sys']);
    }
    expect(await cacheEntries(env)).toEqual([found[0]!.dir.split('/').pop()]);
  });

  it('names every file a Limine directory lacks', async () => {
    const partial = join(work.dir, 'partial');
    await mkdir(partial, { recursive: true });
    await writeFile(join(partial, 'BOOTX64.EFI'), releaseFiles['BOOTX64.EFI']);
    await expect(readLimineDir(partial)).rejects.toThrow(
      /lacks limine-bios\.sys, limine-bios-cd\.bin, limine-uefi-cd\.bin, limine-bios-hdd\.h/,
    );
  });
});
