/**
 * EVEX-encoded (AVX-512) instructions in the DSL of `table.ts` and `table-vex.ts`, with these additions:
 *
 * Encoding: `evex` (the map and pp as for `vex`), `b32` `b64` (a memory source may be `{1toN}` of that element
 *   size), `d8=N` (the disp8 scale when it is not the memory operand's size), `l2` (EVEX.L'L=2).
 * Operands: `xyz` expands the line to 128-, 256- and 512-bit forms, with `xyzm` (xmm/m128 .. zmm/m512),
 *   `xyzh` `xyzhm` (half width), `xyzqm` (quarter), `xyzem` (eighth), `mxyz`, `vmxyz` (VSIB) following it;
 *   `zmm` `zm512` `zmu`, `kreg` an opmask register, `km8`..`km64` one or memory; `xyzw` as `xyzu` (vector or
 *   memory of no fixed size) that also takes `word` memory.
 * Mnemonics: `&` expands to the comparison predicates as `@` does, and to the names only EVEX forms take.
 * Flags: `k` the destination takes a `{k1}` write mask, `z` also `{z}` (`zreg` only on a register), `er` a
 *   rounding operand (`{rn-sae}`), `sae` only `{sae}`; both only on 512-bit and scalar forms; `packed` a line written per vector length
 *   (not expanded) whose forms are packed ones; `lowregs` only xmm0-15 (as VEX). `d8=m`: a broadcast's disp8
 *   scale is the memory operand's size too.
 * NASM takes an EVEX form only when no VEX form fits (a register above 15, a zmm, a decorator, `{evex}`), which
 * is why these lines come after the VEX table.
 */
/**
 * The narrowing conversions of packed doubles and quadwords (a half-width result): an xmm from an xmm or ymm, the
 * memory source sized to tell the two apart, and a ymm from zmm/m512 with `rounding` (`er` or `sae`).
 */
const narrowing = (mnemonic: string, encoding: string, rounding: 'er' | 'sae'): string =>
  [
    `${mnemonic} xmm,xmm | rm | evex ${encoding} | k z`,
    `${mnemonic} xmm,ymm | rm | evex l1 ${encoding} | k z`,
    `${mnemonic} xmm,m128 | rm | evex ${encoding} | k z sized`,
    `${mnemonic} xmm,m256 | rm | evex l1 ${encoding} | k z sized`,
    `${mnemonic} ymm,zm512 | rm | evex l2 ${encoding} | k z ${rounding}`,
  ].join('\n');

export const EVEX_INSTRUCTION_TABLE = `
# AVX-512 floating point.
vaddps,vmulps,-,-,vsubps,-,vdivps xyz,xyz,xyzm | rvm | evex w0 b32 0f 58+g /r | k z er
vaddpd,vmulpd,-,-,vsubpd,-,vdivpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 58+g /r | k z er
vaddss,vmulss,-,-,vsubss,-,vdivss xmm,xmm,xm32 | rvm | evex pf3 w0 0f 58+g /r | k z er
vaddsd,vmulsd,-,-,vsubsd,-,vdivsd xmm,xmm,xm64 | rvm | evex pf2 w1 0f 58+g /r | k z er
vminps,-,vmaxps xyz,xyz,xyzm | rvm | evex w0 b32 0f 5d+g /r | k z sae
vminpd,-,vmaxpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 5d+g /r | k z sae
vminss,-,vmaxss xmm,xmm,xm32 | rvm | evex pf3 w0 0f 5d+g /r | k z sae
vminsd,-,vmaxsd xmm,xmm,xm64 | rvm | evex pf2 w1 0f 5d+g /r | k z sae
vsqrtps xyz,xyzm | rm | evex w0 b32 0f 51 /r | k z er
vsqrtpd xyz,xyzm | rm | evex p66 w1 b64 0f 51 /r | k z er
vsqrtss xmm,xmm,xm32 | rvm | evex pf3 w0 0f 51 /r | k z er
vsqrtsd xmm,xmm,xm64 | rvm | evex pf2 w1 0f 51 /r | k z er
vandps,vandnps,vorps,vxorps xyz,xyz,xyzm | rvm | evex w0 b32 0f 54+g /r | k z
vandpd,vandnpd,vorpd,vxorpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 54+g /r | k z
vunpcklps,vunpckhps xyz,xyz,xyzm | rvm | evex w0 b32 0f 14+g /r | k z
vunpcklpd,vunpckhpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 14+g /r | k z
vshufps xyz,xyz,xyzm,ib | rvmi | evex w0 b32 0f c6 /r ib | k z
vshufpd xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f c6 /r ib | k z
vfmadd132ps,-,vfmsub132ps,-,vfnmadd132ps,-,vfnmsub132ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 98+g /r | k z er nodup
vfmadd213ps,-,vfmsub213ps,-,vfnmadd213ps,-,vfnmsub213ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 a8+g /r | k z er nodup
vfmadd231ps,-,vfmsub231ps,-,vfnmadd231ps,-,vfnmsub231ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 b8+g /r | k z er nodup
vfmadd132pd,-,vfmsub132pd,-,vfnmadd132pd,-,vfnmsub132pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 98+g /r | k z er nodup
vfmadd213pd,-,vfmsub213pd,-,vfnmadd213pd,-,vfnmsub213pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 a8+g /r | k z er nodup
vfmadd231pd,-,vfmsub231pd,-,vfnmadd231pd,-,vfnmsub231pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 b8+g /r | k z er nodup
# AVX-512 moves.
vmovaps xyz,xyzm | rm | evex w0 0f 28 /r | k z
vmovaps xyzm,xyz | mr | evex w0 0f 29 /r | k zreg
vmovapd xyz,xyzm | rm | evex p66 w1 0f 28 /r | k z
vmovapd xyzm,xyz | mr | evex p66 w1 0f 29 /r | k zreg
vmovups xyz,xyzm | rm | evex w0 0f 10 /r | k z
vmovups xyzm,xyz | mr | evex w0 0f 11 /r | k zreg
vmovupd xyz,xyzm | rm | evex p66 w1 0f 10 /r | k z
vmovupd xyzm,xyz | mr | evex p66 w1 0f 11 /r | k zreg
vmovdqa32 xyz,xyzm | rm | evex p66 w0 0f 6f /r | k z
vmovdqa32 xyzm,xyz | mr | evex p66 w0 0f 7f /r | k z
vmovdqa64 xyz,xyzm | rm | evex p66 w1 0f 6f /r | k z
vmovdqa64 xyzm,xyz | mr | evex p66 w1 0f 7f /r | k z
vmovdqu32 xyz,xyzm | rm | evex pf3 w0 0f 6f /r | k z
vmovdqu32 xyzm,xyz | mr | evex pf3 w0 0f 7f /r | k z
vmovdqu64 xyz,xyzm | rm | evex pf3 w1 0f 6f /r | k z
vmovdqu64 xyzm,xyz | mr | evex pf3 w1 0f 7f /r | k z
vmovdqu8 xyz,xyzm | rm | evex pf2 w0 0f 6f /r | k z
vmovdqu8 xyzm,xyz | mr | evex pf2 w0 0f 7f /r | k z
vmovdqu16 xyz,xyzm | rm | evex pf2 w1 0f 6f /r | k z
vmovdqu16 xyzm,xyz | mr | evex pf2 w1 0f 7f /r | k z
vmovntdq mxyz,xyz | mr | evex p66 w0 0f e7 /r
vmovntdqa xyz,mxyz | rm | evex p66 w0 0f 38 2a /r
vmovss xmm,m32 | rm | evex pf3 w0 0f 10 /r | k z
vmovss m32,xmm | mr | evex pf3 w0 0f 11 /r | k
vmovss xmm,xmm,xmm | rvm | evex pf3 w0 0f 10 /r | k z
vmovsd xmm,m64 | rm | evex pf2 w1 0f 10 /r | k z
vmovsd m64,xmm | mr | evex pf2 w1 0f 11 /r | k
vmovsd xmm,xmm,xmm | rvm | evex pf2 w1 0f 10 /r | k z
vmovd xmm,rm32 | rm | evex p66 w0 0f 6e /r
vmovd rm32,xmm | mr | evex p66 w0 0f 7e /r
vmovq xmm,m64 | rm | evex p66 w1 0f 6e /r
vmovq m64,xmm | mr | evex p66 w1 0f 7e /r
vmovq xmm,r64 | rm | evex p66 w1 0f 6e /r | long
vmovq r64,xmm | mr | evex p66 w1 0f 7e /r | long
vmovq xmm,xm64 | rm | evex pf3 w1 0f 7e /r
vmovq xm64,xmm | mr | evex p66 w1 0f d6 /r
# AVX-512 integer.
vpaddd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f fe /r | k z
vpsubd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f fa /r | k z
vpaddq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f d4 /r | k z
vpsubq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f fb /r | k z
vpsubb,vpsubw,-,-,vpaddb,vpaddw xyz,xyz,xyzm | rvm | evex p66 0f f8+g /r | k z
vpandd,-,-,-,vpandnd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f db+g /r | k z
vpandq,-,-,-,vpandnq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f db+g /r | k z
vpord,-,-,-,vpxord xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f eb+g /r | k z
vporq,-,-,-,vpxorq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f eb+g /r | k z
vpminsd,-,vpminud,-,vpmaxsd,-,vpmaxud,vpmulld xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 39+g /r | k z
vpminsq,-,vpminuq,-,vpmaxsq,-,vpmaxuq,vpmullq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 39+g /r | k z
vpmuludq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f f4 /r | k z
vpmuldq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 28 /r | k z
vpternlogd xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 25 /r ib | k z nodup
vpternlogq xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 25 /r ib | k z nodup
vpconflictd xyz,xyzm | rm | evex p66 w0 b32 0f 38 c4 /r | k z
vpconflictq xyz,xyzm | rm | evex p66 w1 b64 0f 38 c4 /r | k z
vplzcntd xyz,xyzm | rm | evex p66 w0 b32 0f 38 44 /r | k z
vplzcntq xyz,xyzm | rm | evex p66 w1 b64 0f 38 44 /r | k z
vpmadd52luq,vpmadd52huq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 b4+g /r | k z nodup
vpdpbusd,vpdpbusds,vpdpwssd,vpdpwssds xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 50+g /r | k z
vpshldvw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 70 /r | k z
vpshldvd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 71 /r | k z
vpshldvq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 71 /r | k z
vpshrdvw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 72 /r | k z
vpshrdvd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 73 /r | k z
vpshrdvq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 73 /r | k z
vpbroadcastd xyz,xm32 | rm | evex p66 w0 0f 38 58 /r | k z
vpbroadcastq xyz,xm64 | rm | evex p66 w1 0f 38 59 /r | k z
vpbroadcastb xyz,xm8 | rm | evex p66 w0 0f 38 78 /r | k z
vpbroadcastw xyz,xm16 | rm | evex p66 w0 0f 38 79 /r | k z
vpbroadcastd xyz,r32 | rm | evex p66 w0 0f 38 7c /r | k z
vpbroadcastq xyz,r64 | rm | evex p66 w1 0f 38 7c /r | k z long
vpbroadcastb xyz,r32 | rm | evex p66 w0 0f 38 7a /r | k z
vpbroadcastw xyz,r32 | rm | evex p66 w0 0f 38 7b /r | k z
vpbroadcastb xyz,r16 | rm | evex p66 w0 0f 38 7a /r | k z
vpbroadcastb xyz,r8 | rm | evex p66 w0 0f 38 7a /r | k z
vpbroadcastw xyz,r16 | rm | evex p66 w0 0f 38 7b /r | k z
vpbroadcastb xyz,r64 | rm | evex p66 w0 0f 38 7a /r | k z long
vpbroadcastw xyz,r64 | rm | evex p66 w0 0f 38 7b /r | k z long
vbroadcastss xyz,xm32 | rm | evex p66 w0 0f 38 18 /r | k z
vbroadcastsd ymm,xm64 | rm | evex p66 w1 l1 0f 38 19 /r | k z
vbroadcastsd zmm,xm64 | rm | evex p66 w1 l2 0f 38 19 /r | k z
# AVX-512 comparisons into opmask registers.
vpcmpeqb,vpcmpeqw kreg,xyz,xyzm | rvm | evex p66 0f 74+g /r | k
vpcmpeqd kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 76 /r | k
vpcmpgtb,vpcmpgtw kreg,xyz,xyzm | rvm | evex p66 0f 64+g /r | k
vpcmpgtd kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 66 /r | k
vpcmpeqq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 29 /r | k
vpcmpgtq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 37 /r | k
vpcmpub,vpcmpb kreg,xyz,xyzm,ib | rvmi | evex p66 w0 0f 3a 3e+g /r ib | k
vpcmpuw,vpcmpw kreg,xyz,xyzm,ib | rvmi | evex p66 w1 0f 3a 3e+g /r ib | k
vpcmpud,vpcmpd kreg,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 1e+g /r ib | k
vpcmpuq,vpcmpq kreg,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 1e+g /r ib | k
-,vpcmpltb,vpcmpleb,-,vpcmpneqb,vpcmpnltb,vpcmpnleb kreg,xyz,xyzm | rvm | evex p66 w0 0f 3a 3f /r ig | k
-,vpcmpltw,vpcmplew,-,vpcmpneqw,vpcmpnltw,vpcmpnlew kreg,xyz,xyzm | rvm | evex p66 w1 0f 3a 3f /r ig | k
-,vpcmpltd,vpcmpled,-,vpcmpneqd,vpcmpnltd,vpcmpnled kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 3a 1f /r ig | k
-,vpcmpltq,vpcmpleq,-,vpcmpneqq,vpcmpnltq,vpcmpnleq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 3a 1f /r ig | k
vpcmpequb,vpcmpltub,vpcmpleub,-,vpcmpnequb,vpcmpnltub,vpcmpnleub kreg,xyz,xyzm | rvm | evex p66 w0 0f 3a 3e /r ig | k
vpcmpequw,vpcmpltuw,vpcmpleuw,-,vpcmpnequw,vpcmpnltuw,vpcmpnleuw kreg,xyz,xyzm | rvm | evex p66 w1 0f 3a 3e /r ig | k
vpcmpequd,vpcmpltud,vpcmpleud,-,vpcmpnequd,vpcmpnltud,vpcmpnleud kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 3a 1e /r ig | k
vpcmpequq,vpcmpltuq,vpcmpleuq,-,vpcmpnequq,vpcmpnltuq,vpcmpnleuq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 3a 1e /r ig | k
-,-,vpcmpngtb,-,-,vpcmpgeb kreg,xyz,xyzm | rvm | evex p66 w0 0f 3a 3f /r ig | k
-,-,vpcmpngtw,-,-,vpcmpgew kreg,xyz,xyzm | rvm | evex p66 w1 0f 3a 3f /r ig | k
-,-,vpcmpngtd,-,-,vpcmpged kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 3a 1f /r ig | k
-,-,vpcmpngtq,-,-,vpcmpgeq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 3a 1f /r ig | k
-,-,vpcmpngtub,-,-,vpcmpgeub,vpcmpgtub kreg,xyz,xyzm | rvm | evex p66 w0 0f 3a 3e /r ig | k
-,-,vpcmpngtuw,-,-,vpcmpgeuw,vpcmpgtuw kreg,xyz,xyzm | rvm | evex p66 w1 0f 3a 3e /r ig | k
-,-,vpcmpngtud,-,-,vpcmpgeud,vpcmpgtud kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 3a 1e /r ig | k
-,-,vpcmpngtuq,-,-,vpcmpgeuq,vpcmpgtuq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 3a 1e /r ig | k
# AVX-512 scalar compares into flags.
vucomiss,vcomiss xmm,xm32 | rm | evex w0 0f 2e+g /r | sae
vucomisd,vcomisd xmm,xm64 | rm | evex p66 w1 0f 2e+g /r | sae
# AVX-512 tests into opmask registers, opmask broadcasts (AVX512F, AVX512CD, AVX512BW).
vptestmb kreg,xyz,xyzm | rvm | evex p66 w0 0f 38 26 /r | k
vptestmw kreg,xyz,xyzm | rvm | evex p66 w1 0f 38 26 /r | k
vptestmd kreg,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 27 /r | k
vptestmq kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 27 /r | k
vptestnmb kreg,xyz,xyzm | rvm | evex pf3 w0 0f 38 26 /r | k
vptestnmw kreg,xyz,xyzm | rvm | evex pf3 w1 0f 38 26 /r | k
vptestnmd kreg,xyz,xyzm | rvm | evex pf3 w0 b32 0f 38 27 /r | k
vptestnmq kreg,xyz,xyzm | rvm | evex pf3 w1 b64 0f 38 27 /r | k
vpbroadcastmb2q xyz,kreg | rm | evex pf3 w1 0f 38 2a /r
vpbroadcastmw2d xyz,kreg | rm | evex pf3 w0 0f 38 3a /r
# AVX512ER: 28-bit approximations, 512-bit and scalar only.
vexp2ps zmm,zm512 | rm | evex p66 w0 l2 b32 0f 38 c8 /r | k z sae
vexp2pd zmm,zm512 | rm | evex p66 w1 l2 b64 0f 38 c8 /r | k z sae
vrcp28ps,-,vrsqrt28ps zmm,zm512 | rm | evex p66 w0 l2 b32 0f 38 ca+g /r | k z sae
vrcp28pd,-,vrsqrt28pd zmm,zm512 | rm | evex p66 w1 l2 b64 0f 38 ca+g /r | k z sae
vrcp28ss,-,vrsqrt28ss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 cb+g /r | k z sae
vrcp28sd,-,vrsqrt28sd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 cb+g /r | k z sae
# AVX512PF: gather/scatter prefetches, the write mask on the memory operand.
-,vgatherpf0dps,vgatherpf1dps,-,-,vscatterpf0dps,vscatterpf1dps vmz | m | evex p66 w0 l2 d8=4 0f 38 c6 /g | k
-,vgatherpf0qps,vgatherpf1qps,-,-,vscatterpf0qps,vscatterpf1qps vmz | m | evex p66 w0 l2 d8=4 0f 38 c7 /g | k
-,vgatherpf0dpd,vgatherpf1dpd,-,-,vscatterpf0dpd,vscatterpf1dpd vmy | m | evex p66 w1 l2 d8=8 0f 38 c6 /g | k
-,vgatherpf0qpd,vgatherpf1qpd,-,-,vscatterpf0qpd,vscatterpf1qpd vmz | m | evex p66 w1 l2 d8=8 0f 38 c7 /g | k
# AVX-512 blends, aligns and two-table permutes (F, BW, VBMI).
valignd xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 03 /r ib | k z
valignq xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 03 /r ib | k z
vblendmps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 65 /r | k z nodup
vpblendmd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 64 /r | k z nodup
vblendmpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 65 /r | k z nodup
vpblendmq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 64 /r | k z nodup
vpblendmb xyz,xyz,xyzm | rvm | evex p66 w0 0f 38 66 /r | k z nodup
vpblendmw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 66 /r | k z nodup
vpermi2b xyz,xyz,xyzm | rvm | evex p66 w0 0f 38 75 /r | k z nodup
vpermi2w xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 75 /r | k z nodup
vpermi2d,vpermi2ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 76+g /r | k z nodup
vpermi2q,vpermi2pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 76+g /r | k z nodup
vpermt2b xyz,xyz,xyzm | rvm | evex p66 w0 0f 38 7d /r | k z nodup
vpermt2w xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 7d /r | k z nodup
vpermt2d,vpermt2ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 7e+g /r | k z nodup
vpermt2q,vpermt2pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 7e+g /r | k z nodup
vpermb xyz,xyz,xyzm | rvm | evex p66 w0 0f 38 8d /r | k z
vpermw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 8d /r | k z
vpmultishiftqb xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 83 /r | k z
vshuff32x4 ymm,ymm,ym256,ib | rvmi | evex p66 w0 l1 b32 0f 3a 23 /r ib | k z
vshuff32x4 zmm,zmm,zm512,ib | rvmi | evex p66 w0 l2 b32 0f 3a 23 /r ib | k z
vshuff64x2 ymm,ymm,ym256,ib | rvmi | evex p66 w1 l1 b64 0f 3a 23 /r ib | k z
vshuff64x2 zmm,zmm,zm512,ib | rvmi | evex p66 w1 l2 b64 0f 3a 23 /r ib | k z
vshufi32x4 ymm,ymm,ym256,ib | rvmi | evex p66 w0 l1 b32 0f 3a 43 /r ib | k z
vshufi32x4 zmm,zmm,zm512,ib | rvmi | evex p66 w0 l2 b32 0f 3a 43 /r ib | k z
vshufi64x2 ymm,ymm,ym256,ib | rvmi | evex p66 w1 l1 b64 0f 3a 43 /r ib | k z
vshufi64x2 zmm,zmm,zm512,ib | rvmi | evex p66 w1 l2 b64 0f 3a 43 /r ib | k z
# AVX-512 tuple broadcasts, extracts and inserts (F, DQ).
vbroadcasti32x2 xyz,xm64 | rm | evex p66 w0 0f 38 59 /r | k z
vbroadcastf32x2 ymm,xm64 | rm | evex p66 w0 l1 0f 38 19 /r | k z
vbroadcastf32x2 zmm,xm64 | rm | evex p66 w0 l2 0f 38 19 /r | k z
vbroadcastf32x4 ymm,m128 | rm | evex p66 w0 l1 0f 38 1a /r | k z
vbroadcasti32x4 ymm,m128 | rm | evex p66 w0 l1 0f 38 5a /r | k z
vbroadcastf32x4 zmm,m128 | rm | evex p66 w0 l2 0f 38 1a /r | k z
vbroadcasti32x4 zmm,m128 | rm | evex p66 w0 l2 0f 38 5a /r | k z
vbroadcastf64x2 ymm,m128 | rm | evex p66 w1 l1 0f 38 1a /r | k z
vbroadcasti64x2 ymm,m128 | rm | evex p66 w1 l1 0f 38 5a /r | k z
vbroadcastf64x2 zmm,m128 | rm | evex p66 w1 l2 0f 38 1a /r | k z
vbroadcasti64x2 zmm,m128 | rm | evex p66 w1 l2 0f 38 5a /r | k z
vbroadcastf32x8 zmm,m256 | rm | evex p66 w0 l2 0f 38 1b /r | k z
vbroadcasti32x8 zmm,m256 | rm | evex p66 w0 l2 0f 38 5b /r | k z
vbroadcastf64x4 zmm,m256 | rm | evex p66 w1 l2 0f 38 1b /r | k z
vbroadcasti64x4 zmm,m256 | rm | evex p66 w1 l2 0f 38 5b /r | k z
vextractf32x4 xm128,ymm,ib | mri | evex p66 w0 l1 0f 3a 19 /r ib | k zreg
vextracti32x4 xm128,ymm,ib | mri | evex p66 w0 l1 0f 3a 39 /r ib | k zreg
vextractf32x4 xm128,zmm,ib | mri | evex p66 w0 l2 0f 3a 19 /r ib | k zreg
vextracti32x4 xm128,zmm,ib | mri | evex p66 w0 l2 0f 3a 39 /r ib | k zreg
vextractf64x2 xm128,ymm,ib | mri | evex p66 w1 l1 0f 3a 19 /r ib | k zreg
vextracti64x2 xm128,ymm,ib | mri | evex p66 w1 l1 0f 3a 39 /r ib | k zreg
vextractf64x2 xm128,zmm,ib | mri | evex p66 w1 l2 0f 3a 19 /r ib | k zreg
vextracti64x2 xm128,zmm,ib | mri | evex p66 w1 l2 0f 3a 39 /r ib | k zreg
vextractf32x8 ym256,zmm,ib | mri | evex p66 w0 l2 0f 3a 1b /r ib | k zreg
vextracti32x8 ym256,zmm,ib | mri | evex p66 w0 l2 0f 3a 3b /r ib | k zreg
vextractf64x4 ym256,zmm,ib | mri | evex p66 w1 l2 0f 3a 1b /r ib | k zreg
vextracti64x4 ym256,zmm,ib | mri | evex p66 w1 l2 0f 3a 3b /r ib | k zreg
vinsertf32x4 ymm,ymm,xm128,ib | rvmi | evex p66 w0 l1 0f 3a 18 /r ib | k z
vinserti32x4 ymm,ymm,xm128,ib | rvmi | evex p66 w0 l1 0f 3a 38 /r ib | k z
vinsertf32x4 zmm,zmm,xm128,ib | rvmi | evex p66 w0 l2 0f 3a 18 /r ib | k z
vinserti32x4 zmm,zmm,xm128,ib | rvmi | evex p66 w0 l2 0f 3a 38 /r ib | k z
vinsertf64x2 ymm,ymm,xm128,ib | rvmi | evex p66 w1 l1 0f 3a 18 /r ib | k z
vinserti64x2 ymm,ymm,xm128,ib | rvmi | evex p66 w1 l1 0f 3a 38 /r ib | k z
vinsertf64x2 zmm,zmm,xm128,ib | rvmi | evex p66 w1 l2 0f 3a 18 /r ib | k z
vinserti64x2 zmm,zmm,xm128,ib | rvmi | evex p66 w1 l2 0f 3a 38 /r ib | k z
vinsertf32x8 zmm,zmm,ym256,ib | rvmi | evex p66 w0 l2 0f 3a 1a /r ib | k z
vinserti32x8 zmm,zmm,ym256,ib | rvmi | evex p66 w0 l2 0f 3a 3a /r ib | k z
vinsertf64x4 zmm,zmm,ym256,ib | rvmi | evex p66 w1 l2 0f 3a 1a /r ib | k z
vinserti64x4 zmm,zmm,ym256,ib | rvmi | evex p66 w1 l2 0f 3a 3a /r ib | k z
# AVX-512 down-converting moves (F, BW): truncating, signed- and unsigned-saturating.
vpmovuswb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovswb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovwb xyzhm,xyz | mr | evex pf3 w0 0f 38 10+g /r | k zreg
vpmovusdb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovsdb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovdb xyzqm,xyz | mr | evex pf3 w0 0f 38 11+g /r | k zreg
vpmovusqb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovsqb,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovqb xyzem,xyz | mr | evex pf3 w0 0f 38 12+g /r | k zreg
vpmovusdw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovsdw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovdw xyzhm,xyz | mr | evex pf3 w0 0f 38 13+g /r | k zreg
vpmovusqw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovsqw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovqw xyzqm,xyz | mr | evex pf3 w0 0f 38 14+g /r | k zreg
vpmovusqd,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovsqd,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovqd xyzhm,xyz | mr | evex pf3 w0 0f 38 15+g /r | k zreg
# AVX-512 opmask <-> vector conversions (BW, DQ).
vpmovm2b,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovm2d xyz,kreg | rm | evex pf3 w0 0f 38 28+g /r
vpmovm2w,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovm2q xyz,kreg | rm | evex pf3 w1 0f 38 28+g /r
vpmovb2m,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovd2m kreg,xyz | rm | evex pf3 w0 0f 38 29+g /r
vpmovw2m,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpmovq2m kreg,xyz | rm | evex pf3 w1 0f 38 29+g /r
# AVX-512 compress and expand (F, VBMI2): disp8*N by element.
vcompressps xyzm,xyz | mr | evex p66 w0 d8=4 0f 38 8a /r | k zreg
vcompresspd xyzm,xyz | mr | evex p66 w1 d8=8 0f 38 8a /r | k zreg
vpcompressd xyzm,xyz | mr | evex p66 w0 d8=4 0f 38 8b /r | k zreg
vpcompressq xyzm,xyz | mr | evex p66 w1 d8=8 0f 38 8b /r | k zreg
vpcompressb xyzm,xyz | mr | evex p66 w0 d8=1 0f 38 63 /r | k zreg
vpcompressw xyzm,xyz | mr | evex p66 w1 d8=2 0f 38 63 /r | k zreg
vexpandps xyz,xyzm | rm | evex p66 w0 d8=4 0f 38 88 /r | k z
vexpandpd xyz,xyzm | rm | evex p66 w1 d8=8 0f 38 88 /r | k z
vpexpandd xyz,xyzm | rm | evex p66 w0 d8=4 0f 38 89 /r | k z
vpexpandq xyz,xyzm | rm | evex p66 w1 d8=8 0f 38 89 /r | k z
vpexpandb xyz,xyzm | rm | evex p66 w0 d8=1 0f 38 62 /r | k z
vpexpandw xyz,xyzm | rm | evex p66 w1 d8=2 0f 38 62 /r | k z
# AVX-512 rotates and the shifts AVX2 lacks (F, BW).
vprord,vprold xyz,xyzm,ib | vmi | evex p66 w0 b32 0f 72 /g ib | k z
vprorq,vprolq xyz,xyzm,ib | vmi | evex p66 w1 b64 0f 72 /g ib | k z
vpsraq xyz,xyzm,ib | vmi | evex p66 w1 b64 0f 72 /4 ib | k z
vprorvd,vprolvd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 14+g /r | k z
vprorvq,vprolvq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 14+g /r | k z
vpsravq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 46 /r | k z
vpsrlvw,vpsravw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 10+g /r | k z
vpsllvw xyz,xyz,xyzm | rvm | evex p66 w1 0f 38 12 /r | k z
vpabsq xyz,xyzm | rm | evex p66 w1 b64 0f 38 1f /r | k z
# AVX-512 approximations and floating-point decompositions (F, DQ).
vrcp14ps,-,vrsqrt14ps xyz,xyzm | rm | evex p66 w0 b32 0f 38 4c+g /r | k z
vrcp14pd,-,vrsqrt14pd xyz,xyzm | rm | evex p66 w1 b64 0f 38 4c+g /r | k z
vrcp14ss,-,vrsqrt14ss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 4d+g /r | k z
vrcp14sd,-,vrsqrt14sd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 4d+g /r | k z
vscalefps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 2c /r | k z er
vscalefpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 2c /r | k z er
vscalefss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 2d /r | k z er
vscalefsd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 2d /r | k z er
vgetexpps xyz,xyzm | rm | evex p66 w0 b32 0f 38 42 /r | k z sae
vgetexppd xyz,xyzm | rm | evex p66 w1 b64 0f 38 42 /r | k z sae
vgetexpss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 43 /r | k z sae nodup
vgetexpsd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 43 /r | k z sae nodup
vgetmantps xyz,xyzm,ib | rmi | evex p66 w0 b32 0f 3a 26 /r ib | k z sae
vgetmantpd xyz,xyzm,ib | rmi | evex p66 w1 b64 0f 3a 26 /r ib | k z sae
vgetmantss xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 27 /r ib | k z sae nodup
vgetmantsd xmm,xmm,xm64,ib | rvmi | evex p66 w1 0f 3a 27 /r ib | k z sae nodup
vrndscaleps xyz,xyzm,ib | rmi | evex p66 w0 b32 0f 3a 08 /r ib | k z sae
vrndscalepd xyz,xyzm,ib | rmi | evex p66 w1 b64 0f 3a 09 /r ib | k z sae
vrndscaless xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 0a /r ib | k z sae
vrndscalesd xmm,xmm,xm64,ib | rvmi | evex p66 w1 0f 3a 0b /r ib | k z sae
vreduceps xyz,xyzm,ib | rmi | evex p66 w0 b32 0f 3a 56 /r ib | k z sae
vreducepd xyz,xyzm,ib | rmi | evex p66 w1 b64 0f 3a 56 /r ib | k z sae
vreducess xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 57 /r ib | k z sae
vreducesd xmm,xmm,xm64,ib | rvmi | evex p66 w1 0f 3a 57 /r ib | k z sae
vrangeps xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 50 /r ib | k z sae
vrangepd xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 50 /r ib | k z sae
vrangess xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 51 /r ib | k z sae
vrangesd xmm,xmm,xm64,ib | rvmi | evex p66 w1 0f 3a 51 /r ib | k z sae
vfixupimmps xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 54 /r ib | k z sae
vfixupimmpd xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 54 /r ib | k z sae
vfixupimmss xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 55 /r ib | k z sae
vfixupimmsd xmm,xmm,xm64,ib | rvmi | evex p66 w1 0f 3a 55 /r ib | k z sae
vfpclassps kreg,xyzm,ib | rmi | evex p66 w0 b32 0f 3a 66 /r ib | k
vfpclasspd kreg,xyzm,ib | rmi | evex p66 w1 b64 0f 3a 66 /r ib | k
vfpclassss kreg,xm32,ib | rmi | evex p66 w0 0f 3a 67 /r ib | k
vfpclasssd kreg,xm64,ib | rmi | evex p66 w1 0f 3a 67 /r ib | k
# AVX-512 byte and bit operations (BW, VBMI2, BITALG, VPOPCNTDQ).
vdbpsadbw xyz,xyz,xyzm,ib | rvmi | evex p66 w0 0f 3a 42 /r ib | k z
vpshldw xyz,xyz,xyzm,ib | rvmi | evex p66 w1 0f 3a 70 /r ib | k z
vpshldd xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 71 /r ib | k z
vpshldq xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 71 /r ib | k z
vpshrdw xyz,xyz,xyzm,ib | rvmi | evex p66 w1 0f 3a 72 /r ib | k z
vpshrdd xyz,xyz,xyzm,ib | rvmi | evex p66 w0 b32 0f 3a 73 /r ib | k z
vpshrdq xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a 73 /r ib | k z
vpopcntb xyz,xyzm | rm | evex p66 w0 0f 38 54 /r | k z
vpopcntw xyz,xyzm | rm | evex p66 w1 0f 38 54 /r | k z
vpopcntd xyz,xyzm | rm | evex p66 w0 0f 38 55 /r | k z
vpopcntq xyz,xyzm | rm | evex p66 w1 0f 38 55 /r | k z
vpshufbitqmb kreg,xyz,xyzm | rvm | evex p66 w0 0f 38 8f /r | k
# AVX-512 forms of AVX and AVX2 integer instructions (F, BW): byte and word elements have no broadcast.
vpunpcklbw,vpunpcklwd,-,vpacksswb,-,-,-,vpackuswb,vpunpckhbw,vpunpckhwd xyz,xyz,xyzm | rvm | evex p66 0f 60+g /r | k z
vpunpckldq,-,-,-,-,-,-,-,vpunpckhdq,vpackssdw xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 62+g /r | k z
vpunpcklqdq,vpunpckhqdq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 6c+g /r | k z
vpackusdw xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 2b /r | k z
-,-,-,-,-,vpmullw,-,-,vpsubusb,vpsubusw,vpminub,-,vpaddusb,vpaddusw,vpmaxub xyz,xyz,xyzm | rvm | evex p66 0f d0+g /r | k z
vpavgb,-,-,vpavgw,vpmulhuw,vpmulhw,-,-,vpsubsb,vpsubsw,vpminsw,-,vpaddsb,vpaddsw,vpmaxsw xyz,xyz,xyzm | rvm | evex p66 0f e0+g /r | k z
vpmaddwd xyz,xyz,xyzm | rvm | evex p66 0f f5 /r | k z
vpsadbw xyz,xyz,xyzm | rvm | evex p66 0f f6 /r
vpshufb,-,-,-,vpmaddubsw,-,-,-,-,-,-,vpmulhrsw xyz,xyz,xyzm | rvm | evex p66 0f 38 00+g /r | k z
vpabsb,vpabsw xyz,xyzm | rm | evex p66 0f 38 1c+g /r | k z
vpabsd xyz,xyzm | rm | evex p66 w0 b32 0f 38 1e /r | k z
vpminsb,-,vpminuw,-,vpmaxsb,-,vpmaxuw xyz,xyz,xyzm | rvm | evex p66 0f 38 38+g /r | k z
vpalignr xyz,xyz,xyzm,ib | rvmi | evex p66 0f 3a 0f /r ib | k z
vpshufd xyz,xyzm,ib | rmi | evex p66 w0 b32 0f 70 /r ib | k z
vpshufhw xyz,xyzm,ib | rmi | evex pf3 0f 70 /r ib | k z
vpshuflw xyz,xyzm,ib | rmi | evex pf2 0f 70 /r ib | k z
vpmovsxbw,-,-,vpmovsxwd,-,vpmovsxdq xyz,xyzhm | rm | evex p66 w0 0f 38 20+g /r | k z
vpmovsxbd,-,-,vpmovsxwq xyz,xyzqm | rm | evex p66 w0 0f 38 21+g /r | k z
vpmovsxbq xyz,xyzem | rm | evex p66 w0 0f 38 22 /r | k z
vpmovzxbw,-,-,vpmovzxwd,-,vpmovzxdq xyz,xyzhm | rm | evex p66 w0 0f 38 30+g /r | k z
vpmovzxbd,-,-,vpmovzxwq xyz,xyzqm | rm | evex p66 w0 0f 38 31+g /r | k z
vpmovzxbq xyz,xyzem | rm | evex p66 w0 0f 38 32 /r | k z
vpsrlvd,vpsravd,vpsllvd xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 45+g /r | k z
vpsrlvq,-,vpsllvq xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 45+g /r | k z
vgf2p8mulb xyz,xyz,xyzm | rvm | evex p66 w0 0f 38 cf /r | k z
vgf2p8affineqb,vgf2p8affineinvqb xyz,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f 3a ce+g /r ib | k z
# AVX-512 forms of AVX permutes (F): the full permutes have no 128-bit form.
vpermilps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 0c /r | k z
vpermilpd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 0d /r | k z
vpermilps xyz,xyzm,ib | rmi | evex p66 w0 b32 0f 3a 04 /r ib | k z
vpermilpd xyz,xyzm,ib | rmi | evex p66 w1 b64 0f 3a 05 /r ib | k z
vpermps,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpermd ymm,ymm,ym256 | rvm | evex p66 w0 l1 b32 0f 38 16+g /r | k z
vpermps,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpermd zmm,zmm,zm512 | rvm | evex p66 w0 l2 b32 0f 38 16+g /r | k z
vpermpd,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpermq ymm,ymm,ym256 | rvm | evex p66 w1 l1 b64 0f 38 16+g /r | k z
vpermpd,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpermq zmm,zmm,zm512 | rvm | evex p66 w1 l2 b64 0f 38 16+g /r | k z
vpermq,vpermpd ymm,ym256,ib | rmi | evex p66 w1 l1 b64 0f 3a 00+g /r ib | k z
vpermq,vpermpd zmm,zm512,ib | rmi | evex p66 w1 l2 b64 0f 3a 00+g /r ib | k z
# AVX-512 forms of AVX moves, inserts and extracts (F, BW, DQ).
vmovhlps,vmovlhps xmm,xmm,xmm | rvm | evex w0 0f 12+g4 /r
vmovlps,vmovhps xmm,xmm,m64 | rvm | evex w0 0f 12+g4 /r
vmovlps,vmovhps m64,xmm | mr | evex w0 0f 13+g4 /r
vmovlpd,vmovhpd xmm,xmm,m64 | rvm | evex p66 w1 0f 12+g4 /r
vmovlpd,vmovhpd m64,xmm | mr | evex p66 w1 0f 13+g4 /r
vmovsldup,vmovshdup xyz,xyzm | rm | evex pf3 w0 0f 12+g4 /r | k z
vmovddup xmm,xm64 | rm | evex pf2 w1 0f 12 /r | k z
vmovddup ymm,ym256 | rm | evex pf2 w1 l1 0f 12 /r | k z
vmovddup zmm,zm512 | rm | evex pf2 w1 l2 0f 12 /r | k z
vmovntps mxyz,xyz | mr | evex w0 0f 2b /r
vmovntpd mxyz,xyz | mr | evex p66 w1 0f 2b /r
vinsertps xmm,xmm,xm32,ib | rvmi | evex p66 w0 0f 3a 21 /r ib
vextractps rm32,xmm,ib | mri | evex p66 w0 0f 3a 17 /r ib
vextractps r64,xmm,ib | mri | evex p66 w0 0f 3a 17 /r ib | long
vcvtph2ps xyz,xyzhm | rm | evex p66 w0 0f 38 13 /r | k z sae
vcvtps2ph xyzhm,xyz,ib | mri | evex p66 w0 0f 3a 1d /r ib | k zreg sae
# AVX-512 forms of FMA3's alternating and scalar forms.
vfmaddsub132ps,vfmsubadd132ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 96+g /r | k z er nodup
vfmaddsub213ps,vfmsubadd213ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 a6+g /r | k z er nodup
vfmaddsub231ps,vfmsubadd231ps xyz,xyz,xyzm | rvm | evex p66 w0 b32 0f 38 b6+g /r | k z er nodup
vfmaddsub132pd,vfmsubadd132pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 96+g /r | k z er nodup
vfmaddsub213pd,vfmsubadd213pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 a6+g /r | k z er nodup
vfmaddsub231pd,vfmsubadd231pd xyz,xyz,xyzm | rvm | evex p66 w1 b64 0f 38 b6+g /r | k z er nodup
vfmadd132ss,-,vfmsub132ss,-,vfnmadd132ss,-,vfnmsub132ss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 99+g /r | k z er nodup
vfmadd213ss,-,vfmsub213ss,-,vfnmadd213ss,-,vfnmsub213ss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 a9+g /r | k z er nodup
vfmadd231ss,-,vfmsub231ss,-,vfnmadd231ss,-,vfnmsub231ss xmm,xmm,xm32 | rvm | evex p66 w0 0f 38 b9+g /r | k z er nodup
vfmadd132sd,-,vfmsub132sd,-,vfnmadd132sd,-,vfnmsub132sd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 99+g /r | k z er nodup
vfmadd213sd,-,vfmsub213sd,-,vfnmadd213sd,-,vfnmsub213sd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 a9+g /r | k z er nodup
vfmadd231sd,-,vfmsub231sd,-,vfnmadd231sd,-,vfnmsub231sd xmm,xmm,xm64 | rvm | evex p66 w1 0f 38 b9+g /r | k z er nodup
# AVX-512 compares into opmask registers (F): the predicate as an immediate or in the mnemonic, which EVEX
# forms also take by the names eq_oq, false_oq, ge_os, gt_os, nge_us, ngt_us and true_uq.
vcmpps kreg,xyz,xyzm,ib | rvmi | evex w0 b32 0f c2 /r ib | k sae
vcmppd kreg,xyz,xyzm,ib | rvmi | evex p66 w1 b64 0f c2 /r ib | k sae
vcmpss kreg,xmm,xm32,ib | rvmi | evex pf3 w0 0f c2 /r ib | k sae
vcmpsd kreg,xmm,xm64,ib | rvmi | evex pf2 w1 0f c2 /r ib | k sae
vcmp&ps kreg,xyz,xyzm | rvm | evex w0 b32 0f c2 /r ig | k sae
vcmp&pd kreg,xyz,xyzm | rvm | evex p66 w1 b64 0f c2 /r ig | k sae
vcmp&ss kreg,xmm,xm32 | rvm | evex pf3 w0 0f c2 /r ig | k sae
vcmp&sd kreg,xmm,xm64 | rvm | evex pf2 w1 0f c2 /r ig | k sae
# AVX-512 gathers: the write mask (on the destination) is optional in nasm.
vpgatherdd,-,vgatherdps xyz,vmxyz | rm | evex p66 w0 d8=4 0f 38 90+g /r | k
vpgatherdq,-,vgatherdpd xyz,vmxyh | rm | evex p66 w1 d8=8 0f 38 90+g /r | k
vpgatherqd,-,vgatherqps xyzh,vmxyz | rm | evex p66 w0 d8=4 0f 38 91+g /r | k
vpgatherqq,-,vgatherqpd xyz,vmxyz | rm | evex p66 w1 d8=8 0f 38 91+g /r | k
# AVX-512 scatters (the write mask is required, on the memory operand) and gathers.
vpscatterdd vmxyz,xyz | mr | evex p66 w0 d8=4 0f 38 a0 /r | k
vpscatterdq vmxyh,xyz | mr | evex p66 w1 d8=8 0f 38 a0 /r | k
vpscatterqd vmxyz,xyzh | mr | evex p66 w0 d8=4 0f 38 a1 /r | k
vpscatterqq vmxyz,xyz | mr | evex p66 w1 d8=8 0f 38 a1 /r | k
vscatterdps vmxyz,xyz | mr | evex p66 w0 d8=4 0f 38 a2 /r | k
vscatterdpd vmxyh,xyz | mr | evex p66 w1 d8=8 0f 38 a2 /r | k
vscatterqps vmxyz,xyzh | mr | evex p66 w0 d8=4 0f 38 a3 /r | k
vscatterqpd vmxyz,xyz | mr | evex p66 w1 d8=8 0f 38 a3 /r | k
# AVX-512 conversions (F, DQ): full width, widening (half-width source) and narrowing (half-width result).
vcvtdq2ps xyz,xyzm | rm | evex w0 b32 0f 5b /r | k z er
vcvtps2dq xyz,xyzm | rm | evex p66 w0 b32 0f 5b /r | k z er
vcvttps2dq xyz,xyzm | rm | evex pf3 w0 b32 0f 5b /r | k z sae
vcvtps2udq xyz,xyzm | rm | evex w0 b32 0f 79 /r | k z er
vcvttps2udq xyz,xyzm | rm | evex w0 b32 0f 78 /r | k z sae
vcvtudq2ps xyz,xyzm | rm | evex pf2 w0 b32 0f 7a /r | k z er
vcvtqq2pd xyz,xyzm | rm | evex pf3 w1 b64 0f e6 /r | k z er
vcvtpd2qq xyz,xyzm | rm | evex p66 w1 b64 0f 7b /r | k z er
vcvttpd2qq xyz,xyzm | rm | evex p66 w1 b64 0f 7a /r | k z sae
vcvtpd2uqq xyz,xyzm | rm | evex p66 w1 b64 0f 79 /r | k z er
vcvttpd2uqq xyz,xyzm | rm | evex p66 w1 b64 0f 78 /r | k z sae
vcvtuqq2pd xyz,xyzm | rm | evex pf3 w1 b64 0f 7a /r | k z er
vcvtdq2pd xyz,xyzhm | rm | evex pf3 w0 b32 0f e6 /r | k z er
vcvtudq2pd xyz,xyzhm | rm | evex pf3 w0 b32 0f 7a /r | k z er
vcvtps2pd xyz,xyzhm | rm | evex w0 b32 0f 5a /r | k z sae
vcvtps2qq xyz,xyzhm | rm | evex p66 w0 b32 0f 7b /r | k z er
vcvttps2qq xyz,xyzhm | rm | evex p66 w0 b32 0f 7a /r | k z sae
vcvtps2uqq xyz,xyzhm | rm | evex p66 w0 b32 0f 79 /r | k z er
vcvttps2uqq xyz,xyzhm | rm | evex p66 w0 b32 0f 78 /r | k z sae
${narrowing('vcvtpd2ps', 'p66 w1 b64 0f 5a /r', 'er')}
${narrowing('vcvtpd2dq', 'pf2 w1 b64 0f e6 /r', 'er')}
${narrowing('vcvttpd2dq', 'p66 w1 b64 0f e6 /r', 'sae')}
${narrowing('vcvtpd2udq', 'w1 b64 0f 79 /r', 'er')}
${narrowing('vcvttpd2udq', 'w1 b64 0f 78 /r', 'sae')}
${narrowing('vcvtqq2ps', 'w1 b64 0f 5b /r', 'er')}
${narrowing('vcvtuqq2ps', 'pf2 w1 b64 0f 7a /r', 'er')}
vcvtss2sd xmm,xmm,xm32 | rvm | evex pf3 w0 0f 5a /r | k z sae nodup
vcvtsd2ss xmm,xmm,xm64 | rvm | evex pf2 w1 0f 5a /r | k z er nodup
vcvtsi2ss xmm,xmm,rm32 | rvm | evex pf3 w0 0f 2a /r | nodup
vcvtusi2ss xmm,xmm,rm32 | rvm | evex pf3 w0 0f 7b /r | nodup
vcvtsi2ss xmm,xmm,r64 | rvm | evex pf3 w1 0f 2a /r | long nodup
vcvtsi2ss xmm,xmm,m64 | rvm | evex pf3 w1 0f 2a /r | nodup
vcvtusi2ss xmm,xmm,r64 | rvm | evex pf3 w1 0f 7b /r | long nodup
vcvtusi2ss xmm,xmm,m64 | rvm | evex pf3 w1 0f 7b /r | nodup
vcvtsi2sd xmm,xmm,rm32 | rvm | evex pf2 w0 0f 2a /r | nodup
vcvtusi2sd xmm,xmm,rm32 | rvm | evex pf2 w0 0f 7b /r | nodup
vcvtsi2sd xmm,xmm,r64 | rvm | evex pf2 w1 0f 2a /r | long nodup
vcvtsi2sd xmm,xmm,m64 | rvm | evex pf2 w1 0f 2a /r | nodup
vcvtusi2sd xmm,xmm,r64 | rvm | evex pf2 w1 0f 7b /r | long nodup
vcvtusi2sd xmm,xmm,m64 | rvm | evex pf2 w1 0f 7b /r | nodup
vcvttss2si r32,xm32 | rm | evex pf3 w0 0f 2c /r | sae
vcvtss2si r32,xm32 | rm | evex pf3 w0 0f 2d /r | er
vcvttss2si r64,xm32 | rm | evex pf3 w1 0f 2c /r | sae long
vcvtss2si r64,xm32 | rm | evex pf3 w1 0f 2d /r | er long
vcvttsd2si r32,xm64 | rm | evex pf2 w0 0f 2c /r | sae
vcvtsd2si r32,xm64 | rm | evex pf2 w0 0f 2d /r | er
vcvttsd2si r64,xm64 | rm | evex pf2 w1 0f 2c /r | sae long
vcvtsd2si r64,xm64 | rm | evex pf2 w1 0f 2d /r | er long
vcvttss2usi r32,xm32 | rm | evex pf3 w0 0f 78 /r | sae
vcvtss2usi r32,xm32 | rm | evex pf3 w0 0f 79 /r | er
vcvttss2usi r64,xm32 | rm | evex pf3 w1 0f 78 /r | sae long
vcvtss2usi r64,xm32 | rm | evex pf3 w1 0f 79 /r | er long
vcvttsd2usi r32,xm64 | rm | evex pf2 w0 0f 78 /r | sae
vcvtsd2usi r32,xm64 | rm | evex pf2 w0 0f 79 /r | er
vcvttsd2usi r64,xm64 | rm | evex pf2 w1 0f 78 /r | sae long
vcvtsd2usi r64,xm64 | rm | evex pf2 w1 0f 79 /r | er long
# AVX-512 element inserts and extracts (BW, DQ); nasm takes the EVEX form of vpextrq/vpinsrq in 32-bit code.
vpextrb r32,xmm,ib | mri | evex p66 w0 0f 3a 14 /r ib
vpextrb m8,xmm,ib | mri | evex p66 w0 0f 3a 14 /r ib
vpextrb r16,xmm,ib | mri | evex p66 w0 0f 3a 14 /r ib
vpextrb r8,xmm,ib | mri | evex p66 w0 0f 3a 14 /r ib
vpextrb r64,xmm,ib | mri | evex p66 w0 0f 3a 14 /r ib | long
vpextrw r32,xmm,ib | mri | evex p66 w0 0f 3a 15 /r ib
vpextrw m16,xmm,ib | mri | evex p66 w0 0f 3a 15 /r ib
vpextrw r16,xmm,ib | mri | evex p66 w0 0f 3a 15 /r ib
vpextrw r64,xmm,ib | mri | evex p66 w0 0f 3a 15 /r ib | long
vpextrd rm32,xmm,ib | mri | evex p66 w0 0f 3a 16 /r ib
vpextrq r64,xmm,ib | mri | evex p66 w1 0f 3a 16 /r ib | long
vpextrq m64,xmm,ib | mri | evex p66 w1 0f 3a 16 /r ib
vpinsrb xmm,xmm,r32,ib | rvmi | evex p66 w0 0f 3a 20 /r ib
vpinsrb xmm,xmm,m8,ib | rvmi | evex p66 w0 0f 3a 20 /r ib
vpinsrw xmm,xmm,r32,ib | rvmi | evex p66 w0 0f c4 /r ib
vpinsrw xmm,xmm,m16,ib | rvmi | evex p66 w0 0f c4 /r ib
vpinsrd xmm,xmm,rm32,ib | rvmi | evex p66 w0 0f 3a 22 /r ib
vpinsrq xmm,xmm,r64,ib | rvmi | evex p66 w1 0f 3a 22 /r ib | long
vpinsrq xmm,xmm,m64,ib | rvmi | evex p66 w1 0f 3a 22 /r ib
# AVX-512 shifts by an immediate (memory sources too) and by a count in xmm/m128 (F, BW).
-,-,vpsrlw,-,vpsraw,-,vpsllw xyz,xyzm,ib | vmi | evex p66 w0 0f 71 /g ib | k z
-,-,vpsrld,-,vpsrad,-,vpslld xyz,xyzm,ib | vmi | evex p66 w0 b32 0f 72 /g ib | k z
-,-,vpsrlq,-,-,-,vpsllq xyz,xyzm,ib | vmi | evex p66 w1 b64 0f 73 /g ib | k z
-,-,-,vpsrldq,-,-,-,vpslldq xyz,xyzm,ib | vmi | evex p66 w0 0f 73 /g ib
vpsrlw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsraw,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsllw xyz,xyz,xm128 | rvm | evex p66 w0 0f d1+g /r | k z
vpsrld,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsrad,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpslld xyz,xyz,xm128 | rvm | evex p66 w0 0f d2+g /r | k z
vpsrlq,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsllq xyz,xyz,xm128 | rvm | evex p66 w1 0f d3+g /r | k z
vpsraq xyz,xyz,xm128 | rvm | evex p66 w1 0f e2 /r | k z
# AVX512-BF16.
vcvtne2ps2bf16 xyz,xyz,xyzm | rvm | evex pf2 w0 b32 0f 38 72 /r | k z nasm3
vcvtneps2bf16 xyzh,xyzm | rm | evex pf3 w0 b32 0f 38 72 /r | k z nasm3
vdpbf16ps xyz,xyz,xyzm | rvm | evex pf3 w0 b32 0f 38 52 /r | k z nasm3
# AVX512-VP2INTERSECT (NASM 3): the destination names an even/odd opmask pair by its first register.
vp2intersectd kreg,xyz,xyzm | rvm | evex pf2 w0 b32 0f 38 68 /r | nasm3
vp2intersectq kreg,xyz,xyzm | rvm | evex pf2 w1 b64 0f 38 68 /r | nasm3
# AVX512-4FMAPS and 4VNNIW (NASM 3): the second source names a set of four registers (zmm1+3).
v4fmaddps zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 9a /r | k z nodup nasm3 regset
v4fnmaddps zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 aa /r | k z nodup nasm3 regset
v4fmaddss xmm,xmm,m128 | rvm | evex pf2 w0 d8=16 0f 38 9b /r | k z nodup nasm3 regset
v4fnmaddss xmm,xmm,m128 | rvm | evex pf2 w0 d8=16 0f 38 ab /r | k z nodup nasm3 regset
vp4dpwssd zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 52 /r | k z nodup nasm3 regset
vp4dpwssds zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 53 /r | k z nodup nasm3 regset
# nasm 2.16's names of vp4dpwssd/vp4dpwssds (without the register-set notation).
v4dpwssd zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 52 /r | k z nodup regset lowregs
v4dpwssds zmm,zmm,m128 | rvm | evex pf2 w0 l2 d8=16 0f 38 53 /r | k z nodup regset lowregs
# VAES, VPCLMULQDQ on EVEX.
vaesenc,vaesenclast,vaesdec,vaesdeclast xyz,xyz,xyzm | rvm | evex p66 0f 38 dc+g /r
vpclmulqdq xyz,xyz,xyzm,ib | rvmi | evex p66 0f 3a 44 /r ib
vpclmullqlqdq xyz,xyz,xyzm | rvm | evex p66 0f 3a 44 /r i=00
vpclmulhqlqdq xyz,xyz,xyzm | rvm | evex p66 0f 3a 44 /r i=01
vpclmullqhqdq xyz,xyz,xyzm | rvm | evex p66 0f 3a 44 /r i=10
vpclmulhqhqdq xyz,xyz,xyzm | rvm | evex p66 0f 3a 44 /r i=11
`;
