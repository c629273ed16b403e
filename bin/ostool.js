#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script) and by the Makefile: tsc's modules in
// dist/cli/..., and a bundle of them in dist/bundle/ that starts faster. A bundle older than tsc's output
// (tsc run again without bundling) is stale and not used.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const modules = new URL('../dist/cli/main.js', import.meta.url);
const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const mtime = (url) => statSync(fileURLToPath(url), { throwIfNoEntry: false })?.mtimeMs;
const bundled = mtime(bundle);
const compiled = mtime(modules);
const entry = bundled !== undefined && (compiled === undefined || bundled >= compiled) ? bundle : modules;
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ostool: not built yet: run `npm ci` (or `make`) in ' + fileURLToPath(new URL('..', import.meta.url)) + '\n');
  process.exit(4);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
