/**
 * Boots kernel images under QEMU + OVMF for the kernel tests: TCG only, no network, stdin ignored,
 * a fresh copy of the OVMF variables per run, a timeout, and QEMU killed on every path.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildKernelImage, type KernelImageOptions } from '../../src/build/index.js';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
/** QEMU's exit status when the guest wrote 0x10 / 0x11 to isa-debug-exit at port 0xf4. */
export const QEMU_EXIT_SUCCESS = 33;
export const QEMU_EXIT_FAILURE = 35;

export interface BootResult {
  exitCode: number | undefined;
  timedOut: boolean;
  serial: string;
}

export async function bootImage(
  imagePath: string,
  options: { timeoutMs?: number; memory?: string } = {},
): Promise<BootResult> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-kernel-boot-'));
  try {
    const vars = join(work, 'vars.fd');
    await copyFile(OVMF_VARS, vars);
    const media = imagePath.endsWith('.iso')
      ? ['-cdrom', imagePath]
      : ['-drive', `format=raw,file=${imagePath}`];
    const result = await execa(
      'qemu-system-x86_64',
      [
        '-machine',
        'q35',
        '-accel',
        'tcg',
        '-m',
        options.memory ?? '256M',
        '-nic',
        'none',
        '-no-reboot',
        '-display',
        'none',
        '-serial',
        'stdio',
        '-monitor',
        'none',
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=0x04',
        '-drive',
        `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
        '-drive',
        `if=pflash,format=raw,file=${vars}`,
        ...media,
      ],
      {
        reject: false,
        stdin: 'ignore',
        timeout: options.timeoutMs ?? 90_000,
        killSignal: 'SIGKILL',
        forceKillAfterDelay: 1000,
      },
    );
    return { exitCode: result.exitCode, timedOut: result.timedOut, serial: String(result.stdout) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Builds the repo kernel into an image in a temporary directory and boots it. */
export async function buildAndBoot(
  options: KernelImageOptions & { timeoutMs?: number },
): Promise<BootResult & { elf: Uint8Array; toolchain: string }> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-kernel-image-'));
  try {
    const media = options.media ?? 'iso';
    const image = await buildKernelImage({
      bootloader: 'builtin',
      ...options,
      output: join(work, media === 'iso' ? 'kernel.iso' : 'kernel.img'),
    });
    const result = await bootImage(image.path, { timeoutMs: options.timeoutMs });
    return { ...result, elf: image.kernel.elf, toolchain: image.kernel.toolchain };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The TAP lines of a test run: plan, results (number, passed, name), summary counts. */
export function parseTap(serial: string): {
  plan?: number;
  results: Array<{ number: number; ok: boolean; name: string }>;
  summary?: { tests: number; passed: number; failed: number };
} {
  const results: Array<{ number: number; ok: boolean; name: string }> = [];
  let plan: number | undefined;
  let summary: { tests: number; passed: number; failed: number } | undefined;
  for (const line of serial.split(/\r?\n/)) {
    const planMatch = /^1\.\.(\d+)$/.exec(line);
    if (planMatch) plan = Number(planMatch[1]);
    const result = /^(not ok|ok) (\d+) - (.*)$/.exec(line);
    if (result) results.push({ ok: result[1] === 'ok', number: Number(result[2]), name: result[3]! });
    const counts = /^# tests (\d+), passed (\d+), failed (\d+)$/.exec(line);
    if (counts) summary = { tests: Number(counts[1]), passed: Number(counts[2]), failed: Number(counts[3]) };
  }
  return { plan, results, summary };
}
