/**
 * --emit-relocs / -q against GNU ld: gcc- and nasm-built objects linked both ways, the whole output files compared
 * byte for byte (section headers, `.rela<section>` contents and placement, `.symtab` with its section symbols).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link } from '../../src/linker/index.js';
import { Workdir } from './oracle.js';

const MAIN = `
extern int counter;
static const char *names[] = {"zero", "one", "two", "three", "four"};
__thread int tls_a = 3;
__thread int tls_b;
static __thread int tls_c = 9;
extern __thread int tls_ext;
int weakfn(void) __attribute__((weak));
int helper(int);
int sw(int x) {
  switch (x) { case 0: return 11; case 1: return helper(3); case 2: return 17; case 3: return 29; case 4: return 31; case 5: return 7; default: return -1; }
}
const char *name(int i) { return names[i % 5]; }
int tlsuse(void) { return tls_a + tls_b + tls_c + tls_ext; }
void (*fp)(void);
static void init(void) { counter++; }
__attribute__((section(".init_array"))) void (*init_p)(void) = init;
int unused_fn(int x) { return x * 3 + tls_c; }
int unused_data[16] = {1};
void _start(void) {
  int s = sw(counter) + (int)name(2)[0] + tlsuse() + (weakfn ? weakfn() : 0);
  if (fp) fp();
  counter = s;
  for (;;) {}
}
`;

const HELPER = `
int counter = 1;
__thread int tls_ext = 5;
static int table[8];
int helper(int x) { table[x & 7] += x; return table[x & 7] + __builtin_strlen("hello world"); }
int never(void) { return 42; }
char bigbuf[4096];
`;

const NASM = `
default rel
section .text
global nstart
extern counter
nstart:
  mov rax, [rel counter wrt ..gotpc]
  lea rdi, [rel msg]
  call nfunc
  mov eax, [counter]
  ret
nfunc: ret
section .data
msg: db "nasm", 0
pointers: dq msg, nfunc
`;

/** GOT loads ld converts (mov, call, jmp, binop), TLS sequences it relaxes, `.L` symbols in merged strings. */
const GAS = `
  .text
  .globl _start
_start:
  movq foo@GOTPCREL(%rip), %rax
  call *bar@GOTPCREL(%rip)
  jmp *bar@GOTPCREL(%rip)
  addq foo@GOTPCREL(%rip), %rax
  movl foo@GOTPCREL(%rip), %eax
  movq ext@GOTPCREL(%rip), %rax
  .byte 0x66; leaq tg@tlsgd(%rip), %rdi
  .byte 0x66, 0x66; rex64 call __tls_get_addr@PLT
  leaq tl@tlsld(%rip), %rdi
  call __tls_get_addr@PLT
  leaq tl@dtpoff(%rax), %rax
  movq tg@gottpoff(%rip), %rax
  leaq .LC0(%rip), %rsi
  leaq .LC1+2(%rip), %rsi
  movl $lv, %eax
  ret
lv: ret
bar: ret
  .globl __tls_get_addr
__tls_get_addr: ret
  .data
foo: .quad 1
  .quad lv
  .weak ext
  .section .rodata.str1.1,"aMS",@progbits,1
.LC0: .string "abc"
.LC1: .string "hello"
  .section .tdata,"awT",@progbits
  .globl tg
tg: .long 1
tl: .long 2
`;

const KERNEL_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.*) *(.init_array) }
  .tdata : { *(.tdata .tdata.*) }
  .tbss : { *(.tbss .tbss.*) }
  .bss : { *(.bss .bss.*) *(COMMON) }
  /DISCARD/ : { *(.note.GNU-stack) }
}
`;

describe('--emit-relocs', () => {
  let work: Workdir;
  let nasm: string;
  beforeAll(() => {
    work = new Workdir();
    work.file('kernel.ld', KERNEL_SCRIPT);
    nasm = work.nasm('nasm', NASM);
  });
  afterAll(() => work.dispose());

  async function expectIdentical(args: string[], name: string): Promise<void> {
    const pair = await work.linkBoth(args, name);
    const ours = readFileSync(pair.ours);
    const ld = readFileSync(pair.ld);
    expect(ours.length, name).toBe(ld.length);
    expect(Buffer.compare(ours, ld), name).toBe(0);
  }

  it('gcc objects: every optimisation, section, debug and code-model variant, static, -pie and -T', async () => {
    let links = 0;
    for (const opt of ['-O0', '-O2'])
      for (const sections of [[], ['-ffunction-sections', '-fdata-sections']])
        for (const debug of [[], ['-g']])
          for (const model of ['small', 'pie', 'kernel', 'large']) {
            const flags = [
              opt,
              ...sections,
              ...debug,
              ...(model === 'pie' ? ['-fPIE'] : ['-fno-pic']),
              ...(model === 'kernel' || model === 'large' ? [`-mcmodel=${model}`] : []),
              '-fno-stack-protector',
              '-ffreestanding',
            ];
            const tag = `${opt}${sections.length ? '-sections' : ''}${debug.length ? '-g' : ''}-${model}`;
            const main = work.gcc(`main${tag}`, MAIN, flags);
            const helper = work.gcc(`helper${tag}`, HELPER, flags);
            const lines =
              model === 'pie'
                ? [
                    ['-q', '-pie', '--gc-sections', main, helper, nasm],
                    ['-q', main, helper],
                    // -O0's PLT call to an undefined weak function: ostool's -pie --no-dynamic-linker layout
                    // differs from ld's without -q too, so only the optimised code is compared.
                    ...(opt === '-O2' ? [['-q', '-pie', '--no-dynamic-linker', main, helper, nasm]] : []),
                  ]
                : model === 'kernel'
                  ? [
                      ['-q', '-T', 'kernel.ld', main, helper, nasm],
                      ['--emit-relocs', '-T', 'kernel.ld', '--gc-sections', main, helper, nasm],
                    ]
                  : [
                      ['-q', main, helper, nasm],
                      ['-q', '--gc-sections', main, helper, nasm],
                      ['-q', '--no-relax', main, helper],
                    ];
            for (const [k, line] of lines.entries()) {
              await expectIdentical(line, `${tag}-${k}`);
              links++;
            }
          }
    expect(links).toBe(84);
  }, 120_000);

  it('converted GOT loads, relaxed TLS sequences and merged-string temporaries', async () => {
    const object = work.gas('relax', GAS);
    await expectIdentical(['-q', object], 'relax-static');
    await expectIdentical(['-q', '--no-relax', object], 'relax-norelax');
  });

  it('refuses output it does not cover, naming what it does', () => {
    const object = work.nasm('i386', 'section .text\nglobal _start\n_start: ret\n', 'elf32');
    expect(() =>
      link({
        inputs: [{ name: object, data: readFileSync(object) }],
        emulation: 'elf_i386',
        emitRelocs: true,
      }),
    ).toThrow(
      /--emit-relocs: ostool keeps relocations in x86-64 ELF executables \(static or -pie\) only, not with -m elf_i386/,
    );
  });
});
