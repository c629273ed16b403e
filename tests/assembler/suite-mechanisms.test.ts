/**
 * Mechanisms found through NASM's regression suite, each checked against nasm as the oracle: encoding-choice
 * prefixes (`{rex}`, `{vex2}`), `%substr` on a macro argument, the fp package's `bf16`, AVX512CD/ER/PF, and
 * the errors nasm gives for impossible macro parameter counts and a section that follows itself.
 */

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { hex, runNasm, runOstool } from './oracle.js';

function expectSameBin(source: string): void {
  const nasm = runNasm(source, 'bin');
  if (!nasm.output) throw new Error(`nasm rejected the test source:\n${nasm.stderr}`);
  expect(hex(runOstool(source, 'bin'))).toBe(hex(nasm.output));
}

function expectBothReject(source: string, message: RegExp): void {
  expect(runNasm(source, 'bin').output).toBeUndefined();
  const result = assemble({ source, fileName: 'test.asm', format: 'bin' });
  expect(result.output).toBeUndefined();
  expect(result.diagnostics.map((d) => d.message).join('\n')).toMatch(message);
}

describe('encoding-choice prefixes', () => {
  it('{rex} adds an empty REX prefix to legacy instructions; {vex2}/{vex3}/{evex} pick the VEX/EVEX form', () => {
    expectSameBin(`bits 64
{rex} add eax, edx
{rex} add al, dl
{rex} comisd xmm0, xmm1
{rex} mov ecx, [rax]
{vex2} vcomisd xmm0, xmm1
{vex3} vcomisd xmm0, xmm1
{evex} vcomisd xmm0, xmm1
{evex} vucomiss xmm3, [r8+rax*4+64]
vcomisd xmm0, xmm31
`);
  });

  it('refuses {rex} with a high byte register or a VEX instruction, and {vex2} when three bytes are needed', () => {
    expectBothReject('bits 64\n{rex} add ah, dl\n', /REX/);
    expectBothReject('bits 64\n{rex} vcomisd xmm0, xmm1\n', /\{rex\}/);
    expectBothReject('bits 64\n{vex2} vcomisd xmm0, [rax+r8*2]\n', /\{vex2\}/);
  });
});

describe('preprocessor', () => {
  it('%substr takes its start and length after the string without a comma, on a macro argument', () => {
    expectSameBin(`%macro firsts 1
%push s
%defstr %$text %1
%substr %$head %$text 1
%substr %$tail %$text 2,-1
%substr %$mid %$text 2,2
db %$head, %$tail, %$mid
%pop
%endmacro
firsts 12345
%substr x 'abcdef' 3
db x
`);
  });

  it('the fp package defines bf16 as one bfloat16 word per value', () => {
    expectSameBin(`%use fp
bf16 1.0, -1.5, 0.0
BF16 Inf, NaN
dw bfloat16(2.5)
`);
  });

  it('rejects a macro parameter count nasm cannot hold', () => {
    expectBothReject('%macro m 2222222222\nnop\n%endmacro\nm\n', /parameter count/);
  });
});

describe('sections', () => {
  it('rejects a section that follows itself', () => {
    expectBothReject('section .text follows=.text\nnop\n', /self following/);
  });
});

describe('AVX-512 CD, ER and PF', () => {
  it('encodes tests into masks, mask broadcasts, 28-bit approximations and gather/scatter prefetches', () => {
    expectSameBin(`bits 64
vptestnmd k5{k7}, zmm29, [rcx+0x40]
vptestnmq k1, ymm2, [rax]{1to4}
vptestmb k2, xmm3, xmm4
vptestnmw k3, zmm5, zmm6
vpbroadcastmb2q zmm30, k5
vpbroadcastmw2d xmm1, k2
vexp2ps zmm30{k7}{z}, zmm29, {sae}
vexp2pd zmm1, [rdx+0x2000]
vrcp28ps zmm2, dword [rcx+0x1fc]{1to16}
vrsqrt28pd zmm3, zmm4
vrcp28ss xmm1{k1}, xmm2, [rax+4]
vrsqrt28sd xmm30, xmm29, xmm28, {sae}
vgatherpf0dps [r14+zmm31*8+0x7b]{k1}
vgatherpf1qps [r9+zmm1*1+0x100]{k2}
vscatterpf0dpd [rcx+ymm31*4+0x400]{k3}
vscatterpf1qpd [rax+zmm2*8+8]{k4}
prefetchwt1 [rcx]
`);
  });
});
