/**
 * The layouts used without `-T` where ld-builtin.ts (ld's own scripts, generated) has none: for ELF under -N/-n, GNU ld's built-in elf_x86_64 script (-z separate-code) reduced to what
 * a static executable uses (its non-allocated tail, stabs, comment and DWARF sections in ld's order, whole); for EFI applications, a page-aligned text/rodata/data layout that becomes PE sections.
 */

export const DEFAULT_ELF_SCRIPT = `
ENTRY(_start)
SECTIONS
{
  PROVIDE (__executable_start = SEGMENT_START("text-segment", 0x400000)); . = SEGMENT_START("text-segment", 0x400000) + SIZEOF_HEADERS; /*text-base*/
  .interp         : { *(.interp) }
  .note.gnu.build-id  : { *(.note.gnu.build-id) }
  .hash           : { *(.hash) }
  .gnu.hash       : { *(.gnu.hash) }
  .dynsym         : { *(.dynsym) }
  .dynstr         : { *(.dynstr) }
  .gnu.version    : { *(.gnu.version) }
  .gnu.version_d  : { *(.gnu.version_d) }
  .gnu.version_r  : { *(.gnu.version_r) }
  .rela.dyn       :
    {
      *(.rela.init)
      *(.rela.text .rela.text.* .rela.gnu.linkonce.t.*)
      *(.rela.fini)
      *(.rela.rodata .rela.rodata.* .rela.gnu.linkonce.r.*)
      *(.rela.data .rela.data.* .rela.gnu.linkonce.d.*)
      *(.rela.tdata .rela.tdata.* .rela.gnu.linkonce.td.*)
      *(.rela.tbss .rela.tbss.* .rela.gnu.linkonce.tb.*)
      *(.rela.ctors)
      *(.rela.dtors)
      *(.rela.got)
      *(.rela.bss .rela.bss.* .rela.gnu.linkonce.b.*)
      *(.rela.ldata .rela.ldata.* .rela.gnu.linkonce.l.*)
      *(.rela.lbss .rela.lbss.* .rela.gnu.linkonce.lb.*)
      *(.rela.lrodata .rela.lrodata.* .rela.gnu.linkonce.lr.*)
      *(.rela.ifunc)
    }
  .rela.plt       : { *(.rela.plt) *(.rela.iplt) }
  .relr.dyn : { *(.relr.dyn) }
  . = ALIGN(CONSTANT (MAXPAGESIZE)); /*separate-code*/
  .init : { KEEP (*(SORT_NONE(.init))) }
  .plt : { *(.plt) *(.iplt) }
  .plt.got : { *(.plt.got) }
  .plt.sec : { *(.plt.sec) }
  .text :
  {
    *(.text.unlikely .text.*_unlikely .text.unlikely.*)
    *(.text.exit .text.exit.*)
    *(.text.startup .text.startup.*)
    *(.text.hot .text.hot.*)
    *(SORT(.text.sorted.*))
    *(.text .stub .text.* .gnu.linkonce.t.*)
  }
  .fini : { KEEP (*(SORT_NONE(.fini))) }
  PROVIDE (__etext = .);
  PROVIDE (_etext = .);
  PROVIDE (etext = .);
  . = ALIGN(CONSTANT (MAXPAGESIZE)); /*separate-code*/
  . = SEGMENT_START("rodata-segment", ALIGN(CONSTANT (MAXPAGESIZE)) + (. & (CONSTANT (MAXPAGESIZE) - 1))); /*separate-code*/
  .rodata : { *(.rodata .rodata.* .gnu.linkonce.r.*) }
  .rodata1 : { *(.rodata1) }
  .eh_frame_hdr : { *(.eh_frame_hdr) *(.eh_frame_entry .eh_frame_entry.*) }
  .eh_frame : { KEEP (*(.eh_frame)) *(.eh_frame.*) }
  . = DATA_SEGMENT_ALIGN (CONSTANT (MAXPAGESIZE), CONSTANT (COMMONPAGESIZE));
  .tdata :
  {
    PROVIDE_HIDDEN (__tdata_start = .);
    *(.tdata .tdata.* .gnu.linkonce.td.*)
  }
  .tbss : { *(.tbss .tbss.* .gnu.linkonce.tb.*) *(.tcommon) }
  .preinit_array :
  {
    PROVIDE_HIDDEN (__preinit_array_start = .);
    KEEP (*(.preinit_array))
    PROVIDE_HIDDEN (__preinit_array_end = .);
  }
  .init_array :
  {
    PROVIDE_HIDDEN (__init_array_start = .);
    KEEP (*(SORT_BY_INIT_PRIORITY(.init_array.*) SORT_BY_INIT_PRIORITY(.ctors.*)))
    KEEP (*(.init_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .ctors))
    PROVIDE_HIDDEN (__init_array_end = .);
  }
  .fini_array :
  {
    PROVIDE_HIDDEN (__fini_array_start = .);
    KEEP (*(SORT_BY_INIT_PRIORITY(.fini_array.*) SORT_BY_INIT_PRIORITY(.dtors.*)))
    KEEP (*(.fini_array EXCLUDE_FILE (*crtbegin.o *crtbegin?.o *crtend.o *crtend?.o ) .dtors))
    PROVIDE_HIDDEN (__fini_array_end = .);
  }
  .data.rel.ro : { *(.data.rel.ro.local* .gnu.linkonce.d.rel.ro.local.*) *(.data.rel.ro .data.rel.ro.* .gnu.linkonce.d.rel.ro.*) }
  .dynamic : { *(.dynamic) }
  .got : { *(.got) *(.igot) }
  . = DATA_SEGMENT_RELRO_END (SIZEOF (.got.plt) >= 24 ? 24 : 0, .);
  .got.plt : { *(.got.plt) *(.igot.plt) }
  .data : { *(.data .data.* .gnu.linkonce.d.*) }
  .data1 : { *(.data1) }
  _edata = .; PROVIDE (edata = .);
  . = .;
  __bss_start = .;
  .bss :
  {
   *(.bss .bss.* .gnu.linkonce.b.*)
   *(COMMON)
   . = ALIGN(. != 0 ? 64 / 8 : 1);
  }
  .lbss : { *(.dynlbss) *(.lbss .lbss.* .gnu.linkonce.lb.*) *(LARGE_COMMON) } /*x86-64*/
  . = ALIGN(64 / 8);
  _end = .; PROVIDE (end = .);
  . = DATA_SEGMENT_END (.);
  .stab          0 : { *(.stab) }
  .stabstr       0 : { *(.stabstr) }
  .stab.excl     0 : { *(.stab.excl) }
  .stab.exclstr  0 : { *(.stab.exclstr) }
  .stab.index    0 : { *(.stab.index) }
  .stab.indexstr 0 : { *(.stab.indexstr) }
  .comment       0 : { *(.comment) }
  .gnu.build.attributes : { *(.gnu.build.attributes .gnu.build.attributes.*) }
  /* DWARF debug sections.
     Symbols in the DWARF debugging sections are relative to the beginning
     of the section so we begin them at 0.  */
  /* DWARF 1.  */
  .debug          0 : { *(.debug) }
  .line           0 : { *(.line) }
  /* GNU DWARF 1 extensions.  */
  .debug_srcinfo  0 : { *(.debug_srcinfo) }
  .debug_sfnames  0 : { *(.debug_sfnames) }
  /* DWARF 1.1 and DWARF 2.  */
  .debug_aranges  0 : { *(.debug_aranges) }
  .debug_pubnames 0 : { *(.debug_pubnames) }
  /* DWARF 2.  */
  .debug_info     0 : { *(.debug_info .gnu.linkonce.wi.*) }
  .debug_abbrev   0 : { *(.debug_abbrev) }
  .debug_line     0 : { *(.debug_line .debug_line.* .debug_line_end) }
  .debug_frame    0 : { *(.debug_frame) }
  .debug_str      0 : { *(.debug_str) }
  .debug_loc      0 : { *(.debug_loc) }
  .debug_macinfo  0 : { *(.debug_macinfo) }
  /* SGI/MIPS DWARF 2 extensions.  */
  .debug_weaknames 0 : { *(.debug_weaknames) }
  .debug_funcnames 0 : { *(.debug_funcnames) }
  .debug_typenames 0 : { *(.debug_typenames) }
  .debug_varnames  0 : { *(.debug_varnames) }
  /* DWARF 3.  */
  .debug_pubtypes 0 : { *(.debug_pubtypes) }
  .debug_ranges   0 : { *(.debug_ranges) }
  /* DWARF 5.  */
  .debug_addr     0 : { *(.debug_addr) }
  .debug_line_str 0 : { *(.debug_line_str) }
  .debug_loclists 0 : { *(.debug_loclists) }
  .debug_macro    0 : { *(.debug_macro) }
  .debug_names    0 : { *(.debug_names) }
  .debug_rnglists 0 : { *(.debug_rnglists) }
  .debug_str_offsets 0 : { *(.debug_str_offsets) }
  .debug_sup      0 : { *(.debug_sup) }
  .gnu.attributes 0 : { KEEP (*(.gnu.attributes)) }
}
`;

/**
 * ld's default script under -z noseparate-code: the same without the page breaks (marked `separate-code` above)
 * that give code a segment of its own, so headers, code and read-only data share one.
 */
export const DEFAULT_ELF_SCRIPT_NOSEPARATE_CODE = DEFAULT_ELF_SCRIPT.split('\n')
  .filter((line) => !line.endsWith('/*separate-code*/'))
  .join('\n');

/**
 * ld's default script under -N (omagic): the -z noseparate-code one with data right after read-only data (no
 * DATA_SEGMENT_ALIGN, no RELRO end). Under -n (nmagic) ld uses the -z noseparate-code script as it is.
 */
export const DEFAULT_ELF_SCRIPT_OMAGIC = DEFAULT_ELF_SCRIPT_NOSEPARATE_CODE.split('\n')
  .filter((line) => !line.includes('DATA_SEGMENT_RELRO_END'))
  .map((line) => (line.includes('DATA_SEGMENT_ALIGN') ? '  . = .;' : line))
  .join('\n');

/** ld's -pie script is its executable script with the text segment at 0 (the image is loaded at a slide). */
export function pieScript(script: string): string {
  return script
    .split('\n')
    .map((line) => (line.endsWith('/*text-base*/') ? line.replaceAll('0x400000', '0') : line))
    .join('\n');
}

/**
 * ld's elf_i386 script is its elf_x86_64 one with the text segment at 0x08048000, REL instead of RELA dynamic
 * relocations (without the large-model ones), a 12-byte `.got.plt` header and 4-byte `.bss` alignment.
 */
export function i386Script(script: string): string {
  return script
    .split('\n')
    .filter((line) => !/\.rela\.l(data|bss|rodata) /.test(line) && !line.endsWith('/*x86-64*/'))
    .map((line) =>
      line
        .replace(/(SEGMENT_START\("text-segment", )0x400000\)/g, '$10x08048000)')
        .replace(/\.rela\./g, '.rel.')
        .replace('>= 24 ? 24 : 0', '>= 12 ? 12 : 0')
        .replace(/64 \/ 8/g, '32 / 8'),
    )
    .join('\n');
}

/** Image base of EFI applications linked without a script; sections start one page above it. */
export const DEFAULT_EFI_IMAGE_BASE = 0x400000n;

export const DEFAULT_EFI_SCRIPT = `
ENTRY(efi_main)
SECTIONS
{
  . = ${`0x${(DEFAULT_EFI_IMAGE_BASE + 0x1000n).toString(16)}`};
  .text : { *(.text .text.*) }
  . = ALIGN(0x1000);
  .rdata : { *(.rodata .rodata.*) }
  . = ALIGN(0x1000);
  .data : { *(.data .data.*) *(.got) *(.got.plt) *(.bss .bss.*) *(COMMON) }
  /DISCARD/ : { *(.eh_frame) *(.note .note.*) *(.comment) }
}
`;

/**
 * Section patterns ld's full built-in script matches that the reduced one above leaves out (dynamic-linking,
 * large-model, debug and stab sections, .note.GNU-stack): --orphan-handling does not name them without -T.
 */
export const DEFAULT_SCRIPT_ALSO_PLACES: readonly string[] = [
  '.debug',
  '.debug_abbrev',
  '.debug_addr',
  '.debug_aranges',
  '.debug_frame',
  '.debug_funcnames',
  '.debug_info',
  '.debug_line',
  '.debug_line.*',
  '.debug_line_end',
  '.debug_line_str',
  '.debug_loc',
  '.debug_loclists',
  '.debug_macinfo',
  '.debug_macro',
  '.debug_names',
  '.debug_pubnames',
  '.debug_pubtypes',
  '.debug_ranges',
  '.debug_rnglists',
  '.debug_sfnames',
  '.debug_srcinfo',
  '.debug_str',
  '.debug_str_offsets',
  '.debug_sup',
  '.debug_typenames',
  '.debug_varnames',
  '.debug_weaknames',
  '.dynbss',
  '.dynlbss',
  '.dynstr',
  '.dynsym',
  '.exception_ranges*',
  '.gcc_except_table',
  '.gcc_except_table.*',
  '.gnu.attributes',
  '.gnu.build.attributes',
  '.gnu.build.attributes.*',
  '.gnu.hash',
  '.gnu.linkonce.l.*',
  '.gnu.linkonce.lb.*',
  '.gnu.linkonce.lr.*',
  '.gnu.linkonce.wi.*',
  '.gnu.lto_*',
  '.gnu.version',
  '.gnu.version_d',
  '.gnu.version_r',
  '.gnu.warning',
  '.gnu_debuglink',
  '.gnu_extab',
  '.gnu_extab*',
  '.hash',
  '.interp',
  '.iplt',
  '.jcr',
  '.lbss',
  '.lbss.*',
  '.ldata',
  '.ldata.*',
  '.line',
  '.lrodata',
  '.lrodata.*',
  '.note.GNU-stack',
  '.plt',
  '.plt.got',
  '.plt.sec',
  '.rela.bss',
  '.rela.bss.*',
  '.rela.ctors',
  '.rela.data',
  '.rela.data.*',
  '.rela.dtors',
  '.rela.fini',
  '.rela.gnu.linkonce.b.*',
  '.rela.gnu.linkonce.d.*',
  '.rela.gnu.linkonce.l.*',
  '.rela.gnu.linkonce.lb.*',
  '.rela.gnu.linkonce.lr.*',
  '.rela.gnu.linkonce.r.*',
  '.rela.gnu.linkonce.t.*',
  '.rela.gnu.linkonce.tb.*',
  '.rela.gnu.linkonce.td.*',
  '.rela.got',
  '.rela.ifunc',
  '.rela.init',
  '.rela.iplt',
  '.rela.lbss',
  '.rela.lbss.*',
  '.rela.ldata',
  '.rela.ldata.*',
  '.rela.lrodata',
  '.rela.lrodata.*',
  '.rela.plt',
  '.rela.rodata',
  '.rela.rodata.*',
  '.rela.tbss',
  '.rela.tbss.*',
  '.rela.tdata',
  '.rela.tdata.*',
  '.rela.text',
  '.rela.text.*',
  '.relr.dyn',
  '.sframe',
  '.sframe.*',
  '.stab',
  '.stab.excl',
  '.stab.exclstr',
  '.stab.index',
  '.stab.indexstr',
  '.stabstr',
];

/**
 * `-r` without `-T`: GNU ld's elf_x86_64 relocatable script (ldscripts/elf_x86_64.xr) without the dynamic-linking
 * and `.rela.*` statements (input relocation sections are never input sections here). Every output section is at
 * 0, and only the plain names are gathered: `.text.*` and friends stay apart, as separate orphans.
 */
export const DEFAULT_RELOCATABLE_SCRIPT = `
SECTIONS
{
  .interp 0 : { *(.interp) }
  .note.gnu.build-id 0 : { *(.note.gnu.build-id) }
  .init 0 : { KEEP (*(SORT_NONE(.init))) }
  .plt 0 : { *(.plt) }
  .plt.got 0 : { *(.plt.got) }
  .plt.sec 0 : { *(.plt.sec) }
  .text 0 : { *(.text .stub) *(.gnu.warning) }
  .fini 0 : { KEEP (*(SORT_NONE(.fini))) }
  .rodata 0 : { *(.rodata) }
  .rodata1 0 : { *(.rodata1) }
  .eh_frame_hdr 0 : { *(.eh_frame_hdr) }
  .eh_frame 0 : ONLY_IF_RO { KEEP (*(.eh_frame)) }
  .sframe 0 : ONLY_IF_RO { *(.sframe) }
  .gcc_except_table 0 : ONLY_IF_RO { *(.gcc_except_table) }
  .gnu_extab 0 : ONLY_IF_RO { *(.gnu_extab*) }
  .exception_ranges 0 : ONLY_IF_RO { *(.exception_ranges) }
  .eh_frame 0 : ONLY_IF_RW { KEEP (*(.eh_frame)) }
  .sframe 0 : ONLY_IF_RW { *(.sframe) }
  .gnu_extab 0 : ONLY_IF_RW { *(.gnu_extab) }
  .gcc_except_table 0 : ONLY_IF_RW { *(.gcc_except_table) }
  .exception_ranges 0 : ONLY_IF_RW { *(.exception_ranges) }
  .tdata 0 : { *(.tdata) }
  .tbss 0 : { *(.tbss) }
  .jcr 0 : { KEEP (*(.jcr)) }
  .dynamic 0 : { *(.dynamic) }
  .got 0 : { *(.got) }
  .got.plt 0 : { *(.got.plt) }
  .data 0 : { *(.data) }
  .data1 0 : { *(.data1) }
  .bss 0 : { *(.bss) }
  .lbss 0 : { *(.lbss) }
  .lrodata 0 : { *(.lrodata) }
  .ldata 0 : { *(.ldata) }
  .stab 0 : { *(.stab) }
  .stabstr 0 : { *(.stabstr) }
  .stab.excl 0 : { *(.stab.excl) }
  .stab.exclstr 0 : { *(.stab.exclstr) }
  .stab.index 0 : { *(.stab.index) }
  .stab.indexstr 0 : { *(.stab.indexstr) }
  .comment 0 : { *(.comment) }
  .gnu.build.attributes : { *(.gnu.build.attributes) }
  .debug 0 : { *(.debug) }
  .line 0 : { *(.line) }
  .debug_srcinfo 0 : { *(.debug_srcinfo) }
  .debug_sfnames 0 : { *(.debug_sfnames) }
  .debug_aranges 0 : { *(.debug_aranges) }
  .debug_pubnames 0 : { *(.debug_pubnames) }
  .debug_info 0 : { *(.debug_info) }
  .debug_abbrev 0 : { *(.debug_abbrev) }
  .debug_line 0 : { *(.debug_line) }
  .debug_frame 0 : { *(.debug_frame) }
  .debug_str 0 : { *(.debug_str) }
  .debug_loc 0 : { *(.debug_loc) }
  .debug_macinfo 0 : { *(.debug_macinfo) }
  .debug_weaknames 0 : { *(.debug_weaknames) }
  .debug_funcnames 0 : { *(.debug_funcnames) }
  .debug_typenames 0 : { *(.debug_typenames) }
  .debug_varnames 0 : { *(.debug_varnames) }
  .debug_pubtypes 0 : { *(.debug_pubtypes) }
  .debug_ranges 0 : { *(.debug_ranges) }
  .debug_addr 0 : { *(.debug_addr) }
  .debug_line_str 0 : { *(.debug_line_str) }
  .debug_loclists 0 : { *(.debug_loclists) }
  .debug_macro 0 : { *(.debug_macro) }
  .debug_names 0 : { *(.debug_names) }
  .debug_rnglists 0 : { *(.debug_rnglists) }
  .debug_str_offsets 0 : { *(.debug_str_offsets) }
  .debug_sup 0 : { *(.debug_sup) }
  .gnu.attributes 0 : { KEEP (*(.gnu.attributes)) }
}
`;

/**
 * ld's -shared script (elf_x86_64.xs): the -pie one at base 0 without `.interp`, `__executable_start`, the
 * hidden array bounds and `__tdata_start`, and with `_edata`, `__bss_start` and `_end` only PROVIDEd.
 */
export function sharedScript(script: string): string {
  return pieScript(script)
    .split('\n')
    .filter(
      (line) =>
        !/^\s*(\.interp\s|PROVIDE_HIDDEN \(__(tdata_start|(pre)?init_array_(start|end)|fini_array_(start|end)) = \.\);)/.test(
          line,
        ),
    )
    .map((line) =>
      line
        .replace(/PROVIDE \(__executable_start = SEGMENT_START\("text-segment", 0\)\); /, '')
        .replace(/^(\s*)_edata = \.;/, '$1PROVIDE (_edata = .);')
        .replace(/^(\s*)__bss_start = \.;/, '$1PROVIDE (__bss_start = .);')
        .replace(/^(\s*)_end = \.;/, '$1PROVIDE (_end = .);'),
    )
    .join('\n');
}

/**
 * ld's script for -z now with -z relro (its `w` variants): `.got.plt` goes first into `.got`, all of it read-only
 * after relocation, so RELRO ends after `.got`.
 */
export function bindNowScript(script: string): string {
  return script
    .split('\n')
    .filter((line) => !/^\s*\.got\.plt\s*:/.test(line))
    .map((line) =>
      line
        .replace(
          /^(\s*)\.got\s*:\s*\{ \*\(\.got\) \*\(\.igot\) \}/,
          '$1.got : { *(.got.plt) *(.igot.plt) *(.got) *(.igot) }',
        )
        .replace(
          /DATA_SEGMENT_RELRO_END \(SIZEOF \(\.got\.plt\) >= (24|12) \? \1 : 0, \.\)/,
          'DATA_SEGMENT_RELRO_END (0, .)',
        ),
    )
    .join('\n');
}
