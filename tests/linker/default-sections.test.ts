/**
 * The default layout (no -T) of gcc -g objects: every section header (DWARF 5's .debug_info, .debug_abbrev,
 * .debug_line, .debug_str, .debug_line_str, .debug_rnglists, .debug_loclists, .debug_aranges, .debug_frame, then
 * .comment, an unknown non-allocated orphan, .symtab/.strtab/.shstrtab) in the order, at the offsets and with the
 * sizes GNU ld gives them, for static, -pie, -z noseparate-code, -N and the strip options.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, Workdir } from './oracle.js';

/** Every section header line readelf prints, in order (name, type, address, offset, size, flags, alignment). */
const sectionHeaders = (path: string) =>
  execFileSync('readelf', ['-SW', path], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^\s+\[\s*\d+\]/.test(l));

const PROGRAM = `
static int helper(int *p, int n) { int s = 0; for (int i = 0; i < n; i++) s += p[i] * i; return s; }
int table[16];
__attribute__((cold)) int slow(int x) { return x * 3; }
int compute(int n) { if (n > 100) return slow(n); return helper(table, n) + helper(table + 1, n - 1); }
`;
const START = `
extern int compute(int);
int counter = 5;
void _start(void) { for (;;) counter += compute(counter); }
`;
const NOTE = `
section .notes noalloc
db "not loaded", 0
`;

describe('default layout section headers, like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    for (const [suffix, pic] of [
      ['', '-fno-pic'],
      ['-pie', '-fPIE'],
    ] as const) {
      work.gcc(`program${suffix}`, PROGRAM, ['-O2', '-g', pic, '-fno-asynchronous-unwind-tables']);
      work.gcc(`start${suffix}`, START, ['-O2', '-g', pic]);
    }
    work.nasm('notes', NOTE);
  });
  afterAll(() => work.dispose());

  it.each([
    [[]],
    [['-z', 'noseparate-code']],
    [['-N']],
    [['--gc-sections']],
    [['-S']],
    [['-s']],
    [['-pie']],
    [['-pie', '-z', 'noseparate-code']],
  ])('ld %j', async (flags) => {
    const suffix = flags.includes('-pie') ? '-pie' : '';
    const pair = await work.linkBoth(
      [...flags, `start${suffix}.o`, `program${suffix}.o`, 'notes.o'],
      flags.join('') || 'plain',
    );
    expectSameAsLd(pair);
    expect(sectionHeaders(pair.ours)).toEqual(sectionHeaders(pair.ld));
  });
});
