/**
 * Object writers: the laid-out sections, symbols and relocations become an ELF64 relocatable object
 * (symbol table ordered like nasm's: file, sections, locals in definition order, then globals) or a flat
 * binary (sections placed one after another from `org`, `.bss`-like sections not stored).
 */

import {
  ELF64_EHDR_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFOSABI_SYSV,
  EM_X86_64,
  ET_REL,
  EV_CURRENT,
  R_X86_64,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
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
import { ABSOLUTE_SYMBOL, type SymbolRef } from './encoder/types.js';
import type { Relocation, Section, SymbolEntry } from './layout.js';

export interface OutputError {
  relocation?: Relocation;
  message: string;
  /** nasm only warns when an address is truncated to fit its field. */
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

export interface ElfInput {
  fileName: string;
  sections: Section[];
  symbols: Map<string, SymbolEntry>;
  refs: Map<SymbolRef, Section | SymbolEntry>;
  /** Evaluates a `global name:function SIZE` size expression after layout. */
  symbolSize: (sym: SymbolEntry) => bigint;
  /** Reports a relocation that cannot be written (the object is still produced; the caller drops it). */
  onError?: (relocation: Relocation, message: string) => void;
}

function relocationType(r: Relocation): number {
  if (r.wrt === 'plt') return R_X86_64.PLT32;
  if (r.wrt === 'gotpcrel') return R_X86_64.GOTPCREL;
  if (r.wrt === 'got') return R_X86_64.GOT32;
  if (r.wrt === 'gottpoff' || r.wrt === 'tlsie') return R_X86_64.GOTTPOFF;
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

export function writeElf(input: ElfInput): Uint8Array {
  const { sections } = input;
  const sectionIndex = new Map<Section, number>();
  sections.forEach((s, i) => sectionIndex.set(s, i + 1));

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
  const all = [...input.symbols.values()]
    .filter((s) => s.definedPass > 0 || s.kind === 'extern' || s.kind === 'common')
    .sort((a, b) => a.order - b.order);
  const isGlobal = (s: SymbolEntry): boolean =>
    s.global !== undefined || s.kind === 'extern' || s.kind === 'common';
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
      value = s.commonAlign ?? 1n;
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
    return {
      name: strtab.add(s.name),
      info: (bind << 4) | type,
      other,
      shndx,
      value: BigInt.asUintN(64, value),
      size,
    };
  };
  for (const s of all) {
    if (isGlobal(s) || !emitted(s)) continue;
    syms.push(symbolEntry(s, STB_LOCAL));
  }
  const firstGlobal = syms.length;
  /** `wrt ..sym` against a label: the global symbol at that place (`section:offset` -> symbol index). */
  const globalAt = new Map<string, { index: number; value: bigint }>();
  for (const s of all) {
    if (!isGlobal(s) || !emitted(s)) continue;
    if (s.ref !== undefined) symIndexByRef.set(s.ref, syms.length);
    if (s.kind === 'label' && s.section) {
      const key = `${s.section.ref}:${s.offset}`;
      if (!globalAt.has(key)) globalAt.set(key, { index: syms.length, value: s.offset });
    }
    syms.push(symbolEntry(s, STB_GLOBAL));
  }
  // nasm: `wrt ..sym` relocates against the symbol itself, which must be a global defined at exactly that place
  const target = (r: Relocation): { index: number; addend: bigint } => {
    const index = symIndexByRef.get(r.symbol) ?? 0;
    if (r.wrt !== 'sym' || !('buffer' in (input.refs.get(r.symbol) ?? {})))
      return { index, addend: r.addend };
    const global = r.pcRelative ? undefined : globalAt.get(`${r.symbol}:${r.addend}`);
    if (!global) {
      input.onError?.(r, 'unable to find a suitable global symbol for this reference');
      return { index, addend: r.addend };
    }
    return { index: global.index, addend: 0n };
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
  for (const s of sections) {
    const flags = (s.alloc ? SHF_ALLOC : 0) | (s.write ? SHF_WRITE : 0) | (s.exec ? SHF_EXECINSTR : 0);
    headers.push({
      name: shstrtab.add(s.name),
      type: s.nobits ? SHT_NOBITS : SHT_PROGBITS,
      flags: BigInt(flags),
      data: sectionBytes(s),
      size: s.size,
      link: 0,
      info: 0,
      align: s.align,
      entsize: 0,
    });
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
  const symtabData = new Uint8Array(syms.length * ELF64_SYM_SIZE);
  const symView = new DataView(symtabData.buffer);
  syms.forEach((s, i) => {
    const at = i * ELF64_SYM_SIZE;
    symView.setUint32(at, s.name, true);
    symView.setUint8(at + 4, s.info);
    symView.setUint8(at + 5, s.other);
    symView.setUint16(at + 6, s.shndx, true);
    symView.setBigUint64(at + 8, s.value, true);
    symView.setBigUint64(at + 16, s.size, true);
  });
  headers.push({
    name: shstrtab.add('.symtab'),
    type: SHT_SYMTAB,
    flags: 0n,
    data: symtabData,
    size: symtabData.length,
    link: symtabIndex + 1,
    info: firstGlobal,
    align: 8,
    entsize: ELF64_SYM_SIZE,
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
  for (const s of sections) {
    if (s.relocations.length === 0) continue;
    const data = new Uint8Array(s.relocations.length * ELF64_RELA_SIZE);
    const view = new DataView(data.buffer);
    s.relocations.forEach((r, i) => {
      const at = i * ELF64_RELA_SIZE;
      const { index, addend } = target(r);
      view.setBigUint64(at, BigInt(r.offset), true);
      view.setBigUint64(at + 8, (BigInt(index) << 32n) | BigInt(relocationType(r)), true);
      view.setBigInt64(at + 16, addend, true);
    });
    headers.push({
      name: shstrtab.add('.rela' + s.name),
      type: SHT_RELA,
      flags: 0n,
      data,
      size: data.length,
      link: symtabIndex,
      info: sectionIndex.get(s)!,
      align: 8,
      entsize: ELF64_RELA_SIZE,
    });
  }
  shstrtabHeader.data = shstrtab.bytes();
  shstrtabHeader.size = shstrtabHeader.data.length;

  // ---- file layout as nasm's: header, section header table, section contents (each 16-aligned)
  const shoff = ELF64_EHDR_SIZE;
  let offset = shoff + (headers.length + 1) * ELF64_SHDR_SIZE;
  const offsets: number[] = [];
  for (const h of headers) {
    offset = Math.ceil(offset / 16) * 16;
    offsets.push(offset);
    if (h.type !== SHT_NOBITS) offset += h.data.length;
  }
  const total = Math.ceil(offset / 16) * 16;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV]);
  view.setUint16(16, ET_REL, true);
  view.setUint16(18, EM_X86_64, true);
  view.setUint32(20, EV_CURRENT, true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint16(52, ELF64_EHDR_SIZE, true);
  view.setUint16(58, ELF64_SHDR_SIZE, true);
  view.setUint16(60, headers.length + 1, true);
  view.setUint16(62, shstrtabIndex, true);
  headers.forEach((h, i) => {
    if (h.type !== SHT_NOBITS) out.set(h.data, offsets[i]!);
    const at = shoff + (i + 1) * ELF64_SHDR_SIZE;
    view.setUint32(at, h.name, true);
    view.setUint32(at + 4, h.type, true);
    view.setBigUint64(at + 8, h.flags, true);
    view.setBigUint64(at + 24, BigInt(offsets[i]!), true);
    view.setBigUint64(at + 32, BigInt(h.size), true);
    view.setUint32(at + 40, h.link, true);
    view.setUint32(at + 44, h.info, true);
    view.setBigUint64(at + 48, BigInt(h.align), true);
    view.setBigUint64(at + 56, BigInt(h.entsize), true);
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
      const bits = BigInt(r.size * 8);
      const fits =
        r.pcRelative || r.signed
          ? value >= -(1n << (bits - 1n)) && value < 1n << (bits - 1n)
          : value >= -(1n << (bits - 1n)) && value < 1n << bits;
      if (!fits && r.size < 8) {
        if (r.pcRelative)
          errors.push({ relocation: r, message: 'relative reference out of range after placing sections' });
        else
          errors.push({
            relocation: r,
            message: `address 0x${BigInt.asUintN(64, value).toString(16)} truncated to ${r.size * 8} bits`,
            warning: true,
          });
      }
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
