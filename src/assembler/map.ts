/**
 * nasm's bin map file (`[map all file.map]`): the origin, a summary and the details of every section's
 * placement, and the symbols with their real (file) and virtual (label) addresses, in nasm's layout.
 */

import type { MapPart } from './parser.js';
import type { Section, SymbolEntry } from './layout.js';

export interface MapInput {
  parts: MapPart[];
  sourceFile: string;
  outputFile: string;
  org: bigint;
  sections: Section[];
  symbols: Map<string, SymbolEntry>;
}

const RULE_WIDTH = 79;
const heading = (text: string): string => `${text} `.padEnd(RULE_WIDTH, '-');
const hex = (v: bigint, width: number, pad = ' '): string =>
  BigInt.asUintN(64, v).toString(16).toUpperCase().padStart(width, pad);

/** Sections in the order nasm places them: `.text` first, the other progbits sections, then nobits ones. */
function placementOrder(sections: Section[]): Section[] {
  const progbits = sections.filter((s) => !s.nobits);
  const text = progbits.find((s) => s.name === '.text');
  const ordered = text ? [text, ...progbits.filter((s) => s !== text)] : progbits;
  return [...ordered, ...sections.filter((s) => s.nobits)];
}

export function formatMap(input: MapInput): string {
  const all = input.parts.includes('all');
  const brief = all || input.parts.some((p) => p === 'brief' || p === 'sections' || p === 'segments');
  const detailed = all || input.parts.some((p) => p === 'sections' || p === 'segments');
  const withSymbols = all || input.parts.includes('symbols');
  const sections = placementOrder(input.sections);
  const lines: string[] = ['', heading('- NASM Map file'), '', `Source file:  ${input.sourceFile}`];
  lines.push(`Output file:  ${input.outputFile}`, '');
  if (brief) {
    lines.push(heading('-- Program origin'), '', hex(input.org, 8, '0'), '');
    lines.push(heading('-- Sections (summary)'), '');
    lines.push('Vstart            Start             Stop              Length    Class     Name');
    for (const s of sections) {
      const size = BigInt(s.size);
      const cls = (s.nobits ? 'nobits' : 'progbits').padEnd(8);
      lines.push(
        `${hex(s.vstart, 16)}  ${hex(s.start, 16)}  ${hex(s.start + size, 16)}  ${hex(size, 8, '0')}  ${cls}  ${s.name}`,
      );
    }
    lines.push('');
  }
  if (detailed) {
    lines.push(heading('-- Sections (detailed)'), '');
    const field = (label: string, value: string): string => `${label.padEnd(11)}${value}`;
    const number = (label: string, value: bigint): string => field(label, hex(value, 16));
    for (const s of sections) {
      const a = s.attributes;
      lines.push(heading(`---- Section ${s.name}`), '');
      lines.push(field('class:', s.nobits ? 'nobits' : 'progbits'));
      lines.push(number('length:', BigInt(s.size)), number('start:', s.start));
      lines.push(
        a.align !== undefined || a.follows || s.alignRaised
          ? number('align:', BigInt(s.align))
          : field('align:', 'not defined'),
      );
      lines.push(field('follows:', a.follows ?? 'not defined'), number('vstart:', s.vstart));
      lines.push(a.vfollows ? number('valign:', BigInt(s.align)) : field('valign:', 'not defined'));
      lines.push(field('vfollows:', a.vfollows ?? 'not defined'), '');
    }
  }
  if (withSymbols) {
    lines.push(heading('-- Symbols'), '');
    const defined = [...input.symbols.values()]
      .filter((s) => s.definedPass > 0 && (s.kind === 'label' || s.kind === 'equ'))
      .sort((a, b) => a.order - b.order);
    const absolute = defined.filter(
      (s) => !s.section && (s.kind === 'label' || s.value?.symbol === undefined),
    );
    if (absolute.length > 0) {
      lines.push(heading('---- No Section'), '', 'Value     Name');
      for (const s of absolute)
        lines.push(`${hex(s.kind === 'equ' ? s.value!.offset : s.offset, 8, '0')}  ${s.name}`);
      lines.push('', '');
    }
    for (const section of sections) {
      const inSection = defined.filter((s) => s.kind === 'label' && s.section === section);
      if (inSection.length === 0) continue;
      lines.push(heading(`---- Section ${section.name}`), '', 'Real              Virtual           Name');
      for (const s of inSection)
        lines.push(`${hex(section.start + s.offset, 16)}  ${hex(section.vstart + s.offset, 16)}  ${s.name}`);
      lines.push('');
    }
  }
  return lines.join('\n') + '\n';
}
