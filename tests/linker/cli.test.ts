/** `ostool link` as a command: GNU ld flags, files written atomically, nothing left behind on errors. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { parseLinkArguments } from '../../src/cli/commands/link.js';
import { readElf } from '../../src/elf/reader.js';
import { Workdir } from './oracle.js';

async function ostool(args: string[]): Promise<{ status: number; stderr: string }> {
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await main(['node', 'ostool', 'link', ...args]);
    return { status, stderr: chunks.join('') };
  } finally {
    process.stderr.write = original;
  }
}

describe('ostool link command', () => {
  let work: Workdir;
  let start: string;
  let helper: string;
  beforeAll(() => {
    work = new Workdir();
    start = work.nasm('start', 'section .text\nglobal _start\nextern helper\n_start: call helper\nhlt\n');
    helper = work.nasm(
      'helper',
      'section .text\nglobal helper\nhelper: ret\nsection .data\nglobal value\nvalue: dq 7\n',
    );
  });
  afterAll(() => work.dispose());

  it('parses the GNU ld flags kernels use, including joined and --opt=value forms', () => {
    const line = parseLinkArguments([
      '-static',
      '-nostdlib',
      '-Tk.ld',
      '-o',
      'k.elf',
      '-e',
      'kmain',
      '-z',
      'max-page-size=0x1000',
      '-zcommon-page-size=4096',
      '--gc-sections',
      '-Map',
      'k.map',
      '--oformat=elf64-x86-64',
      '--build-id=sha1',
      '-s',
      '--defsym',
      'A=1+2',
      '-L',
      'lib',
      '-lk',
      'a.o',
    ]);
    expect(line).toMatchObject({
      script: 'k.ld',
      output: 'k.elf',
      entry: 'kmain',
      maxPageSize: 0x1000,
      commonPageSize: 4096,
      gcSections: true,
      mapFile: 'k.map',
      oformat: 'elf64-x86-64',
      buildId: 'sha1',
      stripAll: true,
      defsyms: [{ name: 'A', expression: '1+2' }],
      libraryPaths: ['lib'],
    });
    expect(line.files).toEqual([
      { kind: 'library', name: 'k' },
      { kind: 'file', path: 'a.o' },
    ]);
  });

  it('reads long options with one dash and =VALUE as ld does (-Map=FILE), without splitting joined short ones', () => {
    expect(
      parseLinkArguments(['-Map=k.map', '-hash-style=gnu', '-zmax-page-size=0x1000', '-Tk=1.ld', 'a.o']),
    ).toMatchObject({ mapFile: 'k.map', hashStyle: 'gnu', maxPageSize: 0x1000, script: 'k=1.ld' });
  });

  it('links objects and writes an executable file plus a map listing sections, inputs and symbols', async () => {
    const out = join(work.path, 'prog.elf');
    const map = join(work.path, 'prog.map');
    const { status, stderr } = await ostool(['-o', out, '-Map', map, start, helper]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(statSync(out).mode & 0o111).not.toBe(0);
    const elf = readElf(out, readFileSync(out));
    const helperSymbol = elf.symbols.find((s) => s.name === 'helper')!;
    const text = readFileSync(map, 'utf8');
    expect(text).toMatch(
      new RegExp(
        `^\\.text\\s+0x0*${elf.sections.find((s) => s.name === '.text')!.addr.toString(16)}\\s+0x`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(`^ \\.text\\s+0x[0-9a-f]+\\s+0x[0-9a-f]+ ${helper.replace(/[.]/g, '\\.')}$`, 'm'),
    );
    expect(text).toMatch(new RegExp(`^\\s+0x0*${helperSymbol.value.toString(16)}\\s+helper$`, 'm'));
    expect(text).toMatch(/^ \*\(\.text \.stub \.text\.\* \.gnu\.linkonce\.t\.\*\)$/m);
    expect(text).toContain(`LOAD ${start}`);
  });

  it('searches -L directories for -lNAME archives', async () => {
    work.ar('libhelp.a', [helper]);
    const out = join(work.path, 'lib.elf');
    const { status } = await ostool(['-o', out, start, '-L', work.path, '-lhelp']);
    expect(status).toBe(0);
    expect(readElf(out, readFileSync(out)).symbols.some((s) => s.name === 'helper')).toBe(true);
  });

  it('exits non-zero with ld-style diagnostics and removes a stale output file on error', async () => {
    const out = join(work.path, 'stale.elf');
    writeFileSync(out, 'old contents');
    const { status, stderr } = await ostool(['-o', out, start]);
    expect(status).not.toBe(0);
    expect(stderr).toContain('ostool: error: undefined symbol: helper');
    expect(stderr).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects unknown options and unsupported -z settings clearly', async () => {
    expect((await ostool(['--frobnicate', start])).stderr).toContain("unknown option '--frobnicate'");
    expect((await ostool(['-z', 'ibt', start])).stderr).toContain('-z ibt: unsupported');
  });

  it('writes an EFI application with --oformat efi-app-x86_64', async () => {
    const efi = work.nasm(
      'efi',
      'section .text\nglobal efi_main\nefi_main: xor eax, eax\nret\nsection .data\nptr: dq efi_main\n',
    );
    const out = join(work.path, 'app.efi');
    const { status } = await ostool(['--oformat', 'efi-app-x86_64', '-e', 'efi_main', '-o', out, efi]);
    expect(status).toBe(0);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('MZ');
    expect(bytes.subarray(bytes.readUInt32LE(0x3c), bytes.readUInt32LE(0x3c) + 4)).toEqual(
      Buffer.from('PE\0\0', 'latin1'),
    );
  });

  it('adds a GNU build-id note with --build-id=sha1 and drops .symtab with -s', async () => {
    const out = join(work.path, 'id.elf');
    expect((await ostool(['--build-id=sha1', '-s', '-o', out, start, helper])).status).toBe(0);
    const elf = readElf(out, readFileSync(out));
    const note = elf.sections.find((s) => s.name === '.note.gnu.build-id')!;
    expect(note.size).toBe(36);
    expect(Buffer.from(note.data.subarray(12, 16)).toString('latin1')).toBe('GNU\0');
    expect(note.data.subarray(16).some((b) => b !== 0)).toBe(true);
    expect(elf.sections.some((s) => s.name === '.symtab')).toBe(false);
  });
});
