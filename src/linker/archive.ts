/** `ar` archives (System V / GNU format, as written by GNU ar and llvm-ar): members and the symbol index. */
import { UserError } from '../errors.js';

export interface ArchiveMember {
  name: string;
  data: Uint8Array;
}

export interface Archive {
  name: string;
  members: ArchiveMember[];
  /** Symbol name → indices into `members` that define it (from the `/` index; empty when the archive has none). */
  symbolIndex: Map<string, number[]>;
  hasSymbolIndex: boolean;
}

const MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;

const THIN_MAGIC = '!<thin>\n';

export function isArchive(data: Uint8Array): boolean {
  if (data.length < 8) return false;
  const magic = Buffer.from(data.buffer, data.byteOffset, 8).toString('latin1');
  return magic === MAGIC || magic === THIN_MAGIC;
}

/**
 * `readMember` reads the files a thin archive (`ar T`) names: its members are paths relative to the archive's
 * directory, stored outside it.
 */
export function readArchive(
  name: string,
  data: Uint8Array,
  readMember?: (path: string) => Uint8Array | string | undefined,
): Archive {
  const fail = (what: string): never => {
    throw new UserError(`${name}: corrupt archive: ${what}`);
  };
  const text = (start: number, length: number) =>
    Buffer.from(data.buffer, data.byteOffset + start, length).toString('latin1');
  if (!isArchive(data)) fail('bad magic');
  const thin = Buffer.from(data.buffer, data.byteOffset, 8).toString('latin1') === THIN_MAGIC;
  let longNames = '';
  const members: ArchiveMember[] = [];
  const memberAtOffset = new Map<number, number>();
  let rawIndex: { offsets: number[]; names: string[] } | undefined;
  let pos = 8;
  while (pos < data.length) {
    if (data.length - pos < HEADER_SIZE) fail(`truncated member header at offset ${pos}`);
    const header = text(pos, HEADER_SIZE);
    if (header.slice(58, 60) !== '`\n') fail(`bad member header at offset ${pos}`);
    const size = Number(header.slice(48, 58).trim());
    const rawName = header.slice(0, 16).trimEnd();
    // A thin archive keeps only its symbol index and name table inline.
    const inline = !thin || rawName === '/' || rawName === '/SYM64/' || rawName === '//';
    if (!Number.isInteger(size) || size < 0 || (inline && pos + HEADER_SIZE + size > data.length))
      fail(`member at offset ${pos} has bad size`);
    let body = inline ? data.subarray(pos + HEADER_SIZE, pos + HEADER_SIZE + size) : new Uint8Array(0);
    if (rawName === '/' || rawName === '/SYM64/') {
      rawIndex = parseSymbolIndex(body, rawName === '/SYM64/' ? 8 : 4, fail);
    } else if (rawName === '//') {
      longNames = Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1');
    } else {
      let memberName = rawName;
      if (/^\/\d+$/.test(rawName)) {
        const start = Number(rawName.slice(1));
        const end = longNames.indexOf('\n', start);
        if (start >= longNames.length) fail(`member name offset ${start} is outside the name table`);
        memberName = longNames.slice(start, end < 0 ? undefined : end);
      }
      if (memberName.endsWith('/')) memberName = memberName.slice(0, -1);
      if (thin) {
        const path = memberName.startsWith('/') ? memberName : `${dirOf(name)}${memberName}`;
        const read = readMember?.(path);
        if (read === undefined) fail(`cannot read thin archive member ${path}`);
        body = typeof read === 'string' ? new TextEncoder().encode(read) : read!;
      }
      memberAtOffset.set(pos, members.length);
      members.push({ name: memberName, data: body });
    }
    pos += HEADER_SIZE + (inline ? size + (size & 1) : 0);
  }
  const symbolIndex = new Map<string, number[]>();
  if (rawIndex) {
    const { names, offsets } = rawIndex;
    names.forEach((symbol, i) => {
      const member = memberAtOffset.get(offsets[i]!);
      if (member === undefined) return fail(`symbol index entry ${symbol} points at no member`);
      const list = symbolIndex.get(symbol);
      if (list) {
        if (!list.includes(member)) list.push(member);
      } else symbolIndex.set(symbol, [member]);
    });
  }
  return { name, members, symbolIndex, hasSymbolIndex: rawIndex !== undefined };
}

function parseSymbolIndex(body: Uint8Array, wordSize: 4 | 8, fail: (what: string) => never) {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const read = (at: number) =>
    wordSize === 4 ? view.getUint32(at, false) : Number(view.getBigUint64(at, false));
  if (body.length < wordSize) fail('truncated symbol index');
  const count = read(0);
  if (wordSize + count * wordSize > body.length) fail('symbol index count exceeds its size');
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(read(wordSize + i * wordSize));
  const names: string[] = [];
  let at = wordSize + count * wordSize;
  for (let i = 0; i < count; i++) {
    let end = at;
    while (end < body.length && body[end] !== 0) end++;
    if (end >= body.length) fail('truncated symbol index names');
    names.push(Buffer.from(body.buffer, body.byteOffset + at, end - at).toString('latin1'));
    at = end + 1;
  }
  return { offsets, names };
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash + 1);
}
