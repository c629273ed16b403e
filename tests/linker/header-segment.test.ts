/**
 * Where the ELF and program headers go for a script's start address: bfd loads them when the script uses
 * SIZEOF_HEADERS or when the first section's offset in its page leaves room for them, in a read-only PT_LOAD of
 * their own under -z separate-code (code first) or with the first segment otherwise, and with FILEHDR on the
 * page before a page-aligned first section. Each case is linked by GNU ld and by ostool and compared whole.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, KERNEL_FLAGS, Workdir } from './oracle.js';

const STARTS = [
  '0x100000',
  '0x100120',
  '0x100ee0',
  '0x1234',
  '0x7c00',
  '0x200',
  '0x100',
  '0xf0',
  '0x1000 + SIZEOF_HEADERS',
  '0x400000 + SIZEOF_HEADERS',
  '0xffffffff80000000',
  '0xffffffff80000120',
];

const HEADERS: Record<string, { phdrs: string; text: string; data: string }> = {
  automatic: { phdrs: '', text: '', data: '' },
  phdrs: { phdrs: 'PHDRS { text PT_LOAD; data PT_LOAD; }', text: ':text', data: ':data' },
  filehdr: { phdrs: 'PHDRS { text PT_LOAD FILEHDR PHDRS; data PT_LOAD; }', text: ':text', data: ':data' },
  'pt-phdr': {
    phdrs: 'PHDRS { headers PT_PHDR PHDRS; text PT_LOAD FILEHDR PHDRS; data PT_LOAD; }',
    text: ':text',
    data: ':data',
  },
};

const script = (start: string, h: (typeof HEADERS)[string]) => `ENTRY(_start)
${h.phdrs}
SECTIONS
{
  . = ${start};
  .text : { *(.text*) } ${h.text}
  .rodata : { *(.rodata*) } ${h.text}
  .data : ALIGN(0x1000) { *(.data*) } ${h.data}
  .bss : { *(.bss*) *(COMMON) } ${h.data}
}
`;

const cases = STARTS.flatMap((start) =>
  Object.keys(HEADERS)
    .filter((h) => h === 'automatic' || h === 'phdrs' || !/^0x(f0|100|200)$/.test(start))
    .map((h) => [start, h] as const),
);

describe('header segment for a script start address, like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.gcc(
      'kernel',
      'int counter = 5; const char banner[] = "k"; int foo(int x) { return x + counter + banner[0]; } void _start(void) { for (;;) foo(1); }',
      KERNEL_FLAGS,
    );
  });
  afterAll(() => work.dispose());

  it.each(cases)('. = %s with %s headers', async (start, headers) => {
    const name = `${headers}-${start.replace(/\W+/g, '_')}`;
    work.file(`${name}.ld`, script(start, HEADERS[headers]!));
    for (const flags of [[], ['-z', 'noseparate-code'], ['-z', 'max-page-size=0x200000']]) {
      const pair = await work.linkBoth([...flags, '-T', `${name}.ld`, 'kernel.o'], name);
      expectSameAsLd(pair);
      expect(readFileSync(pair.ours).equals(readFileSync(pair.ld))).toBe(true);
    }
  });
});
