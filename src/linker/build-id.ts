/**
 * The GNU build ID of a finished ELF64 or ELF32 file, hashed as ld hashes it (bfd's elf_checksum_contents), so that
 * `--build-id=sha1|md5` gives ld's bytes whenever the rest of the file does.
 */
import { createHash } from 'node:crypto';

const SHT_SYMTAB = 2;
const SHT_NOBITS = 8;

/**
 * The digest over: the ELF header with e_phoff and e_shoff zero, every program header, then per section its
 * header with sh_offset zero followed by its contents. The note is still all zeros when ld hashes (it writes
 * the note afterwards), and ld's own .symtab, .strtab and .shstrtab have no contents at that point.
 */
export function elfBuildId(
  file: Uint8Array,
  note: { offset: number; size: number },
  algorithm: 'sha1' | 'md5',
): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  // ELF32 (elf32-i386) has 4-byte offsets and addresses: its header, program and section headers are smaller.
  const elf64 = file[4] === 2;
  const word = (at: number) => (elf64 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true));
  const phoff = word(elf64 ? 0x20 : 0x1c);
  const shoff = word(elf64 ? 0x28 : 0x20);
  const half = (at64: number, at32: number) => view.getUint16(elf64 ? at64 : at32, true);
  const phentsize = half(0x36, 0x2a);
  const phnum = half(0x38, 0x2c);
  const shentsize = half(0x3a, 0x2e);
  const shnum = half(0x3c, 0x30);
  const shstrndx = half(0x3e, 0x32);
  const zeroed = (start: number, end: number): Uint8Array => {
    const bytes = file.slice(start, end);
    const from = Math.max(note.offset, start);
    const to = Math.min(note.offset + note.size, end);
    if (from < to) bytes.fill(0, from - start, to - start);
    return bytes;
  };

  const hash = createHash(algorithm);
  const header = file.slice(0, elf64 ? 64 : 52);
  if (elf64) header.fill(0, 0x20, 0x30);
  else header.fill(0, 0x1c, 0x24);
  hash.update(header);
  hash.update(file.subarray(phoff, phoff + phnum * phentsize));
  // sh_link, sh_offset and sh_size within a section header.
  const [linkAt, offsetAt, sizeAt] = elf64 ? [40, 0x18, 0x20] : [24, 0x10, 0x14];
  const symtabStrings = new Set<number>();
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    if (view.getUint32(at + 4, true) === SHT_SYMTAB) symtabStrings.add(view.getUint32(at + linkAt, true));
  }
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const sectionHeader = file.slice(at, at + shentsize);
    sectionHeader.fill(0, offsetAt, offsetAt + (elf64 ? 8 : 4));
    hash.update(sectionHeader);
    const type = view.getUint32(at + 4, true);
    if (i === 0 || type === SHT_NOBITS || type === SHT_SYMTAB || i === shstrndx || symtabStrings.has(i))
      continue;
    const offset = word(at + offsetAt);
    const size = word(at + sizeAt);
    hash.update(zeroed(offset, offset + size));
  }
  return new Uint8Array(hash.digest());
}
