/**
 * Collecting and printing assembler messages. Every message points at a file, line and column; the printed
 * form shows the source line with a caret under the column and the include/macro chain below it:
 *
 *   boot.asm:12:13: error: invalid combination of opcode and operands
 *      12 |     mov al, 300
 *         |             ^
 *   boot.asm:30:5: note: in expansion of macro `setup'
 */

import type { Diagnostic, ExpansionStep, SourceLocation } from './types.js';

/** One step of an expansion chain, linked to the step that led to it (shared, so deep nesting stays cheap). */
export interface ChainLink {
  step: ExpansionStep;
  parent: ChainLink | undefined;
}

/** The steps of a chain, innermost first, at most `max` of them. */
export function chainSteps(link: ChainLink | undefined, max = 20): ExpansionStep[] {
  const steps: ExpansionStep[] = [];
  for (let l = link; l && steps.length < max; l = l.parent) steps.push(l.step);
  return steps;
}

/** Where a preprocessed line came from: its file position, text and expansion chain. */
export interface LineOrigin {
  file: string;
  line: number;
  text: string;
  chain: ChainLink | undefined;
  /** Order in which the preprocessor produced the line: messages are sorted by it. */
  seq?: number;
  /**
   * Where nasm's debug info places the line when that is not the line itself: inside a `.nolist` macro, the
   * call of the outermost such macro (nasm does not follow its expansion).
   */
  debugAt?: { file: string; line: number };
}

/** Thrown inside a stage to abandon the current line; the caller records the diagnostic and moves on. */
export class LineError extends Error {
  /** nasm's `info:` line after the error (where a redefined symbol was first defined). */
  note?: { origin: LineOrigin; message: string };
  constructor(
    message: string,
    /** 0-based column, or -1 for the whole line. */
    readonly col: number,
    /** An error nasm finds only in its last pass (encoding an instruction): none after a first-pass error. */
    readonly lastPass = false,
  ) {
    super(message);
  }
}

export class DiagnosticSink {
  private readonly entries: Array<{ diagnostic: Diagnostic; seq: number }> = [];
  errorCount = 0;
  /**
   * Every message as it was reported, repeats included, with the sequence number of its line: nasm's listing
   * shows each one under the line that gave it.
   */
  readonly occurrences: Array<{ seq: number | undefined; text: string }> = [];
  /** Keeps one copy of each message per produced line (the layout's passes repeat lines). */
  private readonly seen = new Set<string>();
  constructor(
    private readonly disabledWarnings: ReadonlySet<string> = new Set(),
    /** Warning classes promoted to errors (`-Werror=NAME`; `all` for `-Werror`; `-NAME` an exception). */
    private readonly errorWarnings: ReadonlySet<string> = new Set(),
  ) {}

  error(origin: LineOrigin, col: number, message: string): void {
    this.add('error', origin, col, message);
  }

  /** An error nasm gives again for the same line (it looks a line's names up twice): not merged with the first. */
  repeatedError(origin: LineOrigin, col: number, message: string): void {
    this.add('error', origin, col, message, undefined, this.entries.length);
  }

  /** An error after which nasm goes no further (`%fatal`, an unterminated `%if`). */
  fatal(origin: LineOrigin, col: number, message: string): void {
    this.add('fatal', origin, col, message);
  }

  /** A note nasm prints after an error (`label ... originally defined here`). */
  info(origin: LineOrigin, col: number, message: string): void {
    this.add('info', origin, col, message);
  }

  warning(origin: LineOrigin, col: number, message: string, name = 'other'): void {
    if (this.disabledWarnings.has('all') || this.disabledWarnings.has(name)) return;
    if (
      (this.errorWarnings.has('all') || this.errorWarnings.has(name)) &&
      !this.errorWarnings.has(`-${name}`)
    )
      this.add('error', origin, col, message, `error=${name}`);
    else this.add('warning', origin, col, message, name);
  }

  private add(
    severity: Diagnostic['severity'],
    origin: LineOrigin,
    col: number,
    message: string,
    warningClass?: string,
    copy?: number,
  ): void {
    const location: SourceLocation = { file: origin.file, line: origin.line, column: col < 0 ? 0 : col + 1 };
    this.occurrences.push({ seq: origin.seq, text: `${severity}: ${message}${classSuffix(warningClass)}` });
    // a line repeated by %rep is a new line (nasm reports each); the layout's passes over one line are not
    const key = `${severity}|${copy ?? ''}|${origin.seq ?? ''}|${location.file}|${location.line}|${location.column}|${message}|${chainKey(origin.chain)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (severity === 'error' || severity === 'fatal') this.errorCount++;
    const diagnostic: Diagnostic = {
      severity,
      message,
      location,
      chain: chainSteps(origin.chain),
    };
    // a message about a whole empty line (the end of a file) has no source to show
    if (col >= 0 || origin.text !== '') diagnostic.sourceLine = origin.text;
    if (warningClass) diagnostic.warningClass = warningClass;
    this.entries.push({ diagnostic, seq: origin.seq ?? Infinity });
  }

  /** Every message, in source order. */
  get list(): Diagnostic[] {
    return this.entries
      .map((e, i) => ({ ...e, i }))
      .sort((a, b) => a.seq - b.seq || a.i - b.i)
      .map((e) => e.diagnostic);
  }
}

function chainKey(chain: ChainLink | undefined): string {
  return chainSteps(chain)
    .map((step) => `${step.location.file}:${step.location.line}`)
    .join(',');
}

function place(location: SourceLocation): string {
  // line 0: about the whole file (nasm names only the file)
  if (location.line === 0) return location.file;
  return location.column > 0
    ? `${location.file}:${location.line}:${location.column}`
    : `${location.file}:${location.line}`;
}

/** The printed form of one diagnostic (several lines, no trailing newline). */
/** nasm's ` [-w+CLASS]` after a warning's message (every nasm warning has one, `other` included). */
function classSuffix(warningClass: string | undefined): string {
  return warningClass ? ` [-w+${warningClass}]` : '';
}

export function formatDiagnostic(diagnostic: Diagnostic): string {
  const { location } = diagnostic;
  const flag = classSuffix(diagnostic.warningClass);
  const lines = [`${place(location)}: ${diagnostic.severity}: ${diagnostic.message}${flag}`];
  if (diagnostic.sourceLine !== undefined && location.line > 0) {
    const gutter = String(location.line).padStart(5);
    const text = diagnostic.sourceLine.replace(/\t/g, ' ');
    lines.push(`${gutter} | ${text}`);
    if (location.column > 0) lines.push(`${' '.repeat(gutter.length)} | ${' '.repeat(location.column - 1)}^`);
  }
  for (const step of diagnostic.chain) {
    const what = step.kind === 'macro' ? `in expansion of macro \`${step.name}'` : 'included from here';
    lines.push(`${place(step.location)}: note: ${what}`);
  }
  return lines.join('\n');
}

/**
 * A diagnostic exactly as nasm 2.16 prints it (`-X gnu`, its default): `file:line: severity: text [-w+class]`,
 * no column or source line; inside a macro the line is the outermost call's, followed by one
 * `file:line: ... from macro `name' defined here` line per macro, outermost first, each giving the line being
 * expanded in that macro (nasm names no include chain).
 */
export function formatNasmDiagnostic(diagnostic: Diagnostic): string {
  const { location } = diagnostic;
  const flag =
    diagnostic.warningClass && diagnostic.warningClass !== 'other' ? ` [-w+${diagnostic.warningClass}]` : '';
  const macros = diagnostic.chain.filter((step) => step.kind === 'macro');
  const at = (file: string, line: number): string => (line > 0 ? `${file}:${line}` : file);
  const outermost = macros[macros.length - 1]?.location ?? location;
  const lines = [
    `${at(outermost.file, outermost.line)}: ${diagnostic.severity}: ${diagnostic.message}${flag}`,
  ];
  // nasm's info line names its place only (in a macro, the call being expanded)
  if (diagnostic.severity === 'info') return lines[0]!;
  for (let i = macros.length - 1; i >= 0; i--) {
    const inside = i > 0 ? macros[i - 1]!.location : location;
    lines.push(`${at(inside.file, inside.line)}: ... from macro \`${macros[i]!.name}' defined here`);
  }
  return lines.join('\n');
}
