/**
 * A generator of programs whose jump and operand sizes depend on nasm's pass history: forward and backward
 * jumps of every condition (short, near or on the edge of 127 bytes), `[rel x]` loads of later labels, label
 * differences in immediates and displacements (`add eax, b - a`, `lea eax, [eax + b - a]`), `equ` constants
 * defined after use, `times`, `align` and padding runs that put targets near the short-jump limit.
 * Deterministic per seed; `bits` picks the code size (bin) and `format` whether externs may appear (elf64).
 */

/** Deterministic pseudo-random numbers (LCG): the same seed always gives the same program. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const JCC = [
  'jo',
  'jno',
  'jb',
  'jae',
  'jz',
  'jnz',
  'jbe',
  'ja',
  'js',
  'jns',
  'jp',
  'jnp',
  'jl',
  'jge',
  'jle',
  'jg',
];
const REGS: Record<16 | 32 | 64, string[]> = {
  16: ['ax', 'bx', 'cx', 'dx', 'si', 'di'],
  32: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'],
  64: ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'r8', 'r12'],
};
const BASES: Record<16 | 32 | 64, string[]> = {
  16: ['bx', 'si', 'di', 'bp'],
  32: ['eax', 'ebx', 'esi', 'edi', 'ebp'],
  64: ['rax', 'rbx', 'rsi', 'r12', 'rbp'],
};

export interface CorpusOptions {
  lines: number;
  seed: number;
  bits: 16 | 32 | 64;
  format: 'bin' | 'elf64';
}

export function generateRelaxationProgram(options: CorpusOptions): string {
  const random = rng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const { bits } = options;
  const regs = REGS[bits];
  const bases = BASES[bits];
  const out: string[] = [`bits ${bits}`];
  if (options.format === 'elf64') out.push('extern ext_a, ext_b', 'section .text');
  let labels = 0;
  let constants = 0;
  // labels are numbered in order: `L${k}` for k < labels exists already, later numbers are forward references
  const target = (): string => {
    const back = labels > 0 && random() < 0.4;
    const k = back
      ? labels - 1 - Math.floor(random() * Math.min(labels, 6))
      : labels + Math.floor(random() * 4);
    return `L${k}`;
  };
  const padding = (): string => {
    // runs that land distances on both sides of the rel8 and disp8 limits
    const n = pick([1, 3, 60, 100, 115, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130]);
    return `times ${n} nop`;
  };
  while (out.length < options.lines) {
    const kind = random();
    if (kind < 0.18) out.push(`L${labels++}:`);
    else if (kind < 0.36) out.push(`${pick(JCC)} ${target()}`);
    else if (kind < 0.44) out.push(`jmp ${target()}`);
    else if (kind < 0.48) out.push(`call ${target()}`);
    else if (kind < 0.56) out.push(padding());
    else if (kind < 0.62) {
      // a label difference as an immediate: sbyte or full size depending on the pass
      const a = `L${labels}`;
      out.push(`${a}:`);
      labels++;
      out.push(`add ${pick(regs)}, ${target()} - ${a}`);
    } else if (kind < 0.68) {
      const a = `L${labels}`;
      out.push(`${a}:`);
      labels++;
      out.push(`lea ${pick(regs)}, [${pick(bases)} + ${target()} - ${a}]`);
    } else if (kind < 0.74 && bits === 64) out.push(`mov ${pick(regs)}, [rel ${target()}]`);
    else if (kind < 0.78) {
      // an equ used before its definition
      const name = `SIZE_${constants++}`;
      out.push(`cmp ${pick(regs)}, ${name}`);
      out.push(`${name} equ ${pick([1, 100, 127, 128, 200, 40000])}`);
    } else if (kind < 0.8) out.push(`align ${pick([4, 8, 16])}`);
    else if (kind < 0.83 && options.format === 'elf64') out.push(`call ${pick(['ext_a', 'ext_b'])}`);
    else if (kind < 0.86) out.push(`mov ${pick(regs)}, ${Math.floor(random() * 300)}`);
    else if (kind < 0.9) out.push(`dd ${target()} - $$`);
    else out.push(`${pick(['inc', 'dec', 'not', 'neg'])} ${pick(regs)}`);
  }
  // every referenced label exists
  for (let k = labels; k < labels + 4; k++) out.push(`L${k}:`, 'nop');
  return out.join('\n') + '\n';
}
