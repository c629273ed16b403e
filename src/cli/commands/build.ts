import { Command, Option } from 'commander';
import { writeFileAtomic } from '../../atomic-write.js';
import { buildKernel, buildKernelImage, type KernelBuild } from '../../build/index.js';
import { UserError } from '../../errors.js';
import { printStep, resolveProject, shortPath } from '../project.js';

interface BuildFlags {
  bootloader?: 'auto' | 'limine' | 'builtin';
  limine?: string;
  media?: 'iso' | 'hdd';
  firmware?: 'uefi' | 'bios';
  size?: string;
  cmdline?: string;
  output?: string;
  elf?: string;
  elfOnly?: boolean;
  kernelDir?: string;
  script?: string;
}

/** The image options `build`, `run` and `test` share; unset ones come from ostool.toml's [image]. */
export function addImageOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--bootloader <kind>', 'auto (Limine when found, else built-in), limine or builtin').choices(
        ['auto', 'limine', 'builtin'],
      ),
    )
    .option('--limine <dir|tarball>', 'a Limine binary release to boot with')
    .addOption(new Option('--media <kind>', 'image type (default iso)').choices(['iso', 'hdd']))
    .addOption(
      new Option(
        '--firmware <kind>',
        'firmware the image must boot on (bios needs real Limine; default uefi)',
      ).choices(['uefi', 'bios']),
    );
}

/** `--kernel-dir` and `-T`: build a directory with a kernel.asm instead of the ostool.toml project. */
export function addProjectOptions(command: Command): Command {
  return command
    .option(
      '--kernel-dir <dir>',
      'kernel sources with kernel.asm at the top, instead of the ostool.toml project',
    )
    .option('-T, --script <file>', 'linker script for --kernel-dir (default: the repo linker.ld)');
}

export function register(program: Command): Command {
  const command = program
    .command('build')
    .description(
      'Build the project (the nearest ostool.toml upward) incrementally and pack its kernel into a bootable image',
    )
    .option('--cmdline <string>', 'kernel command line (default: [image] cmdline of ostool.toml)')
    .option('-o, --output <file>', 'image path (default build/kernel.iso or build/kernel.img)')
    .option('--elf <file>', 'also write the linked kernel ELF here')
    .option('--elf-only', 'only build the kernel ELF (needs --elf)')
    .option('--size <size>', 'disk image size for --media hdd, like 64M');
  addProjectOptions(command);
  addImageOptions(command);
  return command
    .addHelpText('after', '\nExample:\n  ostool build --media hdd -o build/os.img --elf build/kernel.elf')
    .action(async (flags: BuildFlags) => {
      const project = resolveProject(flags);
      if (flags.elfOnly) {
        if (!flags.elf) throw new UserError('--elf-only needs --elf FILE');
        const kernel = await buildKernel({ project, onStep: printStep });
        writeFileAtomic(flags.elf, kernel.elf, { makeDirectory: true });
        report(`kernel ${shortPath(flags.elf)}`, kernel);
        return;
      }
      const built = await buildKernelImage({
        project,
        bootloader: flags.bootloader,
        limine: flags.limine,
        media: flags.media,
        firmware: flags.firmware,
        size: flags.size,
        cmdline: flags.cmdline,
        output: flags.output,
        onStep: printStep,
      });
      if (flags.elf) writeFileAtomic(flags.elf, built.kernel.elf, { makeDirectory: true });
      const loader =
        built.bootloader === 'limine'
          ? `Limine from ${built.limineDir}`
          : `built-in loader (${built.loaderToolchain})`;
      const fresh = built.written || built.kernel.linked ? '' : ' (up to date)';
      report(
        `${built.media} image ${shortPath(built.path)} for ${built.firmware}, ${loader}${fresh}`,
        built.kernel,
      );
    });
}

function report(what: string, kernel: KernelBuild): void {
  process.stdout.write(
    `built ${what}; kernel ${kernel.elf.length} bytes, ${kernel.symbolCount} symbols, toolchain ${kernel.toolchain}\n`,
  );
}
