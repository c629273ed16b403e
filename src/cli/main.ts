import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.js';
import { commands } from './commands/index.js';
import { version } from './version.js';

/** Exit status for command-line usage mistakes (unknown option, missing argument), like most Unix tools. */
const USAGE_ERROR = 2;

export function buildProgram(): Command {
  const program = new Command('ostool')
    .description('Assemble, link, pack and boot x86-64 kernels: no cross toolchain, nasm, ld, xorriso or mtools needed.')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) {
    const sub = register(program);
    sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the process exit status; never throws. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return exitStatusFor(error);
  }
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
