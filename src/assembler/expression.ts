/**
 * NASM expressions: parsed once from tokens into a small tree, evaluated in every pass against the symbol
 * values known at that point. Precedence, lowest first: `?:`, `||`, `^^`, `&&`, comparisons, `|`, `^`, `&`,
 * shifts, `+ -`, `* / // % %%`, unary `- + ~ !`. Arithmetic is 64-bit two's complement like nasm's.
 */

import { floatFunctionName, floatFunctionValue, floatSpecialText } from './floats.js';
import type { Value } from './encoder/types.js';
import { LineError } from './diagnostics.js';
import type { Token } from './lexer.js';

/** `__?ilog2e?__` and its w/f/c siblings, without the `?`: unary operators like `-`. */
const ILOG2 = /^__ilog2([ewfc])__$/;

export type Expr =
  | { k: 'num'; v: bigint }
  | { k: 'sym'; name: string; col: number }
  | { k: 'here'; col: number }
  | { k: 'base'; col: number }
  | { k: 'reg'; name: string; col: number }
  | { k: 'un'; op: string; a: Expr; col: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; col: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr; col: number }
  | { k: 'wrt'; a: Expr; wrt: NonNullable<Value['wrt']>; col: number };

/** How identifiers are classified and resolved; the parser asks `isRegister`, evaluation asks the rest. */
export interface ExpressionHost {
  isRegister(name: string): boolean;
  /** Full name of a symbol as written (the parser attaches `.local` names to their parent label). */
  qualify?(name: string): string;
  /**
   * A character constant of `length` characters is read as a number: how many of its first characters it
   * keeps (default 8). nasm keeps, and warns of a longer constant, 8 in 64-bit mode and 4 otherwise.
   */
  characterConstant?(length: number, col: number): number;
}

/**
 * An evaluated expression. `pcBase` marks `x - y` where `y` belongs to another section than `x` (`dd ext - $`):
 * such a value can only be stored as data, as a PC-relative relocation.
 */
export interface EvalValue extends Value {
  pcBase?: number;
  /**
   * A second relocatable term added to `symbol` (`_GLOBAL_OFFSET_TABLE_ + $$ - $`): allowed only until a later
   * `- y` of the same base cancels it, as nasm's vector expressions allow.
   */
  plus?: { symbol: number; col: number };
  /**
   * A relocatable term subtracted from a number (`446 - $` in `times 446-$+$$`): allowed only until a later
   * `+ y` of the same base cancels it, as nasm's vector expressions allow.
   */
  minus?: { symbol: number; col: number };
  /**
   * How many not-yet-known symbols the value adds up (`u` is 1, `-u` is -1, `u1 - u2` is 0 and so known, as in
   * nasm's first pass, where the unknowns of `later2 - later1` cancel); absent means 1 when `unknown`.
   */
  unknownWeight?: number;
}

/** Constants this small get one shared node each (see `constantExpr`). */
const SHARED_CONSTANT_LIMIT = 4096;
const sharedConstants: Array<Expr | undefined> = new Array<Expr | undefined>(2 * SHARED_CONSTANT_LIMIT);

/**
 * A number node. Small ones (displacements, immediates, shift counts) are shared: statements keep their trees
 * through every pass, nothing changes a node once built, and a 200k-line program has a hundred thousand of them.
 */
export function constantExpr(v: bigint): Expr {
  if (v >= -SHARED_CONSTANT_LIMIT && v < SHARED_CONSTANT_LIMIT) {
    const slot = Number(v) + SHARED_CONSTANT_LIMIT;
    return (sharedConstants[slot] ??= { k: 'num', v });
  }
  return { k: 'num', v };
}

const unknownWeight = (v: EvalValue): number => (v.unknown ? (v.unknownWeight ?? 1) : 0);

export interface EvalHost {
  symbol(name: string, col: number): Value;
  here(col: number): Value;
  base(col: number): Value;
  /**
   * A number minus a relocatable value that nothing cancelled (`5 - $`): its value where the format places
   * sections at known addresses, else undefined (an error).
   */
  subtracted?(v: EvalValue): EvalValue | undefined;
  /** Reports a warning found while evaluating (`__?ilog2w?__` of a non-power of two). */
  warn?(message: string, col: number): void;
}

/** Reads one expression from `tokens` starting at `pos.i`; stops before `,`, `]`, `)`, `:` it does not own. */
export class ExpressionParser {
  i: number;
  constructor(
    private readonly tokens: readonly Token[],
    start: number,
    private readonly host: ExpressionHost,
  ) {
    this.i = start;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private peekOp(): string | undefined {
    const t = this.tokens[this.i];
    if (!t) return undefined;
    if (t.kind === 'op') return t.text;
    // every precedence level asks after each operand: only a 3-letter name can be `wrt`/`seg`
    if (t.kind === 'id' && t.text.length === 3) {
      const l = t.text.toLowerCase();
      if (l === 'wrt' || l === 'seg') return l;
    }
    return undefined;
  }

  private endCol(): number {
    const last = this.tokens[this.tokens.length - 1];
    return last ? last.col + last.text.length : 0;
  }

  parse(): Expr {
    const e = this.conditional();
    if (this.peekOp() === 'wrt') {
      const t = this.tokens[this.i]!;
      this.i++;
      const target = this.tokens[this.i];
      const flavours: Record<string, NonNullable<Value['wrt']>> = {
        '..plt': 'plt',
        '..got': 'got',
        '..sym': 'sym',
        '..tlsie': 'tlsie',
        '..gottpoff': 'gottpoff',
        '..gotpc': 'gotpc',
        '..gotoff': 'gotoff',
      };
      const flavour = target && target.kind === 'id' ? flavours[target.text.toLowerCase()] : undefined;
      // nasm 2.16.01 has no `..gotpcrel` (later versions do): like any other `..` name it is not defined
      if (!flavour && target?.kind === 'id' && target.text.startsWith('..'))
        throw new LineError(`symbol \`${target.text}' not defined`, target.col, true);
      if (!flavour)
        throw new LineError(
          "`wrt' is only supported with ..plt, ..got, ..gotpc, ..gotoff, ..sym, ..tlsie and ..gottpoff",
          target?.col ?? t.col,
        );
      this.i++;
      return { k: 'wrt', a: e, wrt: flavour, col: t.col };
    }
    return e;
  }

  private conditional(): Expr {
    const c = this.binary(0);
    if (this.peekOp() === '?') {
      const col = this.tokens[this.i]!.col;
      this.i++;
      const a = this.conditional();
      if (this.peekOp() !== ':')
        throw new LineError("expecting `:' in conditional expression", this.peek()?.col ?? this.endCol());
      this.i++;
      const b = this.conditional();
      return { k: 'cond', c, a, b, col };
    }
    return c;
  }

  private binary(level: number): Expr {
    if (level >= LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    const ops = LEVELS[level]!;
    for (;;) {
      const op = this.peekOp();
      if (op === undefined || !ops.has(op)) return left;
      const col = this.tokens[this.i]!.col;
      this.i++;
      const right = this.binary(level + 1);
      left = { k: 'bin', op, a: left, b: right, col };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (!t) throw new LineError('expression syntax error', this.endCol());
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      this.i++;
      const a = this.unary();
      if (t.text === '+') return a;
      if (a.k === 'num' && t.text === '-') return constantExpr(BigInt.asIntN(64, -a.v));
      return { k: 'un', op: t.text, a, col: t.col };
    }
    const c = t.kind === 'id' && !t.escaped ? t.text.charCodeAt(0) : 0;
    // only a name starting with `_` or `?` can be `__?ilog2e?__` and its siblings
    const ilog2 = c === 95 || c === 63 ? ILOG2.exec(t.text.replace(/\?/g, '').toLowerCase()) : null;
    if (ilog2) {
      this.i++;
      return { k: 'un', op: `__ilog2${ilog2[1]}__`, a: this.unary(), col: t.col };
    }
    if (t.kind === 'id' && !t.escaped && t.text.length === 3 && t.text.toLowerCase() === 'seg') {
      throw new LineError("`seg' is not supported in ELF64 and flat binary output", t.col);
    }
    return this.primary();
  }

  /** `__?float32?__(-1.5)`: the bit pattern of the constant as an integer, as nasm evaluates it. */
  private floatFunction(name: string, t: Token): Expr {
    this.i++;
    let negative = false;
    for (let s = this.peek(); s?.kind === 'op' && (s.text === '-' || s.text === '+'); s = this.peek()) {
      if (s.text === '-') negative = !negative;
      this.i++;
    }
    const value = this.peek();
    const text =
      value?.kind === 'float'
        ? value.text
        : value?.kind === 'num'
          ? value.text
          : value?.kind === 'id'
            ? floatSpecialText(value.text)
            : undefined;
    if (text === undefined)
      throw new LineError(`expecting floating-point number after \`${t.text}('`, value?.col ?? t.col);
    this.i++;
    const close = this.peek();
    if (!close || close.kind !== 'op' || close.text !== ')')
      throw new LineError("expecting `)'", close?.col ?? this.endCol());
    this.i++;
    return { k: 'num', v: floatFunctionValue(name, text, negative, value!.col) };
  }

  private primary(): Expr {
    const t = this.peek()!;
    this.i++;
    switch (t.kind) {
      case 'num':
        if (t.error) throw new LineError(t.error, t.col);
        return constantExpr(t.value!);
      case 'str':
        if (t.error) throw new LineError(t.error, t.col);
        return { k: 'num', v: stringValue(t.bytes!, this.host.characterConstant?.(t.bytes!.length, t.col)) };
      case 'float':
        throw new LineError(`floating-point constant \`${t.text}' is only allowed in data directives`, t.col);
      case 'id': {
        const floatFunction = t.escaped ? undefined : floatFunctionName(t.text);
        if (floatFunction && this.peek()?.kind === 'op' && this.peek()!.text === '(')
          return this.floatFunction(floatFunction, t);
        if (t.text === '$' && !t.escaped) return { k: 'here', col: t.col };
        if (t.text === '$$' && !t.escaped) return { k: 'base', col: t.col };
        if (!t.escaped && this.host.isRegister(t.text.toLowerCase()))
          return { k: 'reg', name: t.text.toLowerCase(), col: t.col };
        return { k: 'sym', name: this.host.qualify ? this.host.qualify(t.text) : t.text, col: t.col };
      }
      case 'op':
        if (t.text === '(') {
          const e = this.parse();
          const close = this.peek();
          if (!close || close.kind !== 'op' || close.text !== ')')
            throw new LineError("expecting `)'", close?.col ?? this.endCol());
          this.i++;
          return e;
        }
        break;
      case 'pp':
        // a macro parameter outside a macro, or a context-local name in a preprocessor expression
        throw new LineError('expression syntax error', t.col);
    }
    throw new LineError('expression syntax error', t.col);
  }
}

const LEVELS: ReadonlyArray<ReadonlySet<string>> = [
  new Set(['||']),
  new Set(['^^']),
  new Set(['&&']),
  new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>']),
  new Set(['|']),
  new Set(['^']),
  new Set(['&']),
  new Set(['<<', '>>', '<<<', '>>>']),
  new Set(['+', '-']),
  new Set(['*', '/', '//', '%', '%%']),
];

/** A character constant's value: bytes little-endian, like nasm's `'ab'` = 0x6261. */
export function stringValue(bytes: Uint8Array, kept = 8): bigint {
  // nasm warns and keeps the first eight (four outside 64-bit mode) characters of a longer constant
  let v = 0n;
  for (let i = Math.min(bytes.length, kept) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return BigInt.asIntN(64, v);
}

/**
 * ilog2 of an unsigned 64-bit value: `e` exact (error unless a power of two), `w` exact with a warning,
 * `f` rounded down, `c` rounded up; 0 gives 0 as in nasm.
 */
function integerLog2(op: string, value: bigint, col: number, host: EvalHost): bigint {
  const v = BigInt.asUintN(64, value);
  if (v === 0n) return 0n;
  const floor = BigInt(v.toString(2).length - 1);
  const exact = (v & (v - 1n)) === 0n;
  if (op === '__ilog2f__') return floor;
  if (op === '__ilog2c__') return exact ? floor : floor + 1n;
  if (!exact) {
    if (op === '__ilog2e__') throw new LineError('ilog2 argument is not a power of two', col);
    host.warn?.('ilog2 argument is not a power of two', col);
  }
  return floor;
}

function wrap(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function requireAbsolute(v: EvalValue, col: number, what: string): void {
  if ((v.symbol !== undefined || v.minus) && !v.unknown)
    throw new LineError(`${what} of a relocatable value is not supported`, col);
}

/** Evaluates `e`. Registers are errors here (memory operands split them out before evaluating). */
export function evaluate(e: Expr, host: EvalHost): EvalValue {
  const v = evaluateTerm(e, host);
  if (v.plus) throw new LineError('cannot add two relocatable values', v.plus.col);
  if (v.minus) {
    const placed = host.subtracted?.(v);
    if (placed) return placed;
    throw new LineError('cannot subtract values relative to different sections or symbols', v.minus.col);
  }
  return v;
}

/**
 * Evaluates `e` to nasm's vector form without requiring it to be storable: a sum of relocatable terms or a
 * number minus one comes back as it is (the preprocessor calls such values non-constant).
 */
export function evaluateVector(e: Expr, host: EvalHost): EvalValue {
  return evaluateTerm(e, host);
}

function evaluateTerm(e: Expr, host: EvalHost): EvalValue {
  switch (e.k) {
    case 'num':
      return { offset: e.v };
    case 'sym':
      return host.symbol(e.name, e.col);
    case 'here':
      return host.here(e.col);
    case 'base':
      return host.base(e.col);
    case 'reg':
      throw new LineError(`invalid use of register \`${e.name}' in an expression`, e.col);
    case 'wrt': {
      const v = evaluateTerm(e.a, host);
      return { ...v, wrt: e.wrt };
    }
    case 'cond': {
      const c = evaluate(e.c, host);
      if (c.unknown) {
        const a = evaluate(e.a, host);
        return { offset: a.offset, unknown: true };
      }
      requireAbsolute(c, e.col, 'condition');
      return c.offset !== 0n ? evaluate(e.a, host) : evaluate(e.b, host);
    }
    case 'un': {
      const a = evaluate(e.a, host);
      if (a.unknown)
        return e.op === '-' || e.op === '+'
          ? { offset: 0n, unknown: true, unknownWeight: e.op === '-' ? -unknownWeight(a) : unknownWeight(a) }
          : { offset: 0n, unknown: true };
      // `-x` is `0 - x`: a subtracted term that a later `+ y` may cancel
      if (e.op === '-' && a.symbol !== undefined && !a.plus && !a.minus && a.pcBase === undefined && !a.wrt)
        return { offset: wrap(-a.offset), minus: { symbol: a.symbol, col: e.col } };
      requireAbsolute(a, e.col, `unary \`${e.op}'`);
      switch (e.op) {
        case '-':
          return { offset: wrap(-a.offset) };
        case '~':
          return { offset: wrap(~a.offset) };
        case '__ilog2e__':
        case '__ilog2w__':
        case '__ilog2f__':
        case '__ilog2c__':
          return { offset: integerLog2(e.op, a.offset, e.col, host) };
        default:
          return { offset: a.offset === 0n ? 1n : 0n };
      }
    }
    case 'bin':
      return binary(e.op, evaluateTerm(e.a, host), evaluateTerm(e.b, host), e.col);
  }
}

function binary(op: string, a: EvalValue, b: EvalValue, col: number): EvalValue {
  if ((op === '+' || op === '-') && (a.unknown || b.unknown)) {
    const weight = op === '+' ? unknownWeight(a) + unknownWeight(b) : unknownWeight(a) - unknownWeight(b);
    if (weight === 0) return linear(op, known(a), known(b), col);
    const v = linear(op, a, b, col);
    if (v.unknown) v.unknownWeight = weight;
    return v;
  }
  return linear(op, a, b, col);
}

function known(v: EvalValue): EvalValue {
  if (!v.unknown) return v;
  const { unknown: _unknown, unknownWeight: _weight, ...rest } = v;
  return rest;
}

function isPlainNumber(v: EvalValue): boolean {
  return v.symbol === undefined && !v.unknown && !v.plus && !v.minus && v.pcBase === undefined && !v.wrt;
}

/** `(n - y) + y`: the subtracted base `y` of `withMinus` cancelled by `other`, or undefined. */
function cancelMinus(withMinus: EvalValue, other: EvalValue): EvalValue | undefined {
  const minus = withMinus.minus;
  if (!minus || withMinus.unknown || other.unknown) return undefined;
  if (other.symbol !== minus.symbol || other.plus || other.minus || other.pcBase !== undefined || other.wrt)
    return undefined;
  return { offset: wrap(withMinus.offset + other.offset) };
}

/** `-y` plus a label `x` of another place: the PC-relative difference `x - y` (see `pcBase`). */
function minusThenLabel(withMinus: EvalValue, other: EvalValue): EvalValue | undefined {
  const minus = withMinus.minus;
  if (!minus || withMinus.unknown || other.unknown || withMinus.symbol !== undefined || withMinus.wrt)
    return undefined;
  if (other.symbol === undefined || other.plus || other.minus || other.pcBase !== undefined || other.wrt)
    return undefined;
  return { offset: wrap(withMinus.offset + other.offset), symbol: other.symbol, pcBase: minus.symbol };
}

function linear(op: string, a: EvalValue, b: EvalValue, col: number): EvalValue {
  const unknown = a.unknown || b.unknown;
  if (op === '+') {
    const cancelled = cancelMinus(a, b) ?? cancelMinus(b, a);
    if (cancelled) return cancelled;
    if (a.minus && isPlainNumber(b)) return { offset: wrap(a.offset + b.offset), minus: a.minus };
    if (b.minus && isPlainNumber(a)) return { offset: wrap(a.offset + b.offset), minus: b.minus };
    // `-y + x` (x86inc's `[base_reg - .write1 + table]`) is `x - y` written the other way round
    const swapped = minusThenLabel(a, b) ?? minusThenLabel(b, a);
    if (swapped) return swapped;
    if (a.minus || b.minus) {
      if (unknown) return { offset: 0n, unknown: true };
      throw new LineError('cannot subtract values relative to different sections or symbols', col);
    }
    if (a.symbol !== undefined && b.symbol !== undefined) {
      if (unknown) return { offset: 0n, unknown: true };
      if (a.plus || b.plus || a.pcBase !== undefined || b.pcBase !== undefined)
        throw new LineError('cannot add two relocatable values', col);
      const v: EvalValue = {
        offset: wrap(a.offset + b.offset),
        symbol: a.symbol,
        plus: { symbol: b.symbol, col },
      };
      const wrt = a.wrt ?? b.wrt;
      if (wrt) v.wrt = wrt;
      return v;
    }
    const symbol = a.symbol ?? b.symbol;
    const v: EvalValue = { offset: wrap(a.offset + b.offset) };
    if (symbol !== undefined) v.symbol = symbol;
    if (unknown) v.unknown = true;
    const wrt = a.wrt ?? b.wrt;
    if (wrt) v.wrt = wrt;
    const pcBase = a.pcBase ?? b.pcBase;
    if (pcBase !== undefined) v.pcBase = pcBase;
    const plus = a.plus ?? b.plus;
    if (plus) v.plus = plus;
    return v;
  }
  if (op === '-') {
    if (a.minus && isPlainNumber(b)) return { offset: wrap(a.offset - b.offset), minus: a.minus };
    if (a.plus && b.symbol !== undefined && !b.plus && b.pcBase === undefined && !unknown) {
      // `x + y - z` with y and z in the same place: x plus a constant
      if (a.plus.symbol === b.symbol || a.symbol === b.symbol) {
        const v: EvalValue = {
          offset: wrap(a.offset - b.offset),
          symbol: a.plus.symbol === b.symbol ? a.symbol! : a.plus.symbol,
        };
        if (a.wrt) v.wrt = a.wrt;
        return v;
      }
    }
    if (b.symbol !== undefined) {
      const plain = a.pcBase === undefined && b.pcBase === undefined;
      if (a.symbol === b.symbol && plain) {
        return unknown
          ? { offset: wrap(a.offset - b.offset), unknown: true }
          : { offset: wrap(a.offset - b.offset) };
      }
      if (unknown) return { offset: 0n, unknown: true };
      // `x - y` with y in another section: PC-relative data (`dd ext - $`), checked where it is stored
      if (a.symbol !== undefined && plain && !a.wrt && !b.wrt)
        return { offset: wrap(a.offset - b.offset), symbol: a.symbol, pcBase: b.symbol };
      if (a.symbol === undefined && plain && !a.wrt && !b.wrt && !a.plus && !a.minus && !b.plus && !b.minus)
        return { offset: wrap(a.offset - b.offset), minus: { symbol: b.symbol, col } };
      throw new LineError('cannot subtract values relative to different sections or symbols', col);
    }
    const v: EvalValue = { offset: wrap(a.offset - b.offset) };
    if (a.symbol !== undefined) v.symbol = a.symbol;
    if (unknown) v.unknown = true;
    if (a.wrt) v.wrt = a.wrt;
    if (a.pcBase !== undefined) v.pcBase = a.pcBase;
    if (a.plus) v.plus = a.plus;
    return v;
  }
  if (unknown) return { offset: 0n, unknown: true };
  if (COMPARISONS.has(op) && !(isPlainNumber(a) && isPlainNumber(b))) return compareVectors(op, a, b, col);
  requireAbsolute(a, col, `operator \`${op}'`);
  requireAbsolute(b, col, `operator \`${op}'`);
  const x = a.offset;
  const y = b.offset;
  const ux = BigInt.asUintN(64, x);
  const uy = BigInt.asUintN(64, y);
  switch (op) {
    case '*':
      return { offset: wrap(x * y) };
    case '/':
      if (y === 0n) throw new LineError('division by zero', col);
      return { offset: wrap(ux / uy) };
    case '//':
      if (y === 0n) throw new LineError('division by zero', col);
      return { offset: wrap(x / y) };
    case '%':
      if (y === 0n) throw new LineError('division by zero', col);
      return { offset: wrap(ux % uy) };
    case '%%':
      if (y === 0n) throw new LineError('division by zero', col);
      return { offset: wrap(x % y) };
    case '<<':
    case '<<<':
      return { offset: uy >= 64n ? 0n : wrap(x << uy) };
    case '>>':
      return { offset: uy >= 64n ? 0n : wrap(ux >> uy) };
    case '>>>':
      return { offset: uy >= 64n ? (x < 0n ? -1n : 0n) : wrap(x >> uy) };
    case '&':
      return { offset: wrap(x & y) };
    case '|':
      return { offset: wrap(x | y) };
    case '^':
      return { offset: wrap(x ^ y) };
    case '&&':
      return { offset: x !== 0n && y !== 0n ? 1n : 0n };
    case '||':
      return { offset: x !== 0n || y !== 0n ? 1n : 0n };
    case '^^':
      return { offset: (x !== 0n) !== (y !== 0n) ? 1n : 0n };
    case '=':
    case '==':
      return { offset: x === y ? 1n : 0n };
    case '!=':
    case '<>':
      return { offset: x !== y ? 1n : 0n };
    case '<':
      return { offset: x < y ? 1n : 0n };
    case '<=':
      return { offset: x <= y ? 1n : 0n };
    case '>':
      return { offset: x > y ? 1n : 0n };
    case '>=':
      return { offset: x >= y ? 1n : 0n };
    case '<=>':
      return { offset: x < y ? -1n : x > y ? 1n : 0n };
  }
  throw new LineError(`unknown operator \`${op}'`, col);
}

const COMPARISONS = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>']);

/**
 * A comparison of relocatable values, as nasm makes it: on their difference. Values of one base differ by a
 * number; values of different bases are unequal, and cannot be ordered.
 */
function compareVectors(op: string, a: EvalValue, b: EvalValue, col: number): EvalValue {
  const simple = (v: EvalValue): boolean => !v.plus && !v.minus && v.pcBase === undefined && !v.wrt;
  if (simple(a) && simple(b) && a.symbol === b.symbol) {
    const d = wrap(a.offset - b.offset);
    return binary(op, { offset: d }, { offset: 0n }, col);
  }
  if (op === '=' || op === '==') return { offset: 0n };
  if (op === '!=' || op === '<>') return { offset: 1n };
  throw new LineError(`\`${op}': operands differ by a non-scalar`, col);
}

/** Whether `e` mentions `$`/`$$` (then `times` must evaluate it per repetition). */
export function mentionsHere(e: Expr): boolean {
  switch (e.k) {
    case 'here':
    case 'base':
      return true;
    case 'un':
    case 'wrt':
      return mentionsHere(e.a);
    case 'bin':
      return mentionsHere(e.a) || mentionsHere(e.b);
    case 'cond':
      return mentionsHere(e.c) || mentionsHere(e.a) || mentionsHere(e.b);
    default:
      return false;
  }
}

/** Whether `e` is a constant tree (numbers and operators only): safe to fold at parse time. */
export function isConstant(e: Expr): boolean {
  switch (e.k) {
    case 'num':
      return true;
    case 'un':
      return isConstant(e.a);
    case 'bin':
      return isConstant(e.a) && isConstant(e.b);
    case 'cond':
      return isConstant(e.c) && isConstant(e.a) && isConstant(e.b);
    default:
      return false;
  }
}

const NO_SYMBOLS: EvalHost = {
  symbol: (name, col) => {
    throw new LineError(`symbol \`${name}' not allowed here`, col);
  },
  here: (col) => {
    throw new LineError("`$' not allowed here", col);
  },
  base: (col) => {
    throw new LineError("`$$' not allowed here", col);
  },
};

/** Evaluates a constant expression (numbers and operators only). */
export function evaluateConstant(e: Expr): bigint {
  return evaluate(e, NO_SYMBOLS).offset;
}
