/**
 * `.note.gnu.property` (gcc -fcf-protection, gas -mx86-used-note): ld merges every object's GNU properties into
 * one note, kept in the first object's section, and drops the section when nothing is left (bfd's
 * _bfd_elf_link_setup_gnu_properties with the x86 merge rules). An AND property (x86 feature 1: IBT, SHSTK)
 * survives only with the bits every object has, so one object without the note (a nasm file) removes it; an OR
 * property (ISA needed, features used) collects the bits of the objects that have it.
 */
import { SHT_NOTE } from '../elf/constants.js';
import type { InputFile, InputSection } from './model.js';

const NT_GNU_PROPERTY_TYPE_0 = 5;
const AND_LO = 0xc0000002; // GNU_PROPERTY_X86_UINT32_AND_LO .. _HI
const AND_HI = 0xc0007fff;
const OR_LO = 0xc0008000; // GNU_PROPERTY_X86_UINT32_OR_LO .. _HI
const OR_HI = 0xc000ffff;
const GENERIC_OR_LO = 0xb0008000; // GNU_PROPERTY_UINT32_OR_LO .. _HI
const GENERIC_OR_HI = 0xb000ffff;
const GENERIC_AND_LO = 0xb0000000; // GNU_PROPERTY_UINT32_AND_LO .. _HI
const GENERIC_AND_HI = 0xb0007fff;

const isAnd = (type: number) =>
  (type >= AND_LO && type <= AND_HI) || (type >= GENERIC_AND_LO && type <= GENERIC_AND_HI);
const isOr = (type: number) =>
  (type >= OR_LO && type <= OR_HI) || (type >= GENERIC_OR_LO && type <= GENERIC_OR_HI);

/** The 32-bit properties of one object's notes, by type (other kinds of property are left as they are). */
function readProperties(sections: InputSection[], wordSize: number): Map<number, number> | undefined {
  const properties = new Map<number, number>();
  for (const section of sections) {
    const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
    let at = 0;
    while (at + 12 <= view.byteLength) {
      const namesz = view.getUint32(at, true);
      const descsz = view.getUint32(at + 4, true);
      const type = view.getUint32(at + 8, true);
      const desc = at + 12 + ((namesz + 3) & ~3);
      if (type !== NT_GNU_PROPERTY_TYPE_0 || desc + descsz > view.byteLength) return undefined;
      for (let p = desc; p + 8 <= desc + descsz;) {
        const prType = view.getUint32(p, true);
        const size = view.getUint32(p + 4, true);
        if (size !== 4 || !(isAnd(prType) || isOr(prType))) return undefined;
        properties.set(prType, view.getUint32(p + 8, true));
        p += 8 + ((size + wordSize - 1) & -wordSize);
      }
      at = desc + ((descsz + wordSize - 1) & -wordSize);
    }
  }
  return properties;
}

/**
 * Merges the live inputs' GNU property notes in place: the first section gets the merged note (or is dropped when
 * it would be empty), the others are dropped. Leaves the link alone when a note holds a property it does not know.
 */
export function mergeGnuProperties(files: InputFile[], wordSize: number): void {
  const perFile = files.map((file) =>
    file.sections.filter(
      (s): s is InputSection =>
        s !== undefined && s.live && s.type === SHT_NOTE && s.name === '.note.gnu.property',
    ),
  );
  const notes = perFile.flat();
  if (notes.length === 0) return;
  // bfd merges over the ELF objects of the link (linker-made ones aside), with or without a note.
  let merged: Map<number, number> | undefined;
  for (let i = 0; i < files.length; i++) {
    if (files[i]!.order === Number.MAX_SAFE_INTEGER) continue;
    const properties = readProperties(perFile[i]!, wordSize);
    if (!properties) return;
    if (!merged) {
      merged = properties;
      continue;
    }
    for (const type of new Set([...merged.keys(), ...properties.keys()])) {
      const a = merged.get(type);
      const b = properties.get(type);
      if (isAnd(type)) {
        const value = a !== undefined && b !== undefined ? a & b : 0;
        if (value === 0) merged.delete(type);
        else merged.set(type, value);
      } else merged.set(type, (a ?? 0) | (b ?? 0));
    }
  }
  for (const [type, value] of merged ?? []) if (value === 0 && isAnd(type)) merged!.delete(type);
  const [first, ...rest] = notes;
  for (const section of rest) section.live = false;
  const types = [...(merged ?? new Map()).keys()].sort((x, y) => x - y);
  if (types.length === 0) {
    first!.live = false;
    return;
  }
  const entry = 8 + ((4 + wordSize - 1) & -wordSize);
  const data = new Uint8Array(16 + types.length * entry);
  const view = new DataView(data.buffer);
  view.setUint32(0, 4, true);
  view.setUint32(4, types.length * entry, true);
  view.setUint32(8, NT_GNU_PROPERTY_TYPE_0, true);
  data.set([0x47, 0x4e, 0x55, 0], 12); // "GNU"
  types.forEach((type, i) => {
    view.setUint32(16 + i * entry, type, true);
    view.setUint32(20 + i * entry, 4, true);
    view.setUint32(24 + i * entry, merged!.get(type)!, true);
  });
  first!.data = data;
  first!.size = data.length;
}
