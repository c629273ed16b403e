import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isSpecialFile, writeFileAtomic } from '../../atomic-write.js';
import { UserError } from '../../errors.js';
import { link, type LinkOptions, type OutputFormat } from '../../linker/index.js';

/** One option per line: each change to the option list is a line of its own. */
const USAGE = [
  '[-T SCRIPT]',
  '[-o OUT]',
  '[-e ENTRY]',
  '[-u SYM]',
  '[-static]',
  '[-pie|-static-pie|-no-pie]',
  '[-shared [-soname NAME] [-Bsymbolic|-Bsymbolic-functions] [--version-script FILE] [-z defs]]',
  '[--no-dynamic-linker|-dynamic-linker FILE]',
  '[--hash-style=sysv|gnu|both]',
  '[-z max-page-size=N]',
  '[-z common-page-size=N]',
  '[-z text|notext]',
  '[-z relro|norelro]',
  '[-z separate-code|noseparate-code]',
  '[-z execstack|noexecstack]',
  '[--gc-sections]',
  '[--print-gc-sections]',
  '[-E|--export-dynamic]',
  '[--dynamic-list FILE]',
  '[--export-dynamic-symbol GLOB]',
  '[--export-dynamic-symbol-list FILE]',
  '[-Map FILE]',
  '[-M|--print-map]',
  '[-m elf_x86_64|elf_i386]',
  '[--oformat elf64-x86-64|elf32-i386|efi-app-x86_64|binary]',
  '[--build-id[=none|sha1|md5|uuid|0xHEX]]',
  '[-s|--strip-all]',
  '[-S|--strip-debug]',
  '[-x|--discard-all]',
  '[-X|--discard-locals]',
  '[--discard-none]',
  '[--no-relax]',
  '[--wrap SYM]',
  '[--sort-common[=descending|ascending]]',
  '[-Ttext|-Tdata|-Tbss ADDR]',
  '[--section-start SECTION=ADDR]',
  '[-Ttext-segment|-Trodata-segment|-Tldata-segment ADDR]',
  '[--no-undefined]',
  '[-z now|lazy]',
  '[--enable-new-dtags|--disable-new-dtags]',
  '[--no-ld-generated-unwind-info]',
  '[--allow-multiple-definition|-z muldefs]',
  '[--fatal-warnings]',
  '[-O LEVEL]',
  '[--defsym SYM=EXPR]',
  '[-L DIR]',
  '[-lNAME]',
  '[-b binary|elf64-x86-64|elf32-i386]',
  '[--start-group ... --end-group]',
  '[--orphan-handling=place|discard|warn|error]',
  '[-N|-n]',
  '[-r]',
  '[--eh-frame-hdr]',
  'FILES...',
].join(' ');

const HELP = `
Links ELF64 x86-64 objects (from ostool asm, nasm, GNU as, gcc, clang) and ar archives into an ELF64
executable or, with --oformat efi-app-x86_64, a PE32+ UEFI application. Flags follow GNU ld.

Examples:
  ostool link -T linker.ld -o kernel.elf build/*.o
  ostool link --oformat efi-app-x86_64 -e efi_main -o BOOTX64.EFI loader.o
  ostool link -T linker.ld --gc-sections -Map kernel.map -o kernel.elf main.o -L lib -lk
  ostool link -T linker.ld -pie -z text -o kernel.elf *.o          (a PIE kernel, as Limine's test kernel)
  ostool link -T linker.ld -o kernel.elf main.o -b binary font.psf (embeds _binary_font_psf_start/_end/_size)
  ostool link -r -o drivers.o drivers/*.o                          (one relocatable object, as ld -r)`;

/** What the command line asked for, before any file is read. */
export interface LinkCommandLine {
  files: Array<
    ({ kind: 'file'; path: string; binary?: boolean } | { kind: 'library'; name: string }) & {
      group?: number;
    }
  >;
  script?: string;
  output: string;
  entry?: string;
  mapFile?: string;
  /** -M / --print-map: the map on standard output. */
  printMap?: boolean;
  oformat?: OutputFormat;
  emulation?: 'elf_x86_64' | 'elf_i386';
  /** Some input came before -T (ld's map then lists the LOADs first). */
  inputsBeforeScript?: boolean;
  gcSections: boolean;
  printGcSections: boolean;
  undefinedSymbols: string[];
  exportDynamic: boolean;
  /** --dynamic-list and --export-dynamic-symbol-list files, in command-line order. */
  dynamicLists: string[];
  exportDynamicSymbols: string[];
  pie: boolean;
  shared?: boolean;
  soname?: string;
  symbolic?: 'all' | 'functions';
  noUndefined?: boolean;
  versionScripts: string[];
  hashStyle?: 'sysv' | 'gnu' | 'both';
  /** -z notext (true) / -z text (false); neither: ld's default, text relocations with a warning. */
  textRelocations?: boolean;
  relro?: boolean;
  separateCode?: boolean;
  execStack?: boolean;
  sortSection?: 'name' | 'alignment';
  stripAll: boolean;
  stripDebug: boolean;
  discard?: 'none' | 'sec-merge' | 'locals' | 'all';
  relax: boolean;
  /** -q / --emit-relocs. */
  emitRelocs?: boolean;
  /** -O1 and up. */
  optimize?: boolean;
  bindNow?: boolean;
  newDtags?: boolean;
  linkerUnwindInfo?: boolean;
  allowMultipleDefinition?: boolean;
  fatalWarnings?: boolean;
  wrap: string[];
  sortCommon?: 'descending' | 'ascending';
  /** -Ttext/-Tdata/-Tbss and --section-start, in command-line order. */
  sectionStarts: Array<{ section: string; address: bigint; beforeScript: boolean }>;
  /** -Ttext/-Tdata/-Tbss and -T*-segment: SEGMENT_START values. */
  segmentStarts: Array<{ segment: string; address: bigint }>;
  buildId: string;
  maxPageSize?: number;
  commonPageSize?: number;
  defsyms: Array<{ name: string; expression: string }>;
  libraryPaths: string[];
  orphanHandling?: 'place' | 'discard' | 'warn' | 'error';
  magic?: 'omagic' | 'nmagic';
  noDynamicLinker: boolean;
  /** The last -b/--format was binary (ld's output format then follows it, see LinkOptions). */
  lastInputBinary?: boolean;
  /** -dynamic-linker FILE (-I FILE): the interpreter `.interp` names. */
  dynamicLinker?: string;
  ehFrameHdr: boolean;
  relocatable: boolean;
}

/** The -m EMULATION value, checked. */
function emulationNamed(emulation: string): 'elf_x86_64' | 'elf_i386' {
  if (emulation !== 'elf_x86_64' && emulation !== 'elf_i386')
    throw new UserError(
      `-m ${emulation}: unsupported emulation; ostool link supports elf_x86_64 (the default) and elf_i386`,
    );
  return emulation;
}

/** Parses GNU-ld-style arguments (`-Map`, `-static`, `-lNAME`, `-z key=value`, `--opt=value`...). */
export function parseLinkArguments(args: string[]): LinkCommandLine {
  const line: LinkCommandLine = {
    files: [],
    output: 'a.out',
    gcSections: false,
    printGcSections: false,
    undefinedSymbols: [],
    exportDynamic: false,
    dynamicLists: [],
    exportDynamicSymbols: [],
    pie: false,
    versionScripts: [],
    stripAll: false,
    stripDebug: false,
    relax: true,
    wrap: [],
    sectionStarts: [],
    segmentStarts: [],
    buildId: 'none',
    defsyms: [],
    libraryPaths: [],
    noDynamicLinker: false,
    ehFrameHdr: false,
    relocatable: false,
  };
  let i = 0;
  // -b/--format applies to the input files after it, until the next -b (ld's input format state).
  let binaryInput = false;
  let group: number | undefined;
  let groups = 0;
  const value = (flag: string, inline?: string): string => {
    if (inline !== undefined) return inline;
    const next = args[++i];
    if (next === undefined) throw new UserError(`option ${flag} needs a value`);
    return next;
  };
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      line.files.push({
        kind: 'file',
        path: arg,
        ...(binaryInput ? { binary: true } : {}),
        ...(group !== undefined ? { group } : {}),
      });
      continue;
    }
    if (arg === '-(' || arg === '--start-group' || arg === '-start-group') {
      if (group !== undefined) throw new UserError('--start-group: groups cannot be nested');
      group = ++groups;
      continue;
    }
    if (arg === '-)' || arg === '--end-group' || arg === '-end-group') {
      if (group === undefined) throw new UserError('--end-group without --start-group');
      group = undefined;
      continue;
    }
    // -IFILE: --dynamic-linker's short form, its value attached.
    if (/^-I./.test(arg)) {
      line.dynamicLinker = arg.slice(2);
      line.noDynamicLinker = false;
      continue;
    }
    // -O LEVEL: ld optimizes only the hash tables of dynamic symbols (checked below), and nothing else here.
    const optimize = /^-O(\d*)$/.exec(arg);
    if (optimize) {
      line.optimize = Number(optimize[1] === '' ? value(arg) : optimize[1]) > 0;
      continue;
    }
    // ld's -Ttext ADDR family (one dash; `=ADDR` or the next argument): a section's address and a segment's start.
    const segment = /^--?T(text|data|bss|text-segment|rodata-segment|ldata-segment)(?:=(.*))?$/.exec(arg);
    if (segment) {
      const address = parseHexAddress(arg, value(arg, segment[2]));
      line.segmentStarts.push({ segment: segment[1]!, address });
      if (!segment[1]!.endsWith('-segment'))
        line.sectionStarts.push({
          section: `.${segment[1]}`,
          address,
          beforeScript: line.script === undefined,
        });
      continue;
    }
    // ld reads long options with one dash too (getopt_long_only), `=VALUE` included: `-Map=kernel.map`.
    const eq = arg.indexOf('=');
    const long = eq > 0 && (arg.startsWith('--') || eq > 2);
    const name = long ? arg.slice(0, eq) : arg;
    const inline = long ? arg.slice(eq + 1) : undefined;
    switch (name.replace(/^--/, '-')) {
      case '-T':
      case '-script':
        line.script = value(arg, inline);
        line.inputsBeforeScript = line.files.length > 0;
        continue;
      case '-o':
      case '-output':
        line.output = value(arg, inline);
        continue;
      case '-e':
      case '-entry':
        line.entry = value(arg, inline);
        continue;
      case '-M':
      case '-print-map':
        line.printMap = true;
        continue;
      case '-Map':
      case '-map':
        line.mapFile = value(arg, inline);
        continue;
      case '-oformat': {
        const format = value(arg, inline);
        if (
          format !== 'elf64-x86-64' &&
          format !== 'elf32-i386' &&
          format !== 'efi-app-x86_64' &&
          format !== 'binary'
        )
          throw new UserError(
            `--oformat ${format}: supported formats are elf64-x86-64, elf32-i386, efi-app-x86_64 and binary`,
          );
        line.oformat = format;
        continue;
      }
      case '-gc-sections':
        line.gcSections = true;
        continue;
      case '-no-gc-sections':
        line.gcSections = false;
        continue;
      case '-print-gc-sections':
        line.printGcSections = true;
        continue;
      case '-no-print-gc-sections':
        line.printGcSections = false;
        continue;
      case '-u':
      case '-undefined':
        line.undefinedSymbols.push(value(arg, inline));
        continue;
      case '-E':
      case '-export-dynamic':
        line.exportDynamic = true;
        continue;
      case '-no-export-dynamic':
        line.exportDynamic = false;
        continue;
      case '-dynamic-list':
      case '-export-dynamic-symbol-list':
        line.dynamicLists.push(value(arg, inline));
        continue;
      case '-export-dynamic-symbol':
        line.exportDynamicSymbols.push(value(arg, inline));
        continue;
      case '-s':
      case '-strip-all':
        line.stripAll = true;
        continue;
      case '-S':
      case '-strip-debug':
        line.stripDebug = true;
        continue;
      case '-x':
      case '-discard-all':
        line.discard = 'all';
        continue;
      case '-X':
      case '-discard-locals':
        line.discard = 'locals';
        continue;
      case '-discard-none':
        line.discard = 'none';
        continue;
      case '-relax':
        line.relax = true;
        continue;
      case '-no-relax':
        line.relax = false;
        continue;
      case '-wrap':
        line.wrap.push(value(arg, inline));
        continue;
      case '-sort-common': {
        const order = inline ?? 'descending';
        if (order !== 'descending' && order !== 'ascending')
          throw new UserError(`--sort-common=${order}: expected descending or ascending`);
        line.sortCommon = order;
        continue;
      }
      case '-section-start': {
        const spec = value(arg, inline);
        const at = spec.lastIndexOf('=');
        if (at <= 0) throw new UserError(`--section-start ${spec}: expected SECTION=ADDRESS`);
        line.sectionStarts.push({
          section: spec.slice(0, at),
          address: parseHexAddress(arg, spec.slice(at + 1)),
          beforeScript: line.script === undefined,
        });
        continue;
      }
      // ld checks these for shared libraries only: an executable's undefined symbols are errors anyway.
      case '-allow-shlib-undefined':
      case '-no-allow-shlib-undefined':
      case '-error-unresolved-symbols':
        continue;
      case '-unresolved-symbols': {
        const mode = value(arg, inline);
        if (mode !== 'report-all' && mode !== 'ignore-in-shared-libs')
          throw new UserError(
            `--unresolved-symbols=${mode}: ostool reports every undefined symbol (report-all, ignore-in-shared-libs)`,
          );
        continue;
      }
      case '-enable-new-dtags':
        line.newDtags = true;
        continue;
      case '-disable-new-dtags':
        line.newDtags = false;
        continue;
      case '-ld-generated-unwind-info':
        line.linkerUnwindInfo = true;
        continue;
      case '-no-ld-generated-unwind-info':
        line.linkerUnwindInfo = false;
        continue;
      case '-allow-multiple-definition':
        line.allowMultipleDefinition = true;
        continue;
      case '-fatal-warnings':
        line.fatalWarnings = true;
        continue;
      case '-no-fatal-warnings':
        line.fatalWarnings = false;
        continue;
      // Options that change nothing ld writes here: -g (ignored by ld), warnings ostool does not print, the
      // endianness x86 has anyway, shared-library binding without shared libraries.
      case '-g':
      case '-EL':
      case '-Bdynamic':
      case '-dy':
      case '-dn':
      case '-no-warn-mismatch':
      case '-warn-common':
      case '-no-warn-search-mismatch':
      case '-warn-section-align':
      case '-strip-discarded':
        continue;
      case '-shared':
      case '-Bshareable':
        line.shared = true;
        continue;
      case '-soname':
      case '-h':
        line.soname = value(arg, inline);
        continue;
      case '-Bsymbolic':
        line.symbolic = 'all';
        continue;
      case '-Bsymbolic-functions':
        line.symbolic = 'functions';
        continue;
      case '-no-undefined':
        line.noUndefined = true;
        continue;
      case '-version-script':
        line.versionScripts.push(value(arg, inline));
        continue;
      case '-q':
      case '-emit-relocs':
        line.emitRelocs = true;
        continue;
      case '-build-id': {
        const kind = inline ?? 'sha1';
        if (!/^(none|sha1|md5|uuid|0x([0-9a-fA-F]{2})+)$/.test(kind))
          throw new UserError(`--build-id=${kind}: supported styles are none, sha1, md5, uuid and 0xHEX`);
        line.buildId = kind;
        continue;
      }
      case '-defsym': {
        const spec = value(arg, inline);
        const at = spec.indexOf('=');
        if (at <= 0) throw new UserError(`--defsym ${spec}: expected SYMBOL=EXPRESSION`);
        line.defsyms.push({ name: spec.slice(0, at), expression: spec.slice(at + 1) });
        continue;
      }
      case '-z':
        applyZ(line, value(arg, inline));
        continue;
      case '-eh-frame-hdr':
        line.ehFrameHdr = true;
        continue;
      case '-no-eh-frame-hdr':
        line.ehFrameHdr = false;
        continue;
      case '-r':
      case '-i':
      case '-relocatable':
        line.relocatable = true;
        continue;
      case '-N':
      case '-omagic':
        line.magic = 'omagic';
        continue;
      case '-n':
      case '-nmagic':
        line.magic = 'nmagic';
        continue;
      case '-no-omagic':
        line.magic = undefined;
        continue;
      case '-pie':
      case '-pic-executable':
        line.pie = true;
        continue;
      case '-static-pie':
        line.pie = true;
        line.noDynamicLinker = true;
        continue;
      case '-no-pie':
        line.pie = false;
        continue;
      case '-sort-section': {
        const key = value(arg, inline);
        if (key !== 'name' && key !== 'alignment')
          throw new UserError(`--sort-section=${key}: expected name or alignment`);
        line.sortSection = key;
        continue;
      }
      case '-orphan-handling': {
        const mode = value(arg, inline);
        if (mode !== 'place' && mode !== 'discard' && mode !== 'warn' && mode !== 'error')
          throw new UserError(
            `invalid argument to option "--orphan-handling": ${mode} (expected place, discard, warn or error)`,
          );
        line.orphanHandling = mode;
        continue;
      }
      case '-hash-style': {
        const style = value(arg, inline);
        if (style !== 'sysv' && style !== 'gnu' && style !== 'both')
          throw new UserError(`--hash-style=${style}: expected sysv, gnu or both`);
        line.hashStyle = style;
        continue;
      }
      // Nothing is exported from a PIE kernel, so symbol binding and the interpreter make no difference.
      case '-no-dynamic-linker':
        line.noDynamicLinker = true;
        continue;
      // gcc's driver passes its libc's interpreter unless -static; a -pie kernel's `.interp` names it.
      case '-dynamic-linker':
      case '-I':
        line.dynamicLinker = value(arg, inline);
        line.noDynamicLinker = false;
        continue;
      // ld's warnings about RWX segments and executable stacks, which ostool does not print.
      case '-warn-rwx-segments':
      case '-no-warn-rwx-segments':
      case '-warn-execstack':
      case '-no-warn-execstack':
        continue;
      // gcc's driver passes these; they only decide which shared libraries become DT_NEEDED, and none are linked.
      case '-as-needed':
      case '-no-as-needed':
      case '-static':
      case '-Bstatic':
      case '-nostdlib':
      case '-nostartfiles':
        continue;
      case '-b':
      case '-format': {
        const format = value(arg, inline);
        if (format !== 'binary' && !/^elf64-x86-64$|^elf32-i386$|^default$/.test(format))
          throw new UserError(
            `-b ${format}: supported input formats are binary, elf64-x86-64 and elf32-i386`,
          );
        binaryInput = format === 'binary';
        line.lastInputBinary = binaryInput;
        continue;
      }
      case '-m':
        line.emulation = emulationNamed(value(arg, inline));
        continue;
      case '-L':
        line.libraryPaths.push(value(arg, inline));
        continue;
      case '-l':
        line.files.push({
          kind: 'library',
          name: value(arg, inline),
          ...(group !== undefined ? { group } : {}),
        });
        continue;
    }
    // Joined short forms: -Tfile, -ofile, -efoo, -LDIR, -lNAME, -zkey=value, -melf_i386.
    const joined = /^-([TeoLlzum])(.+)$/.exec(arg);
    if (joined) {
      const [, flag, rest] = joined;
      if (flag === 'T') {
        line.script = rest;
        line.inputsBeforeScript = line.files.length > 0;
      } else if (flag === 'o') line.output = rest!;
      else if (flag === 'e') line.entry = rest;
      else if (flag === 'L') line.libraryPaths.push(rest!);
      else if (flag === 'l')
        line.files.push({ kind: 'library', name: rest!, ...(group !== undefined ? { group } : {}) });
      else if (flag === 'u') line.undefinedSymbols.push(rest!);
      else if (flag === 'm') line.emulation = emulationNamed(rest!);
      else applyZ(line, rest!);
      continue;
    }
    throw new UserError(`unknown option '${arg}' (usage: ostool link ${USAGE})`);
  }
  if (group !== undefined) throw new UserError('--start-group without --end-group');
  if (
    line.optimize &&
    line.pie &&
    (line.exportDynamic || line.dynamicLists.length > 0 || line.exportDynamicSymbols.length > 0)
  )
    throw new UserError(
      '-O with dynamic exports: ld then searches for its own .hash/.gnu.hash bucket counts, which ostool does not; drop -O (or the exports)',
    );
  // A script's INPUT()/GROUP() may name them all (checked once the script is read).
  if (line.files.length === 0 && line.script === undefined) throw new UserError('no input files');
  return line;
}

/** An address as ld reads -Ttext and --section-start values: hexadecimal, with or without 0x. */
function parseHexAddress(flag: string, text: string): bigint {
  const digits = text.replace(/^0[xX]/, '');
  if (!/^[0-9a-fA-F]+$/.test(digits)) throw new UserError(`${flag}: '${text}' is not a hexadecimal address`);
  return BigInt(`0x${digits}`);
}

function applyZ(line: LinkCommandLine, setting: string): void {
  if (setting === 'now' || setting === 'lazy') {
    line.bindNow = setting === 'now';
    return;
  }
  if (setting === 'muldefs') {
    line.allowMultipleDefinition = true;
    return;
  }
  if (setting === 'defs' || setting === 'undefs') {
    line.noUndefined = setting === 'defs';
    return;
  }
  // The others change nothing without shared libraries or CET notes to report.
  if (['nocopyreloc', 'cet-report=none'].includes(setting)) return;
  if (setting === 'separate-code' || setting === 'noseparate-code') {
    line.separateCode = setting === 'separate-code';
    return;
  }
  if (setting === 'execstack' || setting === 'noexecstack') {
    line.execStack = setting === 'execstack';
    return;
  }
  if (setting === 'relro' || setting === 'norelro') {
    line.relro = setting === 'relro';
    return;
  }
  if (setting === 'text' || setting === 'notext' || setting === 'textoff') {
    line.textRelocations = setting !== 'text';
    return;
  }
  const m = /^(max-page-size|common-page-size)=(0x[0-9a-fA-F]+|\d+)$/.exec(setting);
  if (m) {
    const size = Number(m[2]);
    if (m[1] === 'max-page-size') line.maxPageSize = size;
    else line.commonPageSize = size;
    return;
  }
  // Harmless ld defaults that some build systems pass explicitly.
  if (['norelro', 'relro', 'separate-code', 'noseparate-code', 'nognustack'].includes(setting)) return;
  throw new UserError(
    `-z ${setting}: unsupported (supported: max-page-size=N, common-page-size=N, text, notext, relro, norelro, separate-code, noseparate-code, execstack, noexecstack, now, lazy, muldefs, defs, nocopyreloc, cet-report=none)`,
  );
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function findLibrary(name: string, paths: string[]): string {
  for (const dir of paths) {
    const candidate = join(dir, `lib${name}.a`);
    if (existsSync(candidate)) return candidate;
  }
  throw new UserError(
    `cannot find -l${name} (searched ${paths.length > 0 ? paths.join(', ') : 'no -L directories'} for lib${name}.a)`,
  );
}

export function runLink(args: string[]): void {
  const line = parseLinkArguments(args);
  let result: ReturnType<typeof link>;
  try {
    const scriptPath = line.script;
    const options: LinkOptions = {
      inputs: line.files.map((f) => {
        const path = f.kind === 'file' ? f.path : findLibrary(f.name, line.libraryPaths);
        const data = readInput(path);
        return {
          name: path,
          data,
          ...(f.kind === 'file' && f.binary ? { format: 'binary' as const } : {}),
          ...(f.group !== undefined ? { group: f.group } : {}),
        };
      }),
      script: scriptPath !== undefined ? new TextDecoder().decode(readInput(scriptPath)) : undefined,
      scriptName: scriptPath,
      readFile: (path) => {
        const candidates = [
          path,
          ...(scriptPath ? [join(dirname(scriptPath), path)] : []),
          ...line.libraryPaths.map((d) => join(d, path)),
        ];
        const found = candidates.find((c) => existsSync(resolve(c)));
        return found === undefined ? undefined : readFileSync(found);
      },
      entry: line.entry,
      emulation: line.emulation,
      oformat: line.oformat,
      ...(line.lastInputBinary ? { lastInputBinary: true } : {}),
      gcSections: line.gcSections,
      printGcSections: line.printGcSections,
      undefinedSymbols: line.undefinedSymbols,
      exportDynamic: line.exportDynamic,
      dynamicLists: line.dynamicLists.map((path) => ({
        name: path,
        text: new TextDecoder().decode(readInput(path)),
      })),
      exportDynamicSymbols: line.exportDynamicSymbols,
      pie: line.pie,
      shared: line.shared,
      soname: line.soname,
      symbolic: line.symbolic,
      noUndefined: line.noUndefined,
      versionScripts: line.versionScripts.map((path) => ({
        name: path,
        text: new TextDecoder().decode(readInput(path)),
      })),
      hashStyle: line.hashStyle,
      textRelocations: line.textRelocations,
      relro: line.relro,
      execStack: line.execStack,
      separateCode: line.separateCode,
      sortSection: line.sortSection,
      defsyms: line.defsyms,
      maxPageSize: line.maxPageSize,
      commonPageSize: line.commonPageSize,
      stripAll: line.stripAll,
      stripDebug: line.stripDebug,
      discard: line.discard,
      relax: line.relax,
      emitRelocs: line.emitRelocs,
      bindNow: line.bindNow,
      newDtags: line.newDtags,
      linkerUnwindInfo: line.linkerUnwindInfo,
      allowMultipleDefinition: line.allowMultipleDefinition,
      fatalWarnings: line.fatalWarnings,
      wrap: line.wrap,
      sortCommon: line.sortCommon,
      sectionStarts: line.sectionStarts,
      segmentStarts: line.segmentStarts,
      buildId: line.buildId,
      map: line.mapFile !== undefined || line.printMap === true,
      mapOutputName: line.output,
      outputName: line.output,
      mapInputsFirst: line.inputsBeforeScript ?? true,
      orphanHandling: line.orphanHandling,
      magic: line.magic,
      noDynamicLinker: line.noDynamicLinker,
      ...(line.dynamicLinker !== undefined ? { dynamicLinker: line.dynamicLinker } : {}),
      ehFrameHdr: line.ehFrameHdr,
      relocatable: line.relocatable,
    };
    result = link(options);
  } catch (error) {
    // Like ld: a failed link leaves no (stale) output behind (but a device such as /dev/null stays).
    if (!isSpecialFile(line.output)) {
      try {
        rmSync(line.output, { force: true });
      } catch {
        // a read-only destination keeps its old file; the link error is what the user needs to see
      }
    }
    throw error;
  }
  for (const info of result.info) process.stderr.write(`ostool: ${info}\n`);
  for (const warning of result.warnings) process.stderr.write(`ostool: warning: ${warning}\n`);
  // A write that fails (full disk, read-only destination) keeps the old output: nothing wrong with it was found.
  writeFileAtomic(line.output, result.output, { mode: line.relocatable ? 0o644 : 0o755 });
  if (line.mapFile !== undefined && result.map !== undefined) writeFileAtomic(line.mapFile, result.map);
  if (line.printMap && result.map !== undefined) process.stdout.write(result.map);
}

export function register(program: Command): Command {
  return program
    .command('link')
    .description(
      'link ELF64 objects and archives into an ELF64 executable or a PE32+ EFI application (GNU ld flags)',
    )
    .usage(USAGE)
    .helpOption('--help', 'show help for link')
    .addHelpText('after', HELP)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[arguments...]')
    .action((args: string[]) => {
      runLink(args);
    });
}
