/**
 * GOT-load conversion (GOTPCREL/GOTPCRELX/REX_GOTPCRELX) as GNU ld does it per instruction form, checked byte for
 * byte against ld: mov to `lea` (PIE) or `mov $imm` (static), `call/jmp *got` to `addr32 call`/`jmp; nop`,
 * test and binops to immediates (static only), each load converted on its own even when other loads of the same
 * symbol keep the GOT slot; undefined weak symbols (0) as immediates in a PIE with calls keeping the GOT; loads of
 * absolute or resolved-to-zero symbols without dynamic relocations for their slots; --no-relax; and gcc's code in
 * every code model linked -pie.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, dynamicSection, Workdir, type LinkedPair } from './oracle.js';
import { execFileSync } from 'node:child_process';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

const relocations = (path: string) => execFileSync('readelf', ['-rW', path], { encoding: 'utf8' });

function expectSamePair(pair: LinkedPair) {
  expectSameAsLd(pair);
  expect(relocations(pair.ours)).toBe(relocations(pair.ld));
}

/** Every GOT-load form gcc and hand-written assembly use, against one symbol. */
function forms(symbol: string): string {
  const loads = [
    'movq SYM@GOTPCREL(%rip), %rax',
    'movq SYM@GOTPCREL(%rip), %r11',
    'movl SYM@GOTPCREL(%rip), %ecx',
    'movl SYM@GOTPCREL(%rip), %r9d',
    'testq %rdx, SYM@GOTPCREL(%rip)',
    'testl %r10d, SYM@GOTPCREL(%rip)',
    'addq SYM@GOTPCREL(%rip), %rbx',
    'orq SYM@GOTPCREL(%rip), %r12',
    'adcq SYM@GOTPCREL(%rip), %rsi',
    'sbbl SYM@GOTPCREL(%rip), %edi',
    'andq SYM@GOTPCREL(%rip), %r13',
    'subq SYM@GOTPCREL(%rip), %rbp',
    'xorl SYM@GOTPCREL(%rip), %eax',
    'cmpq SYM@GOTPCREL(%rip), %r15',
    'call *SYM@GOTPCREL(%rip)',
    'jmp *SYM@GOTPCREL(%rip)',
  ];
  return [
    '.text',
    '.globl _start',
    '_start:',
    ...loads.map((l) => `  ${l.replace('SYM', symbol)}`),
    '  ret',
    'local_def: ret',
    '.globl global_def',
    'global_def: ret',
    '.weak weak_undefined',
    '.globl absolute',
    '.set absolute, 0x1234',
    '.section .fardata,"aw"',
    '.globl far_data',
    'far_data: .quad 0',
    '.section .note.GNU-stack,"",@progbits',
    '',
  ].join('\n');
}

describe('GOT loads converted like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file(
      'high.ld',
      'SECTIONS { . = 0xffffffff80000000; .text : { *(.text) } .data : { *(.data) *(.fardata) } }\n',
    );
  });
  afterAll(() => work.dispose());

  for (const symbol of ['global_def', 'local_def', 'weak_undefined', 'far_data', 'absolute'])
    it(`every load form against ${symbol}: static, higher half, -pie, --no-relax; GOTPCRELX and plain GOTPCREL`, async () => {
      for (const relax of ['yes', 'no']) {
        const object = work.gas(`forms-${symbol}-${relax}`, forms(symbol), [`-mrelax-relocations=${relax}`]);
        const links: string[][] = [[], ['--no-relax'], ['-pie', '--no-relax', '--no-dynamic-linker']];
        // ld cannot convert mov/test/binop to a 32-bit immediate in the top 2 GiB (it refuses the link).
        // (An absolute symbol's plain GOTPCREL load becomes a `lea` out of reach there.)
        if ((relax === 'no' && symbol !== 'absolute') || symbol === 'weak_undefined')
          links.push(['-T', 'high.ld']);
        // ld refuses a PC-relative reference to an absolute symbol in a PIE.
        if (symbol !== 'absolute') links.push(['-pie', '--no-dynamic-linker'], ['-pie']);
        // With a dynamic linker ld binds an undefined weak symbol at run time (GLOB_DAT): ostool does not.
        if (symbol === 'weak_undefined') links.pop();
        for (const args of links)
          expectSamePair(await work.linkBoth([...args, object], `forms-${symbol}-${relax}${args.join('')}`));
      }
    });

  it('gcc -fPIE code in every code model at -O0 and -O2 links -pie like ld (lea, RELATIVE GOT slots)', async () => {
    for (const model of ['small', 'medium', 'large'])
      for (const opt of ['-O0', '-O2']) {
        const flags = [
          '-ffreestanding',
          '-fno-stack-protector',
          '-fno-asynchronous-unwind-tables',
          `-mcmodel=${model}`,
          '-fPIE',
          opt,
        ];
        const name = `${model}${opt}`;
        const objects = [
          work.gcc(`probe-${name}`, source('code-model-probe.c'), flags),
          work.gcc(`lib-${name}`, source('code-model-lib.c'), flags),
        ];
        for (const args of [['-pie'], ['-pie', '--no-dynamic-linker'], ['-pie', '--no-relax']]) {
          const pair = await work.linkBoth([...args, ...objects], `pie-${name}${args.join('')}`);
          expectSamePair(pair);
          expect(dynamicSection(pair.ours)).toBe(dynamicSection(pair.ld));
        }
      }
  });
});
