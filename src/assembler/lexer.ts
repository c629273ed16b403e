/**
 * The lexer: one source line in, an array of tokens out. Hand-written over char codes (no regular
 * expressions in the hot path) because every line of a 100k-line kernel goes through here once.
 * Comments are dropped; whitespace is remembered only as `spaceBefore` so the preprocessor can
 * rebuild text for `%error`, `%strcat` and listings.
 */

export type TokenKind =
  /** Identifier, keyword, register or mnemonic (case kept; `$name` arrives with `escaped`). */
  | 'id'
  /** Integer literal; `value` holds it. */
  | 'num'
  /** Floating-point literal (`1.5`, `1e10`, `0x1.8p3`); `text` holds it. */
  | 'float'
  /** Quoted string; `bytes` holds its contents after escapes. */
  | 'str'
  /** Operator or punctuation (`+`, `<<`, `[`, `,`, `:` ...). */
  | 'op'
  /** Preprocessor token: `%define`, `%1`, `%%label`, `%{2}`, `%+`, `%?`, `%$local` ... */
  | 'pp'
  /** Unknown character: kept so the parser can report it precisely. */
  | 'bad';

export interface Token {
  kind: TokenKind;
  text: string;
  /** 0-based column of the token's first character in its source line. */
  col: number;
  spaceBefore: boolean;
  value?: bigint;
  bytes?: Uint8Array;
  /** `$name`: an identifier that must not be taken as a register or keyword. */
  escaped?: boolean;
  /** Lexing problem (unterminated string, bad digit) to report if the token is used. */
  error?: string;
}

export interface LexResult {
  tokens: Token[];
  /** Set when the line ends inside a string or another error the preprocessor should report. */
  error?: { col: number; message: string };
}

const CH_TAB = 9;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_DQUOTE = 34;
const CH_HASH = 35;
const CH_DOLLAR = 36;
const CH_PERCENT = 37;
const CH_SQUOTE = 39;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_SEMI = 59;
const CH_QUESTION = 63;
const CH_AT = 64;
const CH_LBRACKET = 91;
const CH_BACKSLASH = 92;
const CH_RBRACKET = 93;
const CH_UNDERSCORE = 95;
const CH_BACKQUOTE = 96;
const CH_LBRACE = 123;
const CH_RBRACE = 125;
const CH_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** First character of a NASM identifier. */
export function isIdentStart(c: number): boolean {
  return isLetter(c) || c === CH_UNDERSCORE || c === CH_DOT || c === CH_QUESTION || c === CH_AT || c > 127;
}

/** Any later character of a NASM identifier. */
export function isIdentChar(c: number): boolean {
  return (
    isLetter(c) ||
    isDigit(c) ||
    c === CH_UNDERSCORE ||
    c === CH_DOT ||
    c === CH_QUESTION ||
    c === CH_AT ||
    c === CH_DOLLAR ||
    c === CH_HASH ||
    c === CH_TILDE ||
    c > 127
  );
}

/** Three- and two-character operators, longest first. */
const LONG_OPERATORS = [
  '<<<',
  '>>>',
  '<=>',
  '<<',
  '>>',
  '//',
  '==',
  '!=',
  '<>',
  '<=',
  '>=',
  '&&',
  '||',
  '^^',
];
const LONG_OPERATOR_STARTS = new Set(LONG_OPERATORS.map((op) => op.charCodeAt(0)));
const SINGLE_OPERATORS = new Set('+-*/%()[],:~!&|^<>=?{}'.split('').map((c) => c.charCodeAt(0)));

const encoder = new TextEncoder();

/**
 * One string per identifier spelling, found by a hash of its characters computed while scanning it: the same
 * registers, mnemonics and labels come back on every line, and a slice per occurrence is garbage the moment
 * the line is parsed, while the parser's and the passes' lookups by a string they have seen before are the
 * cheapest ones. Open addressing; when the table is full, new spellings are sliced as usual.
 */
const IDENTIFIER_SLOTS = 1 << 14;
const identifiers: Array<string | undefined> = new Array<string | undefined>(IDENTIFIER_SLOTS).fill(
  undefined,
);
let identifierCount = 0;
/** Longer identifiers are rarely repeated enough to be worth the comparisons. */
const MAX_SHARED_IDENTIFIER = 32;

function identifier(line: string, start: number, end: number, hash: number): string {
  const length = end - start;
  if (length > MAX_SHARED_IDENTIFIER) return line.slice(start, end);
  for (let probe = 0, slot = hash & (IDENTIFIER_SLOTS - 1); probe < 8; probe++) {
    const known = identifiers[slot];
    if (known === undefined) {
      const text = line.slice(start, end);
      // at most half full, so probes stay short
      if (identifierCount < IDENTIFIER_SLOTS / 2) {
        identifiers[slot] = text;
        identifierCount++;
      }
      return text;
    }
    if (known.length === length && sameCharacters(known, line, start)) return known;
    slot = (slot + 1) & (IDENTIFIER_SLOTS - 1);
  }
  return line.slice(start, end);
}

function sameCharacters(known: string, line: string, start: number): boolean {
  for (let k = 0; k < known.length; k++) if (known.charCodeAt(k) !== line.charCodeAt(start + k)) return false;
  return true;
}

/** Tokenizes one line (without its newline). Never throws. */
export function lexLine(line: string): LexResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  let space = false;
  let error: LexResult['error'];
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === CH_SPACE || c === CH_TAB || c === 13 || c === 12 || c === 11) {
      space = true;
      i++;
      continue;
    }
    if (c === CH_SEMI) break;
    const start = i;
    if (c === CH_QUESTION && (i + 1 >= n || !isIdentChar(line.charCodeAt(i + 1)))) {
      i++;
      tokens.push({ kind: 'op', text: '?', col: start, spaceBefore: space });
    } else if (isIdentStart(c)) {
      let hash = c;
      i++;
      for (let d: number; i < n && isIdentChar((d = line.charCodeAt(i))); i++)
        hash = (Math.imul(hash, 31) + d) | 0;
      tokens.push({ kind: 'id', text: identifier(line, start, i, hash), col: start, spaceBefore: space });
    } else if (isDigit(c)) {
      i = lexNumber(line, start, tokens, space);
    } else if (c === CH_DOLLAR) {
      const next = i + 1 < n ? line.charCodeAt(i + 1) : 0;
      if (next === CH_DOLLAR) {
        i += 2;
        tokens.push({ kind: 'id', text: '$$', col: start, spaceBefore: space });
      } else if (isDigit(next)) {
        // `$0F`: hexadecimal with a dollar prefix (`$1.8p3` a hex float)
        i = lexNumber(line, start, tokens, space);
      } else if (isIdentStart(next)) {
        i++;
        while (i < n && isIdentChar(line.charCodeAt(i))) i++;
        tokens.push({
          kind: 'id',
          text: line.slice(start + 1, i),
          col: start,
          spaceBefore: space,
          escaped: true,
        });
      } else {
        i++;
        tokens.push({ kind: 'id', text: '$', col: start, spaceBefore: space });
      }
    } else if (c === CH_SQUOTE || c === CH_DQUOTE || c === CH_BACKQUOTE) {
      const result = lexString(line, start);
      i = result.end;
      const token: Token = {
        kind: 'str',
        text: line.slice(start, i),
        col: start,
        spaceBefore: space,
        bytes: result.bytes,
      };
      if (result.error) {
        token.error = result.error;
        error ??= { col: start, message: result.error };
      }
      tokens.push(token);
    } else if (c === CH_PERCENT) {
      i = lexPercent(line, start, tokens, space);
    } else {
      let matched = '';
      if (i + 1 < n && LONG_OPERATOR_STARTS.has(c)) {
        for (const op of LONG_OPERATORS) {
          if (line.startsWith(op, i)) {
            matched = op;
            break;
          }
        }
      }
      if (matched) {
        i += matched.length;
        tokens.push({ kind: 'op', text: matched, col: start, spaceBefore: space });
      } else if (SINGLE_OPERATORS.has(c)) {
        i++;
        tokens.push({ kind: 'op', text: line[start]!, col: start, spaceBefore: space });
      } else if (c === CH_BACKSLASH) {
        i++;
        tokens.push({ kind: 'op', text: '\\', col: start, spaceBefore: space });
      } else {
        i++;
        tokens.push({ kind: 'bad', text: line[start]!, col: start, spaceBefore: space });
      }
    }
    space = false;
  }
  return error ? { tokens, error } : { tokens };
}

function lexPercent(line: string, start: number, tokens: Token[], space: boolean): number {
  const n = line.length;
  let i = start + 1;
  const c = i < n ? line.charCodeAt(i) : 0;
  const push = (end: number): number => {
    tokens.push({ kind: 'pp', text: line.slice(start, end), col: start, spaceBefore: space });
    return end;
  };
  if (c === CH_PERCENT) {
    const d = i + 1 < n ? line.charCodeAt(i + 1) : 0;
    if (isIdentStart(d) || isDigit(d)) {
      i += 2;
      while (i < n && isIdentChar(line.charCodeAt(i))) i++;
      return push(i);
    }
    tokens.push({ kind: 'op', text: '%%', col: start, spaceBefore: space });
    return i + 1;
  }
  if (isIdentStart(c) || c === CH_DOLLAR || c === CH_BANG) {
    i++;
    while (i < n && isIdentChar(line.charCodeAt(i))) i++;
    return push(i);
  }
  if (isDigit(c)) {
    while (i < n && isDigit(line.charCodeAt(i))) i++;
    return push(i);
  }
  if ((c === CH_PLUS || c === CH_MINUS) && i + 1 < n && isDigit(line.charCodeAt(i + 1))) {
    // `%+1` / `%-1`: condition-code parameter forms
    i++;
    while (i < n && isDigit(line.charCodeAt(i))) i++;
    return push(i);
  }
  if (c === CH_PLUS) return push(i + 1);
  if (c === CH_QUESTION) {
    if (i + 1 < n && line.charCodeAt(i + 1) === CH_QUESTION) return push(i + 2);
    return push(i + 1);
  }
  if (c === CH_LBRACE || c === CH_LBRACKET) {
    const close = c === CH_LBRACE ? CH_RBRACE : CH_RBRACKET;
    let depth = 0;
    while (i < n) {
      const d = line.charCodeAt(i);
      if (d === c) depth++;
      else if (d === close && --depth === 0) return push(i + 1);
      i++;
    }
    return push(n);
  }
  tokens.push({ kind: 'op', text: '%', col: start, spaceBefore: space });
  return start + 1;
}

/**
 * A number token, scanned as nasm does: letters, digits and `_` continue it; `.` or a `p` makes it a float;
 * an `e` makes it a float unless an `h`/`x` (or a `$` prefix) made it hex, and takes a sign after it only
 * then (`1e+10`, while `0x1e+3` is 0x1e plus 3). `$0F` / `$1.8p3` start with `$`.
 */
function lexNumber(line: string, start: number, tokens: Token[], space: boolean): number {
  const n = line.length;
  let i = start;
  let isHex = false;
  let isFloat = false;
  let hasE = false;
  if (line.charCodeAt(i) === CH_DOLLAR) {
    isHex = true;
    i++;
  }
  const signNext = (): boolean =>
    i < n && (line.charCodeAt(i) === CH_PLUS || line.charCodeAt(i) === CH_MINUS);
  while (i < n) {
    const c = line.charCodeAt(i);
    const lower = c | 0x20;
    if (!isHex && lower === 0x65 /* e */) {
      hasE = true;
      i++;
      if (signNext()) {
        isFloat = true;
        i++;
      }
    } else if (lower === 0x68 /* h */ || lower === 0x78 /* x */) {
      isHex = true;
      i++;
    } else if (lower === 0x70 /* p */) {
      isFloat = true;
      i++;
      if (signNext()) i++;
    } else if (isLetter(c) || isDigit(c) || c === CH_UNDERSCORE) {
      i++;
    } else if (c === CH_DOT) {
      isFloat = true;
      i++;
    } else break;
  }
  if (hasE && !isHex) isFloat = true;
  let hash = 0;
  for (let k = start; k < i; k++) hash = (Math.imul(hash, 31) + line.charCodeAt(k)) | 0;
  const text = identifier(line, start, i, hash);
  if (isFloat) {
    tokens.push({ kind: 'float', text, col: start, spaceBefore: space });
    return i;
  }
  const token: Token = { kind: 'num', text, col: start, spaceBefore: space };
  const value = allDecimalDigits(text) ? decimalValue(text) : parseInteger(text);
  if (value === undefined) token.error = `invalid number \`${text}'`;
  else token.value = value;
  tokens.push(token);
  return i;
}

/** One bigint per small value (displacements, immediates, counts): numbers live on in expression trees. */
const SMALL_VALUE_LIMIT = 4096;
const SMALL_VALUES: bigint[] = Array.from({ length: SMALL_VALUE_LIMIT }, (_, v) => BigInt(v));

function decimalValue(text: string): bigint {
  if (text.length > 15) return BigInt(text);
  let v = 0;
  for (let k = 0; k < text.length; k++) v = v * 10 + (text.charCodeAt(k) - CH_0);
  if (v >= SMALL_VALUE_LIMIT) return BigInt(v);
  return SMALL_VALUES[v]!;
}

function allDecimalDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return false;
  }
  return text.length > 0;
}

const RADIX_DIGITS: Record<number, RegExp> = {
  2: /^[01]+$/,
  8: /^[0-7]+$/,
  10: /^[0-9]+$/,
  16: /^[0-9a-f]+$/,
};

function digitsIn(digits: string, radix: number): bigint | undefined {
  if (!RADIX_DIGITS[radix]!.test(digits)) return undefined;
  if (radix === 10) return BigInt(digits);
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '0b';
  return BigInt(prefix + digits);
}

/** Every NASM integer spelling: 0x1F 1Fh 0h1F 0b101 101b 0y1 1y 0o17 17o 17q 0q17 0d10 10d 0t10 10t. */
export function parseInteger(text: string): bigint | undefined {
  const s = text.replace(/_/g, '').toLowerCase();
  if (s.length === 0) return undefined;
  if (s[0] === '$') return digitsIn(s.slice(1), 16);
  if (s.length > 2 && s[0] === '0') {
    const radix = { x: 16, h: 16, b: 2, y: 2, o: 8, q: 8, d: 10, t: 10 }[s[1]!];
    if (radix !== undefined) {
      const viaPrefix = digitsIn(s.slice(2), radix);
      if (viaPrefix !== undefined) return viaPrefix;
    }
  }
  const last = s[s.length - 1]!;
  const body = s.slice(0, -1);
  if (body.length > 0) {
    const radix = { h: 16, x: 16, b: 2, y: 2, o: 8, q: 8, d: 10, t: 10 }[last];
    if (radix !== undefined) {
      const viaSuffix = digitsIn(body, radix);
      if (viaSuffix !== undefined) return viaSuffix;
    }
  }
  return digitsIn(s, 10);
}

interface StringLex {
  end: number;
  bytes: Uint8Array;
  error?: string;
}

function lexString(line: string, start: number): StringLex {
  const quote = line.charCodeAt(start);
  const n = line.length;
  let i = start + 1;
  if (quote !== CH_BACKQUOTE) {
    const close = line.indexOf(line[start]!, i);
    if (close < 0) return { end: n, bytes: encoder.encode(line.slice(i)), error: 'unterminated string' };
    return { end: close + 1, bytes: encoder.encode(line.slice(i, close)) };
  }
  const out: number[] = [];
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === CH_BACKQUOTE) return { end: i + 1, bytes: Uint8Array.from(out) };
    if (c !== CH_BACKSLASH) {
      if (c < 128) out.push(c);
      else {
        const cp = line.codePointAt(i)!;
        for (const b of encoder.encode(String.fromCodePoint(cp))) out.push(b);
        if (cp > 0xffff) i++;
      }
      i++;
      continue;
    }
    i++;
    if (i >= n) break;
    const e = line[i]!;
    i++;
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      a: 7,
      b: 8,
      e: 27,
      f: 12,
      v: 11,
      "'": 39,
      '"': 34,
      '`': 96,
      '\\': 92,
      '?': 63,
    };
    if (e in simple) out.push(simple[e]!);
    else if (e === 'x') {
      let v = 0;
      let count = 0;
      while (count < 2 && i < n && /[0-9a-fA-F]/.test(line[i]!)) {
        v = v * 16 + parseInt(line[i]!, 16);
        i++;
        count++;
      }
      out.push(v & 0xff);
    } else if (e >= '0' && e <= '7') {
      let v = e.charCodeAt(0) - CH_0;
      let count = 1;
      while (count < 3 && i < n && line[i]! >= '0' && line[i]! <= '7') {
        v = v * 8 + (line.charCodeAt(i) - CH_0);
        i++;
        count++;
      }
      out.push(v & 0xff);
    } else if (e === 'u' || e === 'U') {
      const len = e === 'u' ? 4 : 8;
      const hex = line.slice(i, i + len);
      i += hex.length;
      const cp = parseInt(hex, 16);
      if (Number.isFinite(cp) && cp <= 0x10ffff)
        for (const b of encoder.encode(String.fromCodePoint(cp))) out.push(b);
    } else {
      out.push(e.charCodeAt(0));
    }
  }
  return { end: n, bytes: Uint8Array.from(out), error: 'unterminated string' };
}

/** Text of tokens joined as they were written (single spaces where the source had whitespace). */
export function tokensToText(tokens: readonly Token[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (i > 0 && t.spaceBefore) out += ' ';
    out += t.text;
  }
  return out;
}

/** Identifiers and operators that are the same whatever the case: `MOV`, `Dword`. */
export function lower(token: Token): string {
  return token.text.toLowerCase();
}

/** Tokens whose text is their source spelling, so a run of them can be scanned again as one text. */
function isRescannable(t: Token): boolean {
  if (t.kind === 'num' || t.kind === 'float') return true;
  if (t.kind === 'id') return !t.escaped;
  return t.kind === 'op' && (t.text === '+' || t.text === '-');
}

/**
 * Scans again runs of adjacent tokens (no space between) that macro expansion glued together, as nasm's
 * assembler re-reads the expanded line as text: `1e` `+` `10` is the float `1e+10`, `xyzzy` `1e` the name
 * `xyzzy1e`. Runs the lexer itself produced scan to the same tokens and are kept as they are.
 */
export function rescanJoined(tokens: Token[]): Token[] {
  let out: Token[] | undefined;
  for (let i = 0; i < tokens.length;) {
    let end = i + 1;
    if (isRescannable(tokens[i]!))
      while (end < tokens.length && !tokens[end]!.spaceBefore && isRescannable(tokens[end]!)) end++;
    if (end - i >= 2) {
      const run = tokens.slice(i, end);
      const relexed = lexLine(run.map((t) => t.text).join('')).tokens;
      const same = relexed.length === run.length && relexed.every((t, k) => t.text === run[k]!.text);
      if (!same) {
        out ??= tokens.slice(0, i);
        const col = run[0]!.col;
        for (const [k, t] of relexed.entries())
          out.push({ ...t, col: col + t.col, spaceBefore: k === 0 ? run[0]!.spaceBefore : t.spaceBefore });
        i = end;
        continue;
      }
    }
    if (out) for (let k = i; k < end; k++) out.push(tokens[k]!);
    i = end;
  }
  return out ?? tokens;
}
