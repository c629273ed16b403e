/**
 * Pass 3 (with --gc-sections): keep only input sections reachable through relocations from the roots GNU ld
 * uses (bfd's bfd_elf_gc_sections):
 *   - the sections defining the entry symbol (only when one was set by -e or ENTRY(): ld's built-in `_start`
 *     default is no root), -u/EXTERN symbols and symbols the script reads;
 *   - KEEP() sections and SHT_NOTE sections outside groups;
 *   - for PIE output, every defined global of default or protected visibility that --export-dynamic,
 *     --dynamic-list or --export-dynamic-symbol exports (elf_gc_mark_dynamic_ref_symbol); never for a static
 *     executable, which has no dynamic sections;
 *   - all sections named NAME once a kept section refers to `__start_NAME`/`__stop_NAME`.
 * Then, per file that keeps an allocated non-note section: its debug and other non-allocated sections without
 * relocations of their own (bfd's _bfd_elf_gc_mark_extra_sections), whole COMDAT groups of only such sections
 * (gcc -g3's .debug_macro groups), and SHF_LINK_ORDER sections whose linked
 * section is kept. `.eh_frame` is no root (the default script KEEPs it) and never keeps code alive itself.
 * A kept section keeps the rest of its COMDAT group.
 */
import {
  SHF_ALLOC,
  SHF_LINK_ORDER,
  SHN_UNDEF,
  SHT_NOTE,
  STB_LOCAL,
  STV_HIDDEN,
  STV_INTERNAL,
} from '../elf/constants.js';
import type { GlobalSymbol, InputFile, InputSection } from './model.js';

export interface GcRoots {
  /** Entry (when explicit), -u, EXTERN and script-referenced symbols. */
  symbols: string[];
  /**
   * Dynamic exports are roots (bfd_elf_gc_mark_dynamic_ref_symbol): names --export-dynamic, --dynamic-list or
   * --export-dynamic-symbol ask for, in output with dynamic sections. Undefined: no dynamic sections.
   */
  exported?: (name: string) => boolean;
}

export interface GcResult {
  /** Sections that were live and are now removed (for the map's discarded list). */
  removed: InputSection[];
  /** What ld's --print-gc-sections prints: every unmarked non-empty section, in file and section order. */
  report: string[];
}

const isDebugName = (name: string) =>
  name.startsWith('.debug') || name.startsWith('.zdebug') || name.startsWith('.stab') || name === '.line';

export function collectGarbage(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
  roots: GcRoots,
  scriptDiscarded: InputSection[],
): GcResult {
  const discardedByScript = new Set(scriptDiscarded);
  const marked = new Set<InputSection>();
  const stack: InputSection[] = [];
  const groupOf = new Map<InputSection, InputSection[]>();
  const inGroup = new Set<InputSection>();
  const byName = new Map<string, InputSection[]>();
  // Script-discarded sections take part too (ld collects before it discards, and reports them).
  const candidate = (s: InputSection | undefined): s is InputSection =>
    s !== undefined && (s.live || discardedByScript.has(s));
  for (const file of files) {
    for (const group of file.elf.groups) {
      const members = group.members
        .map((m) => file.sections[m])
        .filter((s): s is InputSection => s !== undefined);
      for (const m of members) {
        groupOf.set(m, members);
        inGroup.add(m);
      }
    }
    for (const s of file.sections) {
      if (!candidate(s)) continue;
      const list = byName.get(s.name) ?? [];
      list.push(s);
      byName.set(s.name, list);
    }
  }
  const mark = (s: InputSection | undefined) => {
    if (!candidate(s) || marked.has(s)) return;
    marked.add(s);
    stack.push(s);
  };
  const markSymbol = (symbol: GlobalSymbol | undefined) => {
    if (!symbol) return;
    mark(symbol.definition?.section);
    const m = /^__(start|stop)_([A-Za-z_][A-Za-z0-9_]*)$/.exec(symbol.name);
    if (m && !symbol.definition) for (const s of byName.get(m[2]!) ?? []) mark(s);
  };
  const drain = () => {
    while (stack.length > 0) {
      const section = stack.pop()!;
      for (const member of groupOf.get(section) ?? []) mark(member);
      // .eh_frame points at every function; ld does not let it keep them alive.
      if (section.name === '.eh_frame') continue;
      const file = section.file;
      const relocations = section.relocations;
      for (let i = 0; i < relocations.length; i++) {
        const symbol = relocations.symbol(i);
        if (symbol === 0) continue;
        const sym = file.elf.symbols[symbol]!;
        if (sym.bind === STB_LOCAL) {
          if (sym.shndx !== SHN_UNDEF && sym.shndx < 0xff00) mark(file.sections[sym.shndx]);
        } else markSymbol(file.globals[symbol]);
      }
    }
  };

  for (const name of roots.symbols) markSymbol(symbols.get(name));
  if (roots.exported)
    for (const symbol of symbols.values()) {
      const section = symbol.definition?.section;
      if (!section || symbol.hidden || !roots.exported(symbol.name)) continue;
      if (symbol.visibility === STV_HIDDEN || symbol.visibility === STV_INTERNAL) continue;
      mark(section);
    }
  for (const file of files)
    for (const s of file.sections) {
      if (!candidate(s)) continue;
      if (s.keep || s.index === -1 || (s.type === SHT_NOTE && !inGroup.has(s))) mark(s);
    }
  drain();

  // ld's extra pass: SHF_LINK_ORDER sections follow their linked section; debug sections follow their file.
  for (let changed = true; changed;) {
    changed = false;
    for (const file of files)
      for (const s of file.sections) {
        if (!candidate(s) || marked.has(s) || !(s.flags & SHF_LINK_ORDER)) continue;
        const linked = file.sections[file.elf.sections[s.index]?.link ?? 0];
        if (linked && marked.has(linked)) {
          mark(s);
          changed = true;
        }
      }
    drain();
  }
  for (const file of files) {
    const someKept = file.sections.some(
      (s) => s && marked.has(s) && s.flags & SHF_ALLOC && s.type !== SHT_NOTE,
    );
    if (!someKept) continue;
    for (const s of file.sections) {
      if (!candidate(s) || marked.has(s) || inGroup.has(s) || s.flags & SHF_LINK_ORDER) continue;
      if (isDebugName(s.name) || ((s.flags & SHF_ALLOC) === 0 && s.relocations.length === 0)) marked.add(s);
    }
    // A group of only debug sections (gcc -g3's .debug_macro groups), or of only non-allocated sections without
    // relocations, is kept whole (bfd's _bfd_elf_gc_mark_debug_special_section_group).
    for (const group of file.elf.groups) {
      const members = group.members
        .map((m) => file.sections[m])
        .filter((m): m is InputSection => m !== undefined);
      const debug = members.every((m) => isDebugName(m.name));
      const special = members.every((m) => (m.flags & SHF_ALLOC) === 0 && m.relocations.length === 0);
      if (members.length > 0 && (debug || special)) for (const m of members) if (candidate(m)) marked.add(m);
    }
  }

  const removed: InputSection[] = [];
  const report: string[] = [];
  for (const file of files) {
    for (const s of file.sections) {
      if (!candidate(s) || marked.has(s)) continue;
      if (s.size !== 0 && s.index >= 0)
        report.push(`removing unused section '${s.name}' in file '${file.name}'`);
      if (s.live) {
        s.live = false;
        removed.push(s);
      }
    }
  }
  return { removed, report };
}
