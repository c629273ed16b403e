/**
 * Pass 3 (with --gc-sections): keep only input sections reachable through relocations from the roots ld uses:
 * the entry symbol, EXTERN/-u symbols, KEEP() sections, notes, init/fini arrays, non-allocated (debug)
 * sections, and sections named by a referenced `__start_NAME`/`__stop_NAME`. A kept section keeps the rest
 * of its COMDAT group.
 */
import {
  SHF_ALLOC,
  SHN_UNDEF,
  SHT_FINI_ARRAY,
  SHT_INIT_ARRAY,
  SHT_NOTE,
  SHT_PREINIT_ARRAY,
  STB_LOCAL,
} from '../elf/constants.js';
import type { GlobalSymbol, InputFile, InputSection } from './model.js';

export function collectGarbage(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
  rootSymbols: string[],
): InputSection[] {
  const marked = new Set<InputSection>();
  const stack: InputSection[] = [];
  const groupOf = new Map<InputSection, InputSection[]>();
  const byName = new Map<string, InputSection[]>();
  for (const file of files) {
    for (const group of file.elf.groups) {
      const members = group.members
        .map((m) => file.sections[m])
        .filter((s): s is InputSection => s !== undefined);
      for (const m of members) groupOf.set(m, members);
    }
    for (const s of file.sections) {
      if (!s || !s.live) continue;
      const list = byName.get(s.name) ?? [];
      list.push(s);
      byName.set(s.name, list);
    }
  }
  const mark = (s: InputSection | undefined) => {
    if (!s || !s.live || marked.has(s)) return;
    marked.add(s);
    stack.push(s);
  };
  const markSymbol = (symbol: GlobalSymbol | undefined) => {
    if (!symbol) return;
    mark(symbol.definition?.section);
    const m = /^__(start|stop)_([A-Za-z_][A-Za-z0-9_]*)$/.exec(symbol.name);
    if (m && !symbol.definition) for (const s of byName.get(m[2]!) ?? []) mark(s);
  };
  for (const name of rootSymbols) markSymbol(symbols.get(name));
  for (const file of files) {
    for (const s of file.sections) {
      if (!s || !s.live) continue;
      const isRoot =
        s.keep ||
        (s.flags & SHF_ALLOC) === 0 ||
        s.type === SHT_NOTE ||
        s.type === SHT_INIT_ARRAY ||
        s.type === SHT_FINI_ARRAY ||
        s.type === SHT_PREINIT_ARRAY ||
        s.name === '.eh_frame' ||
        s.index === -1;
      if (isRoot) mark(s);
    }
  }
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
  const removed: InputSection[] = [];
  for (const file of files) {
    for (const s of file.sections) {
      if (s && s.live && !marked.has(s)) {
        s.live = false;
        removed.push(s);
      }
    }
  }
  return removed;
}
