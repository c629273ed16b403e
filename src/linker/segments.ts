/**
 * Pass 5: program headers and file offsets. With PHDRS the script says which output sections go in which
 * segment (`:name`, sticky like ld); without it segments are formed the way bfd's map_sections_to_segments does
 * (a new PT_LOAD when the load/virtual address relation changes, a page would be skipped, a loadable section
 * follows a NOBITS one in output that is not demand paged, code and non-code meet under -z separate-code, or
 * writable data follows read-only).
 * File offsets then follow bfd's rule: each PT_LOAD starts at an offset congruent to its address modulo the
 * maximum page size.
 */
import {
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  PT_GNU_EH_FRAME,
  PT_GNU_RELRO,
  PT_INTERP,
  PT_PHDR,
  PT_GNU_STACK,
  PT_GNU_PROPERTY,
  PT_LOAD,
  PT_NOTE,
  PT_TLS,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_TLS,
  SHF_WRITE,
  SHT_DYNAMIC,
  SHT_NOBITS,
  SHT_NOTE,
} from '../elf/constants.js';
import { UserError } from '../errors.js';
import type { OutputSection } from './model.js';
import type { PhdrDefinition } from './script/ast.js';

export interface Segment {
  type: number;
  flags: number;
  sections: OutputSection[];
  includesFileHeader: boolean;
  includesProgramHeaders: boolean;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
  /** Automatic layout: where the loaded headers start (page-aligned, below the first section). */
  headerVaddr?: bigint;
  /** Explicit p_paddr from PHDRS AT(). */
  at?: bigint;
  explicitFlags?: number;
  name?: string;
  /** PT_GNU_RELRO: the segment ends here (a page boundary), not at its last section's end. */
  fixedEnd?: bigint;
}

export interface SegmentPlan {
  segments: Segment[];
  /** Bytes of ELF header + program header table. */
  headerSize: number;
  /** The output class's ELF header and program header entry sizes. */
  headers: HeaderSizes;
}

/** ELF header and program header entry sizes: 64 and 56 for ELF64, 52 and 32 for ELF32. */
export interface HeaderSizes {
  ehdr: number;
  phdr: number;
}

export const ELF64_HEADERS: HeaderSizes = { ehdr: ELF64_EHDR_SIZE, phdr: ELF64_PHDR_SIZE };

export interface SegmentOptions {
  headers: HeaderSizes;
  maxPageSize: bigint;
  separateCode: boolean;
  /** The script used SIZEOF_HEADERS, so the ELF and program headers are loaded (bfd's load_phdrs). */
  loadHeaders: boolean;
  /** From the inputs' `.note.GNU-stack` sections (see LoadedInputs.stack). */
  stack: 'none' | 'exec' | 'noexec';
  /** The RELRO range the layout made (PT_GNU_RELRO), if any. */
  relro?: { start: bigint; end: bigint };
  /**
   * False for -N/-n (ld's omagic/nmagic: not demand paged): no segment breaks for writable or code sections and the
   * headers are not loaded; segments break only where addresses leave a page gap.
   */
  paged?: boolean;
  /** -z relro is on (bfd then counts a PT_GNU_RELRO when it estimates the headers' size, made or not). */
  relroEnabled?: boolean;
  /** --eh-frame-hdr: PT_GNU_EH_FRAME for `.eh_frame_hdr`. */
  ehFrameHdr?: boolean;
}

const isAlloc = (s: OutputSection) => (s.flags & SHF_ALLOC) !== 0;
const isLoadable = (s: OutputSection) => s.type !== SHT_NOBITS;

/** Sticky `:phdr` assignment: a section without one goes where the previous allocated section went. */
export function assignPhdrs(
  sections: OutputSection[],
  phdrs: PhdrDefinition[],
  /** Every output section in statement order, removed ones too: their `:phdr` still carries over (ld). */
  statementOrder: OutputSection[] = sections,
): void {
  let current: string[] = [];
  const kept = new Set(sections);
  for (const s of statementOrder) {
    if (!kept.has(s)) {
      const own = s.statement?.phdrs ?? [];
      if (own.length > 0) current = own.filter((p) => p !== 'NONE');
      if (own.includes('NONE')) current = [];
      continue;
    }
    if (!isAlloc(s)) {
      s.phdrs = [];
      continue;
    }
    const own = s.statement?.phdrs ?? [];
    if (own.length > 0) current = own.filter((p) => p !== 'NONE');
    if (own.includes('NONE')) current = [];
    // A NOLOAD section only joins a segment it names itself (ld does not carry the previous one over).
    s.phdrs = own.length === 0 && s.statement?.type === 'NOLOAD' ? [] : current;
    for (const name of s.phdrs)
      if (!phdrs.some((p) => p.name === name))
        throw new UserError(
          `${s.statement ? `${s.statement.location.file}:${s.statement.location.line}:${s.statement.location.column}: ` : ''}section ${s.name} is assigned to undefined program header :${name}`,
        );
  }
}

export function planSegmentsFromPhdrs(
  sections: OutputSection[],
  phdrs: PhdrDefinition[],
  evaluate: (e: PhdrDefinition) => { type: number; flags?: number; at?: bigint },
  headers: HeaderSizes = ELF64_HEADERS,
): SegmentPlan {
  const segments: Segment[] = phdrs.map((p) => {
    const { type, flags, at } = evaluate(p);
    return {
      type,
      flags: 0,
      explicitFlags: flags,
      at,
      sections: sections.filter((s) => s.phdrs.includes(p.name)),
      includesFileHeader: p.fileHeader,
      includesProgramHeaders: p.programHeaders,
      offset: 0,
      vaddr: 0n,
      paddr: 0n,
      filesz: 0n,
      memsz: 0n,
      align: 0n,
      name: p.name,
    };
  });
  return { segments, headerSize: headers.ehdr + segments.length * headers.phdr, headers };
}

export function planSegmentsAutomatically(sections: OutputSection[], options: SegmentOptions): SegmentPlan {
  const alloc = sections.filter(isAlloc).filter((s) => !(s.flags & SHF_TLS) || true);
  const sorted = alloc
    .map((s, i) => ({ s, i }))
    .sort((a, b) =>
      a.s.loadAddress < b.s.loadAddress ? -1 : a.s.loadAddress > b.s.loadAddress ? 1 : a.i - b.i,
    )
    .map((x) => x.s);
  const max = options.maxPageSize;
  const pageUp = (v: bigint) => (v + max - 1n) & ~(max - 1n);
  const loads: Segment[] = [];
  let current: OutputSection[] = [];
  let writable = false;
  let executable = false;
  let last: OutputSection | undefined;
  const flush = () => {
    if (current.length > 0) loads.push(newSegment(PT_LOAD, current));
    current = [];
  };
  for (const s of sorted) {
    if (last) {
      const lastSize = last.flags & SHF_TLS && last.type === SHT_NOBITS ? 0n : last.size;
      let fresh = false;
      if (last.loadAddress - last.address !== s.loadAddress - s.address) fresh = true;
      else if (options.paged === false)
        // bfd for output that is not demand paged: only a skipped page or file contents after NOBITS break it.
        fresh =
          pageUp(last.loadAddress + lastSize) + max <= s.loadAddress || (!isLoadable(last) && isLoadable(s));
      // bfd: a new segment only when a whole page would be skipped (the next section may start mid-page). Demand
      // paged, file contents after NOBITS stay in its segment (ld 2.40 zero-fills the NOBITS part in the file).
      else if (pageUp(last.loadAddress + lastSize) + max <= s.loadAddress) fresh = true;
      else if (
        !samePage(last, lastSize, s, max) &&
        options.separateCode &&
        executable !== ((s.flags & SHF_EXECINSTR) !== 0)
      )
        fresh = true;
      else if (!samePage(last, lastSize, s, max) && !writable && (s.flags & SHF_WRITE) !== 0) fresh = true;
      if (fresh) {
        flush();
        writable = false;
        executable = false;
      }
    }
    current.push(s);
    if (s.flags & SHF_WRITE) writable = true;
    if (s.flags & SHF_EXECINSTR) executable = true;
    // .tbss occupies no address space here: the next section continues from the one before it (as in bfd).
    if (!(s.flags & SHF_TLS && s.type === SHT_NOBITS)) last = s;
  }
  flush();
  // A dynamic executable with an interpreter: PT_PHDR and PT_INTERP lead the table (bfd's order).
  const interp = sections.find((s) => isAlloc(s) && s.name === '.interp' && s.size > 0n);
  const leading: Segment[] = [];
  if (interp) {
    const phdr = newSegment(PT_PHDR, []);
    phdr.includesProgramHeaders = true;
    leading.push(phdr, newSegment(PT_INTERP, [interp]));
  }
  const segments: Segment[] = [...leading, ...loads];
  // Headers go in the first PT_LOAD when the first section leaves room for them on its page (bfd's rule).
  const extra: Segment[] = [];
  // PT_DYNAMIC for the dynamic section of -pie output (bfd puts it right after the PT_LOADs).
  const dynamic = sections.filter((s) => isAlloc(s) && s.type === SHT_DYNAMIC);
  if (dynamic.length > 0) extra.push(newSegment(PT_DYNAMIC, dynamic));
  // bfd: one PT_NOTE per run of consecutive notes with the same alignment, each starting where the last ends.
  let run: OutputSection[] = [];
  for (const s of sections) {
    if (!isAlloc(s) || s.type !== SHT_NOTE || s.size === 0n) {
      if (run.length > 0 && isAlloc(s) && s.size > 0n) {
        extra.push(newSegment(PT_NOTE, run));
        run = [];
      }
      continue;
    }
    const last = run[run.length - 1];
    const align = BigInt(s.align || 1);
    if (
      last &&
      (last.align !== s.align || (last.loadAddress + last.size + align - 1n) & -align) !== s.loadAddress
    ) {
      extra.push(newSegment(PT_NOTE, run));
      run = [];
    }
    run.push(s);
  }
  if (run.length > 0) extra.push(newSegment(PT_NOTE, run));
  const tls = sections.filter((s) => isAlloc(s) && s.flags & SHF_TLS);
  if (tls.length > 0) {
    const segment = newSegment(PT_TLS, tls);
    segment.explicitFlags = PF_R; // ld's PT_TLS is read-only: it is the template each thread copies
    extra.push(segment);
  }
  // bfd's PT_GNU_PROPERTY (after PT_TLS, before PT_GNU_EH_FRAME) for the merged `.note.gnu.property`.
  const property = sections.find((s) => isAlloc(s) && s.type === SHT_NOTE && s.name === '.note.gnu.property');
  if (property && property.size > 0n) {
    const segment = newSegment(PT_GNU_PROPERTY, [property]);
    segment.explicitFlags = PF_R;
    extra.push(segment);
  }
  const hdr = options.ehFrameHdr
    ? sections.find((s) => isAlloc(s) && s.name === '.eh_frame_hdr' && s.size > 0n)
    : undefined;
  if (hdr) {
    const segment = newSegment(PT_GNU_EH_FRAME, [hdr]);
    segment.explicitFlags = PF_R;
    extra.push(segment);
  }
  // ld writes PT_GNU_STACK only when at least one input has a .note.GNU-stack.
  if (options.stack !== 'none') {
    const stack = newSegment(PT_GNU_STACK, []);
    stack.explicitFlags = PF_R | PF_W | (options.stack === 'exec' ? PF_X : 0);
    stack.align = 16n;
    extra.push(stack);
  }
  // Not demand paged: bfd makes no PT_GNU_RELRO (the layout still moved the data for it).
  if (options.relro && options.paged !== false) {
    const { start, end } = options.relro;
    const relro = newSegment(
      PT_GNU_RELRO,
      sections.filter((s) => isAlloc(s) && s.address >= start && s.address < end),
    );
    if (relro.sections.length > 0) {
      relro.explicitFlags = PF_R;
      relro.fixedEnd = end;
      extra.push(relro);
    }
  }
  segments.push(...extra);
  const headers = options.headers;
  let headerSize = headers.ehdr + segments.length * headers.phdr;
  const first = loads[0];
  // PT_PHDR needs the headers loaded, whether the script used SIZEOF_HEADERS or not.
  const firstSection = first?.sections[0];
  // bfd's estimate of the headers' size counts a PT_GNU_RELRO whenever -z relro is on.
  const relroMade = segments.some((p) => p.type === PT_GNU_RELRO);
  const estimate = BigInt(headerSize + (options.relroEnabled !== false && !relroMade ? headers.phdr : 0));
  // bfd also loads them, for old scripts that do not use SIZEOF_HEADERS, when the first section's offset in its
  // page looks like room was left for them (ld's segment-map loop has settled on the real header count by then).
  const roomLeft =
    firstSection !== undefined &&
    (firstSection.loadAddress & (max - 1n)) >= (BigInt(headerSize) & (max - 1n));
  const size = options.loadHeaders || interp ? estimate : BigInt(headerSize);
  if (
    (options.loadHeaders || interp || roomLeft) &&
    options.paged !== false &&
    first &&
    firstSection &&
    first.type === PT_LOAD
  ) {
    // bfd: headers go on the page below the first section; with -z separate-code and code first, in a
    // PT_LOAD of their own.
    let phdrLma = (firstSection.loadAddress - size) & ~(max - 1n);
    let separate = false;
    if (options.separateCode && firstSection.flags & SHF_EXECINSTR) {
      separate = true;
      if (((phdrLma + size - 1n) & ~(max - 1n)) === (firstSection.loadAddress & ~(max - 1n))) {
        if (phdrLma >= max) phdrLma -= max;
        else separate = false;
      }
    }
    if (firstSection.loadAddress >= phdrLma && firstSection.loadAddress >= size) {
      if (separate) {
        const headerLoad = newSegment(PT_LOAD, []);
        headerLoad.includesFileHeader = headerLoad.includesProgramHeaders = true;
        headerLoad.headerVaddr = (firstSection.address - size) & ~(max - 1n);
        headerLoad.at = phdrLma;
        segments.splice(leading.length, 0, headerLoad);
        headerSize += headers.phdr;
      } else {
        first.includesFileHeader = first.includesProgramHeaders = true;
        first.headerVaddr = (firstSection.address - BigInt(headerSize)) & ~(max - 1n);
      }
    }
  }
  return { segments, headerSize, headers };
}

/** True when `next` starts on the page where `last` ends (bfd keeps such sections in one segment). */
function samePage(last: OutputSection, lastSize: bigint, next: OutputSection, max: bigint): boolean {
  const lastEnd = last.loadAddress + lastSize - 1n;
  return (lastEnd & ~(max - 1n)) === (next.loadAddress & ~(max - 1n));
}

function newSegment(type: number, sections: OutputSection[]): Segment {
  return {
    type,
    flags: 0,
    sections,
    includesFileHeader: false,
    includesProgramHeaders: false,
    offset: 0,
    vaddr: 0n,
    paddr: 0n,
    filesz: 0n,
    memsz: 0n,
    align: 0n,
  };
}

/**
 * Gives every output section a file offset and every segment its header values. Returns the end of the
 * allocated contents in the file.
 */
export function assignFileOffsets(
  plan: SegmentPlan,
  sections: OutputSection[],
  pageSize: bigint,
  /** -N/-n: each segment's file offset and alignment follow its sections' alignment, not the page size. */
  paged = true,
): number {
  let maxPageSize = pageSize;
  let max = Number(maxPageSize);
  let offset = plan.headerSize;
  const placed = new Set<OutputSection>();
  for (const segment of plan.segments) {
    if (segment.type !== PT_LOAD) continue;
    if (!paged) {
      maxPageSize = segment.sections.reduce((a, s) => (BigInt(s.align) > a ? BigInt(s.align) : a), 1n);
      max = Number(maxPageSize);
    }
    const first = segment.sections[0];
    const headerBytes = BigInt(
      segment.includesFileHeader
        ? plan.headerSize
        : segment.includesProgramHeaders
          ? plan.headerSize - plan.headers.ehdr
          : 0,
    );
    if (!first) {
      // bfd places a PT_LOAD without sections right after the program headers, whatever came before.
      segment.offset = segment.includesFileHeader ? 0 : plan.headerSize;
      segment.vaddr = segment.headerVaddr ?? segment.at ?? 0n;
      segment.paddr = segment.at ?? segment.vaddr;
      segment.filesz = segment.memsz = headerBytes;
      segment.align = maxPageSize;
      finishFlags(segment);
      continue;
    }
    // With the file header, bfd gives the first section the file offset its address has within a page, so the
    // segment starts on that page when the headers fit below the section, else on the page before (demand paged).
    const within = first.address % maxPageSize;
    const start =
      segment.headerVaddr ??
      (segment.includesFileHeader && within >= headerBytes
        ? first.address - within
        : segment.includesFileHeader && paged && first.address >= headerBytes
          ? (first.address - headerBytes) & ~(maxPageSize - 1n)
          : first.address - headerBytes);
    const offsetBefore = offset;
    if (segment.includesFileHeader) {
      if (first.address < headerBytes) {
        throw new UserError(
          `not enough room for program headers before section ${first.name}; move it up or drop FILEHDR`,
        );
      }
      segment.offset = 0;
      offset = Number(headerBytes);
    } else {
      const within = Number(((start % maxPageSize) + maxPageSize) % maxPageSize);
      const adjust = (within - (offset % max) + max) % max;
      offset += adjust;
      segment.offset = offset;
    }
    segment.vaddr = start;
    segment.paddr = segment.at ?? first.loadAddress - (first.address - start);
    if (segment.includesFileHeader) offset = Number(first.address - start);
    let fileEnd = headerBytes;
    let memEnd = headerBytes;
    for (const s of segment.sections) {
      if (s.address < start)
        throw new UserError(
          `section ${s.name} (0x${s.address.toString(16)}) lies below the start of its segment (0x${start.toString(16)}): sections of a segment must be in address order`,
        );
      const rel = s.address - start;
      if (!placed.has(s)) {
        // NOBITS takes no file space: bfd leaves its offset where the file contents stopped.
        s.fileOffset = segment.offset + Number(isLoadable(s) || rel < fileEnd ? rel : fileEnd);
        placed.add(s);
      }
      // .tbss adds nothing to a PT_LOAD, not even the padding before its aligned start (bfd skips it).
      if (s.flags & SHF_TLS && s.type === SHT_NOBITS) continue;
      const end = rel + s.size;
      if (isLoadable(s) && end > fileEnd) fileEnd = end;
      if (end > memEnd) memEnd = end;
    }
    segment.filesz = fileEnd;
    segment.memsz = memEnd;
    segment.align = maxPageSize;
    if (fileEnd === 0n && !segment.sections.some(isLoadable)) {
      // Nothing from the file (a .bss-only segment; an empty PROGBITS one still takes its aligned file offset): ld leaves the file position alone and gives p_offset only the
      // page offset that keeps it congruent with p_vaddr (0 for a page-aligned segment).
      segment.offset = Number(segment.vaddr % segment.align);
      offset = offsetBefore;
    } else offset = segment.offset + Number(fileEnd);
    finishFlags(segment);
  }
  // Allocated sections in no PT_LOAD still need offsets (ld keeps them congruent too).
  maxPageSize = paged ? pageSize : 1n;
  max = Number(maxPageSize);
  for (const s of sections) {
    if (!isAlloc(s) || placed.has(s)) continue;
    if (isLoadable(s)) {
      const within = Number(s.address % maxPageSize);
      offset += (within - (offset % max) + max) % max;
      s.fileOffset = offset;
      offset += Number(s.size);
    } else s.fileOffset = offset;
    placed.add(s);
  }
  for (const segment of plan.segments) {
    if (segment.type === PT_LOAD) continue;
    const first = segment.sections[0];
    if (!first && segment.includesProgramHeaders) {
      // PT_PHDR: the program header table where the PT_LOAD that holds it maps it.
      const holder = plan.segments.find((p) => p.type === PT_LOAD && p.includesProgramHeaders);
      const ehdr = plan.headers.ehdr;
      segment.offset = ehdr;
      segment.vaddr = (holder?.vaddr ?? 0n) + BigInt(holder?.includesFileHeader ? ehdr : 0);
      segment.paddr = segment.at ?? (holder?.paddr ?? 0n) + (segment.vaddr - (holder?.vaddr ?? 0n));
      segment.filesz = segment.memsz = BigInt(plan.headerSize - ehdr);
      // The table's alignment: an address's width.
      segment.align = ehdr === ELF64_EHDR_SIZE ? 8n : 4n;
      finishFlags(segment);
      continue;
    }
    if (!first) {
      segment.offset = 0;
      // ld gives an empty non-load segment 8-byte alignment (its own PT_GNU_STACK is preset to 16).
      segment.align = segment.align || 8n;
      finishFlags(segment);
      continue;
    }
    segment.offset = first.fileOffset;
    segment.vaddr = first.address;
    segment.paddr = segment.at ?? first.loadAddress;
    let fileEnd = 0n;
    let memEnd = 0n;
    let align = 1n;
    for (const s of segment.sections) {
      const end = s.address - first.address + s.size;
      if (isLoadable(s) && end > fileEnd) fileEnd = end;
      if (end > memEnd) memEnd = end;
      if (BigInt(s.align) > align) align = BigInt(s.align);
    }
    segment.filesz = fileEnd;
    segment.memsz = memEnd;
    if (segment.type === PT_TLS) {
      // bfd adds up a PT_TLS's sections (each aligned), so a .tbss placed before .tdata (TLS orphans after the
      // script's .bss) still counts in full, though .tdata starts at its address.
      let size = 0n;
      for (const s of segment.sections) {
        const a = BigInt(Math.max(1, s.align));
        size = ((size + a - 1n) / a) * a + s.size;
      }
      segment.memsz = size;
    }
    segment.align = align;
    if (segment.fixedEnd !== undefined) {
      segment.filesz = segment.memsz = segment.fixedEnd - first.address;
      segment.align = 1n;
      // bfd trims p_filesz back to the file contents of the PT_LOAD holding it (RELRO may end in .tbss padding).
      const load = plan.segments.find(
        (p) => p.type === PT_LOAD && p.vaddr <= first.address && first.address < p.vaddr + p.memsz,
      );
      if (load && segment.filesz > load.vaddr + load.filesz - first.address)
        segment.filesz = load.vaddr + load.filesz - first.address;
    }
    finishFlags(segment);
  }
  return offset;
}

function finishFlags(segment: Segment): void {
  if (segment.explicitFlags !== undefined) {
    segment.flags = segment.explicitFlags;
    return;
  }
  // bfd adds PF_R per section (or for loaded headers): a segment with neither (a script's PHDRS entry that got
  // nothing) has no flags at all.
  let flags =
    segment.sections.length === 0 && !segment.includesFileHeader && !segment.includesProgramHeaders
      ? 0
      : PF_R;
  for (const s of segment.sections) {
    if (s.flags & SHF_WRITE) flags |= PF_W;
    if (s.flags & SHF_EXECINSTR) flags |= PF_X;
  }
  segment.flags = flags;
}

/** Reports overlapping allocated sections (by VMA) and overlapping PT_LOAD file ranges, as ld does. */
export function checkOverlaps(sections: OutputSection[], segments: Segment[]): void {
  const alloc = sections
    .filter((s) => isAlloc(s) && s.size > 0n)
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  for (let i = 1; i < alloc.length; i++) {
    const a = alloc[i - 1]!;
    const b = alloc[i]!;
    if (a.flags & SHF_TLS || b.flags & SHF_TLS) continue;
    if (a.address + a.size > b.address) {
      throw new UserError(
        `section ${b.name} VMA [0x${b.address.toString(16)}, 0x${(b.address + b.size - 1n).toString(16)}] overlaps section ${a.name} VMA [0x${a.address.toString(16)}, 0x${(a.address + a.size - 1n).toString(16)}]`,
      );
    }
  }
  const loaded = sections
    .filter((s) => isAlloc(s) && isLoadable(s) && s.size > 0n)
    .sort((a, b) => (a.loadAddress < b.loadAddress ? -1 : a.loadAddress > b.loadAddress ? 1 : 0));
  for (let i = 1; i < loaded.length; i++) {
    const a = loaded[i - 1]!;
    const b = loaded[i]!;
    if (a.loadAddress + a.size > b.loadAddress) {
      throw new UserError(
        `section ${b.name} LMA [0x${b.loadAddress.toString(16)}, 0x${(b.loadAddress + b.size - 1n).toString(16)}] overlaps section ${a.name} LMA [0x${a.loadAddress.toString(16)}, 0x${(a.loadAddress + a.size - 1n).toString(16)}]`,
      );
    }
  }
  const files = segments
    .filter((s) => s.type === PT_LOAD && s.filesz > 0n)
    .sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < files.length; i++) {
    const a = files[i - 1]!;
    const b = files[i]!;
    if (a.offset + Number(a.filesz) > b.offset && !(a.includesFileHeader && b.includesFileHeader)) {
      throw new UserError(
        `segments overlap in the file: [0x${a.offset.toString(16)}+0x${a.filesz.toString(16)}] and [0x${b.offset.toString(16)}+0x${b.filesz.toString(16)}]`,
      );
    }
  }
}
