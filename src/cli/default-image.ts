import { UserError } from '../errors.js';

/**
 * Image options that `ostool run` and `ostool test` accept and pass through untouched; building the image is
 * the kernel/image stages' business, the runner only boots what comes back.
 */
export interface DefaultImageOptions {
  firmware: 'uefi' | 'bios';
  /** --bootloader auto|limine|builtin */
  bootloader?: string;
  /** --limine DIR|TARBALL */
  limine?: string;
  /** --media iso|hdd */
  media?: string;
  /**
   * Kernel command line (Limine `cmdline:`); undefined for `ostool run` (the image's default), `test` or
   * `test filter=PATTERN` for `ostool test` (see src/qemu/TEST-PROTOCOL.md).
   */
  cmdline?: string;
}

export interface DefaultImage {
  /** Path of the bootable image (.iso boots as a CD, anything else as a raw disk). */
  image: string;
  /** The kernel ELF with symbols, for `ostool run --gdb`. */
  kernelElf?: string;
}

/** Builds the repository's kernel into a bootable image. Replaced by the kernel stage once it exists. */
export async function buildDefaultImage(_options: DefaultImageOptions): Promise<DefaultImage> {
  throw new UserError('no --image given, and building the default kernel image is not available yet');
}
