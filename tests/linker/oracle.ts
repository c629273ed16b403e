/**
 * Test helpers: build objects with the real tools (nasm, GNU as, gcc, ar), link the same inputs with GNU ld and
 * with ostool's `link()`, and describe both outputs with readelf so they can be compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readElf } from '../../src/elf/reader.js';
import { link } from '../../src/linker/index.js';
import type { LinkOptions } from '../../src/linker/types.js';

export class Workdir {
  readonly path = mkdtempSync(join(tmpdir(), 'ostool-link-'));

  file(name: string, text: string | Uint8Array): string {
    const path = join(this.path, name);
    writeFileSync(path, text);
    return path;
  }

  nasm(name: string, source: string, format: 'elf64' | 'elf32' = 'elf64'): string {
    const src = this.file(`${name}.asm`, source);
    const out = join(this.path, `${name}.o`);
    execFileSync('nasm', ['-f', format, src, '-o', out]);
    return out;
  }

  gas(name: string, source: string, flags: string[] = []): string {
    const src = this.file(`${name}.s`, source);
    const out = join(this.path, `${name}.o`);
    execFileSync('as', [...flags, src, '-o', out]);
    return out;
  }

  gcc(name: string, source: string, flags: string[]): string {
    const src = this.file(`${name}.c`, source);
    const out = join(this.path, `${name}.o`);
    execFileSync('gcc', ['-c', ...flags, src, '-o', out]);
    return out;
  }

  ar(name: string, members: string[]): string {
    const out = join(this.path, name);
    execFileSync('ar', ['rcs', out, ...members]);
    return out;
  }

  /** Links with GNU ld; returns the output path. */
  ld(objects: string[], args: string[] = [], out = 'ld.elf'): string {
    const path = join(this.path, out);
    execFileSync('ld', ['-o', path, ...args, ...objects], { stdio: ['ignore', 'pipe', 'pipe'] });
    return path;
  }

  /** Links with ostool; returns the output path. */
  ostool(objects: string[], options: Omit<LinkOptions, 'inputs'> = {}, out = 'ostool.elf'): string {
    const result = link({ inputs: objects.map((o) => ({ name: o, data: readFileSync(o) })), ...options });
    return this.file(out, result.output);
  }

  /**
   * Runs one ld command line twice, as `ld ARGS -o ld.elf` and `ostool link ARGS -o ostool.elf` (in-process, through
   * the CLI), from this directory. Returns both outputs and what each printed on stderr, without the program name.
   */
  async linkBoth(args: string[], name = 'cli'): Promise<LinkedPair> {
    const ld = join(this.path, `${name}-ld.elf`);
    const ours = join(this.path, `${name}-ostool.elf`);
    const run = spawnSync('ld', [...args, '-o', ld], { cwd: this.path, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`ld failed: ${run.stderr}`);
    const chunks: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    const cwd = process.cwd();
    process.stderr.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let status: number;
    try {
      process.chdir(this.path);
      status = await main(['node', 'ostool', 'link', ...args, '-o', ours]);
    } finally {
      process.chdir(cwd);
      process.stderr.write = original;
    }
    const strip = (text: string) => text.replace(/^(ld|ostool): /gm, '');
    if (status !== 0) throw new Error(`ostool link failed: ${chunks.join('')}`);
    return { ld, ours, ldStderr: strip(run.stderr), oursStderr: strip(chunks.join('')) };
  }

  dispose(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface LinkedPair {
  ld: string;
  ours: string;
  ldStderr: string;
  oursStderr: string;
}

export const KERNEL_FLAGS = [
  '-O2',
  '-ffreestanding',
  '-fno-stack-protector',
  '-fno-stack-check',
  '-fno-pic',
  '-mcmodel=kernel',
  '-mno-red-zone',
  '-mno-sse',
  '-mno-mmx',
  '-mno-80387',
  '-fno-asynchronous-unwind-tables',
];

function readelf(args: string[], path: string): string {
  return execFileSync('readelf', [...args, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Program headers, as readelf prints them (without the file-specific preamble). */
export function programHeaders(path: string): string {
  return readelf(['-lW'], path)
    .split('\n')
    .filter((l) => !/^(Elf file type|Entry point|There are)/.test(l))
    .join('\n');
}

/** Every named symbol (except FILE symbols) as "name value", sorted. */
export function symbolValues(path: string): string[] {
  return readelf(['-sW'], path)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]!) && f[3] !== 'FILE' && f[7] !== undefined)
    .map((f) => `${f[7]} ${f[1]}`)
    .sort();
}

/** Every `.symtab` entry but FILE symbols as "name value size type bind visibility section", sorted. */
export function symbolEntries(path: string): string[] {
  return readelf(['-sW'], path)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]!) && f[3] !== 'FILE')
    .map((f) => `${f[7]} ${f.slice(1, 7).join(' ')}`)
    .sort();
}

/** `.dynsym` as readelf lists it, in table order (the order is part of what ld's hash tables encode). */
export function dynamicSymbols(path: string): string[] {
  return readelf(['--dyn-syms', '-W'], path)
    .split('\n')
    .filter((l) => /^\s+\d+:/.test(l))
    .map((l) => l.trim());
}

/** The dynamic section as readelf prints it. */
export function dynamicSection(path: string): string {
  return readelf(['-dW'], path);
}

/** Allocated section headers: name, type, address, size, flags, alignment. */
export function allocSections(path: string): string[] {
  const elf = readElf(path, readFileSync(path));
  return elf.sections
    .filter((s) => s.flags & 2)
    .map(
      (s) =>
        `${s.name} type=${s.type} addr=0x${s.addr.toString(16)} size=0x${s.size.toString(16)} flags=0x${s.flags.toString(16)} align=${s.addralign}`,
    );
}

/**
 * The bytes each PT_LOAD segment maps from the file, plus the entry point. The GNU build ID's hash is zeroed: ld
 * hashes the whole file (symbol table and all), which is not part of what is loaded.
 */
export function loadedImage(path: string): {
  entry: string;
  segments: Array<{ vaddr: string; bytes: string }>;
} {
  const data = Buffer.from(readFileSync(path));
  const elf = readElf(path, data);
  const note = elf.sections.find((s) => s.name === '.note.gnu.build-id');
  if (note && note.size > 16) data.fill(0, note.offset + 16, note.offset + Number(note.size));
  return {
    entry: `0x${elf.header.entry.toString(16)}`,
    segments: elf.segments
      .filter((p) => p.type === 1)
      .map((p) => ({
        vaddr: `0x${p.vaddr.toString(16)}`,
        bytes: Buffer.from(data.subarray(p.offset, p.offset + p.filesz)).toString('hex'),
      })),
  };
}

/** Everything the differential tests compare between ld's and ostool's outputs. */
export function describe(path: string) {
  return {
    phdrs: programHeaders(path),
    sections: allocSections(path),
    symbols: symbolValues(path),
    image: loadedImage(path),
  };
}

/**
 * What every differential test asserts on a pair: ld's program headers, allocated sections and loaded bytes, and
 * symbol values unless the caller compares whole symbol entries itself.
 */
export function expectSameAsLd(pair: Pick<LinkedPair, 'ld' | 'ours'>, { symbols = true } = {}): void {
  const expected = describe(pair.ld);
  const actual = describe(pair.ours);
  expect(actual.phdrs).toBe(expected.phdrs);
  expect(actual.sections).toEqual(expected.sections);
  expect(actual.image).toEqual(expected.image);
  if (symbols) expect(actual.symbols).toEqual(expected.symbols);
}

/** ld's warnings that ostool leaves out by design (executable stacks and RWX segments). */
const NOT_PRINTED = /executable stack|RWX permissions|NOTE: This behaviour is deprecated/;
/** A linker's messages without those warnings. */
export const linkerMessages = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '' && !NOT_PRINTED.test(l))
    .join('\n');

/** ostool wrote the file ld wrote, byte for byte, and said what ld said (less the warnings left out by design). */
export function expectSameFileAndMessages(pair: LinkedPair): void {
  expect(Buffer.compare(readFileSync(pair.ours), readFileSync(pair.ld))).toBe(0);
  expect(linkerMessages(pair.oursStderr)).toBe(linkerMessages(pair.ldStderr));
}
