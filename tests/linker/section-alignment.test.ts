/**
 * Output section alignment and segment breaks as ld computes them, in the forms hobby kernels' scripts use: a
 * section at an address the script gives (`.data 0x2004 :`, `.bss . :` after `. = ...`) keeps only the alignment
 * of that address; SUBALIGN places the inputs at its alignment but the section keeps the largest of it and the
 * inputs' own; a section that starts on the page after the previous one's end joins its segment (bfd opens a new
 * PT_LOAD only when a whole page would be skipped). A PHDRS entry that got no section has no flags, whatever its type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, Workdir } from './oracle.js';

const SOURCE = `section .bss
alignb 32
buf: resb 64
section .data
align 4
d1: dd 1
section .data2 progbits alloc write align=32
d2: dq 1
section .text
global _start
_start: hlt
`;

const SCRIPTS: Array<[string, string]> = [
  [
    'addresses that are less aligned than the inputs',
    '.data 0x2004 : { *(.data2) } .bss 0x3010 : { *(.bss) }',
  ],
  ['an address from dot', '. = 0x2008; .data . : { *(.data2) } .bss : { *(.bss) }'],
  ['ALIGN() with an address', '.data 0x2004 : ALIGN(16) { *(.data2) }'],
  ['an address past a 32-byte boundary', '. = 0x2004; .data 0x2040 : { *(.data2) }'],
  ['SUBALIGN below the inputs', '. = 0x2004; .data : SUBALIGN(8) { *(.data) *(.data2) }'],
  ['SUBALIGN above the inputs', '. = 0x2004; .data : SUBALIGN(64) { *(.data) *(.data2) }'],
  ['bss starting mid-page on the next page', '.data 0x2000 : { *(.data) } .bss 0x3010 : { *(.bss) }'],
];

describe('output section alignment like ld', () => {
  let work: Workdir;
  let object: string;
  beforeAll(() => {
    work = new Workdir();
    object = work.nasm('alignment', SOURCE);
  });
  afterAll(() => work.dispose());

  for (const [name, body] of SCRIPTS)
    it(name, async () => {
      const id = name.replace(/\W+/g, '-');
      work.file(`${id}.ld`, `SECTIONS { . = 0x1000; .text : { *(.text) } ${body} }\n`);
      const pair = await work.linkBoth(['-T', `${id}.ld`, object], id);
      const [ours, ld] = [describeElf(pair.ours), describeElf(pair.ld)];
      expect(ours.sections).toEqual(ld.sections);
      expect(ours.phdrs).toBe(ld.phdrs);
      expect(ours.image).toEqual(ld.image);
      expect(ours.symbols).toEqual(ld.symbols);
    });

  it('a PT_NOTE of PHDRS that got no section', async () => {
    work.file(
      'empty-note.ld',
      'PHDRS { text PT_LOAD; meta PT_NOTE; } SECTIONS { . = 0x1000; .text : { *(.text) } :text .note : { *(.note .note.*) } :text :meta }\n',
    );
    const pair = await work.linkBoth(['-T', 'empty-note.ld', object], 'empty-note');
    expect(describeElf(pair.ld).phdrs).toMatch(/NOTE +0x0+ 0x0+ 0x0+ 0x0+ 0x0+ {5}0x/);
    expect(describeElf(pair.ours).phdrs).toBe(describeElf(pair.ld).phdrs);
  });
});
