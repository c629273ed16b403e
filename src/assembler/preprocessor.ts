/**
 * The preprocessor: source text in, a flat list of expanded lines (tokens + where they came from) out.
 * It runs once (not per pass): single-line macros (`%define` family, `%assign`), multi-line macros
 * (`%macro` with ranges, defaults, greedy parameters, `%%` locals, `%rotate`), `%rep`, conditionals,
 * `%include`, `%error`/`%warning`/`%fatal`, string functions, `%push`/`%pop` contexts and the standard
 * macros nasm predefines (`__?FILE?__`, `__?LINE?__`, `__?BITS?__` ...).
 *
 * Input comes from a stack of frames (file, macro expansion, `%rep` body); each line read from a frame
 * goes through: parameter substitution (inside macros) -> directives -> single-line expansion ->
 * multi-line macro call -> output.
 */

import { DiagnosticSink, LineError, type ChainLink, type LineOrigin } from './diagnostics.js';
import { evaluateVector, ExpressionParser, type EvalHost } from './expression.js';
import type { Value } from './encoder/types.js';
import { lexLine, rescanJoined, tokensToText, type Token } from './lexer.js';
import { packageSource } from './packages.js';
import { defaultBits, type ExpansionStep, type OutputFormat } from './types.js';

export interface PreprocessedLine {
  tokens: Token[];
  origin: LineOrigin;
  /** Value of nasm's unique-label counter before this line (istruc's context label uses it). */
  uniqueId: number;
  /** Macro nesting depth (0 = straight from a file), for the listing's `<n>` marker. */
  depth: number;
  /** With a listing: how many `%include`s deep the line was read (nasm adds it to the `<n>` marker). */
  includeDepth?: number;
  /** Directive or definition line: shown in the listing, nothing to assemble. */
  listOnly?: boolean;
  /** The text the listing shows instead of the origin's (the label line nasm makes of `label: macro`). */
  listText?: string;
  /** Inside a `.nolist` macro: assembled but not listed. */
  nolist?: boolean;
  /** The tokens are the lexer's, as written (no macro changed them): nothing was glued that needs a rescan. */
  asLexed?: boolean;
}

export interface PreprocessOptions {
  source: string;
  fileName: string;
  format: OutputFormat;
  readFile?: (path: string) => Uint8Array | undefined;
  includePaths: string[];
  defines: Record<string, string>;
  undefines: string[];
  sink: DiagnosticSink;
  /** `--bits N` (for `__?BITS?__`); default: the format's. */
  bits?: 16 | 32 | 64;
  /** Whether to emit directive lines (for the listing). */
  keepDirectiveLines: boolean;
  /**
   * Whether `lines` keeps every produced line (the listing needs them). Without it the lines go only to
   * `onLine`, and a 200k-line source does not keep 200k line records alive through the passes.
   */
  keepLines?: boolean;
  /**
   * Called with each line to assemble as soon as it is produced (with its index in `lines`), so the parser can
   * consume the tokens while they are still young in the garbage collector's eyes.
   */
  onLine?: (line: PreprocessedLine, index: number) => void;
  /** Emit blank and comment-only lines too (as empty lines): `-E` output keeps them. */
  blankLines?: boolean;
  /** The clock for `__?DATE?__` and friends (the Unix epoch when absent, to stay pure). */
  now?: Date;
  /** Environment for `%ifenv` and `%!NAME`. */
  environment?: Record<string, string | undefined>;
  /** `-p`/`--include` files, included before the first line of the source. */
  preIncludes?: string[];
  /** `--before` lines (and `--pragma` as `%pragma` lines), processed before the source and pre-includes. */
  preLines?: string[];
  /** `--no-line`: ignore `%line` directives. */
  ignoreLineDirectives?: boolean;
  /** `-a`: no preprocessing; every line goes to the assembler as written. */
  noPreprocess?: boolean;
  /** `$` before the line with this index, from an earlier round's layout (absent in the first round). */
  positionAt?: (lineIndex: number) => AssemblyPosition | undefined;
  /**
   * What the assembler knows of a symbol named in a preprocessor expression. nasm assembles each line as it is
   * preprocessed and preprocesses again in every pass, so `%rep`/`%if`/`%assign` see the labels and `equ`s
   * defined above them, with the values of the pass (here: of an earlier round, see `assemble`).
   */
  symbolValue?: (name: string) => PreprocessorSymbol;
  /** `--limit-rep`, `--limit-macro-levels`, `--limit-mmacros`, `--limit-lines` (ostool's defaults otherwise). */
  limits?: Partial<Record<'rep' | 'macro-levels' | 'mmacros' | 'lines', number>>;
}

export interface PreprocessResult {
  lines: PreprocessedLine[];
  dependencies: string[];
  /** Errors nasm gives in its first pass: it stops after that pass, without its last pass's messages. */
  firstPassErrors: number;
  /** A fatal error ended preprocessing where it was: nothing of a later pass is reported. */
  fatal: boolean;
  /** `%error`/`%warning`: nasm gives them in its last pass, so only when its first pass had no error. */
  userMessages: UserMessage[];
  /** A preprocessor expression used `$`/`$$`: the layout decides it (see `positionAt`). */
  usesPosition: boolean;
  /** The positions `positionAt` gave, by line index, to check them against the next layout. */
  positionQueries: Array<{ line: number } & AssemblyPosition>;
}

export interface UserMessage {
  warning: boolean;
  origin: LineOrigin;
  col: number;
  message: string;
}

/** Reports the `%error`/`%warning` messages of a run that reached nasm's last pass. */
export function reportUserMessages(messages: readonly UserMessage[], sink: DiagnosticSink): void {
  for (const m of messages) {
    if (m.warning) sink.warning(m.origin, m.col, m.message, 'user');
    else sink.error(m.origin, m.col, m.message);
  }
}

/**
 * A symbol as a preprocessor expression sees it: not defined above the line (nasm's "not defined before use",
 * `name` with its local-label scope), defined but of a value only a later round knows, or a value: a number, or
 * an offset from `base` (a section's or an external symbol's name), which is no constant.
 */
export type PreprocessorSymbol =
  | { kind: 'undefined'; name: string }
  | { kind: 'unknown' }
  | { kind: 'value'; offset: bigint; base?: string };

/** Where assembly stands before a line: a section (undefined: absolute space) and the offset in it. */
export interface AssemblyPosition {
  section: string | undefined;
  offset: bigint;
}

interface BodyLine {
  tokens: Token[];
  file: string;
  line: number;
  text: string;
}

interface SingleMacro {
  params: string[] | undefined;
  body: Token[];
  /** The last parameter takes the rest of the arguments, commas included (`%define f(a, b+)`). */
  greedy?: boolean;
  /**
   * Per parameter, how the argument is used: '' expanded, '=' evaluated to a number, '&' turned into a
   * string, '!' not expanded.
   */
  modes?: string[];
}

interface MultiMacro {
  name: string;
  min: number;
  max: number;
  greedy: boolean;
  nolist: boolean;
  defaults: Token[][];
  body: BodyLine[];
  /** Whether the body mentions `%00` (then the invocation's label is the macro's to place); found on first call. */
  usesLabel?: boolean;
}

interface FrameBase {
  /** Open conditionals when the frame started: leaving the frame early closes the ones opened inside. */
  condDepth: number;
}

interface FileFrame extends FrameBase {
  kind: 'file';
  file: string;
  /** After `%line N[+M] [name]` on physical line `at`: line `p` reports as N + (p - at) * M in `name`. */
  lineMap?: { at: number; base: number; step: number; file: string };
  lines: string[];
  index: number;
  chain: ChainLink | undefined;
  /** Opened by `%include` (not the source itself, `--before`/`-p` lines or a `%use` package). */
  included?: boolean;
  /** A `%use` package: nasm does not list its lines. */
  package?: boolean;
}

interface MacroFrame extends FrameBase {
  kind: 'macro';
  macro: MultiMacro;
  invokedName: string;
  index: number;
  /** Parameters including filled-in defaults. */
  params: Token[][];
  /** `%0`: the number of parameters, defaults included. */
  actual: number;
  rotate: number;
  unique: number;
  chain: ChainLink | undefined;
  depth: number;
  /** `%00`: the label written before the invocation (`foo: mymacro`), if the body uses it. */
  label: Token[];
  /** See `LineOrigin.debugAt`: set in and below a `.nolist` macro. */
  debugAt: LineOrigin['debugAt'];
}

interface RepFrame extends FrameBase {
  kind: 'rep';
  body: BodyLine[];
  index: number;
  remaining: number;
  chain: ChainLink | undefined;
  depth: number;
  debugAt: LineOrigin['debugAt'];
}

type Frame = FileFrame | MacroFrame | RepFrame;

type CondState = 'active' | 'waiting' | 'done' | 'parentOff';

interface Conditional {
  state: CondState;
  sawElse: boolean;
  origin: LineOrigin;
}

interface Definition {
  kind: 'macro' | 'rep';
  depth: number;
  origin: LineOrigin;
  body: BodyLine[];
  macro?: MultiMacro;
  caseInsensitive?: boolean;
  repCount?: number;
  /** How many frames were open when it started (a `%rep` a macro's expansion leaves open is fatal). */
  frames: number;
}

interface Context {
  name: string;
  id: number;
}

/** Directives that nasm implements as standard macros, and how many unique ids each consumes. */
const STANDARD_MACRO_IDS: Record<string, number> = {
  section: 1,
  segment: 1,
  bits: 1,
  use16: 1,
  use32: 1,
  use64: 1,
  global: 1,
  extern: 1,
  common: 1,
  static: 1,
  cpu: 1,
  default: 1,
  float: 1,
  required: 1,
  sectalign: 1,
  absolute: 1,
  org: 1,
  align: 2,
  alignb: 2,
  incbin: 2,
  struc: 2,
  endstruc: 1,
  istruc: 2,
  iend: 1,
  at: 1,
};

/** STANDARD_MACRO_IDS for the per-line lookup (a Map needs no string internalization and has no prototype). */
const STANDARD_MACRO_ID_COUNT = new Map(Object.entries(STANDARD_MACRO_IDS));

/** The standard-macro directives that take no parameters (the others take one or more). */
const NO_PARAMETER_DIRECTIVES = new Set(['use16', 'use32', 'use64', 'endstruc', 'iend']);

// Limits like nasm's defaults (--limit-macro-levels, --limit-mmacros, --limit-rep), so runaway recursion
// ends with an error instead of exhausting memory; MAX_LINES bounds what the passes must hold.
const MAX_EXPANSION_DEPTH = 1_000;
const MAX_MACRO_CALLS = 100_000;
const MAX_REP = 1_000_000;
const MAX_LINES = 4_000_000;

const decoder = new TextDecoder();

/** nasm 2.16's largest macro parameter count (NASM 3 lowers it to 16383). */
const MAX_MACRO_PARAMS = 2147483647;

function checkParameterCount(token: Token, count: number): number {
  if (count > MAX_MACRO_PARAMS)
    throw new LineError(
      `parameter count \`${token.text}' is out of bounds [0; ${MAX_MACRO_PARAMS}]`,
      token.col,
    );
  return count;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

function numToken(v: bigint, col: number): Token {
  return { kind: 'num', text: v.toString(), value: v, col, spaceBefore: true };
}

function strToken(s: string, col: number): Token {
  const bytes = new TextEncoder().encode(s);
  return { kind: 'str', text: quoteString(bytes), bytes, col, spaceBefore: true };
}

/** Quotes bytes the way nasm prints strings: single quotes unless the text has one. */
function quoteString(bytes: Uint8Array): string {
  const s = decoder.decode(bytes);
  if (!s.includes("'")) return `'${s}'`;
  if (!s.includes('"')) return `"${s}"`;
  let out = '`';
  for (const b of bytes)
    out +=
      b === 96 || b === 92
        ? `\\${String.fromCharCode(b)}`
        : b < 32 || b > 126
          ? `\\x${b.toString(16).padStart(2, '0')}`
          : String.fromCharCode(b);
  return out + '`';
}

function isDirectiveToken(t: Token | undefined): boolean {
  return t !== undefined && t.kind === 'pp' && /^%[a-zA-Z]/.test(t.text);
}

export function preprocess(options: PreprocessOptions): PreprocessResult {
  return new Preprocessor(options).run();
}

class Preprocessor {
  private readonly out: PreprocessedLine[] = [];
  private readonly frames: Frame[] = [];
  private readonly conditionals: Conditional[] = [];
  private readonly smacros = new Map<string, SingleMacro[]>();
  private readonly ismacros = new Map<string, SingleMacro[]>();
  private readonly mmacros = new Map<string, MultiMacro[]>();
  private readonly immacros = new Map<string, MultiMacro[]>();
  private readonly contexts: Context[] = [];
  /** `%defalias name target`: `name` reads as the macro `target`. */
  private readonly aliases = new Map<string, string>();
  private readonly dependencies: string[] = [];
  private definition: Definition | undefined;
  private unique = 0;
  private macroCalls = 0;
  private seq = 0;
  private bits = 16;
  private linesOut = 0;
  /** `%stacksize` state for `%arg`/`%local` (nasm's default is `flat`). */
  private stack = { ...STACK_MODELS.flat!, localOffset: 0 };
  /** Lines produced so far, kept or not (a line's index in `lines` when they are kept). */
  private lineCount = 0;
  private lastOrigin: LineOrigin | undefined;
  /** Whether a preprocessor expression used `$` or `$$`; the positions it was given, by line index. */
  private usesPosition = false;
  private readonly positionQueries: PreprocessResult['positionQueries'] = [];
  /**
   * Errors nasm reports in its first pass (after which it stops), and the `%error`/`%warning` messages it gives
   * only in its last pass: those are not given when there was such an error.
   */
  private firstPassErrors = 0;
  private readonly userMessages: UserMessage[] = [];
  private readonly sectionRefs = new Map<string, number>();
  /** The single-line macros being expanded on the current line (see processLine). */
  private readonly lineActiveMacros = new Set<SingleMacro>();
  /** Nesting of rescans after pasting (bounded: a paste that keeps producing macros must end). */
  private rescans = 0;
  /** `__?SECT?__`: the directive that selected the current section (`[section .data align=8]`). */
  private currentSection = '[section .text]';
  /** Physical number of the file line being processed (what `%line` counts from). */
  private physicalLine = 0;
  private fatal = false;
  /** Just after the source's last line (where nasm reports what the end of the file left unfinished). */
  private endOfSource: LineOrigin | undefined;
  private readonly sink: DiagnosticSink;

  private readonly limits: { rep: number; macroLevels: number; mmacros: number; lines: number };

  constructor(private readonly options: PreprocessOptions) {
    this.sink = options.sink;
    const given = options.limits ?? {};
    this.limits = {
      rep: given.rep ?? MAX_REP,
      macroLevels: given['macro-levels'] ?? MAX_EXPANSION_DEPTH,
      mmacros: given.mmacros ?? MAX_MACRO_CALLS,
      lines: given.lines ?? MAX_LINES,
    };
    this.bits = options.bits ?? defaultBits(options.format);
  }

  run(): PreprocessResult {
    const { options } = this;
    for (const [name, value] of Object.entries(options.defines)) {
      this.smacros.set(name, [{ params: undefined, body: lexLine(value).tokens }]);
    }
    for (const name of options.undefines) this.smacros.delete(name);
    this.frames.push({
      kind: 'file',
      file: options.fileName,
      lines: splitLines(options.source),
      index: 0,
      chain: undefined,
      condDepth: 0,
    });
    // --before lines, then -p pre-includes, run ahead of the source (the frame on top runs first)
    const ahead = [
      ...(options.preLines ?? []),
      ...(options.preIncludes ?? []).map((p) => `%include ${quoteString(new TextEncoder().encode(p))}`),
    ];
    if (ahead.length > 0 && !options.noPreprocess)
      this.frames.push({
        kind: 'file',
        file: 'command line',
        lines: ahead,
        index: 0,
        chain: undefined,
        condDepth: 0,
      });
    this.loop();
    if (this.definition && !this.fatal) {
      // as nasm: reported after the source's last line
      this.firstPassErrors++;
      const d = this.definition;
      this.sink.error(
        this.endOfSource!,
        -1,
        d.kind === 'macro'
          ? `end of file while still defining macro \`${d.macro!.name}'`
          : 'end of file while still in %rep',
      );
    }
    return {
      fatal: this.fatal,
      firstPassErrors: this.firstPassErrors,
      userMessages: this.userMessages,
      lines: this.out,
      dependencies: this.dependencies,
      usesPosition: this.usesPosition,
      positionQueries: this.positionQueries,
    };
  }

  private loop(): void {
    while (this.frames.length > 0 && !this.fatal) {
      const frame = this.frames[this.frames.length - 1]!;
      if (frame.kind === 'file') {
        if (frame.index >= frame.lines.length) {
          this.endFile(frame);
          continue;
        }
        let text = frame.lines[frame.index++]!;
        const lineNo = frame.index;
        // backslash continuation
        while (text.charCodeAt(text.length - 1) === 92 /* \\ */ && frame.index < frame.lines.length)
          text = text.slice(0, -1) + frame.lines[frame.index++]!;
        const map = frame.lineMap;
        const origin: LineOrigin = {
          file: map ? map.file : frame.file,
          line: map ? map.base + (lineNo - map.at) * map.step : lineNo,
          text,
          chain: frame.chain,
          seq: this.seq++,
        };
        this.physicalLine = lineNo;
        const lexed = lexLine(text);
        this.processLine(lexed.tokens, origin, 0, lexed.error);
      } else {
        const body = frame.kind === 'macro' ? frame.macro.body : frame.body;
        if (frame.index >= body.length) {
          if (frame.kind === 'rep' && --frame.remaining > 0) {
            frame.index = 0;
            continue;
          }
          this.frames.pop();
          if (
            frame.kind === 'macro' &&
            this.definition?.kind === 'rep' &&
            this.definition.frames > this.frames.length
          ) {
            // nasm gives up when a macro's expansion ends inside a `%rep` it opened, at the macro's call
            const call = frame.chain!.step.location;
            this.fatalAt(
              { file: call.file, line: call.line, text: '', chain: frame.chain!.parent, seq: this.seq++ },
              `\`%rep' without \`%endrep' within expansion of macro \`${frame.macro.name}'`,
            );
          }
          continue;
        }
        const line = body[frame.index++]!;
        const origin: LineOrigin = {
          file: line.file,
          line: line.line,
          text: line.text,
          chain: frame.chain,
          seq: this.seq++,
        };
        if (frame.debugAt) origin.debugAt = frame.debugAt;
        this.processLine(line.tokens, origin, frame.depth);
      }
      if (this.linesOut > this.limits.lines) {
        this.sink.error(this.lastOrigin!, -1, 'too many lines produced (runaway %rep or macro recursion?)');
        this.fatal = true;
      }
    }
  }

  /**
   * The end of a file: a conditional opened in it and still open is fatal, as in nasm, on the line after the
   * file's last; the end of the source itself is where unfinished definitions are reported.
   */
  private endFile(frame: FileFrame): void {
    this.frames.pop();
    const after = frame.lines.length + 1;
    const map = frame.lineMap;
    const origin: LineOrigin = {
      file: map ? map.file : frame.file,
      line: map ? map.base + (after - map.at) * map.step : after,
      text: '',
      chain: frame.chain,
      seq: this.seq++,
    };
    if (this.frames.length === 0) this.endOfSource = origin;
    if (this.conditionals.length > frame.condDepth)
      this.fatalAt(origin, "expected `%endif' before end of file");
  }

  private fatalAt(origin: LineOrigin, message: string): void {
    this.firstPassErrors++;
    this.sink.fatal(origin, -1, message);
    this.fatal = true;
  }

  private innermostMacro(): MacroFrame | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (f.kind === 'macro') return f;
      if (f.kind === 'file') return undefined;
    }
    return undefined;
  }

  private skipping(): boolean {
    // checked on every line: reading index -1 of the (usually empty) array is a slow property lookup in V8
    const depth = this.conditionals.length;
    return depth > 0 && this.conditionals[depth - 1]!.state !== 'active';
  }

  /**
   * The label line of `label: macro` as nasm's listing shows it: the tokens before the macro's name, each run of
   * blanks one space, and a colon added when the label has none (`foo mac` reads `foo :`).
   */
  private labelListText(tokens: Token[], nameAt: number): string {
    let text = '';
    for (const t of tokens.slice(0, nameAt)) text += (t.spaceBefore ? ' ' : '') + t.text;
    if (tokens[nameAt]!.spaceBefore) text += ' ';
    return nameAt === 2 ? text : text + ':';
  }

  private emitListOnly(origin: LineOrigin, depth: number): void {
    if (this.options.keepDirectiveLines) {
      this.keep({ tokens: [], origin, uniqueId: this.unique, depth, listOnly: true });
      this.lineCount++;
    }
  }

  private keep(line: PreprocessedLine): void {
    // lines of a `.nolist` macro, directives included, are not listed
    if (this.innermostMacro()?.macro.nolist) line.nolist = true;
    if (this.options.keepDirectiveLines) {
      let includes = 0;
      for (const f of this.frames) {
        if (f.kind === 'file' && f.included) includes++;
        if (f.kind === 'file' && f.package) line.nolist = true;
      }
      if (includes > 0) line.includeDepth = includes;
    }
    if (this.options.keepLines !== false) this.out.push(line);
    this.lastOrigin = line.origin;
  }

  private processLine(
    raw: Token[],
    origin: LineOrigin,
    depth: number,
    lexError?: { col: number; message: string },
  ): void {
    if (this.options.noPreprocess) {
      // like nasm -a: preprocessor directives are dropped, except `%line`, which still renumbers
      const first = raw[0];
      if (isDirectiveToken(first)) {
        const name = first!.text.toLowerCase();
        if (name === '%line') this.directive(name, raw, origin, depth);
        if (name === '%line' || this.isConditionalDirective(name) || KNOWN_DIRECTIVES.has(name)) return;
      }
      if (raw.length > 0 || this.options.blankLines) this.emit(raw, origin, depth, true);
      return;
    }
    if (this.definition) {
      this.collectDefinitionLine(raw, origin);
      return;
    }
    let tokens = raw;
    const macro = this.innermostMacro();
    if (macro && tokens.some((t) => t.kind === 'pp')) {
      try {
        tokens = this.substituteParams(tokens, macro);
      } catch (e) {
        this.report(e, origin);
        return;
      }
    } else if (!macro && !this.skipping() && tokens.some(isMacroParameterToken))
      tokens = this.dropParametersOutsideMacros(tokens, origin);
    const first = tokens[0];
    if (isDirectiveToken(first)) {
      const name = first!.text.toLowerCase();
      if (this.isConditionalDirective(name)) {
        try {
          this.conditionalDirective(name, tokens, origin);
        } catch (e) {
          this.report(e, origin);
        }
        this.emitListOnly(origin, depth);
        return;
      }
      // nasm lists the lines of a skipped block too
      if (this.skipping()) return this.emitListOnly(origin, depth);
      try {
        this.directive(name, tokens, origin, depth);
      } catch (e) {
        this.report(e, origin);
      }
      return;
    }
    if (this.skipping()) return this.emitListOnly(origin, depth);
    if (lexError) {
      this.sink.error(origin, lexError.col, lexError.message);
      return;
    }
    if (tokens.length === 0) {
      if (this.options.blankLines) this.emit(tokens, origin, depth);
      else this.emitListOnly(origin, depth);
      return;
    }
    try {
      // one set for every line (processLine is never re-entered while it expands); emptied first, since an
      // error may leave the macros that were being expanded in it (only then: clear() allocates a new table)
      const active = this.lineActiveMacros;
      if (active.size > 0) active.clear();
      tokens = this.expandSmacros(tokens, origin, active);
      tokens = this.expandContextLocals(tokens, origin);
    } catch (e) {
      this.report(e, origin);
      return;
    }
    // A line can expand to nothing (`ERR(x)` with an empty `ERR`): it is then an empty line.
    if (tokens.length === 0) {
      this.emitListOnly(origin, depth);
      return;
    }
    if (this.tryInvokeMacro(tokens, origin, depth)) return;
    this.emit(tokens, origin, depth, tokens === raw);
  }

  /**
   * Macro parameters and `%%` locals outside any macro: nasm reports each and goes on with the line without
   * them (`db %1` is then a `db` without operands).
   */
  private dropParametersOutsideMacros(tokens: Token[], origin: LineOrigin): Token[] {
    return tokens.filter((t) => {
      if (!isMacroParameterToken(t)) return true;
      this.firstPassErrors++;
      this.sink.error(origin, t.col, `\`${t.text}': not in a macro call`);
      return false;
    });
  }

  private emit(tokens: Token[], origin: LineOrigin, depth: number, asLexed = false, listText?: string): void {
    const uniqueId = this.unique;
    this.trackStandardLine(tokens);
    const line: PreprocessedLine = { tokens, origin, uniqueId, depth };
    if (asLexed) line.asLexed = true;
    if (listText !== undefined && this.options.keepDirectiveLines) line.listText = listText;
    this.keep(line);
    this.options.onLine?.(line, this.lineCount++);
    this.linesOut++;
  }

  /** Follows `bits`/`use` for `__?BITS?__`, and consumes unique ids the way nasm's standard macros do. */
  private trackStandardLine(tokens: Token[]): void {
    let i = 0;
    let first = tokens[0];
    if (!first) return;
    if (first.kind === 'id' && tokens[1]?.kind === 'op' && tokens[1].text === ':') {
      i = 2;
      first = tokens[2];
      if (!first) return;
    }
    if (first.kind === 'op' && first.text === '[') {
      const next = tokens[i + 1];
      if (next && next.kind === 'id' && next.text.toLowerCase() === 'bits') this.setBits(tokens[i + 2]);
      return;
    }
    if (first.kind !== 'id' || first.text.length > 9) return;
    const name = first.text.toLowerCase();
    const ids = STANDARD_MACRO_ID_COUNT.get(name);
    if (ids === undefined) return;
    this.unique += ids;
    if (name === 'bits') this.setBits(tokens[i + 1]);
    else if (name === 'section' || name === 'segment' || name === 'absolute')
      this.currentSection = `[${first.text} ${tokensToText(tokens.slice(i + 1))}]`;
    else if (name === 'use16') this.bits = 16;
    else if (name === 'use32') this.bits = 32;
    else if (name === 'use64') this.bits = 64;
  }

  private setBits(t: Token | undefined): void {
    if (t && t.kind === 'num' && (t.value === 16n || t.value === 32n || t.value === 64n))
      this.bits = Number(t.value);
  }

  private report(e: unknown, origin: LineOrigin): void {
    this.firstPassErrors++;
    if (e instanceof LineError) this.sink.error(origin, e.col, e.message);
    else this.sink.error(origin, -1, `internal preprocessor error: ${(e as Error).message ?? String(e)}`);
  }

  // ---------------------------------------------------------------- definitions (%macro / %rep bodies)

  private collectDefinitionLine(tokens: Token[], origin: LineOrigin): void {
    const d = this.definition!;
    const first = tokens[0];
    const name = isDirectiveToken(first) ? first!.text.toLowerCase() : '';
    const opens = d.kind === 'macro' ? name === '%macro' || name === '%imacro' : name === '%rep';
    const closes =
      d.kind === 'macro' ? name === '%endmacro' || name === '%endm' : name === '%endrep' || name === '%endr';
    if (opens) d.depth++;
    this.emitListOnly(
      origin,
      this.frames.length > 0 && this.frames[this.frames.length - 1]!.kind !== 'file'
        ? (this.frames[this.frames.length - 1] as MacroFrame | RepFrame).depth
        : 0,
    );
    if (closes && d.depth-- === 0) {
      this.definition = undefined;
      this.finishDefinition(d);
      return;
    }
    d.body.push({ tokens, file: origin.file, line: origin.line, text: origin.text });
  }

  private finishDefinition(d: Definition): void {
    if (d.kind === 'macro') {
      const m = d.macro!;
      m.body = d.body;
      const table = d.caseInsensitive ? this.immacros : this.mmacros;
      const key = d.caseInsensitive ? m.name.toLowerCase() : m.name;
      const list = (table.get(key) ?? []).filter((other) => other.min !== m.min || other.max !== m.max);
      list.push(m);
      table.set(key, list);
      return;
    }
    if (d.repCount! > 0 && d.body.length > 0) {
      const frame = this.frames[this.frames.length - 1]!;
      const depth = (frame.kind === 'file' ? 0 : frame.depth) + 1;
      this.frames.push({
        kind: 'rep',
        body: d.body,
        index: 0,
        remaining: d.repCount!,
        chain: frame.chain,
        depth,
        condDepth: this.conditionals.length,
        debugAt: frame.kind === 'file' ? undefined : frame.debugAt,
      });
    }
  }

  // ---------------------------------------------------------------- conditionals

  private isConditionalDirective(name: string): boolean {
    return name.startsWith('%if') || name.startsWith('%elif') || name === '%else' || name === '%endif';
  }

  private conditionalDirective(name: string, tokens: Token[], origin: LineOrigin): void {
    const top = this.conditionals[this.conditionals.length - 1];
    if (name.startsWith('%if')) {
      if (this.skipping()) {
        this.conditionals.push({ state: 'parentOff', sawElse: false, origin });
        return;
      }
      const truth = this.conditionReported(name.slice(3), tokens, origin);
      this.conditionals.push({
        state: truth === undefined ? 'done' : truth ? 'active' : 'waiting',
        sawElse: false,
        origin,
      });
      return;
    }
    if (!top) throw new LineError(`\`${name}': no matching \`%if'`, tokens[0]!.col);
    if (name === '%endif' || name === '%else') {
      if (tokens.length > 1 && top.state !== 'parentOff')
        this.sink.warning(origin, tokens[1]!.col, `trailing garbage after \`${name}' ignored`, 'pp-trailing');
    }
    if (name === '%endif') {
      this.conditionals.pop();
      return;
    }
    if (top.sawElse) {
      // nasm warns (outside skipped code) and skips the rest of the block
      if (top.state !== 'parentOff')
        this.sink.warning(
          origin,
          tokens[0]!.col,
          `\`${name}' after \`%else', ignoring content`,
          name === '%else' ? 'pp-else-else' : 'pp-else-elif',
        );
      top.state = top.state === 'parentOff' ? 'parentOff' : 'done';
      return;
    }
    if (name === '%else') {
      top.sawElse = true;
      if (top.state === 'active') top.state = 'done';
      else if (top.state === 'waiting') top.state = 'active';
      return;
    }
    // %elifxxx
    if (top.state === 'active') top.state = 'done';
    else if (top.state === 'waiting') {
      const truth = this.conditionReported(name.slice(5), tokens, origin, false);
      if (truth !== false) top.state = truth ? 'active' : 'done';
    }
  }

  /**
   * A condition whose expression is in error takes, as in nasm (COND_NEVER), neither its branch nor any later
   * %elif/%else of the block; the block stays open, so its %else and %endif still match it. nasm 2.16 reports the
   * error of an %if but says nothing about an %elif's (and assembles on), so neither does this.
   */
  private conditionReported(
    kind: string,
    tokens: Token[],
    origin: LineOrigin,
    reported = true,
  ): boolean | undefined {
    try {
      return this.condition(kind, tokens, origin);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      if (reported) this.report(e, origin);
      return undefined;
    }
  }

  /** `kind` is what follows `%if`/`%elif`: '', 'def', 'ndef', 'idn', 'nidni', ... */
  private condition(kind: string, tokens: Token[], origin: LineOrigin): boolean {
    let negate = false;
    let k = kind.toLowerCase();
    if (k.startsWith('n') && k !== 'num') {
      negate = true;
      k = k.slice(1);
    }
    if (k === 'num' && kind.toLowerCase() === 'nnum') negate = true;
    const args = tokens.slice(1);
    const col = tokens[0]!.col;
    let result: boolean;
    switch (k) {
      case '':
        result = this.evaluateNumber(args, origin, col, tokens[0]!.text) !== 0n;
        break;
      case 'def': {
        // as nasm: true at the first name that is defined, nothing after it read (none given: false)
        result = false;
        for (const id of args) {
          if (id.kind !== 'id' && id.kind !== 'pp')
            throw new LineError(`\`${tokens[0]!.text.toLowerCase()}' expects macro identifiers`, id.col);
          const name = this.contextName(id);
          result = this.smacros.has(name) || this.ismacros.has(name.toLowerCase()) || isBuiltinName(name);
          if (result) break;
        }
        break;
      }
      case 'macro': {
        const id = args[0];
        if (!id || id.kind !== 'id') throw new LineError("`%ifmacro' expects a macro name", col);
        result = this.macroSpecExists(id.text, args.slice(1), col);
        break;
      }
      case 'idn':
      case 'idni': {
        result = identicalTexts(this.expandSmacros(args, origin, new Set()), k === 'idni', col);
        break;
      }
      case 'num':
      case 'str':
      case 'id':
      case 'token':
      case 'empty': {
        const expanded = this.expandSmacros(args, origin, new Set());
        if (k === 'empty') result = expanded.length === 0;
        // as nasm 2.16: %ifnum/%ifstr/%ifid look at the first token only (%ifnum past leading signs)
        else if (k === 'num') {
          const first = expanded.find((t) => !(t.kind === 'op' && (t.text === '-' || t.text === '+')));
          result = first?.kind === 'num';
        } else if (k === 'str') result = expanded[0]?.kind === 'str';
        else if (k === 'token') result = expanded.length === 1;
        else result = expanded[0]?.kind === 'id' && expanded[0].text !== '$' && expanded[0].text !== '$$';
        break;
      }
      case 'ctx': {
        const top = this.contexts[this.contexts.length - 1];
        result = top !== undefined && args.some((t) => t.text === top.name);
        break;
      }
      case 'env': {
        const t = args[0];
        const name = t?.kind === 'str' ? decoder.decode(t.bytes) : tokensToText(args);
        result = this.options.environment?.[name] !== undefined;
        break;
      }
      default:
        throw new LineError(`unknown preprocessor directive \`%if${kind}'`, col);
    }
    return negate ? !result : result;
  }

  /**
   * `%ifmacro name [min[-max]][+]`: whether a multi-line macro of that name exists whose parameter range
   * overlaps the given one (nasm's test for whether a definition with that range would clash).
   */
  private macroSpecExists(name: string, spec: Token[], col: number): boolean {
    let min = 0;
    let max = Infinity;
    let greedy = false;
    let i = 0;
    if (spec[i]?.kind === 'num') {
      min = max = Number(spec[i++]!.value!);
      if (spec[i]?.text === '-') {
        const upper = spec[i + 1];
        if (upper?.kind === 'num') max = checkParameterCount(upper, Number(upper.value!));
        else if (upper?.text === '*') max = Infinity;
        else throw new LineError("`%ifmacro': bad parameter range", upper?.col ?? col);
        i += 2;
      }
      if (spec[i]?.text === '+') greedy = true;
    }
    const list: Array<{ min: number; max: number; greedy: boolean }> = [
      ...(this.mmacros.get(name) ?? []),
      ...(this.immacros.get(name.toLowerCase()) ?? []),
    ];
    // nasm's directives that are standard macros count too (lower case only, as nasm defines them)
    if (STANDARD_MACRO_IDS[name] !== undefined)
      list.push(
        NO_PARAMETER_DIRECTIVES.has(name)
          ? { min: 0, max: 0, greedy: false }
          : { min: 1, max: 1, greedy: true },
      );
    return list.some((m) => (m.min <= max || greedy) && (min <= m.max || m.greedy));
  }

  private position(base: boolean): Value {
    this.usesPosition = true;
    const at = this.options.positionAt?.(this.lineCount);
    if (!at) return { offset: 0n, unknown: true };
    this.positionQueries.push({ line: this.lineCount, ...at });
    if (at.section === undefined) return { offset: base ? 0n : at.offset };
    return { offset: base ? 0n : at.offset, symbol: this.baseRef(at.section) };
  }

  /** A relocatable value stands for `base` plus an offset: one reference number per base name. */
  private baseRef(base: string): number {
    let ref = this.sectionRefs.get(base);
    if (ref === undefined) this.sectionRefs.set(base, (ref = this.sectionRefs.size + 1));
    return ref;
  }

  private symbol(name: string, col: number): Value {
    const known = this.options.symbolValue?.(name) ?? { kind: 'undefined', name };
    if (known.kind === 'undefined')
      throw new LineError(`symbol \`${known.name}' not defined before use`, col);
    if (known.kind === 'unknown') return { offset: 0n, unknown: true };
    return known.base === undefined
      ? { offset: known.offset }
      : { offset: known.offset, symbol: this.baseRef(known.base) };
  }

  /**
   * `what` names the directive for nasm's "non-constant value given to `%if'" (a label's address, `$`, a
   * difference across sections: values the linker or the output format decides).
   */
  private evaluateNumber(args: Token[], origin: LineOrigin, col: number, what = '%assign'): bigint {
    // Tokens glued by expansion (`xyzzy` `1e+10`) are read again as text, and new names expanded, as nasm does.
    const once = this.expandSmacros(args, origin, new Set());
    const rescanned = rescanJoined(once);
    const expanded = rescanned === once ? once : this.expandSmacros(rescanned, origin, new Set());
    if (expanded.length === 0) throw new LineError('expression syntax error', col);
    // a context-local name is no number (the parser refuses it), and nasm first says when its context is missing
    for (const t of expanded)
      if (t.kind === 'pp' && t.text.startsWith('%$'))
        try {
          this.contextName(t);
        } catch (e) {
          if (!(e instanceof LineError)) throw e;
          this.firstPassErrors++;
          this.sink.error(origin, e.col, e.message);
        }
    const parser = new ExpressionParser(expanded, 0, {
      isRegister: () => false,
      characterConstant: (length, c) => {
        const kept = this.bits === 64 ? 8 : 4;
        if (length > kept) this.sink.warning(origin, c, 'character constant too long', 'other');
        return kept;
      },
    });
    const e = parser.parse();
    if (parser.i < expanded.length)
      this.sink.warning(
        origin,
        expanded[parser.i]!.col,
        'trailing garbage after expression ignored',
        'pp-trailing',
      );
    const host: EvalHost = {
      // labels, `$` and `$$` (`%if ($-$$) > 510`): nasm preprocesses every pass and knows them in the last
      // one; here they come from the layout of an earlier round (see assemble), unknown in the first
      symbol: (name, c) => this.symbol(name, c),
      here: () => this.position(false),
      base: () => this.position(true),
    };
    const v = evaluateVector(e, host);
    if (v.unknown) return 0n;
    if (v.symbol !== undefined || v.plus || v.minus || v.pcBase !== undefined || v.wrt)
      throw new LineError(`non-constant value given to \`${what}'`, col);
    return v.offset;
  }

  // ---------------------------------------------------------------- other directives

  private directive(name: string, tokens: Token[], origin: LineOrigin, depth: number): void {
    const col = tokens[0]!.col;
    const args = NAMING_DIRECTIVES.has(name) ? this.joinMacroName(tokens.slice(1), origin) : tokens.slice(1);
    switch (name) {
      case '%define':
      case '%idefine':
      case '%xdefine':
      case '%ixdefine':
        this.defineSingle(name, args, origin, col);
        break;
      case '%undef':
      case '%iundef': {
        const id = args[0];
        if (!id) throw new LineError(`\`${name}' expects a macro identifier`, col);
        const key = this.contextName(id);
        if (name === '%iundef') this.ismacros.delete(key.toLowerCase());
        else this.smacros.delete(key);
        break;
      }
      case '%assign':
      case '%iassign': {
        const id = args[0];
        if (!id || (id.kind !== 'id' && id.kind !== 'pp'))
          throw new LineError(`\`${name}' expects a macro name`, col);
        const value = this.evaluateNumber(args.slice(1), origin, id.col + id.text.length, name);
        this.setSingle(this.contextName(id), name === '%iassign', {
          params: undefined,
          body: [numToken(value, id.col)],
        });
        break;
      }
      case '%strlen': {
        const [id, ...rest] = args;
        if (!id || (id.kind !== 'id' && id.kind !== 'pp'))
          throw new LineError("`%strlen' expects a macro name", col);
        const str = this.expandSmacros(rest, origin, new Set())[0];
        if (!str || str.kind !== 'str') throw new LineError("`%strlen' expects a string", col);
        this.setSingle(this.contextName(id), false, {
          params: undefined,
          body: [numToken(BigInt(str.bytes!.length), col)],
        });
        break;
      }
      case '%strcat': {
        const [id, ...rest] = args;
        if (!id || (id.kind !== 'id' && id.kind !== 'pp'))
          throw new LineError("`%strcat' expects a macro name", col);
        const parts = this.expandSmacros(rest, origin, new Set()).filter(
          (t) => !(t.kind === 'op' && t.text === ','),
        );
        const bytes: number[] = [];
        for (const p of parts) {
          if (p.kind !== 'str') throw new LineError("`%strcat' expects strings", p.col);
          bytes.push(...p.bytes!);
        }
        const b = Uint8Array.from(bytes);
        this.setSingle(this.contextName(id), false, {
          params: undefined,
          body: [{ kind: 'str', text: quoteString(b), bytes: b, col, spaceBefore: true }],
        });
        break;
      }
      case '%substr': {
        const [id, ...rest] = args;
        if (!id || (id.kind !== 'id' && id.kind !== 'pp'))
          throw new LineError("`%substr' expects a macro name", col);
        const expanded = this.expandSmacros(rest, origin, new Set());
        const str = expanded[0];
        if (!str || str.kind !== 'str') throw new LineError("`%substr' expects a string", col);
        // `%substr name 'str' start[,length]`: nasm writes no comma after the string, but accepts one
        const afterString = expanded[1]?.kind === 'op' && expanded[1].text === ',' ? 2 : 1;
        const numbers = expanded.slice(afterString);
        const comma = topLevelCommas(numbers)[0];
        const start = Number(this.evaluateNumber(numbers.slice(0, comma ?? numbers.length), origin, col));
        let length = 1;
        if (comma !== undefined)
          length = Number(BigInt.asIntN(64, this.evaluateNumber(numbers.slice(comma + 1), origin, col)));
        const all = str.bytes!;
        const from = start - 1;
        const end = length < 0 ? all.length + length + 1 : from + length;
        const b = all.slice(Math.max(0, from), Math.max(from, end));
        this.setSingle(this.contextName(id), false, {
          params: undefined,
          body: [{ kind: 'str', text: quoteString(b), bytes: b, col, spaceBefore: true }],
        });
        break;
      }
      case '%macro':
      case '%imacro':
        this.startMacro(name === '%imacro', args, origin, col, depth);
        return;
      case '%unmacro':
      case '%unimacro': {
        // `%unmacro name min[-max][+]` removes the definition with exactly that parameter range
        const id = args[0];
        if (!id || id.kind !== 'id') throw new LineError(`\`${name}' expects a macro name`, col);
        const count = args[1];
        if (!count || count.kind !== 'num')
          throw new LineError(`\`${name}' expects a parameter count`, count?.col ?? col);
        const min = Number(count.value!);
        let max = min;
        let i = 2;
        if (args[i]?.text === '-') {
          const upper = args[i + 1];
          max = upper?.kind === 'num' ? Number(upper.value!) : upper?.text === '*' ? Infinity : NaN;
          if (Number.isNaN(max)) throw new LineError(`\`${name}': bad parameter range`, upper?.col ?? col);
          i += 2;
        }
        const greedy = args[i]?.text === '+';
        const table = name === '%unimacro' ? this.immacros : this.mmacros;
        const key = name === '%unimacro' ? id.text.toLowerCase() : id.text;
        const kept = (table.get(key) ?? []).filter(
          (m) => m.min !== min || m.max !== max || m.greedy !== greedy,
        );
        if (kept.length > 0) table.set(key, kept);
        else table.delete(key);
        break;
      }
      case '%endmacro':
      case '%endm':
        throw new LineError(`\`${name}': not defining a macro`, col);
      case '%rep': {
        // nasm takes the count as a signed 64-bit number: 0xffff...fe is -2, no iterations. A count in error
        // opens no block (its %endrep is then unmatched, as in nasm); a missing one opens a block repeated
        // no times.
        // `%rep .nolist n`: the repetitions are not listed one by one (ostool lists them as nasm -Lb does)
        const nolist = args[0]?.kind === 'id' && args[0].text.toLowerCase() === '.nolist';
        const countTokens = nolist ? args.slice(1) : args;
        const missing = countTokens.length === 0;
        const count = missing ? 0n : BigInt.asIntN(64, this.evaluateNumber(countTokens, origin, col, name));
        this.definition = {
          kind: 'rep',
          depth: 0,
          origin,
          body: [],
          repCount: count > 0n ? Number(count) : 0,
          frames: this.frames.length,
        };
        if (missing) throw new LineError("`%rep' expects a repeat count", col);
        if (count > BigInt(this.limits.rep)) {
          // the body is still read up to its %endrep, and repeated no times
          this.definition.repCount = 0;
          throw new LineError(`\`%rep' count ${count} exceeds limit (currently ${this.limits.rep})`, col);
        }
        break;
      }
      case '%endrep':
      case '%endr':
        throw new LineError(`\`${name}': no matching \`%rep'`, col);
      case '%exitrep': {
        const at = lastIndexOf(this.frames, 'rep');
        if (at < 0) throw new LineError("`%exitrep' not within `%rep' block", col);
        this.conditionals.length = this.frames[at]!.condDepth;
        this.frames.length = at;
        break;
      }
      case '%exitmacro': {
        const at = lastIndexOf(this.frames, 'macro');
        if (at < 0) throw new LineError("`%exitmacro' not within `%macro' block", col);
        this.conditionals.length = this.frames[at]!.condDepth;
        this.frames.length = at;
        break;
      }
      case '%rotate': {
        const m = this.innermostMacro();
        if (!m) throw new LineError("`%rotate' outside a macro", col);
        const n = Number(this.evaluateNumber(args, origin, col, name));
        const count = m.params.length;
        if (count > 0) m.rotate = (((m.rotate + n) % count) + count) % count;
        break;
      }
      case '%include':
        this.include(args, origin, col);
        return;
      case '%error':
      case '%warning':
      case '%fatal': {
        const expanded = this.expandSmacros(args, origin, new Set());
        const message =
          expanded.length === 1 && expanded[0]!.kind === 'str'
            ? decoder.decode(expanded[0]!.bytes)
            : tokensToText(expanded);
        if (name === '%fatal') {
          this.fatalAt(origin, message);
        } else this.userMessages.push({ warning: name === '%warning', origin, col, message });
        break;
      }
      case '%push': {
        this.unique++;
        this.contexts.push({ name: args[0]?.text ?? '', id: this.unique - 1 });
        break;
      }
      case '%pop': {
        if (this.contexts.length === 0) throw new LineError("`%pop': context stack is empty", col);
        this.contexts.pop();
        break;
      }
      case '%repl': {
        const top = this.contexts[this.contexts.length - 1];
        if (!top) throw new LineError("`%repl': context stack is empty", col);
        top.name = args[0]?.text ?? '';
        break;
      }
      case '%use':
        this.usePackage(args, origin, col);
        return;
      case '%defstr':
      case '%idefstr': {
        const [id, ...rest] = args;
        if (!id) throw new LineError(`\`${name}' expects a macro name`, col);
        const text = tokensToText(this.expandSmacros(rest, origin, new Set()));
        this.setSingle(this.contextName(id), name === '%idefstr', {
          params: undefined,
          body: [strToken(text, col)],
        });
        break;
      }
      case '%deftok':
      case '%ideftok': {
        const [id, ...rest] = args;
        if (!id) throw new LineError(`\`${name}' expects a macro name`, col);
        const str = this.expandSmacros(rest, origin, new Set())[0];
        if (!str || str.kind !== 'str') throw new LineError(`\`${name}' expects a string`, col);
        this.setSingle(this.contextName(id), name === '%ideftok', {
          params: undefined,
          body: lexLine(decoder.decode(str.bytes)).tokens,
        });
        break;
      }
      case '%line':
        if (!this.options.ignoreLineDirectives) this.lineDirective(args, origin, col);
        break;
      case '%pragma': {
        // `%pragma preproc ...` is the preprocessor's own (nothing it needs here); the rest go to the assembler
        const expanded = this.expandSmacros(args, origin, new Set());
        const space = expanded[0];
        if (!space || space.kind !== 'id' || space.text.toLowerCase() === 'preproc') break;
        const op = (text: string, spaceBefore: boolean): Token => ({ kind: 'op', text, col, spaceBefore });
        this.emit(
          [
            op('[', false),
            { kind: 'id', text: 'pragma', col, spaceBefore: false },
            ...expanded.map((t, k) => (k === 0 ? { ...t, spaceBefore: true } : t)),
            op(']', false),
          ],
          origin,
          depth,
        );
        return;
      }

      case '%stacksize':
        this.setStackSize(args, col);
        break;
      case '%arg':
      case '%local':
        this.stackVariables(name === '%arg', args, origin, col);
        break;
      case '%clear':
        // every macro defined so far, single- and multi-line (the package flags too, as in nasm)
        this.smacros.clear();
        this.ismacros.clear();
        this.mmacros.clear();
        this.immacros.clear();
        this.aliases.clear();
        break;
      case '%defalias':
      case '%idefalias': {
        const [alias, target] = args;
        if (!alias || !target || alias.kind !== 'id' || target.kind !== 'id')
          throw new LineError(`\`${name}' expects an alias name and a macro name`, col);
        this.aliases.set(alias.text, target.text);
        break;
      }
      case '%undefalias':
      case '%iundefalias':
        if (args[0]) this.aliases.delete(args[0].text);
        break;
      case '%aliases':
        break;
      case '%depend': {
        const file = this.fileNameArgument(args, origin, col, name);
        if (!this.dependencies.includes(file)) this.dependencies.push(file);
        break;
      }
      case '%pathsearch': {
        const [id, ...rest] = args;
        if (!id) throw new LineError("`%pathsearch' expects a macro name and a file name", col);
        const file = this.fileNameArgument(rest, origin, col, name);
        const found = resolveInclude(file, this.options.includePaths, this.options.readFile);
        this.setSingle(this.contextName(id), false, {
          params: undefined,
          body: [strToken(found ? found.path : file, col)],
        });
        break;
      }
      default:
        throw new LineError(`unknown preprocessor directive \`${tokens[0]!.text}'`, col);
    }
    this.emitListOnly(origin, depth);
  }

  /**
   * nasm's expand_id: a name written as several tokens with nothing between them (`%$prefix%2` after the
   * parameter became `pd`, `name%[n]`) is expanded as one run of single-line macros and read as one name;
   * so is a name written as one `%[...]` (`%strlen %[%1 %+ _LEN_] %2`).
   */
  private joinMacroName(args: Token[], origin: LineOrigin): Token[] {
    const first = args[0];
    let end = 1;
    while (end < args.length && !args[end]!.spaceBefore && NAME_PART_KINDS.has(args[end]!.kind)) end++;
    if (!first || !NAME_PART_KINDS.has(first.kind)) return args;
    if (end === 1 && !(first.kind === 'pp' && first.text.startsWith('%['))) return args;
    const run = args.slice(0, end);
    // a plain identifier stays as written; context-local and %[...] parts are expanded
    const expanded =
      first.kind === 'id'
        ? [first, ...this.expandSmacros(run.slice(1), origin, new Set())]
        : this.expandSmacros(run, origin, new Set());
    const text = expanded.map((t) => t.text).join('');
    // a name that expanded to a number is no name: the directive refuses it, as nasm's
    const kind = text.startsWith('%') ? 'pp' : /^[0-9]/.test(text) ? 'num' : 'id';
    return [{ ...first, kind, text }, ...args.slice(end)];
  }

  private setSingle(name: string, caseInsensitive: boolean, macro: SingleMacro): void {
    const table = caseInsensitive ? this.ismacros : this.smacros;
    const key = caseInsensitive ? name.toLowerCase() : name;
    const count = macro.params?.length;
    const list = (table.get(key) ?? []).filter((m) => m.params?.length !== count);
    list.push(macro);
    table.set(key, list);
  }

  /** `%stacksize flat|flat64|large|small`: the frame register and where `%arg`/`%local` offsets start. */
  private setStackSize(args: Token[], col: number): void {
    const model = args[0]?.kind === 'id' ? args[0].text.toLowerCase() : '';
    const frame = STACK_MODELS[model];
    if (!frame || args.length !== 1)
      throw new LineError("`%stacksize' expects flat, flat64, large or small", args[0]?.col ?? col);
    this.stack = { ...frame, localOffset: 0 };
  }

  /**
   * `%arg name:type, ...` defines each name as `(ebp+offset)` counting up from the arguments' start, `%local`
   * as `(ebp-offset)` counting down, each slot rounded up to the stack width; like nasm's, both continue from
   * where the previous `%arg`/`%local` stopped, and `%local` adds to the context's `%$localsize`.
   */
  private stackVariables(isArg: boolean, args: Token[], origin: LineOrigin, col: number): void {
    const stack = this.stack;
    const directive = isArg ? '%arg' : '%local';
    let i = 0;
    if (args.length === 0) throw new LineError(`\`${directive}' expects name:type pairs`, col);
    while (i < args.length) {
      const id = args[i];
      const colon = args[i + 1];
      const type = args[i + 2];
      if (!id || id.kind !== 'id' || !colon || colon.text !== ':' || !type || type.kind !== 'id')
        throw new LineError(`\`${directive}' expects name:type pairs`, id?.col ?? col);
      const typeSize = STACK_TYPE_SIZES[type.text.toLowerCase()];
      if (typeSize === undefined) throw new LineError(`invalid size type for \`${directive}'`, type.col);
      const size = Math.ceil(typeSize / stack.width) * stack.width;
      let text: string;
      if (isArg) {
        text = `(${stack.register}+${stack.argOffset})`;
        stack.argOffset += size;
      } else {
        stack.localOffset += size;
        text = `(${stack.register}-${stack.localOffset})`;
        const localSize = this.contextName({
          kind: 'pp',
          text: '%$localsize',
          col: id.col,
          spaceBefore: false,
        });
        const before = this.lookupSingle(localSize, undefined)?.body;
        const value = before ? this.evaluateNumber(before, origin, id.col) : 0n;
        this.setSingle(localSize, false, {
          params: undefined,
          body: [numToken(value + BigInt(size), id.col)],
        });
      }
      this.setSingle(id.text, false, { params: undefined, body: lexLine(text).tokens });
      i += 3;
      if (i < args.length) {
        if (args[i]!.text !== ',') throw new LineError(`comma expected in \`${directive}'`, args[i]!.col);
        i++;
      }
    }
  }

  private defineSingle(name: string, args: Token[], origin: LineOrigin, col: number): void {
    const id = args[0];
    if (!id || (id.kind !== 'id' && id.kind !== 'pp'))
      throw new LineError(`\`${name}' expects a macro name`, col);
    let i = 1;
    let params: string[] | undefined;
    const modes: string[] = [];
    let greedy = false;
    const open = args[1];
    if (open && open.kind === 'op' && open.text === '(' && !open.spaceBefore) {
      params = [];
      i = 2;
      let mode = '';
      for (;;) {
        const t = args[i];
        if (!t) throw new LineError(`unterminated parameter list in \`${name}'`, open.col);
        i++;
        if (t.kind === 'op' && t.text === ')') break;
        if (t.kind === 'op' && t.text === ',') continue;
        if (t.kind === 'id' || t.kind === 'pp') {
          params.push(t.text);
          modes.push(mode);
          mode = '';
        } else if (t.kind === 'op' && t.text === '+' && params.length > 0) greedy = true;
        else if (t.kind === 'op' && ['=', '!', '&', '&&'].includes(t.text))
          mode = t.text === '&&' ? '&' : t.text;
        else throw new LineError(`bad macro parameter \`${t.text}'`, t.col);
      }
    }
    let body = joinPercentCommas(args.slice(i));
    if (name === '%xdefine' || name === '%ixdefine') {
      // the parameters are placeholders, not macros to expand now
      const protect = new Set(params ?? []);
      const hidden = body.map((b) =>
        protect.has(b.text) && b.kind === 'id'
          ? { ...b, escaped: true, kind: 'id' as const, param: true }
          : b,
      );
      body = this.expandSmacros(hidden, origin, new Set()).map((b) =>
        (b as Token & { param?: boolean }).param ? { ...b, escaped: false } : b,
      );
    }
    if (body.length > 0) body = [{ ...body[0]!, spaceBefore: false }, ...body.slice(1)];
    const macro: SingleMacro = { params, body };
    if (greedy) macro.greedy = true;
    if (modes.some((m) => m !== '')) macro.modes = modes;
    this.setSingle(this.contextName(id), name === '%idefine' || name === '%ixdefine', macro);
  }

  private startMacro(
    caseInsensitive: boolean,
    rawArgs: Token[],
    origin: LineOrigin,
    col: number,
    depth: number,
  ): void {
    // `%macro m 1-2.nolist`: the lexer reads `2.nolist` as one (float-looking) token
    const args = rawArgs.flatMap((t): Token[] => {
      const m = t.kind === 'float' ? /^([0-9]+)(\.nolist)$/i.exec(t.text) : null;
      if (!m) return [t];
      return [
        { kind: 'num', text: m[1]!, value: BigInt(m[1]!), col: t.col, spaceBefore: t.spaceBefore },
        { kind: 'id', text: m[2]!, col: t.col + m[1]!.length, spaceBefore: false },
      ];
    });
    const id = args[0];
    if (!id || id.kind !== 'id') throw new LineError("`%macro' expects a macro name", col);
    let i = 1;
    let min = 0;
    let max = 0;
    let greedy = false;
    let nolist = false;
    const count = args[i];
    // `3.nolist` lexes as one float-like token
    const countNolist = count?.kind === 'float' ? /^(\d+)\.nolist$/i.exec(count.text) : null;
    if (!count || (count.kind !== 'num' && !countNolist))
      throw new LineError("`%macro' expects a parameter count", count?.col ?? id.col + id.text.length);
    min = max = countNolist ? Number(countNolist[1]) : Number(count.value!);
    checkParameterCount(count, min);
    if (countNolist) nolist = true;
    i++;
    if (args[i]?.kind === 'op' && args[i]!.text === '-') {
      const upper = args[i + 1];
      if (upper?.kind === 'num') max = Number(upper.value!);
      else if (upper?.kind === 'op' && upper.text === '*') max = Infinity;
      else throw new LineError("`%macro': bad parameter range", upper?.col ?? col);
      i += 2;
    }
    if (args[i]?.kind === 'op' && args[i]!.text === '+') {
      greedy = true;
      i++;
    }
    if (args[i]?.kind === 'id' && args[i]!.text.toLowerCase() === '.nolist') {
      nolist = true;
      i++;
    }
    const defaults = splitArgs(args.slice(i));
    const macro: MultiMacro = { name: id.text, min, max, greedy, nolist, defaults, body: [] };
    // nasm warns when a macro of the same name (as written) takes an overlapping parameter count
    const clash = [
      ...(this.mmacros.get(id.text) ?? []),
      ...(this.immacros.get(id.text.toLowerCase()) ?? []),
    ].some((m) => m.name === id.text && (m.min <= max || greedy) && (min <= m.max || m.greedy));
    if (clash)
      this.sink.warning(origin, id.col, `redefining multi-line macro \`${id.text}'`, 'pp-macro-redef-multi');
    this.definition = {
      kind: 'macro',
      depth: 0,
      origin,
      body: [],
      macro,
      caseInsensitive,
      frames: this.frames.length,
    };
    this.emitListOnly(origin, depth);
  }

  /**
   * `%line N[+M] [file]`: later lines of this file report as N+M, N+2M ... (as in nasm 2.16, the line after
   * the directive is N+M), in `file` when given.
   */
  private lineDirective(args: Token[], origin: LineOrigin, col: number): void {
    const n = args[0];
    if (!n || n.kind !== 'num') throw new LineError("`%line' expects a line number", col);
    let i = 1;
    let step = 1n;
    if (args[1]?.text === '+' && args[2]?.kind === 'num') {
      step = args[2].value!;
      i = 3;
    }
    const rest = args.slice(i);
    let file = origin.file;
    if (rest.length === 1 && rest[0]!.kind === 'str') file = decoder.decode(rest[0]!.bytes);
    else if (rest.length > 0) file = rest.map((t) => t.text).join('');
    const frame = this.frames[lastIndexOf(this.frames, 'file')] as FileFrame | undefined;
    if (frame) frame.lineMap = { at: this.physicalLine, base: Number(n.value!), step: Number(step), file };
  }

  /** `%use name` / `%use 'name'`: loads a standard package (packages.ts) once. */
  private usePackage(args: Token[], origin: LineOrigin, col: number): void {
    const t = args[0];
    const name = t?.kind === 'str' ? decoder.decode(t.bytes) : t?.kind === 'id' ? t.text : undefined;
    if (name === undefined || args.length > 1) throw new LineError("`%use' expects a package name", col);
    const source = packageSource(name);
    if (source === undefined) throw new LineError(`unknown \`%use' package: \`${name}'`, t!.col);
    this.emitListOnly(origin, 0);
    const flag = `__?USE_${name.toUpperCase()}?__`;
    if (this.smacros.has(flag)) return;
    this.smacros.set(flag, [{ params: undefined, body: [] }]);
    this.frames.push({
      kind: 'file',
      file: `${name.toLowerCase()}.mac`,
      lines: splitLines(source),
      index: 0,
      package: true,
      chain: {
        step: { kind: 'include', location: { file: origin.file, line: origin.line, column: col + 1 } },
        parent: origin.chain,
      },
      condDepth: this.conditionals.length,
    });
  }

  /** A file name written `"name"` or `<name>` (after macro expansion). */
  private fileNameArgument(args: Token[], origin: LineOrigin, col: number, directive: string): string {
    const expanded = this.expandSmacros(args, origin, new Set());
    const t = expanded[0];
    if (t && t.kind === 'str') return decoder.decode(t.bytes);
    if (t && t.kind === 'op' && t.text === '<')
      return expanded
        .slice(1, -1)
        .map((x) => x.text)
        .join('');
    throw new LineError(`\`${directive}' expects a file name in quotes`, col);
  }

  private include(args: Token[], origin: LineOrigin, col: number): void {
    const expanded = this.expandSmacros(args, origin, new Set());
    const t = expanded[0];
    let path: string;
    if (t && t.kind === 'str') path = decoder.decode(t.bytes);
    else if (t && t.kind === 'op' && t.text === '<')
      path = expanded
        .slice(1, -1)
        .map((x) => x.text)
        .join('');
    else throw new LineError("`%include' expects a file name in quotes", col);
    const found = resolveInclude(path, this.options.includePaths, this.options.readFile);
    if (!found) throw new LineError(`unable to open include file \`${path}'`, t.col);
    if (this.frames.filter((f) => f.kind === 'file').length > 64)
      throw new LineError('%include nested too deeply (recursive include?)', col);
    if (!this.dependencies.includes(found.path)) this.dependencies.push(found.path);
    this.emitListOnly(origin, 0);
    const chain: ChainLink = {
      step: { kind: 'include', location: { file: origin.file, line: origin.line, column: col + 1 } },
      parent: origin.chain,
    };
    this.frames.push({
      kind: 'file',
      file: found.path,
      lines: splitLines(decoder.decode(found.data)),
      index: 0,
      chain,
      condDepth: this.conditionals.length,
      included: true,
    });
  }

  // ---------------------------------------------------------------- multi-line macros

  private findMultiMacro(name: string, count: number): MultiMacro | 'wrong-count' | undefined {
    const list = this.mmacros.get(name) ?? this.immacros.get(name.toLowerCase());
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (count >= m.min && (count <= m.max || m.greedy)) return m;
    }
    // nasm: a macro taking 0 parameters called with some, or the reverse, is a mismatch
    return 'wrong-count';
  }

  private tryInvokeMacro(tokens: Token[], origin: LineOrigin, depth: number): boolean {
    // most lines of most programs: no multi-line macro defined, nothing to look up
    if (this.mmacros.size === 0 && this.immacros.size === 0) return false;
    let first = tokens[0]!;
    let start = 0;
    if (
      first.kind === 'id' &&
      !this.mmacros.has(first.text) &&
      !this.immacros.has(first.text.toLowerCase())
    ) {
      // `label: macro args` or `label macro args`
      const second = tokens[1];
      let at = 1;
      if (second && second.kind === 'op' && second.text === ':') at = 2;
      const name = tokens[at];
      if (
        !name ||
        name.kind !== 'id' ||
        (!this.mmacros.has(name.text) && !this.immacros.has(name.text.toLowerCase()))
      )
        return false;
      start = at;
      first = name;
    } else if (first.kind !== 'id') return false;
    if (!this.mmacros.has(first.text) && !this.immacros.has(first.text.toLowerCase())) return false;
    const argTokens = tokens.slice(start + 1);
    let params = splitArgs(argTokens, (message, col) => this.sink.error(origin, col, message));
    const found = this.findMultiMacro(first.text, params.length);
    if (found === undefined) return false;
    // nasm does not expand a macro inside its own expansion: the line is the instruction of that name
    // (x86inc's `movdqa` macro ends in a `movdqa` instruction)
    if (found !== 'wrong-count' && this.frames.some((f) => f.kind === 'macro' && f.macro === found))
      return false;
    if (found !== 'wrong-count' && params.length > 1 && params[params.length - 1]!.length === 0) {
      // nasm: `m a,` calls the macro that takes two parameters, with one (%0 = 1)
      this.sink.warning(
        origin,
        first.col,
        `dropping trailing empty parameter in call to multi-line macro \`${first.text}'`,
        'pp-macro-params-legacy',
      );
      params = params.slice(0, -1);
    }
    if (found === 'wrong-count') {
      this.sink.warning(
        origin,
        first.col,
        `multi-line macro \`${first.text}' exists, but not taking ${params.length} parameter${params.length === 1 ? '' : 's'}`,
        'pp-macro-params-multi',
      );
      return false;
    }
    if (found.greedy && params.length > found.max && found.max > 0) {
      // everything from the last parameter on is one parameter, commas included
      const commas = topLevelCommas(argTokens);
      const from = found.max >= 2 ? commas[found.max - 2]! + 1 : 0;
      params = [...params.slice(0, found.max - 1), argTokens.slice(from)];
    }
    found.usesLabel ??= found.body.some((l) => l.tokens.some((t) => t.kind === 'pp' && t.text === '%00'));
    // nasm: a macro that uses `%00` places the invocation's label itself; otherwise the label is a line of its own
    let label: Token[] = [];
    let labelLine: Token[] | undefined;
    if (start > 0 && found.usesLabel) label = [{ ...tokens[0]!, spaceBefore: false }];
    else if (start > 0) {
      // `label macro` without a colon is not the orphan-label case nasm warns about
      const colon: Token = {
        kind: 'op',
        text: ':',
        col: tokens[0]!.col + tokens[0]!.text.length,
        spaceBefore: false,
      };
      labelLine = start === 2 ? tokens.slice(0, 2) : [tokens[0]!, colon];
    }
    // nasm lists the invocation, then the label as the first line of the expansion
    this.emitListOnly(origin, depth);
    if (labelLine) this.emit(labelLine, origin, depth + 1, false, this.labelListText(tokens, start));
    if (depth >= this.limits.macroLevels) {
      this.sink.error(origin, first.col, `macro \`${first.text}' nested too deeply (recursive macro?)`);
      this.fatal = true;
      return true;
    }
    if (++this.macroCalls > this.limits.mmacros) {
      this.sink.error(origin, first.col, `more than ${this.limits.mmacros} macro calls (recursive macro?)`);
      this.fatal = true;
      return true;
    }
    const all = params.slice();
    // defaults fill the optional parameters the call left out, up to the maximum; a greedy last parameter's
    // default is all the remaining defaults (`%macro g 1-2+ 7, 8` called `g 1` has %2 = `7, 8`)
    const filled = Math.min(found.max, found.min + found.defaults.length);
    for (let i = params.length; i < filled; i++) {
      if (found.greedy && i === found.max - 1) {
        all.push(joinArgs(found.defaults.slice(i - found.min), first.col));
        break;
      }
      const d = found.defaults[i - found.min];
      if (d) all.push(d);
    }
    const unique = this.unique++;
    const chain: ChainLink = {
      step: {
        kind: 'macro',
        name: first.text,
        location: { file: origin.file, line: origin.line, column: first.col + 1 },
      },
      parent: origin.chain,
    };
    // nasm's %0 counts the parameters filled in from defaults too
    this.frames.push({
      kind: 'macro',
      macro: found,
      invokedName: first.text,
      index: 0,
      params: all,
      actual: all.length,
      rotate: 0,
      unique,
      chain,
      depth: depth + 1,
      condDepth: this.conditionals.length,
      label,
      debugAt: origin.debugAt ?? (found.nolist ? { file: origin.file, line: origin.line } : undefined),
    });
    return true;
  }

  private substituteParams(tokens: Token[], frame: MacroFrame): Token[] {
    const out: Token[] = [];
    const actual = frame.actual;
    let pasteNext = false;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'pp') {
        if (pasteNext && !t.spaceBefore) this.paste(out, t);
        else out.push(t);
        pasteNext = false;
        continue;
      }
      const text = t.text;
      // `%[...]` holding this macro's parameters: they are substituted before the indirection is expanded
      if (text.startsWith('%[') && text.endsWith(']') && text.indexOf('%', 2) > 0) {
        const inner = this.substituteParams(lexLine(text.slice(2, -1)).tokens, frame);
        out.push({
          ...t,
          text: `%[${inner.map((x, k) => (k > 0 && x.spaceBefore ? ' ' : '') + x.text).join('')}]`,
        });
        pasteNext = false;
        continue;
      }
      let replacement: Token[] | undefined;
      if (text === '%00') {
        replacement = frame.label;
      } else if (/^%[0-9]+$/.test(text) || /^%\{-?[0-9]+\}$/.test(text)) {
        let n = Number(text.replace(/[%{}]/g, ''));
        if (n === 0) replacement = [numToken(BigInt(actual), t.col)];
        else {
          if (n < 0) n = frame.params.length + n + 1;
          const count = frame.params.length;
          const index = count > 0 ? (n - 1 + frame.rotate) % count : n - 1;
          replacement = n - 1 < count ? (frame.params[index] ?? []) : [];
        }
      } else if (/^%\{-?[0-9]+:-?[0-9]+\}$/.test(text)) {
        // `%{a:b}`: parameters a to b (negative counts from the last; a > b goes backwards), comma-separated
        const count = frame.params.length;
        const [a, b] = text
          .slice(2, -1)
          .split(':')
          .map((x) => {
            const n = Number(x);
            return n < 0 ? count + n + 1 : n;
          }) as [number, number];
        if (a < 1 || b < 1 || a > count || b > count)
          throw new LineError(`\`${text}': macro parameters out of range`, t.col);
        replacement = [];
        const stepBy = a <= b ? 1 : -1;
        for (let n = a; ; n += stepBy) {
          if (replacement.length > 0)
            replacement.push({ kind: 'op', text: ',', col: t.col, spaceBefore: false });
          replacement.push(...(frame.params[(n - 1 + frame.rotate) % count] ?? []));
          if (n === b) break;
        }
      } else if (text.startsWith('%%')) {
        replacement = [
          { kind: 'id', text: `..@${frame.unique}.${text.slice(2)}`, col: t.col, spaceBefore: t.spaceBefore },
        ];
      } else if (text === '%?') {
        replacement = [{ kind: 'id', text: frame.invokedName, col: t.col, spaceBefore: t.spaceBefore }];
      } else if (text === '%??') {
        replacement = [{ kind: 'id', text: frame.macro.name, col: t.col, spaceBefore: t.spaceBefore }];
      } else if (/^%[+-][0-9]+$/.test(text)) {
        // `%+1` the condition code parameter, `%-1` its inverse (`z` -> `nz`, `pe` -> `po`)
        const n = Number(text.slice(2));
        const param = frame.params[(n - 1 + frame.rotate) % Math.max(1, frame.params.length)] ?? [];
        replacement = param;
        if (text[1] === '-') {
          const cc = param.length === 1 && param[0]!.kind === 'id' ? param[0]!.text : '';
          const inverse = invertCondition(cc);
          if (inverse === undefined) throw new LineError(`condition code \`${cc}' is not invertible`, t.col);
          replacement = [{ ...param[0]!, text: inverse }];
        }
      }
      if (replacement === undefined) {
        out.push(t);
        pasteNext = false;
        continue;
      }
      const placed = replacement.map((r, k) => ({
        ...r,
        col: t.col,
        spaceBefore: k === 0 ? t.spaceBefore : r.spaceBefore,
      }));
      // nasm pastes a parameter onto a name or number before it, not onto a `%$` name: that one is expanded
      // first and joined afterwards (`%$prefix%2` is the macro `%$prefix` stands for, then the parameter)
      if (
        placed.length > 0 &&
        !t.spaceBefore &&
        out.length > 0 &&
        isPasteable(out[out.length - 1]!) &&
        !out[out.length - 1]!.text.startsWith('%$') &&
        isPasteable(placed[0]!)
      ) {
        this.paste(out, placed[0]!);
        out.push(...placed.slice(1));
      } else out.push(...placed);
      pasteNext = placed.length > 0 && isPasteable(placed[placed.length - 1]!);
    }
    return out;
  }

  /** Joins `t` onto the last token of `out` (nasm concatenates a parameter with adjacent text). */
  private paste(out: Token[], t: Token): void {
    const prev = out[out.length - 1];
    if (!prev || !isPasteable(prev) || !isPasteable(t)) {
      out.push(t);
      return;
    }
    // the joined text is lexed again: `xyzzy` + `1e+10` is `xyzzy1e`, `+`, `10` (as in nasm)
    const relexed = lexLine(prev.text + t.text).tokens;
    out.splice(
      out.length - 1,
      1,
      ...relexed.map((r, k) => ({
        ...r,
        col: prev.col,
        spaceBefore: k === 0 ? prev.spaceBefore : r.spaceBefore,
      })),
    );
  }

  // ---------------------------------------------------------------- single-line macros

  private lookupSingle(name: string, argCount: number | undefined): SingleMacro | undefined {
    if (this.aliases.size > 0) name = this.aliases.get(name) ?? name;
    const list = this.smacros.get(name) ?? this.ismacros.get(name.toLowerCase());
    if (!list) return undefined;
    for (const m of list) {
      if ((m.params?.length ?? undefined) === argCount) return m;
    }
    if (argCount !== undefined)
      for (const m of list) if (m.greedy && m.params && argCount >= m.params.length - 1) return m;
    return undefined;
  }

  private hasSingle(name: string): boolean {
    if (this.aliases.size > 0) name = this.aliases.get(name) ?? name;
    return this.smacros.has(name) || (this.ismacros.size > 0 && this.ismacros.has(name.toLowerCase()));
  }

  private builtin(name: string, origin: LineOrigin, col: number): Token[] | undefined {
    if (name.length < 6 || name.charCodeAt(0) !== 95 || name.charCodeAt(1) !== 95) return undefined;
    const bare = name.replace(/\?/g, '');
    switch (bare) {
      case '__FILE__':
        return [strToken(macroCall(origin.chain)?.location.file ?? origin.file, col)];
      case '__LINE__': {
        const call = macroCall(origin.chain);
        return [numToken(BigInt(call ? call.location.line : origin.line), col)];
      }
      case '__BITS__':
        return [numToken(BigInt(this.bits), col)];
      case '__SECT__':
        return lexLine(this.currentSection).tokens.map((t) => ({ ...t, col }));
      case '__OUTPUT_FORMAT__':
        return [{ kind: 'id', text: this.options.format, col, spaceBefore: true }];
      case '__NASM_MAJOR__':
        return [numToken(2n, col)];
      case '__NASM_MINOR__':
        return [numToken(16n, col)];
      case '__NASM_SUBMINOR__':
        return [numToken(1n, col)];
      case '__NASM_PATCHLEVEL__':
        return [numToken(0n, col)];
      case '__NASM_VERSION_ID__':
        return [{ ...numToken(0x02100100n, col), text: '002100100h' }];
      case '__NASM_VER__':
        return [{ ...strToken('2.16.01', col), text: '"2.16.01"' }];
      case '__PASS__':
        // nasm: 3 when only preprocessing, 2 for the pass whose output is kept
        return [numToken(this.options.blankLines ? 3n : 2n, col)];
      case '__DATE__':
      case '__TIME__':
      case '__DATE_NUM__':
      case '__TIME_NUM__':
      case '__UTC_DATE__':
      case '__UTC_TIME__':
      case '__UTC_DATE_NUM__':
      case '__UTC_TIME_NUM__':
      case '__POSIX_TIME__':
        return [dateToken(bare, this.options.now ?? new Date(0), col)];
      case '__DEFAULT__':
        return undefined;
    }
    return undefined;
  }

  expandSmacros(tokens: Token[], origin: LineOrigin, active: Set<SingleMacro>): Token[] {
    let needed = false;
    for (const t of tokens) {
      if (
        (t.kind === 'id' &&
          !t.escaped &&
          (this.hasSingle(t.text) || (t.text.charCodeAt(0) === 95 && t.text.startsWith('__')))) ||
        (t.kind === 'pp' &&
          (t.text === '%+' ||
            t.text.startsWith('%$') ||
            t.text.startsWith('%{$') ||
            t.text.startsWith('%[') ||
            t.text.startsWith('%!') ||
            isFunctionName(t.text)))
      ) {
        needed = true;
        break;
      }
    }
    if (!needed) return tokens;
    const out: Token[] = [];
    // after a context-local macro's text: the next token joins it when nothing separates them
    let glueNext = false;
    let glued = false;
    for (let i = 0; i < tokens.length; i++) {
      let t = tokens[i]!;
      if (glueNext && !t.spaceBefore && out.length > 0 && isPasteable(t) && t.kind !== 'pp') {
        glueNext = false;
        glued = true;
        this.paste(out, t);
        continue;
      }
      glueNext = false;
      // an undefined `%$name` joins the name or number written against it (`%$d` `1` from `%$d%1`) and is
      // looked up again as that name, as nasm pastes before expanding again
      while (
        t.kind === 'pp' &&
        t.text.startsWith('%$') &&
        this.contexts.length > 0 &&
        i + 1 < tokens.length &&
        !tokens[i + 1]!.spaceBefore &&
        (tokens[i + 1]!.kind === 'id' || tokens[i + 1]!.kind === 'num') &&
        !this.hasSingle(this.contextName(t))
      )
        t = { ...t, text: t.text + tokens[++i]!.text };
      // `%$name` (or `%{$name}`) defined with `%define %$name` / `%assign %$name` is a macro of the current
      // context; its text joins the tokens written against it (`%%top_%$name`, `%{$name}%1`)
      if (
        t.kind === 'pp' &&
        (t.text.startsWith('%$') || t.text.startsWith('%{$')) &&
        this.contexts.length > 0
      ) {
        const local = t.text.startsWith('%{') ? { ...t, text: '%' + t.text.slice(2, -1) } : t;
        const name = this.contextName(local);
        const macro = this.hasSingle(name) ? this.lookupSingle(name, undefined) : undefined;
        if (macro && !active.has(macro)) {
          active.add(macro);
          const expanded = this.expandSmacros(macro.body, origin, active);
          active.delete(macro);
          const placed = expanded.map((b, k) => ({
            ...b,
            col: t.col,
            spaceBefore: k === 0 ? t.spaceBefore : b.spaceBefore,
          }));
          const prev = out[out.length - 1];
          if (placed.length > 0 && !t.spaceBefore && prev && isPasteable(prev) && isPasteable(placed[0]!)) {
            glued = true;
            this.paste(out, placed[0]!);
            out.push(...placed.slice(1));
          } else out.push(...placed);
          glueNext = placed.length > 0;
          continue;
        }
        if (this.hasSingle(name)) t = { ...t, kind: 'id', text: name };
      }
      if (t.kind === 'pp' && t.text.startsWith('%[')) {
        const inner = this.expandSmacros(lexLine(t.text.slice(2, -1)).tokens, origin, active);
        const text = inner.map((x, k) => (k > 0 && x.spaceBefore ? ' ' : '') + x.text).join('');
        const relexed = lexLine(text).tokens.map((x, k) => ({
          ...x,
          col: t.col,
          spaceBefore: k === 0 ? t.spaceBefore : x.spaceBefore,
        }));
        // `foo%[n]bar`: the expansion joins the tokens written against it
        const prev = out[out.length - 1];
        if (relexed.length > 0 && !t.spaceBefore && prev && isPasteable(prev) && isPasteable(relexed[0]!)) {
          glued = true;
          this.paste(out, relexed[0]!);
          out.push(...relexed.slice(1));
        } else out.push(...relexed);
        glueNext = relexed.length > 0;
        continue;
      }
      if (t.kind === 'pp' && t.text.startsWith('%!') && t.text.length > 2) {
        // `%!NAME`: the environment variable's value, as source text
        const value = this.options.environment?.[t.text.slice(2)];
        if (value === undefined)
          this.sink.warning(
            origin,
            t.col,
            `nonexistent environment variable \`${t.text.slice(2)}'`,
            'pp-environment',
          );
        else
          out.push(
            ...lexLine(value).tokens.map((x, k) => ({
              ...x,
              col: t.col,
              spaceBefore: k === 0 ? t.spaceBefore : x.spaceBefore,
            })),
          );
        continue;
      }
      if (t.kind === 'pp' && isFunctionName(t.text) && tokens[i + 1]?.text === '(') {
        const parsed = parseCallArgs(tokens, i + 1);
        if (parsed) {
          const result = this.callFunction(t, parsed.args, origin, active);
          out.push(
            ...result.map((r, k) => ({
              ...r,
              col: t.col,
              spaceBefore: k === 0 ? t.spaceBefore : r.spaceBefore,
            })),
          );
          i = parsed.end;
          continue;
        }
      }
      if (t.kind !== 'id' || t.escaped) {
        out.push(t);
        continue;
      }
      const builtin = this.builtin(t.text, origin, t.col);
      if (builtin && !this.hasSingle(t.text)) {
        out.push(...builtin.map((b, k) => ({ ...b, spaceBefore: k === 0 ? t.spaceBefore : b.spaceBefore })));
        continue;
      }
      if (!this.hasSingle(t.text)) {
        out.push(t);
        continue;
      }
      const next = tokens[i + 1];
      let macro: SingleMacro | undefined;
      let args: Token[][] | undefined;
      let end = i;
      if (next && next.kind === 'op' && next.text === '(') {
        const parsed = parseCallArgs(tokens, i + 1);
        if (parsed) {
          macro = this.lookupSingle(t.text, parsed.args.length);
          if (macro) {
            args = this.singleMacroArgs(macro, parsed.args, origin, active);
            end = parsed.end;
          }
        }
      }
      macro ??= this.lookupSingle(t.text, undefined);
      if (!macro || active.has(macro)) {
        out.push(t);
        continue;
      }
      i = end;
      // `%?` / `%??` in a single-line macro's arguments or body: the macro's name
      if (args) args = args.map((a) => nameMacroSelf(a, t));
      let body = nameMacroSelf(macro.body, t).map((b, k) => ({
        ...b,
        col: t.col,
        spaceBefore: k === 0 ? t.spaceBefore : b.spaceBefore,
      }));
      if (macro.params && args) {
        const params = macro.params;
        const substituted: Token[] = [];
        // the blank before a `%,` that disappears stays (`[a %, b]` with b empty is `[a ]`)
        let blank = false;
        for (let k = 0; k < body.length; k++) {
          const b = body[k]!;
          const at = b.kind === 'id' || b.kind === 'pp' ? params.indexOf(b.text) : -1;
          // `%,` before a parameter given as nothing disappears (`x a %, b y` with b empty is `x a y`)
          if (b.kind === 'pp' && b.text === '%,') {
            const next = body[k + 1];
            const param = next && (next.kind === 'id' || next.kind === 'pp') ? params.indexOf(next.text) : -1;
            if (param >= 0 && (args[param] ?? []).length === 0) {
              blank ||= b.spaceBefore;
              continue;
            }
          }
          const tokens =
            at >= 0
              ? (args[at] ?? []).map((a, j) => ({
                  ...a,
                  col: t.col,
                  spaceBefore: j === 0 ? b.spaceBefore : a.spaceBefore,
                }))
              : [b];
          if (blank && tokens.length > 0) {
            tokens[0] = { ...tokens[0]!, spaceBefore: true };
            blank = false;
          }
          substituted.push(...tokens);
        }
        body = dropEmptyPercentCommas(substituted);
      }
      if (active.size > 200) throw new LineError(`macro \`${t.text}' nested too deeply`, t.col);
      active.add(macro);
      const expanded = this.expandSmacros(body, origin, active);
      active.delete(macro);
      out.push(...expanded);
    }
    const pasted = pasteTokens(out);
    // a pasted name may itself be a macro (`_x_ %+ _size` -> `oword_size`, `%$_ur` `0` -> `%$_ur0`)
    if ((pasted !== out || glued) && this.rescans < 32) {
      this.rescans++;
      try {
        return this.expandSmacros(pasted, origin, active);
      } finally {
        this.rescans--;
      }
    }
    return pasted;
  }

  /** The arguments of a single-line macro call as its parameters take them (greedy, `=`, `&`, `!`). */
  private singleMacroArgs(
    macro: SingleMacro,
    raw: Token[][],
    origin: LineOrigin,
    active: Set<SingleMacro>,
  ): Token[][] {
    const count = macro.params!.length;
    let args = raw;
    if (macro.greedy && args.length > count) {
      const rest = args
        .slice(count - 1)
        .flatMap((a, k) =>
          k === 0 ? a : [{ kind: 'op', text: ',', col: a[0]?.col ?? 0, spaceBefore: false } as Token, ...a],
        );
      args = [...args.slice(0, count - 1), rest];
    }
    return args.map((a, k) => {
      const mode = macro.modes?.[k] ?? '';
      if (mode === '!') return a;
      const expanded = this.expandSmacros(a, origin, active);
      if (mode === '=')
        return signedNumber(
          BigInt.asIntN(64, this.evaluateNumber(expanded, origin, a[0]?.col ?? 0)),
          a[0]?.col ?? 0,
        );
      if (mode === '&') return [strToken(tokensToText(expanded), a[0]?.col ?? 0)];
      return expanded;
    });
  }

  /**
   * nasm 2.16's preprocessor functions: `%abs`, `%cond`, `%count`, `%eval`, `%num`, `%sel`, `%str`,
   * `%strcat`, `%strlen`, `%substr`, `%tok` and `%is<condition>` (any `%if` test as a 0/1 value).
   */
  private callFunction(t: Token, rawArgs: Token[][], origin: LineOrigin, active: Set<SingleMacro>): Token[] {
    const name = t.text.toLowerCase();
    const col = t.col;
    const args = rawArgs.map(stripBraces);
    const expand = (a: Token[]): Token[] => this.expandSmacros(a, origin, active);
    const num = (a: Token[] | undefined, what: string): bigint => {
      if (!a || a.length === 0) throw new LineError(`\`${t.text}': ${what} expected`, col);
      return this.evaluateNumber(a, origin, col);
    };
    const str = (a: Token[] | undefined): Uint8Array => {
      const e = expand(a ?? []);
      if (e.length === 1 && e[0]!.kind === 'str') return e[0]!.bytes!;
      return new TextEncoder().encode(tokensToText(e));
    };
    const makeStr = (bytes: Uint8Array): Token => ({
      kind: 'str',
      text: quoteString(bytes),
      bytes,
      col,
      spaceBefore: true,
    });
    if (name.startsWith('%is')) {
      const head: Token = { kind: 'pp', text: `%if${name.slice(3)}`, col, spaceBefore: false };
      const flat = rawArgs.flatMap((a, k) =>
        k === 0 ? a : [{ kind: 'op', text: ',', col, spaceBefore: false } as Token, ...a],
      );
      return [numToken(this.condition(name.slice(3), [head, ...flat], origin) ? 1n : 0n, col)];
    }
    switch (name) {
      case '%abs': {
        const v = BigInt.asIntN(64, num(args[0], 'expression'));
        return signedNumber(v < 0n ? -v : v, col);
      }
      case '%eval':
        return args.flatMap((a, k) => {
          const v = signedNumber(BigInt.asIntN(64, num(a, 'expression')), col);
          return k === 0 ? v : [{ kind: 'op', text: ',', col, spaceBefore: false } as Token, ...v];
        });
      case '%count':
        return [numToken(BigInt(Math.max(1, args.length)), col)];
      case '%cond': {
        const chosen = num(args[0], 'condition') !== 0n ? args[1] : args[2];
        return expand(chosen ?? []);
      }
      case '%sel': {
        const n = BigInt.asIntN(64, num(args[0], 'selector'));
        if (n < 1n) {
          this.sink.warning(origin, col, `%sel(${n}) is not a valid selector`, 'pp-sel-range');
          return [];
        }
        const chosen = args[Number(n)];
        if (!chosen) {
          this.sink.warning(origin, col, `%sel(${n}) exceeds the number of arguments`, 'pp-sel-range');
          return [];
        }
        return expand(chosen);
      }
      case '%num': {
        const value = BigInt.asUintN(64, num(args[0], 'expression'));
        const digits = args[1] && args[1].length > 0 ? Number(BigInt.asIntN(64, num(args[1], 'digits'))) : 0;
        const base = args[2] && args[2].length > 0 ? Number(num(args[2], 'base')) : 10;
        if (base < 2 || base > 64) throw new LineError(`invalid base ${base} given to %num()`, col);
        return [makeStr(new TextEncoder().encode(formatRadix(value, digits, base)))];
      }
      case '%str':
        return [
          makeStr(
            new TextEncoder().encode(
              tokensToText(
                expand(
                  rawArgs.flatMap((a, k) =>
                    k === 0 ? a : [{ kind: 'op', text: ',', col, spaceBefore: false } as Token, ...a],
                  ),
                ),
              ),
            ),
          ),
        ];
      case '%strcat': {
        const parts = args.map((a) => str(a));
        const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          bytes.set(p, at);
          at += p.length;
        }
        return [makeStr(bytes)];
      }
      case '%strlen':
        if (args.length !== 1) throw new LineError("`%strlen' expects one string", col);
        return [numToken(BigInt(str(args[0]).length), col)];
      case '%substr': {
        const all = str(args[0]);
        const start = Number(num(args[1], 'start'));
        const length = args[2] ? Number(BigInt.asIntN(64, num(args[2], 'length'))) : all.length;
        const from = Math.max(0, start - 1);
        const end = length < 0 ? all.length + length + 1 : from + length;
        return [makeStr(all.slice(from, Math.max(from, end)))];
      }
      case '%tok': {
        const bytes = str(args[0]);
        return expand(lexLine(decoder.decode(bytes)).tokens);
      }
      case '%chr':
        return [makeStr(Uint8Array.from(args, (a) => Number(BigInt.asUintN(8, num(a, 'character code')))))];
      case '%ord': {
        // `%ord(s, start, length)` as `%substr`'s positions; the byte values as a list
        const all = str(args[0]);
        const start = args[1] ? Number(num(args[1], 'start')) : 1;
        const length = args[2] ? Number(BigInt.asIntN(64, num(args[2], 'length'))) : 1;
        const from = Math.max(0, start - 1);
        const end = length < 0 ? all.length + length + 1 : from + length;
        return [...all.slice(from, Math.max(from, end))].flatMap((b, k) =>
          k === 0 ? [numToken(BigInt(b), col)] : [comma(col), numToken(BigInt(b), col)],
        );
      }
      case '%b2hs': {
        const separator = args[1] ? decoder.decode(str(args[1])) : '';
        const text = [...str(args[0])].map((b) => b.toString(16).padStart(2, '0')).join(separator);
        return [makeStr(new TextEncoder().encode(text))];
      }
      case '%hs2b': {
        // hex digit pairs; blanks separate groups, and a group's odd last digit is a byte of its own
        const out: number[] = [];
        for (const a of args)
          for (const group of decoder.decode(str(a)).split(/\s+/).filter(Boolean)) {
            if (!/^[0-9a-f]+$/i.test(group))
              throw new LineError(`\`%hs2b': invalid hex string \`${group}'`, col);
            for (let k = 0; k < group.length; k += 2) out.push(parseInt(group.slice(k, k + 2), 16));
          }
        return [makeStr(Uint8Array.from(out))];
      }
      case '%map':
        return this.mapFunction(t, rawArgs, origin, active);
    }
    throw new LineError(`unknown preprocessor function \`${t.text}'`, col);
  }

  /**
   * NASM 3's `%map(name, a, b, ...)`: `name(a), name(b), ...`; `name:(x, y)` puts x, y before each call's own
   * arguments, `name::N` (or `name:(x):N`) takes N arguments per call.
   */
  private mapFunction(t: Token, rawArgs: Token[][], origin: LineOrigin, active: Set<SingleMacro>): Token[] {
    const spec = rawArgs[0] ?? [];
    const name = spec[0];
    if (!name || name.kind !== 'id') throw new LineError("`%map': macro name expected", t.col);
    let k = 1;
    const colon = (): boolean => spec[k]?.text === ':';
    let fixed: Token[][] = [];
    let count = 1;
    if (spec[k]?.text === '::') {
      k++;
      count = Number(this.evaluateNumber(spec.slice(k), origin, t.col));
      k = spec.length;
    } else if (colon()) {
      k++;
      if (spec[k]?.text === '(') {
        const group = parseCallArgs(spec, k);
        if (!group) throw new LineError("`%map': unbalanced parentheses", t.col);
        fixed = group.args;
        k = group.end + 1;
      }
      if (colon()) {
        k++;
        count = Number(this.evaluateNumber(spec.slice(k), origin, t.col));
        k = spec.length;
      }
    }
    if (k < spec.length) throw new LineError(`\`%map': unexpected \`${spec[k]!.text}'`, spec[k]!.col);
    if (count < 1) throw new LineError("`%map': the argument count must be at least 1", t.col);
    const items = rawArgs.slice(1);
    if (items.length % count !== 0)
      this.sink.error(
        origin,
        t.col,
        `%map expected a multiple of ${count} expansion parameters, got ${items.length}`,
      );
    const out: Token[] = [];
    for (let i = 0; i + count <= items.length; i += count) {
      const callArgs = [...fixed, ...items.slice(i, i + count)];
      const call: Token[] = [
        { ...name, spaceBefore: false },
        { kind: 'op', text: '(', col: t.col, spaceBefore: false },
        ...callArgs.flatMap((a, j) => (j === 0 ? a : [comma(t.col), ...a])),
        { kind: 'op', text: ')', col: t.col, spaceBefore: false },
      ];
      if (out.length > 0) out.push(comma(t.col));
      out.push(...this.expandSmacros(call, origin, active));
    }
    return out;
  }

  /** `%$name` -> the innermost context's local label; `%$$name` -> the one below it. */
  /**
   * Context-local names on a line to assemble. One whose context does not exist is reported, as nasm does,
   * twice (nasm looks the line's names up twice) and left as it is, for the parser to refuse.
   */
  private expandContextLocals(tokens: Token[], origin: LineOrigin): Token[] {
    if (!tokens.some((t) => t.kind === 'pp' && t.text.startsWith('%$'))) return tokens;
    const failures: LineError[] = [];
    const out = tokens.map((t) => {
      if (t.kind !== 'pp' || !t.text.startsWith('%$')) return t;
      try {
        return { ...t, kind: 'id' as const, text: this.contextName(t) };
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
        failures.push(e);
        return t;
      }
    });
    if (failures.length === 0) return out;
    for (let twice = 0; twice < 2; twice++)
      for (const e of failures) {
        this.firstPassErrors++;
        this.sink.repeatedError(origin, e.col, e.message);
      }
    // what nasm's parser then makes of the name: no label; nothing in data; a bad operand elsewhere
    const start = out[0]!.kind === 'id' && out[1]?.kind === 'op' && out[1].text === ':' ? 2 : 0;
    const first = out[start];
    if (first?.kind === 'pp') {
      this.sink.error(origin, first.col, 'label or instruction expected at start of line');
      return [];
    }
    if (first?.kind === 'id' && DATA_DIRECTIVES.has(first.text.toLowerCase())) return [];
    return out;
  }

  private contextName(t: Token): string {
    if (t.kind !== 'pp' || !t.text.startsWith('%$')) return t.text;
    let level = 0;
    let rest = t.text.slice(1);
    while (rest.startsWith('$')) {
      level++;
      rest = rest.slice(1);
    }
    const ctx = this.contexts[this.contexts.length - level];
    if (this.contexts.length === 0) throw new LineError(`\`${t.text}': context stack is empty`, t.col);
    if (!ctx) {
      const depth = this.contexts.length;
      throw new LineError(
        `\`${t.text}': context stack is only ${depth} level${depth === 1 ? '' : 's'} deep`,
        t.col,
      );
    }
    return `..@${ctx.id}.${rest}`;
  }
}

/**
 * nasm's date and time macros: `__?DATE?__` "YYYY-MM-DD" and `__?TIME?__` "HH:MM:SS" in local time, `_NUM`
 * forms as numbers (YYYYMMDD, HHMMSS), `UTC_` forms in UTC, `__?POSIX_TIME?__` in seconds. (nasm 2.16.01
 * takes them from the clock even with --reproducible or SOURCE_DATE_EPOCH.)
 */
function dateToken(bare: string, now: Date, col: number): Token {
  if (bare === '__POSIX_TIME__') return numToken(BigInt(Math.floor(now.getTime() / 1000)), col);
  const utc = bare.startsWith('__UTC_');
  const two = (n: number): string => String(n).padStart(2, '0');
  const y = utc ? now.getUTCFullYear() : now.getFullYear();
  const mo = two((utc ? now.getUTCMonth() : now.getMonth()) + 1);
  const d = two(utc ? now.getUTCDate() : now.getDate());
  const h = two(utc ? now.getUTCHours() : now.getHours());
  const mi = two(utc ? now.getUTCMinutes() : now.getMinutes());
  const se = two(utc ? now.getUTCSeconds() : now.getSeconds());
  const isDate = bare.includes('DATE');
  if (bare.endsWith('_NUM__')) {
    const text = isDate ? `${y}${mo}${d}` : `${h}${mi}${se}`;
    return { ...numToken(BigInt(text), col), text };
  }
  const text = isDate ? `${y}-${mo}-${d}` : `${h}:${mi}:${se}`;
  return { ...strToken(text, col), text: `"${text}"` };
}

function isBuiltinName(name: string): boolean {
  return [
    '__FILE__',
    '__LINE__',
    '__BITS__',
    '__SECT__',
    '__OUTPUT_FORMAT__',
    '__NASM_MAJOR__',
    '__NASM_MINOR__',
    '__NASM_VER__',
    '__NASM_VERSION_ID__',
    '__PASS__',
    '__DATE__',
    '__TIME__',
    '__DATE_NUM__',
    '__TIME_NUM__',
    '__UTC_DATE__',
    '__UTC_TIME__',
    '__UTC_DATE_NUM__',
    '__UTC_TIME_NUM__',
    '__POSIX_TIME__',
  ].includes(name.replace(/\?/g, ''));
}

/** Data declarations: nasm's parser drops an operand it cannot read in them without a word. */
const DATA_DIRECTIVES = new Set(['db', 'dw', 'dd', 'dq', 'dt', 'do', 'dy', 'dz']);

/** A token only a multi-line macro gives a meaning: `%1`, `%-1`, `%+1`, `%{1:2}`, `%00`, `%%local`, `%?`. */
function isMacroParameterToken(t: Token): boolean {
  return t.kind === 'pp' && /^%([+-]?[0-9]|%|\{|\?)/.test(t.text);
}

/** The preprocessor's directives besides the conditionals (what `-a` drops). */
const KNOWN_DIRECTIVES = new Set(
  (
    '%aliases %arg %assign %clear %defalias %define %defstr %deftok %depend %endm %endmacro %endr %endrep ' +
    '%error %exitmacro %exitrep %fatal %iassign %idefalias %idefine %idefstr %ideftok %imacro %include ' +
    '%iundef %iundefalias %ixdefine %line %local %macro %pathsearch %pop %pragma %push %rep %repl %rotate ' +
    '%stacksize %strcat %strlen %substr %undef %undefalias %unimacro %unmacro %use %warning %xdefine'
  ).split(' '),
);

/** Directives whose first argument names a single-line macro. */
/** Tokens that can make up one name written in pieces (see joinMacroName). */
const NAME_PART_KINDS = new Set<Token['kind']>(['id', 'pp', 'num']);

const NAMING_DIRECTIVES = new Set([
  '%macro',
  '%imacro',
  '%define',
  '%idefine',
  '%xdefine',
  '%ixdefine',
  '%undef',
  '%iundef',
  '%assign',
  '%iassign',
  '%strlen',
  '%strcat',
  '%substr',
  '%defstr',
  '%idefstr',
  '%deftok',
  '%ideftok',
]);

const FUNCTION_NAMES = new Set([
  '%abs',
  // NASM 3's (nasm 2.16 refuses them): `%b2hs`, `%chr`, `%hs2b`, `%map`, `%ord`
  '%b2hs',
  '%chr',
  '%hs2b',
  '%map',
  '%ord',
  '%cond',
  '%count',
  '%eval',
  '%num',
  '%sel',
  '%str',
  '%strcat',
  '%strlen',
  '%substr',
  '%tok',
]);

/** Whether a `%name` token is one of nasm's preprocessor functions (`%num(...)`, `%isdef(...)` ...). */
function isFunctionName(text: string): boolean {
  const lower = text.toLowerCase();
  return FUNCTION_NAMES.has(lower) || (lower.startsWith('%is') && lower.length > 3);
}

const comma = (col: number): Token => ({ kind: 'op', text: ',', col, spaceBefore: false });

/** `{a, b}` as a function argument is `a, b`. */
function stripBraces(arg: Token[]): Token[] {
  if (arg.length >= 2 && arg[0]!.text === '{' && arg[arg.length - 1]!.text === '}') return arg.slice(1, -1);
  return arg;
}

/** A signed value as tokens: `-5` is `-` then `5`. */
function signedNumber(v: bigint, col: number): Token[] {
  if (v >= 0n) return [numToken(v, col)];
  return [
    { kind: 'op', text: '-', col, spaceBefore: true },
    { ...numToken(-v, col), spaceBefore: false },
  ];
}

const RADIX64 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@_';

/**
 * `%num(value, digits, base)`: `digits` > 0 is exactly that many (zero-padded, or the low digits), < 0 at
 * least that many, 0 as many as needed; checked against nasm 2.16.01.
 */
function formatRadix(value: bigint, digits: number, base: number): string {
  let text = '';
  const b = BigInt(base);
  for (let v = value; v > 0n; v /= b) text = RADIX64[Number(v % b)]! + text;
  if (text === '') text = '0';
  const width = Math.abs(digits);
  if (text.length < width) text = '0'.repeat(width - text.length) + text;
  if (digits > 0 && text.length > digits) text = text.slice(text.length - digits);
  return text;
}

function isPasteable(t: Token): boolean {
  return (
    t.kind === 'id' || t.kind === 'num' || t.kind === 'float' || (t.kind === 'pp' && !t.text.startsWith('%+'))
  );
}

/** Applies `%+` token pasting. */
function pasteTokens(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.kind === 'pp' && t.text === '%+')) return tokens;
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'pp' && t.text === '%+' && out.length > 0 && i + 1 < tokens.length) {
      const prev = out[out.length - 1]!;
      const next = tokens[++i]!;
      // nasm pastes the texts and reads them again: `foo %+ ,` (an empty suffix before a comma) stays `foo ,`
      const relexed = lexLine(prev.text + next.text).tokens;
      if (relexed.length === 0) out[out.length - 1] = { ...prev, text: prev.text + next.text };
      else
        out.splice(
          out.length - 1,
          1,
          ...relexed.map((r, k) =>
            k === 0
              ? { ...r, col: prev.col, spaceBefore: prev.spaceBefore }
              : { ...r, col: prev.col, spaceBefore: false },
          ),
        );
      continue;
    }
    out.push(t);
  }
  return out;
}

/** The opposite of a condition code as nasm writes it (`z` -> `nz`, `nae` -> `ae`, `pe` -> `po`). */
function invertCondition(cc: string): string | undefined {
  const lower = cc.toLowerCase();
  const base = ['z', 'e', 'a', 'ae', 'b', 'be', 'c', 'g', 'ge', 'l', 'le', 'o', 'p', 's'];
  if (lower === 'pe') return 'po';
  if (lower === 'po') return 'pe';
  if (base.includes(lower)) return 'n' + lower;
  if (lower.startsWith('n') && base.includes(lower.slice(1))) return lower.slice(1);
  return undefined;
}

/** Arguments joined back into one, with commas between them. */
function joinArgs(args: Token[][], col: number): Token[] {
  return args.flatMap((a, k) =>
    k === 0 ? a : [{ kind: 'op', text: ',', col, spaceBefore: false } as Token, ...a],
  );
}

/** `%?` and `%??` are the name of the single-line macro `call` invokes. */
function nameMacroSelf(tokens: Token[], call: Token): Token[] {
  if (!tokens.some((t) => t.kind === 'pp' && (t.text === '%?' || t.text === '%??'))) return tokens;
  return tokens.map((t) =>
    t.kind === 'pp' && (t.text === '%?' || t.text === '%??') ? { ...t, kind: 'id', text: call.text } : t,
  );
}

/** `%,` in a single-line macro body: one token (the lexer gives `%` and `,`). */
function joinPercentCommas(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.text === '%')) return tokens;
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === 'op' && t.text === '%' && next?.text === ',' && !next.spaceBefore) {
      out.push({ kind: 'pp', text: '%,', col: t.col, spaceBefore: t.spaceBefore });
      i++;
    } else out.push(t);
  }
  return out;
}

/** `%,` is a comma unless nothing follows it (up to the next `%,` or the end): then it disappears. */
function dropEmptyPercentCommas(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.kind === 'pp' && t.text === '%,')) return tokens;
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'pp' || t.text !== '%,') {
      out.push(t);
      continue;
    }
    const next = tokens[i + 1];
    if (next && !(next.kind === 'pp' && next.text === '%,')) out.push({ ...t, kind: 'op', text: ',' });
  }
  return out;
}

/** Positions of commas at bracket depth 0 (braces, parentheses and brackets nest). */
/**
 * nasm's %ifidn: the text before the first comma against the text after it, token by token with whitespace
 * skipped, strings by their contents; the walk ends at the comma or when the second text runs out, so
 * whitespace left before the comma (always there when the first text is empty) makes them differ.
 */
function identicalTexts(tokens: Token[], caseless: boolean, col: number): boolean {
  const comma = tokens.findIndex((t) => t.kind === 'op' && t.text === ',');
  if (comma < 0)
    throw new LineError(`\`%ifidn${caseless ? 'i' : ''}' expects two comma-separated arguments`, col);
  const SPACE = undefined;
  const withSpaces = (list: Token[], leading: boolean): Array<Token | undefined> =>
    list.flatMap((t, n) => ((n === 0 ? leading : t.spaceBefore) ? [SPACE, t] : [t]));
  // the first text starts after the directive's whitespace; the comma may have whitespace before it
  const first = [
    ...withSpaces(tokens.slice(0, comma), true),
    ...(tokens[comma]!.spaceBefore || comma === 0 ? [SPACE] : []),
  ];
  const second = withSpaces(tokens.slice(comma + 1), tokens[comma + 1]?.spaceBefore ?? false);
  const text = (t: Token): string => {
    const plain = t.kind === 'str' ? new TextDecoder('latin1').decode(t.bytes) : t.text;
    return caseless ? plain.toLowerCase() : plain;
  };
  let i = 0;
  let j = 0;
  while (i < first.length && j < second.length) {
    const a = first[i];
    const b = second[j];
    if (b?.kind === 'op' && b.text === ',')
      throw new LineError(`\`%ifidn${caseless ? 'i' : ''}': more than one comma on line`, b.col);
    if (a === SPACE) {
      i++;
      continue;
    }
    if (b === SPACE) {
      j++;
      continue;
    }
    if (a.kind !== b.kind || text(a) !== text(b)) return false;
    i++;
    j++;
  }
  return i === first.length && j === second.length;
}

function topLevelCommas(tokens: Token[]): number[] {
  const commas: number[] = [];
  let depth = 0;
  tokens.forEach((t, i) => {
    if (t.kind !== 'op') return;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (t.text === ',' && depth === 0) commas.push(i);
  });
  return commas;
}

/**
 * nasm 2.16's multi-line macro parameters (count_mmac_params, then each one's extent in expand_mmacro): the
 * line splits at every comma, brackets and parentheses not grouping, except inside a `{...}` that opens a
 * parameter, which is that parameter without its braces. A parameter's text then runs to the next comma
 * outside the braces it opens itself: x86inc's `psllq m4, [r]{bcstq}, 8` keeps `[r]{bcstq}` whole, and
 * `x {a,b}, c` has three parameters, `x {a,b}`, `b}, c` and `c`.
 */
function splitArgs(tokens: Token[], report?: (message: string, col: number) => void): Token[][] {
  if (tokens.length === 0) return [];
  const is = (t: Token | undefined, text: string): boolean => t?.kind === 'op' && t.text === text;
  const args: Token[][] = [];
  let i = 0;
  for (;;) {
    if (is(tokens[i], '{')) {
      let depth = 1;
      let close = i;
      while (depth > 0 && ++close < tokens.length) {
        if (is(tokens[close], '{')) depth++;
        else if (is(tokens[close], '}')) depth--;
      }
      args.push(tokens.slice(i + 1, close));
      if (close >= tokens.length) report?.('expecting closing brace in macro parameter', tokens[i]!.col);
      else if (close + 1 < tokens.length && !is(tokens[close + 1], ','))
        report?.('braces do not enclose all of macro parameter', tokens[i]!.col);
      i = close;
    } else {
      let depth = 0;
      let end = i;
      for (; end < tokens.length; end++) {
        const t = tokens[end];
        if (is(t, '{')) depth++;
        else if (is(t, '}')) depth--;
        else if (is(t, ',') && depth === 0) break;
      }
      args.push(tokens.slice(i, end));
    }
    // the next parameter starts after the next comma, whatever braces the text above spanned
    while (i < tokens.length && !is(tokens[i], ',')) i++;
    if (i >= tokens.length) break;
    i++;
  }
  return args;
}

/** `NAME(a, (b, c), d)` starting at the `(`: arguments and the index of the `)`. */
function parseCallArgs(tokens: Token[], open: number): { args: Token[][]; end: number } | undefined {
  let depth = 0;
  const args: Token[][] = [];
  let current: Token[] = [];
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'op') {
      if (t.text === '(' || t.text === '[' || t.text === '{') {
        if (depth++ === 0) continue;
      } else if (t.text === ')' || t.text === ']' || t.text === '}') {
        if (--depth === 0) {
          args.push(current);
          if (args.length === 1 && args[0]!.length === 0) return { args: [], end: i };
          return { args, end: i };
        }
      } else if (t.text === ',' && depth === 1) {
        args.push(current);
        current = [];
        continue;
      }
    }
    current.push(t);
  }
  return undefined;
}

/**
 * nasm 2.16's search for `%include`, `incbin` and `-p` files: the name as given (relative to the working
 * directory), then each `-I` directory with the name appended (a missing trailing `/` is supplied). Like nasm,
 * the including file's own directory is not searched.
 */
export function includeCandidates(path: string, includePaths: readonly string[]): string[] {
  const candidates = [path];
  if (!path.startsWith('/'))
    for (const inc of includePaths)
      candidates.push(inc === '' || inc.endsWith('/') ? inc + path : `${inc}/${path}`);
  return candidates;
}

export function resolveInclude(
  path: string,
  includePaths: string[],
  readFile: ((path: string) => Uint8Array | undefined) | undefined,
): { path: string; data: Uint8Array } | undefined {
  if (!readFile) return undefined;
  for (const c of includeCandidates(path, includePaths)) {
    const data = readFile(c);
    if (data) return { path: c, data };
  }
  return undefined;
}

function lastIndexOf(frames: Frame[], kind: Frame['kind']): number {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]!.kind === kind) return i;
  return -1;
}

/** The innermost macro call in a chain (`__?FILE?__`/`__?LINE?__` inside a macro name the call site). */
function macroCall(link: ChainLink | undefined): ExpansionStep | undefined {
  for (let l = link; l; l = l.parent) if (l.step.kind === 'macro') return l.step;
  return undefined;
}

/** `%stacksize` models: frame register, stack slot width, and the offset of the first `%arg`. */
const STACK_MODELS: Record<string, { register: string; width: number; argOffset: number }> = {
  flat: { register: 'ebp', width: 4, argOffset: 8 },
  flat64: { register: 'rbp', width: 8, argOffset: 16 },
  large: { register: 'bp', width: 2, argOffset: 4 },
  // small: arguments start at bp+6 in nasm (checked against nasm 2.16, like the other three)
  small: { register: 'bp', width: 2, argOffset: 6 },
};

const STACK_TYPE_SIZES: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  qword: 8,
  tword: 10,
  oword: 16,
  yword: 32,
  zword: 64,
};
