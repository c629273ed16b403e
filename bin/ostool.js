#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script) and by the Makefile: tsc's modules in
// dist/cli/..., and one bundle of them, dist/bundle/ostool.cjs, that starts faster. In a checkout, a bundle older
// than tsc's output (tsc run again without bundling) is stale and not used; an installed package has no
// tsconfig.json and always runs its bundle (npm does not keep the tarball's file times, so they tell nothing).
//
// The bundle is compiled with a V8 code cache kept per command in $XDG_CACHE_HOME/ostool/v8 (Node 20 has no
// compile cache of its own): the bytecode of every function the command ran last time, so the next run neither
// parses the 1.6 MB bundle nor compiles those functions again. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const modules = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const bundle = fileURLToPath(new URL('../dist/bundle/ostool.cjs', import.meta.url));
/** Code caches kept (a few hundred KB each). */
const KEPT_CACHES = 48;
const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime(bundle);
const compiled = mtime(modules);

const checkout = statSync(fileURLToPath(new URL('../tsconfig.json', import.meta.url)), { throwIfNoEntry: false });

if (bundled !== undefined && (!checkout || compiled === undefined || bundled >= compiled)) {
  process.exitCode = await runBundle(bundle);
} else if (compiled !== undefined) {
  const { main } = await import(new URL('../dist/cli/main.js', import.meta.url).href);
  process.exitCode = await main(process.argv);
} else {
  process.stderr.write(
    'ostool: not built yet: run `npm ci` (or `make`) in ' + fileURLToPath(new URL('..', import.meta.url)) + '\n',
  );
  process.exitCode = 4;
}

/** Runs the bundle's main() through a code cache, then stores the cache when there was none that fit. */
async function runBundle(path) {
  // esbuild writes ASCII only (non-ASCII characters escaped): read as latin1, the same string ~1.5 ms sooner.
  const source = readFileSync(path, 'latin1');
  const cacheFile = codeCacheFile(source);
  const cachedData = cacheFile ? await readCodeCache(cacheFile) : undefined;
  // The bundle has no import() (scripts/bundle.mjs turns them into requires), so it needs no module loader.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: path,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(path), module, path, dirname(path));
  const status = await module.exports.main(process.argv);
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) await storeCodeCache(cacheFile, script);
  return status;
}

/** The cache of this bundle (named by the hash on its first line), command, Node version and CPU. */
function codeCacheFile(source) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const id = /^\/\/ ostool-bundle ([0-9a-f]+)\n/.exec(source)?.[1];
  if (!id) return undefined;
  const command = process.argv.slice(2).find((arg) => !arg.startsWith('-')) ?? '';
  const name = /^[a-z]+$/.test(command) ? command : 'ostool';
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'ostool', 'v8', `${id}-${name}-${process.version}-${process.arch}.cache`);
}

/**
 * The cache's V8 data, or undefined when there is none or it fails its checksum: V8 checks the data's header but
 * not its contents, and a flipped byte in the middle of a cache made node crash. The cache is one of ostool's
 * checksummed cache files (src/cache-file.ts, bundled by scripts/bundle.mjs into dist/bundle/cache-file.cjs).
 */
async function readCodeCache(file) {
  const { readCacheFile } = await cacheFiles();
  const data = readCacheFile(file);
  return data && Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** scripts/bundle.mjs writes the reader next to the bundle as CommonJS: required in ~2 ms, imported in 13-20. */
async function cacheFiles() {
  const reader = fileURLToPath(new URL('../dist/bundle/cache-file.cjs', import.meta.url));
  if (mtime(reader) !== undefined) return createRequire(import.meta.url)(reader);
  return import(new URL('../dist/cache-file.js', import.meta.url).href);
}

/** Best effort: a read-only cache directory only means the next run compiles again. */
async function storeCodeCache(file, script) {
  try {
    const { writeCacheFile } = await cacheFiles();
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    // Caches of old bundles pile up (checkouts and installed versions share the directory): keep the newest.
    const kept = readdirSync(dir)
      .map((name) => ({ name, written: mtime(join(dir, name)) ?? 0 }))
      .sort((a, b) => b.written - a.written);
    for (const { name } of kept.slice(KEPT_CACHES - 1)) rmSync(join(dir, name), { force: true });
    writeCacheFile(file, script.createCachedData());
  } catch {
    // ignored, as above
  }
}
