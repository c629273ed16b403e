/**
 * Debug information through a link: the .debug_* sections of `nasm -g` objects (and gcc -g ones) come out of
 * ostool link with the same bytes GNU ld writes (non-allocated sections kept, their relocations applied
 * against the final addresses, also with a linker script and with --gc-sections), and `-s` strips them as ld does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/reader.js';
import { KERNEL_FLAGS, Workdir } from './oracle.js';

const MAIN = `
global kmain
extern helper
section .text
kmain:
    mov eax, 1
    call helper
    call local_helper
.halt: hlt
    jmp .halt
section .text.local exec
local_helper:
    times 3 nop
    ret
section .data
message: db "hi", 10
`;
const HELPER = `
global helper, unused
section .text
helper:
    nop
    ret
section .text.unused exec
unused:
    ret
section .rodata
    dq helper
`;

let work: Workdir;
let objects: string[];

/** The bytes of every debug section, by name. */
function debugSections(path: string): Record<string, string> {
  const elf = readElf(path, readFileSync(path));
  const out: Record<string, string> = {};
  for (const s of elf.sections)
    if (s.name.startsWith('.debug')) out[s.name] = Buffer.from(s.data).toString('hex');
  return out;
}

beforeAll(() => {
  work = new Workdir();
  const nasm = (name: string, source: string): string => {
    const src = work.file(`${name}.asm`, source);
    const out = join(work.path, `${name}.o`);
    execFileSync('nasm', ['-f', 'elf64', '-g', src, '-o', out]);
    return out;
  };
  objects = [
    nasm('main', MAIN),
    nasm('helper', HELPER),
    work.gcc('c', 'int twice(int x) { return 2 * x; }\n', ['-g', ...KERNEL_FLAGS]),
  ];
});
afterAll(() => work.dispose());

describe('link: debug sections', () => {
  const cases: Record<string, string[]> = {
    'the default script': ['-e', 'kmain'],
    'a kernel script': ['-T', new URL('../../linker.ld', import.meta.url).pathname],
    '--gc-sections (debug info of removed code kept, its addresses 0)': ['-e', 'kmain', '--gc-sections'],
  };
  for (const [name, args] of Object.entries(cases))
    it(`keeps .debug_* with the bytes GNU ld writes: ${name}`, () => {
      const ld = work.ld(objects, args, `ld-${Object.keys(cases).indexOf(name)}.elf`);
      const script = args.indexOf('-T');
      const ours = work.ostool(
        objects,
        {
          entry: args.includes('-e') ? 'kmain' : undefined,
          gcSections: args.includes('--gc-sections'),
          ...(script >= 0
            ? { script: readFileSync(args[script + 1]!, 'utf8'), scriptName: args[script + 1]! }
            : {}),
        },
        `ours-${Object.keys(cases).indexOf(name)}.elf`,
      );
      const expected = debugSections(ld);
      expect(Object.keys(expected)).toEqual(
        expect.arrayContaining(['.debug_info', '.debug_line', '.debug_aranges', '.debug_abbrev']),
      );
      expect(debugSections(ours)).toEqual(expected);
    });

  it('-s strips the debug sections with the symbols: the same file as ld -s', () => {
    const ld = work.ld(objects, ['-e', 'kmain', '-s'], 'ld-stripped.elf');
    const ours = work.ostool(objects, { entry: 'kmain', stripAll: true }, 'ours-stripped.elf');
    expect(Object.keys(debugSections(ours))).toEqual([]);
    expect(Buffer.compare(readFileSync(ours), readFileSync(ld))).toBe(0);
  });
});

describe('link: stabs debug tables', () => {
  /** .stab and .stabstr: bytes and the header fields that tie them (link, entry size, alignment). */
  function stabs(path: string): Record<string, unknown> {
    const elf = readElf(path, readFileSync(path));
    const out: Record<string, unknown> = {};
    for (const s of elf.sections)
      if (s.name.startsWith('.stab'))
        out[s.name] = {
          bytes: Buffer.from(s.data).toString('hex'),
          type: s.type,
          link: s.link ? elf.sections[s.link]!.name : '',
          entsize: s.entsize,
          align: s.addralign,
        };
    return out;
  }

  it('merges the objects’ .stab/.stabstr as ld does: one header, each string once, offsets rewritten', () => {
    work.file('common.inc', 'nop\nnop\n');
    const nasm = (name: string, source: string): string => {
      const src = work.file(`${name}.asm`, source);
      const out = join(work.path, `${name}.o`);
      execFileSync('nasm', ['-f', 'elf64', '-g', '-F', 'stabs', '-I', `${work.path}/`, src, '-o', out]);
      return out;
    };
    const inputs = [
      nasm('s1', 'global kmain\nextern g\nkmain:\n%include "common.inc"\ncall g\nhlt\n'),
      nasm('s2', 'global g\ng:\n%include "common.inc"\nret\n'),
    ];
    const ld = work.ld(inputs, ['-e', 'kmain'], 'ld-stabs.elf');
    const ours = work.ostool(inputs, { entry: 'kmain' }, 'ours-stabs.elf');
    const expected = stabs(ld);
    expect(Object.keys(expected)).toEqual(['.stab', '.stabstr']);
    expect(stabs(ours)).toEqual(expected);
  });
});

/** Functions --gc-sections removes whose debug entries point into them past their first byte (addend > 0). */
const GC_SOURCE = `
typedef unsigned long size_t;
void *copy(void *d, const void *s, size_t n) { char *p = d; const char *q = s; while (n--) *p++ = *q++; return d; }
void *move(void *d, const void *s, size_t n) { return copy(d, s, n); }
int sum(const int *v, int n) { int t = 0; for (int i = 0; i < n; i++) t += v[i] * i; return t; }
int table[4] = {1, 2, 3, 4};
void kmain(void) { for (;;) __asm__ volatile("hlt" :: "r"(sum(table, 4))); }
`;

/** A kernel script that keeps the build ID note (as hobby kernels' scripts do) and leaves the debug sections orphans. */
const GC_SCRIPT = `ENTRY(kmain)
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .note.gnu.build-id : { *(.note.gnu.build-id) }
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) }
}
`;

describe('link: debug references into sections --gc-sections removed', () => {
  for (const dwarf of ['-gdwarf-5', '-gdwarf-4'])
    it(`${dwarf}: cleared as ld clears them (0, and 1 in .debug_ranges), so the build ID is ld's too`, async () => {
      const object = work.gcc(`gc${dwarf}`, GC_SOURCE, [dwarf, '-ffunction-sections', ...KERNEL_FLAGS]);
      const pair = await work.linkBoth(
        ['-T', work.file('gc.ld', GC_SCRIPT), '--gc-sections', '--build-id=sha1', object],
        `gc${dwarf}`,
      );
      expect(debugSections(pair.ours)).toEqual(debugSections(pair.ld));
      const note = (path: string) =>
        Buffer.from(
          readElf(path, readFileSync(path)).sections.find((s) => s.name === '.note.gnu.build-id')!.data,
        );
      expect(note(pair.ours).toString('hex')).toBe(note(pair.ld).toString('hex'));
    });
});
