/**
 * Dynamic exports of -pie output, each case linked by GNU ld and by ostool and compared: `-E`/--export-dynamic,
 * --dynamic-list, --export-dynamic-symbol(-list). What ld writes into .dynsym (which symbols, in which order),
 * .dynstr (tails shared), .hash and .gnu.hash (bucket counts, Bloom filter) is in the loaded image, so the
 * comparison covers it byte for byte; the exported symbols are --gc-sections roots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  expectSameAsLd,
  dynamicSection,
  dynamicSymbols,
  symbolEntries,
  Workdir,
  type LinkedPair,
} from './oracle.js';

function expectSamePair(pair: LinkedPair) {
  expect(dynamicSymbols(pair.ours)).toEqual(dynamicSymbols(pair.ld));
  expect(dynamicSection(pair.ours)).toBe(dynamicSection(pair.ld));
  expectSameAsLd(pair, { symbols: false });
  expect(symbolEntries(pair.ours)).toEqual(symbolEntries(pair.ld));
  expect(pair.oursStderr).toBe(pair.ldStderr);
}

const PROGRAM = `
int common_var __attribute__((common));
__attribute__((weak)) int weak_def = 1;
__attribute__((visibility("protected"))) int protected_var = 2;
__attribute__((visibility("hidden"))) int hidden_var = 3;
__thread int tls_var = 4;
static int local_counter;
extern char edata[], etext[];
int bump(int x) { local_counter += x; return local_counter + hidden_var + tls_var; }
void *data_end(void) { return edata; }
void *text_end(void) { return etext; }
const char *name(int i) { return i ? "start" : "_start"; }
void _start(void) { bump(common_var + weak_def + protected_var); for (;;); }
`;

/** Enough names for several hash buckets and Bloom words (ld sizes both from the symbol count). */
function manyFunctions(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`int fn_${i}_${(i * 7919) % 1000}(int x) { return x + ${i}; }`);
  return `${lines.join('\n')}\nint table_${count}[4];\nvoid _start(void) { for (;;); }\n`;
}

describe('dynamic exports of -pie output like ld', () => {
  let work: Workdir;
  let program: string;
  let gcProgram: string;
  beforeAll(() => {
    work = new Workdir();
    program = work.gcc('program', PROGRAM, ['-O2', '-fPIE']);
    gcProgram = work.gcc('gc-program', PROGRAM, ['-O2', '-fPIE', '-ffunction-sections', '-fdata-sections']);
  });
  afterAll(() => work.dispose());

  for (const style of ['sysv', 'gnu', 'both'])
    it(`-E exports every visible global (COMMON, weak, protected, TLS, script symbols), --hash-style=${style}`, async () => {
      for (const extra of [['--no-dynamic-linker'], []])
        expectSamePair(
          await work.linkBoth(
            ['-pie', '-E', `--hash-style=${style}`, ...extra, program],
            `e-${style}${extra.join('')}`,
          ),
        );
    });

  it('sizes .hash and .gnu.hash as ld does for 5, 40 and 300 symbols (buckets, Bloom words, chains)', async () => {
    for (const count of [5, 40, 300]) {
      const object = work.gcc(`many${count}`, manyFunctions(count), ['-O2', '-fPIE']);
      for (const style of ['sysv', 'gnu', 'both'])
        expectSamePair(
          await work.linkBoth(
            ['-pie', '--no-dynamic-linker', '--export-dynamic', `--hash-style=${style}`, object],
            `many${count}-${style}`,
          ),
        );
    }
  });

  it('-E makes every exported function a --gc-sections root, and --print-gc-sections says what is left', async () => {
    const pair = await work.linkBoth(
      ['-pie', '--no-dynamic-linker', '-E', '--gc-sections', '--print-gc-sections', gcProgram],
      'e-gc',
    );
    expectSamePair(pair);
    expect(dynamicSymbols(pair.ours).join('\n')).toContain(' name');
  });

  it('--dynamic-list exports the names and globs it lists (comments, extern "C", several lists) as gc roots', async () => {
    work.file(
      'exports.list',
      '/* what the loader may call */\n{\n  bump;\n  text_*; # a glob\n  extern "C" { data_end; };\n  hidden_var;\n};\n{ common_var; };\n',
    );
    const common = ['-pie', '--no-dynamic-linker', '--gc-sections', '--print-gc-sections'];
    expectSamePair(await work.linkBoth([...common, '--dynamic-list', 'exports.list', gcProgram], 'list'));
    expectSamePair(
      await work.linkBoth(
        [...common, '--dynamic-list=exports.list', '--hash-style=sysv', gcProgram],
        'list-sysv',
      ),
    );
    expectSamePair(
      await work.linkBoth([...common, '--export-dynamic-symbol-list', 'exports.list', gcProgram], 'sym-list'),
    );
  });

  it('--export-dynamic-symbol exports what its glob matches, nothing else', async () => {
    const common = ['-pie', '--no-dynamic-linker', '--gc-sections', '--print-gc-sections'];
    for (const globs of [['name'], ['*_end', 'bump'], ['nothing*']])
      expectSamePair(
        await work.linkBoth(
          [...common, ...globs.flatMap((g) => ['--export-dynamic-symbol', g]), gcProgram],
          `sym-${globs.join('-').replace(/\*/g, 'x')}`,
        ),
      );
  });

  it('-E changes nothing in a static executable (no dynamic sections there)', async () => {
    const pair = await work.linkBoth(['-E', '--gc-sections', program], 'static-e');
    expectSamePair(pair);
    expect(dynamicSymbols(pair.ours)).toEqual([]);
  });

  it('-E or --dynamic-list with --no-dynamic-linker gives even a fixed-address executable dynamic sections, as ld', async () => {
    const unwound = work.gcc(
      'unwound',
      'int ext_var = 1; int ext_fn(int x) { return x; } int (*fp)(int) = ext_fn;',
      ['-O2', '-fno-pic', '-ffunction-sections'],
    );
    const entry = work.gcc('entry', 'void _start(void) { for (;;); }', [
      '-O2',
      '-fno-pic',
      '-fno-asynchronous-unwind-tables',
    ]);
    work.file('one.list', '{ ext_fn; };\n');
    work.file('none.list', '{ nothing_here; };\n');
    for (const extra of [
      ['-E'],
      ['-E', '-z', 'now'],
      ['-E', '--hash-style=gnu'],
      ['--dynamic-list', 'one.list'],
      ['--dynamic-list', 'none.list', '--gc-sections'],
      // Every FDE collected: ld keeps the (empty) .eh_frame of its own, and so its PT_LOAD.
      ['-pie', '--gc-sections'],
    ])
      expectSamePair(
        await work.linkBoth(['--no-dynamic-linker', ...extra, entry, unwound], `fixed${extra.join('')}`),
      );
  });

  it('refuses extern "C++" lists (no demangler) and malformed lists with file:line:column', async () => {
    work.file('cxx.list', '{\n  extern "C++" { foo::bar; };\n};\n');
    work.file('bad.list', '{\n  foo\n  bar;\n};\n');
    for (const [list, message] of [
      ['cxx.list', 'cxx.list:2:3: extern "C++" patterns match demangled names'],
      ['bad.list', "bad.list:3:3: expected ';' after 'foo'"],
    ] as const) {
      const chunks: string[] = [];
      const original = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string | Uint8Array) => {
        chunks.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      let status: number;
      const cwd = process.cwd();
      try {
        process.chdir(work.path);
        status = await main([
          'node',
          'ostool',
          'link',
          '-pie',
          '--dynamic-list',
          list,
          program,
          '-o',
          'x.elf',
        ]);
      } finally {
        process.chdir(cwd);
        process.stderr.write = original;
      }
      expect(status).not.toBe(0);
      expect(chunks.join('')).toContain(message);
    }
  });
});
