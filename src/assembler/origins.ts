/**
 * Where each statement of a parsed program came from, kept as columns: a 200k-line source has as many
 * statements, alive through every pass, and a LineOrigin object per line was a fifth of what the program kept
 * in memory. A line read straight from a file (no macro or include chain, no debug placement) is stored as its
 * file's number, line number, text and sequence number; any other origin is kept as the object it is. An origin
 * is made again only when something records it (a message, a relocation, a label's definition).
 */

import type { LineOrigin } from './diagnostics.js';

const INITIAL_CAPACITY = 1024;

export class StatementOrigins {
  /** How many statements have an origin here. */
  length = 0;
  private readonly fileNames: string[] = [];
  private lastFileName: string | undefined;
  private lastFileId = -1;
  private fileIds = new Uint32Array(INITIAL_CAPACITY);
  /** Line and sequence numbers as doubles: `%line` can give any number nasm accepts. */
  private lineNumbers = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  /** A plain file line's text, or the whole origin of any other line. */
  private readonly entries: Array<string | LineOrigin> = [];

  push(origin: LineOrigin): void {
    const i = this.length++;
    if (i === this.fileIds.length) this.grow();
    if (origin.chain !== undefined || origin.debugAt !== undefined || origin.seq === undefined) {
      this.entries.push(origin);
      return;
    }
    if (origin.file !== this.lastFileName) {
      let id = this.fileNames.indexOf(origin.file);
      if (id < 0) id = this.fileNames.push(origin.file) - 1;
      this.lastFileName = origin.file;
      this.lastFileId = id;
    }
    this.fileIds[i] = this.lastFileId;
    this.lineNumbers[i] = origin.line;
    this.seqs[i] = origin.seq;
    this.entries.push(origin.text);
  }

  /** The origin of statement `i` (a new object for a plain file line), undefined past the end. */
  at(i: number): LineOrigin | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const entry = this.entries[i]!;
    if (typeof entry !== 'string') return entry;
    return {
      file: this.fileNames[this.fileIds[i]!]!,
      line: this.lineNumbers[i]!,
      text: entry,
      chain: undefined,
      seq: this.seqs[i]!,
    };
  }

  private grow(): void {
    const capacity = this.fileIds.length * 2;
    const fileIds = new Uint32Array(capacity);
    fileIds.set(this.fileIds);
    this.fileIds = fileIds;
    const lineNumbers = new Float64Array(capacity);
    lineNumbers.set(this.lineNumbers);
    this.lineNumbers = lineNumbers;
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }
}
