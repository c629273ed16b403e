import { writeFileAtomic } from '../atomic-write.js';
import { dirname, join } from 'node:path';
import { buildKernelImage, parseImageChoices, REPO_ROOT } from '../build/index.js';

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

/** Where the default images go: one per command line, so `run` and `test` do not overwrite each other. */
const BUILD_DIR = join(REPO_ROOT, 'build');

/**
 * Builds the repository's kernel (src/kernel + linker.ld, with ostool asm/link) into a bootable image
 * under build/, with the image options and command line given.
 */
export async function buildDefaultImage(options: DefaultImageOptions): Promise<DefaultImage> {
  const choices = parseImageChoices(options);
  const purpose = options.cmdline?.split(' ')[0] === 'test' ? 'test' : 'kernel';
  const extension = choices.media === 'iso' ? 'iso' : 'img';
  const built = await buildKernelImage({
    ...choices,
    limine: options.limine,
    cmdline: options.cmdline,
    output: join(BUILD_DIR, `${purpose}.${extension}`),
  });
  if (built.kernel.ostoolFailure)
    process.stderr.write(
      `ostool: warning: kernel built with the temporary nasm+ld fallback because ${built.kernel.ostoolFailure}\n`,
    );
  const kernelElf = join(BUILD_DIR, 'kernel.elf');
  writeFileAtomic(kernelElf, built.kernel.elf, { makeDirectory: true });
  return { image: built.path, kernelElf };
}
