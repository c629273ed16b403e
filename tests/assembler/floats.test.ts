/**
 * Differential test of floating-point constants against nasm: random and edge-case values in every data
 * format (db 8-bit, dw half, dd single, dq double, dt x87, do quad), decimal, hex, octal and binary spellings,
 * exact ties, denormals, underflow and overflow, and the `__?floatN?__` functions. Everything goes into one
 * source, assembled once by nasm and once by ostool; a mismatch names the source line.
 */

import { describe, expect, it } from 'vitest';
import { runNasm, runOstool } from './oracle.js';
import { assemble } from '../../src/assembler/index.js';
import { seededRandom } from '../seeded-random.js';

/** Data directive, stored fraction bits and exponent bias of each format. */
const FORMATS = [
  { directive: 'db', frac: 3, bias: 7 },
  { directive: 'dw', frac: 10, bias: 15 },
  { directive: 'dd', frac: 23, bias: 127 },
  { directive: 'dq', frac: 52, bias: 1023 },
  { directive: 'dt', frac: 63, bias: 16383 },
  { directive: 'do', frac: 112, bias: 16383 },
];

function hexDigits(rand: () => number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += '0123456789abcdef'[Math.floor(rand() * 16)];
  return s;
}

function decimalDigits(rand: () => number, count: number): string {
  let s = String(1 + Math.floor(rand() * 9));
  for (let i = 1; i < count; i++) s += String(Math.floor(rand() * 10));
  return s;
}

/** The exact decimal expansion of m * 2^e (e < 0 allowed): every dyadic value has a finite one. */
function exactDecimal(m: bigint, e: number): string {
  if (e >= 0) return (m << BigInt(e)).toString() + '.0';
  const scaled = m * 5n ** BigInt(-e); // m * 2^e = scaled * 10^e
  const digits = scaled.toString().padStart(-e + 1, '0');
  return `${digits.slice(0, e)}.${digits.slice(e)}`;
}

function constants(): string[] {
  const rand = seededRandom(0x5eed);
  const lines: string[] = [];
  for (const f of FORMATS) {
    const d = f.directive;
    const minExp = 1 - f.bias;
    const expRange = [minExp - f.frac - 3, f.bias + 2];
    // fixed edges: zero, signed zero, specials, the extremes and one step beyond them
    lines.push(
      `${d} 0.0`,
      `${d} -0.0`,
      `${d} 1.0`,
      `${d} -2.5`,
      `${d} __?Infinity?__`,
      `${d} -__?Infinity?__`,
    );
    lines.push(`${d} __?QNaN?__`, `${d} __?SNaN?__`, `${d} -__?QNaN?__`, `${d} +1.5`);
    lines.push(`${d} 0x1p${minExp}`, `${d} 0x1p${minExp - f.frac}`, `${d} 0x1p${minExp - f.frac - 1}`);
    lines.push(`${d} 0x1.8p${minExp - f.frac - 1}`, `${d} 0x1p${f.bias}`, `${d} 0x1p${f.bias + 1}`);
    // random hex significands across the whole exponent range, denormals and overflow included
    for (let i = 0; i < 40; i++) {
      const e = expRange[0]! + Math.floor(rand() * (expRange[1]! - expRange[0]!));
      const sign = rand() < 0.3 ? '-' : '';
      lines.push(`${d} ${sign}0x1.${hexDigits(rand, 1 + Math.floor(rand() * 32))}p${e}`);
    }
    // exact ties at the last stored bit, in hex (round to even) and in decimal (nasm rounds these down)
    for (let i = 0; i < 12; i++) {
      const bits = f.frac + 1;
      const mantissa = (1n << BigInt(bits)) | (BigInt(Math.floor(rand() * 2 ** 30)) << 1n) | 1n;
      const e = Math.floor(rand() * 12) - 6 - bits;
      const value = mantissa & ((1n << BigInt(bits + 1)) - 1n);
      lines.push(`${d} 0x${value.toString(16)}p${e}`);
      if (d !== 'dt' && d !== 'do') lines.push(`${d} ${exactDecimal(value, e)}`);
    }
    // random decimals: short and long significands, e exponents, and the other spellings
    const decRange = Math.floor(f.bias * 0.3);
    for (let i = 0; i < 40; i++) {
      const digits = decimalDigits(rand, 1 + Math.floor(rand() * 25));
      const point = Math.floor(rand() * digits.length);
      const e = Math.floor(rand() * 2 * decRange) - decRange - (rand() < 0.2 ? f.frac : 0);
      lines.push(`${d} ${digits.slice(0, point + 1)}.${digits.slice(point + 1)}e${e}`);
    }
    // beyond nasm's 52 kept decimal digits and 192 kept significand bits
    for (let i = 0; i < 6; i++) {
      const digits = decimalDigits(rand, 50 + Math.floor(rand() * 20));
      lines.push(`${d} 0.${digits}e${Math.floor(rand() * 20) - 10}`, `${d} ${digits}.5`);
      lines.push(`${d} 0x1.${hexDigits(rand, 45 + Math.floor(rand() * 10))}p${Math.floor(rand() * 40) - 20}`);
    }
    lines.push(`${d} 0d1.25e1`, `${d} 0t3.5`, `${d} 0o1.4p2`, `${d} 0q7.7`, `${d} 0b1.01p-1`, `${d} 0y11.1`);
    lines.push(`${d} $1.8p1`, `${d} 0h1.8`, `${d} 1_000.0_5`, `${d} 1.e2`, `${d} 1e+1_0`);
  }
  for (let i = 0; i < 30; i++) {
    const e = Math.floor(rand() * 290) - 145;
    lines.push(
      `dw __?bfloat16?__(${rand() < 0.3 ? '-' : ''}0x1.${hexDigits(rand, 1 + Math.floor(rand() * 8))}p${e})`,
    );
    lines.push(`dw __?bfloat16?__(${decimalDigits(rand, 6)}.5e${Math.floor(rand() * 70) - 40})`);
  }
  for (const fn of ['8', '16', '32', '64', '80m', '80e', '128l', '128h'])
    lines.push(`dq __?float${fn}?__(-1.1e-3)`, `dq __float${fn}__(+3.25)`);
  lines.push('dt 123456789012345678p', 'dt -0p99_99', 'dt 1234567890123456789012p');
  return lines;
}

describe('floating-point constants, differential against nasm', () => {
  it('encodes random and edge-case values in every format byte for byte as nasm does', () => {
    const lines = constants();
    const source = lines.join('\n') + '\n';
    const ours = runOstool(source, 'bin');
    const theirs = runNasm(source, 'bin');
    expect(theirs.output, theirs.stderr).toBeDefined();
    const nasm = theirs.output!;
    // locate the first differing line by assembling prefixes of the same source
    if (Buffer.compare(Buffer.from(ours), Buffer.from(nasm)) !== 0) {
      let offset = 0;
      for (const line of lines) {
        const one = runOstool(line + '\n', 'bin');
        const slice = nasm.subarray(offset, offset + one.length);
        expect(Buffer.from(one).toString('hex'), line).toBe(Buffer.from(slice).toString('hex'));
        offset += one.length;
      }
    }
    expect(ours.length).toBe(nasm.length);
    expect(lines.length).toBeGreaterThan(600);
  });

  it('warns about overflow to infinity as nasm does, and keeps underflow silent', () => {
    const result = assemble({ source: 'dd 1e39\ndd 1e-60\ndb 248.1\n', fileName: 'f.asm', format: 'bin' });
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.map((w) => [w.location.line, w.message])).toEqual([
      [1, 'overflow in floating-point constant'],
      [3, 'overflow in floating-point constant'],
    ]);
    expect(Buffer.from(result.output!).toString('hex')).toBe('0000807f0000000078');
  });

  it('rejects packed BCD outside dt and bad significand characters with the place', () => {
    const result = assemble({ source: 'dd 123p\ndq 1.5z\n', fileName: 'f.asm', format: 'bin' });
    const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    expect(errors).toEqual([
      'packed BCD requires an 80-bit format',
      "invalid character in floating-point constant significand: 'z'",
    ]);
    expect(result.output).toBeUndefined();
  });
});
