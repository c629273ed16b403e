import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';

/**
 * The one way ostool writes an output or cache file: into a temporary name in the same directory, renamed over
 * the destination only once everything is written, so a full disk, a read-only destination or a crash never leaves
 * a half-written file and never damages the old one. Parallel writers each get their own temporary name; the last
 * rename wins with a complete file. Special files (/dev/null, a FIFO) are written in place, never replaced.
 */
export interface AtomicWriteOptions {
  /** Permission bits for the new file (e.g. 0o755 for an executable). */
  mode?: number;
  /** Create the destination directory first. */
  makeDirectory?: boolean;
}

export function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    if (options.makeDirectory) mkdirSync(dirname(path), { recursive: true });
    if (isSpecialFile(path)) {
      const fd = openSync(path, 'w');
      try {
        writeAll(fd, bytes);
      } finally {
        closeSync(fd);
      }
      return;
    }
  } catch (error) {
    throw writeError(path, error);
  }
  const temporary = temporaryNameFor(path);
  try {
    const fd = openSync(temporary, 'wx', options.mode ?? 0o644);
    try {
      writeAll(fd, bytes);
    } finally {
      closeSync(fd);
    }
    if (options.mode !== undefined) chmodSync(temporary, options.mode);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw writeError(path, error);
  }
}

/**
 * The same guarantee for writers that place data at offsets (sparse disk images written page run by page run):
 * `write` fills the temporary file through its descriptor, which replaces `path` only when `write` returns.
 * The writes are synchronous (a handful of large writev calls: promise-based file handles only added event-loop
 * round trips); the rename is not: renaming over an existing image makes the kernel release the old file's pages
 * and blocks, 5-20 ms for a 64 MiB disk image here, which runs in libuv's thread pool while the caller goes on
 * (building the next image). The returned promise settles once the file is in place.
 */
export function writeFileAtomicWithFd(
  path: string,
  write: (fd: number) => void,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = temporaryNameFor(path);
  const failed = (error: unknown) => {
    rmSync(temporary, { force: true });
    if (error instanceof UserError) throw error;
    throw writeError(path, error);
  };
  try {
    if (options.makeDirectory) mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(temporary, 'wx', options.mode ?? 0o644);
    try {
      write(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return Promise.reject(error).catch(failed);
  }
  return rename(temporary, path).catch(failed);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function temporaryNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** True for an existing non-regular file (/dev/null, a FIFO): write it in place, never replace or delete it. */
export function isSpecialFile(path: string): boolean {
  try {
    const stats = lstatSync(path);
    return !stats.isFile() && !stats.isSymbolicLink();
  } catch {
    return false;
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'its directory does not exist',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory',
  EFBIG: 'the file is too large for the file system',
};

function writeError(path: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code && REASONS[code] ? `${REASONS[code]} (${code})` : (error as Error).message;
  return new UserError(`cannot write ${path}: ${reason}; any old file there is left as it was`);
}
