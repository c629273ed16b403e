/** Public types of the assembler: what `assemble` takes and returns. */

/** `elf32` is i386 (REL relocations), `elfx32` the x32 ABI (ELF32 container, x86-64 code and RELA). */
export type OutputFormat = 'elf64' | 'elf32' | 'elfx32' | 'bin';

export interface AssembleOptions {
  /** Source text of the main file. */
  source: string;
  /** Name of the main file as given on the command line (used in messages, `__?FILE?__`, STT_FILE). */
  fileName: string;
  /** Defaults to `bin`, like nasm. */
  format?: OutputFormat;
  /**
   * Reads an `%include`d or `incbin`ed file by path; returns undefined when the file does not exist.
   * Paths are tried in nasm's order: relative to the including file's directory, then each include path.
   */
  readFile?: (path: string) => Uint8Array | undefined;
  /** `-I` directories, searched after the including file's own directory. */
  includePaths?: string[];
  /** `-D NAME[=VALUE]`: defined before the first line. */
  defines?: Record<string, string>;
  /** `-d`/`-u`: names to leave undefined (applied after `defines`). */
  undefines?: string[];
  /** Produce a nasm-style listing in `result.listing`. */
  listing?: boolean;
  /** Warnings switched off (`-w-NAME`); `all` silences every warning. */
  disabledWarnings?: string[];
  /** The output file's name as given (`-o`), for the map file's header. */
  outputFileName?: string;
  /** nasm's `-O0` / `-O1`; absent: the default `-Ox` (shortest forms, multi-pass jump sizing). */
  optimization?: 'O0' | 'O1';
  /** nasm's `--bits N`: a `BITS N` directive before the first line (default: 64 for elf64, 16 for bin). */
  bits?: 16 | 32 | 64;
  /** Warning classes reported as errors (`-Werror=NAME`); `all` for every warning (`-Werror`). */
  errorWarnings?: string[];
  /** `-p FILE` / `--include FILE`: files included before the source's first line. */
  preIncludes?: string[];
  /** `--before LINE` (and `--pragma TEXT` as `%pragma TEXT`): lines processed before the source. */
  preLines?: string[];
  /** `-a`: assemble without preprocessing. */
  noPreprocess?: boolean;
  /** `--no-line`: ignore `%line` directives. */
  ignoreLineDirectives?: boolean;
  /** The time `__?DATE?__`, `__?TIME?__`, `__?POSIX_TIME?__` ... report (the Unix epoch when absent). */
  now?: Date;
  /** nasm's `--limit-X` values the preprocessor honours (rep, macro-levels, mmacros, lines). */
  limits?: Partial<Record<'rep' | 'macro-levels' | 'mmacros' | 'lines', number>>;
  /** Environment variables `%ifenv` tests. */
  environment?: Record<string, string | undefined>;
  /**
   * `-g` / `-F FORMAT`: debug sections in ELF objects, as nasm writes them (flat binaries have none).
   * `directory` is DW_AT_comp_dir: the source file's resolved directory with a trailing `/`.
   */
  debugInfo?: { format: 'dwarf' | 'stabs'; directory: string };
  /**
   * `--gprefix`/`--gpostfix` (global and extern symbols) and `--lprefix`/`--lpostfix` (the others): added to
   * the names in an ELF symbol table; they win over `%pragma ... gprefix`.
   */
  symbolAffixes?: Partial<Record<'gprefix' | 'gpostfix' | 'lprefix' | 'lpostfix', string>>;
}

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based; 0 when the message is about the whole line. */
  column: number;
}

/** A step of the chain that led to a line: `%include` or a macro expansion. */
export interface ExpansionStep {
  kind: 'include' | 'macro';
  /** Macro name for `macro` steps. */
  name?: string;
  /** Where the include or the macro call is. */
  location: SourceLocation;
}

export interface Diagnostic {
  /** `fatal` ends the run where it is (nasm's word); `info` adds to the message before it. */
  severity: 'fatal' | 'error' | 'warning' | 'info';
  message: string;
  location: SourceLocation;
  /** The source line the location points into, for the caret display. */
  sourceLine?: string;
  /** Innermost first. */
  chain: ExpansionStep[];
  /** For warnings: nasm's warning class (`-w-NAME` silences it), e.g. `number-overflow`. */
  warningClass?: string;
}

export interface AssembleResult {
  /** Object file or flat binary; absent when any error was reported. */
  output?: Uint8Array;
  diagnostics: Diagnostic[];
  listing?: string;
  /** Every file read through `%include` and `incbin`, in first-read order (the main file excluded). */
  dependencies: string[];
  /** bin `[map ...]`: the map file's text and the name the source gave it (undefined: none given). */
  map?: { file: string | undefined; text: string };
  /** How many layout passes were needed (nasm's -Ox pass count for the same source is comparable). */
  passes: number;
}

/** The `bits` a source starts in, as nasm: 64 for elf64 and x32, 32 for elf32, 16 for flat binaries. */
export function defaultBits(format: OutputFormat): 16 | 32 | 64 {
  return format === 'elf64' || format === 'elfx32' ? 64 : format === 'elf32' ? 32 : 16;
}
