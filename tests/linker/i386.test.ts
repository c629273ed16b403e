/**
 * `-m elf_i386`: 32-bit static executables from nasm -f elf32 and gcc -m32 objects, compared with GNU ld's on the
 * same command line (program headers, allocated sections, loaded bytes, entry, symbols), including a multiboot
 * kernel with the scripts such kernels ship, the GOT32X conversions and the range checks of the 8/16-bit fields.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/reader.js';
import { link } from '../../src/linker/index.js';
import { expectSameAsLd, Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

const GCC32 = ['-m32', '-ffreestanding', '-fno-stack-protector'];

/** gcc -m32 code generation choices whose relocations differ: Debian's default PIE code, -fno-pic, -fpic, -O2. */
const CODEGEN: Record<string, string[]> = {
  pie: [],
  nopic: ['-fno-pic'],
  pic: ['-fpic'],
  o2: ['-O2'],
  'o2-nopic-sections': ['-O2', '-fno-pic', '-ffunction-sections', '-fdata-sections'],
  'no-unwind': ['-O2', '-fno-asynchronous-unwind-tables'],
};

function ldFails(work: Workdir, args: string[]): string {
  try {
    execFileSync('ld', [...args, '-o', join(work.path, 'fail.elf')], {
      cwd: work.path,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    return String((error as { stderr: Buffer }).stderr);
  }
  throw new Error(`ld accepted ${args.join(' ')}`);
}

function oursFails(
  work: Workdir,
  objects: string[],
  options: Parameters<typeof link>[0] extends infer O ? Partial<O> : never,
): string {
  try {
    link({ inputs: objects.map((o) => ({ name: o, data: readFileSync(join(work.path, o)) })), ...options });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('ostool accepted the link');
}

describe('ostool link -m elf_i386 matches GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.nasm('mb-boot', source('multiboot-boot.asm'), 'elf32');
    for (const [name, flags] of Object.entries(CODEGEN))
      work.gcc(`mb-${name}`, source('multiboot-kernel.c'), [...GCC32, ...flags]);
    work.file('multiboot.ld', readFileSync(join(fixtures, 'multiboot.ld')));
    work.file('multiboot-higher-half.ld', readFileSync(join(fixtures, 'multiboot-higher-half.ld')));
  });
  afterAll(() => work.dispose());

  it('writes an ELF32 i386 executable with ld default elf_i386 layout for every gcc -m32 code model', async () => {
    for (const name of Object.keys(CODEGEN)) {
      const pair = await work.linkBoth(['-m', 'elf_i386', 'mb-boot.o', `mb-${name}.o`], `default-${name}`);
      expectSameAsLd(pair);
      const elf = readElf(pair.ours, readFileSync(pair.ours));
      expect(elf.header.elfClass).toBe(1);
      expect(elf.header.machine).toBe(3);
    }
  });

  it('links a multiboot kernel (nasm elf32 header + gcc -m32 C) with the Bare Bones script, with and without --gc-sections', async () => {
    for (const name of Object.keys(CODEGEN)) {
      const common = ['-m', 'elf_i386', '-T', 'multiboot.ld', 'mb-boot.o', `mb-${name}.o`];
      expectSameAsLd(await work.linkBoth(common, `mb-${name}`));
      expectSameAsLd(await work.linkBoth(['--gc-sections', ...common], `mb-gc-${name}`));
    }
  });

  it("places gcc's thunk and read-only orphans as ld does when the nasm object comes first (tutorial scripts without .rodata)", async () => {
    // bfd makes an empty .iplt in the first object: the first code orphan, which later code orphans follow.
    work.file(
      'tutorial.ld',
      'OUTPUT_FORMAT(elf32-i386)\nENTRY(_start)\nSECTIONS {\n  . = 0x100000;\n  .text : { *(.text) }\n  .data : { *(.data) }\n  .bss : { *(.bss) }\n}\n',
    );
    for (const name of Object.keys(CODEGEN)) {
      for (const order of [
        ['mb-boot.o', `mb-${name}.o`],
        [`mb-${name}.o`, 'mb-boot.o'],
      ]) {
        const pair = await work.linkBoth(
          ['-m', 'elf_i386', '-T', 'tutorial.ld', ...order],
          `tut-${name}-${order[0]}`,
        );
        expectSameAsLd(pair);
        expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
      }
    }
  });

  it('takes elf_i386 from a script with OUTPUT_FORMAT(elf32-i386) and OUTPUT_ARCH(i386), as ld does without -m', async () => {
    for (const name of Object.keys(CODEGEN))
      expectSameAsLd(
        await work.linkBoth(['-T', 'multiboot-higher-half.ld', 'mb-boot.o', `mb-${name}.o`], `hh-${name}`),
      );
  });

  it('converts GOT32X loads, calls and jumps like ld and gives GOT32 and unconvertible loads a .got slot', async () => {
    work.gas(
      'got-forms',
      `.text
.globl _start
_start:
  call 1f
1: popl %ebx
  addl $_GLOBAL_OFFSET_TABLE_+[.-1b], %ebx
  movl foo@GOT(%ebx), %eax
  movl foo@GOT, %ecx
  testl %esi, foo@GOT(%ebx)
  addl foo@GOT(%ebx), %edx
  subl foo@GOT(%ebx), %edi
  cmpl foo@GOT(%ebx), %ebp
  xorl bar@GOT(%ebx), %eax
  call *fn@GOT(%ebx)
  jmp *fn@GOT(%ebx)
  call *fn@GOT
  movl undef_weak@GOT(%ebx), %eax
  pushl foo@GOT(%ebx)
  movl bar@GOT+4(%ebx), %eax
  leal foo@GOTOFF(%ebx), %eax
  call fn@PLT
  movl $foo+4, %eax
  .weak undef_weak
.globl fn
fn: ret
.data
.globl foo, bar
foo: .long 1, fn, foo+8
bar: .long 2
`,
      ['--32'],
    );
    work.nasm(
      'got-nasm',
      `bits 32
section .text
global nasm_got
extern _GLOBAL_OFFSET_TABLE_, foo, bar
nasm_got:
  call .get
.get: pop ebx
  add ebx, _GLOBAL_OFFSET_TABLE_ + $$ - .get wrt ..gotpc
  mov eax, [ebx + foo wrt ..got]
  mov ecx, [ebx + bar wrt ..got]
  mov edx, [ebx + local wrt ..gotoff]
  ret
section .data
local: dd 3
`,
      'elf32',
    );
    work.file(
      'low.ld',
      'SECTIONS { . = 0x1000; .text : { *(.text) } .data : { *(.data) } .got : { *(.got) } .got.plt : { *(.got.plt) } }\n',
    );
    const objects = ['got-forms.o', 'got-nasm.o'];
    expectSameAsLd(await work.linkBoth(['-m', 'elf_i386', ...objects], 'got-default'));
    expectSameAsLd(await work.linkBoth(['-m', 'elf_i386', '-T', 'low.ld', ...objects], 'got-low'));
  });

  it('range-checks R_386_16, PC16, 8 and PC8 as ld does (bitfield, signed PC8) and writes the same bytes', async () => {
    work.nasm(
      'narrow',
      'bits 16\nsection .text\nglobal _start\nextern s16, p16, s8, p8\n_start:\n  dw s16\n  dw p16 - $\n  db s8\n  db p8 - $\n',
      'elf32',
    );
    // Field addresses: s16 at 0x1000, p16 at 0x1002, s8 at 0x1004, p8 at 0x1005.
    const places: Record<string, number> = { s16: 0, p16: 0x1002, s8: 0, p8: 0x1005 };
    const values = [
      0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, -1, -0x80, -0x81, -0x100, -0x101, -0x10000, -0x10001, 0x8000,
    ];
    let checked = 0;
    for (const field of Object.keys(places))
      for (const v of values) {
        const assignments = Object.entries(places)
          .map(([name, place]) => `${name} = ${name === field ? `${place} + (${v})` : place};`)
          .join(' ');
        const scriptName = `narrow-${field}-${checked}.ld`;
        work.file(scriptName, `SECTIONS { . = 0x1000; .text : { *(.text) } }\n${assignments}\n`);
        const args = ['-m', 'elf_i386', '-T', scriptName, 'narrow.o'];
        let ldOk = true;
        try {
          execFileSync('ld', [...args, '-o', join(work.path, 'narrow-ld.elf')], {
            cwd: work.path,
            stdio: 'pipe',
          });
        } catch {
          ldOk = false;
        }
        if (ldOk) expectSameAsLd(await work.linkBoth(args, `narrow-${checked}`));
        else {
          const message = oursFails(work, ['narrow.o'], {
            emulation: 'elf_i386',
            script: readFileSync(join(work.path, scriptName), 'utf8'),
          });
          expect(message).toMatch(
            /narrow\.o:\(\.text\+0x[0-5]\): R_386_(16|PC16|8|PC8) out of range against `(s16|p16|s8|p8)'/,
          );
        }
        checked++;
      }
    expect(checked).toBe(values.length * 4);
  });

  it('pulls i386 archive members and refuses 64-bit objects in an elf_i386 link with ld words', async () => {
    work.nasm('lib-a', 'bits 32\nsection .text\nglobal helper\nhelper: ret\n', 'elf32');
    work.nasm(
      'lib-main',
      'bits 32\nsection .text\nglobal _start\nextern helper\n_start: call helper\n',
      'elf32',
    );
    work.ar('libhelp.a', [join(work.path, 'lib-a.o')]);
    expectSameAsLd(await work.linkBoth(['-m', 'elf_i386', 'lib-main.o', 'libhelp.a'], 'archive'));

    work.nasm('wide', 'bits 64\nsection .text\nglobal wide\nwide: ret\n');
    expect(ldFails(work, ['-m', 'elf_i386', 'lib-main.o', 'wide.o'])).toContain(
      "i386:x86-64 architecture of input file `wide.o' is incompatible with i386 output",
    );
    expect(oursFails(work, ['lib-main.o', 'wide.o'], { emulation: 'elf_i386' })).toMatch(
      /^i386:x86-64 architecture of input file `wide\.o' is incompatible with i386 output/,
    );
    // No -m: ld stays elf_x86_64 whatever the inputs are.
    expect(ldFails(work, ['lib-main.o', 'lib-a.o'])).toContain(
      "i386 architecture of input file `lib-main.o' is incompatible with i386:x86-64 output",
    );
    expect(oursFails(work, ['lib-main.o', 'lib-a.o'], {})).toMatch(
      /^i386 architecture of input file `lib-main\.o' is incompatible with i386:x86-64 output/,
    );
    // OUTPUT_FORMAT(elf32-i386) alone leaves the architecture i386:x86-64.
    work.file('format-only.ld', 'OUTPUT_FORMAT(elf32-i386)\nSECTIONS { .text : { *(.text) } }\n');
    expect(ldFails(work, ['-T', 'format-only.ld', 'lib-main.o', 'lib-a.o'])).toContain('incompatible');
    expect(
      oursFails(work, ['lib-main.o', 'lib-a.o'], {
        script: 'OUTPUT_FORMAT(elf32-i386)\nSECTIONS { .text : { *(.text) } }\n',
      }),
    ).toContain('add -m elf_i386');
  });

  it('names the object, section and relocation of an unsupported i386 relocation', () => {
    work.gas(
      'tls32',
      '.text\n.globl _start\n_start: ret\n.data\n.reloc ., R_386_TLS_DTPMOD32, tv\n.long 0\n.section .tbss,"awT",@nobits\ntv: .long 0\n',
      ['--32'],
    );
    expect(oursFails(work, ['tls32.o'], { emulation: 'elf_i386' })).toMatch(
      /tls32\.o:\(\.data\+0x0\): unsupported relocation R_386_TLS_DTPMOD32 against `tv'/,
    );
  });
});
