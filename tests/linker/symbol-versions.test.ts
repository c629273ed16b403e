/**
 * Named symbol versions in -shared output: version scripts with version nodes (`VERS_1.0 { global: ...; local:
 * *; }; VERS_2.0 { ... } VERS_1.0;`), each case linked by GNU ld and by ostool (through the CLI) and compared as
 * whole files: `.gnu.version`, `.gnu.version_d`, DT_VERSYM/DT_VERDEF/DT_VERDEFNUM and the absolute symbols ld
 * defines for the versions. Without -soname ld names the base version after the output file, so both links
 * write a file of the same name (in directories of their own).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Workdir } from './oracle.js';

const LIBRARY = `
extern int ext(int);
int counter = 1;
int *ptr = &counter;
int foo(int x) { return ext(x) + counter; }
int bar(void) { return 2; }
int baz(void) { return 3; }
int data_v = 4;
int hidden_one(void) { return 5; }
int helper_a(void) { return 6; }
int helper_b(void) { return 7; }
static void init(void) {}
__attribute__((section(".init_array"))) void (*init_entry)(void) = init;
`;

const TLS = `
__thread int tls_v = 3;
int tls_get(void) { return tls_v; }
`;

const SCRIPTS: Record<string, string> = {
  'two.map': 'VERS_1.0 { global: foo; data_v; local: *; };\nVERS_2.0 { global: bar; baz; } VERS_1.0;\n',
  'three.map':
    'V1 { global: foo; helper_*; };\nV2 { global: baz; local: hidden*; } V1;\nV3 { global: data_v; tls_*; local: *; } V2 V1;\n',
  'open.map': 'LIB_1 { global: foo; };\n',
  'anonymous.map': '{ global: foo; bar; };\n',
};

/** Runs ld and ostool with `args`, each writing `output` in a directory of its own; returns both paths. */
async function linkSameName(work: Workdir, args: string[], output: string, name: string) {
  const dirs = ['ld', 'ostool'].map((tool) => join(work.path, name, tool));
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  const [ld, ours] = dirs.map((dir) => join(dir, output)) as [string, string];
  const run = spawnSync('ld', [...args, '-o', ld], { cwd: work.path, encoding: 'utf8' });
  const errors: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  const cwd = process.cwd();
  process.stderr.write = ((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let status: number;
  try {
    process.chdir(work.path);
    status = await main(['node', 'ostool', 'link', ...args, '-o', ours]);
  } finally {
    process.chdir(cwd);
    process.stderr.write = original;
  }
  return { ld, ours, status, ldStatus: run.status, ldStderr: run.stderr, oursStderr: errors.join('') };
}

function expectIdentical(pair: { ld: string; ours: string }): void {
  const ours = readFileSync(pair.ours);
  const ld = readFileSync(pair.ld);
  if (Buffer.compare(ours, ld) !== 0) {
    const readelf = (path: string) =>
      execFileSync('readelf', ['-aW', path], { encoding: 'utf8' }).replace(/^File: .*$/m, '');
    expect(readelf(pair.ours)).toBe(readelf(pair.ld));
  }
  expect(Buffer.compare(ours, ld)).toBe(0);
}

describe('named symbol versions in shared objects like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    for (const [name, text] of Object.entries(SCRIPTS)) work.file(name, text);
    work.gcc('lib', LIBRARY, ['-O2', '-fPIC']);
    work.gcc('lib-O0', LIBRARY, ['-O0', '-fPIC', '-fno-asynchronous-unwind-tables']);
    work.gcc('tls', TLS, ['-O2', '-fPIC']);
  });
  afterAll(() => work.dispose());

  const CASES: Array<[string, string[]]> = [
    ['two versions, -soname', ['-shared', '-soname', 'libdemo.so.1', '--version-script', 'two.map', 'lib.o']],
    ['two versions, no -soname', ['-shared', '--version-script', 'two.map', 'lib.o']],
    [
      'three versions, wildcards, two parents, TLS',
      ['-shared', '-soname', 'libdemo.so.3', '--version-script', 'three.map', 'lib.o', 'tls.o'],
    ],
    ['a version without local:', ['-shared', '--version-script', 'open.map', 'lib-O0.o']],
    [
      '-z now --hash-style=gnu --gc-sections',
      [
        '-shared',
        '-z',
        'now',
        '--hash-style=gnu',
        '--gc-sections',
        '--version-script',
        'two.map',
        'lib.o',
        'tls.o',
      ],
    ],
    ['-Bsymbolic', ['-shared', '-Bsymbolic', '--version-script', 'three.map', 'lib-O0.o']],
    ['an anonymous version without local:', ['-shared', '--version-script', 'anonymous.map', 'lib.o']],
  ];
  for (const [name, args] of CASES)
    it(name, async () => {
      const pair = await linkSameName(work, args, 'libdemo.so', name.replace(/\W+/g, '-'));
      expect(pair.ldStatus).toBe(0);
      expect(pair.oursStderr).toBe(pair.ldStderr.replace(/^ld: /gm, 'ostool: '));
      expect(pair.status).toBe(0);
      expectIdentical(pair);
    });

  it('refuses .symver names in objects, naming object, section and symbol', async () => {
    work.gcc(
      'symver',
      `int foo_old(void) { return 1; }
int foo_new(void) { return 2; }
__asm__(".symver foo_old,foo@VERS_1.0");
__asm__(".symver foo_new,foo@@VERS_2.0");`,
      ['-O2', '-fPIC'],
    );
    const result = await linkSameName(
      work,
      ['-shared', '--version-script', 'two.map', 'symver.o'],
      'x.so',
      'symver',
    );
    expect(result.status).not.toBe(0);
    expect(result.oursStderr).toMatch(
      /symver\.o:\(\.text\+0x[0-9a-f]+\): symbol `foo@@?VERS_[12]\.0': versioned symbol names \(\.symver\)/,
    );
  });

  it('reports a malformed version script with file:line:column', async () => {
    work.file('bad.map', 'VERS_1.0 { global: foo; };\nVERS_2.0 { bar; } VERS_9;\n');
    const result = await linkSameName(
      work,
      ['-shared', '--version-script', 'bad.map', 'lib.o'],
      'x.so',
      'bad',
    );
    expect(result.ldStatus).not.toBe(0);
    expect(result.status).not.toBe(0);
    expect(result.oursStderr).toMatch(/bad\.map:2:19: unknown version `VERS_9' as a dependency of VERS_2\.0/);
  });
});
