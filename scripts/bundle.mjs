// Bundles tsc's dist/ into one CommonJS file, dist/bundle/ostool.cjs, that bin/ostool.js compiles through
// node:vm with a V8 code cache (Node 20 has no compile cache for ES modules). Each module's body still runs
// only when a command imports it (esbuild's lazy module initialisers). Measured on `ostool link --help`, CPU
// time, Node 20, no NODE_EXTRA_CA_CERTS: tsc's ~100 ES modules 66 ms, the former split ESM bundle 50 ms, this
// file without a code cache 62 ms, with one 40 ms (`node -e 0`: 21 ms).
// The first line names the bundle by a hash of its text: the code cache's key (V8 itself only checks the
// source's length) and the loader cache's toolchain fingerprint.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * `await import('node:zlib')` (a built-in loaded only where it is used) becomes a lazily required module: a
 * script compiled by node:vm can only call import() with a loader that Node 20 before 20.12 does not have.
 */
const builtinsRequiredLazily = {
  name: 'builtins-required-lazily',
  setup(build) {
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: `${outdir}ostool.cjs`,
  bundle: true,
  write: false,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  plugins: [builtinsRequiredLazily],
  // Modules find their package and the loader's sources from import.meta.url: the bundle's own URL here.
  define: { 'import.meta.url': '__ostoolBundleUrl' },
  // 'use strict' first: esbuild's own directive comes after the banner, where it is only a string, and sloppy
  // code made the link ~7% slower (150M more instructions under callgrind).
  banner: { js: "'use strict';\nconst __ostoolBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
const [output] = result.outputFiles;
const dynamicImport = /[^\w$.]import\(/.exec(output.text);
if (dynamicImport)
  throw new Error(`bundle: an import() is left in the bundle (node:vm cannot run it): ...${output.text.slice(dynamicImport.index - 80, dynamicImport.index + 40)}...`);
// bin/ostool.js reads the bundle as latin1, which is only the same string while the bundle is ASCII (esbuild's
// default charset escapes everything else).
if (/[^\x00-\x7f]/.test(output.text)) throw new Error('bundle: a non-ASCII character is left in the bundle');
const id = createHash('sha256').update(output.contents).digest('hex').slice(0, 16);
mkdirSync(outdir, { recursive: true });
writeFileSync(output.path, `// ostool-bundle ${id}\n${output.text}`);

// The code cache's reader (src/cache-file.ts and the two modules it imports) as one small CommonJS file that
// bin/ostool.js requires before it compiles the bundle: importing tsc's three ES modules took 13-20 ms of every
// `ostool image` (the ES module loader resolving, linking and compiling them without a cache), requiring this ~2.
await build({
  entryPoints: [new URL('../dist/cache-file.js', import.meta.url).pathname],
  outfile: `${outdir}cache-file.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
