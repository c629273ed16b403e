/**
 * Position-independent executables (-pie, -static-pie): the dynamic sections GNU ld creates for a PIE without
 * shared libraries: `.dynsym` with the null symbol and the exported globals (exports.ts), `.dynstr` with their
 * names (tails shared as ld's string table does), `.hash` and/or `.gnu.hash` per --hash-style, `.rela.dyn` with one R_X86_64_RELATIVE per absolute pointer to a
 * section-relative address (sorted by offset, as ld's -z combreloc does), and `.dynamic` with ld's tags in ld's
 * order. ld sizes `.dynamic` for its tags plus a DT_NULL plus 5 spare entries (--spare-dynamic-tags), and writes
 * DT_RELACOUNT into the first DT_NULL.
 *
 * Created before layout (sizes must be known then), filled after relocation when every address is known.
 */
import {
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHF_WRITE,
  SHT_DYNAMIC,
  SHT_HASH,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
} from '../elf/constants.js';
import type { InputFile, InputSection, OutputSection } from './model.js';

export const SHT_DYNSYM = 11;
export const SHT_GNU_HASH = 0x6ffffff6;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERSYM = 0x6fffffff;

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
const DT_REL = 17n;
const DT_RELSZ = 18n;
const DT_RELENT = 19n;
const DT_RELCOUNT = 0x6ffffffan;
const DT_VERSYM = 0x6ffffff0n;
const DT_VERDEF = 0x6ffffffcn;
const DT_VERDEFNUM = 0x6ffffffdn;
const VER_FLG_BASE = 1;
/** `.gnu.version`'s index for a symbol of no named version (VER_NDX_GLOBAL). */
const VER_NDX_GLOBAL = 1;
const DT_BIND_NOW = 24n;
const DT_PLTRELSZ = 2n;
const DT_PLTGOT = 3n;
const DT_SONAME = 14n;
const DT_SYMBOLIC = 16n;
const DT_PLTREL = 20n;
const DT_JMPREL = 23n;
const DF_SYMBOLIC = 2n;
const DF_TEXTREL = 4n;
const DF_BIND_NOW = 8n;
const DF_STATIC_TLS = 0x10n;
const DF_1_NOW = 1n;
const DF_1_PIE = 0x08000000n;
/** R_X86_64_RELATIVE and R_386_RELATIVE share their number. */
const R_RELATIVE = 8n;
const SPARE_DYNAMIC_TAGS = 5;

export type HashStyle = 'sysv' | 'gnu' | 'both';

/**
 * The entry sizes and relocation format of the output class: ELFCLASS64 output (x86-64) has Elf64 entries and
 * RELA relocations (`.rela.dyn`, DT_RELA), ELFCLASS32 output (i386) Elf32 entries and REL relocations (`.rel.dyn`,
 * DT_REL) whose addend stays in the relocated field.
 */
export interface DynamicFormat {
  /** Bytes of an address (a `.dynamic` entry is two of them, a `.gnu.hash` Bloom word one). */
  word: 4 | 8;
  symbolSize: number;
  relocationSize: number;
  rela: boolean;
}

export const DYNAMIC_ELF64: DynamicFormat = { word: 8, symbolSize: 24, relocationSize: 24, rela: true };
export const DYNAMIC_ELF32: DynamicFormat = { word: 4, symbolSize: 16, relocationSize: 8, rela: false };

export interface DynamicOptions {
  /** The output class's entry sizes (DYNAMIC_ELF64 when not given). */
  format?: DynamicFormat;
  hashStyle: HashStyle;
  /** How many entries `.rela.dyn` needs (counted before layout): R_X86_64_RELATIVE and, in a shared object, GLOB_DAT/64. */
  relativeCount: number;
  /** -shared: no DT_DEBUG; `soname` gives DT_SONAME, `symbolic` (-Bsymbolic) DT_SYMBOLIC and DF_SYMBOLIC. */
  shared?: { soname?: string; symbolic: boolean };
  /** PLT entries (shared-object.ts): `.rela.plt` gets one R_X86_64_JUMP_SLOT each, `.dynamic` the PLT tags. */
  pltCount?: number;
  /** There is a `.plt` (with only `.plt.got` entries it holds PLT0 alone): DT_PLTGOT. */
  plt?: boolean;
  /** Dynamic symbols nothing here defines: `.gnu.hash` leaves them unhashed, first in `.dynsym`. */
  unhashed?: ReadonlySet<string>;
  /**
   * The order ld writes the dynamic symbols in (its hash-table walk), which builds `.hash`'s chains; `exports`
   * (the order ld recorded them) when not given.
   */
  writeOrder?: string[];
  /** -z notext and some relocation lands in read-only memory: DT_TEXTREL and DF_TEXTREL. */
  textRelocations: boolean;
  /**
   * Which of `.preinit_array`, `.init_array`, `.fini_array` will be output sections with an input (bfd's
   * linker_has_input): ld gives each its address and size tags.
   */
  arrays: ReadonlySet<string>;
  /** Exported names in ld's record order (exports.ts). */
  exports: string[];
  /** `-z now`: DF_BIND_NOW (or DT_BIND_NOW under --disable-new-dtags) and DF_1_NOW. */
  bindNow: boolean;
  /** --enable-new-dtags (ld's default here): flags go in DT_FLAGS rather than DT_TEXTREL/DT_BIND_NOW alone. */
  newDtags: boolean;
  /** -pie: DF_1_PIE (a fixed-address executable with exports has no DT_FLAGS_1 unless -z now). */
  pie: boolean;
  /** A shared object with initial-exec TLS references: DF_STATIC_TLS. */
  staticTls?: boolean;
  /** Named versions (a version script's nodes): `.gnu.version` and `.gnu.version_d`. */
  versions?: SymbolVersions;
}

/** What a shared object with named versions defines (see VersionNode in shared-object.ts). */
export interface SymbolVersions {
  /** The base version's name: the soname, else the output file's name. */
  baseName: string;
  /** The named versions in index order (from 2), each with the versions it depends on. */
  nodes: Array<{ name: string; parents: string[] }>;
  /** A dynamic symbol's version index (1 for none). */
  versionOf(name: string): number;
}

/** One `.dynsym` entry's fields other than its name, known once addresses are. */
export interface DynamicSymbolValue {
  value: bigint;
  size: bigint;
  /** st_info: binding << 4 | type. */
  info: number;
  /** st_other: the visibility. */
  other: number;
  shndx: number;
}

/** bfd_elf_size_dynamic_sections' array tags, in its order: the output section each names, its address and size tags. */
const ARRAY_TAGS: ReadonlyArray<readonly [string, bigint, bigint]> = [
  ['.preinit_array', DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ],
  ['.init_array', DT_INIT_ARRAY, DT_INIT_ARRAYSZ],
  ['.fini_array', DT_FINI_ARRAY, DT_FINI_ARRAYSZ],
];

export interface DynamicSections {
  format: DynamicFormat;
  sections: InputSection[];
  dynamic: InputSection;
  relaDyn: InputSection;
  relaPlt?: InputSection;
  private: {
    dynsym: InputSection;
    dynstr: InputSection;
    hash?: InputSection;
    gnuHash?: InputSection;
    versym?: InputSection;
    verdef?: InputSection;
    /** Version definitions (the base one and the named ones). */
    versionCount: number;
    tags: bigint[];
    flags: bigint;
    flags1: bigint;
    /** `.dynsym` after the null symbol: each name and its `.dynstr` offset. */
    symbols: Array<{ name: string; nameOffset: number }>;
    soname?: number;
  };
}

/** A dynamic relocation against a `.dynsym` symbol (GLOB_DAT, JUMP_SLOT, 64). */
export interface SymbolRelocation {
  place: bigint;
  type: number;
  name: string;
  addend: bigint;
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
  const format = options.format ?? DYNAMIC_ELF64;
  const word = format.word;
  const rel = format.rela ? '.rela' : '.rel';
  const relType = format.rela ? SHT_RELA : SHT_REL;
  const soname = options.shared?.soname;
  // ld adds the soname to .dynstr after the symbols' names, then the version definitions' names (the symbols it
  // defines for the versions share theirs).
  const versions = options.versions;
  const versionNames = new Set(versions?.nodes.map((n) => n.name));
  const strings = finishStringTable([
    ...options.exports.filter((name) => !versionNames.has(name)),
    ...(soname !== undefined ? [soname] : []),
    ...(versions ? [versions.baseName, ...versionNames] : []),
  ]);
  // With a .gnu.hash the hashed (defined) symbols are grouped by bucket, after the unhashed ones.
  const unhashed = options.unhashed ?? new Set<string>();
  const gnu =
    options.hashStyle !== 'sysv'
      ? gnuHashTable(options.writeOrder ?? options.exports, unhashed, word)
      : undefined;
  // ld numbers the dynamic symbols in its hash-table walk (the unhashed ones keep that order in front of the
  // hashed ones); .dynstr keeps the order the names were recorded in.
  const order = gnu?.order ?? options.writeOrder ?? options.exports;
  const dynsym = make(
    '.dynsym',
    SHT_DYNSYM,
    SHF_ALLOC,
    word,
    new Uint8Array(format.symbolSize * (order.length + 1)),
  );
  const dynstr = make('.dynstr', SHT_STRTAB, SHF_ALLOC, 1, strings.bytes);
  const hash =
    options.hashStyle !== 'gnu'
      ? make('.hash', SHT_HASH, SHF_ALLOC, word, sysvHashTable(options.writeOrder ?? options.exports, order))
      : undefined;
  const gnuHash = gnu ? make('.gnu.hash', SHT_GNU_HASH, SHF_ALLOC, word, gnu.bytes) : undefined;
  const versym = versions
    ? make('.gnu.version', SHT_GNU_VERSYM, SHF_ALLOC, 2, versionSymbols(order, versions))
    : undefined;
  const verdef = versions
    ? make('.gnu.version_d', SHT_GNU_VERDEF, SHF_ALLOC, word, versionDefinitions(versions, strings.offsets))
    : undefined;
  if (versym) versym.entsize = 2;
  const relaDyn = make(
    `${rel}.dyn`,
    relType,
    SHF_ALLOC,
    word,
    new Uint8Array(options.relativeCount * format.relocationSize),
  );
  const pltCount = options.pltCount ?? 0;
  const relaPlt =
    pltCount > 0
      ? make(
          `${rel}.plt`,
          relType,
          SHF_ALLOC | SHF_INFO_LINK,
          word,
          new Uint8Array(pltCount * format.relocationSize),
        )
      : undefined;
  const tags: bigint[] = [];
  if (soname !== undefined) tags.push(DT_SONAME);
  if (options.shared?.symbolic) tags.push(DT_SYMBOLIC);
  for (const [name, address, size] of ARRAY_TAGS) if (options.arrays.has(name)) tags.push(address, size);
  if (hash) tags.push(DT_HASH);
  if (gnuHash) tags.push(DT_GNU_HASH);
  tags.push(DT_STRTAB, DT_SYMTAB, DT_STRSZ, DT_SYMENT);
  if (!options.shared) tags.push(DT_DEBUG);
  if (options.plt || pltCount > 0) tags.push(DT_PLTGOT);
  if (pltCount > 0) tags.push(DT_PLTRELSZ, DT_PLTREL, DT_JMPREL);
  if (options.relativeCount > 0)
    tags.push(...(format.rela ? [DT_RELA, DT_RELASZ, DT_RELAENT] : [DT_REL, DT_RELSZ, DT_RELENT]));
  if (options.textRelocations) tags.push(DT_TEXTREL);
  if (verdef) tags.push(DT_VERDEF, DT_VERDEFNUM);
  if (options.bindNow && !options.newDtags) tags.push(DT_BIND_NOW);
  const symbolic = options.shared?.symbolic ?? false;
  if (options.newDtags && (options.textRelocations || options.bindNow || symbolic || options.staticTls))
    tags.push(DT_FLAGS);
  if (options.pie || options.bindNow) tags.push(DT_FLAGS_1);
  if (versym) tags.push(DT_VERSYM);
  const dynamic = make(
    '.dynamic',
    SHT_DYNAMIC,
    SHF_ALLOC | SHF_WRITE,
    word,
    new Uint8Array((tags.length + 1 + SPARE_DYNAMIC_TAGS) * 2 * word),
  );
  dynsym.entsize = format.symbolSize;
  for (const s of [relaDyn, ...(relaPlt ? [relaPlt] : [])]) s.entsize = format.relocationSize;
  dynamic.entsize = 2 * word;
  if (hash) hash.entsize = 4;
  // bfd gives `.gnu.hash` an entry size only in 32-bit output, where its words are all 4 bytes.
  if (gnuHash && word === 4) gnuHash.entsize = 4;
  const sections = [
    dynsym,
    dynstr,
    ...(hash ? [hash] : []),
    ...(gnuHash ? [gnuHash] : []),
    ...(versym ? [versym] : []),
    ...(verdef ? [verdef] : []),
    relaDyn,
    ...(relaPlt ? [relaPlt] : []),
    dynamic,
  ];
  const symbols = order.map((name) => ({ name, nameOffset: strings.offsets.get(name)! }));
  const flags =
    (symbolic ? DF_SYMBOLIC : 0n) |
    (options.textRelocations ? DF_TEXTREL : 0n) |
    (options.bindNow ? DF_BIND_NOW : 0n) |
    (options.staticTls ? DF_STATIC_TLS : 0n);
  const flags1 = (options.pie ? DF_1_PIE : 0n) | (options.bindNow ? DF_1_NOW : 0n);
  return {
    format,
    sections,
    dynamic,
    relaDyn,
    relaPlt,
    private: {
      dynsym,
      dynstr,
      hash,
      gnuHash,
      versym,
      verdef,
      versionCount: versions ? versions.nodes.length + 1 : 0,
      tags,
      flags,
      flags1,
      symbols,
      soname: soname !== undefined ? strings.offsets.get(soname) : undefined,
    },
  };
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
  symbolValue: (name: string) => DynamicSymbolValue,
  symbolRelocations: { dyn: SymbolRelocation[]; plt: SymbolRelocation[]; pltGot?: bigint } = {
    dyn: [],
    plt: [],
  },
): void {
  const format = dyn.format;
  const symOut = dyn.private.dynsym.output;
  const symBytes = symOut ? contents.get(symOut) : undefined;
  if (symBytes) {
    const view = new DataView(symBytes.buffer, symBytes.byteOffset + Number(dyn.private.dynsym.outputOffset));
    dyn.private.symbols.forEach(({ name, nameOffset }, i) => {
      const v = symbolValue(name);
      const at = (i + 1) * format.symbolSize;
      view.setUint32(at, nameOffset, true);
      if (format.word === 4) {
        // Elf32_Sym: name, value, size, info, other, shndx.
        view.setUint32(at + 4, Number(BigInt.asUintN(32, v.value)), true);
        view.setUint32(at + 8, Number(BigInt.asUintN(32, v.size)), true);
        view.setUint8(at + 12, v.info);
        view.setUint8(at + 13, v.other);
        view.setUint16(at + 14, v.shndx, true);
        return;
      }
      view.setUint8(at + 4, v.info);
      view.setUint8(at + 5, v.other);
      view.setUint16(at + 6, v.shndx, true);
      view.setBigUint64(at + 8, BigInt.asUintN(64, v.value), true);
      view.setBigUint64(at + 16, v.size, true);
    });
  }
  const relaOut = dyn.relaDyn.output;
  const rela = relaOut ? contents.get(relaOut) : undefined;
  const sorted = [...pointers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(dyn.private.symbols.map((s, i) => [s.name, i + 1]));
  if (rela) {
    const view = new DataView(rela.buffer, rela.byteOffset + Number(dyn.relaDyn.outputOffset));
    // A RELA entry's addend is the pointer's link-time value; a REL entry's stays in the pointer itself.
    sorted.forEach((place, i) =>
      writeRelocation(view, format, i, {
        place,
        info: R_RELATIVE,
        addend: format.rela ? readPointer(place, contents, sections) : 0n,
      }),
    );
    // Slots ld reserved and left empty (R_X86_64_NONE, offset 0) take part in its sort with symbol 0.
    const unused = Math.max(
      0,
      dyn.relaDyn.size / format.relocationSize - sorted.length - symbolRelocations.dyn.length,
    );
    const none = Array.from({ length: symbolRelocations.dyn.length > 0 ? unused : 0 }, () => ({
      place: 0n,
      type: 0,
      name: '',
      addend: 0n,
    }));
    writeSymbolRelocations(
      view,
      format,
      sorted.length,
      sortLikeCombreloc([...none, ...symbolRelocations.dyn], index),
      index,
    );
  }
  const pltOut = dyn.relaPlt?.output;
  const pltBytes = pltOut ? contents.get(pltOut) : undefined;
  if (pltBytes)
    writeSymbolRelocations(
      new DataView(pltBytes.buffer, pltBytes.byteOffset + Number(dyn.relaPlt!.outputOffset)),
      format,
      0,
      symbolRelocations.plt,
      index,
    );
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
        return BigInt(format.symbolSize);
      case DT_RELA:
      case DT_REL:
        return addressOf(dyn.relaDyn);
      case DT_RELASZ:
      case DT_RELSZ:
        return BigInt(dyn.relaDyn.size);
      case DT_RELAENT:
      case DT_RELENT:
        return BigInt(format.relocationSize);
      case DT_FLAGS:
        return p.flags;
      case DT_SONAME:
        return BigInt(p.soname ?? 0);
      case DT_PLTGOT:
        return symbolRelocations.pltGot ?? 0n;
      case DT_PLTRELSZ:
        return BigInt(dyn.relaPlt?.size ?? 0);
      case DT_PLTREL:
        return format.rela ? DT_RELA : DT_REL;
      case DT_JMPREL:
        return dyn.relaPlt ? addressOf(dyn.relaPlt) : 0n;
      case DT_FLAGS_1:
        return p.flags1;
      case DT_VERSYM:
        return addressOf(p.versym!);
      case DT_VERDEF:
        return addressOf(p.verdef!);
      case DT_VERDEFNUM:
        return BigInt(p.versionCount);
      default:
        return 0n;
    }
  };
  const put = (at: number, v: bigint) =>
    format.word === 8
      ? view.setBigUint64(at, v, true)
      : view.setUint32(at, Number(BigInt.asUintN(32, v)), true);
  const entry = 2 * format.word;
  let at = 0;
  for (const tag of p.tags) {
    put(at, tag);
    put(at + format.word, value(tag));
    at += entry;
  }
  if (sorted.length > 0) {
    put(at, format.rela ? DT_RELACOUNT : DT_RELCOUNT);
    put(at + format.word, BigInt(sorted.length));
  } else put(at, DT_NULL);
}

/** One `.rela.dyn`/`.rel.dyn` entry (`info`: r_info, the symbol index above the type). */
function writeRelocation(
  view: DataView,
  format: DynamicFormat,
  index: number,
  r: { place: bigint; info: bigint; addend: bigint },
): void {
  const at = index * format.relocationSize;
  if (format.word === 4) {
    view.setUint32(at, Number(BigInt.asUintN(32, r.place)), true);
    view.setUint32(at + 4, Number(r.info), true);
    return;
  }
  view.setBigUint64(at, r.place, true);
  view.setBigUint64(at + 8, r.info, true);
  view.setBigInt64(at + 16, r.addend, true);
}

/**
 * ld's -z combreloc order for the relocations after the RELATIVE ones (elf_link_sort_relocs): grouped by symbol,
 * the groups by the lowest offset in each, each group by offset.
 */
function sortLikeCombreloc(relocations: SymbolRelocation[], index: Map<string, number>): SymbolRelocation[] {
  // A relocation without a symbol (TLS module ids and offsets of local symbols) has symbol index 0.
  const symbolIndex = (name: string) => index.get(name) ?? 0;
  const bySymbol = [...relocations].sort(
    (a, b) =>
      symbolIndex(a.name) - symbolIndex(b.name) || (a.place < b.place ? -1 : a.place > b.place ? 1 : 0),
  );
  const first = new Map<string, bigint>();
  for (const r of bySymbol) if (!first.has(r.name)) first.set(r.name, r.place);
  return bySymbol.sort((a, b) => {
    const fa = first.get(a.name)!;
    const fb = first.get(b.name)!;
    if (fa !== fb) return fa < fb ? -1 : 1;
    return a.place < b.place ? -1 : a.place > b.place ? 1 : 0;
  });
}

function writeSymbolRelocations(
  view: DataView,
  format: DynamicFormat,
  from: number,
  relocations: SymbolRelocation[],
  index: Map<string, number>,
): void {
  // ELF64_R_INFO keeps the symbol above bit 32, ELF32_R_INFO above bit 8.
  const shift = format.word === 8 ? 32n : 8n;
  relocations.forEach((r, k) =>
    writeRelocation(view, format, from + k, {
      place: r.place,
      info: (BigInt(index.get(r.name) ?? 0) << shift) | BigInt(r.type),
      addend: r.addend,
    }),
  );
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

/** `.gnu.version`: each `.dynsym` entry's version index (0 for the null symbol). */
function versionSymbols(order: string[], versions: SymbolVersions): Uint8Array {
  const bytes = new Uint8Array(2 * (order.length + 1));
  const view = new DataView(bytes.buffer);
  order.forEach((name, i) => view.setUint16(2 * (i + 1), versions.versionOf(name), true));
  return bytes;
}

/**
 * `.gnu.version_d`: an Elf64_Verdef (version, flags, index, aux count, ELF hash, aux offset 20, next offset 28)
 * per version, the base one first, each followed by its Elf64_Verdaux names (its own, then its parents').
 */
function versionDefinitions(versions: SymbolVersions, offsets: Map<string, number>): Uint8Array {
  const entries = [
    { name: versions.baseName, flags: VER_FLG_BASE, names: [versions.baseName] },
    // ld lists a version's parents last first.
    ...versions.nodes.map((n) => ({ name: n.name, flags: 0, names: [n.name, ...[...n.parents].reverse()] })),
  ];
  const size = entries.reduce((sum, e) => sum + 20 + 8 * e.names.length, 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  entries.forEach((e, i) => {
    const length = 20 + 8 * e.names.length;
    view.setUint16(at, 1, true);
    view.setUint16(at + 2, e.flags, true);
    view.setUint16(at + 4, i + VER_NDX_GLOBAL, true);
    view.setUint16(at + 6, e.names.length, true);
    view.setUint32(at + 8, elfHash(e.name), true);
    view.setUint32(at + 12, 20, true);
    view.setUint32(at + 16, i + 1 < entries.length ? length : 0, true);
    e.names.forEach((name, k) => {
      view.setUint32(at + 20 + 8 * k, offsets.get(name)!, true);
      view.setUint32(at + 24 + 8 * k, k + 1 < e.names.length ? 8 : 0, true);
    });
    at += length;
  });
  return bytes;
}

/** bfd_elf_hash: the System V ELF hash. */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, 'utf8')) {
    h = ((h << 4) >>> 0) + c;
    const g = h & 0xf0000000;
    if (g !== 0) h = (h ^ (g >>> 24) ^ g) >>> 0;
    h >>>= 0;
  }
  return h >>> 0;
}

/** bfd_elf_gnu_hash: the GNU hash (h * 33 + c from 5381). */
export function gnuHash(name: string): number {
  let h = 5381;
  for (const c of Buffer.from(name, 'utf8')) h = (Math.imul(h, 33) + c) >>> 0;
  return h >>> 0;
}

/** bfd's bucket counts without -O (compute_bucket_count): the largest listed size not above the symbol count. */
const ELF_BUCKETS = [1, 3, 17, 37, 67, 97, 131, 197, 263, 521, 1031, 2053, 4099, 8209, 16411, 32771];

function bucketCount(symbols: number, gnu: boolean): number {
  let best = ELF_BUCKETS[0]!;
  for (let i = 0; i < ELF_BUCKETS.length; i++) {
    best = ELF_BUCKETS[i]!;
    if (i + 1 >= ELF_BUCKETS.length || symbols < ELF_BUCKETS[i + 1]!) break;
  }
  return gnu && best < 2 ? 2 : best;
}

/**
 * `.hash`: nbucket, nchain, buckets, chains. ld fills it as it writes each dynamic symbol, in record order: a
 * symbol becomes its bucket's head and chains to the previous head.
 */
function sysvHashTable(recordOrder: string[], dynsymOrder: string[]): Uint8Array {
  const nbucket = bucketCount(recordOrder.length, false);
  const nchain = dynsymOrder.length + 1;
  const words = new Array<number>(2 + nbucket + nchain).fill(0);
  words[0] = nbucket;
  words[1] = nchain;
  const index = new Map(dynsymOrder.map((name, i) => [name, i + 1]));
  for (const name of recordOrder) {
    const bucket = 2 + (elfHash(name) % nbucket);
    const symbol = index.get(name)!;
    words[2 + nbucket + symbol] = words[bucket]!;
    words[bucket] = symbol;
  }
  return words32(words);
}

/**
 * `.gnu.hash` as bfd_elf_size_dynsym_hash_dynstr builds it for 64-bit output: the symbols sorted by bucket
 * (stable in record order), a Bloom filter of 64-bit words sized from the symbol count, buckets and the hash
 * chain (each hash with bit 0 marking its bucket's last symbol). No exports: ld's special empty table.
 */
function gnuHashTable(
  writeOrder: string[],
  unhashed: ReadonlySet<string>,
  /** Bytes of a Bloom filter word: the output's address size. */
  bloomWord: 4 | 8,
): { bytes: Uint8Array; order: string[] } {
  const first = writeOrder.filter((name) => unhashed.has(name));
  const recordOrder = writeOrder.filter((name) => !unhashed.has(name));
  const nsyms = recordOrder.length;
  // No symbols: one bucket, one zero Bloom word.
  if (nsyms === 0)
    return { bytes: words32([1, 1, 1, 0, 0, ...(bloomWord === 8 ? [0] : []), 0]), order: first };
  const nbucket = bucketCount(nsyms, true);
  let maskBitsLog2 = 1;
  for (let x = nsyms >> 1; x !== 0; x >>= 1) maskBitsLog2++;
  if (maskBitsLog2 < 3) maskBitsLog2 = 5;
  else if ((1 << (maskBitsLog2 - 2)) & nsyms) maskBitsLog2 += 3;
  else maskBitsLog2 += 2;
  if (bloomWord === 8 && maskBitsLog2 === 5) maskBitsLog2 = 6;
  // log2 of the bits in a Bloom word.
  const shift1 = bloomWord === 8 ? 6 : 5;
  const bitMask = BigInt((1 << shift1) - 1);
  const maskBits = 1 << maskBitsLog2;
  const maskWords = 1 << (maskBitsLog2 - shift1);
  const hashes = new Map(recordOrder.map((name) => [name, gnuHash(name)]));
  const order = recordOrder
    .map((name, i) => ({ name, i, bucket: hashes.get(name)! % nbucket }))
    .sort((a, b) => a.bucket - b.bucket || a.i - b.i)
    .map((e) => e.name);
  // The null symbol and the unhashed ones come before the hashed ones.
  const symIndex = 1 + first.length;
  const bytes = new Uint8Array(16 + maskBits / 8 + 4 * nbucket + 4 * nsyms);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, nbucket, true);
  view.setUint32(4, symIndex, true);
  view.setUint32(8, maskWords, true);
  view.setUint32(12, maskBitsLog2, true);
  const bloom = new Array<bigint>(maskWords).fill(0n);
  const buckets = 16 + maskBits / 8;
  const chains = buckets + 4 * nbucket;
  order.forEach((name, i) => {
    const h = hashes.get(name)!;
    const bucket = h % nbucket;
    const word = (h >>> shift1) & ((maskBits >> shift1) - 1);
    bloom[word]! |= (1n << (BigInt(h) & bitMask)) | (1n << (BigInt(h >>> maskBitsLog2) & bitMask));
    if (view.getUint32(buckets + 4 * bucket, true) === 0)
      view.setUint32(buckets + 4 * bucket, i + symIndex, true);
    const last = i + 1 === order.length || hashes.get(order[i + 1]!)! % nbucket !== bucket;
    view.setUint32(chains + 4 * i, ((h & ~1) | (last ? 1 : 0)) >>> 0, true);
  });
  bloom.forEach((w, i) =>
    bloomWord === 8 ? view.setBigUint64(16 + 8 * i, w, true) : view.setUint32(16 + 4 * i, Number(w), true),
  );
  return { bytes, order: [...first, ...order] };
}

/**
 * A string table as bfd's _bfd_elf_strtab_finalize lays it out: a name that is the tail of another name points
 * into that one, every other name keeps its place in insertion order.
 */
export function finishStringTable(names: string[]): { bytes: Uint8Array; offsets: Map<string, number> } {
  const unique = [...new Set(names)].map((name) => ({ name, bytes: Buffer.from(name, 'utf8') }));
  const reversedCompare = (a: Buffer, b: Buffer): number => {
    for (let i = 1; i <= Math.min(a.length, b.length); i++) {
      const d = a[a.length - i]! - b[b.length - i]!;
      if (d !== 0) return d;
    }
    return a.length - b.length;
  };
  const sorted = [...unique].sort((a, b) => reversedCompare(a.bytes, b.bytes));
  const tailOf = new Map<string, string>();
  let keep = sorted[sorted.length - 1];
  for (let k = sorted.length - 2; k >= 0; k--) {
    const e = sorted[k]!;
    const host = keep!.bytes;
    const isTail =
      e.bytes.length <= host.length && host.subarray(host.length - e.bytes.length).equals(e.bytes);
    if (isTail) tailOf.set(e.name, keep!.name);
    else keep = e;
  }
  const offsets = new Map<string, number>();
  let size = 1;
  for (const e of unique)
    if (!tailOf.has(e.name)) {
      offsets.set(e.name, size);
      size += e.bytes.length + 1;
    }
  const bytes = new Uint8Array(size);
  for (const e of unique) {
    const host = tailOf.get(e.name);
    if (host === undefined) bytes.set(e.bytes, offsets.get(e.name)!);
    else offsets.set(e.name, offsets.get(host)! + Buffer.byteLength(host) - e.bytes.length);
  }
  return { bytes, offsets };
}

function words32(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v, true));
  return out;
}
