/**
 * A listing in nasm's `-l` layout: line number, offset, bytes (relocated fields in `[...]` for addresses and
 * `(...)` for external or PC-relative ones, `?` for reserved space, `<rep N>` for repeated data), then the
 * source line, with `<level>` in front of lines that come from an included file or a macro.
 */

import type { ListingRecord } from './layout.js';
import type { PreprocessedLine } from './preprocessor.js';

const HEX_WIDTH = 18;

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

/** One piece of the hex column and the offset nasm's `list_out` is given with it (none: keeps the line's). */
interface HexPiece {
  text: string;
  offset?: number;
  /** `incbin`'s size: nasm moves the line's offset to it even when the buffer already holds bytes. */
  movesOffset?: boolean;
}

/** The hex pieces of one record: a byte, a relocated field, a repeat count, a run of zeros or reserved space. */
function bytePieces(record: ListingRecord): HexPiece[] {
  const at = record.offset;
  if (record.zeros !== undefined) {
    if (record.reserve)
      return [
        {
          text: record.zeros <= 9 ? '?'.repeat(record.zeros * 2) : `<res ${hex(record.zeros, 1)}h>`,
          offset: at,
        },
      ];
    return [
      {
        text: record.zeros <= 9 ? '00'.repeat(record.zeros) : `00<rep ${hex(record.zeros, 1)}h>`,
        offset: at,
      },
    ];
  }
  const bytes = record.bytes ?? new Uint8Array(0);
  if (record.binary) {
    const size = { text: `<bin ${hex(bytes.length, 1)}h>`, offset: at, movesOffset: true };
    return record.repeat && record.repeat > 1 ? [size, { text: `<rep ${hex(record.repeat, 1)}h>` }] : [size];
  }
  const pieces: HexPiece[] = [];
  let i = 0;
  const fixups = record.fixups ?? [];
  while (i < bytes.length) {
    const f = fixups.find((x) => x.offset === i);
    if (f) {
      // nasm shows the field as stored before relocation: the offset from the symbol
      let value = BigInt.asUintN(f.size * 8, f.addend);
      let text = '';
      for (let k = 0; k < f.size; k++) {
        text += hex(Number(value & 0xffn), 2);
        value >>= 8n;
      }
      pieces.push({ text: f.pcRelative ? `(${text})` : `[${text}]`, offset: at + i });
      i += f.size;
    } else {
      pieces.push({ text: hex(bytes[i]!, 2), offset: at + i });
      i++;
    }
  }
  // the count follows the first repetition's bytes and keeps the offset of the line it lands on
  if (record.repeat && record.repeat > 1) pieces.push({ text: `<rep ${hex(record.repeat, 1)}h>` });
  return pieces;
}

/**
 * The hex column's lines for everything one listed line assembled, as nasm's `list_out` fills its buffer: a
 * piece that would overflow the column ends the line with `-`, and each line shows the offset of its first
 * piece that has one.
 */
function hexLines(pieces: HexPiece[]): Array<{ offset: number; text: string }> {
  const lines: Array<{ offset: number; text: string }> = [];
  let text = '';
  let offset = pieces[0]?.offset ?? 0;
  for (const p of pieces) {
    if (p.movesOffset) offset = p.offset!;
    if (text.length + p.text.length > HEX_WIDTH) {
      lines.push({ offset, text: text + '-' });
      text = '';
    }
    if (text === '' && p.offset !== undefined) offset = p.offset;
    text += p.text;
  }
  lines.push({ offset, text });
  return lines;
}

/**
 * A macro or `%rep` body line as nasm lists it: rebuilt from its tokens, so each run of blanks outside strings is
 * one space, the comment and trailing blanks are gone and `%{N}` reads `%N`.
 */
function expandedText(text: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      out += c;
      if (c === '\\' && quote === '`' && i + 1 < text.length) out += text[++i];
      else if (c === quote) quote = '';
      continue;
    }
    if (c === ';') break;
    if (c === ' ' || c === '\t') {
      if (!out.endsWith(' ')) out += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    // nasm's token for a braced parameter `%{5}` is `%5`
    const braced = c === '%' ? /^%\{([0-9]+)\}/.exec(text.slice(i)) : null;
    if (braced) {
      out += `%${braced[1]}`;
      i += braced[0].length - 1;
      continue;
    }
    out += c;
  }
  return quote ? out : out.trimEnd();
}

/**
 * `messages`: each warning and error as reported, with the sequence number of its line; nasm lists them under
 * the line (the one that invoked a `.nolist` macro for the macro's lines).
 */
export function formatListing(
  lines: PreprocessedLine[],
  records: ListingRecord[],
  messages: ReadonlyArray<{ seq: number | undefined; text: string }> = [],
): string {
  const byLine = new Map<number, ListingRecord[]>();
  for (const r of records) {
    const list = byLine.get(r.line);
    if (list) list.push(r);
    else byLine.set(r.line, [r]);
  }
  // nasm lists what a `.nolist` macro's lines assemble on the line that invoked the macro, in one buffer
  const owner = new Map<number, number>();
  // the listed line of each source line (by its sequence number), for its messages
  const lineOfSeq = new Map<number, number>();
  let listed = -1;
  lines.forEach((line, index) => {
    if (!line.nolist || listed < 0) listed = index;
    owner.set(index, listed);
    if (line.origin.seq !== undefined && !lineOfSeq.has(line.origin.seq))
      lineOfSeq.set(line.origin.seq, listed);
  });
  const messagesOf = new Map<number, string[]>();
  for (const m of messages) {
    const at = m.seq === undefined ? undefined : lineOfSeq.get(m.seq);
    if (at === undefined) continue;
    const list = messagesOf.get(at);
    if (list) list.push(m.text);
    else messagesOf.set(at, [m.text]);
  }
  const piecesOf = new Map<number, HexPiece[]>();
  lines.forEach((_, index) => {
    const recs = byLine.get(index);
    if (!recs) return;
    const at = owner.get(index)!;
    const pieces = piecesOf.get(at) ?? [];
    piecesOf.set(at, pieces);
    for (const r of recs) pieces.push(...bytePieces(r));
  });
  const out: string[] = [];
  lines.forEach((line, index) => {
    if (owner.get(index) !== index) return;
    const number = String(line.origin.line).padStart(6);
    // nasm's level counts `%include`s as well as macro expansions; only macro lines are shown rebuilt
    const level = line.depth + (line.includeDepth ?? 0);
    const marker = level > 0 ? `<${level}> ` : '    ';
    const source = line.listText ?? (line.depth > 0 ? expandedText(line.origin.text) : line.origin.text);
    const pieces = piecesOf.get(index);
    if (!pieces || pieces.length === 0) {
      // nasm copies the source text as it is, trailing blanks included
      out.push(`${number} ${' '.repeat(8)} ${' '.repeat(HEX_WIDTH + 2)}${marker}${source}`);
    } else {
      hexLines(pieces).forEach(({ offset, text }, k) => {
        if (k === 0) out.push(`${number} ${hex(offset, 8)} ${text.padEnd(HEX_WIDTH + 2)}${marker}${source}`);
        // nasm pads continuation lines to the hex column and prints no source, only the level
        else if (level > 0) out.push(`${number} ${hex(offset, 8)} ${text.padEnd(HEX_WIDTH + 2)}<${level}>`);
        else out.push(`${number} ${hex(offset, 8)} ${text.padEnd(HEX_WIDTH + 1)}`);
      });
    }
    const stars = '*'.repeat(HEX_WIDTH);
    for (const text of messagesOf.get(index) ?? [])
      out.push(`${number}          ${stars}${level > 0 ? `  <${level}>` : '     '}  ${text}`);
  });
  return out.join('\n') + '\n';
}
