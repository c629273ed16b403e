/**
 * ELF executable writer (ELF64 x86-64 or ELF32 i386) shared by the linker (and anything else that emits executables): the caller decides
 * addresses and the file offsets of allocated sections; the writer places the remaining (non-allocated) sections,
 * builds `.shstrtab` and the section header table, and returns the bytes.
 */
import {
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_SHDR_SIZE,
  ELF32_SYM_SIZE,
  ELFCLASS32,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_SYSV,
  EM_X86_64,
  ET_EXEC,
  ET_REL,
  EV_CURRENT,
  SHF_ALLOC,
  SHF_WRITE,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
} from './constants.js';

export interface ElfImageSection {
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  /** File offset; undefined lets the writer append the section after the allocated contents. */
  offset?: number;
  size: bigint;
  link: number;
  info: number;
  align: number;
  entsize: number;
  /** File contents (undefined or shorter than `size` means zero-filled; ignored for NOBITS). */
  data?: Uint8Array;
  /** Writes the contents directly into the output (avoids a copy for large sections). */
  write?: (out: Uint8Array, offset: number) => void;
}

export interface ElfImageSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface ElfImage {
  type?: number;
  /** ELFCLASS64 (default) or ELFCLASS32. */
  elfClass?: number;
  /** e_machine (default EM_X86_64). */
  machine?: number;
  entry: bigint;
  /** Sections in header order, without the null section (so `sections[i]` gets index i + 1). */
  sections: ElfImageSection[];
  segments: ElfImageSegment[];
  /** End of the allocated contents (non-allocated sections are placed from here). */
  contentEnd: number;
  /** Section names in the order `.shstrtab` lists them, when that is not header order (ld -r's `.group`). */
  nameOrder?: string[];
  /** Sections whose contents go after every other section's (before `.shstrtab`): ld's emitted `.rela` sections. */
  placeLast?: (section: ElfImageSection) => boolean;
}

/** Builds the section name table, places sections that have no offset yet, and serializes everything. */
export function writeElfExecutable(image: ElfImage): Uint8Array {
  const names = new StringTable();
  // GNU ld puts these three names first; doing the same keeps outputs byte-comparable.
  for (const special of ['.symtab', '.strtab'])
    if (image.sections.some((s) => s.name === special)) names.add(special);
  names.add('.shstrtab');
  for (const name of image.nameOrder ?? image.sections.map((s) => s.name)) names.add(name);
  const shstrtab = names.finish();
  const nameOffsets = image.sections.map((s) => names.offsetOf(s.name));
  const shstrtabName = names.offsetOf('.shstrtab');
  const all: ElfImageSection[] = [
    ...image.sections,
    {
      name: '.shstrtab',
      type: SHT_STRTAB,
      flags: 0,
      addr: 0n,
      size: BigInt(shstrtab.length),
      link: 0,
      info: 0,
      align: 1,
      entsize: 0,
      data: shstrtab,
    },
  ];
  nameOffsets.push(shstrtabName);
  const wide = (image.elfClass ?? ELFCLASS64) === ELFCLASS64;
  const ehdrSize = wide ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
  const phdrSize = wide ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
  const shdrSize = wide ? ELF64_SHDR_SIZE : ELF32_SHDR_SIZE;
  let offset = Math.max(image.contentEnd, ehdrSize + image.segments.length * phdrSize);
  const last = image.placeLast;
  const fileOrder = last
    ? [...image.sections.filter((s) => !last(s)), ...image.sections.filter(last), all[all.length - 1]!]
    : all;
  for (const s of fileOrder) {
    if (s.offset !== undefined) {
      // A section placed by the caller: what comes after it without an offset follows it.
      if (s.type !== SHT_NOBITS) offset = Math.max(offset, s.offset + Number(s.size));
      continue;
    }
    if (s.type === SHT_NOBITS) {
      s.offset = offset;
      continue;
    }
    offset = alignTo(offset, Math.max(1, s.align));
    s.offset = offset;
    offset += Number(s.size);
  }
  const shoff = alignTo(offset, wide ? 8 : 4);
  const total = shoff + (all.length + 1) * shdrSize;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  // Address, offset and size fields: 8 bytes in ELF64, 4 in ELF32.
  const word = (at: number, value: bigint | number) => {
    if (wide) view.setBigUint64(at, BigInt(value), true);
    else view.setUint32(at, Number(BigInt.asUintN(32, BigInt(value))), true);
  };
  const w = wide ? 8 : 4;
  // ELF header: e_entry, e_phoff and e_shoff are words; the 16-bit fields follow e_flags.
  out.set([0x7f, 0x45, 0x4c, 0x46, wide ? ELFCLASS64 : ELFCLASS32, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV]);
  view.setUint16(16, image.type ?? ET_EXEC, true);
  view.setUint16(18, image.machine ?? EM_X86_64, true);
  view.setUint32(20, EV_CURRENT, true);
  word(24, image.entry);
  word(24 + w, image.segments.length > 0 ? ehdrSize : 0);
  word(24 + 2 * w, shoff);
  const half = 24 + 3 * w + 4;
  view.setUint16(half, ehdrSize, true);
  // bfd gives a relocatable object (no program headers) an e_phentsize of 0.
  view.setUint16(half + 2, image.type === ET_REL ? 0 : phdrSize, true);
  view.setUint16(half + 4, image.segments.length, true);
  view.setUint16(half + 6, shdrSize, true);
  view.setUint16(half + 8, all.length + 1, true);
  view.setUint16(half + 10, all.length, true);
  image.segments.forEach((p, i) => {
    const at = ehdrSize + i * phdrSize;
    view.setUint32(at, p.type, true);
    // ELF64 puts p_flags second, ELF32 after p_memsz.
    view.setUint32(wide ? at + 4 : at + 24, p.flags, true);
    const fields = wide ? at + 8 : at + 4;
    [BigInt(p.offset), p.vaddr, p.paddr, p.filesz, p.memsz].forEach((v, k) => word(fields + k * w, v));
    word(wide ? at + 48 : at + 28, p.align);
  });
  all.forEach((s, i) => {
    if (s.type !== SHT_NOBITS) {
      if (s.write) s.write(out, s.offset!);
      else if (s.data) out.set(s.data.subarray(0, Number(s.size)), s.offset!);
    }
    const at = shoff + (i + 1) * shdrSize;
    view.setUint32(at, nameOffsets[i]!, true);
    view.setUint32(at + 4, s.type, true);
    word(at + 8, s.flags >>> 0);
    word(at + 8 + w, s.addr);
    word(at + 8 + 2 * w, s.offset!);
    word(at + 8 + 3 * w, s.size);
    view.setUint32(at + 8 + 4 * w, s.link, true);
    view.setUint32(at + 12 + 4 * w, s.info, true);
    word(at + 16 + 4 * w, s.align);
    word(at + 16 + 5 * w, s.entsize);
  });
  return out;
}

function alignTo(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/**
 * A NUL-separated string table with de-duplication and, like bfd's elf-strtab, tail merging: a string that ends
 * another one ("text" in ".text") is not stored twice. Add everything first, then call `finish()`.
 */
export class StringTable {
  private readonly order: string[] = [];
  private offsets?: Map<string, number>;
  private table?: Uint8Array;

  add(text: string): void {
    if (text !== '') this.order.push(text);
  }

  finish(): Uint8Array {
    if (this.table) return this.table;
    const { bytes, offsets } = layoutStrings(this.order);
    this.offsets = new Map<string, number>([['', 0]]);
    this.order.forEach((text, i) => this.offsets!.set(text, offsets[i]!));
    this.table = bytes;
    return bytes;
  }

  offsetOf(text: string): number {
    if (!this.offsets) this.finish();
    const offset = this.offsets!.get(text);
    if (offset === undefined) throw new Error(`string ${text} was not added to the table`);
    return offset;
  }
}

/**
 * Lays out a string table the way bfd's elf-strtab does: each distinct string once, and a string that ends
 * another one ("text" in ".text") not at all, since the longer string's tail serves for both. Returns the table
 * and each input string's offset in it ('' is at 0). Stored strings keep their first-use order.
 *
 * Like bfd, it sorts the strings by their reversed text, so that equal strings are neighbours and a string comes
 * right before the strings that end with it: one sort de-duplicates and finds tails, with no Set or Map of
 * tens of thousands of names (hashing them all cost more than the sort).
 */
function layoutStrings(names: readonly string[]): { bytes: Uint8Array; offsets: Int32Array } {
  const n = names.length;
  const order = reversedTextOrder(names);
  // Equal strings are neighbours in `order`: the first used (smallest index, sorted first) stands for them all.
  const canonical = new Int32Array(n).fill(-1);
  // The string each distinct string is a tail of (-1: none, so it is stored).
  const rootOf = new Int32Array(n).fill(-1);
  let next = -1;
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let first = k;
    while (first > 0 && names[order[first - 1]!] === names[i]) first--;
    const c = order[first]!;
    for (let j = first; j <= k; j++) canonical[order[j]!] = c;
    if (next >= 0 && names[next]!.endsWith(names[c]!)) rootOf[c] = rootOf[next]! >= 0 ? rootOf[next]! : next;
    next = c;
    k = first;
  }
  const positions = new Int32Array(n);
  const stored: string[] = [''];
  let length = 1;
  for (let i = 0; i < n; i++) {
    if (canonical[i] !== i || rootOf[i] !== -1) continue;
    positions[i] = length;
    stored.push(names[i]!);
    length += names[i]!.length + 1;
  }
  const offsets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = canonical[i]!;
    if (c < 0) continue;
    const root = rootOf[c]!;
    offsets[i] = root < 0 ? positions[c]! : positions[root]! + names[root]!.length - names[c]!.length;
  }
  // One join and one encode (names are latin1, one byte per character, as the reader decodes them).
  const table = Buffer.from(`${stored.join('\0')}\0`, 'latin1');
  return { bytes: new Uint8Array(table.buffer, table.byteOffset, table.length), offsets };
}

function compareReversed(a: string, b: string): number {
  let i = a.length - 1;
  let j = b.length - 1;
  for (; i >= 0 && j >= 0; i--, j--) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** reversedTextOrder by comparisons alone (names beyond latin1, or too many for the packed keys). */
function sortedReversed(names: readonly string[]): number[] {
  const indices: number[] = [];
  for (let i = 0; i < names.length; i++) if (names[i] !== '') indices.push(i);
  return indices.sort((a, b) => compareReversed(names[a]!, names[b]!) || a - b);
}

/** Characters of a string's end packed into its sort key (8 bits each: the names are latin1). */
const KEY_CHARS = 4;
/** Indices below 2^21, so that key * 2^21 + index (at most 2^53 - 1) is an exact double. */
const KEY_INDEX_LIMIT = 0x200000;

/**
 * Indices of the non-empty strings, sorted by reversed text, equal strings by index. Most names differ in their
 * last four characters, so each is first sorted as one number (those characters reversed, then its index) by the
 * typed array's own sort, without a comparison call; only runs that share their last four characters are then
 * compared in full.
 */
function reversedTextOrder(names: readonly string[]): Int32Array | number[] {
  const n = names.length;
  const keys = n < KEY_INDEX_LIMIT ? new Float64Array(n) : undefined;
  let count = 0;
  for (let i = 0; keys && i < n; i++) {
    const name = names[i]!;
    const length = name.length;
    if (length === 0) continue;
    // Missing characters count as 0, below any character: a shorter string sorts first, as compareReversed has it.
    let key = 0;
    for (let k = 1; k <= KEY_CHARS; k++) {
      const c = k <= length ? name.charCodeAt(length - k) : 0;
      if (c > 0xff) return sortedReversed(names);
      key = key * 256 + c;
    }
    keys[count++] = key * KEY_INDEX_LIMIT + i;
  }
  if (!keys) return sortedReversed(names);
  const sorted = keys.subarray(0, count).sort();
  const order = new Int32Array(count);
  for (let k = 0; k < count; k++) order[k] = sorted[k]! % KEY_INDEX_LIMIT;
  // Runs with one key: strings of up to KEY_CHARS characters in a run are equal (already in index order).
  for (let start = 0; start < count;) {
    const key = Math.floor(sorted[start]! / KEY_INDEX_LIMIT);
    let end = start + 1;
    while (end < count && Math.floor(sorted[end]! / KEY_INDEX_LIMIT) === key) end++;
    if (end - start > 1 && names[order[start]!]!.length > KEY_CHARS)
      order.subarray(start, end).sort((a, b) => compareReversed(names[a]!, names[b]!) || a - b);
    start = end;
  }
  return order;
}

export interface SymbolTableEntry {
  name: string;
  value: bigint;
  size: bigint;
  bind: number;
  type: number;
  visibility: number;
  shndx: number;
}

/**
 * `.symtab` written in place as symbols are added (24 bytes each, no object per symbol), with the names kept for
 * `.strtab`, which `finish()` lays out. Values come as a bigint or, without allocating, as two 32-bit halves.
 */
export class SymbolTableBuilder {
  private bytes: Uint8Array;
  private view: DataView;
  private readonly names: string[] = [];
  private firstGlobal = 0;

  constructor(expectedCount = 64) {
    this.bytes = new Uint8Array((Math.max(expectedCount, 1) + 1) * ELF64_SYM_SIZE);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Symbols added so far (without the null symbol). */
  get length(): number {
    return this.names.length;
  }

  /** Adds a symbol whose value is `high * 2^32 + low` (both unsigned 32-bit); returns its position. */
  addSplit(
    name: string,
    bind: number,
    type: number,
    visibility: number,
    shndx: number,
    low: number,
    high: number,
    size: bigint,
  ): number {
    const index = this.push(name, bind);
    const at = this.write(index, bind, type, visibility, shndx, size);
    this.view.setUint32(at + 8, low, true);
    this.view.setUint32(at + 12, high, true);
    return index;
  }

  add(e: SymbolTableEntry): number {
    const index = this.push(e.name, e.bind);
    this.set(index, e);
    return index;
  }

  /** Rewrites the symbol at `index` (a slot added early whose contents are decided later; keep its binding). */
  set(index: number, e: SymbolTableEntry): void {
    this.names[index] = e.name;
    const at = this.write(index, e.bind, e.type, e.visibility, e.shndx, e.size);
    this.view.setBigUint64(at + 8, e.value >= 0n ? e.value : BigInt.asUintN(64, e.value), true);
  }

  private push(name: string, bind: number): number {
    const index = this.names.length;
    if ((index + 2) * ELF64_SYM_SIZE > this.bytes.length) this.grow();
    this.names.push(name);
    if (bind !== 0 && this.firstGlobal === 0) this.firstGlobal = index + 1;
    return index;
  }

  /** Everything but the name and the value; returns the entry's offset. */
  private write(
    index: number,
    bind: number,
    type: number,
    visibility: number,
    shndx: number,
    size: bigint,
  ): number {
    const at = (index + 1) * ELF64_SYM_SIZE;
    this.bytes[at + 4] = (bind << 4) | (type & 0xf);
    this.bytes[at + 5] = visibility & 3;
    this.view.setUint16(at + 6, shndx, true);
    this.view.setBigUint64(at + 16, size >= 0n ? size : BigInt.asUintN(64, size), true);
    return at;
  }

  /** The symbols added so far, as entries (for the link map). */
  entries(): SymbolTableEntry[] {
    return this.names.map((name, i) => {
      const at = (i + 1) * ELF64_SYM_SIZE;
      return {
        name,
        value: this.view.getBigUint64(at + 8, true),
        size: this.view.getBigUint64(at + 16, true),
        bind: this.bytes[at + 4]! >> 4,
        type: this.bytes[at + 4]! & 0xf,
        visibility: this.bytes[at + 5]! & 3,
        shndx: this.view.getUint16(at + 6, true),
      };
    });
  }

  /** `.symtab` (Elf64_Sym entries, or Elf32_Sym for ELFCLASS32: values and sizes truncated to 32 bits). */
  finish(elfClass = ELFCLASS64): { symtab: Uint8Array; strtab: Uint8Array; firstGlobal: number } {
    const { bytes: strtab, offsets } = layoutStrings(this.names);
    const count = this.names.length;
    for (let i = 0; i < count; i++) this.view.setUint32((i + 1) * ELF64_SYM_SIZE, offsets[i]!, true);
    const firstGlobal = this.firstGlobal === 0 ? count + 1 : this.firstGlobal;
    const symtab = this.bytes.subarray(0, (count + 1) * ELF64_SYM_SIZE);
    if (elfClass === ELFCLASS64) return { symtab, strtab, firstGlobal };
    return { symtab: narrowSymbols(symtab, count + 1), strtab, firstGlobal };
  }

  private grow(): void {
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes);
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/** Elf64_Sym entries (name, info, other, shndx, value, size) repacked as Elf32_Sym (name, value, size, info, other, shndx). */
function narrowSymbols(wide: Uint8Array, count: number): Uint8Array {
  const from = new DataView(wide.buffer, wide.byteOffset, wide.byteLength);
  const out = new Uint8Array(count * ELF32_SYM_SIZE);
  const to = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const a = i * ELF64_SYM_SIZE;
    const b = i * ELF32_SYM_SIZE;
    to.setUint32(b, from.getUint32(a, true), true);
    to.setUint32(b + 4, from.getUint32(a + 8, true), true);
    to.setUint32(b + 8, from.getUint32(a + 16, true), true);
    out[b + 12] = wide[a + 4]!;
    out[b + 13] = wide[a + 5]!;
    to.setUint16(b + 14, from.getUint16(a + 6, true), true);
  }
  return out;
}

/** Serializes `.symtab` + `.strtab`; locals must come first (the caller orders them). */
export function buildSymbolTable(entries: SymbolTableEntry[]): {
  symtab: Uint8Array;
  strtab: Uint8Array;
  firstGlobal: number;
} {
  const builder = new SymbolTableBuilder(entries.length);
  for (const e of entries) builder.add(e);
  return builder.finish();
}

export const SYMTAB_TYPE = SHT_SYMTAB;

/**
 * The relocatable object GNU ld makes of a raw file under `-b binary`: the bytes as a writable `.data` section
 * (alignment 1) and `_binary_NAME_start`, `_binary_NAME_end` and the absolute `_binary_NAME_size`, where NAME is
 * the file name as given with every character other than a letter or digit replaced by `_`.
 */
export function writeBinaryObject(fileName: string, data: Uint8Array): Uint8Array {
  const stem = `_binary_${fileName.replace(/[^A-Za-z0-9]/g, '_')}`;
  const encoder = new TextEncoder();
  const names = ['', `${stem}_end`, `${stem}_start`, `${stem}_size`];
  const strtab: number[] = [0];
  const nameOffsets = names.map((n) => {
    if (n === '') return 0;
    const at = strtab.length;
    strtab.push(...encoder.encode(n), 0);
    return at;
  });
  const shstrNames = ['', '.data', '.symtab', '.strtab', '.shstrtab'];
  const shstrtab: number[] = [0];
  const shNames = shstrNames.map((n) => {
    if (n === '') return 0;
    const at = shstrtab.length;
    shstrtab.push(...encoder.encode(n), 0);
    return at;
  });
  const size = BigInt(data.length);
  // null, the .data section symbol, then the globals: end and start in .data (index 1), size absolute.
  const symbols: Array<[number, number, number, bigint]> = [
    [0, 0, 0, 0n],
    [0, 0x03, 1, 0n],
    [nameOffsets[1]!, 0x10, 1, size],
    [nameOffsets[2]!, 0x10, 1, 0n],
    [nameOffsets[3]!, 0x10, 0xfff1, size],
  ];
  const dataOffset = ELF64_EHDR_SIZE;
  const symtabOffset = alignTo(dataOffset + data.length, 8);
  const strtabOffset = symtabOffset + symbols.length * 24;
  const shstrtabOffset = strtabOffset + strtab.length;
  const shoff = alignTo(shstrtabOffset + shstrtab.length, 8);
  const out = new Uint8Array(shoff + 5 * ELF64_SHDR_SIZE);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV]);
  view.setUint16(16, 1, true); // ET_REL
  view.setUint16(18, EM_X86_64, true);
  view.setUint32(20, EV_CURRENT, true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint16(52, ELF64_EHDR_SIZE, true);
  view.setUint16(58, ELF64_SHDR_SIZE, true);
  view.setUint16(60, 5, true);
  view.setUint16(62, 4, true);
  out.set(data, dataOffset);
  symbols.forEach(([name, info, shndx, value], i) => {
    const at = symtabOffset + i * 24;
    view.setUint32(at, name, true);
    view.setUint8(at + 4, info);
    view.setUint16(at + 6, shndx, true);
    view.setBigUint64(at + 8, value, true);
  });
  out.set(strtab, strtabOffset);
  out.set(shstrtab, shstrtabOffset);
  const header = (
    index: number,
    fields: [number, number, number, number, number, number, bigint, bigint],
  ) => {
    const [type, flags, offset, size, link, info, align, entsize] = fields;
    const at = shoff + index * ELF64_SHDR_SIZE;
    view.setUint32(at, shNames[index]!, true);
    view.setUint32(at + 4, type, true);
    view.setBigUint64(at + 8, BigInt(flags), true);
    view.setBigUint64(at + 24, BigInt(offset), true);
    view.setBigUint64(at + 32, BigInt(size), true);
    view.setUint32(at + 40, link, true);
    view.setUint32(at + 44, info, true);
    view.setBigUint64(at + 48, align, true);
    view.setBigUint64(at + 56, entsize, true);
  };
  header(1, [SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, dataOffset, data.length, 0, 0, 1n, 0n]);
  header(2, [SHT_SYMTAB, 0, symtabOffset, symbols.length * 24, 3, 2, 8n, 24n]);
  header(3, [SHT_STRTAB, 0, strtabOffset, strtab.length, 0, 0, 1n, 0n]);
  header(4, [SHT_STRTAB, 0, shstrtabOffset, shstrtab.length, 0, 0, 1n, 0n]);
  return out;
}
