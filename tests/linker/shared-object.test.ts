/**
 * -shared output, each case linked by GNU ld and by ostool (through the CLI) and compared: the file headers,
 * program and section headers, .dynamic, .dynsym, both relocation tables, .symtab and the loaded bytes (PLT, GOT,
 * .got.plt and hash tables included).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  dynamicSection,
  dynamicSymbols,
  expectSameAsLd,
  symbolEntries,
  Workdir,
  type LinkedPair,
} from './oracle.js';

const readelf = (args: string[], path: string) =>
  execFileSync('readelf', [...args, path], { encoding: 'utf8' })
    .split('\n')
    .filter(
      (l) => !/^(File:|There are \d+ section headers, starting at offset|  Start of section headers)/.test(l),
    )
    .join('\n');

function expectSameSharedObject(pair: LinkedPair) {
  expect(readelf(['-hSW'], pair.ours)).toBe(readelf(['-hSW'], pair.ld));
  expect(readelf(['-rW'], pair.ours)).toBe(readelf(['-rW'], pair.ld));
  expect(dynamicSymbols(pair.ours)).toEqual(dynamicSymbols(pair.ld));
  expect(dynamicSection(pair.ours)).toBe(dynamicSection(pair.ld));
  expectSameAsLd(pair, { symbols: false });
  expect(symbolEntries(pair.ours)).toEqual(symbolEntries(pair.ld));
  expect(pair.oursStderr).toBe(pair.ldStderr);
}

const LIBRARY = `
int counter = 3;
extern int ext_var;
extern int ext_fn(int);
extern int weak_ref(int) __attribute__((weak));
extern int weak_data __attribute__((weak));
__attribute__((visibility("hidden"))) int hidden_fn(int x) { return x + 1; }
__attribute__((visibility("protected"))) int protected_fn(int x) { return x - 1; }
__attribute__((visibility("protected"))) int protected_var = 7;
static int local_fn(int x) { return x * 2; }
int helper(int x) { return local_fn(x) + hidden_fn(x) + protected_fn(x); }
int api(int x) {
  return helper(x) + counter + ext_var + ext_fn(x) + protected_var + (weak_ref ? weak_ref(x) : 0) + (&weak_data ? weak_data : 0);
}
int *ptr = &counter;
void *fptr = (void *)helper;
int *ptrs[] = { &protected_var, &ext_var, &counter };
static void init(void) {}
__attribute__((section(".init_array"))) void (*init_entry)(void) = init;
`;

const SECOND = `
extern int counter;
extern int helper(int);
int second(int x) { return helper(x) * counter; }
const char *greeting(void) { return "hello"; }
`;

describe('-shared output like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    for (const level of ['-O0', '-O2']) {
      const tag = level.slice(1);
      work.gcc(`lib-${tag}`, LIBRARY, [level, '-fPIC', '-fno-asynchronous-unwind-tables']);
      work.gcc(`second-${tag}`, SECOND, [level, '-fPIC', '-fno-asynchronous-unwind-tables']);
    }
    // gcc's default unwind tables: ld adds its PLT's (a CIE shared with gcc's, FDEs after the first object's).
    work.gcc('lib-unwind', LIBRARY, ['-O2', '-fPIC']);
    work.gcc('second-unwind', SECOND, ['-O2', '-fPIC']);
    work.file('exports.map', '{\n  global: api; second;\n  /* everything else */\n  local: *;\n};\n');
  });
  afterAll(() => work.dispose());

  const cases: Array<[string, string[]]> = [
    ['plain', ['-shared']],
    ['-soname', ['-shared', '-soname', 'libdemo.so.1']],
    ['-Bsymbolic', ['-shared', '-Bsymbolic', '-h', 'libdemo.so']],
    ['-Bsymbolic-functions', ['-shared', '-Bsymbolic-functions']],
    ['--version-script', ['-shared', '--version-script', 'exports.map']],
    ['--hash-style=gnu -z now', ['-shared', '--hash-style=gnu', '-z', 'now']],
    ['--hash-style=sysv', ['-shared', '--hash-style=sysv']],
    ['--gc-sections', ['-shared', '--gc-sections']],
  ];
  for (const level of ['O0', 'O2'])
    for (const [name, args] of cases)
      it(`${name} (-${level})`, async () => {
        const pair = await work.linkBoth(
          [...args, `lib-${level}.o`, `second-${level}.o`],
          `${name}-${level}`,
        );
        expectSameSharedObject(pair);
      });

  for (const [name, args] of [
    ['PLT unwind info', ['-shared', 'second-unwind.o', 'lib-unwind.o']],
    [
      'PLT unwind info, other order, --eh-frame-hdr',
      ['-shared', '--eh-frame-hdr', 'lib-unwind.o', 'second-unwind.o'],
    ],
    ['PLT unwind info, -z now', ['-shared', '-z', 'now', 'lib-unwind.o', 'second-unwind.o']],
    ['--no-ld-generated-unwind-info', ['-shared', '--no-ld-generated-unwind-info', 'lib-unwind.o']],
  ] as const)
    it(name, async () => {
      expectSameSharedObject(await work.linkBoth([...args], name.replace(/\W+/g, '-')));
    });

  it('one object whose calls all bind locally (-Bsymbolic): no PLT', async () => {
    const pair = await work.linkBoth(['-shared', '-Bsymbolic', 'second-O2.o', 'lib-O2.o'], 'symbolic-order');
    expectSameSharedObject(pair);
  });

  it('a PIE with a dynamic linker leaves undefined weak symbols to it (GLOB_DAT, 64, .plt.got), -E or not; a static PIE calls them through .plt.got', async () => {
    work.gcc(
      'weak-main',
      `extern int weak_fn(void) __attribute__((weak));
extern int weak_var __attribute__((weak));
int *p = &weak_var;
void _start(void) { if (weak_fn) weak_fn(); if (&weak_var) weak_var++; for (;;); }`,
      ['-O2', '-fPIE'],
    );
    work.gcc(
      'weak-more',
      `extern int weak_fn(void) __attribute__((weak));
extern void *weak_table[] __attribute__((weak));
int exported_value = 5;
int call_it(void) { return weak_fn ? weak_fn() + exported_value : 0; }
void *slot(void) { return weak_table; }`,
      ['-O2', '-fPIE'],
    );
    // Without a dynamic linker the weak call still goes through `.plt.got` (its GOT slot 0), as in ld.
    for (const flags of [
      ['-pie'],
      ['-pie', '-E'],
      ['-pie', '-E', '--hash-style=gnu'],
      ['-pie', '-z', 'now'],
      ['-pie', '--no-dynamic-linker'],
    ])
      expectSameSharedObject(
        await work.linkBoth([...flags, 'weak-main.o', 'weak-more.o'], `weak-pie${flags.join('')}`),
      );
  });

  it('-fPIC TLS objects in a -pie: relaxed, with the zeroed PLT entry ld reserved for __tls_get_addr', async () => {
    work.gcc(
      'tls-use',
      `__thread int tv = 3;
static __thread int tl;
extern __thread int te;
int get(void) { return tv + tl + te; }
void _start(void) { get(); for (;;); }`,
      ['-O2', '-fPIC'],
    );
    work.gcc('tls-def', '__thread int te = 9;', ['-O2', '-fPIC']);
    for (const flags of [['-pie'], ['-pie', '--no-dynamic-linker'], ['-pie', '-z', 'now']])
      expectSameSharedObject(
        await work.linkBoth([...flags, 'tls-use.o', 'tls-def.o'], `tls-pie${flags.join('')}`),
      );
  });

  it('-z defs refuses undefined symbols, naming the reference', async () => {
    const status = await main([
      'node',
      'ostool',
      'link',
      '-shared',
      '-z',
      'defs',
      '-o',
      `${work.path}/defs.so`,
      `${work.path}/lib-O2.o`,
    ]);
    expect(status).not.toBe(0);
  });

  it('a PC32 reference to a preemptible symbol is refused as ld refuses it', async () => {
    const object = work.gcc('nopic', 'extern int shared_var; int get(void) { return shared_var; }', [
      '-O2',
      '-fno-pic',
      '-mcmodel=small',
    ]);
    let message = '';
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      message += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      const status = await main(['node', 'ostool', 'link', '-shared', '-o', `${work.path}/nopic.so`, object]);
      expect(status).not.toBe(0);
    } finally {
      process.stderr.write = original;
    }
    expect(message).toMatch(
      /nopic\.o:\(\.text\+0x[0-9a-f]+\): relocation R_X86_64_(PC32|32S?) against undefined symbol `shared_var' can not be used when making a shared object; recompile with -fPIC/,
    );
  });
});
