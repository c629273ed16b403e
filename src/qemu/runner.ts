import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { guardAgainstParentDeath, watchParent } from './parent-death.js';
import { chooseAccel, kvmBoots, type Accel, type AccelRequest, type ProbeBoot } from './accel.js';
import { buildBootDisk } from './boot-sector.js';
import { classifyQemuEnding, STATUS_NOT_STARTED, type QemuEnding, type RunStatus } from './exit-status.js';
import { buildQemuArgs, type DirectBoot } from './qemu-args.js';
import { findExecutable, qemuBuildIdentity, qemuCommand } from './qemu-binary.js';
import { findOvmf } from './ovmf.js';

export interface RunOptions {
  /** The disk or CD image to boot (uefi and bios). */
  image?: string;
  /** 'direct': no firmware and no image, QEMU starts `direct.loader` (see DirectBoot). */
  firmware: 'uefi' | 'bios' | 'direct';
  direct?: DirectBoot;
  /** Defaults to 'tcg' for library callers; the CLI defaults to 'auto'. */
  accel?: AccelRequest;
  /** Seconds before QEMU is killed (status 2); 0 or Infinity for none (only sensible with gdb). */
  timeoutSeconds: number;
  /** QEMU -m value; default 256M. */
  memory?: string;
  extraArgs?: string[];
  headless?: boolean;
  /** Called with every chunk of guest serial output as it arrives. */
  onSerial?: (text: string) => void;
  /** Copy serial to the user's terminal live (CLI runs); tests leave it off. */
  echoSerial?: boolean;
  ovmfCode?: string;
  ovmfVars?: string;
  /** Start QEMU paused with a gdb server on a free local port; see onGdbReady for the port. */
  gdb?: boolean;
  /** Called once QEMU is about to start with its gdb server port (only with gdb). */
  onGdbReady?: (port: number) => void;
  /** Aborting stops QEMU cleanly (Ctrl-C in the CLI); the result then has interrupted set. */
  signal?: AbortSignal;
  /** QEMU binary; defaults to OSTOOL_QEMU or qemu-system-x86_64 on PATH. */
  qemu?: string;
  /** Notes about decisions (accelerator choice and why) as they are made. */
  onNote?: (note: string) => void;
  /** Re-measure the KVM probe instead of using the cached decision (accel 'auto'). */
  reprobeKvm?: boolean;
}

export interface RunResult {
  status: RunStatus;
  /** All guest serial output, as text. */
  serial: string;
  qemuExitCode: number | null;
  /** QEMU start to exit. */
  durationMs: number;
  /** One line saying why the run got this status. */
  reason: string;
  accel: Accel;
  /** Decisions the runner took (accelerator and why, headless fallback). */
  notes: string[];
  interrupted: boolean;
  /** The QEMU command line, for `--verbose` and bug reports; empty when QEMU was never started. */
  command: string[];
}

const DEFAULT_MEMORY = '256M';
/** After SIGTERM, QEMU gets this long to exit before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** Boots an image in QEMU and reports how the guest ended. Never throws for run-time problems: they are status 4. */
export async function runImage(options: RunOptions): Promise<RunResult> {
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    options.onNote?.(text);
  };
  const notStarted = (reason: string, accel: Accel = 'tcg'): RunResult => ({
    status: STATUS_NOT_STARTED,
    serial: '',
    qemuExitCode: null,
    durationMs: 0,
    reason,
    accel,
    notes,
    interrupted: false,
    command: [],
  });

  const qemu = findExecutable(options.qemu ?? qemuCommand());
  if (!qemu)
    return notStarted(
      `${options.qemu ?? qemuCommand()} not found: install QEMU (Debian/Ubuntu: apt install qemu-system-x86) or set OSTOOL_QEMU`,
    );
  if (options.firmware === 'direct') {
    if (!options.direct) return notStarted('a direct boot needs the direct loader and its files');
    for (const path of [options.direct.loader, ...options.direct.files.map((file) => file.file)])
      if (!existsSync(path)) return notStarted(`${path} does not exist`);
  } else if (options.image === undefined || !existsSync(options.image))
    return notStarted(`image ${options.image ?? '(none given)'} does not exist`);

  const ovmfFiles =
    options.firmware === 'uefi'
      ? findOvmf({ code: options.ovmfCode, vars: options.ovmfVars, qemuPath: qemu })
      : undefined;
  if (ovmfFiles && !ovmfFiles.found) return notStarted(ovmfFiles.reason);

  let accel: Accel = 'tcg';
  if ((options.accel ?? 'tcg') !== 'tcg') {
    const choice = await chooseMachineAccel(qemu, options.accel ?? 'tcg', options.reprobeKvm ?? false);
    accel = choice.accel;
    note(`accel: ${accel} (${choice.reason})`);
  }

  const workDir = mkdtempSync(join(tmpdir(), 'ostool-run-'));
  try {
    let ovmf: { code: string; varsCopy: string } | undefined;
    if (ovmfFiles?.found) {
      const found = ovmfFiles;
      // A fresh copy every run: vars reused across boots can make the next boot fall through to network boot.
      const varsCopy = join(workDir, 'OVMF_VARS.fd');
      copyFileSync(found.vars, varsCopy);
      ovmf = { code: found.code, varsCopy };
    }
    let headless = options.headless ?? false;
    if (!headless && !hasGraphicalDisplay()) {
      headless = true;
      note('no graphical display (DISPLAY/WAYLAND_DISPLAY unset): running headless');
    }
    const gdbPort = options.gdb ? await freeLocalPort() : undefined;
    const args = buildQemuArgs({
      image: options.image,
      firmware: options.firmware,
      direct: options.direct,
      ovmf,
      accel,
      memory: options.memory ?? DEFAULT_MEMORY,
      headless,
      gdbPort,
      extraArgs: options.extraArgs ?? [],
    });
    if (gdbPort !== undefined) options.onGdbReady?.(gdbPort);
    const run = await executeQemu(qemu, args, {
      timeoutSeconds: options.timeoutSeconds,
      signal: options.signal,
      onStdout: (text) => {
        if (options.echoSerial) process.stdout.write(text);
        options.onSerial?.(text);
      },
    });
    const { status, reason } = classifyQemuEnding(run.ending);
    return {
      status,
      reason,
      serial: run.stdout,
      qemuExitCode: run.ending.exitCode,
      durationMs: run.durationMs,
      accel,
      notes,
      interrupted: run.ending.interrupted,
      command: [qemu, ...args],
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

interface QemuExecution {
  ending: QemuEnding;
  stdout: string;
  durationMs: number;
}

/**
 * Runs QEMU to its end: stdin never inherited (a stray byte sends OVMF into its setup menu), stdout streamed,
 * and on timeout or abort QEMU is terminated (SIGTERM, then SIGKILL after a grace period) and waited for, so no
 * QEMU process outlives the call; nor ostool's exit (SIGKILL from an exit handler, and the parent-death guard).
 * Plain node:child_process: a process library would cost more to load than a warm `ostool test` spends here.
 */
export async function executeQemu(
  qemu: string,
  args: string[],
  options: { timeoutSeconds: number; signal?: AbortSignal; onStdout?: (text: string) => void },
): Promise<QemuExecution> {
  let timedOut = false;
  let interrupted = false;
  let stdout = '';
  let stderr = '';
  const decoder = new TextDecoder();
  const started = performance.now();
  const guarded = guardAgainstParentDeath(qemu, args);
  const child = spawn(guarded.command, guarded.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (!guarded.guardedByKernel && child.pid !== undefined) watchParent(child.pid);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.stdout.on('data', (chunk: Buffer) => {
    const text = decoder.decode(chunk, { stream: true });
    stdout += text;
    if (text) options.onStdout?.(text);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  let forceKill: NodeJS.Timeout | undefined;
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    forceKill ??= setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  };
  const timer =
    Number.isFinite(options.timeoutSeconds) && options.timeoutSeconds > 0
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutSeconds * 1000)
      : undefined;
  const onAbort = () => {
    interrupted = true;
    stop();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // 'close' comes after the process ended and both pipes are drained; 'error' alone when it never started.
    const ended = await new Promise<{ exitCode: number | null; spawnError?: string }>((resolve) => {
      child.once('error', (error) => {
        if (child.pid === undefined)
          resolve({ exitCode: null, spawnError: `could not start ${qemu}: ${error.message}` });
      });
      child.once('close', (exitCode) => resolve({ exitCode }));
    });
    const durationMs = performance.now() - started;
    const tail = decoder.decode();
    stdout += tail;
    if (tail) options.onStdout?.(tail);
    return {
      ending: {
        exitCode: ended.exitCode,
        timedOut,
        interrupted,
        stderr,
        spawnError: ended.spawnError,
        timeoutSeconds: options.timeoutSeconds,
      },
      stdout,
      durationMs,
    };
  } finally {
    if (timer) clearTimeout(timer);
    if (forceKill) clearTimeout(forceKill);
    process.removeListener('exit', killOnExit);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The accelerator for this machine and QEMU: `auto` runs (or reuses the cached result of) the KVM probe. */
export async function chooseMachineAccel(qemu: string, requested: AccelRequest, reprobe: boolean) {
  return chooseAccel({
    requested,
    qemuVersion: qemuBuildIdentity(qemu),
    reprobe,
    bootProbe: (probeAccel, timeoutSeconds) => bootProbeImage(qemu, probeAccel, timeoutSeconds),
  });
}

/** Whether KVM boots guests at all with this QEMU (see kvmBoots): for tests of what only KVM has. */
export async function machineKvmBoots(reprobe = false): Promise<{ boots: boolean; reason: string }> {
  const qemu = findExecutable(qemuCommand());
  if (!qemu) return { boots: false, reason: `${qemuCommand()} not found` };
  return kvmBoots({
    qemuVersion: qemuBuildIdentity(qemu),
    reprobe,
    bootProbe: (probeAccel, timeoutSeconds) => bootProbeImage(qemu, probeAccel, timeoutSeconds),
  });
}

/** One timed BIOS boot of a boot sector that reports success at once: the KVM probe. */
async function bootProbeImage(qemu: string, accel: Accel, timeoutSeconds: number): Promise<ProbeBoot> {
  const dir = mkdtempSync(join(tmpdir(), 'ostool-kvm-probe-'));
  try {
    const image = join(dir, 'probe.img');
    writeFileSync(image, buildBootDisk('ostool kvm probe\n', { kind: 'exit', value: 0x10 }));
    const args = buildQemuArgs({
      image,
      firmware: 'bios',
      accel,
      memory: '32M',
      headless: true,
      extraArgs: [],
    });
    const run = await executeQemu(qemu, args, { timeoutSeconds });
    return { passed: classifyQemuEnding(run.ending).status === 0, durationMs: run.durationMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hasGraphicalDisplay(): boolean {
  if (process.platform === 'darwin' || process.platform === 'win32') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
