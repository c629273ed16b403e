/**
 * Reduced from public NASM projects (kernels, boot loaders, libraries) that assembled differently from nasm
 * 2.16.01: each case is the idiom, checked against nasm byte for byte and for the warnings nasm gives.
 */

import { describe, expect, it } from 'vitest';
import { assemble, type OutputFormat } from '../../src/assembler/index.js';
import { hex, runNasm } from './oracle.js';

/** The messages of a run's warnings as `line: text`, without nasm's `[-w+class]` suffix. */
function nasmWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes(': warning: '))
    .map((l) => l.replace(/^[^:]*:(\d+): warning: (.*?)( \[-w[+-][\w-]+\])?$/, '$1: $2'))
    .sort();
}

function same(source: string, format: OutputFormat, files: Record<string, string> = {}): void {
  const nasm = runNasm(source, format, files);
  expect(nasm.output, nasm.stderr).toBeDefined();
  const encoder = new TextEncoder();
  const result = assemble({
    source,
    fileName: 'test.asm',
    format,
    readFile: (path) => (files[path] === undefined ? undefined : encoder.encode(files[path])),
  });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => d.message)).toEqual([]);
  expect(hex(result.output!), format).toBe(hex(nasm.output!));
  const warnings = result.diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => `${d.location.line}: ${d.message}`)
    .sort();
  expect(warnings, format).toEqual(nasmWarnings(nasm.stderr));
}

describe('section lines as nasm splits them', () => {
  it('takes the first word as the name and warns about words the format does not know', () => {
    const source = `section .initial_stack, nobits
resb 16
section .a,b nobits foo
resb 4
section .c nobits, write
resb 4
section .d progbits align = 16
db 1
section .e progbits align=4 start = 0x100
db 2
section .f align= 32 zz=3
db 3
`;
    for (const format of ['elf64', 'elf32', 'bin'] as const) same(source, format);
  });

  it('reads ELF flags, types and entry sizes (.note.GNU-stack, merge strings, init arrays, tls)', () => {
    const source = `section .tdata
dd 1
section .tbss
resd 1
section .init_array
dq 0
section .fini_array progbits
dq 0
section .note
dd 1
section .note.GNU-stack noalloc noexec nowrite progbits
section .rodata.str merge strings byte
db "a", 0
section .x tls
dd 0
section .y merge dword*2
dd 1
section .w pointer
db 1
section .data write
db 1
section .text exec
nop
section .text nobits align=32
`;
    for (const format of ['elf64', 'elf32'] as const) same(source, format);
    same(source.replace(/.*\n$/, ''), 'bin');
  });

  it('refuses to change a flat binary section from progbits to nobits, as nasm does', () => {
    for (const source of ['section .text nobits\n', 'section .a\ndb 1\nsection .a nobits\n']) {
      expect(runNasm(source, 'bin').output).toBeUndefined();
      const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
      expect(result.output).toBeUndefined();
      expect(result.diagnostics.map((d) => d.message)).toContain(
        'attempt to change section type from progbits to nobits',
      );
    }
  });
});

describe('preprocessor expressions', () => {
  it('know the equ constants defined above them, as nasm assembles each line as it preprocesses it', () => {
    const source = `LOG_TABLE_SIZE equ 3
TABLE_SIZE equ (1 << LOG_TABLE_SIZE)
PAGE_SIZE equ 4096
%assign pg 0
%rep TABLE_SIZE
  dq pg + 0x83
  %assign pg pg+PAGE_SIZE*TABLE_SIZE
%endrep
%if TABLE_SIZE > 4
db 1
%endif
`;
    for (const format of ['elf64', 'bin'] as const) same(source, format);
  });
});

describe('macro idioms of x86inc.asm (dav1d, x264, FFmpeg)', () => {
  it('names a macro from a context-local macro and a parameter (`%macro %$prefix%2`)', () => {
    const source = `%macro FM 2-*
    %push fm
    %xdefine %$prefix %1
    %rep %0 - 1
        %macro %$prefix%2 1
            db %1
        %endmacro
        %rotate 1
    %endrep
    %pop
%endmacro
FM fmadd, pd, ps
fmaddpd 1
fmaddps 2
%macro M 1
%push c
%$lbl%1: db %1
%define %$d%1 7
db %$d%1
%pop
%endmacro
M 1
M 2
`;
    same(source, 'bin');
  });

  it('compares %ifidn texts as nasm does: at the first comma, token by token, whitespace before the comma counts', () => {
    const source = `%macro m 1-2+
%ifidn %2,
db 3
%endif
%ifidn %1, %2
db 4
%endif
%ifnidn %1, ""
db 5
%endif
%endmacro
m a
m b,b
m 3, 7, 8
%ifidn a ,a
db 6
%endif
%ifidn a, a
db 7
%endif
%ifidn "x", 'x'
db 8
%endif
%ifidni "X", 'x'
db 9
%endif
%ifidn a b, ab
db 10
%endif
`;
    same(source, 'bin');
  });

  it('does not expand a macro inside its own expansion: the line is the instruction', () => {
    const source = `%macro movdqa 2
  %ifidn %1, xmm0
    movdqa %1, %2
  %else
    movdqa xmm0, %2
  %endif
%endmacro
bits 64
movdqa xmm0, xmm1
movdqa xmm2, [rax]
`;
    same(source, 'elf64');
  });

  it("places smartalign's padding in a context ending at its %$end label, after sectalign, numbered as nasm's", () => {
    const source = `%macro probe 0
%%p: nop
%endmacro
probe
%use smartalign
probe
align 16
probe
alignmode p6
probe
align 32
probe
align 8, db 0
probe
`;
    same(source, 'elf64');
  });
});

describe('symbol declarations in the orders real code writes them', () => {
  it('makes a defined symbol global when `extern` names it, before or after the definition', () => {
    for (const source of [
      'foo: nop\nextern foo\ncall foo\n',
      'extern foo\nfoo: nop\ncall foo\n',
      'extern foo\nfoo equ 5\nmov eax, foo\n',
      'global foo\nextern foo\nfoo: nop\n',
      'common foo 4\nextern foo\nmov eax, foo\n',
      'x:\nx:\nnop\n',
    ])
      same(source, 'elf64');
  });

  it('refuses the orders nasm refuses, with its messages', () => {
    const cases: Array<[string, string]> = [
      ['extern foo\nglobal foo\nfoo: nop\n', "label `foo' inconsistently redefined"],
      ['foo equ 5\nextern foo\n', "label `foo' inconsistently redefined"],
      ['extern foo\ncommon foo 4\n', "label `foo' inconsistently redefined"],
      ['common foo 4\nfoo: nop\n', "label `foo' inconsistently redefined"],
      ['global foo\ncommon foo 4\n', "symbol `foo' declared both as global and common"],
      ['common foo 4\nglobal foo\n', "symbol `foo' declared both as common and global"],
      [
        'extern foo:function\nextern foo:data\ncall foo\n',
        "symbol `foo' has inconsistent attributes `function' and `data'",
      ],
      [
        'global foo:function\nglobal foo:data\nfoo: nop\n',
        "symbol `foo' has inconsistent attributes `function' and `data'",
      ],
    ];
    for (const [source, message] of cases) {
      const nasm = runNasm(source, 'elf64');
      expect(nasm.output, source).toBeUndefined();
      expect(nasm.stderr).toContain(message);
      const result = assemble({ source, fileName: 'test.asm', format: 'elf64' });
      expect(result.output, source).toBeUndefined();
      expect(result.diagnostics.map((d) => d.message)).toContain(message);
    }
  });
});

describe('instruction forms nasm accepts', () => {
  it('takes a byte or word register as the source of kmovb/kmovw', () => {
    const source = `kmovb k1, al
kmovb k2, r9b
kmovw k1, ax
kmovw k3, r10w
kmovb k1, eax
kmovw eax, k1
`;
    same(`bits 64\n${source}`, 'bin');
    same(`bits 32\n${source.replace(/.*r(9|10).*\n/g, '')}`, 'bin');
  });
});

describe('data bounds', () => {
  it('warns about data only where nasm does: a number whose negation fits is fine (multiboot checksums)', () => {
    const source = `a:
dd -(0xE85250D6 + 0 + (b - a))
dd -0xE85250EE
db -128, -129, -255, -256, -257, 255, 256
dw -65535, -65536, -65537
dd -0xFFFFFFFF, -0x100000000, -0x100000001, 0x1FFFFFFFF
b:
`;
    for (const format of ['bin', 'elf32', 'elf64'] as const) same(source, format);
  });
});

describe('differences of labels in operands', () => {
  it('takes `-y + x` (x86inc `[base_reg - .write1 + table]`) as the PC-relative difference x - y', () => {
    const source = `section .rodata
align 16
db 0
k: dd 1
section .text
nop
f: nop
movdqu xmm4, [r12-f+k]
mov eax, [rbx+k-f]
lea rax, [rax-f+k+4]
mov eax, -f+k
push k-f
`;
    same(source, 'elf64');
    same(source.replace(/r12/g, 'esi').replace(/rbx/g, 'ebx').replace(/rax/g, 'eax'), 'elf32');
  });
});

describe('label differences in flat binaries', () => {
  it('subtracts only a label of the current section, as nasm (x - y with y elsewhere is refused)', () => {
    same('section .a\nx: nop\nsection .b\ny: nop\nmov eax, x-y\ndd x-y, -y+x\n', 'bin');
    for (const source of [
      'section .a\nx: nop\nsection .b\ny: dd y-x\n',
      'section .a\nx: nop\nsection .b\ny: dd 1-x+y\n',
      'section .a\nx: nop\nsection .b\ny: nop\nsection .c\ndd y-x\n',
      'section .a\nx: nop\nsection .b\ny: nop\ntimes y-x db 0\n',
    ]) {
      expect(runNasm(source, 'bin').output, source).toBeUndefined();
      const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
      expect(result.output, source).toBeUndefined();
    }
  });
});
