/**
 * --gc-sections keeps COMDAT groups made only of debug sections, as ld does: gcc -g3 puts each header's macros in
 * a `wm4.*` group holding one .debug_macro, and dropping them cut .debug_macro (and changed the build ID).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_FLAGS, Workdir } from './oracle.js';

/** Every section header but the file offsets: name, type, size, flags. */
function sectionSizes(path: string): string[] {
  return execFileSync('readelf', ['-SW', path], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => /^\s+\[\s*\d+\]/.test(line))
    .map((line) => line.replace(/^\s+\[\s*\d+\]\s+/, '').split(/\s+/))
    .map((f) => `${f[0]} ${f[1]} size=${f[4]}`);
}

describe('--gc-sections and debug-only groups', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file(
      'kernel.ld',
      'ENTRY(kmain)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text .text.*) } .data : { *(.data .bss) } /DISCARD/ : { *(.eh_frame) } }\n',
    );
  });
  afterAll(() => work.dispose());

  it('gcc -g3 macro groups survive --gc-sections, and the build ID matches ld', async () => {
    const object = work.gcc(
      'macros',
      '#include <stdint.h>\n#include <stddef.h>\n#define ANSWER 42\nuint64_t counter;\nvoid kmain(void) { counter = ANSWER + sizeof(size_t); }\nvoid unused(void) { counter = 0; }\n',
      [...KERNEL_FLAGS, '-g3', '-ffunction-sections'],
    );
    const pair = await work.linkBoth(
      ['--gc-sections', '--build-id=sha1', '-T', 'kernel.ld', object],
      'macros',
    );
    expect(sectionSizes(pair.ours)).toEqual(sectionSizes(pair.ld));
    expect(execFileSync('readelf', ['-n', pair.ours], { encoding: 'utf8' })).toBe(
      execFileSync('readelf', ['-n', pair.ld], { encoding: 'utf8' }),
    );
  });
  it('debug info about TLS variables (DTPOFF32 in .debug_info), one of them collected, links byte-identical to ld', async () => {
    const source =
      '__thread int kept_tls = 1;\n__thread long dropped_tls = 2;\nint dropped(void) { return dropped_tls; }\nint kmain(void) { return kept_tls; }\n';
    for (const [name, flags] of [
      ['tls-dwarf5', ['-gdwarf-5']],
      ['tls-dwarf4', ['-gdwarf-4']],
    ] as const) {
      const object = work.gcc(name, source, [
        '-O2',
        '-g',
        ...flags,
        '-ffunction-sections',
        '-fdata-sections',
        '-fno-pic',
        '-fno-asynchronous-unwind-tables',
      ]);
      // Only the collected variable and only the kept one: both kinds of debug reference.
      for (const entry of ['kmain', 'dropped']) {
        const pair = await work.linkBoth(['--gc-sections', '-e', entry, object], `${name}-${entry}`);
        expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
      }
    }
  });
});
