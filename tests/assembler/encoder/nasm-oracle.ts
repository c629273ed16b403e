/**
 * Test helpers: render encoder requests as NASM source text and run nasm over many of them at once, splitting
 * its output per instruction with a table of label offsets appended to the file. Every run is asynchronous:
 * a test worker blocked in a long synchronous nasm run cannot answer vitest's RPC, which then times out.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Bits,
  MemoryOperand,
  Operand,
  RoundingControl,
  Value,
  VectorDecorators,
} from '../../../src/assembler/encoder/types.js';

export function requireNasm(): void {
  const probe = spawnSync('nasm', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    throw new Error('nasm is not installed: these tests use nasm 2.16 as the oracle (apt-get install nasm)');
}

const SIZE_WORDS: Record<number, string> = {
  8: 'byte',
  16: 'word',
  32: 'dword',
  64: 'qword',
  80: 'tword',
  128: 'oword',
  256: 'yword',
  512: 'zword',
};

/** Operand in a generated test case: a relative branch target is written `$+delta` and becomes address+delta. */
export type TestOperand = Operand & { relativeToHere?: boolean };

export function renderValue(v: Value, symbolNames?: Map<number, string>): string {
  let text = '';
  if (v.symbol !== undefined) {
    const name = symbolNames?.get(v.symbol);
    if (!name) throw new Error(`no name for symbol ${v.symbol}`);
    text = name;
    if (v.offset !== 0n) text += v.offset < 0n ? `-${-v.offset}` : `+${v.offset}`;
  } else text = v.offset < 0n ? `-0x${(-v.offset).toString(16)}` : `0x${v.offset.toString(16)}`;
  if (v.wrt) text += ` wrt ..${v.wrt}`;
  return text;
}

function renderMemory(
  m: MemoryOperand & { relativeToHere?: boolean },
  symbolNames?: Map<number, string>,
): string {
  const terms: string[] = [];
  if (m.base) terms.push(m.base);
  if (m.index) terms.push(m.scale === 1 ? m.index : `${m.index}*${m.scale}`);
  const d = m.displacement;
  let inside = terms.join('+');
  if (d.symbol !== undefined || d.offset !== 0n || terms.length === 0) {
    const dv = m.relativeToHere
      ? `$${d.offset < 0n ? '-' : '+'}${d.offset < 0n ? -d.offset : d.offset}`
      : renderValue(d, symbolNames);
    inside = inside ? (dv.startsWith('-') ? inside + dv : `${inside}+${dv}`) : dv;
  }
  let prefix = '';
  if (m.ripRelative) prefix += 'rel ';
  if (m.nosplit) prefix += 'nosplit ';
  if (m.displacementSize) prefix += SIZE_WORDS[m.displacementSize] + ' ';
  const seg = m.segment ? `${m.segment}:` : '';
  let text = `[${seg}${prefix}${inside}]`;
  if (m.size) text = `${SIZE_WORDS[m.size]} ${text}`;
  if (m.far) text = `far ${text}`;
  return text;
}

function renderDecorators(d: VectorDecorators | undefined): string {
  if (!d) return '';
  return (
    (d.broadcast ? `{1to${d.broadcast}}` : '') + (d.mask ? `{k${d.mask}}` : '') + (d.zeroing ? '{z}' : '')
  );
}

export function renderOperand(op: TestOperand, symbolNames?: Map<number, string>): string {
  switch (op.kind) {
    case 'reg':
      return (op.to ? `to ${op.name}` : op.name) + renderDecorators(op.decorators);
    case 'mem':
      return renderMemory(op, symbolNames) + renderDecorators(op.decorators);
    case 'farptr':
      return `${op.size ? SIZE_WORDS[op.size] + ' ' : ''}${renderValue(op.segment, symbolNames)}:${renderValue(op.offset, symbolNames)}`;
    case 'imm': {
      let text = op.relativeToHere
        ? `$${op.value.offset < 0n ? '-' : '+'}${(op.value.offset < 0n ? -op.value.offset : op.value.offset).toString()}`
        : renderValue(op.value, symbolNames);
      if (op.size) text = `${SIZE_WORDS[op.size]} ${text}`;
      if (op.strict) text = `strict ${text}`;
      if (op.distance) text = `${op.distance} ${text}`;
      return text;
    }
  }
}

export interface TestCase {
  mnemonic: string;
  prefixes: string[];
  operands: TestOperand[];
  /** Written as a last operand. */
  rounding?: RoundingControl;
}

export function renderInstruction(c: TestCase, symbolNames?: Map<number, string>): string {
  const rendered = c.operands.map((o) => renderOperand(o, symbolNames));
  if (c.rounding) rendered.push(`{${c.rounding}}`);
  const ops = rendered.join(', ');
  return [...c.prefixes, c.mnemonic].join(' ') + (ops ? ' ' + ops : '');
}

export interface NasmLineResult {
  /** Offset of the instruction in the output (its address with `org 0`). */
  offset: number;
  bytes?: Uint8Array;
  error?: string;
  /** nasm's warnings for the line (text without the `[-w+...]` tag). */
  warnings: string[];
  /**
   * Set when nasm itself cannot assemble the line: it panics on it (an internal error such as "invalid operand
   * passed to regval()") or dies of a signal. Such a line has neither bytes nor an ordinary error.
   */
  panic?: string;
}

interface ProcessResult {
  status: number;
  /** The signal that killed the process (nasm crashing), if one did. */
  signal?: string;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error?.signal) resolve({ status: -1, signal: error.signal, stdout, stderr });
      else if (error && typeof error.code !== 'number') reject(error);
      else resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

async function runNasm(
  source: string,
  format: string,
  dir: string,
  extraArgs: string[] = [],
): Promise<{ ok: boolean; stderr: string; signal?: string; output?: Buffer }> {
  const src = join(dir, 'in.asm');
  const out = join(dir, 'out.bin');
  await writeFile(src, source);
  const r = await run('nasm', [...extraArgs, '-f', format, '-o', out, src]);
  return {
    ok: r.status === 0,
    stderr: r.stderr,
    ...(r.signal ? { signal: r.signal } : {}),
    output: r.status === 0 ? await readFile(out) : undefined,
  };
}

async function inTemporaryDirectory<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A line nasm reported on: its index among the test lines and nasm's message. */
interface LineDiagnostic {
  index: number;
  message: string;
  panic: boolean;
}

/**
 * The errors and panics nasm reported, by test line. nasm aborts at its first panic ("panic: in.asm:7: invalid
 * operand passed to regval()", "panic: in.asm:7: assertion ... failed"), so a run shows at most one.
 */
function lineDiagnostics(stderr: string, firstLine: number, lineCount: number): LineDiagnostic[] {
  const found: LineDiagnostic[] = [];
  for (const m of stderr.matchAll(/^(panic: )?.*?:(\d+): (?:error: )?(.*)$/gm)) {
    const panic = m[1] !== undefined;
    if (!panic && !m[0].includes(': error: ')) continue;
    const index = Number(m[2]) - firstLine;
    if (index < 0 || index >= lineCount) throw new Error(`nasm error outside the test lines: ${m[0]}`);
    found.push({ index, message: m[3], panic });
  }
  return found;
}

/**
 * Assembles every line (one instruction each) in one nasm run for `bits`, and returns its bytes or nasm's
 * error per line. Lines nasm rejects are reported and dropped, then the rest is assembled again. A line nasm
 * panics on is dropped the same way and marked `panic`; when nasm dies without naming a line (a signal, an
 * abort), the lines it dies on are found by assembling halves of the batch until each is one line.
 */
export function assembleLinesWithNasm(
  lines: string[],
  bits: Bits,
  extraArgs: string[] = [],
): Promise<NasmLineResult[]> {
  return inTemporaryDirectory('ostool-encoder-', async (dir) => {
    const header = [`bits ${bits}`];
    const build = (keep: boolean[]): string => {
      const body = lines.map((l, i) => (keep[i] ? `t_${i}: ${l}` : `t_${i}:`));
      const table = lines.map((_, i) => `dd t_${i}`);
      return [...header, ...body, 't_end:', ...table, 'dd t_end', ''].join('\n');
    };
    const assembleOnly = (indices: number[]) => {
      const keep = lines.map(() => false);
      for (const i of indices) keep[i] = true;
      return runNasm(build(keep), 'bin', dir, extraArgs);
    };
    /** A run nasm ends without naming a line: dead of a signal or stopped without an error message. */
    const diesNamingNoLine = (r: { ok: boolean; stderr: string }) =>
      !r.ok && lineDiagnostics(r.stderr, header.length + 1, lines.length).length === 0;
    const linesNasmDiesOn = async (indices: number[]): Promise<number[]> => {
      if (!diesNamingNoLine(await assembleOnly(indices))) return [];
      if (indices.length === 1) return indices;
      const half = indices.length >> 1;
      return [
        ...(await linesNasmDiesOn(indices.slice(0, half))),
        ...(await linesNasmDiesOn(indices.slice(half))),
      ];
    };
    const keep = lines.map(() => true);
    const errors = new Map<number, string>();
    const panics = new Map<number, string>();
    let result = await runNasm(build(keep), 'bin', dir, extraArgs);
    // nasm reports some errors only after earlier ones are gone, so drop failing lines until it succeeds.
    for (let attempt = 0; !result.ok; attempt++) {
      const found = lineDiagnostics(result.stderr, header.length + 1, lines.length);
      if (found.length === 0) {
        const cause = result.signal ? `nasm dies of ${result.signal}` : 'nasm stops without a message';
        const kept = lines.flatMap((_, i) => (keep[i] ? [i] : []));
        for (const index of await linesNasmDiesOn(kept)) found.push({ index, message: cause, panic: true });
      }
      if (found.length === 0 || attempt === 200)
        throw new Error(
          `nasm failed${result.signal ? ` (${result.signal})` : ''}:\n${result.stderr
            .split('\n')
            .filter((l) => !l.includes(': warning: '))
            .join('\n')
            .slice(0, 2000)}`,
        );
      for (const { index, message, panic } of found) {
        const known = panic ? panics : errors;
        if (!errors.has(index) && !panics.has(index)) known.set(index, message);
        keep[index] = false;
      }
      result = await runNasm(build(keep), 'bin', dir, extraArgs);
    }
    const warnings = new Map<number, string[]>();
    for (const m of result.stderr.matchAll(/^.*?:(\d+): warning: (.*?)(?: \[-w\+[\w-]+\])?$/gm)) {
      const index = Number(m[1]) - header.length - 1;
      warnings.set(index, [...(warnings.get(index) ?? []), m[2]]);
    }
    const output = result.output!;
    const tableStart = output.length - 4 * (lines.length + 1);
    const offsetAt = (i: number) => output.readUInt32LE(tableStart + 4 * i);
    return lines.map((_, i) => {
      const offset = offsetAt(i);
      const lineWarnings = warnings.get(i) ?? [];
      if (panics.has(i)) return { offset, panic: panics.get(i), warnings: lineWarnings };
      if (errors.has(i)) return { offset, error: errors.get(i), warnings: lineWarnings };
      return {
        offset,
        bytes: new Uint8Array(output.subarray(offset, offsetAt(i + 1))),
        warnings: lineWarnings,
      };
    });
  });
}

export interface NasmRelocation {
  offset: number;
  type: string;
  symbol: string;
  addend: bigint;
}

/** Assembles `source` with `nasm -f elf64` and returns the `.text` bytes and its relocations (via readelf). */
export function assembleElfWithNasm(
  source: string,
): Promise<{ text: Uint8Array; relocations: NasmRelocation[] }> {
  return inTemporaryDirectory('ostool-encoder-elf-', async (dir) => {
    const result = await runNasm(source, 'elf64', dir);
    if (!result.ok) throw new Error(`nasm -f elf64 failed:\n${result.stderr.slice(0, 2000)}`);
    const obj = join(dir, 'out.bin');
    const textFile = join(dir, 'text.bin');
    const copied = await run('objcopy', ['-O', 'binary', '-j', '.text', obj, textFile]);
    if (copied.status !== 0) throw new Error(`objcopy failed: ${copied.stderr}`);
    const text = new Uint8Array(await readFile(textFile));
    const listing = (await run('readelf', ['-rW', obj])).stdout;
    const relocations: NasmRelocation[] = [];
    let inText = false;
    for (const line of listing.split('\n')) {
      if (line.startsWith('Relocation section')) inText = line.includes("'.rela.text'");
      const m =
        /^([0-9a-f]{16})\s+[0-9a-f]+\s+(R_X86_64_\w+)\s+[0-9a-f]+\s+(\S+)\s+([+-])\s+([0-9a-f]+)/.exec(line);
      if (!inText || !m) continue;
      const addend = BigInt('0x' + m[5]);
      relocations.push({
        offset: parseInt(m[1], 16),
        type: m[2],
        symbol: m[3],
        addend: m[4] === '-' ? -addend : addend,
      });
    }
    return { text, relocations };
  });
}
