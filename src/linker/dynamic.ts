/**
 * Position-independent executables (-pie, -static-pie): the dynamic sections GNU ld creates for a PIE that exports
 * nothing (a kernel: no shared libraries, no --export-dynamic): `.dynsym` with only the null symbol, `.dynstr`,
 * `.hash` and/or `.gnu.hash` per --hash-style, `.rela.dyn` with one R_X86_64_RELATIVE per absolute pointer to a
 * section-relative address (sorted by offset, as ld's -z combreloc does), and `.dynamic` with ld's tags in ld's
 * order. ld sizes `.dynamic` for its tags plus a DT_NULL plus 5 spare entries (--spare-dynamic-tags), and writes
 * DT_RELACOUNT into the first DT_NULL.
 *
 * Created before layout (sizes must be known then), filled after relocation when every address is known.
 */
import { SHF_ALLOC, SHF_WRITE, SHT_DYNAMIC, SHT_HASH, SHT_RELA, SHT_STRTAB } from '../elf/constants.js';
import type { InputFile, InputSection, OutputSection } from './model.js';

export const SHT_DYNSYM = 11;
export const SHT_GNU_HASH = 0x6ffffff6;

const DT_NULL = 0n;
const DT_HASH = 4n;
const DT_STRTAB = 5n;
const DT_SYMTAB = 6n;
const DT_RELA = 7n;
const DT_RELASZ = 8n;
const DT_RELAENT = 9n;
const DT_STRSZ = 10n;
const DT_SYMENT = 11n;
const DT_DEBUG = 21n;
const DT_TEXTREL = 22n;
const DT_FLAGS = 30n;
const DT_INIT_ARRAY = 25n;
const DT_FINI_ARRAY = 26n;
const DT_INIT_ARRAYSZ = 27n;
const DT_FINI_ARRAYSZ = 28n;
const DT_PREINIT_ARRAY = 32n;
const DT_PREINIT_ARRAYSZ = 33n;
const DT_GNU_HASH = 0x6ffffef5n;
const DT_FLAGS_1 = 0x6ffffffbn;
const DT_RELACOUNT = 0x6ffffff9n;
const DF_TEXTREL = 4n;
const DF_1_PIE = 0x08000000n;
const R_X86_64_RELATIVE = 8n;
const SPARE_DYNAMIC_TAGS = 5;

export type HashStyle = 'sysv' | 'gnu' | 'both';

export interface DynamicOptions {
  hashStyle: HashStyle;
  /** How many R_X86_64_RELATIVE entries `.rela.dyn` needs (counted before layout). */
  relativeCount: number;
  /** -z notext and some relocation lands in read-only memory: DT_TEXTREL and DF_TEXTREL. */
  textRelocations: boolean;
  /**
   * Which of `.preinit_array`, `.init_array`, `.fini_array` will be output sections with an input (bfd's
   * linker_has_input): ld gives each its address and size tags.
   */
  arrays: ReadonlySet<string>;
}

/** bfd_elf_size_dynamic_sections' array tags, in its order: the output section each names, its address and size tags. */
const ARRAY_TAGS: ReadonlyArray<readonly [string, bigint, bigint]> = [
  ['.preinit_array', DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ],
  ['.init_array', DT_INIT_ARRAY, DT_INIT_ARRAYSZ],
  ['.fini_array', DT_FINI_ARRAY, DT_FINI_ARRAYSZ],
];

export interface DynamicSections {
  sections: InputSection[];
  dynamic: InputSection;
  relaDyn: InputSection;
  private: {
    dynsym: InputSection;
    dynstr: InputSection;
    hash?: InputSection;
    gnuHash?: InputSection;
    tags: bigint[];
  };
}

type SectionMaker = (
  name: string,
  type: number,
  flags: number,
  align: number,
  data: Uint8Array,
) => InputSection;

/** The synthetic sections, in the order ld creates them (which is the order orphans are placed in). */
export function createDynamicSections(
  file: InputFile,
  make: SectionMaker,
  options: DynamicOptions,
): DynamicSections {
  const dynsym = make('.dynsym', SHT_DYNSYM, SHF_ALLOC, 8, new Uint8Array(24));
  const dynstr = make('.dynstr', SHT_STRTAB, SHF_ALLOC, 1, new Uint8Array(1));
  // One bucket, one chain entry (the null symbol), both empty.
  const hash =
    options.hashStyle !== 'gnu' ? make('.hash', SHT_HASH, SHF_ALLOC, 8, words32([1, 1, 0, 0])) : undefined;
  // nbuckets 1, symoffset 1 (nothing hashed), one bloom word, shift 0; then the bloom word and the bucket.
  const gnuHash =
    options.hashStyle !== 'sysv'
      ? make('.gnu.hash', SHT_GNU_HASH, SHF_ALLOC, 8, words32([1, 1, 1, 0, 0, 0, 0]))
      : undefined;
  const relaDyn = make('.rela.dyn', SHT_RELA, SHF_ALLOC, 8, new Uint8Array(options.relativeCount * 24));
  const tags: bigint[] = [];
  for (const [name, address, size] of ARRAY_TAGS) if (options.arrays.has(name)) tags.push(address, size);
  if (hash) tags.push(DT_HASH);
  if (gnuHash) tags.push(DT_GNU_HASH);
  tags.push(DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT, DT_DEBUG);
  if (options.relativeCount > 0) tags.push(DT_RELA, DT_RELASZ, DT_RELAENT);
  if (options.textRelocations) tags.push(DT_TEXTREL, DT_FLAGS);
  tags.push(DT_FLAGS_1);
  const dynamic = make(
    '.dynamic',
    SHT_DYNAMIC,
    SHF_ALLOC | SHF_WRITE,
    8,
    new Uint8Array((tags.length + 1 + SPARE_DYNAMIC_TAGS) * 16),
  );
  for (const s of [dynsym, relaDyn, dynamic]) s.entsize = 24;
  dynamic.entsize = 16;
  if (hash) hash.entsize = 4;
  const sections = [dynsym, dynstr, ...(hash ? [hash] : []), ...(gnuHash ? [gnuHash] : []), relaDyn, dynamic];
  return { sections, dynamic, relaDyn, private: { dynsym, dynstr, hash, gnuHash, tags } };
}

const addressOf = (s: InputSection) => (s.output ? s.output.address + s.outputOffset : 0n);

/**
 * Writes `.rela.dyn` (one RELATIVE per pointer, by address; unused slots stay R_X86_64_NONE) and `.dynamic`, once
 * the pointers' final values are in the output contents.
 */
export function finishDynamicSections(
  dyn: DynamicSections,
  pointers: bigint[],
  contents: Map<OutputSection, Uint8Array>,
  sections: OutputSection[],
): void {
  const relaOut = dyn.relaDyn.output;
  const rela = relaOut ? contents.get(relaOut) : undefined;
  const sorted = [...pointers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (rela) {
    const view = new DataView(rela.buffer, rela.byteOffset + Number(dyn.relaDyn.outputOffset));
    sorted.forEach((place, i) => {
      view.setBigUint64(i * 24, place, true);
      view.setBigUint64(i * 24 + 8, R_X86_64_RELATIVE, true);
      view.setBigInt64(i * 24 + 16, readPointer(place, contents, sections), true);
    });
  }
  const out = dyn.dynamic.output;
  const bytes = out ? contents.get(out) : undefined;
  if (!bytes) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset + Number(dyn.dynamic.outputOffset));
  const p = dyn.private;
  const array = (tag: bigint): OutputSection | undefined => {
    const entry = ARRAY_TAGS.find(([, address, size]) => tag === address || tag === size);
    return entry ? sections.find((s) => s.name === entry[0]) : undefined;
  };
  const value = (tag: bigint): bigint => {
    switch (tag) {
      case DT_PREINIT_ARRAY:
      case DT_INIT_ARRAY:
      case DT_FINI_ARRAY:
        return array(tag)?.address ?? 0n;
      case DT_PREINIT_ARRAYSZ:
      case DT_INIT_ARRAYSZ:
      case DT_FINI_ARRAYSZ:
        return array(tag)?.size ?? 0n;
      case DT_HASH:
        return addressOf(p.hash!);
      case DT_GNU_HASH:
        return addressOf(p.gnuHash!);
      case DT_STRTAB:
        return addressOf(p.dynstr);
      case DT_SYMTAB:
        return addressOf(p.dynsym);
      case DT_STRSZ:
        return BigInt(p.dynstr.size);
      case DT_SYMENT:
        return 24n;
      case DT_RELA:
        return addressOf(dyn.relaDyn);
      case DT_RELASZ:
        return BigInt(dyn.relaDyn.size);
      case DT_RELAENT:
        return 24n;
      case DT_FLAGS:
        return DF_TEXTREL;
      case DT_FLAGS_1:
        return DF_1_PIE;
      default:
        return 0n;
    }
  };
  let at = 0;
  for (const tag of p.tags) {
    view.setBigUint64(at, tag, true);
    view.setBigUint64(at + 8, value(tag), true);
    at += 16;
  }
  if (sorted.length > 0) {
    view.setBigUint64(at, DT_RELACOUNT, true);
    view.setBigUint64(at + 8, BigInt(sorted.length), true);
  } else view.setBigUint64(at, DT_NULL, true);
}

/** The 64-bit value already relocated into the output at `place`. */
function readPointer(
  place: bigint,
  contents: Map<OutputSection, Uint8Array>,
  sections: OutputSection[],
): bigint {
  for (const s of sections) {
    if (place < s.address || place + 8n > s.address + s.size) continue;
    const bytes = contents.get(s);
    if (!bytes) continue;
    return new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(Number(place - s.address), true);
  }
  return 0n;
}

function words32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
}
