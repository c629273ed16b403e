import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { UserError } from '../../errors.js';
import { lastSerialLines, runImage, type RunOptions, type RunResult } from '../../qemu/index.js';
import { buildDefaultImage, type DefaultImage } from '../default-image.js';

/** Exit status after Ctrl-C, as shells report a SIGINT death. */
export const INTERRUPTED_EXIT_STATUS = 130;

/** Options `run` and `test` share: where the image comes from and how QEMU boots it. */
export interface MachineCliOptions {
  image?: string;
  firmware: 'uefi' | 'bios';
  accel: 'auto' | 'kvm' | 'tcg';
  timeout?: string;
  memory?: string;
  ovmfCode?: string;
  ovmfVars?: string;
  bootloader?: string;
  limine?: string;
  media?: string;
  reprobeKvm?: boolean;
  verbose?: boolean;
}

export function register(program: Command): Command {
  const command = program
    .command('run')
    .description(
      'boot an image (or the repo kernel) in QEMU, guest serial on the terminal; exit 0 pass, 1 fail, 2 timeout, 3 reset/triple fault, 4 QEMU/firmware could not start',
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
      '\nExample:\n  ostool run --image build/os.iso --firmware uefi --headless --timeout 30\n  ostool run --image disk.img --firmware bios --gdb -- -d int',
    )
    .action(
      async (
        qemuArgs: string[],
        options: MachineCliOptions & { headless?: boolean; gdb?: boolean; kernel?: string },
      ) => {
        const built = await resolveImage(options, undefined);
        const kernelElf = options.kernel ?? built.kernelElf;
        const result = await runWithCtrlC({
          ...machineRunOptions(options, qemuArgs, built.image),
          headless: options.headless ?? false,
          echoSerial: true,
          gdb: options.gdb ?? false,
          // An interactive run (and a debugger session) ends when the user says so, unless --timeout is given.
          timeoutSeconds: parseTimeout(options.timeout, 0),
          onGdbReady: (port) => process.stderr.write(gdbInstructions(port, kernelElf)),
        });
        reportEnding(result, options.verbose ?? false);
        process.exitCode = result.interrupted ? INTERRUPTED_EXIT_STATUS : result.status;
      },
    );
}

export function addMachineOptions(command: Command, defaults: { defaultTimeout?: number }): Command {
  return command
    .option(
      '--image <file>',
      'image to boot (.iso as a CD, anything else as a raw disk); default: build the repo kernel',
    )
    .addOption(
      new Option('--firmware <kind>', 'UEFI (OVMF) or BIOS (SeaBIOS)')
        .choices(['uefi', 'bios'])
        .default('uefi'),
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
    .option('--memory <size>', 'guest memory (QEMU -m)', '256M')
    .option('--ovmf-code <file>', 'OVMF code file (or OSTOOL_OVMF_CODE)')
    .option('--ovmf-vars <file>', 'OVMF vars template, copied fresh for every run (or OSTOOL_OVMF_VARS)')
    .option('--bootloader <kind>', 'bootloader for the default image (auto|limine|builtin)')
    .option('--limine <dir>', 'Limine directory or tarball for the default image')
    .option('--media <kind>', 'default image media (iso|hdd)')
    .option('--reprobe-kvm', 'measure KVM against TCG again instead of using the cached decision')
    .option('--verbose', "print the QEMU command line and the runner's decisions");
}

/** The image to boot: --image as given, or the default kernel image built with the pass-through options. */
export async function resolveImage(
  options: MachineCliOptions,
  cmdline: string | undefined,
): Promise<DefaultImage> {
  if (options.image !== undefined) {
    if (!existsSync(options.image)) throw new UserError(`image ${options.image} does not exist`, 4);
    return { image: options.image };
  }
  return buildDefaultImage({
    firmware: options.firmware,
    bootloader: options.bootloader,
    limine: options.limine,
    media: options.media,
    cmdline,
  });
}

export function machineRunOptions(
  options: MachineCliOptions,
  qemuArgs: string[],
  image: string,
): Omit<RunOptions, 'timeoutSeconds'> {
  return {
    image,
    firmware: options.firmware,
    accel: options.accel,
    memory: options.memory,
    ovmfCode: options.ovmfCode,
    ovmfVars: options.ovmfVars,
    extraArgs: qemuArgs,
    reprobeKvm: options.reprobeKvm ?? false,
    // Decisions the user should know about: which accelerator and why, no window for lack of a display.
    onNote: (note) => process.stderr.write(`ostool: ${note}\n`),
  };
}

export function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UserError(`--timeout wants a number of seconds, got "${text}"`);
  return seconds;
}

/** Runs QEMU with Ctrl-C (and SIGTERM/SIGHUP) turned into a clean stop: QEMU terminated and waited for. */
export async function runWithCtrlC(options: RunOptions): Promise<RunResult> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, stop);
  try {
    const result = await runImage({ ...options, signal: controller.signal });
    // A terminal's Ctrl-C reaches QEMU too, which may exit before our handler runs: still an interruption.
    return controller.signal.aborted ? { ...result, interrupted: true } : result;
  } finally {
    for (const signal of signals) process.off(signal, stop);
  }
}

const STATUS_WORDS = ['pass', 'fail', 'timeout', 'reset/triple fault', 'could not start'] as const;

/** One line on how the run ended, plus the last serial lines when the guest did not get to report (2, 3, 4). */
export function reportEnding(result: RunResult, verbose: boolean): void {
  if (verbose && result.command.length > 0)
    process.stderr.write(`ostool: qemu command: ${result.command.join(' ')}\n`);
  const word = result.interrupted ? 'interrupted' : STATUS_WORDS[result.status];
  const timing =
    result.command.length > 0 ? ` (${(result.durationMs / 1000).toFixed(2)} s, ${result.accel})` : '';
  process.stderr.write(`ostool: ${word}: ${result.reason}${timing}\n`);
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
