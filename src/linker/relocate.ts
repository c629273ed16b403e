/**
 * Pass 6: build each output section's bytes (input contents, FILL gaps, BYTE/LONG/QUAD data) and apply every
 * relocation. Collects undefined references and the absolute 64-bit fields a PE `.reloc` table must list.
 */
import {
  R_X86_64,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHN_ABS,
  SHN_UNDEF,
  SHT_NOBITS,
  STB_LOCAL,
  STT_SECTION,
} from '../elf/constants.js';
import { sourceLineAt } from '../elf/dwarf-lines.js';
import { addendNumber, typeBit, type ElfRelocation, type RelaTable } from '../elf/reader.js';
import { UserError } from '../errors.js';
import { writeCieLinks } from './eh-frame.js';
import { definitionAddress, mergedLocation } from './layout.js';
import {
  isDebugging,
  type GlobalSymbol,
  type InputFile,
  type InputSection,
  type OutputSection,
} from './model.js';
import { X86_64, type Target } from './target.js';
import {
  fillWithNops,
  type ConvertedRelocation,
  relaxGeneralDynamicToInitialExec,
  type RelocationProblem,
  type TlsBlock,
  type TlsGotKind,
} from './x86-64.js';

/** Sections of -mcmodel=medium/large data beyond 2 GiB (ld never converts GOT loads of their symbols). */
export const SHF_X86_64_LARGE = 0x10000000;

export interface GotTable {
  section: InputSection;
  /** Slot index per key (`g:name` for globals, `l:<file order>:<symbol index>` for locals). */
  slots: Map<string, number>;
  /**
   * What each slot must hold, filled after layout. TLS entries (dynamic output) have keys `gd:KEY` (the first of
   * the pair), `ie:KEY` and `ld` (the local-dynamic pair; `symbol` 0).
   */
  entries: Array<{ file: InputFile; symbol: number; tls?: TlsGotKind }>;
}

/** A shared object's references to dynamic symbols: through the PLT, an unrelaxed GOT slot or `.rela.dyn`. */
export interface DynamicReferences {
  isDynamic(global: GlobalSymbol): boolean;
  isDynamicPointer(global: GlobalSymbol): boolean;
  pltAddress(name: string): bigint | undefined;
  /** Filled with the R_X86_64_64 relocations against dynamic symbols (their fields keep the object's bytes). */
  pointers: Array<{ place: bigint; type: number; name: string; addend: bigint }>;
  /** An executable: a relocation against a strong undefined symbol is still an undefined reference there. */
  executable?: boolean;
  /** A shared object: DTPOFF32 in code is a module offset (ld relaxed no local-dynamic sequence). */
  shared?: boolean;
}

export interface RelocationOutput {
  contents: Map<OutputSection, Uint8Array>;
  /** Addresses of 64-bit absolute pointers (for PE base relocations). */
  absolute64: bigint[];
  /** Addresses of 32-bit absolute fields (a PE image cannot be rebased with these). */
  absolute32: Array<{ address: bigint; where: string }>;
}

interface Resolved {
  value: bigint;
  addend: bigint;
  size: bigint;
  name: string;
  undefinedWeak: boolean;
  absolute: boolean;
  gotKey?: string;
  /** A debug section's reference into a discarded section: ld clears the field, addend and all. */
  cleared?: boolean;
  /** Defined in an SHF_X86_64_LARGE section: ld never converts its GOT loads. */
  large?: boolean;
}

/** A resolved target whose addend is the relocation's own; `exact` is its value as a number when that is exact. */
type CachedTarget = Omit<Resolved, 'addend'> & { addend?: bigint; exact?: number };

/**
 * bfd's _bfd_clear_contents for a debug section's reference into a discarded section: 0, but 1 in `.debug_ranges`,
 * where 0 would end the range list and hide the entries after it.
 */
function clearedField(input: InputSection, name: string): Resolved {
  const value = input.name === '.debug_ranges' ? 1n : 0n;
  return { value, addend: 0n, size: 0n, name, undefinedWeak: false, absolute: true, cleared: true };
}

export function gotKey(file: InputFile, symbolIndex: number): string {
  const global = file.globals[symbolIndex];
  return global ? `g:${global.name}` : `l:${file.order}:${symbolIndex}`;
}

export class Relocator {
  private readonly undefinedRefs = new Map<string, string[]>();
  private readonly errors: string[] = [];
  readonly absolute64: bigint[] = [];
  readonly absolute32: Array<{ address: bigint; where: string }> = [];
  /**
   * --emit-relocs: set to collect, per input section and relocation index, the relocation ld writes back for a
   * GOT load it converted.
   */
  conversions?: Map<InputSection, Map<number, ConvertedRelocation>>;

  /** Per input file: resolved targets by symbol index (addend 0), reused by every relocation against them. */
  private readonly cache = new Map<InputFile, Array<CachedTarget | undefined>>();
  /** The last file's entry of `cache` (relocations come file by file, so this saves a lookup per relocation). */
  private cachedFile?: InputFile;
  private cachedTargets: Array<CachedTarget | undefined> = [];
  /**
   * For the fast path, per file: each symbol's address as an exact number, NaN until resolved. Numbers in a typed
   * array instead of an object per symbol: fewer objects for the garbage collector to copy.
   */
  private readonly fastCache = new Map<InputFile, Float64Array>();
  private fastFile?: InputFile;
  private fastTargets: Float64Array = new Float64Array(0);

  constructor(
    private readonly got: GotTable | undefined,
    private readonly gotBase: bigint,
    /** Collect the absolute relocations a PE `.reloc` table or a PIE's `.rela.dyn` needs. */
    private readonly collectFixups = false,
    /** Position-independent output (-pie). */
    private readonly pic = false,
    /** The TLS segment, for the TPOFF/DTPOFF family. */
    private readonly tls?: TlsBlock,
    private readonly target: Target = X86_64,
    /** --no-relax makes this false: GOT loads stay loads. */
    private readonly relax = true,
    /** -shared: references the dynamic linker resolves (shared-object.ts). */
    private readonly dynamic?: DynamicReferences,
  ) {
    this.gotTypes = target.gotSlotTypes;
  }

  /** The target's relocations that go through a GOT slot. */
  private readonly gotTypes: ReadonlySet<number>;

  buildContents(sections: OutputSection[]): Map<OutputSection, Uint8Array> {
    const contents = copyContents(sections, this.target.fillCode);
    for (const section of sections) {
      const bytes = contents.get(section);
      if (!bytes) continue;
      const view = new DataView(bytes.buffer);
      for (const input of section.inputs)
        if (input.relocations.length > 0 && input.type !== SHT_NOBITS)
          this.relocateSection(input, section, bytes, view);
    }
    this.report();
    return contents;
  }

  private relocateSection(
    input: InputSection,
    output: OutputSection,
    bytes: Uint8Array,
    view: DataView,
  ): void {
    const base = Number(input.outputOffset);
    const alloc = (output.flags & SHF_ALLOC) !== 0;
    // Fast path: most relocations are PC32/PLT32/32S/32/64 against symbols whose addresses, read as signed
    // 64-bit numbers, are exact doubles (true for low and higher-half kernels). They are done without BigInt.
    const placeBase = exactSigned(output.address + input.outputOffset);
    const relocations = input.relocations;
    const words = relocations.words;
    // The fast path knows x86-64's numbers only.
    const fast = placeBase !== undefined && !this.collectFixups && this.target === X86_64;
    // A relaxed TLSGD/TLSLD sequence also rewrites its __tls_get_addr call: that call's relocation is skipped.
    let tlsCalls = false;
    for (const type of this.target.tlsCallSequences)
      if (relocations.typeMask & typeBit(type)) tlsCalls = true;
    for (let i = 0; i < relocations.length; i++) {
      if (fast && this.fastRelocation(input, relocations, words, i, placeBase, base, view, alloc)) continue;
      if (this.slowRelocation(input, output, relocations, i, base, bytes, view, alloc) && tlsCalls) i++;
    }
  }

  /** Returns false when the relocation needs the general path (unusual type, inexact value, or a problem). */
  private fastRelocation(
    input: InputSection,
    relocations: RelaTable,
    words: Int32Array,
    i: number,
    placeBase: number,
    base: number,
    view: DataView,
    alloc: boolean,
  ): boolean {
    const type = words[i * 6 + 2]!;
    if (
      type !== R_X86_64.PC32 &&
      type !== R_X86_64.PLT32 &&
      type !== R_X86_64['32S'] &&
      type !== R_X86_64['32'] &&
      type !== R_X86_64['64']
    )
      return false;
    const offset = words[i * 6]!;
    if (offset < 0 || offset + (type === R_X86_64['64'] ? 8 : 4) > input.size) return false;
    const file = input.file;
    if (file !== this.fastFile) this.switchFastCache(file);
    const symbol = words[i * 6 + 3]! >>> 0;
    let exact = this.fastTargets[symbol]!;
    if (exact !== exact) {
      // Not resolved yet (NaN). Only plain symbols qualify: a merged section's symbol folds the addend in.
      const sym = symbol === 0 ? undefined : file.elf.symbols[symbol];
      if (!sym || (sym.type === STT_SECTION && file.sections[sym.shndx]?.merged)) return false;
      if (sym.bind === STB_LOCAL && file.sections[sym.shndx]?.keptCopy) return false;
      const relocation = relocations.get(i);
      const resolved = this.resolve(input, relocation, alloc);
      if (!resolved) return true; // reported (undefined or discarded symbol)
      if (resolved.cleared) return false;
      const value = exactSigned(resolved.value);
      if (value === undefined) return false;
      exact = value;
      this.fastTargets[symbol] = exact;
    }
    const value = exact + addendNumber(words, i * 6 + 4);
    if (!Number.isSafeInteger(value)) return false;
    const at = base + offset;
    switch (type) {
      case R_X86_64.PC32:
      case R_X86_64.PLT32: {
        const v = value - (placeBase + offset);
        if (v < -0x80000000 || v > 0x7fffffff) return false;
        view.setInt32(at, v, true);
        return true;
      }
      case R_X86_64['32S']:
        if (value < -0x80000000 || value > 0x7fffffff) return false;
        view.setInt32(at, value, true);
        return true;
      case R_X86_64['32']:
        if (value < 0 || value > 0xffffffff) return false;
        view.setUint32(at, value, true);
        return true;
      default: {
        const low = ((value % 0x100000000) + 0x100000000) % 0x100000000;
        view.setUint32(at, low, true);
        view.setInt32(at + 4, (value - low) / 0x100000000, true);
        return true;
      }
    }
  }

  private slowRelocation(
    input: InputSection,
    output: OutputSection,
    relocations: RelaTable,
    i: number,
    base: number,
    bytes: Uint8Array,
    view: DataView,
    alloc: boolean,
  ): boolean {
    const r = relocations.get(i);
    if (r.type === 0) return false; // R_X86_64_NONE, R_386_NONE
    if (r.offset + this.target.fieldSize(r.type) > input.size) {
      throw new UserError(
        `${input.file.name}: corrupt ELF file: ${this.target.relocationName(r.type)} at ${input.name}+0x${r.offset.toString(16)} lies outside the section`,
      );
    }
    const place = output.address + input.outputOffset + BigInt(r.offset);
    const tlsGot = this.tlsGotReference(input, r, { bytes, view, at: base + r.offset, place });
    if (tlsGot !== undefined) return tlsGot;
    const global = this.dynamic && r.symbol !== 0 ? input.file.globals[r.symbol] : undefined;
    const undefinedInExecutable =
      global !== undefined &&
      this.dynamic?.executable === true &&
      !global.definition &&
      !global.common &&
      !global.weak &&
      !global.scriptDefined;
    // An offset in this module's TLS block is known here even for a symbol another module could preempt.
    const moduleOffset =
      this.target === X86_64 && (r.type === R_X86_64.DTPOFF32 || r.type === R_X86_64.DTPOFF64);
    if (
      global &&
      !undefinedInExecutable &&
      !moduleOffset &&
      (this.dynamic!.isDynamic(global) ||
        (alloc && r.type === R_X86_64['64'] && this.dynamic!.isDynamicPointer(global)) ||
        (alloc && r.type === R_X86_64.PLT32 && this.dynamic!.pltAddress(global.name) !== undefined)) &&
      (alloc || !global.definition)
    ) {
      this.dynamicRelocation(input, r, global, { bytes, view, at: base + r.offset, place }, alloc);
      return false;
    }
    const target = this.cachedResolve(input, relocations, i, alloc);
    if (!target) return false;
    let gotSlot: bigint | undefined;
    if (target.gotKey !== undefined && this.got) {
      const slot = this.got.slots.get(target.gotKey);
      if (slot !== undefined)
        gotSlot =
          this.got.section.output!.address +
          this.got.section.outputOffset +
          BigInt(slot * this.target.wordSize);
    }
    if (target.cleared) {
      // bfd's _bfd_clear_contents writes the field whatever the relocation's type (a DTPOFF32 against a collected
      // TLS variable, in an output that may have no TLS segment left to count from).
      writeData(bytes, base + r.offset, this.target.fieldSize(r.type), target.value);
      return false;
    }
    const addend = target.addend === undefined ? r.addend : target.addend;
    const problem = this.target.applyRelocation(
      r.type,
      { bytes, view, at: base + r.offset, place },
      {
        value: target.value,
        addend,
        size: target.size,
        got: this.gotBase,
        gotSlot,
        undefinedWeak: target.undefinedWeak,
        pic: this.pic,
        tls: this.tls,
        inCode: (output.flags & SHF_EXECINSTR) !== 0 && !this.dynamic?.shared,
        relax: this.relax,
        large: target.large,
      },
    );
    const converted =
      this.conversions &&
      this.target.convertedRelocation?.(r.type, input.data, r.offset, {
        pic: this.pic,
        undefinedWeak: target.undefinedWeak,
        relax: this.relax,
        large: target.large,
      });
    if (converted) {
      const forSection = this.conversions!.get(input) ?? new Map<number, ConvertedRelocation>();
      forSection.set(i, converted);
      this.conversions!.set(input, forSection);
    }
    if (problem) {
      if (problem.kind === 'consumed-next') return true;
      this.errors.push(this.describeProblem(problem, r, input, { ...target, addend }));
      return false;
    }
    if (this.collectFixups && alloc && !target.absolute && !target.undefinedWeak) {
      // A word-sized pointer (R_X86_64_64, R_386_32): a RELATIVE entry (or a PE base relocation) moves it.
      if (r.type === this.target.pointerType) this.absolute64.push(place);
      else if (this.target === X86_64 && (r.type === R_X86_64['32'] || r.type === R_X86_64['32S']))
        this.absolute32.push({
          address: place,
          where: `${input.file.name}:(${input.name}+0x${r.offset.toString(16)})`,
        });
    }
    return false;
  }

  /**
   * A TLS reference through a GOT entry of dynamic output (see tlsGotNeed): the GOT-relative field of a
   * general-dynamic, local-dynamic or initial-exec sequence, or a general-dynamic sequence rewritten to
   * initial-exec. Returns whether the next relocation (the `__tls_get_addr` call) was consumed, undefined when the
   * relocation takes the ordinary path (no such entry: relaxed to local-exec as in a static link).
   */
  private tlsGotReference(
    input: InputSection,
    r: ElfRelocation,
    site: { bytes: Uint8Array; view: DataView; at: number; place: bigint },
  ): boolean | undefined {
    if (!this.got || this.target !== X86_64) return undefined;
    if (r.type !== R_X86_64.TLSGD && r.type !== R_X86_64.TLSLD && r.type !== R_X86_64.GOTTPOFF)
      return undefined;
    const slotAddress = (key: string): bigint | undefined => {
      const slot = this.got!.slots.get(key);
      return slot === undefined
        ? undefined
        : this.got!.section.output!.address + this.got!.section.outputOffset + BigInt(slot * 8);
    };
    const key = gotKey(input.file, r.symbol);
    const direct =
      r.type === R_X86_64.TLSGD
        ? slotAddress(`gd:${key}`)
        : r.type === R_X86_64.TLSLD
          ? slotAddress('ld')
          : slotAddress(`ie:${key}`);
    const where = () => `${input.file.name}:(${input.name}+0x${r.offset.toString(16)})`;
    if (direct !== undefined) {
      const problem = this.target.applyRelocation(R_X86_64.PC32, site, {
        value: direct,
        addend: r.addend,
        size: 0n,
        got: this.gotBase,
        undefinedWeak: false,
      });
      if (problem)
        this.errors.push(
          `${where()}: ${this.target.relocationName(r.type)}: the GOT entry at 0x${direct.toString(16)} is out of reach`,
        );
      return false;
    }
    const ie = r.type === R_X86_64.TLSGD ? slotAddress(`ie:${key}`) : undefined;
    if (ie === undefined) return undefined;
    const problem = relaxGeneralDynamicToInitialExec(site, ie);
    if (problem.kind === 'consumed-next') return true;
    this.errors.push(
      `${where()}: R_X86_64_TLSGD: unexpected TLS sequence (ld rewrites only the instruction forms gcc emits for it to initial-exec)`,
    );
    return false;
  }

  /** A reference to a dynamic symbol (checked by shared-object.ts: PLT32, GOT loads and 64 in allocated sections). */
  private dynamicRelocation(
    input: InputSection,
    r: ElfRelocation,
    global: GlobalSymbol,
    site: { bytes: Uint8Array; view: DataView; at: number; place: bigint },
    alloc: boolean,
  ): void {
    const dynamic = this.dynamic!;
    if (alloc && r.type === R_X86_64['64']) {
      dynamic.pointers.push({ place: site.place, type: r.type, name: global.name, addend: r.addend });
      return;
    }
    const slot = this.got?.slots.get(gotKey(input.file, r.symbol));
    const plt = r.type === R_X86_64.PLT32 ? dynamic.pltAddress(global.name) : undefined;
    const problem = this.target.applyRelocation(plt !== undefined ? R_X86_64.PC32 : r.type, site, {
      value: plt ?? 0n,
      addend: r.addend,
      size: 0n,
      got: this.gotBase,
      gotSlot:
        slot === undefined
          ? undefined
          : this.got!.section.output!.address + this.got!.section.outputOffset + BigInt(slot * 8),
      undefinedWeak: false,
      pic: true,
      tls: this.tls,
      inCode: false,
      relax: false,
    });
    if (problem)
      this.errors.push(
        `${input.file.name}:(${input.name}+0x${r.offset.toString(16)}): ${this.target.relocationName(r.type)} against dynamic symbol \`${global.name}' cannot be applied`,
      );
  }

  private switchFastCache(file: InputFile): void {
    this.fastFile = file;
    let targets = this.fastCache.get(file);
    if (!targets) {
      targets = new Float64Array(file.elf.symbols.length).fill(NaN);
      this.fastCache.set(file, targets);
    }
    this.fastTargets = targets;
  }

  private switchCache(file: InputFile): void {
    this.cachedFile = file;
    this.cachedTargets = this.cache.get(file) ?? [];
    this.cache.set(file, this.cachedTargets);
  }

  /**
   * Resolution depends only on the symbol (not the addend) except for section symbols of merged sections and
   * GOT keys, so it is cached per file and symbol; a cached entry has `addend` undefined (use the relocation's).
   */
  private cachedResolve(
    input: InputSection,
    relocations: RelaTable,
    i: number,
    alloc: boolean,
  ): CachedTarget | undefined {
    const file = input.file;
    const symbol = relocations.symbol(i);
    if (file !== this.cachedFile) this.switchCache(file);
    const hit = this.cachedTargets[symbol];
    if (hit && !this.gotTypes.has(relocations.type(i))) return hit;
    const sym = symbol === 0 ? undefined : file.elf.symbols[symbol];
    const cacheable =
      sym !== undefined &&
      !this.gotTypes.has(relocations.type(i)) &&
      !(sym.type === STT_SECTION && file.sections[sym.shndx]?.merged) &&
      !(sym.bind === STB_LOCAL && file.sections[sym.shndx]?.keptCopy);
    const relocation = relocations.get(i);
    const resolved = this.resolve(input, relocation, alloc);
    // Failures are not cached: each referencing site must be reported. Nor is a cleared field: its addend is dropped.
    if (!cacheable || !resolved || resolved.cleared) return resolved;
    const entry = { ...resolved, addend: undefined, exact: exactSigned(resolved.value) };
    this.cachedTargets[symbol] = entry;
    return entry;
  }

  private resolve(input: InputSection, r: ElfRelocation, alloc: boolean): Resolved | undefined {
    const file = input.file;
    if (r.symbol === 0)
      return { value: 0n, addend: r.addend, size: 0n, name: '(none)', undefinedWeak: false, absolute: true };
    const sym = file.elf.symbols[r.symbol]!;
    const key = this.got && this.gotTypes.has(r.type) ? gotKey(file, r.symbol) : undefined;
    if (sym.bind === STB_LOCAL) {
      if (sym.shndx === SHN_ABS)
        return {
          value: sym.value,
          addend: r.addend,
          size: sym.size,
          name: sym.name,
          undefinedWeak: false,
          absolute: true,
          gotKey: key,
        };
      if (sym.shndx === SHN_UNDEF)
        return {
          value: 0n,
          addend: r.addend,
          size: 0n,
          name: sym.name,
          undefinedWeak: false,
          absolute: true,
        };
      const target = file.sections[sym.shndx];
      const name = sym.type === STT_SECTION ? (target?.name ?? `section ${sym.shndx}`) : sym.name;
      if (!target || (!target.live && !target.merged) || (!target.output && !target.merged)) {
        // bfd's elf_link_input_bfd: a debug section's reference into a COMDAT copy that lost goes to the kept copy.
        const kept = target?.keptCopy;
        if (!alloc && kept?.live && kept.output && !kept.merged && isDebugging(input.name))
          return {
            value: kept.output.address + kept.outputOffset + sym.value,
            addend: r.addend,
            size: sym.size,
            name,
            undefinedWeak: false,
            absolute: false,
            gotKey: key,
          };
        if (!alloc) return clearedField(input, name);
        this.errors.push(
          `${file.name}:(${input.name}+0x${r.offset.toString(16)}): relocation refers to ${name}, which is in discarded section ${target?.name ?? sym.shndx}`,
        );
        return undefined;
      }
      if (target.merged) {
        if (sym.type === STT_SECTION) {
          const loc = mergedLocation(target, Number(sym.value + r.addend));
          if (!loc.section.output) {
            this.errors.push(
              `${file.name}:(${input.name}+0x${r.offset.toString(16)}): relocation points outside the merged section ${target.name} (offset 0x${(sym.value + r.addend).toString(16)})`,
            );
            return undefined;
          }
          return {
            value: loc.section.output!.address + loc.section.outputOffset + BigInt(loc.offset),
            addend: 0n,
            size: sym.size,
            name,
            undefinedWeak: false,
            absolute: false,
            gotKey: key,
          };
        }
        return {
          value: definitionAddress(target, sym.value),
          addend: r.addend,
          size: sym.size,
          name,
          undefinedWeak: false,
          absolute: false,
          gotKey: key,
        };
      }
      return {
        value: target.output!.address + target.outputOffset + sym.value,
        addend: r.addend,
        size: sym.size,
        name,
        undefinedWeak: false,
        absolute: false,
        gotKey: key,
        large: (target.flags & SHF_X86_64_LARGE) !== 0,
      };
    }
    const global = file.globals[r.symbol]!;
    return this.resolveGlobal(global, input, r, alloc, key);
  }

  private resolveGlobal(
    global: GlobalSymbol,
    input: InputSection,
    r: ElfRelocation,
    alloc: boolean,
    key: string | undefined,
  ): Resolved | undefined {
    if (global.scriptDefined && global.address !== undefined) {
      return {
        value: global.address,
        addend: r.addend,
        size: 0n,
        name: global.name,
        undefinedWeak: false,
        absolute: global.outputSection === undefined,
        gotKey: key,
      };
    }
    const d = global.definition;
    if (!d) {
      if (global.weak || !global.referenced)
        return {
          value: 0n,
          addend: r.addend,
          size: 0n,
          name: global.name,
          undefinedWeak: true,
          absolute: true,
          gotKey: key,
        };
      const list = this.undefinedRefs.get(global.name) ?? [];
      const line =
        input.index >= 0 && list.length < 10
          ? sourceLineAt(input.file.elf, input.index, r.offset)
          : undefined;
      list.push(
        `${input.file.name}:(${input.name}+0x${r.offset.toString(16)})${line ? ` at ${line.file}:${line.line}` : ''}`,
      );
      this.undefinedRefs.set(global.name, list);
      return undefined;
    }
    if (!d.section)
      return {
        value: d.value,
        addend: r.addend,
        size: d.size,
        name: global.name,
        undefinedWeak: false,
        absolute: true,
        gotKey: key,
      };
    if (!d.section.live && !d.section.merged) {
      if (!alloc) return clearedField(input, global.name);
      this.errors.push(
        `${input.file.name}:(${input.name}+0x${r.offset.toString(16)}): \`${global.name}' referenced here is defined in discarded section ${d.section.name} of ${d.section.file.name}`,
      );
      return undefined;
    }
    return {
      value: definitionAddress(d.section, d.value),
      addend: r.addend,
      size: d.size,
      name: global.name,
      undefinedWeak: false,
      absolute: false,
      gotKey: key,
      large: (d.section.flags & SHF_X86_64_LARGE) !== 0,
    };
  }

  private describeProblem(
    problem: RelocationProblem,
    r: ElfRelocation,
    input: InputSection,
    target: Resolved,
  ): string {
    const where = `${input.file.name}:(${input.name}+0x${r.offset.toString(16)})`;
    const name = this.target.relocationName(r.type);
    if (problem.kind === 'unsupported')
      return `${where}: unsupported relocation ${name} against \`${target.name}'`;
    if (problem.kind === 'consumed-next' || problem.kind === 'tls-sequence')
      return `${where}: ${name} against \`${target.name}': unexpected TLS sequence (ld relaxes only the instruction forms gcc emits for it to local-exec)`;
    if (problem.kind === 'cannot-relax')
      return `${where}: failed to convert GOTPCREL relocation against \`${target.name}': its address 0x${target.value.toString(16)} does not fit the rewritten instruction; relink with --no-relax`;
    let hint = '';
    const address = BigInt.asUintN(64, target.value + target.addend);
    if (this.target !== X86_64) hint = '';
    else if (r.type === R_X86_64['32'] && address >= 0xffffffff80000000n)
      hint =
        ': did you link without -mcmodel=kernel? (R_X86_64_32 only reaches the low 4 GiB; kernel-model code uses R_X86_64_32S)';
    else if (r.type === R_X86_64['32'])
      hint =
        ': the target lies above 4 GiB; compile with -mcmodel=kernel (top 2 GiB), -mcmodel=large or -fPIE';
    else if (r.type === R_X86_64['32S'])
      hint =
        ': R_X86_64_32S reaches only the low and the top 2 GiB (the -mcmodel=kernel range); use -mcmodel=large or -fPIE for this address';
    else if (r.type === R_X86_64.PC32 || r.type === R_X86_64.PLT32)
      hint = ': the target is more than 2 GiB away';
    return `${where}: ${name} out of range against \`${target.name}' (value 0x${problem.value.toString(16)} does not fit in ${problem.signed ? 'signed ' : ''}${problem.bits} bits)${hint}`;
  }

  private report(): void {
    const messages: string[] = [];
    for (const [name, refs] of this.undefinedRefs) {
      const shown = refs.slice(0, 10).map((r) => `>>> referenced by ${r}`);
      if (refs.length > 10) shown.push(`>>> referenced ${refs.length - 10} more times`);
      messages.push(`undefined symbol: ${name}\n${shown.join('\n')}`);
    }
    messages.push(...this.errors.slice(0, 50));
    if (this.errors.length > 50) messages.push(`(${this.errors.length - 50} more relocation errors)`);
    if (messages.length > 0) throw new UserError(messages.join('\n'));
  }
}

/** The address read as a signed 64-bit number, when a double holds it exactly. */
function exactSigned(value: bigint): number | undefined {
  const signed = BigInt.asIntN(64, value);
  return signed >= -9007199254740991n && signed <= 9007199254740991n ? Number(signed) : undefined;
}

function writeData(bytes: Uint8Array, at: number, size: number, value: bigint): void {
  for (let i = 0; i < size; i++) bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/** ld's fill expression: the value's significant bytes, big-endian, repeated (0x90 → 90 90 90...). */
function fillPattern(bytes: Uint8Array, fill: bigint): void {
  const pattern: number[] = [];
  let v = fill;
  while (v > 0n) {
    pattern.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  const width = pattern.length <= 1 ? 1 : pattern.length <= 2 ? 2 : pattern.length <= 4 ? 4 : 8;
  while (pattern.length < width) pattern.unshift(0);
  for (let i = 0; i < bytes.length; i++) bytes[i] = pattern[i % width]!;
}

/**
 * Output section contents before relocation: input bytes at their offsets, gaps in code filled with NOPs (or the
 * script's fill), BYTE/LONG/... data written. `-r` output stops here: its relocations stay relocations.
 */
export function copyContents(
  sections: OutputSection[],
  fillCode: (bytes: Uint8Array, start: number, end: number) => void = fillWithNops,
): Map<OutputSection, Uint8Array> {
  const contents = new Map<OutputSection, Uint8Array>();
  for (const section of sections) {
    if (section.type === SHT_NOBITS) continue;
    const bytes = new Uint8Array(Number(section.size));
    const explicitFill = section.fill !== undefined && section.fill !== 0n;
    if (explicitFill) fillPattern(bytes, section.fill!);
    let end = 0;
    for (const input of section.inputs) {
      if (input.type === SHT_NOBITS || !input.live) continue;
      const at = Number(input.outputOffset);
      if (explicitFill) bytes.fill(0, at, at + input.size);
      // ld pads code with the longest x86 NOPs (bfd_arch_i386_fill) unless the script sets a fill.
      else if (section.fill === undefined && section.flags & SHF_EXECINSTR && at > end)
        fillCode(bytes, end, at);
      bytes.set(input.data.subarray(0, input.size), at);
      writeCieLinks(input, bytes);
      end = Math.max(end, at + input.size);
    }
    if (!explicitFill && section.fill === undefined && section.flags & SHF_EXECINSTR && end < bytes.length)
      fillCode(bytes, end, bytes.length);
    for (const d of section.data) writeData(bytes, Number(d.offset), d.size, d.value);
    contents.set(section, bytes);
  }
  return contents;
}
