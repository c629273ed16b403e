/** FP16 forms nasm 2.16.01 encodes in its own way (found by probing it), compared byte for byte with nasm. */

import { describe, expect, it } from 'vitest';
import { hex, runNasm, runOstool } from './oracle.js';

const same = (source: string): void => {
  const theirs = runNasm(source, 'bin');
  const ours = runOstool(source, 'bin');
  expect(theirs.output, theirs.stderr).toBeDefined();
  expect(hex(ours)).toBe(hex(theirs.output!));
};

describe('nasm 2.16.01 FP16 encodings', () => {
  it('vreducesh: first source in ModRM.rm, second in vvvv, a memory there written as its base register', () => {
    for (const bits of [64, 32])
      same(`bits ${bits}
vreducesh xmm1, xmm2, xmm3, 5
vreducesh xmm1{k1}{z}, xmm2, xmm3, {sae}, 5
vreducesh xmm1, xmm2, [eax], 5
vreducesh xmm1, xmm2, word [fs:ebx+ecx*8+0x40], 5
vreducesh xmm1, xmm3, 5
vreducesh xmm1, [eax], 5
vreducesh xmm1, xmm2, [esp+eax], 5
vreducesh xmm1, xmm2, [ebp*1+eax*1+8], 5
vreducesh xmm1, xmm2, [eax*2+ecx], 5
`);
    // the base is nasm's first register by name; 16-bit addresses are not checked beyond their width
    same(`bits 32
vreducesh xmm1, xmm2, [si+di], 5
vreducesh xmm1, xmm2, [bx+si*2], 5
vreducesh xmm1, xmm2, [sp], 5
vreducesh xmm1, xmm2, [eax+r8d], 5
`);
    same(`bits 64
vreducesh xmm17, xmm28, [rax+2], 5
vreducesh xmm1, xmm2, [r9+r10*8+0x12345], 5
vreducesh xmm1, xmm2, [r10+r9], 5
vreducesh xmm1, xmm2, [rsp+r8], 5
vreducesh xmm1, xmm2, [esi], 5
`);
  });

  it('vcvtph2udq: an xmm source for every length, m32/m64/m128 memory, half-width disp8, no xmm broadcast', () => {
    same(`bits 64
vcvtph2udq xmm1, xmm2
vcvtph2udq ymm17{k1}{z}, xmm30
vcvtph2udq zmm1, xmm2, {rz-sae}
vcvtph2udq xmm1, dword [rax+64]
vcvtph2udq ymm1, qword [rax+64]
vcvtph2udq zmm1, oword [rax+64]
vcvtph2udq ymm1, [rax+64]{1to4}
vcvtph2udq zmm1{k2}{z}, word [rax+64]{1to8}
vcvtph2udq ymm1, [rax+8]
`);
  });
});

describe('nasm 2.16.01 FP16 memory operand sizes', () => {
  it('vaddph and vcmpph: an unsized or word memory operand (a full vector disp8 scale), no other size; vcmpph k, src, imm with k in vvvv', () => {
    same(`bits 64
vaddph xmm1, xmm2, word [rax+0x40]
vaddph ymm1{k1}{z}, ymm2, word [rax+0x40]
vaddph zmm31, zmm2, word [r9+0x40]
vaddph xmm1, word [rax+0x40]
vaddph zmm1, zmm2, [rax+0x1000]
vcmpph k1, xmm2, word [rax+0x40], 3
vcmpph k1{k2}, zmm2, word [rax+0x40], 3
vcmpph k1, xmm17, 3
vcmpph k5, [rbx+4], 3
vcmpsh k1, xmm2, 3
`);
    for (const refused of [
      'vaddph xmm1, xmm2, oword [rax]',
      'vaddph xmm1, xmm2, [rax]{1to8}',
      'vcmpph k1, ymm2, yword [rax], 3',
    ]) {
      expect(runNasm(`bits 64\n${refused}\n`, 'bin').output).toBeUndefined();
      expect(() => runOstool(`bits 64\n${refused}\n`, 'bin')).toThrow();
    }
  });
});
