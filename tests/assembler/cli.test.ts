/** `ostool asm`: nasm-compatible flags, output naming, dependency files, and safe output writing. */

import { execa } from 'execa';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNasm } from './oracle.js';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ostool-asm-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  return execa('node', [ostool, 'asm', ...args], { cwd: dir, reject: false, stdin: 'ignore' });
}

describe('ostool asm', () => {
  it('assembles with nasm-style attached and separate flag values, like nasm does', async () => {
    mkdirSync(join(dir, 'include'));
    writeFileSync(join(dir, 'include', 'defs.inc'), '%define VALUE 7\n');
    const source = '%include "defs.inc"\nbits 64\nmov eax, VALUE + EXTRA\n%ifdef FLAG\nnop\n%endif\n';
    writeFileSync(join(dir, 'prog.asm'), source);
    const result = await run(['-felf64', '-Iinclude/', '-D', 'EXTRA=1', '-DFLAG', '-o', 'out.o', 'prog.asm']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const nasm = runNasm(source, 'elf64', { 'include/defs.inc': '%define VALUE 7\n' }, 'prog.asm', [
      '-Iinclude/',
      '-DEXTRA=1',
      '-DFLAG',
    ]);
    const ours = readFileSync(join(dir, 'out.o'));
    // same .text bytes: b8 08 00 00 00 90
    expect(Buffer.from(ours).includes(Buffer.from([0xb8, 0x08, 0, 0, 0, 0x90]))).toBe(true);
    expect(Buffer.from(nasm.output!).includes(Buffer.from([0xb8, 0x08, 0, 0, 0, 0x90]))).toBe(true);
  });

  it('derives the output name like nasm: x.asm -> x for bin, x.o for elf64', async () => {
    writeFileSync(join(dir, 'boot.asm'), 'db 0x55, 0xAA\n');
    expect((await run(['boot.asm'])).exitCode).toBe(0);
    expect([...readFileSync(join(dir, 'boot'))]).toEqual([0x55, 0xaa]);
    expect((await run(['-f', 'elf64', 'boot.asm'])).exitCode).toBe(0);
    expect(existsSync(join(dir, 'boot.o'))).toBe(true);
  });

  it('exits 1 on errors, prints them with file:line:column, and leaves no output file', async () => {
    writeFileSync(join(dir, 'bad.asm'), 'mov eax, ebx, ecx\nmov [rax], 5\n');
    const result = await run(['-f', 'elf64', 'bad.asm', '-o', 'bad.o']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('bad.asm:1:1: error: invalid combination of opcode and operands');
    expect(result.stderr).toContain('bad.asm:2:1: error: operation size not specified');
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(readdirSync(dir)).toEqual(['bad.asm']);
  });

  it('keeps an existing output file intact when assembly fails', async () => {
    writeFileSync(join(dir, 'bad.asm'), 'jmp nowhere\n');
    writeFileSync(join(dir, 'old.bin'), 'previous contents');
    expect((await run(['bad.asm', '-o', 'old.bin'])).exitCode).toBe(1);
    expect(readFileSync(join(dir, 'old.bin'), 'utf8')).toBe('previous contents');
  });

  it('writes to /dev/null without removing or replacing it, on success and on failure', async () => {
    writeFileSync(join(dir, 'ok.asm'), 'nop\n');
    writeFileSync(join(dir, 'bad.asm'), 'bogus eax\n');
    const before = statSync('/dev/null');
    expect((await run(['ok.asm', '-o', '/dev/null'])).exitCode).toBe(0);
    expect((await run(['bad.asm', '-o', '/dev/null'])).exitCode).toBe(1);
    const after = statSync('/dev/null');
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
  });

  it('writes make-style dependencies with -MD and prints them with -M', async () => {
    writeFileSync(join(dir, 'a.inc'), 'db 1\n');
    writeFileSync(join(dir, 'blob.bin'), 'xyz');
    writeFileSync(join(dir, 'main.asm'), '%include "a.inc"\nincbin "blob.bin"\n');
    const md = await run(['-f', 'bin', 'main.asm', '-o', 'main.bin', '-MD', 'main.d']);
    expect(md.exitCode).toBe(0);
    expect(readFileSync(join(dir, 'main.d'), 'utf8')).toBe(
      'main.bin : main.asm \\\n  a.inc \\\n  blob.bin\n',
    );
    const m = await run(['-M', 'main.asm']);
    expect(m.exitCode).toBe(0);
    expect(m.stdout).toBe('main : main.asm \\\n  a.inc \\\n  blob.bin');
  });

  it('writes a listing with -l', async () => {
    writeFileSync(join(dir, 'l.asm'), 'bits 64\nmov eax, 1\n');
    expect((await run(['-f', 'elf64', 'l.asm', '-l', 'l.lst'])).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'l.lst'), 'utf8')).toContain(
      '     2 00000000 B801000000              mov eax, 1',
    );
  });

  it('writes the listing of a failed assembly that reached its last pass, none after a first-pass error, as nasm', async () => {
    for (const [name, source] of [
      ['last', 'nop\ntimes -1 db 0\n%error boom\nnop\n'],
      ['first', 'nop\nfoo bar baz\nnop\n'],
    ] as const) {
      writeFileSync(join(dir, `${name}.asm`), source);
      const nasm = await execa(
        'nasm',
        ['-f', 'bin', `${name}.asm`, '-o', `${name}.n`, '-l', `${name}.nlst`],
        {
          cwd: dir,
          reject: false,
        },
      );
      const ours = await run(['-f', 'bin', `${name}.asm`, '-o', `${name}.o`, '-l', `${name}.lst`]);
      expect(ours.exitCode).toBe(1);
      expect(nasm.exitCode).toBe(1);
      expect(existsSync(join(dir, `${name}.o`))).toBe(false);
      expect(existsSync(join(dir, `${name}.lst`))).toBe(existsSync(join(dir, `${name}.nlst`)));
      if (name === 'last')
        expect(readFileSync(join(dir, `${name}.lst`), 'utf8')).toBe(
          readFileSync(join(dir, `${name}.nlst`), 'utf8'),
        );
    }
  });

  it('starts in the mode --bits N names, as nasm does, and rejects other values', async () => {
    writeFileSync(join(dir, 'b.asm'), 'mov eax, [ebx]\ndb __?BITS?__\n');
    expect((await run(['--bits', '32', 'b.asm', '-o', 'b.bin'])).exitCode).toBe(0);
    const nasm = runNasm('bits 32\nmov eax, [ebx]\ndb 32\n', 'bin');
    expect(Buffer.from(readFileSync(join(dir, 'b.bin'))).toString('hex')).toBe(
      Buffer.from(nasm.output!).toString('hex'),
    );
    expect((await run(['--bits', '8', 'b.asm'])).exitCode).toBe(2);
  });

  it('rejects unknown formats, unknown options and a missing input with usage errors', async () => {
    writeFileSync(join(dir, 'x.asm'), 'nop\n');
    const format = await run(['-f', 'win64', 'x.asm']);
    expect(format.exitCode).toBe(2);
    expect(format.stderr).toContain("unsupported output format `win64'");
    expect((await run(['--frobnicate', 'x.asm'])).exitCode).toBe(2);
    const missing = await run(['nothere.asm']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain("unable to open input file `nothere.asm'");
  });
});

describe('optimisation flags', () => {
  it('maps -O0/-O1 to their levels and -Ox/-O2/-Ov to the default, and rejects other levels', async () => {
    const { parseAsmArguments } = await import('../../src/cli/commands/asm.js');
    expect(parseAsmArguments(['-O0', 'a.asm']).optimization).toBe('O0');
    expect(parseAsmArguments(['-O1', 'a.asm']).optimization).toBe('O1');
    expect(parseAsmArguments(['-O0', '-Ox', 'a.asm']).optimization).toBeUndefined();
    expect(parseAsmArguments(['-O2', 'a.asm']).optimization).toBeUndefined();
    expect(parseAsmArguments(['-Ov', 'a.asm']).optimization).toBeUndefined();
    expect(() => parseAsmArguments(['-Ofast', 'a.asm'])).toThrow(/invalid optimization level `-Ofast'/);
  });
});

describe('ostool asm: nasm 2.16 command-line options', () => {
  it('writes -E output to stdout, or to -o FILE, without assembling', async () => {
    writeFileSync(join(dir, 'p.asm'), '%define X 3\ndb X\n');
    const out = await run(['-E', 'p.asm']);
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toBe('%line 2+1 p.asm\ndb 3');
    expect((await run(['-e', '-o', 'p.i', 'p.asm'])).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'p.i'), 'utf8')).toBe('%line 2+1 p.asm\ndb 3\n');
  });

  it('pre-includes -p files through the -I path and runs --before and --pragma lines first', async () => {
    mkdirSync(join(dir, 'inc'));
    writeFileSync(join(dir, 'inc', 'pre.asm'), '%define FROM_P 7\n');
    writeFileSync(join(dir, 'm.asm'), 'db FROM_P, FROM_BEFORE\n');
    const r = await run([
      '-Iinc',
      '-p',
      'pre.asm',
      '--before',
      '%define FROM_BEFORE 9',
      '--pragma',
      'x y',
      '-o',
      'm.bin',
      'm.asm',
    ]);
    expect(r.stderr).toBe('');
    expect([...readFileSync(join(dir, 'm.bin'))]).toEqual([7, 9]);
  });

  it('takes options from NASMENV before the command line, and sends messages to -Z FILE', async () => {
    writeFileSync(join(dir, 'w.asm'), '%warning hello\ndb X\n');
    const r = await execa('node', [ostool, 'asm', '-Z', 'msgs.txt', '-o', 'w.bin', 'w.asm'], {
      cwd: dir,
      reject: false,
      stdin: 'ignore',
      env: { ...process.env, NASMENV: '-DX=5 --reproducible' },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(readFileSync(join(dir, 'msgs.txt'), 'utf8')).toContain('w.asm:1:1: warning: hello');
    expect([...readFileSync(join(dir, 'w.bin'))]).toEqual([5]);
  });

  it('assembles without preprocessing under -a: directives dropped, %line still applied', async () => {
    writeFileSync(join(dir, 'a.asm'), 'nop\n%define X 1\n%line 5 other.asm\nmov eax, q\n');
    const r = await run(['-a', '-o', 'a.bin', 'a.asm']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("other.asm:6:10: error: symbol `q' not defined");
  });

  it('honours --limit-rep, in both spellings', async () => {
    writeFileSync(join(dir, 'l.asm'), '%rep 5\nnop\n%endrep\n');
    const low = await run(['--limit-rep', '3', '-o', 'l.bin', 'l.asm']);
    expect(low.exitCode).toBe(1);
    expect(low.stderr).toContain("l.asm:1:1: error: `%rep' count 5 exceeds limit (currently 3)");
    expect((await run(['--limit-rep=10', '-o', 'l.bin', 'l.asm'])).exitCode).toBe(0);
    expect([...readFileSync(join(dir, 'l.bin'))]).toEqual([0x90, 0x90, 0x90, 0x90, 0x90]);
  });

  it('rejects an unknown long option and a bad -X style with usage errors', async () => {
    writeFileSync(join(dir, 'e.asm'), 'nop\n');
    expect((await run(['--frobnicate', 'e.asm'])).stderr).toContain("unknown option `--frobnicate'");
    expect((await run(['-Xfancy', 'e.asm'])).stderr).toContain("unknown error format `fancy'");
  });
});

describe('ostool asm: -Werror', () => {
  it('promotes every warning, or one class, to an error, with -Wno-error=NAME as an exception', async () => {
    writeFileSync(join(dir, 'w.asm'), '%warning hi\nlbl\n');
    const all = await run(['-Werror', '-o', 'w.bin', 'w.asm']);
    expect(all.exitCode).toBe(1);
    expect(all.stderr).toContain('w.asm:1:1: error: hi [-w+error=user]');
    expect(existsSync(join(dir, 'w.bin'))).toBe(false);
    const except = await run(['-Werror', '-Wno-error=user', '-o', 'w.bin', 'w.asm']);
    expect(except.stderr).toContain('w.asm:1:1: warning: hi [-w+user]');
    expect(except.stderr).toContain(
      'error: label alone on a line without a colon might be in error [-w+error=label-orphan]',
    );
    const one = await run(['-w+error=user', '-o', 'w.bin', 'w.asm']);
    expect(one.stderr).toContain('warning: label alone');
    expect(one.exitCode).toBe(1);
  });
});
