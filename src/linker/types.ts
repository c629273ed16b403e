/** The public contract of the linker: what `link()` takes and returns. */

/** One input file as given on the command line: an ELF64 relocatable object or an `ar` archive. */
export interface LinkInputFile {
  /** Shown in diagnostics and in the map file (usually the path as the user typed it). */
  name: string;
  data: Uint8Array;
  /** `-b binary`: the file is raw bytes to embed (ld's binary input format), not an object or archive. */
  format?: 'binary';
  /** `--start-group ... --end-group`: inputs with the same number are one group (archives searched repeatedly). */
  group?: number;
}

/** `binary`: the loaded bytes only, from the lowest load address on (ld's --oformat binary, objcopy -O binary). */
export type OutputFormat = 'elf64-x86-64' | 'elf32-i386' | 'efi-app-x86_64' | 'binary';

export interface LinkOptions {
  /** Objects and archives, in command-line order (archives are searched where they appear, like ld). */
  inputs: LinkInputFile[];
  /** Linker script text (`-T`); without it a default static-executable layout is used. */
  script?: string;
  /** Name of the script for `file:line:column` diagnostics. */
  scriptName?: string;
  /** Reads files named by `INCLUDE` in the script; throw (or return undefined) when missing. */
  readFile?: (path: string) => Uint8Array | string | undefined;
  /** `-e`: overrides the script's ENTRY. */
  entry?: string;
  /**
   * `-m`: elf_x86_64 (the default, as ld's) or elf_i386 (ELF32 i386 static output from 32-bit objects; a script
   * with OUTPUT_FORMAT(elf32-i386) and OUTPUT_ARCH(i386) chooses it too).
   */
  emulation?: 'elf_x86_64' | 'elf_i386';
  /** `--oformat`; the script's OUTPUT_FORMAT is used when absent. */
  oformat?: OutputFormat;
  /**
   * The last `-b` was `binary`: ld writes its output in that format too when neither --oformat nor the -T script's
   * OUTPUT_FORMAT names one (its default script does), as `ld -T k.ld main.o -b binary font.psf` does.
   */
  lastInputBinary?: boolean;
  /** `--gc-sections`. */
  gcSections?: boolean;
  /** `--print-gc-sections`: LinkResult.info lists each section --gc-sections removed, worded as ld words it. */
  printGcSections?: boolean;
  /** `-u SYMBOL` / `--undefined=SYMBOL`: start undefined (pulls archive members) and root --gc-sections. */
  undefinedSymbols?: string[];
  /** `-pie` / `-static-pie`: a position-independent ET_DYN with `.dynamic` and dynamic relocations. */
  pie?: boolean;
  /** `-shared`: an ET_DYN shared object; every default-visibility global is exported (shared-object.ts). */
  shared?: boolean;
  /** `-soname NAME` / `-h NAME`: DT_SONAME. */
  soname?: string;
  /** `-Bsymbolic` ('all') / `-Bsymbolic-functions` ('functions'): a shared object binds its definitions itself. */
  symbolic?: 'all' | 'functions';
  /** `-z defs` / `--no-undefined`: a shared object may not leave strong symbols undefined. */
  noUndefined?: boolean;
  /** `--version-script FILE` contents (anonymous `{ global: ...; local: ...; };` or named version nodes). */
  versionScripts?: Array<{ name: string; text: string }>;
  /** `-o FILE` as given: a shared object with named versions and no soname names its base version after it. */
  outputName?: string;
  /** `-z relro` (default) / `-z norelro`: lay out and mark the read-only-after-relocation part (PT_GNU_RELRO). */
  relro?: boolean;
  /** `-z separate-code` (default) / `-z noseparate-code`: code in a PT_LOAD of its own, page-aligned. */
  separateCode?: boolean;
  /**
   * `-z execstack` / `-z noexecstack`: PT_GNU_STACK executable or not, written even when no input has a
   * `.note.GNU-stack` (without either, the inputs' notes decide, as in ld).
   */
  execStack?: boolean;
  /** `--sort-section=name|alignment`: sort every input section pattern of the script by that key. */
  sortSection?: 'name' | 'alignment';
  /**
   * `--no-dynamic-linker` (and -static-pie): no `.interp`. Without it a -pie output names ld's default interpreter
   * (/lib/ld64.so.1) in `.interp` with PT_INTERP and PT_PHDR, as ld does.
   */
  noDynamicLinker?: boolean;
  /** `-dynamic-linker FILE`: the interpreter `.interp` names instead of ld's default for the target. */
  dynamicLinker?: string;
  /** `--eh-frame-hdr`: `.eh_frame_hdr` (FDE search table), PT_GNU_EH_FRAME and `__GNU_EH_FRAME_HDR`, as ld. */
  ehFrameHdr?: boolean;
  /** `--hash-style` for -pie output (ld's default: both). */
  hashStyle?: 'sysv' | 'gnu' | 'both';
  /**
   * `-z notext` (true): allow dynamic relocations in read-only sections; `-z text` (false): refuse them; neither:
   * ld's default, allowed with its two warnings. Either way the output gets DT_TEXTREL.
   */
  textRelocations?: boolean;
  /** `-z now` (a -pie output's DF_BIND_NOW/DF_1_NOW) or `-z lazy` (the default). */
  bindNow?: boolean;
  /** `--enable-new-dtags` (default) / `--disable-new-dtags`: DT_FLAGS, or DT_TEXTREL/DT_BIND_NOW alone. */
  newDtags?: boolean;
  /** `--no-ld-generated-unwind-info` makes this false: no `.eh_frame` for the (empty) PLT of -pie output. */
  linkerUnwindInfo?: boolean;
  /** `--allow-multiple-definition` / `-z muldefs`: the first definition wins instead of an error. */
  allowMultipleDefinition?: boolean;
  /** `--fatal-warnings`: warnings fail the link. */
  fatalWarnings?: boolean;
  /**
   * `-E` / `--export-dynamic`: a -pie output's `.dynsym` lists every default- or protected-visibility global, each
   * a --gc-sections root (a static executable has no dynamic symbols: no effect there, as in ld).
   */
  exportDynamic?: boolean;
  /** `--dynamic-list FILE`: the files' text, each exporting the symbols its patterns match (as -E for those). */
  dynamicLists?: Array<{ name: string; text: string }>;
  /** `--export-dynamic-symbol GLOB`: export the matching symbols (as -E for those). */
  exportDynamicSymbols?: string[];
  /** `--defsym NAME=EXPR`, in command-line order. */
  defsyms?: Array<{ name: string; expression: string }>;
  /** `--wrap SYM`: undefined references to SYM go to `__wrap_SYM`, those to `__real_SYM` to SYM. */
  wrap?: string[];
  /** `--sort-common`: COMMON symbols by descending (ld's default for the flag) or ascending alignment. */
  sortCommon?: 'descending' | 'ascending';
  /**
   * `-Ttext`/`-Tdata`/`-Tbss ADDR`, `--section-start SECTION=ADDR`: the output section's address, overriding the
   * script's (one the script lacks is created after the script's sections, for its orphans, as ld does).
   */
  sectionStarts?: Array<{
    section: string;
    address: bigint;
    /** Given before -T: ld then makes the section before the script's, first in the section header table. */
    beforeScript?: boolean;
  }>;
  /** `-Ttext-segment` and friends: what `SEGMENT_START("text-segment", ...)` returns instead of its default. */
  segmentStarts?: Array<{ segment: string; address: bigint }>;
  /**
   * `--relax` (default) / `--no-relax`: false keeps every GOT load (GOTPCREL/GOTPCRELX, i386 GOT32X) an indirect
   * load through its GOT slot, as ld does when told not to relax.
   */
  relax?: boolean;
  /** `-z max-page-size=N` (default 0x1000, like binutils 2.40 for x86-64). */
  maxPageSize?: number;
  /** `-z common-page-size=N` (default 0x1000). */
  commonPageSize?: number;
  /** `-s` / `--strip-all`: no `.symtab`/`.strtab`. */
  stripAll?: boolean;
  /** `-S` / `--strip-debug`: no debugging sections (`.debug_*`, `.stab`...); the symbol table stays. */
  stripDebug?: boolean;
  /**
   * Objects' local symbols in `.symtab`: `sec-merge` (ld's default) drops assembler temporaries (`.L*`) in merged
   * sections, `locals` (-X/--discard-locals) all of them, `all` (-x/--discard-all) every local symbol and
   * `none` (--discard-none) none.
   */
  discard?: 'none' | 'sec-merge' | 'locals' | 'all';
  /** `--build-id=sha1|md5|uuid|0xHEX` adds a `.note.gnu.build-id` section (default none). */
  buildId?: string;
  /** `--orphan-handling`: place (default), discard, warn (a warning per orphan) or error (refuse the link). */
  orphanHandling?: 'place' | 'discard' | 'warn' | 'error';
  /**
   * `-N`/`--omagic` (text writable, data right after it) or `-n`/`--nmagic`: not demand paged, so segments are
   * aligned to their sections only and the headers are not loaded (ld's default scripts for each when no -T).
   */
  magic?: 'omagic' | 'nmagic';
  /**
   * `-q` / `--emit-relocs`: keep the inputs' relocations in the executable, as ld does: a `.rela<section>` per
   * output section that got relocations, offsets as addresses, symbols those of the output `.symtab`.
   */
  emitRelocs?: boolean;
  /** `-r` / `--relocatable`: merge the inputs into one ET_REL object (see relocatable.ts) instead of an executable. */
  relocatable?: boolean;
  /** Produce the `-Map` text. */
  map?: boolean;
  /** The output file's name, for the map's closing `OUTPUT(name format)` line. */
  mapOutputName?: string;
  /** The inputs came before `-T` on the command line: the map's LOAD lines then come before the script's. */
  mapInputsFirst?: boolean;
}

export interface LinkResult {
  /** The ELF64 executable, PE32+ image or, with `relocatable`, ELF64 relocatable object. */
  output: Uint8Array;
  /** The link map, when `map` was requested. */
  map?: string;
  /** Non-fatal diagnostics (ld would print them as warnings). */
  warnings: string[];
  /** Informational lines ld prints without "warning:" (--print-gc-sections). */
  info: string[];
}
