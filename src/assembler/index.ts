/**
 * The assembler's public entry: NASM-syntax source text in, an ELF64 object or a flat binary out.
 * Pure: files are read only through `options.readFile` (for `%include` and `incbin`), nothing is written.
 *
 *   lexer -> preprocessor -> parser -> layout passes (calling the encoder) -> ELF / bin writer (+ listing)
 */

import { buildDebugSections } from './debug-info.js';
import { DiagnosticSink, LineError } from './diagnostics.js';
import { evaluate, type EvalHost } from './expression.js';
import { layout, type ParsedProgram, type SymbolEntry } from './layout.js';
import { formatListing } from './listing.js';
import { formatMap } from './map.js';
import { StatementOrigins } from './origins.js';
import { writeBin, writeElf } from './output.js';
import { parseLine, ParserState, type Statement } from './parser.js';
import { formatPreprocessed } from './preprocess-only.js';
import {
  preprocess,
  type AssemblyPosition,
  type PreprocessedLine,
  type PreprocessOptions,
} from './preprocessor.js';
import type { AssembleOptions, AssembleResult, Diagnostic } from './types.js';

export type {
  AssembleOptions,
  AssembleResult,
  Diagnostic,
  ExpansionStep,
  OutputFormat,
  SourceLocation,
} from './types.js';
export { formatDiagnostic } from './diagnostics.js';

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
  const diagnostics = sink.list;
  if (sink.errorCount > 0) return { diagnostics };
  return { text: formatPreprocessed(pre.lines), diagnostics };
}

/** The most rounds a source with `$` in preprocessor conditions gets (nasm would need as many passes). */
const MAX_POSITION_ROUNDS = 8;

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

/** One preprocess + parse + layout over the source. */
function assembleRound(
  options: AssembleOptions,
  format: NonNullable<AssembleOptions['format']>,
  positionAt: ((line: number) => AssemblyPosition) | undefined,
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
  const parse = (line: PreprocessedLine, index: number): void => {
    if (line.listOnly || line.tokens.length === 0) return;
    try {
      const statements = parseLine(line.tokens, state, line.uniqueId, line.asLexed);
      for (const statement of statements) {
        program.statements.push(statement);
        program.origins.push(line.origin);
        program.lines.push(index);
        noteConstant(statement);
      }
    } catch (e) {
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
    constantValue: (name) => constants.get(name),
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
  return { sink, dependencies, program, pre, result, lastLabel: state.lastLabel };
}

export function assemble(options: AssembleOptions): AssembleResult {
  const format = options.format ?? 'bin';
  // Preprocessor conditions on `$` (`%if ($-$$) > 510`) need the layout: nasm preprocesses again in every pass.
  // Here a source that has them is assembled again with the previous round's positions until the positions
  // the conditions saw are the ones the layout gives.
  let round = assembleRound(options, format, undefined);
  for (let n = 0; round.pre.usesPosition && n < MAX_POSITION_ROUNDS; n++) {
    const positions = round.result.positions!;
    const lines = round.program.lines;
    if (
      n > 0 &&
      round.pre.positionQueries.every((q) => samePosition(positionBefore(q.line, lines, positions), q))
    )
      break;
    round = assembleRound(options, format, (line) => positionBefore(line, lines, positions));
  }
  const { sink, dependencies, program, pre, result } = round;
  for (const e of result.errors) sink.error(e.origin, e.col, e.message);
  for (const w of result.warnings) sink.warning(w.origin, w.col, w.message, w.name);

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
  if (options.listing) assembled.listing = formatListing(pre.lines, result.listing);
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
