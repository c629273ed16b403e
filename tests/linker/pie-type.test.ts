/**
 * `-pie` output is ET_DYN only when a PT_LOAD starts at address 0; ld writes a PIE linked at a fixed higher-half
 * base (limine-c-template's PT_DYNAMIC-era script) as ET_EXEC (binutils PR 31795), and loaders treat the two
 * differently (a bootloader relocates only ET_DYN).
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programHeaders, Workdir } from './oracle.js';

const elfType = (path: string) =>
  /Type:\s+(\S+)/.exec(execFileSync('readelf', ['-h', path], { encoding: 'utf8' }))![1];

const SCRIPTS: Array<[string, string]> = [
  ['a higher-half base', 'SECTIONS { . = 0xffffffff80000000; .text : { *(.text) } .data : { *(.data) } }'],
  ['a base of 0x1000', 'SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) } }'],
  ['a base of 0', 'SECTIONS { . = 0; .text : { *(.text) } .data : { *(.data) } }'],
  [
    'loaded headers at 0',
    'PHDRS { text PT_LOAD FILEHDR PHDRS; data PT_LOAD; } SECTIONS { . = SIZEOF_HEADERS; .text : { *(.text) } :text .data : { *(.data) } :data }',
  ],
  [
    'an empty PT_LOAD at 0 before a high one',
    'PHDRS { empty PT_LOAD; text PT_LOAD; } SECTIONS { .text 0x1000 : { *(.text) } :text .data : { *(.data) } }',
  ],
];

describe('the ELF type of -pie output like ld', () => {
  let work: Workdir;
  let object: string;
  beforeAll(() => {
    work = new Workdir();
    object = work.nasm(
      'pie',
      'section .text\nglobal _start\n_start: lea rax, [rel x]\nhlt\nsection .data\nx: dq _start\n',
    );
  });
  afterAll(() => work.dispose());

  for (const [name, script] of SCRIPTS)
    it(name, async () => {
      const file = work.file(`${name.replace(/\W+/g, '-')}.ld`, `${script}\n`);
      const pair = await work.linkBoth(
        ['-pie', '--no-dynamic-linker', '-z', 'text', '-T', file, object],
        name.replace(/\W+/g, '-'),
      );
      expect(elfType(pair.ours)).toBe(elfType(pair.ld));
      expect(programHeaders(pair.ours)).toBe(programHeaders(pair.ld));
    });
});
