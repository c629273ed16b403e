/**
 * Differential tests for C objects built with gcc's default unwind tables: `.eh_frame` edited as bfd edits it
 * (trailing DW_CFA_nops trimmed, records re-aligned, FDEs of collected functions and unused CIEs dropped, input
 * sections padded inside their last record) only in the output section named `.eh_frame`.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectSameAsLd, Workdir } from './oracle.js';

const MAIN = `
int counter;
int helper(int x) { return x * 3 + counter; }
int other(int y) { return helper(y) + 1; }
static int unused_local(int z) { return z * z * z + other(z); }
int (*keep_pointer)(int) = unused_local;
void _start(void) { counter = other(2); for (;;) __asm__ volatile("hlt"); }
`;

const LIB = `
extern int helper(int);
int lib_used(int q) { return helper(q) - 7; }
int lib_unused(int q) { for (int i = 0; i < q; i++) q ^= helper(i); return q; }
long lib_big(long a, long b, long c, long d) { return a * b + helper((int)(c - d)) * lib_used((int)a); }
`;

const UNUSED = `
int only_here(int a) { return a + 41; }
int also_here(int a) { return only_here(a) * 2; }
`;

const SCRIPT = (eh: string) => `
ENTRY(_start)
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) ${eh === 'rodata' ? '*(.eh_frame)' : ''} }
  ${eh === 'keep' ? '.eh_frame : { KEEP(*(.eh_frame)) }' : eh === 'plain' ? '.eh_frame : { *(.eh_frame) }' : ''}
  .data : { *(.data .data.*) }
  .bss : { *(.bss .bss.*) *(COMMON) }
}
`;

describe('.eh_frame from gcc unwind tables links like GNU ld', () => {
  let work: Workdir;
  let objects: string[];
  beforeAll(() => {
    work = new Workdir();
    it('without a script, as a static executable: ld lays the data segment out again after editing .eh_frame', async () => {
      for (const extra of [[], ['--gc-sections'], ['-z', 'norelro'], ['-z', 'max-page-size=0x2000']])
        expectSameAsLd(await work.linkBoth([...extra, ...objects], `eh-default-${extra.join('')}`));
    });

    it('--eh-frame-hdr: .eh_frame_hdr search table, PT_GNU_EH_FRAME and __GNU_EH_FRAME_HDR as ld writes them', async () => {
      for (const extra of [[], ['--gc-sections'], ['-T', 'keep.ld'], ['-T', 'keep.ld', '--gc-sections']])
        expectSameAsLd(
          await work.linkBoth(['--eh-frame-hdr', ...extra, ...objects], `eh-hdr-${extra.join('')}`),
        );
    });

    for (const eh of ['keep', 'plain', 'rodata']) work.file(`${eh}.ld`, SCRIPT(eh));
    const flags = ['-O2', '-ffreestanding', '-fno-pic', '-mcmodel=kernel', '-ffunction-sections'];
    objects = [
      work.gcc('unwind-main', MAIN, flags),
      work.gcc('unwind-lib', LIB, flags),
      work.gcc('unwind-unused', UNUSED, flags),
      // -O0 frames (push rbp, def_cfa_register) next to -O2 ones: different CIE users and FDE lengths.
      work.gcc('unwind-O0', UNUSED.replaceAll('here', 'at_O0').concat(LIB.replace(/lib_/g, 'o0_')), [
        ...flags.slice(1),
        '-O0',
      ]),
    ];
  });
  afterAll(() => work.dispose());

  it('without a script, as a static executable: ld lays the data segment out again after editing .eh_frame', async () => {
    for (const extra of [[], ['--gc-sections'], ['-z', 'norelro'], ['-z', 'max-page-size=0x2000']])
      expectSameAsLd(await work.linkBoth([...extra, ...objects], `eh-default-${extra.join('')}`));
  });

  it('--eh-frame-hdr: .eh_frame_hdr search table, PT_GNU_EH_FRAME and __GNU_EH_FRAME_HDR as ld writes them', async () => {
    for (const extra of [[], ['--gc-sections'], ['-T', 'keep.ld'], ['-T', 'keep.ld', '--gc-sections']])
      expectSameAsLd(
        await work.linkBoth(['--eh-frame-hdr', ...extra, ...objects], `eh-hdr-${extra.join('')}`),
      );
  });

  for (const eh of ['keep', 'plain', 'rodata'])
    for (const gc of [false, true])
      it(`.eh_frame ${eh === 'keep' ? 'KEEPed in its own output section' : eh === 'plain' ? 'in its own output section' : 'placed inside .rodata'}${gc ? ', --gc-sections' : ''}`, async () => {
        const args = ['-T', `${eh}.ld`, ...(gc ? ['--gc-sections'] : []), ...objects];
        expectSameAsLd(await work.linkBoth(args, `eh-${eh}-${gc}`));
      });
});
