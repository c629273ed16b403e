import { readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Command } from 'commander';
import type { AssembleOptions, Diagnostic, OutputFormat } from '../../assembler/index.js';
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
  /** `-E` / `-e`: write the preprocessed source (to `-o`, else stdout) instead of assembling. */
  preprocessOnly: boolean;
  /** `-a`: assemble without preprocessing. */
  noPreprocess: boolean;
  /** `-p` / `-P` / `--include`: files included before the source. */
  preIncludes: string[];
  /** `--before LINE` and `--pragma TEXT` (as `%pragma TEXT`), in command-line order. */
  preLines: string[];
  /** `--gprefix`/`--prefix`, `--gpostfix`/`--postfix`, `--lprefix`, `--lpostfix`. */
  symbolAffixes?: Partial<Record<'gprefix' | 'gpostfix' | 'lprefix' | 'lpostfix', string>>;
  /** `-Z FILE`: messages go to FILE; `-s`: to stdout. */
  messageFile?: string;
  messagesToStdout: boolean;
  /** `-X vc`: `file(line) : error: ...` messages; `gnu` (default) is `file:line:col: error: ...`. */
  messageStyle: 'gnu' | 'vc';
  /** `--no-line`: ignore `%line` directives. */
  ignoreLineDirectives: boolean;
  /** `--limit-X N` the preprocessor honours. */
  limits?: Partial<Record<'rep' | 'macro-levels' | 'mmacros' | 'lines', number>>;
  /** `-Werror` (`all`) / `-Werror=NAME`: warnings reported as errors. */
  errorWarnings?: string[];
  /** `-v`: print the version and stop. */
  version: boolean;
  /** `-g` / `-F FORMAT` / `-gFORMAT`: debug info, in FORMAT or the output format's default (absent: none). */
  debug?: { format: DebugFormatName | undefined };
}

/** The debug formats nasm 2.16 has for each output format (its first one is the default, as `nasm -y`). */
const DEBUG_FORMATS: Record<OutputFormat, readonly string[]> = {
  elf64: ['dwarf', 'stabs'],
  elf32: ['dwarf', 'stabs'],
  elfx32: ['dwarf', 'stabs'],
  bin: ['null'],
};
type DebugFormatName = 'dwarf' | 'stabs' | 'null';

const USAGE =
  'usage: ostool asm [-f elf64|elf32|elfx32|bin] [-o OUT] [-I DIR]... [-D NAME[=VALUE]]... [-l LISTING] [-M|-MD DEPFILE] [-w+/-w-NAME] [-O0|-O1|-Ox] [--bits 16|32|64] [-E] [-p FILE] FILE';

/** Parses nasm-style arguments (`-fbin` and `-f bin`, `-Ipath/`, `-DNAME=1`, `-w-all`, `-Ox`). */
export function parseAsmArguments(args: string[]): AsmArguments {
  const parsed: Partial<AsmArguments> &
    Pick<
      AsmArguments,
      'includePaths' | 'defines' | 'undefines' | 'disabledWarnings' | 'preIncludes' | 'preLines'
    > = {
    includePaths: [],
    defines: {},
    undefines: [],
    disabledWarnings: [],
    dependenciesOnly: false,
    format: 'bin',
    preprocessOnly: false,
    noPreprocess: false,
    preIncludes: [],
    preLines: [],
    messagesToStdout: false,
    messageStyle: 'gnu',
    ignoreLineDirectives: false,
    version: false,
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
    // long options take their value as the next argument or after `=`
    const long = (flag: string): string | undefined => {
      if (arg === flag) {
        const next = args[++i];
        if (next === undefined) throw new UserError(`option \`${flag}' needs a value\n${USAGE}`, 2);
        return next;
      }
      return arg.startsWith(flag + '=') ? arg.slice(flag.length + 1) : undefined;
    };
    if (arg.startsWith('--')) {
      let v: string | undefined;
      if ((v = long('--bits')) !== undefined) {
        if (v !== '16' && v !== '32' && v !== '64')
          throw new UserError(`invalid --bits value \`${v}' (16, 32 or 64)\n${USAGE}`, 2);
        parsed.bits = Number(v) as 16 | 32 | 64;
      } else if ((v = long('--include')) !== undefined) parsed.preIncludes.push(v);
      else if ((v = long('--before')) !== undefined) parsed.preLines.push(v);
      else if ((v = long('--pragma')) !== undefined) parsed.preLines.push(`%pragma ${v}`);
      else if (/^--[gl]?(?:prefix|postfix)(?:=|$)/.test(arg)) {
        const flag = arg.split('=')[0]!;
        const name = flag.slice(2);
        const which = name.startsWith('l') ? name : name.startsWith('g') ? name : `g${name}`;
        (parsed.symbolAffixes ??= {})[which as 'gprefix'] = long(flag)!;
      } else if (arg.startsWith('--limit-')) {
        const name = arg.slice(2).split('=')[0]!;
        const limit = long(`--${name}`)!;
        if (!LIMITS.has(name.slice(6))) throw new UserError(`unknown limit \`${name.slice(6)}'\n${USAGE}`, 2);
        if (!/^([0-9]+|unlimited)$/i.test(limit))
          throw new UserError(`invalid value \`${limit}' for \`--${name}'`, 2);
        const which = name.slice(6);
        if (which === 'rep' || which === 'macro-levels' || which === 'mmacros' || which === 'lines')
          (parsed.limits ??= {})[which] = /^unlimited$/i.test(limit)
            ? Number.MAX_SAFE_INTEGER
            : Number(limit);
      } else if (arg === '--keep-all')
        // accepted: ostool writes no output on errors, so there is no half-made file to keep or delete
        continue;
      else if (arg === '--no-line') parsed.ignoreLineDirectives = true;
      else if (arg === '--reproducible') continue;
      else if (arg === '--v') parsed.version = true;
      else throw new UserError(`unknown option \`${arg}'\n${USAGE}`, 2);
      continue;
    }
    if (arg === '-E' || arg === '-e') parsed.preprocessOnly = true;
    else if (arg === '-a') parsed.noPreprocess = true;
    else if (arg === '-v') parsed.version = true;
    else if (arg.startsWith('-p') || arg.startsWith('-P')) parsed.preIncludes.push(value(arg.slice(0, 2)));
    else if (arg.startsWith('-Z')) parsed.messageFile = value('-Z');
    else if (arg === '-s') parsed.messagesToStdout = true;
    else if (arg.startsWith('-X')) {
      const style = value('-X');
      if (style !== 'gnu' && style !== 'vc')
        throw new UserError(`unknown error format \`${style}' (-X gnu or -X vc)\n${USAGE}`, 2);
      parsed.messageStyle = style;
    } else if (arg.startsWith('-L')) {
      // listing flags: accepted; ostool's listing always has the form nasm's default one has
      if (!/^-L[bdefmpsw+]*$/.test(arg)) throw new UserError(`invalid listing flags \`${arg}'\n${USAGE}`, 2);
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
      const off = w.startsWith('-') || w.startsWith('no-');
      const name = w.replace(/^-|^no-|^\+/, '');
      if (name === 'error' || name.startsWith('error=')) {
        // -Werror / -w+error=NAME promote warnings to errors; -Wno-error[=NAME] takes that back
        // (`-NAME` in the list: an exception to -Werror)
        const which = name === 'error' ? 'all' : name.slice(6);
        parsed.errorWarnings = (parsed.errorWarnings ?? []).filter((e) => e !== which && e !== `-${which}`);
        if (!off) parsed.errorWarnings.push(which);
        else if (which === 'all') parsed.errorWarnings = [];
        else parsed.errorWarnings.push(`-${which}`);
      } else if (off) parsed.disabledWarnings.push(name);
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
      // like nasm, -F chooses the format and turns debug info on; checked against -f once all are read
      parsed.debug = { format: value('-F').toLowerCase() as DebugFormatName };
    } else if (arg.startsWith('-g')) {
      const named = arg.slice(2);
      parsed.debug = { format: named ? (named.toLowerCase() as DebugFormatName) : parsed.debug?.format };
    } else if (arg === '-t') {
      continue;
    } else throw new UserError(`unknown option \`${arg}'\n${USAGE}`, 2);
  }
  const debugFormat = parsed.debug?.format;
  if (debugFormat !== undefined && !DEBUG_FORMATS[parsed.format!].includes(debugFormat))
    throw new UserError(
      `unrecognized debug format \`${debugFormat}' for output format \`${parsed.format}' (${parsed.format} has ${DEBUG_FORMATS[parsed.format!].join(', ')})`,
      2,
    );
  if (parsed.version) return { ...parsed, input: inputs[0] ?? '' } as AsmArguments;
  if (inputs.length === 0) throw new UserError(`no input file given\n${USAGE}`, 2);
  if (inputs.length > 1)
    throw new UserError(`more than one input file given: ${inputs.join(', ')}\n${USAGE}`, 2);
  return { ...parsed, input: inputs[0]! } as AsmArguments;
}

/** A message in the `-X` style: gnu is ostool's usual form; vc puts the line in parentheses (`f.asm(3) : `). */
function formatMessage(d: Diagnostic, style: 'gnu' | 'vc', format: (d: Diagnostic) => string): string {
  const text = format(d);
  if (style === 'gnu') return text;
  const { file, line } = d.location;
  const head = `${file}:${line}${d.location.column > 0 ? `:${d.location.column}` : ''}: `;
  return text.startsWith(head) ? `${file}(${line}) : ${text.slice(head.length)}` : text;
}

/** nasm's `--limit-X` names. */
const LIMITS = new Set([
  'passes',
  'stalled-passes',
  'macro-levels',
  'macro-tokens',
  'mmacros',
  'rep',
  'eval',
  'lines',
]);

/**
 * nasm's NASMENV: extra options read before the command line, split at whitespace, or at the first
 * character when that is not `-` (so `NASMENV=!-Ox!-DX=a b` gives `-Ox` and `-DX=a b`).
 */
export function splitNasmEnv(value: string | undefined): string[] {
  if (!value) return [];
  const first = value[0]!;
  if (first !== '-' && !/\s/.test(first))
    return value
      .slice(1)
      .split(first)
      .filter((a) => a !== '');
  return value.split(/\s+/).filter((a) => a !== '');
}

/** nasm's default output name: `x.asm` -> `x` (bin) or `x.o` (elf64). */
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

export async function runAsm(commandLine: string[]): Promise<number> {
  // like nasm, options in NASMENV come before the command line's
  const args = [...splitNasmEnv(process.env.NASMENV), ...commandLine];
  const options = parseAsmArguments(args);
  if (options.version) {
    process.stdout.write('ostool asm: NASM version 2.16.01 compatible\n');
    return 0;
  }
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
    preIncludes: options.preIncludes,
    preLines: options.preLines,
    now: new Date(),
    environment: process.env,
  };
  if (options.noPreprocess) request.noPreprocess = true;
  if (options.errorWarnings?.length) request.errorWarnings = options.errorWarnings;
  if (options.limits) request.limits = options.limits;
  if (options.ignoreLineDirectives) request.ignoreLineDirectives = true;
  if (options.optimization) request.optimization = options.optimization;
  if (options.bits) request.bits = options.bits;
  if (options.symbolAffixes) request.symbolAffixes = options.symbolAffixes;
  if (options.debug && options.format !== 'bin') {
    const format = options.debug.format ?? DEBUG_FORMATS[options.format][0];
    // DW_AT_comp_dir as nasm writes it: the source's own directory, symbolic links resolved, `/` at the end
    request.debugInfo = {
      format: format as 'dwarf' | 'stabs',
      directory: `${dirname(realpathSync(options.input))}/`,
    };
  }
  // V8 optimises a function after a fixed amount of work in it (the interrupt budget); for an assembler run
  // that lasts a few hundred milliseconds, optimising every warm function early costs more CPU than it saves.
  // A larger budget (set before the assembler's modules load, so their functions get it) leaves only the really
  // hot loops to the optimiser; the shorter the run, the larger the budget that pays off (measured with
  // `npm run bench:asm`: 25k lines ~25% less CPU, 100k-200k lines unchanged).
  setFlagsFromString(`--interrupt-budget=${source.length < 1_000_000 ? 1_200_000 : 600_000}`);
  // loaded on use, so other ostool commands do not pay for the assembler's start-up
  const { assemble, formatDiagnostic } = await import('../../assembler/index.js');
  const report = (diagnostics: Diagnostic[]): void => {
    const text = diagnostics
      .map((d) => formatMessage(d, options.messageStyle, formatDiagnostic) + '\n')
      .join('');
    if (options.messageFile !== undefined) writeFileAtomic(options.messageFile, text);
    else if (text !== '') (options.messagesToStdout ? process.stdout : process.stderr).write(text);
  };
  if (options.preprocessOnly) {
    const { preprocessOnly } = await import('../../assembler/index.js');
    const pre = preprocessOnly(request);
    report(pre.diagnostics);
    if (pre.text === undefined) return 1;
    if (options.output !== undefined) writeFileAtomic(options.output, pre.text);
    else process.stdout.write(pre.text);
    return 0;
  }
  const result = assemble(request);
  report(result.diagnostics);
  const failed = result.diagnostics.some((d) => d.severity === 'error' || d.severity === 'fatal');
  const dependencies = [options.input, ...result.dependencies];
  const target = options.dependencyTarget ?? output;
  if (options.dependenciesOnly) {
    if (failed) return 1;
    const rule = makeRule(target, dependencies);
    if (options.dependencyFile) writeFileAtomic(options.dependencyFile, rule);
    else process.stdout.write(rule);
    return 0;
  }
  // as nasm's, a listing is written when the assembly reached its last pass, failed or not
  if (options.listing !== undefined && result.listing !== undefined)
    writeFileAtomic(options.listing, result.listing);
  if (failed || !result.output) return 1;
  writeFileAtomic(output, result.output);
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
  -I DIR, -i DIR      add an include directory (searched after the working directory, as nasm 2.16)
  -D NAME[=VALUE]     define a single-line macro (also -d); -U NAME undefines one
  -l FILE             write a nasm-style listing
  -M                  print make dependencies and stop; -MD FILE writes them while assembling
  -MT/-MQ TARGET      dependency target name; -MF FILE dependency file
  -w-NAME / -w+NAME   silence / enable a warning class (e.g. -w-number-overflow, -w-all)
  -O0 / -O1 / -Ox     optimisation as nasm's: -O0 full-size immediates, jmp near (jcc short if it fits);
                      -O1 sign-extended imm8 forms, jumps near unless \`short'; -Ox (default) shortest forms
  --bits 16|32|64     as a \`BITS' directive before the first line
  -E, -e              preprocess only (to -o FILE, else stdout), in nasm's format with %line markers
  -a                  assemble without preprocessing
  -p FILE, -P FILE    pre-include FILE (also --include FILE)
  --before LINE       process LINE before the source; --pragma TEXT is --before '%pragma TEXT'
  --gprefix/--gpostfix/--lprefix/--lpostfix TEXT  add TEXT to global+extern / other symbol names
  --no-line           ignore %line directives
  -Z FILE / -s        messages to FILE / to stdout; -X gnu|vc chooses their form
  -g, -F FMT, -gFMT    debug info: dwarf (default) or stabs for elf (as nasm 2.16 writes them); -f bin has
                      none (only -F null is accepted there, as nasm)
  -L FLAGS, -t, --limit-X N, --keep-all, --reproducible: accepted as nasm's; -v: version
  NASMENV             options read before the command line's, as nasm does

Example: ostool asm -f elf64 -I src/kernel/include/ -o build/kernel.o src/kernel/kernel.asm`,
    )
    .action(async (args: string[]) => {
      const status = await runAsm(args);
      if (status !== 0) process.exitCode = status;
    });
}
