/**
 * Error reporting: exact messages with file:line:column, the source line with a caret, the macro/include
 * chain, several errors in one run, no output on error. Plus fuzzing: no input makes `assemble` throw.
 */

import { describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic, type AssembleOptions } from '../../src/assembler/index.js';
import { hex, runNasm } from './oracle.js';

function errorsOf(source: string, options: Partial<AssembleOptions> = {}): string[] {
  const result = assemble({ source, fileName: 'err.asm', format: 'elf64', ...options });
  return result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}

describe('error messages', () => {
  it('shows file:line:column, the source line and a caret under the column', () => {
    expect(errorsOf('bits 64\n    add rax, [rax+rbx+rcx]\n')).toEqual([
      [
        'err.asm:2:23: error: invalid effective address: too many registers',
        '    2 |     add rax, [rax+rbx+rcx]',
        '      |                       ^',
      ].join('\n'),
    ]);
  });

  it('reports several errors in one run, in source order, and produces no output', () => {
    const result = assemble({
      source: 'mov eax, ebx, ecx\nmov [rax], 5\n',
      fileName: 'err.asm',
      format: 'elf64',
    });
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.location.line}:${d.location.column} ${d.message}`)).toEqual([
      '1:1 invalid combination of opcode and operands',
      '2:1 operation size not specified',
    ]);
  });

  it("after a parser error (nasm's first pass, after which it stops) reports no encoding errors, as nasm", () => {
    const result = assemble({
      source: 'mov eax, ebx, ecx\nfoo bar\nmov [rax], 5\nbar baz\n',
      fileName: 'err.asm',
      format: 'elf64',
    });
    expect(result.output).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.location.line}:${d.location.column} ${d.message}`)).toEqual([
      '2:1 parser: instruction expected',
      '4:1 parser: instruction expected',
    ]);
  });

  it('reports a bad %if expression once (a bad %elif not at all) and takes no branch of the block, as nasm 2.16 does', () => {
    for (const source of [
      '%if 1+\ndb 1\n%else\ndb 2\n%endif\n',
      '%if 0\n%elif 1+\ndb 1\n%else\ndb 2\n%endif\ndb 3\n',
    ]) {
      const ours = assemble({ source, fileName: 'test.asm', format: 'bin' });
      const nasm = runNasm(source, 'bin');
      const diagnostics = [...nasm.stderr.matchAll(/^test\.asm:(\d+): (error|warning):/gm)].map(
        (m) => `${m[2]} ${m[1]}`,
      );
      expect(ours.diagnostics.map((d) => `${d.severity} ${d.location.line}`)).toEqual(diagnostics);
      expect(ours.output && hex(ours.output)).toEqual(nasm.output && hex(nasm.output));
    }
  });

  it('names the macro expansion chain for errors inside macros', () => {
    const errors = errorsOf('%macro go 0\n  jmp nowhere\n%endmacro\nstart:\n  go\n');
    expect(errors).toEqual([
      [
        "err.asm:2:7: error: symbol `nowhere' not defined",
        '    2 |   jmp nowhere',
        '      |       ^',
        "err.asm:5:3: note: in expansion of macro `go'",
      ].join('\n'),
    ]);
  });

  it('names the include chain for errors inside included files', () => {
    const files: Record<string, string> = { 'lib.inc': 'db 1\nbogus_instruction eax\n' };
    const errors = errorsOf('%include "lib.inc"\n', {
      readFile: (p) => (files[p] ? new TextEncoder().encode(files[p]) : undefined),
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('lib.inc:2:1: error: parser: instruction expected');
    expect(errors[0]).toContain('err.asm:1:1: note: included from here');
  });

  it('rejects redefinitions, out-of-range short jumps and undefined symbols in bin', () => {
    expect(errorsOf('a: nop\na: nop\n').map((e) => e.split('\n')[0])).toEqual([
      "err.asm:2:1: error: label `a' inconsistently redefined",
    ]);
    expect(
      errorsOf('bits 64\njmp short target\ntimes 200 nop\ntarget: ret\n').map((e) => e.split('\n')[0]),
    ).toEqual(['err.asm:2:1: error: short jump is out of range']);
    expect(errorsOf('mov ax, missing\n', { format: 'bin' }).map((e) => e.split('\n')[0])).toEqual([
      "err.asm:1:9: error: symbol `missing' not defined",
    ]);
  });

  it("reports unterminated macros and conditionals after the file's last line and stray %endif, as nasm", () => {
    expect(errorsOf('%macro m 0\nnop\n').map((e) => e.split('\n')[0])).toEqual([
      "err.asm:3: error: end of file while still defining macro `m'",
    ]);
    const unterminated = assemble({ source: '%if 1\nnop\n', fileName: 'err.asm', format: 'elf64' });
    expect(unterminated.diagnostics.map((d) => d.severity === 'fatal' && formatDiagnostic(d))).toEqual([
      "err.asm:3: fatal: expected `%endif' before end of file",
    ]);
    expect(errorsOf('%endif\n').map((e) => e.split('\n')[0])).toEqual([
      "err.asm:1:1: error: `%endif': no matching `%if'",
    ]);
  });

  it('reports %error with the user text and an unknown %use package by name', () => {
    expect(errorsOf('%error "custom failure"\n').map((e) => e.split('\n')[0])).toEqual([
      'err.asm:1:1: error: custom failure',
    ]);
    expect(errorsOf('%use nosuchpkg\n').map((e) => e.split('\n')[0])).toEqual([
      "err.asm:1:6: error: unknown `%use' package: `nosuchpkg'",
    ]);
  });

  it('rejects an unknown include file with the name it looked for', () => {
    expect(errorsOf('%include "nope.inc"\n').map((e) => e.split('\n')[0])).toEqual([
      "err.asm:1:10: error: unable to open include file `nope.inc'",
    ]);
  });
});

describe('robustness', () => {
  function lcg(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  const corpus = `%macro m 2+
%%l: db %1
  jmp %%l
  %2
%endmacro
%define X(a) (a * 2)
struc s
.a: resd 1
endstruc
section .text
global f:function
extern e
f: mov rax, [rel d + X(2)]
  m 3, {add eax, 1}
  times 3 nop
  call e wrt ..plt
  jnz f
%rep 2
  db 'x', \`y\\n\`, 0x1F, 1Fh
%endrep
%if 1 > 0
section .data
d: dq f, e, 1.5
%endif
istruc s
at s.a, dd 1
iend
align 16
`;

  it('never throws on random byte soup, for either output format', () => {
    const random = lcg(42);
    const alphabet =
      'abcdefxyz0123456789 \t\n,:;[]()+-*/%$#@.?\'"`\\{}<>=!&|^~_eaxrbxmovdbtimes%macro%endmacro%if%rep';
    for (let i = 0; i < 300; i++) {
      let source = '';
      const length = Math.floor(random() * 200);
      for (let k = 0; k < length; k++) source += alphabet[Math.floor(random() * alphabet.length)];
      for (const format of ['elf64', 'bin'] as const) {
        expect(() => assemble({ source, fileName: 'fuzz.asm', format, listing: true })).not.toThrow();
      }
    }
  });

  it('never throws on mutations of a valid program (deleted, duplicated and swapped tokens and lines)', () => {
    const random = lcg(7);
    const lines = corpus.split('\n');
    for (let i = 0; i < 300; i++) {
      const mutated = lines.slice();
      const edits = 1 + Math.floor(random() * 4);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(random() * mutated.length);
        const what = random();
        if (what < 0.25) mutated.splice(at, 1);
        else if (what < 0.5) mutated.splice(at, 0, mutated[Math.floor(random() * mutated.length)]!);
        else if (what < 0.75) {
          const line = mutated[at]!;
          const cut = Math.floor(random() * (line.length + 1));
          mutated[at] = line.slice(0, cut) + line.slice(cut + 1 + Math.floor(random() * 3));
        } else {
          const words = mutated[at]!.split(/(\s+|,)/);
          words.reverse();
          mutated[at] = words.join('');
        }
      }
      const source = mutated.join('\n');
      for (const format of ['elf64', 'bin'] as const) {
        const result = (() => {
          try {
            return assemble({ source, fileName: 'mut.asm', format, listing: true });
          } catch (error) {
            throw new Error(`assemble threw on:\n${source}\n${(error as Error).stack}`);
          }
        })();
        if (result.output === undefined)
          expect(result.diagnostics.some((d) => d.severity === 'error' || d.severity === 'fatal')).toBe(true);
      }
    }
  });

  it('does not expand a macro inside its own expansion, as nasm: recursive macros end as orphan labels', () => {
    for (const source of [
      '%macro a 0\nb\nb\n%endmacro\n%macro b 0\na\n%endmacro\na\nnop\n',
      '%macro r 0\nr\n%endmacro\nr\nnop\n',
    ]) {
      const nasm = runNasm(source, 'bin');
      expect(nasm.output).toBeDefined();
      const result = assemble({ source, fileName: 'r.asm', format: 'bin' });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(hex(result.output!)).toBe(hex(nasm.output!));
    }
  });
});

describe('warnings', () => {
  it('warns like nasm about orphan labels and oversized data, with the class that silences them', () => {
    const result = assemble({ source: 'foo\ndb 300\n', fileName: 'w.asm', format: 'bin' });
    expect(result.output).toBeDefined();
    expect(result.diagnostics.map((d) => formatDiagnostic(d).split('\n')[0])).toEqual([
      'w.asm:1:1: warning: label alone on a line without a colon might be in error [-w+label-orphan]',
      'w.asm:2:4: warning: byte data exceeds bounds [-w+number-overflow]',
    ]);
    const quiet = assemble({
      source: 'foo\ndb 300\n',
      fileName: 'w.asm',
      format: 'bin',
      disabledWarnings: ['label-orphan', 'number-overflow'],
    });
    expect(quiet.diagnostics).toEqual([]);
  });
});

describe('include search', () => {
  const files: Record<string, string> = {
    'src/inc/a.inc': '%include "b.inc"\n',
    'src/inc/b.inc': 'db 0xB\n',
    'lib/c.inc': 'db 0xC\n',
  };
  const readFile = (path: string): Uint8Array | undefined =>
    files[path] === undefined ? undefined : new TextEncoder().encode(files[path]);

  it('searches the working directory, then each -I directory (slash supplied), and lists dependencies', () => {
    const result = assemble({
      source: '%include "src/inc/a.inc"\n%include "c.inc"\n',
      fileName: 'src/main.asm',
      format: 'bin',
      readFile,
      includePaths: ['src/inc', 'lib/'],
    });
    expect(result.diagnostics).toEqual([]);
    expect([...result.output!]).toEqual([0xb, 0xc]);
    expect(result.dependencies).toEqual(['src/inc/a.inc', 'src/inc/b.inc', 'lib/c.inc']);
  });

  it("does not search the including file's directory, as nasm 2.16 does not", () => {
    const result = assemble({ source: '%include "src/inc/a.inc"\n', fileName: 'src/main.asm', readFile });
    expect(result.diagnostics[0]?.message).toBe("unable to open include file `b.inc'");
  });
});
