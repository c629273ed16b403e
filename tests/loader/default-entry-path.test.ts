/**
 * `default_entry` as an entry path (CONFIG.md): components by level, escapes, `#N` for the Nth
 * duplicate among siblings; a path naming nothing, or a directory, stops the boot by name (Limine
 * would show its menu). Which entry booted shows in the kernel's command line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildLoader } from '../../src/loader/index.js';
import { STATUS_FAIL, STATUS_PASS, bootUefi, buildAsmKernel, parseReport } from './boot.js';

let work: string;
let efi: Uint8Array;
let kernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-loader-entry-path-'));
  efi = await buildLoader();
  kernel = await buildAsmKernel(work, 'kernel.asm');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const entry = (header: string, cmdline: string) => [
  header,
  '    protocol: limine',
  '    kernel_path: boot():/boot/kernel',
  `    cmdline: ${cmdline}`,
];

function config(defaultEntry: string): string {
  return [
    'timeout: 0',
    `default_entry: ${defaultEntry}`,
    ...entry('/Top', 'top'),
    '/+OSes',
    ...entry('//Other', 'first other'),
    ...entry('//Other', 'second other'),
    '//Nested',
    ...entry('///Other', 'nested other'),
    ...entry('//A\\B/C#D', 'escaped name'),
    ...entry('/Last', 'last'),
    '',
  ].join('\r\n');
}

async function bootWith(defaultEntry: string) {
  const built = await buildHddImage({
    kernel,
    bootloader: { kind: 'builtin', efi },
    config: config(defaultEntry),
  });
  const image = join(work, 'entry-path.img');
  await writeImageFile(built.image, image);
  return bootUefi({ image, timeoutSeconds: 120 });
}

describe('default_entry given as an entry path', () => {
  const picks: Array<[string, string]> = [
    ['OSes/Other#1', 'second other'],
    ['OSes/Nested/Other', 'nested other'],
    ['OSes/A\\\\B\\/C\\#D', 'escaped name'],
  ];
  for (const [path, cmdline] of picks) {
    test(`'${path}' boots the entry with cmdline '${cmdline}'`, async () => {
      const result = await bootWith(path);
      expect(result.serial).not.toContain('ostool loader: error');
      expect(result.status, result.reason).toBe(STATUS_PASS);
      expect(parseReport(result.serial).get('kernel_file_cmdline')).toEqual([cmdline]);
    }, 150_000);
  }

  for (const path of ['OSes/Other#2', 'OSes']) {
    test(`'${path}' names no bootable entry: the boot stops with a message`, async () => {
      const result = await bootWith(path);
      expect(result.serial).toMatch(/ostool loader: error: limine\.conf: default_entry/);
      expect(result.status, result.reason).toBe(STATUS_FAIL);
    }, 150_000);
  }
});
