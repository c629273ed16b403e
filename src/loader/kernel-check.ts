/**
 * The kernel ELF checks the built-in loaders make at boot (src/loader/elf.asm and relocate.asm), made on the host
 * with the same rules and the same words, so `ostool image`, `ostool build` and `ostool run --kernel` refuse a
 * kernel before writing anything instead of ~5 s later on the guest's serial port. The loaders keep their own copy
 * in assembly; tests/loader/kernel-check.test.ts checks that every message here appears verbatim there.
 *
 * What Limine (and so each loader) requires: an ELF64, little-endian, x86-64 ET_EXEC or ET_DYN file; a sane
 * program header table; PT_LOAD segments (those with p_memsz 0 ignored) whose data lies inside the file, with
 * p_filesz ≤ p_memsz, power-of-two p_align, not wrapping, not overlapping, and no page shared by two segments
 * with different permissions (Limine refuses that since 7.x); ET_EXEC ones in the top 2 GiB; and for ET_DYN,
 * dynamic relocation tables the loader can apply (RELA with R_X86_64_RELATIVE/64/GLOB_DAT/JUMP_SLOT, RELR).
 */

/** The loader's texts, after "kernel PATH". */
export const KERNEL_CHECK_MESSAGES = {
  notElf: ': not an ELF file (bad magic or too short)',
  elf32: ': is a 32-bit ELF (ELFCLASS32); the Limine protocol needs an ELF64 x86-64 kernel',
  bigEndian: ': is a big-endian ELF; an x86-64 kernel is little-endian',
  wrongMachine: ': ELF machine is not x86-64 (EM_X86_64)',
  notExecutable: ': is not an executable ELF (e_type must be ET_EXEC or ET_DYN)',
  badPhdrs: ': program header table is malformed or outside the file',
  filesz: ': a PT_LOAD segment has p_filesz larger than p_memsz',
  beyondFile: ": a PT_LOAD segment's data lies beyond the end of the file",
  lowerHalf:
    ': a PT_LOAD segment is below 0xffffffff80000000 (the Limine protocol only loads higher-half kernels)',
  wraps: ': a PT_LOAD segment wraps around the end of the address space',
  overlap: ': two PT_LOAD segments overlap in virtual memory',
  noSegments: ': has no PT_LOAD segment',
  alignNotPowerOfTwo: ": a PT_LOAD segment's p_align is not a power of two",
  sharedPage: ': two PT_LOAD segments with different permissions share a page',
  relocationOutside: ': a dynamic relocation or table lies outside the loaded image',
  relTable: ': has a DT_REL table (x86-64 kernels use DT_RELA)',
  badEntrySize: ': DT_RELAENT or DT_RELRENT has a size other than 24 or 8',
  unsupportedRelocation: ': has a dynamic relocation other than R_X86_64_RELATIVE, 64, GLOB_DAT, JUMP_SLOT',
  noSymtab: ': a symbolic relocation but no DT_SYMTAB',
} as const;

export type KernelCheckFailure = keyof typeof KERNEL_CHECK_MESSAGES;

export interface KernelCheckResult {
  failure: KernelCheckFailure;
  /** "kernel PATH: ...", the loader's wording. */
  message: string;
  /** The header field or structure the check looked at, for the host's error ("e_phoff", "PT_LOAD #2"). */
  field: string;
}

const KERNEL_LOWEST_ADDRESS = 0xffffffff80000000n;
const PAGE_SIZE = 0x1000n;
const ADDRESS_END = 1n << 64n;
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PHDR_SIZE = 56;
const ELF_HEADER_SIZE = 64;
const DT = {
  NULL: 0n,
  RELA: 7n,
  RELASZ: 8n,
  RELAENT: 9n,
  SYMTAB: 6n,
  SYMENT: 11n,
  REL: 17n,
  RELSZ: 18n,
  JMPREL: 23n,
  PLTRELSZ: 2n,
  RELRSZ: 35n,
  RELR: 36n,
  RELRENT: 37n,
};
const R_X86_64 = { NONE: 0, R64: 1, GLOB_DAT: 6, JUMP_SLOT: 7, RELATIVE: 8 };

interface Segment {
  index: number;
  /** p_flags' R, W and X bits. */
  permissions: number;
  vaddr: bigint;
  memsz: bigint;
  offset: bigint;
  filesz: bigint;
}

/** The first rule `kernel` breaks, in the order the loader checks them, or undefined when it would load. */
export function checkKernelElf(kernel: Uint8Array, path: string): KernelCheckResult | undefined {
  const fail = (failure: KernelCheckFailure, field: string): KernelCheckResult => ({
    failure,
    message: `kernel ${path}${KERNEL_CHECK_MESSAGES[failure]}`,
    field,
  });
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  const size = BigInt(kernel.length);
  if (kernel.length < ELF_HEADER_SIZE || view.getUint32(0, false) !== 0x7f454c46)
    return fail('notElf', 'e_ident');
  if (kernel[4] === 1) return fail('elf32', 'EI_CLASS');
  if (kernel[4] !== 2) return fail('notElf', 'EI_CLASS');
  if (kernel[5] !== 1) return fail('bigEndian', 'EI_DATA');
  if (view.getUint16(18, true) !== EM_X86_64) return fail('wrongMachine', 'e_machine');
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) return fail('notExecutable', 'e_type');
  if (view.getUint16(54, true) !== PHDR_SIZE) return fail('badPhdrs', 'e_phentsize');
  const phnum = view.getUint16(56, true);
  const phoff = view.getBigUint64(32, true);
  const phEnd = phoff + BigInt(phnum * PHDR_SIZE);
  if (phEnd >= ADDRESS_END || phEnd > size) return fail('badPhdrs', 'e_phoff/e_phnum');

  const header = (i: number) => Number(phoff) + i * PHDR_SIZE;
  // relocatable: ET_DYN with a PT_DYNAMIC (without one Limine 8.2.0 loads it at its link addresses)
  const relocatable =
    type === ET_DYN &&
    Array.from({ length: phnum }, (_, i) => view.getUint32(header(i), true)).includes(PT_DYNAMIC);
  const loads: Segment[] = [];
  let dynamic: Segment | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = header(i);
    const segment: Segment = {
      index: i,
      permissions: view.getUint32(at + 4, true) & 7,
      offset: view.getBigUint64(at + 8, true),
      vaddr: view.getBigUint64(at + 16, true),
      filesz: view.getBigUint64(at + 32, true),
      memsz: view.getBigUint64(at + 40, true),
    };
    const ptype = view.getUint32(at, true);
    if (ptype === PT_DYNAMIC && !dynamic) dynamic = segment;
    if (ptype !== PT_LOAD || segment.memsz === 0n) continue;
    const field = `program header ${i} (PT_LOAD)`;
    if (segment.filesz > segment.memsz) return fail('filesz', `${field} p_filesz`);
    const dataEnd = segment.filesz + segment.offset;
    if (dataEnd >= ADDRESS_END || dataEnd > size) return fail('beyondFile', `${field} p_offset/p_filesz`);
    const align = view.getBigUint64(at + 48, true);
    if (align > 1n && (align & (align - 1n)) !== 0n) return fail('alignNotPowerOfTwo', `${field} p_align`);
    if (!relocatable && segment.vaddr < KERNEL_LOWEST_ADDRESS) return fail('lowerHalf', `${field} p_vaddr`);
    const end = segment.vaddr + segment.memsz;
    if (end >= ADDRESS_END) return fail('wraps', `${field} p_vaddr/p_memsz`);
    const pages = (s: Segment) => [s.vaddr >> 12n, (s.vaddr + s.memsz - 1n) >> 12n] as const;
    const [first, last] = pages(segment);
    for (const earlier of loads) {
      const pair = `program headers ${earlier.index} and ${i} (PT_LOAD)`;
      if (segment.vaddr < earlier.vaddr + earlier.memsz && earlier.vaddr < end) return fail('overlap', pair);
      const [earlierFirst, earlierLast] = pages(earlier);
      if (earlierFirst <= last && earlierLast >= first && earlier.permissions !== segment.permissions)
        return fail('sharedPage', pair);
    }
    loads.push(segment);
  }
  if (loads.length === 0) return fail('noSegments', 'program headers');
  // Limine's base: the lowest p_vaddr aligned down to a page (elf64_load).
  const lowest =
    loads.reduce((low, s) => (s.vaddr < low ? s.vaddr : low), loads[0]!.vaddr) & ~(PAGE_SIZE - 1n);
  const highest = loads.reduce((high, s) => (s.vaddr + s.memsz > high ? s.vaddr + s.memsz : high), 0n);
  const imageEnd = (highest + PAGE_SIZE - 1n) & ~(PAGE_SIZE - 1n);
  if (imageEnd >= ADDRESS_END) return fail('wraps', 'PT_LOAD segments');
  const imageSize = imageEnd - lowest;
  const slide = relocatable && lowest < KERNEL_LOWEST_ADDRESS ? KERNEL_LOWEST_ADDRESS - lowest : 0n;
  if (lowest + slide + imageSize > ADDRESS_END) return fail('wraps', 'PT_LOAD segments');
  if (!relocatable || !dynamic) return undefined;
  return checkDynamic(view, loads, lowest, imageSize, dynamic, fail);
}

/** relocate.asm's checks: every table inside the loaded image, RELA/RELR only, types the loader applies. */
function checkDynamic(
  view: DataView,
  loads: Segment[],
  linkBase: bigint,
  imageSize: bigint,
  dynamic: Segment,
  fail: (failure: KernelCheckFailure, field: string) => KernelCheckResult,
): KernelCheckResult | undefined {
  // The loaded image as the loader builds it: file bytes at their vaddr, the rest zero.
  const inImage = (vaddr: bigint, bytes: bigint) =>
    vaddr >= linkBase && vaddr - linkBase + bytes <= imageSize;
  const read64 = (vaddr: bigint): bigint => {
    for (const s of loads) {
      if (vaddr >= s.vaddr && vaddr + 8n <= s.vaddr + s.memsz) {
        const offset = vaddr - s.vaddr;
        if (offset + 8n <= s.filesz) return view.getBigUint64(Number(s.offset + offset), true);
        return 0n;
      }
    }
    return 0n;
  };
  if (!inImage(dynamic.vaddr, dynamic.memsz)) return fail('relocationOutside', 'PT_DYNAMIC');
  const values = new Map<bigint, bigint>();
  const entries = dynamic.memsz / 16n;
  for (let i = 0n; i < entries; i++) {
    const tag = read64(dynamic.vaddr + i * 16n);
    if (tag === DT.NULL) break;
    const value = read64(dynamic.vaddr + i * 16n + 8n);
    if (tag === DT.REL || tag === DT.RELSZ) return fail('relTable', 'DT_REL');
    values.set(tag, value); // the last one wins, as in the loader
  }
  const relaent = values.get(DT.RELAENT) ?? 0n;
  const relrent = values.get(DT.RELRENT) ?? 0n;
  if ((relaent !== 0n && relaent !== 24n) || (relrent !== 0n && relrent !== 8n))
    return fail('badEntrySize', relaent !== 0n && relaent !== 24n ? 'DT_RELAENT' : 'DT_RELRENT');
  for (const [tableTag, sizeTag, name] of [
    [DT.RELA, DT.RELASZ, 'DT_RELA'],
    [DT.JMPREL, DT.PLTRELSZ, 'DT_JMPREL'],
  ] as const) {
    const table = values.get(tableTag) ?? 0n;
    const tableSize = values.get(sizeTag) ?? 0n;
    if (table === 0n || tableSize === 0n) continue;
    if (!inImage(table, tableSize)) return fail('relocationOutside', name);
    for (let at = 0n; at + 24n <= tableSize; at += 24n) {
      const info = read64(table + at + 8n);
      const type = Number(info & 0xffffffffn);
      const offset = read64(table + at);
      if (type === R_X86_64.NONE) continue;
      if (![R_X86_64.RELATIVE, R_X86_64.R64, R_X86_64.GLOB_DAT, R_X86_64.JUMP_SLOT].includes(type))
        return fail('unsupportedRelocation', `${name} entry ${at / 24n} (type ${type})`);
      const symbol = info >> 32n;
      if (type !== R_X86_64.RELATIVE && symbol !== 0n) {
        const symtab = values.get(DT.SYMTAB) ?? 0n;
        if (symtab === 0n) return fail('noSymtab', `${name} entry ${at / 24n}`);
        const syment = values.get(DT.SYMENT) || 24n;
        if (!inImage(symtab + symbol * syment, 24n))
          return fail('relocationOutside', `${name} entry ${at / 24n} symbol ${symbol}`);
      }
      if (!inImage(offset, 8n)) return fail('relocationOutside', `${name} entry ${at / 24n} r_offset`);
    }
  }
  const relr = values.get(DT.RELR) ?? 0n;
  const relrSize = values.get(DT.RELRSZ) ?? 0n;
  if (relr === 0n) return undefined;
  if (!inImage(relr, relrSize)) return fail('relocationOutside', 'DT_RELR');
  let next = 0n;
  for (let at = 0n; at + 8n <= relrSize; at += 8n) {
    let entry = read64(relr + at);
    if ((entry & 1n) === 0n) {
      if (!inImage(entry, 8n)) return fail('relocationOutside', `DT_RELR entry ${at / 8n}`);
      next = entry + 8n;
      continue;
    }
    entry >>= 1n;
    for (let word = next; entry !== 0n; entry >>= 1n, word += 8n)
      if (entry & 1n && !inImage(word, 8n)) return fail('relocationOutside', `DT_RELR entry ${at / 8n}`);
    next += 63n * 8n;
  }
  return undefined;
}
