/**
 * Jump sizes and other pass-dependent encodings identical to nasm's on generated programs: several seeds and
 * sizes, 16/32/64-bit flat binaries and ELF64 objects, at -O0, -O1 and the default -Ox, compared byte for
 * byte with nasm 2.16 (whole files: the ELF64 layout is nasm's too).
 */

import { describe, expect, it } from 'vitest';
import type { AssembleOptions } from '../../src/assembler/index.js';
import { hex, runNasm, runOstool } from './oracle.js';
import { generateRelaxationProgram, type CorpusOptions } from './relaxation-corpus.js';

const PROGRAMS: CorpusOptions[] = [
  { lines: 1500, seed: 1, bits: 64, format: 'bin' },
  { lines: 1500, seed: 2, bits: 32, format: 'bin' },
  { lines: 1500, seed: 3, bits: 16, format: 'bin' },
  { lines: 1500, seed: 4, bits: 64, format: 'elf64' },
  { lines: 6000, seed: 10, bits: 64, format: 'bin' },
  { lines: 6000, seed: 11, bits: 64, format: 'elf64' },
  { lines: 6000, seed: 12, bits: 32, format: 'bin' },
];

const LEVELS: Array<{ flag: string; optimization?: AssembleOptions['optimization'] }> = [
  { flag: '-Ox' },
  { flag: '-O1', optimization: 'O1' },
  { flag: '-O0', optimization: 'O0' },
];

describe('generated relaxation corpus against nasm', () => {
  for (const program of PROGRAMS) {
    it(`assembles ${program.lines} lines (seed ${program.seed}, ${program.bits}-bit ${program.format}) like nasm at -O0, -O1 and -Ox`, () => {
      const source = generateRelaxationProgram(program);
      for (const level of LEVELS) {
        const nasm = runNasm(source, program.format, {}, 'test.asm', [level.flag]);
        if (!nasm.output) throw new Error(`nasm rejected the program:\n${nasm.stderr}`);
        const extra: Partial<AssembleOptions> = { disabledWarnings: ['all'] };
        if (level.optimization) extra.optimization = level.optimization;
        const ours = runOstool(source, program.format, {}, 'test.asm', extra);
        expect(hex(ours), `${level.flag}`).toBe(hex(nasm.output));
      }
    });
  }
});
