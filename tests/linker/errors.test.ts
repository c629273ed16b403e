import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { link } from '../../src/linker/index.js';
import type { LinkOptions } from '../../src/linker/types.js';
import { Workdir } from './oracle.js';

function linkError(options: LinkOptions): string {
  try {
    link(options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('link unexpectedly succeeded');
}

describe('link errors', () => {
  let work: Workdir;
  const input = (path: string) => ({ name: path.slice(path.lastIndexOf('/') + 1), data: readFileSync(path) });
  beforeAll(() => {
    work = new Workdir();
  });
  afterAll(() => work.dispose());

  it('lists every object:section+offset that references an undefined symbol', () => {
    const a = work.nasm(
      'undef-a',
      'section .text\nglobal _start\nextern missing\n_start: call missing\nmov rax, [rel missing]\n',
    );
    const b = work.nasm('undef-b', 'section .data\nextern missing\ndq missing\n');
    const message = linkError({ inputs: [input(a), input(b)] });
    expect(message).toContain('undefined symbol: missing');
    expect(message).toContain('undef-a.o:(.text+0x1)');
    expect(message).toContain('undef-a.o:(.text+0x8)');
    expect(message).toContain('undef-b.o:(.data+0x0)');
  });

  it('adds the source line from DWARF line tables (gcc -g, GNU as -g, nasm -g) to undefined-symbol references', () => {
    const c = work.gcc(
      'lines-c',
      'extern void missing_c(int);\nint helper(int x) {\n  return x + 1;\n}\nvoid _start(void) {\n  helper(2);\n  missing_c(3);\n}\n',
      ['-g', '-O2', '-ffunction-sections'],
    );
    expect(linkError({ inputs: [input(c)] })).toMatch(
      />>> referenced by lines-c\.o:\(\.text\._start\+0x[0-9a-f]+\) at \S*lines-c\.c:7/,
    );
    const s = work.gas('lines-s', '.text\n.globl _start\n_start:\n nop\n call missing_s\n', ['-g']);
    expect(linkError({ inputs: [input(s)] })).toContain('lines-s.o:(.text+0x2) at');
    expect(linkError({ inputs: [input(s)] })).toMatch(/lines-s\.s:5$/m);
  });

  it("refuses an ELF32 (nasm -f elf32) object by name with ld's words for x86-64 output, and -r too", () => {
    const src = work.file('obj32.asm', 'bits 32\nsection .text\nglobal _start\n_start: hlt\n');
    const object = `${work.path}/obj32.o`;
    execFileSync('nasm', ['-f', 'elf32', src, '-o', object]);
    for (const relocatable of [false, true]) {
      const message = linkError({ inputs: [input(object)], relocatable });
      expect(message).toMatch(
        /^i386 architecture of input file `obj32\.o' is incompatible with i386:x86-64 output \(link 32-bit objects with -m elf_i386\)/,
      );
      expect(message).not.toContain('corrupt');
    }
  });

  it('names both objects of a duplicate definition', () => {
    const a = work.nasm('dup-a', 'section .text\nglobal _start, twice\n_start: nop\ntwice: ret\n');
    const b = work.nasm('dup-b', 'section .text\nglobal twice\nnop\nnop\ntwice: ret\n');
    const message = linkError({ inputs: [input(a), input(b)] });
    expect(message).toContain('duplicate symbol: twice');
    expect(message).toContain('dup-a.o:(.text+0x1)');
    expect(message).toContain('dup-b.o:(.text+0x2)');
  });

  it('explains an R_X86_64_32 overflow in a higher-half link: relocation, symbol, object, section, offset and the -mcmodel=kernel hint', () => {
    const obj = work.gcc(
      'nokernel',
      'extern int table[]; long where(void) { return (long)table; } void _start(void) { where(); }',
      ['-O2', '-fno-pic', '-mcmodel=small', '-fno-asynchronous-unwind-tables'],
    );
    const table = work.nasm('table', 'section .data\nglobal table\ntable: dd 1, 2, 3\n');
    const script = 'SECTIONS { . = 0xffffffff80000000; .text : { *(.text*) } .data : { *(.data) } }';
    const message = linkError({ inputs: [input(obj), input(table)], script });
    expect(message).toMatch(
      /nokernel\.o:\(\.text\+0x[0-9a-f]+\): R_X86_64_32 out of range against `table' .*did you link without -mcmodel=kernel\?/,
    );
  });

  it('reports an R_X86_64_32S overflow outside the top 2 GiB', () => {
    const obj = work.gcc(
      'kernelmodel',
      'extern int table[]; int get(int i) { return table[i]; } void _start(void) { get(0); }',
      ['-O2', '-fno-pic', '-mcmodel=kernel', '-fno-asynchronous-unwind-tables'],
    );
    const table = work.nasm('table2', 'section .data\nglobal table\ntable: dd 1, 2, 3\n');
    const script = 'SECTIONS { . = 0xffff800000000000; .text : { *(.text*) } .data : { *(.data) } }';
    expect(linkError({ inputs: [input(obj), input(table)], script })).toMatch(
      /kernelmodel\.o:\(\.text\+0x[0-9a-f]+\): R_X86_64_32S out of range against `table' \(value 0xffff8000000000[0-9a-f]+ does not fit in signed 32 bits\)/,
    );
  });

  it('reports a script syntax error with file:line:column', () => {
    const obj = work.nasm('syntax', 'section .text\nglobal _start\n_start: ret\n');
    expect(
      linkError({
        inputs: [input(obj)],
        script: 'SECTIONS {\n  .text : { *(.text) }\n  .data : { *(.data) ) }\n}',
        scriptName: 'bad.ld',
      }),
    ).toMatch(/^bad\.ld:3:\d+: /);
  });

  it('reports overlapping output sections', () => {
    const obj = work.nasm(
      'overlap',
      'section .text\nglobal _start\n_start: times 32 nop\nsection .data\ndq 1, 2\n',
    );
    const message = linkError({
      inputs: [input(obj)],
      script: 'SECTIONS { .text 0x1000 : { *(.text) } .data 0x1010 : { *(.data) } }',
    });
    expect(message).toMatch(
      /section \.data VMA \[0x1010, 0x101f\] overlaps section \.text VMA \[0x1000, 0x101f\]/,
    );
  });

  it('reports a failed ASSERT with its message and location', () => {
    const obj = work.nasm('assert', 'section .text\nglobal _start\n_start: ret\n');
    expect(
      linkError({
        inputs: [input(obj)],
        script: 'SECTIONS { .text 0x1000 : { *(.text) } }\nASSERT(SIZEOF(.text) > 100, "kernel too small")',
        scriptName: 'a.ld',
      }),
    ).toBe('a.ld:2:1: ASSERT failed: kernel too small');
  });

  it('rejects files that are neither ELF objects nor archives, and executables as inputs', () => {
    expect(linkError({ inputs: [{ name: 'notes.txt', data: new TextEncoder().encode('hello') }] })).toContain(
      'notes.txt: file format not recognized',
    );
    const exe = work.ld([work.nasm('exe', 'section .text\nglobal _start\n_start: ret\n')], [], 'exe.elf');
    expect(linkError({ inputs: [input(exe)] })).toContain('not a relocatable object');
  });

  it('turns corrupt or truncated objects into errors, never JavaScript exceptions (mutation fuzzing)', () => {
    const objects = [
      readFileSync(
        work.gcc(
          'fuzz-c',
          'static const char *s[] = {"a", "bc"}; int x; const char *f(int i) { return s[i]; } void _start(void) { x = f(1)[0]; }',
          ['-O2', '-fno-pic', '-mcmodel=kernel', '-fno-asynchronous-unwind-tables'],
        ),
      ),
      readFileSync(
        work.nasm('fuzz-asm', 'section .text\nglobal g\ng: lea rax, [rel g]\nret\nsection .data\ndq g\n'),
      ),
    ];
    let seed = 20240611;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    let failures = 0;
    for (let round = 0; round < 400; round++) {
      const which = random() % objects.length;
      const data = new Uint8Array(objects[which]!);
      let mutated: Uint8Array = data;
      if (round % 3 === 0) mutated = data.subarray(0, random() % data.length);
      else for (let k = 0; k < 1 + (random() % 6); k++) data[random() % data.length] = random() & 0xff;
      try {
        link({
          inputs: objects.map((o, i) => ({ name: `in${i}.o`, data: i === which ? mutated : o })),
          script:
            'SECTIONS { . = 0xffffffff80000000; .text : { *(.text*) } .rodata : { *(.rodata*) } .data : { *(.data*) *(.bss*) } }',
        });
      } catch (error) {
        if (!(error instanceof UserError)) failures++;
      }
    }
    expect(failures).toBe(0);
  });
});
