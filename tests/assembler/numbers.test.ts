/**
 * Differential test of numeric literals, character constants and integer functions against nasm: every
 * radix prefix and suffix, `_` separators, `$` hex, backquote escapes, utf16/utf32 string functions and the
 * `__?ilog2?__` operators and `dup` data, in one source assembled once by each.
 */

import { describe, expect, it } from 'vitest';
import { runNasm, runOstool } from './oracle.js';
import { assemble } from '../../src/assembler/index.js';

const LINES = [
  'dd 0x1F, 0X1f, 0h1F, 1Fh, 1fH, 0b101, 0B101, 101b, 0y101, 101y, 0o17, 17o, 17q, 0q17',
  'dd 0d10, 10d, 0t10, 10t, 1_000, 0x_ff, 0xff_ff, 1010_0101b, 0b_1010_0101',
  'dd $1F, $0f_f, 0bh, 0dh, 0hb, 0hd, 0bx, 0xb, 0xd, 0dx',
  'dq 0xffff_ffff_ffff_ffff, -1, 18446744073709551615, 0x1e+3, 1e3h',
  "dd 'a', 'ab', 'abcd', \"xy\", `\\n`, `\\t\\r`, `\\x41\\x42`, `\\101\\7`, `\\e\\a\\b\\f\\v`, `\\\\\\'`",
  'db `\\u306a\\U0001abcd`, `\\0`, `\\?`, `\\"`, `\\``',
  'dw __?utf16?__("aé"), __?utf16be?__(`\\U0001abcd`), __?utf16le?__ "z"',
  'dd __?utf32?__("aé"), __?utf32be?__(`\\U0001abcd`)',
  'mov eax, __?utf16?__(`ab`)',
  'dd __?ilog2e?__(64), __?ilog2w?__(64), __?ilog2f?__(65), __?ilog2c?__(65), __?ilog2c?__ 16 + 1',
  'db 2 dup (1, 2), 3 dup ("ab", 0), 0 dup (9), 1+1 dup (-1.0)',
  'dw 2 dup (3 dup (7)), 9, 2 dup 5',
  'x: dq 2 dup (1.5), 2 dup (x), x',
  'dd __?ilog2f?__(-1), __?ilog2c?__(-1), __?ilog2c?__(0), __?ilog2c?__(1), __ilog2c__(5)*2',
];

describe('numbers and character constants, differential against nasm', () => {
  it('assembles every literal form, escape and integer function byte for byte as nasm does', () => {
    const source = 'bits 32\n' + LINES.join('\n') + '\n';
    const theirs = runNasm(source, 'bin');
    expect(theirs.output, theirs.stderr).toBeDefined();
    for (const line of LINES) {
      const one = 'bits 32\n' + line + '\n';
      expect(Buffer.from(runOstool(one, 'bin')).toString('hex'), line).toBe(
        Buffer.from(runNasm(one, 'bin').output!).toString('hex'),
      );
    }
    expect(Buffer.from(runOstool(source, 'bin'))).toEqual(Buffer.from(theirs.output!));
  });

  it('rejects a non-power of two in __?ilog2e?__ with its place', () => {
    const result = assemble({ source: 'dd __?ilog2e?__(65)\n', fileName: 'n.asm', format: 'bin' });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.location.line, d.message])).toEqual([
      [1, 'ilog2 argument is not a power of two'],
    ]);
    expect(result.output).toBeUndefined();
  });
});
