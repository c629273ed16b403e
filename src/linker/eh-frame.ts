/**
 * `.eh_frame` as bfd edits it (elf-eh-frame.c), only for the input sections of the output section named
 * `.eh_frame` (placed anywhere else they are copied unchanged, as ld does):
 *   - each CIE and FDE loses its trailing DW_CFA_nop padding, then starts at a multiple of 4 (an FDE whose
 *     addresses are 8 bytes wide, at a multiple of 8), the record's length growing over the gap (as nops);
 *   - FDEs whose function was discarded (/DISCARD/, COMDAT, --gc-sections) are dropped, and so are CIEs no kept
 *     FDE uses; identical CIEs (same trimmed bytes and personality) are stored once per output section;
 *   - zero terminators are dropped except in the last input section;
 *   - every input section but the last non-empty one is padded to the output section's alignment inside its last
 *     record, so that no zero padding between input sections reads as a terminator.
 * A section whose CFA instructions cannot be read is left as it is (bfd gives up on it too). Each edited input
 * section gets new contents and relocations; the FDEs' CIE pointers (distances that may now cross input sections)
 * are written after layout from `cieLinks`.
 */
import { ELFCLASS32, STB_LOCAL, STT_SECTION } from '../elf/constants.js';
import { RelaTable, type ElfRelocation } from '../elf/reader.js';
import type { InputSection, OutputSection } from './model.js';

interface CieHome {
  section: InputSection;
  offset: number;
}

interface CieInfo {
  /** Where the augmentation data says FDEs hold their addresses (DW_EH_PE_*), and whether they have 'z' data. */
  fdeEncoding: number;
  augmented: boolean;
  key: string;
  home?: CieHome;
}

interface SectionRecord {
  start: number;
  /** Bytes kept from the record: up to its last non-nop CFA instruction. */
  trimmed: number;
  alignment: number;
  kind: 'cie' | 'fde' | 'terminator';
  cie?: CieInfo;
  keep: boolean;
  newOffset: number;
}

/** The record the last edited input section ends with, to grow over the next input section's alignment gap. */
const lastRecordStart = new WeakMap<InputSection, number>();

export interface EhFrameSummary {
  /** There was `.eh_frame` input to edit (then ld sizes the sections a second time). */
  input: boolean;
  /** FDEs kept, for `.eh_frame_hdr`'s search table. */
  fdes: number;
  /** Every input could be read: bfd writes the search table only then. */
  table: boolean;
}

/** `mergeCies`: false for -r, where bfd keeps every CIE (merge_cies is off in relocatable links). */
export function optimizeEhFrames(outputs: OutputSection[], mergeCies = true): EhFrameSummary {
  let parsed = false;
  let fdes = 0;
  let table = true;
  for (const output of outputs) {
    if (output.name !== '.eh_frame') continue;
    let inputs: InputSection[] = [];
    for (const content of output.contents)
      if (content.kind === 'inputs')
        for (const section of content.sections) if (section.live) inputs.push(section);
    const seen = new Map<string, CieInfo>();
    const emptied = new Set<InputSection>();
    inputs.forEach((section, i) => {
      if (section.name !== '.eh_frame' || section.size === 0) return;
      section.cieLinks = undefined;
      rewrite(section, mergeCies ? seen : new Map(), i === inputs.length - 1);
      parsed = true;
      // rewrite() leaves cieLinks unset on a section it could not read.
      const links = section.cieLinks as InputSection['cieLinks'];
      if (links) fdes += links.length;
      else table = false;
      if (section.size === 0) emptied.add(section);
    });
    // The linker's own empty `.eh_frame` (a PIE's PLT unwind section) no longer aligns the end of the output
    // section once objects' unwind tables were edited, yet still keeps the section when they all went.
    if (parsed)
      for (const section of inputs)
        if (section.keptEmpty && section.size === 0 && inputs.some((s) => s.size > 0 && !emptied.has(s)))
          emptied.add(section);
    // bfd excludes the sections left empty: they no longer align the location counter.
    if (emptied.size > 0) {
      for (const content of output.contents)
        if (content.kind === 'inputs') content.sections = content.sections.filter((s) => !emptied.has(s));
      inputs = inputs.filter((s) => !emptied.has(s));
    }
    // bfd_elf_discard_info: from the last input section with more than a terminator backwards, pad each one.
    const alignment = inputs.reduce((a, s) => Math.max(a, s.align), 1);
    let last = inputs.length - 1;
    while (last >= 0 && inputs[last]!.size <= 4) last--;
    for (let i = 0; i < last; i++) padTo(inputs[i]!, alignment);
  }
  return { input: parsed, fdes, table };
}

function padTo(section: InputSection, alignment: number): void {
  const size = Math.ceil(section.size / alignment) * alignment;
  if (size === section.size) return;
  const grown = new Uint8Array(size);
  grown.set(section.data);
  const last = lastRecordStart.get(section);
  if (last !== undefined) {
    const view = new DataView(grown.buffer);
    view.setUint32(last, size - last - 4, true);
  }
  section.data = grown;
  section.size = size;
}

function uleb(data: Uint8Array, at: { p: number }, end: number): number | undefined {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at.p >= end) return undefined;
    const byte = data[at.p++]!;
    if (shift < 28) value |= (byte & 0x7f) << shift;
    shift += 7;
    if ((byte & 0x80) === 0) return value >>> 0;
  }
}

/** bfd's get_DW_EH_PE_width: 0 for encodings of unknown width. */
/** `pointerSize`: DW_EH_PE_absptr's width, the object's address size (8 in ELF64, 4 in ELF32). */
function encodingWidth(encoding: number, pointerSize: number): number {
  if ((encoding & 0x60) === 0x60) return 0;
  switch (encoding & 7) {
    case 2:
      return 2;
    case 3:
      return 4;
    case 4:
      return 8;
    case 0:
      return pointerSize;
  }
  return 0;
}

/** bfd's skip_non_nops: the end of the last CFA instruction that is not DW_CFA_nop, or undefined if unreadable. */
function endOfInstructions(data: Uint8Array, start: number, end: number): number | undefined {
  let at = start;
  let last = start;
  const skip = (n: number): boolean => {
    if (end - at < n) return false;
    at += n;
    return true;
  };
  const leb = (): boolean => {
    for (;;) {
      if (at >= end) return false;
      if ((data[at++]! & 0x80) === 0) return true;
    }
  };
  while (at < end) {
    const op = data[at]!;
    if (op === 0) {
      at++;
      continue;
    }
    at++;
    let ok: boolean;
    switch (op & 0xc0 ? op & 0xc0 : op) {
      case 0x40: // advance_loc
      case 0xc0: // restore
      case 0x0a: // remember_state
      case 0x0b: // restore_state
      case 0x2d: // GNU_window_save
        ok = true;
        break;
      case 0x80: // offset
      case 0x06: // restore_extended
      case 0x07: // undefined
      case 0x08: // same_value
      case 0x0d: // def_cfa_register
      case 0x0e: // def_cfa_offset
      case 0x13: // def_cfa_offset_sf
      case 0x2e: // GNU_args_size
        ok = leb();
        break;
      case 0x14: // val_offset
      case 0x15: // val_offset_sf
      case 0x05: // offset_extended
      case 0x09: // register
      case 0x0c: // def_cfa
      case 0x11: // offset_extended_sf
      case 0x2f: // GNU_negative_offset_extended
      case 0x12: // def_cfa_sf
        ok = leb() && leb();
        break;
      case 0x0f: {
        // def_cfa_expression
        const length = uleb(data, { p: at }, end);
        ok = length !== undefined && leb() && skip(length);
        break;
      }
      case 0x10: // expression
      case 0x16: {
        // val_expression
        ok = leb();
        const length = ok ? uleb(data, { p: at }, end) : undefined;
        ok = ok && length !== undefined && leb() && skip(length);
        break;
      }
      case 0x01: // set_loc (bfd would rewrite it: leave such sections alone)
        return undefined;
      case 0x02:
        ok = skip(1);
        break;
      case 0x03:
        ok = skip(2);
        break;
      case 0x04:
        ok = skip(4);
        break;
      case 0x1d: // MIPS_advance_loc8
        ok = skip(8);
        break;
      default:
        return undefined;
    }
    if (!ok) return undefined;
    last = at;
  }
  return last;
}

/** Reads a CIE's augmentation (bfd's parse: version, string, factors, 'z' data) and where its instructions start. */
function parseCie(
  data: Uint8Array,
  start: number,
  end: number,
  pointerSize: number,
): { fdeEncoding: number; augmented: boolean; instructions: number } | undefined {
  const at = { p: start + 8 };
  const version = data[at.p++];
  if (version !== 1 && version !== 3 && version !== 4) return undefined;
  let augmentation = '';
  while (at.p < end && data[at.p] !== 0) augmentation += String.fromCharCode(data[at.p++]!);
  at.p++;
  if (augmentation !== '' && augmentation[0] !== 'z') return undefined;
  if (version === 4) at.p += 2; // address size, segment selector size
  if (uleb(data, at, end) === undefined || uleb(data, at, end) === undefined) return undefined;
  if (version === 1) at.p++;
  else if (uleb(data, at, end) === undefined) return undefined;
  let fdeEncoding = 0;
  if (augmentation.startsWith('z')) {
    const length = uleb(data, at, end);
    if (length === undefined) return undefined;
    const dataEnd = at.p + length;
    for (const c of augmentation.slice(1)) {
      if (c === 'R') fdeEncoding = data[at.p++]!;
      else if (c === 'L') at.p++;
      else if (c === 'P') {
        const encoding = data[at.p++]!;
        const width = encodingWidth(encoding, pointerSize);
        if (width === 0) return undefined;
        if ((encoding & 0x70) === 0x50) at.p = Math.ceil(at.p / width) * width;
        at.p += width;
      } else if (c !== 'S') return undefined;
    }
    at.p = dataEnd;
  }
  if (at.p > end) return undefined;
  return { fdeEncoding, augmented: augmentation.startsWith('z'), instructions: at.p };
}

function rewrite(section: InputSection, seen: Map<string, CieInfo>, lastInput: boolean): void {
  const pointerSize = section.file.elf.header.elfClass === ELFCLASS32 ? 4 : 8;
  const data = section.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const relocations = section.relocations.toArray().sort((a, b) => a.offset - b.offset);
  const records: SectionRecord[] = [];
  const cieAt = new Map<number, CieInfo>();
  let at = 0;
  let r = 0;
  while (at < data.length) {
    if (at + 4 > data.length) return;
    const length = view.getUint32(at, true);
    if (length === 0) {
      // A terminator; bfd accepts further zero words after it, then the section must end.
      for (let p = at; p < data.length; p++) if (data[p] !== 0) return;
      records.push({
        start: at,
        trimmed: 4,
        alignment: 4,
        kind: 'terminator',
        keep: lastInput,
        newOffset: 0,
      });
      at = data.length;
      break;
    }
    if (length === 0xffffffff || length < 4 || at + 4 + length > data.length) return;
    const end = at + 4 + length;
    const first = r;
    while (r < relocations.length && relocations[r]!.offset < end) r++;
    const inRecord = relocations.slice(first, r);
    const id = view.getUint32(at + 4, true);
    if (id === 0) {
      const cie = parseCie(data, at, end, pointerSize);
      if (!cie) return;
      const insnsEnd = endOfInstructions(data, cie.instructions, end);
      if (insnsEnd === undefined) return;
      const trimmed = insnsEnd - at;
      const key = `${trimmed}|${Buffer.from(data.subarray(at + 8, insnsEnd)).toString('latin1')}|${inRecord.map((x) => `${x.offset - at}:${x.type}:${targetKey(section, x)}:${x.addend}`).join(',')}`;
      const info: CieInfo = { fdeEncoding: cie.fdeEncoding, augmented: cie.augmented, key };
      cieAt.set(at, info);
      records.push({ start: at, trimmed, alignment: 4, kind: 'cie', cie: info, keep: false, newOffset: 0 });
    } else {
      const cie = cieAt.get(at + 4 - id);
      if (!cie) return;
      const width = encodingWidth(cie.fdeEncoding, pointerSize);
      if (width === 0) return;
      const p = { p: at + 8 + 2 * width };
      if (cie.augmented) {
        const augmentation = uleb(data, p, end);
        if (augmentation === undefined) return;
        p.p += augmentation;
      }
      if (p.p > end) return;
      const insnsEnd = endOfInstructions(data, p.p, end);
      if (insnsEnd === undefined) return;
      const pcBegin = inRecord.find((x) => x.offset === at + 8);
      const keep = !pcBegin || targetLive(section, pcBegin);
      records.push({
        start: at,
        trimmed: insnsEnd - at,
        alignment: Math.max(4, width),
        kind: 'fde',
        cie,
        keep,
        newOffset: 0,
      });
    }
    at = end;
  }
  // bfd's find_merged_cie: a CIE is kept (or merged with an identical earlier one) once a kept FDE uses it.
  const homes = new Map<CieInfo, CieInfo>();
  for (const record of records) {
    if (record.kind !== 'fde' || !record.keep) continue;
    const own = record.cie!;
    if (homes.has(own)) continue;
    const earlier = seen.get(own.key);
    if (earlier) homes.set(own, earlier);
    else {
      seen.set(own.key, own);
      homes.set(own, own);
      records.find((c) => c.cie === own && c.kind === 'cie')!.keep = true;
    }
  }
  let offset = 0;
  const kept = records.filter((k) => k.keep);
  for (const k of kept) {
    offset = Math.ceil(offset / k.alignment) * k.alignment;
    k.newOffset = offset;
    offset += k.trimmed;
  }
  const size = Math.ceil(offset / 4) * 4;
  const out = new Uint8Array(size);
  const outView = new DataView(out.buffer);
  const newRelocations: ElfRelocation[] = [];
  const cieLinks: NonNullable<InputSection['cieLinks']> = [];
  let ri = 0;
  kept.forEach((k, i) => {
    const next = i + 1 < kept.length ? kept[i + 1]!.newOffset : size;
    out.set(data.subarray(k.start, k.start + k.trimmed), k.newOffset);
    if (k.kind === 'terminator') return;
    outView.setUint32(k.newOffset, next - k.newOffset - 4, true);
    if (k.kind === 'cie') k.cie!.home = { section, offset: k.newOffset };
    else
      cieLinks.push({
        offset: k.newOffset + 4,
        cie: homeOf(homes.get(k.cie!)!),
        encoding: k.cie!.fdeEncoding,
      });
    while (ri < relocations.length && relocations[ri]!.offset < k.start) ri++;
    for (let j = ri; j < relocations.length && relocations[j]!.offset < k.start + k.trimmed; j++) {
      const x = relocations[j]!;
      newRelocations.push({ ...x, offset: x.offset - k.start + k.newOffset });
    }
    lastRecordStart.set(section, k.newOffset);
  });
  if (kept.length === 0 || kept[kept.length - 1]!.kind === 'terminator') lastRecordStart.delete(section);
  const original = section.edited?.relocations ?? section.relocations;
  section.edited = {
    relocations: original,
    place: (offset) => {
      // The kept records are in input order: the last one starting at or before the offset may hold it.
      let low = 0;
      let high = kept.length - 1;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (kept[mid]!.start <= offset) low = mid;
        else high = mid - 1;
      }
      const k = kept[low];
      return k && k.kind !== 'terminator' && offset >= k.start && offset < k.start + k.trimmed
        ? offset - k.start + k.newOffset
        : undefined;
    },
  };
  section.data = out;
  section.size = out.length;
  section.relocations = RelaTable.fromList(newRelocations);
  section.cieLinks = cieLinks;
}

/** The CIE's place in the output, filled in when its record is written (always before the FDEs that use it). */
function homeOf(cie: CieInfo): CieHome {
  if (!cie.home) throw new Error('eh_frame: CIE written after an FDE that uses it');
  return cie.home;
}

function targetKey(section: InputSection, r: ElfRelocation): string {
  const sym = section.file.elf.symbols[r.symbol];
  if (!sym) return '0';
  if (sym.bind !== STB_LOCAL) return `g:${sym.name}`;
  return `l:${section.file.order}:${sym.type === STT_SECTION ? `s${sym.shndx}` : r.symbol}`;
}

function targetLive(section: InputSection, r: ElfRelocation): boolean {
  const file = section.file;
  const sym = file.elf.symbols[r.symbol];
  if (!sym) return true;
  if (sym.bind !== STB_LOCAL) {
    const d = file.globals[r.symbol]?.definition;
    return !d?.section || d.section.live;
  }
  const target = file.sections[sym.shndx];
  return sym.shndx >= 0xff00 || target === undefined || target.live;
}

/** Writes each FDE's CIE pointer: the distance from the pointer field back to its (possibly shared) CIE. */
export function writeCieLinks(section: InputSection, bytes: Uint8Array): void {
  if (!section.cieLinks) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const base = Number(section.outputOffset);
  for (const link of section.cieLinks) {
    const from = base + link.offset;
    const to = Number(link.cie.section.outputOffset) + link.cie.offset;
    view.setUint32(from, (from - to) >>> 0, true);
  }
}
