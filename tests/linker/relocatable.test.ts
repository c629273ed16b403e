/**
 * `-r` against GNU ld -r: the same inputs and flags give objects with the same sections (names, types, sizes,
 * flags, links), symbols (order, values, bindings, sections) and relocation lists, and each object linked into a
 * final executable by GNU ld gives the same program headers, loaded bytes, entry and symbol values.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/reader.js';
import { describe as describeElf, KERNEL_FLAGS, Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

/** Everything about an ET_REL object that a later link depends on, with names instead of indices. */
function structure(path: string) {
  const elf = readElf(path, readFileSync(path));
  const nameOf = (index: number) => (index === 0 ? '' : (elf.sections[index]?.name ?? `#${index}`));
  const symbolName = (index: number) => {
    const s = elf.symbols[index]!;
    return s.type === 3 ? `[section ${nameOf(s.shndx)}]` : s.name;
  };
  const sectionIndex = (shndx: number) => (shndx >= 0xff00 ? `0x${shndx.toString(16)}` : nameOf(shndx));
  return {
    type: elf.header.type,
    sections: elf.sections
      .filter((s) => s.type !== 0 && s.name !== '.shstrtab')
      .map(
        (s) =>
          `${s.name} type=${s.type} size=0x${s.size.toString(16)} flags=0x${s.flags.toString(16)} align=${s.addralign} entsize=${s.entsize} addr=0x${s.addr.toString(16)} link=${nameOf(s.link)} info=${s.type === 4 ? nameOf(s.info) : s.type === 2 || s.type === 17 ? s.info : 0}`,
      ),
    symbols: elf.symbols
      .slice(1)
      .map(
        (s) =>
          `${s.type === 3 ? '' : s.name} value=0x${s.value.toString(16)} size=${s.size} type=${s.type} bind=${s.bind} vis=${s.visibility} section=${sectionIndex(s.shndx)}`,
      ),
    relocations: [...elf.relocations].map(([target, list]) => ({
      section: nameOf(target),
      entries: list.map(
        (r) => `0x${r.offset.toString(16)} type=${r.type} ${symbolName(r.symbol)} ${r.addend}`,
      ),
    })),
    groups: elf.groups.map((g) => `${g.signature} flags=${g.flags} ${g.members.map(nameOf).join(',')}`),
    sectionContents: elf.sections
      .filter(
        (s) => s.type !== 8 && s.type !== 2 && s.type !== 3 && s.type !== 4 && s.type !== 17 && s.type !== 0,
      )
      .map((s) => `${s.name} ${Buffer.from(s.data).toString('hex')}`),
  };
}

interface Case {
  name: string;
  objects: (work: Workdir) => string[];
  /** Extra ld flags for the -r link (both linkers get them). */
  flags?: string[];
  /** How the -r output is linked into an executable by GNU ld. */
  final: string[];
}

const C_FLAGS = ['-O2', '-ffreestanding', '-fno-stack-protector', '-ffunction-sections', '-fdata-sections'];

const A_C = `
static int counter;
int shared_common;
__attribute__((weak)) int maybe;
extern int bval(int);
extern __thread int tlsv;
const char *msg(void) { return "hello world"; }
static int helper(int x) { return x * 3 + counter++; }
int aval(int x) { return helper(x) + bval(x) + tlsv + maybe; }
void _start(void) { for (;;) aval(2); }
`;
const B_C = `
int shared_common;
int data_b[4] = {1, 2, 3, 4};
int *pointer = &data_b[2];
const char *msgb(void) { return "hello world"; }
int bval(int x) { return x + data_b[x & 3] + *pointer; }
__thread int tlsv = 5;
static __thread int zero_tls;
int tls_zero(void) { return zero_tls++; }
`;

const CASES: Case[] = [
  {
    name: 'gcc -ffunction-sections objects (commons, weak, TLS, unmerged strings, .eh_frame)',
    objects: (w) => [w.gcc('a', A_C, ['-fcommon', ...C_FLAGS]), w.gcc('b', B_C, ['-fcommon', ...C_FLAGS])],
    final: ['-static'],
  },
  {
    name: 'the same objects compiled -fPIE -O0 with debug info (.debug_* relocations)',
    objects: (w) => [
      w.gcc('a-g', A_C, ['-fcommon', '-fPIE', '-O0', '-g', '-ffreestanding']),
      w.gcc('b-g', B_C, ['-fcommon', '-fPIE', '-O0', '-g', '-ffreestanding']),
    ],
    final: ['-static'],
  },
  {
    name: 'COMDAT groups (the first copy wins and stays a group)',
    objects: (w) => [
      w.gas('comdat1', source('comdat-1.s')),
      w.gas('comdat2', source('comdat-2.s')),
      w.gcc('pie-main', source('pie-main.c'), ['-O2', '-fPIE', '-ffunction-sections']),
      w.gcc('pie-lib', source('pie-lib.c'), ['-O2', '-fPIE', '-ffunction-sections']),
    ],
    final: ['-static', '-e', 'main'],
  },
  {
    name: 'a -mcmodel=kernel C kernel and nasm objects, linked with the Limine template script',
    objects: (w) => [
      w.gcc('kernel', source('limine-kernel.c'), KERNEL_FLAGS),
      w.nasm('io', source('io.asm')),
    ],
    final: ['-T', join(fixtures, 'limine-template.ld')],
  },
  {
    name: 'gas objects with every relocation type',
    objects: (w) => [w.gas('relocations', source('relocations.s'))],
    final: ['-static'],
  },
  {
    name: 'script features objects with a -r script that gathers sections (NOBITS into PROGBITS, orphans at 0)',
    objects: (w) => [
      w.gas('first', source('features-first.s')),
      w.gas('second', source('features-second.s')),
    ],
    flags: ['-T', 'gather.ld'],
    final: [
      '-static',
      '-e',
      '0',
      ...['bss_end', 'counter', 'data_hidden_end', 'stack_size'].flatMap((n, i) => [
        '--defsym',
        `${n}=${0x100 * (i + 1)}`,
      ]),
    ],
  },
  {
    name: 'every code model probe (-O2, large model, -fPIC)',
    objects: (w) => [
      w.gcc('probe-large', source('code-model-probe.c'), [
        '-O2',
        '-mcmodel=large',
        '-fPIC',
        '-ffreestanding',
      ]),
      w.gcc('lib-large', source('code-model-lib.c'), ['-O2', '-mcmodel=large', '-fPIC', '-ffreestanding']),
    ],
    final: ['-static'],
  },
  {
    name: 'archive members pulled by -u and by undefined references',
    objects: (w) => {
      const main = w.nasm('ar-main', 'section .text\nglobal _start\nextern used\n_start: call used\nhlt\n');
      const used = w.nasm('ar-used', 'section .text\nglobal used\nused: ret\nsection .data\ndq used\n');
      const byU = w.nasm('ar-byu', 'section .text\nglobal by_u\nby_u: ret\n');
      const unused = w.nasm('ar-unused', 'section .text\nglobal unused\nunused: ud2\n');
      return [main, w.ar('libr.a', [unused, used, byU])];
    },
    flags: ['-u', 'by_u'],
    final: ['-static'],
  },
];

describe('ostool link -r matches GNU ld -r', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file(
      'gather.ld',
      'SECTIONS { .text : { *(.text*) } .data : { *(.data*) *(.bss*) } PROVIDE(gathered_end = .); }\n',
    );
  });
  afterAll(() => work.dispose());

  CASES.forEach((c, i) =>
    it(c.name, async () => {
      const objects = c.objects(work);
      const pair = await work.linkBoth(['-r', ...(c.flags ?? []), ...objects], `r${i}`);
      expect(pair.oursStderr).toBe(
        pair.ldStderr.replace(/^warning: .*missing \.note\.GNU-stack.*\n|^NOTE: .*\n/gm, ''),
      );
      const expected = structure(pair.ld);
      const actual = structure(pair.ours);
      expect(actual.type).toBe(1);
      expect(actual.sections).toEqual(expected.sections);
      expect(actual.symbols).toEqual(expected.symbols);
      expect(actual.relocations).toEqual(expected.relocations);
      expect(actual.groups).toEqual(expected.groups);
      expect(actual.sectionContents).toEqual(expected.sectionContents);
      // The two objects must make the same executable.
      const fromLd = work.ld([pair.ld], c.final, `r${i}-final-ld.elf`);
      const fromOurs = work.ld([pair.ours], c.final, `r${i}-final-ostool.elf`);
      const finalExpected = describeElf(fromLd);
      const finalActual = describeElf(fromOurs);
      expect(finalActual.phdrs).toBe(finalExpected.phdrs);
      expect(finalActual.sections).toEqual(finalExpected.sections);
      expect(finalActual.image).toEqual(finalExpected.image);
      expect(finalActual.symbols).toEqual(finalExpected.symbols);
    }),
  );

  it('refuses -r --gc-sections without a root, as ld does', () => {
    const object = work.gcc('gc-noroot', A_C, ['-fcommon', ...C_FLAGS]);
    const ld = spawnSync('ld', ['-r', '--gc-sections', object, '-o', join(work.path, 'noroot-ld.o')], {
      encoding: 'utf8',
    });
    expect(ld.status).not.toBe(0);
    expect(ld.stderr).toContain('--gc-sections requires a defined symbol root');
    const ours = spawnSync(
      process.execPath,
      [join(fixtures, '../../../bin/ostool.js'), 'link', '-r', '--gc-sections', object, '-o', 'noroot.o'],
      { cwd: work.path, encoding: 'utf8' },
    );
    expect(ours.status).not.toBe(0);
    expect(ours.stderr).toMatch(/-r with --gc-sections: .*-e or -u/);
    expect(ours.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(() => execFileSync('test', ['-e', join(work.path, 'noroot.o')])).toThrow();
  });
});
