/**
 * `-r` / `--relocatable`: input objects merged into one ET_REL object, as GNU ld -r makes it. The same passes as a
 * final link up to layout (inputs, mapping, gc, layout with every section at 0), then instead of applying
 * relocations they are rewritten against the output: offsets move by the input section's place in its output
 * section, section-symbol references move their addend the same way, and symbols get their output indices.
 *
 * What ld -r does and so this does too: strings and `.eh_frame` are not merged, COMMON symbols stay common, an
 * output section with only empty inputs is kept, orphans go to address 0, COMDAT groups stay groups (the first
 * copy of a signature wins, its `.group` sections come first), and `.note.GNU-stack` is kept when an input had
 * one (marked executable when some input lacks it or asks for it).
 */
import {
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_GROUP,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  ELF32_EHDR_SIZE,
  ELF64_EHDR_SIZE,
  ET_REL,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_NOTYPE,
  STT_SECTION,
  STT_FILE,
} from '../elf/constants.js';
import { writeElfExecutable, SymbolTableBuilder, type ElfImageSection } from '../elf/writer.js';
import { UserError } from '../errors.js';
import { optimizeEhFrames } from './eh-frame.js';
import { collectGarbage } from './gc.js';
import { loadInputs } from './inputs.js';
import { Layout } from './layout.js';
import { writeMap } from './map.js';
import { mapInputSections } from './mapping.js';
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';
import { isDebugging, newInputSection } from './model.js';
import { copyContents } from './relocate.js';
import type { Assignment, LinkerScript } from './script/ast.js';
import { BFD_HASH_SIZE, bfdHash } from './symtab.js';
import { X86_64, type Target } from './target.js';
import type { LinkInputFile, LinkOptions, LinkResult } from './types.js';

const SHF_INFO_LINK = 0x40;
const SHF_GROUP = 0x200;
const SHF_EXECINSTR = 0x4;

/**
 * The relocation sections -r writes: x86-64 keeps addends in SHT_RELA entries (24 bytes); i386 writes SHT_REL
 * (8 bytes, `.rel` names) and keeps each addend in the relocated field, which -r therefore rewrites in place.
 */
interface RelocationFormat {
  type: number;
  prefix: '.rela' | '.rel';
  entrySize: number;
  align: number;
}

function relocationFormat(target: Target): RelocationFormat {
  return target.implicitAddend
    ? { type: SHT_REL, prefix: '.rel', entrySize: 8, align: 4 }
    : { type: SHT_RELA, prefix: '.rela', entrySize: 24, align: 8 };
}

export interface RelocatableLink {
  options: LinkOptions;
  script: LinkerScript;
  inputs: LinkInputFile[];
  defsyms: Assignment[];
  /** Names the script reads (PROVIDE defines them, gc keeps what they point at). */
  scriptReferences: Set<string>;
  target?: Target;
}

/** The output's sections in header order, with what each one is made of. */
interface HeaderSection {
  name: string;
  type: number;
  flags: number;
  align: number;
  entsize: number;
  size: bigint;
  address: bigint;
  /** The output section it is, or the one its relocations (or group) belong to. */
  output?: OutputSection;
  kind: 'section' | 'rela' | 'group';
  group?: { file: InputFile; members: number[]; flags: number; signatureSymbol: number };
  data?: Uint8Array;
}

export function linkRelocatable(link: RelocatableLink): LinkResult {
  const { options, script } = link;
  const target = link.target ?? X86_64;
  const format = relocationFormat(target);
  refuseConflicts(options, target);
  const undefinedSymbols = options.undefinedSymbols ?? [];
  const roots = [...(options.entry !== undefined ? [options.entry] : []), ...undefinedSymbols];
  if (options.gcSections && roots.length === 0)
    throw new UserError(
      '-r with --gc-sections: nothing is a root in a relocatable link; name the symbols to keep with -e or -u',
    );
  const { files, symbols } = loadRelocatableInputs(link, [...roots, ...script.externs], target);
  const mapping = mapInputSections(script, files, options.orphanHandling === 'discard');
  const gc = options.gcSections
    ? collectGarbage(
        files,
        symbols,
        { symbols: [...roots, ...script.externs, ...link.scriptReferences] },
        mapping.discarded,
      )
    : { removed: [], report: [] };
  for (const item of mapping.items) if (item.kind === 'section') optimizeEhFrames([item.section], false);
  // ld -r keeps an output section that got input sections, even empty ones.
  for (const item of mapping.items)
    if (
      item.kind === 'section' &&
      item.section.contents.some((c) => c.kind === 'inputs' && c.sections.some((s) => s.live))
    )
      item.section.keepEmpty = true;
  const layout = new Layout(
    script,
    mapping,
    symbols,
    {
      maxPageSize: BigInt(options.maxPageSize ?? 0x1000),
      commonPageSize: BigInt(options.commonPageSize ?? 0x1000),
      sizeOfHeaders: BigInt(target.headers.ehdr),
      relro: false,
      orphanAddress: 0n,
    },
    link.scriptReferences,
  );
  const outputs = layout.run(link.defsyms).sections;
  for (const output of outputs) if (output.inputs.some((s) => s.flags & SHF_GROUP)) output.flags |= SHF_GROUP;

  const headers = headerOrder(files, outputs, format);
  headers.forEach((h, i) => {
    if (h.kind === 'section') h.output!.headerIndex = i + 1;
  });
  const symtabIndex = headers.length + 1;
  const table = buildSymbols(files, symbols, headers);
  const contents = copyContents(outputs, target.fillCode);
  const sections: ElfImageSection[] = headers.map((h) => {
    if (h.kind === 'rela') {
      const data = relocationsOf(h.output!, table, target, format, contents.get(h.output!));
      return image(h, { size: BigInt(data.length), link: symtabIndex, info: h.output!.headerIndex, data });
    }
    if (h.kind === 'group') {
      const data = groupContents(h.group!, headers);
      return image(h, {
        size: BigInt(data.length),
        link: symtabIndex,
        info: table.groupSignature(h.group!),
        data,
      });
    }
    return image(h, { size: h.size, link: 0, info: 0, data: contents.get(h.output!) });
  });
  const { symtab, strtab, firstGlobal } = table.builder.finish(target.elfClass);
  sections.push(
    {
      name: '.symtab',
      type: SHT_SYMTAB,
      flags: 0,
      addr: 0n,
      size: BigInt(symtab.length),
      link: symtabIndex + 1,
      info: firstGlobal,
      align: target.wordSize,
      entsize: target.symbolSize,
      data: symtab,
    },
    {
      name: '.strtab',
      type: SHT_STRTAB,
      flags: 0,
      addr: 0n,
      size: BigInt(strtab.length),
      link: 0,
      info: 0,
      align: 1,
      entsize: 0,
      data: strtab,
    },
  );
  placeLikeBfd(sections, target.wordSize === 8 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE);
  // bfd numbers `.group` sections first, but names sections in its output list, where a group is a non-alloc
  // orphan placed after `.comment`.
  const groupNames = sections.filter((s) => s.type === SHT_GROUP).map((s) => s.name);
  const otherNames = sections.filter((s) => s.type !== SHT_GROUP).map((s) => s.name);
  const comment = otherNames.indexOf('.comment');
  const at = comment >= 0 ? comment + 1 : otherNames.length - 2;
  const nameOrder = [...otherNames.slice(0, at), ...groupNames, ...otherNames.slice(at)];
  const output = writeElfExecutable({
    type: ET_REL,
    elfClass: target.elfClass,
    machine: target.machine,
    entry: 0n,
    sections,
    segments: [],
    contentEnd: target.wordSize === 8 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE,
    nameOrder,
  });
  const map = options.map
    ? writeMap({
        files,
        script,
        userScript: options.script !== undefined,
        items: mapping.items,
        sections: outputs,
        discarded: mapping.discarded,
        removedByGc: gc.removed,
        symbols,
        trace: layout.trace,
        inputs: options.inputs.map((i) => i.name),
        inputsFirst: options.mapInputsFirst ?? false,
        outputName: options.mapOutputName,
        format: target.format,
        width: target.wordSize * 2,
      })
    : undefined;
  return { output, map, warnings: [], info: options.printGcSections ? gc.report : [] };
}

/**
 * bfd's file layout of a relocatable object: section contents in header order, then `.symtab` and `.strtab`, then
 * the relocation sections (bfd writes them last), then `.shstrtab` (placed by the writer).
 */
function placeLikeBfd(sections: ElfImageSection[], start: number): void {
  const isRelocations = (s: ElfImageSection) => s.type === SHT_REL || s.type === SHT_RELA;
  let offset = start;
  for (const s of [...sections.filter((s) => !isRelocations(s)), ...sections.filter(isRelocations)]) {
    // NOBITS takes no file space, but bfd still aligns the file position to it.
    offset = Math.ceil(offset / Math.max(1, s.align)) * Math.max(1, s.align);
    s.offset = offset;
    if (s.type !== SHT_NOBITS) offset += Number(s.size);
  }
}

function refuseConflicts(options: LinkOptions, target: Target): void {
  const conflicts: Array<[boolean | undefined, string]> = [
    [options.pie, '-pie'],
    [options.stripAll, '-s'],
    [options.exportDynamic, '--export-dynamic'],
    [options.ehFrameHdr, '--eh-frame-hdr'],
    [options.buildId !== undefined && options.buildId !== 'none', '--build-id'],
    [options.oformat !== undefined && options.oformat !== target.format, `--oformat ${options.oformat}`],
  ];
  for (const [given, flag] of conflicts)
    if (given)
      throw new UserError(
        `-r and ${flag} cannot be used together (a relocatable link writes an ELF object only)`,
      );
}

function loadRelocatableInputs(link: RelocatableLink, undefinedNames: string[], target: Target) {
  const loaded = loadInputs(link.inputs, undefinedNames, link.options.readFile, true, target);
  // The stack note is never an input section of a final link; ld -r writes one when some input had it (executable
  // when some input lacks it or asks for it), placed as an orphan from the first file that had one.
  const first = loaded.files.find((f) => f.elf.sections.some((s) => s.name === '.note.GNU-stack'));
  if (first)
    first.sections.push(
      newInputSection(first, '.note.GNU-stack', SHT_PROGBITS, loaded.stack === 'noexec' ? 0 : SHF_EXECINSTR),
    );
  return loaded;
}

function image(
  h: HeaderSection,
  fields: { size: bigint; link: number; info: number; data?: Uint8Array },
): ElfImageSection {
  return {
    name: h.name,
    type: h.type,
    flags: h.flags,
    addr: h.address,
    size: fields.size,
    link: fields.link,
    info: fields.info,
    align: h.align,
    entsize: h.entsize,
    data: fields.data,
  };
}

/**
 * ld -r's header order: the kept `.group` sections first (input order), then each output section followed by its
 * `.rela` section.
 */
function headerOrder(
  files: InputFile[],
  outputs: OutputSection[],
  format: RelocationFormat,
): HeaderSection[] {
  const headers: HeaderSection[] = [];
  for (const file of files)
    for (const group of file.elf.groups) {
      const kept = group.members.some((m) => file.sections[m]?.live && file.sections[m]?.output);
      if (!kept) continue;
      headers.push({
        name: file.elf.sections[group.section]!.name,
        type: SHT_GROUP,
        flags: 0,
        align: 4,
        entsize: 4,
        size: 0n,
        address: 0n,
        kind: 'group',
        group: {
          file,
          members: group.members,
          flags: group.flags,
          signatureSymbol: file.elf.sections[group.section]!.info,
        },
      });
    }
  for (const output of outputs) {
    headers.push({
      name: output.name,
      type: output.type,
      flags: output.flags,
      align: output.align,
      entsize: entsizeOf(output),
      size: output.size,
      address: output.address,
      output,
      kind: 'section',
    });
    if (output.inputs.some((s) => s.live && s.relocations.length > 0))
      headers.push({
        name: `${format.prefix}${output.name}`,
        type: format.type,
        flags: SHF_INFO_LINK | (output.flags & SHF_GROUP),
        align: format.align,
        entsize: format.entrySize,
        size: 0n,
        address: 0n,
        output,
        kind: 'rela',
      });
  }
  return headers;
}

function entsizeOf(output: OutputSection): number {
  const first = output.inputs[0];
  return first && output.inputs.every((i) => i.entsize === first.entsize) ? first.entsize : 0;
}

/** The output symbol table and where each input symbol went in it. */
interface OutputSymbols {
  builder: SymbolTableBuilder;
  /** Output index of each output section's STT_SECTION symbol. */
  sectionSymbols: Map<OutputSection, number>;
  /** Per input file: output index of each kept local symbol (by input index). */
  locals: Map<InputFile, Map<number, number>>;
  globals: Map<GlobalSymbol, number>;
  groupSignature(group: NonNullable<HeaderSection['group']>): number;
}

/**
 * ld -r's symbol table: a section symbol per output section, then each file's local symbols in input order
 * (every one, `.L` names too; a FILE symbol named after the object when it has none), then the globals in the
 * order ld walks its symbol hash table. Values are offsets in the output section (ET_REL has no addresses).
 */
function buildSymbols(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
  headers: HeaderSection[],
): OutputSymbols {
  const builder = new SymbolTableBuilder(symbols.size + headers.length);
  const sectionSymbols = new Map<OutputSection, number>();
  headers.forEach((h, i) => {
    if (h.kind === 'rela') return;
    const index = builder.addSplit('', STB_LOCAL, STT_SECTION, 0, i + 1, 0, 0, 0n) + 1;
    if (h.output && h.kind === 'section') sectionSymbols.set(h.output, index);
  });
  const locals = new Map<InputFile, Map<number, number>>();
  for (const file of files) {
    const indices = new Map<number, number>();
    locals.set(file, indices);
    let sawFile = false;
    const elfSymbols = file.elf.symbols;
    for (let i = 1; i < elfSymbols.length; i++) {
      const s = elfSymbols[i]!;
      if (s.bind !== STB_LOCAL || s.type === STT_SECTION) continue;
      if (s.type === STT_FILE) {
        sawFile = true;
        indices.set(
          i,
          builder.add({
            name: s.name,
            value: 0n,
            size: 0n,
            bind: STB_LOCAL,
            type: STT_FILE,
            visibility: 0,
            shndx: SHN_ABS,
          }) + 1,
        );
        continue;
      }
      let shndx = s.shndx;
      let value = s.value;
      if (shndx !== SHN_ABS && shndx !== SHN_UNDEF) {
        const section = file.sections[shndx];
        if (!section?.live || !section.output) continue;
        shndx = section.output.headerIndex;
        value += section.outputOffset;
      }
      if (!sawFile) {
        sawFile = true;
        const name = file.archive ? file.matchName : file.name.slice(file.name.lastIndexOf('/') + 1);
        builder.add({
          name,
          value: 0n,
          size: 0n,
          bind: STB_LOCAL,
          type: STT_FILE,
          visibility: 0,
          shndx: SHN_ABS,
        });
      }
      indices.set(
        i,
        builder.add({
          name: s.name,
          value,
          size: s.size,
          bind: STB_LOCAL,
          type: s.type,
          visibility: s.visibility,
          shndx,
        }) + 1,
      );
    }
  }
  const globals = new Map<GlobalSymbol, number>();
  for (const symbol of hashOrder(symbols)) {
    const entry = globalEntry(symbol);
    if (entry) globals.set(symbol, builder.add({ name: symbol.name, ...entry }) + 1);
  }
  const symbolIndex = (file: InputFile, index: number): number | undefined => {
    const global = file.globals[index];
    return global ? globals.get(global) : locals.get(file)?.get(index);
  };
  return {
    builder,
    sectionSymbols,
    locals,
    globals,
    groupSignature: (group) => symbolIndex(group.file, group.signatureSymbol) ?? 0,
  };
}

/** A global's output entry, or undefined when ld -r leaves it out (only defined in sections that were dropped). */
function globalEntry(symbol: GlobalSymbol) {
  const bind = symbol.weak ? STB_WEAK : STB_GLOBAL;
  const visibility = symbol.visibility;
  if (symbol.scriptDefined && symbol.address !== undefined) {
    const section = symbol.outputSection;
    return section && section.headerIndex > 0
      ? {
          value: symbol.address - section.address,
          size: 0n,
          bind,
          type: STT_NOTYPE,
          visibility,
          shndx: section.headerIndex,
        }
      : { value: symbol.address, size: 0n, bind, type: STT_NOTYPE, visibility, shndx: SHN_ABS };
  }
  const d = symbol.definition;
  if (d) {
    if (!d.section) return { value: d.value, size: d.size, bind, type: d.type, visibility, shndx: SHN_ABS };
    if (!d.section.live || !d.section.output) return undefined;
    return {
      value: d.value + d.section.outputOffset,
      size: d.size,
      bind,
      type: d.type,
      visibility,
      shndx: d.section.output.headerIndex,
    };
  }
  if (symbol.common) {
    const c = symbol.common;
    const type = c.file.elf.symbols[c.symbolIndex]!.type;
    return { value: c.align, size: c.size, bind: STB_GLOBAL, type, visibility, shndx: SHN_COMMON };
  }
  const type = STT_NOTYPE;
  return { value: 0n, size: 0n, bind, type, visibility, shndx: SHN_UNDEF };
}

/** ld's symbol hash table walk: bucket by bucket; in a bucket, the symbol created last comes first. */
function hashOrder(symbols: Map<string, GlobalSymbol>): GlobalSymbol[] {
  const keyed = [...symbols.values()].map((symbol, created) => ({
    symbol,
    bucket: bfdHash(symbol.name) % BFD_HASH_SIZE,
    created,
  }));
  keyed.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : b.created - a.created));
  return keyed.map((k) => k.symbol);
}

/**
 * One output section's relocations, rewritten for the output: r_offset moves with the input section, a section
 * symbol becomes the output section's (its addend moving the same way), other symbols take their output index.
 * Relocations against sections that were dropped (COMDAT copies that lost, /DISCARD/, gc) are dropped, as ld does.
 */
function relocationsOf(
  output: OutputSection,
  table: OutputSymbols,
  target: Target,
  format: RelocationFormat,
  /** The output section's bytes: an SHT_REL addend that moved is written back into its field, a dropped one cleared. */
  contents: Uint8Array | undefined,
): Uint8Array {
  const entries: Array<{ offset: bigint; symbol: number; type: number; addend: bigint }> = [];
  for (const input of output.inputs) {
    if (!input.live) continue;
    const relocations = input.relocations;
    const file = input.file;
    for (let i = 0; i < relocations.length; i++) {
      const type = relocations.type(i);
      const symbolIndex = relocations.symbol(i);
      let addend = relocations.addend(i);
      let symbolTarget = 0;
      const offset = input.outputOffset + BigInt(relocations.offset(i));
      // Against a section that was dropped (a losing COMDAT copy, /DISCARD/, gc): bfd removes the relocation in
      // a debugging section, elsewhere it keeps an R_*_NONE in its place and clears the field.
      const dropped = () => {
        if (isDebugging(input.name)) return;
        if (contents) writeField(contents, Number(offset), target.fieldSize(type), 0n);
        entries.push({ offset, symbol: 0, type: 0, addend: 0n });
      };
      if (symbolIndex !== 0) {
        const s = file.elf.symbols[symbolIndex]!;
        if (s.bind === STB_LOCAL && s.type === STT_SECTION) {
          const section = file.sections[s.shndx];
          if (!section?.live || !section.output) {
            dropped();
            continue;
          }
          symbolTarget = table.sectionSymbols.get(section.output) ?? 0;
          addend += section.outputOffset;
        } else if (s.bind === STB_LOCAL) {
          const index = table.locals.get(file)?.get(symbolIndex);
          if (index === undefined) {
            dropped();
            continue;
          }
          symbolTarget = index;
        } else {
          const global = file.globals[symbolIndex];
          const index = global ? table.globals.get(global) : undefined;
          if (index === undefined)
            throw new UserError(
              `${file.name}:(${input.name}+0x${relocations.offset(i).toString(16)}): relocation against ${s.name}, which is defined only in a section left out of the -r output`,
            );
          symbolTarget = index;
        }
      }
      if (format.type === SHT_REL && contents && addend !== relocations.addend(i))
        writeField(contents, Number(offset), target.fieldSize(type), addend);
      entries.push({ offset, symbol: symbolTarget, type, addend });
    }
  }
  const bytes = new Uint8Array(entries.length * format.entrySize);
  const view = new DataView(bytes.buffer);
  entries.forEach((e, i) => {
    const at = i * format.entrySize;
    if (format.type === SHT_REL) {
      view.setUint32(at, Number(e.offset), true);
      view.setUint32(at + 4, ((e.symbol << 8) | e.type) >>> 0, true);
      return;
    }
    view.setBigUint64(at, e.offset, true);
    view.setBigUint64(at + 8, (BigInt(e.symbol) << 32n) | BigInt(e.type), true);
    view.setBigInt64(at + 16, e.addend, true);
  });
  return bytes;
}

/** An implicit addend written back into its field (1, 2 or 4 bytes, two's complement). */
function writeField(bytes: Uint8Array, at: number, size: number, value: bigint): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const v = Number(BigInt.asUintN(32, value));
  if (size === 1) view.setUint8(at, v & 0xff);
  else if (size === 2) view.setUint16(at, v & 0xffff, true);
  else view.setUint32(at, v, true);
}

/** A `.group` section's words: its flags, then the output header index of each member (and its `.rela`). */
function groupContents(group: NonNullable<HeaderSection['group']>, headers: HeaderSection[]): Uint8Array {
  const words = [group.flags];
  const seen = new Set<OutputSection>();
  for (const member of group.members) {
    const section: InputSection | undefined = group.file.sections[member];
    const output = section?.live ? section.output : undefined;
    if (!output || seen.has(output)) continue;
    seen.add(output);
    headers.forEach((h, i) => {
      if (h.output === output && (h.kind === 'section' || h.kind === 'rela')) words.push(i + 1);
    });
  }
  return new Uint8Array(new Uint32Array(words).buffer);
}
