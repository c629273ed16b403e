/**
 * PE32+ output for `--oformat efi-app-x86_64` (Microsoft PE/COFF spec, UEFI 2.x "Image" chapter): the laid-out
 * ELF sections become page-aligned PE sections, absolute 64-bit pointers become a `.reloc` table of DIR64
 * entries so firmware can load the image anywhere, and the header fields (SizeOfImage, SizeOfHeaders, CheckSum,
 * AddressOfEntryPoint, subsystem EFI application) are filled as firmware checks them.
 */
import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS } from '../elf/constants.js';
import { UserError } from '../errors.js';
import type { OutputSection } from './model.js';

export const SECTION_ALIGNMENT = 0x1000;
export const FILE_ALIGNMENT = 0x200;
const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
const IMAGE_FILE_LINE_NUMS_STRIPPED = 0x0004;
const IMAGE_FILE_LOCAL_SYMS_STRIPPED = 0x0008;
const IMAGE_FILE_LARGE_ADDRESS_AWARE = 0x0020;
const IMAGE_FILE_DEBUG_STRIPPED = 0x0200;
const PE32_PLUS_MAGIC = 0x20b;
const IMAGE_SUBSYSTEM_EFI_APPLICATION = 10;
const IMAGE_REL_BASED_ABSOLUTE = 0;
const IMAGE_REL_BASED_DIR64 = 10;
const IMAGE_DIRECTORY_ENTRY_BASERELOC = 5;
const DATA_DIRECTORIES = 16;
const SCN_CNT_CODE = 0x20;
const SCN_CNT_INITIALIZED_DATA = 0x40;
const SCN_CNT_UNINITIALIZED_DATA = 0x80;
const SCN_MEM_DISCARDABLE = 0x02000000;
const SCN_MEM_EXECUTE = 0x20000000;
const SCN_MEM_READ = 0x40000000;
const SCN_MEM_WRITE = 0x80000000;
const DOS_HEADER_SIZE = 0x40;
const COFF_HEADER_SIZE = 20;
const OPTIONAL_HEADER_SIZE = 112 + DATA_DIRECTORIES * 8;
const SECTION_HEADER_SIZE = 40;

export interface PeInput {
  sections: OutputSection[];
  contents: Map<OutputSection, Uint8Array>;
  entry: bigint;
  /** Addresses (link-time VAs) of 64-bit absolute pointers. */
  absolute64: bigint[];
}

interface PeSection {
  name: string;
  rva: number;
  virtualSize: number;
  /** Bytes backed by the file (the rest of virtualSize is zero-filled). */
  raw: Uint8Array;
  characteristics: number;
}

export function writePe(input: PeInput): Uint8Array {
  const alloc = input.sections
    .filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0n)
    .sort((a, b) => (a.address < b.address ? -1 : 1));
  if (alloc.length === 0) throw new UserError('EFI application has no sections');
  const lowest = alloc[0]!.address;
  const pageDown = (v: bigint) => v & ~BigInt(SECTION_ALIGNMENT - 1);
  const pageUp = (v: bigint) => pageDown(v + BigInt(SECTION_ALIGNMENT - 1));
  // Headers take the first page: the image base sits one page (at least) below the first section.
  const imageBase = pageDown(lowest) - BigInt(SECTION_ALIGNMENT);
  if (imageBase < 0n)
    throw new UserError(
      `EFI application sections start at 0x${lowest.toString(16)}: leave at least one page below them for the PE headers`,
    );

  // Group output sections that share a page into one PE section.
  const groups: OutputSection[][] = [];
  for (const s of alloc) {
    const last = groups[groups.length - 1];
    const lastEnd = last ? last[last.length - 1]!.address + last[last.length - 1]!.size : 0n;
    if (last && pageDown(s.address) < pageUp(lastEnd)) last.push(s);
    else groups.push([s]);
  }
  const sections: PeSection[] = groups.map((group) => {
    const start = pageDown(group[0]!.address);
    const end = group.reduce((m, s) => (s.address + s.size > m ? s.address + s.size : m), 0n);
    let rawEnd = start;
    let characteristics = SCN_MEM_READ;
    for (const s of group) {
      if (s.type !== SHT_NOBITS && s.address + s.size > rawEnd) rawEnd = s.address + s.size;
      if (s.flags & SHF_EXECINSTR) characteristics |= SCN_CNT_CODE | SCN_MEM_EXECUTE;
      if (s.flags & SHF_WRITE) characteristics |= SCN_MEM_WRITE;
      characteristics |= s.type === SHT_NOBITS ? SCN_CNT_UNINITIALIZED_DATA : SCN_CNT_INITIALIZED_DATA;
    }
    if (characteristics & SCN_CNT_CODE)
      characteristics &= ~(SCN_CNT_INITIALIZED_DATA | SCN_CNT_UNINITIALIZED_DATA);
    else if (rawEnd > start) characteristics &= ~SCN_CNT_UNINITIALIZED_DATA;
    const raw = new Uint8Array(Number(rawEnd - start));
    for (const s of group) {
      const bytes = input.contents.get(s);
      if (bytes) raw.set(bytes, Number(s.address - start));
    }
    return {
      name: group[0]!.name,
      rva: Number(start - imageBase),
      virtualSize: Number(end - start),
      raw,
      characteristics,
    };
  });

  const lastSection = sections[sections.length - 1]!;
  const relocRva = Number(pageUp(BigInt(lastSection.rva + lastSection.virtualSize)));
  const reloc = buildBaseRelocations(input.absolute64.map((a) => Number(a - imageBase)));
  sections.push({
    name: '.reloc',
    rva: relocRva,
    virtualSize: reloc.length,
    raw: reloc,
    characteristics: SCN_CNT_INITIALIZED_DATA | SCN_MEM_DISCARDABLE | SCN_MEM_READ,
  });

  const peOffset = DOS_HEADER_SIZE;
  const headersEnd =
    peOffset + 4 + COFF_HEADER_SIZE + OPTIONAL_HEADER_SIZE + sections.length * SECTION_HEADER_SIZE;
  const sizeOfHeaders = alignTo(headersEnd, FILE_ALIGNMENT);
  if (sizeOfHeaders > sections[0]!.rva) throw new UserError('PE headers do not fit below the first section');
  let fileOffset = sizeOfHeaders;
  const rawOffsets = sections.map((s) => {
    if (s.raw.length === 0) return 0;
    const at = fileOffset;
    fileOffset += alignTo(s.raw.length, FILE_ALIGNMENT);
    return at;
  });
  const out = new Uint8Array(fileOffset);
  const view = new DataView(out.buffer);
  // DOS header: only e_magic and e_lfanew matter to UEFI firmware.
  out[0] = 0x4d;
  out[1] = 0x5a;
  view.setUint32(0x3c, peOffset, true);
  out.set([0x50, 0x45, 0, 0], peOffset);
  const coff = peOffset + 4;
  view.setUint16(coff, IMAGE_FILE_MACHINE_AMD64, true);
  view.setUint16(coff + 2, sections.length, true);
  view.setUint16(coff + 16, OPTIONAL_HEADER_SIZE, true);
  view.setUint16(
    coff + 18,
    IMAGE_FILE_EXECUTABLE_IMAGE |
      IMAGE_FILE_LINE_NUMS_STRIPPED |
      IMAGE_FILE_LOCAL_SYMS_STRIPPED |
      IMAGE_FILE_LARGE_ADDRESS_AWARE |
      IMAGE_FILE_DEBUG_STRIPPED,
    true,
  );
  const opt = coff + COFF_HEADER_SIZE;
  const sum = (mask: number) =>
    sections
      .filter((s) => s.characteristics & mask)
      .reduce((n, s) => n + alignTo(s.raw.length || s.virtualSize, FILE_ALIGNMENT), 0);
  const sizeOfImage = alignTo(relocRva + reloc.length, SECTION_ALIGNMENT);
  const entryRva = input.entry - imageBase;
  if (entryRva < 0n || entryRva >= BigInt(sizeOfImage))
    throw new UserError(`entry point 0x${input.entry.toString(16)} lies outside the EFI image`);
  const firstCode = sections.find((s) => s.characteristics & SCN_CNT_CODE);
  view.setUint16(opt, PE32_PLUS_MAGIC, true);
  out[opt + 2] = 2; // linker version, informational
  out[opt + 3] = 40;
  view.setUint32(opt + 4, sum(SCN_CNT_CODE), true);
  view.setUint32(opt + 8, sum(SCN_CNT_INITIALIZED_DATA), true);
  view.setUint32(opt + 12, sum(SCN_CNT_UNINITIALIZED_DATA), true);
  view.setUint32(opt + 16, Number(entryRva), true);
  view.setUint32(opt + 20, firstCode?.rva ?? 0, true);
  view.setBigUint64(opt + 24, imageBase, true);
  view.setUint32(opt + 32, SECTION_ALIGNMENT, true);
  view.setUint32(opt + 36, FILE_ALIGNMENT, true);
  view.setUint32(opt + 56, sizeOfImage, true);
  view.setUint32(opt + 60, sizeOfHeaders, true);
  view.setUint16(opt + 68, IMAGE_SUBSYSTEM_EFI_APPLICATION, true);
  view.setBigUint64(opt + 72, 0x100000n, true); // stack reserve
  view.setBigUint64(opt + 80, 0x1000n, true); // stack commit
  view.setBigUint64(opt + 88, 0x100000n, true); // heap reserve
  view.setBigUint64(opt + 96, 0x1000n, true); // heap commit
  view.setUint32(opt + 108, DATA_DIRECTORIES, true);
  const directories = opt + 112;
  view.setUint32(directories + IMAGE_DIRECTORY_ENTRY_BASERELOC * 8, relocRva, true);
  view.setUint32(directories + IMAGE_DIRECTORY_ENTRY_BASERELOC * 8 + 4, reloc.length, true);
  const headers = directories + DATA_DIRECTORIES * 8;
  sections.forEach((s, i) => {
    const at = headers + i * SECTION_HEADER_SIZE;
    const name = Buffer.from(s.name.slice(0, 8), 'latin1');
    out.set(name, at);
    view.setUint32(at + 8, s.virtualSize, true);
    view.setUint32(at + 12, s.rva, true);
    view.setUint32(at + 16, alignTo(s.raw.length, FILE_ALIGNMENT), true);
    view.setUint32(at + 20, rawOffsets[i]!, true);
    view.setUint32(at + 36, s.characteristics >>> 0, true);
    if (s.raw.length > 0) out.set(s.raw, rawOffsets[i]!);
  });
  view.setUint32(opt + 64, peChecksum(out, opt + 64), true);
  return out;
}

/** `.reloc`: one block per 4 KiB page, each entry (type << 12 | offset), blocks padded to 4 bytes. */
export function buildBaseRelocations(rvas: number[]): Uint8Array {
  const sorted = [...new Set(rvas)].sort((a, b) => a - b);
  const blocks: number[][] = [];
  let page = -1;
  for (const rva of sorted) {
    const p = rva & ~(SECTION_ALIGNMENT - 1);
    if (p !== page) {
      blocks.push([p]);
      page = p;
    }
    blocks[blocks.length - 1]!.push((IMAGE_REL_BASED_DIR64 << 12) | (rva - p));
  }
  // An empty table still gets one header-only block so the directory never points at nothing.
  if (blocks.length === 0) blocks.push([0]);
  const parts: number[] = [];
  for (const [pageRva, ...entries] of blocks) {
    if (entries.length % 2 === 1) entries.push(IMAGE_REL_BASED_ABSOLUTE << 12);
    const size = 8 + entries.length * 2;
    parts.push(pageRva! & 0xffff, pageRva! >>> 16, size & 0xffff, size >>> 16, ...entries);
  }
  const out = new Uint8Array(parts.length * 2);
  const view = new DataView(out.buffer);
  parts.forEach((v, i) => view.setUint16(i * 2, v, true));
  return out;
}

/** The PE image checksum (as IMAGEHLP's CheckSumMappedFile): 16-bit one's-complement-style sum plus file size. */
export function peChecksum(image: Uint8Array, checksumOffset: number): number {
  let sum = 0;
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const words = image.length >> 1;
  for (let i = 0; i < words; i++) {
    const at = i * 2;
    if (at === checksumOffset || at === checksumOffset + 2) continue;
    sum += view.getUint16(at, true);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (image.length & 1) {
    sum += image[image.length - 1]!;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + image.length) >>> 0;
}

function alignTo(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
