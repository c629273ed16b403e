/**
 * ld writes the global symbols of `.symtab` as it walks its hash table (bucket by bfd's string hash, the latest
 * name first in each), not in input order: a kernel of several objects, with script symbols and a nasm file, links
 * to the very file GNU ld writes. Each object's local symbols come in the order ld first meets the object walking
 * the output sections (a requests object placed first by the script leads, a data-only one comes last).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_FLAGS, Workdir } from './oracle.js';

const MAIN = `
extern void serial_write(const char *s);
extern int counter;
static const char banner[] = "hello";
int table[4] = {1, 2, 3, 4};
void kernel_main(void) { serial_write(banner); counter += table[2]; for (;;) __asm__ volatile("hlt"); }
`;
const LIB = `
int counter;
static void outb(unsigned short port, unsigned char v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
void serial_write(const char *s) { while (*s) outb(0x3f8, (unsigned char)*s++); }
int unused_helper(int x) { return x * 3; }
`;
const ASM = `global load_gdt, weak_hook
section .text
load_gdt: ret
weak_hook: ret
`;
const SCRIPT = `ENTRY(kernel_main)
SECTIONS {
  . = 0xffffffff80000000;
  __kernel_start = .;
  .text : { *(.text .text.*) }
  . = ALIGN(0x1000);
  .rodata : { *(.rodata .rodata.*) }
  . = ALIGN(0x1000);
  .data : { *(.data .data.*) }
  .bss : { __bss_start = .; *(.bss .bss.*) *(COMMON) __bss_end = .; }
  __kernel_end = .;
}
`;

describe('.symtab in ld order', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('kernel.ld', SCRIPT);
  });
  afterAll(() => work.dispose());

  it('a kernel of C and nasm objects links to the same bytes as with GNU ld', async () => {
    const objects = [
      work.gcc('main', MAIN, ['-g', ...KERNEL_FLAGS]),
      work.gcc('lib', LIB, ['-g', ...KERNEL_FLAGS]),
      work.nasm('gdt', ASM),
    ];
    const pair = await work.linkBoth(['-T', 'kernel.ld', '-z', 'noexecstack', ...objects], 'order');
    expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
  });

  it('local symbols by the first output section each object reaches', async () => {
    const flags = ['-g', ...KERNEL_FLAGS];
    const objects = [
      work.gcc(
        'text',
        'static int twice(int x) { return 2 * x; }\nint use(int x) { return twice(x); }\n',
        flags,
      ),
      work.gcc(
        'font',
        'static const unsigned char glyphs[64] = {1, 2, 3};\nconst unsigned char *font = glyphs;\n',
        flags,
      ),
      work.gcc(
        'requests',
        '__attribute__((used, section(".requests"))) static volatile unsigned long rev[3] = {1, 2, 3};\nvoid kernel_main(void) { for (;;) {} }\n',
        flags,
      ),
    ];
    work.file(
      'requests.ld',
      SCRIPT.replace('__kernel_start = .;', '__kernel_start = .;\n  .requests : { KEEP(*(.requests)) }'),
    );
    const pair = await work.linkBoth(['-T', 'requests.ld', '-z', 'noexecstack', ...objects], 'locals');
    expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
  });
});
