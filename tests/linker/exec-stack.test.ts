/**
 * `-z noexecstack` / `-z execstack` decide PT_GNU_STACK as ld does: they override the inputs' .note.GNU-stack
 * (a nasm object has none, which alone means "executable") and write the header even when no input has a note.
 * limine-c-template passes -z noexecstack; with its PHDRS script no PT_GNU_STACK is written at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_FLAGS, programHeaders, Workdir } from './oracle.js';

const SCRIPT =
  'ENTRY(kmain)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text .text.*) } .data : { *(.data .bss) } }\n';
const PHDRS_SCRIPT =
  'ENTRY(kmain)\nPHDRS { text PT_LOAD; data PT_LOAD; }\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text .text.*) } :text . = ALIGN(0x1000); .data : { *(.data .bss) } :data }\n';

describe('PT_GNU_STACK like ld', () => {
  let work: Workdir;
  let gccObject: string;
  let nasmObject: string;
  beforeAll(() => {
    work = new Workdir();
    work.file('flat.ld', SCRIPT);
    work.file('phdrs.ld', PHDRS_SCRIPT);
    gccObject = work.gcc(
      'stack-main',
      'int counter; void kmain(void) { counter++; for (;;); }\n',
      KERNEL_FLAGS,
    );
    nasmObject = work.nasm(
      'stack-entry',
      'section .text\nglobal entry\nentry: hlt\nsection .bss\nresb 4096\n',
    );
  });
  afterAll(() => work.dispose());

  const cases: Array<[string, string[], () => string[]]> = [
    [
      'gcc and nasm objects, no -z flag (the missing note makes it executable)',
      [],
      () => [gccObject, nasmObject],
    ],
    ['gcc and nasm objects, -z noexecstack', ['-z', 'noexecstack'], () => [gccObject, nasmObject]],
    [
      'a nasm object alone, -z noexecstack (written without any note)',
      ['-z', 'noexecstack'],
      () => [nasmObject],
    ],
    ['a nasm object alone, -z execstack', ['-z', 'execstack'], () => [nasmObject]],
    [
      'the last of -z execstack -z noexecstack wins',
      ['-z', 'execstack', '-z', 'noexecstack'],
      () => [gccObject],
    ],
    ['a gcc object, -z execstack', ['-z', 'execstack'], () => [gccObject]],
  ];
  for (const [name, flags, objects] of cases)
    it(name, async () => {
      const entry = objects().includes(gccObject) ? [] : ['-e', 'entry'];
      const pair = await work.linkBoth(
        ['-T', 'flat.ld', ...entry, ...flags, ...objects()],
        name.replace(/\W+/g, '-'),
      );
      expect(programHeaders(pair.ours)).toBe(programHeaders(pair.ld));
      expect(programHeaders(pair.ld)).toContain(flags.length ? 'GNU_STACK' : 'RWE');
    });

  it('a PHDRS script gets no PT_GNU_STACK, -z noexecstack or not', async () => {
    const pair = await work.linkBoth(['-T', 'phdrs.ld', '-z', 'noexecstack', gccObject, nasmObject], 'phdrs');
    expect(programHeaders(pair.ours)).toBe(programHeaders(pair.ld));
    expect(programHeaders(pair.ld)).not.toContain('GNU_STACK');
  });
});
