/**
 * Public-kernel differential tests: kernels shaped like real projects, compiled with each project's own gcc flags
 * and linked with each project's own ld command line, once by GNU ld and once by `ostool link` (same argv). The
 * outputs must agree in program headers, loaded bytes, entry point and symbol values.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsLd, Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const shared = new URL('../../../shared/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');

/** limine-c-template's CFLAGS and CPPFLAGS from its GNUmakefile, with gcc's supported-flag checks resolved. */
const TEMPLATE_CFLAGS = [
  ...['-g', '-O2', '-pipe', '-Wall', '-Wextra', '-std=gnu11', '-ffreestanding', '-fno-common'],
  ...['-fno-stack-protector', '-fno-stack-check', '-fno-PIC', '-ffunction-sections', '-fdata-sections'],
  ...['-m64', '-march=x86-64', '-mno-mmx', '-mno-sse', '-mno-red-zone', '-mcmodel=kernel'],
  ...['-fno-stack-clash-protection', '-fcf-protection=none', '-mno-80387', '-nostdinc'],
];
/** Its LDFLAGS as gcc hands them to ld (`-Wl,` removed; -nostdlib -static -no-pie as the driver passes them). */
const TEMPLATE_LDFLAGS = [
  ...['--build-id=sha1', '-nostdlib', '-static', '-z', 'max-page-size=0x1000', '-z', 'noexecstack'],
  ...['--gc-sections', '-T', 'x86_64.lds', '-m', 'elf_x86_64', '-no-pie'],
];

describe('public kernels link like GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
  });
  afterAll(() => work.dispose());

  const templateScript = join(shared, 'limine', 'c-template-linker-x86_64.ld.txt');
  it.skipIf(!existsQuiet(templateScript))(
    'limine-c-template: --gc-sections drops the unused mem* functions and prints what ld prints',
    async () => {
      copyFileSync(templateScript, join(work.path, 'x86_64.lds'));
      const main = work.gcc('template-main', source('limine-c-template.c'), TEMPLATE_CFLAGS);
      const pair = await work.linkBoth([...TEMPLATE_LDFLAGS, '--print-gc-sections', main], 'template');
      expectSameAsLd(pair);
      expect(pair.oursStderr).toBe(pair.ldStderr);
      expect(pair.ldStderr).toContain("removing unused section '.text.memcpy'");
    },
  );

  it.skipIf(!existsQuiet(templateScript))(
    "a -mcmodel=large kernel with Debian's default -fPIE (GOTOFF64, GOTPC64, .got.plt orphan in the data PHDR)",
    async () => {
      // The template's script keeps .got here: ld itself refuses to discard the GOT a large-model kernel uses.
      const script = readFileSync(templateScript, 'utf8').replace('*(.got .got.*)', '');
      work.file('large.lds', script);
      const flags = TEMPLATE_CFLAGS.map((f) =>
        f === '-mcmodel=kernel' ? '-mcmodel=large' : f === '-fno-PIC' ? '-fPIE' : f,
      );
      const main = work.gcc('large-main', source('limine-c-template.c'), flags);
      const ldFlags = TEMPLATE_LDFLAGS.map((f) => (f === 'x86_64.lds' ? 'large.lds' : f));
      const pair = await work.linkBoth([...ldFlags, main], 'large');
      expectSameAsLd(pair);
    },
  );

  const limineTest = join(shared, 'conformance', 'limine-test');
  it.skipIf(!existsQuiet(join(limineTest, 'test', 'linker.ld')))(
    "Limine's test kernel layout: -fPIE objects, `-pie -ztext`, PHDRS with PT_PHDR, FILEHDR and PT_DYNAMIC",
    async () => {
      // Limine's test.mk CFLAGS (its own sources need a limine.h and flanterm the corpus lacks: a kernel of ours).
      const flags = [
        ...[
          '-O2',
          '-g',
          '-Wall',
          '-Wextra',
          '-std=c11',
          '-nostdinc',
          '-ffreestanding',
          '-fno-stack-protector',
        ],
        ...['-fno-stack-check', '-fno-lto', '-fPIE', '-m64', '-march=x86-64', '-mgeneral-regs-only'],
        '-mno-red-zone',
      ];
      copyFileSync(join(limineTest, 'test', 'linker.ld'), join(work.path, 'linker.ld'));
      const objects = [
        work.gcc('pie-kernel', source('pie-kernel.c'), flags),
        work.gcc('pie-e9', source('pie-e9.c'), flags),
      ];
      const ldArgs = [
        '-m',
        'elf_x86_64',
        '-Tlinker.ld',
        '-nostdlib',
        '-zmax-page-size=0x1000',
        '-pie',
        '-ztext',
      ];
      for (const extra of [
        [],
        ['--hash-style=gnu'],
        ['--hash-style=sysv'],
        ['--no-dynamic-linker'],
        ['-E'],
      ]) {
        const pair = await work.linkBoth([...objects, ...ldArgs, ...extra], `pie${extra.join('')}`);
        expectSameAsLd(pair);
        expect(dynamicSection(pair.ours)).toBe(dynamicSection(pair.ld));
        expect(dynamicRelocations(pair.ours)).toBe(dynamicRelocations(pair.ld));
        expect(dynamicRelocations(pair.ld)).toContain('R_X86_64_RELATIVE');
      }
    },
  );
});

function dynamicSection(path: string): string {
  return execFileSync('readelf', ['-dW', path], { encoding: 'utf8' });
}

function dynamicRelocations(path: string): string {
  return execFileSync('readelf', ['-rW', path], { encoding: 'utf8' });
}

function existsQuiet(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}
