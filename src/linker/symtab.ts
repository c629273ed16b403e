/**
 * The output `.symtab`: like ld, a FILE symbol followed by each object's local symbols (minus section symbols and
 * symbols in merged string sections), then the linker's and the script's hidden symbols turned local, then globals.
 */
import { bfdTraversalIndices } from './bfd-hash.js';
import {
  SHF_MERGE,
  SHF_TLS,
  STT_TLS,
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
import { SymbolTableBuilder } from '../elf/writer.js';
import type { EmittedReferences, EmittedSymbolIndices } from './emit-relocs.js';
import { definitionAddress } from './layout.js';
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';

/** Symbols ld defines itself as locals when it makes them, with their type. */
const LINKER_LOCALS = new Map<string, number>([
  ['_GLOBAL_OFFSET_TABLE_', STT_OBJECT],
  ['_DYNAMIC', STT_OBJECT],
  ['__GNU_EH_FRAME_HDR', STT_NOTYPE],
  ['_TLS_MODULE_BASE_', STT_TLS],
]);

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
    // ld's section_for_dot: with no assignment to `.` since the last output section, that section (when it was
    // kept), wherever the address lies; otherwise the section `.` (at the assignment) falls in or follows.
    const previous = symbol.outputSection;
    const section = !symbol.dotRelative
      ? previous
      : !symbol.dotFollows && previous && previous.headerIndex > 0 && (previous.flags & SHF_TLS) === 0
        ? previous
        : sectionForDot(symbol.dotAddress ?? symbol.address, symbol.dotRelative, symbol.dotFollows ?? false);
    return { value: symbol.address, shndx: section ? section.headerIndex : SHN_ABS };
  }
  const d = symbol.definition;
  if (!d) return undefined;
  if (!d.section) return { value: d.value, shndx: SHN_ABS };
  if (!d.section.live && !d.section.merged) return undefined;
  return { value: definitionAddress(d.section, d.value), shndx: sectionIndexOf(d.section) };
}

/** ld's section_for_dot: the section holding an address set from `.` outside any section, else the one ending there. */
function sectionForDot(
  address: bigint,
  sections: OutputSection[],
  follows: boolean,
): OutputSection | undefined {
  let before: OutputSection | undefined;
  let after: OutputSection | undefined;
  let holder: OutputSection | undefined;
  for (const s of sections) {
    // ld's section_for_dot passes over thread-local sections: their addresses are TLS-block templates.
    if ((s.flags & 2) === 0 || s.flags & SHF_TLS || s.headerIndex === 0) continue;
    if (s.address <= address && address < s.address + s.size) holder ??= s;
    if (s.address + s.size <= address && (!before || s.address >= before.address)) before = s;
    if (s.address > address && (!after || s.address < after.address)) after = s;
  }
  // Where one section ends and the next starts, statement order decides (see GlobalSymbol.dotFollows).
  if (
    holder &&
    !(holder.address === address && !follows && before && before.address + before.size === address)
  )
    return holder;
  if (follows && after) return after;
  // Below every section (`kernel_start = . - SIZEOF_HEADERS`): ld counts it in the section that follows.
  return before ?? after;
}

/**
 * Writes the output `.symtab` in ld's order. Local symbols of ordinary sections get their address from their
 * section's start in two 32-bit halves (no bigint per symbol: a kernel has tens of thousands of them).
 */
export function buildOutputSymbolTable(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
  /** Names ld lists as undefined when nothing defines them: the entry, -u and EXTERN symbols. */
  requiredNames: Set<string>,
  /** Start of the TLS segment: ld gives STT_TLS symbols their offset in it, not an address. */
  tlsBase = 0n,
  /** Which objects' local symbols ld leaves out (see LocalDiscard). */
  discard: LocalDiscard = 'sec-merge',
  /** A shared object's undefined dynamic symbols (with their st_type): listed, weak ones too. */
  dynamicUndefined?: ReadonlyMap<string, number>,
  /** --emit-relocs: the output sections in header order, the symbols relocations name, and where they go. */
  emit?: {
    sections: OutputSection[];
    references: EmittedReferences;
    indices: EmittedSymbolIndices;
    /** Undefined symbols ld makes local (a -pie's undefined weak ones it resolves itself). */
    localUndefined?: (symbol: GlobalSymbol) => boolean;
  },
): SymbolTableBuilder {
  let expected = symbols.size;
  for (const file of files) expected += file.elf.symbols.length;
  const table = new SymbolTableBuilder(expected + (emit?.sections.length ?? 0));
  // --emit-relocs: a section symbol per output section first, which the relocations use.
  if (emit)
    for (const s of emit.sections)
      emit.indices.sections.set(
        s,
        table.add({
          name: '',
          value: s.address,
          size: 0n,
          bind: STB_LOCAL,
          type: STT_SECTION,
          visibility: 0,
          shndx: s.headerIndex,
        }) + 1,
      );
  const placed = inputReadOrder(files).map((file) => ({ file }));
  for (const { file } of placed) {
    const indices = new Map<number, number>();
    if (discard !== 'all') addFileLocals(table, file, tlsBase, discard, indices);
    if (!emit) continue;
    emit.indices.locals.set(file, indices);
    // ld outputs a local it had left out (an assembler temporary in a merged section, or under -x/-X) once a
    // relocation it emits names it, after the file's other locals.
    for (const i of emit.references.locals.get(file) ?? [])
      if (!indices.has(i)) indices.set(i, addLocal(table, file, i, tlsBase) + 1);
  }
  // Globals made local (hidden) come after every object's locals, then the globals, each in symbol-table order.
  let hiddenFileSlot = -1;
  const globals: GlobalSymbol[] = [];
  // ld writes its global symbols (and the ones it made local) as it walks its hash table.
  const inserted = [...symbols.values()];
  const walk = bfdTraversalIndices([...symbols.keys()]);
  for (let k = 0; k < walk.length; k++) {
    const symbol = inserted[walk[k]!]!;
    // An object's hidden definition stays global (with its visibility) in ld's static .symtab; the linker's and
    // the script's hidden symbols become local.
    const isHidden =
      symbol.hidden ||
      (symbol.definition === undefined &&
        (symbol.visibility === STV_HIDDEN || symbol.visibility === STV_INTERNAL));
    const linkerType = LINKER_LOCALS.get(symbol.name);
    const isLinkerGot =
      (linkerType !== undefined && symbol.scriptDefined && !symbol.definition) || symbol.forcedLocal === true;
    const v = isHidden || isLinkerGot ? globalValue(symbol) : undefined;
    // A -pie without a dynamic linker resolves an undefined weak symbol to 0 itself, hiding it: ld lists it with
    // the linker's locals once an emitted relocation names it.
    if (!v && emit?.references.globals.has(symbol) && emit.localUndefined?.(symbol)) {
      if (hiddenFileSlot < 0 && discard !== 'all')
        hiddenFileSlot = table.addSplit('', STB_LOCAL, STT_FILE, 0, SHN_ABS, 0, 0, 0n);
      const at = table.addSplit(symbol.name, STB_LOCAL, STT_NOTYPE, STV_DEFAULT, SHN_UNDEF, 0, 0, 0n);
      emit.indices.globals.set(symbol, at + 1);
      continue;
    }
    if (!v) {
      globals.push(symbol);
      continue;
    }
    // ld separates linker-made locals from the last object's with an unnamed FILE symbol.
    if (hiddenFileSlot < 0 && discard !== 'all')
      hiddenFileSlot = table.addSplit('', STB_LOCAL, STT_FILE, 0, SHN_ABS, 0, 0, 0n);
    if (isLinkerGot) {
      // ld's own definition, or a hidden one it forced local: a local symbol of default visibility.
      const at = table.add({
        name: symbol.name,
        value: (linkerType ?? symbol.definition?.type) === STT_TLS ? v.value - tlsBase : v.value,
        size: symbol.definition?.size ?? 0n,
        bind: STB_LOCAL,
        type: linkerType ?? symbol.definition?.type ?? STT_NOTYPE,
        visibility: STV_DEFAULT,
        shndx: v.shndx,
      });
      emit?.indices.globals.set(symbol, at + 1);
      continue;
    }
    const d = symbol.definition;
    const at = table.add({
      name: symbol.name,
      value: d?.type === STT_TLS ? v.value - tlsBase : v.value,
      size: d?.size ?? 0n,
      bind: STB_LOCAL,
      type: d?.type ?? symbol.scriptType ?? STT_NOTYPE,
      // bfd's elf_link_output_extsym turns the visibility off on a symbol it made local.
      visibility: STV_DEFAULT,
      shndx: v.shndx,
    });
    emit?.indices.globals.set(symbol, at + 1);
  }
  for (const symbol of globals) {
    const v = globalValue(symbol);
    const dynamicType = dynamicUndefined?.get(symbol.name);
    if (!v && dynamicType !== undefined) {
      const bind = symbol.weak ? STB_WEAK : STB_GLOBAL;
      const at = table.addSplit(symbol.name, bind, dynamicType, symbol.visibility, SHN_UNDEF, 0, 0, 0n);
      emit?.indices.globals.set(symbol, at + 1);
      continue;
    }
    // ld lists an undefined symbol an emitted relocation names (an undefined weak one too).
    if (!v && emit?.references.globals.has(symbol)) {
      const bind = symbol.weak ? STB_WEAK : STB_GLOBAL;
      const at = table.addSplit(symbol.name, bind, STT_NOTYPE, symbol.visibility, SHN_UNDEF, 0, 0, 0n);
      emit.indices.globals.set(symbol, at + 1);
      continue;
    }
    if (!v) {
      // Like ld in a static link: undefined weak symbols, an unused _GLOBAL_OFFSET_TABLE_ and symbols only
      // collected sections defined or referenced are left out; an undefined entry or -u symbol is listed.
      if (
        !symbol.scriptDefined &&
        !symbol.weak &&
        !symbol.definition &&
        requiredNames.has(symbol.name) &&
        symbol.name !== '_GLOBAL_OFFSET_TABLE_'
      ) {
        const at = table.addSplit(
          symbol.name,
          STB_GLOBAL,
          STT_NOTYPE,
          symbol.visibility,
          SHN_UNDEF,
          0,
          0,
          0n,
        );
        emit?.indices.globals.set(symbol, at + 1);
      }
      continue;
    }
    const d = symbol.definition;
    const at = table.add({
      name: symbol.name,
      value: d?.type === STT_TLS ? v.value - tlsBase : v.value,
      size: d?.size ?? 0n,
      bind: isGnuUnique(symbol) ? STB_GNU_UNIQUE : symbol.weak ? STB_WEAK : STB_GLOBAL,
      type: d?.type ?? symbol.scriptType ?? STT_NOTYPE,
      visibility: symbol.visibility || STV_DEFAULT,
      shndx: v.shndx,
    });
    emit?.indices.globals.set(symbol, at + 1);
  }
  return table;
}

/**
 * The input files in the order ld's elf_link_input_bfd first meets them (walking the output sections in order,
 * each in input order), leaving out those none of whose sections reached the output: the order of their local
 * symbols in `.symtab` and of their emitted relocations.
 */
export function inputReadOrder(files: InputFile[]): InputFile[] {
  const firstPlace = (file: InputFile): number[] | undefined => {
    let best: number[] | undefined;
    for (const s of file.sections) {
      if (!s?.live || !s.output) continue;
      const place = [s.output.headerIndex, Number(s.outputOffset)];
      if (!best || place[0]! < best[0]! || (place[0] === best[0] && place[1]! < best[1]!)) best = place;
    }
    return best;
  };
  return files
    .map((file, order) => ({ file, order, place: firstPlace(file) }))
    .filter((f): f is { file: InputFile; order: number; place: number[] } => f.place !== undefined)
    .sort((a, b) => a.place[0]! - b.place[0]! || a.place[1]! - b.place[1]! || a.order - b.order)
    .map((f) => f.file);
}

/** A local symbol ld outputs for a relocation that names it (what addFileLocals' general path writes). */
function addLocal(table: SymbolTableBuilder, file: InputFile, index: number, tlsBase: bigint): number {
  const s = file.elf.symbols[index]!;
  const section = s.shndx === SHN_ABS ? undefined : file.sections[s.shndx];
  return table.add({
    name: s.name,
    value: section ? definitionAddress(section, s.value) - (s.type === STT_TLS ? tlsBase : 0n) : s.value,
    size: s.size,
    bind: STB_LOCAL,
    type: s.type,
    visibility: s.visibility,
    shndx: section ? sectionIndexOf(section) : SHN_ABS,
  });
}

/**
 * One object's FILE symbol and local symbols (minus section symbols and symbols in merged sections). The FILE symbol's slot is taken before the first local; ld names the object itself when it has
 * locals but no STT_FILE symbol.
 */
function addFileLocals(
  table: SymbolTableBuilder,
  file: InputFile,
  tlsBase: bigint,
  discard: LocalDiscard,
  /** Filled with the output index of each local written (by input index). */
  indices: Map<number, number>,
): void {
  let fileSlot = -1;
  let fileName: string | undefined;
  const elfSymbols = file.elf.symbols;
  // Per section index: the output address of the section's start as 32-bit halves, NaN until needed.
  let baseLow: Float64Array | undefined;
  let baseHigh: Float64Array | undefined;
  for (let i = 1; i < elfSymbols.length; i++) {
    const s = elfSymbols[i]!;
    if (s.bind !== STB_LOCAL) continue;
    if (s.type === STT_FILE) {
      if (fileName === undefined) {
        fileName = s.name;
        if (fileSlot < 0) fileSlot = table.addSplit('', STB_LOCAL, STT_FILE, 0, SHN_ABS, 0, 0, 0n);
      } else {
        // An `ld -r` output holds one FILE symbol per object it was made of: ld copies each one where it is.
        indices.set(
          i,
          table.add({
            name: s.name,
            value: 0n,
            size: 0n,
            bind: STB_LOCAL,
            type: STT_FILE,
            visibility: 0,
            shndx: SHN_ABS,
          }) + 1,
        );
      }
      continue;
    }
    // ld keeps `.L` temporaries an assembler left in (gas -L, i386 GOTOFF jump tables) unless they are in a
    // merged section (its default discard mode, sec-merge), or -X/-x asks for less.
    if (s.type === STT_SECTION || s.name === '') continue;
    if (s.shndx === SHN_UNDEF) continue;
    if (discard === 'locals' && isLocalLabelName(s.name)) continue;
    if (s.shndx === SHN_ABS) {
      if (fileSlot < 0) fileSlot = table.addSplit('', STB_LOCAL, STT_FILE, 0, SHN_ABS, 0, 0, 0n);
      indices.set(
        i,
        table.add({
          name: s.name,
          value: s.value,
          size: s.size,
          bind: STB_LOCAL,
          type: s.type,
          visibility: s.visibility,
          shndx: SHN_ABS,
        }) + 1,
      );
      continue;
    }
    const section = file.sections[s.shndx];
    if (!section || (!section.live && !section.merged)) continue;
    if (discard === 'sec-merge' && section.flags & SHF_MERGE && isLocalLabelName(s.name)) continue;
    if (fileSlot < 0) fileSlot = table.addSplit('', STB_LOCAL, STT_FILE, 0, SHN_ABS, 0, 0, 0n);
    const output = section.output;
    if (section.merged || !output || s.value > 0xffffffffn || s.type === STT_TLS) {
      indices.set(
        i,
        table.add({
          name: s.name,
          value: definitionAddress(section, s.value) - (s.type === STT_TLS ? tlsBase : 0n),
          size: s.size,
          bind: STB_LOCAL,
          type: s.type,
          visibility: s.visibility,
          shndx: sectionIndexOf(section),
        }) + 1,
      );
      continue;
    }
    if (!baseLow || !baseHigh) {
      baseLow = new Float64Array(file.sections.length).fill(NaN);
      baseHigh = new Float64Array(file.sections.length);
    }
    if (Number.isNaN(baseLow[s.shndx]!)) {
      const base = BigInt.asUintN(64, output.address + section.outputOffset);
      baseLow[s.shndx] = Number(base & 0xffffffffn);
      baseHigh[s.shndx] = Number(base >> 32n);
    }
    // The address wraps at 2^64, as definitionAddress's does.
    let low = baseLow[s.shndx]! + Number(s.value);
    let high = baseHigh[s.shndx]!;
    if (low >= 0x100000000) {
      low -= 0x100000000;
      high = (high + 1) % 0x100000000;
    }
    indices.set(
      i,
      table.addSplit(s.name, STB_LOCAL, s.type, s.visibility, output.headerIndex, low, high, s.size) + 1,
    );
  }
  if (fileSlot >= 0)
    table.set(fileSlot, {
      name: fileName ?? basename(file.archive ? file.matchName : file.name),
      value: 0n,
      size: 0n,
      bind: STB_LOCAL,
      type: STT_FILE,
      visibility: 0,
      shndx: SHN_ABS,
    });
}

/** STB_GNU_UNIQUE: g++'s binding for an inline function's static and a template's static member. */
const STB_GNU_UNIQUE = 10;

/** A symbol whose definition is STB_GNU_UNIQUE: ld keeps the binding (and marks the output ELFOSABI_GNU). */
export function isGnuUnique(symbol: GlobalSymbol): boolean {
  const d = symbol.definition;
  return !symbol.weak && d?.file !== undefined && d.file.elf.symbols[d.symbolIndex]?.bind === STB_GNU_UNIQUE;
}

/**
 * ld's --discard-* modes for objects' local symbols: `none` keeps them all, `sec-merge` (the default) drops
 * assembler temporaries in merged sections, `locals` (-X) every assembler temporary, `all` (-x) every local.
 */
export type LocalDiscard = 'none' | 'sec-merge' | 'locals' | 'all';

/** bfd's _bfd_elf_is_local_label_name: `.L*`, `..*`, `_.L_*` and gas's fake `L<digit>^A...` symbols. */
export function isLocalLabelName(name: string): boolean {
  if (name.startsWith('.L') || name.startsWith('..') || name.startsWith('_.L_')) return true;
  return name[0] === 'L' && /[0-9]/.test(name[1] ?? '') && name.charCodeAt(2) === 1;
}

export function outputSectionFor(value: SymbolValue, sections: OutputSection[]): OutputSection | undefined {
  return sections.find((s) => s.headerIndex === value.shndx);
}

/** bfd's string hash (bfd_hash_hash, 64-bit unsigned long), which orders the traversal of ld's symbol table. */
export function bfdHash(name: string): bigint {
  const mask = (1n << 64n) - 1n;
  let hash = 0n;
  for (let i = 0; i < name.length; i++) {
    const c = BigInt(name.charCodeAt(i) & 0xff);
    hash = (hash + c + (c << 17n)) & mask;
    hash ^= hash >> 2n;
  }
  const len = BigInt(name.length);
  hash = (hash + len + (len << 17n)) & mask;
  hash ^= hash >> 2n;
  return hash;
}

/** bfd's default hash table size (4051 buckets; ld grows it only for very large links). */
export const BFD_HASH_SIZE = 4051n;
