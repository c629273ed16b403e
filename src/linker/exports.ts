/**
 * Dynamic exports of position-independent output: which global symbols `.dynsym` lists and in which order, as
 * GNU ld decides them.
 *
 * ld exports a symbol when `-E`/`--export-dynamic` asks for every global, or when `--dynamic-list FILE` /
 * `--export-dynamic-symbol GLOB` names it (bfd's `_bfd_elf_export_symbol`). Only symbols a regular object or the
 * script defines qualify: hidden and internal ones are forced local, undefined weak ones are resolved to zero in
 * an executable and dropped again (`_bfd_x86_elf_fixup_symbol`), and the linker's own `_DYNAMIC`,
 * `_GLOBAL_OFFSET_TABLE_` and `__GNU_EH_FRAME_HDR` are hidden. Exported symbols are --gc-sections roots too.
 *
 * The order is the walk of bfd's symbol hash table (`bfdTraversalOrder`), in which ld records each dynamic symbol
 * and adds its name to `.dynstr`; dynamic.ts then sorts the hashed ones by GNU hash bucket.
 */
import { STV_HIDDEN, STV_INTERNAL } from '../elf/constants.js';
import { UserError } from '../errors.js';
import { bfdTraversalOrder } from './bfd-hash.js';
import type { GlobalSymbol } from './model.js';
import type { Assignment, LinkerScript } from './script/ast.js';
import { wildcardMatcher } from './wildcard.js';

/** Which symbols the command line exports. */
export interface ExportRequest {
  /** `-E` / `--export-dynamic`: every default- or protected-visibility global. */
  all: boolean;
  /** Glob patterns from `--dynamic-list` files and `--export-dynamic-symbol`. */
  patterns: string[];
}

export function exportsAnything(request: ExportRequest): boolean {
  return request.all || request.patterns.length > 0;
}

/** A predicate for "the command line asks for this name", before visibility and definedness are checked. */
export function exportMatcher(request: ExportRequest): (name: string) => boolean {
  if (request.all) return () => true;
  const matchers = request.patterns.map((p) => wildcardMatcher(p));
  return (name) => matchers.some((m) => m(name));
}

/** Symbols of ld's own making that it hides (`_bfd_elf_define_linkage_sym`). */
const LINKER_HIDDEN = new Set(['_DYNAMIC', '_GLOBAL_OFFSET_TABLE_', '__GNU_EH_FRAME_HDR']);

/**
 * Would ld export this symbol once defined? `defined` tells whether an object or the script defines it (script
 * assignments run after this is decided, so the caller says which ones will).
 */
export function isExportable(symbol: GlobalSymbol, scriptHidden: boolean): boolean {
  if (LINKER_HIDDEN.has(symbol.name)) return false;
  if (symbol.hidden || scriptHidden) return false;
  return symbol.visibility !== STV_HIDDEN && symbol.visibility !== STV_INTERNAL;
}

/**
 * Names the script's assignments will define, with whether they are hidden: every plain assignment, and a
 * PROVIDE only for a name something references but no object defines (what layout.ts will do).
 */
export function scriptDefinitions(
  script: LinkerScript,
  defsyms: Assignment[],
  symbols: Map<string, GlobalSymbol>,
  scriptReferences: Set<string>,
): Map<string, { hidden: boolean }> {
  const found = new Map<string, { hidden: boolean }>();
  const visit = (a: Assignment) => {
    if (a.target === '.') return;
    if (a.provide !== 'none') {
      const symbol = symbols.get(a.target);
      const wanted = symbol
        ? !symbol.definition &&
          (symbol.referenced || symbol.weak || symbol.scriptDefined || scriptReferences.has(a.target))
        : scriptReferences.has(a.target);
      if (!wanted) return;
    }
    const hidden = a.hidden || a.provide === 'provide-hidden';
    const before = found.get(a.target);
    found.set(a.target, { hidden: (before?.hidden ?? false) || hidden });
  };
  for (const s of script.globals) if (s.kind === 'assignment') visit(s);
  for (const c of script.sections ?? []) {
    if (c.kind === 'assignment') visit(c);
    else if (c.kind === 'output-section')
      for (const inner of c.commands) if (inner.kind === 'assignment') visit(inner);
  }
  for (const d of defsyms) visit(d);
  return found;
}

/**
 * The exported names in ld's order. `symbols` is in the order ld created its hash entries (objects' symbols as
 * read); names only the script defines come after them, in statement order.
 */
export function chooseExports(
  request: ExportRequest,
  symbols: Map<string, GlobalSymbol>,
  scriptDefined: Map<string, { hidden: boolean }>,
  /** Names some object refers to with a strong undefined symbol. */
  objectReferences: ReadonlySet<string> = new Set(),
): string[] {
  if (!exportsAnything(request)) return [];
  // ld's attempt to export an object's hidden definition forces it local: `.symtab` then lists it as a local of
  // default visibility.
  const wanted = exportMatcher(request);
  for (const symbol of symbols.values())
    if (
      symbol.definition &&
      !scriptDefined.has(symbol.name) &&
      (symbol.visibility === STV_HIDDEN || symbol.visibility === STV_INTERNAL) &&
      wanted(symbol.name)
    )
      symbol.forcedLocal = true;
  const insertion = [...symbols.keys()];
  for (const name of scriptDefined.keys()) if (!symbols.has(name)) insertion.push(name);
  const exported: string[] = [];
  for (const name of bfdTraversalOrder(insertion)) {
    if (!wanted(name)) continue;
    const script = scriptDefined.get(name);
    const symbol = symbols.get(name);
    if (script) {
      if (!script.hidden && (!symbol || isExportable(symbol, false))) exported.push(name);
      continue;
    }
    if (!symbol || !isExportable(symbol, false) || symbol.forcedLocal) continue;
    // An object's definition (a live section, an absolute value or a COMMON block); undefined weak ones are
    // resolved to zero and dropped by ld. A strong undefined one that an object references is exported too
    // (bfd exports ref_regular symbols): a relocation against it fails the link, yet the `__tls_get_addr` of a
    // relaxed TLS sequence is never relocated and stays in `.dynsym`.
    const d = symbol.definition;
    const referenced = !d && symbol.common === undefined && objectReferences.has(name);
    if (
      d
        ? d.section !== undefined && !d.section.live && !d.section.merged
        : symbol.common === undefined && !referenced
    )
      continue;
    exported.push(name);
  }
  return exported;
}

/**
 * A `--dynamic-list` file: `{ sym; pattern*; extern "C" { sym; }; };` (ld's version-script syntax without
 * version names). C++ demangled patterns need a demangler ostool does not have, so `extern "C++"` is refused.
 */
export function parseDynamicList(text: string, fileName: string): string[] {
  const patterns: string[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  // Where the last token started: messages point at it.
  let at = { line, column };
  const fail = (message: string): never => {
    throw new UserError(`${fileName}:${at.line}:${at.column}: ${message}`);
  };
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) {
      if (text[i] === '\n') {
        line++;
        column = 1;
      } else column++;
      i++;
    }
  };
  const token = (): string | undefined => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i]!)) advance(1);
      if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated comment');
        advance(end + 2 - i);
        continue;
      }
      if (text[i] === '#') {
        while (i < text.length && text[i] !== '\n') advance(1);
        continue;
      }
      break;
    }
    at = { line, column };
    if (i >= text.length) return undefined;
    const c = text[i]!;
    if ('{};'.includes(c)) {
      advance(1);
      return c;
    }
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) fail('unterminated string');
      const quoted = text.slice(i, end + 1);
      advance(end + 1 - i);
      return quoted;
    }
    let end = i;
    while (end < text.length && !/[\s{};"]/.test(text[end]!)) end++;
    const word = text.slice(i, end);
    advance(end - i);
    return word;
  };
  const expect = (wanted: string) => {
    const got = token();
    if (got !== wanted)
      fail(`expected '${wanted}'${got === undefined ? ' before the end' : `, found '${got}'`}`);
  };
  const body = (language: string) => {
    for (;;) {
      const t = token();
      const start = at;
      if (t === undefined) return fail("expected '}' before the end");
      if (t === '}') return;
      if (t === ';') continue;
      if (t === 'extern') {
        const lang = token();
        if (lang !== '"C"' && lang !== '"C++"' && lang !== '"Java"')
          fail(`extern: expected "C", "C++" or "Java", found '${lang ?? 'the end'}'`);
        if (lang !== '"C"')
          throw new UserError(
            `${fileName}:${start.line}:${start.column}: extern ${lang} patterns match demangled names, which ostool cannot demangle; list the mangled names instead`,
          );
        expect('{');
        body(lang);
        const after = token();
        if (after !== ';') fail(`expected ';' after extern ${lang} { ... }`);
        continue;
      }
      if (t === '{' || t.startsWith('"')) {
        if (t.startsWith('"')) {
          patterns.push(t.slice(1, -1));
          expect(';');
          continue;
        }
        fail(`unexpected '{' in ${language === 'C' ? 'the list' : `extern ${language}`}`);
      }
      if (t.endsWith(':')) fail(`'${t}': a dynamic list has no version nodes or local:/global: sections`);
      patterns.push(t);
      const next = token();
      if (next === '}') return;
      if (next !== ';') fail(`expected ';' after '${t}'`);
    }
  };
  expect('{');
  body('C');
  const end = token();
  if (end !== ';') fail(`expected ';' after the list's closing '}'`);
  // ld accepts several lists in one file, one after another.
  for (let t = token(); t !== undefined; t = token()) {
    if (t !== '{') fail(`expected '{' or the end, found '${t}'`);
    body('C');
    if (token() !== ';') fail(`expected ';' after the list's closing '}'`);
  }
  return patterns;
}
