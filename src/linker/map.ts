/** The `-Map` file, laid out like GNU ld's: discarded sections, then each output section with its inputs and symbols. */
import type { SymbolTableEntry } from '../elf/writer.js';
import type { InputSection, OutputSection } from './model.js';
import { mergedLocation } from './layout.js';

const hex = (v: bigint, width = 16) => `0x${v.toString(16).padStart(width, '0')}`;

export function writeMap(
  sections: OutputSection[],
  discarded: InputSection[],
  removedByGc: InputSection[],
  orphans: InputSection[],
  symbols: SymbolTableEntry[],
): string {
  const lines: string[] = [];
  lines.push('Discarded input sections', '');
  for (const s of [...discarded, ...removedByGc]) {
    lines.push(
      ` ${s.name.padEnd(15)}${s.name.length >= 15 ? `\n${' '.repeat(16)}` : ''}${hex(0n)} ${hex(BigInt(s.size), 8)} ${s.file.name}`,
    );
  }
  lines.push('', 'Orphan sections (placed by the linker, not named in the script)', '');
  for (const s of orphans)
    if (s.live) lines.push(` ${s.name} from ${s.file.name} -> ${s.output?.name ?? '(dropped)'}`);
  lines.push('', 'Linker script and memory map', '');
  const bySection = new Map<number, SymbolTableEntry[]>();
  for (const sym of symbols) {
    if (sym.type === 4 /* FILE */) continue;
    const list = bySection.get(sym.shndx) ?? [];
    list.push(sym);
    bySection.set(sym.shndx, list);
  }
  for (const section of sections) {
    const head = section.name.length >= 15 ? `${section.name}\n${' '.repeat(15)}` : section.name.padEnd(15);
    lines.push(
      `${head} ${hex(section.address)} ${hex(section.size, 8)}${section.loadAddress !== section.address ? ` load address ${hex(section.loadAddress)}` : ''}`,
    );
    const syms = (bySection.get(section.headerIndex) ?? []).sort((a, b) =>
      a.value < b.value ? -1 : a.value > b.value ? 1 : 0,
    );
    let next = 0;
    for (const input of section.inputs) {
      const address = section.address + input.outputOffset;
      const end = address + BigInt(input.size);
      const name = ` ${input.name}`;
      lines.push(
        `${name.length >= 16 ? `${name}\n${' '.repeat(16)}` : name.padEnd(16)}${hex(address)} ${hex(BigInt(input.size), 8)} ${input.file.name}`,
      );
      while (next < syms.length && syms[next]!.value < end) {
        if (syms[next]!.value >= address)
          lines.push(`${' '.repeat(16)}${hex(syms[next]!.value)}                ${syms[next]!.name}`);
        next++;
      }
    }
    for (; next < syms.length; next++)
      lines.push(`${' '.repeat(16)}${hex(syms[next]!.value)}                ${syms[next]!.name}`);
    lines.push('');
  }
  const absolute = bySection.get(0xfff1) ?? [];
  if (absolute.length > 0) {
    lines.push('Absolute symbols', '');
    for (const s of absolute) lines.push(`${' '.repeat(16)}${hex(s.value)}                ${s.name}`);
  }
  return `${lines.join('\n')}\n`;
}
