/**
 * `-g`: the debug sections nasm 2.16 writes into an ELF object, byte for byte.
 *
 * The layout reports, from its last pass, every statement that produced bytes (or reserved space): where
 * its line came from and where its output starts. nasm's debug back ends see the same stream (its `out()`
 * tells them about each new source position), so both formats are built from it here:
 *   - DWARF (`-F dwarf`, the default): one line-number sequence per executable section, in the order the
 *     sections first received code, plus the fixed compile-unit, abbreviation and address-range tables nasm
 *     writes (and the empty .debug_pubnames/.debug_frame/.debug_loc it always adds).
 *   - stabs (`-F stabs`): an N_SLINE entry per source line in executable sections, N_SOL on file changes.
 * The quirks are nasm's and are kept on purpose (byte-identical output is the contract): a file number and
 * the sequence's final address advance are written as one byte, the compile unit's high_pc is the sum of
 * all sequence sections' sizes, and `do`/`dy` data give their labels 32/64-byte object sizes.
 */

import type { LineOrigin } from './diagnostics.js';
import type { Section } from './layout.js';

/** One statement that produced output: its source position and where in which section its output starts. */
export interface DebugLine {
  origin: LineOrigin;
  /** Undefined in `absolute`/`struc` space (reservations there still register the file, as in nasm). */
  section: Section | undefined;
  offset: number;
}

export type DebugFormat = 'dwarf' | 'stabs';

/** The section-symbol targets debug relocations use besides the program's own sections. */
export type DebugSectionName = '.debug_info' | '.debug_abbrev' | '.debug_line';

export interface DebugRelocation {
  offset: number;
  size: 4 | 8;
  /** A program section (its section symbol) or one of the debug sections that get a section symbol. */
  target: Section | DebugSectionName;
  addend: bigint;
}

/**
 * What the writer adds after the program's sections, in this order: non-allocated sections and the
 * relocation tables of some of them (`.rela.NAME` / `.rel.NAME`, possibly empty, as nasm writes them).
 */
export type DebugSection = DebugContents | DebugRelocations;

export interface DebugContents {
  name: string;
  data: Uint8Array;
  align: number;
  /** SHT_STRTAB instead of SHT_PROGBITS (.stabstr). */
  strings?: boolean;
  entrySize?: number;
  /** sh_link: the debug section this one's entries point into (.stab -> .stabstr). */
  linkTo?: string;
}

export interface DebugRelocations {
  /** The debug section these relocations apply to. */
  relocates: string;
  relocations: DebugRelocation[];
}

export interface DebugInput {
  format: 'elf64' | 'elf32' | 'elfx32';
  /** The source file's name as given (DW_AT_name, stabs' N_SO). */
  fileName: string;
  /** DW_AT_comp_dir: the source file's directory, resolved, with a trailing `/` (as nasm writes it). */
  directory: string;
  lines: readonly DebugLine[];
}

/** DW_AT_producer: the nasm release whose output this reproduces (the same version `__?NASM_VER?__` gives). */
const PRODUCER = 'NASM 2.16.01';
const DW_LANG_MIPS_ASSEMBLER = 0x8001;
const LINE_BASE = -5;
const LINE_RANGE = 14;
const OPCODE_BASE = 13;
const DW_LNS_COPY = 1;
const DW_LNS_ADVANCE_PC = 2;
const DW_LNS_ADVANCE_LINE = 3;
const DW_LNS_SET_FILE = 4;
const DW_LNE_END_SEQUENCE = 1;
const DW_LNE_SET_ADDRESS = 2;
/** Operands of standard opcodes 1..12, as nasm lists them in the line program header. */
const STANDARD_OPCODE_LENGTHS = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];
/** The two abbreviations nasm declares: the compile unit (with its attributes) and one subprogram. */
const ABBREVIATIONS = [
  ...[1, 0x11, 1], // 1: DW_TAG_compile_unit, has children
  ...[0x11, 0x01, 0x12, 0x01, 0x10, 0x06], // low_pc addr, high_pc addr, stmt_list data4
  ...[0x03, 0x08, 0x1b, 0x08, 0x25, 0x08], // name, comp_dir, producer: string
  ...[0x13, 0x05, 0, 0], // language data2
  ...[2, 0x2e, 0], // 2: DW_TAG_subprogram, no children
  ...[0x11, 0x01, 0x40, 0x06, 0, 0], // low_pc addr, frame_base data4
  0,
];

/** A little-endian byte buffer that grows. */
class Bytes {
  private data = new Uint8Array(256);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.data.length) return;
    const grown = new Uint8Array(Math.max(this.data.length * 2, this.length + n));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
  u8(v: number): void {
    this.room(1);
    this.data[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v);
    this.u8(v >> 8);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16((v >>> 16) & 0xffff);
  }
  address(v: bigint, size: 4 | 8): void {
    let x = BigInt.asUintN(size * 8, v);
    for (let i = 0; i < size; i++) {
      this.u8(Number(x & 0xffn));
      x >>= 8n;
    }
  }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.room(bytes.length + 1);
    this.data.set(bytes, this.length);
    this.length += bytes.length;
    this.u8(0);
  }
  uleb(v: number): void {
    do {
      const byte = v & 0x7f;
      v = Math.floor(v / 128);
      this.u8(v !== 0 ? byte | 0x80 : byte);
    } while (v !== 0);
  }
  sleb(v: number): void {
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
      this.u8(done ? byte : byte | 0x80);
      if (done) return;
    }
  }
  append(other: Bytes): void {
    this.room(other.length);
    this.data.set(other.bytes(), this.length);
    this.length += other.length;
  }
  setU32(at: number, v: number): void {
    this.data[at] = v & 0xff;
    this.data[at + 1] = (v >> 8) & 0xff;
    this.data[at + 2] = (v >> 16) & 0xff;
    this.data[at + 3] = (v >>> 24) & 0xff;
  }
  bytes(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

/** The files in the order their first statement produced output (DWARF file numbers start at 1). */
class FileTable {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  numberOf(name: string): number {
    let n = this.index.get(name);
    if (n === undefined) {
      this.names.push(name);
      n = this.names.length;
      this.index.set(name, n);
    }
    return n;
  }
}

/** An executable section's line-number program, with the state its next row is relative to. */
interface Sequence {
  section: Section;
  program: Bytes;
  line: number;
  offset: number;
  file: number;
}

export function buildDebugSections(input: DebugInput, format: DebugFormat): DebugSection[] {
  return format === 'dwarf' ? buildDwarf(input) : buildStabs(input);
}

function buildDwarf(input: DebugInput): DebugSection[] {
  const is64 = input.format === 'elf64';
  const addressSize = is64 ? 8 : 4;
  const files = new FileTable();
  const sequences: Sequence[] = [];
  const bySection = new Map<Section, Sequence>();
  for (const { origin: line, section, offset } of input.lines) {
    const origin = line.debugAt ?? line;
    const file = files.numberOf(origin.file);
    if (!section || !section.exec) continue;
    let seq = bySection.get(section);
    if (!seq) {
      seq = { section, program: new Bytes(), line: 1, offset: 0, file: 1 };
      seq.program.u8(0);
      seq.program.u8(1 + addressSize);
      seq.program.u8(DW_LNE_SET_ADDRESS);
      seq.program.address(0n, addressSize);
      bySection.set(section, seq);
      sequences.push(seq);
    }
    const program = seq.program;
    if (file !== seq.file) {
      program.u8(DW_LNS_SET_FILE);
      program.u8(file);
      seq.file = file;
    }
    const lineDelta = origin.line - seq.line;
    if (lineDelta === 0) continue;
    const addressDelta = offset - seq.offset;
    const special = lineDelta - LINE_BASE + LINE_RANGE * addressDelta + OPCODE_BASE;
    if (lineDelta >= LINE_BASE && lineDelta < LINE_BASE + LINE_RANGE && special < 256) program.u8(special);
    else {
      program.u8(DW_LNS_ADVANCE_LINE);
      program.sleb(lineDelta);
      if (addressDelta !== 0) {
        program.u8(DW_LNS_ADVANCE_PC);
        program.uleb(addressDelta);
      }
      program.u8(DW_LNS_COPY);
    }
    seq.line = origin.line;
    seq.offset = offset;
  }
  if (sequences.length === 0) {
    // nasm writes every table, empty, when no executable section received code
    const empty = new Uint8Array(0);
    return dwarfSections({ aranges: empty, info: empty, abbrev: empty, line: empty }, [], [], []);
  }
  for (const seq of sequences) {
    seq.program.u8(DW_LNS_ADVANCE_PC);
    seq.program.u8(seq.section.size - seq.offset);
    seq.program.u8(0);
    seq.program.u8(1);
    seq.program.u8(DW_LNE_END_SEQUENCE);
  }

  // .debug_aranges: one range per sequence section
  const aranges = new Bytes();
  const arangesRelocations: DebugRelocation[] = [];
  aranges.u32(0);
  aranges.u16(2);
  arangesRelocations.push({ offset: aranges.length, size: 4, target: '.debug_info', addend: 0n });
  aranges.u32(0);
  aranges.u8(addressSize);
  aranges.u8(0);
  aranges.u32(0);
  let totalSize = 0;
  for (const seq of sequences) {
    arangesRelocations.push({ offset: aranges.length, size: addressSize, target: seq.section, addend: 0n });
    aranges.address(0n, addressSize);
    aranges.address(BigInt(seq.section.size), addressSize);
    totalSize += seq.section.size;
  }
  aranges.address(0n, addressSize);
  aranges.address(0n, addressSize);
  aranges.setU32(0, aranges.length - 4);

  // .debug_info: the compile unit and one subprogram at the first sequence's start
  const first = sequences[0]!.section;
  const info = new Bytes();
  const infoRelocations: DebugRelocation[] = [];
  const address = (target: Section, addend: bigint): void => {
    infoRelocations.push({ offset: info.length, size: addressSize, target, addend });
    info.address(0n, addressSize);
  };
  info.u32(0);
  info.u16(input.format === 'elf32' ? 2 : 3);
  infoRelocations.push({ offset: info.length, size: 4, target: '.debug_abbrev', addend: 0n });
  info.u32(0);
  info.u8(addressSize);
  info.uleb(1);
  address(first, 0n);
  address(first, BigInt(totalSize));
  infoRelocations.push({ offset: info.length, size: 4, target: '.debug_line', addend: 0n });
  info.u32(0);
  info.string(input.fileName);
  info.string(input.directory);
  info.string(PRODUCER);
  info.u16(DW_LANG_MIPS_ASSEMBLER);
  info.uleb(2);
  address(first, 0n);
  // DW_AT_frame_base is declared data4, but nasm's ELF64 writes it as 8 bytes
  info.address(0n, addressSize);
  info.u8(0);
  info.setU32(0, info.length - 4);

  // .debug_line: header, file table, then the sequences one after another
  const header = new Bytes();
  header.u8(1); // minimum instruction length
  header.u8(1); // default is_stmt
  header.u8(LINE_BASE);
  header.u8(LINE_RANGE);
  header.u8(OPCODE_BASE);
  for (const n of STANDARD_OPCODE_LENGTHS) header.u8(n);
  header.u8(0); // no include directories
  for (const name of files.names) {
    header.string(name);
    header.u8(0);
    header.u8(0);
    header.u8(0);
  }
  header.u8(0);
  const line = new Bytes();
  line.u32(0);
  line.u16(input.format === 'elf32' ? 2 : 3);
  line.u32(header.length);
  line.append(header);
  const lineRelocations: DebugRelocation[] = [];
  for (const seq of sequences) {
    // the set_address operand, 3 bytes into the sequence
    lineRelocations.push({ offset: line.length + 3, size: addressSize, target: seq.section, addend: 0n });
    line.append(seq.program);
  }
  line.setU32(0, line.length - 4);

  return dwarfSections(
    {
      aranges: aranges.bytes(),
      info: info.bytes(),
      abbrev: Uint8Array.from(ABBREVIATIONS),
      line: line.bytes(),
    },
    arangesRelocations,
    infoRelocations,
    lineRelocations,
  );
}

/** nasm's DWARF sections in its order (it always adds empty .debug_pubnames, .debug_frame and .debug_loc). */
function dwarfSections(
  data: { aranges: Uint8Array; info: Uint8Array; abbrev: Uint8Array; line: Uint8Array },
  arangesRelocations: DebugRelocation[],
  infoRelocations: DebugRelocation[],
  lineRelocations: DebugRelocation[],
): DebugSection[] {
  const empty = new Uint8Array(0);
  return [
    { name: '.debug_aranges', data: data.aranges, align: 1 },
    { relocates: '.debug_aranges', relocations: arangesRelocations },
    { name: '.debug_pubnames', data: empty, align: 1 },
    { name: '.debug_info', data: data.info, align: 1 },
    { relocates: '.debug_info', relocations: infoRelocations },
    { name: '.debug_abbrev', data: data.abbrev, align: 1 },
    { name: '.debug_line', data: data.line, align: 1 },
    { relocates: '.debug_line', relocations: lineRelocations },
    { name: '.debug_frame', data: empty, align: 8 },
    { name: '.debug_loc', data: empty, align: 1 },
  ];
}

const N_SO = 0x64;
const N_SOL = 0x84;
const N_SLINE = 0x44;
const STAB_SIZE = 12;

/**
 * nasm's stabs: a stab for every new source position (file, line or section changed since the previous
 * output) in an executable section, N_SOL first when the file changed. The first stab holds the count and
 * the string table's size; the main file's N_SO opens the list, an empty N_SO ends it.
 */
function buildStabs(input: DebugInput): DebugSection[] {
  const positions: DebugLine[] = [];
  let previous: DebugLine | undefined;
  for (const line of input.lines) {
    const l = line.origin.debugAt ? { ...line, origin: { ...line.origin, ...line.origin.debugAt } } : line;
    const moved =
      !previous ||
      previous.section !== l.section ||
      previous.origin.file !== l.origin.file ||
      previous.origin.line !== l.origin.line;
    previous = l;
    if (moved && l.section?.exec) positions.push(l);
  }
  const names: string[] = [];
  for (const p of positions) if (!names.includes(p.origin.file)) names.push(p.origin.file);
  const strings = new Bytes();
  strings.u8(0);
  const stringAt = new Map<string, number>();
  for (const name of names) {
    stringAt.set(name, strings.length);
    strings.string(name);
  }
  const stabs = new Bytes();
  const relocations: DebugRelocation[] = [];
  const stab = (strx: number, type: number, desc: number, value: number): void => {
    stabs.u32(strx);
    stabs.u8(type);
    stabs.u8(0);
    stabs.u16(desc);
    stabs.u32(value);
  };
  const relocated = (section: Section, offset: number): void => {
    relocations.push({ offset: stabs.length - 4, size: 4, target: section, addend: BigInt(offset) });
  };
  const main = names.includes(input.fileName) ? input.fileName : names[0];
  if (positions.length > 0) {
    const first = positions[0]!;
    stab(stringAt.get(names[0]!)!, 0, 0, strings.length);
    stab(stringAt.get(main!)!, N_SO, 0, 0);
    relocated(first.section!, 0);
    let file = main;
    for (const p of positions) {
      if (p.origin.file !== file) {
        file = p.origin.file;
        stab(stringAt.get(file)!, N_SOL, 0, p.offset);
        relocated(p.section!, p.offset);
      }
      stab(0, N_SLINE, p.origin.line, p.offset);
      relocated(p.section!, p.offset);
    }
  }
  stab(0, N_SO, 0, 0);
  // the first stab's n_desc: how many follow it (with nothing to list, the closing one is the first and counts)
  const data = stabs.bytes();
  const count = data.length / STAB_SIZE - (positions.length > 0 ? 1 : 0);
  new DataView(data.buffer).setUint16(6, count, true);
  return [
    { name: '.stab', data, align: 4, entrySize: STAB_SIZE, linkTo: '.stabstr' },
    { name: '.stabstr', data: strings.bytes(), align: 4, strings: true },
    { relocates: '.stab', relocations },
  ];
}

// ---------------------------------------------------------------- object sizes of data labels

/**
 * nasm's debug type of a data or reservation statement (its TY_* code), which gives the label before it an
 * object type and size. Data elements are mapped by their size the way nasm 2.16 maps them (16 and 32 bytes
 * to the 32- and 64-byte types), reservations by their unit.
 */
const DATA_TYPE_BY_ELEMENT: Record<number, number> = {
  1: 0x08,
  2: 0x10,
  4: 0x20,
  8: 0x40,
  10: 0x50,
  16: 0x70,
  32: 0x80,
};
const FLOAT_DWORD_TYPE = 0x30;
const RESERVE_TYPE_BY_UNIT: Record<number, number> = {
  1: 0x08,
  2: 0x10,
  4: 0x20,
  8: 0x40,
  10: 0x50,
  16: 0x60,
  32: 0x70,
  64: 0x80,
};
const OBJECT_SIZE_BY_TYPE: Record<number, number> = {
  0x08: 1,
  0x10: 2,
  0x20: 4,
  0x30: 4,
  0x40: 8,
  0x50: 10,
  0x60: 16,
  0x70: 32,
  0x80: 64,
};

/** An element of a data statement, as far as its debug type goes. */
export type DataElement = { unit: number; float: boolean } | { group: DataElement[] };

/** The debug type of a data statement: its elements' types or-ed together, as nasm combines them. */
export function dataTypeCode(elements: readonly DataElement[]): number {
  let code = 0;
  for (const e of elements) {
    if ('group' in e) code |= dataTypeCode(e.group);
    else if (e.float && e.unit === 4) code |= FLOAT_DWORD_TYPE;
    else code |= DATA_TYPE_BY_ELEMENT[e.unit] ?? 0;
  }
  return code;
}

export function reserveTypeCode(unit: number): number {
  return RESERVE_TYPE_BY_UNIT[unit] ?? 0;
}

/** The object size a debug type gives the label before it; undefined when it gives none. */
export function objectSizeOf(typeCode: number): number | undefined {
  return OBJECT_SIZE_BY_TYPE[typeCode & 0xf8];
}
