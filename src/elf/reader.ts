/**
 * The shared little-endian ELF reader (ELF64 and ELF32): objects (ET_REL) for the linker, executables (ET_EXEC)
 * for the image builder, the loader and the tests. Both classes are read into the same tables (64-bit fields), so
 * only this file knows the two layouts. Every offset is bounds-checked, so a corrupt or truncated file becomes a
 * `UserError` naming the file and what is wrong, never a RangeError.
 */
import { UserError } from '../errors.js';
import {
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_REL_SIZE,
  ELF32_RELA_SIZE,
  ELF32_SHDR_SIZE,
  ELF32_SYM_SIZE,
  ELFCLASS32,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_RELA,
  SHT_REL,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  SHT_GROUP,
} from './constants.js';

export interface ElfHeader {
  /** ELFCLASS32 or ELFCLASS64. */
  elfClass: number;
  type: number;
  machine: number;
  entry: bigint;
  phoff: number;
  shoff: number;
  flags: number;
  phnum: number;
  shnum: number;
  shstrndx: number;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  /** sh_flags; every flag the linker cares about fits in 32 bits (SHF_EXCLUDE is bit 31). */
  flags: number;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes in the file (empty for SHT_NOBITS). A view, not a copy. */
  data: Uint8Array;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  bind: number;
  type: number;
  visibility: number;
  /** Section index, after SHN_XINDEX resolution. */
  shndx: number;
}

export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: number;
  addend: bigint;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: bigint;
  align: bigint;
}

export interface ElfFile {
  name: string;
  data: Uint8Array;
  header: ElfHeader;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** The `.symtab` symbols (index 0 is the null symbol); empty when stripped. */
  symbols: ElfSymbol[];
  /** Index of the section holding `symbols`, or 0. */
  symtabIndex: number;
  /** Relocations per target section index (from SHT_RELA sections), decoded into objects on first use. */
  relocations: Map<number, ElfRelocation[]>;
  /** The same relocations read in place from the RELA bytes (no object per relocation: what the linker uses). */
  relocationTables: Map<number, RelaTable>;
  /**
   * Target section indices whose relocations came from SHT_REL (ELF32 i386): their addends are implicit, stored in
   * the relocated field, and read as 0 here (only the architecture knows each field's width).
   */
  implicitAddends: Set<number>;
  /** SHT_GROUP sections: flag word and member section indices. */
  groups: Array<{ section: number; signature: string; flags: number; members: number[] }>;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The r_addend whose low word is at `words[at]`, or NaN when a double cannot hold it exactly. */
export function addendNumber(words: Int32Array, at: number): number {
  const high = words[at + 1]!;
  if (high < -0x200000 || high >= 0x200000) return NaN;
  return high * 0x100000000 + (words[at]! >>> 0);
}

const NO_BYTES = new Uint8Array(0);

const SHARED_VALUES = 0x2000;
const sharedValues = new Array<bigint | undefined>(SHARED_VALUES).fill(undefined);

/**
 * A value below 2^32 as a bigint. Symbol values and sizes are mostly small section offsets that recur in every
 * object, so those below SHARED_VALUES are made once and shared.
 */
function smallValue(value: number): bigint {
  if (value >= SHARED_VALUES) return BigInt(value);
  return (sharedValues[value] ??= BigInt(value));
}

/** The bit of RelaTable.typeMask for relocation type `type`. */
export function typeBit(type: number): number {
  return type >= 0 && type < 31 ? 1 << type : 1 << 31;
}

/** `count` little-endian 32-bit words at `start` of `data`: a view when aligned (the usual case), else a copy. */
function wordsOf(data: Uint8Array, start: number, count: number): Int32Array {
  const byteOffset = data.byteOffset + start;
  if (LITTLE_ENDIAN_HOST && byteOffset % 4 === 0) return new Int32Array(data.buffer, byteOffset, count);
  const view = new DataView(data.buffer, byteOffset, count * 4);
  const words = new Int32Array(count);
  for (let i = 0; i < count; i++) words[i] = view.getInt32(i * 4, true);
  return words;
}

const SMALL_ADDEND = 256;
const SMALL_ADDENDS = Array.from({ length: 2 * SMALL_ADDEND }, (_, i) => BigInt(i - SMALL_ADDEND));

/**
 * A list of Elf64_Rela entries read in place (24 bytes each: r_offset, r_info, r_addend). A kernel link has
 * hundreds of thousands of relocations; one object each made the garbage collector the linker's biggest cost.
 * The reader checks every entry once (offset below 4 GiB, symbol index in range) before building a table.
 */
export class RelaTable {
  static readonly EMPTY = new RelaTable(new Int32Array(0));

  /**
   * Six little-endian 32-bit words per entry: r_offset (low, high), type, symbol, r_addend (low, high). Plain
   * typed-array reads: the linker's relocation loop runs before the JIT has optimized anything, where a method or
   * DataView call per field costs more than the relocation itself.
   */
  readonly words: Int32Array;
  readonly length: number;
  /** Bit t is set when some entry has type t (t < 31); bit 31 when some type is 31 or more. */
  readonly typeMask: number;

  constructor(words: Int32Array, typeMask?: number) {
    this.words = words;
    this.length = words.length / 6;
    if (typeMask === undefined) {
      typeMask = 0;
      for (let i = 0; i < this.length; i++) typeMask |= typeBit(words[i * 6 + 2]!);
    }
    this.typeMask = typeMask;
  }

  /** Encodes a list (for sections whose relocations the linker rewrites, such as `.eh_frame`). */
  static fromList(list: readonly ElfRelocation[]): RelaTable {
    const words = new Int32Array(list.length * 6);
    list.forEach((r, i) => {
      words[i * 6] = r.offset;
      words[i * 6 + 2] = r.type;
      words[i * 6 + 3] = r.symbol;
      words[i * 6 + 4] = Number(BigInt.asIntN(32, r.addend));
      words[i * 6 + 5] = Number(BigInt.asIntN(32, r.addend >> 32n));
    });
    return new RelaTable(words);
  }

  offset(i: number): number {
    return this.words[i * 6]! >>> 0;
  }

  type(i: number): number {
    return this.words[i * 6 + 2]! >>> 0;
  }

  symbol(i: number): number {
    return this.words[i * 6 + 3]! >>> 0;
  }

  /** r_addend as a number, or NaN when a double cannot hold it exactly (then use `addend()`). */
  addendNumber(i: number): number {
    return addendNumber(this.words, i * 6 + 4);
  }

  /** r_addend; the usual small addends (-4, 0, 8...) share preallocated bigints instead of allocating. */
  addend(i: number): bigint {
    const low = this.words[i * 6 + 4]!;
    const high = this.words[i * 6 + 5]!;
    if (high === (low < 0 ? -1 : 0) && low >= -SMALL_ADDEND && low < SMALL_ADDEND)
      return SMALL_ADDENDS[low + SMALL_ADDEND]!;
    return (BigInt(high) << 32n) | BigInt(low >>> 0);
  }

  get(i: number): ElfRelocation {
    return { offset: this.offset(i), type: this.type(i), symbol: this.symbol(i), addend: this.addend(i) };
  }

  toArray(): ElfRelocation[] {
    const list: ElfRelocation[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) list[i] = this.get(i);
    return list;
  }
}

export function readElf(name: string, data: Uint8Array): ElfFile {
  return new ElfReader(name, data).read();
}

function numbered(what: string, index: number | undefined): string {
  return index === undefined ? what : what.replace('#', String(index));
}

function latin1Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/** Where each class keeps its header fields: ELF32 and ELF64 differ in field widths and in their order. */
interface ClassLayout {
  elfClass: number;
  /** Width of addresses, offsets and sizes (4 or 8). */
  word: number;
  ehdrSize: number;
  phdrSize: number;
  shdrSize: number;
  symSize: number;
  relaSize: number;
  /** ELF header: e_entry, e_phoff, e_shoff, e_flags, then e_phentsize (e_phnum, e_shentsize, e_shnum follow). */
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  phentsize: number;
  /** Section header: sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize. */
  sh: readonly [number, number, number, number, number, number, number, number];
  /** Program header: p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align. */
  ph: readonly [number, number, number, number, number, number, number];
}

const ELF64_LAYOUT: ClassLayout = {
  elfClass: ELFCLASS64,
  word: 8,
  ehdrSize: ELF64_EHDR_SIZE,
  phdrSize: ELF64_PHDR_SIZE,
  shdrSize: ELF64_SHDR_SIZE,
  symSize: ELF64_SYM_SIZE,
  relaSize: ELF64_RELA_SIZE,
  entry: 24,
  phoff: 32,
  shoff: 40,
  flags: 48,
  phentsize: 54,
  sh: [8, 16, 24, 32, 40, 44, 48, 56],
  ph: [4, 8, 16, 24, 32, 40, 48],
};

const ELF32_LAYOUT: ClassLayout = {
  elfClass: ELFCLASS32,
  word: 4,
  ehdrSize: ELF32_EHDR_SIZE,
  phdrSize: ELF32_PHDR_SIZE,
  shdrSize: ELF32_SHDR_SIZE,
  symSize: ELF32_SYM_SIZE,
  relaSize: ELF32_RELA_SIZE,
  entry: 24,
  phoff: 28,
  shoff: 32,
  flags: 36,
  phentsize: 42,
  sh: [8, 12, 16, 20, 24, 28, 32, 36],
  ph: [24, 4, 8, 12, 16, 20, 28],
};

class ElfReader {
  private readonly view: DataView;
  private layout: ClassLayout = ELF64_LAYOUT;
  constructor(
    private readonly name: string,
    private readonly data: Uint8Array,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private fail(what: string): never {
    throw new UserError(`${this.name}: corrupt ELF file: ${what}`);
  }

  /**
   * `what` names the bytes in an error; `index`, when given, replaces its `#` (so the many per-section checks
   * build no message string unless one fails).
   */
  private need(offset: number, size: number, what: string, index?: number): void {
    if (!(offset >= 0 && size >= 0 && offset + size <= this.data.length)) {
      this.fail(
        `${numbered(what, index)} (bytes ${offset}..${offset + size}) lies outside the ${this.data.length}-byte file`,
      );
    }
  }

  /** An offset or size field of the file's class as a number (`what` and `index` as for need()). */
  private wordn(offset: number, what: string, index?: number): number {
    if (this.layout.word === 4) return this.view.getUint32(offset, true);
    // Two 32-bit reads: no BigInt allocation for the many small offsets and sizes.
    const low = this.view.getUint32(offset, true);
    const high = this.view.getUint32(offset + 4, true);
    if (high >= 0x200000)
      this.fail(
        `${numbered(what, index)} is too large (0x${high.toString(16)}${low.toString(16).padStart(8, '0')})`,
      );
    return high * 0x100000000 + low;
  }

  /** An address field of the file's class as a bigint, sharing one bigint per small value. */
  private word(offset: number): bigint {
    const v = this.view;
    if (this.layout.word === 8 && v.getUint32(offset + 4, true) !== 0) return v.getBigUint64(offset, true);
    return smallValue(v.getUint32(offset, true));
  }

  read(): ElfFile {
    const d = this.data;
    if (d.length < 16 || !isElf(d)) this.fail('not an ELF file (bad magic)');
    if (d[4] === ELFCLASS32) this.layout = ELF32_LAYOUT;
    else if (d[4] !== ELFCLASS64) this.fail(`unknown ELF class ${d[4]}`);
    if (d[5] !== ELFDATA2LSB) this.fail('not a little-endian ELF file');
    const l = this.layout;
    this.need(0, l.ehdrSize, 'ELF header');
    const v = this.view;
    const header: ElfHeader = {
      elfClass: l.elfClass,
      type: v.getUint16(16, true),
      machine: v.getUint16(18, true),
      entry: this.word(l.entry),
      phoff: this.wordn(l.phoff, 'e_phoff'),
      shoff: this.wordn(l.shoff, 'e_shoff'),
      flags: v.getUint32(l.flags, true),
      phnum: v.getUint16(l.phentsize + 2, true),
      shnum: v.getUint16(l.phentsize + 6, true),
      shstrndx: v.getUint16(l.phentsize + 8, true),
    };
    if (header.shoff !== 0 && v.getUint16(l.phentsize + 4, true) !== l.shdrSize)
      this.fail('unexpected e_shentsize');
    if (header.phnum !== 0 && v.getUint16(l.phentsize, true) !== l.phdrSize)
      this.fail('unexpected e_phentsize');

    const sections = this.readSections(header);
    const segments = this.readSegments(header);
    const symtab = sections.find((s) => s.type === SHT_SYMTAB);
    const symbols = symtab ? this.readSymbols(symtab, sections) : [];
    const relocationTables = new Map<number, RelaTable>();
    const implicitAddends = new Set<number>();
    for (const section of sections) {
      if (section.type !== SHT_RELA && section.type !== SHT_REL) continue;
      if (section.type === SHT_REL && l.elfClass === ELFCLASS64)
        this.fail(`section ${section.name} uses SHT_REL; x86-64 objects use SHT_RELA`);
      // Dynamic relocations of a linked file (.rela.dyn) belong to the image, not to one section.
      if (header.type !== 1 && (section.flags & 2) !== 0) continue;
      if (section.info === 0 || section.info >= sections.length) {
        this.fail(`relocation section ${section.name} targets missing section ${section.info}`);
      }
      if (symtab && section.link !== symtab.index)
        this.fail(`relocation section ${section.name} uses a foreign symbol table`);
      const table = this.readRelocations(section, symbols.length);
      if (section.type === SHT_REL) implicitAddends.add(section.info);
      const existing = relocationTables.get(section.info);
      relocationTables.set(
        section.info,
        existing ? RelaTable.fromList([...existing.toArray(), ...table.toArray()]) : table,
      );
    }
    const groups = sections
      .filter((s) => s.type === SHT_GROUP)
      .map((s) => this.readGroup(s, sections, symbols));
    let relocations: Map<number, ElfRelocation[]> | undefined;
    return {
      name: this.name,
      data: d,
      header,
      sections,
      segments,
      symbols,
      symtabIndex: symtab?.index ?? 0,
      get relocations() {
        relocations ??= new Map([...relocationTables].map(([index, table]) => [index, table.toArray()]));
        return relocations;
      },
      relocationTables,
      implicitAddends,
      groups,
    };
  }

  private readSections(header: ElfHeader): ElfSection[] {
    if (header.shoff === 0) return [];
    const v = this.view;
    const l = this.layout;
    const [flagsAt, addrAt, offsetAt, sizeAt, linkAt, infoAt, alignAt, entsizeAt] = l.sh;
    this.need(header.shoff, l.shdrSize, 'section header 0');
    let shnum = header.shnum;
    let shstrndx = header.shstrndx;
    if (shnum === 0) shnum = this.wordn(header.shoff + sizeAt, 'section count');
    if (shstrndx === SHN_XINDEX) shstrndx = v.getUint32(header.shoff + linkAt, true);
    this.need(header.shoff, shnum * l.shdrSize, 'section header table');
    const raw: ElfSection[] = [];
    for (let i = 0; i < shnum; i++) {
      const at = header.shoff + i * l.shdrSize;
      const type = v.getUint32(at + 4, true);
      const offset = this.wordn(at + offsetAt, 'section # offset', i);
      const size = this.wordn(at + sizeAt, 'section # size', i);
      if (type !== SHT_NOBITS && type !== 0) this.need(offset, size, 'contents of section #', i);
      const addralign = this.wordn(at + alignAt, 'section # alignment', i);
      if (addralign > 1 && (addralign & (addralign - 1)) !== 0)
        this.fail(`section ${i} alignment ${addralign} is not a power of two`);
      raw.push({
        index: i,
        name: '',
        type,
        flags: v.getUint32(at + flagsAt, true),
        addr: this.word(at + addrAt),
        offset,
        size,
        link: v.getUint32(at + linkAt, true),
        info: v.getUint32(at + infoAt, true),
        addralign: addralign === 0 ? 1 : addralign,
        entsize: this.wordn(at + entsizeAt, 'section # entsize', i),
        // A plain Uint8Array view: Buffer's subarray goes through a JavaScript constructor, per section.
        data:
          type === SHT_NOBITS || type === 0
            ? NO_BYTES
            : new Uint8Array(this.data.buffer, this.data.byteOffset + offset, size),
      });
    }
    if (shstrndx !== 0) {
      if (shstrndx >= raw.length) this.fail(`section name table index ${shstrndx} is out of range`);
      const names = latin1Text(raw[shstrndx]!.data);
      for (let i = 1; i < raw.length; i++)
        raw[i]!.name = this.stringAt(
          names,
          v.getUint32(header.shoff + i * l.shdrSize, true),
          'name of section #',
          i,
        );
    }
    return raw;
  }

  private readSegments(header: ElfHeader): ElfSegment[] {
    if (header.phnum === 0) return [];
    const l = this.layout;
    const [flagsAt, offsetAt, vaddrAt, paddrAt, fileszAt, memszAt, alignAt] = l.ph;
    this.need(header.phoff, header.phnum * l.phdrSize, 'program header table');
    const v = this.view;
    const segments: ElfSegment[] = [];
    for (let i = 0; i < header.phnum; i++) {
      const at = header.phoff + i * l.phdrSize;
      segments.push({
        type: v.getUint32(at, true),
        flags: v.getUint32(at + flagsAt, true),
        offset: this.wordn(at + offsetAt, 'segment # offset', i),
        vaddr: this.word(at + vaddrAt),
        paddr: this.word(at + paddrAt),
        filesz: this.wordn(at + fileszAt, 'segment # file size', i),
        memsz: this.word(at + memszAt),
        align: this.word(at + alignAt),
      });
    }
    return segments;
  }

  /** A NUL-terminated string of a table decoded once as a whole (slicing it beats one decode per name). */
  private stringAt(table: string, offset: number, what: string, index?: number): string {
    if (offset >= table.length) {
      if (offset === 0) return '';
      this.fail(`${numbered(what, index)}: string offset ${offset} is outside its string table`);
    }
    const end = table.indexOf('\0', offset);
    if (end < 0) this.fail(`${numbered(what, index)}: string is not NUL-terminated`);
    if (end === offset) return '';
    return table.slice(offset, end);
  }

  private readSymbols(symtab: ElfSection, sections: ElfSection[]): ElfSymbol[] {
    const size = this.layout.symSize;
    if (symtab.entsize !== size) this.fail(`symbol table entry size ${symtab.entsize} (expected ${size})`);
    if (symtab.size % size !== 0) this.fail(`symbol table size is not a multiple of ${size}`);
    if (symtab.link >= sections.length) this.fail('symbol table links to a missing string table');
    const strings = latin1Text(sections[symtab.link]!.data);
    const shndxSection = sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index);
    const count = symtab.size / size;
    const v = this.view;
    const wide = this.layout.word === 8;
    // Per entry, in 32-bit words. ELF64 (6): st_name, st_info|st_other<<8|st_shndx<<16, st_value (2),
    // st_size (2). ELF32 (4): st_name, st_value, st_size, st_info|st_other<<8|st_shndx<<16.
    const stride = size / 4;
    const words = wordsOf(this.data, symtab.offset, count * stride);
    const symbols: ElfSymbol[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const w = i * stride;
      const packed = wide ? words[w + 1]! : words[w + 3]!;
      let shndx = packed >>> 16;
      if (shndx === SHN_XINDEX) {
        if (!shndxSection || (i + 1) * 4 > shndxSection.size)
          this.fail(`symbol ${i} uses SHN_XINDEX without an index table`);
        shndx = v.getUint32(shndxSection.offset + i * 4, true);
      }
      if (shndx >= sections.length && shndx < 0xff00)
        this.fail(`symbol ${i} refers to missing section ${shndx}`);
      const at = symtab.offset + i * size;
      const nameOffset = words[w]! >>> 0;
      symbols[i] = {
        name: nameOffset === 0 ? '' : this.stringAt(strings, nameOffset, 'symbol name'),
        value: !wide
          ? smallValue(words[w + 1]! >>> 0)
          : words[w + 3] === 0
            ? smallValue(words[w + 2]! >>> 0)
            : v.getBigUint64(at + 8, true),
        size: !wide
          ? smallValue(words[w + 2]! >>> 0)
          : words[w + 5] === 0
            ? smallValue(words[w + 4]! >>> 0)
            : v.getBigUint64(at + 16, true),
        bind: (packed & 0xff) >> 4,
        type: packed & 0xf,
        visibility: (packed >> 8) & 3,
        shndx,
      };
    }
    return symbols;
  }

  private readRelocations(section: ElfSection, symbolCount: number): RelaTable {
    const rel = section.type === SHT_REL;
    const entry = this.layout.word === 8 ? ELF64_RELA_SIZE : rel ? ELF32_REL_SIZE : ELF32_RELA_SIZE;
    if (section.entsize !== entry || section.size % entry !== 0) {
      this.fail(`relocation section ${section.name} has entry size ${section.entsize}`);
    }
    const count = section.size / entry;
    if (this.layout.word === 4) return this.readRelocations32(section, count, rel, symbolCount);
    const words = wordsOf(this.data, section.offset, count * 6);
    // r_offset must fit a section (so its high word is zero) and the symbol must exist: checked once here.
    let typeMask = 0;
    for (let i = 0; i < count; i++) {
      if (words[i * 6 + 1] !== 0) this.fail(`offset of relocation ${i} in ${section.name} is too large`);
      const symbol = words[i * 6 + 3]! >>> 0;
      if (symbol >= symbolCount && symbol !== 0)
        this.fail(`relocation ${i} in ${section.name} refers to missing symbol ${symbol}`);
      typeMask |= typeBit(words[i * 6 + 2]!);
    }
    return new RelaTable(words, typeMask);
  }

  /** Elf32_Rel/Elf32_Rela (r_info = symbol << 8 | type) widened into the table's six-word entries. */
  private readRelocations32(
    section: ElfSection,
    count: number,
    rel: boolean,
    symbolCount: number,
  ): RelaTable {
    const stride = rel ? 2 : 3;
    const input = wordsOf(this.data, section.offset, count * stride);
    const words = new Int32Array(count * 6);
    for (let i = 0; i < count; i++) {
      const info = input[i * stride + 1]! >>> 0;
      const symbol = info >>> 8;
      if (symbol >= symbolCount && symbol !== 0)
        this.fail(`relocation ${i} in ${section.name} refers to missing symbol ${symbol}`);
      const addend = rel ? 0 : input[i * stride + 2]!;
      words[i * 6] = input[i * stride]!;
      words[i * 6 + 2] = info & 0xff;
      words[i * 6 + 3] = symbol;
      words[i * 6 + 4] = addend;
      words[i * 6 + 5] = addend < 0 ? -1 : 0;
    }
    return new RelaTable(words);
  }
  private readGroup(section: ElfSection, sections: ElfSection[], symbols: ElfSymbol[]) {
    if (section.size < 4 || section.size % 4 !== 0)
      this.fail(`group section ${section.name} has size ${section.size}`);
    const v = this.view;
    const flags = v.getUint32(section.offset, true);
    const members: number[] = [];
    for (let at = 4; at < section.size; at += 4) {
      const member = v.getUint32(section.offset + at, true);
      if (member === 0 || member >= sections.length)
        this.fail(`group section ${section.name} lists missing section ${member}`);
      members.push(member);
    }
    const signatureSymbol = symbols[section.info];
    if (!signatureSymbol) this.fail(`group section ${section.name} has no signature symbol`);
    return { section: section.index, signature: signatureSymbol.name, flags, members };
  }
}
