/** Just enough ELF64 reading for the build's post-link steps: section headers, strings, virtual reads. */
import { UserError } from '../errors.js';

const SHT_NOBITS = 8;

export interface Section {
  name: string;
  type: number;
  flags: bigint;
  address: bigint;
  offset: number;
  size: number;
  link: number;
}

/** Sections of an ELF64 little-endian file, with their names. */
export function readSections(elf: Uint8Array): Section[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || view.getUint32(0, false) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new UserError('kernel: the linker output is not an ELF64 little-endian file');
  }
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  if (shoff + shnum * shentsize > elf.length)
    throw new UserError('kernel: section headers run past the end of the file');
  const raw = Array.from({ length: shnum }, (_, index) => {
    const at = shoff + index * shentsize;
    return {
      nameOffset: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      flags: view.getBigUint64(at + 8, true),
      address: view.getBigUint64(at + 16, true),
      offset: Number(view.getBigUint64(at + 24, true)),
      size: Number(view.getBigUint64(at + 32, true)),
      link: view.getUint32(at + 40, true),
    };
  });
  const names = raw[shstrndx];
  return raw.map(({ nameOffset, ...section }) => ({
    ...section,
    name: names ? cString(elf, names.offset + nameOffset) : '',
  }));
}

export function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

/** File offset of a virtual address inside an allocated section with file contents, or undefined. */
export function fileOffsetOf(sections: Section[], address: bigint): number | undefined {
  for (const section of sections) {
    if (section.type === SHT_NOBITS || section.address === 0n) continue;
    if (address >= section.address && address < section.address + BigInt(section.size)) {
      return section.offset + Number(address - section.address);
    }
  }
  return undefined;
}
