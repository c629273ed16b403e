/**
 * The build pipeline behind `ostool build`, `ostool run` and `ostool test`, for any project:
 *   ostool.toml → build driver (objects, dependency files, link; driver.ts) → kernel ELF
 *   → boot image (ISO or GPT disk, real Limine or the built-in UEFI loader), rebuilt only when an input changed.
 * The repository's own kernel is a project like any other (its ostool.toml is at the repo root).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { UserError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { parseModuleSpec, parseSize, parseSourceDateEpoch } from '../image/cli-options.js';
import { checkKernelElf } from '../loader/kernel-check.js';
import { buildDirectory, buildKernelElf, type KernelElf } from './driver.js';
import { buildInitrd } from './initrd.js';
import { defaultProject, loadProject, PROJECT_FILE, type Project } from './project.js';

export { embedSymbolTable, kernelCodeSymbols, encodeSymbolTable, KSYMS_MAGIC } from './symbols.js';
export { listKernelTests, KERNEL_TESTS_SECTION, type KernelTest } from './registry.js';
export {
  buildKernelElf,
  buildDirectory,
  FREESTANDING_C_FLAGS,
  projectCompiler,
  type BuildRequest,
  type KernelElf,
} from './driver.js';
export {
  defaultProject,
  findProjectFile,
  loadProject,
  parseProject,
  PROJECT_FILE,
  type Project,
} from './project.js';

/** The repository root (or the installed package's directory): this file is src/build/ or dist/build/. */
export const REPO_ROOT = PACKAGE_ROOT;
export const DEFAULT_KERNEL_DIR = join(REPO_ROOT, 'src', 'kernel');
export const DEFAULT_LINKER_SCRIPT = join(REPO_ROOT, 'linker.ld');
/** The top file of a `--kernel-dir` kernel: it `%include`s the rest. */
export const KERNEL_MAIN_SOURCE = 'kernel.asm';

/** The repository's own kernel project (its ostool.toml), when ostool runs from a checkout. */
export function repoKernelProject(): Project {
  const file = join(REPO_ROOT, PROJECT_FILE);
  if (!existsSync(file))
    throw new UserError(
      'no ostool.toml here or in any parent directory: run `ostool init` to start a kernel project, or cd into one',
    );
  return loadProject(file);
}

/**
 * A project made from `--kernel-dir DIR` (DIR/kernel.asm `%include`s the rest, DIR is the include path) and a
 * linker script. Its objects go to ostool's cache, not into DIR.
 */
export function kernelDirProject(dir: string, linkerScript: string = DEFAULT_LINKER_SCRIPT): Project {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UserError(`kernel sources: cannot read ${root}`);
  if (!existsSync(join(root, KERNEL_MAIN_SOURCE)))
    throw new UserError(`kernel sources: ${join(root, KERNEL_MAIN_SOURCE)} not found`);
  if (!existsSync(linkerScript)) throw new UserError(`linker script ${linkerScript} not found`);
  const project = defaultProject(root, [KERNEL_MAIN_SOURCE]);
  project.build.include = ['./'];
  project.build.linkerScript = resolve(linkerScript);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  project.build.buildDir = join(
    cache,
    'ostool',
    'build',
    createHash('sha256').update(root).digest('hex').slice(0, 16),
  );
  return project;
}

export interface BuildKernelOptions {
  /** The project to build; default the repo kernel (or `kernelDir`). */
  project?: Project;
  kernelDir?: string;
  linkerScript?: string;
  /** Preprocessor defines (`-D`) for this build only, e.g. `{ KTEST_DEMO_FAILURES: '' }`. */
  defines?: Record<string, string>;
  onStep?: (step: string) => void;
}

export interface KernelBuild extends KernelElf {
  /** Always ostool's own assembler and linker (nasm and GNU ld are test oracles only). */
  toolchain: 'ostool';
}

function projectFor(options: { project?: Project; kernelDir?: string; linkerScript?: string }): Project {
  if (options.project) return options.project;
  if (options.kernelDir || options.linkerScript)
    return kernelDirProject(options.kernelDir ?? DEFAULT_KERNEL_DIR, options.linkerScript);
  return repoKernelProject();
}

/** Builds a project's kernel ELF (incrementally; see driver.ts). */
export async function buildKernel(options: BuildKernelOptions = {}): Promise<KernelBuild> {
  const project = projectFor(options);
  const built = await buildKernelElf({ project, extraDefines: options.defines, onStep: options.onStep });
  return { ...built, toolchain: 'ostool' };
}

export type BootloaderChoice = 'auto' | 'limine' | 'builtin';
export type Media = 'iso' | 'hdd';
export type Firmware = 'uefi' | 'bios';

/** The image options `ostool build`, `ostool run` and `ostool test` share; unset ones come from the project. */
export interface KernelImageOptions {
  project?: Project;
  bootloader?: BootloaderChoice;
  /** Limine release directory or tarball (`--limine`). */
  limine?: string;
  media?: Media;
  firmware?: Firmware;
  /** Kernel command line, e.g. `test filter=heap` or `log=debug exit`; default the project's image.cmdline. */
  cmdline?: string;
  /** Image path; default build/kernel.iso (or .img) in the project. */
  output?: string;
  /** Disk image size for hdd (`64M`). */
  size?: string;
  defines?: BuildKernelOptions['defines'];
  kernelDir?: BuildKernelOptions['kernelDir'];
  linkerScript?: BuildKernelOptions['linkerScript'];
  onStep?: (step: string) => void;
}

export interface KernelImage {
  path: string;
  media: Media;
  firmware: Firmware;
  bootloader: 'limine' | 'builtin';
  kernel: KernelBuild;
  /** Where Limine came from, when it was used. */
  limineDir?: string;
  /** Which toolchain built the built-in loader, when it was used. */
  loaderToolchain?: string;
  /** Whether the image file was written (false: it was up to date). */
  written: boolean;
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

function fileIdentity(path: string): string {
  try {
    const info = statSync(path);
    return `${path}:${info.size}:${info.mtimeMs}`;
  } catch {
    return `${path}:missing`;
  }
}

interface ProjectModule {
  path: string;
  name: string;
  cmdline?: string;
}

/**
 * The Limine modules every boot path hands the kernel: `image.modules` in order, then the initrd packed from
 * `[initrd]` (built here when its inputs changed). A listed module that does not exist is the user's error.
 */
async function projectModules(
  project: Project,
  options: Pick<KernelImageOptions, 'defines' | 'onStep'>,
): Promise<ProjectModule[]> {
  const modules: ProjectModule[] = project.image.modules.map((spec) => {
    const { file, cmdline } = parseModuleSpec(spec);
    const path = resolve(project.root, file);
    if (!existsSync(path))
      throw new UserError(`module ${path} not found (image.modules in ${project.file ?? 'the project'})`);
    return { path, name: basename(path), cmdline };
  });
  const initrd = await buildInitrd(project, buildDirectory(project, options.defines), options.onStep);
  if (initrd) modules.push({ path: initrd, name: basename(initrd), cmdline: project.initrd?.cmdline });
  return modules;
}

/** Builds the project's kernel and packs it into a bootable image file, each only when its inputs changed. */
export async function buildKernelImage(options: KernelImageOptions = {}): Promise<KernelImage> {
  const project = projectFor(options);
  const choices = parseImageChoices({
    bootloader: options.bootloader ?? project.image.bootloader,
    media: options.media ?? project.image.media,
    firmware: options.firmware ?? project.run.firmware,
  });
  const limineRequest =
    options.limine ?? (project.image.limine ? resolve(project.root, project.image.limine) : undefined);
  const { findLimine } = await import('../image/limine.js');
  // An explicit --limine must exist; otherwise only look when Limine may be used.
  const limine =
    limineRequest || choices.bootloader !== 'builtin'
      ? await findLimine({ explicit: limineRequest })
      : undefined;
  const bootloader = chooseBootloader(choices.bootloader, choices.firmware, limine !== undefined);
  const elf = await buildKernelElf({ project, extraDefines: options.defines, onStep: options.onStep });
  const kernel: KernelBuild = { ...elf, toolchain: 'ostool' };
  // Refuse here what the loaders would refuse at boot, with their words, before any image is written.
  const refusal = checkKernelElf(kernel.elf, elf.path);
  if (refusal) throw new UserError(`${refusal.message} [${refusal.field}]; no image was written`);

  const cmdline = options.cmdline ?? project.image.cmdline;
  const modules = await projectModules(project, options);
  const size = options.size ?? project.image.size;
  const path = resolve(
    options.output ??
      join(buildDirectory(project, options.defines), choices.media === 'iso' ? 'kernel.iso' : 'kernel.img'),
  );

  let loaderToolchain: string | undefined;
  let efi: Uint8Array | undefined;
  if (bootloader === 'builtin') {
    const { buildLoaderDetailed } = await import('../loader/index.js');
    const loader = await buildLoaderDetailed();
    loaderToolchain = loader.toolchain;
    efi = loader.efi;
  }
  const signature = createHash('sha256')
    .update(
      JSON.stringify([
        choices.media,
        bootloader,
        limine?.dir,
        cmdline,
        modules.map((module) => [fileIdentity(module.path), module.cmdline]),
        size,
        process.env.SOURCE_DATE_EPOCH,
      ]),
    )
    .update(kernel.elf)
    .update(efi ?? new Uint8Array())
    .digest('hex');
  const stampPath = `${path}.inputs`;
  const result = {
    path,
    media: choices.media,
    firmware: choices.firmware,
    bootloader,
    kernel,
    limineDir: limine?.dir,
    loaderToolchain,
  };
  if (existsSync(path) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === signature)
    return { ...result, written: false };

  options.onStep?.(`image ${path}`);
  const image = await import('../image/index.js');
  const imageModules = modules.map((module) => ({
    name: module.name,
    data: new Uint8Array(readFileSync(module.path)),
    cmdline: module.cmdline,
  }));
  const imageOptions = {
    kernel: kernel.elf,
    bootloader: efi ? { kind: 'builtin' as const, efi } : { kind: 'limine' as const, dir: limine!.dir },
    cmdline,
    modules: imageModules,
    sourceDateEpoch: parseSourceDateEpoch(process.env.SOURCE_DATE_EPOCH),
  };
  const built =
    choices.media === 'iso'
      ? await image.buildIsoImage(imageOptions)
      : await image.buildHddImage({ ...imageOptions, sizeBytes: size ? parseSize(size) : undefined });
  mkdirSync(dirname(path), { recursive: true });
  await image.writeImageFile(built.image, path);
  writeFileAtomic(stampPath, signature, { makeDirectory: true });
  return { ...result, written: true };
}

/** What a direct boot hands QEMU: the direct loader and the fw_cfg files it reads (see src/loader). */
export interface DirectBootFiles {
  loader: string;
  files: Array<{ name: string; file: string }>;
  kernel: KernelBuild;
}

/**
 * Builds the project's kernel for a direct boot: no image, the direct loader reads limine.conf (written next
 * to the kernel), the kernel ELF and the modules from fw_cfg, named by their paths in that limine.conf.
 */
export async function buildDirectBoot(
  options: Pick<
    KernelImageOptions,
    'project' | 'cmdline' | 'defines' | 'kernelDir' | 'linkerScript' | 'onStep'
  > & {
    /** Where limine.conf and the loader go; default `direct/` in the build directory. */
    directory?: string;
  },
): Promise<DirectBootFiles> {
  const project = projectFor(options);
  const elf = await buildKernelElf({ project, extraDefines: options.defines, onStep: options.onStep });
  const kernel: KernelBuild = { ...elf, toolchain: 'ostool' };
  const refusal = checkKernelElf(kernel.elf, elf.path);
  if (refusal) throw new UserError(`${refusal.message} [${refusal.field}]`);
  const { limineConfig, KERNEL_PATH, CONFIG_PATH, MODULE_DIR, moduleFileName } =
    await import('../image/index.js');
  const { buildDirectLoader, DIRECT_FW_CFG_PREFIX, FW_CFG_NAME_MAX } = await import('../loader/index.js');
  const modules = await projectModules(project, options);
  const fwCfgName = (path: string) => {
    const name = `${DIRECT_FW_CFG_PREFIX}${path}`;
    if (name.length > FW_CFG_NAME_MAX)
      throw new UserError(
        `${path}: too long for a direct boot (fw_cfg names are at most ${FW_CFG_NAME_MAX} characters, and this one is ${name})`,
      );
    return name;
  };
  const directory = options.directory ?? join(buildDirectory(project, options.defines), 'direct');
  const configFile = join(directory, 'limine.conf');
  const config = limineConfig({ cmdline: options.cmdline ?? project.image.cmdline, modules });
  writeIfChanged(configFile, config);
  const loader = await buildDirectLoader();
  const loaderFile = join(directory, 'loader.elf');
  writeIfChanged(loaderFile, loader.elf);
  return {
    loader: loaderFile,
    files: [
      { name: fwCfgName(CONFIG_PATH), file: configFile },
      { name: fwCfgName(KERNEL_PATH), file: elf.path },
      ...modules.map((module) => ({
        name: fwCfgName(`${MODULE_DIR}/${moduleFileName(module.name)}`),
        file: module.path,
      })),
    ],
    kernel,
  };
}

/** Writes a file only when its contents differ (a warm `ostool test` writes nothing). */
function writeIfChanged(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  if (existsSync(path) && readFileSync(path).equals(bytes)) return;
  writeFileAtomic(path, bytes, { makeDirectory: true });
}
