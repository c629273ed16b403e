/**
 * SHF_MERGE sections (`.rodata.str1.1`, `.rodata.cst16`, `.comment`): identical pieces are kept once, like
 * bfd's merge.c. Sections are grouped by output section, entry size, alignment and string-ness; each input
 * section keeps the pieces it introduced first, and for strings a string that is the tail of another kept
 * string points into it (tail merging). Symbols and relocations are later redirected through `merged`.
 */
import { SHF_MERGE, SHF_STRINGS, SHT_NOBITS } from '../elf/constants.js';
import { UserError } from '../errors.js';
import type { InputSection, OutputSection } from './model.js';

interface Piece {
  key: string;
  bytes: Uint8Array;
  owner: InputSection;
  /** Offset inside its owner's new contents; -1 while it is the tail of another piece. */
  offset: number;
  suffixOf?: Piece;
}

export function mergeSections(outputs: OutputSection[]): void {
  for (const output of outputs) {
    const groups = new Map<string, InputSection[]>();
    for (const content of output.contents) {
      if (content.kind !== 'inputs') continue;
      for (const s of content.sections) {
        if (!s.live || (s.flags & SHF_MERGE) === 0 || s.entsize === 0 || s.type === SHT_NOBITS) continue;
        const key = `${s.flags & SHF_STRINGS}:${s.entsize}:${s.align}`;
        const list = groups.get(key) ?? [];
        list.push(s);
        groups.set(key, list);
      }
    }
    for (const sections of groups.values()) {
      // bfd records sections in input order, not in script placement order.
      sections.sort((a, b) => a.file.order - b.file.order || a.index - b.index);
      mergeGroup(sections);
    }
  }
}

function mergeGroup(sections: InputSection[]): void {
  const strings = (sections[0]!.flags & SHF_STRINGS) !== 0;
  const entsize = sections[0]!.entsize;
  const align = sections[0]!.align;
  const table = new Map<string, Piece>();
  const order: Piece[] = [];
  const perSection: Array<{ section: InputSection; starts: number[]; pieces: Piece[] }> = [];
  for (const section of sections) {
    const starts: number[] = [];
    const pieces: Piece[] = [];
    const data = section.data;
    let at = 0;
    while (at < data.length) {
      let end: number;
      if (strings) {
        end = at;
        for (;;) {
          if (end + entsize > data.length)
            throw new UserError(
              `${section.file.name}:(${section.name}): string at offset 0x${at.toString(16)} is not NUL-terminated`,
            );
          let zero = true;
          for (let k = 0; k < entsize; k++) if (data[end + k] !== 0) zero = false;
          end += entsize;
          if (zero) break;
        }
      } else {
        end = Math.min(at + entsize, data.length);
      }
      const bytes = data.subarray(at, end);
      const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
      let piece = table.get(key);
      if (!piece) {
        piece = { key, bytes, owner: section, offset: -1 };
        table.set(key, piece);
        order.push(piece);
      }
      starts.push(at);
      pieces.push(piece);
      at = end;
    }
    perSection.push({ section, starts, pieces });
  }
  if (strings) markSuffixes(order, entsize);
  // Lay the kept pieces out in their owners, in first-seen order.
  const sizes = new Map<InputSection, number>();
  for (const piece of order) {
    if (piece.suffixOf) continue;
    let size = sizes.get(piece.owner) ?? 0;
    size = (size + align - 1) & ~(align - 1);
    piece.offset = size;
    sizes.set(piece.owner, size + piece.bytes.length);
  }
  const contents = new Map<InputSection, Uint8Array>();
  for (const [section, size] of sizes) contents.set(section, new Uint8Array(size));
  for (const piece of order) if (!piece.suffixOf) contents.get(piece.owner)!.set(piece.bytes, piece.offset);
  for (const { section, starts, pieces } of perSection) {
    section.merged = {
      starts,
      targets: pieces.map((p) => {
        const root = p.suffixOf ?? p;
        return { section: root.owner, offset: root.offset + (root.bytes.length - p.bytes.length) };
      }),
    };
    const data = contents.get(section);
    section.data = data ?? new Uint8Array(0);
    section.size = section.data.length;
    // A section that contributed no piece of its own vanishes (bfd marks it SEC_EXCLUDE), alignment and all.
    if (!data) section.live = false;
  }
}

/** Strings sorted by their reversed text put every tail right before the strings that end with it. */
function markSuffixes(pieces: Piece[], entsize: number): void {
  const sorted = [...pieces].sort((a, b) => reverseCompare(a.bytes, b.bytes));
  let longer: Piece | undefined;
  for (let i = sorted.length - 1; i >= 0; i--) {
    const piece = sorted[i]!;
    if (
      longer &&
      isSuffix(piece.bytes, longer.bytes) &&
      (longer.bytes.length - piece.bytes.length) % entsize === 0
    ) {
      piece.suffixOf = longer;
    } else longer = piece;
  }
}

function reverseCompare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 1; i <= n; i++) {
    const d = a[a.length - i]! - b[b.length - i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function isSuffix(short: Uint8Array, long: Uint8Array): boolean {
  if (short.length > long.length) return false;
  const offset = long.length - short.length;
  for (let i = 0; i < short.length; i++) if (short[i] !== long[offset + i]) return false;
  return true;
}
