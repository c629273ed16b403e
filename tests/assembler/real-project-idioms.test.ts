/**
 * Reduced from public NASM projects (boot sectors, hobby kernels, SIMD libraries) that assembled or listed
 * differently from nasm 2.16.01: each case is the idiom, checked against nasm byte for byte, listing included.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, type OutputFormat } from '../../src/assembler/index.js';
import { hex, requireNasm } from './oracle.js';

/** nasm's output and listing of `source` (a run nasm refuses throws its messages). */
function nasmRun(
  source: string,
  format: OutputFormat,
  files: Record<string, string> = {},
  optimization?: 'O0' | 'O1',
): { output: Uint8Array; listing: string } {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-real-'));
  try {
    writeFileSync(join(dir, 't.asm'), source);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const level = optimization ? [`-${optimization}`] : [];
    const r = spawnSync('nasm', [...level, '-f', format, 't.asm', '-o', 't.out', '-l', 't.lst'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return { output: readFileSync(join(dir, 't.out')), listing: readFileSync(join(dir, 't.lst'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sameAsNasm(
  source: string,
  format: OutputFormat,
  files: Record<string, string> = {},
  optimization?: 'O0' | 'O1',
): void {
  const nasm = nasmRun(source, format, files, optimization);
  const encoder = new TextEncoder();
  const ours = assemble({
    ...(optimization ? { optimization } : {}),
    source,
    fileName: 't.asm',
    format,
    listing: true,
    readFile: (path) => (files[path] === undefined ? undefined : encoder.encode(files[path])),
  });
  expect(ours.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  expect(hex(ours.output!)).toBe(hex(nasm.output));
  expect(ours.listing).toBe(nasm.listing);
}

describe('listings of .nolist macros and times (libjpeg-turbo alignx)', () => {
  it('lists a .nolist macro as one run of bytes, times counts inside it, continuation offsets as nasm', () => {
    const source = `%imacro m 0.nolist
  times 1 db 1,2,3
  times 1 db 4,5
  times 3 db 6,7
  db 8
  times 2 db 9
  times 0 db 11
  times 1 db 10
  resb 2
  nop
%endmacro
%define FILLB(b, n)  (($$-(b)) & ((n)-1))
%imacro alignx 1.nolist
  times FILLB($, %1) / 7 db 0x8D, 0xAC, 0x25, 0x00, 0x00, 0x00, 0x00
  times FILLB($, %1) / 1 db 0x90
%endmacro
m
db 0
m
alignx 16
alignx 32
db 1
times 3 db 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18
times 2 db 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27
times 20 db 0
`;
    sameAsNasm(source, 'bin');
    sameAsNasm(source, 'elf32');
  });

  it('lists each warning under the line that gave it, once per time it was given', () => {
    const source = `%macro m 0
  db 300
  resb 1
%endmacro
%imacro q 0.nolist
  db 256
%endmacro
%warning hello there
db 1
foo
m
q
db 256, 257
dw 70000
mov al, 300
%rep 2
db 999
%endrep
%use ifunc
db ilog2w(100)
`;
    sameAsNasm(source, 'bin');
  });
});

describe('macro names written as %[...] (a compiler in asm: str_const)', () => {
  it('defines the name the %[...] expands to, for every defining directive', () => {
    const source = `%macro str_const 2
  %strlen %[%1 %+ _LEN_] %2
  %1:
  dq %[%1 %+ _LEN_]
  db %2
%endmacro
str_const OUT_OF_BOUNDS, \`Vector access out of bounds!\\n\`
%define NM BAZ
%define NM2 NM
%xdefine %[NM %+ X] 1
%define %[A2] 2
%idefine %[NM2 %+ Y] 3
%assign %[NM %+ Z] 4
%strcat %[NM %+ C] 'a', 'b'
%substr %[NM %+ S] 'hello' 2,2
%defstr %[NM %+ D] text
%deftok %[NM %+ T] 'nop'
db BAZX, A2, bazy, BAZZ, BAZC, BAZS, BAZD
BAZT
`;
    sameAsNasm(source, 'bin');
    sameAsNasm(source, 'elf64');
  });
});

describe('incbin in listings (boot loaders embedding a stage)', () => {
  it('lists what incbin read as <bin N>, moving the line offset to it as nasm does', () => {
    const blob = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const source = `db 1
ib: incbin "blob.bin", 3, 5
incbin "blob.bin", 20
times 3 incbin "blob.bin", 1, 2
incbin "blob.bin", 26
incbin "blob.bin"
%macro m 0.nolist
db 7
db 6
incbin "blob.bin", 0, 2
db 8
incbin "blob.bin", 0, 3
db 9
%endmacro
%macro k 0.nolist
db 1,2,3,4,5,6,7,8
incbin "blob.bin", 0, 2
db 8
%endmacro
m
k
`;
    for (const format of ['bin', 'elf64'] as const) sameAsNasm(source, format, { 'blob.bin': blob });
  });
});

describe('x86inc-style macro parameters, TIMES counts and character constants (dav1d)', () => {
  it('splits macro parameters at every comma outside a leading {...}, keeping mid-parameter braces', () => {
    const source = `%macro cnt 1-*
  db %0
  %rep %0
    %defstr s %1
    db s, 0
    %rotate 1
  %endrep
%endmacro
%xdefine bcstq 1to8
cnt (1,2), 3
cnt [a,b], c
cnt [r]{bcstq}, 8
cnt x {a,b}, c
cnt {a,{b}}, c
cnt a}, c
cnt {p, q}
bits 64
%macro sh 3
  vpsllq %1, %2, %3
%endmacro
sh zmm4, [rax]{bcstq}, 8
`;
    sameAsNasm(source, 'bin');
  });

  it('keeps a TIMES count in 32 bits: x86inc AUTO_REP_RET counts 0x200000000 when a branch is not last', () => {
    const source = `bits 32
%define last_branch_adr $$
%macro ret_after 0
  times ((last_branch_adr-$)>>31)+1 rep
  ret
%endmacro
%macro jz_noted 1
  jz %1
  %%branch equ $
  %xdefine last_branch_adr %%branch
%endmacro
nop
ret_after
jz_noted $
ret_after
times 0x100000001 nop
times 0x100000000 db 1
`;
    sameAsNasm(source, 'bin');
    sameAsNasm(source, 'elf32');
  });

  it('reads a character constant as four characters outside 64-bit mode, eight in it, warning when longer', () => {
    const source = `bits 16
mov ax, "abcde"
mov eax, "abcde"
dd "abcde"+0
%if "abcde" = "abcd"
db 1
%endif
%if "2.16.01" > 0
db 2
%endif
bits 32
push "abcdefgh"
add eax, "ab"
dw "abcde"
bits 64
%if "abcdefghi" = "abcdefgh"
db 3
%endif
push "abcdefghi"
mov eax, "abcde"
db "abcdefghij"
`;
    sameAsNasm(source, 'bin');
  });
});

describe('bin listings of placed values (protected-mode textbook kernels with vstart sections)', () => {
  it('lists section.X.start and cross-section differences as before placement, as nasm does', () => {
    const source = `org 0x7c00
SECTION head vstart=0 align=16
    program_length:     dd program_end
    text_segment:       dd section.text.start
    data_segment:       dd section.data.start+4, section.data.vstart
    code_entry:         dd start
                        dw 0x38
SECTION text vstart=0 align=16
    bits 32
    times 3 nop
    start:
    mov esp, stack_pointer
    mov eax, section.data.start
    mov ebx, section.data.vstart+3
    dd message - $$
    dd 0x10 - start
    dd message - start
    dd 0x10 - $
    dd message - $
SECTION data vstart=0x100 align=16
    db 1, 2, 3
    message: db 'kernel', 0
    times 16 db 0
    stack_pointer:
SECTION tail align=16
    program_end:
`;
    sameAsNasm(source, 'bin');
  });
});

describe('conditional jumps below the 386 (cpu 8086 boot sectors)', () => {
  it('encodes a near jcc as the inverse short jcc over a near jmp under cpu 8086/186/286, at every -O', () => {
    const source = `cpu 8086
je far_away
jne near_label
near_label:
times 200 nop
far_away:
je near_label
jcxz far_away
jmp near_label
x: ret
cpu 186
jnle near_label
cpu 386
je near_label
cpu 286
je x
je short x
cpu default
bits 32
jc x
cpu 186
jc x
`;
    for (const level of [undefined, 'O0', 'O1'] as const) sameAsNasm(source, 'bin', {}, level);
    sameAsNasm(source, 'elf32');
  });

  it('refuses a 32- or 64-bit mode below its CPU level, as nasm does', () => {
    for (const [source, message] of [
      ['cpu 286\nbits 32\n', 'cannot specify 32-bit segment on processor below a 386'],
      ['cpu 186\nuse32\n', 'cannot specify 32-bit segment on processor below a 386'],
      ['cpu p4\nbits 64\n', 'cannot specify 64-bit segment on processor below an x86-64'],
    ]) {
      expect(() => nasmRun(source!, 'bin')).toThrow(message);
      const ours = assemble({ source: source!, fileName: 't.asm', format: 'bin' });
      expect(ours.diagnostics.map((d) => d.message)).toEqual([message]);
    }
    sameAsNasm('cpu x86-64\nbits 64\nnop\ncpu 386\nbits 32\nnop\n', 'bin');
  });
});

describe('x86inc cglobal without cpu flags, and smartalign listings (FFmpeg cpuid)', () => {
  it('pastes an empty SUFFIX before a comma as nasm does: the comma still separates parameters', () => {
    const source = `%xdefine SUFFIX
%macro inner 2-3+
  db %0
  %defstr s %2
  db s, 0
  %defstr t %3
  db t, 0
%endmacro
%macro cg 1-2+ ""
  inner 1, %1 %+ SUFFIX, %2
%endmacro
cg foo, 5,7
cg bar
%xdefine SUFFIX _sse2
cg baz, 3
`;
    sameAsNasm(source, 'bin');
  });

  it('lists smartalign padding as its times lines: a jump, repeated nops and the rest, in every mode', () => {
    for (const mode of ['nop', 'generic', 'k7', 'k8', 'p6'])
      for (const bits of [16, 32, 64]) {
        const lines = [`bits ${bits}`, '%use smartalign', `alignmode ${mode}`];
        for (const lead of [1, 3, 6, 9, 15]) lines.push(`times ${lead} db 0xcc`, 'align 16');
        lines.push('db 1', 'align 32', 'db 1', 'align 256', `alignmode ${mode}, 4`, 'db 1', 'align 16');
        sameAsNasm(lines.join('\n') + '\n', 'bin');
      }
  });
});

describe('ELF relocation corner cases nasm 2.16.01 treats its own way', () => {
  it('holds an ELF32 qword address as a zero-extended dword relocation, warning, as nasm does', () => {
    const source = `extern foo
section .data
x: dd 1
dq foo
dq foo+4
dq x+0x100000000
dq foo wrt ..sym
dq x - $
dd 7
`;
    sameAsNasm(source, 'elf32');
  });

  it('knows no ..gotpcrel (nasm 2.16.01 does not): not defined, like any other special name', () => {
    for (const line of [
      'call foo wrt ..gotpcrel',
      'mov rax, [rel foo wrt ..gotpcrel]',
      'dq foo wrt ..nothing',
    ]) {
      const source = `bits 64\nextern foo\n${line}\n`;
      expect(() => nasmRun(source, 'elf64')).toThrow(/symbol `\.\.[a-z]+' not defined/);
      const ours = assemble({ source, fileName: 't.asm', format: 'elf64' });
      expect(ours.output).toBeUndefined();
      expect(ours.diagnostics.map((d) => d.message)).toEqual([
        `symbol \`${/\.\.[a-z]+/.exec(line)![0]}' not defined`,
      ]);
    }
  });
});
