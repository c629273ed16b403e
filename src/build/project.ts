/**
 * The project file, `ostool.toml`: what a kernel project is made of (sources, include dirs, flags, linker
 * script), how its image is packed and how QEMU boots it. Parsed by smol-toml; every unknown key and every
 * bad value is an error naming the file and the line. Paths in the file are relative to its directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { UserError } from '../errors.js';

export const PROJECT_FILE = 'ostool.toml';

export interface ProjectBuild {
  /** Globs (relative to the project root) of the sources: `.asm` (ostool asm), `.c` and `.S` (the C compiler). */
  sources: string[];
  /** Include directories for every language (`-I`). */
  include: string[];
  /** Preprocessor defines for every language (`-D NAME[=VALUE]`; '' for a bare define). */
  defines: Record<string, string>;
  /** Extra `ostool asm` flags for `.asm` sources (-D, -U, -I, -w±NAME, -O0/-O1/-Ox). */
  asmFlags: string[];
  /** Extra C compiler flags for `.c`, after the freestanding defaults. */
  cFlags: string[];
  /** Extra C compiler flags for `.S` (preprocessed GNU assembly). */
  sFlags: string[];
  /** The C compiler; default `cc` (or `$CC`). */
  cc?: string;
  linkerScript?: string;
  /** Extra `ostool link` flags (--gc-sections, -z max-page-size=N, --defsym, -s, --build-id=...). */
  linkFlags: string[];
  /** Entry symbol (`-e`); default the linker script's ENTRY. */
  entry?: string;
  /** Where objects, dependency files, the kernel ELF and images go; default `build`. */
  buildDir: string;
  /** The kernel ELF's name inside buildDir; default `kernel.elf`. */
  elfName: string;
}

export interface ProjectImage {
  media: 'iso' | 'hdd';
  /** Disk image size for `hdd` (`64M`). */
  size?: string;
  bootloader: 'auto' | 'limine' | 'builtin';
  /** Limine release directory or tarball. */
  limine?: string;
  /** Kernel command line of `ostool build` / `ostool run`. */
  cmdline: string;
  /** `FILE[:CMDLINE]` entries, files relative to the project root. */
  modules: string[];
}

export interface ProjectMachine {
  /** Extra QEMU arguments. */
  qemuArgs: string[];
  /** QEMU `-m`. */
  memory?: string;
  /** QEMU `-smp`. */
  smp?: number;
  /** Seconds; 0 for none. */
  timeout?: number;
  firmware?: 'uefi' | 'bios';
}

export interface ProjectTest extends ProjectMachine {
  /** Extra words after `test` on the kernel command line of `ostool test`. */
  cmdline?: string;
  /** The byte written to port 0xf4 for success / failure (default 0x10 / 0x11). */
  successCode: number;
  failureCode: number;
}

/** `[initrd]`: a USTAR archive packed from a directory and added to the image as a module. */
export interface ProjectInitrd {
  /** The directory the archive is made from (relative to the project root). */
  dir: string;
  /** Globs (relative to `dir`) of assembly programs, each built into a static ELF at its path without `.asm`. */
  programs: string[];
  /** Globs (relative to `dir`) of files packed as they are. */
  files: string[];
  /** The archive's file name (in the build directory and under /boot/modules); default `initrd.tar`. */
  name: string;
  /** The module's command line (its `string` in the Limine module response). */
  cmdline?: string;
}

export interface Project {
  /** Absolute directory of ostool.toml: every relative path is from here. */
  root: string;
  /** Absolute path of ostool.toml (undefined for a project made from command-line flags). */
  file?: string;
  name: string;
  build: ProjectBuild;
  image: ProjectImage;
  run: ProjectMachine;
  test: ProjectTest;
  initrd?: ProjectInitrd;
}

/** A project with every setting at its default: what a file with only `[build] sources` gives. */
export function defaultProject(root: string, sources: string[] = []): Project {
  return {
    root,
    name: 'kernel',
    build: {
      sources,
      include: [],
      defines: {},
      asmFlags: [],
      cFlags: [],
      sFlags: [],
      linkFlags: [],
      buildDir: 'build',
      elfName: 'kernel.elf',
    },
    image: { media: 'iso', bootloader: 'auto', cmdline: '', modules: [] },
    run: { qemuArgs: [] },
    test: { qemuArgs: [], successCode: 0x10, failureCode: 0x11 },
  };
}

/** The nearest ostool.toml in `start` or one of its parents. */
export function findProjectFile(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, PROJECT_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function loadProject(file: string): Project {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file}: cannot read the project file`);
  }
  return parseProject(text, resolve(file));
}

// ---------------------------------------------------------------- parsing

/** Where each key is: `table.key` → 1-based line, found by a light scan (smol-toml gives values only). */
function keyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let table = '';
  text.split('\n').forEach((line, index) => {
    const header = /^\s*\[\[?\s*([A-Za-z0-9_.\-" ]+?)\s*\]\]?/.exec(line);
    if (header) {
      table = header[1]!.replace(/["\s]/g, '');
      if (!lines.has(table)) lines.set(table, index + 1);
      return;
    }
    const key = /^\s*([A-Za-z0-9_\-."]+)\s*=/.exec(line);
    if (key) {
      const path = (table ? `${table}.` : '') + key[1]!.replace(/"/g, '');
      if (!lines.has(path)) lines.set(path, index + 1);
    }
  });
  return lines;
}

type Table = Record<string, unknown>;

class Reader {
  constructor(
    readonly file: string,
    private readonly lines: Map<string, number>,
  ) {}

  fail(path: string, message: string): never {
    const line = this.lines.get(path) ?? this.lines.get(path.split('.').slice(0, -1).join('.')) ?? 1;
    throw new UserError(`${this.file}:${line}: ${message}`);
  }

  /** The table's keys must all be known; returns the table. */
  table(path: string, value: unknown, known: readonly string[]): Table {
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date)
      this.fail(path, `\`${path}\` must be a table`);
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const where = path ? `${path}.${key}` : key;
        this.fail(
          where,
          `unknown key \`${where}\` (${path ? `[${path}]` : 'top level'} takes ${known.join(', ')})`,
        );
      }
    }
    return value as Table;
  }

  string(table: Table, path: string, key: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(`${path}.${key}`, `\`${path}.${key}\` must be a string`);
    return value;
  }

  strings(table: Table, path: string, key: string): string[] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
      this.fail(`${path}.${key}`, `\`${path}.${key}\` must be an array of strings`);
    return value as string[];
  }

  choice<T extends string>(table: Table, path: string, key: string, choices: readonly T[]): T | undefined {
    const value = this.string(table, path, key);
    if (value === undefined) return undefined;
    if (!choices.includes(value as T))
      this.fail(`${path}.${key}`, `\`${path}.${key}\` must be ${choices.join(' or ')} (got "${value}")`);
    return value as T;
  }

  integer(table: Table, path: string, key: string, min: number, max: number): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.fail(`${path}.${key}`, `\`${path}.${key}\` must be a whole number from ${min} to ${max}`);
    return value;
  }

  /** A size string like `64M`, or a byte count. */
  size(table: Table, path: string, key: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const text = typeof value === 'number' ? String(value) : value;
    if (typeof text !== 'string' || !/^\d+\s*([KMG](i?B)?)?$/i.test(text.trim()))
      this.fail(`${path}.${key}`, `\`${path}.${key}\` must be a size like "64M" or "1G"`);
    return text.trim();
  }

  defines(table: Table, path: string, key: string): Record<string, string> | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const where = `${path}.${key}`;
    const defines: Record<string, string> = {};
    const name = (text: string) => {
      if (!/^[A-Za-z_.?$][A-Za-z0-9_.?$@#~]*$/.test(text)) this.fail(where, `bad define name "${text}"`);
      return text;
    };
    if (Array.isArray(value)) {
      for (const item of value) {
        if (typeof item !== 'string') this.fail(where, `\`${where}\` entries must be "NAME" or "NAME=VALUE"`);
        const equals = item.indexOf('=');
        if (equals < 0) defines[name(item)] = '';
        else defines[name(item.slice(0, equals))] = item.slice(equals + 1);
      }
      return defines;
    }
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
      for (const [key2, item] of Object.entries(value)) {
        if (typeof item === 'string') defines[name(key2)] = item;
        else if (typeof item === 'number' && Number.isInteger(item)) defines[name(key2)] = String(item);
        else if (item === true) defines[name(key2)] = '';
        else this.fail(where, `define \`${key2}\` must be a string, a whole number or true`);
      }
      return defines;
    }
    this.fail(where, `\`${where}\` must be an array ("NAME=VALUE") or a table (NAME = "VALUE")`);
  }
}

const TOP_KEYS = ['project', 'build', 'image', 'run', 'test', 'initrd'] as const;
const INITRD_KEYS = ['dir', 'programs', 'files', 'name', 'cmdline'] as const;
const PROJECT_KEYS = ['name'] as const;
const BUILD_KEYS = [
  'sources',
  'include',
  'defines',
  'asm_flags',
  'c_flags',
  's_flags',
  'cc',
  'linker_script',
  'link_flags',
  'entry',
  'build_dir',
  'elf',
] as const;
const IMAGE_KEYS = ['media', 'size', 'bootloader', 'limine', 'cmdline', 'modules'] as const;
const MACHINE_KEYS = ['qemu_args', 'memory', 'smp', 'timeout', 'firmware'] as const;
const TEST_KEYS = [...MACHINE_KEYS, 'cmdline', 'success_code', 'failure_code'] as const;

/** Parses ostool.toml text; `file` is its absolute path (messages name it, relative paths start at its directory). */
export function parseProject(text: string, file: string): Project {
  let document: Table;
  try {
    document = parse(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const message = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new UserError(`${file}:${error.line}:${error.column}: ${message}`);
    }
    throw new UserError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const reader = new Reader(file, keyLines(text));
  const top = reader.table('', document, TOP_KEYS);
  const project = defaultProject(dirname(file));
  project.file = file;

  const meta = reader.table('project', top.project, PROJECT_KEYS);
  project.name = reader.string(meta, 'project', 'name') ?? project.name;

  const build = reader.table('build', top.build, BUILD_KEYS);
  const b = project.build;
  b.sources = reader.strings(build, 'build', 'sources') ?? b.sources;
  if (b.sources.length === 0)
    reader.fail('build.sources', '`build.sources` must list at least one source glob');
  for (const glob of b.sources)
    if (!/\.(asm|c|S)$/.test(glob)) reader.fail('build.sources', `source "${glob}" is not .asm, .c or .S`);
  b.include = reader.strings(build, 'build', 'include') ?? b.include;
  b.defines = reader.defines(build, 'build', 'defines') ?? b.defines;
  b.asmFlags = reader.strings(build, 'build', 'asm_flags') ?? b.asmFlags;
  b.cFlags = reader.strings(build, 'build', 'c_flags') ?? b.cFlags;
  b.sFlags = reader.strings(build, 'build', 's_flags') ?? b.sFlags;
  b.cc = reader.string(build, 'build', 'cc');
  b.linkerScript = reader.string(build, 'build', 'linker_script');
  b.linkFlags = reader.strings(build, 'build', 'link_flags') ?? b.linkFlags;
  b.entry = reader.string(build, 'build', 'entry');
  b.buildDir = reader.string(build, 'build', 'build_dir') ?? b.buildDir;
  b.elfName = reader.string(build, 'build', 'elf') ?? b.elfName;
  // Flags are checked here too, so a typo is reported with its line before any build starts.
  try {
    parseAsmFlags(b.asmFlags);
  } catch (error) {
    reader.fail('build.asm_flags', (error as Error).message);
  }
  try {
    parseLinkFlags(b.linkFlags);
  } catch (error) {
    reader.fail('build.link_flags', (error as Error).message);
  }

  const image = reader.table('image', top.image, IMAGE_KEYS);
  const i = project.image;
  i.media = reader.choice(image, 'image', 'media', ['iso', 'hdd'] as const) ?? i.media;
  i.size = reader.size(image, 'image', 'size');
  i.bootloader =
    reader.choice(image, 'image', 'bootloader', ['auto', 'limine', 'builtin'] as const) ?? i.bootloader;
  i.limine = reader.string(image, 'image', 'limine');
  i.cmdline = reader.string(image, 'image', 'cmdline') ?? i.cmdline;
  i.modules = reader.strings(image, 'image', 'modules') ?? i.modules;

  const readMachine = (path: 'run' | 'test', table: Table, into: ProjectMachine) => {
    into.qemuArgs = reader.strings(table, path, 'qemu_args') ?? into.qemuArgs;
    into.memory = reader.size(table, path, 'memory');
    into.smp = reader.integer(table, path, 'smp', 1, 255);
    into.timeout = reader.integer(table, path, 'timeout', 0, 86_400);
    into.firmware = reader.choice(table, path, 'firmware', ['uefi', 'bios'] as const);
  };
  readMachine('run', reader.table('run', top.run, MACHINE_KEYS), project.run);
  const test = reader.table('test', top.test, TEST_KEYS);
  readMachine('test', test, project.test);
  project.test.cmdline = reader.string(test, 'test', 'cmdline');
  project.test.successCode = reader.integer(test, 'test', 'success_code', 0, 255) ?? 0x10;
  project.test.failureCode = reader.integer(test, 'test', 'failure_code', 0, 255) ?? 0x11;
  if (project.test.successCode === project.test.failureCode)
    reader.fail('test.failure_code', '`test.success_code` and `test.failure_code` must differ');

  if (top.initrd !== undefined) {
    const initrd = reader.table('initrd', top.initrd, INITRD_KEYS);
    const dir =
      reader.string(initrd, 'initrd', 'dir') ??
      reader.fail('initrd', '`[initrd]` needs `dir`, the directory to pack');
    const name = reader.string(initrd, 'initrd', 'name') ?? 'initrd.tar';
    if (name.includes('/') || name === '' || name.startsWith('.'))
      reader.fail('initrd.name', '`initrd.name` must be a plain file name');
    const packed: ProjectInitrd = {
      dir,
      programs: reader.strings(initrd, 'initrd', 'programs') ?? [],
      files: reader.strings(initrd, 'initrd', 'files') ?? [],
      name,
      cmdline: reader.string(initrd, 'initrd', 'cmdline'),
    };
    if (packed.programs.length === 0 && packed.files.length === 0)
      reader.fail('initrd', '`[initrd]` needs `programs` or `files` globs');
    project.initrd = packed;
  }
  return project;
}

// ---------------------------------------------------------------- flags

export interface AsmFlags {
  defines: Record<string, string>;
  undefines: string[];
  include: string[];
  disabledWarnings: string[];
  optimization?: 'O0' | 'O1';
  /** `-g` (DWARF) or `-F dwarf|stabs`: debug sections in the objects. */
  debug?: 'dwarf' | 'stabs';
}

/** `ostool asm` flags a project may add to every `.asm` source. */
export function parseAsmFlags(flags: string[]): AsmFlags {
  const parsed: AsmFlags = { defines: {}, undefines: [], include: [], disabledWarnings: [] };
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index]!;
    const value = (prefix: string) => {
      const attached = flag.slice(prefix.length);
      if (attached) return attached;
      const next = flags[++index];
      if (next === undefined) throw new Error(`asm flag ${prefix} needs a value`);
      return next;
    };
    if (flag.startsWith('-D')) {
      const text = value('-D');
      const equals = text.indexOf('=');
      if (equals < 0) parsed.defines[text] = '';
      else parsed.defines[text.slice(0, equals)] = text.slice(equals + 1);
    } else if (flag.startsWith('-U')) parsed.undefines.push(value('-U'));
    else if (flag.startsWith('-I')) parsed.include.push(value('-I'));
    else if (flag.startsWith('-w-')) parsed.disabledWarnings.push(flag.slice(3));
    else if (flag.startsWith('-w+'))
      continue; // warnings are on by default
    else if (flag === '-O0' || flag === '-O1') parsed.optimization = flag.slice(1) as 'O0' | 'O1';
    else if (flag === '-Ox') parsed.optimization = undefined;
    else if (flag === '-g') parsed.debug ??= 'dwarf';
    else if (flag.startsWith('-F')) {
      const format = value('-F').toLowerCase();
      if (format !== 'dwarf' && format !== 'stabs')
        throw new Error(`unknown debug format "${format}" in asm flag -F (dwarf or stabs)`);
      parsed.debug = format;
    } else
      throw new Error(
        `unknown asm flag "${flag}" (allowed: -D, -U, -I, -w-NAME, -w+NAME, -O0, -O1, -Ox, -g, -F dwarf|stabs)`,
      );
  }
  return parsed;
}

export interface LinkFlags {
  gcSections: boolean;
  maxPageSize?: number;
  commonPageSize?: number;
  stripAll: boolean;
  buildId?: 'none' | 'sha1';
  defsyms: Array<{ name: string; expression: string }>;
  entry?: string;
}

/** `ostool link` flags a project may add to the kernel link. */
export function parseLinkFlags(flags: string[]): LinkFlags {
  const parsed: LinkFlags = { gcSections: false, stripAll: false, defsyms: [] };
  const number = (text: string, flag: string) => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new Error(`link flag ${flag}: bad number "${text}"`);
    return value;
  };
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index]!;
    const next = () => {
      const value = flags[++index];
      if (value === undefined) throw new Error(`link flag ${flag} needs a value`);
      return value;
    };
    if (flag === '--gc-sections') parsed.gcSections = true;
    else if (flag === '-s' || flag === '--strip-all') parsed.stripAll = true;
    else if (flag === '-static' || flag === '-nostdlib' || flag === '--no-dynamic-linker') continue;
    else if (flag === '--build-id=none' || flag === '--build-id=sha1')
      parsed.buildId = flag.slice('--build-id='.length) as 'none' | 'sha1';
    else if (flag === '-e' || flag === '--entry') parsed.entry = next();
    else if (flag === '-z' || flag.startsWith('-z')) {
      const option = flag === '-z' ? next() : flag.slice(2);
      const match = /^(max|common)-page-size=(.+)$/.exec(option);
      if (!match)
        throw new Error(`unknown link flag "-z ${option}" (allowed: max-page-size=N, common-page-size=N)`);
      if (match[1] === 'max') parsed.maxPageSize = number(match[2]!, '-z max-page-size');
      else parsed.commonPageSize = number(match[2]!, '-z common-page-size');
    } else if (flag === '--defsym' || flag.startsWith('--defsym=')) {
      const text = flag === '--defsym' ? next() : flag.slice('--defsym='.length);
      const equals = text.indexOf('=');
      if (equals <= 0) throw new Error(`link flag --defsym wants SYMBOL=EXPRESSION (got "${text}")`);
      parsed.defsyms.push({ name: text.slice(0, equals), expression: text.slice(equals + 1) });
    } else
      throw new Error(
        `unknown link flag "${flag}" (allowed: --gc-sections, -z max-page-size=N, -z common-page-size=N, --defsym S=E, -s, --build-id=none|sha1, -e SYM)`,
      );
  }
  return parsed;
}
