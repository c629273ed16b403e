/**
 * ELF64 executable writer shared by the linker (and anything else that emits executables): the caller decides
 * addresses and the file offsets of allocated sections; the writer places the remaining (non-allocated) sections,
 * builds `.shstrtab` and the section header table, and returns the bytes.
 */
import {
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_SYSV,
  EM_X86_64,
  ET_EXEC,
  EV_CURRENT,
  SHT_NOBITS,
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
  entry: bigint;
  /** Sections in header order, without the null section (so `sections[i]` gets index i + 1). */
  sections: ElfImageSection[];
  segments: ElfImageSegment[];
  /** End of the allocated contents (non-allocated sections are placed from here). */
  contentEnd: number;
}

/** Builds the section name table, places sections that have no offset yet, and serializes everything. */
export function writeElfExecutable(image: ElfImage): Uint8Array {
  const names = new StringTable();
  // GNU ld puts these three names first; doing the same keeps outputs byte-comparable.
  for (const special of ['.symtab', '.strtab'])
    if (image.sections.some((s) => s.name === special)) names.add(special);
  names.add('.shstrtab');
  for (const s of image.sections) names.add(s.name);
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
  let offset = Math.max(image.contentEnd, ELF64_EHDR_SIZE + image.segments.length * ELF64_PHDR_SIZE);
  for (const s of all) {
    if (s.offset !== undefined) continue;
    if (s.type === SHT_NOBITS) {
      s.offset = offset;
      continue;
    }
    offset = alignTo(offset, Math.max(1, s.align));
    s.offset = offset;
    offset += Number(s.size);
  }
  const shoff = alignTo(offset, 8);
  const total = shoff + (all.length + 1) * ELF64_SHDR_SIZE;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  // ELF header
  out.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV]);
  view.setUint16(16, image.type ?? ET_EXEC, true);
  view.setUint16(18, EM_X86_64, true);
  view.setUint32(20, EV_CURRENT, true);
  view.setBigUint64(24, image.entry, true);
  view.setBigUint64(32, BigInt(image.segments.length > 0 ? ELF64_EHDR_SIZE : 0), true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint16(52, ELF64_EHDR_SIZE, true);
  view.setUint16(54, ELF64_PHDR_SIZE, true);
  view.setUint16(56, image.segments.length, true);
  view.setUint16(58, ELF64_SHDR_SIZE, true);
  view.setUint16(60, all.length + 1, true);
  view.setUint16(62, all.length, true);
  image.segments.forEach((p, i) => {
    const at = ELF64_EHDR_SIZE + i * ELF64_PHDR_SIZE;
    view.setUint32(at, p.type, true);
    view.setUint32(at + 4, p.flags, true);
    view.setBigUint64(at + 8, BigInt(p.offset), true);
    view.setBigUint64(at + 16, p.vaddr, true);
    view.setBigUint64(at + 24, p.paddr, true);
    view.setBigUint64(at + 32, p.filesz, true);
    view.setBigUint64(at + 40, p.memsz, true);
    view.setBigUint64(at + 48, p.align, true);
  });
  all.forEach((s, i) => {
    if (s.type !== SHT_NOBITS) {
      if (s.write) s.write(out, s.offset!);
      else if (s.data) out.set(s.data.subarray(0, Number(s.size)), s.offset!);
    }
    const at = shoff + (i + 1) * ELF64_SHDR_SIZE;
    view.setUint32(at, nameOffsets[i]!, true);
    view.setUint32(at + 4, s.type, true);
    view.setBigUint64(at + 8, BigInt(s.flags >>> 0), true);
    view.setBigUint64(at + 16, s.addr, true);
    view.setBigUint64(at + 24, BigInt(s.offset!), true);
    view.setBigUint64(at + 32, s.size, true);
    view.setUint32(at + 40, s.link, true);
    view.setUint32(at + 44, s.info, true);
    view.setBigUint64(at + 48, BigInt(s.align), true);
    view.setBigUint64(at + 56, BigInt(s.entsize), true);
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
    const unique = [...new Set(this.order)];
    // Sorting by the reversed text puts each string right before the strings that end with it.
    const sorted = unique.map((_, i) => i).sort((a, b) => compareReversed(unique[a]!, unique[b]!));
    const rootOf = new Int32Array(unique.length).fill(-1);
    for (let k = sorted.length - 2; k >= 0; k--) {
      const next = sorted[k + 1]!;
      if (unique[next]!.endsWith(unique[sorted[k]!]!))
        rootOf[sorted[k]!] = rootOf[next]! >= 0 ? rootOf[next]! : next;
    }
    const offsets = new Map<string, number>([['', 0]]);
    const parts: string[] = [''];
    let length = 1;
    for (let i = 0; i < unique.length; i++) {
      if (rootOf[i]! >= 0) continue;
      offsets.set(unique[i]!, length);
      parts.push(unique[i]!);
      length += unique[i]!.length + 1;
    }
    // One join and one encode: far cheaper than writing 40k small strings one by one.
    const table = Buffer.from(`${parts.join('\0')}\0`, 'latin1');
    for (let i = 0; i < unique.length; i++) {
      const root = rootOf[i]!;
      if (root < 0) continue;
      const rootText = unique[root]!;
      offsets.set(unique[i]!, offsets.get(rootText)! + rootText.length - unique[i]!.length);
    }
    this.offsets = offsets;
    this.table = new Uint8Array(table.buffer, table.byteOffset, table.length);
    return this.table;
  }

  offsetOf(text: string): number {
    if (!this.offsets) this.finish();
    const offset = this.offsets!.get(text);
    if (offset === undefined) throw new Error(`string ${text} was not added to the table`);
    return offset;
  }
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
 * Serializes `.symtab` + `.strtab`; locals must come first (the caller orders them). Each distinct name is
 * stored once, without bfd's tail merging (as lld does): with tens of thousands of symbols the suffix sort
 * cost more than the whole relocation pass, and hardly any symbol name ends another one.
 */
export function buildSymbolTable(entries: SymbolTableEntry[]): {
  symtab: Uint8Array;
  strtab: Uint8Array;
  firstGlobal: number;
} {
  const symtab = new Uint8Array((entries.length + 1) * ELF64_SYM_SIZE);
  const view = new DataView(symtab.buffer);
  const nameOffsets = new Map<string, number>();
  const names: string[] = [''];
  let strtabLength = 1;
  let firstGlobal = entries.length + 1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = (i + 1) * ELF64_SYM_SIZE;
    if (e.bind !== 0 && firstGlobal > i + 1) firstGlobal = i + 1;
    let nameOffset = 0;
    if (e.name !== '') {
      const known = nameOffsets.get(e.name);
      if (known !== undefined) nameOffset = known;
      else {
        nameOffset = strtabLength;
        nameOffsets.set(e.name, nameOffset);
        names.push(e.name);
        strtabLength += e.name.length + 1;
      }
    }
    view.setUint32(at, nameOffset, true);
    symtab[at + 4] = (e.bind << 4) | (e.type & 0xf);
    symtab[at + 5] = e.visibility & 3;
    view.setUint16(at + 6, e.shndx, true);
    view.setBigUint64(at + 8, BigInt.asUintN(64, e.value), true);
    if (e.size !== 0n) view.setBigUint64(at + 16, BigInt.asUintN(64, e.size), true);
  }
  // Names are latin1 (as the reader decodes them): one character per byte, so the offsets above hold.
  const table = Buffer.from(`${names.join('\0')}\0`, 'latin1');
  const strtab = new Uint8Array(table.buffer, table.byteOffset, table.length);
  return { symtab, strtab, firstGlobal };
}

export const SYMTAB_TYPE = SHT_SYMTAB;
