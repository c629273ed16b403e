import { ftruncateSync, writevSync } from 'node:fs';
import { writeFileAtomicWithFd } from '../atomic-write.js';

/** Pages are allocated only where something is written: a 64 MiB disk with 1 MiB of files costs ~1 MiB. */
const PAGE_SIZE = 64 * 1024;

/**
 * A fixed-size image held as the pages that were written; everything else reads as zero.
 * Built in memory by pure code, written to disk as a sparse file by `writeImageFile`.
 */
export class DiskImage {
  private readonly pages = new Map<number, Uint8Array>();
  /** Pages that are views of a caller's data (kept by `share`): copied before anything writes into them. */
  private readonly shared = new Set<number>();

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`bad image size ${size}`);
  }

  /** Copies `data` into the image at `offset`. */
  write(offset: number, data: Uint8Array): void {
    this.place(offset, data, false);
  }

  /**
   * Like `write`, but the pages `data` covers whole are kept as views of it instead of copies (only the partial
   * pages at its ends are copied): for file contents, which are never changed afterwards. Copying a 2 MiB kernel
   * into fresh pages cost 2-15 ms here (page faults and memory bandwidth on a loaded 2-core machine), once per
   * image. The caller must not change `data` later; the image itself copies such a page before writing into it.
   */
  share(offset: number, data: Uint8Array): void {
    this.place(offset, data, true);
  }

  private place(offset: number, data: Uint8Array, share: boolean): void {
    if (offset < 0 || offset + data.length > this.size) {
      throw new RangeError(
        `write of ${data.length} bytes at ${offset} runs past the image end (${this.size})`,
      );
    }
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const pageIndex = Math.floor(at / PAGE_SIZE);
      const inPage = at % PAGE_SIZE;
      const pageLength = Math.min(PAGE_SIZE, this.size - pageIndex * PAGE_SIZE);
      const chunk = Math.min(pageLength - inPage, data.length - done);
      if (share && chunk === pageLength) {
        this.pages.set(pageIndex, data.subarray(done, done + chunk));
        this.shared.add(pageIndex);
      } else {
        let page = this.pages.get(pageIndex);
        if (!page) {
          page = new Uint8Array(pageLength);
          this.pages.set(pageIndex, page);
        } else if (this.shared.delete(pageIndex)) {
          page = page.slice();
          this.pages.set(pageIndex, page);
        }
        page.set(data.subarray(done, done + chunk), inPage);
      }
      done += chunk;
    }
  }

  read(offset: number, length: number): Uint8Array {
    if (offset < 0 || offset + length > this.size) {
      throw new RangeError(`read of ${length} bytes at ${offset} runs past the image end (${this.size})`);
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = offset + done;
      const pageIndex = Math.floor(at / PAGE_SIZE);
      const inPage = at % PAGE_SIZE;
      const chunk = Math.min(PAGE_SIZE - inPage, length - done);
      const page = this.pages.get(pageIndex);
      if (page) out.set(page.subarray(inPage, inPage + chunk), done);
      done += chunk;
    }
    return out;
  }

  /** Bytes of memory the written pages take (the rest of the image costs nothing). */
  get allocatedBytes(): number {
    let total = 0;
    for (const page of this.pages.values()) total += page.length;
    return total;
  }

  /** The written pages in address order, for sparse output. */
  *writtenPages(): Iterable<{ offset: number; data: Uint8Array }> {
    const indices = [...this.pages.keys()].sort((a, b) => a - b);
    for (const index of indices) yield { offset: index * PAGE_SIZE, data: this.pages.get(index)! };
  }

  /** The whole image as one buffer (tests, small images). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    for (const { offset, data } of this.writtenPages()) out.set(data, offset);
    return out;
  }
}

/**
 * Writes the image to `path` as a sparse file: a temporary name first, renamed into place only when
 * complete, so a failure never leaves a half-written image behind. The data is written before this returns;
 * the promise settles when the rename is done (see writeFileAtomicWithFd).
 */
export function writeImageFile(image: DiskImage, path: string): Promise<void> {
  return writeFileAtomicWithFd(path, (fd) => {
    ftruncateSync(fd, image.size);
    // Runs of adjacent pages go out in one writev call (each call writes at most 2 GiB, IOV_MAX 1024 buffers).
    let run: Uint8Array[] = [];
    let runStart = 0;
    let runEnd = 0;
    const flush = () => {
      let at = runStart;
      const buffers = run;
      while (buffers.length) {
        let done = writevSync(fd, buffers, at);
        at += done;
        // A short write: go on after the bytes that were written.
        while (buffers.length && done >= buffers[0]!.length) done -= buffers.shift()!.length;
        if (done > 0) buffers[0] = buffers[0]!.subarray(done);
      }
      run = [];
    };
    for (const { offset, data } of image.writtenPages()) {
      if (run.length && offset !== runEnd) flush();
      if (!run.length) runStart = offset;
      run.push(data);
      runEnd = offset + data.length;
      if (run.length >= 256) flush();
    }
    flush();
  });
}
