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
