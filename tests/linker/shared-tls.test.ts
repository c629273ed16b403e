/**
 * Thread-local storage in dynamic output, each case linked by GNU ld and by ostool (through the CLI) and compared
 * as whole files: gcc -fPIC objects in every TLS model gcc emits (general-dynamic, local-dynamic, initial-exec,
 * with -ftls-model and without), linked -shared (DTPMOD64/DTPOFF64/TPOFF64 on ld's GOT entries, DF_STATIC_TLS)
 * and -pie (static too) with exported TLS symbols (ld's general-dynamic to initial-exec rewrite with TPOFF64 slots).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link } from '../../src/linker/index.js';
import { Workdir, type LinkedPair } from './oracle.js';

/** Byte-identical to ld's file; on a difference, readelf's view of both first (a readable diff). */
function expectIdentical(pair: LinkedPair): void {
  const ours = readFileSync(pair.ours);
  const ld = readFileSync(pair.ld);
  if (Buffer.compare(ours, ld) !== 0) {
    const readelf = (path: string) =>
      execFileSync('readelf', ['-aW', path], { encoding: 'utf8' }).replace(/^File: .*$/m, '');
    expect(readelf(pair.ours)).toBe(readelf(pair.ld));
  }
  expect(Buffer.compare(ours, ld)).toBe(0);
  expect(pair.oursStderr).toBe(pair.ldStderr);
}

/** Exported, protected, hidden, static and external TLS, initialised and not, read and addressed. */
const LIBRARY = `
__thread int gv = 3;
__thread long gb;
__attribute__((visibility("protected"))) __thread int pv = 4;
__attribute__((visibility("hidden"))) __thread int hv = 7;
__thread char arr[100];
static __thread int sv = 5;
static __thread int sb;
extern __thread int ev;
int get(int i) { sb += i; sv += i; return gv + gb + pv + hv + arr[i] + sv + sb + ev; }
int *addr(void) { return &gv; }
int *addr_p(void) { return &pv; }
int *addr_s(void) { return &sv; }
void _start(void) { get(1); for (;;); }
`;

const OTHER = `
__thread int ev = 9;
__thread int ev2 = 1;
static __thread long counter;
int use2(void) { return ev2 + ++counter; }
`;

const MODELS = ['default', 'global-dynamic', 'local-dynamic', 'initial-exec'] as const;
const BUILDS: Array<[string, string[]]> = [
  ['O2', ['-O2']],
  ['O0', ['-O0']],
  ['O2-g', ['-O2', '-g']],
  ['O2-fno-plt', ['-O2', '-fno-plt']],
];

describe('TLS in dynamic output like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('tv.list', '{ gv; pv; };\n');
    for (const [build, flags] of BUILDS)
      for (const model of MODELS) {
        const tlsModel = model === 'default' ? [] : [`-ftls-model=${model}`];
        work.gcc(`lib-${build}-${model}`, LIBRARY, ['-fPIC', ...flags, ...tlsModel]);
        work.gcc(`other-${build}-${model}`, OTHER, ['-fPIC', ...flags, ...tlsModel]);
      }
  });
  afterAll(() => work.dispose());

  const LINKS: Array<[string, string[]]> = [
    ['-shared', ['-shared']],
    [
      '-shared -Bsymbolic -z now --hash-style=gnu',
      ['-shared', '-Bsymbolic', '-z', 'now', '--hash-style=gnu'],
    ],
    ['-pie -E', ['-pie', '-E']],
    ['-pie --dynamic-list', ['-pie', '--dynamic-list', 'tv.list']],
    ['-pie', ['-pie']],
    ['static -pie -E', ['-static', '-pie', '--no-dynamic-linker', '-z', 'text', '-E']],
  ];
  for (const [build] of BUILDS)
    for (const model of MODELS)
      it(`${model} (-${build}): ${LINKS.map(([name]) => name).join(', ')}`, async () => {
        for (const [name, args] of LINKS)
          expectIdentical(
            await work.linkBoth(
              [...args, `lib-${build}-${model}.o`, `other-${build}-${model}.o`],
              `${build}-${model}-${name.replace(/\W+/g, '-')}`,
            ),
          );
      });

  it('objects of different TLS models in one shared object', async () => {
    expectIdentical(
      await work.linkBoth(['-shared', 'lib-O2-initial-exec.o', 'other-O2-global-dynamic.o'], 'mixed-ie-gd'),
    );
    expectIdentical(
      await work.linkBoth(['-shared', 'lib-O2-local-dynamic.o', 'other-O2-default.o'], 'mixed-ld-gd'),
    );
  });

  it('refuses local-exec TLS in a shared object as ld does, naming object, section and relocation', () => {
    const object = work.gcc('le', 'static __thread int x; int get(void) { return ++x; }', [
      '-O2',
      '-fPIC',
      '-ftls-model=local-exec',
    ]);
    expect(() => link({ inputs: [{ name: object, data: readFileSync(object) }], shared: true })).toThrow(
      /le\.o:\(\.text\+0x[0-9a-f]+\): relocation R_X86_64_TPOFF32 against `x' can not be used when making a shared object; recompile with -fPIC/,
    );
  });

  it('one symbol reached by both general-dynamic and initial-exec: ld rewrites the general-dynamic sequences to initial-exec', async () => {
    work.gcc(
      'both-gd',
      '__thread int both = 1; static __thread int mine; int a(int i) { mine += i; return both + mine; }',
      ['-O2', '-fPIC', '-ftls-model=global-dynamic'],
    );
    work.gcc('both-ie', 'extern __thread int both; int b(void) { return both; }', [
      '-O2',
      '-fPIC',
      '-ftls-model=initial-exec',
    ]);
    for (const order of [
      ['both-gd.o', 'both-ie.o'],
      ['both-ie.o', 'both-gd.o'],
    ])
      expectIdentical(await work.linkBoth(['-shared', ...order], `both-${order[0]}`));
  });
});
