/**
 * NASM 3's preprocessor functions `%chr`, `%ord`, `%b2hs`, `%hs2b` and `%map`: nasm 2.16 refuses them (so they
 * change nothing it assembles); their results follow NASM 3's documentation and regression suite.
 */

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { runNasm } from './oracle.js';

function bytesOf(source: string): string {
  const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
  const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  expect(errors).toEqual([]);
  return Buffer.from(result.output!).toString('latin1');
}

describe("NASM 3's preprocessor functions", () => {
  it('are refused by nasm 2.16', () => {
    for (const f of ['%chr(65)', '%ord("A")', '%b2hs("A")', '%hs2b("41")'])
      expect(runNasm(`db ${f}\n`, 'bin').output).toBeUndefined();
  });

  it('%chr makes a string of character codes, %ord lists the codes of a substring', () => {
    expect(bytesOf('db %chr(72, 105, 0x21)\ndb %chr()\n')).toBe('Hi!');
    expect(bytesOf('db %ord("Hello")\n')).toBe('H');
    expect(bytesOf('db %ord("Hello", 2, 3)\ndb %ord("Hello", 4, -1)\n')).toBe('elllo');
  });

  it('%b2hs writes bytes as hex digits, with a separator; %hs2b reads them back', () => {
    expect(bytesOf('db %b2hs("AZ")\ndb %b2hs("AZ", ":")\n')).toBe('415a41:5a');
    expect(bytesOf('db %hs2b("4142 43 4", "5a")\n')).toBe('ABC\x04Z');
  });

  it('%map calls a macro for each argument, with fixed leading arguments and N arguments per call', () => {
    const source = `%define inc(x) (x+1)
%define mul(a,b) (a*b)
%define tag(&t,&x) t, x
db %map(inc, 1, 2, 3)
db %map(mul::2, 2, 3, 4, 5)
db %map(tag:(p), a, b)
db %map(inc)
`;
    expect(bytesOf(source)).toBe('\x02\x03\x04\x06\x14papb');
  });
});
