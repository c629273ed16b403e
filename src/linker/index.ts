/**
 * ostool's static linker: ELF64 x86-64 relocatable objects and archives in, an ELF64 executable or a PE32+ EFI
 * application out, laid out by a GNU ld script. `link()` is pure: bytes in, bytes out, `UserError` on bad input.
 *
 * The passes, in order (each a module of its own):
 *   inputs   read objects/archives, resolve symbols, COMDAT        (inputs.ts)
 *   mapping  match input sections to output sections, orphans      (mapping.ts)
 *   gc       --gc-sections                                         (gc.ts)
 *   got      GOT slots for GOT loads that cannot be relaxed         (x86-64.ts)
 *   merge    SHF_MERGE string/constant de-duplication               (merge.ts)
 *   eh_frame shared CIEs, FDEs of discarded code dropped            (eh-frame.ts)
 *   layout   addresses, script expressions                          (layout.ts)
 *   segments program headers and file offsets                       (segments.ts)
 *   relocate contents and relocations                               (relocate.ts)
 *   write    ELF (src/elf/writer.ts) or PE (pe.ts), map (map.ts)
 * `-r` takes the same passes up to layout, then writes relocations instead of applying them (relocatable.ts).
 */
import { mergeStabs } from './stabs.js';
import { createHash, randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import {
  R_X86_64,
  SHF_ALLOC,
  SHF_WRITE,
  SHN_ABS,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  ET_DYN,
  ET_EXEC,
  PT_LOAD,
  PT_TLS,
  SHN_UNDEF,
  SHT_DYNAMIC,
  SHT_HASH,
  SHT_REL,
  SHT_RELA,
  SHF_INFO_LINK,
  STB_LOCAL,
  SHF_TLS,
  SHF_EXECINSTR,
  SHT_INIT_ARRAY,
  SHT_FINI_ARRAY,
  SHT_PREINIT_ARRAY,
  STB_GLOBAL,
  STB_WEAK,
  STT_TLS,
  STT_OBJECT,
  STT_SECTION,
  ELFOSABI_GNU,
} from '../elf/constants.js';
import { typeBit, type ElfFile } from '../elf/reader.js';
import { writeElfExecutable, type ElfImageSection, type SymbolTableBuilder } from '../elf/writer.js';
import { UserError } from '../errors.js';
import { elfBuildId } from './build-id.js';
import {
  emitRelocations,
  emittedReferences,
  sectionsWithRelocations,
  type EmittedSymbolIndices,
} from './emit-relocs.js';
import { collectGarbage } from './gc.js';
import { mergeGnuProperties } from './gnu-property.js';
import { loadInputs } from './inputs.js';
import { Layout, definitionAddress } from './layout.js';
import { writeMap } from './map.js';
import { mapInputSections, type LayoutItem, type SectionMapping } from './mapping.js';
import { mergeSections } from './merge.js';
import { optimizeEhFrames } from './eh-frame.js';
import { finishEhFrameHdr, sizeEhFrameHdr } from './eh-frame-hdr.js';
import { reportOrphans } from './orphans.js';
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';
import { newInputSection } from './model.js';
import { writePe } from './pe.js';
import {
  createDynamicSections,
  finishDynamicSections,
  SHT_DYNSYM,
  SHT_GNU_HASH,
  type DynamicSections,
  type DynamicSymbolValue,
  type SymbolRelocation,
  type SymbolVersions,
  SHT_GNU_VERDEF,
  SHT_GNU_VERSYM,
} from './dynamic.js';
import {
  chooseExports,
  exportMatcher,
  exportsAnything,
  parseDynamicList,
  scriptDefinitions,
  type ExportRequest,
} from './exports.js';
import { linkRelocatable } from './relocatable.js';
import { Relocator, SHF_X86_64_LARGE, gotKey, type DynamicReferences, type GotTable } from './relocate.js';
import {
  bindSharedObject,
  fillPlt,
  fillPltGot,
  parseVersionScript,
  pltEntryAddress,
  pltGotEntryAddress,
  pltGotSize,
  pltSize,
  pltUnwindInfo,
  type DynamicBinding,
  type VersionNode,
  type VersionScript,
} from './shared-object.js';
import { bfdTraversalOrder } from './bfd-hash.js';
import { wildcardMatcher } from './wildcard.js';
import type { Assignment, Expression, LinkerScript, OutputSectionStatement } from './script/ast.js';
import {
  DEFAULT_EFI_SCRIPT,
  DEFAULT_ELF_SCRIPT,
  DEFAULT_ELF_SCRIPT_NOSEPARATE_CODE,
  DEFAULT_ELF_SCRIPT_OMAGIC,
  DEFAULT_RELOCATABLE_SCRIPT,
  i386Script,
  pieScript,
  sharedScript,
  bindNowScript,
} from './script/defaults.js';
import { LD_BUILTIN_SCRIPTS } from './script/ld-builtin.js';
import { parseLinkerScript } from './script/parser.js';
import {
  assignFileOffsets,
  assignPhdrs,
  checkOverlaps,
  planSegmentsAutomatically,
  planSegmentsFromPhdrs,
  type HeaderSizes,
  type SegmentPlan,
} from './segments.js';
import {
  BFD_HASH_SIZE,
  bfdHash,
  buildOutputSymbolTable,
  globalValue,
  inputReadOrder,
  isGnuUnique,
} from './symtab.js';
import type { LinkInputFile, LinkOptions, LinkResult, OutputFormat } from './types.js';
import { I386, X86_64, type Target } from './target.js';
import { tlsGotNeed, tlsGotRelocation, type TlsBlock } from './x86-64.js';

export type { LinkInputFile, LinkOptions, LinkResult, OutputFormat } from './types.js';
export { parseLinkerScript } from './script/parser.js';

/** OSTOOL_LINK_TIMINGS=1 prints how long each pass took (for the benchmark and profiling). */
const timings = process.env.OSTOOL_LINK_TIMINGS ? new Map<string, number>() : undefined;
let lastMark = 0;
function mark(pass: string): void {
  if (!timings) return;
  const now = performance.now();
  if (pass !== 'start') timings.set(pass, (timings.get(pass) ?? 0) + now - lastMark);
  lastMark = now;
}

export function link(options: LinkOptions): LinkResult {
  mark('start');
  // Time since the process started: node's start-up, module loading and reading the inputs.
  const before = performance.now();
  const result = linkPasses(options);
  if (timings) {
    const total = [...timings.values()].reduce((sum, ms) => sum + ms, 0);
    process.stderr.write(
      `before link() ${before.toFixed(1)} ms | ${[...timings].map(([pass, ms]) => `${pass} ${ms.toFixed(1)} ms`).join(', ')} | link() ${total.toFixed(1)} ms\n`,
    );
    timings.clear();
  }
  return result;
}

function linkPasses(options: LinkOptions): LinkResult {
  const warnings: string[] = [];
  const commonPageSize = BigInt(options.commonPageSize ?? 0x1000);
  // The segments' alignment; the layout's MAXPAGESIZE is raised to a larger common page size (as ld 2.40 does,
  // while p_align keeps the requested value).
  const segmentAlign = BigInt(options.maxPageSize ?? 0x1000);
  checkPageSize(segmentAlign, 'max-page-size');
  checkPageSize(commonPageSize, 'common-page-size');
  if (options.maxPageSize !== undefined && commonPageSize > segmentAlign)
    throw new UserError(
      `common page size (0x${commonPageSize.toString(16)}) > maximum page size (0x${segmentAlign.toString(16)})`,
    );
  const maxPageSize = commonPageSize > segmentAlign ? commonPageSize : segmentAlign;

  const userScript =
    options.script !== undefined
      ? parseLinkerScript(options.script, {
          fileName: options.scriptName ?? 'script.ld',
          readFile: options.readFile,
        })
      : undefined;
  const target = chooseTarget(options, userScript);
  if (options.relocatable) {
    const script =
      userScript ?? parseLinkerScript(DEFAULT_RELOCATABLE_SCRIPT, { fileName: '<default -r script>' });
    if (!script.sections) script.sections = parseLinkerScript(DEFAULT_RELOCATABLE_SCRIPT).sections;
    if (options.sortSection) applySortSection(script, options.sortSection);
    const defsyms = (options.defsyms ?? []).map((d) => parseDefsym(d.name, d.expression));
    return linkRelocatable({
      options,
      script,
      inputs: [...options.inputs, ...scriptInputs(script, options)],
      defsyms,
      scriptReferences: collectScriptReferences(script, defsyms),
      target,
    });
  }
  const format =
    options.lastInputBinary && !options.oformat && userScript && !userScript.outputFormat
      ? 'binary'
      : outputFormat(options.oformat, userScript, target);
  // For binary output ld links through bfd's generic linker (the output bfd is no ELF one): no --gc-sections, no
  // SHF_MERGE merging, no .eh_frame editing or .eh_frame_hdr, no build-id note, no .note.gnu.property merging.
  const generic = format === 'binary';
  if (target !== X86_64 && (format === 'efi-app-x86_64' || options.shared))
    throw new UserError(
      `-m ${target.emulation}: ostool links 32-bit output as an executable or PIE only (no ${options.shared ? '-shared' : 'EFI application'})`,
    );
  if (options.emitRelocs) refuseEmitRelocs(options, format, target);
  const paged = options.magic === undefined;
  const separateCode = paged && (options.separateCode ?? true);
  const executableScript =
    options.magic === 'omagic'
      ? DEFAULT_ELF_SCRIPT_OMAGIC
      : separateCode
        ? DEFAULT_ELF_SCRIPT
        : DEFAULT_ELF_SCRIPT_NOSEPARATE_CODE;
  const shared = options.shared ?? false;
  const nowScript =
    (options.bindNow ?? false) && (options.relro ?? true) && paged ? bindNowScript : (t: string) => t;
  // ld's own built-in script for these options, as `ld --verbose` prints it (its map then lists every statement);
  // the shortened copies remain for -N/-n, whose scripts ld derives differently.
  const builtinElf =
    paged && format !== 'efi-app-x86_64'
      ? LD_BUILTIN_SCRIPTS[
          [
            target === I386 ? 'elf_i386' : 'elf_x86_64',
            shared ? 'shared' : options.pie ? 'pie' : 'exe',
            separateCode ? 'separate' : 'noseparate',
            (options.bindNow ?? false) && (options.relro ?? true) ? 'now' : 'lazy',
          ].join(',')
        ]
      : undefined;
  const defaultElf =
    builtinElf ??
    nowScript(
      shared
        ? sharedScript(executableScript)
        : options.pie
          ? pieScript(executableScript)
          : target === I386
            ? i386Script(executableScript)
            : executableScript,
    );
  const script =
    userScript ??
    parseLinkerScript(format === 'efi-app-x86_64' ? DEFAULT_EFI_SCRIPT : defaultElf, {
      fileName: '<default script>',
    });
  if (!script.sections)
    script.sections = parseLinkerScript(
      format === 'efi-app-x86_64' ? DEFAULT_EFI_SCRIPT : defaultElf,
    ).sections;
  if (options.sortSection) applySortSection(script, options.sortSection);
  applySectionStarts(script, options.sectionStarts ?? []);
  const explicitEntry = options.entry ?? userScript?.entry;
  const entryName = explicitEntry ?? script.entry ?? '_start';
  const defsyms = (options.defsyms ?? []).map((d) => parseDefsym(d.name, d.expression));

  // Inputs and symbol resolution.
  mark('script');
  const undefinedSymbols = options.undefinedSymbols ?? [];
  const { files, symbols, stack } = loadInputs(
    [...options.inputs, ...scriptInputs(script, options)],
    // An entry that is a number names no symbol: ld adds no undefined one for it.
    [...(entryNumber(entryName) === undefined ? [entryName] : []), ...script.externs, ...undefinedSymbols],
    options.readFile,
    false,
    target,
    {
      wrap: options.wrap,
      sortCommon: options.sortCommon,
      allowMultipleDefinition: options.allowMultipleDefinition,
    },
  );
  mergeStabs(files);
  mark('inputs');
  const entrySymbol = symbols.get(entryName);
  if (entrySymbol && explicitEntry) entrySymbol.referenced = true;
  const scriptReferences = collectScriptReferences(script, defsyms);
  for (const name of scriptReferences) {
    const s = symbols.get(name);
    if (s) s.referenced = true;
  }

  // Section mapping (first pass only marks KEEP and /DISCARD/ for gc), gc, GOT, then the real mapping.
  const discardOrphans = options.orphanHandling === 'discard';
  let mapping = mapInputSections(script, files, discardOrphans, true);
  const discarded = mapping.discarded;
  // ld's gc roots include the entry only when one was named (-e, or ENTRY() in the script in use).
  const gcEntry = options.entry ?? script.entry;
  // A shared object is position-independent output like a PIE (below, `pie` means either).
  const pie = (options.pie ?? false) || shared;
  const versionScripts = (options.versionScripts ?? []).map((v) => parseVersionScript(v.text, v.name));
  const exportRequest: ExportRequest = {
    // A shared object exports every global a version script does not make local.
    all: (options.exportDynamic ?? false) || shared,
    patterns: [
      ...(options.dynamicLists ?? []).flatMap((list) => parseDynamicList(list.text, list.name)),
      ...(options.exportDynamicSymbols ?? []),
      ...versionScripts.flatMap((v) => v.global),
    ],
  };
  if (shared) hideVersionScriptLocals(symbols, versionScripts);
  if (pie) refuseSymbolVersions(files);
  // ld makes dynamic sections for -pie, and for a fixed-address executable that exports symbols without a
  // dynamic linker (-E/--dynamic-list with --no-dynamic-linker).
  const dynamicOutput = pie || ((options.noDynamicLinker ?? false) && exportsAnything(exportRequest));
  const gc =
    options.gcSections && !generic
      ? collectGarbage(
          files,
          symbols,
          {
            symbols: [
              ...(gcEntry !== undefined ? [gcEntry] : []),
              ...script.externs,
              ...undefinedSymbols,
              ...scriptReferences,
            ],
            // bfd only looks at dynamic exports when it creates dynamic sections (PIE, not a static executable).
            // (A version script's local: symbols are no roots.)
            exported: dynamicOutput
              ? (
                  (wanted) => (name: string) =>
                    wanted(name) && !symbols.get(name)?.forcedLocal
                )(exportMatcher(exportRequest))
              : undefined,
          },
          discarded,
        )
      : { removed: [], report: [] };
  const removedByGc = gc.removed;
  const scriptDefined = scriptDefinitions(script, defsyms, symbols, scriptReferences);
  const exports = dynamicOutput
    ? chooseExports(exportRequest, symbols, scriptDefined, shared ? undefined : strongReferences(files))
    : [];
  const versions = shared
    ? defineVersions(
        versionScripts.flatMap((v) => v.versions),
        symbols,
        exports,
        options.soname ?? basename(options.outputName ?? 'a.out'),
      )
    : undefined;
  // A PIE run by a dynamic linker leaves its undefined weak symbols to it, as a shared object does.
  const binding = pie
    ? bindSharedObject(
        files,
        symbols,
        new Set(exports),
        {
          symbolic: options.symbolic,
          noUndefined: options.noUndefined ?? false,
          executable: !shared,
          dynamicLinker: !options.noDynamicLinker,
          gcSections: options.gcSections,
          exportedUndefined: new Set(
            exports.filter((name) => {
              const g = symbols.get(name);
              return g !== undefined && !g.definition && !g.common && !scriptDefined.has(name);
            }),
          ),
        },
        target,
      )
    : undefined;
  const symbolOrder = new Map([...symbols.keys()].map((name, i) => [name, i]));
  const isDynamicTarget = (file: InputFile, index: number): boolean => {
    const global = file.globals[index];
    return binding !== undefined && global !== undefined && binding.isDynamic(global);
  };
  // TLS in position-independent output: a shared object keeps its GOT-based models, a PIE those of its
  // `.dynsym` symbols (ld's TLS transitions, x86-64.ts).
  const dynsymNames = new Set([...exports, ...(binding?.undefinedTypes.keys() ?? [])]);
  const tlsPolicy: TlsGotPolicy | undefined =
    binding && target === X86_64
      ? {
          shared,
          inDynsym: (file, index) => {
            const global = file.globals[index];
            return global !== undefined && dynsymNames.has(global.name);
          },
        }
      : undefined;
  const got = createGot(
    files,
    symbols.has('_GLOBAL_OFFSET_TABLE_'),
    pie,
    symbolOrder,
    target,
    // ld's i386 backend converts GOT32X loads even under --no-relax.
    (options.relax ?? true) || target !== X86_64,
    undefinedWeakTest(scriptDefined),
    isDynamicTarget,
    binding?.plt.length ?? 0,
    tlsPolicy,
  );
  if (binding && options.noDynamicLinker)
    binding.pltGot.push(...binding.staticWeakCalls.filter((name) => got?.slots.has(`g:${name}`)));
  // bfd's dynobj gets the dynamic sections (.dynamic among them) before the backend adds .got and .got.plt.
  const dynamic = dynamicOutput
    ? createPieSections(
        files,
        got,
        options,
        exports,
        pie,
        arrayOutputs(mapping),
        binding,
        symbols,
        isDynamicTarget,
        (file, index) => {
          const global = file.globals[index];
          return binding !== undefined && global !== undefined && binding.isDynamicPointer(global);
        },
        tlsPolicy,
        versions,
        target,
      )
    : undefined;
  const synthetic = [...(dynamic ? [dynamic.file] : []), ...(got ? [got.section.file] : [])];
  const buildId =
    options.buildId !== undefined && options.buildId !== 'none' && !generic
      ? createBuildIdNote(options.buildId)
      : undefined;
  if (buildId) synthetic.push(buildId.file);
  // --eh-frame-hdr: sized once .eh_frame is edited (below), dropped when there is no .eh_frame.
  const ehFrameHdr =
    options.ehFrameHdr && !generic
      ? syntheticSection(
          syntheticFile('<linker>'),
          '.eh_frame_hdr',
          SHT_PROGBITS,
          SHF_ALLOC,
          4,
          new Uint8Array(0),
        )
      : undefined;
  if (ehFrameHdr) {
    ehFrameHdr.file.withEhFrameObject = true;
    synthetic.push(ehFrameHdr.file);
  }
  const pltFile = dynamic?.pltFile;
  if (synthetic.length > 0)
    mapping = mapInputSections(
      script,
      pltFile ? [...files.slice(0, 1), pltFile, ...files.slice(1), ...synthetic] : [...files, ...synthetic],
      discardOrphans,
      true,
    );
  const orphanReport = reportOrphans(
    options.orphanHandling ?? 'place',
    script,
    userScript !== undefined && userScript.sections !== undefined,
    files,
    mapping.orphans,
    { pie: dynamicOutput, buildId: buildId !== undefined },
  );
  if (options.orphanHandling === 'error' && orphanReport.lines.length > 0)
    throw new UserError(orphanReport.lines.join('\n'));
  warnings.push(...orphanReport.lines);
  // A script's /DISCARD/ that matches `.note.gnu.build-id` (`*(.note*)`) drops the note gcc's driver asks for.
  if (buildId?.section.discarded) warnings.push('.note.gnu.build-id section discarded, --build-id ignored');
  if (!generic) mergeGnuProperties(files, target.wordSize);
  let ehFrameInput = false;
  const ehFrames = { fdes: 0, table: true };
  for (const item of mapping.items) {
    if (item.kind !== 'section') continue;
    if (generic) {
      // Left unedited, an object's `.eh_frame` still counts for the data segment's RELRO placement.
      ehFrameInput ||= item.section.contents.some(
        (c) => c.kind === 'inputs' && c.sections.some((x) => x.live && x.name === '.eh_frame' && x.size > 0),
      );
      continue;
    }
    mergeSections([item.section]);
    const summary = optimizeEhFrames([item.section]);
    if (summary.input) {
      ehFrameInput = true;
      ehFrames.fdes += summary.fdes;
      ehFrames.table &&= summary.table;
    }
  }
  if (ehFrameHdr && ehFrameInput) sizeEhFrameHdr(ehFrameHdr, ehFrames.fdes, ehFrames.table);
  // ld's strip_excluded_output_sections keeps, under --emit-relocs, every output section an object's section went
  // to, empty or not.
  if (options.emitRelocs)
    for (const item of mapping.items)
      if (
        item.kind === 'section' &&
        item.section.contents.some(
          (c) => c.kind === 'inputs' && c.sections.some((s) => s.live && s.index >= 0),
        )
      )
        item.section.keepEmpty = true;
  const startStopSymbols = defineStartStopSymbols(symbols, mapping.byName, mapping.items);
  mark('mapping+gc+merge');

  // Layout and segments; without PHDRS, SIZEOF_HEADERS depends on the segment count, so iterate.
  // (Raw binary output has no headers: ld's SIZEOF_HEADERS is 0 there.)
  let sizeOfHeaders = generic
    ? 0n
    : BigInt(target.headers.ehdr + target.headers.phdr * (script.phdrs?.length ?? 4));
  let layoutSections: OutputSection[] = [];
  let plan: SegmentPlan | undefined;
  let layout: Layout | undefined;
  for (let round = 0; round < 4; round++) {
    layout = new Layout(
      script,
      mapping,
      symbols,
      {
        maxPageSize,
        commonPageSize,
        sizeOfHeaders,
        relro: options.relro ?? true,
        ehFrameInput,
        segmentStarts: new Map((options.segmentStarts ?? []).map((s) => [s.segment, s.address])),
      },
      scriptReferences,
    );
    layoutSections = layout.run(defsyms).sections;
    // ld's -s drops debugging sections along with the symbol table, -S/--strip-debug only them
    if (options.stripAll || options.stripDebug)
      layoutSections = layoutSections.filter((s) => !isDebugSection(s));
    layoutSections.forEach((s, i) => (s.headerIndex = i + 1));
    // ld looks up the output `.text` by name and makes it read-only (config.text_read_only, which -N clears) and
    // code: a script that puts `.data` there (BOOTBOOT's one-section kernels, `-b binary` fonts) gets AX, not WAX.
    const text = layoutSections.find((s) => s.name === '.text' && s.flags & SHF_ALLOC);
    if (text) {
      if (options.magic !== 'omagic') text.flags &= ~SHF_WRITE;
      if (text.type !== SHT_NOBITS) text.flags |= SHF_EXECINSTR;
    }
    // -N: ld's omagic output has writable code (a single read-write-execute segment).
    if (options.magic === 'omagic')
      for (const s of layoutSections)
        if (s.flags & SHF_EXECINSTR && s.flags & SHF_ALLOC) s.flags |= SHF_WRITE;
    plan = planSegments(script, layoutSections, layout, {
      headers: target.headers,
      maxPageSize,
      stack: options.execStack === undefined ? stack : options.execStack ? 'exec' : 'noexec',
      separateCode,
      paged,
      relroEnabled: options.relro ?? true,
      ehFrameHdr: options.ehFrameHdr ?? false,
    });
    if (generic || BigInt(plan.headerSize) === sizeOfHeaders) break;
    sizeOfHeaders = BigInt(plan.headerSize);
  }
  const lmaNotes = plan ? lmaAdjustments(plan, options.outputName ?? 'a.out', target.wordSize) : [];
  defineLateSymbols(symbols, mapping.byName, got, startStopSymbols, dynamic?.sections.dynamic);
  defineTlsModuleBase(symbols, layoutSections);
  // bfd's hidden local for unwinders that cannot read program headers.
  const hdrSymbol = symbols.get('__GNU_EH_FRAME_HDR');
  if (ehFrameHdr?.output && ehFrameHdr.size > 0 && !hdrSymbol?.definition)
    symbols.set('__GNU_EH_FRAME_HDR', {
      ...(hdrSymbol ?? { name: '__GNU_EH_FRAME_HDR', weak: false, visibility: 0, referenced: false }),
      scriptDefined: true,
      hidden: false,
      address: ehFrameHdr.output.address + ehFrameHdr.outputOffset,
      outputSection: ehFrameHdr.output,
    });
  const contentEnd = assignFileOffsets(plan!, layoutSections, maxPageSize, paged);
  for (const segment of plan!.segments) if (segment.align === maxPageSize) segment.align = segmentAlign;
  checkOverlaps(layoutSections, plan!.segments);
  // ld creates the output sections -Ttext/--section-start name before the script's: they come first in the
  // section header table (the layout keeps its order).
  const headerOrder = sectionHeaderOrder(
    layoutSections,
    (options.sectionStarts ?? []).filter((s) => s.beforeScript || userScript === undefined),
  );
  headerOrder.forEach((s, i) => (s.headerIndex = i + 1));
  // --emit-relocs: each `.rela` section takes the header index after its section's.
  const relocated = options.emitRelocs ? sectionsWithRelocations(headerOrder) : undefined;
  if (relocated) {
    let index = 1;
    for (const s of headerOrder) {
      s.headerIndex = index++;
      if (relocated.has(s)) index++;
    }
  }

  mark('layout');
  // A shared object's entry is its entry symbol's value when defined (ld says nothing when it is not: 0).
  const entry =
    shared && explicitEntry === undefined
      ? sharedEntry(symbols.get(entryName))
      : resolveEntry(
          entryName,
          symbols,
          layoutSections,
          warnings,
          target.wordSize,
          script.entry !== undefined || options.entry !== undefined,
        );
  if (got)
    fillGot(got, dynamic?.sections.dynamic, target.wordSize, isDynamicTarget, {
      policy: tlsPolicy,
      start: tlsBlock(layoutSections)?.start ?? 0n,
    });
  const plt = dynamic?.plt;
  const gotPlt = got?.section.file.sections.find((s) => s?.name === '.got.plt');
  const jumpSlots = plt && gotPlt && binding ? fillPlt(plt, gotPlt, binding.plt, binding.reserved) : [];
  const pltGot = dynamic?.pltGot;
  if (pltGot && got && binding)
    fillPltGot(
      pltGot,
      // bfd marks a slot it filled itself (a symbol the dynamic linker does not see) by setting bit 0 of the slot's
      // offset, and writes such a symbol's `.plt.got` jump from that marked offset: one byte past the slot.
      binding.pltGot.map(
        (name) =>
          got.section.output!.address +
          got.section.outputOffset +
          BigInt(8 * got.slots.get(`g:${name}`)!) +
          (binding.staticWeakCalls.includes(name) ? 1n : 0n),
      ),
    );
  const dynamicReferences: DynamicReferences | undefined = binding
    ? {
        isDynamic: binding.isDynamic,
        isDynamicPointer: binding.isDynamicPointer,
        pltAddress: (name) => {
          const i = binding.plt.indexOf(name);
          if (i >= 0 && plt) return pltEntryAddress(plt, i);
          const k = binding.pltGot.indexOf(name);
          return k >= 0 && pltGot ? pltGotEntryAddress(pltGot, k) : undefined;
        },
        pointers: [],
        executable: !shared,
        shared,
      }
    : undefined;
  const relocator = new Relocator(
    got,
    symbols.get('_GLOBAL_OFFSET_TABLE_')?.address ?? 0n,
    format === 'efi-app-x86_64' || pie,
    pie,
    tlsBlock(layoutSections),
    target,
    options.relax ?? true,
    dynamicReferences,
  );
  if (relocated) relocator.conversions = new Map();
  const contents = relocator.buildContents(layoutSections);
  if (dynamic)
    finishPie(
      dynamic,
      relocator,
      got,
      contents,
      layoutSections,
      options,
      (name) =>
        dynamicSymbolValue(
          symbols.get(name),
          tlsBlock(layoutSections)?.start ?? 0n,
          binding?.undefinedTypes.get(name),
        ),
      warnings,
      {
        isDynamic: isDynamicTarget,
        pointers: dynamicReferences?.pointers ?? [],
        jumpSlots,
        gotPlt: gotPlt?.output ? gotPlt.output.address + gotPlt.outputOffset : undefined,
        tls: { policy: tlsPolicy, start: tlsBlock(layoutSections)?.start ?? 0n },
      },
    );
  if (ehFrameHdr)
    finishEhFrameHdr(
      ehFrameHdr,
      layoutSections.find((s) => s.name === '.eh_frame'),
      contents,
    );
  // An ELF file's SHA-1/MD5 build ID covers its headers too, so it is hashed once the file is written.
  const hashElfBuildId =
    buildId && (format === 'elf64-x86-64' || format === 'elf32-i386') && /^(sha1|md5)$/.test(buildId.style);
  if (buildId && !hashElfBuildId) finishBuildId(buildId.section, buildId.style, contents, layoutSections);
  mark('relocate');

  const readOrder = relocated ? inputReadOrder(files) : [];
  const emitted: EmittedSymbolIndices = { sections: new Map(), locals: new Map(), globals: new Map() };
  const symbolTable =
    options.stripAll && !options.map
      ? undefined
      : buildOutputSymbolTable(
          files,
          symbols,
          new Set([
            ...(script.entry !== undefined && !shared ? [entryName] : []),
            ...script.externs,
            ...undefinedSymbols,
          ]),
          tlsBlock(layoutSections)?.start,
          options.discard,
          binding?.undefinedTypes,
          relocated
            ? {
                sections: headerOrder,
                references: emittedReferences(readOrder),
                indices: emitted,
                localUndefined: binding
                  ? (g) =>
                      g.weak &&
                      !g.definition &&
                      !g.common &&
                      !g.scriptDefined &&
                      !binding.isDynamic(g) &&
                      // one called through the PLT stays global
                      !binding.staticWeakCalls.includes(g.name)
                  : undefined,
              }
            : undefined,
        );
  const relocationSections = relocated
    ? emitRelocations(readOrder, relocated, emitted, relocator.conversions!)
    : undefined;
  mark('symbols');
  let output: Uint8Array;
  if (format === 'efi-app-x86_64') {
    if (relocator.absolute32.length > 0) {
      const first = relocator.absolute32[0]!;
      throw new UserError(
        `${first.where}: 32-bit absolute relocation in an EFI application cannot be rebased by the firmware; use RIP-relative addressing (${relocator.absolute32.length} such relocation(s))`,
      );
    }
    output = writePe({ sections: layoutSections, contents, entry, absolute64: relocator.absolute64 });
  } else if (format === 'binary') {
    output = flatImage(layoutSections, contents);
  } else {
    output = writeElf(
      headerOrder,
      contents,
      plan!,
      contentEnd,
      entry,
      options.stripAll ? undefined : symbolTable,
      // ld writes a -pie output none of whose PT_LOADs starts at 0 (a higher-half kernel's script) as ET_EXEC: it
      // cannot be loaded elsewhere (binutils PR 31795; limine-c-template patches the byte back to ET_DYN).
      shared || (pie && plan!.segments.some((s) => s.type === PT_LOAD && s.vaddr === 0n)) ? ET_DYN : ET_EXEC,
      target,
      relocationSections,
    );
    // bfd's has_gnu_osabi: a STB_GNU_UNIQUE definition makes the output ELFOSABI_GNU.
    if ([...symbols.values()].some((s) => isGnuUnique(s) && s.definition?.section?.live !== false))
      output[7] = ELFOSABI_GNU;
    if (hashElfBuildId) stampElfBuildId(output, buildId.section, buildId.style as 'sha1' | 'md5');
  }
  mark('write');
  const map = options.map
    ? writeMap({
        files,
        script,
        userScript:
          userScript?.sections !== undefined || (userScript === undefined && builtinElf !== undefined),
        items: mapping.items,
        sections: layoutSections,
        discarded,
        removedByGc,
        symbols,
        trace: layout!.trace,
        inputs: options.inputs.map((i) => i.name),
        inputsFirst: options.mapInputsFirst ?? false,
        outputName: options.mapOutputName,
        format: format === 'elf64-x86-64' || format === 'elf32-i386' ? target.format : format,
        width: target.wordSize * 2,
        linkerMade:
          format === 'efi-app-x86_64' || dynamicOutput
            ? undefined
            : bfdEmptySections(target === I386 ? '.rel' : '.rela', mapping.items),
      })
    : undefined;
  if (options.fatalWarnings && warnings.length > 0)
    throw new UserError(
      `${warnings.map((w) => `warning: ${w}`).join('\n')}\n(--fatal-warnings: no output written)`,
    );
  return { output, map, warnings, info: [...(options.printGcSections ? gc.report : []), ...lmaNotes] };
}

/** What --emit-relocs covers: x86-64 ELF executables, static or -pie, with their symbol table. */
function refuseEmitRelocs(options: LinkOptions, format: OutputFormat, target: Target): void {
  const refused =
    target !== X86_64
      ? `-m ${target.emulation} output`
      : format !== 'elf64-x86-64'
        ? `--oformat ${format}`
        : options.shared
          ? '-shared'
          : options.stripAll
            ? '-s (the relocations name symbols of the symbol table it strips)'
            : undefined;
  if (refused)
    throw new UserError(
      `--emit-relocs: ostool keeps relocations in x86-64 ELF executables (static or -pie) only, not with ${refused}`,
    );
}

/**
 * Sections bfd treats as debugging information (recognised by name, never allocated): what `-s` strips.
 * (`.stabstr` goes with `.stab`.)
 */
export function isDebugSection(section: OutputSection): boolean {
  if (section.flags & SHF_ALLOC) return false;
  const name = section.name;
  return (
    name.startsWith('.debug') ||
    name.startsWith('.zdebug') ||
    name.startsWith('.gnu.linkonce.wi.') ||
    name === '.line' ||
    name === '.stab' ||
    name === '.stabstr' ||
    name === '.gdb_index'
  );
}

/** The loaded bytes from the lowest load address to the end of the last loaded contents, gaps zero-filled. */
function flatImage(sections: OutputSection[], contents: Map<OutputSection, Uint8Array>): Uint8Array {
  const loaded = sections.filter(
    (s) => s.flags & SHF_ALLOC && s.type !== SHT_NOBITS && s.size > 0n && contents.has(s),
  );
  if (loaded.length === 0) return new Uint8Array(0);
  const base = loaded.reduce((m, s) => (s.loadAddress < m ? s.loadAddress : m), loaded[0]!.loadAddress);
  const end = loaded.reduce((m, s) => (s.loadAddress + s.size > m ? s.loadAddress + s.size : m), base);
  if (end - base > 0x40000000n)
    throw new UserError(
      `--oformat binary: the loaded sections span 0x${(end - base).toString(16)} bytes (from 0x${base.toString(16)}); place them closer together`,
    );
  const out = new Uint8Array(Number(end - base));
  for (const s of loaded) out.set(contents.get(s)!, Number(s.loadAddress - base));
  return out;
}

/**
 * --sort-section=name|alignment, as ld's update_wild_statements: every section pattern but .init/.fini gets the
 * sort, and an explicit SORT_BY_NAME/SORT_BY_ALIGNMENT gets the other one as its second key.
 */
function applySortSection(script: LinkerScript, kind: 'name' | 'alignment'): void {
  for (const command of script.sections ?? []) {
    if (command.kind !== 'output-section') continue;
    for (const inner of command.commands) {
      if (inner.kind !== 'input') continue;
      for (const pattern of inner.sections) {
        if (pattern.pattern === '.init' || pattern.pattern === '.fini') continue;
        if (pattern.sort === 'none') pattern.sort = kind;
        else if (pattern.sort === 'name' && kind === 'alignment') pattern.sort = 'name-alignment';
        else if (pattern.sort === 'alignment' && kind === 'name') pattern.sort = 'alignment-name';
      }
    }
  }
}

function sectionHeaderOrder(
  sections: OutputSection[],
  starts: ReadonlyArray<{ section: string }>,
): OutputSection[] {
  const first: OutputSection[] = [];
  for (const { section } of starts) {
    const found = sections.find((s) => s.name === section);
    if (found && !first.includes(found)) first.push(found);
  }
  return first.length === 0 ? sections : [...first, ...sections.filter((s) => !first.includes(s))];
}

/**
 * -Ttext/-Tdata/-Tbss and --section-start, as ld's lang_address_statement: the output section's address becomes
 * the given one; a section the script does not describe gets an empty statement after the script's own, so that
 * its orphans go there (ld places them after the script's sections so the address does not move the others).
 */
function applySectionStarts(
  script: LinkerScript,
  starts: ReadonlyArray<{ section: string; address: bigint }>,
): void {
  for (const { section, address } of starts) {
    script.sections ??= [];
    const statement = script.sections.find(
      (c): c is OutputSectionStatement => c.kind === 'output-section' && c.name === section,
    );
    const value: Expression = { kind: 'number', value: address };
    if (statement) statement.address = value;
    else
      script.sections.push({
        kind: 'output-section',
        name: section,
        address: value,
        commands: [],
        phdrs: [],
        location: { file: '--section-start', line: 1, column: 1 },
      });
  }
}

/**
 * Files named by INPUT() and GROUP() in the script (AS_NEEDED entries too: a static link has no shared libraries
 * to leave out), after the command line's, read through `readFile`; `-lNAME` means libNAME.a.
 */
/** The script's INPUT()/GROUP() files, after the command line's; ld refuses a link with none at all. */
function scriptInputs(script: LinkerScript, options: LinkOptions): LinkInputFile[] {
  const found: LinkInputFile[] = [];
  let groups = 1000;
  for (const entry of script.inputs ?? []) {
    const group = entry.group ? ++groups : undefined;
    for (const name of entry.files) {
      const path = name.startsWith('-l') ? `lib${name.slice(2)}.a` : name;
      const data = options.readFile?.(path);
      if (data === undefined)
        throw new UserError(
          `${entry.location.file}:${entry.location.line}:${entry.location.column}: cannot find ${name} (named by ${entry.group ? 'GROUP' : 'INPUT'})`,
        );
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      found.push({ name: path, data: bytes, ...(group !== undefined ? { group } : {}) });
    }
  }
  if (options.inputs.length === 0 && found.length === 0) throw new UserError('no input files');
  return found;
}

function checkPageSize(size: bigint, what: string): void {
  if (size <= 0n || (size & (size - 1n)) !== 0n)
    throw new UserError(`-z ${what}=${size}: not a power of two`);
}

/**
 * ld's emulation: elf_x86_64 unless -m names another, or the script asks for elf32-i386 output with both
 * OUTPUT_FORMAT and OUTPUT_ARCH (OUTPUT_FORMAT alone leaves the architecture i386:x86-64, which ld then finds
 * incompatible with every 32-bit input). The inputs never choose it.
 */
function chooseTarget(options: LinkOptions, script: LinkerScript | undefined): Target {
  if (options.emulation === 'elf_i386') return I386;
  if (options.emulation === 'elf_x86_64') return X86_64;
  const format = options.oformat ?? script?.outputFormat;
  if (format === 'elf32-i386' && script?.outputArch === 'i386') return I386;
  if (format === 'elf32-i386')
    throw new UserError(
      `${options.oformat ? '--oformat' : 'OUTPUT_FORMAT('}elf32-i386${options.oformat ? '' : ')'} without -m elf_i386 or OUTPUT_ARCH(i386): ld keeps the i386:x86-64 architecture and refuses 32-bit inputs; add -m elf_i386`,
    );
  return X86_64;
}

function outputFormat(
  option: OutputFormat | undefined,
  script: LinkerScript | undefined,
  target: Target,
): OutputFormat {
  if (option === 'elf32-i386' || option === 'elf64-x86-64') return target.format;
  if (option) return option;
  const fromScript = script?.outputFormat;
  if (!fromScript || fromScript === target.format) return target.format;
  if (fromScript === 'elf32-i386' || fromScript === 'elf64-x86-64')
    throw new UserError(
      `OUTPUT_FORMAT(${fromScript}) does not match the -m ${target.emulation} output (${target.format})`,
    );
  if (fromScript === 'efi-app-x86_64' || fromScript === 'pei-x86-64') return 'efi-app-x86_64';
  if (fromScript === 'binary') return 'binary';
  throw new UserError(
    `unsupported OUTPUT_FORMAT(${fromScript}): ostool link writes elf64-x86-64, elf32-i386, efi-app-x86_64 and binary`,
  );
}

function parseDefsym(name: string, expression: string): Assignment {
  if (!/^[A-Za-z_.$][A-Za-z0-9_.$]*$/.test(name)) throw new UserError(`--defsym: bad symbol name '${name}'`);
  const parsed = parseLinkerScript(`${name} = ${expression};`, { fileName: '--defsym' });
  return parsed.globals[0] as Assignment;
}

/** Symbols the script reads: PROVIDE defines them, and gc keeps what they point at. */
function collectScriptReferences(script: LinkerScript, defsyms: Assignment[]): Set<string> {
  const names = new Set<string>();
  const visit = (e: Expression | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case 'symbol':
        names.add(e.name);
        break;
      case 'unary':
        visit(e.operand);
        break;
      case 'binary':
        visit(e.left);
        visit(e.right);
        break;
      case 'conditional':
        visit(e.condition);
        visit(e.then);
        visit(e.otherwise);
        break;
      case 'call':
        e.args.forEach(visit);
        break;
    }
  };
  const statement = (s: { kind: string } & Record<string, unknown>) => {
    if (s.kind === 'assignment') visit((s as unknown as Assignment).value);
    if (s.kind === 'assert') visit((s as unknown as { condition: Expression }).condition);
  };
  for (const s of script.globals) statement(s as never);
  for (const d of defsyms) visit(d.value);
  for (const c of script.sections ?? []) {
    if (c.kind !== 'output-section') {
      statement(c as never);
      continue;
    }
    visit(c.address);
    visit(c.loadAddress);
    visit(c.align);
    for (const inner of c.commands) {
      if (inner.kind === 'data' || inner.kind === 'fill') visit(inner.value);
      else if (inner.kind !== 'input') statement(inner as never);
    }
  }
  for (const p of script.phdrs ?? []) {
    visit(p.at);
    visit(p.flags);
  }
  return names;
}

/** The empty sections bfd's x86 backend makes in every static link, less those ostool made itself. */
function bfdEmptySections(rel: string, items: LayoutItem[]): string[] {
  const made = new Set<string>();
  for (const item of items)
    if (item.kind === 'section')
      for (const c of item.section.contents)
        if (c.kind === 'inputs') for (const s of c.sections) if (s.file.name === '<linker>') made.add(s.name);
  return [`${rel}.got`, `${rel}.iplt`, '.iplt', '.got', '.got.plt', '.igot.plt'].filter((n) => !made.has(n));
}

function syntheticFile(name: string): InputFile {
  const elf: ElfFile = {
    name,
    data: new Uint8Array(0),
    header: {
      elfClass: 2,
      type: 1,
      machine: 62,
      entry: 0n,
      phoff: 0,
      shoff: 0,
      flags: 0,
      phnum: 0,
      shnum: 0,
      shstrndx: 0,
    },
    sections: [],
    segments: [],
    symbols: [],
    symtabIndex: 0,
    relocations: new Map(),
    relocationTables: new Map(),
    implicitAddends: new Set(),
    groups: [],
  };
  return { name, matchName: name, elf, sections: [], globals: [], order: Number.MAX_SAFE_INTEGER };
}

function syntheticSection(
  file: InputFile,
  name: string,
  type: number,
  flags: number,
  align: number,
  data: Uint8Array,
): InputSection {
  const section = newInputSection(file, name, type, flags, align, data);
  section.keep = true;
  file.sections.push(section);
  return section;
}

/**
 * GOT slots for GOT-relative relocations that stay after relaxation, in first-use order (like ld). ld also
 * creates `.got.plt` (three reserved words) whenever there is a GOT or anything refers to the GOT's address.
 */
function inLargeSection(file: InputFile, index: number): boolean {
  const sym = file.elf.symbols[index];
  if (!sym) return false;
  const section =
    sym.bind === STB_LOCAL ? file.sections[sym.shndx] : file.globals[index]?.definition?.section;
  return section !== undefined && (section.flags & SHF_X86_64_LARGE) !== 0;
}

/** An undefined weak symbol nothing defines (ld resolves it to 0); names the script defines do not count. */
function undefinedWeakTest(scriptDefined: ReadonlyMap<string, unknown>) {
  return (file: InputFile, index: number): boolean => {
    const global = file.globals[index];
    return (
      global !== undefined &&
      global.weak &&
      !global.definition &&
      global.common === undefined &&
      !global.scriptDefined &&
      !scriptDefined.has(global.name)
    );
  };
}

/**
 * GOT slots in ld's order: local symbols' first (input file by file, symbol by symbol), then the local-dynamic
 * TLS pair, then globals in the order ld walks its symbol hash table (bucket by bucket; in a bucket, the symbol
 * created last comes first). A symbol's TLS pair keeps its two slots together.
 */
function orderLikeBfd(
  entries: GotTable['entries'],
  slots: Map<string, number>,
  symbolOrder: Map<string, number>,
): void {
  const keyed = entries.map((e) => {
    const global = e.file.globals[e.symbol];
    if (e.tls === 'ld-module' || e.tls === 'ld-offset') return { e, local: 1, a: 0n, b: 0 };
    return global
      ? { e, local: 2, a: bfdHash(global.name) % BFD_HASH_SIZE, b: -(symbolOrder.get(global.name) ?? 0) }
      : { e, local: 0, a: BigInt(e.file.order), b: e.symbol };
  });
  keyed.sort((x, y) => x.local - y.local || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b - y.b));
  entries.length = 0;
  slots.clear();
  for (const { e } of keyed) {
    const key = gotEntryKey(e);
    if (key !== undefined) slots.set(key, entries.length);
    entries.push(e);
  }
}

/** The `slots` key of a GOT entry (the second word of a TLS pair has none). */
function gotEntryKey(e: GotTable['entries'][number]): string | undefined {
  switch (e.tls) {
    case undefined:
      return gotKey(e.file, e.symbol);
    case 'gd-module':
      return `gd:${gotKey(e.file, e.symbol)}`;
    case 'ie':
      return `ie:${gotKey(e.file, e.symbol)}`;
    case 'ld-module':
      return 'ld';
    default:
      return undefined;
  }
}

/** Dynamic output's TLS GOT entries (x86-64): which TLS models keep their GOT entries, see tlsGotNeed. */
interface TlsGotPolicy {
  shared: boolean;
  /** The symbol is in `.dynsym`: its TLS relocations name it. */
  inDynsym: (file: InputFile, index: number) => boolean;
}

function createGot(
  files: InputFile[],
  gotSymbolExists: boolean,
  pic: boolean,
  symbolOrder: Map<string, number>,
  target: Target,
  /** False under --no-relax: every GOT load keeps its slot (ld converts none of them). */
  relax: boolean,
  isUndefinedWeak: (file: InputFile, index: number) => boolean,
  /** -shared: GOT loads of a dynamic symbol keep their slot (GLOB_DAT). */
  isDynamic: (file: InputFile, index: number) => boolean = () => false,
  /** -shared: PLT entries, each with a `.got.plt` slot after the three reserved words. */
  pltEntries = 0,
  tls?: TlsGotPolicy,
): GotTable | undefined {
  const slots = new Map<string, number>();
  const entries: GotTable['entries'] = [];
  let gotAddressUsed = false;
  // A shared object's symbol that some reference reaches with initial-exec gets only the TP offset slot: ld
  // rewrites its general-dynamic sequences to initial-exec too.
  const initialExec = new Set<string>();
  if (tls?.shared)
    for (const file of files)
      for (const section of file.sections) {
        if (!section?.live || (section.relocations.typeMask & typeBit(R_X86_64.GOTTPOFF)) === 0) continue;
        for (let i = 0; i < section.relocations.length; i++)
          if (section.relocations.type(i) === R_X86_64.GOTTPOFF)
            initialExec.add(gotKey(file, section.relocations.symbol(i)));
      }
  for (const file of files) {
    // Only files that mention _GLOBAL_OFFSET_TABLE_ can refer to it by name.
    const namesGot = gotSymbolExists && file.globals.some((g) => g?.name === '_GLOBAL_OFFSET_TABLE_');
    const sections = file.sections;
    for (let k = 0; k < sections.length; k++) {
      const section = sections[k];
      if (!section || !section.live) continue;
      const relocations = section.relocations;
      if ((relocations.typeMask & ~target.plainTypes) === 0 && !namesGot) continue;
      const words = relocations.words;
      for (let i = 0; i < relocations.length; i++) {
        const type = words[i * 6 + 2]!;
        let tlsNeed = tls
          ? tlsGotNeed(type, tls.shared, tls.inDynsym(file, relocations.symbol(i)))
          : undefined;
        if (tlsNeed === 'gd' && initialExec.has(gotKey(file, relocations.symbol(i)))) tlsNeed = 'ie';
        if (tlsNeed !== undefined) {
          const symbol = tlsNeed === 'ld' ? 0 : relocations.symbol(i);
          const key = tlsNeed === 'ld' ? 'ld' : `${tlsNeed}:${gotKey(file, symbol)}`;
          if (!slots.has(key)) {
            slots.set(key, entries.length);
            if (tlsNeed === 'ie') entries.push({ file, symbol, tls: 'ie' });
            else
              entries.push(
                { file, symbol, tls: `${tlsNeed}-module` },
                { file, symbol, tls: `${tlsNeed}-offset` },
              );
          }
          // A shared object keeps the `__tls_get_addr` call; an executable's rewritten sequence drops it.
          if (tls!.shared || type === R_X86_64.GOTTPOFF) continue;
        }
        // A TLSGD/TLSLD sequence is relaxed with its __tls_get_addr call, yet ld has already given an indirect
        // call (`call *__tls_get_addr@GOT`, gcc -fno-plt) its GOT slot; a direct call needs none.
        if (target.tlsCallSequences.has(type)) {
          i++;
          if (i < relocations.length && target.gotSlotTypes.has(words[i * 6 + 2]!)) {
            const key = gotKey(file, relocations.symbol(i));
            if (!slots.has(key)) {
              slots.set(key, entries.length);
              entries.push({ file, symbol: relocations.symbol(i) });
            }
          }
          continue;
        }
        // Cheap filter first: plain relocations (PC32/PLT32/32S/64...) neither use the GOT nor need a slot.
        if (type < 31 && ((1 << type) & target.plainTypes) !== 0) {
          if (namesGot && file.globals[relocations.symbol(i)]?.name === '_GLOBAL_OFFSET_TABLE_')
            gotAddressUsed = true;
          continue;
        }
        const symbol = relocations.symbol(i);
        if (
          target.gotAddressTypes.has(type) ||
          (namesGot && file.globals[symbol]?.name === '_GLOBAL_OFFSET_TABLE_')
        )
          gotAddressUsed = true;
        // ld never turns a GOT load of a symbol in an SHF_X86_64_LARGE section into a direct reference.
        if (
          !target.needsGotSlot(
            type,
            section.data,
            relocations.offset(i),
            pic,
            isUndefinedWeak(file, symbol),
            relax,
          ) &&
          !(target.largeModelGotLoads.has(type) && inLargeSection(file, symbol)) &&
          !(target.gotSlotTypes.has(type) && isDynamic(file, symbol))
        )
          continue;
        const key = gotKey(file, symbol);
        if (slots.has(key)) continue;
        slots.set(key, entries.length);
        entries.push({ file, symbol });
      }
    }
  }
  if (entries.length === 0 && !gotAddressUsed && pltEntries === 0) return undefined;
  orderLikeBfd(entries, slots, symbolOrder);
  const file = syntheticFile('<linker>');
  const section =
    entries.length > 0
      ? syntheticSection(
          file,
          '.got',
          SHT_PROGBITS,
          SHF_ALLOC | SHF_WRITE,
          target.wordSize,
          new Uint8Array(entries.length * target.wordSize),
        )
      : undefined;
  // Three reserved words (the address of _DYNAMIC and two for the dynamic linker).
  const gotPlt = syntheticSection(
    file,
    '.got.plt',
    SHT_PROGBITS,
    SHF_ALLOC | SHF_WRITE,
    target.wordSize,
    new Uint8Array((3 + pltEntries) * target.wordSize),
  );
  // ld gives `.got.plt` an entry size of one address, and `.got` one only in dynamic (-pie) output.
  gotPlt.entsize = target.wordSize;
  if (section && pic) section.entsize = target.wordSize;
  return { section: section ?? gotPlt, slots, entries };
}

function fillGot(
  got: GotTable,
  dynamic: InputSection | undefined,
  wordSize: number,
  /** A dynamic symbol's slot stays 0 for its GLOB_DAT. */
  isDynamic: (file: InputFile, index: number) => boolean,
  tls: { policy?: TlsGotPolicy; start: bigint },
): void {
  const view = new DataView(
    got.section.data.buffer,
    got.section.data.byteOffset,
    got.section.data.byteLength,
  );
  // ld's .got.plt starts with the address of _DYNAMIC in dynamic output.
  const gotPlt = got.section.file.sections.find((s) => s?.name === '.got.plt');
  if (gotPlt && dynamic?.output) {
    const gotPltView = new DataView(gotPlt.data.buffer, gotPlt.data.byteOffset);
    const address = dynamic.output.address + dynamic.outputOffset;
    if (wordSize === 8) gotPltView.setBigUint64(0, address, true);
    else gotPltView.setUint32(0, Number(BigInt.asUintN(32, address)), true);
  }
  got.entries.forEach(({ file, symbol, tls: kind }, i) => {
    const global = file.globals[symbol];
    let value = 0n;
    // Only the offset word of a general-dynamic pair for a symbol outside `.dynsym` holds a value: the symbol's
    // offset in its module's TLS block (the others get dynamic relocations).
    if (kind !== undefined)
      value =
        kind === 'gd-offset' && !tls.policy?.inDynsym(file, symbol)
          ? gotTargetValue(file, symbol) - tls.start
          : 0n;
    else if (global && isDynamic(file, symbol)) value = 0n;
    else value = gotTargetValue(file, symbol);
    if (wordSize === 8) view.setBigUint64(i * 8, value, true);
    else view.setUint32(i * 4, Number(BigInt.asUintN(32, value)), true);
  });
}

/** The address (or absolute value) of a GOT entry's symbol. */
function gotTargetValue(file: InputFile, symbol: number): bigint {
  const global = file.globals[symbol];
  if (global) return globalValue(global)?.value ?? 0n;
  const s = file.elf.symbols[symbol]!;
  const section = file.sections[s.shndx];
  return s.shndx === SHN_ABS ? s.value : section ? definitionAddress(section, s.value) : 0n;
}

/** --build-id styles as ld spells them: sha1 (20 bytes), md5 and uuid (16), or 0xHEX (those bytes). */
function createBuildIdNote(style: string): { file: InputFile; section: InputSection; style: string } {
  let size: number;
  if (style === 'sha1') size = 20;
  else if (style === 'md5' || style === 'uuid') size = 16;
  else if (/^0x([0-9a-fA-F]{2})+$/.test(style)) size = (style.length - 2) / 2;
  else
    throw new UserError(
      `--build-id=${style}: expected none, sha1, md5, uuid or 0xHEX (an even number of digits)`,
    );
  const file = syntheticFile('<linker>');
  // ld does not pad the descriptor (an odd 0xHEX length leaves the note unaligned, as in ld).
  const note = new Uint8Array(16 + size);
  const view = new DataView(note.buffer);
  view.setUint32(0, 4, true); // namesz ("GNU\0")
  view.setUint32(4, size, true); // descsz
  view.setUint32(8, 3, true); // NT_GNU_BUILD_ID
  note.set([0x47, 0x4e, 0x55, 0], 12);
  if (style.startsWith('0x')) note.set(Buffer.from(style.slice(2), 'hex'), 16);
  const section = syntheticSection(file, '.note.gnu.build-id', SHT_NOTE, SHF_ALLOC, 4, note);
  return { file, section, style };
}

/** The build ID: SHA-1 or MD5 of every output section's final bytes, or a random UUID, written in afterwards. */
function finishBuildId(
  note: InputSection,
  style: string,
  contents: Map<OutputSection, Uint8Array>,
  sections: OutputSection[],
): void {
  if (style.startsWith('0x')) return;
  const bytes = note.output ? contents.get(note.output) : undefined;
  if (style === 'uuid') {
    // A random (version 4) UUID, as ld makes one.
    const id = randomBytes(16);
    id[6] = (id[6]! & 0x0f) | 0x40;
    id[8] = (id[8]! & 0x3f) | 0x80;
    bytes?.set(id, Number(note.outputOffset) + 16);
    return;
  }
  const hash = createHash(style === 'md5' ? 'md5' : 'sha1');
  for (const s of sections) {
    const bytes = contents.get(s);
    if (bytes) hash.update(bytes);
  }
  if (bytes) bytes.set(hash.digest(), Number(note.outputOffset) + 16);
}

/** Writes ld's build ID into the note of a finished ELF file (the note's section located by its header). */
function stampElfBuildId(file: Uint8Array, note: InputSection, algorithm: 'sha1' | 'md5'): void {
  const section = note.output;
  if (!section) return;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const elf64 = file[4] === 2;
  const word = (at: number) => (elf64 ? view.getBigUint64(at, true) : BigInt(view.getUint32(at, true)));
  const shoff = Number(word(elf64 ? 0x28 : 0x20));
  const shentsize = view.getUint16(elf64 ? 0x3a : 0x2e, true);
  const shnum = view.getUint16(elf64 ? 0x3c : 0x30, true);
  // sh_addr, sh_offset and sh_size within a section header.
  const [addrAt, offsetAt, sizeAt] = elf64 ? [0x10, 0x18, 0x20] : [0x0c, 0x10, 0x14];
  for (let i = 1; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const matches =
      word(at + addrAt) === section.address &&
      word(at + sizeAt) === section.size &&
      view.getUint32(at + 4, true) !== SHT_NOBITS;
    if (!matches) continue;
    const offset = Number(word(at + offsetAt)) + Number(note.outputOffset);
    const id = elfBuildId(file, { offset, size: note.size }, algorithm);
    file.set(id, offset + 16);
    return;
  }
}

/** `__start_NAME`/`__stop_NAME` for output sections whose name is a C identifier, when referenced (like ld). */
function defineStartStopSymbols(
  symbols: Map<string, GlobalSymbol>,
  byName: Map<string, OutputSection>,
  items: ReturnType<typeof mapInputSections>['items'],
): StartStopSymbols {
  const found: StartStopSymbols = new Map();
  const sections = new Map(byName);
  for (const item of items)
    if (item.kind === 'section' && !sections.has(item.section.name))
      sections.set(item.section.name, item.section);
  symbols.forEach((symbol) => {
    if (symbol.definition || !symbol.name.startsWith('__s')) return;
    const m = /^__(start|stop)_([A-Za-z_][A-Za-z0-9_]*)$/.exec(symbol.name);
    if (!m || !sections.has(m[2]!)) return;
    found.set(symbol, { section: sections.get(m[2]!)!, end: m[1] === 'stop' });
  });
  return found;
}

/** `__start_`/`__stop_` symbols to define once their section has an address (kept apart from GlobalSymbol). */
type StartStopSymbols = Map<GlobalSymbol, { section: OutputSection; end: boolean }>;

function defineLateSymbols(
  symbols: Map<string, GlobalSymbol>,
  byName: Map<string, OutputSection>,
  got: GotTable | undefined,
  startStopSymbols: StartStopSymbols,
  dynamic: InputSection | undefined,
): void {
  const dynamicSymbol = symbols.get('_DYNAMIC');
  if (dynamic?.output && (!dynamicSymbol || (!dynamicSymbol.definition && !dynamicSymbol.scriptDefined))) {
    const symbol: GlobalSymbol = dynamicSymbol ?? {
      name: '_DYNAMIC',
      weak: false,
      visibility: 0,
      scriptDefined: true,
      referenced: false,
      hidden: false,
    };
    symbol.scriptDefined = true;
    symbol.address = dynamic.output.address + dynamic.outputOffset;
    symbol.outputSection = dynamic.output;
    symbols.set('_DYNAMIC', symbol);
  }
  for (const [symbol, startStop] of startStopSymbols) {
    // ld leaves them undefined when their output section did not survive (emptied by --gc-sections).
    if (!symbol.scriptDefined && startStop.section.headerIndex !== 0) {
      symbol.scriptDefined = true;
      symbol.address = startStop.section.address + (startStop.end ? startStop.section.size : 0n);
      symbol.outputSection = startStop.section;
      symbol.visibility = 3; // ld makes them STV_PROTECTED
    }
  }
  // bfd defines _GLOBAL_OFFSET_TABLE_ with the GOT it creates, named by an object or not: GOT64/GOT32/GOTOFF64
  // count from it, and it is listed (a local) whenever `.got.plt` is output.
  const gotPlt = got?.section.file.sections.find((s) => s?.name === '.got.plt');
  if (gotPlt?.output && !symbols.has('_GLOBAL_OFFSET_TABLE_'))
    symbols.set('_GLOBAL_OFFSET_TABLE_', {
      name: '_GLOBAL_OFFSET_TABLE_',
      weak: false,
      visibility: 0,
      scriptDefined: false,
      referenced: false,
      hidden: false,
    });
  const gotSymbol = symbols.get('_GLOBAL_OFFSET_TABLE_');
  if (gotSymbol && got && !gotSymbol.definition && !gotSymbol.scriptDefined) {
    const output = gotPlt?.output ?? byName.get('.got.plt') ?? byName.get('.got');
    gotSymbol.scriptDefined = true;
    gotSymbol.address = gotPlt?.output
      ? gotPlt.output.address + gotPlt.outputOffset
      : (output?.address ?? 0n);
    gotSymbol.outputSection = output;
  }
}

/** -pie: the dynamic sections, sized from the absolute pointers the relocations will leave (see dynamic.ts). */
function createPieSections(
  files: InputFile[],
  got: GotTable | undefined,
  options: LinkOptions,
  exports: string[],
  /** Position-independent: pointers need R_X86_64_RELATIVE (a fixed-address executable's do not). */
  pie: boolean,
  arrays: ReadonlySet<string>,
  binding: DynamicBinding | undefined,
  symbols: Map<string, GlobalSymbol>,
  isDynamic: (file: InputFile, index: number) => boolean,
  isDynamicPointer: (file: InputFile, index: number) => boolean,
  tls: TlsGotPolicy | undefined,
  versions: SymbolVersions | undefined,
  target: Target,
): {
  file: InputFile;
  sections: DynamicSections;
  plt?: InputSection;
  pltGot?: InputSection;
  pltFile?: InputFile;
} {
  const file = syntheticFile('<linker>');
  // ld's dynobj gets .interp first (-dynamic-linker's file, else its x86-64 default interpreter) unless
  // --no-dynamic-linker (or -shared).
  if (!options.noDynamicLinker && !options.shared)
    syntheticSection(
      file,
      '.interp',
      SHT_PROGBITS,
      SHF_ALLOC,
      1,
      new TextEncoder().encode(`${options.dynamicLinker ?? target.interpreter}\0`),
    );
  // bfd's x86-64 backend makes an `.eh_frame` for the PLT's unwind info in dynamic output; with no PLT it stays
  // empty, yet the output keeps it (an empty PT_LOAD when no object brings unwind tables).
  // (--no-ld-generated-unwind-info: none.)
  if (options.linkerUnwindInfo !== false && !binding)
    syntheticSection(file, '.eh_frame', SHT_PROGBITS, SHF_ALLOC, 8, new Uint8Array(0)).keptEmpty = true;
  // A GOT slot holds a moving address unless its symbol is absolute (or an undefined weak, 0): ld relocates only those.
  // A TLS entry's relocation is the one tlsGotRelocation names.
  let count =
    got && pie
      ? got.entries.filter((e) =>
          e.tls !== undefined
            ? tlsGotRelocation(e.tls, tls?.inDynsym(e.file, e.symbol) ?? false) !== undefined
            : isDynamic(e.file, e.symbol) || !isAbsoluteTarget(e.file, e.symbol),
        ).length
      : 0;
  let readOnlyRelocations = false;
  if (pie)
    for (const f of files)
      for (const s of f.sections) {
        if (!s || !s.live || !(s.flags & SHF_ALLOC) || s.type === SHT_NOBITS) continue;
        if ((s.relocations.typeMask & typeBit(target.pointerType)) === 0) continue;
        for (let i = 0; i < s.relocations.length; i++)
          if (
            s.relocations.type(i) === target.pointerType &&
            (isDynamicPointer(f, s.relocations.symbol(i)) || !isAbsoluteTarget(f, s.relocations.symbol(i)))
          ) {
            count++;
            if (!(s.flags & SHF_WRITE)) readOnlyRelocations = true;
          }
      }
  // A shared object's PLTs and their unwind info belong to ld's dynobj, the first input object: their `.eh_frame`
  // comes right after that object's.
  const pltFile = syntheticFile('<linker>');
  // Section index 0 is SHN_UNDEF for the section symbols below.
  pltFile.sections.push(undefined);
  const plt =
    binding && binding.plt.length + binding.pltGot.length > 0
      ? syntheticSection(
          pltFile,
          '.plt',
          SHT_PROGBITS,
          SHF_ALLOC | SHF_EXECINSTR,
          16,
          new Uint8Array(pltSize(binding.plt.length)),
        )
      : undefined;
  if (plt) plt.entsize = 16;
  const pltGot =
    binding && binding.pltGot.length > 0
      ? syntheticSection(
          pltFile,
          '.plt.got',
          SHT_PROGBITS,
          SHF_ALLOC | SHF_EXECINSTR,
          8,
          new Uint8Array(pltGotSize(binding.pltGot.length)),
        )
      : undefined;
  if (pltGot) pltGot.entsize = 8;
  // ld's PLT unwind info stays empty when no object brings `.eh_frame` of its own.
  const objectUnwindInfo = files.some((f) =>
    f.sections.some((s) => s?.live && s.name === '.eh_frame' && s.size > 0),
  );
  if (binding && options.linkerUnwindInfo !== false) {
    const unwind: Array<['lazy' | 'non-lazy', InputSection]> = [];
    if (plt && objectUnwindInfo) unwind.push(['lazy', plt]);
    if (pltGot && objectUnwindInfo) unwind.push(['non-lazy', pltGot]);
    for (const [, code] of unwind) {
      pltFile.elf.symbols.push({
        name: '',
        value: 0n,
        size: 0n,
        bind: STB_LOCAL,
        type: STT_SECTION,
        visibility: 0,
        shndx: pltFile.sections.indexOf(code),
      });
    }
    if (unwind.length > 0)
      pltFile.elf.symbols.unshift({
        name: '',
        value: 0n,
        size: 0n,
        bind: 0,
        type: 0,
        visibility: 0,
        shndx: 0,
      });
    unwind.forEach(([kind, code], i) => {
      const info = pltUnwindInfo(kind, code.size, i + 1);
      syntheticSection(pltFile, '.eh_frame', SHT_PROGBITS, SHF_ALLOC, 8, info.data).relocations =
        info.relocations;
    });
    if (unwind.length === 0)
      syntheticSection(pltFile, '.eh_frame', SHT_PROGBITS, SHF_ALLOC, 8, new Uint8Array(0)).keptEmpty = true;
  }
  // A shared object's dynamic symbols in the order ld recorded them (as it read the objects), with the undefined
  // ones; ld writes them (building .hash) in its hash-table walk.
  // (A shared object's entry symbol is no name ld looks up before reading the objects.)
  const insertion = options.shared ? objectSymbolOrder(files, symbols) : [...symbols.keys()];
  for (const name of exports) if (!symbols.has(name)) insertion.push(name);
  const dynamicNames = new Set([...exports, ...(binding?.undefinedTypes.keys() ?? [])]);
  const sections = createDynamicSections(
    file,
    (name, type, flags, align, data) => syntheticSection(file, name, type, flags, align, data),
    {
      ...(binding
        ? {
            ...(options.shared
              ? { shared: { soname: options.soname, symbolic: options.symbolic === 'all' } }
              : {}),
            pltCount: binding.plt.length,
            plt: plt !== undefined,
            unhashed: new Set(binding.undefinedTypes.keys()),
            writeOrder: bfdTraversalOrder(insertion).filter((n) => dynamicNames.has(n)),
          }
        : {}),
      format: target.dynamicFormat,
      hashStyle: options.hashStyle ?? 'both',
      relativeCount: count,
      // -z notext lets them through: ld then marks the output DT_TEXTREL.
      textRelocations: readOnlyRelocations && options.textRelocations !== false,
      // ld records a shared object's dynamic symbols as it reads them, an executable's (its exports and the
      // undefined weak symbols the dynamic linker is to bind) in its hash-table walk.
      exports: !binding
        ? exports
        : options.shared
          ? insertion.filter((n) => dynamicNames.has(n))
          : bfdTraversalOrder(insertion).filter((n) => dynamicNames.has(n)),
      bindNow: options.bindNow ?? false,
      newDtags: options.newDtags ?? true,
      pie: pie && !options.shared,
      staticTls: binding?.staticTls ?? false,
      versions,
      arrays,
    },
  );
  return { file, sections, plt, pltGot, pltFile: binding ? pltFile : undefined };
}

/** The init/fini array output sections that receive an input section gc kept (ld tags only those). */
function arrayOutputs(mapping: SectionMapping): Set<string> {
  const names = ['.preinit_array', '.init_array', '.fini_array'];
  const kept = new Set<string>();
  for (const item of mapping.items)
    if (item.kind === 'section' && names.includes(item.section.name))
      if (item.section.contents.some((c) => c.kind === 'inputs' && c.sections.some((s) => s.live)))
        kept.add(item.section.name);
  return kept;
}

/** Targets whose address does not move with the image: absolute symbols and undefined (weak) ones. */
function isAbsoluteTarget(file: InputFile, index: number): boolean {
  if (index === 0) return true;
  const sym = file.elf.symbols[index]!;
  if (sym.bind === STB_LOCAL) return sym.shndx === SHN_ABS || sym.shndx === SHN_UNDEF;
  const global = file.globals[index];
  if (!global) return true;
  if (global.definition) return global.definition.section === undefined;
  // Not defined by an object: the script will define it (section-relative as a rule), or it is an undefined weak.
  return global.weak && global.common === undefined;
}

function finishPie(
  dynamic: { sections: DynamicSections },
  relocator: Relocator,
  got: GotTable | undefined,
  contents: Map<OutputSection, Uint8Array>,
  sections: OutputSection[],
  options: LinkOptions,
  symbolValue: (name: string) => DynamicSymbolValue,
  warnings: string[],
  shared: {
    isDynamic: (file: InputFile, index: number) => boolean;
    pointers: SymbolRelocation[];
    jumpSlots: SymbolRelocation[];
    gotPlt?: bigint;
    tls: { policy?: TlsGotPolicy; start: bigint };
  },
): void {
  if (relocator.absolute32.length > 0) {
    const first = relocator.absolute32[0]!;
    throw new UserError(
      `${first.where}: 32-bit absolute relocation cannot be used when making a PIE object; recompile with -fPIE (${relocator.absolute32.length} such relocation(s))`,
    );
  }
  const pointers = [...relocator.absolute64];
  const globDat: SymbolRelocation[] = [];
  if (got?.section.output && got.section.name === '.got' && ((options.pie ?? false) || options.shared))
    got.entries.forEach((e, i) => {
      const place =
        got.section.output!.address + got.section.outputOffset + BigInt(i * dynamic.sections.format.word);
      if (e.tls !== undefined) {
        // A symbol outside `.dynsym` is named by its offset: DTPMOD64 of this module, TPOFF64 with the offset.
        const named = shared.tls.policy?.inDynsym(e.file, e.symbol) ?? false;
        const type = tlsGotRelocation(e.tls, named);
        if (type === undefined) return;
        const local = !named && e.tls === 'ie' ? gotTargetValue(e.file, e.symbol) - shared.tls.start : 0n;
        globDat.push({ place, type, name: named ? e.file.globals[e.symbol]!.name : '', addend: local });
      } else if (shared.isDynamic(e.file, e.symbol))
        globDat.push({ place, type: R_X86_64.GLOB_DAT, name: e.file.globals[e.symbol]!.name, addend: 0n });
      else if (!isAbsoluteTarget(e.file, e.symbol) && !isRelaxedTlsCall(e.file.globals[e.symbol]))
        pointers.push(place);
    });
  const symbolic = [...globDat, ...shared.pointers];
  pointers.push(...symbolic.map((r) => r.place));
  const readOnly = pointers.find((p) => {
    const s = sections.find((o) => p >= o.address && p < o.address + o.size && o.flags & SHF_ALLOC);
    return s !== undefined && (s.flags & SHF_WRITE) === 0;
  });
  if (readOnly !== undefined && options.textRelocations === undefined) {
    const s = sections.find((o) => readOnly >= o.address && readOnly < o.address + o.size)!;
    const input = s.inputs.find((i) => {
      const start = s.address + i.outputOffset;
      return readOnly >= start && readOnly < start + BigInt(i.size);
    });
    warnings.push(
      `${input?.file.name ?? '<linker>'}: relocation in read-only section \`${input?.name ?? s.name}'`,
      'creating DT_TEXTREL in a PIE',
    );
  } else if (readOnly !== undefined && options.textRelocations !== true) {
    const s = sections.find((o) => readOnly >= o.address && readOnly < o.address + o.size)!;
    throw new UserError(
      `read-only segment has dynamic relocations: a 64-bit absolute pointer at 0x${readOnly.toString(16)} in ${s.name} needs R_X86_64_RELATIVE (use -z notext to allow text relocations, or keep pointers in writable data)`,
    );
  }
  const capacity = Number(dynamic.sections.relaDyn.size) / dynamic.sections.format.relocationSize;
  if (pointers.length > capacity)
    throw new UserError(
      `-pie: ${pointers.length} dynamic relocations found but ${capacity} were sized before layout (a linker-script symbol changed from absolute to relative)`,
    );
  const symbolicPlaces = new Set(symbolic.map((r) => r.place));
  finishDynamicSections(
    dynamic.sections,
    pointers.filter((p) => !symbolicPlaces.has(p)),
    contents,
    sections,
    symbolValue,
    { dyn: symbolic, plt: shared.jumpSlots, pltGot: shared.gotPlt },
  );
}

/**
 * The slot of `call *__tls_get_addr@GOTPCREL(%rip)` (gcc -fno-plt) in a TLS sequence ld relaxed: the symbol
 * stays undefined, and ld leaves the relocation it reserved for the slot R_X86_64_NONE.
 */
function isRelaxedTlsCall(global: GlobalSymbol | undefined): boolean {
  return (
    global !== undefined &&
    !global.definition &&
    !global.common &&
    !global.weak &&
    !global.scriptDefined &&
    global.address === undefined
  );
}

/** An exported symbol's `.dynsym` fields: those of its `.symtab` entry. */
function dynamicSymbolValue(
  symbol: GlobalSymbol | undefined,
  tlsBase: bigint,
  /** An undefined symbol's st_type, as its first reference gives it. */
  undefinedType = 0,
): DynamicSymbolValue {
  const v = symbol ? globalValue(symbol) : undefined;
  if (!symbol || !v)
    return {
      value: 0n,
      size: 0n,
      info: ((symbol?.weak ? STB_WEAK : STB_GLOBAL) << 4) | undefinedType,
      other: 0,
      shndx: SHN_UNDEF,
    };
  const d = symbol.definition;
  const type = d?.type ?? symbol.scriptType ?? 0;
  return {
    value: type === STT_TLS ? v.value - tlsBase : v.value,
    size: d?.size ?? 0n,
    info: ((symbol.weak && d ? STB_WEAK : STB_GLOBAL) << 4) | type,
    other: symbol.visibility,
    shndx: v.shndx,
  };
}

/**
 * `_TLS_MODULE_BASE_`, which TLS-descriptor local-dynamic code names: bfd defines it when an object refers to it,
 * as a hidden STT_TLS local of the first TLS section whose value is the block's size (in an executable its
 * TP offset is then 0).
 */
function defineTlsModuleBase(symbols: Map<string, GlobalSymbol>, sections: OutputSection[]): void {
  const symbol = symbols.get('_TLS_MODULE_BASE_');
  const block = tlsBlock(sections);
  if (!symbol || symbol.definition || symbol.scriptDefined || !block) return;
  symbol.scriptDefined = true;
  symbol.address = block.threadPointer;
  symbol.outputSection = sections.find(
    (s) => s.flags & SHF_TLS && s.flags & SHF_ALLOC && s.address === block.start,
  );
}

/** The TLS block as the TPOFF relocations see it (see TlsBlock). */
/**
 * bfd's assign_file_positions_for_load_sections reports a section of a PT_LOAD or PT_TLS whose LMA lies below
 * where the segment has got to (.tdata after a .tbss orphan in PT_TLS) and moves it up; ld prints that without
 * "warning:".
 */
function lmaAdjustments(plan: SegmentPlan, outputName: string, wordSize: number): string[] {
  const lines: string[] = [];
  const hex = (v: bigint) => `0x${BigInt.asUintN(wordSize * 8, v).toString(16)}`;
  for (const segment of plan.segments) {
    if (segment.type !== PT_LOAD && segment.type !== PT_TLS) continue;
    let end = segment.paddr;
    for (const s of segment.sections) {
      const tbss = (s.flags & SHF_TLS) !== 0 && s.type === SHT_NOBITS;
      if (tbss && segment.type === PT_LOAD) continue;
      let start = s.loadAddress;
      if (start < end) {
        lines.push(`${outputName}: section ${s.name} lma ${hex(start)} adjusted to ${hex(end)}`);
        start = end;
      }
      end = start + s.size;
    }
  }
  return lines;
}

/**
 * bfd's tls_sec and tls_size: the first TLS output section and the end of the last one of the run it starts (not
 * the highest end: a .tbss orphan may come before .tdata), aligned to the run's largest alignment.
 */
function tlsBlock(sections: OutputSection[]): TlsBlock | undefined {
  const isTls = (s: OutputSection) => (s.flags & SHF_TLS) !== 0 && (s.flags & SHF_ALLOC) !== 0;
  const first = sections.findIndex(isTls);
  if (first < 0) return undefined;
  let last = first;
  while (last + 1 < sections.length && isTls(sections[last + 1]!)) last++;
  const run = sections.slice(first, last + 1);
  const start = run[0]!.address;
  const end = run[run.length - 1]!.address + run[run.length - 1]!.size;
  const align = BigInt(run.reduce((m, s) => Math.max(m, s.align), 1));
  return { start, threadPointer: ((end + align - 1n) / align) * align };
}

function planSegments(
  script: LinkerScript,
  sections: OutputSection[],
  layout: Layout,
  options: {
    headers: HeaderSizes;
    maxPageSize: bigint;
    stack: 'none' | 'exec' | 'noexec';
    separateCode: boolean;
    paged: boolean;
    relroEnabled: boolean;
    ehFrameHdr: boolean;
  },
): SegmentPlan {
  if (script.phdrs) {
    assignPhdrs(sections, script.phdrs, layout.allOutputSections);
    return planSegmentsFromPhdrs(
      sections,
      script.phdrs,
      (p) => ({
        type: Number(layout.evaluate(p.type).value),
        flags: p.flags ? Number(layout.evaluate(p.flags).value) : undefined,
        at: p.at ? layout.evaluate(p.at).value : undefined,
      }),
      options.headers,
    );
  }
  return planSegmentsAutomatically(sections, {
    headers: options.headers,
    maxPageSize: options.maxPageSize,
    separateCode: options.separateCode,
    stack: options.stack,
    loadHeaders: layout.usedSizeOfHeaders,
    paged: options.paged,
    relro: layout.relroRange,
    relroEnabled: options.relroEnabled,
    ehFrameHdr: options.ehFrameHdr,
  });
}

/** Global names in the order the objects first name them, then the names only the command line or script gave. */
function objectSymbolOrder(files: InputFile[], symbols: Map<string, GlobalSymbol>): string[] {
  const seen = new Set<string>();
  for (const file of files) for (const global of file.globals) if (global) seen.add(global.name);
  for (const name of symbols.keys()) seen.add(name);
  return [...seen];
}

/** Names the objects refer to with a strong undefined symbol. */
function strongReferences(files: InputFile[]): Set<string> {
  const names = new Set<string>();
  for (const file of files)
    file.elf.symbols.forEach((sym, index) => {
      const global = file.globals[index];
      if (global && sym.shndx === SHN_UNDEF && sym.bind === STB_GLOBAL) names.add(global.name);
    });
  return names;
}

function sharedEntry(symbol: GlobalSymbol | undefined): bigint {
  return (symbol ? globalValue(symbol)?.value : undefined) ?? 0n;
}

/**
 * Named versions of a shared object: ld defines an absolute STT_OBJECT symbol for each (exported, of its own
 * version) and gives every exported symbol the version whose `global:` list names it (a name before a pattern),
 * or none (1).
 */
function defineVersions(
  nodes: VersionNode[],
  symbols: Map<string, GlobalSymbol>,
  exports: string[],
  baseName: string,
): SymbolVersions | undefined {
  if (nodes.length === 0) return undefined;
  for (const node of nodes) {
    if (!symbols.has(node.name))
      symbols.set(node.name, {
        name: node.name,
        weak: false,
        visibility: 0,
        scriptDefined: false,
        referenced: false,
        hidden: false,
        definition: { value: 0n, size: 0n, type: STT_OBJECT, symbolIndex: 0 },
      });
    if (!exports.includes(node.name)) exports.push(node.name);
  }
  const exact = new Map<string, number>();
  const patterns: Array<[(name: string) => boolean, number]> = [];
  nodes.forEach((node, i) => {
    if (!exact.has(node.name)) exact.set(node.name, i + 2);
    for (const p of node.global)
      if (/[*?[]/.test(p)) patterns.push([wildcardMatcher(p), i + 2]);
      else if (!exact.has(p)) exact.set(p, i + 2);
  });
  return {
    baseName,
    nodes,
    versionOf: (name) => {
      const symbol = symbols.get(name);
      if (!symbol?.definition && !symbol?.common && !symbol?.scriptDefined) return 1;
      return exact.get(name) ?? patterns.find(([matches]) => matches(name))?.[1] ?? 1;
    },
  };
}

/**
 * `.symver` names (`foo@VERS`, `foo@@VERS`) in objects: ld binds them to the version nodes and strips the version
 * from `.dynsym`'s names, which ostool does not do.
 */
function refuseSymbolVersions(files: InputFile[]): void {
  for (const file of files)
    file.elf.symbols.forEach((sym, index) => {
      if (sym.bind === STB_LOCAL || sym.shndx === SHN_UNDEF || !file.globals[index]?.name.includes('@'))
        return;
      const section = file.sections[sym.shndx];
      throw new UserError(
        `${file.name}:(${section?.name ?? 'ABS'}+0x${sym.value.toString(16)}): symbol \`${sym.name}': versioned symbol names (.symver) in dynamic output are not supported by ostool; name the versions in a --version-script instead`,
      );
    });
}

/** The entries of a `.gnu.version_d` (its sh_info): the chain of vd_next offsets. */
function versionDefinitionCount(section: OutputSection): number {
  const data = section.inputs[0]?.data;
  if (!data) return 0;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let count = 0;
  for (let at = 0; at + 20 <= data.byteLength;) {
    count++;
    const next = view.getUint32(at + 16, true);
    if (next === 0) break;
    at += next;
  }
  return count;
}

/** A version script's `local:` patterns make the globals they match (and no `global:` pattern does) local. */
function hideVersionScriptLocals(symbols: Map<string, GlobalSymbol>, scripts: VersionScript[]): void {
  const global = scripts.flatMap((v) => v.global).map((p) => wildcardMatcher(p));
  const local = scripts.flatMap((v) => v.local).map((p) => wildcardMatcher(p));
  if (local.length === 0) return;
  for (const symbol of symbols.values())
    if (
      (symbol.definition || symbol.common) &&
      !global.some((m) => m(symbol.name)) &&
      local.some((m) => m(symbol.name))
    )
      symbol.forcedLocal = true;
}

function resolveEntry(
  name: string,
  symbols: Map<string, GlobalSymbol>,
  sections: OutputSection[],
  warnings: string[],
  wordSize: number,
  /**
   * Set by -e or ENTRY() (the default script's counts). Without it ld looks, silently, for its built-in default
   * `start` (not `_start`: that one comes from the default script), then the start of `.text`, else 0.
   */
  named = true,
): bigint {
  const text = sections.find((s) => s.name === '.text');
  if (!named) {
    const start = symbols.get('start');
    const value = start ? globalValue(start) : undefined;
    if (value) return value.value;
    return text?.address ?? 0n;
  }
  const symbol = symbols.get(name);
  const value = symbol ? globalValue(symbol) : undefined;
  if (value) return value.value;
  // Defined in a section --gc-sections removed: ld takes the symbol's offset, relative to nothing, silently.
  if (symbol?.definition?.section) return symbol.definition.value;
  const number = entryNumber(name);
  if (number !== undefined) return number;
  // ld only warns (an ENTRY() naming a symbol no object defines is common in hobby kernels): the start of the
  // output `.text`, printed as a full-width address, else no start address at all (0).
  if (!text) {
    warnings.push(`cannot find entry symbol ${name}; not setting start address`);
    return 0n;
  }
  const address = text.address.toString(16).padStart(wordSize * 2, '0');
  warnings.push(`cannot find entry symbol ${name}; defaulting to ${address}`);
  return text.address;
}

/** An entry name that is a number, as bfd_scan_vma reads it: 0x hexadecimal, leading-0 octal, else decimal. */
function entryNumber(name: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(name)) return BigInt(name.toLowerCase());
  if (/^0[0-7]*$/.test(name)) return BigInt(`0o${name.slice(1) || '0'}`);
  if (/^[1-9][0-9]*$/.test(name)) return BigInt(name);
  return undefined;
}

function writeElf(
  sections: OutputSection[],
  contents: Map<OutputSection, Uint8Array>,
  plan: SegmentPlan,
  contentEnd: number,
  entry: bigint,
  symbolTable: SymbolTableBuilder | undefined,
  type: number,
  target: Target,
  /** --emit-relocs: each relocated output section's `.rela` contents. */
  relocationSections?: Map<OutputSection, Uint8Array>,
): Uint8Array {
  // The dynamic sections' sh_link/sh_info, as ld sets them.
  const indexOf = (name: string) => sections.find((s) => s.name === name)?.headerIndex ?? 0;
  const linkOf = (s: OutputSection): { link: number; info: number } => {
    if (s.type === SHT_DYNSYM) return { link: indexOf('.dynstr'), info: 1 };
    if (s.type === SHT_DYNAMIC) return { link: indexOf('.dynstr'), info: 0 };
    if (s.type === SHT_GNU_VERSYM) return { link: indexOf('.dynsym'), info: 0 };
    if (s.type === SHT_GNU_VERDEF) return { link: indexOf('.dynstr'), info: versionDefinitionCount(s) };
    if ((s.name === '.rela.plt' || s.name === '.rel.plt') && s.flags & SHF_ALLOC)
      return {
        link: indexOf('.dynsym'),
        info:
          sections.find((o) => o.inputs.some((i) => i.index === -1 && i.name === '.got.plt'))?.headerIndex ??
          0,
      };
    if (
      s.type === SHT_HASH ||
      s.type === SHT_GNU_HASH ||
      ((s.type === SHT_RELA || s.type === SHT_REL) && s.flags & SHF_ALLOC)
    )
      return { link: indexOf('.dynsym'), info: 0 };
    if (s.name === '.stab') return { link: indexOf('.stabstr'), info: 0 };
    return { link: 0, info: 0 };
  };
  const imageSections: ElfImageSection[] = sections.map((s) => ({
    name: s.name,
    type: s.type,
    flags: s.flags,
    addr: s.address,
    offset: (s.flags & SHF_ALLOC) !== 0 ? s.fileOffset : undefined,
    size: s.size,
    ...linkOf(s),
    align: s.align,
    // ld gives the merged stabs table its entry size, and bfd's elf_fake_sections gives the pointer arrays one
    // address per entry whatever their inputs say.
    entsize:
      s.name === '.stab'
        ? 12
        : [SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY].includes(s.type)
          ? target.wordSize
          : s.inputs.length > 0 &&
              s.inputs.every((i) => i.entsize === s.inputs[0]!.entsize && (i.flags & 0x10 || i.index === -1))
            ? s.inputs[0]!.entsize
            : 0,
    data: contents.get(s),
  }));
  // ld's `.rela<name>` sections of --emit-relocs, each after its section (sh_link is `.symtab`, set below).
  const emitted = new Set<ElfImageSection>();
  if (relocationSections)
    for (let i = sections.length - 1; i >= 0; i--) {
      const data = relocationSections.get(sections[i]!);
      if (!data) continue;
      const rela: ElfImageSection = {
        name: `.rela${sections[i]!.name}`,
        type: SHT_RELA,
        flags: SHF_INFO_LINK,
        addr: 0n,
        size: BigInt(data.length),
        link: 0,
        info: sections[i]!.headerIndex,
        align: 8,
        entsize: 24,
        data,
      };
      emitted.add(rela);
      imageSections.splice(i + 1, 0, rela);
    }
  // ld writes a `.symtab` (with only the null symbol if need be) unless -s.
  if (symbolTable) {
    const table = symbolTable.finish(target.elfClass);
    const symtabIndex = imageSections.length + 1;
    for (const rela of emitted) rela.link = symtabIndex;
    imageSections.push({
      name: '.symtab',
      type: SHT_SYMTAB,
      flags: 0,
      addr: 0n,
      size: BigInt(table.symtab.length),
      link: symtabIndex + 1,
      info: table.firstGlobal,
      align: target.wordSize,
      entsize: target.symbolSize,
      data: table.symtab,
    });
    imageSections.push({
      name: '.strtab',
      type: SHT_STRTAB,
      flags: 0,
      addr: 0n,
      size: BigInt(table.strtab.length),
      link: 0,
      info: 0,
      align: 1,
      entsize: 0,
      data: table.strtab,
    });
  }
  for (const s of imageSections) if (s.type === SHT_NOBITS && s.offset === undefined) s.offset = contentEnd;
  return writeElfExecutable({
    type,
    elfClass: target.elfClass,
    machine: target.machine,
    entry,
    sections: imageSections,
    segments: plan.segments.map((p) => ({
      type: p.type,
      flags: p.flags,
      offset: p.offset,
      vaddr: p.vaddr,
      paddr: p.paddr,
      filesz: p.filesz,
      memsz: p.memsz,
      align: p.align,
    })),
    contentEnd,
    // bfd writes the relocations it kept after the symbol table.
    placeLast: emitted.size > 0 ? (s) => emitted.has(s) : undefined,
  });
}
