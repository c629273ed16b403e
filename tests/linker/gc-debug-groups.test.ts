/**
 * --gc-sections keeps COMDAT groups made only of debug sections, as ld does: gcc -g3 puts each header's macros in
 * a `wm4.*` group holding one .debug_macro, and dropping them cut .debug_macro (and changed the build ID).
 */
import { execFileSync } from 'node:child_process';
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
});
