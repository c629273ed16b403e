/**
 * `-m elf_i386` thread-local storage in a static executable: every TLS model gcc -m32 emits (global/local-dynamic,
 * initial-exec, local-exec, GNU2 descriptors; PIC, PIE and non-PIC code at -O0/-O2, -fno-plt calls) and the
 * Sun-style forms GNU as accepts (@tpoff, @gottpoff, @indntpoff, SIB `tlsgd` leas) relaxed to local-exec as ld does:
 * the same file, byte for byte, with the default layout and with a kernel-style script.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { link } from '../../src/linker/index.js';
import { expectSameAsLd, Workdir } from './oracle.js';

const VARIABLES = `
__thread int a = 5;
__thread int b;
static __thread int c = 7;
extern __thread int d;
int get_a(void) { return a; }
int get_b(void) { return b; }
int get_c(void) { return c; }
int get_d(void) { return d; }
int *addr_a(void) { return &a; }
int *addr_c(void) { return &c; }
void _start(void) { a = get_a() + get_b() + get_c() + get_d() + *addr_a() + *addr_c(); for (;;); }
`;

// A second object whose TLS block has another alignment, so the block's size and the thread pointer move.
const OTHER = `
__thread int d = 9;
__thread char big[100] __attribute__((aligned(16)));
`;

const CODE: Record<string, string[]> = {
  nopic: ['-fno-pic'],
  pic: ['-fPIC'],
  pie: ['-fPIE'],
  gnu2: ['-fPIC', '-mtls-dialect=gnu2'],
  noplt: ['-fPIC', '-fno-plt'],
};
const MODELS = ['global-dynamic', 'local-dynamic', 'initial-exec', 'local-exec'];

const SUN_STYLE = `
	.text
	.globl _start
_start:
	movl %gs:0, %eax
	subl $x@tpoff, %eax
	movl $y@tpoff, %edx
	movl x@ntpoff+4, %ecx
	movl %gs:x@ntpoff, %ecx
	call 1f
1:	popl %ebx
	addl $_GLOBAL_OFFSET_TABLE_+[.-1b], %ebx
	movl x@gottpoff(%ebx), %eax
	subl y@gottpoff(%ebx), %ecx
	addl y@gotntpoff(%ebx), %ecx
	movl y@gotntpoff(%ebx), %edx
	movl y@indntpoff, %edx
	movl y@indntpoff, %eax
	addl y@indntpoff, %esi
	leal x@tlsgd(%ebx), %eax
	call *___tls_get_addr@GOT(%ebx)
	leal x@tlsldm(%ebx), %eax
	call *___tls_get_addr@GOT(%ebx)
	leal x@dtpoff(%eax), %edx
	leal y@tlsgd(,%ebx,1), %eax
	call ___tls_get_addr@PLT
	leal y@tlsldm(%ebx), %eax
	call ___tls_get_addr@PLT
	leal x@tlsdesc(%ebx), %eax
	call *x@tlscall(%eax)
	.section .tdata,"awT",@progbits
	.align 16
x:	.long 1
	.section .tbss,"awT",@nobits
	.align 32
y:	.zero 8
	.section .debug_info
	.long x@dtpoff
`;

const KERNEL_SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 1M;
  .text : { *(.text*) }
  .tdata : { *(.tdata*) }
  .tbss : { *(.tbss*) }
  .data : { *(.data*) }
  .bss : { *(.bss*) }
}
`;

describe('ostool link -m elf_i386 relaxes TLS as GNU ld does', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.gcc('other', OTHER, ['-m32', '-ffreestanding']);
    for (const [code, flags] of Object.entries(CODE))
      for (const model of MODELS)
        for (const opt of ['-O0', '-O2'])
          work.gcc(`tls-${code}-${model}${opt}`, VARIABLES, [
            '-m32',
            '-ffreestanding',
            '-fno-asynchronous-unwind-tables',
            `-ftls-model=${model}`,
            opt,
            ...flags,
          ]);
    work.gas('sun', SUN_STYLE, ['--32']);
    work.file('kernel.ld', KERNEL_SCRIPT);
  });
  afterAll(() => work.dispose());

  const same = async (args: string[], name: string) => {
    const pair = await work.linkBoth(['-m', 'elf_i386', ...args], name);
    expectSameAsLd(pair);
    expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
  };

  for (const code of Object.keys(CODE))
    it(`gcc -m32 ${CODE[code]!.join(' ')}: every -ftls-model at -O0/-O2, default layout and a kernel script`, async () => {
      for (const model of MODELS)
        for (const opt of ['-O0', '-O2']) {
          const object = `tls-${code}-${model}${opt}.o`;
          await same([object, 'other.o'], `${code}-${model}${opt}`);
          await same(['-T', 'kernel.ld', object, 'other.o'], `${code}-${model}${opt}-script`);
        }
    });

  it('Sun-style and GNU2 forms by hand: @tpoff, @gottpoff, @indntpoff, SIB tlsgd, indirect calls, @dtpoff in data', async () => {
    await same(['sun.o'], 'sun');
    await same(['-T', 'kernel.ld', 'sun.o'], 'sun-script');
  });

  it('x86-64 as well: an indirect __tls_get_addr call (gcc -fPIC -fno-plt) keeps its GOT slot as in ld', async () => {
    work.gcc('x64-noplt', VARIABLES.replace('extern __thread int d;', '__thread int d;'), [
      '-O2',
      '-fPIC',
      '-fno-plt',
      '-ffreestanding',
    ]);
    const pair = await work.linkBoth(['x64-noplt.o'], 'x64-noplt');
    expectSameAsLd(pair);
    expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
  });

  it('refuses a TLS sequence ld cannot relax, naming object, section and relocation', () => {
    const bad = work.gas('bad', SUN_STYLE.replace('call *x@tlscall(%eax)', 'call *x@tlscall(%ecx)'), [
      '--32',
    ]);
    // ld: "TLS transition from R_386_TLS_DESC_CALL to R_386_TLS_LE_32 against `x' ... failed"
    expect(() =>
      link({ inputs: [{ name: 'bad.o', data: readFileSync(bad) }], emulation: 'elf_i386' }),
    ).toThrow(/bad\.o:\(\.text\+0x[0-9a-f]+\): R_386_TLS_DESC_CALL against `x': unexpected TLS sequence/);
  });
});
