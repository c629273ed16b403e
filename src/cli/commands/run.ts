import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { buildDirectory, buildKernelImage, type Project } from '../../build/index.js';
import type { ProjectMachine } from '../../build/project.js';
import { UserError } from '../../errors.js';
import {
  GUEST_FAILURE_CODE,
  GUEST_SUCCESS_CODE,
  lastSerialLines,
  runImage,
  STATUS_FAIL,
  STATUS_PASS,
  type RunOptions,
  type RunResult,
} from '../../qemu/index.js';
import { printStep, resolveProject } from '../project.js';
import { TerminalFilter } from '../terminal-filter.js';
import { watchForChanges } from '../watch.js';
import { addProjectOptions } from './build.js';

/** Exit status after Ctrl-C, as shells report a SIGINT death. */
export const INTERRUPTED_EXIT_STATUS = 130;

/** The signals that stop a run cleanly, with the exit status a shell reports for a death by each. */
const STOP_SIGNALS: ReadonlyArray<readonly [NodeJS.Signals, number]> = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
];

/** Options `run` and `test` share: where the image comes from and how QEMU boots it. */
export interface MachineCliOptions {
  image?: string;
  firmware?: 'uefi' | 'bios';
  accel: 'auto' | 'kvm' | 'tcg';
  timeout?: string;
  memory?: string;
  smp?: string;
  ovmfCode?: string;
  ovmfVars?: string;
  bootloader?: 'auto' | 'limine' | 'builtin';
  limine?: string;
  media?: 'iso' | 'hdd';
  reprobeKvm?: boolean;
  verbose?: boolean;
  watch?: boolean;
  kernelDir?: string;
  script?: string;
}

export interface RunOutcome extends RunResult {
  /** The signal that stopped the run (SIGINT for Ctrl-C), when one did. */
  stopSignal?: NodeJS.Signals;
}

export function register(program: Command): Command {
  const command = program
    .command('run')
    .description(
      'boot an image (default: the project of the nearest ostool.toml) in QEMU, guest serial on the terminal; exit 0 pass, 1 fail, 2 timeout, 3 reset/triple fault, 4 QEMU/firmware could not start',
    )
    .argument('[qemu-args...]', 'extra QEMU arguments, after --');
  addMachineOptions(command, { defaultTimeout: undefined });
  return command
    .option('--headless', 'no QEMU window (-display none)')
    .option('--gdb', 'start paused with a gdb server and print the gdb command that connects')
    .option(
      '--kernel <elf>',
      'kernel ELF whose symbols --gdb loads (default: the one built with the default image)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  ostool run --image build/os.iso --firmware uefi --headless --timeout 30\n  ostool run --image disk.img --firmware bios --gdb -- -d int\n  ostool run --watch   (rebuild and reboot when a source changes)',
    )
    .action(
      async (
        qemuArgs: string[],
        options: MachineCliOptions & { headless?: boolean; gdb?: boolean; kernel?: string },
      ) => {
        if (options.watch && options.image)
          throw new UserError('--watch rebuilds the project: it cannot be used with --image');
        const bootOnce = async (prepared: PreparedImage, signal: AbortSignal) => {
          const kernelElf = options.kernel ?? prepared.kernelElf;
          const machine = prepared.project?.run;
          const filter = new TerminalFilter();
          const result = await runGuest(
            {
              ...machineRunOptions(options, qemuArgs, prepared.image, machine),
              headless: options.headless ?? false,
              echoSerial: false,
              onSerial: (text) => process.stdout.write(filter.push(text)),
              gdb: options.gdb ?? false,
              // An interactive run (and a debugger session) ends when the user says so, unless a timeout is set.
              timeoutSeconds: parseTimeout(options.timeout, machine?.timeout ?? 0),
              onGdbReady: (port) => process.stderr.write(gdbInstructions(port, kernelElf)),
              signal,
            },
            prepared.project,
          );
          process.stdout.write(filter.flush());
          return result;
        };
        if (options.watch) {
          await watchSession(options, 'run', undefined, async (prepared, signal) => {
            reportEnding(await bootOnce(prepared, signal), options.verbose ?? false);
          });
          return;
        }
        const prepared = await resolveImage(options, 'run', undefined);
        const result = await withStopSignals((signal) => bootOnce(prepared, signal));
        reportEnding(result, options.verbose ?? false);
        process.exitCode = exitStatusOf(result, result.status);
      },
    );
}

export function addMachineOptions(command: Command, defaults: { defaultTimeout?: number }): Command {
  command
    .option(
      '--image <file>',
      'image to boot (.iso as a CD, anything else as a raw disk); default: build the project',
    )
    .addOption(
      new Option('--firmware <kind>', 'UEFI (OVMF) or BIOS (SeaBIOS); default uefi').choices([
        'uefi',
        'bios',
      ]),
    )
    .addOption(
      new Option(
        '--accel <accel>',
        'accelerator; auto measures whether KVM really is faster (cached per machine)',
      )
        .choices(['auto', 'kvm', 'tcg'])
        .default('auto'),
    )
    .option(
      '--timeout <seconds>',
      `kill QEMU after this many seconds (exit 2)${defaults.defaultTimeout ? `; default ${defaults.defaultTimeout}` : '; default none'}`,
    )
    .option('--memory <size>', 'guest memory (QEMU -m; default 256M)')
    .option('--smp <n>', 'number of CPUs (QEMU -smp)')
    .option('--ovmf-code <file>', 'OVMF code file (or OSTOOL_OVMF_CODE)')
    .option('--ovmf-vars <file>', 'OVMF vars template, copied fresh for every run (or OSTOOL_OVMF_VARS)')
    .addOption(
      new Option('--bootloader <kind>', 'bootloader for the default image').choices([
        'auto',
        'limine',
        'builtin',
      ]),
    )
    .option('--limine <dir>', 'Limine directory or tarball for the default image')
    .addOption(new Option('--media <kind>', 'default image media').choices(['iso', 'hdd']))
    .option('--watch', 'rebuild and boot again whenever a source of the project changes')
    .option('--reprobe-kvm', 'measure KVM against TCG again instead of using the cached decision')
    .option('--verbose', "print the QEMU command line and the runner's decisions");
  return addProjectOptions(command);
}

export interface PreparedImage {
  image: string;
  /** The kernel ELF with symbols, for `ostool run --gdb`. */
  kernelElf?: string;
  /** The project it was built from (undefined for --image). */
  project?: Project;
  /** Every file the image was built from (what --watch watches). */
  inputs: string[];
  /** Whether this build wrote a new image. */
  written: boolean;
}

/** The image to boot: --image as given, or the project's kernel image, built (incrementally) for this purpose. */
export async function resolveImage(
  options: MachineCliOptions,
  purpose: 'run' | 'test',
  cmdline: string | undefined,
  project: Project = resolveProject(options),
): Promise<PreparedImage> {
  if (options.image !== undefined) {
    if (!existsSync(options.image)) throw new UserError(`image ${options.image} does not exist`, 4);
    return { image: options.image, inputs: [], written: false };
  }
  const media = options.media ?? project.image.media;
  // One image per purpose, so `run` and `test` (different command lines) do not overwrite each other.
  const name = `${purpose === 'test' ? 'test' : 'kernel'}.${media === 'iso' ? 'iso' : 'img'}`;
  const built = await buildKernelImage({
    project,
    bootloader: options.bootloader,
    limine: options.limine,
    media,
    firmware: options.firmware ?? project[purpose].firmware,
    cmdline,
    output: join(buildDirectory(project), name),
    onStep: printStep,
  });
  return {
    image: built.path,
    kernelElf: built.kernel.path,
    project,
    inputs: [...built.kernel.inputs, ...(project.file ? [project.file] : [])],
    written: built.written,
  };
}

export function machineRunOptions(
  options: MachineCliOptions,
  qemuArgs: string[],
  image: string,
  machine: ProjectMachine | undefined,
): Omit<RunOptions, 'timeoutSeconds'> {
  const smp = options.smp !== undefined ? parseSmp(options.smp) : machine?.smp;
  return {
    image,
    firmware: options.firmware ?? machine?.firmware ?? 'uefi',
    accel: options.accel,
    memory: options.memory ?? machine?.memory ?? '256M',
    ovmfCode: options.ovmfCode,
    ovmfVars: options.ovmfVars,
    extraArgs: [
      ...(smp !== undefined ? ['-smp', String(smp)] : []),
      ...(machine?.qemuArgs ?? []),
      ...qemuArgs,
    ],
    reprobeKvm: options.reprobeKvm ?? false,
    // Decisions the user should know about: which accelerator and why, no window for lack of a display.
    onNote: (note) => process.stderr.write(`ostool: ${note}\n`),
  };
}

function parseSmp(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 255)
    throw new UserError(`--smp wants a number of CPUs from 1 to 255, got "${text}"`);
  return count;
}

export function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UserError(`--timeout wants a number of seconds, got "${text}"`);
  return seconds;
}

/**
 * The run's status under the project's exit convention ([test] success_code / failure_code): QEMU exits with
 * (value << 1) | 1 for a byte written to isa-debug-exit, which the runner judges by the default 0x10 / 0x11.
 */
export function applyGuestCodes(result: RunResult, project: Project | undefined): RunResult {
  const success = project?.test.successCode ?? GUEST_SUCCESS_CODE;
  const failure = project?.test.failureCode ?? GUEST_FAILURE_CODE;
  const code = result.qemuExitCode;
  if ((success === GUEST_SUCCESS_CODE && failure === GUEST_FAILURE_CODE) || code === null || code === 1)
    return result;
  if ((code & 1) !== 1 || (result.status !== STATUS_PASS && result.status !== STATUS_FAIL)) return result;
  const value = code >> 1;
  const hex = `0x${value.toString(16).padStart(2, '0')}`;
  if (value === success)
    return { ...result, status: STATUS_PASS, reason: `the guest wrote ${hex} (success) to port 0xf4` };
  return {
    ...result,
    status: STATUS_FAIL,
    reason: `the guest wrote ${hex}${value === failure ? ' (failure)' : ''} to port 0xf4`,
  };
}

async function runGuest(options: RunOptions, project: Project | undefined): Promise<RunResult> {
  return applyGuestCodes(await runImage(options), project);
}

/**
 * Runs `body` with Ctrl-C, SIGTERM and SIGHUP turned into a clean stop (QEMU terminated and waited for), and
 * says which signal it was.
 */
export async function withStopSignals(
  body: (signal: AbortSignal) => Promise<RunResult>,
): Promise<RunOutcome> {
  const controller = new AbortController();
  let stopSignal: NodeJS.Signals | undefined;
  const handlers = STOP_SIGNALS.map(([name]) => {
    const handler = () => {
      stopSignal ??= name;
      controller.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  try {
    const result = await body(controller.signal);
    // A terminal's Ctrl-C reaches QEMU too, which may exit before our handler runs: still an interruption.
    if (!controller.signal.aborted) return result;
    const name = stopSignal ?? 'SIGINT';
    return { ...result, interrupted: true, stopSignal: name, reason: `${signalWords(name)}: QEMU stopped` };
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}

/** Kept for callers of the old name: runImage under withStopSignals. */
export async function runWithCtrlC(options: RunOptions): Promise<RunOutcome> {
  return withStopSignals((signal) => runImage({ ...options, signal }));
}

function signalWords(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : `stopped by ${signal}`;
}

/** The process exit status: a shell's 128 + signal number after a stop signal, else the run's status. */
export function exitStatusOf(result: RunOutcome, status: number): number {
  if (!result.interrupted) return status;
  return (
    STOP_SIGNALS.find(([name]) => name === (result.stopSignal ?? 'SIGINT'))?.[1] ?? INTERRUPTED_EXIT_STATUS
  );
}

/**
 * `--watch`: build, boot, and on every change of an input rebuild and boot again (the running guest is
 * stopped first), until Ctrl-C. A failed build is reported and waits for the next change.
 */
export async function watchSession(
  options: MachineCliOptions,
  purpose: 'run' | 'test',
  cmdline: string | undefined,
  boot: (prepared: PreparedImage, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  let stopStatus = INTERRUPTED_EXIT_STATUS;
  const handlers = STOP_SIGNALS.map(([name, status]) => {
    const handler = () => {
      if (!stop.signal.aborted) stopStatus = status;
      stop.abort();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  let watched: string[] = [];
  try {
    while (!stop.signal.aborted) {
      let prepared: PreparedImage | undefined;
      try {
        const project = resolveProject(options);
        watched = project.file ? [project.file, project.root] : [project.root];
        prepared = await resolveImage(options, purpose, cmdline, project);
        watched = [...prepared.inputs, project.root];
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        process.stderr.write(`ostool: error: ${error.message}\n`);
      }
      const changed = watchForChanges(watched, stop.signal);
      if (prepared) {
        const guest = new AbortController();
        const running = boot(prepared, AbortSignal.any([guest.signal, stop.signal]));
        const first = await Promise.race([
          running.then(() => 'ended' as const),
          changed.then(() => 'changed' as const),
        ]);
        if (first === 'changed') {
          guest.abort();
          await running;
          if (!stop.signal.aborted) process.stderr.write('ostool: change detected: rebuilding\n');
          continue;
        }
      }
      if (stop.signal.aborted) break;
      process.stderr.write('ostool: watching for changes (Ctrl-C to stop)\n');
      await changed;
      if (!stop.signal.aborted) process.stderr.write('ostool: change detected: rebuilding\n');
    }
    // A watch only ends by a signal: the shell's 128 + signal number, whatever the last boot's verdict was.
    process.exitCode = stopStatus;
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler);
  }
}

const STATUS_WORDS = ['pass', 'fail', 'timeout', 'reset/triple fault', 'could not start'] as const;

/** One line on how the run ended, plus the last serial lines when the guest did not get to report (2, 3, 4). */
export function reportEnding(result: RunOutcome, verbose: boolean): void {
  if (verbose && result.command.length > 0)
    process.stderr.write(`ostool: qemu command: ${result.command.join(' ')}\n`);
  const word = result.interrupted ? signalWords(result.stopSignal ?? 'SIGINT') : STATUS_WORDS[result.status];
  const reason = result.interrupted ? 'QEMU stopped' : result.reason;
  const timing =
    result.command.length > 0 ? ` (${(result.durationMs / 1000).toFixed(2)} s, ${result.accel})` : '';
  process.stderr.write(`ostool: ${word}: ${reason}${timing}\n`);
  if (result.status >= 2 || result.interrupted) {
    const tail = lastSerialLines(result.serial);
    if (tail.length === 0) process.stderr.write('ostool: (no serial output)\n');
    else
      process.stderr.write(`ostool: last serial lines:\n${tail.map((line) => `  | ${line}`).join('\n')}\n`);
  }
}

export function gdbInstructions(port: number, kernelElf: string | undefined): string {
  const symbols = kernelElf ? ` -ex ${shellQuote(`file ${kernelElf}`)}` : '';
  const hint = kernelElf ? '' : '(no kernel ELF known: add --kernel FILE to load its symbols)\n';
  return (
    `ostool: QEMU is paused with a gdb server on 127.0.0.1:${port}; in another terminal run:\n` +
    `  gdb -q -ex 'set architecture i386:x86-64'${symbols} -ex 'target remote 127.0.0.1:${port}'\n${hint}`
  );
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
