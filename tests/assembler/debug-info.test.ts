/**
 * `-g`: DWARF and stabs debug sections, byte-identical to nasm 2.16's, on generated sources (several
 * executable sections, %include'd code, macros defined in include files, %rep, times, data and reservations
 * with labels, struc) and on hand-written edge cases; the CLI's -g/-F handling; and gdb reading the line
 * table of an executable linked from ostool's object (GNU ld and ostool link) the way it reads nasm's.
 */

import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble, formatDiagnostic, type OutputFormat } from '../../src/assembler/index.js';
import { requireNasm } from './oracle.js';
import { seededRandom } from '../seeded-random.js';

type ElfFormat = Exclude<OutputFormat, 'bin'>;
type DebugFormat = 'dwarf' | 'stabs';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
let root: string;
let caseNumber = 0;

beforeAll(() => {
  requireNasm();
  root = mkdtempSync(join(tmpdir(), 'ostool-debug-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Program {
  main: string;
  files: Record<string, string>;
}

/** A fresh directory holding the program's files; returns its path. */
function writeProgram(program: Program, name: string): string {
  const dir = join(root, `case${caseNumber++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, name), program.main);
  for (const [path, text] of Object.entries(program.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function nasmObject(dir: string, name: string, format: ElfFormat, debug: DebugFormat): Uint8Array {
  const out = join(dir, `nasm-${format}-${debug}.o`);
  const r = spawnSync('nasm', ['-f', format, '-g', '-F', debug, '-w-zeroing', name, '-o', out], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`nasm failed on ${dir}/${name}:\n${r.stderr}`);
  return new Uint8Array(readFileSync(out));
}

function ostoolObject(dir: string, name: string, format: ElfFormat, debug: DebugFormat): Uint8Array {
  const result = assemble({
    source: readFileSync(join(dir, name), 'utf8'),
    fileName: name,
    format,
    readFile: (path) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path)) : undefined),
    disabledWarnings: ['zeroing'],
    debugInfo: { format: debug, directory: `${realpathSync(dir)}/` },
  });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.output)
    throw new Error(`ostool asm failed:\n${errors.map(formatDiagnostic).join('\n')}`);
  return result.output;
}

/** readelf's view of both objects, for a readable failure. */
function describeDifference(dir: string, a: Uint8Array, b: Uint8Array): string {
  writeFileSync(join(dir, 'a.o'), a);
  writeFileSync(join(dir, 'b.o'), b);
  const dump = (file: string): string =>
    spawnSync('readelf', ['-aW', '--debug-dump=info,line,aranges', '-x', '.stab', join(dir, file)], {
      encoding: 'utf8',
    }).stdout;
  return `nasm:\n${dump('a.o')}\nostool:\n${dump('b.o')}`;
}

function expectSameAsNasm(program: Program, format: ElfFormat, debug: DebugFormat, name = 'main.asm'): void {
  const dir = writeProgram(program, name);
  const theirs = nasmObject(dir, name, format, debug);
  const ours = ostoolObject(dir, name, format, debug);
  if (Buffer.compare(Buffer.from(theirs), Buffer.from(ours)) !== 0)
    expect(describeDifference(dir, theirs, ours)).toBe('identical objects');
}

// ---------------------------------------------------------------- generated sources

/** Instructions that assemble in 32- and 64-bit code alike. */
const INSTRUCTIONS = [
  'nop',
  'inc eax',
  'dec ecx',
  'mov eax, 12345',
  'xor edx, edx',
  'add eax, ebx',
  'lea eax, [eax+8]',
  'cmp eax, 5',
  'shl eax, 3',
  'imul eax, ecx, 1000',
];
const DATA = ['db 1, 2, 3', 'dw 0x1234', 'dd 1.5', 'dq 7', 'db "text", 0', 'dt 2.5', 'do 1.0', 'dd 5, 6'];
const RESERVATIONS = ['resb 16', 'resw 3', 'resd 1', 'resq 2', 'rest 1', 'reso 1'];

/**
 * A program in the shape of real assembly: code in `.text` and a second executable section, data and bss
 * with labels, code and macros pulled in from include files, %rep blocks, `times`, long comment runs (line
 * jumps beyond the special opcodes) and long `times` runs (address jumps, and sections ending far from their
 * last row).
 */
function generateProgram(seed: number): Program {
  const next = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const files: Record<string, string> = {
    'inc/macros.inc': [
      '; macros shared by the program',
      '%macro twice 1+',
      '    %1',
      '    %1',
      '%endmacro',
      '%macro frame 0',
      '    push ebx',
      '    twice nop',
      '    pop ebx',
      '%endmacro',
      'struc point',
      '  .x: resd 1',
      '  .y: resd 1',
      'endstruc',
      '',
    ].join('\n'),
    'inc/part.inc': ['    inc ecx', '', '    dec ecx', '    times 3 nop', ''].join('\n'),
  };
  const lines = ['%include "inc/macros.inc"', 'section .text', 'global entry', 'entry:'];
  let section = '.text';
  let label = 0;
  const steps = 40 + Math.floor(next() * 60);
  for (let i = 0; i < steps; i++) {
    const r = next();
    if (r < 0.08) {
      section = pick(['.text', '.text.alt', '.data', '.bss']);
      lines.push(section === '.text.alt' ? 'section .text.alt exec' : `section ${section}`);
      continue;
    }
    if (r < 0.14) {
      for (let n = Math.floor(next() * 40); n > 0; n--) lines.push(n % 3 === 0 ? '' : '; comment');
      continue;
    }
    const named = next() < 0.3 ? `l${label++}:` : '';
    if (section === '.data') {
      lines.push(`${named} ${pick(DATA)}`);
      continue;
    }
    if (section === '.bss') {
      lines.push(`${named} ${pick(RESERVATIONS)}`);
      continue;
    }
    const kind = next();
    if (kind < 0.55) lines.push(`${named}    ${pick(INSTRUCTIONS)}`);
    else if (kind < 0.65) lines.push(`${named}    times ${1 + Math.floor(next() * 300)} nop`);
    else if (kind < 0.75) lines.push(`${named}    twice ${pick(INSTRUCTIONS)}`);
    else if (kind < 0.8) lines.push(`${named}    frame`);
    else if (kind < 0.85) lines.push('%include "inc/part.inc"');
    else if (kind < 0.9) lines.push('%rep 2', `    ${pick(INSTRUCTIONS)}`, '    nop', '%endrep');
    else if (kind < 0.95) lines.push(`${named}    ${pick(DATA)}`);
    else lines.push(`${named} jmp entry`);
  }
  if (next() < 0.5) lines.push('section .text', '    times 200 nop');
  return { main: lines.join('\n') + '\n', files };
}

const FORMATS: ElfFormat[] = ['elf64', 'elf32', 'elfx32'];
const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

describe('asm -g: generated programs are byte-identical to nasm -g', () => {
  for (const debug of ['dwarf', 'stabs'] as const)
    for (const format of FORMATS)
      it(`-f ${format} -F ${debug}, ${SEEDS.length} seeds`, () => {
        for (const seed of SEEDS) {
          const program = generateProgram(seed);
          // push/pop ebx exist only outside 64-bit mode
          if (format !== 'elf32')
            program.files['inc/macros.inc'] = program.files['inc/macros.inc']!.replace(/ebx/g, 'rbx');
          expectSameAsNasm(program, format, debug);
        }
      });
});

// ---------------------------------------------------------------- edge cases

describe('asm -g: edge cases match nasm', () => {
  const cases: Record<string, Program> = {
    'a file with no code: every DWARF table empty, the debug symbols still there': {
      main: 'section .data\nx: db 1\n',
      files: {},
    },
    'an empty file': { main: '', files: {} },
    'the first code line in an include file (file switch before any row)': {
      main: 'section .text\n%include "one.inc"\n    ret\n',
      files: { 'one.inc': '    nop\n    nop\n' },
    },
    'a section whose last row is more than 255 bytes from its end (nasm writes that advance as one byte)': {
      main: 'section .text\n    nop\n    times 700 nop\n',
      files: {},
    },
    'lines of a .nolist macro are placed at its call, also through nested macros and %rep': {
      main: [
        '%macro inner 0',
        '    nop',
        '    nop',
        '%endmacro',
        '%macro outer 0.nolist',
        '    inc eax',
        '    inner',
        '%rep 2',
        '    inc ebx',
        '%endrep',
        '%endmacro',
        '%macro listed 0',
        '    dec eax',
        '    outer',
        '    dec ebx',
        '%endmacro',
        'section .text',
        '    outer',
        '    listed',
        '    nop',
        '%rep 2',
        '    inc ecx',
        '%endrep',
        '',
      ].join('\n'),
      files: {},
    },
    'line jumps backwards and %line': {
      main: 'section .text\n    nop\n%line 100+2 other.asm\n    nop\n    nop\n%line 3 main.asm\n    nop\n',
      files: {},
    },
    'debug typing of labels: the next data statement sizes the last symbol defined': {
      main: [
        'section .text',
        'a1:',
        '    nop',
        '    db 1',
        'a2: equ 5',
        '    dw 1',
        'a3:',
        'extern foo',
        '    dd 1',
        'a4: dd 1.5',
        'a5: resq 2',
        'a6: times 4 dt 0.0',
        '.local: do 0.0',
        'global g1',
        'g1: db 1',
        'a7: dy "a"',
        'a8: dz "b"',
        'a9: resw 1',
        'b1: rest 1',
        'b3: db "abc"',
        'b4: times 0 db 1',
        '    dw 2',
        'b5: equ b4',
        '    dq 0',
        '    call foo',
        'section .bss',
        'c1: resb 10',
        'c2: resd 2',
        'absolute 0',
        'd1: resw 3',
        'section .data',
        'x1:',
        'extern unused',
        '    db 1',
        'x2:',
        'common cc 4',
        '    db 1',
        'p1:',
        'istruc point',
        'at point.y, dd 2',
        'iend',
        'z1: align 8, db 0',
        'z2: db',
        '    dd 3',
        '',
      ].join('\n'),
      files: {},
    },
  };
  const structs = '%include "s.inc"\n';
  for (const [name, program] of Object.entries(cases))
    for (const debug of ['dwarf', 'stabs'] as const)
      it(`${name} (-F ${debug})`, () => {
        const withStruct = program.main.includes('istruc')
          ? {
              main: structs + program.main,
              files: { ...program.files, 's.inc': 'struc point\n.x: resd 1\n.y: resd 1\nendstruc\n' },
            }
          : program;
        for (const format of FORMATS) expectSameAsNasm(withStruct, format, debug);
      });
});

// ---------------------------------------------------------------- command line

function run(dir: string, args: string[]) {
  return execa('node', [ostool, 'asm', ...args], { cwd: dir, reject: false, stdin: 'ignore' });
}

describe('ostool asm -g / -F', () => {
  const source = 'section .text\nglobal _start\n_start:\n    mov eax, 60\n    syscall\n';

  it("writes nasm's object for -g, -F dwarf, -gdwarf and -F stabs (DW_AT_comp_dir: the source's real directory)", async () => {
    const dir = writeProgram({ main: source, files: {} }, 'prog.asm');
    mkdirSync(join(dir, 'build'));
    for (const flags of [['-g'], ['-F', 'dwarf'], ['-gdwarf'], ['-F', 'STABS'], ['-g', '-F', 'stabs']]) {
      const nasm = spawnSync('nasm', ['-f', 'elf64', ...flags, 'prog.asm', '-o', 'build/nasm.o'], {
        cwd: dir,
      });
      expect(nasm.status).toBe(0);
      const ours = await run(dir, ['-f', 'elf64', ...flags, 'prog.asm', '-o', 'build/ours.o']);
      expect(ours.stderr).toBe('');
      expect(readFileSync(join(dir, 'build/ours.o')).equals(readFileSync(join(dir, 'build/nasm.o')))).toBe(
        true,
      );
    }
  });

  it('takes the source directory from the path given, from another working directory', async () => {
    const dir = writeProgram({ main: source, files: {} }, 'prog.asm');
    const parent = dirname(dir);
    const rel = join(dir.slice(parent.length + 1), 'prog.asm');
    expect(spawnSync('nasm', ['-f', 'elf32', '-g', rel, '-o', 'nasm32.o'], { cwd: parent }).status).toBe(0);
    expect((await run(parent, ['-f', 'elf32', '-g', rel, '-o', 'ours32.o'])).exitCode).toBe(0);
    expect(readFileSync(join(parent, 'ours32.o')).equals(readFileSync(join(parent, 'nasm32.o')))).toBe(true);
  });

  it("-g with -f bin changes nothing, as in nasm; -F null is bin's only format", async () => {
    const dir = writeProgram({ main: 'bits 16\nmov ax, 1\n', files: {} }, 'boot.asm');
    expect((await run(dir, ['-f', 'bin', 'boot.asm', '-o', 'plain.bin'])).exitCode).toBe(0);
    const g = await run(dir, ['-f', 'bin', '-g', 'boot.asm', '-o', 'g.bin']);
    expect(g.exitCode).toBe(0);
    expect(g.stderr).toBe('');
    expect((await run(dir, ['-f', 'bin', '-F', 'null', 'boot.asm', '-o', 'null.bin'])).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'g.bin')).equals(readFileSync(join(dir, 'plain.bin')))).toBe(true);
    expect(readFileSync(join(dir, 'null.bin')).equals(readFileSync(join(dir, 'plain.bin')))).toBe(true);
  });

  it('refuses a debug format the output format does not have, naming both, with no output file', async () => {
    const dir = writeProgram({ main: source, files: {} }, 'prog.asm');
    for (const [format, debug] of [
      ['bin', 'dwarf'],
      ['elf64', 'null'],
      ['elf32', 'codeview'],
    ] as const) {
      const r = await run(dir, ['-f', format, '-F', debug, 'prog.asm', '-o', 'out.o']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`unrecognized debug format \`${debug}' for output format \`${format}'`);
      expect(existsSync(join(dir, 'out.o'))).toBe(false);
    }
  });
});

// ---------------------------------------------------------------- gdb

const gdbAvailable = spawnSync('gdb', ['--version']).status === 0;
if (!gdbAvailable) console.warn('gdb is not installed: skipping the gdb line-table checks');

describe.skipIf(!gdbAvailable)('gdb reads the line table of a program assembled with ostool asm -g', () => {
  const program: Program = {
    main: [
      '%include "inc/macros.inc"', // 1
      'global _start', // 2
      'section .text', // 3
      '_start:', // 4
      '    mov eax, 1', // 5
      '    twice nop', // 6
      '    call helper', // 7
      '%include "inc/part.inc"', // 8
      '    mov eax, 60', // 9
      '    xor edi, edi', // 10
      '    syscall', // 11
      'section .text.helper exec', // 12
      'helper:', // 13
      '    times 3 nop', // 14
      '    ret', // 15
      'section .data', // 16
      'msg: db "hi", 10', // 17
      '',
    ].join('\n'),
    files: {
      'inc/macros.inc': '%macro twice 1+\n    %1\n    %1\n%endmacro\n',
      'inc/part.inc': '    inc ecx\n    dec ecx\n',
    },
  };
  let dir: string;
  const queries = [
    ...Array.from({ length: 17 }, (_, i) => `info line main.asm:${i + 1}`),
    'info line inc/macros.inc:2',
    'info line inc/macros.inc:3',
    'info line inc/part.inc:1',
    'info line inc/part.inc:2',
    'info line *_start',
    'info line *helper',
    'info line *(helper+3)',
  ];
  const gdb = (exe: string): string[] => {
    const r = spawnSync('gdb', ['-nx', '-batch', ...queries.flatMap((q) => ['-ex', q]), exe], {
      cwd: dir,
      encoding: 'utf8',
    });
    return r.stdout.trim().split('\n');
  };

  beforeAll(() => {
    dir = writeProgram(program, 'main.asm');
    writeFileSync(join(dir, 'ours.o'), ostoolObject(dir, 'main.asm', 'elf64', 'dwarf'));
    writeFileSync(join(dir, 'nasm.o'), nasmObject(dir, 'main.asm', 'elf64', 'dwarf'));
    for (const name of ['ours', 'nasm'])
      expect(spawnSync('ld', ['-o', `${name}.ld`, `${name}.o`], { cwd: dir }).status).toBe(0);
  });

  it('maps source lines (main file, macro bodies, includes) to the addresses their code is at', () => {
    const lines = gdb('ours.ld');
    // _start is at the start of .text (0x401000 with ld's default script): mov eax,1 is 5 bytes
    expect(lines[4]).toMatch(
      /^Line 5 of "main.asm" starts at address 0x401000 <_start> and ends at 0x401005/,
    );
    // the macro's body lines are the macro definition's lines, as nasm attributes them
    expect(lines[17]).toMatch(/^Line 2 of "inc\/macros.inc" starts at address 0x401005 <_start\+5>/);
    expect(lines[18]).toMatch(/^Line 3 of "inc\/macros.inc" starts at address 0x401006 <_start\+6>/);
    expect(lines[6]).toMatch(/^Line 7 of "main.asm" starts at address 0x401007 <_start\+7>/);
    expect(lines[19]).toMatch(/^Line 1 of "inc\/part.inc" starts at address 0x40100c <_start\+12>/);
    // the second executable section has its own sequence
    expect(lines[13]).toMatch(/^Line 14 of "main.asm" starts at address 0x[0-9a-f]+ <helper> /);
    expect(lines[23]).toMatch(/^Line 15 of "main.asm" starts at address 0x[0-9a-f]+ <helper\+3> /);
    // a line in neither sequence (the data line after the last code)
    expect(lines[16]).toBe('Line number 17 is out of range for "main.asm".');
  });

  it("gives the same answers as for nasm's object, linked by GNU ld or by ostool link", async () => {
    const expected = gdb('nasm.ld');
    expect(gdb('ours.ld')).toEqual(expected);
    const linked = await execa('node', [ostool, 'link', '-o', 'ours.ostool', 'ours.o'], {
      cwd: dir,
      reject: false,
    });
    expect(linked.stderr).toBe('');
    expect(gdb('ours.ostool')).toEqual(expected);
  });
});

describe('debug symbol types from x86inc-style code', () => {
  it('types a label as data when a lone prefix or smartalign padding follows it, as nasm does', () => {
    const main = `bits 64
%use smartalign
alignmode p6
section .text
x: nop
y: nop
times 1 rep
z: nop
rep
w: equ $
dw 5
v: nop
align 16
u: nop
align 64
t: ret
`;
    for (const format of ['elf64', 'elf32'] as const)
      for (const debug of ['dwarf', 'stabs'] as const) expectSameAsNasm({ main, files: {} }, format, debug);
  });
});
