/**
 * Pass 1: read objects and archives in command-line order, resolve global symbols as ld does (strong beats weak,
 * a definition beats COMMON, archive members are pulled only to resolve a currently undefined symbol), and drop
 * duplicate COMDAT groups.
 */
import {
  EM_386,
  EM_X86_64,
  ET_REL,
  GRP_COMDAT,
  SHF_ALLOC,
  SHF_EXCLUDE,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  STB_LOCAL,
  STB_WEAK,
  STT_SECTION,
  SHT_NOBITS,
  SHT_NULL,
  SHT_SYMTAB,
  SHT_STRTAB,
  SHT_RELA,
  SHT_REL,
  SHT_GROUP,
  SHT_SYMTAB_SHNDX,
} from '../elf/constants.js';
import { isElf, readElf, RelaTable, type ElfFile } from '../elf/reader.js';
import { writeBinaryObject } from '../elf/writer.js';
import { UserError } from '../errors.js';
import { isArchive, readArchive, type Archive } from './archive.js';
import { bfdTraversalOrder } from './bfd-hash.js';
import type { GlobalSymbol, InputFile } from './model.js';
import { newInputSection } from './model.js';
import { objectArch, X86_64, type Target } from './target.js';
import type { LinkInputFile } from './types.js';

export interface LoadedInputs {
  files: InputFile[];
  symbols: Map<string, GlobalSymbol>;
  /**
   * PT_GNU_STACK as ld decides it: 'none' when no object has a `.note.GNU-stack`, 'exec' when some object asks
   * for an executable stack or lacks the note while others have it, 'noexec' otherwise.
   */
  stack: 'none' | 'exec' | 'noexec';
}

const NOT_LINKED_TYPES = new Set([
  SHT_NULL,
  SHT_SYMTAB,
  SHT_STRTAB,
  SHT_RELA,
  SHT_REL,
  SHT_GROUP,
  SHT_SYMTAB_SHNDX,
]);

/** `initialUndefined`: symbols that must be resolved before any file is read (entry, EXTERN, -u). */
export function loadInputs(
  inputs: LinkInputFile[],
  initialUndefined: string[],
  readFile?: (path: string) => Uint8Array | string | undefined,
  /** `-r`: COMMON symbols stay common (GlobalSymbol.common) instead of getting space in a COMMON section. */
  keepCommons = false,
  /** The output architecture: objects of another one are refused, as ld refuses them. */
  target: Target = X86_64,
  symbolOptions: SymbolOptions = {},
): LoadedInputs {
  const state = new Resolver(target, symbolOptions);
  for (const name of initialUndefined) state.reference(name);
  // --start-group/--end-group: the group's archives are searched again until none of them adds a member.
  const groupArchives = new Map<number, Array<{ archive: Archive; loaded: Set<number> }>>();
  inputs.forEach((input, i) => {
    const groupEnd = input.group !== undefined && inputs[i + 1]?.group !== input.group;
    if (input.format !== 'binary' && isArchive(input.data)) {
      const archive = readArchive(input.name, input.data, readFile);
      const loaded = new Set<number>();
      state.addArchive(archive, loaded);
      if (input.group !== undefined) {
        const list = groupArchives.get(input.group) ?? [];
        list.push({ archive, loaded });
        groupArchives.set(input.group, list);
      }
    } else loadOne(input);
    if (groupEnd)
      for (let again = true; again;) {
        again = false;
        for (const { archive, loaded } of groupArchives.get(input.group!) ?? [])
          if (state.addArchive(archive, loaded)) again = true;
      }
  });
  function loadOne(input: LinkInputFile): void {
    // The object ld makes of a raw file has the output's format; ours is ELF64 with no relocations (valid for both).
    if (input.format === 'binary')
      state.addObject(input.name, input.name, undefined, writeBinaryObject(input.name, input.data), true);
    else if (isArchive(input.data)) state.addArchive(readArchive(input.name, input.data, readFile));
    else if (isElf(input.data)) state.addObject(input.name, input.name, undefined, input.data);
    else throw new UserError(`${input.name}: file format not recognized (not an ELF object or ar archive)`);
  }
  if (state.duplicates.length > 0) throw new UserError(state.duplicates.join('\n'));
  if (!keepCommons) state.allocateCommons();
  const stack = !state.anyStackNote ? 'none' : state.allNonExecStack ? 'noexec' : 'exec';
  return { files: state.files, symbols: state.symbols, stack };
}

/** Command-line options that change how symbols resolve and where COMMON symbols go. */
export interface SymbolOptions {
  /**
   * `--wrap SYM`: an object's undefined reference to SYM resolves to `__wrap_SYM`, one to `__real_SYM` to SYM
   * (definitions keep their names, as in ld).
   */
  wrap?: string[];
  /** `--sort-common[=descending|ascending]`: COMMON symbols allocated by alignment, as ld's lang_common. */
  sortCommon?: 'descending' | 'ascending';
  /** `--allow-multiple-definition`: a second strong definition is ignored instead of an error. */
  allowMultipleDefinition?: boolean;
}

/**
 * Points each member of a losing COMDAT group at the winning group's member of the same name and size, as bfd's
 * _bfd_elf_check_kept_section matches them (a member whose size differs has no kept copy).
 */
function linkKeptCopies(
  file: InputFile,
  members: number[],
  winner: { file: InputFile; members: number[] },
): void {
  for (const m of members) {
    const section = file.sections[m];
    if (!section) continue;
    for (const w of winner.members) {
      const kept = winner.file.sections[w];
      if (kept && kept.name === section.name) {
        if (kept.size === section.size) section.keptCopy = kept;
        break;
      }
    }
  }
}

class Resolver {
  readonly files: InputFile[] = [];
  readonly symbols = new Map<string, GlobalSymbol>();
  readonly duplicates: string[] = [];
  /** Each COMDAT signature's winning group: its file and member section indices. */
  private readonly comdatGroups = new Map<string, { file: InputFile; members: number[] }>();
  /** Whether any object had a COMMON symbol (most links have none: then no pass over all symbols for them). */
  private sawCommon = false;
  allNonExecStack = true;
  anyStackNote = false;

  private readonly wrapped: Set<string>;

  constructor(
    private readonly target: Target,
    private readonly options: SymbolOptions,
  ) {
    this.wrapped = new Set(options.wrap ?? []);
  }

  /** The name an undefined reference resolves to under --wrap. */
  private referenceName(name: string): string {
    if (this.wrapped.size === 0) return name;
    if (this.wrapped.has(name)) return `__wrap_${name}`;
    if (name.startsWith('__real_') && this.wrapped.has(name.slice(7))) return name.slice(7);
    return name;
  }

  symbol(name: string): GlobalSymbol {
    let symbol = this.symbols.get(name);
    if (!symbol) {
      symbol = { name, weak: false, visibility: 0, scriptDefined: false, referenced: false, hidden: false };
      this.symbols.set(name, symbol);
    }
    return symbol;
  }

  reference(name: string): void {
    this.symbol(name).referenced = true;
  }

  /** Pulls the members that resolve undefined symbols; `loaded` persists across rescans of a group. Returns whether
   * any member was pulled. */
  addArchive(archive: Archive, loaded = new Set<number>()): boolean {
    let pulled = false;
    let index = archive.symbolIndex;
    if (!archive.hasSymbolIndex) index = buildIndex(archive, this.target);
    // Keep pulling members until no undefined symbol can be resolved from this archive (ld's archive rescan).
    for (let changed = true; changed;) {
      changed = false;
      for (const [name, members] of index) {
        const symbol = this.symbols.get(name);
        if (!symbol || symbol.definition || !symbol.referenced) continue;
        // Members of another ELF class define nothing for this link (ld passes over them).
        const member = members.find(
          (m) => !loaded.has(m) && archive.members[m]!.data[4] === this.target.elfClass,
        );
        if (member === undefined) continue;
        loaded.add(member);
        const m = archive.members[member]!;
        this.addObject(`${archive.name}(${m.name})`, m.name, archive.name, m.data);
        changed = true;
        pulled = true;
      }
    }
    return pulled;
  }

  addObject(
    name: string,
    matchName: string,
    archive: string | undefined,
    data: Uint8Array,
    anyClass = false,
  ): void {
    const elf = readElf(name, data);
    if (elf.header.type !== ET_REL)
      throw new UserError(
        `${name}: not a relocatable object (ELF type ${elf.header.type}); link .o files and .a archives`,
      );
    if (!anyClass) checkArchitecture(name, elf, this.target);
    const file: InputFile = {
      name,
      matchName,
      archive,
      elf,
      sections: [],
      globals: [],
      order: this.files.length,
    };
    this.files.push(file);
    const discardedByComdat = new Set<number>();
    const losingGroups: Array<{ members: number[]; winner: { file: InputFile; members: number[] } }> = [];
    for (const group of elf.groups) {
      if ((group.flags & GRP_COMDAT) === 0) continue;
      const winner = this.comdatGroups.get(group.signature);
      if (winner) {
        for (const m of group.members) discardedByComdat.add(m);
        losingGroups.push({ members: group.members, winner });
      } else this.comdatGroups.set(group.signature, { file, members: group.members });
    }
    let sawStackNote = false;
    for (const s of elf.sections) {
      if (NOT_LINKED_TYPES.has(s.type) && !isLinkedStringTable(elf, s)) continue;
      if (s.name === '.note.GNU-stack') {
        sawStackNote = true;
        this.anyStackNote = true;
        if (s.flags & 0x4) this.allNonExecStack = false;
        continue;
      }
      if (s.flags & SHF_EXCLUDE) continue;
      if (s.type !== SHT_NOBITS && s.data.length !== s.size)
        throw new UserError(`${name}: corrupt ELF file: section ${s.name} is truncated`);
      const discarded = discardedByComdat.has(s.index);
      file.sections[s.index] = {
        file,
        index: s.index,
        name: s.name,
        type: s.type,
        flags: s.flags,
        align: s.addralign,
        entsize: s.entsize,
        size: s.size,
        data: s.data,
        relocations: relocationsOf(elf, s.index, this.target),
        live: !discarded,
        discarded,
        keep: false,
        outputOffset: 0n,
      };
    }
    if (!sawStackNote) this.allNonExecStack = false;
    for (const { members, winner } of losingGroups) linkKeptCopies(file, members, winner);
    this.bindSymbols(file, elf);
  }

  private bindSymbols(file: InputFile, elf: ElfFile): void {
    const symbols = elf.symbols;
    for (let i = 1; i < symbols.length; i++) {
      const s = symbols[i]!;
      if (s.bind === STB_LOCAL) continue;
      if (s.type === STT_SECTION || s.name === '')
        throw new UserError(`${file.name}: corrupt ELF file: global symbol ${i} has no name`);
      const global = this.symbol(s.shndx === SHN_UNDEF ? this.referenceName(s.name) : s.name);
      file.globals[i] = global;
      if (s.visibility !== 0 && (global.visibility === 0 || s.visibility < global.visibility))
        global.visibility = s.visibility;
      if (s.shndx === SHN_UNDEF) {
        if (s.bind !== STB_WEAK) global.referenced = true;
        else if (!global.definition && !global.referenced) global.weak = true;
        continue;
      }
      if (s.shndx === SHN_COMMON) {
        this.sawCommon = true;
        if (global.definition) continue;
        const align = s.value === 0n ? 1n : s.value;
        if (!global.common || s.size > global.common.size)
          global.common = {
            file,
            size: s.size,
            align: global.common && global.common.align > align ? global.common.align : align,
            symbolIndex: i,
          };
        else if (align > global.common.align) global.common.align = align;
        continue;
      }
      const section = s.shndx === SHN_ABS ? undefined : file.sections[s.shndx];
      if (s.shndx !== SHN_ABS) {
        if (s.shndx >= 0xff00)
          throw new UserError(
            `${file.name}: symbol ${s.name} uses unsupported special section index 0x${s.shndx.toString(16)}`,
          );
        if (!section) {
          if (isUnlinkedSection(elf, s.shndx))
            throw new UserError(
              `${file.name}: symbol ${s.name} is defined in a section that is not linked (${elf.sections[s.shndx]!.name})`,
            );
          continue;
        }
        if (section.discarded) continue; // the COMDAT copy that won defines it
      }
      const isWeak = s.bind === STB_WEAK;
      const existing = global.definition;
      if (existing && !global.weak && !isWeak) {
        if (this.options.allowMultipleDefinition) continue;
        this.duplicates.push(
          `duplicate symbol: ${s.name}\n>>> defined in ${where(existing.file?.name ?? '<linker>', existing.section?.name, existing.value)}\n>>> defined in ${where(file.name, section?.name, s.value)}`,
        );
        continue;
      }
      if (existing && (isWeak || !global.weak)) continue;
      global.definition = { file, section, value: s.value, size: s.size, type: s.type, symbolIndex: i };
      global.weak = isWeak;
      global.common = undefined;
    }
  }

  /** Gives each COMMON symbol without a real definition space in a per-file synthetic "COMMON" section. */
  allocateCommons(): void {
    if (!this.sawCommon) return;
    const perFile = new Map<InputFile, GlobalSymbol[]>();
    for (const symbol of this.symbols.values()) {
      if (symbol.definition || !symbol.common) continue;
      const list = perFile.get(symbol.common.file) ?? [];
      list.push(symbol);
      perFile.set(symbol.common.file, list);
    }
    // ld gives each file's commons their space as it walks its symbol table (see bfd-hash.ts).
    const walk = new Map(bfdTraversalOrder([...this.symbols.keys()]).map((name, i) => [name, i]));
    // --sort-common: ld walks the table once per alignment power (4 down to 0, or 0 up to 4 then the rest), so
    // a file's commons are grouped by alignment, each group in walk order.
    const sort = this.options.sortCommon;
    const pass = (symbol: GlobalSymbol): number => {
      if (!sort) return 0;
      const power = Math.log2(Number(symbol.common!.align));
      return sort === 'descending' ? -Math.min(power, 4) : Math.min(power, 5);
    };
    for (const [file, list] of perFile) {
      list.sort((a, b) => pass(a) - pass(b) || walk.get(a.name)! - walk.get(b.name)!);
      const section = newInputSection(file, 'COMMON', SHT_NOBITS, SHF_ALLOC | SHF_WRITE);
      let offset = 0n;
      for (const symbol of list) {
        const { align, size, symbolIndex } = symbol.common!;
        offset = (offset + align - 1n) & ~(align - 1n);
        symbol.definition = { file, section, value: offset, size, type: 1, symbolIndex };
        offset += size;
        if (Number(align) > section.align) section.align = Number(align);
      }
      section.size = Number(offset);
      file.sections.push(section);
    }
  }
}

function isUnlinkedSection(elf: ElfFile, index: number): boolean {
  const s = elf.sections[index];
  return (
    s !== undefined &&
    ((NOT_LINKED_TYPES.has(s.type) && !isLinkedStringTable(elf, s)) ||
      s.name === '.note.GNU-stack' ||
      (s.flags & SHF_EXCLUDE) !== 0)
  );
}

/** A string table of the program's own (`.stabstr`), not the symbol table's or the section names': ld links it. */
function isLinkedStringTable(elf: ElfFile, s: ElfFile['sections'][number]): boolean {
  return (
    s.type === SHT_STRTAB &&
    s.index !== elf.header.shstrndx &&
    !elf.sections.some((other) => other.type === SHT_SYMTAB && other.link === s.index)
  );
}

function where(file: string, section: string | undefined, value: bigint): string {
  return section ? `${file}:(${section}+0x${value.toString(16)})` : `${file} (absolute)`;
}

/**
 * ld's check that an object fits the output: "i386 architecture of input file `boot.o' is incompatible with
 * i386:x86-64 output". ld's emulation is elf_x86_64 unless -m (or the script's OUTPUT_FORMAT and OUTPUT_ARCH)
 * says otherwise, whatever the inputs are.
 */
function checkArchitecture(name: string, elf: ElfFile, target: Target): void {
  if (elf.header.elfClass === target.elfClass && elf.header.machine === target.machine) return;
  const arch = objectArch(elf.header.elfClass, elf.header.machine);
  const hint =
    elf.header.machine === EM_386 && target.machine === EM_X86_64
      ? ' (link 32-bit objects with -m elf_i386)'
      : elf.header.machine === EM_X86_64 && target.machine === EM_386
        ? ' (a -m elf_i386 link takes 32-bit objects only: nasm -f elf32, gcc -m32)'
        : '';
  throw new UserError(
    `${arch} architecture of input file \`${name}' is incompatible with ${target.arch} output${hint}`,
  );
}

/** A section's relocations, with SHT_REL's implicit addends read from the relocated fields (i386). */
function relocationsOf(elf: ElfFile, index: number, target: Target): RelaTable {
  const table = elf.relocationTables.get(index) ?? RelaTable.EMPTY;
  if (!elf.implicitAddends.has(index) || !target.implicitAddend || table.length === 0) return table;
  const data = elf.sections[index]!.data;
  const words = new Int32Array(table.words);
  for (let i = 0; i < table.length; i++) {
    const addend = target.implicitAddend(table.type(i), data, table.offset(i));
    words[i * 6 + 4] = addend;
    words[i * 6 + 5] = addend < 0 ? -1 : 0;
  }
  return new RelaTable(words, table.typeMask);
}

function buildIndex(archive: Archive, target: Target): Map<string, number[]> {
  const index = new Map<string, number[]>();
  archive.members.forEach((member, i) => {
    // ld passes over members of another ELF class: they define nothing for this link.
    if (!isElf(member.data) || member.data[4] !== target.elfClass) return;
    const elf = readElf(`${archive.name}(${member.name})`, member.data);
    for (const s of elf.symbols) {
      if (s.bind === STB_LOCAL || s.shndx === SHN_UNDEF || s.shndx === SHN_COMMON) continue;
      const list = index.get(s.name) ?? [];
      list.push(i);
      index.set(s.name, list);
    }
  });
  return index;
}
