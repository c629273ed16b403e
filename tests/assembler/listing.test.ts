/** Listings (`-l`) in nasm's layout, compared line by line with nasm's own listing of the same source. */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { requireNasm } from './oracle.js';

function nasmListing(source: string, format: 'elf64' | 'bin'): string {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-lst-'));
  try {
    writeFileSync(join(dir, 'l.asm'), source);
    const r = spawnSync('nasm', ['-f', format, 'l.asm', '-o', join(dir, 'l.out'), '-l', join(dir, 'l.lst')], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return readFileSync(join(dir, 'l.lst'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ourListing(source: string, format: 'elf64' | 'bin'): string {
  const result = assemble({ source, fileName: 'l.asm', format, listing: true });
  return result.listing ?? '';
}

describe('listing', () => {
  it('matches nasm for code with relocations, macros (with <1> markers) and multi-line data', () => {
    const source = `%macro m 1
%%x: db %1
jmp %%x
%endmacro
global gf:function
extern ext
section .text
gf: mov eax, 1
.loc: call ext
 call gf
 jmp .loc
 m 5
 mov eax, [data1]
section .data
data1: dd data1, ext
 dq gf
section .bss
resb 4
`;
    expect(ourListing(source, 'elf64')).toBe(nasmListing(source, 'elf64'));
  });

  it('matches nasm for a flat binary with org, strings longer than one listing line and %rep', () => {
    const source = `bits 16
org 0x100
%rep 2
nop
%endrep
msg: db "hello world, this is long", 0
times 4 db 0
mov si, msg
`;
    expect(ourListing(source, 'bin')).toBe(nasmListing(source, 'bin'));
  });

  it('matches nasm for repeated lines, alignment, absolute branch targets, struc fields and blank lines', () => {
    const source = `org 0x7c00
start:   
  nop

align 16
times 8 nop
times 2 mov eax, 1
times 5 db "abcdefghij"
x: times 2 push dword x
align 8, db 0
jmp 0x8000
call start+2
struc entry
.base resq 1
.len resw 20
endstruc
absolute 0x500
buffer: resd 2
`;
    expect(ourListing(source, 'bin')).toBe(nasmListing(source, 'bin'));
  });

  it('matches nasm for macro and %rep lines (re-spaced, comments dropped) and lines of skipped blocks', () => {
    const source = `%macro isr 1
global isr%1
isr%1:
    cli          ; no nesting
\tpush   byte %1
    jmp  isr_stub
%endmacro
%assign i 0
%rep 3
%if i == 1
  isr i
%else
isr   i   ; other
%endif
%assign i i+1
%endrep
%if 0
  hlt
%define unused 1
%endif
isr_stub: iret
`;
    expect(ourListing(source, 'elf64')).toBe(nasmListing(source, 'elf64'));
  });
});

describe('listing of included files', () => {
  const files: Record<string, string> = {
    'b.inc':
      'two\nmov  ebx,  2   ; kept as written\n%include "c.inc"\nmsg: db "a string longer than one listing line", 0\n',
    'c.inc': '\tmov ecx, 3\n two\n',
  };
  const source =
    '%macro two 0\n  nop   ; c\n  db 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\n%endmacro\nmov eax, 1\n%include "b.inc"\ntwo\n';

  function nasmWithIncludes(): string {
    requireNasm();
    const dir = mkdtempSync(join(tmpdir(), 'ostool-lst-'));
    try {
      writeFileSync(join(dir, 'l.asm'), source);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      const r = spawnSync(
        'nasm',
        ['-f', 'bin', 'l.asm', '-o', join(dir, 'l.out'), '-l', join(dir, 'l.lst')],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      return readFileSync(join(dir, 'l.lst'), 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('marks lines with the include depth plus the macro depth (on continuation lines too), like nasm', () => {
    const encoder = new TextEncoder();
    const result = assemble({
      source,
      fileName: 'l.asm',
      format: 'bin',
      listing: true,
      readFile: (path) => (files[path] !== undefined ? encoder.encode(files[path]) : undefined),
    });
    expect(result.listing).toBe(nasmWithIncludes());
  });
});

describe('listing of packages and .nolist macros', () => {
  it('lists neither a %use package nor the directive lines of a .nolist macro', () => {
    const source = `bits 64
%use smartalign
%imacro quiet 0.nolist
%assign q 1
%if q
nop
%endif
%endmacro
quiet
%macro outer 1
%macro %1_inner 0
db 1
%endmacro
%endmacro
outer x
x_inner
%macro braces 2
db %{1}, %{2}
%endmacro
braces 1, 2
`;
    for (const format of ['elf64', 'bin'] as const)
      expect(ourListing(source, format), format).toBe(nasmListing(source, format));
  });
});

describe('listing of labelled macro calls and PC-relative data', () => {
  it('lists the label of `label: macro` as the first line of the expansion, as nasm rebuilds it', () => {
    // nasm: the invocation at its own level, then `label:` (a colon added when there is none) one level deeper
    const source = `%macro M 0
  nop
%endmacro
%macro N 1
  db %1
%endmacro
%macro R 0
%%r: N 1
%endmacro
foo M
bar N 3
baz   :   N 4   ; comment
..@x: M
%define D N
qux: D 5
     lab2:M
R
R
`;
    for (const format of ['elf64', 'bin'] as const)
      expect(ourListing(source, format), format).toBe(nasmListing(source, format));
  });

  it('shows a PC-relative data field as the expression offset and `ext - $` operands in parentheses', () => {
    // dav1d's jump tables: `dd .w4 - base` with base in another section; nasm lists the offset before it is
    // measured from the field
    const source = `bits 64
section .text
extern ext
  nop
here:
  mov eax, ext - $
  push ext - $$
  dd ext - $ + 5
  dw ext - here
  dq ext - $
  mov eax, [ext - $]
tab:
  dd ext - tab
  dd tab2 - here
section .data
tab2:
  dd here - $
  dd here - tab2 + 3
`;
    expect(ourListing(source, 'elf64')).toBe(nasmListing(source, 'elf64'));
  });
});
