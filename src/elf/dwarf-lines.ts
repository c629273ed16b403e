/**
 * Source lines for diagnostics: a reader for DWARF `.debug_line` (versions 2–5, as gcc, clang and nasm write it)
 * in relocatable objects. Each line-number sequence starts with DW_LNE_set_address, whose operand is relocated
 * against the section the code lives in; that relocation tells which section the sequence describes.
 * Anything unexpected makes the lookup return undefined: line info is a nicety, never a reason to fail.
 */
import type { ElfFile } from './reader.js';

export interface SourceLine {
  file: string;
  line: number;
}

interface Row {
  offset: number;
  file: number;
  line: number;
}

interface Sequence {
  section: number;
  rows: Row[];
  files: string[];
}

const cache = new WeakMap<ElfFile, Sequence[]>();

/** The source line of `offset` in section `sectionIndex` of an object, when it carries line info. */
export function sourceLineAt(elf: ElfFile, sectionIndex: number, offset: number): SourceLine | undefined {
  let sequences = cache.get(elf);
  if (!sequences) {
    try {
      sequences = parseLineTable(elf);
    } catch {
      sequences = [];
    }
    cache.set(elf, sequences);
  }
  let best: { row: Row; files: string[] } | undefined;
  for (const sequence of sequences) {
    if (sequence.section !== sectionIndex) continue;
    for (const row of sequence.rows) {
      if (row.offset <= offset && (!best || row.offset >= best.row.offset))
        best = { row, files: sequence.files };
    }
  }
  if (!best) return undefined;
  const file = best.files[best.row.file];
  return file === undefined ? undefined : { file, line: best.row.line };
}

class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public at: number,
  ) {}
  u8(): number {
    if (this.at >= this.bytes.length) throw new RangeError('truncated');
    return this.bytes[this.at++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  uleb(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) return result;
    }
  }
  sleb(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (b & 0x40) result -= 2 ** shift;
    return result;
  }
  cstring(): string {
    const end = this.bytes.indexOf(0, this.at);
    if (end < 0) throw new RangeError('unterminated string');
    const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, end - this.at).toString(
      'utf8',
    );
    this.at = end + 1;
    return text;
  }
}

function parseLineTable(elf: ElfFile): Sequence[] {
  const section = elf.sections.find((s) => s.name === '.debug_line');
  if (!section) return [];
  const lineStr = elf.sections.find((s) => s.name === '.debug_line_str')?.data;
  const str = elf.sections.find((s) => s.name === '.debug_str')?.data;
  const relocations = new Map((elf.relocations.get(section.index) ?? []).map((r) => [r.offset, r]));
  // In an object, string offsets are relocations against the string section: the addend is the offset.
  const stringAt = (table: Uint8Array | undefined, offset: number, fieldAt: number) => {
    const r = relocations.get(fieldAt);
    const real = r ? Number(r.addend + (elf.symbols[r.symbol]?.value ?? 0n)) : offset;
    return table ? new Cursor(table, real).cstring() : '?';
  };
  const sequences: Sequence[] = [];
  const c = new Cursor(section.data, 0);
  while (c.at + 4 <= section.data.length) {
    const unitLength = c.u32();
    if (unitLength === 0xffffffff) return sequences; // 64-bit DWARF: not produced for x86-64 objects in practice
    const unitEnd = c.at + unitLength;
    const version = c.u16();
    if (version < 2 || version > 5) return sequences;
    if (version >= 5) {
      c.u8(); // address_size
      c.u8(); // segment_selector_size
    }
    const headerLength = c.u32();
    const programStart = c.at + headerLength;
    const minInstruction = c.u8();
    if (version >= 4) c.u8(); // maximum_operations_per_instruction
    c.u8(); // default_is_stmt
    const lineBase = (c.u8() << 24) >> 24;
    const lineRange = c.u8();
    const opcodeBase = c.u8();
    const opcodeLengths = [0];
    for (let i = 1; i < opcodeBase; i++) opcodeLengths.push(c.u8());
    const directories: string[] = [];
    const files: string[] = [];
    if (version >= 5) {
      const readEntries = (): Array<{ path: string; dir: number }> => {
        const formats: Array<[number, number]> = [];
        const formatCount = c.u8();
        for (let i = 0; i < formatCount; i++) formats.push([c.uleb(), c.uleb()]);
        const count = c.uleb();
        const entries: Array<{ path: string; dir: number }> = [];
        for (let i = 0; i < count; i++) {
          const entry = { path: '', dir: 0 };
          for (const [content, form] of formats) {
            const fieldAt = c.at;
            const value = readForm(
              c,
              form,
              (offset) => stringAt(lineStr, offset, fieldAt),
              (offset) => stringAt(str, offset, fieldAt),
            );
            if (content === 1 && typeof value === 'string') entry.path = value;
            if (content === 2 && typeof value === 'number') entry.dir = value;
          }
          entries.push(entry);
        }
        return entries;
      };
      for (const d of readEntries()) directories.push(d.path);
      for (const f of readEntries()) files.push(joinPath(directories[f.dir], f.path));
    } else {
      directories.push('');
      for (let d = c.cstring(); d !== ''; d = c.cstring()) directories.push(d);
      files.push('');
      for (let name = c.cstring(); name !== ''; name = c.cstring()) {
        const dir = c.uleb();
        c.uleb();
        c.uleb();
        files.push(joinPath(directories[dir], name));
      }
    }
    c.at = programStart;
    let state = { address: 0, file: 1, line: 1, section: -1, base: 0 };
    let rows: Row[] = [];
    const emit = () => rows.push({ offset: state.address - state.base, file: state.file, line: state.line });
    while (c.at < unitEnd) {
      const opcode = c.u8();
      if (opcode >= opcodeBase) {
        const adjusted = opcode - opcodeBase;
        state.address += Math.floor(adjusted / lineRange) * minInstruction;
        state.line += lineBase + (adjusted % lineRange);
        emit();
      } else if (opcode === 0) {
        const length = c.uleb();
        const start = c.at;
        const sub = c.u8();
        if (sub === 1) {
          if (state.section >= 0) sequences.push({ section: state.section, rows, files });
          rows = [];
          state = { address: 0, file: 1, line: 1, section: -1, base: 0 };
        } else if (sub === 2) {
          const r = relocations.get(c.at);
          const sym = r ? elf.symbols[r.symbol] : undefined;
          state.section = sym ? sym.shndx : -1;
          state.base = 0;
          state.address = sym ? Number(sym.value + r!.addend) : 0;
        }
        c.at = start + length;
      } else if (opcode === 1) emit();
      else if (opcode === 2) state.address += c.uleb() * minInstruction;
      else if (opcode === 3) state.line += c.sleb();
      else if (opcode === 4) state.file = c.uleb();
      else if (opcode === 8) state.address += Math.floor((255 - opcodeBase) / lineRange) * minInstruction;
      else if (opcode === 9) state.address += c.u16();
      else for (let i = 0; i < (opcodeLengths[opcode] ?? 0); i++) c.uleb();
    }
    // DWARF 5 numbers files from 0, earlier versions from 1 (index 0 is our placeholder there).
    c.at = unitEnd;
  }
  return sequences;
}

function readForm(
  c: Cursor,
  form: number,
  lineStr: (offset: number) => string,
  str: (offset: number) => string,
): string | number {
  switch (form) {
    case 0x08: // DW_FORM_string
      return c.cstring();
    case 0x1f: // DW_FORM_line_strp
      return lineStr(c.u32());
    case 0x0e: // DW_FORM_strp
      return str(c.u32());
    case 0x0f: // DW_FORM_udata
      return c.uleb();
    case 0x0b: // DW_FORM_data1
      return c.u8();
    case 0x05: // DW_FORM_data2
      return c.u16();
    case 0x06: // DW_FORM_data4
      return c.u32();
    case 0x07: // DW_FORM_data8
      c.u32();
      return c.u32();
    case 0x1e: // DW_FORM_data16
      c.at += 16;
      return 0;
    case 0x09: {
      // DW_FORM_block
      const length = c.uleb();
      c.at += length;
      return 0;
    }
    default:
      throw new RangeError(`unsupported form ${form}`);
  }
}

function joinPath(dir: string | undefined, name: string): string {
  if (!dir || name.startsWith('/')) return name;
  return `${dir}/${name}`;
}
