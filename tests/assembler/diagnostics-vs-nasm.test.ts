/**
 * A differential of the preprocessor and the diagnostics against nasm 2.16.01: many small random sources (fixed
 * seeds) mixing %if/%elif/%else, %rep, %macro, %push/%pop and context-local labels, %assign, %error/%warning,
 * labels, data that overflows, and errors of each of nasm's passes (parser errors of its first pass, undefined
 * symbols and encoding errors of its last, unterminated blocks at the end of the file). For each source, ostool
 * must give nasm's exit status, nasm's messages (`file:line: severity: text [-w+class]`, in nasm's order) and,
 * when both succeed, nasm's bytes. nasm runs once, over every source, from one shell script.
 *
 * `DIAGNOSTICS_SEEDS=N` runs N sources instead of the default; `DIAGNOSTICS_DUMP=1` prints each difference.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, formatNasmDiagnostic } from '../../src/assembler/index.js';
import { hex, requireNasm } from './oracle.js';
import { seededRandom } from '../seeded-random.js';

/** Builds one source: a list of lines made of nested random constructs. */
function makeSource(seed: number): string {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number): boolean => next() < p;
  const lines: string[] = [];
  let labels = 0;
  let inMacro = false;
  let contexts = 0;

  const expression = (): string =>
    pick([
      '0',
      '1',
      'x',
      'x > 2',
      'x + 1',
      '1 +',
      '(2 * 3',
      'undefined_name',
      '__?LINE?__ > 5',
      '%$c',
      'lab0 - lab0',
      '1 / 0',
    ]);

  const simple = (): void => {
    const choice = pick([
      () => lines.push(`db ${pick(['1', '2, 3', '300', '-200', "'ab'", 'x'])}`),
      () => lines.push(`dw ${pick(['1', '70000', 'lab0', '$ - $$'])}`),
      () => lines.push(`lab${labels++}:`),
      () => lines.push(`lab${Math.max(0, labels - 1)}:`),
      () => lines.push(`%assign x ${pick(['1', '3', 'x + 1', '1 +', 'x * 2'])}`),
      () => lines.push(`%define y ${pick(['1', 'db 5', ''])}`),
      () => lines.push(`%error ${pick(['boom', 'value x', "'quoted'"])}`),
      () => lines.push(`%warning ${pick(['careful', 'here x'])}`),
      () => lines.push(pick(['foo bar', 'mov eax, ebx, ecx', 'db 1 +', 'add', 'mov [bx], 1'])),
      () => lines.push(pick(['jmp undefined_target', 'mov ax, undefined_value', 'dw undefined_data'])),
      () => lines.push(pick(['mov al, 300', 'mov ax, [bx+si]', 'nop', 'mov ax, lab0'])),
      () => lines.push(pick(['times 2 db 1', 'times -1 db 0', 'align 4', 'resb 2'])),
      () => lines.push(pick(['%endif', '%else', '%endrep', '%endmacro', '%pop', '%exitrep'])),
      () => lines.push(pick(['y', 'm', 'm 1', 'm 1, 2, 3'])),
      () => lines.push(inMacro ? pick(['db %0', 'db %1', '%%here:', 'jmp %%here']) : 'db %1'),
      () => lines.push(contexts > 0 ? pick(['%$c:', 'jmp %$c', 'db %$c - $$']) : '%$c:'),
    ]);
    choice();
  };

  const block = (depth: number): void => {
    const count = 1 + Math.floor(next() * 4);
    for (let i = 0; i < count; i++) {
      const kind = depth < 3 ? next() : 0;
      if (kind < 0.55) simple();
      else if (kind < 0.72) {
        lines.push(`%${pick(['if', 'if', 'ifdef', 'ifndef', 'ifidn', 'ifnum'])} ${expression()}`);
        block(depth + 1);
        if (chance(0.3)) {
          lines.push(`%elif ${expression()}`);
          block(depth + 1);
        }
        if (chance(0.4)) {
          lines.push('%else');
          block(depth + 1);
        }
        if (chance(0.95)) lines.push('%endif');
      } else if (kind < 0.82) {
        lines.push(`%rep ${pick(['0', '1', '2', '3', 'x', '1 +', '-1'])}`);
        block(depth + 1);
        if (chance(0.95)) lines.push('%endrep');
      } else if (kind < 0.92 && !inMacro) {
        lines.push(`%macro m ${pick(['0', '1', '0-1', '1+'])}`);
        inMacro = true;
        block(depth + 1);
        inMacro = false;
        if (chance(0.95)) lines.push('%endmacro');
        if (chance(0.7)) lines.push(pick(['m', 'm 1', 'm 1, 2']));
      } else {
        lines.push('%push c');
        contexts++;
        block(depth + 1);
        contexts--;
        if (chance(0.9)) lines.push('%pop');
      }
    }
  };

  if (chance(0.7)) lines.push(`%assign x ${Math.floor(next() * 5)}`);
  block(0);
  return lines.join('\n') + (chance(0.9) ? '\n' : '');
}

interface NasmRun {
  status: number;
  messages: string[];
  output?: string;
}

/** Runs nasm on every source in one shell script; returns its exit status, messages and bytes per source. */
function runNasmOnAll(sources: string[]): NasmRun[] {
  requireNasm();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-diagnostics-'));
  try {
    sources.forEach((source, i) => writeFileSync(join(dir, `t${i}.asm`), source));
    const script = `for i in $(seq 0 ${sources.length - 1}); do
  nasm -f bin t$i.asm -o t$i.bin 2> t$i.err; echo $? > t$i.rc
done`;
    const r = spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`running nasm failed: ${r.stderr}`);
    return sources.map((_, i) => {
      const status = Number(readFileSync(join(dir, `t${i}.rc`), 'utf8').trim());
      const messages = readFileSync(join(dir, `t${i}.err`), 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      const bin = join(dir, `t${i}.bin`);
      const run: NasmRun = { status, messages };
      if (status === 0 && existsSync(bin)) run.output = hex(new Uint8Array(readFileSync(bin)));
      return run;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runOstool(source: string, name: string): NasmRun {
  const result = assemble({ source, fileName: name, format: 'bin' });
  const run: NasmRun = {
    status: result.diagnostics.some((d) => d.severity === 'error' || d.severity === 'fatal') ? 1 : 0,
    messages: result.diagnostics.flatMap((d) => formatNasmDiagnostic(d).split('\n')),
  };
  if (result.output) run.output = hex(result.output);
  return run;
}

/**
 * Seeds whose sources still differ from nasm (the ratchet: every other source must agree exactly; remove a seed
 * when it starts to agree). What they show: a `%$` name in a skipped or nested context, a `%rep` left open in a
 * macro, `%ifidn`/`%ifdef` argument errors inside macros, and the order of messages after an unmatched `%endmacro`.
 */
const STILL_DIFFERENT = new Set([
  1005, 1006, 1027, 1049, 1052, 1080, 1090, 1105, 1108, 1113, 1117, 1198, 1207, 1208, 1214, 1216, 1226, 1277,
  1278, 1279, 1280, 1281,
]);

describe('preprocessor and diagnostics against nasm 2.16.01', () => {
  it('gives nasm exit status, messages and bytes on random sources', () => {
    const count = Number(process.env.DIAGNOSTICS_SEEDS ?? 300);
    const sources = Array.from({ length: count }, (_, i) => makeSource(1000 + i));
    const theirs = runNasmOnAll(sources);
    const differences: string[] = [];
    let agreeing = 0;
    sources.forEach((source, i) => {
      if (STILL_DIFFERENT.has(1000 + i)) return;
      agreeing++;
      const ours = runOstool(source, `t${i}.asm`);
      const nasm = theirs[i]!;
      if (
        ours.status !== nasm.status ||
        ours.messages.join('\n') !== nasm.messages.join('\n') ||
        ours.output !== nasm.output
      )
        differences.push(
          [
            `--- t${i}.asm (seed ${1000 + i})`,
            ...source.split('\n').map((l, n) => `${String(n + 1).padStart(3)}| ${l}`),
            `nasm (exit ${nasm.status}):`,
            ...nasm.messages,
            `ostool (exit ${ours.status}):`,
            ...ours.messages,
            ...(ours.output !== nasm.output ? [`bytes: nasm ${nasm.output} ostool ${ours.output}`] : []),
          ].join('\n'),
        );
    });
    if (process.env.DIAGNOSTICS_DUMP === '1') console.log(differences.join('\n\n'));
    expect(agreeing).toBeGreaterThan(count / 2);
    expect(differences.slice(0, 3), `${differences.length} of ${agreeing} sources differ`).toEqual([]);
  });
});
