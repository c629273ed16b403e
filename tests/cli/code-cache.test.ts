/**
 * bin/ostool.js runs the bundle through a V8 code cache per command in $XDG_CACHE_HOME/ostool/v8. A damaged or
 * unwritable cache must only cost a compile, never the command.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readCacheFile } from '../../src/cache-file.js';

const repo = new URL('../../', import.meta.url).pathname;
const ostool = join(repo, 'bin/ostool.js');
const bundle = join(repo, 'dist/bundle/ostool.cjs');
const modules = join(repo, 'dist/cli/main.js');
const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
// The cache belongs to the bundle; a checkout whose bundle is older than tsc's output runs tsc's modules instead.
const bundled =
  existsSync(bundle) && existsSync(modules) && statSync(bundle).mtimeMs >= statSync(modules).mtimeMs;

const work = mkdtempSync(join(tmpdir(), 'ostool-code-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `ostool --version` with its cache in `cacheHome` (and the cache on, unless `extra` turns it off). */
async function runVersion(cacheHome: string, extra: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  return execa('node', [ostool, '--version'], { env: { ...env, ...extra }, extendEnv: false, reject: false });
}

function cacheFiles(cacheHome: string): string[] {
  const dir = join(cacheHome, 'ostool', 'v8');
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
}

/** The cache is one of ostool's checksummed cache files (src/cache-file.ts). */
function intact(file: string): boolean {
  return readCacheFile(file) !== undefined;
}

describe.skipIf(!bundled)("the bundle's code cache (needs a fresh dist/bundle: npm run build)", () => {
  it('is written on the first run, named after the bundle and the command, and used by the next', async () => {
    const home = join(work, 'first');
    expect((await runVersion(home)).stdout.trim()).toBe(version);
    const [file] = cacheFiles(home);
    expect(file).toMatch(/[0-9a-f]{16}-ostool-v\d+\.\d+\.\d+-\w+\.cache$/);
    expect(intact(file!)).toBe(true);
    const written = statSync(file!).mtimeMs;
    expect((await runVersion(home)).stdout.trim()).toBe(version);
    expect(statSync(file!).mtimeMs).toBe(written);
  });

  it('replaces a cache whose bytes were damaged in the middle (V8 itself does not notice, and crashed)', async () => {
    const home = join(work, 'damaged');
    await runVersion(home);
    const [file] = cacheFiles(home);
    const bytes = readFileSync(file!);
    bytes.fill(0xa5, 2000, 2064);
    writeFileSync(file!, bytes);
    const run = await runVersion(home);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toBe(version);
    expect(intact(file!)).toBe(true);
  });

  it('runs with a truncated cache, an unwritable cache directory, and with the cache turned off', async () => {
    const home = join(work, 'truncated');
    await runVersion(home);
    const [file] = cacheFiles(home);
    writeFileSync(file!, readFileSync(file!).subarray(0, 100));
    expect((await runVersion(home)).stdout.trim()).toBe(version);
    expect(intact(file!)).toBe(true);

    // A cache home that is a file: nothing can be created below it.
    writeFileSync(join(work, 'not-a-directory'), '');
    expect((await runVersion(join(work, 'not-a-directory'))).stdout.trim()).toBe(version);

    const off = join(work, 'off');
    expect((await runVersion(off, { NODE_DISABLE_COMPILE_CACHE: '1' })).stdout.trim()).toBe(version);
    expect(cacheFiles(off)).toEqual([]);
  });
});
