#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script) and by the Makefile.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ostool: not built yet: run `npm ci` (or `make`) in ' + fileURLToPath(new URL('..', import.meta.url)) + '\n');
  process.exit(4);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
