import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  embedSymbolTable,
  encodeSymbolTable,
  kernelCodeSymbols,
  KSYMS_MAGIC,
} from '../../src/build/index.js';
import { UserError } from '../../src/errors.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-ksyms-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Links a small program with nasm + GNU ld (the oracles) and returns the ELF bytes. */
function linkWithGnu(source: string, name: string): Uint8Array {
  const asm = join(work, `${name}.asm`);
  const object = join(work, `${name}.o`);
  const elf = join(work, `${name}.elf`);
  writeFileSync(asm, source);
  execFileSync('nasm', ['-f', 'elf64', '-o', object, asm]);
  execFileSync('ld', ['-nostdlib', '-static', '-Ttext=0xffffffff80000000', '-e', 'alpha', '-o', elf, object]);
  return new Uint8Array(readFileSync(elf));
}

/** Symbol addresses as GNU readelf reports them. */
function readelfSymbols(elf: Uint8Array, name: string): Map<string, bigint> {
  const path = join(work, `${name}.check.elf`);
  writeFileSync(path, elf);
  const symbols = new Map<string, bigint>();
  for (const line of execFileSync('readelf', ['-sW', path], { encoding: 'utf8' }).split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length === 8 && /^[0-9a-f]{16}$/.test(fields[1]!))
      symbols.set(fields[7]!, BigInt(`0x${fields[1]}`));
  }
  return symbols;
}

const program = (capacity: number) => `
bits 64
section .text
global alpha
alpha:
    call beta
.local_label:
    ret
beta:
    nop
    ret
%macro GAMMA 0
%%hidden: nop
%endmacro
gamma:
    GAMMA
    ret
section .rodata
not_code: db 1
section .ksyms progbits alloc noexec nowrite align=8
    dq ${KSYMS_MAGIC}
    times ${capacity} - 8 db 0
`;

describe('kernel symbol table for backtraces', () => {
  it('lists routines in code sections at the addresses readelf reports, sorted, without local or data labels', () => {
    const elf = linkWithGnu(program(4096), 'list');
    const symbols = kernelCodeSymbols(elf);
    const oracle = readelfSymbols(elf, 'list');
    expect(symbols.map((symbol) => symbol.name)).toEqual(['alpha', 'beta', 'gamma']);
    for (const symbol of symbols) expect(symbol.address).toBe(oracle.get(symbol.name));
    expect(oracle.has('alpha.local_label')).toBe(true);
  });

  it('writes count, entries and names into .ksyms so that reading them back gives the same table', () => {
    const elf = linkWithGnu(program(4096), 'embed');
    const { elf: patched, symbolCount } = embedSymbolTable(elf);
    expect(symbolCount).toBe(3);
    expect(patched.length).toBe(elf.length);
    const path = join(work, 'embed.patched.elf');
    writeFileSync(path, patched);
    const dumpPath = join(work, 'embed.ksyms.bin');
    execFileSync('objcopy', ['-O', 'binary', '-j', '.ksyms', path, dumpPath]);
    const table = new Uint8Array(readFileSync(dumpPath));
    const expected = encodeSymbolTable(kernelCodeSymbols(elf));
    expect(Buffer.from(table.subarray(0, expected.length))).toEqual(Buffer.from(expected));
    const view = new DataView(table.buffer, table.byteOffset);
    expect(view.getBigUint64(0, true)).toBe(3n);
    const secondName = Number(view.getBigUint64(8 + 16 + 8, true));
    expect(new TextDecoder().decode(table.subarray(secondName, secondName + 4))).toBe('beta');
    expect(table.subarray(expected.length).every((byte) => byte === 0)).toBe(true);
  });

  it('leaves a kernel without .ksyms unchanged, and refuses a filled or too small placeholder', () => {
    const withoutSection = linkWithGnu('bits 64\nsection .text\nglobal alpha\nalpha: ret\n', 'none');
    expect(embedSymbolTable(withoutSection)).toEqual({ elf: withoutSection, symbolCount: 0 });
    const tiny = linkWithGnu(program(16), 'tiny');
    expect(() => embedSymbolTable(tiny)).toThrow(UserError);
    expect(() => embedSymbolTable(tiny)).toThrow(/raise KSYMS_CAPACITY/);
    const filled = embedSymbolTable(linkWithGnu(program(4096), 'twice')).elf;
    expect(() => embedSymbolTable(filled)).toThrow(/placeholder/);
  });
});
