/**
 * ld's merging of stabs debug tables (bfd's _bfd_link_section_stabs): every object's `.stab` starts with a
 * header entry and indexes its own `.stabstr`. The output keeps the first object's header, counting all the
 * entries and the whole string table, drops the other headers, and has one `.stabstr` holding each string
 * once; the entries' string offsets are rewritten to it.
 */

import { RelaTable } from '../elf/reader.js';
import type { InputFile, InputSection } from './model.js';

const ENTRY = 12;

export function mergeStabs(files: readonly InputFile[]): void {
  const pairs: Array<{ stab: InputSection; strings: InputSection }> = [];
  for (const file of files) {
    const stab = file.sections.find((s) => s?.name === '.stab' && !s.discarded);
    const strings = file.sections.find((s) => s?.name === '.stabstr' && !s.discarded);
    if (stab && strings && stab.size >= ENTRY && stab.size % ENTRY === 0) pairs.push({ stab, strings });
  }
  if (pairs.length === 0) return;
  const table: number[] = [0];
  const offsets = new Map<string, number>([['', 0]]);
  const place = (bytes: Uint8Array, at: number): number => {
    let end = at;
    while (end < bytes.length && bytes[end] !== 0) end++;
    const text = new TextDecoder('latin1').decode(bytes.subarray(at, end));
    let offset = offsets.get(text);
    if (offset === undefined) {
      offset = table.length;
      offsets.set(text, offset);
      for (let i = at; i < end; i++) table.push(bytes[i]!);
      table.push(0);
    }
    return offset;
  };
  let entries = 0;
  pairs.forEach(({ stab, strings }, k) => {
    // the first object keeps its header entry; the others lose theirs, and their relocations move up
    const skip = k === 0 ? 0 : ENTRY;
    const data = stab.data.slice(skip);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let at = 0; at < data.length; at += ENTRY) {
      const strx = view.getUint32(at, true);
      if (strx !== 0) view.setUint32(at, place(strings.data, strx), true);
    }
    entries += (stab.data.length - ENTRY) / ENTRY;
    stab.data = data;
    stab.size = data.length;
    if (skip > 0) stab.relocations = shifted(stab.relocations, skip);
  });
  const header = new DataView(pairs[0]!.stab.data.buffer, pairs[0]!.stab.data.byteOffset, ENTRY);
  header.setUint16(6, entries, true);
  header.setUint32(8, table.length, true);
  pairs.forEach(({ strings }, k) => {
    strings.data = k === 0 ? Uint8Array.from(table) : new Uint8Array(0);
    strings.size = strings.data.length;
    // ld's merged string table is byte-aligned whatever the inputs asked
    strings.align = 1;
  });
}

/** The relocations of a section whose first `by` bytes were removed (none point into them). */
function shifted(relocations: RelaTable, by: number): RelaTable {
  const words = new Int32Array(relocations.words.length);
  let n = 0;
  for (let i = 0; i < relocations.length; i++) {
    if (relocations.offset(i) < by) continue;
    words.set(relocations.words.subarray(i * 6, i * 6 + 6), n * 6);
    words[n * 6] = relocations.offset(i) - by;
    n++;
  }
  return new RelaTable(words.slice(0, n * 6));
}
