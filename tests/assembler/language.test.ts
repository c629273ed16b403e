/**
 * The NASM language front end (numbers, strings, expressions, data directives, preprocessor, sections,
 * struc) checked against nasm: each source is assembled by both and the outputs must be identical.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

function expectSameBin(source: string, files: Record<string, string | Uint8Array> = {}): void {
  const nasm = runNasm(source, 'bin', files);
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin', files))).toBe(hex(nasm.output));
}

function expectSameElf(source: string, files: Record<string, string | Uint8Array> = {}): void {
  const nasm = runNasm(source, 'elf64', files);
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(readElf(runOstool(source, 'elf64', files))).toEqual(readElf(nasm.output));
}

describe('numbers and strings', () => {
  it('reads every NASM integer spelling like nasm', () => {
    expectSameBin(`dq 0x1F, 1Fh, 0h1F, $1F, 0b101, 101b, 0y11, 11y, 0o17, 17o, 17q, 0q17, 0d99, 99d, 0t99, 99t, 1_000_000, 0x_ff_ff, 0bh, 0b1h
dq 'ab', "abcd", \`a\\n\`, -1, 18446744073709551615`);
  });

  it('stores strings in db/dw/dd/dq with zero padding to the unit and backquote escapes', () => {
    expectSameBin(`db 'hello', 0, "it's", \`tab\\there\\x41\\101\\e\`
dw 'abc'
dd 'abcde'
dq 'x', 'longer string'
db \`\\u00e9\\\\\\\`\``);
  });

  it('encodes floating-point constants in dw/dd/dq/dt', () => {
    expectSameBin(`dd 1.5, -2.25, 3.5e10, 1e-3, 0x1.8p3
dq 3.141592653589793, -0.0, 1e300
dw 1.5, 65504.0
dt 1.5, -3.0`);
  });
});

describe('expressions', () => {
  it('applies nasm precedence and 64-bit arithmetic', () => {
    expectSameBin(`dq 1 + 2 * 3, (1 + 2) * 3, 7 / 2, -7 // 2, -7 % 3, -7 %% 3, 1 << 4 | 1, 0xF0 & 0x3C ^ 0xFF
dq -1 >> 60, 5 > 3, 5 == 5 && 2 < 1, !0, ~0, 1 ? 10 : 20, 0 ? 10 : 20
dq 0x8000000000000000 / 2, 1 <<< 3, -16 >>> 2, 2 || 0, 1 ^^ 1`);
  });

  it('computes $, $$ and label differences, including forward references', () => {
    expectSameBin(`start: db 1, 2, 3
here: dw $ - $$, here - start, later - start
dd later
times 3 db $ - start
later: db 0`);
  });

  it('resolves equ constants defined after their use', () => {
    expectSameBin(`dd A, B
A equ B * 2
B equ 21`);
  });
});

describe('data and space', () => {
  it('handles times with expressions of $ (boot sector padding)', () => {
    expectSameBin(`org 0x7c00
db 0xEB, 0xFE
msg: db 'boot', 0
times 510 - ($ - $$) db 0
dw 0xAA55`);
  });

  it('pads align with nops, alignb with zeros, and honours an explicit fill', () => {
    expectSameBin(`db 1
align 8
db 2
align 4, db 0xCC
db 3
alignb 16
db 4
align 16, resb 1
db 5`);
  });

  it('includes binary files with offset and length', () => {
    const blob = Uint8Array.from({ length: 64 }, (_, i) => i * 3);
    expectSameBin(
      `incbin "blob.bin"
incbin "blob.bin", 10
incbin "blob.bin", 5, 7`,
      { 'blob.bin': blob },
    );
  });

  it('lays out struc fields and istruc instances like nasm', () => {
    expectSameElf(`struc point
  .x: resd 1
  .y: resd 1
  .name: resb 10
endstruc
section .data
p1: istruc point
  at point.x, dd 10
  at point.y, dd 20
  at point.name, db 'origin'
iend
dd point_size, point.name
`);
  });
});

describe('preprocessor', () => {
  it('expands %define with and without parameters, %xdefine, %undef and %assign', () => {
    expectSameBin(`%define SIX 6
%define TWICE(x) ((x) * 2)
%define ADD(a, b) (a + b)
%xdefine SNAP SIX
%undef SIX
%define SIX 7
%assign counter 1
%assign counter counter + 10
dq SNAP, SIX, TWICE(SIX), ADD(1, TWICE(3)), counter`);
  });

  it('runs multi-line macros with ranges, defaults, greedy parameters, %0 and %rotate', () => {
    expectSameBin(`%macro pushall 1-*
%rep %0
  db %1
%rotate 1
%endrep
%endmacro
%macro withdef 1-3 20, 30
  db %1, %2, %3
%endmacro
%macro greedy 2+
  db %1
  db %2
%endmacro
%macro count 0-*
  db %0
%endmacro
pushall 1, 2, 3
withdef 1
withdef 1, 2
greedy 9, 8, 7, 6
count
count a, b, {c, d}
`);
  });

  it('makes %% labels unique per expansion and names them like nasm', () => {
    expectSameElf(`%macro spin 0
%%again: jmp %%again
%endmacro
section .text
spin
spin
global spin_end
spin_end: ret`);
  });

  it('evaluates %if/%elif/%else and the %ifdef/%ifidn/%ifnum/%ifstr/%ifid/%ifmacro families', () => {
    expectSameBin(`%define FOO
%macro m 1
%endmacro
%if 1 + 1 == 3
db 1
%elif 2 > 1
db 2
%else
db 3
%endif
%ifdef FOO
db 4
%endif
%ifndef BAR
db 5
%endif
%ifidn a, a
db 6
%endif
%ifidni ABC, abc
db 7
%endif
%ifnum 42
db 8
%endif
%ifstr 'x'
db 9
%endif
%ifid foo
db 10
%endif
%ifmacro m
db 11
%endif
%if 0
%if 1
db 99
%endif
%else
db 12
%endif`);
  });

  it('runs %rep with %exitrep and nested %rep', () => {
    expectSameBin(`%assign i 0
%rep 100
%if i == 5
%exitrep
%endif
db i
%assign i i + 1
%endrep
%rep 2
%rep 3
db 0xAA
%endrep
db 0xBB
%endrep`);
  });

  it('handles %strlen, %substr, %strcat, %defstr, %deftok, %+ and __?BITS?__', () => {
    expectSameBin(`%defstr version 1.2.3
%deftok seven '7'
db version, seven
%strlen len 'hello'
%substr sub 'hello', 2, 3
%strcat joined 'ab', 'cd'
%define cat(a, b) a %+ b
lab1: db len
db sub, joined
dw cat(la, b1)
dw __?BITS?__
bits 32
dw __?BITS?__, __BITS__`);
  });

  it('includes nested files and sees their definitions', () => {
    expectSameBin(
      `%include "inc/a.inc"
db VALUE_A`,
      {
        'inc/a.inc': '%include "inc/b.inc"\n%define VALUE_A VALUE_B + 1\n',
        'inc/b.inc': '%define VALUE_B 41\ndb 1\n',
      },
    );
  });

  it('agrees with nasm on macro corner cases (overloads, %{n}, pasting, %[...], %xdefine, contexts, %0 with defaults)', () => {
    expectSameBin(readFileSync(new URL('./fixtures/preprocessor.asm', import.meta.url), 'utf8'));
  });

  it('uses %push/%pop context-local labels', () => {
    expectSameBin(`%macro if_zero 0
%push ifz
jnz %$skip
%endmacro
%macro endif_zero 0
%$skip:
%pop
%endmacro
bits 32
test eax, eax
if_zero
inc eax
endif_zero
ret`);
  });
});

describe('sections and symbols in ELF64', () => {
  it('gives standard and unknown sections nasm defaults and explicit attributes', () => {
    expectSameElf(`section .text
nop
section .data
db 1
section .rodata
db 2
section .bss
resb 16
section .mine
db 3
section .exec progbits alloc exec nowrite align=32
nop
section .noal noalloc
db 4
section .zero nobits alloc write align=64
resq 1`);
  });

  it('writes locals first with parent.local names, then globals with types and sizes', () => {
    expectSameElf(`global main:function (main.end - main)
global table:data 16
extern puts, exit
common shared 64:8
section .text
main:
  call puts
  call exit wrt ..plt
.loop:
  jmp .loop
.end:
section .data
table: dq main, puts
  dd shared
value equ 42
dd value`);
  });

  it('stores differences with labels of other sections as PC-relative data relocations', () => {
    expectSameElf(`bits 64
extern ext
section .text
f: nop
section .data
dd ext - $
dq f - $
dd ext - $ + 8
dw f - $$
x: dd f - x`);
  });

  it('resolves calls to globals in the same section without relocations', () => {
    expectSameElf(`global f
section .text
f: ret
g: call f
  jmp f
  call h
section .other
h: ret`);
  });
});

describe('flat binary sections', () => {
  it('places .text at org, then progbits sections aligned, with nobits after them', () => {
    expectSameBin(`org 0x100
section .data align=16
d: dw d, b
section .text
db 1
mov si, d
section .bss
b: resb 4
section .text
dw b`);
  });

  it('resolves PC-relative data between sections of a flat binary', () => {
    expectSameBin(`org 0x100
f: nop
section .data
dw f - $
dd f - $ + 2`);
  });

  it('honours start=, follows= and vstart=', () => {
    expectSameBin(`section .a start=0x100
db 1
section .b follows=.a
db 2
section .c vstart=0x8000
x: db 3
dw x`);
  });

  it('keeps labels section-relative while sizing operands, as nasm does (push label is not imm8)', () => {
    expectSameBin(`bits 16
msg: push msg
add ax, msg
section .data
d: db 0
section .text
push d
add si, d`);
  });
});

describe('instruction syntax nasm has beyond operands separated by commas', () => {
  it("reads x87 `to` operands, split addresses [base, index] and MPX's separate index register", () => {
    expectSameBin(`bits 32
fadd to st1
fsubr to st2
fmul st0, st3
fld tword [eax]
mov eax, [eax+8, ecx*4]
bndstx [eax+3], bnd0, ebx
bndldx bnd1, [ebx, ecx]
bndmk bnd1, [ebx*2]`);
  });

  it('ignores a trailing comma, as an empty macro argument leaves one', () => {
    expectSameBin(`bits 64
%macro three 3
imul rax, rcx, %3
%endmacro
three a, b,
imul rax, rcx,`);
  });
});
