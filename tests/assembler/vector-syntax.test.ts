/**
 * The source syntax of vector instructions through the whole assembler, against nasm: `{vex}`/`{vex3}`/`{evex}`
 * prefixes, `{k}`/`{z}`/`{1toN}` decorators, rounding operands, `cpu latevex`/`novex`/`noevex`, and errors.
 */
import { describe, expect, it } from 'vitest';
import { hex, runNasm, runOstool } from './oracle.js';

function expectSameBin(source: string): void {
  const nasm = runNasm(source, 'bin');
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output));
}

describe('vector instruction syntax', () => {
  it('takes encoding prefixes, labels before them and lone prefixes like nasm', () => {
    expectSameBin(`bits 64
{vex3} vaddps xmm1, xmm2, xmm3
start: {evex} vaddps xmm1, xmm2, xmm3
{vex} vpmadd52luq ymm1, ymm2, [rax]
cpu latevex
vpmadd52luq ymm1, ymm2, [rax]
vpdpbusd ymm1, ymm2, [rax]
cpu default
rep
vaddps zmm0 {k1}, zmm0, zmm0`);
  });

  it('reads masks, zeroing, broadcasts and rounding operands, with or without spaces', () => {
    expectSameBin(`bits 64
vaddps zmm1{k2}{z}, zmm2, [rax+64]{1to16}
vaddps zmm1 {k2} {z}, zmm2, zmm3, {rz-sae}
vmaxpd zmm1, zmm2, zmm3, {sae}
vmovdqa32 [rsi+128]{k1}, zmm31
vpcmpd k1{k7}, zmm1, [rbx-0x40]{1to16}, 5
kmovw k1, [rax]
vpsubq ymm17, ymm18, [rcx+0x1000]`);
  });

  it('follows cpu latevex, novex and noevex in choosing between VEX and EVEX', () => {
    expectSameBin(`bits 64
vpmadd52luq ymm3, ymm1, [rsi]
cpu latevex
vpmadd52luq ymm3, ymm1, [rsi]
vpmadd52luq ymm16, ymm1, [rsi]
cpu novex
vaddps ymm3, ymm1, [rsi]
{vex} vaddps ymm3, ymm1, [rsi]
cpu default
vaddps ymm3, ymm1, [rsi]`);
  });

  it('refuses decorators the instruction does not take, with the line and column', () => {
    expect(() => runOstool('bits 64\nvmovdqa32 [rsi]{z}{1to16}, zmm1\n', 'bin')).toThrow(/:2:/);
    expect(() => runOstool('bits 64\nvaddps xmm1{k0}, xmm2, xmm3\n', 'bin')).toThrow(
      /invalid operand decorator/,
    );
    expect(() => runOstool('bits 64\nvpaddb xmm1, xmm2, [rax]{1to16}\n', 'bin')).toThrow(
      /invalid combination/,
    );
    expect(() => runOstool('bits 64\nvaddps xmm1, xmm2, xmm3, {rn-sae}\n', 'bin')).toThrow(
      /invalid combination/,
    );
  });

  it('reads register sets (zmm1+3) where nasm 2.16 takes them, and +0 on any vector register', () => {
    expectSameBin(`bits 64
v4fmaddps zmm0, zmm1+3, [rax]
v4fnmaddps zmm2, zmm3+3, [rax]
v4fmaddps zmm0{k1}{z}, zmm1+3, [rax+64]
vaddps zmm1+0, zmm2, zmm3
vaddps xmm1, xmm2+0, xmm3`);
  });

  it("sizes nasm 2.16's unsuffixed opmask mnemonics by a size keyword, the memory or a 16/64-bit register", () => {
    const lines = ['kmov k1, k2', 'kmov dword k1, k2', 'kmov k1, qword k2', 'kmov k1, word [rax]'];
    lines.push('kmov qword [rax], k1', 'kmov [rax], k1', 'kmov k1, eax', 'kmov k1, ax', 'kmov k1, rax');
    lines.push('kmov eax, word k1', 'kmov rax, k1', 'kmov k1, dword eax', 'kunpck k1, k2, k3');
    lines.push('kunpck dword k1, k2, k3', 'kunpck k1, byte k2, k3', 'kunpck qword k1, dword k2, k3');
    for (const m of ['kadd', 'kand', 'kandn', 'kor', 'kxnor', 'kxor'])
      for (const size of ['', 'byte', 'word', 'dword', 'qword']) lines.push(`${m} ${size} k1, k2, k3`);
    for (const m of ['knot', 'kortest', 'ktest'])
      for (const size of ['', 'byte', 'word', 'dword', 'qword']) lines.push(`${m} k1, ${size} k2`);
    for (const m of ['kshiftl', 'kshiftr'])
      for (const size of ['', 'word', 'qword']) lines.push(`${m} ${size} k1, k2, 3`);
    expectSameBin(`bits 64\n${lines.join('\n')}\n`);
    for (const bad of [
      'kmov k1, [rax]',
      'kunpck byte k1, k2, k3',
      'kmov qword k1, eax',
      'kadd byte k1, word k2, k3',
    ]) {
      expect(runNasm(`bits 64\n${bad}\n`, 'bin').output, bad).toBeUndefined();
      expect(() => runOstool(`bits 64\n${bad}\n`, 'bin'), bad).toThrow();
    }
  });
});
