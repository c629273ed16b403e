/** The script evaluator and layout rules, observed through the symbols and headers of linked outputs. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/reader.js';
import { link } from '../../src/linker/index.js';
import { Workdir } from './oracle.js';

describe('layout and script evaluation', () => {
  let work: Workdir;
  let object: { name: string; data: Uint8Array };
  beforeAll(() => {
    work = new Workdir();
    const path = work.nasm(
      'layout',
      'section .text\nglobal _start\n_start: times 5 nop\nret\nsection .data\ndq 1\nsection .bss\nresb 0x30\nsection .keepme\ndb 1\nsection .unused progbits alloc\ndq 2\n',
    );
    object = { name: 'layout.o', data: readFileSync(path) };
  });
  afterAll(() => work.dispose());

  const linked = (script: string, extra: Partial<Parameters<typeof link>[0]> = {}) => {
    const { output } = link({ inputs: [object], script, ...extra });
    const elf = readElf('out', output);
    const symbol = (name: string) => elf.symbols.find((s) => s.name === name)?.value;
    const section = (name: string) => elf.sections.find((s) => s.name === name);
    return { elf, symbol, section };
  };

  it('resolves forward references such as SIZEOF(.bss) before .bss by iterating the layout', () => {
    const { symbol, section } = linked(
      'SECTIONS { . = 0x1000; early = SIZEOF(.bss) + ADDR(.bss); .text : { *(.text) } .data : { *(.data) } .bss : { *(.bss) } }',
    );
    const bss = section('.bss')!;
    expect(bss.size).toBe(0x30);
    expect(symbol('early')).toBe(bss.addr + 0x30n);
  });

  it('treats `. = N` inside an output section as an offset from the section start', () => {
    const { symbol, section } = linked('SECTIONS { .text 0x2000 : { *(.text) . = 0x40; after = .; } }');
    expect(symbol('after')).toBe(0x2040n);
    expect(section('.text')!.size).toBe(0x40);
  });

  it('defines PROVIDEd symbols only when something refers to them, and lets objects win', () => {
    const script =
      'SECTIONS { .text 0x1000 : { *(.text) } PROVIDE(_start = 0x9999); PROVIDE(unused = 1); PROVIDE(used = 2); check = used; }';
    const { symbol, elf } = linked(script);
    expect(symbol('_start')).toBe(0x1000n);
    expect(symbol('used')).toBe(2n);
    expect(elf.symbols.some((s) => s.name === 'unused')).toBe(false);
  });

  it('evaluates DEFINED, MAX, MIN, ALIGN(expr, n), ?: and compound assignments', () => {
    const { symbol } = linked(
      'SECTIONS { .text 0x1000 : { *(.text) } a = DEFINED(_start) ? 10 : 20; b = DEFINED(nothing) ? 10 : 20; c = MAX(3, 9) - MIN(3, 9); d = ALIGN(0x1001, 0x100); e = 5; e *= 3; e -= 1; e >>= 1; }',
    );
    expect([symbol('a'), symbol('b'), symbol('c'), symbol('d'), symbol('e')]).toEqual([
      10n,
      20n,
      6n,
      0x1100n,
      7n,
    ]);
  });

  it('keeps a section’s VMA-LMA difference for the sections after an AT() (ld’s LMA heuristic)', () => {
    const { elf } = linked(
      'SECTIONS { .text 0xffffffff80000000 : AT(0x100000) { *(.text) } .data : { *(.data) } }',
    );
    const data = elf.sections.find((s) => s.name === '.data')!;
    const load = elf.segments.find((p) => p.type === 1)!;
    expect(load.paddr).toBe(0x100000n);
    expect(load.vaddr).toBe(0xffffffff80000000n);
    // One segment, so .data's LMA is its VMA shifted by the same difference.
    expect(load.filesz).toBe(Number(data.addr - load.vaddr) + data.size);
  });

  it('carries the last :phdr over to following sections (sticky), and NOLOAD sections stay out unless named', () => {
    const script =
      'PHDRS { code PT_LOAD; rw PT_LOAD; } SECTIONS { .text 0x1000 : { *(.text) } :code .data 0x2000 : { *(.data) } :rw .keepme : { *(.keepme) } .bss (NOLOAD) : { *(.bss) } }';
    const { elf } = linked(script);
    const rw = elf.segments[1]!;
    expect(rw.vaddr).toBe(0x2000n);
    // .data (8) + .keepme (1) + the orphan .unused (8) inherit :rw; .bss (NOLOAD) does not.
    expect(rw.filesz).toBe(17);
    expect(rw.memsz).toBe(17n);
  });

  it('refuses to move the location counter backwards inside a section', () => {
    expect(() =>
      linked('SECTIONS { .text 0x2000 : { *(.text) . = 0x1000 - 0x2000 + ADDR(.text) - 0x10; } }', {
        scriptName: 'back.ld',
      }),
    ).toThrow(/back\.ld:1:\d+: cannot move location counter backwards/);
  });

  it('drops /DISCARD/ matches and, with --gc-sections, unreferenced sections but not KEEP ones', () => {
    const kept = linked(
      'SECTIONS { .text 0x1000 : { *(.text) } .keepme : { KEEP(*(.keepme)) } .unused : { *(.unused) } .data : { *(.data) } /DISCARD/ : { *(.bss) } }',
      { gcSections: true },
    );
    expect(kept.section('.keepme')).toBeDefined();
    expect(kept.section('.unused')).toBeUndefined();
    expect(kept.section('.data')).toBeUndefined();
    expect(kept.section('.bss')).toBeUndefined();
    const all = linked(
      'SECTIONS { .text 0x1000 : { *(.text) } .keepme : { *(.keepme) } .unused : { *(.unused) } }',
    );
    expect(all.section('.unused')).toBeDefined();
  });
});
