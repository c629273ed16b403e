/**
 * The parser: one preprocessed line in, zero or more statements out (a label and an instruction on the same
 * line are two statements). Expressions are parsed here once into trees; the passes only evaluate them.
 * Local labels (`.x`) are qualified with the last non-local label here, as nasm does, so later stages see
 * full names only.
 */

import { floatSpecialText } from './floats.js';
import type { OperandSize } from './encoder/types.js';
import { isMnemonic, isPrefix, lookupRegister } from './encoder/index.js';
import type { AddressHint, RoundingControl, VectorDecorators } from './encoder/types.js';

const ROUNDING_CONTROLS = new Set(['rn-sae', 'rd-sae', 'ru-sae', 'rz-sae', 'sae']);
import { LineError } from './diagnostics.js';
import { constantExpr, ExpressionParser, type Expr } from './expression.js';
import { parseInteger, rescanJoined, tokensToText, type Token } from './lexer.js';
import { isAlignMode, type AlignMode } from './smartalign.js';

export type SegmentName = 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';

export type OperandAst =
  | {
      kind: 'reg';
      name: string;
      col: number;
      to?: boolean;
      decorators?: VectorDecorators;
      /** `zmm1+3`: see `RegisterOperand.registerSet`. */
      registerSet?: number;
      /** A size keyword written before an opmask register (`kadd word k1, k2, k3`). */
      size?: OperandSize;
    }
  | {
      kind: 'imm';
      expr: Expr;
      size?: OperandSize;
      strict?: boolean;
      distance?: 'short' | 'near' | 'far';
      col: number;
    }
  | {
      kind: 'mem';
      size?: OperandSize;
      segment?: SegmentName;
      base?: string;
      index?: string;
      scale: number;
      /**
       * Set when a register's scale is a symbol (`[rsi+rdi*ROWS]` with `ROWS equ 4`): its value is known only
       * during layout, which then assigns base and index with `assignAddressRegisters` (base/index above unset).
       */
      scaledRegisters?: AddressRegister[];
      /** Displacement terms (registers removed); undefined = 0. */
      disp?: Expr;
      dispSize?: 8 | 16 | 32 | 64;
      decorators?: VectorDecorators;
      /** true = `rel`, false = `abs`, undefined = follow `default`. */
      rel?: boolean;
      nosplit?: boolean;
      /** `[a32 x]`: the address size of this operand, as the `a32` prefix on the instruction gives it. */
      addressSize?: 16 | 32 | 64;
      hint?: AddressHint;
      far?: boolean;
      col: number;
    }
  | { kind: 'farptr'; segment: Expr; offset: Expr; col: number; size?: OperandSize };

export type DataItem =
  | { kind: 'expr'; expr: Expr; col: number }
  | { kind: 'string'; bytes: Uint8Array; col: number }
  | { kind: 'float'; text: string; negative: boolean; col: number }
  | { kind: 'uninit'; col: number }
  /**
   * nasm 2.16's grouped data: `N dup (a, b)`, `word (a, b)` (items of another size), `%(a, b)`; `count`
   * absent means once.
   */
  | { kind: 'group'; unit: number; count?: Expr; items: DataItem[]; col: number };

export type SectionType = 'progbits' | 'nobits' | 'note' | 'preinit_array' | 'init_array' | 'fini_array';

/** A `section` line's attributes as one output format reads them (nasm's ELF and bin parse them differently). */
export interface SectionAttributes {
  type?: SectionType;
  alloc?: boolean;
  exec?: boolean;
  write?: boolean;
  tls?: boolean;
  merge?: boolean;
  strings?: boolean;
  align?: number;
  /**
   * ELF: the entry size and alignment a size word (`byte`, `dword*4`, `pointer`) gives; negative numbers are
   * multiples of the format's pointer size, as nasm counts `pointer`.
   */
  entsize?: number;
  unitAlign?: number;
  /** ELF: some attribute was written (nasm then drops the known section's default alignment). */
  given?: boolean;
  /** bin format: start=, vstart=, follows=, vfollows= */
  start?: Expr;
  vstart?: Expr;
  follows?: string;
  vfollows?: string;
  /** Attributes the format does not know: nasm warns and ignores them (the warnings' text). */
  ignored?: string[];
  /** What the format refuses in the line (only the format the output uses reports it). */
  error?: { message: string; col: number };
}

/** nasm's symbol name affixes: prefixes and postfixes of global/extern (`g`) and other (`l`) symbols. */
export type SymbolAffix = 'gprefix' | 'gpostfix' | 'lprefix' | 'lpostfix';

const AFFIX_DIRECTIVES: Record<string, SymbolAffix | undefined> = {
  prefix: 'gprefix',
  gprefix: 'gprefix',
  postfix: 'gpostfix',
  gpostfix: 'gpostfix',
  lprefix: 'lprefix',
  lpostfix: 'lpostfix',
};

/**
 * nasm 2.16's unsuffixed opmask mnemonics: the suffix its table picks for no size, byte, word, dword and qword
 * (a size keyword on a mask register, the memory size, or a 16/64-bit general register); `-` is refused.
 * `kandn` is nasm 2.16's own table, sizes reversed.
 */
type OpmaskSuffixes = readonly [string, string, string, string, string];
/** What most opmask mnemonics take: no size is the byte form. */
const BY_SIZE: OpmaskSuffixes = ['b', 'b', 'w', 'd', 'q'];
const OPMASK_SUFFIXES: Record<string, OpmaskSuffixes | undefined> = {
  ...Object.fromEntries(
    ['kadd', 'kand', 'kmov', 'knot', 'kor', 'kortest', 'kshiftl', 'kshiftr', 'ktest', 'kxnor', 'kxor'].map(
      (mnemonic) => [mnemonic, BY_SIZE],
    ),
  ),
  kandn: ['b', 'q', 'd', 'w', 'b'],
  kunpck: ['bw', '-', 'bw', 'wd', 'dq'],
};

const WORD_TO_DWORD: Record<string, string> = {
  ax: 'eax',
  cx: 'ecx',
  dx: 'edx',
  bx: 'ebx',
  sp: 'esp',
  bp: 'ebp',
  si: 'esi',
  di: 'edi',
};

/** A mnemonic of the instruction table or one of nasm's unsuffixed opmask mnemonics. */
function isInstructionName(lower: string): boolean {
  return isMnemonic(lower) || OPMASK_SUFFIXES[lower] !== undefined;
}

/** The suffixed mnemonic an unsuffixed opmask one stands for (a 16-bit register becomes its 32-bit one). */
function opmaskMnemonic(
  mnemonic: string,
  suffixes: OpmaskSuffixes,
  operands: OperandAst[],
  col: number,
): string {
  const sizes = new Set<number>();
  operands.forEach((o, i) => {
    // kunpck's sources are half its destination (`kunpck k1, byte k2, k3` is kunpckbw)
    if (o.kind === 'reg' && o.size !== undefined)
      sizes.add(mnemonic === 'kunpck' && i > 0 ? o.size * 2 : o.size);
    else if (o.kind === 'mem') {
      if (o.size !== undefined) sizes.add(o.size);
      else if (mnemonic === 'kmov' && i > 0) throw new LineError('operation size not specified', col);
    } else if (o.kind === 'reg') {
      const word =
        WORD_TO_DWORD[o.name] ?? (/^r(?:[89]|1[0-5])w$/.test(o.name) ? o.name.replace(/w$/, 'd') : undefined);
      if (word) {
        sizes.add(16);
        operands[i] = { ...o, name: word };
      } else if (/^r(?:[a-ds][xip]|[bs]p|[89]|1[0-5])$/.test(o.name)) sizes.add(64);
    }
  });
  if (sizes.size > 1) throw new LineError('invalid combination of opcode and operands', col);
  const [size] = [...sizes];
  const suffix = suffixes[size === undefined ? 0 : [8, 16, 32, 64].indexOf(size) + 1 || -1];
  if (suffix === undefined || suffix === '-')
    throw new LineError('invalid combination of opcode and operands', col);
  return mnemonic + suffix;
}

export type Statement =
  | { kind: 'label'; name: string; col: number }
  | {
      kind: 'instruction';
      mnemonic: string;
      prefixes: string[];
      operands: OperandAst[];
      col: number;
      /** A jump whose size the passes choose (no `short`/`near` written). */
      relax: boolean;
      /** `{rn-sae}`, `{sae}` ... written among the operands. */
      rounding?: RoundingControl;
      /** Assembled under `cpu latevex`, `cpu novex`, `cpu noevex`. */
      lateVex?: boolean;
      noVex?: boolean;
      noEvex?: boolean;
      /** Assembled under `cpu 8086`/`186`/`286`: a near `jcc` is a short inverse one over a near `jmp`. */
      before386?: boolean;
      /** The passes' cache for this instruction (opaque here). */
      state?: unknown;
    }
  | { kind: 'data'; unit: number; items: DataItem[]; col: number }
  | { kind: 'reserve'; unit: number; count: Expr; col: number }
  | { kind: 'equ'; name: string; expr: Expr; col: number }
  | { kind: 'times'; count: Expr; body: Statement; col: number }
  | {
      kind: 'section';
      name: string;
      attributes: { elf: SectionAttributes; bin: SectionAttributes };
      col: number;
    }
  | { kind: 'absolute'; address: Expr; col: number }
  | { kind: 'bits'; bits: 16 | 32 | 64; col: number }
  | { kind: 'default'; rel: boolean; col: number }
  | { kind: 'org'; address: Expr; col: number }
  | {
      kind: 'align';
      boundary: Expr;
      fill?: Statement;
      reserve: boolean;
      col: number;
      /** `%use smartalign`'s padding: the alignment mode and jump threshold in force. */
      smart?: { mode: AlignMode; threshold: number };
    }
  | { kind: 'sectalign'; boundary: Expr | undefined; col: number }
  | { kind: 'global'; names: SymbolDeclaration[]; col: number }
  | { kind: 'extern'; names: SymbolDeclaration[]; col: number }
  | { kind: 'common'; name: string; size: Expr; align?: Expr; col: number }
  | { kind: 'incbin'; file: string; offset?: Expr; length?: Expr; col: number }
  | { kind: 'struc'; name: string; base?: Expr; col: number }
  | { kind: 'endstruc'; col: number }
  | { kind: 'istruc'; name: string; contextLabel: string; col: number }
  | { kind: 'at'; field: Expr; body?: Statement; col: number }
  | { kind: 'iend'; col: number }
  | { kind: 'nothing' }
  /** `%pragma NAMESPACE gprefix|gpostfix|lprefix|lpostfix [TEXT]` (`prefix`/`postfix` are the g- ones). */
  | { kind: 'affix'; namespace: string; which: SymbolAffix; text: string }
  /** `[map all file.map]` (bin): which parts of nasm's map file, and where (undefined: nasm's default). */
  | { kind: 'map'; parts: MapPart[]; file: string | undefined };

export type MapPart = 'brief' | 'sections' | 'segments' | 'symbols' | 'all';

export interface SymbolDeclaration {
  name: string;
  type?: 'function' | 'data' | 'object' | 'notype';
  size?: Expr;
  visibility?: 'default' | 'hidden' | 'protected' | 'internal';
  /** `:weak` (STB_WEAK); `:strong` is the default binding. */
  weak?: boolean;
  /** `required name`: an extern written to the symbol table even when nothing uses it. */
  required?: boolean;
  col: number;
}

/** nasm's string functions: `__utf16__`, `__utf16le__`, `__utf16be__`, `__utf32__`... (also `__?utf16?__`). */
const UNICODE_FUNCTION = /^__\??utf(16|32)(le|be)?\??__$/i;

/**
 * `__?utf16?__("text")` / `__?utf16?__ "text"` and the le/be and utf32 siblings, replaced by a string token
 * holding the re-encoded text, so they work as data strings and as expression character constants alike.
 */
function applyStringFunctions(tokens: Token[]): Token[] {
  if (!tokens.some((t) => t.kind === 'id' && t.text.charCodeAt(0) === 95 && UNICODE_FUNCTION.test(t.text)))
    return tokens;
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'id' || t.escaped || !UNICODE_FUNCTION.test(t.text)) {
      out.push(t);
      continue;
    }
    const open = tokens[i + 1];
    const parenthesised = open?.kind === 'op' && open.text === '(';
    const text = tokens[i + (parenthesised ? 2 : 1)];
    const close = tokens[i + 3];
    if (!text || text.kind !== 'str' || (parenthesised && (close?.kind !== 'op' || close.text !== ')')))
      throw new LineError(`\`${t.text}' must be followed by a string constant`, (open ?? t).col);
    if (text.error) throw new LineError(text.error, text.col);
    const bytes = encodeUnicode(text.bytes!, t.text.toLowerCase().replace(/\?/g, ''));
    if (!bytes) throw new LineError(`invalid input string to function \`${t.text}'`, text.col);
    out.push({ ...text, bytes, col: t.col, spaceBefore: t.spaceBefore });
    i += parenthesised ? 3 : 1;
  }
  return out;
}

/** UTF-8 source bytes as UTF-16/32 (`name` without `?`: `__utf16be__`); undefined for invalid UTF-8. */
function encodeUnicode(utf8: Uint8Array, name: string): Uint8Array | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(utf8);
  } catch {
    return undefined;
  }
  const bigEndian = name.endsWith('be__');
  if (name.startsWith('__utf16')) {
    const units = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
    // nasm 2.16 writes a big-endian surrogate pair low surrogate first; kept for identical output.
    if (bigEndian)
      for (let i = 0; i + 1 < units.length; i++)
        if (units[i]! >= 0xd800 && units[i]! < 0xdc00 && units[i + 1]! >= 0xdc00 && units[i + 1]! < 0xe000) {
          [units[i], units[i + 1]] = [units[i + 1]!, units[i]!];
          i++;
        }
    const out = new Uint8Array(units.length * 2);
    const view = new DataView(out.buffer);
    units.forEach((u, i) => view.setUint16(i * 2, u, !bigEndian));
    return out;
  }
  const codePoints = Array.from(text, (c) => c.codePointAt(0)!);
  const out = new Uint8Array(codePoints.length * 4);
  const view = new DataView(out.buffer);
  codePoints.forEach((c, i) => view.setUint32(i * 4, c, !bigEndian));
  return out;
}

const SIZE_KEYWORDS: Record<string, OperandSize> = {
  byte: 8,
  word: 16,
  dword: 32,
  qword: 64,
  tword: 80,
  oword: 128,
  yword: 256,
  zword: 512,
};

const DATA_UNITS: Record<string, number> = { db: 1, dw: 2, dd: 4, dq: 8, dt: 10, do: 16, dy: 32, dz: 64 };
/** Size keywords that change the unit of grouped data (`dw byte (1, 2)`). */
const SIZE_UNITS: Record<string, number> = {
  byte: 1,
  word: 2,
  dword: 4,
  qword: 8,
  tword: 10,
  oword: 16,
  yword: 32,
  zword: 64,
};
const RESERVE_UNITS: Record<string, number> = {
  resb: 1,
  resw: 2,
  resd: 4,
  resq: 8,
  rest: 10,
  reso: 16,
  resy: 32,
  resz: 64,
};
// Maps for the per-token lookups: `name in object` must first internalize the name (a string-table probe per
// token) and also finds Object.prototype's names (`constructor`), which are not keywords
const SIZE_KEYWORD_OF = new Map(Object.entries(SIZE_KEYWORDS));
const DATA_UNIT_OF = new Map(Object.entries(DATA_UNITS));
const RESERVE_UNIT_OF = new Map(Object.entries(RESERVE_UNITS));
const SEGMENTS = new Set(['es', 'cs', 'ss', 'ds', 'fs', 'gs']);
const DIRECTIVES = new Set([
  'section',
  'segment',
  'bits',
  'use16',
  'use32',
  'use64',
  'global',
  'extern',
  'common',
  'static',
  'default',
  'org',
  'align',
  'alignb',
  'sectalign',
  'cpu',
  'float',
  'absolute',
  'struc',
  'endstruc',
  'istruc',
  'at',
  'pragma',
  'iend',
  'incbin',
  'times',
  'warning',
  'required',
  'list',
  'map',
  'debug',
]);

const registerCache = new Map<string, boolean>();

/** The prefixes of every instruction written without any (nothing changes a statement's list). */
const NO_PREFIXES: string[] = [];

const interned = new Map<string, string>();

/**
 * Plain register operands and small constant immediates, one object per (register name or constant node,
 * column): statements keep their operands through every pass and nothing changes one once parsed (decorators
 * copy it first), while a 200k-line program has a few hundred distinct ones among 200k operands.
 */
const sharedOperands = new Map<string | Expr, Array<OperandAst | undefined>>();
const sharedOperandSet = new WeakSet<OperandAst>();
/** Columns beyond this are rare (long labels before the instruction): those operands are not shared. */
const MAX_SHARED_COLUMN = 128;

function sharedOperand(key: string | Expr, col: number, make: () => OperandAst): OperandAst {
  if (col < 0 || col >= MAX_SHARED_COLUMN) return make();
  let byColumn = sharedOperands.get(key);
  if (byColumn === undefined) {
    if (sharedOperands.size >= 16384) return make();
    byColumn = [];
    sharedOperands.set(key, byColumn);
  }
  let op = byColumn[col];
  if (op === undefined) {
    op = make();
    byColumn[col] = op;
    sharedOperandSet.add(op);
  }
  return op;
}

function isSharedOperand(op: OperandAst): boolean {
  return sharedOperandSet.has(op);
}

/**
 * One copy of each mnemonic and register name: statements live through every pass, and a fresh string per
 * operand is most of what a 200k-line program keeps in memory besides the statements themselves.
 */
function intern(name: string): string {
  const known = interned.get(name);
  if (known !== undefined) return known;
  if (interned.size < 4096) interned.set(name, name);
  return name;
}

export function isRegisterName(name: string): boolean {
  let r = registerCache.get(name);
  if (r === undefined) {
    r = lookupRegister(name) !== undefined;
    registerCache.set(name, r);
  }
  return r;
}

function isKeyword(lowerName: string): boolean {
  return (
    DATA_UNIT_OF.has(lowerName) ||
    RESERVE_UNIT_OF.has(lowerName) ||
    DIRECTIVES.has(lowerName) ||
    lowerName === 'equ' ||
    lowerName === '__?smartalign?__' ||
    isInstructionName(lowerName) ||
    isPrefix(lowerName)
  );
}

/** nasm's CPU levels up to the x86-64 (`cpu x86-64` is read as the words `x86`, `-`, `64`; the last counts). */
const CPU_LEVELS = new Map<string, number>([
  ['8086', 0],
  ['186', 1],
  ['286', 2],
  ['386', 3],
  ['486', 4],
  ['586', 5],
  ['pentium', 5],
  ['686', 6],
  ['ppro', 6],
  ['p2', 6],
  ['p3', 7],
  ['katmai', 7],
  ['p4', 8],
  ['willamette', 8],
  ['prescott', 9],
  ['x64', 10],
  ['64', 10],
]);

/** State the parser keeps between lines: the label that local (`.x`) names attach to, and pending warnings. */
export class ParserState {
  lastLabel = '';
  /** Structure of the open `istruc`: its `at .field` lines name that structure's fields. */
  istruc = '';
  /** `cpu latevex` in force: VEX forms of AVX-512-era instructions (AVX-VNNI, AVX-IFMA) need no `{vex}`. */
  lateVex = false;
  /** `cpu novex` / `cpu noevex`: that encoding is not to be used. */
  noVex = false;
  noEvex = false;
  /** The `cpu` level in force, as `CPU_LEVELS` ranks it (any level it does not name: no limit). */
  cpuLevel = Infinity;
  get before386(): boolean {
    return this.cpuLevel < CPU_LEVELS.get('386')!;
  }
  /** The mode `bits`/`useNN` lines set so far (the format's to begin with). */
  bits: 16 | 32 | 64 = 16;
  /** Warnings for the line just parsed (the caller reports and clears them). */
  warnings: Array<{ col: number; message: string; name: string }> = [];
  private readonly names = new Map<string, string>();

  /**
   * One string object per symbol name: the passes look names up in every pass, and a lookup whose key is the
   * very string stored in the table is decided by identity, not by comparing the characters (of a
   * `label.local` concatenation, each time).
   */
  canonicalName(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    this.names.set(name, name);
    return name;
  }
}

/** `asLexed`: the tokens are the lexer's own (no macro glued any together), so no rescan can change them. */
export function parseLine(
  tokens: Token[],
  state: ParserState,
  uniqueId: number,
  asLexed = false,
): Statement[] {
  const scanned = asLexed ? tokens : rescanJoined(tokens);
  return new LineParser(applyStringFunctions(scanned), state, uniqueId).parseLine();
}

function endCol(tokens: Token[]): number {
  const last = tokens[tokens.length - 1];
  return last ? last.col + last.text.length : 0;
}

class LineParser {
  i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly state: ParserState,
    private readonly uniqueId: number,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  private atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  private isOp(t: Token | undefined, text: string): boolean {
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  private expectEnd(): void {
    const t = this.peek();
    if (t) throw new LineError(`unexpected \`${t.text}' at end of statement`, t.col);
  }

  /** The line parser is its expressions' host (no host object and closure per line). */
  isRegister(name: string): boolean {
    return isRegisterName(name);
  }

  qualify(name: string): string {
    return this.fullName(name);
  }

  characterConstant(length: number, col: number): number {
    const kept = this.state.bits === 64 ? 8 : 4;
    if (length > kept)
      this.state.warnings.push({ col, message: 'character constant too long', name: 'other' });
    return kept;
  }

  /** One expression parser per line, moved to each expression's start. */
  private expressions: ExpressionParser | undefined;

  private expr(): Expr {
    let p = this.expressions;
    if (p) p.i = this.i;
    else this.expressions = p = new ExpressionParser(this.tokens, this.i, this);
    const e = p.parse();
    this.i = p.i;
    return e;
  }

  fullName(name: string): string {
    if (name.charCodeAt(0) === 46 && name.charCodeAt(1) !== 46)
      return this.state.canonicalName(this.state.lastLabel + name);
    return this.state.canonicalName(name);
  }

  parseLine(): Statement[] {
    const out: Statement[] = [];
    let first = this.peek();
    if (!first) return out;
    // [directive ...] raw form
    if (this.isOp(first, '[')) {
      const name = this.peek(1);
      const close = this.tokens[this.tokens.length - 1];
      if (name && name.kind === 'id' && DIRECTIVES.has(name.text.toLowerCase()) && this.isOp(close, ']')) {
        const inner = new LineParser(this.tokens.slice(1, -1), this.state, this.uniqueId);
        return inner.parseLine();
      }
    }
    if (first.kind === 'id' || (first.kind === 'pp' && first.text.startsWith('%$'))) {
      const lowerName = first.text.toLowerCase();
      const next = this.peek(1);
      const colon = this.isOp(next, ':');
      const nextIsEqu = next !== undefined && next.kind === 'id' && next.text.toLowerCase() === 'equ';
      if (colon || nextIsEqu || first.escaped || !isKeyword(lowerName)) {
        if (isRegisterName(lowerName) && !first.escaped && !colon)
          throw new LineError(`register \`${first.text}' cannot be used as a label`, first.col);
        const name = this.fullName(first.text);
        this.i += colon ? 2 : 1;
        if (this.peek()?.kind === 'id' && this.peek()!.text.toLowerCase() === 'equ') {
          this.i++;
          if (this.atEnd()) throw new LineError("`equ' expects a value", endCol(this.tokens));
          const expr = this.expr();
          this.expectEnd();
          return [{ kind: 'equ', name, expr, col: first.col }];
        }
        if (!colon && !this.atEnd()) {
          const t = this.peek()!;
          const l = t.kind === 'id' ? t.text.toLowerCase() : '';
          if (!isKeyword(l) || t.escaped) throw new LineError('parser: instruction expected', first.col);
        }
        if (!colon && this.atEnd())
          this.state.warnings.push({
            col: first.col,
            message: 'label alone on a line without a colon might be in error',
            name: 'label-orphan',
          });
        if (!name.startsWith('..@') && !first.text.startsWith('.')) this.state.lastLabel = name;
        out.push({ kind: 'label', name, col: first.col });
        first = this.peek();
        if (!first) return out;
      }
    }
    const statement = this.statement();
    if (statement) out.push(statement);
    return out;
  }

  private statement(): Statement | undefined {
    const t = this.peek()!;
    if (this.isOp(t, '{')) return this.instruction();
    if (t.kind !== 'id') throw new LineError('label or instruction expected at start of line', t.col);
    const name = t.text.toLowerCase();
    const dataUnit = DATA_UNIT_OF.get(name);
    if (dataUnit !== undefined) {
      this.i++;
      return this.data(dataUnit, t);
    }
    if (RESERVE_UNIT_OF.has(name)) {
      this.i++;
      if (this.atEnd()) throw new LineError(`\`${name}' expects a count`, endCol(this.tokens));
      const count = this.expr();
      this.expectEnd();
      return { kind: 'reserve', unit: RESERVE_UNITS[name]!, count, col: t.col };
    }
    if (DIRECTIVES.has(name)) {
      this.i++;
      return this.directive(name, t);
    }
    if (name === '__?smartalign?__') {
      this.i++;
      return this.smartAlign(t);
    }
    return this.instruction();
  }

  /** `__?smartalign?__ boundary, mode, threshold`: what `%use smartalign`'s `align` macro expands to. */
  private smartAlign(t: Token): Statement {
    const boundary = this.expr();
    const mode = this.peek(1);
    const threshold = this.peek(3);
    if (
      !this.isOp(this.peek(), ',') ||
      mode?.kind !== 'id' ||
      !isAlignMode(mode.text.toLowerCase()) ||
      !this.isOp(this.peek(2), ',') ||
      threshold?.kind !== 'num'
    )
      throw new LineError("`__?smartalign?__' expects a boundary, a mode and a threshold", t.col);
    this.i += 4;
    this.expectEnd();
    return {
      kind: 'align',
      boundary,
      reserve: false,
      col: t.col,
      smart: { mode: mode.text.toLowerCase() as AlignMode, threshold: Number(threshold.value!) },
    };
  }

  private data(unit: number, t: Token): Statement {
    if (this.atEnd()) {
      // nasm: a warning, and nothing emitted
      this.state.warnings.push({ col: t.col, message: 'no operand for data declaration', name: 'db-empty' });
      return { kind: 'nothing' };
    }
    const items = this.dataList(unit, false);
    return { kind: 'data', unit, items, col: t.col };
  }

  /** Comma-separated data items up to the end of the line, or (`inGroup`) up to the group's `)`. */
  private dataList(unit: number, inGroup: boolean): DataItem[] {
    const items: DataItem[] = [];
    for (;;) {
      items.push(this.dataItem(unit, inGroup));
      if (inGroup && this.isOp(this.peek(), ')')) break;
      if (this.atEnd()) {
        if (inGroup) throw new LineError("expecting `)'", endCol(this.tokens));
        break;
      }
      const comma = this.peek()!;
      if (!this.isOp(comma, ','))
        throw new LineError(`comma expected after data value, found \`${comma.text}'`, comma.col);
      this.i++;
      if (this.atEnd()) throw new LineError('data value expected after comma', comma.col + 1);
    }
    return items;
  }

  /** A parenthesised list of data items in `unit`, the `(` next. */
  private dataGroup(unit: number, col: number, count?: Expr): DataItem {
    this.i++;
    const items = this.dataList(unit, true);
    this.i++;
    return count ? { kind: 'group', unit, count, items, col } : { kind: 'group', unit, items, col };
  }

  private dataItem(unit: number, inGroup: boolean): DataItem {
    const item = this.peek()!;
    const after = this.peek(1);
    const ends = (t: Token | undefined): boolean =>
      t === undefined || this.isOp(t, ',') || (inGroup && this.isOp(t, ')'));
    const itemEnds = ends(after);
    // `%(a, b)`: a list where `(a, b)` would be an expression
    if (this.isOp(item, '%') && this.isOp(after, '(') && !after!.spaceBefore) {
      this.i++;
      return this.dataGroup(unit, item.col);
    }
    // `word (a, b)` / `word ?`: items of another size
    const sized = item.kind === 'id' ? SIZE_UNITS[item.text.toLowerCase()] : undefined;
    if (sized !== undefined && after !== undefined && !ends(after)) {
      this.i++;
      if (this.isOp(this.peek(), '(')) return this.dataGroup(sized, item.col);
      return { kind: 'group', unit: sized, items: [this.dataItem(sized, inGroup)], col: item.col };
    }
    if (item.kind === 'str' && itemEnds) {
      if (item.error) throw new LineError(item.error, item.col);
      this.i++;
      return { kind: 'string', bytes: item.bytes!, col: item.col };
    }
    if (this.floatItemLength() > 0) return this.floatItem();
    if (this.isOp(item, '?') && itemEnds) {
      this.i++;
      return { kind: 'uninit', col: item.col };
    }
    const expr = this.expr();
    const dup = this.peek();
    if (dup?.kind === 'id' && dup.text.toLowerCase() === 'dup') {
      // `N dup item` / `N dup (items)` / `N dup word (items)`
      this.i++;
      if (this.atEnd()) throw new LineError("`dup' expects a value to repeat", endCol(this.tokens));
      if (this.isOp(this.peek(), '(')) return this.dataGroup(unit, item.col, expr);
      return { kind: 'group', unit, count: expr, items: [this.dataItem(unit, inGroup)], col: item.col };
    }
    return { kind: 'expr', expr, col: item.col };
  }

  /**
   * Tokens of a float data item at the cursor: signs, then a float constant or a special (`-1.5`,
   * `+__?Infinity?__`), then the end or a comma; 0 when the item is something else.
   */
  private floatItemLength(): number {
    let k = 0;
    while (this.isOp(this.peek(k), '-') || this.isOp(this.peek(k), '+')) k++;
    const t = this.peek(k);
    if (!t) return 0;
    const isFloat = t.kind === 'float' || (t.kind === 'id' && floatSpecialText(t.text) !== undefined);
    const next = this.peek(k + 1);
    return isFloat && (next === undefined || this.isOp(next, ',') || this.isOp(next, ')')) ? k + 1 : 0;
  }

  private floatItem(): DataItem {
    const length = this.floatItemLength();
    const col = this.peek()!.col;
    let negative = false;
    for (let k = 0; k < length - 1; k++) if (this.isOp(this.peek(k), '-')) negative = !negative;
    const t = this.peek(length - 1)!;
    this.i += length;
    const text = t.kind === 'float' ? t.text : floatSpecialText(t.text)!;
    return { kind: 'float', text, negative, col };
  }

  private names(): SymbolDeclaration[] {
    const names: SymbolDeclaration[] = [];
    while (!this.atEnd()) {
      const t = this.peek()!;
      if (t.kind !== 'id') throw new LineError(`symbol name expected, found \`${t.text}'`, t.col);
      this.i++;
      const decl: SymbolDeclaration = { name: this.fullName(t.text), col: t.col };
      if (this.isOp(this.peek(), ':')) {
        this.i++;
        // nasm's ELF specials: type, visibility and binding words in any order, then an optional size
        for (let w = this.peek(); w?.kind === 'id'; w = this.peek()) {
          const k = w.text.toLowerCase();
          if (k === 'function' || k === 'data' || k === 'object' || k === 'notype') decl.type = k;
          else if (k === 'hidden' || k === 'protected' || k === 'internal' || k === 'default')
            decl.visibility = k;
          else if (k === 'weak' || k === 'strong') decl.weak = k === 'weak';
          else break;
          this.i++;
        }
        if (!this.atEnd() && !this.isOp(this.peek(), ',')) decl.size = this.expr();
      }
      names.push(decl);
      if (this.atEnd()) break;
      if (!this.isOp(this.peek(), ','))
        throw new LineError(`comma expected, found \`${this.peek()!.text}'`, this.peek()!.col);
      this.i++;
    }
    if (names.length === 0) throw new LineError('symbol name expected', endCol(this.tokens));
    return names;
  }

  /** nasm refuses a mode the `cpu` level in force does not have. */
  private checkedBits(bits: 16 | 32 | 64, col: number): 16 | 32 | 64 {
    if (bits === 32 && this.state.cpuLevel < CPU_LEVELS.get('386')!)
      throw new LineError('cannot specify 32-bit segment on processor below a 386', col);
    if (bits === 64 && this.state.cpuLevel < CPU_LEVELS.get('x64')!)
      throw new LineError('cannot specify 64-bit segment on processor below an x86-64', col);
    return bits;
  }

  private directive(name: string, t: Token): Statement {
    const col = t.col;
    switch (name) {
      case 'section':
      case 'segment':
        return this.section(t);
      case 'bits': {
        const v = this.peek();
        if (!v || v.kind !== 'num' || (v.value !== 16n && v.value !== 32n && v.value !== 64n))
          throw new LineError("`bits' expects 16, 32 or 64", v?.col ?? endCol(this.tokens));
        this.i++;
        this.expectEnd();
        this.state.bits = this.checkedBits(Number(v.value) as 16 | 32 | 64, col);
        return { kind: 'bits', bits: this.state.bits, col };
      }
      case 'use16':
      case 'use32':
      case 'use64':
        this.expectEnd();
        this.state.bits = this.checkedBits(Number(name.slice(3)) as 16 | 32 | 64, col);
        return { kind: 'bits', bits: this.state.bits, col };
      case 'default': {
        const v = this.peek();
        const l = v?.kind === 'id' ? v.text.toLowerCase() : '';
        if (l === 'rel' || l === 'abs') {
          this.i++;
          return { kind: 'default', rel: l === 'rel', col };
        }
        if (l === 'bnd' || l === 'nobnd') return { kind: 'nothing' };
        throw new LineError("`default' expects `rel' or `abs'", v?.col ?? endCol(this.tokens));
      }
      case 'global':
      case 'static':
        return { kind: 'global', names: this.names(), col };
      case 'extern':
        return { kind: 'extern', names: this.names(), col };
      case 'required':
        return { kind: 'extern', names: this.names().map((n) => ({ ...n, required: true })), col };
      case 'common': {
        const n = this.peek();
        if (!n || n.kind !== 'id')
          throw new LineError("`common' expects a symbol name", n?.col ?? endCol(this.tokens));
        this.i++;
        if (this.atEnd()) throw new LineError("`common' expects a size", endCol(this.tokens));
        const size = this.expr();
        let align: Expr | undefined;
        if (this.isOp(this.peek(), ':')) {
          this.i++;
          align = this.expr();
        }
        this.expectEnd();
        return align
          ? { kind: 'common', name: n.text, size, align, col }
          : { kind: 'common', name: n.text, size, col };
      }
      case 'org': {
        const address = this.expr();
        this.expectEnd();
        return { kind: 'org', address, col };
      }
      case 'absolute': {
        const address = this.expr();
        this.expectEnd();
        return { kind: 'absolute', address, col };
      }
      case 'align':
      case 'alignb': {
        const boundary = this.expr();
        let fill: Statement | undefined;
        if (this.isOp(this.peek(), ',')) {
          this.i++;
          fill = this.statement();
        }
        return fill
          ? { kind: 'align', boundary, fill, reserve: name === 'alignb', col }
          : { kind: 'align', boundary, reserve: name === 'alignb', col };
      }
      case 'sectalign': {
        const v = this.peek();
        if (v?.kind === 'id' && (v.text.toLowerCase() === 'on' || v.text.toLowerCase() === 'off'))
          return { kind: 'nothing' };
        return { kind: 'sectalign', boundary: this.atEnd() ? undefined : this.expr(), col };
      }
      case 'cpu': {
        // Only the encoding preferences and the level's jcc form matter; CPU levels are not checked.
        for (const t of this.tokens.slice(this.i)) {
          const word = t.text.toLowerCase();
          const st = this.state;
          if (word === 'latevex') st.lateVex = true;
          else if (word === 'nolatevex') st.lateVex = false;
          else if (word === 'novex') st.noVex = true;
          else if (word === 'vex') st.noVex = false;
          else if (word === 'noevex') st.noEvex = true;
          else if (word === 'evex') st.noEvex = false;
          else if (word === 'default') {
            st.lateVex = st.noVex = st.noEvex = false;
            st.cpuLevel = Infinity;
          } else st.cpuLevel = CPU_LEVELS.get(word) ?? Infinity;
        }
        return { kind: 'nothing' };
      }
      case 'float':
      case 'warning':
      case 'map': {
        const parts: MapPart[] = [];
        const known = ['brief', 'sections', 'segments', 'symbols', 'all'];
        while (this.peek()?.kind === 'id' && known.includes(this.peek()!.text.toLowerCase()))
          parts.push(this.tokens[this.i++]!.text.toLowerCase() as MapPart);
        // the rest of the line is the file name, as written (`b.map`, `out/loader.map`)
        let file = '';
        while (!this.atEnd()) {
          const token = this.tokens[this.i++]!;
          file += (file && token.spaceBefore ? ' ' : '') + token.text;
        }
        return { kind: 'map', parts: parts.length > 0 ? parts : ['all'], file: file || undefined };
      }
      case 'list':
      case 'debug':
        return { kind: 'nothing' };
      case 'times': {
        if (this.atEnd()) throw new LineError("`times' expects a count", endCol(this.tokens));
        const count = this.expr();
        if (this.atEnd())
          throw new LineError("`times' expects an instruction or data after the count", endCol(this.tokens));
        const body = this.statement();
        if (!body) throw new LineError("`times' expects an instruction or data", col);
        return { kind: 'times', count, body, col };
      }
      case 'incbin': {
        const f = this.peek();
        if (!f || f.kind !== 'str')
          throw new LineError("`incbin' expects a file name in quotes", f?.col ?? endCol(this.tokens));
        this.i++;
        let offset: Expr | undefined;
        let length: Expr | undefined;
        if (this.isOp(this.peek(), ',')) {
          this.i++;
          offset = this.expr();
          if (this.isOp(this.peek(), ',')) {
            this.i++;
            length = this.expr();
          }
        }
        this.expectEnd();
        const statement: Statement = { kind: 'incbin', file: new TextDecoder().decode(f.bytes), col };
        if (offset) statement.offset = offset;
        if (length) statement.length = length;
        return statement;
      }
      case 'struc': {
        const n = this.peek();
        if (!n || n.kind !== 'id')
          throw new LineError("`struc' expects a name", n?.col ?? endCol(this.tokens));
        this.i++;
        let base: Expr | undefined;
        if (this.isOp(this.peek(), ',')) {
          this.i++;
          base = this.expr();
        }
        this.expectEnd();
        this.state.lastLabel = n.text;
        return base ? { kind: 'struc', name: n.text, base, col } : { kind: 'struc', name: n.text, col };
      }
      case 'endstruc':
        this.expectEnd();
        return { kind: 'endstruc', col };
      case 'istruc': {
        const n = this.peek();
        if (!n || n.kind !== 'id')
          throw new LineError("`istruc' expects a structure name", n?.col ?? endCol(this.tokens));
        this.i++;
        this.expectEnd();
        this.state.istruc = n.text;
        return { kind: 'istruc', name: n.text, contextLabel: `..@${this.uniqueId + 1}.strucstart`, col };
      }
      case 'at': {
        // as in nasm 2.16, `at .field` is a field of the structure being instantiated, whatever label came last
        const lastLabel = this.state.lastLabel;
        if (this.state.istruc) this.state.lastLabel = this.state.istruc;
        let field: Expr;
        try {
          field = this.expr();
        } finally {
          this.state.lastLabel = lastLabel;
        }
        let body: Statement | undefined;
        if (this.isOp(this.peek(), ',')) {
          this.i++;
          if (!this.atEnd()) body = this.statement();
        }
        return body ? { kind: 'at', field, body, col } : { kind: 'at', field, col };
      }
      case 'pragma': {
        // nasm ignores pragmas of namespaces it does not know; of the rest only the symbol affixes change output
        const namespace = this.tokens[this.i]?.text.toLowerCase() ?? '';
        const directive = this.tokens[this.i + 1]?.text.toLowerCase() ?? '';
        const which = AFFIX_DIRECTIVES[directive];
        const text = this.tokens
          .slice(this.i + 2)
          .map((x, k) => (k > 0 && x.spaceBefore ? ' ' : '') + x.text)
          .join('');
        this.i = this.tokens.length;
        return which ? { kind: 'affix', namespace, which, text } : { kind: 'nothing' };
      }
      case 'iend':
        this.expectEnd();
        this.state.istruc = '';
        return { kind: 'iend', col };
    }
    throw new LineError(`unknown directive \`${name}'`, col);
  }

  /**
   * nasm hands the output format the line's text: the section name is its first whitespace-separated word
   * (`.bss,` included), and each format splits the rest into words of its own (ELF: nasm_opt_val, bin:
   * bin_read_attribute), warning about words it does not know.
   */
  private section(t: Token): Statement {
    const n = this.peek();
    if (!n || (n.kind !== 'id' && n.kind !== 'str' && n.kind !== 'op'))
      throw new LineError("`section' expects a name", n?.col ?? endCol(this.tokens));
    const words = directiveWords(this.tokens, this.i);
    this.i = this.tokens.length;
    const first = words[0]!;
    const name =
      first.tokens.length === 1 && n.kind === 'str' ? new TextDecoder().decode(n.bytes) : first.text;
    const rest = words.slice(1);
    return {
      kind: 'section',
      name,
      attributes: { elf: elfSectionAttributes(name, rest, n.col), bin: this.binSectionAttributes(rest) },
      col: t.col,
    };
  }

  /** nasm's bin attributes: `progbits`, `nobits`, `align=`, `start=`, `vstart=` (a number or a parenthesised
   *  expression), `follows=`, `vfollows=`; `key=value` is one word. */
  private binSectionAttributes(words: DirectiveWord[]): SectionAttributes {
    const attributes: SectionAttributes = {};
    try {
      this.readBinSectionAttributes(words, attributes);
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      attributes.error = { message: e.message, col: e.col };
    }
    return attributes;
  }

  private readBinSectionAttributes(words: DirectiveWord[], attributes: SectionAttributes): void {
    const ignore = (w: DirectiveWord): void => {
      (attributes.ignored ??= []).push(`ignoring unknown section attribute: "${w.text}"`);
    };
    for (const w of words) {
      const lower = w.text.toLowerCase();
      if (lower === 'progbits' || lower === 'nobits') {
        attributes.type = lower;
        continue;
      }
      const eq = w.tokens.findIndex((x) => this.isOp(x, '='));
      const key = eq === 1 && w.tokens[0]!.kind === 'id' ? w.tokens[0]!.text.toLowerCase() : '';
      const valueTokens = w.tokens.slice(eq + 1);
      if (key === 'follows' || key === 'vfollows') {
        if (valueTokens.length === 0)
          throw new LineError(`expecting section name for \`${key}' attribute`, w.tokens[0]!.col);
        attributes[key] = tokensToText(valueTokens);
        continue;
      }
      if (key !== 'align' && key !== 'start' && key !== 'vstart') {
        if (key === 'valign')
          throw new LineError("section attribute `valign=' is not supported", w.tokens[0]!.col);
        ignore(w);
        continue;
      }
      if (valueTokens.length === 0) {
        (attributes.ignored ??= []).push("No value given to attribute in `section' directive");
        continue;
      }
      const parser = new ExpressionParser(valueTokens, 0, this);
      const value = parser.parse();
      if (parser.i !== valueTokens.length)
        throw new LineError(
          "Invalid attribute value specified in `section' directive.",
          valueTokens[parser.i]!.col,
        );
      if (key === 'align') {
        if (value.k !== 'num') throw new LineError("`align=' expects a number", w.tokens[0]!.col);
        const v = Number(value.v);
        if (v <= 0 || (v & (v - 1)) !== 0)
          throw new LineError("argument to `align' is not a power of two", w.tokens[0]!.col);
        attributes.align = Math.max(v, attributes.align ?? 0);
      } else attributes[key] = value;
    }
  }

  private instruction(): Statement {
    const prefixes: string[] = [];
    let t = this.peek()!;
    for (;;) {
      // `{vex}`, `{vex3}`, `{evex}`: encoding preferences written as prefixes
      const brace = this.isOp(t, '{') ? this.peek(1) : undefined;
      if (brace?.kind === 'id' && this.isOp(this.peek(2), '}')) {
        const name = `{${brace.text.toLowerCase()}}`;
        if (!isPrefix(name)) throw new LineError(`unknown instruction prefix \`${name}'`, t.col);
        prefixes.push(name);
        this.i += 3;
        const next = this.peek();
        if (!next) throw new LineError(`instruction expected after \`${name}'`, t.col);
        t = next;
        continue;
      }
      if (!(t.kind === 'id' && isPrefix(t.text.toLowerCase()) && !isMnemonic(t.text.toLowerCase()))) break;
      prefixes.push(t.text.toLowerCase());
      this.i++;
      const next = this.peek();
      if (!next) {
        // a lone prefix (`rep` on its own line) is an instruction of its own in nasm
        return {
          kind: 'instruction',
          mnemonic: prefixes.pop()!,
          prefixes,
          operands: [],
          col: t.col,
          relax: false,
          state: undefined,
        };
      }
      t = next;
    }
    if (t.kind !== 'id' || !isInstructionName(t.text.toLowerCase())) {
      if (t.kind === 'id' && (t.text.toLowerCase() in DATA_UNITS || DIRECTIVES.has(t.text.toLowerCase())))
        throw new LineError(`\`${t.text}' cannot follow a prefix`, t.col);
      throw new LineError('parser: instruction expected', t.col);
    }
    const mnemonic = intern(t.text.toLowerCase());
    const col = t.col;
    this.i++;
    const operands: OperandAst[] = [];
    let rounding: RoundingControl | undefined;
    let roundingAt = 0;
    if (!this.atEnd()) {
      for (;;) {
        const control = this.roundingControl();
        if (control) {
          rounding = control;
          roundingAt = operands.length;
        } else operands.push(this.decorated(this.operand()));
        if (this.atEnd()) break;
        const comma = this.peek()!;
        if (!this.isOp(comma, ','))
          throw new LineError(`comma, colon or end of line expected, found \`${comma.text}'`, comma.col);
        this.i++;
        // like nasm, a trailing comma adds no operand (`imul rax, rcx,` from an empty macro argument)
        if (this.atEnd()) break;
      }
    }
    // as nasm: `{sae}`/`{rn-sae}` goes with a register or memory operand, never after the immediate
    if (rounding && roundingAt > 0 && operands[roundingAt - 1]!.kind === 'imm')
      throw new LineError('unsupported mode decorator for instruction', col, true);
    const relax =
      mnemonic.charCodeAt(0) === 106 /* j */ &&
      operands.length === 1 &&
      operands[0]!.kind === 'imm' &&
      operands[0]!.distance === undefined &&
      // `jmp word x` and `jmp strict x` are never shortened
      operands[0]!.size === undefined &&
      !operands[0]!.strict;
    for (const o of operands)
      if (o.kind === 'mem' && o.addressSize && !prefixes.includes(`a${o.addressSize}`))
        prefixes.push(`a${o.addressSize}`);
    const opmask = OPMASK_SUFFIXES[mnemonic];
    const resolved = opmask ? opmaskMnemonic(mnemonic, opmask, operands, col) : mnemonic;
    // exact-size copies: push leaves spare capacity, and statements live through every pass
    const statement: Statement = {
      kind: 'instruction',
      mnemonic: resolved,
      prefixes: prefixes.length === 0 ? NO_PREFIXES : prefixes.slice(),
      operands: operands.slice(),
      col,
      relax,
      // present from the start so the passes' cache does not change the object's shape
      state: undefined,
    };
    if (rounding) statement.rounding = rounding;
    if (this.state.lateVex) statement.lateVex = true;
    if (this.state.noVex) statement.noVex = true;
    if (this.state.noEvex) statement.noEvex = true;
    if (this.state.before386) statement.before386 = true;
    return statement;
  }

  /** `{rn-sae}` `{rd-sae}` `{ru-sae}` `{rz-sae}` `{sae}` standing as an operand, consumed; else undefined. */
  private roundingControl(): RoundingControl | undefined {
    const open = this.peek();
    if (!this.isOp(open, '{')) return undefined;
    let text = '';
    let j = 1;
    for (let t = this.peek(j); t && !this.isOp(t, '}'); t = this.peek(++j)) text += t.text.toLowerCase();
    if (!this.isOp(this.peek(j), '}') || !ROUNDING_CONTROLS.has(text))
      throw new LineError(`unknown operand decorator \`{${text}}'`, open!.col);
    this.i += j + 1;
    return text as RoundingControl;
  }

  /** `{k1}`, `{z}`, `{1to16}` after a register or memory operand. */
  private decorated(op: OperandAst): OperandAst {
    // decorators are written into the operand: a shared one is copied first
    if (this.isOp(this.peek(), '{') && isSharedOperand(op)) op = { ...op };
    while (this.isOp(this.peek(), '{')) {
      const open = this.peek()!;
      let text = '';
      let j = 1;
      for (let t = this.peek(j); t && !this.isOp(t, '}') && !this.isOp(t, ','); t = this.peek(++j))
        text += t.text.toLowerCase();
      if (!this.isOp(this.peek(j), '}')) throw new LineError('invalid operand decorator', open.col);
      if (op.kind !== 'reg' && op.kind !== 'mem')
        throw new LineError('decorator on a non-vector operand', open.col);
      const decorators: VectorDecorators = (op.decorators ??= {});
      const broadcast = /^1to(2|4|8|16|32)$/.exec(text);
      if (/^k[1-7]$/.test(text)) decorators.mask = Number(text[1]);
      else if (text === 'z') decorators.zeroing = true;
      else if (broadcast && op.kind === 'mem') decorators.broadcast = Number(broadcast[1]);
      else throw new LineError(`invalid operand decorator \`{${text}}'`, open.col);
      this.i += j + 1;
    }
    return op;
  }

  private operand(): OperandAst {
    let size: OperandSize | undefined;
    let strict = false;
    let distance: 'short' | 'near' | 'far' | undefined;
    const start = this.peek()!;
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'id' || t.escaped) break;
      const l = t.text.toLowerCase();
      const sizeKeyword = SIZE_KEYWORD_OF.get(l);
      if (sizeKeyword !== undefined) size = sizeKeyword;
      else if (l === 'strict') strict = true;
      else if (l === 'short' || l === 'near' || l === 'far') distance = l;
      else break;
      this.i++;
    }
    const t = this.peek();
    if (!t) throw new LineError('operand expected', endCol(this.tokens));
    if (this.isOp(t, '[')) {
      const mem = this.memory(t.col);
      if (size !== undefined) mem.size = size;
      if (distance === 'far') mem.far = true;
      return mem;
    }
    // segment override outside the brackets: `fs:[rax]`
    if (
      t.kind === 'id' &&
      SEGMENTS.has(t.text.toLowerCase()) &&
      this.isOp(this.peek(1), ':') &&
      this.isOp(this.peek(2), '[')
    ) {
      this.i += 2;
      const mem = this.memory(this.peek()!.col);
      mem.segment = t.text.toLowerCase() as SegmentName;
      if (size !== undefined) mem.size = size;
      return mem;
    }
    // NASM's `to` before an x87 register: `fadd to st1`
    if (
      t.kind === 'id' &&
      !t.escaped &&
      t.text.toLowerCase() === 'to' &&
      this.peek(1)?.kind === 'id' &&
      /^st[0-7]$/i.test(this.peek(1)!.text) &&
      (this.peek(2) === undefined || this.isOp(this.peek(2), ','))
    ) {
      const r = this.peek(1)!;
      this.i += 2;
      return { kind: 'reg', name: intern(r.text.toLowerCase()), col: t.col, to: true };
    }
    if (t.kind === 'id' && !t.escaped && isRegisterName(t.text.toLowerCase())) {
      const after = this.peek(1);
      if (after === undefined || this.isOp(after, ',') || this.isOp(after, '{')) {
        this.i++;
        // a size keyword before a register (`mov eax, dword ebx`) is legal nasm and implied by the register;
        // on an opmask register it sizes the unsuffixed `kmov`/`kadd`... (see `opmaskMnemonic`)
        const name = intern(t.text.toLowerCase());
        return size !== undefined && /^k[0-7]$/.test(name)
          ? { kind: 'reg', name, col: t.col, size }
          : sharedOperand(name, t.col, () => ({ kind: 'reg', name, col: t.col }));
      }
      // NASM 3's register sets of 4FMAPS/4VNNIW: `zmm1+3` is zmm1 and the three after it
      const count = this.peek(2);
      const end = this.peek(3);
      if (
        /^[xyz]mm\d+$/i.test(t.text) &&
        this.isOp(after, '+') &&
        count?.kind === 'num' &&
        (end === undefined || this.isOp(end, ',') || this.isOp(end, '{'))
      ) {
        this.i += 3;
        return {
          kind: 'reg',
          name: intern(t.text.toLowerCase()),
          col: t.col,
          registerSet: Number(count.value!),
        };
      }
    }
    const expr = this.expr();
    if (this.isOp(this.peek(), ':')) {
      this.i++;
      const offset = this.expr();
      const far: OperandAst = { kind: 'farptr', segment: expr, offset, col: start.col };
      // `jmp dword 0x08:pm` in 16-bit code: the size is the offset's (and selects the 66 prefix)
      if (size !== undefined) far.size = size;
      return far;
    }
    if (size === undefined && !strict && !distance && expr.k === 'num' && constantExpr(expr.v) === expr)
      return sharedOperand(expr, start.col, () => immediateAst(expr, undefined, false, undefined, start.col));
    return immediateAst(expr, size, strict, distance, start.col);
  }

  private memory(col: number): Extract<OperandAst, { kind: 'mem' }> {
    this.i++; // [
    const mem = memoryAst(col);
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'id' || t.escaped) break;
      const l = t.text.toLowerCase();
      if (l === 'rel') mem.rel = true;
      else if (l === 'abs') mem.rel = false;
      else if (l === 'nosplit') mem.nosplit = true;
      else if (l === 'byte') mem.dispSize = 8;
      else if (l === 'word') mem.dispSize = 16;
      else if (l === 'dword') mem.dispSize = 32;
      else if (l === 'qword') mem.dispSize = 64;
      else if (l === 'a16' || l === 'a32' || l === 'a64')
        mem.addressSize = Number(l.slice(1)) as 16 | 32 | 64;
      else if (SEGMENTS.has(l) && this.isOp(this.peek(1), ':')) {
        mem.segment = l as SegmentName;
        this.i++;
      } else break;
      this.i++;
    }
    if (this.isOp(this.peek(), ']')) throw new LineError('empty memory reference', this.peek()!.col);
    // `[,rcx*1]`: a split address with no base part
    const e: Expr = this.isOp(this.peek(), ',') ? { k: 'num', v: 0n } : this.expr();
    // NASM's split form `[base+disp, index*scale]` (MPX's MIB): the part after the comma is the index
    const comma = this.peek();
    const indexExpr = this.isOp(comma, ',') ? (this.i++, this.expr()) : undefined;
    const close = this.peek();
    if (!this.isOp(close, ']')) throw new LineError("expecting `]'", close?.col ?? endCol(this.tokens));
    this.i++;
    splitAddress(e, mem);
    if (indexExpr) {
      const part = memoryAst(comma!.col);
      splitAddress(indexExpr, part);
      const name = part.index ?? part.base;
      if (
        !name ||
        (part.base && part.index) ||
        part.disp ||
        part.scaledRegisters ||
        mem.index ||
        mem.scaledRegisters
      )
        throw new LineError(
          'invalid effective address: expected one index register after the comma',
          comma!.col,
        );
      mem.index = name;
      mem.scale = part.index ? part.scale : 1;
    }
    return mem;
  }
}

interface Term {
  expr: Expr;
  negative: boolean;
}

/** A register in an address with its multiplier: a number, or an expression layout must evaluate. */
export interface AddressRegister {
  name: string;
  scale: number | Expr;
  col: number;
}

type MemoryAst = Extract<OperandAst, { kind: 'mem' }>;

/*
 * Immediate and memory operands are made with every field written (absent ones undefined): objects of one shape
 * keep the passes' reads of them monomorphic, where setting only the fields present gave a shape per combination.
 */

function immediateAst(
  expr: Expr,
  size: OperandSize | undefined,
  strict: boolean,
  distance: 'short' | 'near' | 'far' | undefined,
  col: number,
): OperandAst {
  return { kind: 'imm', expr, size, strict: strict || undefined, distance, col };
}

function memoryAst(col: number): MemoryAst {
  return {
    kind: 'mem',
    size: undefined,
    segment: undefined,
    base: undefined,
    index: undefined,
    scale: 1,
    scaledRegisters: undefined,
    disp: undefined,
    dispSize: undefined,
    decorators: undefined,
    rel: undefined,
    nosplit: undefined,
    addressSize: undefined,
    hint: undefined,
    far: undefined,
    col,
  };
}

/**
 * NASM's first base/index assignment: its evaluator keeps an address's registers in the order of its register
 * table (alphabetical by name, so `rcx` before `rsi` and `r10` before `r8`), whatever the source order; the
 * first is the base when it is a general register with multiplier 1, else the index; the second is the index
 * when the first was the base, else it must be a plain general register and becomes the base. Registers named
 * twice have their multipliers added first. The encoder then applies the source-order hint (`addressHint`).
 */
export function assignAddressRegisters(
  registers: ReadonlyArray<{ name: string; scale: number; col: number }>,
  mem: Pick<MemoryAst, 'base' | 'index' | 'scale'>,
): void {
  // the usual `[base]` / `[base + index*scale]`, decided without the general merge below
  if (registers.length === 1 || (registers.length === 2 && registers[0]!.name !== registers[1]!.name)) {
    let a: AddressRegisterValue | undefined = registers[0]!;
    let b: AddressRegisterValue | undefined = registers[1];
    if (b && b.name < a.name) [a, b] = [b, a];
    if (b?.scale === 0) b = undefined;
    if (a.scale === 0) [a, b] = [b, undefined];
    if (a) placeAddressRegisters(a, b, mem);
    return;
  }
  const merged: Array<{ name: string; scale: number; col: number }> = [];
  for (const r of registers) {
    const existing = merged.find((m) => m.name === r.name);
    if (existing) existing.scale += r.scale;
    else merged.push({ ...r });
  }
  const live = merged
    .filter((r) => r.scale !== 0)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (live.length > 2) throw new LineError('invalid effective address: too many registers', live[2]!.col);
  if (live[0]) placeAddressRegisters(live[0], live[1], mem);
}

type AddressRegisterValue = { name: string; scale: number; col: number };

/** The base/index choice of `assignAddressRegisters` for its (at most two) registers in table order. */
function placeAddressRegisters(
  first: AddressRegisterValue,
  second: AddressRegisterValue | undefined,
  mem: Pick<MemoryAst, 'base' | 'index' | 'scale'>,
): void {
  const plainGeneral = (r: { name: string; scale: number }) =>
    r.scale === 1 && lookupRegister(r.name)?.class === 'gpr';
  if (plainGeneral(first)) mem.base = first.name;
  else {
    mem.index = first.name;
    mem.scale = first.scale;
  }
  if (second) {
    if (mem.base !== undefined) {
      mem.index = second.name;
      mem.scale = second.scale;
    } else if (plainGeneral(second)) mem.base = second.name;
    else throw new LineError('invalid effective address: two index registers', second.col);
  }
}

/**
 * A term vector as nasm's evaluator builds it: register or `simple` (number) terms, each key followed by its
 * multiplier (null: a value not known here). A flat array, changed in place: every address of every
 * instruction goes through here, and each vector is used once (by the node above it).
 */
type HintVector = Array<string | bigint | null>;

const SIMPLE_TERM = '';

/** One hint object per kind and register (statements keep them through every pass; nothing changes them). */
const HINTS = { makebase: new Map(), notbase: new Map(), summed: new Map() } as Record<
  AddressHint['kind'],
  Map<string | undefined, AddressHint>
>;

function sharedHint(kind: AddressHint['kind'], register: string | undefined): AddressHint {
  const known = HINTS[kind].get(register);
  if (known) return known;
  const hint: AddressHint = { kind, register };
  if (HINTS[kind].size < 4096) HINTS[kind].set(register, hint);
  return hint;
}

/**
 * The hint nasm's evaluator records while reading an address (see `MemoryOperand.hint`): the first register
 * read becomes the preferred base; multiplying it by a scalar turns that into "not the base"; adding two terms
 * of the same kind (two numbers, a register twice) anywhere in the expression turns it into "summed". Values
 * that only layout knows (symbols, `$`) count as non-zero numbers.
 */
export function addressHint(e: Expr): AddressHint | undefined {
  let hint: AddressHint | undefined;
  const scalar = (v: HintVector): bigint | null | undefined =>
    v.length === 2 && v[0] === SIMPLE_TERM ? (v[1] as bigint | null) : undefined;
  const times = (v: HintVector, k: bigint | null, affectsHint: boolean): HintVector => {
    for (let i = 0; i < v.length; i += 2) {
      const value = v[i + 1] as bigint | null;
      v[i + 1] = k === null || value === null ? null : k * value;
      if (affectsHint && hint?.kind === 'makebase' && v[i] === hint.register)
        hint = sharedHint('notbase', hint.register);
    }
    return v;
  };
  const add = (p: HintVector, q: HintVector): HintVector => {
    for (let j = 0; j < q.length; j += 2) {
      const key = q[j] as string;
      const value = q[j + 1] as bigint | null;
      let at = -1;
      for (let i = 0; i < p.length; i += 2)
        if (p[i] === key) {
          at = i;
          break;
        }
      if (at < 0) {
        p.push(key, value);
        continue;
      }
      const a = p[at + 1] as bigint | null;
      const sum = a === null || value === null ? null : a + value;
      if (sum === 0n) p.splice(at, 2);
      else {
        p[at + 1] = sum;
        hint = sharedHint('summed', hint?.register);
      }
    }
    return p;
  };
  const unknown = (): HintVector => [SIMPLE_TERM, null];
  const vector = (x: Expr): HintVector => {
    switch (x.k) {
      case 'num':
        return [SIMPLE_TERM, x.v];
      case 'reg':
        hint ??= sharedHint('makebase', x.name);
        return [x.name, 1n];
      case 'un': {
        const a = vector(x.a);
        if (x.op === '-') return times(a, -1n, false);
        if (x.op === '+') return a;
        return unknown();
      }
      case 'bin': {
        const a = vector(x.a);
        const b = vector(x.b);
        if (x.op === '+') return add(a, b);
        if (x.op === '-') return add(a, times(b, -1n, false));
        if (x.op === '*') {
          const ka = scalar(a);
          if (ka !== undefined) return times(b, ka, true);
          const kb = scalar(b);
          if (kb !== undefined) return times(a, kb, true);
        }
        return unknown();
      }
      case 'wrt':
        return vector(x.a);
      case 'cond':
        vector(x.c);
        vector(x.a);
        vector(x.b);
        return unknown();
      default:
        return unknown();
    }
  };
  vector(e);
  return hint;
}

/** Separates registers (with scales) from the displacement in an address expression. */
function splitAddress(e: Expr, mem: MemoryAst): void {
  const registers: AddressRegister[] = [];
  const terms: Term[] = [];
  const walk = (x: Expr, negative: boolean): void => {
    if (x.k === 'bin' && (x.op === '+' || x.op === '-')) {
      walk(x.a, negative);
      walk(x.b, x.op === '-' ? !negative : negative);
      return;
    }
    if (x.k === 'un' && x.op === '-' && containsRegister(x.a)) {
      walk(x.a, !negative);
      return;
    }
    if (x.k === 'reg') {
      if (negative) throw new LineError(`register \`${x.name}' cannot be subtracted in an address`, x.col);
      registers.push({ name: intern(x.name), scale: 1, col: x.col });
      return;
    }
    if (x.k === 'bin' && x.op === '*') {
      const reg = x.a.k === 'reg' ? x.a : x.b.k === 'reg' ? x.b : undefined;
      const other = reg === x.a ? x.b : x.a;
      if (reg && reg.k === 'reg' && !containsRegister(other)) {
        if (negative)
          throw new LineError(`register \`${reg.name}' cannot be subtracted in an address`, reg.col);
        const scale = isFoldable(other) ? Number(foldConstant(other)) : other;
        registers.push({ name: intern(reg.name), scale, col: reg.col });
        return;
      }
    }
    if (containsRegister(x)) throw new LineError('invalid effective address', exprCol(x));
    terms.push({ expr: x, negative });
  };
  // `[ebx + x wrt ..gotoff]`: the `wrt` applies to the displacement, whatever registers the address has
  const wrt = e.k === 'wrt' && containsRegister(e.a) ? e : undefined;
  walk(wrt ? wrt.a : e, false);
  if (registers.length > 0) mem.hint = addressHint(e);
  if (registers.some((r) => typeof r.scale !== 'number')) mem.scaledRegisters = registers;
  else assignAddressRegisters(registers as Array<{ name: string; scale: number; col: number }>, mem);
  let disp: Expr | undefined;
  for (const term of terms) {
    const col = exprCol(term.expr);
    if (!disp) disp = term.negative ? { k: 'un', op: '-', a: term.expr, col } : term.expr;
    else disp = { k: 'bin', op: term.negative ? '-' : '+', a: disp, b: term.expr, col };
  }
  if (wrt) {
    if (!disp) throw new LineError("`wrt' needs a symbol in the address", wrt.col);
    disp = { k: 'wrt', a: disp, wrt: wrt.wrt, col: wrt.col };
  }
  if (disp) mem.disp = disp;
}

function containsRegister(e: Expr): boolean {
  switch (e.k) {
    case 'reg':
      return true;
    case 'un':
    case 'wrt':
      return containsRegister(e.a);
    case 'bin':
      return containsRegister(e.a) || containsRegister(e.b);
    case 'cond':
      return containsRegister(e.c) || containsRegister(e.a) || containsRegister(e.b);
    default:
      return false;
  }
}

function isFoldable(e: Expr): boolean {
  if (e.k === 'num') return true;
  if (e.k === 'un') return e.op.length === 1 && isFoldable(e.a);
  if (e.k === 'bin') return isFoldable(e.a) && isFoldable(e.b);
  return false;
}

function foldConstant(e: Expr): bigint {
  if (e.k === 'num') return e.v;
  if (e.k === 'un') {
    const a = foldConstant(e.a);
    return e.op === '-' ? -a : e.op === '~' ? ~a : a === 0n ? 1n : 0n;
  }
  if (e.k === 'bin') {
    const a = foldConstant(e.a);
    const b = foldConstant(e.b);
    switch (e.op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '<<':
        return a << b;
    }
  }
  throw new LineError('register scale must be a constant', exprCol(e));
}

export function exprCol(e: Expr): number {
  return 'col' in e ? e.col : 0;
}

/** One whitespace-separated word of a directive's text (a parenthesised group stays one word, as bin's
 *  `start=(a + b)`). */
export interface DirectiveWord {
  text: string;
  tokens: Token[];
}

function directiveWords(tokens: readonly Token[], from: number): DirectiveWord[] {
  const words: DirectiveWord[] = [];
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    const word = words[words.length - 1];
    if (word && (!t.spaceBefore || depth > 0)) word.tokens.push(t);
    else words.push({ text: '', tokens: [t] });
    if (t.kind === 'op' && t.text === '(') depth++;
    else if (t.kind === 'op' && t.text === ')' && depth > 0) depth--;
  }
  for (const w of words) w.text = tokensToText(w.tokens);
  return words;
}

const ELF_SECTION_TYPES = new Set<string>([
  'progbits',
  'nobits',
  'note',
  'preinit_array',
  'init_array',
  'fini_array',
]);
const ELF_SECTION_FLAGS: Record<string, ['alloc' | 'exec' | 'write' | 'tls' | 'merge' | 'strings', boolean]> =
  {
    alloc: ['alloc', true],
    noalloc: ['alloc', false],
    exec: ['exec', true],
    noexec: ['exec', false],
    write: ['write', true],
    nowrite: ['write', false],
    readonly: ['write', false],
    tls: ['tls', true],
    notls: ['tls', false],
    merge: ['merge', true],
    nomerge: ['merge', false],
    strings: ['strings', true],
    nostrings: ['strings', false],
  };
/** nasm's ELF size words: entry size and alignment (-1: the pointer size). */
const ELF_SIZE_UNITS: Array<[string, number, number]> = [
  ['byte', 1, 1],
  ['word', 2, 2],
  ['dword', 4, 4],
  ['qword', 8, 8],
  ['tword', 10, 2],
  ['tbyte', 10, 2],
  ['oword', 16, 16],
  ['xword', 16, 16],
  ['yword', 32, 32],
  ['zword', 64, 64],
  ['pointer', -1, -1],
];

/**
 * nasm's ELF attribute words (elf_section_attrib): `key=value`, `key =value`, `key = value` and `key= value` are
 * all one option; a size word may be any prefix of a unit name, with `*count`.
 */
function elfSectionAttributes(name: string, words: DirectiveWord[], col: number): SectionAttributes {
  const attributes: SectionAttributes = {};
  try {
    readElfSectionAttributes(name, words, col, attributes);
  } catch (e) {
    if (!(e instanceof LineError)) throw e;
    attributes.error = { message: e.message, col: e.col };
  }
  return attributes;
}

function readElfSectionAttributes(
  name: string,
  words: DirectiveWord[],
  col: number,
  attributes: SectionAttributes,
): void {
  if (words.length > 0) attributes.given = true;
  const texts = words.map((w) => w.text);
  for (let i = 0; i < texts.length; i++) {
    let opt = texts[i]!;
    let value: string | undefined;
    const eq = opt.indexOf('=');
    if (eq === 0) break; // nasm's option reader stops at a word that starts with `='
    if (eq > 0) {
      value = opt.slice(eq + 1);
      opt = opt.slice(0, eq);
      if (value === '') value = texts[++i];
    } else if (texts[i + 1]?.startsWith('=')) {
      const after = texts[++i]!.slice(1);
      value = after !== '' ? after : texts[++i];
    }
    const lower = opt.toLowerCase();
    if (lower === 'align') {
      if (value === undefined) throw new LineError('section align without value specified', col);
      const a = Number(parseInteger(value) ?? 0n);
      if (a && (a & (a - 1)) !== 0) throw new LineError(`section alignment ${a} is not a power of two`, col);
      if (a > (attributes.align ?? 0)) attributes.align = a;
      continue;
    }
    const flag = ELF_SECTION_FLAGS[lower];
    if (flag) {
      attributes[flag[0]] = flag[1];
      continue;
    }
    if (ELF_SECTION_TYPES.has(lower)) {
      attributes.type = lower as SectionType;
      continue;
    }
    const star = opt.indexOf('*');
    // nasm compares one character less than the word before a `*' (and so takes any prefix of a unit name)
    const prefix = (star >= 0 ? opt.slice(0, Math.max(0, star - 1)) : opt).toLowerCase();
    const count = star >= 0 ? Number(parseInteger(opt.slice(star + 1)) ?? 0n) : 1;
    const unit = ELF_SIZE_UNITS.find(([unitName]) => unitName.startsWith(prefix));
    if (unit) {
      attributes.entsize = unit[1] * count;
      attributes.unitAlign = unit[2];
    } else
      (attributes.ignored ??= []).push(
        `unknown section attribute '${opt}' ignored on declaration of section \`${name}'`,
      );
  }
}
