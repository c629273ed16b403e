/**
 * Mechanisms found by linking public hobby kernels (each compiled with its own gcc flags and linked with its own ld
 * command line) with GNU ld and `ostool link`: each case here rebuilds one mechanism from scratch with gcc, GNU as
 * or nasm and asserts ostool writes the same file ld writes, and says what ld says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameFileAndMessages as expectIdentical, Workdir } from './oracle.js';

describe('mechanisms of real kernels link like GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
  });
  afterAll(() => work.dispose());

  describe('an ENTRY() symbol no object defines: ld warns and starts at .text (or sets no start address)', () => {
    const boot =
      '.section .multiboot\n.long 0x1BADB002, 0, -0x1BADB002\n.text\n.globl _start\n_start: call kmain\n';
    const cases = [
      { name: 'i386 multiboot', machine: ['-m', 'elf_i386'], as: ['--32'], text: '.text' },
      { name: 'x86-64', machine: [], as: [], text: '.text' },
      { name: 'no output .text', machine: [], as: [], text: '.code' },
    ];
    for (const c of cases)
      it(c.name, async () => {
        const entry = work.gas(`entry-${c.machine.length}-${c.text}`, boot, c.as);
        const kmain = work.gcc(
          `kmain-${c.machine.length}-${c.text}`,
          'void kmain(void) { *(volatile short *)0xb8000 = 0x0f48; }\n',
          [...(c.as.length ? ['-m32'] : []), '-O2', '-ffreestanding', '-fno-pie'],
        );
        const script = `missing-entry${c.text}.ld`;
        work.file(
          script,
          `ENTRY(INIT_KERNEL)\nSECTIONS {\n  . = 1M;\n  ${c.text} BLOCK(4K) : ALIGN(4K) { *(.multiboot) *(.text) }\n  .bss : { *(COMMON) *(.bss) }\n}\n`,
        );
        const pair = await work.linkBoth([...c.machine, '-T', script, entry, kmain], `missing-${c.name}`);
        expectIdentical(pair);
        expect(pair.ldStderr).toContain('cannot find entry symbol INIT_KERNEL');
      });

    it('an -e that is a number, read as bfd_scan_vma reads it (leading 0: octal)', async () => {
      const object = work.nasm('numeric-entry', 'section .text\nnop\n');
      for (const value of ['010', '0x10', '16']) {
        const pair = await work.linkBoth(['-e', value, object], `numeric-${value}`);
        expectIdentical(pair);
      }
    });
  });

  it("gcc's driver argv without -static: -dynamic-linker FILE names a -pie kernel's interpreter", async () => {
    const object = work.gcc('interp', 'int x; int *p = &x; void _start(void) { for (;;); }\n', [
      '-O2',
      '-fPIE',
    ]);
    work.file('interp.ld', 'SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) } }\n');
    const forms = [
      ['-dynamic-linker', '/lib64/ld-linux-x86-64.so.2'],
      ['--dynamic-linker=/lib/other.so'],
      ['-I/lib/short.so'],
    ];
    for (const [i, form] of forms.entries()) {
      const pair = await work.linkBoth(['-pie', ...form, '-T', 'interp.ld', object], `interp-${i}`);
      expectIdentical(pair);
    }
    const pair = await work.linkBoth(['-dynamic-linker', '/x', '-T', 'interp.ld', object], 'interp-static');
    expectIdentical(pair);
  });
  it('one output .rodata from mergeable inputs of different kinds or entry sizes is no longer SHF_MERGE', async () => {
    const pieces = {
      str1: '.section .rodata.str1.1,"aMS",@progbits,1\n.asciz "Argo OS"\n',
      str2: '.section .rodata.str2.2,"aMS",@progbits,2\n.short 65, 0\n',
      cst2: '.section .rodata.cst2,"aM",@progbits,2\n.short 0x1ff\n',
      cst8: '.section .rodata.cst8,"aM",@progbits,8\n.quad 7\n',
      plain: '.section .rodata,"a"\n.byte 1\n',
    };
    work.file(
      'merge-kinds.ld',
      'SECTIONS { . = 0x1000; .text : { *(.text) } .rodata : { *(.rodata .rodata.*) } }\n',
    );
    const mixes: Array<Array<keyof typeof pieces>> = [
      ['str1', 'cst2'],
      ['str1', 'str2'],
      ['cst2', 'cst8'],
      ['str1', 'str1'],
      ['cst8', 'cst8'],
      ['str1', 'cst2', 'str1'],
      ['plain', 'str1'],
    ];
    for (const [i, mix] of mixes.entries()) {
      const objects = mix.map((k, j) => work.gas(`merge-${i}-${j}`, `.text\nnop\n${pieces[k]}`));
      const pair = await work.linkBoth(['-T', 'merge-kinds.ld', ...objects], `merge-${i}`);
      expectIdentical(pair);
    }
  });
  it('a symbol set from `.` outside sections belongs to the section `.` is in or follows, not where its value lands', async () => {
    const object = work.nasm(
      'dot-section',
      'section .text\nglobal _start\n_start: nop\nsection .data\ndq 1\nsection .bss\nresb 64\n',
    );
    // termOS's higher-half script: `_kernel_phys_end = . - KERNEL_VMA_OFFSET` after `. = ALIGN(4096)`.
    work.file(
      'dot-section.ld',
      [
        'OFF = 0xffffffff80000000;',
        'SECTIONS {',
        '  . = OFF + 0x100000;',
        '  below = . - OFF;',
        '  .text : AT(ADDR(.text) - OFF) { *(.text) }',
        '  . = ALIGN(0x100000);',
        '  .data : AT(ADDR(.data) - OFF) { *(.data) }',
        '  .bss : AT(ADDR(.bss) - OFF) { *(.bss) }',
        '  . = ALIGN(4096);',
        '  phys_end = . - OFF;',
        '  into_text = . - 0x100000 + 4;',
        '  up = . + 0x50;',
        '  end = .;',
        '}',
      ].join('\n'),
    );
    expectIdentical(await work.linkBoth(['-T', 'dot-section.ld', object], 'dot-section'));
  });

  it('an output without any symbol still gets the .symtab ld writes (the null entry alone)', async () => {
    const object = work.gas('no-symbols', '.text\nnop\n.section .rodata,"a"\n.byte 1\n');
    work.file('no-symbols.ld', 'SECTIONS { . = 0x1000; .text : { *(.text) } .rodata : { *(.rodata) } }\n');
    expectIdentical(await work.linkBoth(['-T', 'no-symbols.ld', object], 'no-symbols'));
  });
  it("--build-id (gcc's driver) with a script that discards .note*: no note, and ld's warning", async () => {
    const object = work.gcc('discard-note', 'void _start(void) { for (;;); }\n', ['-O2', '-fno-pie']);
    work.file(
      'discard-note.ld',
      'SECTIONS { . = 0x100000; .text : { *(.text*) } /DISCARD/ : { *(.note*) *(.comment*) *(.eh_frame*) } }\n',
    );
    for (const style of ['--build-id', '--build-id=md5', '--build-id=none']) {
      const pair = await work.linkBoth(
        [style, '-T', 'discard-note.ld', object],
        `discard-note${style.length}`,
      );
      expectIdentical(pair);
    }
  });
  it('the output .text is read-only code whatever its inputs (a one-section kernel with .data and a -b binary font)', async () => {
    const code = work.gcc(
      'one-section',
      'extern char _binary_font_psf_start[]; int v = 3;\nint _start(void) { return _binary_font_psf_start[v]; }\n',
      ['-O2', '-fpic'],
    );
    // Named relative to the link's directory: `-b binary` names its symbols after the path as given.
    work.file('font.psf', new Uint8Array([0x72, 0xb5, 0x4a, 0x86, 1, 2, 3, 4]));
    work.file(
      'one-section.ld',
      'PHDRS { boot PT_LOAD; }\nSECTIONS { . = 0xffffffffffe02000;\n  .text : { KEEP(*(.text.boot)) *(.text .text.*) *(.rodata .rodata.*) *(.data .data.*) } :boot\n  .bss (NOLOAD) : { . = ALIGN(16); *(.bss .bss.*) *(COMMON) } :boot\n  /DISCARD/ : { *(.eh_frame) *(.comment) } }\n',
    );
    for (const magic of [[], ['-n'], ['-N']]) {
      const args = [
        ...magic,
        '-nostdlib',
        '-T',
        'one-section.ld',
        '-b',
        'binary',
        'font.psf',
        '-b',
        'default',
        code,
      ];
      expectIdentical(await work.linkBoth(args, `one-section${magic.join('')}`));
    }
    // Inputs of every kind in an output `.text`, each linked alone.
    work.file('text-of-data.ld', 'SECTIONS { . = 0x1000; .text : { *(.text) *(.data) *(.rodata) } }\n');
    const kinds = ['.data\n.byte 1\n', '.section .rodata,"a"\n.byte 1\n', '.data\n.byte 1\n.text\nnop\n'];
    for (const [i, kind] of kinds.entries()) {
      const object = work.gas(`text-of-${i}`, kind);
      expectIdentical(await work.linkBoth(['-T', 'text-of-data.ld', object], `text-of-${i}`));
    }
  });

  it('a -b binary last on the line makes the output raw binary when the -T script has no OUTPUT_FORMAT', async () => {
    const code = work.gcc(
      'binary-last',
      'extern char _binary_font_psf_start[]; int v = 3;\nint _start(void) { return _binary_font_psf_start[v]; }\n',
      ['-O2', '-fno-pic', '-mcmodel=kernel', '-fno-asynchronous-unwind-tables'],
    );
    work.file('font.psf', new Uint8Array([0x72, 0xb5, 0x4a, 0x86, 1, 2, 3, 4]));
    work.file(
      'binary-last.ld',
      'SECTIONS { . = 0xffffffff80000000; .text : { *(.text*) *(.rodata*) *(.data*) } }\n',
    );
    work.file('binary-last-elf.ld', 'OUTPUT_FORMAT(elf64-x86-64)\nINCLUDE binary-last.ld\n');
    for (const [i, args] of [
      ['-T', 'binary-last.ld', code, '-b', 'binary', 'font.psf'],
      ['-T', 'binary-last-elf.ld', code, '-b', 'binary', 'font.psf'],
      ['-T', 'binary-last.ld', '-b', 'binary', 'font.psf', '-b', 'elf64-x86-64', code],
      [code, '-b', 'binary', 'font.psf'],
    ].entries())
      expectIdentical(await work.linkBoth(args, `binary-last-${i}`));
  });
});
