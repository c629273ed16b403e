/**
 * Constructors in kernels (gcc's __attribute__((constructor)), C++ globals): ld gives init/fini array output
 * sections one address per entry as sh_entsize, and a -pie output DT_PREINIT_ARRAY/DT_INIT_ARRAY/DT_FINI_ARRAY
 * with their sizes when such an output section got an input — a PT_DYNAMIC kernel script as hobby kernels copy
 * from the old Limine templates, which leave `.init_array` an orphan.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, Workdir } from './oracle.js';

const SOURCE = `
int ready;
__attribute__((constructor)) static void setup(void) { ready = 1; }
__attribute__((destructor)) static void teardown(void) { ready = 0; }
__attribute__((section(".preinit_array"), used)) static void (*early)(void) = setup;
void _start(void) { for (;;) __asm__ volatile("hlt" :: "r"(ready)); }
`;

/** The PT_DYNAMIC-era template layout: .dynamic named, .init_array/.fini_array/.preinit_array left to ld. */
const DYNAMIC_SCRIPT = `PHDRS { text PT_LOAD; data PT_LOAD; dynamic PT_DYNAMIC; }
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) } :text
  . += CONSTANT(MAXPAGESIZE);
  .data : { *(.data .data.*) } :data
  .dynamic : { *(.dynamic) } :data :dynamic
  .bss : { *(.bss .bss.*) } :data
  /DISCARD/ : { *(.eh_frame) *(.note .note.*) }
}
`;

const sectionHeaders = (path: string) =>
  execFileSync('readelf', ['-SW', path], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /_array/.test(l));
const dynamicTags = (path: string) => execFileSync('readelf', ['-dW', path], { encoding: 'utf8' });

describe('init and fini arrays like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('dynamic.ld', DYNAMIC_SCRIPT);
  });
  afterAll(() => work.dispose());

  it('-pie with a PT_DYNAMIC script: the array tags and entry sizes', async () => {
    const object = work.gcc('pie-ctors', SOURCE, [
      '-O2',
      '-ffreestanding',
      '-fPIE',
      '-fno-asynchronous-unwind-tables',
    ]);
    const pair = await work.linkBoth(
      ['-nostdlib', '-static', '-pie', '--no-dynamic-linker', '-z', 'text', '-T', 'dynamic.ld', object],
      'pie',
    );
    expect(dynamicTags(pair.ld)).toMatch(/\(PREINIT_ARRAY\)[\s\S]*\(INIT_ARRAY\)[\s\S]*\(FINI_ARRAYSZ\)/);
    expect(dynamicTags(pair.ours)).toBe(dynamicTags(pair.ld));
    expect(sectionHeaders(pair.ours)).toEqual(sectionHeaders(pair.ld));
    const [ours, ld] = [describeElf(pair.ours), describeElf(pair.ld)];
    expect(ours.phdrs).toBe(ld.phdrs);
    expect(ours.image).toEqual(ld.image);
    expect(ours.symbols).toEqual(ld.symbols);
  });

  it('-pie with the constructors gathered into .data: no array tags', async () => {
    const script = DYNAMIC_SCRIPT.replace(
      '*(.data .data.*)',
      '*(.data .data.*) *(.init_array .fini_array .preinit_array)',
    );
    work.file('gathered.ld', script);
    const object = work.gcc('pie-gathered', SOURCE, [
      '-O2',
      '-ffreestanding',
      '-fPIE',
      '-fno-asynchronous-unwind-tables',
    ]);
    const pair = await work.linkBoth(
      ['-nostdlib', '-static', '-pie', '--no-dynamic-linker', '-T', 'gathered.ld', object],
      'gathered',
    );
    expect(dynamicTags(pair.ld)).not.toContain('INIT_ARRAY');
    expect(dynamicTags(pair.ours)).toBe(dynamicTags(pair.ld));
    expect(describeElf(pair.ours).image).toEqual(describeElf(pair.ld).image);
  });

  it('a static kernel whose .init_array is an orphan: the section entry size', async () => {
    const object = work.gcc('static-ctors', SOURCE, [
      '-O2',
      '-ffreestanding',
      '-fno-pic',
      '-mcmodel=kernel',
      '-fno-asynchronous-unwind-tables',
    ]);
    const script = DYNAMIC_SCRIPT.replace(
      / *dynamic PT_DYNAMIC;|\s*\.dynamic : \{[^}]*\} :data :dynamic/g,
      '',
    );
    work.file('static.ld', script);
    const pair = await work.linkBoth(['-nostdlib', '-static', '-T', 'static.ld', object], 'static');
    expect(sectionHeaders(pair.ld).join('\n')).toMatch(/INIT_ARRAY\s+\S+ \S+ 000008 08/);
    expect(sectionHeaders(pair.ours)).toEqual(sectionHeaders(pair.ld));
    expect(describeElf(pair.ours).image).toEqual(describeElf(pair.ld).image);
  });
});
