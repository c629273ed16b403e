/**
 * --build-id=sha1|md5 hashes the file as ld does (headers with their offsets zeroed, section contents, the note
 * itself zero, ld's own symbol and string tables left out), so a kernel that asks for a build ID, as
 * limine-c-template does, loads the same bytes as ld's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/reader.js';
import { KERNEL_FLAGS, Workdir } from './oracle.js';

const KERNEL = `
__attribute__((used, section(".limine_requests"))) static volatile unsigned long base_revision[3] = { 1, 2, 3 };
static const char message[] = "hello";
int counter;
void kmain(void) {
  for (const char *p = message; *p; p++) __asm__ volatile("outb %0, $0xe9" : : "a"(*p));
  counter++;
  for (;;) __asm__ volatile("hlt");
}
`;

const SCRIPT = `ENTRY(kmain)
PHDRS { requests PT_LOAD FLAGS(6); text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }
SECTIONS {
  . = 0xffffffff80000000;
  .limine_requests : { KEEP(*(.limine_requests)) } :requests
  . = ALIGN(CONSTANT(MAXPAGESIZE));
  .text : { *(.text .text.*) } :text
  . = ALIGN(CONSTANT(MAXPAGESIZE));
  .rodata : { *(.rodata .rodata.*) } :rodata
  .note.gnu.build-id : { *(.note.gnu.build-id) } :rodata
  . = ALIGN(CONSTANT(MAXPAGESIZE));
  .data : { *(.data .data.*) } :data
  .bss : { *(.bss .bss.*) *(COMMON) } :data
  /DISCARD/ : { *(.eh_frame*) *(.note .note.*) }
}
`;

function buildId(path: string): string {
  const elf = readElf(path, readFileSync(path));
  const note = elf.sections.find((s) => s.name === '.note.gnu.build-id');
  if (!note) throw new Error(`${path}: no .note.gnu.build-id`);
  return Buffer.from(note.data).toString('hex');
}

/** Every PT_LOAD's file bytes, unmasked. */
function loadedBytes(path: string): string[] {
  const data = readFileSync(path);
  return readElf(path, data)
    .segments.filter((p) => p.type === 1)
    .map((p) => data.subarray(p.offset, p.offset + p.filesz).toString('hex'));
}

describe('--build-id like ld', () => {
  let work: Workdir;
  let kernel: string;
  beforeAll(() => {
    work = new Workdir();
    work.file('kernel.ld', SCRIPT);
    // -g: debug sections are hashed too.
    kernel = work.gcc('build-id-kernel', KERNEL, [...KERNEL_FLAGS, '-g', '-ffunction-sections']);
  });
  afterAll(() => work.dispose());

  for (const style of ['sha1', 'md5']) {
    it(`--build-id=${style} of a kernel with debug info and a symbol table gives ld's ID`, async () => {
      const args = [
        `--build-id=${style}`,
        '-nostdlib',
        '-static',
        '-z',
        'max-page-size=0x1000',
        '--gc-sections',
      ];
      const pair = await work.linkBoth([...args, '-T', 'kernel.ld', kernel], `kernel-${style}`);
      expect(buildId(pair.ours)).toBe(buildId(pair.ld));
      expect(loadedBytes(pair.ours)).toEqual(loadedBytes(pair.ld));
    });
  }

  it("gcc's bare --build-id, then -Wl,--build-id=sha1, and -s (no symbol table at all) give ld's ID", async () => {
    const pair = await work.linkBoth(
      ['--build-id', '--build-id=sha1', '-s', '-T', 'kernel.ld', kernel],
      'kernel-stripped',
    );
    expect(buildId(pair.ours)).toBe(buildId(pair.ld));
    expect(loadedBytes(pair.ours)).toEqual(loadedBytes(pair.ld));
  });

  it('a build ID inside a larger output section hashes the rest of that section', async () => {
    work.file(
      'inside.ld',
      SCRIPT.replace(/\.note\.gnu\.build-id : \{[^}]*\} :rodata\n/, '').replace(
        '.rodata : { *(.rodata .rodata.*) }',
        '.rodata : { *(.rodata .rodata.*) *(.note.gnu.build-id) }',
      ),
    );
    const pair = await work.linkBoth(['--build-id=sha1', '-T', 'inside.ld', kernel], 'kernel-inside');
    const ours = loadedBytes(pair.ours);
    expect(ours).toEqual(loadedBytes(pair.ld));
    expect(ours.join('')).not.toMatch(/^0*$/);
  });
});
