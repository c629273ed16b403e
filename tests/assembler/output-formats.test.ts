/**
 * `-f elf64`, `-f elf32` (`-f elf`), `-f elfx32` and `-f bin` byte for byte as nasm 2.16 writes them, on sources
 * of the kind OS projects ship: a boot sector, a multi-section flat loader, a 64-bit kernel object with many
 * sections and a 32-bit trampoline linked with C; plus the relocation flavours (`wrt ..got/..plt/..sym/..gotpc/
 * ..gotoff`) and nasm's first-pass guesses that decide sizes.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, type AssembleOptions, type OutputFormat } from '../../src/assembler/index.js';
import { hex, runNasm, runOstool } from './oracle.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/os/${name}`, import.meta.url), 'utf8');

function sameAsNasm(
  source: string,
  format: OutputFormat,
  flags: string[] = [],
  extra: Partial<AssembleOptions> = {},
): Uint8Array {
  // nasm's `elf` is ostool's elf32: check the alias on nasm's side
  const nasm = runNasm(source, format === 'elf32' ? ('elf' as OutputFormat) : format, {}, 'test.asm', flags);
  if (!nasm.output) throw new Error(`nasm rejected the source:\n${nasm.stderr}`);
  const ours = runOstool(source, format, {}, 'test.asm', { disabledWarnings: ['all'], ...extra });
  expect(hex(ours)).toBe(hex(nasm.output));
  return ours;
}

describe('OS-style sources byte-identical to nasm', () => {
  it('assembles a BIOS boot sector (org 0x7c00, 16->32->64-bit, times 510-($-$$), jmp to an absolute address)', () => {
    const out = sameAsNasm(fixture('boot-sector.asm'), 'bin');
    expect(out.length).toBe(512);
  });

  it('lays out a multi-section flat binary (start/vstart/follows/vfollows/align/nobits, section.NAME.start)', () => {
    sameAsNasm(fixture('multi-section.asm'), 'bin');
  });

  it('writes a 64-bit kernel object with many sections and a 32-bit trampoline exactly as nasm -f elf64', () => {
    sameAsNasm(fixture('kernel64.asm'), 'elf64');
  });

  it('writes a 32-bit PIC object as nasm -f elf32, and GNU ld links it to the same library as nasm output', () => {
    const source = fixture('trampoline32.asm');
    const ours = sameAsNasm(source, 'elf32');
    const cc = spawnSync('gcc', ['-m32', '-fPIC', '-c', '-x', 'c', '-', '-o', '/dev/stdout'], {
      input: 'int c_helper(int x) { return x; }\n',
    });
    if (cc.status !== 0 || cc.stdout.length === 0) {
      console.warn('skipping the ld -m elf_i386 link: gcc -m32 cannot compile here');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ostool-elf32-'));
    try {
      writeFileSync(join(dir, 'helper.o'), cc.stdout);
      writeFileSync(join(dir, 'ours.o'), ours);
      writeFileSync(join(dir, 'nasm.o'), runNasm(source, 'elf32').output!);
      const link = (object: string): Buffer => {
        const r = spawnSync(
          'ld',
          ['-m', 'elf_i386', '-shared', '-o', `${object}.so`, `${object}.o`, 'helper.o'],
          {
            cwd: dir,
          },
        );
        expect(r.status, r.stderr.toString()).toBe(0);
        return readFileSync(join(dir, `${object}.so`));
      };
      expect(link('ours').equals(link('nasm'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bin map files as nasm', () => {
  it('writes [map all|brief|sections|segments|symbols FILE] like nasm', () => {
    const base = fixture('multi-section.asm');
    for (const part of ['all', 'brief', 'sections', 'segments', 'symbols']) {
      const source = `[map ${part} out.map]\nKERNEL_SEG equ 0x1000\n${base}`;
      const dir = mkdtempSync(join(tmpdir(), 'ostool-map-'));
      try {
        writeFileSync(join(dir, 'test.asm'), source);
        const r = spawnSync('nasm', ['-f', 'bin', '-o', 'out.bin', 'test.asm'], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(r.status, r.stderr).toBe(0);
        const ours = assemble({ source, fileName: 'test.asm', format: 'bin', outputFileName: 'out.bin' });
        expect(ours.map?.file).toBe('out.map');
        expect(ours.map?.text).toBe(readFileSync(join(dir, 'out.map'), 'utf8'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('ELF relocation flavours as nasm', () => {
  const PIC64 = `default rel
extern foo
global g
section .data
  dq 0
g: dq 0
loc: dq 0
section .text
  call g wrt ..plt
  mov rax, [g wrt ..got]
  mov rax, [g wrt ..gottpoff]
  dq g + 5 wrt ..sym
  dq loc wrt ..sym
  mov rax, g wrt ..got
  mov rax, loc wrt ..gotoff
  mov rax, [qword foo wrt ..got]
  mov rax, foo wrt ..gotpc
  jmp 12345
  common cv 4
  common cw 8:8
`;
  it('relocates against globals exactly or at the nearest one before, GOT64/GOTOFF64/GOTPC32 (elf64)', () => {
    sameAsNasm(PIC64, 'elf64');
  });

  it('writes the same program as x32 (ELF32 with RELA)', () => {
    sameAsNasm(
      // x32 has no 64-bit GOT forms (nasm: `invalid ..got reference`)
      [
        'dq loc wrt ..sym',
        'mov rax, loc wrt ..gotoff',
        'mov rax, g wrt ..got',
        'mov rax, [qword foo wrt ..got]',
      ].reduce((text, line) => text.replace(`  ${line}\n`, ''), PIC64),
      'elfx32',
    );
  });

  it('keeps i386 addends in the section (REL), R_386_16/8, PC32 to *ABS*, no addend against externs with ..sym', () => {
    sameAsNasm(
      `extern e
global g
section .data
  dq 0
g: dq 0
loc: dq 0
section .text
  call g wrt ..plt
  call g + 3 wrt ..plt
  mov eax, [ebx + g wrt ..got]
  mov eax, [ebx + loc wrt ..gotoff]
  dd g + 5 wrt ..sym, loc wrt ..sym, e + 4 wrt ..sym, 3 wrt ..sym
  dw g
  db g
  jmp 1234
  push e
`,
      'elf32',
    );
  });
});

describe('label differences across sections in instructions', () => {
  it('makes `[rdi + other - $$]`, `mov eax, other - label` and `ext - $` PC-relative from the field (elf32, elf64)', () => {
    const source = `section .rodata
rod1: dd 1
section .text
nop
l: lea eax, [edi+rod1-$$]
mov eax, rod1-l
add edx, byte (rod1-$$)
extern bar
add edx, bar-$
`;
    sameAsNasm(source, 'elf32');
    sameAsNasm(source, 'elf64');
  });
});

describe('absolute space based on a label', () => {
  it('gives labels after `absolute label+N` addresses in that section (bin and elf64)', () => {
    const source = `org 0x7c00
start: jmp init
  times 13 nop
init:
  mov [b1], dl
  mov [b2], edx
  ret
  absolute init + 7
b1: resb 1
b2: resd 6
`;
    sameAsNasm(source, 'bin');
    sameAsNasm(
      'section .text\nnop\nlbl: nop\nabsolute lbl+4\nx: resd 1\ny: resb 2\nsection .text\nmov eax, [y]\ndd x\nglobal y\n',
      'elf64',
    );
  });
});

describe("nasm's first-pass guesses", () => {
  it('gives unknown immediates the byte form and lets later2 - later1 be known in the first pass', () => {
    const source = `bits 32
jmp cdr
times 128 nop
cdr:
lea eax, [eax+dolug2-dolug1]
dolug1:
times 100 nop
dolug2:
ealog1:
lea eax, [eax+ealog2-ealog1]
times 124 nop
ealog2:
a1: add eax, a2-a1
times 124 nop
a2:
b1: push b2-b1
times 125 nop
b2:
add eax, fwd
fwd equ 5
`;
    for (const level of [[], ['-O1'], ['-O0']] as const) {
      const optimization = level[0] === '-O1' ? 'O1' : level[0] === '-O0' ? 'O0' : undefined;
      sameAsNasm(source, 'bin', [...level], optimization ? { optimization } : {});
    }
  });

  it('sizes jmp/call word|dword x by the keyword and keeps jmp strict x near', () => {
    const source = `bits 32
s: jmp word s
jmp dword s
call word s
jmp strict s
jmp word fw
fw:
bits 16
jmp dword s
call dword s
jmp 0x100000
`;
    sameAsNasm(source, 'bin');
    sameAsNasm(source, 'bin', ['-O0'], { optimization: 'O0' });
  });
});

describe('symbol name prefixes and postfixes', () => {
  const source = `%pragma win64 gprefix W64_
%pragma elf lprefix .L.
%pragma output gprefix _
%pragma output lprefix L.
extern malloc
global call_malloc, data:data
call_malloc: call malloc
.next: ret
helper: jmp call_malloc
size equ $ - helper
section .data
data: dd helper
`;

  it('takes the first %pragma output/elf/FORMAT gprefix|lprefix of each kind and ignores other formats', () => {
    sameAsNasm(source, 'elf64');
    sameAsNasm(source, 'elf32');
    sameAsNasm(source.replace('%pragma elf lprefix', '%pragma elf64 lprefix'), 'elf32');
  });

  it('lets --gprefix/--gpostfix/--lprefix/--lpostfix win over the pragmas', () => {
    sameAsNasm(source, 'elf64', ['--gprefix', 'G_', '--lpostfix', '@l', '--gpostfix', '@g'], {
      symbolAffixes: { gprefix: 'G_', lpostfix: '@l', gpostfix: '@g' },
    });
  });
});

describe('ELF symbol specials', () => {
  it('takes type, visibility, weak/strong in any order and a size on global and extern, and keeps `required` externs', () => {
    const source = `global foo:(foo_end - foo)
global f_hidden:function hidden, f_weak:weak function, f_both:hidden weak data 4
global f_strong:strong protected (3)
extern strong_ref, weak_ref:weak, unused_ref, sized:function 8
extern weak_object_ref:weak object
required required_ref
foo: nop
f_hidden: nop
f_weak: nop
f_both: nop
f_strong: mov eax, weak_ref
mov eax, strong_ref
mov eax, weak_object_ref
call sized
foo_end:
`;
    sameAsNasm(source, 'elf64');
    sameAsNasm(source, 'elf32');
  });
});
