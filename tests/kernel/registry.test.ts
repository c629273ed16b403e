import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listKernelTests } from '../../src/build/index.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A program with a hand-written test registry, linked by nasm + GNU ld (the oracles). */
function link(name: string, records: string): Uint8Array {
  const asm = join(work, `${name}.asm`);
  writeFileSync(
    asm,
    `bits 64
section .text
global start
start: ret
section .rodata
first_name: db "pmm: first", 0
second_name: db "cpu: second", 0
section .kernel_tests progbits alloc noexec nowrite align=8
${records}
`,
  );
  execFileSync('nasm', ['-f', 'elf64', '-o', join(work, `${name}.o`), asm]);
  execFileSync('ld', [
    '-nostdlib',
    '-static',
    '-Ttext=0xffffffff80000000',
    '-e',
    'start',
    '-o',
    join(work, `${name}.elf`),
    join(work, `${name}.o`),
  ]);
  return new Uint8Array(readFileSync(join(work, `${name}.elf`)));
}

describe('kernel test registry as read from the ELF', () => {
  it('reads names, expected outcomes and exception vectors in section order', () => {
    const elf = link('good', 'dq first_name, start, 0, 0, 0\ndq second_name, start, 2, 14, start');
    expect(listKernelTests(elf)).toEqual([
      { name: 'pmm: first', expect: 'pass' },
      { name: 'cpu: second', expect: 'exception', vector: 14 },
    ]);
  });

  it('rejects a registry that is not whole records, a name outside the image and an unknown outcome', () => {
    expect(() => listKernelTests(link('short', 'dq first_name, start, 0, 0'))).toThrow(
      /not a whole number of 40-byte test records/,
    );
    expect(() => listKernelTests(link('stray', 'dq 0x1234, start, 0, 0, 0'))).toThrow(
      /\.kernel_tests\+0x0 has a name outside the image/,
    );
    expect(() =>
      listKernelTests(link('outcome', 'dq first_name, start, 0, 0, 0\ndq second_name, start, 7, 0, 0')),
    ).toThrow(/\.kernel_tests\+0x28 has an unknown expected outcome/);
  });
});
