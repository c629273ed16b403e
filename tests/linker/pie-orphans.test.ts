/**
 * Where ld puts the sections it makes for -pie output when the kernel's script does not name them (scripts without
 * PHDRS, or with only .text/.rodata/.data): `.dynamic` ahead of `.got`/`.got.plt` (bfd's dynobj creates it first),
 * `.rela.dyn` after the last read-only section placed so far, code included (ldelf's output_rel_find), the
 * read-only ones after the last section with exactly their flags before any code it may follow
 * (lang_output_section_find_by_flags), and `.got` with one address as its entry size. A GOT64 field counts from
 * _GLOBAL_OFFSET_TABLE_, which ld defines with `.got.plt` whether or not an object names it.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, Workdir } from './oracle.js';

const SOURCE = `section .text
global _start
_start: lea rax, [rel x]
  hlt
section .rodata
r: dq 5
section .data
x: dq _start
global y
y: dq x
z: dq y wrt ..got
`;

const SCRIPTS: Array<[string, string]> = [
  ['.rodata then .text', '.rodata : { *(.rodata) } .text : { *(.text) } .data : { *(.data) }'],
  ['.text then .rodata', '.text : { *(.text) } .rodata : { *(.rodata) } .data : { *(.data) }'],
  ['code after the data', '.rodata : { *(.rodata) } .data : { *(.data) } .text : { *(.text) }'],
  ['read-only data under another name', '.foo : { *(.rodata) } .text : { *(.text) } .data : { *(.data) }'],
  ['neither .text nor .rodata named', '.foo : { *(.rodata) } .bar : { *(.text) } .data : { *(.data) }'],
  ['only code and data named', '.bar : { *(.text) } .data : { *(.data) }'],
];

const sectionHeaders = (path: string) =>
  execFileSync('readelf', ['-SW', path], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\s+\[/.test(l) && !/\.(symtab|strtab|shstrtab)|\[Nr\]/.test(l));

describe('-pie orphans placed like ld', () => {
  let work: Workdir;
  let object: string;
  beforeAll(() => {
    work = new Workdir();
    object = work.nasm('pie-orphans', SOURCE);
  });
  afterAll(() => work.dispose());

  for (const [name, body] of SCRIPTS)
    it(name, async () => {
      const id = name.replace(/\W+/g, '-');
      work.file(`${id}.ld`, `SECTIONS { . = 0xffffffff80000000; ${body} }\n`);
      const pair = await work.linkBoth(['-pie', '--no-dynamic-linker', '-T', `${id}.ld`, object], id);
      expect(sectionHeaders(pair.ours)).toEqual(sectionHeaders(pair.ld));
      const [ours, ld] = [describeElf(pair.ours), describeElf(pair.ld)];
      expect(ours.phdrs).toBe(ld.phdrs);
      expect(ours.image).toEqual(ld.image);
      expect(ours.symbols).toEqual(ld.symbols);
    });

  it('a static link: GOT64 counts from the _GLOBAL_OFFSET_TABLE_ ld defines', async () => {
    work.file('static.ld', `SECTIONS { . = 0xffffffff80000000; ${SCRIPTS[0]![1]} }\n`);
    const pair = await work.linkBoth(['-T', 'static.ld', object], 'static');
    const [ours, ld] = [describeElf(pair.ours), describeElf(pair.ld)];
    expect(ld.symbols.some((s) => s.startsWith('_GLOBAL_OFFSET_TABLE_ '))).toBe(true);
    expect(ours.image).toEqual(ld.image);
    expect(ours.symbols).toEqual(ld.symbols);
  });
});
