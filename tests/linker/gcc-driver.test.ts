/**
 * Kernels linked through gcc (`$(CC) $(LDFLAGS) ... -lgcc`, as CMake and limine-c-template do) hand ld the argv
 * gcc's driver builds: --build-id, --hash-style=gnu, --as-needed, its -L search path. `ostool link` takes that
 * argv unchanged and gives ld's output.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, KERNEL_FLAGS, Workdir } from './oracle.js';

/** What gcc -nostdlib -static passes collect2, without the LTO plugin and the output file. */
function driverArgs(work: Workdir, ldflags: string[], objects: string[]): string[] {
  const flags = ldflags.map((f) => `-Wl,${f}`);
  const result = spawnSync('gcc', ['-nostdlib', '-static', ...flags, '-###', ...objects, '-lgcc'], {
    cwd: work.path,
    encoding: 'utf8',
  }).stderr;
  const line = result.split('\n').find((l) => l.includes('collect2'));
  if (!line) throw new Error(`no collect2 line in:\n${result}`);
  const argv = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-plugin' || argv[i] === '-o') i++;
    else if (!argv[i]!.startsWith('-plugin-opt')) out.push(argv[i]!);
  }
  return out;
}

describe("gcc's driver argv", () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
  });
  afterAll(() => work.dispose());

  it('links like ld, --as-needed and -lgcc (a 128-bit division from libgcc.a) included', async () => {
    const object = work.gcc(
      'driver-kernel',
      'unsigned __int128 q; void kmain(unsigned __int128 a, unsigned __int128 b) { q = a / b; for (;;); }\n',
      KERNEL_FLAGS,
    );
    work.file(
      'driver.ld',
      'ENTRY(kmain)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text .text.*) } .data : { *(.data .bss) } /DISCARD/ : { *(.eh_frame) *(.note .note.*) } }\n',
    );
    const args = driverArgs(work, ['-T', 'driver.ld', '-z', 'max-page-size=0x1000'], [object]);
    expect(args).toContain('--as-needed');
    const pair = await work.linkBoth(args, 'driver');
    const expected = describeElf(pair.ld);
    const actual = describeElf(pair.ours);
    expect(actual.phdrs).toBe(expected.phdrs);
    expect(actual.image).toEqual(expected.image);
    expect(actual.symbols).toEqual(expected.symbols);
    expect(expected.symbols.some((s) => s.includes('__udivti3'))).toBe(true);
  });

  it('takes --no-warn-rwx-segments and --no-warn-execstack (kernel Makefiles silence binutils 2.39+ with them)', async () => {
    const object = work.nasm('rwx', 'section .text\nglobal kmain\nkmain: hlt\nsection .data\ndq 1\n');
    work.file(
      'rwx.ld',
      'ENTRY(kmain)\nSECTIONS { . = 0x100000; .text : { *(.text) } .data : { *(.data) } }\n',
    );
    const pair = await work.linkBoth(
      ['--no-warn-rwx-segments', '--no-warn-execstack', '-T', 'rwx.ld', object],
      'rwx',
    );
    expect(describeElf(pair.ours)).toEqual(describeElf(pair.ld));
    expect(pair.ldStderr).toBe('');
    expect(pair.oursStderr).toBe('');
  });
});
