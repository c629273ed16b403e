/**
 * Differential tests: the same objects and script linked by GNU ld (the oracle) and by ostool must give the same
 * program headers, section addresses, loaded bytes, entry point and symbol values.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, KERNEL_FLAGS, Workdir, type LinkedPair } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');
const script = (name: string) => join(fixtures, name);
const readScript = (name: string) => readFileSync(script(name), 'utf8');

const NASM_BOOT = `
section .text
global kmain
extern serial_write, message, message_len, counter
kmain:
    lea rsi, [rel message]
    mov rcx, message_len
    call serial_write
    mov rax, counter
    inc qword [rax]
    mov rbx, [rel table + 8]
.halt: hlt
    jmp .halt
section .rodata
table: dq kmain, serial_write, message
section .requests_start_marker
    dq 0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9
section .requests
base_revision: dq 0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 2
section .requests_end_marker
    dq 0xadc0e0531bb10d03, 0x9572709f31764c62
section .bss
stack: resb 4096
`;

const NASM_SERIAL = `
section .text
global serial_write
; IN: RSI = bytes, RCX = count
serial_write:
    mov dx, 0x3f8
.next: lodsb
    out dx, al
    loop .next
    ret
section .rodata
global message, message_len
message: db "hello from the kernel", 10
message_len equ $ - message
section .data
global counter
align 8
counter: dq 0
pointer_to_message: dq message
`;

function expectSameLink(
  work: Workdir,
  objects: string[],
  ldArgs: string[],
  options: Parameters<Workdir['ostool']>[1],
) {
  expectSameAsLd({ ld: work.ld(objects, ldArgs), ours: work.ostool(objects, options) });
}

function expectSamePair(pair: LinkedPair) {
  expectSameAsLd(pair);
  expect(pair.oursStderr).toBe(pair.ldStderr);
}

describe('ostool link matches GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
  });
  afterAll(() => work.dispose());

  it('links nasm objects with the Limine template script (PHDRS with FLAGS, KEEPed requests, empty PT_DYNAMIC)', () => {
    const objects = [work.nasm('boot', NASM_BOOT), work.nasm('serial', NASM_SERIAL)];
    expectSameLink(work, objects, ['-T', script('limine-template.ld')], {
      script: readScript('limine-template.ld'),
    });
  });

  it('links nasm objects with the requests-in-their-own-segment Limine script (bss-only PT_LOAD)', () => {
    const objects = [work.nasm('boot2', NASM_BOOT), work.nasm('serial2', NASM_SERIAL)];
    expectSameLink(work, objects, ['-T', script('limine-requests-segment.ld')], {
      script: readScript('limine-requests-segment.ld'),
    });
  });

  it('links a gcc -O2 -mcmodel=kernel C kernel with Limine requests byte-for-byte in every loaded segment', () => {
    const objects = [
      work.gcc('kernel', source('limine-kernel.c'), KERNEL_FLAGS),
      work.nasm('io', source('io.asm')),
    ];
    expectSameLink(work, objects, ['-T', script('limine-template.ld')], {
      script: readScript('limine-template.ld'),
    });
  });

  it('forms segments like ld when the script has no PHDRS (higher-half kernel)', () => {
    const objects = [
      work.gcc('kernel3', source('limine-kernel.c'), KERNEL_FLAGS),
      work.nasm('io3', source('io.asm')),
    ];
    expectSameLink(work, objects, ['-T', script('no-phdrs.ld')], { script: readScript('no-phdrs.ld') });
  });

  it('evaluates the script language like ld: FILEHDR/PHDRS, AT, SUBALIGN, SORT_*, EXCLUDE_FILE, PROVIDE, data, INCLUDE, NOLOAD', () => {
    const objects = [
      work.gas('first', source('features-first.s')),
      work.gas('second', source('features-second.s')),
    ];
    const text = readScript('features.ld');
    const readFile = (path: string) => readFileSync(join(fixtures, path));
    const ldArgs = ['-L', fixtures, '-T', script('features.ld')];
    expectSameLink(work, objects, ldArgs, { script: text, readFile });
  });

  it('places sections in MEMORY regions with > and AT> like ld (unaligned LMA, LOADADDR, ORIGIN/LENGTH, orphans by attributes)', () => {
    const objects = [work.nasm('memory', source('memory.asm'))];
    expectSameLink(work, objects, ['-T', script('memory.ld')], { script: readScript('memory.ld') });
  });

  it('orders constructor tables with SORT_BY_INIT_PRIORITY like ld (.ctors priorities inverted)', () => {
    const objects = [work.gas('init-array', source('init-array.s'))];
    expectSameLink(work, objects, ['-T', script('init-array.ld')], { script: readScript('init-array.ld') });
  });

  it('places orphan sections like ld and defines __start_/__stop_ for C-identifier sections', () => {
    const objects = [work.gas('orphans', source('orphans.s'))];
    expectSameLink(work, objects, ['-T', script('orphans.ld')], { script: readScript('orphans.ld') });
  });

  it('uses ld-compatible default layout without -T (headers in their own PT_LOAD, notes first)', () => {
    const objects = [work.gas('orphans-default', source('orphans.s'))];
    expectSameLink(work, objects, ['-e', 'start'], { entry: 'start' });
  });

  it('applies and relaxes every supported relocation type like ld (GOTPCRELX to mov/call/jmp/test/binop, PC8, PC16, SIZE32/64, GOTPC32, GOTOFF64)', () => {
    const objects = [work.gas('relocations', source('relocations.s'))];
    expectSameLink(work, objects, [], {});
  });

  it('links gcc -fPIE objects with merged strings, COMDAT groups, weak undefined symbols and function sections', () => {
    const flags = ['-std=gnu99', '-O2', '-fPIE', '-fno-asynchronous-unwind-tables', '-ffunction-sections'];
    const objects = [
      work.gcc('pie-main', source('pie-main.c'), flags),
      work.gcc('pie-lib', source('pie-lib.c'), flags),
      work.gas('comdat1', source('comdat-1.s')),
      work.gas('comdat2', source('comdat-2.s')),
    ];
    expectSameLink(work, objects, [], {});
  });

  it('removes unreferenced sections with --gc-sections like ld', () => {
    const flags = [
      '-std=gnu99',
      '-O2',
      '-fPIE',
      '-fno-asynchronous-unwind-tables',
      '-ffunction-sections',
      '-fdata-sections',
    ];
    const objects = [
      work.gcc('gc-main', source('pie-main.c'), flags),
      work.gcc('gc-lib', source('pie-lib.c'), flags),
    ];
    expectSameLink(work, objects, ['--gc-sections'], { gcSections: true });
  });

  it("collects garbage from ld's roots only (explicit entry, -u, KEEP, notes, __start_/__stop_) and prints what ld prints", async () => {
    const objects = [work.gas('gc-roots', source('gc-roots.s')), work.gas('gc-other', source('gc-other.s'))];
    const common = ['--gc-sections', '--print-gc-sections', '-T', script('gc-roots.ld'), ...objects];
    // With -e and -u: the entry and the -u symbol are roots; no global of a static executable is.
    const rooted = await work.linkBoth(['-e', '_start', '-u', 'by_u', ...common], 'gc-rooted');
    expectSamePair(rooted);
    expect(rooted.ldStderr).toContain("removing unused section '.text.unused_global'");
    // Without -e or ENTRY(): ld's default `_start` is no root, so only KEEP, notes and their references stay.
    expectSamePair(await work.linkBoth(common, 'gc-no-entry'));
    // --export-dynamic makes no difference to a static executable's roots.
    expectSamePair(await work.linkBoth(['-e', '_start', '--export-dynamic', ...common], 'gc-export'));
  });

  it('keeps .eh_frame like ld: one copy of identical CIEs, no FDEs for COMDAT losers or collected functions', () => {
    const flags = ['-std=gnu99', '-O2', '-fPIE', '-ffunction-sections'];
    const objects = [
      work.gcc('eh-main', source('pie-main.c'), flags),
      work.gcc('eh-lib', source('pie-lib.c'), flags),
      work.gas('eh-comdat1', `${source('comdat-1.s')}\n.cfi_sections .eh_frame\n`),
      work.gas('eh-comdat2', source('comdat-2.s')),
    ];
    expectSameLink(work, objects, ['-T', script('eh-frame.ld')], { script: readScript('eh-frame.ld') });
    expectSameLink(work, objects.slice(0, 2), ['-T', script('eh-frame.ld'), '--gc-sections'], {
      script: readScript('eh-frame.ld'),
      gcSections: true,
    });
  });

  it('pulls only the archive members that resolve undefined symbols', () => {
    const main = work.nasm(
      'archive-main',
      'section .text\nglobal _start\nextern used\n_start: call used\nhlt\n',
    );
    const used = work.nasm('used', 'section .text\nglobal used\nused: ret\nsection .data\ndq 1\n');
    const unused = work.nasm('unused', 'section .text\nglobal unused\nunused: ud2\n');
    const archive = work.ar('libparts.a', [unused, used]);
    expectSameLink(work, [main, archive], [], {});
  });

  it('embeds raw files with -b binary (_binary_*_start/_end/_size) like ld', async () => {
    const user = work.gas(
      'binary-user',
      '.globl _start\n.text\n_start: lea _binary_font_psf_start(%rip), %rax\nmov $_binary_font_psf_size, %rcx\nlea _binary_font_psf_end(%rip), %rdx\nret\n',
    );
    work.file('font.psf', new Uint8Array(Array.from({ length: 37 }, (_, i) => (i * 7) & 0xff)));
    expectSamePair(
      await work.linkBoth([user, '-b', 'binary', 'font.psf', '-b', 'elf64-x86-64'], 'binary-in'),
    );
  });

  it('writes the loaded bytes only with --oformat binary, as ld does (boot sector with a gap and a signature)', async () => {
    const boot = work.nasm(
      'boot-sector',
      'bits 16\nsection .text\nglobal start\nstart: mov si, msg\njmp $\nsection .data\nmsg: db "hi",0\nsection .bss\nbuf: resb 16\n',
    );
    const bootScript = work.file(
      'boot.ld',
      'ENTRY(start)\nSECTIONS { . = 0x7c00; .text : { *(.text) } .data : { *(.data) } .sig 0x7dfe : { SHORT(0xaa55) } .bss : { *(.bss) } }\n',
    );
    const pair = await work.linkBoth(['-T', bootScript, '--oformat', 'binary', boot], 'flat');
    expect(readFileSync(pair.ours)).toEqual(readFileSync(pair.ld));
    expect(readFileSync(pair.ld).length).toBe(512);
  });

  it('searches archives in --start-group/--end-group until nothing new resolves (circular archives)', async () => {
    const main = work.nasm(
      'group-main',
      'section .text\nglobal _start\nextern a_entry\n_start: call a_entry\nhlt\n',
    );
    const a1 = work.nasm(
      'group-a1',
      'section .text\nglobal a_entry\nextern b_func\na_entry: call b_func\nret\n',
    );
    const a2 = work.nasm('group-a2', 'section .text\nglobal a_helper\na_helper: ret\n');
    const b = work.nasm(
      'group-b',
      'section .text\nglobal b_func\nextern a_helper\nb_func: call a_helper\nret\n',
    );
    const liba = work.ar('libgroupa.a', [a1, a2]);
    const libb = work.ar('libgroupb.a', [b]);
    expectSamePair(await work.linkBoth([main, '--start-group', liba, libb, '--end-group'], 'group'));
  });

  it('reads thin archives and the INPUT/GROUP/AS_NEEDED files a script names, like ld', async () => {
    const main = work.nasm(
      'thin-main',
      'section .text\nglobal _start\nextern a_entry, extra\n_start: call a_entry\ncall extra\nhlt\n',
    );
    const a1 = work.nasm(
      'thin-a1',
      'section .text\nglobal a_entry\nextern b_func\na_entry: call b_func\nret\n',
    );
    const a2 = work.nasm('thin-a2', 'section .text\nglobal a_helper\na_helper: ret\nsection .data\ndq 3\n');
    const b = work.nasm(
      'thin-b',
      'section .text\nglobal b_func\nextern a_helper\nb_func: call a_helper\nret\n',
    );
    const extra = work.nasm('thin-extra', 'section .text\nglobal extra\nextra: ret\n');
    execFileSync('ar', ['rcT', join(work.path, 'libthina.a'), a1, a2]);
    execFileSync('ar', ['rcs', join(work.path, 'libthinb.a'), b]);
    work.file(
      'inputs.ld',
      'INPUT(thin-extra.o)\nGROUP(libthina.a AS_NEEDED(libthinb.a))\nSECTIONS { . = 0x400000; .text : { *(.text) } . = ALIGN(0x1000); .data : { *(.data) } }\n',
    );
    expect(extra).toContain('thin-extra.o');
    expectSamePair(await work.linkBoth([main, '-T', 'inputs.ld'], 'thin'));
  });

  it('writes every --build-id style like ld (0xHEX exactly; sha1, md5 and uuid sized like ld)', async () => {
    const main = work.nasm(
      'build-id',
      'section .text\nglobal _start\n_start: hlt\nsection .rodata\ndq 1\nsection .data\ndq 2\n',
    );
    for (const style of ['0xdeadbeef01', '0x00112233445566778899', 'sha1', 'md5', 'uuid'])
      expectSamePair(await work.linkBoth([`--build-id=${style}`, main], `build-id-${style}`));
  });

  it('lays out like ld with -z noseparate-code (headers, code and rodata in one PT_LOAD) and -z norelro', async () => {
    const flags = ['-O2', '-fno-asynchronous-unwind-tables', '-ffreestanding'];
    const objects = [
      work.gcc('nosep-probe', source('code-model-probe.c'), flags),
      work.gcc('nosep-lib', source('code-model-lib.c'), flags),
    ];
    expectSamePair(await work.linkBoth(['-static', '-z', 'noseparate-code', ...objects], 'nosep'));
    expectSamePair(await work.linkBoth(['-static', '-z', 'norelro', ...objects], 'norelro'));
  });

  it('sorts every section pattern with --sort-section=name|alignment like ld (explicit SORT_* gains a second key)', async () => {
    const object = work.gas('sort-section', source('sort-section.s'));
    work.file(
      'sort.ld',
      'SECTIONS { . = 0x400000; .text : { *(.text.*) } . = ALIGN(0x1000); .data : { *(SORT_BY_NAME(.data.*)) } }\n',
    );
    for (const key of ['name', 'alignment'])
      expectSamePair(await work.linkBoth([`--sort-section=${key}`, '-T', 'sort.ld', object], `sort-${key}`));
  });

  it('gives a .bss-only PT_LOAD the p_offset ld gives it (congruent with an unaligned p_vaddr), with and without RELRO', async () => {
    for (const [i, rodata] of ['dq 1', 'times 5 dq 1\ndb 7', 'dd 3'].entries()) {
      const object = work.nasm(
        `bss-only${i}`,
        `section .text\nglobal _start\n_start: mov rax, [rel buf]\nhlt\nsection .rodata\n${rodata}\nsection .bss\nbuf: resb ${64 << i}\n`,
      );
      for (const z of ['norelro', 'relro'])
        expectSamePair(await work.linkBoth(['-z', z, object], `bss-only${i}-${z}`));
    }
  });

  it('honours --defsym and -z max-page-size', () => {
    const main = work.nasm(
      'defsym',
      'section .text\nglobal _start\nextern magic\n_start: mov eax, magic\nhlt\nsection .data\ndq 1\n',
    );
    expectSameLink(work, [main], ['--defsym', 'magic=0x1234+8', '-z', 'max-page-size=0x200000'], {
      defsyms: [{ name: 'magic', expression: '0x1234+8' }],
      maxPageSize: 0x200000,
    });
  });
});
