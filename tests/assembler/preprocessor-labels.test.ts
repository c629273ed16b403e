/**
 * Labels in preprocessor expressions as nasm 2.16.01 treats them (it preprocesses again in every pass with the
 * labels known so far): on generated sources (see preprocessor-labels.ts), at -O0, -O1 and -Ox, the exit
 * status, the output bytes and the error and warning lines (severity and line) are nasm's.
 */

import { describe, expect, it } from 'vitest';
import { assemble, type AssembleOptions } from '../../src/assembler/index.js';
import { hex, runNasm } from './oracle.js';
import { generateLabelCase } from './preprocessor-labels.js';

const LEVELS: Array<{ flag: string; optimization?: AssembleOptions['optimization'] }> = [
  { flag: '-Ox' },
  { flag: '-O1', optimization: 'O1' },
  { flag: '-O0', optimization: 'O0' },
];

/** nasm's messages as `severity line` (line 0: about the whole file). */
function nasmMessages(stderr: string): string[] {
  return [...stderr.matchAll(/^test\.asm(?::(\d+))?: (error|warning|fatal):/gm)].map(
    (m) => `${m[2] === 'fatal' ? 'error' : m[2]} ${m[1] ?? 0}`,
  );
}

function compare(source: string, format: 'bin' | 'elf64', level: (typeof LEVELS)[number]): void {
  const nasm = runNasm(source, format, {}, 'test.asm', [level.flag]);
  const options: AssembleOptions = { source, fileName: 'test.asm', format };
  if (level.optimization) options.optimization = level.optimization;
  const ours = assemble(options);
  const context = `${level.flag}\n${source}\nnasm said:\n${nasm.stderr}`;
  expect(
    ours.diagnostics.map((d) => `${d.severity} ${d.location.line}`),
    context,
  ).toEqual(nasmMessages(nasm.stderr));
  expect(ours.output && hex(ours.output), context).toEqual(nasm.output && hex(nasm.output));
}

describe('labels in preprocessor expressions, against nasm', () => {
  const cases: Array<[string, string, 'bin' | 'elf64']> = [
    [
      'backward labels as a %rep count',
      'a: nop\nb: nop\n%assign d b-a\n%rep d\ndb 1\n%endrep\ndb d\n',
      'bin',
    ],
    ['a label defined later', 'a: nop\n%if fwd-a > 3\ndb 1\n%endif\ndb zz\n%error no\nfwd: nop\n', 'bin'],
    [
      'a boot sector measuring its message',
      'org 0x7c00\njmp start\nmsg: db "hello"\nover:\n%assign len over-msg\nstart: mov cx, len\n' +
        'end:\n%if (end - $$) > 510\n%error too big\n%endif\ntimes 510-($-$$) db 0\ndw 0xaa55\n',
      'bin',
    ],
    [
      'a table walked in 8-byte steps',
      'table: times 5 dq 0\ntable_end:\n%rep (table_end-table)/8\nnop\n%endrep\n',
      'bin',
    ],
    ['a label address in -f bin', 'org 0x7c00\nlab: nop\n%if lab > 3\ndb 1\n%endif\n', 'bin'],
    ['a label address in ELF', 'lab: nop\n%if lab\ndb 1\n%endif\n', 'elf64'],
    ['a difference in one ELF section', 'lab: nop\nlab2: nop\n%if lab2-lab > 0\ndb 1\n%endif\n', 'elf64'],
    ['a difference across sections', 'section .a\na: nop\nsection .b\nb: nop\n%if b-a\n%endif\n', 'elf64'],
    ['an extern', 'extern e\n%if e\n%endif\n', 'elf64'],
    ['an equ of labels, even of a later one', 'a: nop\nx equ b-a\n%assign n x\ndb n\nb: nop\n', 'bin'],
    ['an equ of a label', 'a: nop\nx equ a\n%assign n x\ndb n\n', 'bin'],
    ['local labels', 'a: nop\n.x: nop\n.y: nop\n%assign n .y-.x\ndb n\n%assign m .z-.x\n.z:\n', 'bin'],
    ['..@ labels', '..@x: nop\n..@y: nop\n%assign n ..@y-..@x\ndb n\n', 'bin'],
    [
      'a jump whose size decides a %if that decides the jump',
      'a: jmp c\nb:\n%assign n b-a\n%if n == 2\ntimes 200 nop\n%endif\nc: ret\n',
      'bin',
    ],
    ['a jump that stays short', 'a: jmp c\nb:\n%assign n b-a\ntimes n*30 nop\nc: ret\n', 'bin'],
    [
      'an error of the first pass, after which nasm gives none of its last pass',
      '%if 1/0\n%endif\nmov eax, ebx, ecx\ndb zz\n%error hi\n%warning w\ndw 0x12345\nfoo eax\n',
      'bin',
    ],
    [
      '%rep counts in error, or missing',
      'lab: nop\n%rep 1/0\ndb 1\n%endrep\n%rep\ndb 2\n%endrep\n%rep .nolist 2\ndb 3\n%endrep\n',
      'bin',
    ],
  ];
  for (const [name, source, format] of cases)
    it(`${name}: as nasm`, () => {
      for (const level of LEVELS) compare(source, format, level);
    });

  it('generated sources (jumps between the labels, nested %rep/%if, macros, equs, sections): as nasm', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const generated = generateLabelCase(seed);
      for (const level of LEVELS) compare(generated.source, generated.format, level);
    }
  }, 240_000);
});
