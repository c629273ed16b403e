/**
 * `--defsym NAME=EXPR` and symbol assignments outside output sections, linked by GNU ld and by ostool (through the
 * CLI) and compared symbol by symbol: value, type, binding and st_shndx. ld's rule outside output sections: a
 * bare symbol, ADDR() or `.` keeps its section, arithmetic on an address (`sym+4`, `ADDR(.text)+4`, `sym&0xffff`)
 * gives an absolute symbol, two symbols' difference is absolute, and the type comes from the one symbol named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, symbolEntries, Workdir } from './oracle.js';

const EXPRESSIONS = [
  'a=foo',
  'a=(foo)',
  'a=foo+4',
  'a=4+foo',
  'a=foo-4',
  'a=foo*1',
  'a=foo&0xffff',
  'a=foo|1',
  'a=foo-_start',
  'a=foo-counter',
  'a=0x10',
  'a=0x1234+8',
  'a=ALIGN(foo,16)',
  'a=ABSOLUTE(foo)',
  'a=ADDR(.text)',
  'a=ADDR(.text)+4',
  'a=LOADADDR(.text)',
  'a=foo>0?foo:4',
  'a=MAX(foo,4)',
  'a=DEFINED(foo)',
  'a=counter',
  'a=counter+8',
];

const SCRIPT = `
top = foo + 4;
SECTIONS
{
  . = 0x100000;
  s_plus = foo + 4;
  .text : { *(.text*) s_inside = foo + 4; s_inside_addr = ADDR(.text) + 4; }
  s_and = foo & 0xffff;
  s_addr = ADDR(.text) + 4;
  s_dot = . + 4;
  s_cond = foo > 0 ? foo : 4;
  s_diff = (foo + 4) - _start;
  .data : { *(.data .bss COMMON) }
}
`;

describe('--defsym expressions, like ld', () => {
  let work: Workdir;
  let objects: string[];
  beforeAll(() => {
    work = new Workdir();
    objects = [
      work.gcc(
        'defsym',
        'int counter = 5; int foo(int x) { return x + counter; } void _start(void) { for (;;) foo(1); }',
        ['-O2', '-fno-pic', '-fno-asynchronous-unwind-tables'],
      ),
    ];
    work.file('outside.ld', SCRIPT);
  });
  afterAll(() => work.dispose());

  it.each(EXPRESSIONS)('--defsym %s', async (expression) => {
    const pair = await work.linkBoth(['-static', ...objects, '--defsym', expression], 'defsym');
    expectSameAsLd(pair, { symbols: false });
    expect(symbolEntries(pair.ours)).toEqual(symbolEntries(pair.ld));
  });

  it('assignments outside output sections in a script (and a --defsym beside them)', async () => {
    const pair = await work.linkBoth(['-T', 'outside.ld', ...objects, '--defsym', 'd=foo+4'], 'script');
    expectSameAsLd(pair, { symbols: false });
    expect(symbolEntries(pair.ours)).toEqual(symbolEntries(pair.ld));
  });
});
