/** Encodes generated cases with our encoder and with nasm, and lists every disagreement (bytes, refusal, warnings). */
import { encodeInstruction } from '../../../src/assembler/encoder/index.js';
import type { Bits, InstructionRequest, Operand } from '../../../src/assembler/encoder/types.js';
import { assembleLinesWithNasm, renderInstruction, type TestCase } from './nasm-oracle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function requestFor(
  c: TestCase,
  bits: Bits,
  address: number,
  optimization?: InstructionRequest['optimization'],
): InstructionRequest {
  const operands: Operand[] = c.operands.map((o) => {
    if (o.kind === 'imm' && o.relativeToHere) {
      const { relativeToHere: _, ...rest } = o;
      return { ...rest, value: { offset: BigInt(address) + o.value.offset } };
    }
    if (o.kind === 'mem' && o.relativeToHere) {
      const { relativeToHere: _, ...rest } = o;
      return { ...rest, displacement: { offset: BigInt(address) + o.displacement.offset } };
    }
    return o;
  });
  const request: InstructionRequest = {
    mnemonic: c.mnemonic,
    prefixes: c.prefixes,
    operands,
    bits,
    address: { offset: BigInt(address) },
  };
  if (optimization) request.optimization = optimization;
  if (c.rounding) request.rounding = c.rounding;
  return request;
}

/** Warnings compared by kind: NASM words overflow warnings several ways, sometimes twice for one field. */
function warningKinds(warnings: string[]): string {
  return [...new Set(warnings.map((w) => (w.includes('exceeds bounds') ? 'number overflow' : w)))]
    .sort()
    .join('; ');
}

/**
 * `optimization` runs nasm at the same -O level (default -Ox). A line nasm panics on or dies on has no bytes to
 * compare with: given `nasmPanics`, it is left out of the comparison and listed there (with what we do with
 * it), so that the caller can check that few lines are left out; without it, it counts as a line nasm refuses.
 */
export async function compareWithNasm(
  cases: TestCase[],
  bits: Bits,
  optimization?: InstructionRequest['optimization'],
  nasmPanics?: string[],
): Promise<string[]> {
  const lines = cases.map((c) => renderInstruction(c));
  const nasm = await assembleLinesWithNasm(lines, bits, optimization ? [`-${optimization}`] : []);
  const problems: string[] = [];
  cases.forEach((c, i) => {
    const expected = nasm[i];
    const ours = encodeInstruction(requestFor(c, bits, expected.offset, optimization));
    if (expected.panic !== undefined && nasmPanics) {
      const what = ours.ok ? `we encode ${hex(ours.bytes)}` : `we refuse: ${ours.message}`;
      nasmPanics.push(`bits ${bits}: ${lines[i]}: nasm panics (${expected.panic}); ${what}`);
      return;
    }
    const refusal = expected.error ?? (expected.panic !== undefined ? `panic: ${expected.panic}` : undefined);
    if (refusal !== undefined) {
      if (ours.ok)
        problems.push(
          `bits ${bits}: ${lines[i]}: nasm rejects (${refusal}) but we encode ${hex(ours.bytes)}`,
        );
      return;
    }
    if (!ours.ok)
      problems.push(`bits ${bits}: ${lines[i]}: nasm ${hex(expected.bytes!)} but we fail: ${ours.message}`);
    else if (hex(ours.bytes) !== hex(expected.bytes!))
      problems.push(`bits ${bits}: ${lines[i]}: nasm ${hex(expected.bytes!)} ours ${hex(ours.bytes)}`);
    else {
      const theirs = warningKinds(expected.warnings);
      const mine = warningKinds(ours.warnings);
      if (theirs !== mine)
        problems.push(`bits ${bits}: ${lines[i]}: nasm warnings [${theirs}], ours [${mine}]`);
    }
  });
  return problems;
}
