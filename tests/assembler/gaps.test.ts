/**
 * Constructs the first front end left to later (far pointers with a size keyword, `[rel number]` in flat
 * binaries, `wrt ..sym`, nasm's `__utf16__`/`__utf32__` string functions), checked against nasm byte for byte.
 */

import { describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic } from '../../src/assembler/index.js';
import { hex, readElf, runNasm, runOstool } from './oracle.js';

function expectSameBin(source: string): void {
  const nasm = runNasm(source, 'bin');
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output));
}

function expectSameElf(source: string): void {
  const nasm = runNasm(source, 'elf64');
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(readElf(runOstool(source, 'elf64'))).toEqual(readElf(nasm.output));
}

describe('far pointers with a size keyword', () => {
  it('takes the offset size from dword/word like nasm (66 prefix, 16- or 32-bit offset) in 16- and 32-bit code', () => {
    expectSameBin(`bits 16
org 0x7c00
start:
  jmp dword 0x08:pm
  jmp 0x08:pm
  call dword 0x10:start
  jmp word 0x08:pm
bits 32
pm:
  jmp word 0x10:0x1234
  call word 0x10:pm
  jmp 0x10:pm
  jmp dword 0x10:pm
`);
  });
});

describe('[rel number] in a flat binary', () => {
  const source = `bits 64
default rel
  mov eax, [rel 0x1000]
  mov eax, [0x2000]
  mov eax, [rel lab]
  lea rax, [rel 5]
  mov eax, [abs 0x1000]
  mov eax, [rel equ_val]
equ_val equ 0x3000
lab: dd 0
`;

  it('uses absolute addressing for plain numbers and RIP-relative for labels, like nasm', () => {
    expectSameBin(source);
  });

  it("warns like nasm, in nasm's ea-absolute class", () => {
    const result = assemble({ source, fileName: 'r.asm', format: 'bin' });
    const warnings = result.diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]);
    expect(warnings).toEqual([
      'r.asm:3:3: warning: absolute address can not be RIP-relative [-w+ea-absolute]',
      'r.asm:4:3: warning: absolute address can not be RIP-relative [-w+ea-absolute]',
      'r.asm:6:3: warning: absolute address can not be RIP-relative [-w+ea-absolute]',
      'r.asm:8:3: warning: absolute address can not be RIP-relative [-w+ea-absolute]',
    ]);
    const nasm = runNasm(source, 'bin');
    expect(nasm.stderr.match(/warning: absolute address can not be RIP-relative/g)).toHaveLength(4);
    const quiet = assemble({ source, fileName: 'r.asm', format: 'bin', disabledWarnings: ['ea-absolute'] });
    expect(quiet.diagnostics).toEqual([]);
  });
});

describe('wrt ..sym', () => {
  it('relocates against the global symbol itself rather than its section, in code and data', () => {
    expectSameElf(`bits 64
global gfun, foo, bar
extern ext
section .text
gfun:
  mov rax, foo wrt ..sym
  mov rax, bar wrt ..sym
  mov eax, [bar wrt ..sym]
  call ext wrt ..plt
  dq ext wrt ..sym
  dq gfun wrt ..sym
section .data
foo: dq 1
bar: dd foo wrt ..sym
  dq gfun wrt ..sym
  dq bar wrt ..sym
  dd bar
`);
  });

  it('rejects wrt ..sym on a label that is not global, as nasm does', () => {
    const source = 'bits 64\nsection .data\nloc: dq loc wrt ..sym\n';
    expect(runNasm(source, 'elf64').output).toBeUndefined();
    const result = assemble({ source, fileName: 's.asm', format: 'elf64' });
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.location.line}: ${d.message}`)).toEqual([
      '3: unable to find a suitable global symbol for this reference',
    ]);
  });
});

describe('__utf16__ and __utf32__', () => {
  it('re-encodes strings as UTF-16/UTF-32 (le and be, astral characters, padding to the unit) like nasm', () => {
    expectSameBin(`dw __utf16__('EFI app'), 0
dw __?utf16?__("h\u00e9llo \u20ac"), 0
dd __utf32__('a\u20ac'), 0
dw __utf16be__('AB')
dd __utf32be__('A')
dw __utf16le__(\`x\\n\`)
db __utf16__('z')
dq __utf16__('abc')
dw __utf16__('\u{1d11e}')
dw 1, __utf16__('q'), 2
`);
  });

  it('reports a missing string argument at the function', () => {
    const result = assemble({ source: 'dw __utf16__(5)\n', fileName: 'u.asm', format: 'bin' });
    expect(result.diagnostics.map((d) => formatDiagnostic(d).split('\n')[0])).toEqual([
      "u.asm:1:13: error: `__utf16__' must be followed by a string constant",
    ]);
  });
});

describe('%00 in macros', () => {
  it("places the invocation's label where the body says (%00), and keeps plain labels before other macros", () => {
    const source = `%macro mk 0
%00: db 1
dd %00
%endmacro
%macro plain 1
db %1
%endmacro
top: mk
.sub: mk
bar mk
baz: plain 3
qux plain 4
dd baz, qux, top.sub
`;
    expectSameBin(source);
    // nasm warns about neither `bar mk` nor `qux plain 4` (the label is the invocation's)
    expect(assemble({ source, fileName: 'm.asm', format: 'bin' }).diagnostics).toEqual([]);
  });
});

describe('%stacksize, %arg and %local', () => {
  it('define frame-relative names for flat, flat64, small and large frames like nasm, with %$localsize', () => {
    expectSameBin(`bits 32
%push f1
%stacksize flat
%arg a:dword, b:word, c:byte, d:qword
%assign %$localsize 0
%local x:dword, y:word, z:byte
  mov eax, [a]
  mov ax, [b]
  mov al, [c]
  mov eax, [d]
  mov [x], eax
  mov [y], ax
  mov [z], al
  sub esp, %$localsize
%pop
bits 64
%push f2
%stacksize flat64
%arg p:qword, q:dword
%assign %$localsize 0
%local l1:qword, l2:byte
  mov rax, [p]
  mov [l1], rax
  mov [l2], al
  dd %$localsize
%pop
bits 16
%push f3
%stacksize small
%arg s1:word, s2:word
%assign %$localsize 0
%local v:word
  mov ax, [s1]
  mov bx, [s2]
  mov [v], ax
%pop
%push f4
%stacksize large
%arg t1:word
  mov ax, [t1]
%pop
`);
  });

  it('continue offsets across %arg/%local lines and contexts like nasm (tword slots round up)', () => {
    expectSameBin(`bits 32
%push f1
%stacksize flat
%arg a:dword
%arg b:dword
%assign %$localsize 0
%local x:dword
%local y:tword
  lea eax, [a]
  lea eax, [b]
  lea eax, [x]
  lea eax, [y]
  dd %$localsize
%pop
%push f2
%assign %$localsize 0
%local z:dword
%arg c:word
  lea eax, [z]
  lea eax, [c]
  dd %$localsize
%pop
`);
  });

  it('expands context-local single-line macros (%define %$x / %assign %$x) in the current context', () => {
    expectSameBin('%push c\n%assign %$x 5\ndd %$x\n%define %$y 7\ndd %$y + %$x\n%pop\n');
  });
});

describe('empty strings in data', () => {
  it('emit nothing in any data unit (db "", 0 is one byte), like nasm', () => {
    expectSameBin(
      'db ""\ndb 9\ndw ""\ndb 8\ndd ""\ndb 7\ndq ""\ndb 6\ndb "", ""\ndb 5\ndb "", 0\ndw `` , 1\n',
    );
  });
});

describe('symbolic register scales', () => {
  it('takes a scale from an equ constant or a constant expression, like nasm', () => {
    expectSameBin(
      'bits 64\nROWS equ 4\nONE equ 1\nmov al, [rsi+rdi*ROWS]\nmov al, [rsi+ROWS*rdi+8]\nlea rax, [rdi*ROWS]\n' +
        'mov al, [rsi+rdi*(ROWS/2)]\nmov al, [rsi+rdi*ONE]\nmov al, [rdi*ONE]\nmov al, [rdi+rdi*ONE]\n',
    );
  });

  it('rejects a scale that is a label address, as nasm does', () => {
    const result = assemble({
      source: 'bits 64\nx: mov al, [rsi+rdi*x]\n',
      fileName: 'scale.asm',
      format: 'elf64',
    });
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic).join('\n')).toContain(
      'scale.asm:2:17: error: register scale must be a constant',
    );
  });
});

describe('forward immediates of mov r64 in the first pass', () => {
  // nasm's first guess for a value not known yet is 0, so `mov rdi, later` starts as `mov edi, imm32`: a jump
  // after it whose distance is 124..127 stays short (taking the 10-byte form first makes it near for good)
  it('keeps a boundary jump after `mov r64, forward` short, like nasm', () => {
    for (const nops of [123, 124, 127])
      expectSameBin(`bits 64\nmov rdi, fwd\nje done\ntimes ${nops} nop\ndone:\nfwd equ 0x120000\n`);
  });

  it('still grows the forward mov to the final value (sign-extended, 64-bit, label) like nasm', () => {
    for (const def of ['fwd equ -1', 'fwd equ 0x123456789', 'fwd: dq 0'])
      expectSameBin(`bits 64\nje done\nmov rsi, fwd\ntimes 112 nop\ndone:\n${def}\n`);
  });
});

describe('forward shift counts in the first pass', () => {
  // at -Ox nasm's first pass takes the `shl eax, 1` form (d1 /4) for a count not known yet, so a jump after a
  // forward `shl eax, one` (one = 1) whose distance is 127 stays short
  it('keeps a boundary jump after a forward shift count short, like nasm', () => {
    for (const count of ['1', '5'])
      for (const insn of ['shl eax, fwd', 'rol qword [rbx], fwd'])
        expectSameBin(`bits 64\n${insn}\nje done\ntimes 127 nop\ndone:\nfwd equ ${count}\n`);
  });
});

describe('local labels before the first non-local label', () => {
  // nasm keeps the last non-local label from one pass to the next, so in its final pass `.a` at the top of a
  // file is named after the file's last non-local label (labels from macros count; equ and ..@ do not)
  it('names them after the last non-local label of the source in the symbol table, like nasm', () => {
    expectSameElf(
      'section .text\n.a: nop\njmp .a\nfirst: nop\n.b: nop\nsection .data\nlast: db 0\nx equ 5\n..@y: db 1\n',
    );
    expectSameElf('%macro m 0\nmlabel: nop\n%endmacro\n.a: nop\nstart: m\n');
    expectSameElf('.a: nop\njmp .a\nx equ 5\n');
  });
});
