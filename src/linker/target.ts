/**
 * The output architecture (ld's emulation): everything the passes need to know about x86-64 or i386 output, behind
 * one small interface. Relocation numbers and their math stay in x86-64.ts and i386.ts; the passes ask the target.
 */
import {
  ELF32_EHDR_SIZE,
  ELF32_PHDR_SIZE,
  ELF32_SYM_SIZE,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  EM_386,
  EM_X86_64,
  R_386,
  R_X86_64,
} from '../elf/constants.js';
import { typeBit } from '../elf/reader.js';
import {
  applyRelocation386,
  fillWithShortNops,
  fieldSize386,
  GOT_ADDRESS_TYPES_386,
  GOT_SLOT_TYPES_386,
  implicitAddend386,
  needsGotSlot386,
  relocationName386,
} from './i386.js';
import { DYNAMIC_ELF32, DYNAMIC_ELF64, type DynamicFormat } from './dynamic.js';
import type { HeaderSizes } from './segments.js';
import {
  applyRelocation,
  convertedRelocation,
  fieldSize,
  fillWithNops,
  GOT_ADDRESS_TYPES,
  GOT_RELATIVE,
  needsGotSlot,
  relocationName,
  type RelocationProblem,
  type RelocationSite,
  type RelocationTarget,
} from './x86-64.js';

export interface Target {
  /** ld's -m name. */
  emulation: 'elf_x86_64' | 'elf_i386';
  /** BFD's architecture name, as ld's diagnostics print it ("i386:x86-64 output"). */
  arch: string;
  /** ld's OUTPUT_FORMAT name. */
  format: 'elf64-x86-64' | 'elf32-i386';
  elfClass: number;
  machine: number;
  /** Bytes of an address (a GOT slot, a `.got.plt` word). */
  wordSize: 4 | 8;
  headers: HeaderSizes;
  symbolSize: number;
  relocationName(type: number): string;
  /** Bytes of the relocated field. */
  fieldSize(type: number): number;
  applyRelocation(
    type: number,
    site: RelocationSite,
    target: RelocationTarget,
  ): RelocationProblem | undefined;
  /** The relocation keeps a GOT slot after ld's relaxations (`bytes`/`at`: the field in the input section). */
  needsGotSlot(
    type: number,
    bytes: Uint8Array,
    at: number,
    pic: boolean,
    undefinedWeak: boolean,
    relax: boolean,
  ): boolean;
  /** Relocations resolved through a GOT slot when the symbol has one. */
  gotSlotTypes: ReadonlySet<number>;
  /** Relocations that use the GOT's own address, so ld creates `.got.plt`. */
  gotAddressTypes: ReadonlySet<number>;
  /** typeBit mask of relocations that neither use the GOT nor need a slot (sections with only these are skipped). */
  plainTypes: number;
  /** GOT loads ld never relaxes for a symbol in an SHF_X86_64_LARGE section. */
  largeModelGotLoads: ReadonlySet<number>;
  /** Relocations that start a TLS call sequence whose next relocation (the call) is rewritten with them. */
  tlsCallSequences: ReadonlySet<number>;
  /** Fills the gaps between input sections of code, as bfd's `bfd_arch_i386_fill`. */
  fillCode(bytes: Uint8Array, start: number, end: number): void;
  /** --emit-relocs: the relocation ld writes for a GOT load it converted (see x86-64.ts). */
  convertedRelocation?: typeof convertedRelocation;
  /** The word-sized absolute relocation (R_X86_64_64, R_386_32): a pointer that a PIE's RELATIVE entry moves. */
  pointerType: number;
  /** Dynamic sections' entry sizes and relocation format. */
  dynamicFormat: DynamicFormat;
  /** ld's default PT_INTERP for this emulation (without -dynamic-linker). */
  interpreter: string;
  /** SHT_REL input: the addend kept in the relocated field. Undefined for RELA-only targets. */
  implicitAddend?(type: number, data: Uint8Array, offset: number): number;
}

export const X86_64: Target = {
  emulation: 'elf_x86_64',
  arch: 'i386:x86-64',
  format: 'elf64-x86-64',
  elfClass: ELFCLASS64,
  machine: EM_X86_64,
  wordSize: 8,
  headers: { ehdr: ELF64_EHDR_SIZE, phdr: ELF64_PHDR_SIZE },
  symbolSize: ELF64_SYM_SIZE,
  relocationName,
  fieldSize,
  convertedRelocation,
  applyRelocation,
  needsGotSlot,
  gotSlotTypes: GOT_RELATIVE,
  gotAddressTypes: GOT_ADDRESS_TYPES,
  plainTypes:
    typeBit(R_X86_64.NONE) |
    typeBit(R_X86_64['64']) |
    typeBit(R_X86_64.PC32) |
    typeBit(R_X86_64.PLT32) |
    typeBit(R_X86_64['32']) |
    typeBit(R_X86_64['32S']),
  largeModelGotLoads: new Set<number>([R_X86_64.GOTPCREL, R_X86_64.GOTPCRELX, R_X86_64.REX_GOTPCRELX]),
  tlsCallSequences: new Set<number>([R_X86_64.TLSGD, R_X86_64.TLSLD]),
  fillCode: fillWithNops,
  pointerType: R_X86_64['64'],
  dynamicFormat: DYNAMIC_ELF64,
  interpreter: '/lib/ld64.so.1',
};

export const I386: Target = {
  emulation: 'elf_i386',
  arch: 'i386',
  format: 'elf32-i386',
  elfClass: ELFCLASS32,
  machine: EM_386,
  wordSize: 4,
  headers: { ehdr: ELF32_EHDR_SIZE, phdr: ELF32_PHDR_SIZE },
  symbolSize: ELF32_SYM_SIZE,
  relocationName: relocationName386,
  fieldSize: fieldSize386,
  applyRelocation: applyRelocation386,
  needsGotSlot: (type, bytes, at, pic, undefinedWeak) => needsGotSlot386(type, bytes, at, pic, undefinedWeak),
  gotSlotTypes: GOT_SLOT_TYPES_386,
  gotAddressTypes: GOT_ADDRESS_TYPES_386,
  plainTypes:
    typeBit(R_386.NONE) |
    typeBit(R_386['32']) |
    typeBit(R_386.PC32) |
    typeBit(R_386.PLT32) |
    typeBit(R_386['16']) |
    typeBit(R_386.PC16) |
    typeBit(R_386['8']) |
    typeBit(R_386.PC8),
  largeModelGotLoads: new Set<number>(),
  tlsCallSequences: new Set<number>([R_386.TLS_GD, R_386.TLS_LDM]),
  fillCode: fillWithShortNops,
  pointerType: R_386['32'],
  dynamicFormat: DYNAMIC_ELF32,
  interpreter: '/usr/lib/libc.so.1',
  implicitAddend: implicitAddend386,
};

/** The architecture of an ELF object as BFD names it in "architecture of input file ... is incompatible". */
export function objectArch(elfClass: number, machine: number): string {
  if (machine === EM_X86_64) return elfClass === ELFCLASS32 ? 'i386:x64-32' : 'i386:x86-64';
  if (machine === EM_386) return 'i386';
  return `machine ${machine}`;
}
