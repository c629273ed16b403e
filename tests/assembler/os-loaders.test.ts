/**
 * Sources in the style of public NASM OS projects (Pure64/BareMetal-like loaders and flat kernels): 16/32/64-bit
 * code in one `-f bin` image with `org`, `times 510-($-$$)`, `align`, `%include` through `-i`, `struc`/`istruc`,
 * macros with defaults and `%rotate`, `[BITS 16]`/`USE32`, far jumps and calls, `incbin`, context-local macros,
 * `section ... follows= vstart=` layouts. Each is checked against nasm byte for byte.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hex, runNasm, runOstool } from './oracle.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/os/${name}`, import.meta.url), 'utf8');

const includes = {
  'loader-inc/sysvar.inc': fixture('loader-inc/sysvar.inc'),
  'loader-inc/defs.inc': fixture('loader-inc/defs.inc'),
  'blob.bin': new Uint8Array([0x44, 0x41, 0x54, 0x41, 1, 2, 3]),
};

function sameAsNasm(name: string): Uint8Array {
  const source = fixture(name);
  const nasm = runNasm(source, 'bin', includes, name, ['-iloader-inc/']);
  if (!nasm.output) throw new Error(`nasm rejected ${name}:\n${nasm.stderr}`);
  const ours = runOstool(source, 'bin', includes, name, {
    includePaths: ['loader-inc/'],
    disabledWarnings: ['all'],
  });
  expect(hex(ours)).toBe(hex(nasm.output));
  return ours;
}

describe('OS loader and kernel sources in -f bin, byte-identical to nasm', () => {
  it('an MBR with a partition table, a disk packet from istruc and a 16->32->64-bit stage 2 after it', () => {
    const out = sameAsNasm('mbr-stage2.asm');
    expect(out[510]).toBe(0x55);
    expect(out[511]).toBe(0xaa);
  });

  it('a flat 64-bit kernel at 1 MiB: a jump table, %rep-generated stubs, context-local macros, absolute bss', () => {
    sameAsNasm('kernel-flat.asm');
  });

  it('a loader in sections with start/vstart/follows, included twice behind a guard, far jumps in 16-bit code', () => {
    sameAsNasm('loader-sections.asm');
  });
});
