/** The linker's working tables: input files, input sections, global symbols and output sections. */
import { RelaTable, type ElfFile, type ElfSymbol } from '../elf/reader.js';
import type {
  InputSectionDescription,
  AssertStatement,
  Assignment,
  DataStatement,
  FillStatement,
  OutputSectionStatement,
} from './script/ast.js';

/** One command of an output section after input sections have been matched to it. */
export type SectionContent =
  | { kind: 'inputs'; sections: InputSection[]; description?: InputSectionDescription }
  | Assignment
  | AssertStatement
  | DataStatement
  | FillStatement;

export interface InputFile {
  /** `a.o` or `libk.a(b.o)`: how diagnostics and the map name it. */
  name: string;
  /** The member name for archive members, the path otherwise (what file patterns match). */
  matchName: string;
  archive?: string;
  elf: ElfFile;
  /** Input sections by ELF section index; undefined for sections that are not linked (symtab, rela...). */
  sections: Array<InputSection | undefined>;
  /** For each symbol index: the global symbol it binds to (undefined for locals). */
  globals: Array<GlobalSymbol | undefined>;
  /** Line table for diagnostics, built lazily from .debug_line (not yet: offsets only). */
  order: number;
  /**
   * A linker-made file whose sections ld creates in the first object with an `.eh_frame` (ldelf_after_open's
   * `.eh_frame_hdr`), not in the first object: orphan placement follows that object's sections.
   */
  withEhFrameObject?: boolean;
}

export interface InputSection {
  file: InputFile;
  /** ELF section index in its file; -1 for synthetic sections (COMMON, .got, build-id). */
  index: number;
  name: string;
  type: number;
  flags: number;
  align: number;
  entsize: number;
  size: number;
  /** Contents (a view into the input, or synthetic bytes); empty for NOBITS. */
  data: Uint8Array;
  relocations: RelaTable;
  live: boolean;
  /** Set by /DISCARD/, COMDAT de-duplication or --gc-sections. */
  discarded: boolean;
  /**
   * A COMDAT copy that lost to an earlier group of the same signature: the winning group's member of the same name
   * and size (bfd's kept_section), which relocations from debug sections against this copy resolve to.
   */
  keptCopy?: InputSection;
  keep: boolean;
  /** A section ld makes and keeps even when empty (the PLT unwind `.eh_frame` of dynamic output). */
  keptEmpty?: boolean;
  output?: OutputSection;
  /** Offset of this input section inside its output section. */
  outputOffset: bigint;
  /** `.eh_frame` after CIE de-duplication: FDE CIE-pointer fields to fill once offsets are known. */
  cieLinks?: Array<{
    offset: number;
    cie: { section: InputSection; offset: number };
    /** The FDE's address encoding (DW_EH_PE_*), for `.eh_frame_hdr`'s table. */
    encoding: number;
  }>;
  /** SHF_MERGE sections: maps an input offset to the (section, offset) that holds the merged piece. */
  merged?: MergedPieces;
  /**
   * An edited `.eh_frame`: the object's own relocations and where each input offset went in the edited contents
   * (undefined for a dropped record), which --emit-relocs writes as ld does.
   */
  edited?: { relocations: RelaTable; place(offset: number): number | undefined };
}

export interface MergedPieces {
  /** Sorted input start offsets of the pieces. */
  starts: number[];
  /** For each piece: the section holding the kept copy and the offset of the copy there. */
  targets: Array<{ section: InputSection; offset: number }>;
}

export interface SymbolDefinition {
  file?: InputFile;
  /** Input section, or undefined for absolute / script-defined symbols. */
  section?: InputSection;
  value: bigint;
  size: bigint;
  type: number;
  /** Index in the file's symbol table (for diagnostics and `.symtab` ordering). */
  symbolIndex: number;
}

export interface GlobalSymbol {
  name: string;
  /** Strongest definition so far; undefined while only referenced. */
  definition?: SymbolDefinition;
  weak: boolean;
  /** SHN_COMMON candidate (size, alignment) while no real definition exists. */
  common?: { file: InputFile; size: bigint; align: bigint; symbolIndex: number };
  visibility: number;
  /** Defined by the linker script, --defsym or the linker (`__start_x`, `_GLOBAL_OFFSET_TABLE_`). */
  scriptDefined: boolean;
  /** Final address (or absolute value) after layout. */
  address?: bigint;
  /** Output section the final value is relative to (for .symtab st_shndx); undefined = absolute. */
  outputSection?: OutputSection;
  /** Set from `.` outside any output section: the symbol belongs to the section that address falls in. */
  dotRelative?: OutputSection[];
  /**
   * Assigned after an assignment to `.` (outside sections): at an address where one section ends and the next
   * starts, ld counts it in the next one (`__bss_start`), otherwise in the previous one (`_edata`).
   */
  dotFollows?: boolean;
  /**
   * With dotRelative: the value of `.` when the assignment ran. ld's section_for_dot looks for `.`, not for the
   * result (`phys_end = . - KERNEL_VMA` belongs with the section `.` follows).
   */
  dotAddress?: bigint;
  /** Referenced by a strong undefined symbol in some object (so an undefined result is an error). */
  referenced: boolean;
  /** Index of its GOT slot when a GOT-relative relocation could not be relaxed. */
  gotIndex?: number;
  hidden: boolean;
  /** A script symbol's st_type, copied from the one symbol its expression names (as ld does). */
  scriptType?: number;
  /** A hidden definition that -E/--dynamic-list tried to export: ld turns it into a local of default visibility. */
  forcedLocal?: boolean;
}

export interface OutputSection {
  name: string;
  statement?: OutputSectionStatement;
  inputs: InputSection[];
  /** The script's commands with matched input sections, in order. */
  contents: SectionContent[];
  type: number;
  flags: number;
  align: number;
  address: bigint;
  loadAddress: bigint;
  size: bigint;
  /** Data statements (BYTE/LONG/...) resolved during layout: offset, size and value. */
  data: Array<{ offset: bigint; size: number; value: bigint }>;
  phdrs: string[];
  /** File offset assigned by the writer. */
  fileOffset: number;
  /** Index in the output section header table. */
  headerIndex: number;
  /** Fill pattern between input sections (from `=FILL` / FILL()). */
  fill?: bigint;
  /** Kept although empty because the script assigns inside it. */
  hasAssignments: boolean;
  /** An orphan placed by the linker, not named in the script. */
  orphan: boolean;
  /** Has a non-input-section command in the script (symbol assignment etc.). */
  keepEmpty: boolean;
  /**
   * Kept only by assignments that move `.` (no inputs, no data): ld allocates it only once `.` really moved in it,
   * so one that stays empty is a non-allocated, writable PROGBITS section.
   */
  onlyAssignments?: boolean;
}

/**
 * A section the linker makes rather than reads from a file (COMMON, bfd's empty `.iplt`, the stack note of ld -r,
 * `.got`, build-id): live, unkept, with no relocations.
 */
export function newInputSection(
  file: InputFile,
  name: string,
  type: number,
  flags: number,
  align = 1,
  data: Uint8Array = new Uint8Array(0),
): InputSection {
  return {
    file,
    index: -1,
    name,
    type,
    flags,
    align,
    entsize: 0,
    size: data.length,
    data,
    relocations: RelaTable.EMPTY,
    live: true,
    discarded: false,
    keep: false,
    outputOffset: 0n,
  };
}

export function newOutputSection(name: string, statement?: OutputSectionStatement): OutputSection {
  return {
    name,
    statement,
    inputs: [],
    contents: [],
    type: 0,
    flags: 0,
    align: 1,
    address: 0n,
    loadAddress: 0n,
    size: 0n,
    data: [],
    phdrs: [],
    fileOffset: 0,
    headerIndex: 0,
    hasAssignments: false,
    orphan: statement === undefined,
    keepEmpty: false,
  };
}

export function describeSymbol(file: InputFile, symbol: ElfSymbol): string {
  return symbol.name === '' ? `(unnamed symbol in ${file.name})` : symbol.name;
}

/** bfd's SEC_DEBUGGING by name: DWARF, stabs and the old `.line`. */
export function isDebugging(name: string): boolean {
  return /^\.(debug|zdebug|gnu\.debuglto_|stab|line$)/.test(name) || name.startsWith('.gnu.linkonce.wi.');
}
