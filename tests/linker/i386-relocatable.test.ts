/**
 * `-m elf_i386 -r`: one relocatable ELF32 object from nasm -f elf32 and gcc -m32 objects, as GNU ld -r makes it
 * (SHT_REL sections with their addends moved in the fields, symbol order, COMDAT groups, bfd's file layout): the
 * same bytes as ld's, and both outputs link again with ld into the same executable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

/** gcc -m32 choices whose sections and relocations differ: PIE thunks in COMDAT groups, sections per function. */
const CODEGEN: Record<string, string[]> = {
  pie: [],
  nopic: ['-fno-pic'],
  o2: ['-O2'],
  sections: ['-O2', '-fno-pic', '-ffunction-sections', '-fdata-sections'],
  'no-unwind': ['-O2', '-fno-asynchronous-unwind-tables'],
};

const TLS = `
__thread int a = 5;
static __thread int c = 7;
__thread char big[64];
int *addr(void) { return &a; }
int get(void) { return c + big[3]; }
`;

describe('ostool link -m elf_i386 -r matches GNU ld -r', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.nasm('boot', source('multiboot-boot.asm'), 'elf32');
    for (const [name, flags] of Object.entries(CODEGEN))
      work.gcc(`kernel-${name}`, source('multiboot-kernel.c'), [
        '-m32',
        '-ffreestanding',
        '-fno-stack-protector',
        ...flags,
      ]);
    work.gcc('tls', TLS, ['-m32', '-O2', '-fPIC', '-ffreestanding']);
    work.file('multiboot.ld', readFileSync(join(fixtures, 'multiboot.ld')));
  });
  afterAll(() => work.dispose());

  for (const name of Object.keys(CODEGEN))
    it(`gcc -m32 ${CODEGEN[name]!.join(' ') || '(Debian default PIE)'}: same object, and the same kernel when linked again`, async () => {
      const inputs = ['boot.o', `kernel-${name}.o`, ...(name === 'o2' ? ['tls.o'] : [])];
      const pair = await work.linkBoth(['-m', 'elf_i386', '-r', ...inputs], `r-${name}`);
      expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
      // Both relocatable outputs through ld once more: the final executables agree byte for byte.
      const again = (object: string, out: string) => {
        execFileSync('ld', ['-m', 'elf_i386', '-T', 'multiboot.ld', object, '-o', out], {
          cwd: work.path,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return readFileSync(join(work.path, out));
      };
      expect(
        Buffer.compare(again(pair.ours, `final-ours-${name}.elf`), again(pair.ld, `final-ld-${name}.elf`)),
      ).toBe(0);
    });
});
