/**
 * The kernel build pipeline behind `ostool build`, `ostool run` and `ostool test`:
 * kernel sources → assemble → link (repo linker.ld) → embed the backtrace symbol table → boot image
 * (ISO or GPT disk, real Limine or the built-in UEFI loader).
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { embedSymbolTable } from './symbols.js';
import { readKernelSources, readLinkerScript, REPO_ROOT } from './sources.js';
import { nativeBuild, ostoolBuild, ToolchainError, type KernelToolchain } from './toolchain.js';

export { embedSymbolTable, kernelCodeSymbols, encodeSymbolTable, KSYMS_MAGIC } from './symbols.js';
export {
  readKernelSources,
  readLinkerScript,
  DEFAULT_KERNEL_DIR,
  DEFAULT_LINKER_SCRIPT,
  REPO_ROOT,
} from './sources.js';
export { listKernelTests, KERNEL_TESTS_SECTION, type KernelTest } from './registry.js';
export type { KernelToolchain } from './toolchain.js';

export interface BuildKernelOptions {
  /** `auto` (default) uses ostool asm + link, and nasm + GNU ld only while those cannot build it. */
  toolchain?: 'auto' | KernelToolchain;
  kernelDir?: string;
  linkerScript?: string;
  /** Preprocessor defines (`-D`), e.g. `{ KTEST_DEMO_FAILURES: '' }` for the runner's own failing tests. */
  defines?: Record<string, string>;
}

export interface KernelBuild {
  elf: Uint8Array;
  toolchain: KernelToolchain;
  symbolCount: number;
  /** Why ostool's own toolchain was not used, when the fallback built the kernel. */
  ostoolFailure?: string;
}

export async function buildKernel(options: BuildKernelOptions = {}): Promise<KernelBuild> {
  const sources = await readKernelSources(options.kernelDir);
  const script = await readLinkerScript(options.linkerScript);
  const wanted = options.toolchain ?? 'auto';
  let ostoolFailure: string | undefined;
  if (wanted !== 'nasm+ld') {
    try {
      const linked = await ostoolBuild(sources, script, options.defines);
      return { ...embedSymbolTable(linked), toolchain: 'ostool' };
    } catch (error) {
      if (!(error instanceof ToolchainError) || wanted === 'ostool') throw asUserError(error);
      ostoolFailure = error.message;
    }
  }
  try {
    const linked = await nativeBuild(sources, script, options.defines);
    return { ...embedSymbolTable(linked), toolchain: 'nasm+ld', ostoolFailure };
  } catch (error) {
    const before = ostoolFailure ? `ostool toolchain: ${ostoolFailure}\nnasm+ld fallback: ` : '';
    throw new UserError(
      `cannot build the kernel: ${before}${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function asUserError(error: unknown): UserError {
  if (error instanceof UserError) return error;
  return new UserError(`cannot build the kernel: ${error instanceof Error ? error.message : String(error)}`);
}

export type BootloaderChoice = 'auto' | 'limine' | 'builtin';
export type Media = 'iso' | 'hdd';
export type Firmware = 'uefi' | 'bios';

/** The image options `ostool build`, `ostool run` and `ostool test` share. */
export interface KernelImageOptions {
  bootloader?: BootloaderChoice;
  /** Limine release directory or tarball (`--limine`). */
  limine?: string;
  media?: Media;
  firmware?: Firmware;
  /** Kernel command line, e.g. `test filter=heap` or `log=debug exit`. */
  cmdline?: string;
  /** Image path; default `build/kernel.iso` or `build/kernel.img` in the repo. */
  output?: string;
  toolchain?: BuildKernelOptions['toolchain'];
  defines?: BuildKernelOptions['defines'];
  kernelDir?: BuildKernelOptions['kernelDir'];
  linkerScript?: BuildKernelOptions['linkerScript'];
}

export interface KernelImage {
  path: string;
  media: Media;
  firmware: Firmware;
  bootloader: 'limine' | 'builtin';
  kernel: KernelBuild;
  /** Where Limine came from, when it was used. */
  limineDir?: string;
  /** What the loader build said about its toolchain, when the built-in loader was used. */
  loaderToolchain?: string;
}

/**
 * Which bootloader an image gets. BIOS firmware needs real Limine (the built-in loader is UEFI-only);
 * `auto` takes Limine when one was found, else the built-in loader.
 */
export function chooseBootloader(
  requested: BootloaderChoice,
  firmware: Firmware,
  limineFound: boolean,
): 'limine' | 'builtin' {
  if (requested === 'builtin') {
    if (firmware === 'bios')
      throw new UserError(
        '--firmware bios needs real Limine: the built-in loader is UEFI-only (use --bootloader limine with --limine DIR|TARBALL, or `ostool limine fetch`)',
      );
    return 'builtin';
  }
  if (requested === 'limine') {
    if (!limineFound)
      throw new UserError(
        '--bootloader limine: no Limine found (give --limine DIR|TARBALL, set LIMINE_DIR, or run `ostool limine fetch`)',
      );
    return 'limine';
  }
  if (limineFound) return 'limine';
  if (firmware === 'bios')
    throw new UserError(
      '--firmware bios needs real Limine and none was found (give --limine DIR|TARBALL, set LIMINE_DIR, or run `ostool limine fetch`)',
    );
  return 'builtin';
}

export function parseImageChoices(options: { bootloader?: string; media?: string; firmware?: string }): {
  bootloader: BootloaderChoice;
  media: Media;
  firmware: Firmware;
} {
  const bootloader = options.bootloader ?? 'auto';
  const media = options.media ?? 'iso';
  const firmware = options.firmware ?? 'uefi';
  if (bootloader !== 'auto' && bootloader !== 'limine' && bootloader !== 'builtin')
    throw new UserError(`--bootloader must be auto, limine or builtin (got '${bootloader}')`);
  if (media !== 'iso' && media !== 'hdd') throw new UserError(`--media must be iso or hdd (got '${media}')`);
  if (firmware !== 'uefi' && firmware !== 'bios')
    throw new UserError(`--firmware must be uefi or bios (got '${firmware}')`);
  return { bootloader, media, firmware };
}

/** Builds the kernel and packs it into a bootable image file. */
export async function buildKernelImage(options: KernelImageOptions = {}): Promise<KernelImage> {
  const choices = parseImageChoices(options);
  const image = await import('../image/index.js');
  // An explicit --limine must exist; otherwise only look when Limine may be used.
  const limine =
    options.limine || choices.bootloader !== 'builtin'
      ? await image.findLimine({ explicit: options.limine })
      : undefined;
  const bootloader = chooseBootloader(choices.bootloader, choices.firmware, limine !== undefined);
  const kernel = await buildKernel({
    toolchain: options.toolchain,
    defines: options.defines,
    kernelDir: options.kernelDir,
    linkerScript: options.linkerScript,
  });

  let loaderToolchain: string | undefined;
  let bootloaderSpec: { kind: 'builtin'; efi: Uint8Array } | { kind: 'limine'; dir: string };
  if (bootloader === 'builtin') {
    const loader = await import('../loader/index.js');
    const built = await loader.buildLoaderDetailed();
    loaderToolchain = built.toolchain;
    bootloaderSpec = { kind: 'builtin', efi: built.efi };
  } else {
    bootloaderSpec = { kind: 'limine', dir: limine!.dir };
  }
  const imageOptions = { kernel: kernel.elf, bootloader: bootloaderSpec, cmdline: options.cmdline ?? '' };
  const built =
    choices.media === 'iso'
      ? await image.buildIsoImage(imageOptions)
      : await image.buildHddImage(imageOptions);
  const path = resolve(
    options.output ?? join(REPO_ROOT, 'build', choices.media === 'iso' ? 'kernel.iso' : 'kernel.img'),
  );
  await mkdir(dirname(path), { recursive: true });
  await image.writeImageFile(built.image, path);
  return {
    path,
    media: choices.media,
    firmware: choices.firmware,
    bootloader,
    kernel,
    limineDir: limine?.dir,
    loaderToolchain,
  };
}
