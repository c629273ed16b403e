import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { buildKernel, buildKernelImage, type KernelBuild } from '../../build/index.js';
import { UserError } from '../../errors.js';

interface BuildFlags {
  bootloader: string;
  limine?: string;
  media: string;
  firmware: string;
  cmdline?: string;
  output?: string;
  elf?: string;
  elfOnly?: boolean;
  toolchain: 'auto' | 'ostool' | 'nasm+ld';
  kernelDir?: string;
  script?: string;
}

/** The image options `build`, `run` and `test` share; `run`/`test` pass them to buildDefaultImage. */
export function addImageOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--bootloader <kind>', 'auto (Limine when found, else built-in), limine or builtin')
        .choices(['auto', 'limine', 'builtin'])
        .default('auto'),
    )
    .option('--limine <dir|tarball>', 'a Limine binary release to boot with')
    .addOption(new Option('--media <kind>', 'image type').choices(['iso', 'hdd']).default('iso'))
    .addOption(
      new Option('--firmware <kind>', 'firmware the image must boot on (bios needs real Limine)')
        .choices(['uefi', 'bios'])
        .default('uefi'),
    );
}

export function register(program: Command): Command {
  const command = program
    .command('build')
    .description(
      'Build the kernel (default: the repo kernel, src/kernel + linker.ld) and pack it into a bootable image',
    )
    .option(
      '--cmdline <string>',
      'kernel command line (e.g. "log=debug", "test filter=heap", "bench", "exit")',
    )
    .option('-o, --output <file>', 'image path (default build/kernel.iso or build/kernel.img)')
    .option('--elf <file>', 'also write the linked kernel ELF here')
    .option('--elf-only', 'only build the kernel ELF (needs --elf)')
    .option('--kernel-dir <dir>', 'kernel sources, with kernel.asm at the top (default: the ostool kernel)')
    .option('-T, --script <file>', 'linker script (default: the repo linker.ld)')
    .addOption(
      new Option('--toolchain <kind>', 'auto: ostool asm+link, nasm+ld only while they cannot build it')
        .choices(['auto', 'ostool', 'nasm+ld'])
        .default('auto'),
    );
  addImageOptions(command);
  return command.action(async (flags: BuildFlags) => {
    if (flags.elfOnly) {
      if (!flags.elf) throw new UserError('--elf-only needs --elf FILE');
      const kernel = await buildKernel({
        toolchain: flags.toolchain,
        kernelDir: flags.kernelDir,
        linkerScript: flags.script,
      });
      await writeFileAtomically(flags.elf, kernel.elf);
      report(`kernel ${shortPath(flags.elf)}`, kernel);
      return;
    }
    const built = await buildKernelImage({
      bootloader: flags.bootloader as 'auto',
      limine: flags.limine,
      media: flags.media as 'iso',
      firmware: flags.firmware as 'uefi',
      cmdline: flags.cmdline,
      output: flags.output,
      toolchain: flags.toolchain,
      kernelDir: flags.kernelDir,
      linkerScript: flags.script,
    });
    if (flags.elf) await writeFileAtomically(flags.elf, built.kernel.elf);
    const loader =
      built.bootloader === 'limine'
        ? `Limine from ${built.limineDir}`
        : `built-in loader (${built.loaderToolchain})`;
    report(`${built.media} image ${shortPath(built.path)} for ${built.firmware}, ${loader}`, built.kernel);
  });
}

function report(what: string, kernel: KernelBuild): void {
  process.stdout.write(
    `built ${what}; kernel ${kernel.elf.length} bytes, ${kernel.symbolCount} symbols, toolchain ${kernel.toolchain}\n`,
  );
  if (kernel.ostoolFailure)
    process.stderr.write(
      `ostool: warning: used the temporary nasm+ld fallback because ${kernel.ostoolFailure}\n`,
    );
}

function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
}

async function writeFileAtomically(path: string, data: Uint8Array): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, target);
}
