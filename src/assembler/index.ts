/**
 * The assembler's public entry: NASM-syntax source text in, an ELF64 object or a flat binary out.
 * Pure: files are read only through `options.readFile` (for `%include` and `incbin`), nothing is written.
 *
 *   lexer -> preprocessor -> parser -> layout passes (calling the encoder) -> ELF / bin writer (+ listing)
 */

import { buildDebugSections } from './debug-info.js';
import { DiagnosticSink, LineError } from './diagnostics.js';
import { evaluate, type EvalHost } from './expression.js';
import {
  changesEncodingContext,
  isShareableInstruction,
  layout,
  type LayoutResult,
  type ParsedProgram,
  type SymbolEntry,
} from './layout.js';
import { formatListing } from './listing.js';
import { formatMap } from './map.js';
import { StatementOrigins } from './origins.js';
import { writeBin, writeElf } from './output.js';
import { parseLine, ParserState, type Statement } from './parser.js';
import { formatPreprocessed } from './preprocess-only.js';
import {
  preprocess,
  reportUserMessages,
  type AssemblyPosition,
  type PreprocessedLine,
  type PreprocessOptions,
  type PreprocessorSymbol,
} from './preprocessor.js';
import type { AssembleOptions, AssembleResult, Diagnostic } from './types.js';
import { defaultBits } from './types.js';

export type {
  AssembleOptions,
  AssembleResult,
  Diagnostic,
  ExpansionStep,
  OutputFormat,
  SourceLocation,
} from './types.js';
export { formatDiagnostic, formatNasmDiagnostic } from './diagnostics.js';

/** The optional preprocessor inputs `options` carries. */
function preprocessExtras(options: AssembleOptions): Partial<PreprocessOptions> {
  const extras: Partial<PreprocessOptions> = {};
  if (options.preIncludes) extras.preIncludes = options.preIncludes;
  if (options.preLines) extras.preLines = options.preLines;
  if (options.noPreprocess) extras.noPreprocess = true;
  if (options.ignoreLineDirectives) extras.ignoreLineDirectives = true;
  if (options.now) extras.now = options.now;
  if (options.environment) extras.environment = options.environment;
  if (options.limits) extras.limits = options.limits;
  return extras;
}

/** `-E`: runs only the preprocessor and returns its output as nasm prints it (`text` absent on errors). */
export function preprocessOnly(options: AssembleOptions): { text?: string; diagnostics: Diagnostic[] } {
  const sink = new DiagnosticSink(
    new Set(options.disabledWarnings ?? []),
    new Set(options.errorWarnings ?? []),
  );
  const pre = preprocess({
    source: options.source,
    fileName: options.fileName,
    format: options.format ?? 'bin',
    ...(options.readFile ? { readFile: options.readFile } : {}),
    includePaths: options.includePaths ?? [],
    defines: options.defines ?? {},
    undefines: options.undefines ?? [],
    ...preprocessExtras(options),
    sink,
    keepDirectiveLines: false,
    keepLines: true,
    blankLines: true,
  });
  if (pre.firstPassErrors === 0) reportUserMessages(pre.userMessages, sink);
  const diagnostics = sink.list;
  if (sink.errorCount > 0) return { diagnostics };
  return { text: formatPreprocessed(pre.lines), diagnostics };
}

/**
 * The most rounds a source with labels or `$` in preprocessor expressions gets: each round settles what the
 * expressions saw before it; values that never settle (a jump whose size decides a `%if` that decides the
 * jump's size) are nasm's endless passes.
 */
const MAX_POSITION_ROUNDS = 8;

/** nasm's passes with -Ox before it gives up on values that keep changing (its message counts them). */
const NASM_PASS_LIMIT = 1004;

/** A symbol's value in a finished layout, as the next round's preprocessor sees it. */
function layoutSymbol(result: LayoutResult, name: string): PreprocessorSymbol {
  const sym = result.symbols.get(name);
  if (!sym || sym.definedPass === 0) return { kind: 'unknown' };
  switch (sym.kind) {
    case 'label':
      return sym.section
        ? { kind: 'value', offset: sym.offset, base: sym.section.name }
        : { kind: 'value', offset: sym.offset };
    case 'equ': {
      const v = sym.value;
      if (!v || v.unknown) return { kind: 'unknown' };
      if (v.symbol === undefined) return { kind: 'value', offset: v.offset };
      const base = result.refs.get(v.symbol);
      const baseName = base === undefined ? '' : 'ref' in base ? base.name : `\0${base.name}`;
      return { kind: 'value', offset: v.offset, base: baseName };
    }
    default:
      // an external or common symbol: an address only the linker knows
      return { kind: 'value', offset: 0n, base: `\0${sym.name}` };
  }
}

function sameSymbol(a: PreprocessorSymbol, b: PreprocessorSymbol): boolean {
  if (a.kind !== 'value' || b.kind !== 'value') return a.kind === b.kind;
  return a.offset === b.offset && a.base === b.base;
}

/** Where assembly stood before line `line`: after the last statement of an earlier line. */
function positionBefore(
  line: number,
  lines: readonly number[],
  positions: ReadonlyArray<AssemblyPosition>,
): AssemblyPosition {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]! < line) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? positions[lo - 1]! : { section: '.text', offset: 0n };
}

function samePosition(a: AssemblyPosition, b: AssemblyPosition): boolean {
  return a.section === b.section && a.offset === b.offset;
}

/** Bounds the texts kept for sharing instructions (a few MiB at most). */
const MAX_SHARED_INSTRUCTIONS = 1 << 16;

/** One preprocess + parse + layout over the source. */
function assembleRound(
  options: AssembleOptions,
  format: NonNullable<AssembleOptions['format']>,
  positionAt: ((line: number) => AssemblyPosition) | undefined,
  previous: LayoutResult | undefined,
) {
  const sink = new DiagnosticSink(
    new Set(options.disabledWarnings ?? []),
    new Set(options.errorWarnings ?? []),
  );
  const dependencies: string[] = [];
  const addDependency = (path: string): void => {
    if (!dependencies.includes(path)) dependencies.push(path);
  };
  // the parser runs on each line as the preprocessor produces it
  const state = new ParserState();
  state.bits = options.bits ?? defaultBits(format);
  const program: ParsedProgram = { statements: [], origins: new StatementOrigins(), lines: [] };
  // `equ` constants read so far, for the preprocessor's expressions (as nasm knows them in its first pass)
  const constants = new Map<string, bigint>();
  const constantHost: EvalHost = {
    symbol: (name, col) => {
      const value = constants.get(name);
      if (value === undefined) throw new LineError(`\`${name}' is not a constant`, col);
      return { offset: value };
    },
    here: (col) => {
      throw new LineError('`$` is not a constant', col);
    },
    base: (col) => {
      throw new LineError('`$$` is not a constant', col);
    },
  };
  const noteConstant = (statement: Statement): void => {
    if (statement.kind !== 'equ' || constants.has(statement.name)) return;
    try {
      const v = evaluate(statement.expr, constantHost);
      if (v.symbol === undefined && !v.unknown) constants.set(statement.name, v.offset);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
    }
  };
  // the symbols defined so far in this round: nasm's preprocessor may use them ("defined before use")
  const defined = new Set<string>();
  const strucs: string[] = [];
  const noteDefinitions = (statement: Statement): void => {
    switch (statement.kind) {
      case 'label':
      case 'equ':
      case 'common':
        defined.add(statement.name);
        return;
      case 'extern':
        for (const d of statement.names) defined.add(d.name);
        return;
      case 'struc':
        defined.add(statement.name);
        strucs.push(statement.name);
        return;
      case 'endstruc': {
        const name = strucs.pop();
        if (name !== undefined) defined.add(`${name}_size`);
        return;
      }
      case 'istruc':
        defined.add(statement.contextLabel);
        return;
      case 'times':
        noteDefinitions(statement.body);
        return;
      default:
        return;
    }
  };
  // the labels preprocessor expressions used, with the values they were given (from `previous`)
  const symbolQueries: Array<{ name: string; seen: PreprocessorSymbol }> = [];
  const symbolValue = (written: string): PreprocessorSymbol => {
    const name = written.startsWith('.') && !written.startsWith('..') ? state.lastLabel + written : written;
    const constant = constants.get(name);
    if (constant !== undefined) return { kind: 'value', offset: constant };
    if (!defined.has(name)) return { kind: 'undefined', name };
    const seen = previous ? layoutSymbol(previous, name) : { kind: 'unknown' as const };
    symbolQueries.push({ name, seen });
    return seen;
  };
  // the parser's errors are, as nasm's, errors of the first pass
  let parseErrors = 0;
  // what nasm's parser accepts and only its last pass refuses (a decorator after the immediate)
  const lastPassParseErrors: LayoutResult['errors'] = [];
  // a line read as written from a file is its text's tokens: the same text makes the same shareable instruction
  const sharedInstructions = new Map<string, Statement>();
  const parse = (line: PreprocessedLine, index: number): void => {
    if (line.listOnly || line.tokens.length === 0) return;
    const text = line.depth === 0 && line.asLexed ? line.origin.text : undefined;
    if (text !== undefined) {
      const shared = sharedInstructions.get(text);
      if (shared !== undefined) {
        program.statements.push(shared);
        program.origins.push(line.origin);
        program.lines.push(index);
        return;
      }
    }
    try {
      const statements = parseLine(line.tokens, state, line.uniqueId, line.asLexed);
      for (const statement of statements) {
        program.statements.push(statement);
        program.origins.push(line.origin);
        program.lines.push(index);
        noteConstant(statement);
        noteDefinitions(statement);
        if (changesEncodingContext(statement)) sharedInstructions.clear();
      }
      if (
        text !== undefined &&
        statements.length === 1 &&
        state.warnings.length === 0 &&
        isShareableInstruction(statements[0]!) &&
        sharedInstructions.size < MAX_SHARED_INSTRUCTIONS
      )
        sharedInstructions.set(text, statements[0]!);
    } catch (e) {
      if (e instanceof LineError && e.lastPass) {
        lastPassParseErrors.push({ origin: line.origin, col: e.col, message: e.message });
        return;
      }
      parseErrors++;
      if (e instanceof LineError) sink.error(line.origin, e.col, e.message);
      else sink.error(line.origin, -1, `internal assembler error: ${(e as Error).message ?? String(e)}`);
    }
    if (state.warnings.length > 0) {
      for (const w of state.warnings) sink.warning(line.origin, w.col, w.message, w.name);
      state.warnings = [];
    }
  };
  const pre = preprocess({
    source: options.source,
    fileName: options.fileName,
    format,
    ...(options.readFile ? { readFile: options.readFile } : {}),
    includePaths: options.includePaths ?? [],
    defines: options.defines ?? {},
    undefines: options.undefines ?? [],
    ...preprocessExtras(options),
    sink,
    ...(options.bits ? { bits: options.bits } : {}),
    keepDirectiveLines: options.listing === true,
    keepLines: options.listing === true,
    onLine: parse,
    symbolValue,
    ...(positionAt ? { positionAt } : {}),
  });
  for (const d of pre.dependencies) addDependency(d);

  const result = layout(program, {
    format,
    ...(options.bits ? { bits: options.bits } : {}),
    ...(options.readFile ? { readFile: options.readFile } : {}),
    includePaths: options.includePaths ?? [],
    listing: options.listing === true,
    fileName: options.fileName,
    onDependency: addDependency,
    ...(options.optimization ? { optimization: options.optimization } : {}),
    ...(pre.usesPosition ? { recordPositions: true } : {}),
    ...(options.debugInfo && format !== 'bin' ? { debugInfo: true } : {}),
  });
  return {
    sink,
    dependencies,
    program,
    pre,
    result,
    lastLabel: state.lastLabel,
    symbolQueries,
    firstPassErrors: pre.firstPassErrors + parseErrors,
    lastPassParseErrors,
  };
}

export function assemble(options: AssembleOptions): AssembleResult {
  const format = options.format ?? 'bin';
  // Preprocessor conditions on `$` (`%if ($-$$) > 510`) need the layout: nasm preprocesses again in every pass.
  // Here a source that has them is assembled again with the previous round's positions until the positions
  // the conditions saw are the ones the layout gives.
  // Labels in them (`%assign n end-start`) are looked up in the previous round's layout the same way.
  let round = assembleRound(options, format, undefined, undefined);
  let settled = true;
  for (let n = 0; round.pre.usesPosition || round.symbolQueries.length > 0; n++) {
    const { result: last, program: lastProgram } = round;
    const positions = last.positions;
    const lines = lastProgram.lines;
    if (
      (n > 0 || !round.pre.usesPosition) &&
      round.pre.positionQueries.every((q) => samePosition(positionBefore(q.line, lines, positions!), q)) &&
      round.symbolQueries.every((q) => sameSymbol(q.seen, layoutSymbol(last, q.name)))
    )
      break;
    if (n === MAX_POSITION_ROUNDS) {
      settled = false;
      break;
    }
    round = assembleRound(
      options,
      format,
      positions ? (line) => positionBefore(line, lines, positions) : undefined,
      last,
    );
  }
  const { sink, dependencies, program, pre, result } = round;
  if (!settled)
    sink.error(
      { file: options.fileName, line: 0, text: '', chain: undefined },
      -1,
      `unable to find valid values for all labels after ${NASM_PASS_LIMIT} passes; stalled for ${NASM_PASS_LIMIT - 3}, giving up.`,
    );
  // after an error of its first pass nasm stops: no undefined-symbol errors or warnings of its last pass
  const stopped = round.firstPassErrors > 0 || pre.fatal || result.errors.some((e) => !e.lastPass);
  if (!stopped) reportUserMessages(pre.userMessages, sink);
  if (!stopped) for (const e of round.lastPassParseErrors) sink.error(e.origin, e.col, e.message);
  for (const e of result.errors) {
    if (stopped && e.lastPass) continue;
    sink.error(e.origin, e.col, e.message);
    // printed with the error (its place in the order, the error's macro chain), as nasm does
    if (e.note) sink.info({ ...e.note.origin, chain: e.origin.chain, seq: e.origin.seq }, -1, e.note.message);
  }
  if (!stopped) for (const w of result.warnings) sink.warning(w.origin, w.col, w.message, w.name);
  // nasm lists the messages of its lines' last pass; those about the output file come after the listing
  const listedMessages = sink.occurrences.slice();

  const symbolSize = (sym: SymbolEntry): bigint => {
    const expr = sym.global?.size;
    if (!expr) return 0n;
    try {
      const v = evaluate(expr, {
        symbol: (name, col) => {
          const s = result.symbols.get(name);
          if (!s || s.definedPass === 0) throw new LineError(`symbol \`${name}' not defined`, col);
          if (s.kind === 'equ') return s.value!;
          return s.section ? { offset: s.offset, symbol: s.section.ref } : { offset: s.offset };
        },
        here: (col) => {
          throw new LineError("`$' is not allowed in a symbol size", col);
        },
        base: (col) => {
          throw new LineError("`$$' is not allowed in a symbol size", col);
        },
      });
      if (v.symbol !== undefined)
        throw new LineError(`size of \`${sym.name}' must be a constant`, sym.global!.col);
      return v.offset;
    } catch (e) {
      const message =
        e instanceof LineError ? e.message : `internal assembler error: ${(e as Error).message}`;
      sink.error(
        sym.globalOrigin ?? { file: options.fileName, line: 0, text: '', chain: undefined },
        e instanceof LineError ? e.col : -1,
        message,
      );
      return 0n;
    }
  };

  let output: Uint8Array | undefined;
  const lastLine = program.origins.at(program.origins.length - 1) ?? {
    file: options.fileName,
    line: 0,
    text: '',
    chain: undefined,
  };
  if (sink.errorCount === 0) {
    try {
      if (format !== 'bin') {
        const debug =
          options.debugInfo && result.debug
            ? {
                sections: buildDebugSections(
                  {
                    format,
                    fileName: options.fileName,
                    directory: options.debugInfo.directory,
                    lines: result.debug.lines,
                  },
                  options.debugInfo.format,
                ),
                objectSizes: result.debug.objectSizes,
              }
            : undefined;
        output = writeElf({
          format,
          fileName: options.fileName,
          sections: result.sections,
          symbols: result.symbols,
          refs: result.refs,
          symbolSize,
          lastLabel: round.lastLabel,
          onError: (relocation, message) => sink.error(relocation.origin, relocation.col, message),
          ...(debug ? { debug } : {}),
          affixes: { ...result.affixes, ...options.symbolAffixes },
        });
      } else {
        const bin = writeBin(result.sections, result.refs, result.org);
        for (const e of bin.errors) {
          const origin = e.relocation?.origin ?? {
            file: options.fileName,
            line: 0,
            text: '',
            chain: undefined,
          };
          if (e.warning) sink.warning(origin, e.relocation?.col ?? -1, e.message, 'number-overflow');
          else sink.error(origin, e.relocation?.col ?? -1, e.message);
        }
        output = bin.output;
      }
    } catch (e) {
      // e.g. a reservation too large to hold in memory
      sink.error(lastLine, -1, `cannot write the output: ${(e as Error).message ?? String(e)}`);
    }
  }
  if (sink.errorCount > 0) output = undefined;
  const assembled: AssembleResult = { diagnostics: sink.list, dependencies, passes: result.passes };
  if (output) assembled.output = output;
  // nasm writes its listing in its last pass, which it reaches unless its first pass failed
  if (options.listing && !stopped)
    assembled.listing = formatListing(pre.lines, result.listing, listedMessages);
  if (output && result.map)
    assembled.map = {
      file: result.map.file,
      text: formatMap({
        parts: result.map.parts,
        sourceFile: options.fileName,
        outputFile: options.outputFileName ?? '',
        org: result.org,
        sections: result.sections,
        symbols: result.symbols,
      }),
    };
  return assembled;
}
