/**
 * `.eh_frame` as ld treats it when a script keeps it: identical CIEs from different objects are stored once, and
 * FDEs whose function was discarded (/DISCARD/, COMDAT or --gc-sections) are dropped. Each input section gets
 * new contents and relocations; the FDEs' CIE pointers (section-relative distances that may now cross input
 * sections) are written after layout from `cieLinks`.
 */
import { STB_LOCAL, STT_SECTION } from '../elf/constants.js';
import { RelaTable, type ElfRelocation } from '../elf/reader.js';
import type { InputSection, OutputSection } from './model.js';

interface CieHome {
  section: InputSection;
  offset: number;
}

const lastRecordStart = new WeakMap<InputSection, number>();

export function optimizeEhFrames(outputs: OutputSection[]): void {
  for (const output of outputs) {
    const seen = new Map<string, CieHome>();
    const rewritten: InputSection[] = [];
    for (const content of output.contents) {
      if (content.kind !== 'inputs') continue;
      for (const section of content.sections) {
        if (!section.live || section.name !== '.eh_frame') continue;
        rewrite(section, seen);
        if (section.size > 0) rewritten.push(section);
      }
    }
    // The next input .eh_frame starts aligned; bfd grows the previous last record over that gap (DW_CFA_nops).
    for (let i = 0; i + 1 < rewritten.length; i++) growOverGap(rewritten[i]!, rewritten[i + 1]!.align);
  }
}

function growOverGap(section: InputSection, nextAlign: number): void {
  const last = lastRecordStart.get(section);
  const pad = (nextAlign - (section.size % nextAlign)) % nextAlign;
  if (last === undefined || pad === 0) return;
  const grown = new Uint8Array(section.size + pad);
  grown.set(section.data);
  const view = new DataView(grown.buffer);
  view.setUint32(last, view.getUint32(last, true) + pad, true);
  section.data = grown;
  section.size = grown.length;
}

function rewrite(section: InputSection, seen: Map<string, CieHome>): void {
  const data = section.data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const relocations = section.relocations.toArray().sort((a, b) => a.offset - b.offset);
  const kept: Array<{ start: number; end: number; cie?: CieHome; fdeOf?: number }> = [];
  const cieAt = new Map<number, CieHome>();
  let at = 0;
  let r = 0;
  while (at + 4 <= data.length) {
    const length = view.getUint32(at, true);
    if (length !== 0 && (length === 0xffffffff || at + 4 + length > data.length || length < 4)) return; // unusual: leave untouched
    const end = at + 4 + length;
    const inRecord: ElfRelocation[] = [];
    while (r < relocations.length && relocations[r]!.offset < end) inRecord.push(relocations[r++]!);
    if (length === 0) {
      // Zero padding at the end of the section: bfd folds it into the last record (as DW_CFA_nops).
      const last = kept[kept.length - 1];
      if (last && last.end === at && data.subarray(at).every((b) => b === 0)) last.end = data.length;
      at = data.length;
      break;
    }
    const id = view.getUint32(at + 4, true);
    if (id === 0) {
      const key = `${Buffer.from(data.subarray(at, end)).toString('latin1')}|${inRecord.map((x) => `${x.offset - at}:${x.type}:${targetKey(section, x)}:${x.addend}`).join(',')}`;
      const existing = seen.get(key);
      if (existing) cieAt.set(at, existing);
      else {
        const home = { section, offset: -1 };
        seen.set(key, home);
        cieAt.set(at, home);
        kept.push({ start: at, end, cie: home });
      }
    } else {
      const cie = cieAt.get(at + 4 - id);
      if (!cie) return; // points at something we did not parse: leave the section as it is
      const pcBegin = inRecord.find((x) => x.offset === at + 8);
      if (pcBegin && !targetLive(section, pcBegin)) {
        at = end;
        continue;
      }
      kept.push({ start: at, end, fdeOf: at, cie });
    }
    at = end;
  }
  if (at !== data.length) return;
  const padded = (k: { start: number; end: number }) => k.end - k.start;
  const out = new Uint8Array(kept.reduce((n, k) => n + padded(k), 0));
  const outView = new DataView(out.buffer);
  const newRelocations: ElfRelocation[] = [];
  const cieLinks: Array<{ offset: number; cie: CieHome }> = [];
  let position = 0;
  let ri = 0;
  for (const k of kept) {
    out.set(data.subarray(k.start, k.end), position);
    outView.setUint32(position, padded(k) - 4, true);
    if (k.fdeOf === undefined && k.cie) k.cie.offset = position;
    else if (k.cie) cieLinks.push({ offset: position + 4, cie: k.cie });
    while (ri < relocations.length && relocations[ri]!.offset < k.start) ri++;
    for (let j = ri; j < relocations.length && relocations[j]!.offset < k.end; j++) {
      const x = relocations[j]!;
      newRelocations.push({ ...x, offset: x.offset - k.start + position });
    }
    lastRecordStart.set(section, position);
    position += padded(k);
  }
  section.data = out;
  section.size = out.length;
  section.relocations = RelaTable.fromList(newRelocations);
  section.cieLinks = cieLinks;
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
