import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * NASM's own regression suite (../shared/conformance/nasm, run by its own runner) against `ostool asm`.
 * `nasm-suite-passing.txt` is the ratchet: every test listed there passed when it was last recorded and must
 * keep passing. Record new passes with `UPDATE_NASM_SUITE=1 npx vitest run tests/assembler/nasm-suite.test.ts`.
 */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const suiteDir = resolve(repo, '../shared/conformance/nasm');
const ratchetFile = join(repo, 'tests/assembler/nasm-suite-passing.txt');
const present = existsSync(join(suiteDir, 'run.py'));

if (!present) console.log(`nasm suite: skipped (${suiteDir} is not there; CI always has it)`);

describe.skipIf(!present)("NASM's regression suite", () => {
  it('passes every test it passed before, and reports the summary line', async () => {
    let listing: string;
    try {
      // async: a synchronous child would block the worker for a minute and time out vitest's RPC
      ({ stdout: listing } = await promisify(execFile)(
        'python3',
        [
          join(suiteDir, 'run.py'),
          '--list',
          '--baseline',
          join(suiteDir, 'nasm-2.16.01-passes.txt'),
          '--',
          'node',
          join(repo, 'bin/ostool.js'),
          'asm',
        ],
        { encoding: 'utf8', maxBuffer: 64 << 20 },
      ));
    } catch (error) {
      // Exit status 1 only says some baseline test fails; the listing is still complete.
      listing = (error as { stdout?: string }).stdout ?? '';
    }
    const passing = new Set<string>();
    const failing = new Set<string>();
    for (const line of listing.split('\n')) {
      const match = /^(PASS|FAIL) (\S+)$/.exec(line);
      if (match) (match[1] === 'PASS' ? passing : failing).add(match[2]!);
    }
    const summary = listing.split('\n').find((line) => line.startsWith('nasm suite:'));
    console.log(summary ?? 'nasm suite: the runner printed no summary');
    expect(summary).toBeDefined();

    const ratchet = readFileSync(ratchetFile, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (process.env.UPDATE_NASM_SUITE === '1') {
      const header =
        '# NASM suite tests ostool asm passes; each must keep passing (tests/assembler/nasm-suite.test.ts)\n';
      writeFileSync(ratchetFile, header + [...passing].sort().join('\n') + '\n');
    }
    const regressed = ratchet.filter((name) => !passing.has(name));
    expect(regressed, `NASM suite tests that passed before and fail now`).toEqual([]);
  }, 900_000);
});
