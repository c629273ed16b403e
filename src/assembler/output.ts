/**
 * Object writers: the laid-out sections, symbols and relocations become an ELF relocatable object (ELF64,
 * ELF32 with in-place REL addends, or x32: ELF32 with x86-64 RELA)
 * (symbol table ordered like nasm's: file, sections, locals in definition order, then globals) or a flat
 * binary (sections placed one after another from `org`, `.bss`-like sections not stored).
 */

import {
  ELF32_EHDR_SIZE,
  ELF32_REL_SIZE,
  ELF32_RELA_SIZE,
  ELF32_SHDR_SIZE,
  ELF32_SYM_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_SYSV,
  EM_386,
  EM_X86_64,
  ET_REL,
  EV_CURRENT,
  R_386,
  R_X86_64,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHF_STRINGS,
  SHF_TLS,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_FINI_ARRAY,
  SHT_INIT_ARRAY,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PREINIT_ARRAY,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_WEAK,
  STB_LOCAL,
  STT_FILE,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  STV_DEFAULT,
  STV_HIDDEN,
  STV_INTERNAL,
  STV_PROTECTED,
} from '../elf/constants.js';
import type { DebugContents, DebugSection, DebugSectionName } from './debug-info.js';
import { ABSOLUTE_SYMBOL, type SymbolRef } from './encoder/types.js';
import type { Relocation, Section, SymbolEntry } from './layout.js';

const ELF_SECTION_TYPES = {
  note: SHT_NOTE,
  preinit_array: SHT_PREINIT_ARRAY,
  init_array: SHT_INIT_ARRAY,
  fini_array: SHT_FINI_ARRAY,
} as const;

export interface OutputError {
  relocation?: Relocation;
  message: string;
  /** Reported as a warning rather than an error. */
  warning?: boolean;
}

/** Section contents as one buffer (nobits sections: empty). */
export function sectionBytes(section: Section): Uint8Array {
  if (section.nobits) return new Uint8Array(0);
  const out = new Uint8Array(section.size);
  out.set(section.buffer.subarray(0, Math.min(section.size, section.buffer.length)));
  return out;
}

class StringTable {
  private readonly parts: Uint8Array[] = [new Uint8Array(1)];
  private size = 1;
  private readonly index = new Map<string, number>();
  private readonly encoder = new TextEncoder();
  add(s: string): number {
    if (s === '') return 0;
    const known = this.index.get(s);
    if (known !== undefined) return known;
    const bytes = this.encoder.encode(s + '\0');
    const at = this.size;
    this.parts.push(bytes);
    this.size += bytes.length;
    this.index.set(s, at);
    return at;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export type ElfFormat = 'elf64' | 'elf32' | 'elfx32';

export interface ElfInput {
  format: ElfFormat;
  fileName: string;
  sections: Section[];
  symbols: Map<string, SymbolEntry>;
  refs: Map<SymbolRef, Section | SymbolEntry>;
  /** Evaluates a `global name:function SIZE` size expression after layout. */
  symbolSize: (sym: SymbolEntry) => bigint;
  /** Reports a relocation that cannot be written (the object is still produced; the caller drops it). */
  onError?: (relocation: Relocation, message: string) => void;
  /** `-g`: the debug sections and the object sizes nasm's debug typing gives local data labels. */
  debug?: ElfDebug;
  /**
   * The last non-local label of the source. nasm keeps it from one pass to the next, so in its final pass the
   * local labels before the first non-local one (`.a:` at the top of a file) are named after it.
   */
  lastLabel?: string;
  /** Prefixes and postfixes of the symbol names: `g` ones for global and extern symbols, `l` ones for the rest. */
  affixes?: Partial<Record<'gprefix' | 'gpostfix' | 'lprefix' | 'lpostfix', string>>;
}

export interface ElfDebug {
  sections: DebugSection[];
  objectSizes: ReadonlyMap<SymbolEntry, number>;
}

/** The debug sections that get a section symbol (nasm's three debug symbols), in symbol-table order. */
const DEBUG_SECTION_SYMBOLS: readonly DebugSectionName[] = ['.debug_info', '.debug_abbrev', '.debug_line'];

/** What differs between the three ELF flavours nasm writes. */
interface ElfClass {
  is64: boolean;
  machine: number;
  /** ELF32 i386 keeps addends in the section contents (REL); the others in the relocation (RELA). */
  rela: boolean;
  ehdrSize: number;
  shdrSize: number;
  symSize: number;
  relSize: number;
  /** Alignment of .symtab and the relocation sections. */
  tableAlign: number;
}

const ELF_CLASSES: Record<ElfFormat, ElfClass> = {
  elf64: {
    is64: true,
    machine: EM_X86_64,
    rela: true,
    ehdrSize: ELF64_EHDR_SIZE,
    shdrSize: ELF64_SHDR_SIZE,
    symSize: ELF64_SYM_SIZE,
    relSize: ELF64_RELA_SIZE,
    tableAlign: 8,
  },
  elf32: {
    is64: false,
    machine: EM_386,
    rela: false,
    ehdrSize: ELF32_EHDR_SIZE,
    shdrSize: ELF32_SHDR_SIZE,
    symSize: ELF32_SYM_SIZE,
    relSize: ELF32_REL_SIZE,
    tableAlign: 4,
  },
  elfx32: {
    is64: false,
    machine: EM_X86_64,
    rela: true,
    ehdrSize: ELF32_EHDR_SIZE,
    shdrSize: ELF32_SHDR_SIZE,
    symSize: ELF32_SYM_SIZE,
    relSize: ELF32_RELA_SIZE,
    tableAlign: 4,
  },
};

/** The x86-64 relocation type of a reference, or a message saying why nasm refuses it. */
function relocationTypeX86_64(r: Relocation): number | string {
  if (r.wrt === 'plt') return R_X86_64.PLT32;
  if (r.wrt === 'gotpcrel') return R_X86_64.GOTPCREL;
  if (r.wrt === 'got')
    return r.pcRelative ? R_X86_64.GOTPCREL : r.size === 8 ? R_X86_64.GOT64 : R_X86_64.GOT32;
  if (r.wrt === 'gottpoff' || r.wrt === 'tlsie') return R_X86_64.GOTTPOFF;
  // nasm: `[rel x wrt ..gotpc]` is a GOTPCREL load, an immediate a GOTPC32 whatever its size
  if (r.wrt === 'gotpc') return r.pcRelative ? R_X86_64.GOTPCREL : R_X86_64.GOTPC32;
  if (r.wrt === 'gotoff') {
    if (r.size !== 8 || r.pcRelative) return 'ELF64 requires ..gotoff references to be qword';
    return R_X86_64.GOTOFF64;
  }
  switch (r.size) {
    case 8:
      return r.pcRelative ? R_X86_64.PC64 : R_X86_64['64'];
    case 4:
      return r.pcRelative ? R_X86_64.PC32 : r.signed ? R_X86_64['32S'] : R_X86_64['32'];
    case 2:
      return r.pcRelative ? R_X86_64.PC16 : R_X86_64['16'];
    case 1:
      return r.pcRelative ? R_X86_64.PC8 : R_X86_64['8'];
  }
}

/** The i386 relocation type of a reference, or a message saying why it cannot be written. */
function relocationType386(r: Relocation): number | string {
  if (r.wrt && r.wrt !== 'sym') {
    const type = {
      plt: R_386.PLT32,
      got: R_386.GOT32,
      gotoff: R_386.GOTOFF,
      gotpc: R_386.GOTPC,
      tlsie: R_386.TLS_IE,
    }[r.wrt as 'plt'] as number | undefined;
    if (type === undefined) return `\`wrt ..${r.wrt}' is not supported in ELF32`;
    if (r.size !== 4) return `ELF32 supports only dword \`wrt ..${r.wrt}' references`;
    return type;
  }
  switch (r.size) {
    case 4:
      return r.pcRelative ? R_386.PC32 : R_386['32'];
    case 2:
      return r.pcRelative ? R_386.PC16 : R_386['16'];
    case 1:
      return r.pcRelative ? R_386.PC8 : R_386['8'];
    case 8:
      return r.pcRelative
        ? '64-bit signed relocation unsupported by output format elf32'
        : 'ELF32 cannot hold a 64-bit relocation';
  }
}

function writeLittleEndian(out: Uint8Array, at: number, size: number, value: bigint): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function writeElf(input: ElfInput): Uint8Array {
  const { sections } = input;
  const cls = ELF_CLASSES[input.format];
  const sectionIndex = new Map<Section, number>();
  sections.forEach((s, i) => sectionIndex.set(s, i + 1));
  // debug sections (and their relocation tables, where nasm puts them) follow the program's sections
  const debugSections = input.debug?.sections ?? [];
  const debugIndex = new Map<string, number>();
  debugSections.forEach((d, i) => {
    if ('name' in d) debugIndex.set(d.name, sections.length + 1 + i);
  });

  // ---- symbol table
  const strtab = new StringTable();
  interface Sym {
    name: number;
    info: number;
    other: number;
    shndx: number;
    value: bigint;
    size: bigint;
  }
  const syms: Sym[] = [{ name: 0, info: 0, other: 0, shndx: 0, value: 0n, size: 0n }];
  const symIndexByRef = new Map<SymbolRef, number>();
  syms.push({
    name: strtab.add(input.fileName),
    info: (STB_LOCAL << 4) | STT_FILE,
    other: 0,
    shndx: SHN_ABS,
    value: 0n,
    size: 0n,
  });
  for (const s of sections) {
    symIndexByRef.set(s.ref, syms.length);
    syms.push({
      name: 0,
      info: (STB_LOCAL << 4) | STT_SECTION,
      other: 0,
      shndx: sectionIndex.get(s)!,
      value: 0n,
      size: 0n,
    });
  }
  const debugSymbolIndex = new Map<DebugSectionName, number>();
  for (const name of DEBUG_SECTION_SYMBOLS)
    if (debugIndex.has(name)) {
      debugSymbolIndex.set(name, syms.length);
      syms.push({
        name: 0,
        // nasm types them as section symbols only when the program has a section of its own
        info: (STB_LOCAL << 4) | (sections.length > 0 ? STT_SECTION : STT_NOTYPE),
        other: 0,
        shndx: debugIndex.get(name)!,
        value: 0n,
        size: 0n,
      });
    }
  const lastLabel = input.lastLabel ?? '';
  const symbolName = (s: SymbolEntry): string =>
    lastLabel && s.name.charCodeAt(0) === 46 && s.name.charCodeAt(1) !== 46 ? lastLabel + s.name : s.name;
  const all = [...input.symbols.values()]
    .filter((s) => s.definedPass > 0 || s.kind === 'extern' || s.kind === 'common')
    .sort((a, b) => a.order - b.order);
  const isGlobal = (s: SymbolEntry): boolean =>
    s.global !== undefined || s.kind === 'extern' || s.kind === 'common';
  const affixes = input.affixes ?? {};
  const nameOf = (s: SymbolEntry): string =>
    isGlobal(s)
      ? (affixes.gprefix ?? '') + symbolName(s) + (affixes.gpostfix ?? '')
      : (affixes.lprefix ?? '') + symbolName(s) + (affixes.lpostfix ?? '');
  const emitted = (s: SymbolEntry): boolean => {
    if (s.kind === 'extern') return s.used === true;
    if (s.kind === 'declared') return false;
    if (s.kind === 'label' && s.section && !sectionIndex.has(s.section)) return false;
    return true;
  };
  const symbolEntry = (s: SymbolEntry, bind: number): Sym => {
    const decl = s.global;
    const type =
      decl?.type === 'function'
        ? STT_FUNC
        : decl?.type === 'data' || decl?.type === 'object'
          ? STT_OBJECT
          : STT_NOTYPE;
    const other = {
      default: STV_DEFAULT,
      hidden: STV_HIDDEN,
      protected: STV_PROTECTED,
      internal: STV_INTERNAL,
    }[decl?.visibility ?? 'default'];
    let shndx = SHN_ABS;
    let value = s.offset;
    let size = 0n;
    if (s.kind === 'extern') {
      shndx = SHN_UNDEF;
      value = 0n;
    } else if (s.kind === 'common') {
      shndx = SHN_COMMON;
      value = s.commonAlign ?? 0n;
      size = s.commonSize ?? 0n;
    } else if (s.kind === 'label' && s.section) {
      shndx = sectionIndex.get(s.section)!;
    } else if (s.kind === 'equ' && s.value?.symbol !== undefined) {
      const target = input.refs.get(s.value.symbol);
      if (target && 'buffer' in target) shndx = sectionIndex.get(target) ?? SHN_ABS;
      else shndx = SHN_UNDEF;
      value = s.value.offset;
    }
    if (decl?.size) size = input.symbolSize(s);
    let symbolType = type;
    const objectSize = bind === STB_LOCAL ? input.debug?.objectSizes.get(s) : undefined;
    if (objectSize !== undefined && shndx !== SHN_ABS && shndx !== SHN_UNDEF && shndx !== SHN_COMMON) {
      symbolType = STT_OBJECT;
      size = BigInt(objectSize);
    }
    return {
      name: strtab.add(nameOf(s)),
      info: ((bind === STB_GLOBAL && decl?.weak ? STB_WEAK : bind) << 4) | symbolType,
      other,
      shndx,
      value: BigInt.asUintN(64, value),
      size,
    };
  };
  // nasm's string table holds the names in definition order, locals and globals mixed
  for (const s of all) if (emitted(s)) strtab.add(nameOf(s));
  for (const s of all) {
    if (isGlobal(s) || !emitted(s)) continue;
    syms.push(symbolEntry(s, STB_LOCAL));
  }
  const firstGlobal = syms.length;
  /** `wrt ..sym` against a label: the global symbol at that place (`section:offset` -> symbol index). */
  const globalsIn = new Map<SymbolRef, Array<{ index: number; value: bigint }>>();
  /** Offsets that already have a global, per section (the first one defined there is the one used). */
  const globalOffsets = new Map<SymbolRef, Set<bigint>>();
  for (const s of all) {
    if (!isGlobal(s) || !emitted(s)) continue;
    if (s.ref !== undefined) symIndexByRef.set(s.ref, syms.length);
    if (s.kind === 'label' && s.section) {
      const list = globalsIn.get(s.section.ref) ?? [];
      let offsets = globalOffsets.get(s.section.ref);
      if (!offsets) globalOffsets.set(s.section.ref, (offsets = new Set()));
      if (!offsets.has(s.offset)) {
        offsets.add(s.offset);
        list.push({ index: syms.length, value: s.offset });
      }
      globalsIn.set(s.section.ref, list);
    }
    syms.push(symbolEntry(s, STB_GLOBAL));
  }
  /** The global at `at` in a section (`exact`), or else the last one before it, as nasm looks them up. */
  const globalAt = (
    section: SymbolRef,
    at: bigint,
    exact: boolean,
  ): { index: number; value: bigint } | undefined => {
    let best: { index: number; value: bigint } | undefined;
    for (const g of globalsIn.get(section) ?? [])
      if (g.value === at || (!exact && g.value < at && (!best || g.value > best.value))) {
        if (g.value === at) return g;
        best = g;
      }
    return best;
  };
  // nasm: these `wrt` references to a label relocate against a global symbol defined at exactly that place
  const againstGlobal: ReadonlySet<string> =
    cls.machine === EM_386
      ? new Set(['sym', 'got', 'tlsie'])
      : new Set(['sym', 'plt', 'got', 'gotpcrel', 'gottpoff', 'tlsie']);
  const target = (r: Relocation): { index: number; addend: bigint } => {
    const index = symIndexByRef.get(r.symbol) ?? 0;
    if (!r.wrt || !againstGlobal.has(r.wrt)) return { index, addend: r.addend };
    // nasm's ELF32 writes no addend for these against an extern (`dd e+4 wrt ..sym` stores 0)
    if (!('buffer' in (input.refs.get(r.symbol) ?? {}))) return { index, addend: cls.rela ? r.addend : 0n };
    const at = r.addend + BigInt(r.pcAdjust ?? 0);
    const global = globalAt(r.symbol, at, r.wrt !== 'sym');
    if (!global) {
      input.onError?.(r, 'unable to find a suitable global symbol for this reference');
      return { index, addend: r.addend };
    }
    return { index: global.index, addend: r.addend - global.value };
  };

  // ---- relocations: types decided per flavour; ELF32 keeps addends in the contents, absolute targets of
  // relative references (`jmp 0x100000`) have no symbol: nasm's ELF64 writes the distance with no relocation
  const contents = new Map<Section, Uint8Array>();
  for (const s of sections) contents.set(s, sectionBytes(s));
  interface OutRelocation {
    offset: number;
    index: number;
    type: number;
    addend: bigint;
  }
  const relocationsOf = (s: Section): OutRelocation[] => {
    const data = contents.get(s)!;
    const out: OutRelocation[] = [];
    for (const r of s.relocations) {
      const type = cls.machine === EM_386 ? relocationType386(r) : relocationTypeX86_64(r);
      if (typeof type === 'string') {
        input.onError?.(r, type);
        continue;
      }
      if (r.symbol === ABSOLUTE_SYMBOL && cls.machine !== EM_386) {
        if (!s.nobits) writeLittleEndian(data, r.offset, r.size, r.addend);
        continue;
      }
      let { index, addend } = target(r);
      // a GOTPC reference is measured from the GOT to the field: nasm adds the field's offset
      if (r.wrt === 'gotpc' && !r.pcRelative) addend += BigInt(r.offset);
      if (!cls.rela) {
        if (!s.nobits) writeLittleEndian(data, r.offset, r.size, addend);
        addend = 0n;
      }
      out.push({ offset: r.offset, index, type, addend });
    }
    return out;
  };

  // ---- section headers and contents
  const shstrtab = new StringTable();
  interface Header {
    name: number;
    type: number;
    flags: bigint;
    data: Uint8Array;
    size: number;
    link: number;
    info: number;
    align: number;
    entsize: number;
  }
  const headers: Header[] = [];
  const relocationTables = sections.map((s) => relocationsOf(s));
  for (const s of sections) {
    const flags =
      (s.alloc ? SHF_ALLOC : 0) |
      (s.write ? SHF_WRITE : 0) |
      (s.exec ? SHF_EXECINSTR : 0) |
      (s.merge ? SHF_MERGE : 0) |
      (s.strings ? SHF_STRINGS : 0) |
      (s.tls ? SHF_TLS : 0);
    headers.push({
      name: shstrtab.add(s.name),
      type: s.nobits ? SHT_NOBITS : s.elfType ? ELF_SECTION_TYPES[s.elfType] : SHT_PROGBITS,
      flags: BigInt(flags),
      data: contents.get(s)!,
      size: s.size,
      link: 0,
      info: 0,
      align: s.align,
      entsize: s.entsize,
    });
  }
  const debugRelocationHeaders: Header[] = [];
  for (const d of debugSections) {
    if ('name' in d) {
      headers.push({
        name: shstrtab.add(d.name),
        type: d.strings ? SHT_STRTAB : SHT_PROGBITS,
        flags: 0n,
        data: d.data,
        size: d.data.length,
        link: d.linkTo ? debugIndex.get(d.linkTo)! : 0,
        info: 0,
        align: d.align,
        entsize: d.entrySize ?? 0,
      });
      continue;
    }
    const target = debugSections.find((c) => 'name' in c && c.name === d.relocates) as DebugContents;
    const data = new Uint8Array(d.relocations.length * cls.relSize);
    const view = new DataView(data.buffer);
    d.relocations.forEach((r, i) => {
      const index =
        typeof r.target === 'string' ? debugSymbolIndex.get(r.target)! : symIndexByRef.get(r.target.ref)!;
      const type = cls.machine === EM_386 ? R_386['32'] : r.size === 8 ? R_X86_64['64'] : R_X86_64['32'];
      const at = i * cls.relSize;
      if (cls.is64) {
        view.setBigUint64(at, BigInt(r.offset), true);
        view.setBigUint64(at + 8, (BigInt(index) << 32n) | BigInt(type), true);
        view.setBigInt64(at + 16, r.addend, true);
      } else {
        view.setUint32(at, r.offset, true);
        view.setUint32(at + 4, ((index << 8) | type) >>> 0, true);
        if (cls.rela) view.setInt32(at + 8, Number(BigInt.asIntN(32, r.addend)), true);
        else writeLittleEndian(target.data, r.offset, r.size, r.addend);
      }
    });
    const header: Header = {
      name: shstrtab.add((cls.rela ? '.rela' : '.rel') + d.relocates),
      type: cls.rela ? SHT_RELA : SHT_REL,
      flags: 0n,
      data,
      size: data.length,
      link: 0, // the symbol table's index, known below
      info: debugIndex.get(d.relocates)!,
      align: cls.tableAlign,
      entsize: cls.relSize,
    };
    headers.push(header);
    debugRelocationHeaders.push(header);
  }
  const shstrtabIndex = headers.length + 1;
  const shstrtabHeader: Header = {
    name: shstrtab.add('.shstrtab'),
    type: SHT_STRTAB,
    flags: 0n,
    data: new Uint8Array(0),
    size: 0,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0,
  };
  headers.push(shstrtabHeader);
  const symtabIndex = headers.length + 1;
  for (const h of debugRelocationHeaders) h.link = symtabIndex;
  const symtabData = new Uint8Array(syms.length * cls.symSize);
  const symView = new DataView(symtabData.buffer);
  syms.forEach((s, i) => {
    const at = i * cls.symSize;
    symView.setUint32(at, s.name, true);
    if (cls.is64) {
      symView.setUint8(at + 4, s.info);
      symView.setUint8(at + 5, s.other);
      symView.setUint16(at + 6, s.shndx, true);
      symView.setBigUint64(at + 8, s.value, true);
      symView.setBigUint64(at + 16, s.size, true);
    } else {
      symView.setUint32(at + 4, Number(BigInt.asUintN(32, s.value)), true);
      symView.setUint32(at + 8, Number(BigInt.asUintN(32, s.size)), true);
      symView.setUint8(at + 12, s.info);
      symView.setUint8(at + 13, s.other);
      symView.setUint16(at + 14, s.shndx, true);
    }
  });
  headers.push({
    name: shstrtab.add('.symtab'),
    type: SHT_SYMTAB,
    flags: 0n,
    data: symtabData,
    size: symtabData.length,
    link: symtabIndex + 1,
    info: firstGlobal,
    align: cls.tableAlign,
    entsize: cls.symSize,
  });
  const strtabData = strtab.bytes();
  headers.push({
    name: shstrtab.add('.strtab'),
    type: SHT_STRTAB,
    flags: 0n,
    data: strtabData,
    size: strtabData.length,
    link: 0,
    info: 0,
    align: 1,
    entsize: 0,
  });
  sections.forEach((s, sectionNumber) => {
    const table = relocationTables[sectionNumber]!;
    if (table.length === 0) return;
    const data = new Uint8Array(table.length * cls.relSize);
    const view = new DataView(data.buffer);
    table.forEach((r, i) => {
      const at = i * cls.relSize;
      if (cls.is64) {
        view.setBigUint64(at, BigInt(r.offset), true);
        view.setBigUint64(at + 8, (BigInt(r.index) << 32n) | BigInt(r.type), true);
        view.setBigInt64(at + 16, r.addend, true);
      } else {
        view.setUint32(at, r.offset, true);
        view.setUint32(at + 4, ((r.index << 8) | r.type) >>> 0, true);
        if (cls.rela) view.setInt32(at + 8, Number(BigInt.asIntN(32, r.addend)), true);
      }
    });
    headers.push({
      name: shstrtab.add((cls.rela ? '.rela' : '.rel') + s.name),
      type: cls.rela ? SHT_RELA : SHT_REL,
      flags: 0n,
      data,
      size: data.length,
      link: symtabIndex,
      info: sectionIndex.get(s)!,
      align: cls.tableAlign,
      entsize: cls.relSize,
    });
  });
  shstrtabHeader.data = shstrtab.bytes();
  shstrtabHeader.size = shstrtabHeader.data.length;

  // ---- file layout as nasm's: header, section header table (16-aligned), contents (each 16-aligned)
  const shoff = Math.ceil(cls.ehdrSize / 16) * 16;
  let offset = shoff + (headers.length + 1) * cls.shdrSize;
  const offsets: number[] = [];
  for (const h of headers) {
    offset = Math.ceil(offset / 16) * 16;
    offsets.push(offset);
    if (h.type !== SHT_NOBITS) offset += h.data.length;
  }
  const total = Math.ceil(offset / 16) * 16;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([
    0x7f,
    0x45,
    0x4c,
    0x46,
    cls.is64 ? ELFCLASS64 : ELFCLASS32,
    ELFDATA2LSB,
    EV_CURRENT,
    ELFOSABI_SYSV,
  ]);
  view.setUint16(16, ET_REL, true);
  view.setUint16(18, cls.machine, true);
  view.setUint32(20, EV_CURRENT, true);
  if (cls.is64) {
    view.setBigUint64(40, BigInt(shoff), true);
    view.setUint16(52, cls.ehdrSize, true);
    view.setUint16(58, cls.shdrSize, true);
    view.setUint16(60, headers.length + 1, true);
    view.setUint16(62, shstrtabIndex, true);
  } else {
    view.setUint32(32, shoff, true);
    view.setUint16(40, cls.ehdrSize, true);
    view.setUint16(46, cls.shdrSize, true);
    view.setUint16(48, headers.length + 1, true);
    view.setUint16(50, shstrtabIndex, true);
  }
  headers.forEach((h, i) => {
    if (h.type !== SHT_NOBITS) out.set(h.data, offsets[i]!);
    const at = shoff + (i + 1) * cls.shdrSize;
    view.setUint32(at, h.name, true);
    view.setUint32(at + 4, h.type, true);
    if (cls.is64) {
      view.setBigUint64(at + 8, h.flags, true);
      view.setBigUint64(at + 24, BigInt(offsets[i]!), true);
      view.setBigUint64(at + 32, BigInt(h.size), true);
      view.setUint32(at + 40, h.link, true);
      view.setUint32(at + 44, h.info, true);
      view.setBigUint64(at + 48, BigInt(h.align), true);
      view.setBigUint64(at + 56, BigInt(h.entsize), true);
    } else {
      view.setUint32(at + 8, Number(h.flags), true);
      view.setUint32(at + 16, offsets[i]!, true);
      view.setUint32(at + 20, h.size, true);
      view.setUint32(at + 24, h.link, true);
      view.setUint32(at + 28, h.info, true);
      view.setUint32(at + 32, h.align, true);
      view.setUint32(at + 36, h.entsize, true);
    }
  });
  return out;
}

/**
 * A flat binary: every progbits section at its address (the first at `org`, the others after it aligned), gaps
 * zero-filled, nobits sections not stored. References to labels were kept section-relative while assembling;
 * here each becomes the label's address (PC-relative ones the distance from the field).
 */
export function writeBin(
  sections: Section[],
  refs: Map<SymbolRef, Section | SymbolEntry>,
  org: bigint,
): { output: Uint8Array; errors: OutputError[] } {
  const errors: OutputError[] = [];
  const stored = sections.filter((s) => !s.nobits && s.size > 0);
  if (stored.length === 0) return { output: new Uint8Array(0), errors };
  // the file starts at `org`
  if (stored.some((s) => s.start < org))
    errors.push({ message: "a section starts before the origin (`org')" });
  const base = org;
  let end = 0n;
  for (const s of stored) if (s.start + BigInt(s.size) > end) end = s.start + BigInt(s.size);
  const out = new Uint8Array(Number(end - base));
  const view = new DataView(out.buffer);
  for (const s of stored) out.set(sectionBytes(s), Number(s.start - base));
  for (const s of sections) {
    if (s.nobits) continue;
    for (const r of s.relocations) {
      const target = r.symbol === ABSOLUTE_SYMBOL ? { vstart: 0n } : refs.get(r.symbol);
      if (!target || !('vstart' in target)) {
        errors.push({ relocation: r, message: 'binary output format does not support external references' });
        continue;
      }
      const field = s.vstart + BigInt(r.offset);
      let value = target.vstart + r.addend;
      if (r.pcRelative) value -= field;
      // nasm's bin output truncates every address to its field without a word (`dw label` above 64 KiB)
      const at = Number(s.start + BigInt(r.offset) - base);
      const v = BigInt.asUintN(r.size * 8, value);
      if (r.size === 1) view.setUint8(at, Number(v));
      else if (r.size === 2) view.setUint16(at, Number(v), true);
      else if (r.size === 4) view.setUint32(at, Number(v), true);
      else view.setBigUint64(at, v, true);
    }
  }
  return { output: out, errors };
}
