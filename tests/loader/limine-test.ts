/**
 * Limine's own protocol test kernel (../shared/conformance/limine-test/): building it (gcc, and ostool link
 * checked against GNU ld) and booting it under the built-in UEFI loader or the direct loader, collecting
 * what it prints on port 0xE9. Used by limine-test-kernel.test.ts and direct-boot.test.ts.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect } from 'vitest';
import { buildHddImage, writeImageFile } from '../../src/image/index.js';
import { buildDirectLoader, buildLoader } from '../../src/loader/index.js';
import { runImage } from '../../src/qemu/index.js';
import { FIXTURES } from './boot.js';

const OSTOOL = fileURLToPath(new URL('../../bin/ostool.js', import.meta.url));
export const CORPUS = fileURLToPath(new URL('../../../shared/conformance/limine-test/', import.meta.url));
export const HAVE_CORPUS = existsSync(join(CORPUS, 'test', 'limine.c'));
const API_DIR = join(FIXTURES, 'limine-8-api');

export const KERNEL_CMDLINE = 'This is an example kernel command line.';
export const MODULE_CMDLINE = 'This is the first module.';

/** One feature block of the kernel's output: its header line and the lines after it. */
export interface Feature {
  header: string;
  lines: string[];
}

export function parseFeatures(text: string): Feature[] {
  const features: Feature[] = [];
  let current: Feature | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') {
      current = undefined;
      continue;
    }
    if (!current) {
      current = { header: line, lines: [] };
      features.push(current);
    } else current.lines.push(line);
  }
  return features;
}

/** Lines that belong to the bootloader or the machine, not to the protocol: compared by shape. */
export const MACHINE_LINES: RegExp[] = [
  /^Bootloader (name|version): /,
  /^Physical base: /,
  /^Virtual base: /,
  /^Higher half direct map at: /,
  /^\d+ memory map entries$/,
  /^0x[0-9a-f]+->0x[0-9a-f]+ /,
  /^Address: /,
  /^ {2}\d+x\d+x\d+$/,
  /^File->(Address|MediaType|PartIndex|TFTPIP|TFTPPort|MBRDiskId|GPTDiskUUID|GPTPartUUID|PartUUID): /,
  /^(RSDP|EFI system table|EFI memory map|SMBIOS 32-bit entry) at: /,
  /^EFI memory map size: /,
  /^Boot time: /,
  /^Kernel (start|slide): /,
];

export function isMachineLine(line: string): boolean {
  return MACHINE_LINES.some((pattern) => pattern.test(line));
}

/** Builds the test kernel in `work` with gcc, links it with ostool (checked against GNU ld). */
export async function buildLimineTestKernel(work: string): Promise<Uint8Array> {
  const test = join(CORPUS, 'test');
  const cflags = [
    ...['-O2', '-g', '-Wall', '-Wextra', '-std=c11', '-nostdinc', '-ffreestanding', '-fno-stack-protector'],
    ...['-fno-stack-check', '-fno-lto', '-fPIE', `-I${join(CORPUS, 'freestnd-c-hdrs-0bsd')}`, `-I${test}`],
    ...[`-I${API_DIR}`, '-D_LIMINE_PROTO', '-m64', '-march=x86-64', '-mgeneral-regs-only', '-mno-red-zone'],
  ];
  const sources = [join(test, 'limine.c'), join(test, 'e9print.c'), join(test, 'memory.c')];
  sources.push(join(API_DIR, 'flanterm-standin.c'));
  const objects: string[] = [];
  for (const source of sources) {
    const object = join(work, `${objects.length}.o`);
    await execa('gcc', [...cflags, '-c', source, '-o', object]);
    objects.push(object);
  }
  const ldArgs = [
    ...['-m', 'elf_x86_64', `-T${join(test, 'linker.ld')}`, '-nostdlib', '-zmax-page-size=0x1000'],
    ...['-pie', '-ztext'],
  ];
  const gnu = join(work, 'kernel-ld.elf');
  const elf = join(work, 'kernel.elf');
  await execa('ld', [...objects, ...ldArgs, '-o', gnu]);
  // The kernel that boots is the one ostool links; GNU ld's is the oracle for its loaded image.
  await execa('node', [OSTOOL, 'link', ...objects, ...ldArgs, '-o', elf]);
  for (const view of [['-lW'], ['-dW'], ['-rW']]) {
    const [ours, theirs] = await Promise.all([elf, gnu].map((file) => execa('readelf', [...view, file])));
    expect(ours!.stdout.replace(elf, 'K'), `readelf ${view[0]}`).toBe(theirs!.stdout.replace(gnu, 'K'));
  }
  const [ourBytes, theirBytes] = await Promise.all(
    [elf, gnu].map(async (file) => {
      await execa('objcopy', ['-O', 'binary', file, `${file}.bin`]);
      return readFile(`${file}.bin`);
    }),
  );
  expect(Buffer.compare(ourBytes!, theirBytes!), 'loaded bytes of ostool link vs GNU ld').toBe(0);
  return new Uint8Array(await readFile(elf));
}

export interface LimineTestBoot {
  work: string;
  kernel: Uint8Array;
  moduleData: Uint8Array;
  /** uefi: an HDD image under OVMF and the UEFI loader; direct: the direct loader, files through fw_cfg. */
  boot: 'uefi' | 'direct';
  extraConfig?: string[];
  extraArgs?: string[];
  /** Global limine.conf lines before the entry. */
  before?: string[];
}

/** Boot it and collect port 0xE9 until the last feature (paging mode) has printed. */
export async function bootLimineTestKernel(
  options: LimineTestBoot,
): Promise<{ e9: string; serial: string; reason: string }> {
  const { work, kernel, moduleData, extraConfig = [], extraArgs = [], before = [] } = options;
  const config = [
    'timeout: 0',
    ...before,
    '/Limine Test',
    '    protocol: limine',
    '    kernel_path: boot():/boot/kernel',
    `    kernel_cmdline: ${KERNEL_CMDLINE}`,
    '    module_path: boot():/boot/modules/bg.jpg',
    `    module_cmdline: ${MODULE_CMDLINE}`,
    ...extraConfig.map((line) => `    ${line}`),
    '',
  ].join('\n');
  const e9File = join(work, `e9-${options.boot}.txt`);
  await rm(e9File, { force: true });
  const machine =
    options.boot === 'uefi'
      ? await uefiImage(work, kernel, config, moduleData)
      : await directFiles(work, kernel, config, moduleData);
  const stop = new AbortController();
  let e9 = '';
  const poll = setInterval(() => {
    void readFile(e9File, 'latin1')
      .then((text) => {
        e9 = text;
        if (/Paging mode (feature, revision \d+\n {2}mode: \d+|not passed)\n/.test(text)) stop.abort();
      })
      .catch(() => undefined);
  }, 250);
  const result = await runImage({
    ...machine,
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 60,
    memory: '512M',
    extraArgs: ['-debugcon', `file:${e9File}`, ...extraArgs],
    signal: stop.signal,
    onSerial: (text) => {
      if (text.includes('ostool loader: error')) stop.abort();
    },
  });
  clearInterval(poll);
  e9 = await readFile(e9File, 'latin1').catch(() => e9);
  return { e9, serial: result.serial, reason: result.reason };
}

async function uefiImage(work: string, kernel: Uint8Array, config: string, moduleData: Uint8Array) {
  const efi = await buildLoader();
  const built = await buildHddImage({
    kernel,
    bootloader: { kind: 'builtin', efi },
    config,
    modules: [{ name: 'bg.jpg', data: moduleData }],
  });
  const image = join(work, 'limine-test.img');
  await writeImageFile(built.image, image);
  return { image, firmware: 'uefi' as const };
}

/** The direct boot's files, named as the UEFI image holds them (the module at /boot/modules/bg.jpg). */
async function directFiles(work: string, kernel: Uint8Array, config: string, moduleData: Uint8Array) {
  const { elf } = await buildDirectLoader();
  const files = { loader: elf, 'limine.conf': config, kernel, 'bg.jpg': moduleData };
  for (const [name, data] of Object.entries(files)) await writeFile(join(work, `direct-${name}`), data);
  return {
    firmware: 'direct' as const,
    direct: {
      loader: join(work, 'direct-loader'),
      files: [
        { name: 'opt/ostool/boot/limine/limine.conf', file: join(work, 'direct-limine.conf') },
        { name: 'opt/ostool/boot/kernel', file: join(work, 'direct-kernel') },
        { name: 'opt/ostool/boot/modules/bg.jpg', file: join(work, 'direct-bg.jpg') },
      ],
    },
  };
}
