/**
 * The project's own assembly (the kernel and the built-in loader) must assemble exactly as nasm assembles it.
 * If nasm rejects a source (work in progress elsewhere), ostool must reject it too.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { readElf, requireNasm } from './oracle.js';

const root = new URL('../../', import.meta.url).pathname;

function readIfFile(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function compareWithNasm(relative: string, includeDirs: string[]): void {
  requireNasm();
  const path = join(root, relative);
  const includes = includeDirs.map((d) => join(root, d) + '/');
  const dir = mkdtempSync(join(tmpdir(), 'ostool-project-asm-'));
  try {
    const out = join(dir, 'nasm.o');
    const nasm = spawnSync('nasm', ['-f', 'elf64', ...includes.map((i) => `-I${i}`), path, '-o', out], {
      cwd: root,
      encoding: 'utf8',
    });
    const ours = assemble({
      source: readFileSync(path, 'utf8'),
      fileName: path,
      format: 'elf64',
      includePaths: includes,
      readFile: readIfFile,
    });
    if (nasm.status !== 0) {
      expect(ours.output).toBeUndefined();
      return;
    }
    const errors = ours.diagnostics
      .filter((d) => d.severity === 'error')
      .map((d) => `${d.location.file}:${d.location.line}: ${d.message}`);
    expect(errors).toEqual([]);
    const summary = readElf(ours.output!);
    const expected = readElf(new Uint8Array(readFileSync(out)));
    // the STT_FILE symbol carries the path as given; both were given the same absolute path
    expect(summary).toEqual(expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the project's own assembly sources", () => {
  const kernel = 'src/kernel/kernel.asm';
  const loader = 'src/loader/main.asm';
  it.runIf(existsSync(join(root, kernel)))('assembles the kernel exactly like nasm', () => {
    compareWithNasm(kernel, [dirname(kernel), 'src/kernel/include']);
  });
  it.runIf(existsSync(join(root, loader)))('assembles the built-in loader exactly like nasm', () => {
    compareWithNasm(loader, [dirname(loader)]);
  });
});
