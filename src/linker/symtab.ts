/**
 * The output `.symtab`: like ld, a FILE symbol followed by each object's local symbols (minus section symbols,
 * `.L` temporaries and symbols in merged string sections), then hidden symbols turned local, then globals.
 */
import {
  SHF_MERGE,
  SHN_ABS,
  SHN_UNDEF,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FILE,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  STV_DEFAULT,
  STV_HIDDEN,
  STV_INTERNAL,
} from '../elf/constants.js';
import type { SymbolTableEntry } from '../elf/writer.js';
import { definitionAddress } from './layout.js';
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export interface SymbolValue {
  value: bigint;
  /** Output section header index, or SHN_ABS / SHN_UNDEF. */
  shndx: number;
}

function sectionIndexOf(input: InputSection | undefined): number {
  if (!input) return SHN_ABS;
  const output = input.output ?? input.merged?.targets[0]?.section.output;
  return output?.headerIndex ?? SHN_ABS;
}

/** Final value of a global symbol, or undefined when it stayed undefined. */
export function globalValue(symbol: GlobalSymbol): SymbolValue | undefined {
  if (symbol.scriptDefined && symbol.address !== undefined) {
    const section = symbol.dotRelative
      ? sectionForDot(symbol.address, symbol.dotRelative)
      : symbol.outputSection;
    return { value: symbol.address, shndx: section ? section.headerIndex : SHN_ABS };
  }
  const d = symbol.definition;
  if (!d) return undefined;
  if (!d.section) return { value: d.value, shndx: SHN_ABS };
  if (!d.section.live && !d.section.merged) return undefined;
  return { value: definitionAddress(d.section, d.value), shndx: sectionIndexOf(d.section) };
}

/** ld's section_for_dot: the section holding an address set from `.` outside any section, else the one ending there. */
function sectionForDot(address: bigint, sections: OutputSection[]): OutputSection | undefined {
  let before: OutputSection | undefined;
  for (const s of sections) {
    if ((s.flags & 2) === 0 || s.headerIndex === 0) continue;
    if (s.address <= address && address < s.address + s.size) return s;
    if (s.address + s.size <= address && (!before || s.address >= before.address)) before = s;
  }
  return before;
}

export function buildSymbolEntries(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
): SymbolTableEntry[] {
  const locals: SymbolTableEntry[] = [];
  for (const file of files) {
    const fileLocals: SymbolTableEntry[] = [];
    let fileSymbol: SymbolTableEntry | undefined;
    const elfSymbols = file.elf.symbols;
    for (let i = 1; i < elfSymbols.length; i++) {
      const s = elfSymbols[i]!;
      if (s.bind !== STB_LOCAL) continue;
      if (s.type === STT_FILE) {
        if (!fileSymbol)
          fileSymbol = {
            name: s.name,
            value: 0n,
            size: 0n,
            bind: STB_LOCAL,
            type: STT_FILE,
            visibility: 0,
            shndx: SHN_ABS,
          };
        continue;
      }
      if (s.type === STT_SECTION || s.name === '' || s.name.startsWith('.L')) continue;
      if (s.shndx === SHN_UNDEF) continue;
      if (s.shndx === SHN_ABS) {
        fileLocals.push({
          name: s.name,
          value: s.value,
          size: s.size,
          bind: STB_LOCAL,
          type: s.type,
          visibility: s.visibility,
          shndx: SHN_ABS,
        });
        continue;
      }
      const section = file.sections[s.shndx];
      if (!section || (!section.live && !section.merged)) continue;
      if (section.flags & SHF_MERGE) continue;
      fileLocals.push({
        name: s.name,
        value: definitionAddress(section, s.value),
        size: s.size,
        bind: STB_LOCAL,
        type: s.type,
        visibility: s.visibility,
        shndx: sectionIndexOf(section),
      });
    }
    if (fileLocals.length > 0 || fileSymbol) {
      // ld names the object itself when it carries locals but no STT_FILE symbol.
      locals.push(
        fileSymbol ?? {
          name: basename(file.archive ? file.matchName : file.name),
          value: 0n,
          size: 0n,
          bind: STB_LOCAL,
          type: STT_FILE,
          visibility: 0,
          shndx: SHN_ABS,
        },
      );
      locals.push(...fileLocals);
    }
  }
  const hidden: SymbolTableEntry[] = [];
  const globals: SymbolTableEntry[] = [];
  for (const symbol of symbols.values()) {
    const v = globalValue(symbol);
    const d = symbol.definition;
    if (!v) {
      // Like ld in a static link: undefined weak symbols and an unused _GLOBAL_OFFSET_TABLE_ are left out; a
      // strong undefined symbol that reached here (an entry symbol) is listed as undefined.
      if (
        !symbol.scriptDefined &&
        !symbol.weak &&
        symbol.referenced &&
        symbol.name !== '_GLOBAL_OFFSET_TABLE_'
      ) {
        globals.push({
          name: symbol.name,
          value: 0n,
          size: 0n,
          bind: STB_GLOBAL,
          type: STT_NOTYPE,
          visibility: symbol.visibility,
          shndx: SHN_UNDEF,
        });
      }
      continue;
    }
    const isHidden = symbol.hidden || symbol.visibility === STV_HIDDEN || symbol.visibility === STV_INTERNAL;
    if (symbol.name === '_GLOBAL_OFFSET_TABLE_' && symbol.scriptDefined) {
      // ld's own definition: a local data object.
      hidden.push({
        name: symbol.name,
        value: v.value,
        size: 0n,
        bind: STB_LOCAL,
        type: STT_OBJECT,
        visibility: STV_DEFAULT,
        shndx: v.shndx,
      });
      continue;
    }
    const entry: SymbolTableEntry = {
      name: symbol.name,
      value: v.value,
      size: d?.size ?? 0n,
      bind: isHidden ? STB_LOCAL : symbol.weak ? STB_WEAK : STB_GLOBAL,
      type: d?.type ?? STT_NOTYPE,
      visibility: isHidden ? STV_HIDDEN : symbol.visibility || STV_DEFAULT,
      shndx: v.shndx,
    };
    (isHidden ? hidden : globals).push(entry);
  }
  // ld separates linker-made locals from the last object's with an unnamed FILE symbol.
  if (hidden.length > 0)
    hidden.unshift({
      name: '',
      value: 0n,
      size: 0n,
      bind: STB_LOCAL,
      type: STT_FILE,
      visibility: 0,
      shndx: SHN_ABS,
    });
  return [...locals, ...hidden, ...globals];
}

export function outputSectionFor(value: SymbolValue, sections: OutputSection[]): OutputSection | undefined {
  return sections.find((s) => s.headerIndex === value.shndx);
}
