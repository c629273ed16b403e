import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKernelElf, parseProject } from '../../src/build/index.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-driver-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCRIPT =
  'ENTRY(start)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text) } .data : { *(.data) } }\n';

function project(dir: string, toml: string) {
  mkdirSync(join(dir, 'src', 'inc'), { recursive: true });
  writeFileSync(join(dir, 'k.ld'), SCRIPT);
  writeFileSync(join(dir, 'ostool.toml'), toml);
  return () => parseProject(readFileSync(join(dir, 'ostool.toml'), 'utf8'), join(dir, 'ostool.toml'));
}

/** Makes a file look edited after everything built so far (file times have sub-millisecond resolution). */
function touchLater(path: string): void {
  const start = Date.now();
  while (Date.now() - start < 5) {
    // let the clock move past the last object's time
  }
  const now = new Date();
  utimesSync(path, now, now);
}

describe('the build driver', () => {
  const dir = join(work, 'asm');
  const load = project(
    dir,
    '[build]\nsources = ["src/**/*.asm"]\ninclude = ["src/inc"]\nlinker_script = "k.ld"\n',
  );
  writeFileSync(join(dir, 'src', 'inc', 'ports.inc'), 'EXIT equ 0xf4\n');
  writeFileSync(
    join(dir, 'src', 'start.asm'),
    'bits 64\n%include "ports.inc"\nextern helper\nglobal start\nsection .text\nstart:\n call helper\n out EXIT, al\n',
  );
  writeFileSync(
    join(dir, 'src', 'helper.asm'),
    'bits 64\nglobal helper\nsection .text\nhelper:\n mov al, 0x10\n ret\n',
  );

  it('builds one object per source and links them', async () => {
    const built = await buildKernelElf({ project: load() });
    expect(built.compiled).toEqual(['src/helper.asm', 'src/start.asm']);
    expect(built.linked).toBe(true);
    const symbols = execFileSync('nm', [built.path], { encoding: 'utf8' });
    expect(symbols).toMatch(/ T helper\n/);
    expect(symbols).toMatch(/ T start\n/);
    expect(readFileSync(join(dir, 'build', 'obj', 'src', 'start.asm.d'), 'utf8')).toContain(
      'src/inc/ports.inc',
    );
  });

  it('compiles and links nothing when nothing changed', async () => {
    const built = await buildKernelElf({ project: load() });
    expect(built.compiled).toEqual([]);
    expect(built.linked).toBe(false);
  });

  it('rebuilds only the sources that include a changed file', async () => {
    touchLater(join(dir, 'src', 'inc', 'ports.inc'));
    const built = await buildKernelElf({ project: load() });
    expect(built.compiled).toEqual(['src/start.asm']);
    expect(built.linked).toBe(true);
  });

  it('rebuilds every object when a define changes, and relinks when only the linker script changes', async () => {
    writeFileSync(
      join(dir, 'ostool.toml'),
      '[build]\nsources = ["src/**/*.asm"]\ninclude = ["src/inc"]\nlinker_script = "k.ld"\ndefines = ["X=1"]\n',
    );
    expect((await buildKernelElf({ project: load() })).compiled).toHaveLength(2);
    touchLater(join(dir, 'k.ld'));
    const relinked = await buildKernelElf({ project: load() });
    expect(relinked.compiled).toEqual([]);
    expect(relinked.linked).toBe(true);
  });

  it('reports an assembler error with the root-relative file and line, and keeps the old object', async () => {
    const object = join(dir, 'build', 'obj', 'src', 'helper.asm.o');
    const before = readFileSync(object);
    writeFileSync(join(dir, 'src', 'helper.asm'), 'bits 64\nsection .text\nhelper:\n mov al,\n');
    await expect(buildKernelElf({ project: load() })).rejects.toThrow(/^src\/helper\.asm:4:\d+: error: /);
    expect(readFileSync(object).equals(before)).toBe(true);
  });
});

describe('the build driver with C sources', () => {
  it('compiles C with the freestanding flags and dependency files, and says clearly when there is no compiler', async () => {
    const dir = join(work, 'c');
    const load = project(
      dir,
      '[build]\nsources = ["src/*.c", "src/*.S"]\ninclude = ["src/inc"]\nlinker_script = "k.ld"\n',
    );
    writeFileSync(
      join(dir, 'src', 'entry.S'),
      '#include "value.h"\n.globl answer\nanswer:\n  movl $VALUE, %eax\n  ret\n',
    );
    writeFileSync(join(dir, 'src', 'inc', 'value.h'), '#define VALUE 42\n');
    writeFileSync(
      join(dir, 'src', 'k.c'),
      '#include "value.h"\nint value = VALUE;\nvoid start(void) { for (;;) {} }\n',
    );
    const built = await buildKernelElf({ project: load() });
    expect(built.compiled).toEqual(['src/entry.S', 'src/k.c']);
    expect(execFileSync('nm', [built.path], { encoding: 'utf8' })).toMatch(/ T answer\n/);
    expect(readFileSync(join(dir, 'build', 'obj', 'src', 'k.c.d'), 'utf8')).toContain('src/inc/value.h');
    expect(execFileSync('readelf', ['-hW', built.path], { encoding: 'utf8' })).toMatch(
      /Entry point address:\s+0xffffffff8000[0-9a-f]{4}\n/,
    );

    writeFileSync(
      join(dir, 'ostool.toml'),
      '[build]\nsources = ["src/*.c"]\ncc = "no-such-cc"\nlinker_script = "k.ld"\n',
    );
    await expect(buildKernelElf({ project: load() })).rejects.toThrow(
      /no C compiler: `no-such-cc` is not on PATH/,
    );
  });
});

describe('asm_flags -g', () => {
  it('builds objects with DWARF line info, so the linked kernel maps addresses to source lines', async () => {
    const dir = join(work, 'debug');
    const load = project(
      dir,
      '[build]\nsources = ["src/*.asm"]\nasm_flags = ["-g"]\nlinker_script = "k.ld"\n',
    );
    writeFileSync(
      join(dir, 'src', 'start.asm'),
      'bits 64\nglobal start\nsection .text\nstart:\n nop\n hlt\n',
    );
    const built = await buildKernelElf({ project: load() });
    const lines = execFileSync('readelf', ['--debug-dump=decodedline', built.path], { encoding: 'utf8' });
    expect(lines).toMatch(/start\.asm\s+5\s+0xffffffff80000000/);
    expect(lines).toMatch(/start\.asm\s+6\s+0xffffffff80000001/);
    expect(() =>
      parseProject(
        '[build]\nsources = ["src/*.asm"]\nasm_flags = ["-F", "codeview"]\n',
        join(dir, 'bad.toml'),
      ),
    ).toThrow(/unknown debug format "codeview"/);
  });
});
