/**
 * `--emit-relocs` / `-q`: a linked executable that keeps its inputs' relocations, as GNU ld writes them
 * (elf_link_input_bfd with emit_relocs). Each output section that received relocations gets a `.rela<name>`
 * section right after it in the section header table (its contents after `.strtab` in the file), whose entries:
 *   - are sorted by address, those at the same address in the order ld reads them: input file by input file
 *     (in the order ld first meets the files), each file's sections in their order in the object, each
 *     section's relocations in its own order;
 *   - have their r_offset turned into the final virtual address (0-based in non-allocated sections); one in an
 *     `.eh_frame` record ld dropped becomes R_X86_64_NONE at the previous relocation's place;
 *   - refer to the output `.symtab`: a section symbol becomes the output section's, its addend moving by the
 *     input section's offset there (or, in a merged section, to the kept piece's place), other symbols keep
 *     their own (ld outputs the locals it would have left out, such as `.LC0`, for them);
 *   - against a symbol in a discarded section (COMDAT, /DISCARD/, --gc-sections) are R_X86_64_NONE with symbol
 *     and addend 0;
 *   - for a GOT load ld converted, are the relocation of the rewritten instruction (x86-64.ts).
 */
import { SHN_ABS, SHN_UNDEF, STB_LOCAL, STT_SECTION } from '../elf/constants.js';
import type { RelaTable } from '../elf/reader.js';
import { mergedLocation } from './layout.js';
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';
import type { ConvertedRelocation } from './x86-64.js';

/** The symbols the emitted relocations name, which `.symtab` must therefore list. */
export interface EmittedReferences {
  /** Per file: local symbols other than section symbols, by input index, in first-use order. */
  locals: Map<InputFile, number[]>;
  globals: Set<GlobalSymbol>;
}

/** Where the symbols the relocations name went in the output `.symtab` (filled by buildOutputSymbolTable). */
export interface EmittedSymbolIndices {
  sections: Map<OutputSection, number>;
  locals: Map<InputFile, Map<number, number>>;
  globals: Map<GlobalSymbol, number>;
}

/** What one input relocation names in the output. */
type RelocationTarget =
  | { kind: 'none' }
  | { kind: 'discarded' }
  | { kind: 'section'; section: OutputSection; addend: bigint }
  | { kind: 'local'; index: number }
  | { kind: 'global'; symbol: GlobalSymbol };

/** The relocations an input section brings, as in the object (before `.eh_frame` editing). */
function inputRelocations(section: InputSection): RelaTable {
  return section.edited?.relocations ?? section.relocations;
}

/** The output sections that get a `.rela` section: those with a kept input section that has relocations. */
export function sectionsWithRelocations(outputs: OutputSection[]): Set<OutputSection> {
  const found = new Set<OutputSection>();
  for (const output of outputs)
    if (output.inputs.some((s) => s.live && s.index >= 0 && inputRelocations(s).length > 0))
      found.add(output);
  return found;
}

function targetOf(file: InputFile, symbolIndex: number, addend: bigint): RelocationTarget {
  if (symbolIndex === 0) return { kind: 'none' };
  const s = file.elf.symbols[symbolIndex]!;
  if (s.bind !== STB_LOCAL) {
    const symbol = file.globals[symbolIndex]!;
    const section = symbol.definition?.section;
    if (section && !section.live && !section.merged) return { kind: 'discarded' };
    return { kind: 'global', symbol };
  }
  if (s.shndx === SHN_UNDEF) return { kind: 'none' };
  if (s.shndx === SHN_ABS)
    return s.type === STT_SECTION ? { kind: 'none' } : { kind: 'local', index: symbolIndex };
  const section = file.sections[s.shndx];
  if (!section || (!section.merged && (!section.live || !section.output))) return { kind: 'discarded' };
  if (s.type !== STT_SECTION) return { kind: 'local', index: symbolIndex };
  if (section.merged) {
    const piece = mergedLocation(section, Number(s.value + addend));
    if (!piece.section.output) return { kind: 'discarded' };
    return {
      kind: 'section',
      section: piece.section.output,
      addend: piece.section.outputOffset + BigInt(piece.offset),
    };
  }
  return { kind: 'section', section: section.output!, addend: addend + section.outputOffset };
}

/** Each file's kept input sections with relocations, in the object's section order. */
function sectionsOf(file: InputFile): InputSection[] {
  return file.sections.filter(
    (s): s is InputSection =>
      s !== undefined && s.live && s.index >= 0 && !!s.output && inputRelocations(s).length > 0,
  );
}

/** The symbols the kept relocations name (`files` in the order ld reads them). */
export function emittedReferences(files: InputFile[]): EmittedReferences {
  const references: EmittedReferences = { locals: new Map(), globals: new Set() };
  for (const file of files) {
    const locals = new Set<number>();
    for (const section of sectionsOf(file)) {
      const table = inputRelocations(section);
      for (let i = 0; i < table.length; i++) {
        if (section.edited && section.edited.place(table.offset(i)) === undefined) continue;
        const target = targetOf(file, table.symbol(i), table.addend(i));
        if (target.kind === 'local') locals.add(target.index);
        else if (target.kind === 'global') references.globals.add(target.symbol);
      }
    }
    if (locals.size > 0) references.locals.set(file, [...locals]);
  }
  return references;
}

/**
 * The contents of every `.rela` section, keyed by the output section they belong to. `conversions` holds the
 * relocations ld rewrote with the GOT loads it converted (from the Relocator).
 */
export function emitRelocations(
  files: InputFile[],
  outputs: Set<OutputSection>,
  indices: EmittedSymbolIndices,
  conversions: Map<InputSection, Map<number, ConvertedRelocation>>,
): Map<OutputSection, Uint8Array> {
  const entries = new Map<OutputSection, Array<{ offset: bigint; info: bigint; addend: bigint }>>();
  for (const output of outputs) entries.set(output, []);
  for (const file of files)
    for (const section of sectionsOf(file)) {
      const list = entries.get(section.output!);
      if (!list) continue;
      const table = inputRelocations(section);
      const converted = section.edited ? undefined : conversions.get(section);
      const base = section.output!.address + section.outputOffset;
      // ld's last_offset: where a relocation of a dropped `.eh_frame` record goes (relocations stay ordered).
      let last = base;
      for (let i = 0; i < table.length; i++) {
        const inputOffset = table.offset(i);
        const placed = section.edited ? section.edited.place(inputOffset) : inputOffset;
        if (placed === undefined) {
          list.push({ offset: last, info: 0n, addend: 0n });
          continue;
        }
        const conversion = converted?.get(i);
        const offset = base + BigInt(placed + (conversion?.offsetDelta ?? 0));
        last = offset;
        const type = BigInt(conversion?.type ?? table.type(i));
        let addend = table.addend(i) + (conversion?.addendDelta ?? 0n);
        const target = targetOf(file, table.symbol(i), addend);
        let symbol = 0;
        switch (target.kind) {
          case 'discarded':
            list.push({ offset, info: 0n, addend: 0n });
            continue;
          case 'section':
            symbol = indices.sections.get(target.section) ?? 0;
            addend = target.addend;
            break;
          case 'local':
            symbol = indices.locals.get(file)?.get(target.index) ?? 0;
            break;
          case 'global':
            symbol = indices.globals.get(target.symbol) ?? 0;
            break;
        }
        list.push({ offset, info: (BigInt(symbol) << 32n) | type, addend });
      }
    }
  const contents = new Map<OutputSection, Uint8Array>();
  for (const [output, list] of entries) {
    // elf_link_adjust_relocs sorts each section's relocations by address, keeping the order of equal ones.
    list.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    const bytes = new Uint8Array(list.length * 24);
    const view = new DataView(bytes.buffer);
    list.forEach((e, i) => {
      view.setBigUint64(i * 24, BigInt.asUintN(64, e.offset), true);
      view.setBigUint64(i * 24 + 8, e.info, true);
      view.setBigInt64(i * 24 + 16, BigInt.asIntN(64, e.addend), true);
    });
    contents.set(output, bytes);
  }
  return contents;
}
