/**
 * gcc -fcf-protection objects carry `.note.gnu.property` (x86 feature 1: IBT, SHSTK). ld merges them into one
 * note and writes PT_GNU_PROPERTY for it; one object without the note (a nasm file) clears the AND bits, and the
 * emptied note is dropped. An orphan note goes after the script's `.rodata` even when that matched nothing (ld's
 * hold table gives it read-only flags), and notes of different alignments (the property's 8, the build ID's 4)
 * get a PT_NOTE each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, KERNEL_FLAGS, Workdir } from './oracle.js';

const SCRIPT = `ENTRY(kmain)
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) }
}
`;

describe('GNU property notes like ld', () => {
  let work: Workdir;
  let c: string[];
  let asm: string;
  let plain: string[];
  beforeAll(() => {
    work = new Workdir();
    work.file('kernel.ld', SCRIPT);
    const flags = ['-fcf-protection=full', ...KERNEL_FLAGS];
    c = [
      work.gcc(
        'a',
        'extern int helper(const char *);\nstatic const char msg[] = "hello";\nvoid kmain(void) { for (;;) helper(msg); }\n',
        flags,
      ),
      work.gcc('b', 'int helper(const char *s) { return s[1]; }\n', flags),
    ];
    asm = work.nasm('s', 'section .text\nglobal stub\nstub: ret\n');
    plain = [
      work.gcc('p', 'extern int helper2(int);\nvoid kmain(void) { for (;;) helper2(1); }\n', flags),
      work.gcc('q', 'int helper2(int x) { return x + 1; }\n', flags),
    ];
  });
  afterAll(() => work.dispose());

  const cases: Array<[string, () => string[]]> = [
    ['C objects only, a script: one merged note', () => ['-T', 'kernel.ld', ...c]],
    ['C objects only, the default layout: PT_GNU_PROPERTY', () => ['-e', 'kmain', ...c]],
    ['with a nasm object: the note is dropped', () => ['-T', 'kernel.ld', ...c, asm]],
    ['an empty .rodata statement and a build ID', () => ['-T', 'kernel.ld', '--build-id=sha1', ...plain]],
  ];
  for (const [name, args] of cases)
    it(name, async () => {
      const id = name.replace(/\W+/g, '-');
      const pair = await work.linkBoth(args(), id);
      const [ours, ld] = [describeElf(pair.ours), describeElf(pair.ld)];
      expect(ours.phdrs).toBe(ld.phdrs);
      expect(ours.sections).toEqual(ld.sections);
      expect(ours.image).toEqual(ld.image);
    });
});
