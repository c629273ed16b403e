/**
 * nasm 2.16's preprocessor features beyond the basics (functions, smacro parameter kinds, %use packages,
 * conditionals' edge cases, -E output, grouped data), each checked against nasm itself.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, preprocessOnly } from '../../src/assembler/index.js';
import { hex, requireNasm, runNasm, runOstool } from './oracle.js';

function expectSameBin(source: string): void {
  const nasm = runNasm(source, 'bin');
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output));
}

/** nasm -E's output for `source` (named test.asm). */
function nasmPreprocess(source: string, files: Record<string, string> = {}): string {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-nasm-e-'));
  try {
    writeFileSync(join(dir, 'test.asm'), source);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync('nasm', ['-E', 'test.asm'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nasm -E rejected the test source:\n${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('preprocessor functions', () => {
  it('computes %num, %abs, %eval, %sel, %cond, %count, %str, %strcat, %strlen, %substr, %tok and %is*', () => {
    expectSameBin(`%define a 64
%define b -30
db %num(a*b,,16), %num(a*b,10), %num(a*b,-3), %num(-a*b,10,2), %num(100,,36), %num(100,,64)
dq %abs(a*b), %eval(1+2, 3*4)
db %sel(2, 5, 6), %cond(1, 7, 8), %cond(0, 7, 8), %count(1, {2, 3}, 4)
db %str(x  y), %strcat('a', "b'", c), %strlen('abc'), %substr('abcdef', 2), %substr('abcdef', 2, -2)
db %tok('a'), %isdef(a), %isnum(3), %isidn(a, a), %isnidn(a, b), %isempty()`);
  });
});

describe('single-line macro parameters', () => {
  it('takes greedy last parameters, drops %, before nothing, and keeps %xdefine parameters unexpanded', () => {
    expectSameBin(`%define greedy(a,b,c+) a + 66 %, b * 3 %, c
db greedy(1,2)
db greedy(1,2,3,4)
%idefine d dword
%xdefine digit(d) (((d) % 10) + '0')
db digit(8)
%iassign OWORD_size 16
%idefine sizeof(_x_) _x_%+_size
db sizeof(oword)
%define ev(=x) x
db ev(2*3)`);
  });

  it('names macros built from context-local macros and %[...]', () => {
    expectSameBin(`%assign n 2
%assign foo2 22
%assign foo22 2222
dd foo%[foo%[n]]
%assign foo%[n] 5
dd foo2
%push ctx
%assign %$i 0
%rep 3
%assign %$v%$i %$i * 10
db %$v%$i
%assign %$i %$i + 1
%endrep
%pop`);
  });
});

describe('multi-line macro parameters', () => {
  it('expands %{a:b} ranges (backwards, from the end, after %rotate) and %-1 inverted condition codes', () => {
    expectSameBin(`%macro r 1-*
db %{1:2}
db %{-1:1}
db %{2:-1}
%rotate 1
db %{1:2}
%endmacro
r 1, 2, 3, 4
%macro cc 1
j%-1 short $+2
j%+1 short $+2
%endmacro
cc z
cc nae
cc pe`);
  });
});

describe('multi-line macro calls', () => {
  it('gives a greedy parameter all remaining defaults, drops a trailing empty argument, nests definitions', () => {
    expectSameBin(`%macro g 1-2+ 7, 8
db %0, %1, %2
%endmacro
g 1
g 1, 2, 3
%macro cnt 0-*
db %0
%endmacro
cnt
cnt a,
cnt a, , b
%macro outer 1
%macro inner_%1 0
db %1
%endmacro
%endmacro
outer 5
inner_5
db 9`);
  });
});

describe('conditionals', () => {
  it('ignores %elif and a second %else after %else, as nasm does', () => {
    expectSameBin(`%if 0
db 4
%else
db 5
%elif 1
db 6
%endif
%if 0
db 8
%else
db 9
%else
db 10
%endif`);
  });

  it('tests single tokens, identifiers and multi-line macro parameter ranges', () => {
    expectSameBin(`%macro two 2
%endmacro
%iftoken 1
db 1
%endif
%iftoken 1 2
db 2
%endif
%ifid $
db 3
%endif
%ifmacro two 1+
db 4
%endif
%ifmacro two 3-4
db 5
%endif
%ifmacro org
db 6
%endif`);
  });

  it('counts %rep as a signed number: a huge unsigned count is negative and repeats nothing', () => {
    expectSameBin(`%rep 0xffffffffffffffff
db 1
%endrep
%rep -2
db 2
%endrep
%rep 3
db 3
%endrep`);
  });
});

describe('preprocessor conditions on $', () => {
  it('decides %if ($-$$) from the final layout, as nasm does by preprocessing every pass', () => {
    const source = (fill: number): string => `org 0x7c00
start: jmp near start
times ${fill} db 0
%if ($-$$) > 510
%error boot sector too big
%else
db 1
%endif
times 510-($-$$) db 0
dw 0xaa55`;
    expectSameBin(source(400));
    const big = assemble({ source: source(600), fileName: 'test.asm' });
    expect(big.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toContain(
      'boot sector too big',
    );
  });
});

describe('%use packages', () => {
  it('ifunc: ilog2 exact, floor and ceiling', () => {
    expectSameBin(`%use ifunc
db ilog2(1), ilog2(0x80), ilog2f(100), ilog2c(100), ilog2f(0), ilog2e(1 << 40)`);
  });

  it('altreg: r0..r15 names for the legacy registers', () => {
    const nasm = runNasm(
      `%use altreg\nbits 64\nmov r0, r1\nmov r2d, r3d\nmov r4l, r5b\nmov r0h, r1l\nmov r8l, r9b\n`,
      'bin',
    );
    expect(
      hex(
        runOstool(
          `%use altreg\nbits 64\nmov r0, r1\nmov r2d, r3d\nmov r4l, r5b\nmov r0h, r1l\nmov r8l, r9b\n`,
          'bin',
        ),
      ),
    ).toBe(hex(nasm.output!));
  });

  it('smartalign: the nop sequences and jumps of every alignment mode', () => {
    for (const bits of [16, 32, 64])
      for (const mode of ['nop', 'generic', 'k7', 'k8', 'p6'])
        expectSameBin(`%use smartalign
bits ${bits}
alignmode ${mode}, 24
${[1, 3, 5, 7, 9, 11, 13, 15, 17, 30, 100, 200].map((n) => `times ${n} db 0xcc\nalign 64`).join('\n')}
alignmode ${mode}
times 3 db 0xcc
align 32
align 16, db 0x11`);
  });
});

describe('grouped data', () => {
  it('repeats dup groups and sized sub-lists like nasm 2.16', () => {
    expectSameBin(`db 6 dup (33, 34), 35
db %(44, 55), %('XX', 'YY')
dw 3 dup (0xcc, 4 dup byte ('PQR'), 7), 0xabcd
dd 2 dup (1, word 2, 3)`);
  });
});

describe('struc and absolute', () => {
  it('takes at .field from the istruc structure and fields relative to a struc base', () => {
    expectSameBin(`struc A
.x: resd 1
.y: resw 1
endstruc
struc B, -8
.y: resw 1
.x: resd 1
endstruc
label:
istruc A
at .x, dd 1
at .y, dw 2
iend
istruc B
at .y, dw 3
at .x, dd 4
iend`);
  });

  it("places labels after `absolute label+n` inside the label's section", () => {
    expectSameBin(`org 0x7c00
start: jmp there
there: mov [b1], al
mov [b2], ax
absolute there + 3
b1: resb 1
b2: resw 1`);
  });
});

describe('-E output', () => {
  it("prints nasm's %line markers, blank lines for single skipped lines and the standard macro forms", () => {
    const source = `%define X 5

db X ; comment
%macro m 0

  nop
%endmacro
m
%rep 2
int3
%endrep
bits 32
global a, b
align 8
%line 100 other.asm
nop
%pragma ns thing
`;
    const ours = preprocessOnly({ source, fileName: 'test.asm' });
    expect(ours.diagnostics).toEqual([]);
    expect(ours.text).toBe(nasmPreprocess(source));
  });

  it("leaves out an included file's leading empty lines and the includer's after it, and lower-cases directives", () => {
    const files = { 'inc.asm': '; header comment\n; more\nnop\n; trailing\n' };
    const source = `sectalign off
SECTION .text
DEFAULT REL
%include "inc.asm"

GLOBAL foo, Bar
EXTERN x
SECTALIGN 16
sectalign on
nop
`;
    const encoder = new TextEncoder();
    const ours = preprocessOnly({
      source,
      fileName: 'test.asm',
      readFile: (path) =>
        files[path as 'inc.asm'] === undefined ? undefined : encoder.encode(files[path as 'inc.asm']),
    });
    expect(ours.diagnostics).toEqual([]);
    expect(ours.text).toBe(nasmPreprocess(source, files));
  });

  it("substitutes a macro's parameters inside %[...] before the line calls another macro", () => {
    expectSameBin(`%define gpr_b l
%macro inner 2
db %2
%endmacro
%macro outer 2
inner %1, %[%2 + 1]
inner %1, '%[a %+ %2 %+ gpr_%1]'
mov %[a %+ gpr_%1], %2
%endmacro
outer b, 5
`);
  });
});
