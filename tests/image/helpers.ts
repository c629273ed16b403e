import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { ImageFile } from '../../src/image/index.js';

/** A fresh directory under the system temp dir, removed by the returned cleanup. */
export async function tempDir(
  prefix = 'ostool-image-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32), so fixture contents are known but not trivial. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** Renders bytes the way Limine's build renders limine-bios-hdd.bin into limine-bios-hdd.h. */
export function cArrayHeader(bytes: Uint8Array): string {
  const lines: string[] = ['const uint8_t binary_limine_hdd_bin_data[] = {'];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(
      '    ' +
        [...bytes.subarray(i, i + 16)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ') +
        ',',
    );
  }
  lines.push('};');
  return lines.join('\n') + '\n';
}

/** Stage 2 as large as Limine 8's (42 sectors split 21 + 21): the size the issue measured 44 entries with. */
export const SYNTHETIC_STAGE2_BYTES = 21_000;

export function syntheticStages(stage1?: Uint8Array, stage2?: Uint8Array): Uint8Array {
  const first = stage1 ?? patternBytes(512, 11);
  const second = stage2 ?? patternBytes(SYNTHETIC_STAGE2_BYTES, 12);
  const out = new Uint8Array(512 + second.length);
  out.set(first.subarray(0, 512));
  out[510] = 0x55;
  out[511] = 0xaa;
  out.set(second, 512);
  return out;
}

/**
 * A directory laid out like a Limine binary release, with synthetic stage files whose bytes we control.
 * `uefiCd` is a real FAT image (made by mtools) holding `bootX64` as /EFI/BOOT/BOOTX64.EFI.
 */
export async function syntheticLimineDir(
  dir: string,
  parts: {
    stages?: Uint8Array;
    biosCd?: Uint8Array;
    biosSys?: Uint8Array;
    bootX64?: Uint8Array;
    bootIa32?: Uint8Array;
  } = {},
): Promise<{
  dir: string;
  stages: Uint8Array;
  biosCd: Uint8Array;
  biosSys: Uint8Array;
  bootX64: Uint8Array;
}> {
  await mkdir(dir, { recursive: true });
  const stages = parts.stages ?? syntheticStages();
  const biosCd = parts.biosCd ?? patternBytes(2048, 21);
  const biosSys = parts.biosSys ?? patternBytes(40_000, 22);
  const bootX64 = parts.bootX64 ?? patternBytes(3000, 23);
  await writeFile(join(dir, 'limine-bios-hdd.h'), cArrayHeader(stages));
  await writeFile(join(dir, 'limine-bios-cd.bin'), biosCd);
  await writeFile(join(dir, 'limine-bios.sys'), biosSys);
  await writeFile(join(dir, 'BOOTX64.EFI'), bootX64);
  if (parts.bootIa32) await writeFile(join(dir, 'BOOTIA32.EFI'), parts.bootIa32);
  const uefiCd = join(dir, 'limine-uefi-cd.bin');
  await tool('mformat', ['-C', '-i', uefiCd, '-f', '1440', '::']);
  await tool('mmd', ['-i', uefiCd, '::/EFI', '::/EFI/BOOT']);
  await tool('mcopy', ['-i', uefiCd, join(dir, 'BOOTX64.EFI'), '::/EFI/BOOT/BOOTX64.EFI']);
  return { dir, stages, biosCd, biosSys, bootX64 };
}

/** Runs an oracle tool; fails the test with its output when it exits non-zero (unless `allowFailure`). */
export async function tool(command: string, args: string[], options: { allowFailure?: boolean } = {}) {
  const result = await execa(command, args, {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: 60_000,
    env: { TZ: 'UTC', LC_ALL: 'C' },
  });
  if (!options.allowFailure && result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.exitCode}:\n${result.all}`);
  }
  return result;
}

/** Assembles a fixture with nasm -f bin into `out` (never /dev/null: nasm deletes its output on error). */
export async function nasmBin(source: string, out: string): Promise<void> {
  await tool('nasm', ['-f', 'bin', '-o', out, source]);
}

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

export function sample(path: string, data: Uint8Array): ImageFile {
  return { path, data };
}

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface QemuOutcome {
  exitCode: number | undefined;
  serial: string;
  timedOut: boolean;
}

/**
 * Boots an image under QEMU (TCG, no network, no stdin, fresh OVMF vars for UEFI) with isa-debug-exit,
 * and returns its exit status and serial output; QEMU is killed on timeout.
 */
export async function bootImage(options: {
  workDir: string;
  media: string[];
  firmware: 'uefi' | 'bios';
  timeoutMs: number;
}): Promise<QemuOutcome> {
  const serialLog = join(options.workDir, `serial-${Date.now()}-${Math.random().toString(16).slice(2)}.log`);
  const args = [
    '-accel',
    'tcg',
    '-machine',
    'q35',
    '-m',
    '256',
    '-nic',
    'none',
    '-display',
    'none',
    '-no-reboot',
  ];
  if (options.firmware === 'uefi') {
    const vars = join(options.workDir, `vars-${Date.now()}-${Math.random().toString(16).slice(2)}.fd`);
    await copyFile(OVMF_VARS, vars);
    args.push(
      '-drive',
      `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
      '-drive',
      `if=pflash,format=raw,file=${vars}`,
    );
  }
  args.push(
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-serial',
    `file:${serialLog}`,
    ...options.media,
  );
  const child = execa('qemu-system-x86_64', args, {
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
  });
  const result = await child;
  const { readFile } = await import('node:fs/promises');
  const serial = await readFile(serialLog, 'latin1').catch(() => '');
  return { exitCode: result.exitCode, serial, timedOut: Boolean(result.timedOut) };
}

export async function writeBytes(path: string, data: Uint8Array): Promise<string> {
  await writeFile(path, data);
  return path;
}
