import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import type { AssembleOptions, OutputFormat } from '../../assembler/index.js';
import { writeFileAtomic } from '../../atomic-write.js';
import { UserError } from '../../errors.js';

/** What the nasm-compatible command line asked for. */
interface AsmArguments {
  input: string;
  format: OutputFormat;
  output?: string;
  includePaths: string[];
  defines: Record<string, string>;
  undefines: string[];
  listing?: string;
  /** `-M`: print dependencies instead of assembling. */
  dependenciesOnly: boolean;
  /** `-MD FILE`: write dependencies to FILE while assembling. */
  dependencyFile?: string;
  dependencyTarget?: string;
  disabledWarnings: string[];
  /** `-O0` / `-O1`; absent for nasm's default `-Ox`. */
  optimization?: 'O0' | 'O1';
  /** `--bits N`: as a `BITS N` directive before the first line. */
  bits?: 16 | 32 | 64;
}

const USAGE =
  'usage: ostool asm [-f elf64|elf32|elfx32|bin] [-o OUT] [-I DIR]... [-D NAME[=VALUE]]... [-l LISTING] [-M|-MD DEPFILE] [-w+/-w-NAME] [-O0|-O1|-Ox] [--bits 16|32|64] FILE';

/** Parses nasm-style arguments (`-fbin` and `-f bin`, `-Ipath/`, `-DNAME=1`, `-w-all`, `-Ox`). */
export function parseAsmArguments(args: string[]): AsmArguments {
  const parsed: Partial<AsmArguments> &
    Pick<AsmArguments, 'includePaths' | 'defines' | 'undefines' | 'disabledWarnings'> = {
    includePaths: [],
    defines: {},
    undefines: [],
    disabledWarnings: [],
    dependenciesOnly: false,
    format: 'bin',
  };
  const inputs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (flag: string): string => {
      const attached = arg.slice(flag.length);
      if (attached.length > 0)
        return attached.startsWith('=') && flag.length > 2 ? attached.slice(1) : attached;
      const next = args[++i];
      if (next === undefined) throw new UserError(`option \`${flag}' needs a value\n${USAGE}`, 2);
      return next;
    };
    if (arg === '--') {
      inputs.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      inputs.push(arg);
      continue;
    }
    if (arg === '--bits' || arg.startsWith('--bits=')) {
      const bits = arg === '--bits' ? value('--bits') : arg.slice('--bits='.length);
      if (bits !== '16' && bits !== '32' && bits !== '64')
        throw new UserError(`invalid --bits value \`${bits}' (16, 32 or 64)\n${USAGE}`, 2);
      parsed.bits = Number(bits) as 16 | 32 | 64;
    } else if (arg.startsWith('-MD')) parsed.dependencyFile = value('-MD');
    else if (arg.startsWith('-MT') || arg.startsWith('-MQ')) parsed.dependencyTarget = value(arg.slice(0, 3));
    else if (arg.startsWith('-MF')) parsed.dependencyFile = value('-MF');
    else if (arg === '-M') parsed.dependenciesOnly = true;
    else if (arg === '-MG' || arg === '-MP') continue;
    else if (arg.startsWith('-f')) {
      const f = value('-f');
      // nasm's `elf` is elf32
      const format = f === 'elf' ? 'elf32' : f;
      if (format !== 'elf64' && format !== 'elf32' && format !== 'elfx32' && format !== 'bin')
        throw new UserError(
          `unsupported output format \`${f}' (ostool asm writes elf64, elf32, elfx32 and bin)`,
          2,
        );
      parsed.format = format;
    } else if (arg.startsWith('-o')) parsed.output = value('-o');
    else if (arg.startsWith('-I') || arg.startsWith('-i')) parsed.includePaths.push(value(arg.slice(0, 2)));
    else if (arg.startsWith('-D') || arg.startsWith('-d')) {
      const def = value(arg.slice(0, 2));
      const eq = def.indexOf('=');
      if (eq < 0) parsed.defines[def] = '';
      else parsed.defines[def.slice(0, eq)] = def.slice(eq + 1);
    } else if (arg.startsWith('-U') || arg.startsWith('-u')) parsed.undefines.push(value(arg.slice(0, 2)));
    else if (arg.startsWith('-l')) parsed.listing = value('-l');
    else if (arg.startsWith('-w') || arg.startsWith('-W')) {
      const w = arg.slice(2);
      if (w.startsWith('-') || w.startsWith('no-')) parsed.disabledWarnings.push(w.replace(/^-|^no-/, ''));
      else {
        // -w+NAME re-enables a class switched off earlier on the command line
        const name = w.replace(/^\+/, '');
        parsed.disabledWarnings = parsed.disabledWarnings.filter((d) => d !== name);
      }
    } else if (arg.startsWith('-O')) {
      // like nasm: -O0 and -O1 are the two low levels, every other level (-O2.., -Ox, -Ov) is the default
      const level = arg.slice(2);
      if (level === '0' || level === '1') parsed.optimization = `O${level}`;
      else if (/^([0-9]+|[xXv])$/.test(level)) delete parsed.optimization;
      else throw new UserError(`invalid optimization level \`${arg}'\n${USAGE}`, 2);
    } else if (arg.startsWith('-F')) {
      // debug formats: line info is not written yet; say so for the ones nasm has that we never will
      const debugFormat = value('-F');
      if (debugFormat !== 'dwarf' && debugFormat !== 'null')
        throw new UserError(
          `unsupported debug format \`${debugFormat}' (ostool asm knows -F dwarf only, and writes no debug sections yet)`,
          2,
        );
    } else if (arg === '-g' || arg === '-X' || arg.startsWith('-X') || arg === '-s' || arg === '-t') {
      continue;
    } else throw new UserError(`unknown option \`${arg}'\n${USAGE}`, 2);
  }
  if (inputs.length === 0) throw new UserError(`no input file given\n${USAGE}`, 2);
  if (inputs.length > 1)
    throw new UserError(`more than one input file given: ${inputs.join(', ')}\n${USAGE}`, 2);
  return { ...parsed, input: inputs[0]! } as AsmArguments;
}

/** nasm's default output name: `x.asm` -> `x` (bin) or `x.o` (elf). */
export function defaultOutputName(input: string, format: OutputFormat): string {
  const base = basename(input);
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  if (format !== 'bin') return join(dirname(input), `${stem}.o`);
  return dot > 0 ? join(dirname(input), stem) : 'nasm.out';
}

function readSourceFile(path: string): Uint8Array | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function makeRule(target: string, dependencies: string[]): string {
  const escape = (p: string): string => p.replace(/ /g, '\\ ');
  return `${escape(target)} : ${dependencies.map(escape).join(' \\\n  ')}\n`;
}

export async function runAsm(args: string[]): Promise<number> {
  const options = parseAsmArguments(args);
  let source: string;
  try {
    source = readFileSync(options.input, 'utf8');
  } catch (error) {
    throw new UserError(
      `unable to open input file \`${options.input}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const output = options.output ?? defaultOutputName(options.input, options.format);
  const request: AssembleOptions = {
    source,
    fileName: options.input,
    format: options.format,
    readFile: readSourceFile,
    includePaths: options.includePaths,
    defines: options.defines,
    undefines: options.undefines,
    listing: options.listing !== undefined,
    disabledWarnings: options.disabledWarnings,
    outputFileName: output,
  };
  if (options.optimization) request.optimization = options.optimization;
  if (options.bits) request.bits = options.bits;
  // V8 optimises a function after a fixed amount of work in it (the interrupt budget); for an assembler run
  // that lasts a few hundred milliseconds, optimising every warm function early costs more CPU than it saves.
  // A larger budget (set before the assembler's modules load, so their functions get it) leaves only the really
  // hot loops to the optimiser; the shorter the run, the larger the budget that pays off (measured with
  // `npm run bench:asm`: 25k lines ~25% less CPU, 100k-200k lines unchanged).
  setFlagsFromString(`--interrupt-budget=${source.length < 1_000_000 ? 1_200_000 : 600_000}`);
  // loaded on use, so other ostool commands do not pay for the assembler's start-up
  const { assemble, formatDiagnostic } = await import('../../assembler/index.js');
  const result = assemble(request);
  for (const d of result.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
  const failed = result.diagnostics.some((d) => d.severity === 'error');
  const dependencies = [options.input, ...result.dependencies];
  const target = options.dependencyTarget ?? output;
  if (options.dependenciesOnly) {
    if (failed) return 1;
    const rule = makeRule(target, dependencies);
    if (options.dependencyFile) writeFileAtomic(options.dependencyFile, rule);
    else process.stdout.write(rule);
    return 0;
  }
  if (failed || !result.output) return 1;
  writeFileAtomic(output, result.output);
  if (options.listing !== undefined && result.listing !== undefined)
    writeFileAtomic(options.listing, result.listing);
  // `[map ... file]` writes the file (relative to the working directory, as nasm); without a name, stdout
  if (result.map) {
    if (result.map.file !== undefined) writeFileAtomic(result.map.file, result.map.text);
    else process.stdout.write(result.map.text);
  }
  if (options.dependencyFile) writeFileAtomic(options.dependencyFile, makeRule(target, dependencies));
  return 0;
}

export function register(program: Command): Command {
  return program
    .command('asm')
    .description(
      'assemble NASM-syntax x86 source into an ELF64 object or a flat binary (nasm-compatible flags)',
    )
    .usage(
      '[-f elf64|elf32|elfx32|bin] [-o OUT] [-I DIR]... [-D NAME[=VALUE]]... [-l LISTING] [-M|-MD DEPFILE] [-w-NAME] [-O0|-O1|-Ox] FILE',
    )
    .helpOption('-h, --help', 'show this help')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'nasm-style options and the source file')
    .addHelpText(
      'after',
      `
nasm-compatible options (values may be attached: -felf64, -Iinc/, -DDEBUG=1):
  -f FORMAT           elf64, elf32 (or elf), elfx32 or bin (default bin)
  -o FILE             output file (default: x.asm -> x for bin, x.o for elf); /dev/null is fine
  -I DIR, -i DIR      add an include directory (searched after the including file's own directory)
  -D NAME[=VALUE]     define a single-line macro (also -d); -U NAME undefines one
  -l FILE             write a nasm-style listing
  -M                  print make dependencies and stop; -MD FILE writes them while assembling
  -MT/-MQ TARGET      dependency target name; -MF FILE dependency file
  -w-NAME / -w+NAME   silence / enable a warning class (e.g. -w-number-overflow, -w-all)
  -O0 / -O1 / -Ox     optimisation as nasm's: -O0 full-size immediates, jmp near (jcc short if it fits);
                      -O1 sign-extended imm8 forms, jumps near unless \`short'; -Ox (default) shortest forms
  --bits 16|32|64     as a \`BITS' directive before the first line

Example: ostool asm -f elf64 -I src/kernel/include/ -o build/kernel.o src/kernel/kernel.asm`,
    )
    .action(async (args: string[]) => {
      const status = await runAsm(args);
      if (status !== 0) process.exitCode = status;
    });
}
