/**
 * Mechanisms found by a second sweep of public kernels (Uinxed's -g3 build, subleq-emu's OUTPUT_FORMAT(binary),
 * a C++ i386 kernel linked with -melf_i386, a script whose INPUT() names the objects, RIOT's MEMORY script): each
 * case rebuilds one mechanism from scratch with gcc, GNU as or nasm and asserts ostool writes the file GNU ld
 * writes (and says what ld says, less the warnings ostool leaves out by design).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameFileAndMessages as expectIdentical, linkerMessages, Workdir } from './oracle.js';

describe('mechanisms of swept kernels link like GNU ld', () => {
  let work: Workdir;
  let text: string;
  let text32: string;
  beforeAll(() => {
    work = new Workdir();
    text = work.gas('text', '.text\n.globl _start\n_start: nop\n.data\n.long 1\n.bss\n.zero 8\n');
    text32 = work.gas('text32', '.text\n.globl _start\n_start: nop\n.data\n.long 1\n.bss\n.zero 8\n', [
      '--32',
    ]);
  });
  afterAll(() => work.dispose());

  it('-g3 debug macros: .debug_macro references into a losing COMDAT copy go to the kept copy', async () => {
    // gcc -g3 puts each header's macros in a wm4.* COMDAT group; a second object's main .debug_macro imports them.
    const header = work.file('macros.h', '#define ONE 1\n#define TWO 2\nint twice(int);\n');
    const flags = ['-g3', '-O2', '-fno-pie', '-include', header];
    const a = work.gcc('macro-a', 'int twice(int x) { return x * TWO; }\n', flags);
    const b = work.gcc('macro-b', 'int _start(void) { return twice(ONE); }\n', flags);
    work.file('macro.ld', 'SECTIONS { . = 0x1000; .text : { *(.text*) } }\n');
    expectIdentical(await work.linkBoth(['-T', 'macro.ld', a, b], 'macro'));
  });

  it('--build-id: the note ld makes goes first even when the script has read-only data; object notes follow it', async () => {
    const data = work.gcc('ro', 'const int k[4] = { 1, 2, 3, 4 };\nint f(void) { return k[1]; }\n', [
      '-O2',
      '-fno-pie',
    ]);
    const note = work.gas('note', '.section .note.foo,"a",@note\n.long 4, 4, 1\n.ascii "GNU\\0"\n.long 7\n');
    work.file('ro.ld', 'SECTIONS { . = 0x100000; .text : { *(.text) } .ro : { *(.rodata) } }\n');
    for (const [i, objects] of [[data], [data, note]].entries()) {
      expectIdentical(await work.linkBoth(['--build-id', '-T', 'ro.ld', ...objects], `build-id-${i}`));
      expectIdentical(await work.linkBoth(['-T', 'ro.ld', ...objects], `no-build-id-${i}`));
    }
  });

  it('binary output links like bfd generic linker: no gc, no string merging, no .eh_frame editing or build-id', async () => {
    const source = (n: string) =>
      `const char *a${n}(void) { return "hello world"; }\nint unused${n}(void) { return 42; }\n` +
      `int start${n}(void) { return a${n}()[0]; }\n`;
    const flags = ['-O2', '-fno-pie', '-ffunction-sections', '-fcf-protection=full'];
    const objects = [work.gcc('bin-1', source('1'), flags), work.gcc('bin-2', source('2'), flags)];
    work.file('bin.ld', 'SECTIONS { . = 0x1000; .text : { *(.text*) } .rodata : { *(.rodata*) } }\n');
    work.file('bin-script.ld', 'OUTPUT_FORMAT(binary)\nSECTIONS { . = 0x1000; .text : { *(.text*) } }\n');
    const forms = [
      ['--oformat', 'binary', '-T', 'bin.ld', '-e', 'start1'],
      ['--oformat', 'binary', '--gc-sections', '-T', 'bin.ld', '-e', 'start1'],
      ['--build-id', '--eh-frame-hdr', '-T', 'bin-script.ld', '-e', 'start1'],
    ];
    for (const [i, form] of forms.entries())
      expectIdentical(await work.linkBoth([...form, ...objects], `binary-${i}`));
  });

  it('-melf_i386 (the emulation joined to -m) and a script whose INPUT() names every object', async () => {
    work.file('joined.ld', 'OUTPUT_FORMAT(elf32-i386)\nSECTIONS { . = 0x100000; .text : { *(.text) } }\n');
    expectIdentical(await work.linkBoth(['-melf_i386', '-T', 'joined.ld', text32], 'joined-m'));
    work.file(
      'input.ld',
      `INPUT(${text})\nSECTIONS { . = 0x100000; .text : { *(.text) } .data : { *(.data) } }\n`,
    );
    expectIdentical(await work.linkBoth(['-T', 'input.ld'], 'script-input'));
  });

  it('an output section with only assignments: allocated NOBITS when `.` moves in it, else unallocated PROGBITS', async () => {
    const bodies = [
      '.e : { . = ALIGN(4096); }',
      '.e (NOLOAD) : { . = ALIGN(4096); }',
      '.e : { . += 64; }',
      '.e : { x = .; . = ALIGN(8); }',
      '.e : { . = ALIGN(4096); LONG(0) }',
      '.e : { LONG(0) . = ALIGN(4096); }',
      '.e : { x = .; LONG(0) }',
    ];
    const lead = ['', '. = ALIGN(4096);'];
    let n = 0;
    for (const body of bodies)
      for (const before of lead)
        for (const object of [text, text32]) {
          const name = `assign-only-${n++}`;
          work.file(
            `${name}.ld`,
            `SECTIONS { . = 0x1000; .text : { *(.text) } ${before} ${body} .data : { *(.data) } .bss : { *(.bss) } }\n`,
          );
          const machine = object === text32 ? ['-m', 'elf_i386'] : [];
          expectIdentical(await work.linkBoth([...machine, '-T', `${name}.ld`, object], name));
        }
  });

  it('demand-paged output keeps file contents after a NOBITS section in its segment (-N/-n start a new one)', async () => {
    const scripts = [
      '.text : { *(.text) } .bss : { *(.bss) } .data : { *(.data) }',
      '.text : { *(.text) } .bss : { *(.bss) . += 0x1000; } .data : { *(.data) }',
      '.x : { . += 0x100; } .text : { *(.text) } .data : { *(.data) }',
    ];
    for (const [i, body] of scripts.entries()) {
      work.file(`nobits-${i}.ld`, `SECTIONS { . = 0x1000; ${body} }\n`);
      for (const flag of [[], ['-N'], ['-n']])
        expectIdentical(
          await work.linkBoth([...flag, '-T', `nobits-${i}.ld`, text], `nobits-${i}-${flag.join('')}`),
        );
    }
  });

  it('MEMORY: LMAs follow the last section of the same region, and a section inherits the AT> region before it', async () => {
    const object = work.gcc(
      'regions',
      [
        '__attribute__((section(".usbdata"))) char usb[1024];',
        '__attribute__((section(".batteryram"))) unsigned backup[4];',
        'int counter = 1;',
        'int f(void) { return counter + usb[0] + backup[0]; }',
      ].join('\n'),
      ['-m32', '-O2', '-fno-pie', '-fno-asynchronous-unwind-tables'],
    );
    work.file(
      'regions.ld',
      [
        'MEMORY {',
        '  flash : ORIGIN = 0, LENGTH = 504K',
        '  ram : ORIGIN = 0x40000000, LENGTH = 64K',
        '  ram_usb : ORIGIN = 0x7FD00000, LENGTH = 16K',
        '  ram_eth : ORIGIN = 0x7FE00000, LENGTH = 16K',
        '  ram_battery : ORIGIN = 0xE0084000, LENGTH = 2K',
        '  rom2 : ORIGIN = 0x90000000, LENGTH = 64K',
        '}',
        'SECTIONS {',
        '  .text : { *(.text) } > flash',
        '  _etext = .;',
        '  .ctors (NOLOAD) : { . = ALIGN(4096); start_ctors = .; *(.ctors); } > ram',
        '  .data : AT (_etext) { *(.data) } > ram',
        '  .heap1 (NOLOAD) : { . += 0x100; } > ram',
        '  .heap2 (NOLOAD) : { . += 0x4000; } > ram_eth',
        '  . = ORIGIN(ram_usb);',
        '  .usbdata (NOLOAD) : { *(.usbdata) } > ram_usb',
        '  .heap3 ALIGN(0x1000) (NOLOAD) : { . += 0x1000; } > ram_usb',
        '  .batteryram (NOLOAD) : { *(.batteryram) } > ram_battery',
        '  .more : { LONG(2) } > ram AT> rom2',
        '  .after : { LONG(3) } > ram',
        '}',
      ].join('\n'),
    );
    expectIdentical(await work.linkBoth(['-m', 'elf_i386', '-T', 'regions.ld', object], 'regions'));
  });

  it('inside an output section an absolute symbol reads as a number (relative to the section, like numbers)', async () => {
    work.file(
      'abs-number.ld',
      [
        'abs1 = 0x40;',
        'SECTIONS {',
        '  . = 0x1000;',
        '  .text : { *(.text) }',
        '  .data : { *(.data) j = abs1; k = abs1 + .; l = . - abs1; . = abs1; m = .; n = ABSOLUTE(abs1); }',
        '  .bss : { *(.bss) o = abs1 * 2; p = SIZEOF(.data); q = ADDR(.data); r = q; }',
        '}',
      ].join('\n'),
    );
    expectIdentical(await work.linkBoth(['-T', 'abs-number.ld', text], 'abs-number'));
  });

  it('HIDDEN and PROVIDE_HIDDEN symbols ld makes local are written with default visibility', async () => {
    const user = work.gcc('hidden-user', 'extern char ph[], hr[];\nchar *q = ph, *r = hr;\n', ['-fno-pie']);
    work.file(
      'hidden.ld',
      'SECTIONS { .text : { *(.text) PROVIDE_HIDDEN(ph = .); HIDDEN(hx = .); HIDDEN(hr = .); } .data : { *(.data) } HIDDEN(hz = 6); }\n',
    );
    expectIdentical(await work.linkBoth(['-T', 'hidden.ld', text, user], 'hidden'));
  });

  it('--build-id of elf32-i386 output, and .eh_frame_hdr placed with the first object that has an .eh_frame', async () => {
    const boot =
      '.section .multiboot,"a"\n.long 0x1badb002, 0, -0x1badb002\n.text\n.globl _start\n_start: call kmain\n';
    const kmain = 'const char *msg = "hi";\nvoid kmain(void) { *(volatile char *)0xb8000 = msg[0]; }\n';
    work.file(
      'eh-hdr.ld',
      'ENTRY(_start)\nSECTIONS { . = 1M; .text : { *(.multiboot) *(.text) } .rodata : { *(.rodata) } .data : { *(.data) } }\n',
    );
    for (const bits of ['32', '64']) {
      const as = bits === '32' ? ['--32'] : [];
      const cc = bits === '32' ? ['-m32'] : [];
      const machine = bits === '32' ? ['-m', 'elf_i386'] : [];
      const first = work.gas(`eh-boot-${bits}`, boot, as);
      const second = work.gcc(`eh-kmain-${bits}`, kmain, [...cc, '-O2', '-fno-pie']);
      expectIdentical(
        await work.linkBoth(
          [...machine, '--build-id', '--eh-frame-hdr', '-T', 'eh-hdr.ld', first, second],
          `eh-hdr-${bits}`,
        ),
      );
    }
  });

  it('an ld -r object made of several files keeps each FILE symbol in the final link', async () => {
    const a = work.gcc('file-a', 'static int hidden_a = 1;\nint get_a(void) { return hidden_a; }\n', [
      '-O2',
      '-fno-pie',
    ]);
    const b = work.gcc('file-b', 'int b_value = 2;\nint get_b(void) { return b_value; }\n', [
      '-O2',
      '-fno-pie',
    ]);
    const c = work.gcc('file-c', 'static int hidden_c = 3;\nint get_c(void) { return hidden_c; }\n', [
      '-O2',
      '-fno-pie',
    ]);
    const main = work.gcc(
      'file-main',
      'int get_a(void), get_b(void), get_c(void);\nint _start(void) { return get_a() + get_b() + get_c(); }\n',
      ['-O2', '-fno-pie'],
    );
    await work.linkBoth(['-r', a, b, c], 'partial');
    const partial = `${work.path}/partial-ld.elf`;
    work.file('files.ld', 'SECTIONS { . = 0x1000; .text : { *(.text*) } .data : { *(.data*) } }\n');
    expectIdentical(await work.linkBoth(['-T', 'files.ld', main, partial], 'file-symbols'));
  });

  it("g++'s STB_GNU_UNIQUE statics keep their binding and make the output ELFOSABI_GNU", async () => {
    const source = (n: string) =>
      `inline int counter() { static int calls; return ++calls; }\ntemplate <typename T> struct S { static T v; };\n` +
      `template <typename T> T S<T>::v;\nint use${n}() { return counter() + ++S<int>::v; }\n`;
    const flags = ['-x', 'c++', '-O2', '-fno-pie', '-ffreestanding'];
    const one = work.gcc('unique-1', source('1'), flags);
    const two = work.gcc('unique-2', `${source('2')}extern "C" int _start() { return use2(); }\n`, flags);
    work.file('unique.ld', 'SECTIONS { . = 0x1000; .text : { *(.text*) } .bss : { *(.bss*) } }\n');
    for (const extra of [[], ['--build-id']])
      expectIdentical(await work.linkBoth([...extra, '-T', 'unique.ld', one, two], `unique-${extra.length}`));
  });

  it("TLS orphans after the script's .bss (.tbss before .tdata): thread pointer and PT_TLS size as bfd computes them", async () => {
    const percpu = work.gcc(
      'percpu',
      '__thread unsigned long cpu_id = 7;\n__thread unsigned long preempt;\n__thread char scratch[64];\nunsigned long total;\n' +
        'void kmain(void) { preempt++; total = cpu_id + preempt + scratch[3]; }\n',
      ['-O2', '-fno-pic', '-mcmodel=kernel', '-ftls-model=local-exec', '-fno-asynchronous-unwind-tables'],
    );
    work.file(
      'percpu.ld',
      'ENTRY(kmain)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text*) } . = ALIGN(4096); .data : { *(.data*) } .bss : { *(.bss*) } }\n',
    );
    const pair = await work.linkBoth(['-T', 'percpu.ld', percpu], 'percpu');
    expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
    // ld says it moved .tdata's LMA past .tbss's end in PT_TLS, naming its output file.
    expect(pair.ldStderr).toContain('section .tdata lma');
    const named = (text: string, path: string) => linkerMessages(text.split(path).join('OUT'));
    expect(named(pair.oursStderr, pair.ours)).toBe(named(pair.ldStderr, pair.ld));
  });

  it("the section of an expression: `.` with a number keeps `.`'s section, two absolutes in a section give a number", async () => {
    work.file(
      'expr-sections.ld',
      [
        'MEMORY { ram : ORIGIN = 0x40000000, LENGTH = 64K }',
        'abs1 = 4;',
        'sym0 = 0x40000002;',
        'SECTIONS {',
        '  .text : { *(.text) } > ram',
        '  .data : { *(.data) } > ram',
        '  a = ORIGIN(ram) + LENGTH(ram) - .;',
        '  b = ORIGIN(ram) + LENGTH(ram) - . - abs1;',
        '  c = 0x50000000 - .;',
        '  d = 4 - ADDR(.data);',
        '  e = 2 * .;',
        '  f = . / 2;',
        '  g = 0x50000000 - sym0;',
        '  .bss : { *(.bss) h = 0x10; i = ORIGIN(ram) - ABSOLUTE(.); j = ABSOLUTE(.) - 4; k = abs1 + 1; } > ram',
        '  .heap ALIGN(0x100) : { size = ORIGIN(ram) + 0x800 - ABSOLUTE(.); . += size; top = .; } > ram',
        '}',
      ].join('\n'),
    );
    expectIdentical(await work.linkBoth(['-T', 'expr-sections.ld', text], 'expr-sections'));
  });

  it('after an assignment to `.`, symbols go with the next section unless it follows the `_end` assignment', async () => {
    const scripts = [
      '.data : { *(.data) } . = ALIGN(4); x = .; .bss : { *(.bss) }',
      '.data : { *(.data) } . = ALIGN(4); x = .; /DISCARD/ : { *(.comment) } _end = .; y = .; .bss : { *(.bss) }',
      '.data : { *(.data) } . = ALIGN(4); _end = .; x = .; .heap : { . += 0x100; }',
    ];
    for (const [i, body] of scripts.entries()) {
      work.file(`after-end-${i}.ld`, `SECTIONS { . = 0x1000; .text : { *(.text) } . = 0x2000; ${body} }\n`);
      expectIdentical(await work.linkBoth(['-T', `after-end-${i}.ld`, text], `after-end-${i}`));
    }
  });

  it("binary output with ld's default script: no headers (SIZEOF_HEADERS 0), RELRO placement as for ELF", async () => {
    const user = work.gcc('bin-user', 'extern int shared;\nint get(void) { return shared; }\n', [
      '-O2',
      '-fPIE',
    ]);
    const data = work.gcc('bin-data', 'int shared = 5;\n', ['-O2', '-fPIE']);
    for (const extra of [[], ['-Ttext', '0x1000'], ['-z', 'norelro'], ['-N']])
      expectIdentical(
        await work.linkBoth(
          [...extra, '-e', 'get', '--oformat', 'binary', user, data],
          `bin-default-${extra.join('')}`,
        ),
      );
  });
});
