/**
 * Test oracle: runs nasm on the same source and reads ELF objects into a comparable form (section bytes,
 * symbols, relocations by name), so tests can compare ostool's output with nasm's byte for byte.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  assemble,
  formatDiagnostic,
  type AssembleOptions,
  type OutputFormat,
} from '../../src/assembler/index.js';

let nasmChecked: boolean | undefined;

/** Throws a clear message when nasm (the oracle) is missing: these tests must not silently pass. */
export function requireNasm(): void {
  if (nasmChecked === undefined) {
    try {
      execFileSync('nasm', ['-v'], { stdio: 'pipe' });
      nasmChecked = true;
    } catch {
      nasmChecked = false;
    }
  }
  if (!nasmChecked)
    throw new Error(
      'nasm is not installed: the assembler differential tests need it as their oracle (run `make setup`)',
    );
}

export interface NasmResult {
  output?: Uint8Array;
  stderr: string;
}

/** Assembles with nasm in a fresh temp directory; `files` are extra files (includes, incbin data). */
export function runNasm(
  source: string,
  format: OutputFormat,
  files: Record<string, string | Uint8Array> = {},
  name = 'test.asm',
  extraArgs: string[] = [],
): NasmResult {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-nasm-'));
  try {
    writeFileSync(join(dir, name), source);
    for (const [path, data] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), data);
    }
    const out = join(dir, 'out.bin');
    const r = spawnSync('nasm', ['-f', format, name, '-o', out, ...extraArgs], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (r.status !== 0) return { stderr: r.stderr };
    return { output: new Uint8Array(readFileSync(out)), stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Assembles with ostool; throws with the formatted diagnostics when it fails. */
export function runOstool(
  source: string,
  format: OutputFormat,
  files: Record<string, string | Uint8Array> = {},
  name = 'test.asm',
  extra: Partial<AssembleOptions> = {},
): Uint8Array {
  const encoder = new TextEncoder();
  const result = assemble({
    ...extra,
    source,
    fileName: name,
    format,
    readFile: (path) => {
      const data = files[path];
      if (data === undefined) return undefined;
      return typeof data === 'string' ? encoder.encode(data) : data;
    },
  });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !result.output)
    throw new Error(`ostool asm failed:\n${errors.map(formatDiagnostic).join('\n')}`);
  return result.output;
}

export interface ElfSummary {
  sections: Record<string, { type: number; flags: number; align: number; size: number; bytes: string }>;
  symbols: Array<{
    name: string;
    value: string;
    size: number;
    type: number;
    bind: number;
    other: number;
    section: string;
  }>;
  relocations: Record<string, Array<{ offset: number; type: number; symbol: string; addend: string }>>;
}

const SPECIAL_SECTIONS = new Set(['.shstrtab', '.symtab', '.strtab']);

/** Reads an ELF64 relocatable object into names and hex strings, ignoring file offsets. */
export function readElf(data: Uint8Array): ElfSummary {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const shoff = Number(view.getBigUint64(40, true));
  const shnum = view.getUint16(60, true);
  const shstrndx = view.getUint16(62, true);
  const header = (i: number) => {
    const at = shoff + i * 64;
    return {
      name: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      flags: Number(view.getBigUint64(at + 8, true)),
      offset: Number(view.getBigUint64(at + 24, true)),
      size: Number(view.getBigUint64(at + 32, true)),
      link: view.getUint32(at + 40, true),
      info: view.getUint32(at + 44, true),
      align: Number(view.getBigUint64(at + 48, true)),
    };
  };
  const headers = Array.from({ length: shnum }, (_, i) => header(i));
  const cstring = (offset: number): string => {
    let end = offset;
    while (data[end] !== 0) end++;
    return new TextDecoder().decode(data.subarray(offset, end));
  };
  const names = headers.map((h) => cstring(headers[shstrndx]!.offset + h.name));
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
  const summary: ElfSummary = { sections: {}, symbols: [], relocations: {} };
  const symtabIndex = headers.findIndex((h) => h.type === 2);
  const symtab = headers[symtabIndex];
  const symbolNames: string[] = [];
  if (symtab) {
    const strtab = headers[symtab.link]!;
    for (let at = symtab.offset; at < symtab.offset + symtab.size; at += 24) {
      const nameOffset = view.getUint32(at, true);
      const info = data[at + 4]!;
      const shndx = view.getUint16(at + 6, true);
      const typeBits = info & 15;
      const name = typeBits === 3 ? names[shndx]! : cstring(strtab.offset + nameOffset);
      symbolNames.push(name);
      const section =
        shndx === 0 ? 'UND' : shndx === 0xfff1 ? 'ABS' : shndx === 0xfff2 ? 'COM' : names[shndx]!;
      summary.symbols.push({
        name,
        value: view.getBigUint64(at + 8, true).toString(16),
        size: Number(view.getBigUint64(at + 16, true)),
        type: typeBits,
        bind: info >> 4,
        other: data[at + 5]!,
        section,
      });
    }
  }
  headers.forEach((h, i) => {
    const name = names[i]!;
    if (i === 0 || SPECIAL_SECTIONS.has(name)) return;
    if (h.type === 4) {
      const target = names[h.info]!;
      const list: ElfSummary['relocations'][string] = [];
      for (let at = h.offset; at < h.offset + h.size; at += 24) {
        const info = view.getBigUint64(at + 8, true);
        list.push({
          offset: Number(view.getBigUint64(at, true)),
          type: Number(info & 0xffffffffn),
          symbol: symbolNames[Number(info >> 32n)] ?? '?',
          addend: view.getBigInt64(at + 16, true).toString(),
        });
      }
      summary.relocations[target] = list;
      return;
    }
    summary.sections[name] = {
      type: h.type,
      flags: h.flags,
      align: h.align,
      size: h.size,
      bytes: h.type === 8 ? '' : hex(data.subarray(h.offset, h.offset + h.size)),
    };
  });
  return summary;
}

/** Hex of a flat binary, for readable diffs. */
export function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}
