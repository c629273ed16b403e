import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { commandModules } from './commands/index.js';
import { version } from './version.js';

/** Exit status for command-line usage mistakes (unknown option, missing argument), like most Unix tools. */
const USAGE_ERROR = 2;

/**
 * The program with the subcommand named in `argv` registered, or every subcommand when none is named
 * (top-level help, unknown commands), so that a single command only loads its own stage.
 */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('ostool')
    .description(
      'Assemble, link, pack and boot x86-64 kernels: no cross toolchain, nasm, ld, xorriso or mtools needed.',
    )
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Options after a subcommand belong to it (`ostool limine fetch --version X` is not the root's --version).
    .enablePositionalOptions();
  const named = commandModules.filter(([name]) => argv.slice(2).find((arg) => !arg.startsWith('-')) === name);
  for (const [, load] of named.length > 0 ? named : commandModules) {
    const register = await load();
    register(program).exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the process exit status; never throws. */
export async function main(argv: string[]): Promise<number> {
  endQuietlyOnClosedPipes();
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return exitStatusFor(error);
  }
}

let pipeHandlersInstalled = false;

/** `ostool link --help | head`: a reader that goes away is the end of the output, not a crash. */
function endQuietlyOnClosedPipes(): void {
  if (pipeHandlersInstalled) return;
  pipeHandlersInstalled = true;
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
}

function exitStatusFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version arrive here as "errors" with exit code 0; commander has already printed.
    if (error.exitCode === 0) return 0;
    return USAGE_ERROR;
  }
  if (error instanceof UserError) {
    process.stderr.write(`ostool: error: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ostool: internal error: ${message}\n`);
  if (process.env.OSTOOL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('(this is a bug in ostool; set OSTOOL_DEBUG=1 for a stack trace)\n');
  return 70;
}
