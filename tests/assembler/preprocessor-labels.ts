/**
 * Generated sources whose preprocessor expressions use labels: `%assign`/`%rep`/`%if` on label differences,
 * with jumps between the labels whose sizes change from pass to pass, local and macro-local labels, `equ`s of
 * labels, struc sizes, other sections, and the cases nasm refuses (a label defined later, a label's address
 * or a difference across sections where a number is needed).
 */

import { seededRandom } from '../seeded-random.js';

export interface LabelCase {
  source: string;
  format: 'bin' | 'elf64';
}

export function generateLabelCase(seed: number): LabelCase {
  const rand = seededRandom(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const format = rand() < 0.3 ? 'elf64' : 'bin';
  const lines: string[] = [];
  if (format === 'bin') {
    lines.push(pick(['bits 16', 'bits 32', 'bits 64']));
    if (rand() < 0.5) lines.push('org 0x7c00');
  } else lines.push('bits 64', 'section .text');
  // a macro whose %assign measures its own body through macro-local labels
  lines.push(
    '%macro measured 1',
    '%%start: times %1 nop',
    '%%end:',
    '%assign measured_len %%end-%%start',
    '  db measured_len',
    '%endmacro',
  );
  if (rand() < 0.4)
    lines.push('struc rec', '.a: resd 1', `.b: resb ${1 + int(9)}`, 'endstruc', '%assign recw rec_size/2');

  const blocks = 4 + int(6);
  const labels = Array.from({ length: blocks }, (_, i) => `L${i}`);
  const defined: string[] = [];
  let values = 0;
  // labels defined so far, as a pair for a difference (later first: a positive count)
  const difference = (): string | undefined => {
    if (defined.length < 2) return undefined;
    const i = int(defined.length);
    const j = int(defined.length);
    const [lo, hi] = i < j ? [i, j] : [j, i];
    return `${defined[hi]}-${defined[lo]}`;
  };
  for (let b = 0; b < blocks; b++) {
    const label = labels[b]!;
    lines.push(`${label}:`);
    defined.push(label);
    if (rand() < 0.3) {
      lines.push(`.in: times ${int(5)} nop`, '.out:', `%assign local${b} .out-.in`, `  db local${b}`);
    }
    // jumps to earlier or later labels over padding that puts them near the short/near boundary
    const jumps = 1 + int(3);
    for (let k = 0; k < jumps; k++) {
      const target = pick(labels);
      lines.push(`  ${pick(['jmp', 'jz', 'jnc', 'call'])} ${target}`);
      lines.push(`  times ${int(80)} nop`);
    }
    const diff = difference();
    const kind = int(12);
    if (diff && kind < 3) {
      lines.push(`%assign v${values} ${diff}`, `%rep v${values} / ${4 + int(12)}`, '  nop', '%endrep');
      values++;
    } else if (diff && kind < 5) {
      lines.push(`%if (${diff}) > ${int(200)}`, `  times ${int(90)} nop`, '%else', '  db 1', '%endif');
    } else if (diff && kind < 6) {
      lines.push(
        `%rep 2`,
        `%if (${diff}) >= ${int(150)}`,
        '  db 2',
        '%endif',
        '%endrep',
        `E${b} equ ${diff}`,
        `%assign e${b} E${b} & 0x3f`,
        `  times e${b} db 3`,
      );
    } else if (kind < 7) {
      lines.push(`  measured ${int(40)}`);
    } else if (kind === 7 && rand() < 0.5) {
      // refused by nasm: a later label, or an address where a number is needed
      const [open, close] = pick([
        [`%if ${labels[blocks - 1]}-${label} > 3`, '%endif'],
        [`%if ${label} > 3`, '%endif'],
        [`%if ${label}`, '%endif'],
        [`%rep ${labels[blocks - 1]}-${label}`, '%endrep'],
      ]);
      lines.push(open, '  nop', close);
    } else if (kind === 8 && format === 'elf64') {
      lines.push('section .data', `D${b}: dd ${int(9)}`, 'section .text');
      if (rand() < 0.5) lines.push(`%if D${b}-${label}`, '  nop', '%endif');
      else lines.push(`%assign d${b} D${b}-D${b}`, `  db d${b}`);
    } else if (kind === 9 && lines.some((l) => l.startsWith('%assign recw'))) {
      lines.push('%rep recw', '  db rec.b', '%endrep');
    } else lines.push(`  times ${int(60)} db 0x90`);
  }
  lines.push('  ret');
  return { source: lines.join('\n') + '\n', format };
}
