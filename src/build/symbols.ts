/**
 * The kernel's backtrace symbol table. The kernel reserves a `.ksyms` section starting with a magic
 * word (src/kernel/lib/ksyms.asm); after linking, this writes the kernel's code symbols into it:
 *   u64 count; count × { u64 address; u64 name_offset }; names (0-terminated, offsets from the table)
 * so that panics print `function+offset` without the kernel parsing its own ELF file.
 */
import { UserError } from '../errors.js';
import { cString, readSections } from './elf-sections.js';

/** "OSKSYMS0" little-endian: what the section holds before the build fills it. */
export const KSYMS_MAGIC = 0x30534d59534b534fn;
export const KSYMS_SECTION = '.ksyms';

const SHT_SYMTAB = 2;
const SHF_EXECINSTR = 0x4n;
const STT_NOTYPE = 0;
const STT_FUNC = 2;
const ENTRY_SIZE = 16;
const HEADER_SIZE = 8;

export interface KernelSymbol {
  name: string;
  address: bigint;
}

/**
 * Code symbols worth showing in a backtrace: named routines in executable sections. Local labels
 * (`kmain.done`, nasm's `..@` macro labels) and linker-script markers are left out, so an address
 * reads as routine+offset.
 */
export function kernelCodeSymbols(elf: Uint8Array): KernelSymbol[] {
  const sections = readSections(elf);
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const symtab = sections.find((section) => section.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = sections[symtab.link];
  if (!strtab) return [];
  const symbols = new Map<bigint, string>();
  for (let at = symtab.offset + 24; at + 24 <= symtab.offset + symtab.size; at += 24) {
    const info = elf[at + 4]!;
    const sectionIndex = view.getUint16(at + 6, true);
    const type = info & 0xf;
    if (type !== STT_FUNC && type !== STT_NOTYPE) continue;
    const section = sections[sectionIndex];
    if (!section || (section.flags & SHF_EXECINSTR) === 0n) continue;
    const name = cString(elf, strtab.offset + view.getUint32(at, true));
    // Linker-script markers (`__kernel_start`) share addresses with routines; the routine name is the useful one.
    if (name === '' || name.includes('.') || name.startsWith('__')) continue;
    const address = view.getBigUint64(at + 8, true);
    if (!symbols.has(address)) symbols.set(address, name);
  }
  return [...symbols]
    .map(([address, name]) => ({ address, name }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** The table's bytes, as the kernel reads them. */
export function encodeSymbolTable(symbols: KernelSymbol[]): Uint8Array {
  const encoder = new TextEncoder();
  const names = symbols.map((symbol) => encoder.encode(symbol.name));
  const namesStart = HEADER_SIZE + symbols.length * ENTRY_SIZE;
  const size = namesStart + names.reduce((total, name) => total + name.length + 1, 0);
  const table = new Uint8Array(size);
  const view = new DataView(table.buffer);
  view.setBigUint64(0, BigInt(symbols.length), true);
  let nameAt = namesStart;
  symbols.forEach((symbol, index) => {
    view.setBigUint64(HEADER_SIZE + index * ENTRY_SIZE, symbol.address, true);
    view.setBigUint64(HEADER_SIZE + index * ENTRY_SIZE + 8, BigInt(nameAt), true);
    table.set(names[index]!, nameAt);
    nameAt += names[index]!.length + 1;
  });
  return table;
}

/**
 * A copy of the linked kernel with its code symbols written into `.ksyms`; the kernel unchanged when it
 * has no such section. Fails when the section was already filled or is too small for the table.
 */
export function embedSymbolTable(elf: Uint8Array): { elf: Uint8Array; symbolCount: number } {
  const section = readSections(elf).find((candidate) => candidate.name === KSYMS_SECTION);
  // A kernel of the user's own that reserves no table simply gets none.
  if (!section) return { elf, symbolCount: 0 };
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (section.size < HEADER_SIZE || view.getBigUint64(section.offset, true) !== KSYMS_MAGIC) {
    throw new UserError(
      `kernel: the ${KSYMS_SECTION} section does not start with the symbol-table placeholder`,
    );
  }
  const symbols = kernelCodeSymbols(elf);
  const table = encodeSymbolTable(symbols);
  if (table.length > section.size) {
    throw new UserError(
      `kernel: the symbol table needs ${table.length} bytes but ${KSYMS_SECTION} holds ${section.size}; raise KSYMS_CAPACITY in src/kernel/lib/ksyms.asm`,
    );
  }
  const output = elf.slice();
  output.fill(0, section.offset, section.offset + section.size);
  output.set(table, section.offset);
  return { elf: output, symbolCount: symbols.length };
}
