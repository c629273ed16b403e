/**
 * The GNU build ID of a finished ELF64 file, hashed as ld hashes it (bfd's elf_checksum_contents), so that
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
  const phoff = Number(view.getBigUint64(0x20, true));
  const shoff = Number(view.getBigUint64(0x28, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  const zeroed = (start: number, end: number): Uint8Array => {
    const bytes = file.slice(start, end);
    const from = Math.max(note.offset, start);
    const to = Math.min(note.offset + note.size, end);
    if (from < to) bytes.fill(0, from - start, to - start);
    return bytes;
  };

  const hash = createHash(algorithm);
  const header = file.slice(0, 64);
  header.fill(0, 0x20, 0x30);
  hash.update(header);
  hash.update(file.subarray(phoff, phoff + phnum * phentsize));
  const symtabStrings = new Set<number>();
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    if (view.getUint32(at + 4, true) === SHT_SYMTAB) symtabStrings.add(view.getUint32(at + 40, true));
  }
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const sectionHeader = file.slice(at, at + shentsize);
    sectionHeader.fill(0, 0x18, 0x20);
    hash.update(sectionHeader);
    const type = view.getUint32(at + 4, true);
    if (i === 0 || type === SHT_NOBITS || type === SHT_SYMTAB || i === shstrndx || symtabStrings.has(i))
      continue;
    const offset = Number(view.getBigUint64(at + 0x18, true));
    const size = Number(view.getBigUint64(at + 0x20, true));
    hash.update(zeroed(offset, offset + size));
  }
  return new Uint8Array(hash.digest());
}
