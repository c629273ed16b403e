import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { checkKernelElf } from '../../loader/kernel-check.js';
import { parseModuleSpec, parseSize, parseSourceDateEpoch, parseTimeout } from '../../image/cli-options.js';
import {
  buildHddImage,
  buildIsoImage,
  findLimine,
  readLimineDir,
  writeImageFile,
  type Bootloader,
  type BuiltImage,
  type ImageModule,
  type ImageOptions,
} from '../../image/index.js';

interface ImageCommandOptions {
  kernel: string;
  iso?: string;
  hdd?: string;
  size?: string;
  bootloader: string;
  limine?: string;
  cmdline?: string;
  module: string[];
  config?: string;
  timeout?: string;
  label?: string;
  loaderEfi?: string;
}

export function register(program: Command): Command {
  return program
    .command('image')
    .description(
      'Build a bootable ISO and/or GPT disk image for a kernel, with Limine or the built-in UEFI loader',
    )
    .requiredOption('--kernel <elf>', 'kernel ELF file (goes to /boot/kernel)')
    .option('--iso <out.iso>', 'write a hybrid ISO (El Torito BIOS+UEFI, also bootable as a disk)')
    .option('--hdd <out.img>', 'write a raw GPT disk image with a FAT EFI System Partition')
    .option('--size <size>', 'disk image size, like 64M (default 64M, more if the files need it)')
    .option('--bootloader <kind>', 'auto | limine | builtin (auto: Limine when found, else built-in)', 'auto')
    .option('--limine <dir|tarball>', 'Limine binary release to use (see `ostool limine path`)')
    .option('--cmdline <string>', 'kernel command line')
    .option('--module <file[:cmdline]>', 'add a module under /boot/modules (repeatable)', collect, [])
    .option('--config <limine.conf>', 'use this limine.conf instead of generating one')
    .option('--timeout <seconds>', 'boot menu timeout written to limine.conf (default 0)')
    .option('--label <name>', 'volume label (default OSTOOL)')
    .option('--loader-efi <file>', 'use this EFI application as the built-in loader (testing)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  ostool image --kernel build/kernel.elf --iso os.iso --hdd os.img --cmdline "log=debug"\n' +
        '  SOURCE_DATE_EPOCH=0 ostool image --kernel kernel.elf --hdd os.img --size 128M --module initrd.tar:root\n' +
        '(--bootloader builtin, or auto without Limine, makes a UEFI-only image)',
    )
    .action(async (options: ImageCommandOptions) => {
      await runImageCommand(options);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** One synchronous read into a buffer of the file's size (fs/promises reads a 2 MiB kernel in 4 chunks). */
async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`,
    );
  }
}

async function runImageCommand(options: ImageCommandOptions): Promise<void> {
  if (!options.iso && !options.hdd)
    throw new UserError('nothing to write: give --iso OUT.iso and/or --hdd OUT.img');
  if (!['auto', 'limine', 'builtin'].includes(options.bootloader))
    throw new UserError(`--bootloader must be auto, limine or builtin (got '${options.bootloader}')`);
  if (options.config && (options.cmdline || options.module.length || options.timeout)) {
    if (options.cmdline || options.timeout)
      throw new UserError(
        '--config replaces the generated limine.conf: --cmdline and --timeout cannot be combined with it',
      );
  }
  const kernel = await readInput(options.kernel, '--kernel');
  const refusal = checkKernelElf(kernel, options.kernel);
  if (refusal) throw new UserError(`${refusal.message} [${refusal.field}]; no image was written`);
  const modules: ImageModule[] = [];
  for (const spec of options.module) {
    const { file, cmdline } = parseModuleSpec(spec);
    modules.push({ name: basename(file), data: await readInput(file, '--module'), cmdline });
  }
  const config = options.config
    ? new TextDecoder().decode(await readInput(options.config, '--config'))
    : undefined;
  const { bootloader, note } = await chooseBootloader(options);
  const base: ImageOptions = {
    kernel,
    bootloader,
    config,
    cmdline: options.cmdline,
    modules,
    timeout: options.timeout !== undefined ? parseTimeout(options.timeout) : undefined,
    label: options.label,
    sourceDateEpoch: parseSourceDateEpoch(process.env.SOURCE_DATE_EPOCH),
  };
  process.stderr.write(`ostool: ${note}\n`);
  // The ISO's rename (releasing an old image it replaces) runs in the thread pool while the disk image is built;
  // the disk image is written only once the ISO is in place, so a failed ISO still leaves no new disk image.
  let isoWritten: Promise<void> | undefined;
  if (options.iso) {
    const iso = options.iso;
    const built = await buildIsoImage(base);
    isoWritten = writeImageFile(built.image, iso).then(() => report(iso, 'ISO', built));
    // Awaited below; handled here so that a failure while the disk image is being built is not 'unhandled'.
    isoWritten.catch(() => {});
  }
  if (options.hdd) {
    const built = await buildHddImage({
      ...base,
      sizeBytes: options.size ? parseSize(options.size) : undefined,
    }).catch(async (error: unknown) => {
      await isoWritten;
      throw error;
    });
    await isoWritten;
    await writeImageFile(built.image, options.hdd);
    report(options.hdd, 'disk', built);
  } else await isoWritten;
}

function report(path: string, kind: string, built: BuiltImage): void {
  const mib = (built.image.size / (1024 * 1024)).toFixed(1);
  const fat = built.fat ? `, FAT${built.fat.type}` : '';
  const boots = built.uefiOnly ? 'UEFI only' : 'BIOS + UEFI';
  process.stdout.write(`wrote ${path} (${kind}, ${mib} MiB${fat}; boots ${boots})\n`);
}

async function chooseBootloader(
  options: ImageCommandOptions,
): Promise<{ bootloader: Bootloader; note: string }> {
  if (options.bootloader !== 'builtin') {
    const found = await findLimine({ explicit: options.limine });
    // Read (and its BIOS stages parsed) once for both images.
    if (found)
      return {
        bootloader: { kind: 'limine', files: await readLimineDir(found.dir) },
        note: `using Limine from ${found.dir} (${found.source})`,
      };
    if (options.bootloader === 'limine') {
      throw new UserError(
        'no Limine found (--limine, LIMINE_DIR, the ostool cache, /usr/share/limine, /usr/local/share/limine): run `ostool limine fetch` or pass --limine DIR',
      );
    }
  } else if (options.limine) {
    throw new UserError('--limine makes no sense with --bootloader builtin');
  }
  const efi = options.loaderEfi ? await readInput(options.loaderEfi, '--loader-efi') : await builtinLoader();
  const why = options.bootloader === 'auto' ? 'no Limine found, ' : '';
  return {
    bootloader: { kind: 'builtin', efi },
    note: `${why}using the built-in UEFI loader: the image boots with UEFI only`,
  };
}

/** The built-in loader, built (or taken from its cache) only when an image needs it. */
async function builtinLoader(): Promise<Uint8Array> {
  const { buildLoader } = await import('../../loader/index.js');
  return buildLoader();
}
