/**
 * The build driver: a project's sources → one object per source under build/obj → the kernel ELF.
 *
 *   expand source globs → for each source: up to date? (object, dependency file, command hash, mtimes)
 *   → compile what is not (.asm: ostool asm in-process; .c/.S: the C compiler) → link when an object or
 *   the link command changed → embed the backtrace symbol table → build/kernel.elf
 *
 * State lives in files only (objects, `.d` files with the command hash on top, `kernel.elf.inputs`), so an
 * unchanged rebuild is a handful of stat calls; the assembler and linker are not even loaded then.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { UserError } from '../errors.js';
import { commandHashOf, formatDependencies, parseDependencies, stampDependencies } from './depfile.js';
import { expandGlobs } from './glob.js';
import { parseAsmFlags, parseLinkFlags, type Project } from './project.js';
import { embedSymbolTable } from './symbols.js';

/** Bumped when the driver's outputs change meaning, so old objects are not reused. */
const DRIVER_REVISION = '1';

/** Freestanding x86-64 kernel flags, as the Limine C template uses them (no SSE, no red zone, kernel code model). */
export const FREESTANDING_C_FLAGS = [
  '-std=gnu11',
  '-O2',
  '-g',
  '-Wall',
  '-Wextra',
  '-ffreestanding',
  '-fno-common',
  '-fno-stack-protector',
  '-fno-stack-check',
  '-fno-stack-clash-protection',
  '-fcf-protection=none',
  '-fno-PIC',
  '-fno-pie',
  '-fno-lto',
  '-fno-asynchronous-unwind-tables',
  '-ffunction-sections',
  '-fdata-sections',
  '-m64',
  '-march=x86-64',
  '-mno-80387',
  '-mno-mmx',
  '-mno-sse',
  '-mno-sse2',
  '-mno-red-zone',
  '-mcmodel=kernel',
];
export const FREESTANDING_S_FLAGS = ['-m64', '-fno-PIC', '-fno-pie'];

export interface BuildRequest {
  project: Project;
  /** Defines added to the project's for this build only (objects then go to their own variant directory). */
  extraDefines?: Record<string, string>;
  /** Called once per source compiled and for the link (`asm src/kernel.asm`, `link build/kernel.elf`). */
  onStep?: (step: string) => void;
  /** Called with each assembler or compiler warning, formatted. */
  onWarning?: (text: string) => void;
}

export interface KernelElf {
  /** Absolute path of the linked kernel. */
  path: string;
  elf: Uint8Array;
  /** Entries of the embedded backtrace table (0 when the kernel reserves no `.ksyms`). */
  symbolCount: number;
  /** Root-relative sources compiled by this build. */
  compiled: string[];
  /** Whether this build linked (false: the ELF was up to date). */
  linked: boolean;
  /** Every file the kernel was built from (sources, their includes, the linker script): what --watch watches. */
  inputs: string[];
}

interface SourceUnit {
  /** Root-relative source path. */
  source: string;
  language: 'asm' | 'c' | 'S';
  /** Root-relative object and dependency file. */
  object: string;
  depfile: string;
  /** Hash of everything besides file contents that goes into the object. */
  commandHash: string;
}

function hash(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The directory the objects and the ELF of this build go to: build/, or build/variants/HASH for extra defines. */
export function buildDirectory(project: Project, extraDefines: Record<string, string> = {}): string {
  const base = resolve(project.root, project.build.buildDir);
  return Object.keys(extraDefines).length === 0 ? base : join(base, 'variants', hash(extraDefines));
}

function cCompiler(project: Project): string {
  return project.build.cc ?? process.env.CC ?? 'cc';
}

/** The C compiler the project's sources need (`.c` and `.S` files), or undefined for an all-assembly project. */
export function projectCompiler(project: Project): string | undefined {
  const buildDirRelative = relative(project.root, resolve(project.root, project.build.buildDir));
  const sources = expandGlobs(project.root, project.build.sources, [buildDirRelative]);
  return sources.some((source) => !source.endsWith('.asm')) ? cCompiler(project) : undefined;
}

function planUnits(project: Project, outDir: string, defines: Record<string, string>): SourceUnit[] {
  const { build } = project;
  const buildDirRelative = relative(project.root, resolve(project.root, build.buildDir));
  const sources = expandGlobs(project.root, build.sources, [buildDirRelative]);
  const objectDir = relative(project.root, join(outDir, 'obj'));
  return sources.map((source) => {
    const language = source.endsWith('.asm') ? 'asm' : source.endsWith('.c') ? 'c' : 'S';
    const object = `${objectDir}/${source.replace(/\.\.\//g, '__/')}.o`;
    const flags =
      language === 'asm'
        ? build.asmFlags
        : language === 'c'
          ? [cCompiler(project), ...FREESTANDING_C_FLAGS, ...build.cFlags]
          : [cCompiler(project), ...FREESTANDING_S_FLAGS, ...build.sFlags];
    return {
      source,
      language,
      object,
      depfile: object.replace(/\.o$/, '.d'),
      commandHash: hash(DRIVER_REVISION, language, flags, build.include, defines, source),
    };
  });
}

/** Up to date: the object and its dependency file exist, the command is the same and no prerequisite is newer. */
function isUpToDate(root: string, unit: SourceUnit): boolean {
  const objectTime = mtime(join(root, unit.object));
  if (objectTime === undefined) return false;
  let text: string;
  try {
    text = readFileSync(join(root, unit.depfile), 'utf8');
  } catch {
    return false;
  }
  if (commandHashOf(text) !== unit.commandHash) return false;
  for (const prerequisite of parseDependencies(text)) {
    const time = mtime(resolve(root, prerequisite));
    if (time === undefined || time > objectTime) return false;
  }
  return true;
}

function dependenciesOf(root: string, unit: SourceUnit): string[] {
  try {
    return parseDependencies(readFileSync(join(root, unit.depfile), 'utf8')).map((path) =>
      resolve(root, path),
    );
  } catch {
    return [join(root, unit.source)];
  }
}

async function compile(
  project: Project,
  unit: SourceUnit,
  defines: Record<string, string>,
  onWarning: (text: string) => void,
): Promise<void> {
  const root = project.root;
  if (unit.language === 'asm') {
    const { assembleObject, formatDiagnostic } = await import('./toolchain.js');
    const flags = parseAsmFlags(project.build.asmFlags);
    const sourcePath = join(root, unit.source);
    let text: string;
    try {
      text = readFileSync(sourcePath, 'utf8');
    } catch {
      throw new UserError(`${unit.source}: cannot read the source`);
    }
    const includePaths = [...project.build.include, ...flags.include].map((dir) =>
      dir.endsWith('/') ? dir : `${dir}/`,
    );
    // Paths stay root-relative (as the user wrote them), so __FILE__ and messages read src/x.asm, not /home/...
    const assembled = assembleObject({
      source: text,
      fileName: unit.source,
      readFile: (path) => {
        try {
          return new Uint8Array(readFileSync(resolve(root, path)));
        } catch {
          return undefined;
        }
      },
      includePaths,
      defines: { ...defines, ...flags.defines },
      undefines: flags.undefines,
      disabledWarnings: flags.disabledWarnings,
      ...(flags.optimization ? { optimization: flags.optimization } : {}),
    });
    for (const warning of assembled.warnings) onWarning(formatDiagnostic(warning));
    writeFileAtomic(join(root, unit.object), assembled.object, { makeDirectory: true });
    writeFileAtomic(
      join(root, unit.depfile),
      formatDependencies(unit.object, [unit.source, ...assembled.dependencies], unit.commandHash),
    );
    return;
  }
  const compiler = cCompiler(project);
  const defineFlags = Object.entries(defines).map(([name, value]) =>
    value === '' ? `-D${name}` : `-D${name}=${value}`,
  );
  const languageFlags =
    unit.language === 'c'
      ? [...FREESTANDING_C_FLAGS, ...project.build.cFlags]
      : [...FREESTANDING_S_FLAGS, ...project.build.sFlags];
  const temporaryObject = `${unit.object}.${process.pid}.tmp`;
  mkdirSync(dirname(join(root, unit.object)), { recursive: true });
  const args = [
    ...languageFlags,
    ...project.build.include.map((dir) => `-I${dir}`),
    ...defineFlags,
    '-MD',
    '-MF',
    `${unit.depfile}.tmp${process.pid}`,
    '-MT',
    unit.object,
    '-c',
    unit.source,
    '-o',
    temporaryObject,
  ];
  // execa costs ~50 ms to load: only C builds pay for it
  const { execa } = await import('execa');
  const result = await execa(compiler, args, { cwd: root, reject: false, all: true, stdin: 'ignore' });
  if (result.failed) {
    rmSync(join(root, temporaryObject), { force: true });
    rmSync(join(root, `${unit.depfile}.tmp${process.pid}`), { force: true });
    if ((result as { code?: string }).code === 'ENOENT')
      throw new UserError(
        `${unit.source}: no C compiler: \`${compiler}\` is not on PATH. Install gcc or clang (Debian/Ubuntu: apt install gcc), or name one with build.cc in ostool.toml or $CC`,
      );
    const output = (result.all ?? '').trim();
    throw new UserError(
      `${unit.source}: ${compiler} failed (exit ${result.exitCode ?? 'signal'})${output ? `:\n${output}` : ''}`,
    );
  }
  if (result.all?.trim()) onWarning(result.all.trim());
  renameSync(join(root, temporaryObject), join(root, unit.object));
  const depText = readFileSync(join(root, `${unit.depfile}.tmp${process.pid}`), 'utf8');
  rmSync(join(root, `${unit.depfile}.tmp${process.pid}`), { force: true });
  writeFileAtomic(join(root, unit.depfile), stampDependencies(depText, unit.commandHash));
}

/** Builds (or finds up to date) the project's kernel ELF. */
export async function buildKernelElf(request: BuildRequest): Promise<KernelElf> {
  const { project } = request;
  const root = project.root;
  const defines = { ...project.build.defines, ...request.extraDefines };
  const outDir = buildDirectory(project, request.extraDefines);
  const units = planUnits(project, outDir, defines);
  const onWarning = request.onWarning ?? ((text: string) => process.stderr.write(`${text}\n`));

  const compiled: string[] = [];
  for (const unit of units) {
    if (isUpToDate(root, unit)) continue;
    request.onStep?.(`${unit.language === 'asm' ? 'asm' : 'cc '} ${unit.source}`);
    await compile(project, unit, defines, onWarning);
    compiled.push(unit.source);
  }

  const elfPath = join(outDir, project.build.elfName);
  const scriptPath = project.build.linkerScript ? resolve(root, project.build.linkerScript) : undefined;
  const linkFlags = parseLinkFlags(project.build.linkFlags);
  const linkHash = hash(
    DRIVER_REVISION,
    units.map((unit) => unit.object),
    scriptPath,
    scriptPath ? mtime(scriptPath) : undefined,
    project.build.linkFlags,
    project.build.entry,
  );
  const stampPath = `${elfPath}.inputs`;
  const inputs = [
    ...new Set([...units.flatMap((unit) => dependenciesOf(root, unit)), ...(scriptPath ? [scriptPath] : [])]),
  ];

  const elfTime = mtime(elfPath);
  const stamp = elfTime === undefined ? undefined : readStamp(stampPath);
  const objectsNewer = units.some(
    (unit) => (mtime(join(root, unit.object)) ?? Infinity) > (elfTime ?? -Infinity),
  );
  if (stamp && stamp.linkHash === linkHash && !objectsNewer && compiled.length === 0) {
    return {
      path: elfPath,
      elf: new Uint8Array(readFileSync(elfPath)),
      symbolCount: stamp.symbolCount,
      compiled,
      linked: false,
      inputs,
    };
  }

  request.onStep?.(`link ${relative(process.cwd(), elfPath) || elfPath}`);
  let script: string | undefined;
  if (scriptPath) {
    try {
      script = readFileSync(scriptPath, 'utf8');
    } catch {
      throw new UserError(`linker script ${scriptPath} not found`);
    }
  }
  const { linkExecutable } = await import('./toolchain.js');
  const linked = linkExecutable({
    inputs: units.map((unit) => ({
      name: unit.object,
      data: new Uint8Array(readFileSync(join(root, unit.object))),
    })),
    ...(script !== undefined ? { script, scriptName: relative(root, scriptPath!) } : {}),
    readFile: (path) => {
      try {
        return new Uint8Array(readFileSync(isAbsolute(path) ? path : resolve(root, path)));
      } catch {
        return undefined;
      }
    },
    ...((project.build.entry ?? linkFlags.entry) ? { entry: project.build.entry ?? linkFlags.entry } : {}),
    maxPageSize: linkFlags.maxPageSize ?? 0x1000,
    ...(linkFlags.commonPageSize ? { commonPageSize: linkFlags.commonPageSize } : {}),
    gcSections: linkFlags.gcSections,
    stripAll: linkFlags.stripAll,
    defsyms: linkFlags.defsyms,
    ...(linkFlags.buildId ? { buildId: linkFlags.buildId } : {}),
  });
  for (const warning of linked.warnings) onWarning(`ostool link: warning: ${warning}`);
  const embedded = embedSymbolTable(linked.output);
  writeFileAtomic(elfPath, embedded.elf, { makeDirectory: true });
  writeFileAtomic(stampPath, JSON.stringify({ linkHash, symbolCount: embedded.symbolCount }));
  return {
    path: elfPath,
    elf: embedded.elf,
    symbolCount: embedded.symbolCount,
    compiled,
    linked: true,
    inputs,
  };
}

function readStamp(path: string): { linkHash: string; symbolCount: number } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { linkHash?: unknown; symbolCount?: unknown };
    if (typeof value.linkHash === 'string' && typeof value.symbolCount === 'number')
      return { linkHash: value.linkHash, symbolCount: value.symbolCount };
  } catch {
    // a damaged stamp only costs a link
  }
  return undefined;
}
