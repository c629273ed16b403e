/** ELF numbers (both classes) shared by the assembler's object writer, the linker and the checks (System V gABI, x86-64 psABI). */

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ELFOSABI_SYSV = 0;
export const ELFOSABI_GNU = 3;
export const EM_386 = 3;
export const EM_X86_64 = 62;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_RELA_SIZE = 24;

export const ELF32_EHDR_SIZE = 52;
export const ELF32_PHDR_SIZE = 32;
export const ELF32_SHDR_SIZE = 40;
export const ELF32_SYM_SIZE = 16;
export const ELF32_REL_SIZE = 8;
export const ELF32_RELA_SIZE = 12;

export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_INIT_ARRAY = 14;
export const SHT_FINI_ARRAY = 15;
export const SHT_PREINIT_ARRAY = 16;
export const SHT_GROUP = 17;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_X86_64_UNWIND = 0x70000001;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_LINK_ORDER = 0x80;
export const SHF_GROUP = 0x200;
export const SHF_TLS = 0x400;
export const SHF_EXCLUDE = 0x80000000;

export const GRP_COMDAT = 1;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_GNU_PROPERTY = 0x6474e553;

export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

/** x86-64 relocation types (psABI table 4.10). */
export const R_X86_64 = {
  NONE: 0,
  '64': 1,
  PC32: 2,
  GOT32: 3,
  PLT32: 4,
  COPY: 5,
  GLOB_DAT: 6,
  JUMP_SLOT: 7,
  RELATIVE: 8,
  GOTPCREL: 9,
  '32': 10,
  '32S': 11,
  '16': 12,
  PC16: 13,
  '8': 14,
  PC8: 15,
  DTPMOD64: 16,
  DTPOFF64: 17,
  TPOFF64: 18,
  TLSGD: 19,
  TLSLD: 20,
  DTPOFF32: 21,
  GOTTPOFF: 22,
  TPOFF32: 23,
  PC64: 24,
  GOTOFF64: 25,
  GOTPC32: 26,
  GOT64: 27,
  GOTPCREL64: 28,
  GOTPC64: 29,
  GOTPLT64: 30,
  PLTOFF64: 31,
  SIZE32: 32,
  SIZE64: 33,
  GOTPC32_TLSDESC: 34,
  TLSDESC_CALL: 35,
  TLSDESC: 36,
  IRELATIVE: 37,
  RELATIVE64: 38,
  GOTPCRELX: 41,
  REX_GOTPCRELX: 42,
} as const;
/** i386 relocation types (System V i386 psABI): what nasm -f elf32 and gcc -m32 emit. */
export const R_386 = {
  NONE: 0,
  '32': 1,
  PC32: 2,
  GOT32: 3,
  PLT32: 4,
  GLOB_DAT: 6,
  RELATIVE: 8,
  GOTOFF: 9,
  GOTPC: 10,
  TLS_TPOFF: 14,
  TLS_IE: 15,
  TLS_GOTIE: 16,
  TLS_LE: 17,
  TLS_GD: 18,
  TLS_LDM: 19,
  '16': 20,
  PC16: 21,
  '8': 22,
  PC8: 23,
  TLS_LDO_32: 32,
  TLS_IE_32: 33,
  TLS_LE_32: 34,
  TLS_DTPMOD32: 35,
  TLS_DTPOFF32: 36,
  TLS_TPOFF32: 37,
  SIZE32: 38,
  TLS_GOTDESC: 39,
  TLS_DESC_CALL: 40,
  TLS_DESC: 41,
  GOT32X: 43,
} as const;

export type RelocationType = (typeof R_X86_64)[keyof typeof R_X86_64];
