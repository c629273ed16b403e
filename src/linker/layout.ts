/**
 * Pass 4: assign addresses. Walks the statement list with the location counter exactly like ld's
 * lang_size_sections, evaluating script expressions as it goes. Expressions may refer forward (SIZEOF(.bss) before
 * .bss), so the walk repeats until no address changes, then a final walk reports what is still undefined.
 */
import {
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHF_STRINGS,
  SHF_TLS,
  SHF_WRITE,
  SHT_NOBITS,
  SHT_FINI_ARRAY,
  SHT_INIT_ARRAY,
  SHT_PREINIT_ARRAY,
  SHT_PROGBITS,
} from '../elf/constants.js';
import { UserError } from '../errors.js';
import type { SectionMapping } from './mapping.js';
import type { GlobalSymbol, InputSection, OutputSection } from './model.js';
import type { AssertStatement, Assignment, Expression, LinkerScript, SourceLocation } from './script/ast.js';

const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);

export interface LayoutOptions {
  maxPageSize: bigint;
  commonPageSize: bigint;
  /** ELF header + program headers size for SIZEOF_HEADERS (updated by the caller between rounds). */
  sizeOfHeaders: bigint;
  /** -z relro (ld's default): DATA_SEGMENT_RELRO_END moves the data segment so RELRO ends on a page. */
  relro?: boolean;
  /**
   * Whether an `.eh_frame` output section had input to edit. ld then sizes the sections again and, with RELRO on
   * but nothing in it, starts the data segment on a max-page boundary (measured on ld 2.40).
   */
  ehFrameInput?: boolean;
  /** `-r`: orphan output sections start at this address (ld's lang_insert_orphan gives them 0), not at `.`. */
  orphanAddress?: bigint;
  /** `-Ttext-segment=ADDR` and friends: SEGMENT_START's value per segment name instead of its default. */
  segmentStarts?: ReadonlyMap<string, bigint>;
}

/** The PT_GNU_RELRO range the layout made: from its first section to the page RELRO ends on. */
export interface RelroRange {
  start: bigint;
  end: bigint;
}

export interface LayoutResult {
  /** Output sections that survive (non-empty or kept by assignments), in statement order. */
  sections: OutputSection[];
}

interface Value {
  value: bigint;
  /** Set when the value is an address in this output section (ld's "section-relative" value). */
  section?: OutputSection;
  /** `.` outside a section: relative to whichever section the address ends up in. */
  dot?: boolean;
  /** An absolute address (LOADADDR, ABSOLUTE, ORIGIN, absolute symbols) as opposed to a plain number. */
  abs?: boolean;
}

const MASK64 = (1n << 64n) - 1n;
// Values already in range (nearly all) are returned as they are: `&` would allocate a new bigint every time.
const wrap = (v: bigint) => (v >= 0n && v <= MASK64 ? v : v & MASK64);

export function alignUp(value: bigint, align: bigint): bigint {
  if (align <= 1n) return value;
  return wrap((value + align - 1n) & ~(align - 1n));
}

export class Layout {
  private dot = 0n;
  private current?: OutputSection;
  private lastAlloc?: OutputSection;
  /** ld's region->last_os: per memory region (`*default*` without one), the section later LMAs follow. */
  private lastInRegion = new Map<string, OutputSection>();
  /** Top-level assignments whose next output section follows the assignment to `_end`. */
  private beforeAfterEnd = new Set<Assignment>();
  /** The previous section statement's `> REGION` and (own or inherited) load region. */
  private previousRegions?: { region?: string; loadRegion?: string };
  private final = false;
  /** The script evaluated SIZEOF_HEADERS: like ld, the headers are then loaded with the first segment. */
  usedSizeOfHeaders = false;
  /** DATA_SEGMENT_ALIGN's value in the last walk, before any RELRO adjustment. */
  private segmentBase?: bigint;
  /** DATA_SEGMENT_ALIGN's page-aligned part (ALIGN(maxpagesize)) in the last walk. */
  private segmentAligned?: bigint;
  /** What DATA_SEGMENT_ALIGN gives once ld decides to save a page (its exp_seg_adjust phase), and the page. */
  private segmentSaving?: { base: bigint; commonPage: bigint };
  /** DATA_SEGMENT_END's argument in the last walk. */
  private segmentEnd?: bigint;
  /** DATA_SEGMENT_RELRO_END's (offset, expression) in the last walk. */
  private relroMark?: { offset: bigint; end: bigint };
  /** The data segment start chosen so RELRO ends on a page (ld's exp_seg_relro_adjust phase). */
  private adjustedBase?: bigint;
  relroRange?: RelroRange;
  private changed = false;
  /** Symbols assigned by the script in the walk under way. */
  private assignedThisPass = new Set<string>();
  /**
   * What each assignment, ASSERT and data statement came to in the last walk (for the map file): the value (the
   * new `.` for assignments to it), the address of a data statement, or `provided: false` for a PROVIDE ld skipped.
   */
  readonly trace = new Map<object, { value: bigint; address?: bigint; provided: boolean }>();
  /** `.` was assigned outside sections since the last output section (ld's section_for_dot then looks ahead). */
  private dotMovedSinceSection = false;
  private readonly memoryCursor = new Map<string, bigint>();

  constructor(
    private readonly script: LinkerScript,
    private readonly mapping: SectionMapping,
    private readonly symbols: Map<string, GlobalSymbol>,
    private readonly options: LayoutOptions,
    /** Names the script reads (so PROVIDE defines them). */
    private readonly scriptReferences: Set<string>,
  ) {}

  run(defsyms: Assignment[]): LayoutResult {
    this.converge(defsyms);
    // With nothing to move for RELRO, ld still tries to save a data page (lang_size_segment).
    if ((this.options.relro !== false && this.adjustRelro()) || this.saveDataPage()) this.converge(defsyms);
    this.final = true;
    this.walk(defsyms);
    return { sections: this.keptSections() };
  }

  private converge(defsyms: Assignment[]): void {
    for (let round = 0; round < 10; round++) {
      this.changed = false;
      this.walk(defsyms);
      if (!this.changed && round > 0) break;
    }
  }

  /**
   * ld's lang_size_relro_segment: move the sections between DATA_SEGMENT_ALIGN and DATA_SEGMENT_RELRO_END up, last
   * first and each within its alignment, so that the RELRO part ends (offset bytes into what follows) on a
   * common-page boundary; the data segment then starts at the first of them. No RELRO sections: nothing moves.
   */
  private adjustRelro(): boolean {
    const base = this.segmentBase;
    const mark = this.relroMark;
    if (base === undefined || !mark) return false;
    // ld 2.40 ends RELRO on a max-page boundary (its relropagesize), so no page holds RELRO and data together.
    const page = this.options.maxPageSize;
    const inRelro = this.keptSections().filter(
      (s) => s.flags & SHF_ALLOC && s.address >= base && s.address < mark.end,
    );
    if (inRelro.length === 0 && !this.options.ehFrameInput) return false;
    // Only the head of `.got.plt` (the RELRO_END offset) is RELRO: in the second sizing (see ehFrameInput) ld moves
    // the segment so that head ends a page.
    if (inRelro.length === 0 && mark.offset > 0n) {
      const relroEnd = alignUp(mark.end + mark.offset, page);
      if (relroEnd - mark.offset < base) return false;
      this.adjustedBase = relroEnd - mark.offset;
      this.relroRange = { start: this.adjustedBase, end: relroEnd };
      return true;
    }
    if (inRelro.length === 0) {
      if (this.segmentAligned === undefined) return false;
      this.adjustedBase = this.segmentAligned;
      return true;
    }
    const relroEnd = alignUp(mark.end + mark.offset, page);
    let desired = relroEnd - mark.offset;
    for (const s of [...inRelro].reverse()) {
      const size = s.flags & SHF_TLS && s.type === SHT_NOBITS ? 0n : s.size;
      const start = (desired - size) & ~(BigInt(s.align) - 1n);
      desired = start;
    }
    if (desired < base) return false;
    this.adjustedBase = desired;
    this.relroRange = { start: desired, end: relroEnd };
    return true;
  }

  /**
   * ld's lang_size_segment (no RELRO): when the data segment's first and last partial common pages together fit
   * in one page, it starts the segment at (. + commonpage - 1) & (maxpage - commonpage) past the max-page boundary
   * instead, saving a page of the file.
   */
  private saveDataPage(): boolean {
    const base = this.segmentBase;
    const end = this.segmentEnd;
    const saving = this.segmentSaving;
    if (base === undefined || end === undefined || !saving) return false;
    const page = saving.commonPage;
    const first = -base & (page - 1n);
    const last = end & (page - 1n);
    if (first === 0n || last === 0n || (base & ~(page - 1n)) === (end & ~(page - 1n)) || first + last > page)
      return false;
    this.adjustedBase = saving.base;
    return true;
  }

  get allOutputSections(): OutputSection[] {
    return this.allSections;
  }

  private get allSections(): OutputSection[] {
    return this.mapping.items.flatMap((item) => (item.kind === 'section' ? [item.section] : []));
  }

  keptSections(): OutputSection[] {
    const list: OutputSection[] = [];
    for (const item of this.mapping.items)
      if (item.kind === 'section' && isKept(item.section)) list.push(item.section);
    return list;
  }

  setSizeOfHeaders(size: bigint): void {
    this.options.sizeOfHeaders = size;
  }

  private walk(defsyms: Assignment[]): void {
    this.dot = 0n;
    this.current = undefined;
    this.lastAlloc = undefined;
    this.lastInRegion.clear();
    this.previousRegions = undefined;
    this.assignedThisPass.clear();
    this.memoryCursor.clear();
    for (const region of this.script.memory) {
      const origin = this.evaluate(region.origin).value;
      this.memoryCursor.set(region.name, origin);
      this.trace.set(region.origin, { value: origin, provided: true });
      this.trace.set(region.length, { value: this.evaluate(region.length).value, provided: true });
    }
    for (const statement of this.script.globals) this.statement(statement);
    for (const statement of defsyms) this.statement(statement);
    this.markAfterEnd();
    for (const item of this.mapping.items) {
      if (item.kind === 'statement') this.statement(item.statement);
      else this.placeSection(item.section);
    }
  }

  /**
   * ld's section_for_dot prefers the next output section after an assignment to `.`, except when that section comes
   * after the script's assignment to `_end` (os->after_end): assignments before it then stay with the previous one.
   */
  private markAfterEnd(): void {
    this.beforeAfterEnd.clear();
    let pending: Assignment[] = [];
    let endSeen = false;
    for (const item of this.mapping.items) {
      if (item.kind === 'statement') {
        if (item.statement.kind !== 'assignment') continue;
        pending.push(item.statement);
        if (item.statement.target === '_end') endSeen = true;
      } else if (isKept(item.section)) {
        if (endSeen) for (const a of pending) this.beforeAfterEnd.add(a);
        pending = [];
      }
    }
  }

  private statement(statement: Assignment | AssertStatement): void {
    if (statement.kind === 'assert') {
      const value = this.evaluate(statement.condition).value;
      this.trace.set(statement, { value, provided: true });
      if (this.final && value === 0n) {
        throw new UserError(`${at(statement.location)}: ASSERT failed: ${statement.message}`);
      }
      return;
    }
    this.assign(statement);
  }

  private assign(a: Assignment): void {
    if (a.target === '.') {
      let next = this.evaluate(a.value);
      if (a.operator !== '=') {
        next = this.binaryValue(a.operator.slice(0, -1), this.dotValue(), next, a.location);
        // `. += n` moves from `.` itself: a number result is the new offset only as far as `.`'s own is added.
        if (this.current && next.section === undefined && !next.abs)
          next = { value: wrap(this.current.address + next.value), section: this.current };
      }
      let address = next.value;
      if (this.current && next.section === undefined && !next.abs && a.operator === '=')
        address = wrap(this.current.address + next.value);
      if (this.current && address < this.dot) {
        throw new UserError(
          `${at(a.location)}: cannot move location counter backwards (from 0x${this.dot.toString(16)} to 0x${address.toString(16)}) in ${this.current.name}`,
        );
      }
      this.dot = address;
      this.trace.set(a, { value: address, provided: true });
      if (!this.current) this.dotMovedSinceSection = true;
      return;
    }
    const symbol = this.symbols.get(a.target);
    if (a.provide !== 'none') {
      const wanted =
        symbol !== undefined &&
        !symbol.definition &&
        (symbol.referenced || symbol.weak || symbol.scriptDefined || this.scriptReferences.has(a.target));
      const wantedByScript = symbol === undefined && this.scriptReferences.has(a.target);
      if (!wanted && !wantedByScript) {
        this.trace.set(a, { value: 0n, provided: false });
        return;
      }
    }
    // A plain script assignment overrides an object's definition, as in ld.
    let value = this.evaluate(a.value);
    if (a.operator !== '=') {
      const old = this.symbolValue(a.target, a.location);
      value = {
        value: binary(a.operator.slice(0, -1), old.value, value.value, a.location),
        section: old.section ?? value.section,
      };
    }
    // Inside an output section a plain number is an offset from the section's start (ld without SANE_EXPR).
    if (this.current && value.section === undefined && !value.abs)
      value = { value: wrap(this.current.address + value.value), section: this.current };
    const target = symbol ?? this.newSymbol(a.target);
    target.scriptDefined = true;
    target.definition = undefined;
    // ld copies the symbol type from the one symbol an expression names (`alias = func;`, `end = _end + 4`).
    const source = onlySymbolIn(a.value);
    const from = source !== undefined ? this.symbols.get(source) : undefined;
    target.scriptType = from ? (from.definition?.type ?? from.scriptType) : undefined;
    if (a.hidden) target.hidden = true;
    if (target.address !== value.value) this.changed = true;
    target.address = value.value;
    this.trace.set(a, { value: value.value, provided: true });
    target.outputSection = value.section;
    target.dotRelative = value.dot && value.section ? this.allSections : undefined;
    target.dotAddress = value.dot && value.section ? this.dot : undefined;
    target.dotFollows =
      (this.dotMovedSinceSection && !this.beforeAfterEnd.has(a)) || this.lastAlloc === undefined;
    this.assignedThisPass.add(a.target);
  }

  private newSymbol(name: string): GlobalSymbol {
    const symbol: GlobalSymbol = {
      name,
      weak: false,
      visibility: 0,
      scriptDefined: true,
      referenced: false,
      hidden: false,
    };
    this.symbols.set(name, symbol);
    return symbol;
  }

  /** Set while the assignments of an output section that is left out (empty) run: where it would have started. */
  private removedSectionStart?: bigint;

  private dotValue(): Value {
    // Before any output section, `.` is still section-relative in ld (to the section that follows).
    const section =
      this.current ?? this.lastAlloc ?? this.allSections.find((s) => (s.flags & SHF_ALLOC) !== 0);
    return { value: this.dot, section, dot: this.current === undefined };
  }

  /**
   * bfd's _bfd_elf_tls_setup: the first of a run of TLS output sections takes the largest alignment in the run, so
   * the TLS segment (and the thread pointer's distance to it) starts aligned. 1 for the other sections of the run.
   */
  private tlsRunAlign(section: OutputSection): number {
    const all = this.allSections;
    const index = all.indexOf(section);
    for (let j = index - 1; j >= 0; j--) {
      if (!isKept(all[j]!)) continue;
      if (all[j]!.flags & SHF_TLS) return 1;
      break;
    }
    let align = 1;
    for (let j = index + 1; j < all.length; j++) {
      const next = all[j]!;
      if (!isKept(next)) continue;
      computeKind(next);
      if (!(next.flags & SHF_TLS)) break;
      align = Math.max(align, next.align);
    }
    return align;
  }

  private placeSection(section: OutputSection): void {
    const statement = section.statement;
    // ld's lang_leave_output_section_statement: without AT, AT> or an address, a section in the same region as the
    // statement before it takes that one's load region too (`.bss > ram` after `.data > ram AT> rom`).
    let loadRegion = statement?.loadRegion;
    if (
      !loadRegion &&
      !statement?.loadAddress &&
      !statement?.address &&
      this.previousRegions?.region === statement?.region
    )
      loadRegion = this.previousRegions?.loadRegion;
    this.previousRegions = { region: statement?.region, loadRegion };
    computeKind(section);
    if (!isKept(section)) {
      // A removed section's assignments still run (ld defines __preinit_array_start etc. at the current dot).
      this.removedSectionStart = this.dot;
      this.trace.set(section, { value: this.dot, provided: true });
      for (const content of section.contents)
        if (content.kind === 'assignment' || content.kind === 'assert') this.statement(content);
      this.removedSectionStart = undefined;
      return;
    }
    if (section.flags & SHF_TLS) section.align = Math.max(section.align, this.tlsRunAlign(section));
    // SUBALIGN replaces every input section's alignment where they are placed (below), but the output section keeps
    // the largest of the inputs' own alignments and the SUBALIGN value (ld merges both into it).
    const subalign = statement?.subalign ? this.evaluate(statement.subalign).value : undefined;
    const inputAlign =
      subalign !== undefined && subalign > BigInt(section.align) ? subalign : BigInt(section.align);
    const explicitAlign = statement?.align ? this.evaluate(statement.align).value : 1n;
    const align = explicitAlign > inputAlign ? explicitAlign : inputAlign;
    section.align = Number(align);
    const alloc = (section.flags & SHF_ALLOC) !== 0;
    // Without `> REGION`, ld picks the first MEMORY region whose attributes fit the section (lang_memory_default).
    const region =
      statement?.region ?? (alloc && !statement?.address ? this.defaultRegion(section) : undefined);
    const regionKey = region ?? '*default*';
    let address: bigint;
    if (statement?.address) address = this.evaluate(statement.address).value;
    else if (!alloc) address = 0n;
    else if (section.orphan && this.options.orphanAddress !== undefined) address = this.options.orphanAddress;
    else if (region) {
      if (!this.memoryCursor.has(region))
        throw new UserError(`${at(statement!.location)}: memory region ${region} is not defined`);
      address = alignUp(this.memoryCursor.get(region)!, align);
    } else address = alignUp(this.dot, align);
    if (statement?.address && statement.align) address = alignUp(address, explicitAlign);
    // At an address the script gives, the section keeps only the alignment that address has (ld's header says so).
    if (statement?.address && address !== 0n) {
      const addressAlign = address & -address;
      if (addressAlign < align) section.align = Number(addressAlign);
    }
    if (section.address !== address) this.changed = true;
    section.address = address;

    // Load address: AT(), AT>region, else keep the previous section's VMA-LMA difference (ld's heuristic).
    let load = address;
    if (statement?.loadAddress) load = this.evaluate(statement.loadAddress).value;
    else if (loadRegion) {
      const cursor = this.memoryCursor.get(loadRegion);
      if (cursor === undefined)
        throw new UserError(
          `${statement ? at(statement.location) : section.name}: memory region ${loadRegion} is not defined`,
        );
      load = cursor; // ld does not align the LMA inside an AT> region
    } else if (alloc && !statement?.address && this.lastInRegion.has(regionKey)) {
      const last = this.lastInRegion.get(regionKey)!;
      load = wrap(address + last.loadAddress - last.address);
    }
    section.loadAddress = load;

    const savedDot = this.dot;
    this.current = section;
    this.dot = address;
    section.data = [];
    for (const content of section.contents) {
      switch (content.kind) {
        case 'inputs':
          for (const input of content.sections) {
            if (!input.live) continue;
            const a = subalign ?? BigInt(input.align);
            this.dot = alignUp(this.dot, a);
            const offset = this.dot - address;
            if (input.outputOffset !== offset || input.output !== section) this.changed = true;
            input.output = section;
            input.outputOffset = offset;
            this.dot += BigInt(input.size);
          }
          break;
        case 'data': {
          const value = this.evaluate(content.value).value;
          this.trace.set(content, { value, address: this.dot, provided: true });
          section.data.push({ offset: this.dot - address, size: content.size, value });
          this.dot += BigInt(content.size);
          break;
        }
        case 'fill':
          section.fill = this.evaluate(content.value).value;
          break;
        case 'assert':
        case 'assignment':
          this.statement(content);
          break;
      }
    }
    if (statement?.fill) section.fill = this.evaluate(statement.fill).value;
    const size = this.dot - address;
    if (section.size !== size) this.changed = true;
    section.size = size;
    this.current = undefined;
    this.dotMovedSinceSection = false;
    if (section.onlyAssignments && size === 0n) {
      // `.` never moved: ld never set SEC_ALLOC (the section keeps its address but is in no segment).
      section.flags &= ~SHF_ALLOC;
      section.type = SHT_PROGBITS;
      return;
    }
    if (alloc) {
      // .tbss takes no address space outside the TLS template (ld: ".tbss sections effectively have zero size").
      this.dot = section.flags & SHF_TLS && section.type === SHT_NOBITS ? address : address + size;
      this.lastAlloc = section;
      // ld tracks a section (not one with AT>) once it has a size, an LMA of its own, or follows the region's last.
      const last = this.lastInRegion.get(regionKey);
      if (!loadRegion && (size !== 0n || (last ? this.dot >= last.address : load !== address)))
        this.lastInRegion.set(regionKey, section);
      if (region) this.memoryCursor.set(region, address + size);
      if (loadRegion) this.memoryCursor.set(loadRegion, load + (section.type === SHT_NOBITS ? 0n : size));
    } else this.dot = savedDot;
  }

  private defaultRegion(section: OutputSection): string | undefined {
    const kinds = new Set<string>(['a']);
    if (section.flags & SHF_WRITE) kinds.add('w');
    else kinds.add('r');
    if (section.flags & SHF_EXECINSTR) kinds.add('x');
    if (section.type !== SHT_NOBITS) {
      kinds.add('i');
      kinds.add('l');
    }
    for (const region of this.script.memory) {
      const wanted = new Set<string>();
      const refused = new Set<string>();
      let negate = false;
      for (const ch of region.attributes.toLowerCase()) {
        if (ch === '!') negate = true;
        else (negate ? refused : wanted).add(ch);
      }
      const any = [...kinds].some((k) => wanted.has(k));
      const blocked = [...kinds].some((k) => refused.has(k));
      if (any && !blocked) return region.name;
    }
    return undefined;
  }

  // ---- expressions -------------------------------------------------------------------------------------------

  evaluate(e: Expression): Value {
    switch (e.kind) {
      case 'number':
        return { value: wrap(e.value) };
      case 'dot':
        return this.dotValue();
      case 'symbol':
        return this.symbolValue(e.name, e.location);
      case 'unary': {
        const v = this.evaluate(e.operand).value;
        if (e.operator === '-') return { value: wrap(-v) };
        if (e.operator === '~') return { value: wrap(~v) };
        return { value: v === 0n ? 1n : 0n };
      }
      case 'conditional':
        return this.evaluate(e.condition).value !== 0n ? this.evaluate(e.then) : this.evaluate(e.otherwise);
      case 'binary':
        return this.binaryValue(e.operator, this.evaluate(e.left), this.evaluate(e.right), e.location);
      case 'call':
        return this.call(e);
    }
  }

  /** A binary operator's value and section, by ld's rules for relative and absolute operands. */
  private binaryValue(operator: string, left: Value, right: Value, location: SourceLocation): Value {
    // ld compares a relative address with a number by its offset in its section (the default script's
    // `ALIGN(. != 0 ? 8 : 1)` in .bss tests whether .bss holds anything, not whether `.` is 0).
    if (COMPARISONS.has(operator) && (this.current || this.removedSectionStart !== undefined)) {
      // In a section left out for being empty, `.` is still at offset 0 of it.
      const start = (v: Value) =>
        this.current ? v.section!.address : v.dot ? this.removedSectionStart! : undefined;
      const plain = (v: Value) => v.section === undefined && !v.abs;
      const leftStart = left.section && plain(right) ? start(left) : undefined;
      const rightStart = right.section && plain(left) ? start(right) : undefined;
      if (leftStart !== undefined) left = { value: left.value - leftStart };
      else if (rightStart !== undefined) right = { value: right.value - rightStart };
    }
    const arithmetic = !COMPARISONS.has(operator) && operator !== '&&' && operator !== '||';
    if (arithmetic && this.current && left.section === this.current && right.section === this.current) {
      // ld's fold_binary inside an output section, on two addresses relative to it: it works on their offsets
      // and gives a number (`. += size` with `size` set relative to the section earlier in it).
      const base = this.current.address;
      return { value: binary(operator, left.value - base, right.value - base, location) };
    }
    const value = binary(operator, left.value, right.value, location);
    let section: OutputSection | undefined;
    // ld: an operation on one relative address and a number is relative to that address's section (`0x5000 - .`,
    // `. / 2`); two relative addresses give a number, except that `+` keeps the first one's section.
    if (COMPARISONS.has(operator) || operator === '&&' || operator === '||') section = undefined;
    else if (operator === '+') section = left.section ?? right.section;
    else if (!left.section !== !right.section) section = left.section ?? right.section;
    const dot = section !== undefined && (section === left.section ? left.dot : right.dot);
    // Outside output sections ld makes arithmetic on a symbol's or section's address absolute
    // (`--defsym a=sym+4`, `end = ADDR(.text) + 4`); only `.`-based values keep their section.
    if (section !== undefined && !dot && !this.current && this.removedSectionStart === undefined)
      return { value, abs: true };
    // Inside an output section two absolute addresses give a plain number (`ORIGIN(r) - ABSOLUTE(.)`).
    const abs =
      section === undefined &&
      (left.abs || right.abs) &&
      !(this.current && left.abs && right.abs) &&
      !COMPARISONS.has(operator) &&
      operator !== '&&' &&
      operator !== '||';
    return { value, section, dot, abs };
  }

  private symbolValue(name: string, location: SourceLocation): Value {
    const symbol = this.symbols.get(name);
    // ld's fold_name: inside an output section an absolute symbol reads as a plain number (so `x = abs + 1` and
    // `. = abs` there are relative to the section, as numbers are).
    const abs = this.current === undefined;
    if (symbol) {
      if (symbol.scriptDefined && symbol.address !== undefined)
        return {
          value: symbol.address,
          section: symbol.outputSection,
          abs: symbol.outputSection === undefined && abs,
        };
      const d = symbol.definition;
      if (d) {
        if (!d.section) return { value: d.value, abs };
        const v = definitionAddress(d.section, d.value);
        return { value: v, section: d.section.output };
      }
    }
    if (this.final)
      throw new UserError(`${at(location)}: undefined symbol \`${name}' referenced in expression`);
    this.changed = true;
    return { value: 0n };
  }

  private section(name: string | undefined, location: SourceLocation, fn: string): OutputSection | undefined {
    const section = this.mapping.byName.get(name ?? '');
    if (!section) {
      if (this.final || fn === 'ADDR' || fn === 'LOADADDR')
        throw new UserError(`${at(location)}: undefined section \`${name}' referenced in ${fn}`);
      return undefined;
    }
    return section;
  }

  private call(e: Extract<Expression, { kind: 'call' }>): Value {
    const args = () => e.args.map((a) => this.evaluate(a));
    switch (e.function) {
      case 'ALIGN':
      case 'BLOCK':
      case 'NEXT': {
        const v = args();
        if (v.length === 1) return { ...this.dotValue(), value: alignUp(this.dot, v[0]!.value) };
        if (v.length === 2) return { value: alignUp(v[0]!.value, v[1]!.value) };
        break;
      }
      case 'ADDR': {
        const s = this.section(e.name, e.location, 'ADDR');
        return { value: s?.address ?? 0n, section: s };
      }
      case 'LOADADDR':
        return { value: this.section(e.name, e.location, 'LOADADDR')?.loadAddress ?? 0n, abs: true };
      case 'SIZEOF': {
        const s = this.section(e.name, e.location, 'SIZEOF');
        return { value: s && isKept(s) ? s.size : 0n };
      }
      case 'ALIGNOF': {
        const s = this.section(e.name, e.location, 'ALIGNOF');
        return { value: s && isKept(s) ? BigInt(s.align) : 0n };
      }
      case 'CONSTANT':
        if (e.name === 'MAXPAGESIZE') return { value: this.options.maxPageSize };
        if (e.name === 'COMMONPAGESIZE') return { value: this.options.commonPageSize };
        throw new UserError(`${at(e.location)}: unknown constant ${e.name}`);
      case 'DEFINED': {
        const s = this.symbols.get(e.name ?? '');
        const defined =
          s !== undefined &&
          ((s.definition !== undefined && !s.scriptDefined) || this.assignedThisPass.has(e.name ?? ''));
        return { value: defined ? 1n : 0n };
      }
      case 'MAX':
      case 'MIN': {
        const [a, b] = args();
        if (!a || !b) break;
        // ld returns a plain number from MAX/MIN.
        return {
          value:
            e.function === 'MAX'
              ? a.value >= b.value
                ? a.value
                : b.value
              : a.value <= b.value
                ? a.value
                : b.value,
        };
      }
      case 'ABSOLUTE':
        return { value: args()[0]?.value ?? 0n, abs: true };
      case 'LOG2CEIL': {
        const v = args()[0]?.value ?? 0n;
        let n = 0n;
        while (1n << n < v) n++;
        return { value: n };
      }
      case 'SIZEOF_HEADERS':
        this.usedSizeOfHeaders = true;
        return { value: this.options.sizeOfHeaders };
      case 'SEGMENT_START': {
        const given =
          e.name !== undefined ? this.options.segmentStarts?.get(e.name.replace(/^"|"$/g, '')) : undefined;
        return { value: given ?? args()[0]?.value ?? 0n };
      }
      case 'DATA_SEGMENT_ALIGN': {
        const [max, common] = args();
        if (!max || !common) break;
        // ld first keeps the offset within the max page; lang_size_segment may later save a page (see above).
        const base = alignUp(this.dot, max.value);
        const initial = wrap(base + (this.dot & (max.value - 1n)));
        if (this.adjustedBase === undefined) {
          this.segmentBase = initial;
          this.segmentAligned = base;
          this.segmentSaving = {
            base:
              common.value < max.value
                ? wrap(base + ((this.dot + common.value - 1n) & (max.value - common.value)))
                : base,
            commonPage: common.value,
          };
        }
        return { value: this.adjustedBase ?? initial, section: this.lastAlloc };
      }
      case 'DATA_SEGMENT_END': {
        const end = args()[0] ?? { value: 0n };
        if (this.adjustedBase === undefined) this.segmentEnd = end.value;
        return end;
      }
      case 'DATA_SEGMENT_RELRO_END': {
        const [offset, end] = args();
        if (offset && end && this.adjustedBase === undefined)
          this.relroMark = { offset: offset.value, end: end.value };
        // Once the segment has moved (exp_seg_relro_adjust), ld rounds a RELRO end that still misses the page
        // (alignment kept the sections from reaching it) up, and `.` follows: a gap before `.got.plt`.
        if (offset && end && this.relroRange) {
          const page = this.options.maxPageSize;
          const relroEnd = end.value + offset.value;
          if (relroEnd & (page - 1n)) return { ...end, value: alignUp(relroEnd, page) - offset.value };
        }
        return end ?? { value: 0n };
      }
      case 'ORIGIN':
      case 'LENGTH': {
        const region = this.script.memory.find((r) => r.name === e.name);
        if (!region) throw new UserError(`${at(e.location)}: memory region ${e.name} is not defined`);
        return {
          value: this.evaluate(e.function === 'ORIGIN' ? region.origin : region.length).value,
          abs: e.function === 'ORIGIN',
        };
      }
      case 'ASSERT': {
        const v = args()[0] ?? { value: 0n };
        if (this.final && v.value === 0n) throw new UserError(`${at(e.location)}: ASSERT failed: ${e.name}`);
        return v;
      }
    }
    throw new UserError(`${at(e.location)}: unknown function or wrong arguments: ${e.function}(...)`);
  }
}

export function definitionAddress(section: InputSection, value: bigint): bigint {
  const merged = section.merged;
  if (merged) {
    const target = mergedLocation(section, Number(value));
    // A corrupt offset can land before the first piece of a dead section: it then has no address at all.
    return wrap((target.section.output?.address ?? 0n) + target.section.outputOffset + BigInt(target.offset));
  }
  if (!section.output) return value;
  return wrap(section.output.address + section.outputOffset + value);
}

/** Where input offset `offset` of a merged section ended up. */
export function mergedLocation(
  section: InputSection,
  offset: number,
): { section: InputSection; offset: number } {
  const merged = section.merged!;
  const starts = merged.starts;
  let lo = 0;
  let hi = starts.length - 1;
  if (hi < 0 || offset < starts[0]!) return { section, offset };
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  const target = merged.targets[lo]!;
  return { section: target.section, offset: target.offset + (offset - starts[lo]!) };
}

/**
 * A script's binary operator on two values, as ld computes it (64-bit wrap, unsigned comparisons); undefined for
 * a division by zero or an unknown operator. The map's constant folding uses it too.
 */
export function scriptBinary(operator: string, a: bigint, b: bigint): bigint | undefined {
  switch (operator) {
    case '+':
      return wrap(a + b);
    case '-':
      return wrap(a - b);
    case '*':
      return wrap(a * b);
    case '/':
      return b === 0n ? undefined : wrap(a / b);
    case '%':
      return b === 0n ? undefined : wrap(a % b);
    case '<<':
      return wrap(a << (b & 63n));
    case '>>':
      return wrap(a >> (b & 63n));
    case '&':
      return a & b;
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '==':
      return a === b ? 1n : 0n;
    case '!=':
      return a !== b ? 1n : 0n;
    // ld compares bfd_vma values: unsigned (`kernel_end > 0` holds for a higher-half address).
    case '<':
      return wrap(a) < wrap(b) ? 1n : 0n;
    case '>':
      return wrap(a) > wrap(b) ? 1n : 0n;
    case '<=':
      return wrap(a) <= wrap(b) ? 1n : 0n;
    case '>=':
      return wrap(a) >= wrap(b) ? 1n : 0n;
    case '&&':
      return a !== 0n && b !== 0n ? 1n : 0n;
    case '||':
      return a !== 0n || b !== 0n ? 1n : 0n;
  }
  return undefined;
}

function binary(operator: string, a: bigint, b: bigint, location: SourceLocation): bigint {
  const value = scriptBinary(operator, a, b);
  if (value !== undefined) return value;
  if ((operator === '/' || operator === '%') && b === 0n)
    throw new UserError(`${at(location)}: division by zero`);
  throw new UserError(`${at(location)}: unknown operator ${operator}`);
}

function at(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** Type, flags and alignment of an output section from its live inputs. */
function computeKind(section: OutputSection): void {
  let flags = 0;
  let align = 1;
  let progbits = false;
  let any = false;
  let firstType: number | undefined;
  let mergeFlags: number | undefined;
  let mergeEntsize = 0;
  for (const content of section.contents) {
    if (content.kind === 'data') progbits = true;
    if (content.kind !== 'inputs') continue;
    for (const input of content.sections) {
      if (!input.live) continue;
      any = true;
      // TLS, SHF_INFO_LINK (`.rela.plt`) and SHF_X86_64_LARGE carry over to the output section, as in ld.
      flags |= input.flags & (SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR | 0x40 | 0x400 | 0x10000000);
      // ld keeps SHF_MERGE and SHF_STRINGS only while every input has the same pair and, when mergeable, the same
      // entry size: `.rodata.str1.1` with `.rodata.cst2` makes a plain `.rodata`.
      const merge = input.flags & (SHF_MERGE | SHF_STRINGS);
      if (mergeFlags === undefined) {
        mergeFlags = merge;
        mergeEntsize = input.entsize;
      } else if (merge !== mergeFlags || (merge & SHF_MERGE && input.entsize !== mergeEntsize))
        mergeFlags = 0;
      if (input.align > align) align = input.align;
      firstType ??= input.type;
      if (input.type !== SHT_NOBITS) progbits = true;
    }
  }
  section.onlyAssignments = false;
  if (!any && section.keepEmpty) {
    // ld makes the output section at its first assignment (no flags: writable) or data statement (allocated,
    // loaded, read-only); data adds "allocated, with contents"; an assignment that moves `.` only "allocated".
    const creator = section.contents.find(
      (c) => c.kind === 'data' || c.kind === 'assignment' || c.kind === 'assert',
    );
    if (section.contents.some((c) => c.kind === 'data')) {
      flags = SHF_ALLOC | (creator?.kind === 'data' ? 0 : SHF_WRITE);
      progbits = true;
    } else {
      // Allocated (NOBITS) while `.` moves in it; placeSection takes SHF_ALLOC back when it stays empty.
      flags = SHF_ALLOC | SHF_WRITE;
      section.onlyAssignments = true;
    }
  }
  if (section.statement?.type === 'NOLOAD') progbits = false;
  if (
    section.statement?.type === 'INFO' ||
    section.statement?.type === 'COPY' ||
    section.statement?.type === 'DSECT'
  )
    flags &= ~SHF_ALLOC;
  // Like ld, an output section made only of mergeable inputs stays mergeable (`.comment` keeps "MS").
  if (any) flags |= mergeFlags ?? 0;
  section.flags = flags;
  section.align = align;
  // ld: an ABI section's name fixes its type; otherwise the first input's type is copied (a note after .rodata's
  // code stays PROGBITS, .init_array after .data stays INIT_ARRAY), and a NOBITS type with contents is PROGBITS.
  const type = abiSectionType(section.name) ?? firstType ?? SHT_PROGBITS;
  section.type = progbits ? (type === SHT_NOBITS ? SHT_PROGBITS : type) : SHT_NOBITS;
  section.hasAssignments = any;
  section.inputs = [];
  for (const content of section.contents)
    if (content.kind === 'inputs')
      for (const input of content.sections) if (input.live) section.inputs.push(input);
}

/** ld drops output sections whose live inputs are all empty unless the script puts data in them or moves `.`. */
/**
 * Types bfd gives a section by its name alone and keeps whatever its inputs are (its special-section table, less
 * the PROGBITS, NOTE and NOBITS entries an input's type replaces).
 */
function abiSectionType(name: string): number | undefined {
  const array = /^\.(init_array|fini_array|preinit_array)(\.|$)/.exec(name);
  if (array)
    return { init_array: SHT_INIT_ARRAY, fini_array: SHT_FINI_ARRAY, preinit_array: SHT_PREINIT_ARRAY }[
      array[1]!
    ];
  return undefined;
}

export function isKept(section: OutputSection): boolean {
  if (section.keepEmpty) return true;
  for (const content of section.contents) {
    if (content.kind !== 'inputs') continue;
    // ld keeps its empty PLT `.eh_frame` where the script names `.eh_frame`, not as an orphan
    for (const input of content.sections)
      if (input.live && (input.size > 0 || (input.keptEmpty && !section.orphan))) return true;
  }
  return false;
}

/** The name when an expression looks up exactly one symbol (ld's expld.assign_src), else undefined. */
function onlySymbolIn(e: Expression): string | undefined {
  const names: string[] = [];
  const visit = (x: Expression): void => {
    if (names.length > 1) return;
    switch (x.kind) {
      case 'symbol':
        // ld's assign_src: the same symbol named twice (`foo > 0 ? foo : 4`) is still the one source.
        if (names[0] !== x.name) names.push(x.name);
        break;
      case 'unary':
        visit(x.operand);
        break;
      case 'binary':
        visit(x.left);
        visit(x.right);
        break;
      case 'conditional':
        visit(x.condition);
        visit(x.then);
        visit(x.otherwise);
        break;
      case 'call':
        x.args.forEach(visit);
        break;
    }
  };
  visit(e);
  return names.length === 1 ? names[0] : undefined;
}
