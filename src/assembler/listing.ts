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

/** The hex field of one record, split into chunks that fit the column. */
function renderBytes(record: ListingRecord): string[] {
  return splitPieces(bytePieces(record));
}

/** The hex pieces of one record: a byte, a relocated field, a repeat count. */
function bytePieces(record: ListingRecord): string[] {
  if (record.zeros !== undefined) {
    if (record.reserve)
      return [record.zeros <= 9 ? '?'.repeat(record.zeros * 2) : `<res ${hex(record.zeros, 1)}h>`];
    return [record.zeros <= 9 ? '00'.repeat(record.zeros) : `00<rep ${hex(record.zeros, 1)}h>`];
  }
  const bytes = record.bytes ?? new Uint8Array(0);
  const pieces: string[] = [];
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
      pieces.push(f.pcRelative ? `(${text})` : `[${text}]`);
      i += f.size;
    } else {
      pieces.push(hex(bytes[i]!, 2));
      i++;
    }
  }
  if (record.repeat && record.repeat > 1) pieces.push(`<rep ${hex(record.repeat, 1)}h>`);
  return pieces;
}

function splitPieces(pieces: string[]): string[] {
  const lines: string[] = [];
  let current = '';
  for (const p of pieces) {
    if (current.length + p.length > HEX_WIDTH) {
      lines.push(current);
      current = '';
    }
    current += p;
  }
  lines.push(current);
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

export function formatListing(lines: PreprocessedLine[], records: ListingRecord[]): string {
  const byLine = new Map<number, ListingRecord[]>();
  for (const r of records) {
    const list = byLine.get(r.line);
    if (list) list.push(r);
    else byLine.set(r.line, [r]);
  }
  // nasm lists what a `.nolist` macro's lines assemble on the line that invoked the macro, as one run of bytes
  const merged = new Map<number, ListingRecord>();
  let listed = -1;
  lines.forEach((line, index) => {
    if (!line.nolist) {
      listed = index;
      return;
    }
    const recs = byLine.get(index);
    if (!recs || listed < 0) return;
    const target = byLine.get(listed) ?? [];
    byLine.set(listed, target);
    for (const r of recs) {
      if (r.zeros !== undefined) {
        target.push(r);
        continue;
      }
      const last = target[target.length - 1];
      if (
        last &&
        merged.get(listed) === last &&
        last.offset + last.bytes!.length === r.offset &&
        !last.repeat
      ) {
        const bytes = new Uint8Array(last.bytes!.length + r.bytes!.length);
        bytes.set(last.bytes!);
        bytes.set(r.bytes!, last.bytes!.length);
        const fixups = [
          ...(last.fixups ?? []),
          ...(r.fixups ?? []).map((f) => ({ ...f, offset: f.offset + last.bytes!.length })),
        ];
        const joined: ListingRecord = { ...last, bytes, ...(fixups.length > 0 ? { fixups } : {}) };
        if (r.repeat) joined.repeat = r.repeat;
        target[target.length - 1] = joined;
        merged.set(listed, joined);
      } else {
        target.push(r);
        merged.set(listed, r);
      }
    }
  });
  const out: string[] = [];
  lines.forEach((line, index) => {
    if (line.nolist) return;
    const number = String(line.origin.line).padStart(6);
    // nasm's level counts `%include`s as well as macro expansions; only macro lines are shown rebuilt
    const level = line.depth + (line.includeDepth ?? 0);
    const marker = level > 0 ? `<${level}> ` : '    ';
    const source = line.listText ?? (line.depth > 0 ? expandedText(line.origin.text) : line.origin.text);
    const recs = byLine.get(index);
    if (!recs || recs.length === 0) {
      // nasm copies the source text as it is, trailing blanks included
      out.push(`${number} ${' '.repeat(8)} ${' '.repeat(HEX_WIDTH + 2)}${marker}${source}`);
      return;
    }
    let first = true;
    for (const r of recs) {
      const chunks = renderBytes(r);
      let offset = r.offset;
      chunks.forEach((chunk, k) => {
        const more = k < chunks.length - 1 ? '-' : '';
        const text = first ? source : '';
        if (first)
          out.push(`${number} ${hex(offset, 8)} ${(chunk + more).padEnd(HEX_WIDTH + 2)}${marker}${text}`);
        // nasm pads continuation lines to the hex column and prints no source, only the level
        else if (level > 0)
          out.push(`${number} ${hex(offset, 8)} ${(chunk + more).padEnd(HEX_WIDTH + 2)}<${level}>`);
        else out.push(`${number} ${hex(offset, 8)} ${(chunk + more).padEnd(HEX_WIDTH + 1)}`);
        // a line holding only the repeat count shows the record's own offset
        const next = chunks[k + 1];
        if (next?.startsWith('<rep')) {
          // a merged run keeps the offset of its previous line
          if (![...merged.values()].includes(r)) offset = r.offset;
        } else offset += chunk.replace(/[[\]()]/g, '').length / 2;
        first = false;
      });
    }
  });
  return out.join('\n') + '\n';
}
