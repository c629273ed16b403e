/**
 * Pass 2: match input sections to the script's output section descriptions (first matching statement wins, as in
 * ld), apply /DISCARD/, sort where SORT_* asks, and place orphans the way ld does: into an output section of the
 * same name, else after the last output section with similar flags.
 */
import {
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_TLS,
  SHF_WRITE,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
} from '../elf/constants.js';
import type { InputFile, InputSection, OutputSection, SectionContent } from './model.js';
import { newInputSection, newOutputSection } from './model.js';
import type {
  Assignment,
  AssertStatement,
  InputSectionDescription,
  LinkerScript,
  SortKind,
} from './script/ast.js';
import { fileMatches, wildcardMatcher } from './wildcard.js';

/** The statement list the layout walks: script assignments and output sections (orphans already inserted). */
export type LayoutItem =
  | { kind: 'statement'; statement: Assignment | AssertStatement }
  | { kind: 'section'; section: OutputSection };

export interface SectionMapping {
  items: LayoutItem[];
  /** Output sections by name (the first statement of that name). */
  byName: Map<string, OutputSection>;
  discarded: InputSection[];
  orphans: InputSection[];
}

export function mapInputSections(
  script: LinkerScript,
  files: InputFile[],
  /** --orphan-handling=discard: orphans go to /DISCARD/ (sections the linker made itself are still placed). */
  discardOrphans = false,
  /** A final link: bfd's x86 back end has made an empty `.iplt` in the first object (see ipltPlaceholder). */
  linkerCode = false,
): SectionMapping {
  const items: LayoutItem[] = [];
  const byName = new Map<string, OutputSection>();
  const discarded: InputSection[] = [];
  // Per file, the sections no statement has taken yet (each statement only looks at what is left).
  const remaining = new Map<InputFile, InputSection[]>();
  for (const file of files) {
    const list: InputSection[] = [];
    for (const section of file.sections) if (section && !section.discarded) list.push(section);
    remaining.set(file, list);
  }
  const firstObject = files.find((f) => f.order !== Number.MAX_SAFE_INTEGER);
  const iplt = linkerCode && firstObject ? ipltPlaceholder(firstObject) : undefined;
  if (iplt) remaining.get(firstObject!)!.push(iplt);

  for (const command of script.sections ?? []) {
    if (command.kind !== 'output-section') {
      items.push({ kind: 'statement', statement: command });
      continue;
    }
    const isDiscard = command.name === '/DISCARD/';
    const output = newOutputSection(command.name, command);
    for (const c of command.commands) {
      if (c.kind !== 'input') {
        output.contents.push(c);
        if (keepsSection(c)) output.keepEmpty = true;
        continue;
      }
      const matched = matchDescription(c, files, remaining);
      if (c.keep) for (const section of matched) section.keep = true;
      if (isDiscard) {
        for (const section of matched) {
          section.discarded = true;
          section.live = false;
          discarded.push(section);
        }
      } else output.contents.push({ kind: 'inputs', sections: matched, description: c });
    }
    if (isDiscard) continue;
    output.phdrs = command.phdrs;
    if (!byName.has(command.name)) byName.set(command.name, output);
    items.push({ kind: 'section', section: output });
  }

  // Orphans are placed in input order; ld makes its own sections (.got, build-id note...) in the first object, so
  // they come right after that object's sections.
  const linkerMade = files.filter((f) => f.order === Number.MAX_SAFE_INTEGER && !f.withEhFrameObject);
  const objects = files.filter((f) => f.order !== Number.MAX_SAFE_INTEGER);
  const inOrder = objects.length > 0 ? [objects[0]!, ...linkerMade, ...objects.slice(1)] : linkerMade;
  // `.eh_frame_hdr` joins the first object with an `.eh_frame` of more than a terminator.
  for (const file of files.filter((f) => f.withEhFrameObject)) {
    const host = objects.find((f) =>
      f.sections.some((s) => s?.name === '.eh_frame' && s.size > 8 && !s.discarded),
    );
    const at = host ? inOrder.indexOf(host) + 1 : Math.min(1, inOrder.length);
    inOrder.splice(at, 0, file);
  }
  let orphans = inOrder.flatMap((file) => remaining.get(file) ?? []);
  if (discardOrphans) {
    for (const section of orphans) {
      if (section.index < 0) continue;
      section.discarded = true;
      section.live = false;
      discarded.push(section);
    }
    orphans = orphans.filter((s) => s.index < 0);
  }
  placeOrphans(orphans, items, byName, script.sections !== undefined);
  if (iplt) {
    // It only steered where later code orphans go: take it out of whatever statement or orphan section has it.
    for (const item of items)
      if (item.kind === 'section')
        for (const c of item.section.contents)
          if (c.kind === 'inputs' && c.sections.includes(iplt))
            c.sections = c.sections.filter((x) => x !== iplt);
    orphans = orphans.filter((x) => x !== iplt);
  }
  return { items, byName, discarded, orphans };
}

/**
 * ld keeps an otherwise empty output section when it holds data (BYTE...) or moves the location counter; symbol
 * assignments alone do not keep it, nor do `. = 0`, `. = . + 0` and `. = ALIGN(. != 0 ? n : 1)`.
 */
function keepsSection(command: SectionContent): boolean {
  if (command.kind === 'data') return true;
  if (command.kind !== 'assignment' || command.target !== '.') return false;
  const v = command.value;
  if (v.kind === 'number' && v.value === 0n) return false;
  if (
    v.kind === 'binary' &&
    v.operator === '+' &&
    v.left.kind === 'dot' &&
    v.right.kind === 'number' &&
    v.right.value === 0n
  )
    return false;
  if (v.kind === 'call' && v.function === 'ALIGN' && v.args.length === 1 && v.args[0]!.kind === 'conditional')
    return false;
  return true;
}

function matchDescription(
  description: InputSectionDescription,
  files: InputFile[],
  remaining: Map<InputFile, InputSection[]>,
): InputSection[] {
  const anyFile = description.filePattern === '*' && description.excludeFiles.length === 0;
  const fileOk = (file: InputFile) =>
    anyFile ||
    (fileMatches(description.filePattern, file.matchName, file.archive) &&
      !description.excludeFiles.some((p) => fileMatches(p, file.matchName, file.archive)));
  const patterns = description.sections.map((p) => ({ ...p, match: wildcardMatcher(p.pattern) }));
  // Which pattern a section name matches, remembered per name: a kernel has hundreds of `.text`s. Patterns with
  // EXCLUDE_FILE depend on the file as well, so then every section is matched on its own.
  const cacheByName = patterns.every((p) => p.excludeFiles.length === 0);
  const patternOfName = new Map<string, (typeof patterns)[number] | null>();
  const matched: InputSection[] = [];
  const sorts: SortKind[] = [];
  let orderedFiles = files;
  if (description.fileSort !== 'none')
    orderedFiles = [...files].sort((a, b) => compareStrings(a.matchName, b.matchName));
  for (let f = 0; f < orderedFiles.length; f++) {
    const file = orderedFiles[f]!;
    if (!fileOk(file)) continue;
    const sections = remaining.get(file);
    if (!sections) continue;
    // What this statement leaves of the file's sections (made on its first match).
    let rest: InputSection[] | undefined;
    for (let k = 0; k < sections.length; k++) {
      const section = sections[k]!;
      if (section.discarded) continue;
      let pattern = cacheByName ? patternOfName.get(section.name) : undefined;
      if (pattern === undefined) {
        pattern =
          patterns.find(
            (p) =>
              p.match(section.name) &&
              !p.excludeFiles.some((e) => fileMatches(e, file.matchName, file.archive)),
          ) ?? null;
        if (cacheByName) patternOfName.set(section.name, pattern);
      }
      if (pattern) {
        rest ??= sections.slice(0, k);
        matched.push(section);
        sorts.push(pattern.sort);
      } else rest?.push(section);
    }
    if (rest) remaining.set(file, rest);
  }
  const sort = sorts.find((kind) => kind !== 'none');
  if (sort) {
    const order = matched.map((_, i) => i);
    order.sort((a, b) => compareForSort(sort, matched[a]!, matched[b]!) || a - b);
    return order.map((i) => matched[i]!);
  }
  return matched;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareForSort(sort: SortKind, a: InputSection, b: InputSection): number {
  switch (sort) {
    case 'name':
      return compareStrings(a.name, b.name);
    case 'alignment':
      return b.align - a.align;
    case 'name-alignment':
      return compareStrings(a.name, b.name) || b.align - a.align;
    case 'alignment-name':
      return b.align - a.align || compareStrings(a.name, b.name);
    case 'init-priority':
      return initPriority(a.name) - initPriority(b.name);
    default:
      return 0;
  }
}

/** `.init_array.00100` → 100; `.ctors.00100` runs in reverse, so its priority is 65535 - 100; no suffix → 65535. */
function initPriority(name: string): number {
  const m = /\.(\d+)$/.exec(name);
  if (!m) return 65535;
  const n = Number(m[1]);
  return /^\.(ctors|dtors)\./.test(name) ? 65535 - n : n;
}

type OrphanKind = 'text' | 'rodata' | 'data' | 'tdata' | 'bss' | 'rel' | 'note' | 'nonalloc';

function orphanKind(section: InputSection): OrphanKind {
  if ((section.flags & SHF_ALLOC) === 0) return 'nonalloc';
  if (section.type === SHT_NOTE) return 'note';
  // ldelf_place_orphan: TLS orphans, .tbss ones too, go with .tdata.
  if (section.flags & SHF_TLS) return 'tdata';
  if (section.type === SHT_NOBITS) return 'bss';
  if (section.flags & SHF_WRITE) return 'data';
  if (section.type === SHT_RELA || section.type === SHT_REL) return 'rel';
  if (section.flags & SHF_EXECINSTR) return 'text';
  return 'rodata';
}

const ANCHOR_NAMES: Record<OrphanKind, string> = {
  text: '.text',
  rodata: '.rodata',
  data: '.data',
  tdata: '.tdata',
  bss: '.bss',
  rel: '',
  note: '.interp',
  nonalloc: '',
};

/**
 * bfd's elf_x86 back end makes `.iplt` (and `.got`, `.igot.plt`...) in the first object of every final link. Empty,
 * it never reaches the output, but when no statement takes it, it is the first code orphan ld places: it goes right
 * after `.text`, and the code orphans of later objects (gcc's `.text.__x86.get_pc_thunk.*`) follow it, after the
 * read-only orphans placed meanwhile. A stand-in keeps that order.
 */
function ipltPlaceholder(file: InputFile): InputSection {
  return newInputSection(file, '.iplt', SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR);
}

function placeOrphans(
  orphans: InputSection[],
  items: LayoutItem[],
  byName: Map<string, OutputSection>,
  hasScript: boolean,
): void {
  const created = new Map<string, OutputSection>();
  const nonAlloc: OutputSection[] = [];
  // Like ld's `hold` table: per kind, the orphan placed last (the next one of that kind goes right after it).
  const lastPlaced = new Map<OrphanKind, OutputSection>();
  for (const section of orphans) {
    // ld's COMMON pseudo-section, left over by the script, becomes (or joins) `.bss`.
    const name = section.index < 0 && section.name === 'COMMON' ? '.bss' : section.name;
    const existing = byName.get(name) ?? created.get(name);
    if (existing) {
      const last = existing.contents[existing.contents.length - 1];
      if (last?.kind === 'inputs' && existing.orphan) last.sections.push(section);
      else existing.contents.push({ kind: 'inputs', sections: [section] });
      continue;
    }
    const output = newOutputSection(name);
    output.contents.push({ kind: 'inputs', sections: [section] });
    created.set(name, output);
    const kind = orphanKind(section);
    if (kind === 'nonalloc') {
      nonAlloc.push(output);
      continue;
    }
    // An object's note with no .note*/.interp statement to follow: ld's search by flags finds the read-only orphans
    // placed so far (contents, no write flag, like the note). The notes ld makes itself (build-id) still go first.
    const previous =
      lastPlaced.get(kind) ??
      (kind === 'note' && section.index >= 0 && !hasNoteStatement(items)
        ? lastPlaced.get('rodata')
        : undefined);
    let at: number;
    if (previous) at = items.findIndex((item) => item.kind === 'section' && item.section === previous) + 1;
    else {
      const anchor = findAnchor(kind, section, items, byName);
      if (anchor >= 0) at = items[anchor]!.kind === 'section' ? insertionPoint(items, anchor) : anchor + 1;
      else {
        // Nothing similar: ld puts it after the last allocated section (or first, without a script).
        let last = -1;
        items.forEach((item, i) => {
          if (item.kind === 'section' && isAllocStatement(item.section)) last = i;
        });
        at = last < 0 ? (hasScript ? items.length : 0) : insertionPoint(items, last);
      }
    }
    items.splice(at, 0, { kind: 'section', section: output });
    lastPlaced.set(kind, output);
  }
  // ld's hold[orphan_nonalloc] is `.comment`: non-allocated orphans follow it when the script has one.
  const comment = byName.get('.comment');
  const at = comment ? items.findIndex((item) => item.kind === 'section' && item.section === comment) + 1 : 0;
  if (at > 0) items.splice(at, 0, ...nonAlloc.map((section) => ({ kind: 'section' as const, section })));
  else for (const output of nonAlloc) items.push({ kind: 'section', section: output });
}

/**
 * ld's insert_os_after: the first orphan placed after a section also goes past the assignments that follow it
 * (`kernel_end = .` stays before it), up to the next output section statement, but before the first assignment to
 * `.` in that run when that next section is allocated or empty (the assignment sets up its address).
 */
function insertionPoint(items: LayoutItem[], anchor: number): number {
  let assign = -1;
  for (let i = anchor + 1; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === 'statement') {
      const statement = item.statement;
      if (assign < 0 && statement.kind === 'assignment' && statement.target === '.') assign = i;
      continue;
    }
    const flags = statementFlags(item.section);
    return assign >= 0 && (flags === undefined || (flags.flags & SHF_ALLOC) !== 0) ? assign : i;
  }
  return items.length;
}

function hasNoteStatement(items: LayoutItem[]): boolean {
  return items.some(
    (item) =>
      item.kind === 'section' &&
      !item.section.orphan &&
      (item.section.name.startsWith('.note') || item.section.name === '.interp'),
  );
}

function findAnchor(
  kind: OrphanKind,
  section: InputSection,
  items: LayoutItem[],
  byName: Map<string, OutputSection>,
): number {
  if (kind === 'note') {
    // Notes go after the script's last .note* / .interp statement, used or not, else with read-only data.
    let last = -1;
    items.forEach((item, i) => {
      if (
        item.kind === 'section' &&
        (item.section.name.startsWith('.note') || item.section.name === '.interp')
      )
        last = i;
    });
    if (last >= 0) return last;
    // Else after the last read-only data, when the script itself has a read-only data section: bfd compares ELF
    // section types, and only the script's own output sections (typeless until written) pass. Without one (or with
    // only code), the note goes first, after the assignments that lead the script (so it gets the start address).
    // The build-id note ld makes itself always goes first.
    const scriptReadOnly =
      section.index >= 0 &&
      items.some((item) => {
        if (item.kind !== 'section' || !item.section.statement) return false;
        const flags = searchFlags(item.section);
        return (
          flags !== undefined &&
          (flags.flags & SHF_ALLOC) !== 0 &&
          (flags.flags & (SHF_WRITE | SHF_EXECINSTR)) === 0 &&
          !flags.nobits
        );
      });
    if (scriptReadOnly) return findAnchor('rodata', section, items, new Map());
    const first = items.findIndex((item) => item.kind === 'section');
    return first >= 0 ? first - 1 : -1;
  }
  if (kind === 'rel') {
    const found = outputRelFind(items);
    if (found >= 0) return found;
    return findAnchor('rodata', section, items, new Map());
  }
  const named = byName.get(ANCHOR_NAMES[kind]);
  if (named) return items.findIndex((item) => item.kind === 'section' && item.section === named);
  // ld's lang_output_section_find_by_flags: first the last section with the same kind of flags (read-only,
  // code, TLS, contents), and only when there is none, the last one it may follow.
  let exact = -1;
  items.forEach((item, i) => {
    if (item.kind !== 'section') return;
    const flags = searchFlags(item.section);
    if (flags === undefined || (flags.flags & SHF_ALLOC) === 0) return;
    if ((flags.flags ^ section.flags) & (SHF_WRITE | SHF_EXECINSTR | SHF_TLS)) return;
    if (flags.nobits === (section.type === SHT_NOBITS)) exact = i;
  });
  if (exact >= 0) return exact;
  // The fallbacks: read-only data may follow code (SEC_CODE is not compared), data any section with contents,
  // bss any allocated section, code only code.
  let best = -1;
  items.forEach((item, i) => {
    if (item.kind !== 'section') return;
    const flags = searchFlags(item.section);
    if (flags === undefined || (flags.flags & SHF_ALLOC) === 0) return;
    const exec = (flags.flags & SHF_EXECINSTR) !== 0;
    const write = (flags.flags & SHF_WRITE) !== 0;
    const tls = (flags.flags & SHF_TLS) !== 0;
    const matches =
      kind === 'text'
        ? exec
        : kind === 'rodata'
          ? !write && !flags.nobits
          : kind === 'data'
            ? !flags.nobits && !tls
            : kind === 'tdata'
              ? tls
              : true;
    if (matches) best = i;
  });
  if (best < 0 && kind === 'tdata') return findAnchor('data', section, items, new Map());
  return best;
}

/**
 * ld's output_rel_find for a dynamic relocation orphan (renamed `.rela.dyn`): after the last allocated read-only
 * section placed so far (code included), looking no further than a `.rel*` statement; else the last allocated one.
 */
function outputRelFind(items: LayoutItem[]): number {
  let lastAlloc = -1;
  let lastReadOnly = -1;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind !== 'section') continue;
    if (item.section.name.startsWith('.rel')) break;
    const flags = statementFlags(item.section);
    if (flags === undefined || (flags.flags & SHF_ALLOC) === 0) continue;
    lastAlloc = i;
    if ((flags.flags & SHF_WRITE) === 0) lastReadOnly = i;
  }
  return lastReadOnly >= 0 ? lastReadOnly : lastAlloc;
}

function isAllocStatement(section: OutputSection): boolean {
  const flags = statementFlags(section);
  return flags !== undefined && (flags.flags & SHF_ALLOC) !== 0;
}

/**
 * ld's hold table: a script statement of one of these names that matched nothing yet still has these flags when
 * lang_output_section_find_by_flags looks for a place for an orphan (an empty `.rodata` takes a note after it).
 */
const HOLD_FLAGS: Record<string, { flags: number; nobits: boolean }> = {
  '.text': { flags: SHF_ALLOC | SHF_EXECINSTR, nobits: false },
  '.rodata': { flags: SHF_ALLOC, nobits: false },
  '.tdata': { flags: SHF_ALLOC | SHF_WRITE | SHF_TLS, nobits: false },
  '.data': { flags: SHF_ALLOC | SHF_WRITE, nobits: false },
  '.bss': { flags: SHF_ALLOC | SHF_WRITE, nobits: true },
  '.interp': { flags: SHF_ALLOC, nobits: false },
  '.sdata': { flags: SHF_ALLOC | SHF_WRITE, nobits: false },
};

/** The flags ld compares when it searches the statements by flags: the inputs', else the hold table's. */
function searchFlags(section: OutputSection): { flags: number; nobits: boolean } | undefined {
  // An orphan holding only an empty section the linker made (the `.iplt` stand-in) is no place to follow.
  if (
    section.orphan &&
    section.contents.every((c) => c.kind !== 'inputs' || c.sections.every((x) => x.index < 0 && x.size === 0))
  )
    return undefined;
  return (
    statementFlags(section) ??
    (section.statement && Object.hasOwn(HOLD_FLAGS, section.name) ? HOLD_FLAGS[section.name] : undefined)
  );
}

/** Flags an output section will have, from the input sections matched so far. */
function statementFlags(section: OutputSection): { flags: number; nobits: boolean } | undefined {
  let flags = 0;
  let nobits = true;
  let any = false;
  for (const content of section.contents as SectionContent[]) {
    if (content.kind === 'data') nobits = false;
    if (content.kind !== 'inputs') continue;
    for (const s of content.sections) {
      any = true;
      flags |= s.flags;
      if (s.type !== SHT_NOBITS) nobits = false;
    }
  }
  return any ? { flags, nobits } : undefined;
}
