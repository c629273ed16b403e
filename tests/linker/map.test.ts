/**
 * `-Map`: ostool's link map against GNU ld's for script-driven links. Compared line by line after one
 * normalisation: bfd's own empty sections (`.iplt`, `.rela.dyn`/`.rel.dyn`, `.got`, `.got.plt`, `.igot.plt` of
 * size 0, which every x86 link gets from bfd and ostool does not make) are taken out of ld's map.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link } from '../../src/linker/index.js';
import type { LinkOptions } from '../../src/linker/types.js';
import { KERNEL_FLAGS, Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

const BFD_EMPTY_SECTION =
  /^\.(iplt|rela?\.dyn|got|got\.plt|igot\.plt) +0x[0-9a-f]+ +0x0( load address 0x[0-9a-f]+)?$/;

function withoutBfdSections(map: string): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const line of map.split('\n')) {
    if (BFD_EMPTY_SECTION.test(line)) {
      // The blank line before the section goes with it.
      if (out[out.length - 1] === '') out.pop();
      skipping = true;
      continue;
    }
    if (skipping && /^ \./.test(line)) continue;
    skipping = false;
    out.push(line);
  }
  return out;
}

const NASM_A = `
section .text
global _start
extern helper
_start: call helper
  hlt
section .rodata
msg: db "hello", 0
section .data
align 8
val: dq 1
section .bss
buf: resb 100
section .discard_me
db 1
section .text.extra progbits alloc exec
global extra
extra: ret
`;

const NASM_B = `
section .text
global helper
align 16
helper: ret
section .data
global bdata
bdata: db 2
common cval 8:8
`;

/** Assignments, PROVIDE (taken and not), ALIGN fills, data statements, /DISCARD/, COMMON, expressions ld folds. */
const SCRIPTS: Record<string, string> = {
  assignments: `ENTRY(_start)
SECTIONS
{
  . = 0x100000;
  kernel_start = .;
  .text : {
    *(.text)
    . = ALIGN(16);
    *(.text.*)
    PROVIDE(__etext = .);
  }
  . = ALIGN(0x1000);
  .rodata : { *(.rodata) BYTE(0x11) LONG(0x22334455) }
  .data : ALIGN(16) { __data_start = .; *(.data) }
  .bss : { *(.bss) *(COMMON) }
  kernel_end = .;
  /DISCARD/ : { *(.discard_me) *(.note*) }
}
`,
  expressions: `ENTRY(_start)
KVMA = 0xffffffff80000000;
SECTIONS
{
  . = KVMA + 1M;
  a = . + 0x10 * 2;
  b = (a - KVMA) >> 12;
  c = DEFINED(foo) ? 1 : 2;
  PROVIDE(d = ADDR(.text));
  PROVIDE_HIDDEN(e = SIZEOF(.text));
  HIDDEN(f = LOADADDR(.text));
  .text : AT(ADDR(.text) - KVMA) { *(.text .text.*) g = ALIGN(8); . += 4; }
  .data : { *(.data) *(.rodata*) QUAD(kernel_end) SHORT(1) }
  h = -1;
  i = ~a & 0xff | 3;
  j = a != 0 && b <= 3 || !c;
  k = MAX(a, b) + MIN(a,b) + CONSTANT(MAXPAGESIZE) + ALIGNOF(.text) + SEGMENT_START("text-segment", 0);
  .bss (NOLOAD) : { *(.bss) *(COMMON) }
  kernel_end = .;
  ASSERT(kernel_end > 0, "bad")
}
`,
  memory: `MEMORY { ram (rwx) : ORIGIN = 0x100000, LENGTH = 1M  rom (rx!w) : ORIGIN = 0x0, LENGTH = 64K }
SECTIONS { .text : { KEEP(*(.text)) *(SORT(.text.*)) } > ram  .data : { *(.data) } > ram .bss : { *(.bss) *(COMMON) } >ram }
`,
};

describe('ostool link -Map matches GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.nasm('a', NASM_A);
    work.nasm('b', NASM_B);
    for (const [name, text] of Object.entries(SCRIPTS)) work.file(`${name}.ld`, text);
    work.gcc('kernel', source('limine-kernel.c'), KERNEL_FLAGS);
    work.nasm('io', source('io.asm'));
    work.gas('gc-roots', source('gc-roots.s'));
    work.gas('gc-other', source('gc-other.s'));
    work.nasm('mb-boot', source('multiboot-boot.asm'), 'elf32');
    work.gcc('mb-kernel', source('multiboot-kernel.c'), [
      '-m32',
      '-ffreestanding',
      '-fno-stack-protector',
      '-O2',
    ]);
  });
  afterAll(() => work.dispose());

  /** `args` as ld's command line: flags and objects, the script with -T (before or after the objects). */
  function expectSameMap(args: string[], options: Omit<LinkOptions, 'inputs'>, { exact = false } = {}) {
    const ldMap = join(work.path, 'ld.map');
    execFileSync('ld', [...args, '-o', join(work.path, 'out.elf'), '-Map', ldMap], {
      cwd: work.path,
      stdio: 'pipe',
    });
    const objects = args.filter((a, i) => /\.(o|a)$/.test(a) && args[i - 1] !== '-T');
    const scriptAt = args.indexOf('-T');
    const result = link({
      inputs: objects.map((o) => ({ name: o, data: readFileSync(join(work.path, o)) })),
      ...(scriptAt >= 0
        ? {
            script: readFileSync(join(work.path, args[scriptAt + 1]!), 'utf8'),
            scriptName: args[scriptAt + 1],
          }
        : {}),
      map: true,
      mapOutputName: join(work.path, 'out.elf'),
      mapInputsFirst: scriptAt < 0 || args.findIndex((a) => objects.includes(a)) < scriptAt,
      ...options,
    });
    if (exact) expect(result.map!.split('\n')).toEqual(readFileSync(ldMap, 'utf8').split('\n'));
    else expect(withoutBfdSections(result.map!)).toEqual(withoutBfdSections(readFileSync(ldMap, 'utf8')));
  }

  /**
   * ld's own built-in script (`ld --verbose`), less its large-model `.lrodata`/`.ldata` statements: ld prints
   * those removed sections at addresses from its sizing pass, which ostool's map does not reproduce yet.
   */
  function builtinScript(name: string, flags: string[]): string {
    const verbose = execFileSync('ld', ['--verbose', ...flags], { encoding: 'utf8' });
    const text = verbose.split(/^={50}$/m)[1]!;
    const lines = text.split('\n');
    const start = lines.findIndex((l) => /^\s*\.lrodata\s/.test(l));
    const end = lines.findIndex((l, i) => i > start && l.includes('. = ALIGN(64 / 8);'));
    if (start >= 0 && end > start) lines.splice(start, end - start);
    work.file(name, lines.join('\n'));
    return name;
  }

  it('prints assignments, [!provide], *fill*, data statements, COMMON and /DISCARD/ as ld (script before and after the objects)', () => {
    expectSameMap(['-T', 'assignments.ld', 'a.o', 'b.o'], {});
    expectSameMap(['a.o', 'b.o', '-T', 'assignments.ld'], {});
  });

  it("prints expressions as ld's exp_print_tree does (folded constants, calls, PROVIDE_HIDDEN as PROVIDE, ASSERT)", () => {
    expectSameMap(['-T', 'expressions.ld', 'a.o', 'b.o'], {});
  });

  it('prints MEMORY regions with their attributes, and SORT as SORT_BY_NAME', () => {
    expectSameMap(['-T', 'memory.ld', 'a.o', 'b.o'], {});
  });

  it('prints the Limine template kernel (PHDRS, merged strings with their size before relaxing, discarded notes)', () => {
    work.file('limine-template.ld', readFileSync(join(fixtures, 'limine-template.ld')));
    work.file('no-phdrs.ld', readFileSync(join(fixtures, 'no-phdrs.ld')));
    expectSameMap(['-T', 'limine-template.ld', 'kernel.o', 'io.o'], {});
    expectSameMap(['-T', 'no-phdrs.ld', 'kernel.o', 'io.o'], {});
  });

  it('lists the sections --gc-sections removed in file order', () => {
    work.file('gc-roots.ld', readFileSync(join(fixtures, 'gc-roots.ld')));
    expectSameMap(['-T', 'gc-roots.ld', '--gc-sections', 'gc-roots.o', 'gc-other.o'], { gcSections: true });
  });

  it("prints ld's built-in script used with -T line by line: its statements, [!provide]s, and bfd's empty .got/.iplt/.rela.iplt sections where the script takes them", () => {
    work.gcc('c-debug', source('limine-kernel.c'), ['-O2', '-g', '-ffreestanding', '-fno-pic']);
    for (const flags of [[], ['-z', 'noseparate-code']]) {
      const script = builtinScript(`builtin${flags.join('')}.ld`, flags);
      expectSameMap(
        [...flags, '-static', '-e', 'kmain', '-T', script, 'c-debug.o', 'io.o'],
        {
          separateCode: flags.length === 0,
          entry: 'kmain',
        },
        { exact: true },
      );
    }
    const i386 = builtinScript('builtin-i386.ld', ['-m', 'elf_i386']);
    expectSameMap(
      ['-m', 'elf_i386', '-T', i386, 'mb-boot.o', 'mb-kernel.o'],
      { emulation: 'elf_i386' },
      { exact: true },
    );
  });

  /**
   * The map's lines with the addresses of the removed large-model `.ldata` block masked: ld prints that block
   * (and the DATA_SEGMENT_END after it) at addresses from its sizing pass, which ostool does not reproduce yet.
   */
  function ldataMasked(map: string): string[] {
    let inBlock = false;
    return map.split('\n').map((line) => {
      if (/^\.ldata\s/.test(line)) inBlock = true;
      const out = inBlock ? line.replace(/0x[0-9a-f]{16}/g, 'ADDR') : line;
      if (line.includes('DATA_SEGMENT_END')) inBlock = false;
      return out;
    });
  }

  it("prints ld's built-in script without -T line by line, for each option set (static, -z noseparate-code, -z now, -m elf_i386)", () => {
    work.gcc('c-nopic', source('limine-kernel.c'), ['-O2', '-ffreestanding', '-fno-pic']);
    const cases: [string[], Omit<LinkOptions, 'inputs'>][] = [
      [[], {}],
      [['-z', 'noseparate-code'], { separateCode: false }],
      [['-z', 'now'], { bindNow: true }],
    ];
    for (const [flags, options] of cases) {
      const args = [...flags, '-static', '-e', 'kmain', 'c-nopic.o', 'io.o'];
      const ldMap = join(work.path, 'ld.map');
      execFileSync('ld', [...args, '-o', join(work.path, 'out.elf'), '-Map', ldMap], {
        cwd: work.path,
        stdio: 'pipe',
      });
      const result = link({
        inputs: ['c-nopic.o', 'io.o'].map((o) => ({ name: o, data: readFileSync(join(work.path, o)) })),
        map: true,
        mapOutputName: join(work.path, 'out.elf'),
        mapInputsFirst: true,
        entry: 'kmain',
        ...options,
      });
      expect(ldataMasked(result.map!)).toEqual(ldataMasked(readFileSync(ldMap, 'utf8')));
    }
    expectSameMap(['-m', 'elf_i386', 'mb-boot.o', 'mb-kernel.o'], { emulation: 'elf_i386' }, { exact: true });
  });

  it('prints 32-bit addresses for -m elf_i386 (multiboot kernel, both script styles)', () => {
    work.file('multiboot.ld', readFileSync(join(fixtures, 'multiboot.ld')));
    work.file('multiboot-higher-half.ld', readFileSync(join(fixtures, 'multiboot-higher-half.ld')));
    expectSameMap(['-m', 'elf_i386', '-T', 'multiboot.ld', 'mb-boot.o', 'mb-kernel.o'], {
      emulation: 'elf_i386',
    });
    expectSameMap(['-T', 'multiboot-higher-half.ld', 'mb-boot.o', 'mb-kernel.o'], {});
  });
});
