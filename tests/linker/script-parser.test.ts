import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { Expression, OutputSectionStatement } from '../../src/linker/script/ast.js';
import { parseLinkerScript } from '../../src/linker/script/parser.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function sections(text: string): OutputSectionStatement[] {
  return (parseLinkerScript(text).sections ?? []).filter(
    (c): c is OutputSectionStatement => c.kind === 'output-section',
  );
}

/** Evaluates a constant expression tree (numbers and operators only) to check precedence and literals. */
function constant(e: Expression): bigint {
  switch (e.kind) {
    case 'number':
      return e.value;
    case 'unary':
      return e.operator === '-'
        ? -constant(e.operand)
        : e.operator === '~'
          ? ~constant(e.operand)
          : constant(e.operand) === 0n
            ? 1n
            : 0n;
    case 'binary': {
      const a = constant(e.left);
      const b = constant(e.right);
      const table: Record<string, bigint> = {
        '+': a + b,
        '-': a - b,
        '*': a * b,
        '<<': a << b,
        '>>': a >> b,
        '&': a & b,
        '|': a | b,
        '==': a === b ? 1n : 0n,
        '&&': a && b ? 1n : 0n,
      };
      return table[e.operator]!;
    }
    case 'conditional':
      return constant(e.condition) !== 0n ? constant(e.then) : constant(e.otherwise);
    default:
      throw new Error(`not constant: ${e.kind}`);
  }
}

function expression(text: string): Expression {
  const script = parseLinkerScript(`x = ${text};`);
  const first = script.globals[0]!;
  if (first.kind !== 'assignment') throw new Error('expected an assignment');
  return first.value;
}

describe('linker script parser', () => {
  it('reads the Limine template: ENTRY, OUTPUT_FORMAT, PHDRS with FLAGS, sections with KEEP and :phdr lists', () => {
    const script = parseLinkerScript(fixture('limine-template.ld'));
    expect(script.entry).toBe('kmain');
    expect(script.outputFormat).toBe('elf64-x86-64');
    expect(script.phdrs?.map((p) => p.name)).toEqual(['text', 'rodata', 'data', 'dynamic']);
    const data = sections(fixture('limine-template.ld')).find((s) => s.name === '.data')!;
    const keeps = data.commands
      .filter((c) => c.kind === 'input' && c.keep)
      .map((c) => (c.kind === 'input' ? c.sections[0]!.pattern : ''));
    expect(keeps).toEqual(['.requests_start_marker', '.requests', '.requests_end_marker']);
    expect(sections(fixture('limine-template.ld')).find((s) => s.name === '.dynamic')!.phdrs).toEqual([
      'data',
      'dynamic',
    ]);
  });

  it('gives C precedence to expression operators and reads hex, octal, K and M literals', () => {
    expect(constant(expression('1 + 2 * 3'))).toBe(7n);
    expect(constant(expression('(1 + 2) * 3'))).toBe(9n);
    expect(constant(expression('1 << 4 + 1'))).toBe(32n);
    expect(constant(expression('0x10 | 3 & 1'))).toBe(0x11n);
    expect(constant(expression('4K + 1M'))).toBe(4096n + 1048576n);
    expect(constant(expression('010'))).toBe(8n);
    expect(constant(expression('1 == 1 && 2 ? 5 : 6'))).toBe(5n);
    expect(constant(expression('-1 + ~0'))).toBe(-2n);
  });

  it('parses input section descriptions: EXCLUDE_FILE, SORT variants, archive:member patterns, COMMON', () => {
    const [out] = sections(
      `SECTIONS { .text : { *(EXCLUDE_FILE(*crt*.o) .text) KEEP(*(SORT_BY_NAME(.init.*))) *(SORT(SORT_BY_ALIGNMENT(.x.*))) libk.a:obj.o(.t) *(COMMON) } }`,
    );
    const inputs = out!.commands.filter((c) => c.kind === 'input');
    expect(
      inputs.map((c) =>
        c.kind === 'input'
          ? [
              c.filePattern,
              c.keep,
              c.sections.map((s) => `${s.pattern}/${s.sort}/${s.excludeFiles.join(',')}`),
            ]
          : [],
      ),
    ).toEqual([
      ['*', false, ['.text/none/*crt*.o']],
      ['*', true, ['.init.*/name/']],
      ['*', false, ['.x.*/name-alignment/']],
      ['libk.a:obj.o', false, ['.t/none/']],
      ['*', false, ['COMMON/none/']],
    ]);
  });

  it('parses output section attributes: address, (NOLOAD), AT(), ALIGN(), SUBALIGN(), fill and several phdrs', () => {
    const [out] = sections(
      `SECTIONS { .bss 0x1000 (NOLOAD) : AT(0x2000) ALIGN(16) SUBALIGN(8) { *(.bss) } :data :other =0x90 }`,
    );
    expect(out!.type).toBe('NOLOAD');
    expect(out!.address).toEqual({ kind: 'number', value: 0x1000n });
    expect(out!.loadAddress).toEqual({ kind: 'number', value: 0x2000n });
    expect(out!.align).toEqual({ kind: 'number', value: 16n });
    expect(out!.subalign).toEqual({ kind: 'number', value: 8n });
    expect(out!.phdrs).toEqual(['data', 'other']);
    expect(out!.fill).toEqual({ kind: 'number', value: 0x90n });
  });

  it('parses assignments with every operator, PROVIDE, PROVIDE_HIDDEN, HIDDEN and ASSERT', () => {
    const script = parseLinkerScript(
      `a = 1; a += 2; a -= 1; a *= 3; a /= 2; a <<= 1; a >>= 1; a &= 7; a |= 8; PROVIDE(b = .); PROVIDE_HIDDEN(c = 1); HIDDEN(d = 2); ASSERT(a > 0, "a must be positive")`,
    );
    const ops = script.globals.map((g) =>
      g.kind === 'assignment'
        ? `${g.target}${g.operator}${g.provide}${g.hidden ? 'H' : ''}`
        : `assert:${g.message}`,
    );
    expect(ops).toEqual([
      'a=none',
      'a+=none',
      'a-=none',
      'a*=none',
      'a/=none',
      'a<<=none',
      'a>>=none',
      'a&=none',
      'a|=none',
      'b=provide',
      'c=provide-hiddenH',
      'd=noneH',
      'assert:a must be positive',
    ]);
  });

  it('reads built-in functions with section and symbol names (ADDR, LOADADDR, SIZEOF, ALIGNOF, DEFINED, CONSTANT)', () => {
    const e = expression(
      'ADDR(.text) + LOADADDR(.data) + SIZEOF(.bss) + ALIGNOF(.rodata) + DEFINED(sym) + CONSTANT(MAXPAGESIZE) + MAX(1, 2) + ALIGN(., 8)',
    );
    const names: string[] = [];
    const walk = (x: Expression): void => {
      if (x.kind === 'binary') {
        walk(x.left);
        walk(x.right);
      } else if (x.kind === 'call') names.push(`${x.function}(${x.name ?? x.args.length})`);
    };
    walk(e);
    expect(names).toEqual([
      'ADDR(.text)',
      'LOADADDR(.data)',
      'SIZEOF(.bss)',
      'ALIGNOF(.rodata)',
      'DEFINED(sym)',
      'CONSTANT(MAXPAGESIZE)',
      'MAX(2)',
      'ALIGN(2)',
    ]);
  });

  it('follows INCLUDE through the readFile callback, at top level and inside SECTIONS', () => {
    const files: Record<string, string> = {
      'top.ld': 'stack_size = 0x4000;',
      'body.ld': '.text : { *(.text) }',
    };
    const script = parseLinkerScript('INCLUDE top.ld\nSECTIONS { INCLUDE body.ld\n .data : { *(.data) } }', {
      readFile: (p) => files[p],
    });
    expect(script.globals.map((g) => (g.kind === 'assignment' ? g.target : ''))).toEqual(['stack_size']);
    expect((script.sections ?? []).map((s) => (s.kind === 'output-section' ? s.name : s.kind))).toEqual([
      '.text',
      '.data',
    ]);
  });

  it('skips /* */ comments, including ones spanning lines, and keeps line numbers right', () => {
    try {
      parseLinkerScript('/* one\n two */\nSECTIONS {\n  .text : { *(.text) \n', { fileName: 'k.ld' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/^k\.ld:5:1: missing \} at the end of output section \.text/);
    }
  });

  it.each([
    ['SECTIONS { .text : { *(.text) } ', 'x.ld:1:33: missing } at the end of SECTIONS'],
    ['ENTRY(start', "x.ld:1:12: expected ')' after the ENTRY symbol"],
    ['SECTIONS {\n  .text : { *(.text) }\n  . = 1 +;\n}', 'x.ld:3:10: expected an expression'],
    ['INCLUDE missing.ld', 'x.ld:1:1: cannot find INCLUDE file missing.ld'],
    ['PHDRS { text PT_BOGUS; }', 'x.ld:1:14: unknown program header type'],
    ['x = 0x;', 'x.ld:1:5: bad number'],
    ['/* never closed', 'x.ld:1:1: unterminated comment'],
  ])('reports syntax errors with file:line:column (%s)', (text, message) => {
    expect(() => parseLinkerScript(text, { fileName: 'x.ld', readFile: () => undefined })).toThrow(message);
  });
});
