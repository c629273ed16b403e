/**
 * Where the loaders look for requests, as Limine does: one pass over the loaded image in which a start
 * marker restarts the window and the first end marker closes it (PROTOCOL.md's "last start marker found"
 * and "first end marker found"), so an end marker before every start marker leaves nothing to answer and a
 * second start/end pair after the first end marker is never read; two base revision tags in the window are
 * refused (Limine panics "Duplicated base revision tag"). The fixture places markers, tag and two requests
 * (HHDM, bootloader info) in the order each layout names; booted direct (the request scan is shared code).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDirectLoader } from '../../src/loader/index.js';
import { runImage, type RunResult } from '../../src/qemu/index.js';
import { STATUS_FAIL, STATUS_PASS, buildAsmKernel, parseReport } from './boot.js';

const BASE_REVISION_MAGIC_1 = 0x6a7b384944536bdcn;
const CONFIG = ['timeout: 0', '/window', '    protocol: limine', '    kernel_path: boot():/boot/kernel', ''];

let work: string;
let loader: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-request-window-'));
  loader = join(work, 'loader.elf');
  await writeFile(loader, (await buildDirectLoader()).elf);
  await writeFile(join(work, 'limine.conf'), CONFIG.join('\n'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function bootLayout(layout: string): Promise<RunResult> {
  const kernel = join(work, `${layout}.elf`);
  await writeFile(kernel, await buildAsmKernel(work, 'request-window.asm', [layout]));
  return runImage({
    firmware: 'direct',
    direct: {
      loader,
      files: [
        { name: 'opt/ostool/boot/limine/limine.conf', file: join(work, 'limine.conf') },
        { name: 'opt/ostool/boot/kernel', file: kernel },
      ],
    },
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 30,
    memory: '128M',
  });
}

function values(run: RunResult): Record<string, bigint> {
  const report = parseReport(run.serial);
  const value = (key: string) => BigInt(report.get(key)?.[0] ?? '-1');
  return {
    hhdm: value('hhdm_answered'),
    info: value('info_answered'),
    word1: value('tag_word1'),
    word2: value('tag_word2'),
  };
}

describe('the request window', () => {
  test('an end marker before the start marker closes the window at once: no response, the tag untouched (base revision 0)', async () => {
    const run = await bootLayout('END_FIRST');
    expect(run.status, run.serial).toBe(STATUS_PASS);
    expect(values(run)).toEqual({ hhdm: 0n, info: 0n, word1: BASE_REVISION_MAGIC_1, word2: 3n });
  }, 60_000);

  test('a second start/end pair after the first end marker is not read', async () => {
    const run = await bootLayout('TWO_WINDOWS');
    expect(run.status, run.serial).toBe(STATUS_PASS);
    expect(values(run)).toEqual({ hhdm: 1n, info: 0n, word1: 3n, word2: 0n });
  }, 60_000);

  test('two base revision tags in the window are refused', async () => {
    const run = await bootLayout('TWO_TAGS');
    expect(run.serial).toContain('ostool loader: error: the kernel has two base revision tags');
    expect(run.status).toBe(STATUS_FAIL);
  }, 60_000);
});
