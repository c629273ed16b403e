import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInitrd, packUstar } from '../../src/build/initrd.js';
import { parseProject } from '../../src/build/project.js';

/** `[initrd]` of ostool.toml: the USTAR archive checked against GNU tar, the programs run, rebuilds on change. */
const work = mkdtempSync(join(tmpdir(), 'ostool-initrd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function project(dir: string, extra = '') {
  return parseProject(
    `[build]\nsources = ["k.asm"]\n\n[initrd]\ndir = "initrd"\nprograms = ["bin/*.asm"]\nfiles = ["etc/**"]\n${extra}`,
    join(dir, 'ostool.toml'),
  );
}

function makeTree(dir: string): void {
  mkdirSync(join(dir, 'initrd', 'bin'), { recursive: true });
  mkdirSync(join(dir, 'initrd', 'etc', 'deep', 'er'), { recursive: true });
  writeFileSync(join(dir, 'initrd', 'exit.inc'), 'SYS_EXIT equ 60\n');
  writeFileSync(
    join(dir, 'initrd', 'bin', 'true.asm'),
    '%include "exit.inc"\nsection .text\nglobal _start\n_start:\n  mov eax, SYS_EXIT\n  xor edi, edi\n  syscall\n',
  );
  writeFileSync(join(dir, 'initrd', 'etc', 'motd'), 'hello\n');
  writeFileSync(
    join(dir, 'initrd', 'etc', 'deep', 'er', 'blob'),
    new Uint8Array(1500).map((_, i) => i & 0xff),
  );
}

describe('[initrd]', () => {
  it('packs a USTAR archive GNU tar lists and extracts byte for byte, with directories, modes and owners', () => {
    const members = [
      { path: 'etc/motd', data: new TextEncoder().encode('welcome\n'), executable: false },
      { path: 'bin/init', data: new Uint8Array(513).fill(7), executable: true },
      { path: `long/${'d'.repeat(90)}/${'f'.repeat(60)}`, data: new Uint8Array(0), executable: false },
    ];
    const archive = join(work, 'a.tar');
    writeFileSync(archive, packUstar(members, 1_700_000_000));
    const listing = execFileSync('tar', ['--numeric-owner', '--utc', '-tvf', archive], { encoding: 'utf8' });
    expect(
      listing
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/\s+/g, ' ')),
    ).toEqual([
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 bin/',
      '-rwxr-xr-x 0/0 513 2023-11-14 22:13 bin/init',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 etc/',
      '-rw-r--r-- 0/0 8 2023-11-14 22:13 etc/motd',
      'drwxr-xr-x 0/0 0 2023-11-14 22:13 long/',
      `drwxr-xr-x 0/0 0 2023-11-14 22:13 long/${'d'.repeat(90)}/`,
      `-rw-r--r-- 0/0 0 2023-11-14 22:13 long/${'d'.repeat(90)}/${'f'.repeat(60)}`,
    ]);
    const out = join(work, 'extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);
    for (const member of members)
      expect(new Uint8Array(readFileSync(join(out, member.path)))).toEqual(member.data);
  });

  it('builds the programs with ostool into static ELFs, packs the files, and rebuilds only after a change', async () => {
    const dir = join(work, 'project');
    makeTree(dir);
    const steps: string[] = [];
    const archive = (await buildInitrd(project(dir), join(dir, 'build'), (step) => steps.push(step)))!;
    expect(archive).toBe(join(dir, 'build', 'initrd.tar'));
    expect(steps.map((step) => step.split(' ')[0])).toEqual(['asm', 'initrd']);
    const names = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(names).toEqual([
      'bin/',
      'bin/true',
      'etc/',
      'etc/deep/',
      'etc/deep/er/',
      'etc/deep/er/blob',
      'etc/motd',
    ]);
    const out = join(work, 'project-extracted');
    mkdirSync(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);
    // The program is a static x86-64 executable that exits 0 when run.
    expect(execFileSync('readelf', ['-h', join(out, 'bin', 'true')], { encoding: 'utf8' })).toMatch(/EXEC/);
    execFileSync(join(out, 'bin', 'true'));

    const written = statSync(archive).mtimeMs;
    steps.length = 0;
    await buildInitrd(project(dir), join(dir, 'build'), (step) => steps.push(step));
    expect(steps).toEqual([]);
    expect(statSync(archive).mtimeMs).toBe(written);

    // An included file changing is a change too.
    writeFileSync(join(dir, 'initrd', 'exit.inc'), 'SYS_EXIT equ 60 ; again\n');
    utimesSync(join(dir, 'initrd', 'exit.inc'), new Date(), new Date(Date.now() + 5000));
    await buildInitrd(project(dir), join(dir, 'build'), (step) => steps.push(step));
    expect(steps.map((step) => step.split(' ')[0])).toEqual(['asm']);
  });

  it('refuses a bad [initrd] with the file and line, and a program that does not assemble with its error', async () => {
    const file = join(work, 'bad', 'ostool.toml');
    expect(() =>
      parseProject('[build]\nsources = ["k.asm"]\n[initrd]\nprograms = ["*.asm"]\n', file),
    ).toThrow(`${file}:3: \`[initrd]\` needs \`dir\``);
    expect(() => parseProject('[build]\nsources = ["k.asm"]\n[initrd]\ndir = "x"\nsize = 3\n', file)).toThrow(
      /ostool\.toml:5: unknown key `initrd\.size`/,
    );
    const dir = join(work, 'broken');
    makeTree(dir);
    writeFileSync(join(dir, 'initrd', 'bin', 'bad.asm'), 'section .text\n  mov eax, [\n');
    await expect(buildInitrd(project(dir), join(dir, 'build'))).rejects.toThrow(/bad\.asm:2:\d+: error:/);
  });

  it('names the initrd key whose glob matches nothing, also for an empty initrd directory', async () => {
    const dir = join(work, 'empty');
    mkdirSync(join(dir, 'initrd'), { recursive: true });
    const withPrograms = project(dir);
    await expect(buildInitrd(withPrograms, join(dir, 'build'))).rejects.toThrow(
      `initrd program glob "bin/*.asm" matches no file in ${join(dir, 'initrd')}`,
    );
    const filesOnly = { ...withPrograms, initrd: { ...withPrograms.initrd!, programs: [] } };
    await expect(buildInitrd(filesOnly, join(dir, 'build'))).rejects.toThrow(
      `initrd file glob "etc/**" matches no file in ${join(dir, 'initrd')}`,
    );
  });
});
