/**
 * ld flags hobby kernels' Makefiles pass, each linked by GNU ld and by ostool (through the CLI) and compared:
 * section and segment addresses (-Ttext/-Tdata/-Tbss/--section-start/-Ttext-segment), --wrap, --sort-common,
 * the symbol-table trimmers (-S, -x, -X, --discard-none), --no-relax; and the clear refusals (-shared, -q).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import {
  allocSections,
  describe as describeElf,
  expectSameAsLd,
  symbolEntries,
  Workdir,
  type LinkedPair,
} from './oracle.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** ld's stderr without the program name and the warnings ostool does not print (RWX segments, exec stack). */
const messages = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/^(ld|ostool): /, ''))
    .filter(
      (l) =>
        l !== '' &&
        !l.includes('LOAD segment with RWX permissions') &&
        !l.includes('implies executable stack') &&
        !l.includes('behaviour is deprecated'),
    );

/** Every section header, non-allocated ones too: name, type, address, size, entry size, flags, alignment. */
const sectionHeaders = (path: string) =>
  execFileSync('readelf', ['-SW', path], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\s+\[\s*\d+\]/.test(l))
    .map((l) => l.replace(/^\s+\[\s*\d+\]\s+/, '').replace(/\s[0-9a-f]{6}\s/, ' '));

function expectSamePair(pair: LinkedPair) {
  expectSameAsLd(pair, { symbols: false });
  expect(symbolEntries(pair.ours)).toEqual(symbolEntries(pair.ld));
  expect(messages(pair.oursStderr)).toEqual(messages(pair.ldStderr));
}

const KERNEL = ['-O2', '-ffreestanding', '-fno-pic', '-mcmodel=kernel', '-fno-asynchronous-unwind-tables'];

describe('ld flags of kernel Makefiles, like ld', () => {
  let work: Workdir;
  let objects: string[];
  beforeAll(() => {
    work = new Workdir();
    objects = [
      work.gcc('main', 'int a(void){return 1;} int b(void){return 2;} void _start(void){for(;;);}', KERNEL),
      work.gcc(
        'data',
        'int counter = 4; int table[32]; const char banner[] = "kernel"; int get(void){return counter + table[3];}',
        KERNEL,
      ),
    ];
  });
  afterAll(() => work.dispose());

  it('-Ttext/-Tdata/-Tbss/--section-start/-Ttext-segment place sections and segments as ld does', async () => {
    const cases = [
      ['-Ttext=0x100000'],
      ['-Ttext', '0x500000'],
      ['-Ttext=100800'],
      ['-Ttext=0x123456'],
      ['-Ttext-segment=0x200000'],
      ['-Ttext-segment', '0x10000000', '-Trodata-segment=0x10400000'],
      ['-Tdata=0x700000'],
      ['-Tbss=0x900000', '-Tdata=0x800000'],
      ['--section-start=.data=0x800000'],
      ['--section-start', '.rodata=0x600000', '-Ttext=0x100000'],
      ['-Ttext=0x100000', '-z', 'noseparate-code'],
      ['-Ttext=0x100000', '-z', 'max-page-size=0x200000'],
    ];
    for (const [i, extra] of cases.entries())
      expectSamePair(await work.linkBoth([...extra, ...objects], `ttext${i}`));
  });

  it('-Ttext and --section-start override a -T script, before or after it on the command line', async () => {
    work.file(
      'kernel.ld',
      'ENTRY(_start)\nSECTIONS {\n  . = 0xffffffff80000000;\n  .text : { *(.text*) }\n  . += 0x1000;\n  .rodata : { *(.rodata*) }\n  .data : { *(.data*) }\n  .bss : { *(.bss*) *(COMMON) }\n}\n',
    );
    for (const [i, args] of [
      ['-T', 'kernel.ld', '-Ttext=0xffffffff80200000'],
      ['-T', 'kernel.ld', '--section-start=.data=0xffffffff90000000'],
      ['--section-start=.data=0xffffffff90000000', '-T', 'kernel.ld'],
      ['-T', 'kernel.ld', '--section-start=.mine=0xffffffff90000000'],
    ].entries())
      expectSamePair(await work.linkBoth([...args, ...objects], `script-start${i}`));
  });

  it('--wrap sends undefined references to __wrap_SYM and __real_SYM to SYM', async () => {
    const caller = work.gcc(
      'wrap-caller',
      'extern void *kmalloc(unsigned long); extern void *__real_kmalloc(unsigned long);\n' +
        'void *__wrap_kmalloc(unsigned long n) { return __real_kmalloc(n + 16); }\n' +
        'void _start(void) { kmalloc(5); for (;;); }',
      KERNEL,
    );
    const allocator = work.gcc(
      'wrap-alloc',
      'void *kmalloc(unsigned long n) { static char pool[64]; return pool + n; }',
      KERNEL,
    );
    expectSamePair(await work.linkBoth(['--wrap=kmalloc', caller, allocator], 'wrap1'));
    expectSamePair(await work.linkBoth(['--wrap', 'kmalloc', allocator, caller], 'wrap2'));
  });

  it('--sort-common orders COMMON symbols by alignment, descending or ascending', async () => {
    const commons = work.gcc(
      'commons',
      'char c1; short s1; int i1; long l1; long double ld1; char arr3[3];\n' +
        'char big[100] __attribute__((aligned(32))); int i2; char c2; void _start(void) { for (;;); }',
      ['-O2', '-fno-pic', '-fcommon'],
    );
    for (const extra of [[], ['--sort-common'], ['--sort-common=ascending'], ['--sort-common=descending']])
      expectSamePair(await work.linkBoth([...extra, commons], `common${extra.join('')}`));
  });

  it('-S drops debug sections, -x every local symbol, -X assembler temporaries, --discard-none none', async () => {
    const locals = work.gas(
      'locals',
      '.text\n.globl _start\n_start: call local_fn\n.Ltemp: jmp .Ltemp\nlocal_fn: ret\n..dots: ret\nL12: ret\n' +
        '.section .rodata.str1.1,"aMS",@progbits,1\n.Lstr: .string "hi"\nmstr: .string "yo"\n' +
        '.data\nldata: .quad .Lstr\n.globl gdata\ngdata: .quad mstr\n.section .note.GNU-stack,"",@progbits\n',
      ['-L', '-g'],
    );
    const debug = work.gcc('debug', 'int counter; int get(void) { return counter; }', [...KERNEL, '-g']);
    for (const extra of [
      [],
      ['-S'],
      ['--strip-debug'],
      ['-x'],
      ['--discard-all'],
      ['-X'],
      ['--discard-locals'],
      ['--discard-none'],
      ['-S', '-x'],
    ]) {
      const pair = await work.linkBoth([...extra, locals, debug], `discard${extra.join('')}`);
      expectSamePair(pair);
      if (extra.includes('-S') || extra.includes('--strip-debug'))
        expect(sectionHeaders(pair.ours)).toEqual(sectionHeaders(pair.ld));
    }
  });

  it('--no-relax keeps GOT loads through the GOT (static and -pie; i386 converts GOT32X regardless, as ld)', async () => {
    const user = work.gcc(
      'got-user',
      'extern int ext_var; extern int ext_fn(int); extern int (*fp)(int);\n' +
        'int use_got(void) { return ext_var + ext_fn(ext_var) + (fp == ext_fn); }\n' +
        'void _start(void) { use_got(); for (;;); }',
      ['-O2', '-fPIC'],
    );
    const definer = work.gcc(
      'got-def',
      'int ext_var = 1; int ext_fn(int x) { return x; } int (*fp)(int) = ext_fn;',
      ['-O2', '-fPIC'],
    );
    for (const extra of [
      ['--no-relax'],
      ['--relax'],
      ['-pie', '--no-relax'],
      ['-pie', '--no-dynamic-linker', '--no-relax'],
    ]) {
      const pair = await work.linkBoth([...extra, user, definer], `norelax${extra.join('')}`);
      expectSamePair(pair);
      expect(allocSections(pair.ours).some((s) => s.startsWith('.got '))).toBe(!extra.includes('--relax'));
    }
    const user32 = work.gcc('got-user32', 'extern int v; int _start(void) { return v; }', [
      '-m32',
      '-O2',
      '-fPIC',
    ]);
    const def32 = work.gcc('got-def32', 'int v = 3;', ['-m32', '-O2', '-fPIC']);
    expectSamePair(await work.linkBoth(['-m', 'elf_i386', '--no-relax', user32, def32], 'norelax-i386'));
  });

  it('accepts the no-op flags Makefiles pass (-g, -O1, -z defs, -EL, ...) with output identical to ld', async () => {
    for (const extra of [
      ['-g'],
      ['-O1'],
      ['-O', '2'],
      ['--no-warn-mismatch'],
      ['--warn-common'],
      ['-Bdynamic'],
      ['-EL'],
      ['-z', 'lazy'],
      ['-z', 'defs'],
      ['-z', 'nocopyreloc'],
      ['-z', 'cet-report=none'],
      ['--enable-new-dtags'],
      ['--disable-new-dtags'],
      ['--error-unresolved-symbols'],
      ['--unresolved-symbols=report-all'],
      ['--strip-discarded'],
      ['--fatal-warnings'],
    ])
      expectSamePair(await work.linkBoth([...extra, ...objects], `noop${extra.join('')}`));
  });

  it('--allow-multiple-definition / -z muldefs keep the first definition, as ld', async () => {
    const again = work.gcc('again', 'int get(void) { return 99; }', KERNEL);
    for (const flag of [['--allow-multiple-definition'], ['-z', 'muldefs']])
      expectSamePair(await work.linkBoth([...flag, ...objects, again], `muldefs${flag.join('')}`));
  });

  it("-pie: -z now, --disable-new-dtags, text relocations (ld's default warns, -z notext is quiet), no PLT unwind section", async () => {
    const pie = work.gcc(
      'pie-now',
      'int counter; int *const ptr = &counter; int *table[] = { &counter }; void _start(void) { *table[0] = *ptr; for (;;); }',
      ['-O2', '-fPIE'],
    );
    const textrel = work.nasm(
      'textrel',
      'section .text\nglobal _start\n_start: ret\nsection .rodata\npointer: dq _start\nsection .note.GNU-stack noalloc noexec nowrite progbits\n',
    );
    for (const extra of [
      ['-z', 'now'],
      ['-z', 'now', '--disable-new-dtags'],
      ['-z', 'lazy'],
      ['--no-ld-generated-unwind-info'],
    ])
      expectSamePair(
        await work.linkBoth(['-pie', '--no-dynamic-linker', ...extra, pie], `pie${extra.join('')}`),
      );
    for (const extra of [
      [],
      ['-z', 'notext'],
      ['-z', 'now', '-z', 'notext'],
      ['-z', 'now', '--disable-new-dtags'],
    ]) {
      const pair = await work.linkBoth(
        ['-pie', '--no-dynamic-linker', ...extra, textrel],
        `textrel${extra.join('')}`,
      );
      const expected = describeElf(pair.ld);
      const actual = describeElf(pair.ours);
      expect(actual.phdrs).toBe(expected.phdrs);
      expect(actual.image).toEqual(expected.image);
      // ld words the first warning "FILE: warning: ...", ostool "warning: FILE: ...".
      const warnings = (text: string) =>
        messages(text).map((l) => l.replace(/^(.*): warning: /, 'warning: $1: '));
      expect(warnings(pair.oursStderr)).toEqual(warnings(pair.ldStderr));
    }
  });

  it('-M/--print-map prints on standard output the map -Map writes, as ld does', async () => {
    work.file(
      'print-map.ld',
      'SECTIONS { . = 0x100000; .text : { *(.text*) } .data : { *(.data*) *(.bss*) } }\n',
    );
    for (const flag of ['-M', '--print-map']) {
      const chunks: string[] = [];
      const original = process.stdout.write.bind(process.stdout);
      process.stdout.write = ((chunk: string | Uint8Array) => {
        chunks.push(String(chunk));
        return true;
      }) as typeof process.stdout.write;
      let status: number;
      const cwd = process.cwd();
      try {
        process.chdir(work.path);
        status = await main([
          'node',
          'ostool',
          'link',
          '-T',
          'print-map.ld',
          flag,
          '-Map',
          'k.map',
          ...objects,
          '-o',
          'k.elf',
        ]);
      } finally {
        process.chdir(cwd);
        process.stdout.write = original;
      }
      expect(status).toBe(0);
      const written = readFileSync(join(work.path, 'k.map'), 'utf8');
      expect(chunks.join('')).toBe(written);
      expect(written).toContain('Linker script and memory map');
    }
  });
});
