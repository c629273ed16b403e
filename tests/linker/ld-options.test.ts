/**
 * Differential tests for ld options kernels' build systems pass: --orphan-handling (ld's messages, word for word),
 * and the layouts they change, each linked by GNU ld and by ostool and compared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { expectSameAsLd, Workdir, type LinkedPair } from './oracle.js';

/** ld's stderr without the program name and the RWX-segment warning (ostool does not print that one). */
const messages = (text: string) =>
  text
    .split('\n')
    .map((l) => l.replace(/^(ld|ostool): /, ''))
    .filter((l) => l !== '' && !l.includes('LOAD segment with RWX permissions'));

function expectSamePair(pair: LinkedPair) {
  expectSameAsLd(pair);
  expect(messages(pair.oursStderr)).toEqual(messages(pair.ldStderr));
}

/** Runs a link that must fail with both linkers; returns both stderrs. */
async function failBoth(
  work: Workdir,
  args: string[],
): Promise<{ ld: string; ours: string; oursExists: boolean }> {
  const out = join(work.path, 'failed.elf');
  const run = spawnSync('ld', [...args, '-o', out], { cwd: work.path, encoding: 'utf8' });
  expect(run.status).not.toBe(0);
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  const cwd = process.cwd();
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  let status: number;
  try {
    process.chdir(work.path);
    status = await main(['node', 'ostool', 'link', ...args, '-o', out]);
  } finally {
    process.chdir(cwd);
    process.stderr.write = original;
  }
  expect(status).not.toBe(0);
  return { ld: run.stderr, ours: chunks.join(''), oursExists: existsSync(out) };
}

const ORPHANS = `
section .text
global _start
_start: ret
section .foo
table: db 1, 2, 3
section .bar write
    dq _start
section .baz nobits write
    resb 64
`;

describe('ld options: ostool link matches GNU ld', () => {
  let work: Workdir;
  let orphans: string;
  let cObjects: string[];
  beforeAll(() => {
    work = new Workdir();
    orphans = work.nasm('orphans', ORPHANS);
    work.file('text-only.ld', 'SECTIONS { . = 0x100000; .text : { *(.text) } }\n');
    work.file(
      'places-got.ld',
      'SECTIONS { . = 0x100000; .text : { *(.text) } .data : { *(.data .bss .rodata) } .got : { *(.got) *(.igot) } /DISCARD/ : { *(.comment) *(.note.GNU-stack) } }\n',
    );
    const flags = ['-O2', '-ffreestanding', '-fno-pic', '-mcmodel=kernel'];
    cObjects = [
      work.gcc('orphan-a', 'int counter = 3; void _start(void) { counter++; for (;;); }', flags),
      work.gcc(
        'orphan-b',
        'const char banner[] = "hi"; int zero; int get(void) { return banner[zero]; }',
        flags,
      ),
    ];
  });
  afterAll(() => work.dispose());

  for (const mode of ['place', 'discard', 'warn'])
    it(`--orphan-handling=${mode} with a script that places only .text, and without a script`, async () => {
      expectSamePair(
        await work.linkBoth(['-T', 'text-only.ld', `--orphan-handling=${mode}`, orphans], `orph-${mode}`),
      );
      expectSamePair(await work.linkBoth([`--orphan-handling=${mode}`, orphans], `orph-${mode}-default`));
      expectSamePair(
        await work.linkBoth(
          ['-T', 'places-got.ld', `--orphan-handling=${mode}`, ...cObjects],
          `orph-${mode}-c`,
        ),
      );
    });

  it('--orphan-handling=warn names .note.GNU-stack and the sections ld creates, for -pie and --build-id too', async () => {
    expectSamePair(
      await work.linkBoth(['-T', 'text-only.ld', '--orphan-handling=warn', ...cObjects], 'orph-c'),
    );
    expectSamePair(
      await work.linkBoth(
        ['-T', 'text-only.ld', '--orphan-handling=warn', '--build-id', ...cObjects],
        'orph-id',
      ),
    );
  });

  for (const magic of ['-N', '-n'])
    it(`${magic} (${magic === '-N' ? 'omagic' : 'nmagic'}): one unpaged segment, headers not loaded, ld's default script for it`, async () => {
      const relro = work.gcc(
        `magic-relro${magic}`,
        'const char s[100] = {1}; int x = 3; int *const px = &x; int *const *ppx = &px; void _start(void) { x = s[1] + **ppx; for (;;); }',
        ['-O2', '-fpie'],
      );
      work.file(
        'page-gap.ld',
        'SECTIONS { . = 0x100000; .text : { *(.text*) } . = 0x102000; .data : { *(.data*) *(.bss*) } }\n',
      );
      work.file(
        'page-near.ld',
        'SECTIONS { . = 0x100000; .text : { *(.text*) } . = 0x101800; .data : { *(.data*) *(.bss*) } }\n',
      );
      for (const [args, name] of [
        [[...cObjects], 'default'],
        [[relro], 'relro'],
        [[orphans], 'nasm'],
        [['--gc-sections', ...cObjects], 'gc'],
        [['-T', 'page-gap.ld', ...cObjects], 'gap'],
        [['-T', 'page-near.ld', ...cObjects], 'near'],
      ] as const)
        expectSamePair(await work.linkBoth([magic, ...args], `magic${magic}-${name}`));
    });

  it("-pie --no-dynamic-linker without a script: ld's default PIE layout (base 0, dynamic sections first, PT_DYNAMIC)", async () => {
    const flags = ['-O2', '-fpie'];
    const pieObjects = [
      work.gcc(
        'pie-a',
        'int counter; int helper(int x) { return x * 3 + counter; } void _start(void) { counter = helper(2); for (;;); }',
        flags,
      ),
      work.gcc(
        'pie-b',
        'extern int helper(int); int (*table[])(int) = { helper }; int lib(int q) { return table[0](q) - 7; }',
        flags,
      ),
    ];
    for (const extra of [[], ['--gc-sections'], ['-z', 'norelro'], ['--hash-style=gnu']])
      expectSamePair(
        await work.linkBoth(
          ['-pie', '--no-dynamic-linker', ...extra, ...pieObjects],
          `pie-default${extra.join('')}`,
        ),
      );
  });

  it('-z max-page-size/common-page-size as ld 2.40: RELRO ends on a max page, a larger common page raises MAXPAGESIZE but not p_align', async () => {
    const relro = work.gcc(
      'page-relro',
      'int x = 3; int *const px = &x; int *const *ppx = &px; int _start(void) { return **ppx; }',
      ['-O2', '-fpie'],
    );
    for (const extra of [
      ['-z', 'max-page-size=0x200000'],
      ['-z', 'common-page-size=0x2000'],
      ['-z', 'max-page-size=0x10000', '-z', 'common-page-size=0x1000'],
    ])
      expectSamePair(await work.linkBoth([...extra, relro], `pages${extra.join('')}`));
  });

  it("-pie with nasm objects only: ld's empty .eh_frame (the PLT unwind section) in a PT_LOAD of its own", async () => {
    const object = work.nasm(
      'pie-nasm',
      'section .text\nglobal _start\n_start: lea rax, [rel data]\n ret\nsection .data\ndata: dq data\n',
    );
    for (const extra of [['--no-dynamic-linker'], [], ['-z', 'norelro']])
      expectSamePair(await work.linkBoth(['-pie', ...extra, object], `pie-nasm${extra.join('')}`));
  });

  it("--orphan-handling=error refuses the link with ld's message per orphan and writes nothing", async () => {
    const failed = await failBoth(work, ['-T', 'text-only.ld', '--orphan-handling=error', orphans]);
    const unplaced = (text: string) => text.split('\n').filter((l) => l.includes('unplaced orphan section'));
    expect(unplaced(failed.ours).map((l) => l.replace(/^.*unplaced/, 'unplaced'))).toEqual(
      unplaced(failed.ld).map((l) => l.replace(/^.*unplaced/, 'unplaced')),
    );
    expect(unplaced(failed.ours).length).toBeGreaterThan(3);
    expect(failed.oursExists).toBe(false);
  });
});
