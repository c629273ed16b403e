/**
 * The `-Map` file, laid out like GNU ld's: discarded input sections, the files loaded, then every output section
 * with the script's input descriptions, the input sections each one matched (address, size, object) and the
 * symbols inside them. Orphans (sections the script never named) are listed with where they went.
 */
import type { SymbolTableEntry } from '../elf/writer.js';
import type { InputFile, InputSection, OutputSection } from './model.js';
import type { InputSectionDescription, SectionPattern } from './script/ast.js';

const hex = (v: bigint, width = 16) => `0x${v.toString(16).padStart(width, '0')}`;
const SYMBOL_INDENT = ' '.repeat(16);

export interface MapInput {
  files: InputFile[];
  sections: OutputSection[];
  discarded: InputSection[];
  removedByGc: InputSection[];
  orphans: InputSection[];
  symbols: SymbolTableEntry[];
}

/** ld prints a name and, when it is 15 characters or more, continues on the next line. */
function nameColumn(name: string, width: number): string {
  return name.length >= width ? `${name}\n${' '.repeat(width)}` : name.padEnd(width);
}

function describePattern(p: SectionPattern): string {
  let text = p.pattern;
  if (p.excludeFiles.length > 0) text = `EXCLUDE_FILE(${p.excludeFiles.join(' ')}) ${text}`;
  const sort: Record<string, string> = {
    name: 'SORT_BY_NAME',
    alignment: 'SORT_BY_ALIGNMENT',
    'init-priority': 'SORT_BY_INIT_PRIORITY',
  };
  return sort[p.sort] ? `${sort[p.sort]}(${text})` : text;
}

function describeInput(d: InputSectionDescription): string {
  const text = `${d.filePattern}(${d.sections.map(describePattern).join(' ')})`;
  return d.keep ? `KEEP(${text})` : text;
}

export function writeMap(input: MapInput): string {
  const lines: string[] = ['Discarded input sections', ''];
  for (const s of [...input.discarded, ...input.removedByGc]) {
    lines.push(`${nameColumn(` ${s.name}`, 16)}${hex(0n)} ${hex(BigInt(s.size), 8)} ${s.file.name}`);
  }
  const placed = input.orphans.filter((s) => s.live && s.output);
  if (placed.length > 0) {
    lines.push('', 'Orphan sections (not named by the script, placed by flags)', '');
    for (const s of placed) lines.push(` ${nameColumn(s.name, 15)}${s.file.name} -> ${s.output!.name}`);
  }
  lines.push('', 'Linker script and memory map', '');
  for (const file of input.files) lines.push(`LOAD ${file.name}`);
  lines.push('');
  const bySection = new Map<number, SymbolTableEntry[]>();
  for (const sym of input.symbols) {
    if (sym.type === 4 /* STT_FILE */) continue;
    const list = bySection.get(sym.shndx) ?? [];
    list.push(sym);
    bySection.set(sym.shndx, list);
  }
  for (const list of bySection.values())
    list.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  for (const section of input.sections) {
    const load = section.loadAddress !== section.address ? ` load address ${hex(section.loadAddress)}` : '';
    lines.push(`${nameColumn(section.name, 16)}${hex(section.address)} ${hex(section.size, 8)}${load}`);
    const symbols = bySection.get(section.headerIndex) ?? [];
    for (const content of section.contents) {
      if (content.kind !== 'inputs') continue;
      if (content.description) lines.push(` ${describeInput(content.description)}`);
      for (const s of content.sections) {
        if (!s.live || s.output !== section) continue;
        const address = section.address + s.outputOffset;
        const end = address + BigInt(s.size);
        lines.push(`${nameColumn(` ${s.name}`, 16)}${hex(address)} ${hex(BigInt(s.size), 8)} ${s.file.name}`);
        for (const sym of symbols) {
          if (sym.value >= address && sym.value < end) {
            lines.push(`${SYMBOL_INDENT}${hex(sym.value)}                ${sym.name}`);
          }
        }
      }
    }
    // Symbols the script defined in this section (e.g. `__bss_end = .`) that no input section covers.
    const covered = (v: bigint) =>
      section.inputs.some(
        (s) => v >= section.address + s.outputOffset && v < section.address + s.outputOffset + BigInt(s.size),
      );
    for (const sym of symbols)
      if (!covered(sym.value)) lines.push(`${SYMBOL_INDENT}${hex(sym.value)}                ${sym.name}`);
    lines.push('');
  }
  const absolute = bySection.get(0xfff1) ?? [];
  if (absolute.length > 0) {
    lines.push('Absolute symbols', '');
    for (const s of absolute) lines.push(`${SYMBOL_INDENT}${hex(s.value)}                ${s.name}`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
