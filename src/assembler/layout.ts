/**
 * The passes: statements in, section contents + symbols + relocations out.
 *
 * Every pass walks all statements, assigns offsets, evaluates expressions with the symbol values known so far
 * (labels defined earlier in the pass have their new values, later ones their values from the previous pass)
 * and asks the encoder for each instruction's bytes. A pass in which no symbol changed is the last one:
 * everything in it was computed from final values. Messages are kept from the last pass only, since earlier
 * passes see forward references as unknown.
 *
 * The result must be nasm's, byte for byte, and nasm's jump sizes depend on the history of its passes: in the
 * first pass a forward reference is an unknown absolute value (so `[rel later]` takes the longer [disp32]
 * form), jumps to unknown targets are short, and every later pass re-decides every jump, shrinking or growing
 * it. A relaxation that only grows jumps is not equivalent (a jump can stay near in nasm although short would
 * fit at the end). So the passes replay nasm's: two full passes, then `RelaxModel` repeats nasm's remaining
 * passes on a compact list of labels, jumps and aligns (cheap even when nasm needs a hundred passes), then a
 * full pass produces the bytes and confirms nothing else moved.
 *
 * Labels are section-relative values in both output formats (nasm's bin format, too, treats a label as
 * "section + offset" while assembling, which decides operand sizes); the bin writer adds section addresses.
 */

import { encodeInstruction, isPrefix } from './encoder/index.js';
import { ABSOLUTE_SYMBOL } from './encoder/types.js';
import type {
  Bits,
  EncodeResult,
  Fixup,
  InstructionRequest,
  Operand,
  SymbolRef,
  Value,
} from './encoder/types.js';
import { LineError, type LineOrigin } from './diagnostics.js';
import type { StatementOrigins } from './origins.js';
import { includeCandidates } from './preprocessor.js';
import { smartPadding, smartPaddingParts } from './smartalign.js';
import { evaluate, mentionsHere, type EvalHost, type EvalValue, type Expr } from './expression.js';
import { encodeFloat } from './floats.js';
import {
  dataTypeCode,
  objectSizeOf,
  reserveTypeCode,
  type DataElement,
  type DebugLine,
} from './debug-info.js';
import { assignAddressRegisters } from './parser.js';
import type {
  DataItem,
  MapPart,
  OperandAst,
  SectionAttributes,
  Statement,
  SymbolAffix,
  SymbolDeclaration,
} from './parser.js';
import { defaultBits, type OutputFormat } from './types.js';

/**
 * The parsed program as parallel arrays, one entry per statement (a label and an instruction on one line are
 * two entries with the same origin): no wrapper object per line, since all of it lives through every pass.
 */
export interface ParsedProgram {
  statements: Statement[];
  /** Where each statement's line came from. */
  origins: StatementOrigins;
  /** Index of each statement's preprocessed line (for the listing). */
  lines: number[];
}

export interface Section {
  name: string;
  ref: SymbolRef;
  nobits: boolean;
  alloc: boolean;
  exec: boolean;
  write: boolean;
  /** ELF flags nasm also sets: SHF_TLS, SHF_MERGE, SHF_STRINGS. */
  tls: boolean;
  merge: boolean;
  strings: boolean;
  /** ELF sh_entsize (`merge dword`, the init arrays' pointer size). */
  entsize: number;
  /** ELF section types other than progbits/nobits. */
  elfType?: 'note' | 'preinit_array' | 'init_array' | 'fini_array';
  align: number;
  /** Created by a `section` directive (the implicit default section is placed last if never named). */
  explicit: boolean;
  order: number;
  size: number;
  /** Contents written in the current pass (valid up to `size`; nobits sections stay empty). */
  buffer: Uint8Array;
  relocations: Relocation[];
  /** bin: address of the section's first byte (from the previous pass). */
  start: bigint;
  /** bin: address labels in the section have (`vstart=`; otherwise `start`). */
  vstart: bigint;
  attributes: SectionAttributes;
  /** An `align`/`sectalign` raised the alignment (nasm's bin map then shows it as defined). */
  alignRaised?: boolean;
}

export interface Relocation {
  offset: number;
  size: 1 | 2 | 4 | 8;
  pcRelative: boolean;
  signed: boolean;
  symbol: SymbolRef;
  addend: bigint;
  /** See `Fixup.pcAdjust`. */
  pcAdjust?: number;
  /**
   * What nasm's listing shows for a PC-relative data field (`dd label - $`, `dd ext - base`): the expression's
   * offset before it was measured from the field, not the addend.
   */
  listed?: bigint;
  /** The listing shows the field in `(...)`, as a PC-relative one (bin: a label subtracted across sections). */
  listedRelative?: boolean;
  wrt?: Value['wrt'];
  origin: LineOrigin;
  col: number;
}

export interface SymbolEntry {
  name: string;
  kind: 'label' | 'equ' | 'extern' | 'common' | 'declared';
  /** Label's section; undefined for absolute labels and equ. */
  section?: Section;
  /** Label offset in its section, or absolute value. */
  offset: bigint;
  /** equ: the value (may be relocatable). */
  value?: Value;
  definedPass: number;
  /** Order of definition in the last pass (symbol table order). */
  order: number;
  global?: SymbolDeclaration;
  /** The line of the `global` declaration (for errors in its size expression). */
  globalOrigin?: LineOrigin;
  ref?: SymbolRef;
  used?: boolean;
  commonSize?: bigint;
  commonAlign?: bigint;
  /** Where it was first defined or declared (nasm's `originally defined here`). */
  origin?: LineOrigin;
  /** equ: the value was computed from label positions or `$` (it moves when code before it changes size). */
  positional?: boolean;
  /** `extern` then `global` in this pass: nasm refuses a definition after that. */
  externThenGlobal?: boolean;
}

export interface ListingRecord {
  line: number;
  offset: number;
  bytes?: Uint8Array;
  zeros?: number;
  repeat?: number;
  fixups?: Array<{ offset: number; size: number; pcRelative: boolean; addend: bigint }>;
  reserve?: boolean;
  /** The bytes `incbin` read (listed by their count). */
  binary?: boolean;
}

export interface LayoutResult {
  sections: Section[];
  symbols: Map<string, SymbolEntry>;
  refs: Map<SymbolRef, Section | SymbolEntry>;
  /** `lastPass`: an error nasm finds only in its last pass (a symbol never defined). */
  errors: Array<{
    origin: LineOrigin;
    col: number;
    message: string;
    lastPass?: boolean;
    note?: { origin: LineOrigin; message: string };
  }>;
  warnings: Array<{ origin: LineOrigin; col: number; message: string; name: string }>;
  listing: ListingRecord[];
  passes: number;
  /** bin: the `org` address (0 when not given). */
  org: bigint;
  /** bin: `[map ...]` asked for a map file (parts of all the directives; the last file name given). */
  map?: { parts: MapPart[]; file: string | undefined };
  /**
   * With `options.recordPositions`: where each statement left the assembly (the section it ended in, or
   * undefined in absolute space, and the offset there), from the last pass.
   */
  positions?: Array<{ section: string | undefined; offset: bigint }>;
  /** With `options.debugInfo`: what the debug sections are built from (see `debug-info.ts`), last pass. */
  debug?: LayoutDebug;
  /** `%pragma output gprefix _` and the like for this format: the first of each kind (nasm's rule). */
  affixes: Partial<Record<SymbolAffix, string>>;
}

export interface LayoutDebug {
  /** Every statement that produced output, in order. */
  lines: DebugLine[];
  /**
   * The object size nasm's debug back ends give a symbol: the first data or reservation statement after a
   * symbol definition types the symbol defined last (the writer applies it to locals in sections only).
   */
  objectSizes: Map<SymbolEntry, number>;
}

export interface LayoutOptions {
  format: OutputFormat;
  /** `--bits N`: the mode before the first `bits` directive (default: the format's). */
  bits?: Bits;
  readFile?: (path: string) => Uint8Array | undefined;
  includePaths: string[];
  listing: boolean;
  fileName: string;
  onDependency: (path: string) => void;
  /** nasm's `-O0` / `-O1`; absent for `-Ox`. */
  optimization?: 'O0' | 'O1';
  /** Record `positions` (for preprocessor conditions on `$`, which need the layout of an earlier round). */
  recordPositions?: boolean;
  /** `-g`: collect `LayoutResult.debug`. */
  debugInfo?: boolean;
}

/** A guard against sources whose sizes never settle; real programs need a handful of full passes. */
const MAX_PASSES = 1000;

/** nasm's known ELF sections (elf_known_sections): type, flags and alignment (-1: the pointer size). */
const ELF_SECTION_DEFAULTS: Record<string, Partial<Section> & { align: number }> = {
  '.text': { alloc: true, exec: true, align: 16 },
  '.data': { alloc: true, write: true, align: 4 },
  '.rodata': { alloc: true, align: 4 },
  '.bss': { nobits: true, alloc: true, write: true, align: 4 },
  '.tdata': { alloc: true, write: true, tls: true, align: 4 },
  '.tbss': { nobits: true, alloc: true, write: true, tls: true, align: 4 },
  '.comment': { alloc: false, align: 1 },
  '.lrodata': { alloc: true, align: 4 },
  '.ldata': { alloc: true, write: true, align: 4 },
  '.lbss': { nobits: true, alloc: true, write: true, align: 4 },
  '.preinit_array': { elfType: 'preinit_array', alloc: true, align: -1, entsize: -1 },
  '.init_array': { elfType: 'init_array', alloc: true, align: -1, entsize: -1 },
  '.fini_array': { elfType: 'fini_array', alloc: true, align: -1, entsize: -1 },
  '.note': { elfType: 'note', alloc: false, align: 4 },
};

/**
 * Kept on an instruction statement between passes (`Statement.state`), as a number or a shared object rather
 * than an object per instruction (a 200k-line program has as many instructions, alive through every pass):
 * - undefined: not yet seen;
 * - a number >= 0: the bytes are the same in every pass (operands without symbols) and sit in
 *   `Layout.codeCache` at `state / CACHED_SPAN`, `state % CACHED_SPAN` bytes long;
 * - ENCODE: asked of the encoder in every pass;
 * - POSITION_INDEPENDENT: asked of the encoder until its answer can be cached (no fixups, no warnings);
 * - RELAXABLE: a jump whose short/near pair is not known yet (its target was not a label of this section);
 * - JumpTemplates: a relaxable jump's short and near encodings (rel8 / rel32 in the last bytes), asked of the
 *   encoder once and shared by every jump with that mnemonic in that mode: every pass re-decides the size,
 *   and doing that without the encoder is most of what a pass costs.
 */
type InstructionState = number | JumpTemplates | undefined;

const ENCODE = -1;
const POSITION_INDEPENDENT = -2;
const RELAXABLE = -3;
/** An instruction is at most 15 bytes: a cached one's length fits below this in its state number. */
const CACHED_SPAN = 16;

interface JumpTemplates {
  short: Uint8Array;
  near: Uint8Array;
}

type InstructionStatement = Extract<Statement, { kind: 'instruction' }>;

export function layout(program: ParsedProgram, options: LayoutOptions): LayoutResult {
  return new Layout(program, options).run();
}

/**
 * Whether one instruction statement may stand for every line of the same text in a stretch of the program that
 * `changesEncodingContext` does not interrupt: its operands name no symbol (so the parser makes the same
 * statement of each, whatever label came before) and it encodes the same wherever it is, so the bytes the first
 * pass caches in its `state` serve them all. Kernels repeat such lines (`push rbx`, `xor eax, eax`) all the time.
 */
export function isShareableInstruction(st: Statement): boolean {
  if (st.kind !== 'instruction') return false;
  for (const op of st.operands)
    if (!isPositionIndependent(op) || (op.kind === 'mem' && op.scaledRegisters)) return false;
  return true;
}

/** Statement kinds after which a shared instruction is not certain to encode as before. */
const ENCODING_NEUTRAL_KINDS: ReadonlySet<Statement['kind']> = new Set([
  'label',
  'instruction',
  'data',
  'reserve',
  'equ',
  'times',
  'align',
  'global',
  'extern',
  'common',
]);

/**
 * A statement that may change how the same instruction encodes after it (`bits`, `default rel`, `cpu`, a section
 * or the absolute space): a shared instruction must not serve lines on both sides of it.
 */
export function changesEncodingContext(st: Statement): boolean {
  return !ENCODING_NEUTRAL_KINDS.has(st.kind);
}

class Layout implements EvalHost {
  private readonly sections: Section[] = [];
  private readonly sectionsByName = new Map<string, Section>();
  private readonly symbols = new Map<string, SymbolEntry>();
  private readonly refs = new Map<SymbolRef, Section | SymbolEntry>();
  private nextRef = 1;
  private pass = 0;
  private order = 0;
  private changed = false;

  // per-pass state
  private current!: Section | undefined;
  private lastRealSection!: Section;
  private absoluteAddress = 0n;
  /** After `absolute` with a section address: the section whose offsets `absoluteAddress` counts. */
  private absoluteSection: Section | undefined;
  /** Section offset of the current line's start, or -1 in absolute space (then `absoluteAtLineStart`). */
  private lineStartOffset = 0;
  private absoluteAtLineStart = 0n;
  private bits: Bits = 64;
  private defaultRel = false;
  private errors: LayoutResult['errors'] = [];
  private positions: LayoutResult['positions'];
  private warnings: LayoutResult['warnings'] = [];
  private listing: ListingRecord[] = [];
  /** The statement being executed; its origin is made only when something records it. */
  private statementIndex = -1;
  private statementOrigin: LineOrigin | undefined;
  private lineIndex = 0;

  private get origin(): LineOrigin {
    return (this.statementOrigin ??= this.program.origins.at(this.statementIndex)!);
  }
  private org: bigint | undefined;
  /** bin: some value depended on where sections are placed, so a placement change needs another pass. */
  private usesPlacement = false;
  /**
   * bin: what section placement added to the value being evaluated (section starts, `vstart` differences),
   * and whether a label was subtracted across sections: nasm's listing shows a data field as it was before
   * placement, every section at 0, in `(...)` when it is such a difference.
   */
  private placementShift = 0n;
  private placementRelative = false;
  private readonly affixes: Partial<Record<SymbolAffix, string>> = {};
  private map: LayoutResult['map'];
  /** Values `placed` made from a difference across sections (allowed as immediates and data, not addresses). */
  private readonly placedDifferences = new WeakSet<Value>();
  /** `absolute label`: the section the absolute space's addresses are relative to. */
  private absoluteBase: Section | undefined;
  /** An expression being evaluated read a label, `$` or a positional equ. */
  private touchedPosition = false;
  /** The current statement's size may depend on where labels are (an absolute value computed from them). */
  private sizeDependsOnPosition = false;
  private strucStack: Array<{ name: string; previous: Section | undefined; previousAbsolute: bigint }> = [];
  private istruc: { name: string; start: bigint } | undefined;
  private undefinedRefs: Array<{ name: string; origin: LineOrigin; col: number }> = [];
  private model: RelaxModel | undefined;
  private fastPasses = 0;
  /** Runs of instructions whose bytes are cached (see `CachedRuns`), found after the first pass. */
  private runs: CachedRuns | undefined;
  private runsBuilder: CachedRunsBuilder | undefined;
  private readonly incbinCache = new Map<string, Uint8Array | undefined>();
  /** Bytes of instructions that encode the same in every pass (see `InstructionState`). */
  private codeCache = new Uint8Array(1 << 16);
  private codeCacheSize = 0;
  private debug: LayoutDebug | undefined;
  /** The symbol defined last in this pass (the one a following data statement gives a debug type)... */
  private lastSymbol: SymbolEntry | undefined;
  /** ...unless an extern declared since is used somewhere (known only at the end of the pass). */
  private externsSinceLastSymbol: SymbolEntry[] = [];
  private debugTypings: Array<{ symbol: SymbolEntry; externs: SymbolEntry[]; size: number }> = [];
  /** `jumpTemplates` by mode and mnemonic (null: no short/near pair). */
  private readonly jumpTemplateCache = new Map<string, JumpTemplates | null>();
  /** Operands of plain registers, shared by every instruction and pass (the encoder only reads them). */
  private readonly registerOperands = new Map<string, Operand>();

  constructor(
    private readonly program: ParsedProgram,
    private readonly options: LayoutOptions,
  ) {}

  run(): LayoutResult {
    let fastDone = false;
    for (this.pass = 1; this.pass <= MAX_PASSES; this.pass++) {
      // the model replays -Ox's passes; at -O0/-O1 jump sizes come from full passes (nasm re-decides them in
      // every pass at -O0 too, shrinking as well as growing: checked against nasm -O0)
      this.model = this.pass === 2 && !fastDone && !this.options.optimization ? new RelaxModel() : undefined;
      this.runPass();
      if (!this.changed) break;
      if (this.pass === 1) this.runs = this.runsBuilder?.finish(this.program.statements.length);
      this.runsBuilder = undefined;
      if (this.model && this.model.valid) {
        // settle jump sizes on the compact model instead of repeating full passes (see RelaxModel)
        this.fastPasses += this.model.settle();
        fastDone = true;
      }
      this.model = undefined;
    }
    if (this.pass > MAX_PASSES) {
      this.pass = MAX_PASSES;
      const last = this.program.origins.at(this.program.origins.length - 1);
      if (last)
        this.errors.push({
          origin: last,
          col: -1,
          message: `symbol values did not settle after ${MAX_PASSES} passes`,
        });
    }
    for (const u of this.undefinedRefs) {
      const sym = this.symbols.get(u.name);
      if (!sym || sym.kind === 'declared')
        this.errors.push({
          origin: u.origin,
          col: u.col,
          message: `symbol \`${u.name}' not defined`,
          lastPass: true,
        });
    }
    return {
      sections: this.orderedSections(),
      symbols: this.symbols,
      refs: this.refs,
      errors: this.errors,
      warnings: this.warnings,
      listing: this.listing,
      passes: this.pass + this.fastPasses,
      org: this.org ?? 0n,
      affixes: this.affixes,
      ...(this.map ? { map: this.map } : {}),
      ...(this.positions ? { positions: this.positions } : {}),
      ...(this.debug ? { debug: this.debug } : {}),
    };
  }

  private orderedSections(): Section[] {
    const explicit = this.sections.filter((s) => s.explicit);
    const implicit = this.sections.filter((s) => !s.explicit && (s.size > 0 || this.hasSymbolsIn(s)));
    return [...explicit, ...implicit];
  }

  private hasSymbolsIn(section: Section): boolean {
    for (const s of this.symbols.values()) if (s.section === section) return true;
    return false;
  }

  private runPass(): void {
    this.changed = false;
    this.errors = [];
    this.warnings = [];
    this.listing = [];
    this.undefinedRefs = [];
    this.order = 0;
    this.strucStack = [];
    this.istruc = undefined;
    this.absoluteBase = undefined;
    this.org = undefined;
    for (const s of this.sections) {
      s.size = 0;
      s.relocations = [];
    }
    this.bits = this.options.bits ?? defaultBits(this.options.format);
    this.defaultRel = false;
    this.current = this.section('.text', undefined, false);
    this.lastRealSection = this.current;
    const { statements, origins, lines } = this.program;
    let positions: NonNullable<LayoutResult['positions']> | undefined;
    if (this.options.recordPositions) this.positions = positions = [];
    const debug: LayoutDebug | undefined = this.options.debugInfo
      ? { lines: [], objectSizes: new Map() }
      : undefined;
    this.debug = debug;
    this.lastSymbol = undefined;
    this.externsSinceLastSymbol = [];
    this.debugTypings = [];
    const runs = this.runs;
    // the runs are found while the first pass caches (a later scan would visit every statement once more)
    const builder =
      this.pass === 1 && !this.options.listing && !this.options.debugInfo && !this.options.recordPositions
        ? new CachedRunsBuilder(statements.length)
        : undefined;
    this.runsBuilder = builder;
    for (let i = 0; i < statements.length; i++) {
      if (runs !== undefined && runs.end[i]! !== 0 && this.emitRun(runs, i)) {
        i = runs.end[i]! - 1;
        continue;
      }
      const statement = statements[i]!;
      this.statementIndex = i;
      this.statementOrigin = undefined;
      this.lineIndex = lines[i]!;
      const section: Section | undefined = this.current;
      this.lineStartOffset = section ? section.size : -1;
      if (!section) this.absoluteAtLineStart = this.absoluteAddress;
      try {
        if (this.model) this.recordStatement(statement);
        else this.execute(statement);
        if (
          debug &&
          this.current === section &&
          (section ? section.size > this.lineStartOffset : this.absoluteAddress > this.absoluteAtLineStart)
        )
          debug.lines.push({ origin: this.origin, section, offset: section ? this.lineStartOffset : 0 });
      } catch (e) {
        // an exception that is not a LineError is a bug; report it on the line rather than crash the caller
        if (e instanceof LineError)
          this.errors.push(
            e.lastPass
              ? { origin: this.origin, col: e.col, message: e.message, lastPass: true }
              : { origin: this.origin, col: e.col, message: e.message, ...(e.note ? { note: e.note } : {}) },
          );
        else
          this.errors.push({
            origin: this.origin,
            col: -1,
            message: `internal assembler error: ${(e as Error).message ?? String(e)}`,
          });
      }
      builder?.note(i, statement);
      positions?.push(
        this.current
          ? { section: this.current.name, offset: BigInt(this.current.size) }
          : { section: this.absoluteSection?.name, offset: this.absoluteAddress },
      );
    }
    if (this.strucStack.length > 0) {
      const last = origins.at(origins.length - 1);
      if (last)
        this.errors.push({
          origin: last,
          col: -1,
          message: `\`struc ${this.strucStack[0]!.name}' without \`endstruc'`,
        });
    }
    if (this.options.format === 'bin') this.placeBinSections();
    if (this.pass === 1 && this.undefinedRefs.length > 0) this.changed = true;
    if (debug)
      for (const t of this.debugTypings)
        if (!t.externs.some((e) => e.used) && !debug.objectSizes.has(t.symbol))
          debug.objectSizes.set(t.symbol, t.size);
  }

  /** Executes a statement and adds what it did to the relaxation model (second pass only). */
  private recordStatement(st: Statement): void {
    const model = this.model!;
    const section = this.current;
    const before = section ? section.size : 0;
    this.sizeDependsOnPosition = false;
    this.execute(st);
    if (!model.valid) return;
    if (!section || this.current !== section) {
      // absolute space and section switches: nothing to lay out
      if (st.kind === 'label' && !section) return;
      if (section && this.current !== section && section.size !== before) model.valid = false;
      return;
    }
    const delta = section.size - before;
    const index = section.order;
    if (st.kind === 'label') {
      const sym = this.symbols.get(st.name)!;
      model.label(index, sym);
      return;
    }
    if (st.kind === 'instruction' && st.relax) {
      const target = st.operands[0]!;
      if (target.kind === 'imm' && target.expr.k === 'sym') {
        const sym = this.symbols.get(target.expr.name);
        if (sym && sym.kind === 'label' && sym.section === section) {
          const sizes = this.jumpSizes(st, before);
          if (sizes && (delta === sizes.short || delta === sizes.near)) {
            model.jump(index, sym, sizes.short, sizes.near);
            return;
          }
          model.valid = false;
          return;
        }
      }
    }
    if (st.kind === 'align') {
      const fill = alignFillSize(st.fill);
      if (fill === undefined) {
        model.valid = false;
        return;
      }
      model.align(index, Number(this.critical(st.boundary, 'alignment')), fill);
      return;
    }
    // a count that depends on `$` changes with every jump before it: not something the model simulates
    if (st.kind === 'times' && mentionsHere(st.count)) {
      model.valid = false;
      return;
    }
    // nor an immediate or displacement computed from labels (`add eax, b - a`): its size follows nasm's passes
    if ((st.kind === 'instruction' || st.kind === 'times') && this.sizeDependsOnPosition) {
      model.valid = false;
      return;
    }
    // everything else keeps its second-pass size; the full pass after settling checks that it did
    model.fixed(index, delta);
  }

  private jumpSizes(st: InstructionStatement, at: number): { short: number; near: number } | undefined {
    const templates = st.state as InstructionState;
    if (typeof templates === 'object') return { short: templates.short.length, near: templates.near.length };
    const address: Value = { offset: BigInt(at), symbol: this.current!.ref };
    const sizeFor = (distance: 'short' | 'near'): number | undefined => {
      const operands: Operand[] = [{ kind: 'imm', value: address, distance }];
      const r = encodeInstruction({
        mnemonic: st.mnemonic,
        prefixes: st.prefixes,
        operands,
        bits: this.bits,
        address,
      });
      return r.ok ? r.bytes.length : undefined;
    };
    const short = sizeFor('short');
    const near = sizeFor('near');
    return short !== undefined && near !== undefined ? { short, near } : undefined;
  }

  // ------------------------------------------------------------------ sections

  private section(
    name: string,
    declared: { elf: SectionAttributes; bin: SectionAttributes } | undefined,
    explicit: boolean,
  ): Section {
    const bin = this.options.format === 'bin';
    const attributes = declared && (bin ? declared.bin : declared.elf);
    if (attributes?.error) throw new LineError(attributes.error.message, attributes.error.col);
    for (const message of attributes?.ignored ?? []) this.warn(message, -1);
    let s = this.sectionsByName.get(name);
    if (!s) {
      s = bin
        ? this.newSection(name, binDefaults(name), explicit)
        : this.newElfSection(name, attributes, explicit);
      this.sections.push(s);
      this.sectionsByName.set(name, s);
      this.refs.set(s.ref, s);
    } else if (attributes && !bin) this.redeclareElfSection(s, attributes);
    if (explicit && !s.explicit) {
      s.explicit = true;
      // nasm orders sections by their first `section` directive
      const at = this.sections.indexOf(s);
      this.sections.splice(at, 1);
      const firstImplicit = this.sections.findIndex((x) => !x.explicit);
      this.sections.splice(firstImplicit < 0 ? this.sections.length : firstImplicit, 0, s);
    }
    if (attributes?.merge && s.entsize === 0) {
      if (!s.strings)
        throw new LineError("section attribute merge specified without an entry size or `strings'", 0);
      s.entsize = 1;
    }
    if (bin && attributes && this.pass === 1) {
      // nasm's bin format applies every declaration's attributes
      if (attributes.follows === name || attributes.vfollows === name)
        throw new LineError(`section ${name} is self following`, 0);
      // a section's type is fixed by its first declaration (.text, .data and .bss are born with theirs)
      const fixed =
        s.attributes.type ?? (BIN_TYPED_SECTIONS.has(name) ? (s.nobits ? 'nobits' : 'progbits') : undefined);
      const type = attributes.type ?? fixed ?? 'progbits';
      if (fixed && type !== fixed)
        throw new LineError(`attempt to change section type from ${fixed} to ${type}`, 0);
      s.nobits = type === 'nobits';
      if (attributes.align !== undefined) s.align = attributes.align;
      s.attributes = { ...s.attributes, ...attributes, type };
    }
    return s;
  }

  private newSection(name: string, defaults: Partial<Section>, explicit: boolean): Section {
    return {
      name,
      ref: this.nextRef++,
      nobits: defaults.nobits ?? false,
      alloc: defaults.alloc ?? true,
      exec: defaults.exec ?? false,
      write: defaults.write ?? false,
      tls: defaults.tls ?? false,
      merge: defaults.merge ?? false,
      strings: defaults.strings ?? false,
      entsize: defaults.entsize ?? 0,
      ...(defaults.elfType ? { elfType: defaults.elfType } : {}),
      align: defaults.align ?? 1,
      explicit,
      order: this.sections.length,
      size: 0,
      buffer: new Uint8Array(0),
      relocations: [],
      start: 0n,
      vstart: 0n,
      attributes: {},
    };
  }

  /** The format's pointer size, which nasm's `pointer` size word and the init arrays' defaults mean. */
  private elfBytes(units: number): number {
    return units >= 0 ? units : -units * (this.options.format === 'elf64' ? 8 : 4);
  }

  /**
   * nasm's elf_section_names: a new section takes the known section's defaults, changed by the attributes;
   * once attributes are written, the alignment is theirs (1 unless `align=` or a size word says more).
   */
  private newElfSection(name: string, attributes: SectionAttributes | undefined, explicit: boolean): Section {
    const known = ELF_SECTION_DEFAULTS[name] ?? { alloc: true, align: 1 };
    const a = attributes ?? {};
    const type = a.type ?? (known.nobits ? 'nobits' : (known.elfType ?? 'progbits'));
    const array = a.type === 'preinit_array' || a.type === 'init_array' || a.type === 'fini_array';
    const unitAlign = a.unitAlign ?? (array ? -1 : 0);
    const align = a.given ? a.align || this.elfBytes(unitAlign) || 1 : this.elfBytes(known.align);
    const entsize = this.elfBytes(a.entsize ?? (array ? -1 : 0)) || this.elfBytes(known.entsize ?? 0);
    const s = this.newSection(
      name,
      {
        nobits: type === 'nobits',
        ...(type !== 'progbits' && type !== 'nobits' ? { elfType: type } : {}),
        alloc: a.alloc ?? known.alloc ?? true,
        exec: a.exec ?? known.exec ?? false,
        write: a.write ?? known.write ?? false,
        tls: a.tls ?? known.tls ?? false,
        merge: a.merge ?? false,
        strings: a.strings ?? false,
        entsize,
        align,
      },
      explicit,
    );
    return s;
  }

  /** A second `section` line for an ELF section: nasm keeps its type and flags (warning when they differ),
   *  raises its alignment and sets an entry size it lacks. */
  private redeclareElfSection(s: Section, a: SectionAttributes): void {
    const type = s.nobits ? 'nobits' : (s.elfType ?? 'progbits');
    const flags: Array<[boolean | undefined, boolean]> = [
      [a.alloc, s.alloc],
      [a.exec, s.exec],
      [a.write, s.write],
      [a.tls, s.tls],
      [a.merge, s.merge],
      [a.strings, s.strings],
    ];
    const entsize = this.elfBytes(a.entsize ?? 0);
    if (
      (a.type !== undefined && a.type !== type) ||
      flags.some(([wanted, has]) => wanted !== undefined && wanted !== has) ||
      (entsize && s.entsize && entsize !== s.entsize)
    )
      this.warn(`incompatible section attributes ignored on redeclaration of section \`${s.name}'`, -1);
    const align = a.given ? a.align || this.elfBytes(a.unitAlign ?? 0) || 1 : 0;
    if (align > s.align) s.align = align;
    if (entsize && !s.entsize) s.entsize = entsize;
  }

  /**
   * Flat binary placement like nasm's: `.text` first at `org`, then the other progbits sections in order (each
   * aligned, or at `start=`, or after `follows=`), then nobits sections; `vstart=`/`vfollows=` give a section
   * addresses that differ from its place in the file.
   */
  private placeBinSections(): void {
    const ordered = this.orderedSections();
    const org = this.org ?? 0n;
    const text = this.sectionsByName.get('.text');
    const progbits = ordered.filter((s) => !s.nobits);
    const nobits = ordered.filter((s) => s.nobits);
    if (text && progbits.includes(text)) {
      progbits.splice(progbits.indexOf(text), 1);
      progbits.unshift(text);
    }
    let address = org;
    const placed = new Set<Section>();
    const before = this.usesPlacement ? ordered.map((s) => [s.start, s.vstart]) : [];
    for (const s of [...progbits, ...nobits]) {
      const attributes = s.attributes;
      let start: bigint;
      if (attributes.start) start = this.evaluateBinStart(attributes.start);
      else if (attributes.follows) {
        const after = this.sectionsByName.get(attributes.follows);
        start =
          after && placed.has(after)
            ? alignUp(after.start + BigInt(after.size), BigInt(s.align))
            : alignUp(address, BigInt(s.align));
      } else if (s === progbits[0]) start = org;
      else start = alignUp(address, BigInt(s.align));
      s.start = start;
      if (attributes.vstart) s.vstart = this.evaluateBinStart(attributes.vstart);
      else if (attributes.vfollows) {
        const after = this.sectionsByName.get(attributes.vfollows);
        s.vstart = after ? alignUp(after.vstart + BigInt(after.size), BigInt(s.align)) : start;
      } else s.vstart = start;
      // nasm places a nobits section given a virtual address at that address
      if (s.nobits && (attributes.vstart || attributes.vfollows)) s.start = s.vstart;
      placed.add(s);
      if (start + BigInt(s.size) > address) address = start + BigInt(s.size);
    }
    if (this.usesPlacement && ordered.some((s, i) => s.start !== before[i]![0] || s.vstart !== before[i]![1]))
      this.changed = true;
  }

  private evaluateBinStart(e: Expr): bigint {
    try {
      const v = evaluate(e, this);
      return v.offset;
    } catch {
      return 0n;
    }
  }

  // ------------------------------------------------------------------ EvalHost

  /** `$`: the start of the current line (all repetitions of a `times` line share it, as in nasm). */
  here(): Value {
    this.touchedPosition = true;
    if (!this.current || this.lineStartOffset < 0) {
      const offset = this.lineStartOffset < 0 ? this.absoluteAtLineStart : this.absoluteAddress;
      return this.absoluteBase ? { offset, symbol: this.absoluteBase.ref } : { offset };
    }
    const s = this.current;
    const at = BigInt(this.lineStartOffset);
    return { offset: at, symbol: s.ref };
  }

  /** Address of the next byte: what the encoder needs for relative branches. */
  private position(): Value {
    if (!this.current) return { offset: this.absoluteAddress };
    const s = this.current;
    return { offset: BigInt(s.size), symbol: s.ref };
  }

  warn(message: string, col: number): void {
    this.warnings.push({ origin: this.origin, col, message, name: 'other' });
  }

  base(): Value {
    if (!this.current) return { offset: this.istruc ? 0n : 0n };
    const s = this.current;
    return { offset: 0n, symbol: s.ref };
  }

  symbol(name: string, col: number): Value {
    const sym = this.symbols.get(name);
    if (!sym && this.options.format === 'bin' && name.startsWith('section.')) {
      const placement = this.sectionPlacement(name);
      if (placement) return placement;
    }
    if (!sym || (sym.kind === 'declared' && sym.definedPass === 0)) {
      if (name.startsWith('..') && !name.startsWith('..@'))
        throw new LineError(`\`${name}' is not supported here`, col);
      this.undefinedRefs.push({ name, origin: this.origin, col });
      return { offset: 0n, unknown: true };
    }
    if (sym.kind === 'extern' || sym.kind === 'common') {
      if (this.options.format === 'bin')
        throw new LineError(`binary output format does not support external references (\`${name}')`, col);
      sym.used = true;
      return { offset: 0n, symbol: sym.ref! };
    }
    if (sym.definedPass === 0) {
      this.undefinedRefs.push({ name, origin: this.origin, col });
      return { offset: 0n, unknown: true };
    }
    return this.symbolValue(sym);
  }

  /**
   * bin: `section.NAME.start` / `section.NAME.vstart`, the section's address in the file's address space or
   * its labels' base (from the previous pass's placement), kept relocatable as nasm keeps them.
   */
  private sectionPlacement(name: string): Value | undefined {
    const match = /^section\.(.+)\.(start|vstart)$/.exec(name);
    const section = match ? this.sectionsByName.get(match[1]!) : undefined;
    if (!section) return undefined;
    this.usesPlacement = true;
    const offset = match![2] === 'start' ? section.start : section.vstart;
    this.placementShift += offset;
    return { offset, symbol: ABSOLUTE_SYMBOL };
  }

  /**
   * bin: a difference of labels in different sections (`data_end - $$`) is a number once sections are placed;
   * nasm keeps it relocatable while choosing sizes, so it stays relative to ABSOLUTE_SYMBOL.
   */
  /** Evaluates `e`, noting when an absolute result came from label positions (see `sizeDependsOnPosition`). */
  private positionTracked(e: Expr): EvalValue {
    const outer = this.touchedPosition;
    this.touchedPosition = false;
    const v = this.placed(evaluate(e, this));
    if (this.touchedPosition && !v.unknown && (v.symbol === undefined || v.symbol === ABSOLUTE_SYMBOL))
      this.sizeDependsOnPosition = true;
    this.touchedPosition ||= outer;
    return v;
  }

  private placed(v: EvalValue): EvalValue {
    if (this.options.format !== 'bin' || v.pcBase === undefined || v.symbol === undefined) return v;
    // as nasm: only a label of the current section may be subtracted (`data_end - $$`, not `y - x` elsewhere)
    if (!this.current || v.pcBase !== this.current.ref) return v;
    const a = this.refs.get(v.symbol);
    const b = this.refs.get(v.pcBase);
    if (!a || !b || !('vstart' in a) || !('vstart' in b)) return v;
    this.usesPlacement = true;
    this.placementShift += a.vstart - b.vstart;
    this.placementRelative = true;
    const placed: EvalValue = { offset: v.offset + a.vstart - b.vstart, symbol: ABSOLUTE_SYMBOL };
    this.placedDifferences.add(placed);
    return placed;
  }

  /** bin: `n - label` is a number once sections are placed; like `placed`, nasm keeps it relocatable meanwhile. */
  subtracted(v: EvalValue): EvalValue | undefined {
    if (!v.minus) return undefined;
    // ELF: `n - label` with the label in this section is nasm's reference to the absolute address n relative
    // to here (`dd 5-x` stores 5-x plus the field's offset, PC-relative: R_386_PC32 without a symbol)
    if (this.options.format !== 'bin')
      return this.options.format.startsWith('elf') && this.current && v.minus.symbol === this.current.ref
        ? { offset: v.offset, symbol: ABSOLUTE_SYMBOL, pcBase: this.current.ref }
        : undefined;
    const s = this.refs.get(v.minus.symbol);
    if (!s || !('vstart' in s)) return undefined;
    this.usesPlacement = true;
    this.placementShift -= s.vstart;
    this.placementRelative = true;
    return { offset: v.offset - s.vstart, symbol: ABSOLUTE_SYMBOL };
  }

  private symbolValue(sym: SymbolEntry): Value {
    if (sym.kind === 'label' || sym.positional) this.touchedPosition = true;
    if (sym.kind === 'equ') return sym.value!;
    const s = sym.section;
    if (!s) return { offset: sym.offset };
    return { offset: sym.offset, symbol: s.ref };
  }

  // ------------------------------------------------------------------ symbols

  private defineLabel(name: string, col: number): void {
    if (name.startsWith('..') && !name.startsWith('..@'))
      throw new LineError(`label \`${name}' uses a reserved name`, col);
    let sym = this.symbols.get(name);
    if (!sym) {
      sym = { name, kind: 'label', offset: 0n, definedPass: 0, order: 0 };
      this.symbols.set(name, sym);
    } else if (sym.kind === 'common' || sym.externThenGlobal) {
      throw redefinition(sym, `label \`${name}' inconsistently redefined`, col);
    } else if (sym.kind === 'extern' && this.pass === 1) {
      // nasm 2.16: a symbol declared `extern` and then defined in this file is a global definition
      sym.global ??= { name, col };
      sym.globalOrigin ??= this.origin;
      sym.definedPass = 0;
    } else if (sym.kind === 'extern') {
      throw new LineError(`symbol \`${name}' declared extern is also defined here`, col);
    }
    const section = this.current ?? this.absoluteBase;
    const offset = this.current ? BigInt(this.current.size) : this.absoluteAddress;
    if (sym.definedPass === this.pass) {
      // nasm accepts a label defined again at the very same place
      if (sym.kind === 'label' && sym.section === section && sym.offset === offset) return;
      throw redefinition(sym, `label \`${name}' inconsistently redefined`, col);
    }
    if (
      sym.definedPass === 0
        ? this.pass > 1
        : sym.kind !== 'label' || sym.section !== section || sym.offset !== offset
    )
      this.changed = true;
    sym.kind = 'label';
    sym.section = section;
    sym.offset = offset;
    sym.definedPass = this.pass;
    sym.order = this.order++;
    sym.origin = this.origin;
    this.noteSymbolDefined(sym);
  }

  private defineEqu(name: string, value: Value, col: number): void {
    let sym = this.symbols.get(name);
    if (!sym) {
      sym = { name, kind: 'equ', offset: 0n, definedPass: 0, order: 0 };
      this.symbols.set(name, sym);
    } else if (sym.kind === 'common' || sym.externThenGlobal) {
      throw redefinition(sym, `label \`${name}' inconsistently redefined`, col);
    } else if (sym.kind === 'extern' && this.pass === 1) {
      // as for a label: `extern x` then `x equ 5` defines a global absolute symbol
      sym.global ??= { name, col };
      sym.globalOrigin ??= this.origin;
      sym.kind = 'equ';
      sym.definedPass = 0;
    } else if (sym.kind === 'extern')
      throw new LineError(`symbol \`${name}' declared extern is also defined here`, col);
    const old = sym.value;
    if (sym.definedPass === this.pass) {
      // nasm accepts an `equ` repeated with the same value (headers included twice, shared constants)
      if (
        sym.kind === 'equ' &&
        old &&
        !value.unknown &&
        !old.unknown &&
        old.offset === value.offset &&
        old.symbol === value.symbol
      )
        return;
      throw redefinition(sym, `label \`${name}' inconsistently redefined`, col);
    }
    if (
      !value.unknown &&
      (sym.definedPass === 0
        ? this.pass > 1
        : !old ||
          old.offset !== value.offset ||
          old.symbol !== value.symbol ||
          old.unknown !== value.unknown ||
          sym.kind !== 'equ')
    )
      this.changed = true;
    sym.kind = 'equ';
    sym.section = undefined;
    sym.value = value;
    sym.offset = value.offset;
    sym.definedPass = this.pass;
    sym.order = this.order++;
    sym.origin = this.origin;
    this.noteSymbolDefined(sym);
  }

  // ------------------------------------------------------------------ statements

  private execute(st: Statement): void {
    switch (st.kind) {
      case 'label':
        this.defineLabel(st.name, st.col);
        return;
      case 'instruction':
        // nasm assembles a prefix alone on its line (`rep`) as a byte of data, typed as one for -g
        if (this.debug && st.operands.length === 0 && isPrefix(st.mnemonic))
          this.noteDebugType(dataTypeCode([{ unit: 1, float: false }]));
        this.instruction(st);
        return;
      case 'data':
        this.data(st);
        return;
      case 'reserve': {
        this.noteDebugType(reserveTypeCode(st.unit));
        const count = this.critical(st.count, 'reservation count');
        if (count < 0n) throw new LineError(`\`res' count is negative (${count})`, st.col);
        this.reserve(Number(count) * st.unit, st.col);
        return;
      }
      case 'equ': {
        const outer = this.touchedPosition;
        this.touchedPosition = false;
        const v = evaluate(st.expr, this);
        const positional = this.touchedPosition;
        this.touchedPosition = outer || positional;
        if (v.wrt) throw new LineError("`wrt' is not allowed in `equ'", st.col);
        if (v.pcBase !== undefined)
          throw new LineError("`equ' cannot hold a difference of labels in different sections", st.col);
        this.defineEqu(st.name, v, st.col);
        this.symbols.get(st.name)!.positional = positional;
        return;
      }
      case 'times':
        this.times(st);
        return;
      case 'section': {
        const s = this.section(st.name, st.attributes, true);
        this.current = s;
        this.lastRealSection = s;
        return;
      }
      case 'absolute': {
        // `absolute label + 7`: the space continues from a place in a section, its labels relative to it
        const v = this.positionTracked(st.address);
        const base = v.symbol !== undefined && !v.unknown ? this.refs.get(v.symbol) : undefined;
        if (v.symbol !== undefined && !v.unknown && !(base && 'buffer' in base))
          throw new LineError(
            'absolute address must be a constant or a place in a section',
            exprColumn(st.address),
          );
        this.current = undefined;
        this.absoluteBase = base && 'buffer' in base ? base : undefined;
        this.absoluteAddress = v.unknown ? 0n : v.offset;
        return;
      }
      case 'bits':
        this.bits = st.bits;
        return;
      case 'default':
        this.defaultRel = st.rel;
        return;
      case 'org': {
        if (this.options.format !== 'bin')
          throw new LineError("`org' is only supported in flat binary output (-f bin)", st.col);
        const v = evaluate(st.address, this);
        if (v.unknown) return;
        if (this.org !== undefined && this.org !== v.offset)
          throw new LineError('program origin redefined', st.col);
        this.org = v.offset;
        return;
      }
      case 'align':
        this.align(st);
        return;
      case 'sectalign': {
        if (!st.boundary || !this.current) return;
        const v = this.critical(st.boundary, 'alignment');
        this.raiseAlign(Number(v), st.col);
        return;
      }
      case 'global':
        for (const decl of st.names) this.declareGlobal(decl);
        return;
      case 'extern':
        for (const decl of st.names) this.declareExtern(decl);
        return;
      case 'common':
        this.declareCommon(st);
        return;
      case 'incbin':
        this.incbin(st);
        return;
      case 'struc': {
        const base = st.base ? this.critical(st.base, 'struc base') : 0n;
        this.strucStack.push({
          name: st.name,
          previous: this.current,
          previousAbsolute: this.absoluteAddress,
        });
        this.current = undefined;
        this.absoluteBase = undefined;
        this.absoluteAddress = base;
        this.defineLabel(st.name, st.col);
        return;
      }
      case 'endstruc': {
        const open = this.strucStack.pop();
        if (!open) throw new LineError("`endstruc' without `struc'", st.col);
        const start = this.symbols.get(open.name)!;
        this.defineEqu(`${open.name}_size`, { offset: this.absoluteAddress - start.offset }, st.col);
        // nasm's endstruc ends with `__?SECT?__`, an explicit `section` directive for the last section
        this.current = this.section(this.lastRealSection.name, undefined, true);
        return;
      }
      case 'istruc': {
        this.defineLabel(st.contextLabel, st.col);
        this.istruc = { name: st.name, start: this.positionNumber() };
        return;
      }
      case 'at': {
        if (!this.istruc) throw new LineError("`at' outside `istruc'", st.col);
        // like nasm's `times (field - name) - ($ - start)`: a structure declared with a base (`struc s, -40`)
        // has its fields relative to that base
        const field = this.critical(st.field, 'field offset');
        const base = this.critical({ k: 'sym', name: this.istruc.name, col: st.col }, 'structure base');
        const pad = field - base - (this.positionNumber() - this.istruc.start);
        if (pad < 0n)
          throw new LineError("`at': field is before the current position (fields out of order?)", st.col);
        // nasm's `at` macro pads with `times N db 0`, a data statement
        if (pad > 0n) this.noteDebugType(dataTypeCode([{ unit: 1, float: false }]));
        this.emitZeros(Number(pad));
        if (st.body) this.execute(st.body);
        return;
      }
      case 'iend': {
        if (!this.istruc) throw new LineError("`iend' without `istruc'", st.col);
        const size = this.symbol(`${this.istruc.name}_size`, st.col);
        if (!size.unknown) {
          const pad = size.offset - (this.positionNumber() - this.istruc.start);
          if (pad < 0n) throw new LineError("`iend': structure data is larger than the structure", st.col);
          if (pad > 0n) this.noteDebugType(dataTypeCode([{ unit: 1, float: false }]));
          this.emitZeros(Number(pad));
        }
        this.istruc = undefined;
        return;
      }
      case 'map':
        if (this.options.format === 'bin' && this.pass === 1)
          this.map = { parts: [...(this.map?.parts ?? []), ...st.parts], file: st.file ?? this.map?.file };
        return;
      case 'affix':
        // the namespaces of this format: `output`, its name (`elf64`) and its family (`elf`)
        if (
          (st.namespace === 'output' ||
            st.namespace === this.options.format ||
            (st.namespace === 'elf' && this.options.format.startsWith('elf'))) &&
          this.affixes[st.which] === undefined
        )
          this.affixes[st.which] = st.text;
        return;
      case 'nothing':
        return;
    }
  }

  /** nasm's debug typing: a data statement gives the last symbol defined, if it has none yet, its size. */
  private noteDebugType(typeCode: number): void {
    if (!this.debug || !this.lastSymbol) return;
    const size = objectSizeOf(typeCode);
    if (size === undefined) return;
    const externs = this.externsSinceLastSymbol;
    this.debugTypings.push({ symbol: this.lastSymbol, externs: [...externs], size });
  }

  private noteSymbolDefined(sym: SymbolEntry): void {
    this.lastSymbol = sym;
    // a `length` write is a runtime call: only when there is something to drop (rarely, at every label)
    if (this.externsSinceLastSymbol.length > 0) this.externsSinceLastSymbol.length = 0;
  }

  private positionNumber(): bigint {
    return this.current ? BigInt(this.current.size) : this.absoluteAddress;
  }

  /** A value that must be a known number now (counts, alignments): unknown counts as 0 until the last pass. */
  private critical(e: Expr, what: string): bigint {
    const v = this.positionTracked(e);
    if (v.unknown) {
      this.changed = this.changed || this.pass === 1;
      return 0n;
    }
    // as nasm: section placement (`data_end - $$` across sections, `section.X.start`) is not a constant here
    if (v.symbol !== undefined)
      throw new LineError(`${what} must be a constant, not a relocatable value`, exprColumn(e));
    return v.offset;
  }

  private declareGlobal(decl: SymbolDeclaration): void {
    let sym = this.symbols.get(decl.name);
    if (!sym) {
      sym = { name: decl.name, kind: 'declared', offset: 0n, definedPass: 0, order: 0 };
      this.symbols.set(decl.name, sym);
    }
    if (this.options.format === 'bin') {
      if (decl.type) throw new LineError('binary format does not support any special symbol types', decl.col);
      return;
    }
    if (sym.kind === 'common')
      throw new LineError(`symbol \`${decl.name}' declared both as common and global`, decl.col);
    checkSymbolTypes(sym, decl);
    // `extern x` then `global x`: nasm refuses a definition of x after that (see defineLabel)
    if (sym.kind === 'extern' && sym.definedPass === this.pass) sym.externThenGlobal = true;
    sym.global = decl;
    sym.globalOrigin = this.origin;
  }

  private declareExtern(decl: SymbolDeclaration): void {
    if (this.options.format === 'bin') return;
    let sym = this.symbols.get(decl.name);
    if (sym) checkSymbolTypes(sym, decl);
    // an `equ` above the `extern` (in this pass; one from an earlier pass is this extern's own definition)
    if (sym?.kind === 'equ' && sym.definedPass === this.pass)
      throw redefinition(sym, `label \`${decl.name}' inconsistently redefined`, decl.col);
    if (sym && sym.kind !== 'extern' && sym.kind !== 'declared') {
      // nasm accepts `extern` for a symbol this file defines: the definition wins and is global
      if (sym.kind === 'label' || sym.kind === 'equ') {
        sym.global ??= decl;
        sym.globalOrigin ??= this.origin;
      }
      return;
    }
    if (!sym) {
      sym = { name: decl.name, kind: 'extern', offset: 0n, definedPass: 0, order: 0, origin: this.origin };
      this.symbols.set(decl.name, sym);
    }
    sym.kind = 'extern';
    if (sym.ref === undefined) {
      sym.ref = this.nextRef++;
      this.refs.set(sym.ref, sym);
    }
    sym.definedPass = this.pass;
    sym.order = this.order++;
    // `extern x:weak object 4`: the type, binding and size go to the symbol table as a global's do
    if (decl.type || decl.visibility || decl.weak !== undefined || decl.size) {
      sym.global = decl;
      sym.globalOrigin = this.origin;
    }
    if (decl.required) sym.used = true;
    // an extern nothing uses never reaches nasm's symbol table, so whether it is the last symbol defined
    // is known only when the pass is over
    this.externsSinceLastSymbol.push(sym);
  }

  private declareCommon(st: Extract<Statement, { kind: 'common' }>): void {
    if (this.options.format === 'bin')
      throw new LineError('binary format does not support common symbols', st.col);
    let sym = this.symbols.get(st.name);
    if (!sym) {
      sym = { name: st.name, kind: 'common', offset: 0n, definedPass: 0, order: 0, origin: this.origin };
      this.symbols.set(st.name, sym);
    }
    if (sym.kind !== 'common' && sym.kind !== 'declared')
      throw redefinition(sym, `label \`${st.name}' inconsistently redefined`, st.col);
    if (sym.kind === 'declared' && sym.global)
      throw new LineError(`symbol \`${st.name}' declared both as global and common`, st.col);
    sym.kind = 'common';
    if (sym.ref === undefined) {
      sym.ref = this.nextRef++;
      this.refs.set(sym.ref, sym);
    }
    sym.commonSize = this.critical(st.size, 'common size');
    sym.commonAlign = st.align ? this.critical(st.align, 'common alignment') : 0n;
    sym.used = true;
    sym.definedPass = this.pass;
    sym.order = this.order++;
    this.noteSymbolDefined(sym);
  }

  private raiseAlign(boundary: number, col: number): void {
    if (boundary <= 0 || (boundary & (boundary - 1)) !== 0)
      throw new LineError(`alignment ${boundary} is not a power of two`, col);
    if (this.current && this.current.align < boundary) {
      this.current.align = boundary;
      this.current.alignRaised = true;
    }
  }

  private align(st: Extract<Statement, { kind: 'align' }>): void {
    const boundary = this.critical(st.boundary, 'alignment');
    if (boundary <= 0n || (boundary & (boundary - 1n)) !== 0n)
      throw new LineError(`alignment ${boundary} is not a power of two`, st.col);
    if (this.current) this.raiseAlign(Number(boundary), st.col);
    const offset = this.current ? BigInt(this.current.size) : this.absoluteAddress;
    const pad = Number((boundary - (offset % boundary)) % boundary);
    if (pad === 0) return;
    if (st.fill) {
      this.repeatStatement(st.fill, pad);
      return;
    }
    if (st.reserve || !this.current || this.current.nobits) {
      this.reserve(pad, st.col);
      return;
    }
    if (st.smart) {
      // smartalign pads with `db` lines (typed as data for -g) unless it jumps over plain nops
      if (pad <= st.smart.threshold) this.noteDebugType(dataTypeCode([{ unit: 1, float: false }]));
      if (!this.options.listing) {
        this.emitBytes(smartPadding(pad, st.smart.mode, st.smart.threshold, this.bits), undefined, pad);
        return;
      }
      for (const { bytes, repeat } of smartPaddingParts(pad, st.smart.mode, st.smart.threshold, this.bits)) {
        const all = new Uint8Array(bytes.length * repeat);
        for (let i = 0; i < repeat; i++) all.set(bytes, i * bytes.length);
        this.emitBytes(all, undefined, all.length);
        if (repeat > 1) {
          const record = this.listing[this.listing.length - 1]!;
          record.bytes = record.bytes!.subarray(0, bytes.length);
          record.repeat = repeat;
        }
      }
      return;
    }
    this.emitBytes(new Uint8Array(pad).fill(0x90), undefined, pad);
    // nasm's `align` is `times N nop`, listed as one nop and its repeat count
    if (this.options.listing && pad > 1) {
      const record = this.listing[this.listing.length - 1]!;
      record.bytes = record.bytes!.subarray(0, 1);
      record.repeat = pad;
    }
  }

  private times(st: Extract<Statement, { kind: 'times' }>): void {
    const v = evaluate(st.count, this);
    if (v.unknown) {
      return;
    }
    if (v.symbol !== undefined) throw new LineError("`times' count must be a constant", st.col);
    // nasm checks the count in its last pass only (none after a first-pass error), then keeps it in a
    // 32-bit int: x86inc's `times ((last_branch_adr-$)>>31)+1 rep` counts 0x200000000, i.e. none
    if (v.offset < 0n) throw new LineError(`TIMES value ${v.offset} is negative`, st.col, true);
    const count = BigInt.asIntN(32, v.offset);
    if (count < 0n || count > 100_000_000n)
      throw new LineError(`TIMES value ${v.offset} is too large`, st.col);
    const n = Number(count);
    if (n === 0) return;
    const body = st.body;
    if (body.kind === 'data') {
      const before = this.current?.size ?? 0;
      const relocationsBefore = this.current?.relocations.length ?? 0;
      this.data(body);
      const s = this.current;
      if (s && !s.nobits && s.relocations.length === relocationsBefore) {
        const size = s.size - before;
        ensureCapacity(s, before + size * n);
        for (let i = 1; i < n; i++) s.buffer.copyWithin(before + i * size, before, before + size);
        s.size = before + size * n;
        const record = this.listing[this.listing.length - 1];
        if (record && this.options.listing) record.repeat = n;
        return;
      }
      for (let i = 1; i < n; i++) this.data(body);
      return;
    }
    if (body.kind === 'reserve') {
      this.noteDebugType(reserveTypeCode(body.unit));
      const c = this.critical(body.count, 'reservation count');
      this.reserve(Number(c) * body.unit * n, body.col);
      return;
    }
    this.repeatStatement(body, n);
  }

  /**
   * Executes `body` `n` times; the listing shows the first repetition's bytes and the count (`<rep N>`), as
   * nasm lists a `times` line.
   */
  private repeatStatement(body: Statement, n: number): void {
    const start = this.listing.length;
    let first = 0;
    for (let i = 0; i < n; i++) {
      this.execute(body);
      if (i === 0) first = this.listing.length - start;
    }
    if (!this.options.listing || n < 2 || first === 0) return;
    this.listing.length = start + first;
    this.listing[start + first - 1]!.repeat = n;
  }

  // ------------------------------------------------------------------ output

  private requireSection(col: number): Section {
    if (!this.current)
      throw new LineError("cannot emit code or data in an `absolute' or `struc' section", col);
    return this.current;
  }

  /** `fixups` are relative to `bytes`; an instruction's carry no origin yet (this line is theirs). */
  private emitBytes(bytes: Uint8Array, fixups: Array<Relocation | Fixup> | undefined, size: number): void {
    const s = this.current;
    if (!s) {
      this.absoluteAddress += BigInt(size);
      return;
    }
    const offset = s.size;
    if (s.nobits) {
      this.warnings.push({
        origin: this.origin,
        col: -1,
        message:
          this.options.format === 'bin'
            ? 'attempt to initialize memory in a nobits section: ignored'
            : `attempt to initialize memory in BSS section \`${s.name}': ignored`,
        name: 'other',
      });
      s.size += size;
      return;
    }
    ensureCapacity(s, offset + size);
    const buffer = s.buffer;
    if (size <= 16) {
      // a loop beats TypedArray.set for instruction-sized copies
      for (let i = 0; i < size; i++) buffer[offset + i] = bytes[i]!;
    } else buffer.set(bytes, offset);
    if (fixups)
      for (const f of fixups) {
        const r: Relocation = {
          offset: f.offset + offset,
          size: f.size,
          pcRelative: f.pcRelative,
          signed: f.signed,
          symbol: f.symbol,
          addend: f.addend,
          origin: 'origin' in f ? f.origin : this.origin,
          col: 'col' in f ? f.col : -1,
        };
        if (f.wrt) r.wrt = f.wrt;
        if (f.pcAdjust !== undefined) r.pcAdjust = f.pcAdjust;
        if ('selfRelative' in f && f.selfRelative) {
          // `other - $$` in an instruction: PC-relative, measured from this field (as nasm writes it)
          r.pcRelative = true;
          r.addend += BigInt(r.offset);
        }
        s.relocations.push(r);
      }
    s.size += size;
    if (this.options.listing) {
      const record: ListingRecord = { line: this.lineIndex, offset, bytes };
      if (fixups && fixups.length > 0)
        record.fixups = fixups.map((f) => ({
          offset: f.offset,
          size: f.size,
          // `mov eax, ext - $` is relative too, in nasm's listing as in the object
          pcRelative:
            f.pcRelative ||
            ('selfRelative' in f && f.selfRelative === true) ||
            ('listedRelative' in f && f.listedRelative === true),
          // nasm lists a relative field as the target's offset from its symbol
          addend:
            ('listed' in f ? f.listed : undefined) ??
            (f.pcRelative ? f.addend + BigInt(f.pcAdjust ?? 0) : f.addend),
        }));
      this.listing.push(record);
    }
  }

  private emitZeros(count: number): void {
    if (count <= 0) return;
    const s = this.current;
    if (!s) {
      this.absoluteAddress += BigInt(count);
      return;
    }
    if (!s.nobits) {
      ensureCapacity(s, s.size + count);
      s.buffer.fill(0, s.size, s.size + count);
    }
    if (this.options.listing) this.listing.push({ line: this.lineIndex, offset: s.size, zeros: count });
    s.size += count;
  }

  private reserve(count: number, col: number): void {
    void col;
    if (count <= 0) return;
    const s = this.current;
    if (!s) {
      // `struc` fields and `absolute` space are listed at their addresses too
      if (this.options.listing)
        this.listing.push({
          line: this.lineIndex,
          offset: Number(BigInt.asUintN(32, this.absoluteAddress)),
          zeros: count,
          reserve: true,
        });
      this.absoluteAddress += BigInt(count);
      return;
    }
    if (this.options.listing)
      this.listing.push({ line: this.lineIndex, offset: s.size, zeros: count, reserve: true });
    if (!s.nobits) {
      this.warnings.push({
        origin: this.origin,
        col: -1,
        message:
          this.options.format === 'bin'
            ? `uninitialized space declared in ${s.name} section: zeroing`
            : `uninitialized space declared in non-BSS section \`${s.name}': zeroing`,
        name: 'zeroing',
      });
      ensureCapacity(s, s.size + count);
      s.buffer.fill(0, s.size, s.size + count);
    }
    s.size += count;
  }

  private incbin(st: Extract<Statement, { kind: 'incbin' }>): void {
    let data = this.incbinCache.get(st.file);
    if (!this.incbinCache.has(st.file)) {
      data = undefined;
      const read = this.options.readFile;
      if (read) {
        for (const c of includeCandidates(st.file, this.options.includePaths)) {
          data = read(c);
          if (data) {
            this.options.onDependency(c);
            break;
          }
        }
      }
      this.incbinCache.set(st.file, data);
    }
    if (!data) throw new LineError(`\`incbin': unable to open file \`${st.file}'`, st.col);
    const offset = st.offset ? Number(this.critical(st.offset, 'incbin offset')) : 0;
    const length = st.length ? Number(this.critical(st.length, 'incbin length')) : data.length - offset;
    const slice = data.subarray(
      Math.min(offset, data.length),
      Math.min(data.length, offset + Math.max(0, length)),
    );
    this.requireSection(st.col);
    const records = this.listing.length;
    this.emitBytes(slice, undefined, slice.length);
    // nasm lists what `incbin` read as its size (`<bin 5h>`), not as bytes
    if (this.listing.length > records) this.listing[this.listing.length - 1]!.binary = true;
  }

  private data(st: Extract<Statement, { kind: 'data' }>): void {
    if (this.debug) this.noteDebugType(dataTypeCode(debugElements(st.items, st.unit)));
    const unit = st.unit;
    const s = this.current;
    const parts: Uint8Array[] = [];
    const relocations: Relocation[] = [];
    let size = 0;
    for (const item of st.items) {
      const bytes = this.dataItem(item, unit, size, relocations);
      parts.push(bytes);
      size += bytes.length;
    }
    if (!s) {
      throw new LineError(
        "cannot emit data in an `absolute' or `struc' section (use `resb' and friends)",
        st.col,
      );
    }
    const out = parts.length === 1 ? parts[0]! : concat(parts, size);
    this.emitBytes(out, relocations, size);
  }

  private dataItem(item: DataItem, unit: number, at: number, relocations: Relocation[]): Uint8Array {
    switch (item.kind) {
      case 'string': {
        // An empty string emits nothing in any unit (`db "", 0` is one byte), as nasm does.
        const padded = Math.ceil(item.bytes.length / unit) * unit;
        if (padded === item.bytes.length) return item.bytes;
        const out = new Uint8Array(padded);
        out.set(item.bytes);
        return out;
      }
      case 'float':
        return encodeFloat(item.text, item.negative, unit, item.col, (message, name) =>
          this.warnings.push({ origin: this.origin, col: item.col, message, name }),
        );
      case 'uninit':
        return new Uint8Array(unit);
      case 'group': {
        const count = item.count ? this.critical(item.count, "`dup' count") : 1n;
        if (count < 0n) throw new LineError(`\`dup' count ${count} is negative`, item.col);
        if (count > 100_000_000n) throw new LineError(`\`dup' count ${count} is too large`, item.col);
        const parts: Uint8Array[] = [];
        let size = 0;
        for (let r = 0n; r < count; r++)
          for (const sub of item.items) {
            const bytes = this.dataItem(sub, item.unit, at + size, relocations);
            parts.push(bytes);
            size += bytes.length;
          }
        return concat(parts, size);
      }
      case 'expr': {
        const out = new Uint8Array(unit);
        this.placementShift = 0n;
        this.placementRelative = false;
        const v = this.placed(evaluate(item.expr, this));
        if (v.unknown) return out;
        if (v.symbol !== undefined) {
          if (unit !== 1 && unit !== 2 && unit !== 4 && unit !== 8)
            throw new LineError(`a relocatable value cannot be stored in a ${unit}-byte data item`, item.col);
          const relocation: Relocation = {
            offset: at,
            size: unit,
            pcRelative: false,
            signed: false,
            symbol: v.symbol,
            addend: v.offset,
            origin: this.origin,
            col: item.col,
          };
          if (v.wrt) relocation.wrt = v.wrt;
          if (v.symbol === ABSOLUTE_SYMBOL && (this.placementShift !== 0n || this.placementRelative)) {
            relocation.listed = v.offset - this.placementShift;
            relocation.listedRelative = this.placementRelative;
          }
          if (unit === 8 && this.options.format === 'elf32' && v.pcBase === undefined) {
            // nasm's ELF32 holds a qword address as a dword relocation, zero-extended, and says so
            this.warnings.push({
              origin: this.origin,
              col: item.col,
              message: '64-bit unsigned relocation zero-extended from 32 bits',
              name: 'zext-reloc',
            });
            relocation.size = 4;
          }
          if (v.pcBase !== undefined) {
            // `label - $` across sections: PC-relative, measured from this field
            if (!this.current || v.pcBase !== this.current.ref)
              throw new LineError(
                'only a label of the current section can be subtracted from a label elsewhere',
                item.col,
              );
            relocation.pcRelative = true;
            relocation.addend = v.offset + BigInt(this.current.size + at);
            relocation.listed = v.offset;
          }
          relocations.push(relocation);
          return out;
        }
        if (unit <= 8) {
          const limitBits = BigInt(unit * 8);
          // nasm's bound for data: a number that fits unsigned, or whose negation does (`db -256` is fine)
          if (unit < 8 && (v.offset >= 1n << limitBits || v.offset < -(1n << limitBits))) {
            this.warnings.push({
              origin: this.origin,
              col: item.col,
              message: `${['byte', 'word', '', 'dword'][unit - 1] ?? 'data'} data exceeds bounds`,
              name: 'number-overflow',
            });
          }
        }
        let x = BigInt.asUintN(Math.min(unit, 8) * 8, v.offset);
        for (let i = 0; i < Math.min(unit, 8); i++) {
          out[i] = Number(x & 0xffn);
          x >>= 8n;
        }
        if (unit > 8 && v.offset < 0n) out.fill(0xff, 8);
        return out;
      }
    }
  }

  // ------------------------------------------------------------------ instructions

  private instruction(st: InstructionStatement): void {
    this.requireSection(st.col);
    let state = st.state as InstructionState;
    if (state === undefined) {
      // a jump to a constant address is never one of the relaxed ones (no label of this section)
      if (st.operands.every(isPositionIndependent)) state = POSITION_INDEPENDENT;
      else
        state =
          !st.relax || st.prefixes.length > 0 || this.options.optimization || st.before386
            ? ENCODE
            : RELAXABLE;
      st.state = state;
    }
    if (typeof state === 'number') {
      if (state >= 0) {
        this.emitCached(Math.floor(state / CACHED_SPAN), state % CACHED_SPAN);
        return;
      }
      if (state === RELAXABLE && this.bits !== 16 && this.relaxedJump(st)) return;
    } else if (this.bits !== 16 && this.relaxedJump(st)) return;
    const operands: Operand[] = new Array(st.operands.length);
    this.placementShift = 0n;
    this.placementRelative = false;
    for (let i = 0; i < operands.length; i++) operands[i] = this.operand(st.operands[i]!);
    const request: InstructionRequest = {
      mnemonic: st.mnemonic,
      prefixes: st.prefixes,
      operands,
      bits: this.bits,
      address: this.position(),
    };
    if (this.options.optimization) request.optimization = this.options.optimization;
    if (st.rounding) request.rounding = st.rounding;
    if (st.lateVex) request.lateVex = true;
    if (st.noVex) request.noVex = true;
    if (st.noEvex) request.noEvex = true;
    let result = encodeInstruction(request);
    if (st.before386 && result.ok) result = this.before386Jcc(request, result);
    if (!result.ok) throw new LineError(result.message, st.col, true);
    for (const w of result.warnings)
      this.warnings.push({
        origin: this.origin,
        col: st.col,
        message: w,
        name: encoderWarningClass(w),
      });
    if (
      state === POSITION_INDEPENDENT &&
      result.fixups.length === 0 &&
      result.warnings.length === 0 &&
      result.bytes.length < CACHED_SPAN
    )
      st.state = this.cacheBytes(result.bytes);
    this.emitInstruction(result.bytes, this.listedBeforePlacement(result.fixups));
  }

  /** bin: the one placed field of an instruction (`mov eax, section.b.start`) as the listing shows it. */
  private listedBeforePlacement(fixups: Fixup[]): Fixup[] {
    if (!this.options.listing || (this.placementShift === 0n && !this.placementRelative)) return fixups;
    const placed = fixups.filter((f) => f.symbol === ABSOLUTE_SYMBOL);
    if (placed.length !== 1) return fixups;
    return fixups.map((f) =>
      f === placed[0]
        ? { ...f, listed: f.addend - this.placementShift, listedRelative: this.placementRelative }
        : f,
    );
  }

  /**
   * Below the 386 there is no near `jcc`: nasm's form for those CPUs is the inverse condition's short jump
   * over a near `jmp` (`je far` is `75 03 e9 rel16`). `encoded` is the 386 encoding; a short one stays.
   */
  private before386Jcc(
    request: InstructionRequest,
    encoded: Extract<EncodeResult, { ok: true }>,
  ): EncodeResult {
    const bytes = encoded.bytes;
    if (request.prefixes.length > 0 || bytes[0] !== 0x0f || bytes[1]! < 0x80 || bytes[1]! > 0x8f)
      return encoded;
    if (!/^j(?!mp|cxz|ecxz|rcxz)/i.test(request.mnemonic)) return encoded;
    const operand = request.operands[0]!;
    if (operand.kind !== 'imm') return encoded;
    // only the 386's form is near as written
    if (operand.distance === 'near') return { ok: false, message: 'no instruction for this cpu level' };
    const address = { ...request.address, offset: request.address.offset + 2n };
    const jump = encodeInstruction({
      ...request,
      mnemonic: 'jmp',
      operands: [{ ...operand, distance: 'near' }],
      address,
    });
    if (!jump.ok) return jump;
    const out = new Uint8Array(2 + jump.bytes.length);
    out[0] = (0x70 + (bytes[1]! - 0x80)) ^ 1;
    out[1] = jump.bytes.length;
    out.set(jump.bytes, 2);
    return { ...jump, bytes: out, fixups: jump.fixups.map((f) => ({ ...f, offset: f.offset + 2 })) };
  }

  /** Keeps an instruction's bytes in `codeCache`; returns its state (see `InstructionState`). */
  private cacheBytes(bytes: Uint8Array): number {
    const at = this.codeCacheSize;
    if (at + bytes.length > this.codeCache.length) {
      const grown = new Uint8Array(this.codeCache.length * 2);
      grown.set(this.codeCache);
      this.codeCache = grown;
    }
    this.codeCache.set(bytes, at);
    this.codeCacheSize = at + bytes.length;
    return at * CACHED_SPAN + bytes.length;
  }

  /**
   * The bytes of the run of cached instructions starting at statement `i`, at once (they are the same in every
   * pass, and only their length matters to the model). False when the statements must run one by one.
   */
  private emitRun(runs: CachedRuns, i: number): boolean {
    const s = this.current;
    if (!s || s.nobits) return false;
    const length = runs.length[i]!;
    const offset = s.size;
    if (offset + length > MAX_SECTION_BYTES) return false;
    ensureCapacity(s, offset + length);
    const at = runs.cacheAt[i]!;
    s.buffer.set(this.codeCache.subarray(at, at + length), offset);
    s.size = offset + length;
    if (this.model && this.model.valid) this.model.fixed(s.order, length);
    return true;
  }

  private emitCached(at: number, length: number): void {
    const s = this.current!;
    if (this.options.listing || s.nobits) {
      this.emitBytes(this.codeCache.slice(at, at + length), undefined, length);
      return;
    }
    const offset = s.size;
    ensureCapacity(s, offset + length);
    const buffer = s.buffer;
    const cache = this.codeCache;
    for (let i = 0; i < length; i++) buffer[offset + i] = cache[at + i]!;
    s.size = offset + length;
  }

  /**
   * A jump to a known label of the current section, sized the way the encoder would size it (short when the
   * rel8 reaches, near otherwise) from cached templates. Returns false when the encoder must decide.
   */
  private relaxedJump(st: InstructionStatement): boolean {
    const s = this.current!;
    const operand = st.operands[0]!;
    if (operand.kind !== 'imm' || s.nobits) return false;
    const target = this.value(operand.expr);
    if (target.unknown || target.wrt !== undefined || target.symbol !== s.ref) return false;
    let templates = st.state as InstructionState;
    if (typeof templates !== 'object') {
      templates = this.jumpTemplates(st);
      st.state = templates ?? ENCODE;
      if (!templates) return false;
    }
    const at = s.size;
    const to = Number(target.offset);
    let bytes = templates.short;
    let distance = to - (at + bytes.length);
    if (distance < -128 || distance > 127) {
      bytes = templates.near;
      distance = to - (at + bytes.length);
    }
    const length = bytes.length;
    ensureCapacity(s, at + length);
    const buffer = s.buffer;
    for (let i = 0; i < length; i++) buffer[at + i] = bytes[i]!;
    const field = length === templates.short.length ? 1 : 4;
    for (let i = 0, v = distance; i < field; i++, v >>= 8) buffer[at + length - field + i] = v & 0xff;
    if (this.options.listing) {
      s.size = at;
      this.emitBytes(buffer.slice(at, at + length), undefined, length);
    } else s.size = at + length;
    return true;
  }

  /**
   * The short (2-byte) and near (rel32) encodings of a jump, or undefined if it has no such pair. Without
   * prefixes they depend only on the mnemonic and the mode: asked of the encoder once per pair.
   */
  private jumpTemplates(st: InstructionStatement): JumpTemplates | undefined {
    if (st.prefixes.length > 0) return this.encodeJumpTemplates(st);
    const key = `${this.bits} ${st.mnemonic}`;
    let templates = this.jumpTemplateCache.get(key);
    if (templates === undefined) {
      templates = this.encodeJumpTemplates(st) ?? null;
      this.jumpTemplateCache.set(key, templates);
    }
    return templates ?? undefined;
  }

  private encodeJumpTemplates(st: InstructionStatement): JumpTemplates | undefined {
    const address: Value = { offset: 0n, symbol: this.current!.ref };
    const encode = (distance: 'short' | 'near'): Uint8Array | undefined => {
      const r = encodeInstruction({
        mnemonic: st.mnemonic,
        prefixes: st.prefixes,
        operands: [{ kind: 'imm', value: address, distance }],
        bits: this.bits,
        address,
      });
      return r.ok && r.fixups.length === 0 && r.warnings.length === 0 ? r.bytes : undefined;
    };
    const short = encode('short');
    const near = encode('near');
    if (!short || !near || short.length !== 2 || near.length < 5 || near.length > 6) return undefined;
    return { short, near };
  }

  private emitInstruction(bytes: Uint8Array, fixups: Fixup[]): void {
    if (fixups.length === 0) {
      this.emitBytes(bytes, undefined, bytes.length);
      return;
    }
    this.emitBytes(bytes, fixups, bytes.length);
  }

  private value(e: Expr): Value {
    const v = this.positionTracked(e);
    if (v.pcBase !== undefined && v.symbol !== undefined && this.current && v.pcBase === this.current.ref) {
      const relative: Value = { offset: v.offset, symbol: v.symbol, selfRelative: true };
      if (v.wrt) relative.wrt = v.wrt;
      return relative;
    }
    if (v.pcBase !== undefined)
      throw new LineError(
        'a difference of labels in different sections can only be stored as data (dd/dq)',
        exprColumn(e),
      );
    return v;
  }

  /** Resolves `[reg*SYMBOL]` scales, which must be constants known at this point (as nasm requires). */
  private withEvaluatedScales(
    op: Extract<OperandAst, { kind: 'mem' }>,
  ): Extract<OperandAst, { kind: 'mem' }> {
    const registers = op.scaledRegisters!.map((r) => {
      if (typeof r.scale === 'number') return { name: r.name, scale: r.scale, col: r.col };
      const v = evaluate(r.scale, this);
      if (v.unknown || v.symbol !== undefined || v.pcBase !== undefined)
        throw new LineError('register scale must be a constant', r.col);
      return { name: r.name, scale: Number(v.offset), col: r.col };
    });
    const resolved = { ...op, scale: 1 };
    assignAddressRegisters(registers, resolved);
    return resolved;
  }

  private operand(op: OperandAst): Operand {
    switch (op.kind) {
      case 'reg': {
        if (!op.to && !op.decorators && op.registerSet === undefined) {
          let shared = this.registerOperands.get(op.name);
          if (!shared) this.registerOperands.set(op.name, (shared = { kind: 'reg', name: op.name }));
          return shared;
        }
        const out: Operand = { kind: 'reg', name: op.name };
        if (op.to) out.to = true;
        if (op.decorators) out.decorators = op.decorators;
        if (op.registerSet !== undefined) out.registerSet = op.registerSet;
        return out;
      }
      case 'imm':
        // every field written, absent ones as undefined: operands of one shape keep the encoder's reads of them
        // monomorphic (an object per combination of optional fields made them megamorphic)
        return {
          kind: 'imm',
          value: this.value(op.expr),
          size: op.size,
          strict: op.strict,
          distance: op.distance,
        };
      case 'mem': {
        const displacement = op.disp ? this.value(op.disp) : { offset: 0n };
        // nasm 3 refuses `[other - $]` across sections (2.16 writes a wrong address): so do we
        if (this.placedDifferences.has(displacement))
          throw new LineError('invalid use of self-relative expression', exprColumn(op.disp!));
        if (op.scaledRegisters) op = this.withEvaluatedScales(op);
        const noRegisters = op.base === undefined && op.index === undefined;
        // nasm sees a not-yet-defined symbol as an absolute address, so in the first pass `[rel later]` takes the
        // absolute [disp32] form; the later passes then settle from those sizes, which decides jump sizes too
        const ripRelative =
          this.bits === 64 &&
          noRegisters &&
          !displacement.unknown &&
          (op.rel === true ||
            (op.rel === undefined && this.defaultRel && op.segment !== 'fs' && op.segment !== 'gs'));
        // one shape for every memory operand, as for immediates
        return {
          kind: 'mem',
          size: op.size,
          segment: op.segment,
          base: op.base,
          index: op.index,
          scale: op.scale,
          displacement,
          displacementSize: op.dispSize,
          ripRelative,
          nosplit: op.nosplit,
          hint: op.hint,
          far: op.far,
          decorators: op.decorators,
        };
      }
      case 'farptr': {
        const out: Operand = {
          kind: 'farptr',
          segment: this.value(op.segment),
          offset: this.value(op.offset),
        };
        if (op.size !== undefined) out.size = op.size;
        return out;
      }
    }
  }
}

/** nasm's warning class for an encoder warning (what `-w-NAME` silences). */
function encoderWarningClass(message: string): string {
  if (/exceeds bounds|out of range/.test(message)) return 'number-overflow';
  if (message.startsWith('absolute address can not be RIP-relative')) return 'ea-absolute';
  if (message.startsWith('instruction is not lockable')) return 'prefix-lock';
  if (message.includes('segment base generated')) return 'prefix-seg';
  if (message.startsWith('invalid operand size prefix')) return 'prefix-opsize';
  if (message.startsWith('jmp short does not init bnd')) return 'prefix-bnd';
  if (message.startsWith('instruction obsolete and removed')) return 'obsolete-removed';
  if (/^(xacquire|xrelease) invalid/.test(message)) return 'prefix-hle';
  if (message.startsWith('instruction never implemented')) return 'obsolete-nop';
  return 'other';
}

function isPositionIndependent(op: OperandAst): boolean {
  switch (op.kind) {
    case 'reg':
      return true;
    case 'imm':
      return isConstantExpr(op.expr);
    case 'mem':
      return op.disp === undefined || isConstantExpr(op.disp);
    case 'farptr':
      return isConstantExpr(op.segment) && isConstantExpr(op.offset);
  }
}

function isConstantExpr(e: Expr): boolean {
  switch (e.k) {
    case 'num':
      return true;
    case 'un':
      return isConstantExpr(e.a);
    case 'bin':
      return isConstantExpr(e.a) && isConstantExpr(e.b);
    case 'cond':
      return isConstantExpr(e.c) && isConstantExpr(e.a) && isConstantExpr(e.b);
    default:
      return false;
  }
}

function exprColumn(e: Expr): number {
  return 'col' in e ? e.col : -1;
}

/** nasm refuses two declarations of a symbol with different types (`:function` then `:data`). */
function checkSymbolTypes(sym: SymbolEntry, decl: SymbolDeclaration): void {
  const before = sym.global?.type;
  if (before && decl.type && before !== decl.type)
    throw new LineError(
      `symbol \`${decl.name}' has inconsistent attributes \`${before}' and \`${decl.type}'`,
      decl.col,
    );
}

const BIN_TYPED_SECTIONS = new Set(['.text', '.data', '.bss']);

function binDefaults(name: string): Partial<Section> {
  if (name === '.bss') return { nobits: true, alloc: true, exec: false, write: true, align: 4 };
  if (name === '.text') return { nobits: false, alloc: true, exec: true, write: false, align: 4 };
  return { nobits: false, alloc: true, exec: false, write: true, align: 4 };
}

/** Bytes one repetition of an `align` fill takes (1 for the default nop / reserve), if the model can tell. */
function alignFillSize(fill: Statement | undefined): number | undefined {
  if (!fill) return 1;
  if (fill.kind === 'data' && fill.items.length === 1 && fill.items[0]!.kind === 'expr') return fill.unit;
  if (fill.kind === 'reserve' && fill.count.k === 'num') return fill.unit * Number(fill.count.v);
  if (
    fill.kind === 'instruction' &&
    fill.operands.length === 0 &&
    fill.prefixes.length === 0 &&
    fill.mnemonic === 'nop'
  )
    return 1;
  return undefined;
}

/**
 * Consecutive instruction statements whose bytes are cached next to each other in `Layout.codeCache` (in the
 * order the first pass cached them): per statement that starts such a run of two or more, the index after its
 * last statement (`end`, 0 elsewhere), where its bytes start in the cache and how many there are. A pass
 * copies a run at once instead of visiting each instruction: most of a program, in the passes after the first.
 */
interface CachedRuns {
  end: Int32Array;
  cacheAt: Int32Array;
  length: Int32Array;
}

/** Finds `CachedRuns` in the first pass, told of each statement after it ran. */
class CachedRunsBuilder {
  private readonly runs: CachedRuns;
  /** The current run's first statement (-1: none), where its bytes start and where the next ones must. */
  private start = -1;
  private cacheStart = 0;
  private next = 0;

  constructor(count: number) {
    this.runs = { end: new Int32Array(count), cacheAt: new Int32Array(count), length: new Int32Array(count) };
  }

  note(i: number, st: Statement): void {
    const state = st.kind === 'instruction' ? st.state : undefined;
    if (typeof state !== 'number' || state < 0) {
      this.close(i);
      return;
    }
    const at = Math.floor(state / CACHED_SPAN);
    if (this.start < 0 || at !== this.next) {
      this.close(i);
      this.start = i;
      this.cacheStart = at;
    }
    this.next = at + (state % CACHED_SPAN);
  }

  finish(count: number): CachedRuns {
    this.close(count);
    return this.runs;
  }

  private close(end: number): void {
    if (this.start >= 0 && end - this.start >= 2) {
      this.runs.end[this.start] = end;
      this.runs.cacheAt[this.start] = this.cacheStart;
      this.runs.length[this.start] = this.next - this.cacheStart;
    }
    this.start = -1;
  }
}

/** Entries between the settling passes' saved positions (see `RelaxModel.settle`). */
const CHECKPOINT_SPAN = 256;

const FIXED = 0;
const LABEL = 1;
const JUMP = 2;
const ALIGN = 3;

/**
 * nasm's passes, reduced to what can change once forward references are known: label offsets, relative
 * jump sizes (short if the target is within -128..127 of the short form's end, near otherwise) and `align`
 * padding. Everything else is a fixed number of bytes taken from the second pass. Settling replays nasm's
 * passes on this model exactly (labels defined earlier in a pass have their new offsets, later ones their
 * offsets from the previous pass; jumps may shrink and grow), so the result is nasm's, at a tiny fraction of the
 * cost of full passes. A full pass afterwards checks the result and continues normally if anything else moved.
 */
class RelaxModel {
  valid = true;
  private kinds: number[] = [];
  private sections: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  private c: number[] = [];
  private readonly labelIds = new Map<SymbolEntry, number>();
  private readonly labels: SymbolEntry[] = [];

  private labelId(sym: SymbolEntry): number {
    let id = this.labelIds.get(sym);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(sym);
      this.labelIds.set(sym, id);
    }
    return id;
  }

  fixed(section: number, size: number): void {
    if (size === 0) return;
    const last = this.kinds.length - 1;
    if (last >= 0 && this.kinds[last] === FIXED && this.sections[last] === section) {
      this.a[last]! += size;
      return;
    }
    this.push(FIXED, section, size, 0, 0);
  }

  label(section: number, sym: SymbolEntry): void {
    this.push(LABEL, section, this.labelId(sym), 0, 0);
  }

  jump(section: number, target: SymbolEntry, short: number, near: number): void {
    this.push(JUMP, section, this.labelId(target), short, near);
  }

  align(section: number, boundary: number, fill: number): void {
    this.push(ALIGN, section, boundary, fill, 0);
  }

  private push(kind: number, section: number, a: number, b: number, c: number): void {
    this.kinds.push(kind);
    this.sections.push(section);
    this.a.push(a);
    this.b.push(b);
    this.c.push(c);
  }

  /** Replays passes until no label moves; writes the offsets back to the symbols. Returns the pass count. */
  settle(): number {
    // a run of fixed bytes before a label, jump or align of its section is folded into that entry (`before`):
    // half the entries, and nasm may need a hundred passes
    let n = 0;
    const count = this.kinds.length;
    const kinds = new Int8Array(count);
    const sections = new Int32Array(count);
    const before = new Float64Array(count);
    const a = new Float64Array(count);
    /** Label ids (of LABEL and JUMP entries) as integers, for indexing `values`. */
    const ids = new Int32Array(count);
    const b = new Float64Array(count);
    const c = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const kind = this.kinds[i]!;
      const section = this.sections[i]!;
      const next = i + 1 < count ? i + 1 : -1;
      if (kind === FIXED && next >= 0 && this.kinds[next] !== FIXED && this.sections[next] === section) {
        before[n] += this.a[i]!;
        continue;
      }
      kinds[n] = kind;
      sections[n] = section;
      a[n] = this.a[i]!;
      if (kind === LABEL || kind === JUMP) ids[n] = this.a[i]!;
      b[n] = this.b[i]!;
      c[n] = this.c[i]!;
      n++;
    }
    const values = Float64Array.from(this.labels, (sym) => Number(sym.offset));
    let sectionCount = 0;
    for (let i = 0; i < n; i++) if (sections[i]! + 1 > sectionCount) sectionCount = sections[i]! + 1;
    const labelAt = new Int32Array(values.length).fill(-1);
    let labelTwice = false;
    for (let i = 0; i < n; i++)
      if (kinds[i] === LABEL) {
        if (labelAt[ids[i]!]! >= 0) labelTwice = true;
        labelAt[ids[i]!] = i;
      }
    const model: CompactModel = { n, kinds, sections, before, a, ids, b, c, values, sectionCount, labelAt };
    const passes = (!labelTwice && settleIncrementally(model)) || replayPasses(model, labelTwice);
    this.labels.forEach((sym, id) => {
      sym.offset = BigInt(values[id]!);
    });
    return passes;
  }
}

/**
 * `RelaxModel`'s entries after folding fixed runs: per entry its kind, section, the fixed bytes before it,
 * `a` (FIXED: size; ALIGN: boundary), `ids` (LABEL/JUMP: label id), `b` (JUMP: short size; ALIGN: fill size),
 * `c` (JUMP: near size); `values` holds the label offsets (updated in place), `labelAt` each label's entry.
 */
interface CompactModel {
  n: number;
  kinds: Int8Array;
  sections: Int32Array;
  before: Float64Array;
  a: Float64Array;
  ids: Int32Array;
  b: Float64Array;
  c: Float64Array;
  values: Float64Array;
  sectionCount: number;
  labelAt: Int32Array;
}

/**
 * nasm's passes replayed one after another over every entry, each from the first entry whose result can
 * differ from the previous pass's. Used when `settleIncrementally` cannot be (a label defined twice).
 */
function replayPasses(m: CompactModel, labelTwice: boolean): number {
  const { n, kinds, sections, before, a, ids, b, c, values, sectionCount, labelAt } = m;
  const position = new Float64Array(sectionCount);
  // A pass repeats the previous one exactly up to the first label that moved in it, and up to the first
  // jump forward to a label at or after that one (the only jumps that read a moved value first): it starts
  // there, from the positions saved at the last checkpoint before (every CHECKPOINT_SPAN entries).
  const checkpoints = new Float64Array((Math.floor(n / CHECKPOINT_SPAN) + 1) * sectionCount);
  /** The first forward jump to a label entry at or after each index (n: none). */
  const firstJumpInto = new Int32Array(n + 1).fill(n);
  for (let i = 0; i < n; i++)
    if (kinds[i] === JUMP) {
      const target = labelAt[ids[i]!]!;
      if (target > i && i < firstJumpInto[target]!) firstJumpInto[target] = i;
    }
  for (let x = n - 1; x >= 0; x--)
    if (firstJumpInto[x + 1]! < firstJumpInto[x]!) firstJumpInto[x] = firstJumpInto[x + 1]!;
  let start = 0;
  let passes = 0;
  for (let pass = 0; pass < MAX_SETTLE_PASSES; pass++) {
    passes++;
    const from = Math.floor(start / CHECKPOINT_SPAN);
    for (let s = 0; s < sectionCount; s++) position[s] = checkpoints[from * sectionCount + s]!;
    let firstMoved = -1;
    for (let i = from * CHECKPOINT_SPAN; i < n; i++) {
      if (i % CHECKPOINT_SPAN === 0) {
        const saved = (i / CHECKPOINT_SPAN) * sectionCount;
        for (let s = 0; s < sectionCount; s++) checkpoints[saved + s] = position[s]!;
      }
      const s = sections[i]!;
      let at = position[s]! + before[i]!;
      switch (kinds[i]) {
        case FIXED:
          at += a[i]!;
          break;
        case LABEL: {
          const id = ids[i]!;
          if (values[id] !== at) {
            values[id] = at;
            if (firstMoved < 0) firstMoved = i;
          }
          break;
        }
        case JUMP: {
          const short = b[i]!;
          const distance = values[ids[i]!]! - (at + short);
          at += distance >= -128 && distance <= 127 ? short : c[i]!;
          break;
        }
        case ALIGN: {
          const boundary = a[i]!;
          const pad = (boundary - (at % boundary)) % boundary;
          at += pad * b[i]!;
          break;
        }
      }
      position[s] = at;
    }
    if (firstMoved < 0) break;
    start = labelTwice ? 0 : Math.min(firstMoved, firstJumpInto[firstMoved]!);
  }
  return passes;
}

/** Settling passes are bounded like this (real programs need a few hundred at most). */
const MAX_SETTLE_PASSES = 100_000;
/** Entries per block of `settleIncrementally`. */
const SETTLE_BLOCK = 64;
/** Most block memberships of jump windows `settleIncrementally` indexes, per entry (beyond: replayPasses). */
const WINDOW_BLOCKS_PER_ENTRY = 8;

/**
 * The same passes as `replayPasses`, with the same results, touching only what can change. After a first full
 * pass, a pass differs from the previous one only through entries whose size changes ("flips"): with D the sum
 * of the size changes of the flips before an entry in this pass (per section),
 * - a forward jump reads its target's value from the previous pass, so its distance is the previous pass's
 *   consistent distance (`key`) minus D: it is evaluated only where that can cross the short/near boundary,
 *   which per block of entries the minimum and maximum keys of its short and of its near jumps tell;
 * - a backward jump's distance is this pass's, so it changes only when an entry inside its window flips
 *   (its key is updated then, and its block marked);
 * - an align's padding depends on its absolute position, so blocks with aligns are always evaluated;
 * - a label moved iff D is non-zero at it (the pass count must be nasm's: the passes end with the first one in
 *   which no label moved);
 * - between passes, the flips inside a forward jump's window change its key.
 * Windows are found through an index of the blocks each jump's window covers. Returns the pass count, or 0
 * when the model does not fit the method (a jump to a label without an entry, or very long windows).
 */
function settleIncrementally(m: CompactModel): number {
  const { n, kinds, sections, ids, labelAt } = m;
  for (let i = 0; i < n; i++)
    if (kinds[i] === JUMP) {
      const target = labelAt[ids[i]!]!;
      if (target < 0 || sections[target] !== sections[i]) return 0;
    }
  const settling = new IncrementalSettling(m);
  if (!settling.index()) return 0;
  // the first pass, in full, from the label values the second full pass left
  if (!settling.firstPass()) return 1;
  let passes = 1;
  for (let pass = 1; pass < MAX_SETTLE_PASSES; pass++) {
    passes++;
    if (!settling.pass()) break;
    settling.nextKeys();
  }
  settling.writeValues();
  return passes;
}

/** The state of `settleIncrementally`: small methods over typed arrays, so that each is optimized on its own. */
class IncrementalSettling {
  /** Each entry's own size (without `before`) in the latest pass. */
  private readonly own: Float64Array;
  /** Entry positions (after `before`) in the first pass; an align's is kept up to date. */
  private readonly at: Float64Array;
  /** A jump's distance key (see `settleIncrementally`). */
  private readonly key: Float64Array;
  private readonly forward: Uint8Array;
  private blocks = 0;
  /** Per block, where its jumps and aligns start in `active`. */
  private activeStart = new Int32Array(0);
  private active = new Int32Array(0);
  /** Per block, where the jumps whose window covers part of it start in `windows`. */
  private windowStart = new Int32Array(0);
  private windows = new Int32Array(0);
  private hasAlign = new Uint8Array(0);
  /** The section of a block's jumps and aligns, -1 when they are of several, -2 when it has none. */
  private blockSection = new Int32Array(0);
  private minNear = new Float64Array(0);
  private maxNear = new Float64Array(0);
  private minShort = new Float64Array(0);
  private maxShort = new Float64Array(0);
  /** A backward jump in the block had its key changed in this pass. */
  private dirty = new Uint8Array(0);
  /** A forward jump in the block had its key changed for the next pass. */
  private stale = new Uint8Array(0);
  /** The sum of this pass's size changes so far, per section. */
  private readonly drift: Float64Array;
  /** The label entries of each section in order. */
  private readonly labelsOf: number[][];
  private flipAt: number[] = [];
  private flipDelta: number[] = [];

  constructor(private readonly m: CompactModel) {
    this.own = new Float64Array(m.n);
    this.at = new Float64Array(m.n);
    this.key = new Float64Array(m.n);
    this.forward = new Uint8Array(m.n);
    this.drift = new Float64Array(m.sectionCount);
    this.labelsOf = Array.from({ length: m.sectionCount }, () => []);
  }

  /** The first pass over every entry; false if no label moved in it. */
  firstPass(): boolean {
    const { n, kinds, sections, before, a, ids, b, c, values, labelAt } = this.m;
    const { own, at, key, forward } = this;
    const position = new Float64Array(this.m.sectionCount);
    let moved = false;
    for (let i = 0; i < n; i++) {
      const s = sections[i]!;
      const x = position[s]! + before[i]!;
      at[i] = x;
      switch (kinds[i]) {
        case FIXED:
          own[i] = a[i]!;
          break;
        case LABEL:
          if (values[ids[i]!] !== x) {
            values[ids[i]!] = x;
            moved = true;
          }
          this.labelsOf[s]!.push(i);
          break;
        case JUMP: {
          const distance = values[ids[i]!]! - (x + b[i]!);
          own[i] = distance >= -128 && distance <= 127 ? b[i]! : c[i]!;
          break;
        }
        case ALIGN: {
          const boundary = a[i]!;
          own[i] = ((boundary - (x % boundary)) % boundary) * b[i]!;
          break;
        }
      }
      position[s] = x + own[i]!;
    }
    // keys: a jump's distance as this pass's positions and values give it
    for (let i = 0; i < n; i++)
      if (kinds[i] === JUMP) {
        key[i] = values[ids[i]!]! - (at[i]! + b[i]!);
        if (labelAt[ids[i]!]! > i) forward[i] = 1;
      }
    for (let x = 0; x < this.blocks; x++) this.refresh(x);
    return moved;
  }

  /**
   * The blocks: the jumps and aligns in each, and the jumps whose window ([jump, label) forward, [label, jump)
   * backward) covers part of each. False when the windows are too long to index.
   */
  index(): boolean {
    const { n, kinds, sections, ids, labelAt } = this.m;
    const blocks = Math.ceil(n / SETTLE_BLOCK);
    this.blocks = blocks;
    const activeStart = new Int32Array(blocks + 1);
    const windowStart = new Int32Array(blocks + 1);
    const hasAlign = new Uint8Array(blocks);
    const blockSection = new Int32Array(blocks).fill(-2);
    let windowTotal = 0;
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      if (kind !== JUMP && kind !== ALIGN) continue;
      const block = (i / SETTLE_BLOCK) | 0;
      activeStart[block + 1]!++;
      if (kind === ALIGN) hasAlign[block] = 1;
      const s = sections[i]!;
      blockSection[block] = blockSection[block] === -2 || blockSection[block] === s ? s : -1;
      if (kind === JUMP) {
        const target = labelAt[ids[i]!]!;
        const first = (Math.min(i, target) / SETTLE_BLOCK) | 0;
        const last = ((Math.max(i, target) - 1) / SETTLE_BLOCK) | 0;
        windowTotal += last - first + 1;
        if (windowTotal > WINDOW_BLOCKS_PER_ENTRY * n + 4096) return false;
        for (let x = first; x <= last; x++) windowStart[x + 1]!++;
      }
    }
    for (let x = 0; x < blocks; x++) {
      activeStart[x + 1]! += activeStart[x]!;
      windowStart[x + 1]! += windowStart[x]!;
    }
    const active = new Int32Array(activeStart[blocks]!);
    const windows = new Int32Array(windowStart[blocks]!);
    const activeFill = activeStart.slice(0, blocks);
    const windowFill = windowStart.slice(0, blocks);
    for (let i = 0; i < n; i++) {
      const kind = kinds[i];
      if (kind !== JUMP && kind !== ALIGN) continue;
      active[activeFill[(i / SETTLE_BLOCK) | 0]!++] = i;
      if (kind === JUMP) {
        const target = labelAt[ids[i]!]!;
        const first = (Math.min(i, target) / SETTLE_BLOCK) | 0;
        const last = ((Math.max(i, target) - 1) / SETTLE_BLOCK) | 0;
        for (let x = first; x <= last; x++) windows[windowFill[x]!++] = i;
      }
    }
    this.activeStart = activeStart;
    this.active = active;
    this.windowStart = windowStart;
    this.windows = windows;
    this.hasAlign = hasAlign;
    this.blockSection = blockSection;
    this.minNear = new Float64Array(blocks);
    this.maxNear = new Float64Array(blocks);
    this.minShort = new Float64Array(blocks);
    this.maxShort = new Float64Array(blocks);
    this.dirty = new Uint8Array(blocks);
    this.stale = new Uint8Array(blocks);
    return true;
  }

  /** The smallest and largest keys of a block's forward jumps that are near, and of those that are short. */
  private refresh(block: number): void {
    const { own, key, forward, active } = this;
    const short = this.m.b;
    let lowNear = Infinity;
    let highNear = -Infinity;
    let lowShort = Infinity;
    let highShort = -Infinity;
    for (let k = this.activeStart[block]!; k < this.activeStart[block + 1]!; k++) {
      const i = active[k]!;
      if (!forward[i]) continue;
      const v = key[i]!;
      if (own[i] === short[i]) {
        if (v < lowShort) lowShort = v;
        if (v > highShort) highShort = v;
      } else {
        if (v < lowNear) lowNear = v;
        if (v > highNear) highNear = v;
      }
    }
    this.minNear[block] = lowNear;
    this.maxNear[block] = highNear;
    this.minShort[block] = lowShort;
    this.maxShort[block] = highShort;
  }

  /** One pass; false when no label moved in it (the last pass). */
  pass(): boolean {
    this.drift.fill(0);
    this.flipAt = [];
    this.flipDelta = [];
    const { blockSection, hasAlign, dirty, drift, minNear, maxNear, minShort, maxShort } = this;
    for (let block = 0; block < this.blocks; block++) {
      const s = blockSection[block]!;
      if (s === -2) continue;
      if (s >= 0 && hasAlign[block] === 0 && dirty[block] === 0) {
        const d = drift[s]!;
        const nearStays = minNear[block]! > d + 127 || maxNear[block]! < d - 128;
        const shortStays = maxShort[block]! <= d + 127 && minShort[block]! >= d - 128;
        if (nearStays && shortStays) continue;
      }
      dirty[block] = 0;
      if (this.evaluate(block)) this.refresh(block);
    }
    return (
      this.flipAt.length > 0 &&
      labelMoved(this.flipAt, this.flipDelta, this.m.sections, this.labelsOf, this.m.sectionCount)
    );
  }

  /** Sizes a block's jumps and aligns in this pass; true if one changed. */
  private evaluate(block: number): boolean {
    const { kinds, sections, a, b, c } = this.m;
    const { own, key, forward, at, drift, active } = this;
    let changed = false;
    for (let k = this.activeStart[block]!; k < this.activeStart[block + 1]!; k++) {
      const i = active[k]!;
      const section = sections[i]!;
      let size: number;
      if (kinds[i] === JUMP) {
        const distance = forward[i] ? key[i]! - drift[section]! : key[i]!;
        size = distance >= -128 && distance <= 127 ? b[i]! : c[i]!;
      } else {
        const x = (at[i]! += drift[section]!);
        const boundary = a[i]!;
        size = ((boundary - (x % boundary)) % boundary) * b[i]!;
      }
      const delta = size - own[i]!;
      if (delta === 0) continue;
      own[i] = size;
      changed = true;
      drift[section]! += delta;
      this.flipAt.push(i);
      this.flipDelta.push(delta);
      this.moveBackwardKeys(i, delta);
    }
    return changed;
  }

  /** Backward jumps whose window holds entry `e`: their distance changes with it, in this pass. */
  private moveBackwardKeys(e: number, delta: number): void {
    const { ids, labelAt } = this.m;
    const { windows, forward, key, dirty } = this;
    const home = (e / SETTLE_BLOCK) | 0;
    for (let w = this.windowStart[home]!; w < this.windowStart[home + 1]!; w++) {
      const j = windows[w]!;
      if (forward[j] || j <= e || labelAt[ids[j]!]! > e) continue;
      key[j]! -= delta;
      dirty[(j / SETTLE_BLOCK) | 0] = 1;
    }
  }

  /** The next pass's forward jumps read this pass's values: flips inside their window change their key. */
  nextKeys(): void {
    const { ids, labelAt } = this.m;
    const { windows, forward, key, stale, flipAt, flipDelta } = this;
    for (let f = 0; f < flipAt.length; f++) {
      const e = flipAt[f]!;
      const delta = flipDelta[f]!;
      const home = (e / SETTLE_BLOCK) | 0;
      for (let w = this.windowStart[home]!; w < this.windowStart[home + 1]!; w++) {
        const j = windows[w]!;
        if (!forward[j] || j > e || labelAt[ids[j]!]! <= e) continue;
        key[j]! += delta;
        stale[(j / SETTLE_BLOCK) | 0] = 1;
      }
    }
    for (let x = 0; x < this.blocks; x++)
      if (stale[x]) {
        stale[x] = 0;
        this.refresh(x);
      }
  }

  /** The label values of the last pass, from its sizes. */
  writeValues(): void {
    const { n, kinds, sections, before, ids, values } = this.m;
    const position = new Float64Array(this.m.sectionCount);
    for (let i = 0; i < n; i++) {
      const s = sections[i]!;
      const x = position[s]! + before[i]!;
      if (kinds[i] === LABEL) values[ids[i]!] = x;
      position[s] = x + this.own[i]!;
    }
  }
}

/** Whether a pass with these flips (in entry order) moved a label: a label after a flip, with drift at it. */
function labelMoved(
  flipAt: readonly number[],
  flipDelta: readonly number[],
  sections: Int32Array,
  labelsOf: ReadonlyArray<readonly number[]>,
  sectionCount: number,
): boolean {
  // the next flip of the same section (or the end) bounds the entries with a flip's drift
  const next = new Float64Array(flipAt.length);
  const following = new Float64Array(sectionCount).fill(Infinity);
  for (let f = flipAt.length - 1; f >= 0; f--) {
    const s = sections[flipAt[f]!]!;
    next[f] = following[s]!;
    following[s] = flipAt[f]!;
  }
  const drift = new Float64Array(sectionCount);
  for (let f = 0; f < flipAt.length; f++) {
    const e = flipAt[f]!;
    const s = sections[e]!;
    drift[s]! += flipDelta[f]!;
    if (drift[s] === 0) continue;
    const labels = labelsOf[s]!;
    let lo = 0;
    let hi = labels.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (labels[mid]! <= e) lo = mid + 1;
      else hi = mid;
    }
    if (lo < labels.length && labels[lo]! < next[f]!) return true;
  }
  return false;
}

/** Largest section contents kept in memory (flat binaries and object files beyond this are not useful). */
const MAX_SECTION_BYTES = 1 << 30;

function ensureCapacity(s: Section, size: number): void {
  if (s.buffer.length >= size) return;
  if (size > MAX_SECTION_BYTES)
    throw new LineError(`section \`${s.name}' would hold more than ${MAX_SECTION_BYTES} bytes`, -1);
  const grown = new Uint8Array(Math.max(size, s.buffer.length * 2, 256));
  grown.set(s.buffer);
  s.buffer = grown;
}

function alignUp(v: bigint, a: bigint): bigint {
  return a <= 1n ? v : ((v + a - 1n) / a) * a;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A data statement's elements as its debug type sees them. */
function debugElements(items: readonly DataItem[], unit: number): DataElement[] {
  return items.map((item) =>
    item.kind === 'group'
      ? { group: debugElements(item.items, item.unit) }
      : { unit, float: item.kind === 'float' },
  );
}

/** nasm's error for a symbol defined again, with its `info:` line naming the first definition. */
function redefinition(sym: SymbolEntry, message: string, col: number): LineError {
  const error = new LineError(message, col);
  if (sym.origin)
    error.note = { origin: sym.origin, message: `label \`${sym.name}' originally defined here` };
  return error;
}
