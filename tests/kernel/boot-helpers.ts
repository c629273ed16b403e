/** Boots kernel images under QEMU + OVMF for the kernel tests, through the project's runner (TCG only). */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernelImage, type KernelImageOptions } from '../../src/build/index.js';
import { runImage, STATUS_TIMEOUT } from '../../src/qemu/index.js';

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
  options: { timeoutMs?: number; memory?: string; qemuArgs?: string[] } = {},
): Promise<BootResult> {
  // The project's runner does the QEMU work (OVMF vars copy, TCG, no NIC, timeout, no orphans).
  const run = await runImage({
    image: imagePath,
    firmware: 'uefi',
    accel: 'tcg',
    headless: true,
    memory: options.memory ?? '256M',
    timeoutSeconds: (options.timeoutMs ?? 90_000) / 1000,
    ovmfCode: OVMF_CODE,
    ovmfVars: OVMF_VARS,
    extraArgs: options.qemuArgs,
  });
  return {
    exitCode: run.qemuExitCode ?? undefined,
    timedOut: run.status === STATUS_TIMEOUT,
    serial: run.serial,
  };
}

/** Builds the repo kernel into an image in a temporary directory and boots it. */
export async function buildAndBoot(
  options: KernelImageOptions & { timeoutMs?: number; qemuArgs?: string[] },
): Promise<BootResult & { elf: Uint8Array; toolchain: string }> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-kernel-image-'));
  try {
    const media = options.media ?? 'iso';
    const image = await buildKernelImage({
      bootloader: 'builtin',
      ...options,
      output: join(work, media === 'iso' ? 'kernel.iso' : 'kernel.img'),
    });
    const result = await bootImage(image.path, { timeoutMs: options.timeoutMs, qemuArgs: options.qemuArgs });
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

/**
 * Boots the repo kernel with a QEMU human monitor on a Unix socket (the runner has none), waits for
 * `readyText` on serial, hands the test a way to send monitor commands and wait for serial text,
 * then stops QEMU. Returns everything the guest wrote.
 */
export async function bootWithMonitor(
  options: KernelImageOptions & { readyText: string; timeoutMs?: number },
  interact: (session: {
    monitor: (command: string) => Promise<void>;
    waitForSerial: (text: string, timeoutMs: number) => Promise<boolean>;
  }) => Promise<void>,
): Promise<{ serial: string }> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-kernel-monitor-'));
  const stop = new AbortController();
  let serial = '';
  const waiters: Array<() => void> = [];
  try {
    const image = await buildKernelImage({
      bootloader: 'builtin',
      ...options,
      output: join(work, options.media === 'hdd' ? 'kernel.img' : 'kernel.iso'),
    });
    const socketPath = join(work, 'monitor.sock');
    const run = runImage({
      image: image.path,
      firmware: 'uefi',
      accel: 'tcg',
      headless: true,
      memory: '256M',
      timeoutSeconds: (options.timeoutMs ?? 120_000) / 1000,
      ovmfCode: OVMF_CODE,
      ovmfVars: OVMF_VARS,
      extraArgs: ['-monitor', `unix:${socketPath},server=on,wait=off`],
      signal: stop.signal,
      onSerial: (text) => {
        serial += text;
        for (const wake of waiters.splice(0)) wake();
      },
    });
    let ended = false;
    void run.then(() => {
      ended = true;
      for (const wake of waiters.splice(0)) wake();
    });
    const waitForSerial = async (text: string, timeoutMs: number): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      while (!serial.includes(text)) {
        if (ended || Date.now() > deadline) return false;
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return true;
    };
    try {
      if (await waitForSerial(options.readyText, options.timeoutMs ?? 120_000)) {
        const connection = await new Promise<Socket>((resolve, reject) => {
          const socket = createConnection(socketPath, () => resolve(socket));
          socket.on('error', reject);
        });
        connection.on('data', () => {}); // the monitor's echo and prompts are not needed
        try {
          await interact({
            monitor: (command) =>
              new Promise<void>((resolve) => {
                connection.write(`${command}\n`, () => setTimeout(resolve, 150));
              }),
            waitForSerial,
          });
        } finally {
          connection.destroy();
        }
      }
    } finally {
      stop.abort();
      await run;
    }
    return { serial };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
