/**
 * An output section's ELF type, as ld picks it: the first input's type (a build-ID note after .rodata's code
 * stays PROGBITS; .init_array first makes it INIT_ARRAY), PROGBITS when a NOBITS first input is followed by
 * contents, and the ABI array types for sections named .init_array/.fini_array/.preinit_array whatever they hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocSections, Workdir } from './oracle.js';

const OBJECT = `section .text
global kmain
kmain: hlt
section .rodata
db "hello", 0
section .note.kernel note
dd 4, 4, 1
db "ABC", 0
dd 7
section .init_array write
dq kmain
section .data write
dq 1
section .bss nobits write
resq 4
`;

const CASES: Array<[string, string]> = [
  ['a note after .rodata', '.r : { *(.rodata) *(.note.kernel) }'],
  ['a note before .rodata', '.r : { *(.note.kernel) *(.rodata) }'],
  ['.init_array after .data', '.d : { *(.data) *(.init_array) }'],
  ['.init_array before .data', '.d : { *(.init_array) *(.data) }'],
  ['.bss before contents', '.d : { *(.bss) *(.init_array) *(.data) }'],
  ['an output named .init_array holding .data first', '.init_array : { *(.data) *(.init_array) }'],
  ['an output named .fini_array.* holding .data', '.fini_array.0 : { *(.data) }'],
  ['an output named .bss holding .data first', '.bss : { *(.data) *(.bss) }'],
];

describe('output section types like ld', () => {
  let work: Workdir;
  let object: string;
  beforeAll(() => {
    work = new Workdir();
    object = work.nasm('types', OBJECT);
  });
  afterAll(() => work.dispose());

  for (const [name, statement] of CASES)
    it(name, async () => {
      const script = work.file(
        `${name.replace(/\W+/g, '-')}.ld`,
        `ENTRY(kmain)\nSECTIONS {\n  . = 0x200000;\n  .text : { *(.text) }\n  ${statement}\n  /DISCARD/ : { *(*) }\n}\n`,
      );
      const pair = await work.linkBoth(['-T', script, object], name.replace(/\W+/g, '-'));
      expect(allocSections(pair.ours)).toEqual(allocSections(pair.ld));
    });
});
