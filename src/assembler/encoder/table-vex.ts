/**
 * VEX- and XOP-encoded instructions (AVX, AVX2, FMA3, FMA4, F16C, BMI1/2, TBM, LWP, VAES, VPCLMULQDQ, GFNI), in
 * the DSL of `table.ts`, with these additions:
 *
 * Encoding: `vex` (a VEX form: the leading `0f`, `0f 38` or `0f 3a` bytes become VEX.mmmmm and p66/pf3/pf2
 *   become VEX.pp), `xop8` `xop9` `xopa` (an XOP form with that map), `w0` `w1` `wig` (VEX.W; o64 also sets
 *   W1), `l0` `l1` `lig` (VEX.L, else from the operands' length), `ig` (a trailing byte holding the mnemonic's
 *   group index: the `vcmp@ps` predicates), `i=XX` (a constant trailing byte), `is4` (the byte whose bits 7-4 hold
 *   the `s` operand's register).
 * Operands: `xy` an xmm or ymm register: a line using it expands to a 128-bit (L0) and a 256-bit (L1) form, with
 *   `xym` (xmm/m128, ymm/m256), `xyu` (unsized memory), `xhm` (half: xm64, xm128), `xqm` (quarter: xm32, xm64),
 *   `xem` (eighth: xm16, xm32), `mxy` (m128, m256), `vmxy` (VSIB with an xmm, ymm index) following it;
 *   `ymm` `ym256` `ymu` a ymm register or memory; `vmx` `vmy` VSIB memory with an xmm / ymm index.
 *   A `@` in a mnemonic expands to the comparison predicates, by immediate.
 * Flags: `nodup` (no two-operand shorthand), `dupk` (the shorthand with an opmask destination too), `latevex` (taken only with `{vex}` or under `cpu latevex`, as nasm
 *   does for the VEX forms of AVX-512 instructions), `cpulatevex` (only under `cpu latevex`), `nasm3` (an
 *   instruction of NASM 3 that nasm 2.16 refuses, in every table: checked against NASM 3's regression suite).
 * Roles: `v` VEX.vvvv, `s` the is4 register. A line whose roles start `rv` also gives the two-operand form NASM
 *   accepts, whose destination is the first source too (`vaddps xmm1, xmm2`), unless flagged `nodup`.
 */
/**
 * FMA3, whose operand-order digits NASM also accepts permuted: 312 for 132, 123 for 213, 321 for 231.
 */
const FMA3_LINES = `
# FMA3: W0 single, W1 double precision.
vfmaddsub132ps,vfmsubadd132ps,vfmadd132ps,-,vfmsub132ps,-,vfnmadd132ps,-,vfnmsub132ps xy,xy,xym | rvm | vex p66 w0 0f 38 96+g /r | nodup
vfmaddsub213ps,vfmsubadd213ps,vfmadd213ps,-,vfmsub213ps,-,vfnmadd213ps,-,vfnmsub213ps xy,xy,xym | rvm | vex p66 w0 0f 38 a6+g /r | nodup
vfmaddsub231ps,vfmsubadd231ps,vfmadd231ps,-,vfmsub231ps,-,vfnmadd231ps,-,vfnmsub231ps xy,xy,xym | rvm | vex p66 w0 0f 38 b6+g /r | nodup
vfmaddsub132pd,vfmsubadd132pd,vfmadd132pd,-,vfmsub132pd,-,vfnmadd132pd,-,vfnmsub132pd xy,xy,xym | rvm | vex p66 w1 0f 38 96+g /r | nodup
vfmaddsub213pd,vfmsubadd213pd,vfmadd213pd,-,vfmsub213pd,-,vfnmadd213pd,-,vfnmsub213pd xy,xy,xym | rvm | vex p66 w1 0f 38 a6+g /r | nodup
vfmaddsub231pd,vfmsubadd231pd,vfmadd231pd,-,vfmsub231pd,-,vfnmadd231pd,-,vfnmsub231pd xy,xy,xym | rvm | vex p66 w1 0f 38 b6+g /r | nodup
-,-,-,vfmadd132ss,-,vfmsub132ss,-,vfnmadd132ss,-,vfnmsub132ss xmm,xmm,xm32 | rvm | vex p66 w0 0f 38 96+g /r | nodup
-,-,-,vfmadd213ss,-,vfmsub213ss,-,vfnmadd213ss,-,vfnmsub213ss xmm,xmm,xm32 | rvm | vex p66 w0 0f 38 a6+g /r | nodup
-,-,-,vfmadd231ss,-,vfmsub231ss,-,vfnmadd231ss,-,vfnmsub231ss xmm,xmm,xm32 | rvm | vex p66 w0 0f 38 b6+g /r | nodup
-,-,-,vfmadd132sd,-,vfmsub132sd,-,vfnmadd132sd,-,vfnmsub132sd xmm,xmm,xm64 | rvm | vex p66 w1 0f 38 96+g /r | nodup
-,-,-,vfmadd213sd,-,vfmsub213sd,-,vfnmadd213sd,-,vfnmsub213sd xmm,xmm,xm64 | rvm | vex p66 w1 0f 38 a6+g /r | nodup
-,-,-,vfmadd231sd,-,vfmsub231sd,-,vfnmadd231sd,-,vfnmsub231sd xmm,xmm,xm64 | rvm | vex p66 w1 0f 38 b6+g /r | nodup
`;
const FMA3 =
  FMA3_LINES +
  FMA3_LINES.replace(/132/g, '312').replace(/213/g, '123').replace(/231/g, '321').replace(/^#.*$/gm, '');

export const VEX_INSTRUCTION_TABLE = `
# AVX floating point arithmetic and logic.
vaddps,vmulps,-,-,vsubps,vminps,vdivps,vmaxps xy,xy,xym | rvm | vex 0f 58+g /r
vaddpd,vmulpd,-,-,vsubpd,vminpd,vdivpd,vmaxpd xy,xy,xym | rvm | vex p66 0f 58+g /r
vaddss,vmulss,-,-,vsubss,vminss,vdivss,vmaxss xmm,xmm,xm32 | rvm | vex pf3 0f 58+g /r
vaddsd,vmulsd,-,-,vsubsd,vminsd,vdivsd,vmaxsd xmm,xmm,xm64 | rvm | vex pf2 0f 58+g /r
vandps,vandnps,vorps,vxorps xy,xy,xym | rvm | vex 0f 54+g /r
vandpd,vandnpd,vorpd,vxorpd xy,xy,xym | rvm | vex p66 0f 54+g /r
vunpcklps,vunpckhps xy,xy,xym | rvm | vex 0f 14+g /r
vunpcklpd,vunpckhpd xy,xy,xym | rvm | vex p66 0f 14+g /r
vaddsubps xy,xy,xym | rvm | vex pf2 0f d0 /r
vaddsubpd xy,xy,xym | rvm | vex p66 0f d0 /r
vhaddps,vhsubps xy,xy,xym | rvm | vex pf2 0f 7c+g /r
vhaddpd,vhsubpd xy,xy,xym | rvm | vex p66 0f 7c+g /r
vsqrtps,vrsqrtps,vrcpps xy,xym | rm | vex 0f 51+g /r
vsqrtpd xy,xym | rm | vex p66 0f 51 /r
vsqrtss,vrsqrtss,vrcpss xmm,xmm,xm32 | rvm | vex pf3 0f 51+g /r
vsqrtsd xmm,xmm,xm64 | rvm | vex pf2 0f 51 /r
vshufps xy,xy,xym,ib | rvmi | vex 0f c6 /r ib
vshufpd xy,xy,xym,ib | rvmi | vex p66 0f c6 /r ib
vcmpps xy,xy,xym,ib | rvmi | vex 0f c2 /r ib
vcmppd xy,xy,xym,ib | rvmi | vex p66 0f c2 /r ib
# NASM 2.16 takes a qword, not a dword, memory operand for the single-precision scalar compares.
vcmpss xmm,xmm,xm64,ib | rvmi | vex pf3 0f c2 /r ib
vcmpsd xmm,xmm,xm64,ib | rvmi | vex pf2 0f c2 /r ib
vcmp@ps xy,xy,xym | rvm | vex 0f c2 /r ig
vcmp@pd xy,xy,xym | rvm | vex p66 0f c2 /r ig
vcmp@ss xmm,xmm,xm64 | rvm | vex pf3 0f c2 /r ig
vcmp@sd xmm,xmm,xm64 | rvm | vex pf2 0f c2 /r ig
vucomiss,vcomiss xmm,xm32 | rm | vex 0f 2e+g /r
vucomisd,vcomisd xmm,xm64 | rm | vex p66 0f 2e+g /r
vroundps,vroundpd xy,xym,ib | rmi | vex p66 0f 3a 08+g /r ib
vroundss xmm,xmm,xm32,ib | rvmi | vex p66 0f 3a 0a /r ib
vroundsd xmm,xmm,xm64,ib | rvmi | vex p66 0f 3a 0b /r ib
vblendps,vblendpd xy,xy,xym,ib | rvmi | vex p66 0f 3a 0c+g /r ib
vdpps xy,xy,xym,ib | rvmi | vex p66 0f 3a 40 /r ib
vdppd xmm,xmm,xm128,ib | rvmi | vex p66 0f 3a 41 /r ib
vblendvps,vblendvpd xy,xy,xym,xy | rvms | vex p66 w0 0f 3a 4a+g /r is4
vpblendvb xy,xy,xym,xy | rvms | vex p66 w0 0f 3a 4c /r is4
# AVX data movement.
vmovaps xy,xym | rm | vex 0f 28 /r
vmovaps xym,xy | mr | vex 0f 29 /r
vmovapd xy,xym | rm | vex p66 0f 28 /r
vmovapd xym,xy | mr | vex p66 0f 29 /r
vmovups xy,xym | rm | vex 0f 10 /r
vmovups xym,xy | mr | vex 0f 11 /r
vmovupd xy,xym | rm | vex p66 0f 10 /r
vmovupd xym,xy | mr | vex p66 0f 11 /r
vmovdqa xy,xym | rm | vex p66 0f 6f /r
vmovdqa xym,xy | mr | vex p66 0f 7f /r
vmovdqu xy,xym | rm | vex pf3 0f 6f /r
vmovdqu xym,xy | mr | vex pf3 0f 7f /r
vmovss xmm,m32 | rm | vex pf3 0f 10 /r
vmovss m32,xmm | mr | vex pf3 0f 11 /r
vmovss xmm,xmm,xmm | rvm | vex pf3 0f 10 /r
vmovsd xmm,m64 | rm | vex pf2 0f 10 /r
vmovsd m64,xmm | mr | vex pf2 0f 11 /r
vmovsd xmm,xmm,xmm | rvm | vex pf2 0f 10 /r
vmovd xmm,rm32 | rm | vex p66 0f 6e /r
vmovd rm32,xmm | mr | vex p66 0f 7e /r
vmovq xmm,xm64 | rm | vex pf3 0f 7e /r
vmovq xm64,xmm | mr | vex p66 0f d6 /r
vmovq xmm,rm64 | rm | vex p66 w1 0f 6e /r | long
vmovq rm64,xmm | mr | vex p66 w1 0f 7e /r | long
vmovhlps,vmovlhps xmm,xmm,xmm | rvm | vex 0f 12+g4 /r
vmovlps,vmovhps xmm,xmm,m64 | rvm | vex 0f 12+g4 /r
vmovlps,vmovhps m64,xmm | mr | vex 0f 13+g4 /r
vmovlpd,vmovhpd xmm,xmm,m64 | rvm | vex p66 0f 12+g4 /r
vmovlpd,vmovhpd m64,xmm | mr | vex p66 0f 13+g4 /r
vmovsldup,vmovshdup xy,xym | rm | vex pf3 0f 12+g4 /r
vmovddup xmm,xm64 | rm | vex pf2 0f 12 /r
vmovddup ymm,ym256 | rm | vex pf2 l1 0f 12 /r
vlddqu xy,mxy | rm | vex pf2 0f f0 /r
# nasm's names of the 256-bit forms (qq: a quad quadword).
vldqqu ymm,m256 | rm | vex pf2 l1 0f f0 /r
vmovntqq m256,ymm | mr | vex p66 l1 0f e7 /r
vmovqqa ymm,ym256 | rm | vex p66 l1 0f 6f /r
vmovqqa ym256,ymm | mr | vex p66 l1 0f 7f /r
vmovqqu ymm,ym256 | rm | vex pf3 l1 0f 6f /r
vmovqqu ym256,ymm | mr | vex pf3 l1 0f 7f /r
vmovntdq mxy,xy | mr | vex p66 0f e7 /r
vmovntps mxy,xy | mr | vex 0f 2b /r
vmovntpd mxy,xy | mr | vex p66 0f 2b /r
vmovntdqa xy,mxy | rm | vex p66 0f 38 2a /r
vmovmskps r32,xy | rm | vex 0f 50 /r
vmovmskps r64,xy | rm | vex 0f 50 /r | long
vmovmskpd r32,xy | rm | vex p66 0f 50 /r
vmovmskpd r64,xy | rm | vex p66 0f 50 /r | long
vpmovmskb r32,xy | rm | vex p66 0f d7 /r
vpmovmskb r64,xy | rm | vex p66 0f d7 /r | long
vmaskmovdqu xmm,xmm | rm | vex p66 0f f7 /r
vldmxcsr m32 | m | vex 0f ae /2
vstmxcsr m32 | m | vex 0f ae /3
vzeroupper | | vex 0f 77
vzeroall | | vex l1 0f 77
# AVX conversions.
vcvtdq2ps xy,xym | rm | vex 0f 5b /r
vcvtps2dq xy,xym | rm | vex p66 0f 5b /r
vcvttps2dq xy,xym | rm | vex pf3 0f 5b /r
vcvtps2pd xy,xhm | rm | vex 0f 5a /r
vcvtdq2pd xy,xhm | rm | vex pf3 0f e6 /r
vcvtpd2ps xmm,xmm | rm | vex p66 0f 5a /r
vcvtpd2ps xmm,ymm | rm | vex p66 l1 0f 5a /r
vcvtpd2ps xmm,m128 | rm | vex p66 0f 5a /r
vcvtpd2ps xmm,m256 | rm | vex p66 l1 0f 5a /r
vcvtpd2dq xmm,xmm | rm | vex pf2 0f e6 /r
vcvtpd2dq xmm,ymm | rm | vex pf2 l1 0f e6 /r
vcvtpd2dq xmm,m128 | rm | vex pf2 0f e6 /r
vcvtpd2dq xmm,m256 | rm | vex pf2 l1 0f e6 /r
vcvttpd2dq xmm,xmm | rm | vex p66 0f e6 /r
vcvttpd2dq xmm,ymm | rm | vex p66 l1 0f e6 /r
vcvttpd2dq xmm,m128 | rm | vex p66 0f e6 /r
vcvttpd2dq xmm,m256 | rm | vex p66 l1 0f e6 /r
vcvtss2sd xmm,xmm,xm32 | rvm | vex pf3 0f 5a /r
vcvtsd2ss xmm,xmm,xm64 | rvm | vex pf2 0f 5a /r
vcvtsi2ss xmm,xmm,rm32 | rvm | vex pf3 0f 2a /r | nosize
vcvtsi2ss xmm,xmm,rm64 | rvm | vex pf3 w1 0f 2a /r | long
vcvtsi2sd xmm,xmm,rm32 | rvm | vex pf2 0f 2a /r | nosize
vcvtsi2sd xmm,xmm,rm64 | rvm | vex pf2 w1 0f 2a /r | long
vcvttss2si,vcvtss2si r32,xm32 | rm | vex pf3 0f 2c+g /r
vcvttss2si,vcvtss2si r64,xm32 | rm | vex pf3 w1 0f 2c+g /r | long
vcvttsd2si,vcvtsd2si r32,xm64 | rm | vex pf2 0f 2c+g /r
vcvttsd2si,vcvtsd2si r64,xm64 | rm | vex pf2 w1 0f 2c+g /r | long
vcvtph2ps xy,xhm | rm | vex p66 w0 0f 38 13 /r
vcvtps2ph xhm,xy,ib | mri | vex p66 w0 0f 3a 1d /r ib
# AVX and AVX2 integer operations (the 256-bit forms are AVX2).
vpunpcklbw,vpunpcklwd,vpunpckldq,vpacksswb,vpcmpgtb,vpcmpgtw,vpcmpgtd,vpackuswb,vpunpckhbw,vpunpckhwd,vpunpckhdq,vpackssdw,vpunpcklqdq,vpunpckhqdq xy,xy,xym | rvm | vex p66 0f 60+g /r
vpcmpeqb,vpcmpeqw,vpcmpeqd xy,xy,xym | rvm | vex p66 0f 74+g /r
-,-,-,-,vpaddq,vpmullw,-,-,vpsubusb,vpsubusw,vpminub,vpand,vpaddusb,vpaddusw,vpmaxub,vpandn xy,xy,xym | rvm | vex p66 0f d0+g /r
vpavgb,-,-,vpavgw,vpmulhuw,vpmulhw,-,-,vpsubsb,vpsubsw,vpminsw,vpor,vpaddsb,vpaddsw,vpmaxsw,vpxor xy,xy,xym | rvm | vex p66 0f e0+g /r
-,-,-,-,vpmuludq,vpmaddwd,vpsadbw,-,vpsubb,vpsubw,vpsubd,vpsubq,vpaddb,vpaddw,vpaddd xy,xy,xym | rvm | vex p66 0f f0+g /r
-,vpsrlw,vpsrld,vpsrlq,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsraw,vpsrad,-,-,-,-,-,-,-,-,-,-,-,-,-,-,vpsllw,vpslld,vpsllq xy,xy,xm128 | rvm | vex p66 0f d0+g /r
-,-,vpsrlw,-,vpsraw,-,vpsllw xy,xy,ib | vmi | vex p66 0f 71 /g ib
-,-,vpsrld,-,vpsrad,-,vpslld xy,xy,ib | vmi | vex p66 0f 72 /g ib
-,-,vpsrlq,vpsrldq,-,-,vpsllq,vpslldq xy,xy,ib | vmi | vex p66 0f 73 /g ib
vpshufd xy,xym,ib | rmi | vex p66 0f 70 /r ib
vpshufhw xy,xym,ib | rmi | vex pf3 0f 70 /r ib
vpshuflw xy,xym,ib | rmi | vex pf2 0f 70 /r ib
vpshufb,vphaddw,vphaddd,vphaddsw,vpmaddubsw,vphsubw,vphsubd,vphsubsw,vpsignb,vpsignw,vpsignd,vpmulhrsw xy,xy,xym | rvm | vex p66 0f 38 00+g /r
vpabsb,vpabsw,vpabsd xy,xym | rm | vex p66 0f 38 1c+g /r
vpmuldq,vpcmpeqq,-,vpackusdw xy,xy,xym | rvm | vex p66 0f 38 28+g /r
vpcmpgtq,vpminsb,vpminsd,vpminuw,vpminud,vpmaxsb,vpmaxsd,vpmaxuw,vpmaxud,vpmulld xy,xy,xym | rvm | vex p66 0f 38 37+g /r
vphminposuw xmm,xm128 | rm | vex p66 0f 38 41 /r
vptest xy,xym | rm | vex p66 0f 38 17 /r
vpmovsxbw,-,-,vpmovsxwd,-,vpmovsxdq xy,xhm | rm | vex p66 0f 38 20+g /r
vpmovsxbd,-,-,vpmovsxwq xy,xqm | rm | vex p66 0f 38 21+g /r
vpmovsxbq xy,xem | rm | vex p66 0f 38 22 /r
vpmovzxbw,-,-,vpmovzxwd,-,vpmovzxdq xy,xhm | rm | vex p66 0f 38 30+g /r
vpmovzxbd,-,-,vpmovzxwq xy,xqm | rm | vex p66 0f 38 31+g /r
vpmovzxbq xy,xem | rm | vex p66 0f 38 32 /r
vpblendw xy,xy,xym,ib | rvmi | vex p66 0f 3a 0e /r ib
vpalignr xy,xy,xym,ib | rvmi | vex p66 0f 3a 0f /r ib
vmpsadbw xy,xy,xym,ib | rvmi | vex p66 0f 3a 42 /r ib
vpextrb r32,xmm,ib | mri | vex p66 0f 3a 14 /r ib
vpextrb r64,xmm,ib | mri | vex p66 0f 3a 14 /r ib | long
vpextrb m8,xmm,ib | mri | vex p66 0f 3a 14 /r ib
vpextrw r32,xmm,ib | rmi | vex p66 0f c5 /r ib
vpextrw r64,xmm,ib | rmi | vex p66 0f c5 /r ib | long
vpextrw m16,xmm,ib | mri | vex p66 0f 3a 15 /r ib
vpextrd rm32,xmm,ib | mri | vex p66 0f 3a 16 /r ib
vpextrd r64,xmm,ib | mri | vex p66 0f 3a 16 /r ib | long
vpextrq rm64,xmm,ib | mri | vex p66 w1 0f 3a 16 /r ib | long
vextractps rm32,xmm,ib | mri | vex p66 0f 3a 17 /r ib
vpinsrb xmm,xmm,r32,ib | rvmi | vex p66 0f 3a 20 /r ib
vpinsrb xmm,xmm,r8,ib | rvmi | vex p66 0f 3a 20 /r ib
vpinsrb xmm,xmm,m8,ib | rvmi | vex p66 0f 3a 20 /r ib
vpinsrw xmm,xmm,r32,ib | rvmi | vex p66 0f c4 /r ib
vpinsrw xmm,xmm,r16,ib | rvmi | vex p66 0f c4 /r ib
vpinsrw xmm,xmm,m16,ib | rvmi | vex p66 0f c4 /r ib
vpinsrd xmm,xmm,rm32,ib | rvmi | vex p66 0f 3a 22 /r ib
vpinsrq xmm,xmm,rm64,ib | rvmi | vex p66 w1 0f 3a 22 /r ib | long
vinsertps xmm,xmm,xm32,ib | rvmi | vex p66 0f 3a 21 /r ib
vpcmpestrm,vpcmpestri,vpcmpistrm,vpcmpistri xmm,xm128,ib | rmi | vex p66 0f 3a 60+g /r ib
# AVX permutes, broadcasts, masked moves, lanes.
vpermilps xy,xy,xym | rvm | vex p66 w0 0f 38 0c /r
vpermilpd xy,xy,xym | rvm | vex p66 w0 0f 38 0d /r
vpermilps xy,xym,ib | rmi | vex p66 w0 0f 3a 04 /r ib
vpermilpd xy,xym,ib | rmi | vex p66 w0 0f 3a 05 /r ib
vtestps,vtestpd xy,xym | rm | vex p66 w0 0f 38 0e+g /r
vbroadcastss xy,m32 | rm | vex p66 w0 0f 38 18 /r
vbroadcastss xy,xmm | rm | vex p66 w0 0f 38 18 /r
vbroadcastsd ymm,m64 | rm | vex p66 w0 l1 0f 38 19 /r
vbroadcastsd ymm,xmm | rm | vex p66 w0 l1 0f 38 19 /r
vbroadcastf128 ymm,m128 | rm | vex p66 w0 l1 0f 38 1a /r
vbroadcasti128 ymm,m128 | rm | vex p66 w0 l1 0f 38 5a /r
vpbroadcastd xy,xm32 | rm | vex p66 w0 0f 38 58 /r
vpbroadcastq xy,xm64 | rm | vex p66 w0 0f 38 59 /r
vpbroadcastb xy,xm8 | rm | vex p66 w0 0f 38 78 /r
vpbroadcastw xy,xm16 | rm | vex p66 w0 0f 38 79 /r
vmaskmovps,vmaskmovpd xy,xy,mxy | rvm | vex p66 w0 0f 38 2c+g /r | nodup
vmaskmovps,vmaskmovpd mxy,xy,xy | mvr | vex p66 w0 0f 38 2e+g /r
vpmaskmovd xy,xy,mxy | rvm | vex p66 w0 0f 38 8c /r
vpmaskmovq xy,xy,mxy | rvm | vex p66 w1 0f 38 8c /r
vpmaskmovd mxy,xy,xy | mvr | vex p66 w0 0f 38 8e /r
vpmaskmovq mxy,xy,xy | mvr | vex p66 w1 0f 38 8e /r
vperm2f128 ymm,ymm,ym256,ib | rvmi | vex p66 w0 l1 0f 3a 06 /r ib
vperm2i128 ymm,ymm,ym256,ib | rvmi | vex p66 w0 l1 0f 3a 46 /r ib
vinsertf128 ymm,ymm,xm128,ib | rvmi | vex p66 w0 l1 0f 3a 18 /r ib
vinserti128 ymm,ymm,xm128,ib | rvmi | vex p66 w0 l1 0f 3a 38 /r ib
vextractf128 xm128,ymm,ib | mri | vex p66 w0 l1 0f 3a 19 /r ib
vextracti128 xm128,ymm,ib | mri | vex p66 w0 l1 0f 3a 39 /r ib
vpermq,vpermpd ymm,ym256,ib | rmi | vex p66 w1 l1 0f 3a 00+g /r ib
vpermd ymm,ymm,ym256 | rvm | vex p66 w0 l1 0f 38 36 /r
vpermps ymm,ymm,ym256 | rvm | vex p66 w0 l1 0f 38 16 /r
vpblendd xy,xy,xym,ib | rvmi | vex p66 w0 0f 3a 02 /r ib
vpsrlvd,vpsravd,vpsllvd xy,xy,xym | rvm | vex p66 w0 0f 38 45+g /r
vpsrlvq,-,vpsllvq xy,xy,xym | rvm | vex p66 w1 0f 38 45+g /r
# AVX2 gathers: destination, VSIB address, mask.
vpgatherdd,-,vgatherdps xy,vmxy,xy | rmv | vex p66 w0 0f 38 90+g /r
vpgatherdq,-,vgatherdpd xy,vmx,xy | rmv | vex p66 w1 0f 38 90+g /r
vpgatherqd,-,vgatherqps xmm,vmxy,xmm | rmv | vex p66 w0 0f 38 91+g /r
vpgatherqq,-,vgatherqpd xy,vmxy,xy | rmv | vex p66 w1 0f 38 91+g /r
${FMA3}# AES, carry-less multiply, GFNI (the 256-bit forms are VAES, VPCLMULQDQ).
vaesimc xmm,xm128 | rm | vex p66 0f 38 db /r
vaesenc,vaesenclast,vaesdec,vaesdeclast xy,xy,xym | rvm | vex p66 0f 38 dc+g /r
vaeskeygenassist xmm,xm128,ib | rmi | vex p66 0f 3a df /r ib
vpclmulqdq xy,xy,xym,ib | rvmi | vex p66 0f 3a 44 /r ib
vpclmullqlqdq xy,xy,xym | rvm | vex p66 0f 3a 44 /r i=00
vpclmulhqlqdq xy,xy,xym | rvm | vex p66 0f 3a 44 /r i=01
vpclmullqhqdq xy,xy,xym | rvm | vex p66 0f 3a 44 /r i=10
vpclmulhqhqdq xy,xy,xym | rvm | vex p66 0f 3a 44 /r i=11
vgf2p8affineqb,vgf2p8affineinvqb xy,xy,xym,ib | rvmi | vex p66 w1 0f 3a ce+g /r ib
vgf2p8mulb xy,xy,xym | rvm | vex p66 w0 0f 38 cf /r
# BMI1, BMI2.
andn rv,rv,rmv | rvm | vex 0f 38 f2 /r | nodup
bextr rv,rmv,rv | rmv | vex 0f 38 f7 /r
-,blsr,blsmsk,blsi rv,rmv | vm | vex 0f 38 f3 /g
bzhi rv,rmv,rv | rmv | vex 0f 38 f5 /r
mulx rv,rv,rmv | rvm | vex pf2 0f 38 f6 /r | nodup
pdep rv,rv,rmv | rvm | vex pf2 0f 38 f5 /r | nodup
pext rv,rv,rmv | rvm | vex pf3 0f 38 f5 /r | nodup
rorx rv,rmv,ib | rmi | vex pf2 0f 3a f0 /r ib
sarx rv,rmv,rv | rmv | vex pf3 0f 38 f7 /r
shlx rv,rmv,rv | rmv | vex p66 0f 38 f7 /r
shrx rv,rmv,rv | rmv | vex pf2 0f 38 f7 /r
# AMD FMA4: the fourth operand in is4; W0 takes the memory operand third, W1 fourth.
vfmaddsubps,vfmaddsubpd,vfmsubaddps,vfmsubaddpd xy,xy,xym,xy | rvms | vex p66 w0 0f 3a 5c+g /r is4
vfmaddsubps,vfmaddsubpd,vfmsubaddps,vfmsubaddpd xy,xy,xy,xym | rvsm | vex p66 w1 0f 3a 5c+g /r is4
vfmaddps,vfmaddpd,-,-,vfmsubps,vfmsubpd xy,xy,xym,xy | rvms | vex p66 w0 0f 3a 68+g /r is4
vfmaddps,vfmaddpd,-,-,vfmsubps,vfmsubpd xy,xy,xy,xym | rvsm | vex p66 w1 0f 3a 68+g /r is4
vfnmaddps,vfnmaddpd,-,-,vfnmsubps,vfnmsubpd xy,xy,xym,xy | rvms | vex p66 w0 0f 3a 78+g /r is4
vfnmaddps,vfnmaddpd,-,-,vfnmsubps,vfnmsubpd xy,xy,xy,xym | rvsm | vex p66 w1 0f 3a 78+g /r is4
-,-,vfmaddss,-,-,-,vfmsubss xmm,xmm,xm32,xmm | rvms | vex p66 w0 0f 3a 68+g /r is4
-,-,vfmaddss,-,-,-,vfmsubss xmm,xmm,xmm,xm32 | rvsm | vex p66 w1 0f 3a 68+g /r is4
-,-,-,vfmaddsd,-,-,-,vfmsubsd xmm,xmm,xm64,xmm | rvms | vex p66 w0 0f 3a 68+g /r is4
-,-,-,vfmaddsd,-,-,-,vfmsubsd xmm,xmm,xmm,xm64 | rvsm | vex p66 w1 0f 3a 68+g /r is4
-,-,vfnmaddss,-,-,-,vfnmsubss xmm,xmm,xm32,xmm | rvms | vex p66 w0 0f 3a 78+g /r is4
-,-,vfnmaddss,-,-,-,vfnmsubss xmm,xmm,xmm,xm32 | rvsm | vex p66 w1 0f 3a 78+g /r is4
-,-,-,vfnmaddsd,-,-,-,vfnmsubsd xmm,xmm,xm64,xmm | rvms | vex p66 w0 0f 3a 78+g /r is4
-,-,-,vfnmaddsd,-,-,-,vfnmsubsd xmm,xmm,xmm,xm64 | rvsm | vex p66 w1 0f 3a 78+g /r is4
# AVX-IFMA: VEX forms of AVX-512 instructions, which nasm 2.16 takes only with {vex} or under cpu latevex
# (it has no VEX form of AVX-VNNI).
vpmadd52luq,vpmadd52huq xy,xy,xym | rvm | vex p66 w1 0f 38 b4+g /r | nodup latevex
# AVX-VNNI-INT8 and AVX-VNNI-INT16 (NASM 3; VEX only): signedness of the two sources by pp.
vpdpbuud,vpdpbuuds xy,xy,xym | rvm | vex w0 0f 38 50+g /r | nodup latevex nasm3
vpdpbsud,vpdpbsuds xy,xy,xym | rvm | vex pf3 w0 0f 38 50+g /r | nodup latevex nasm3
vpdpbssd,vpdpbssds xy,xy,xym | rvm | vex pf2 w0 0f 38 50+g /r | nodup latevex nasm3
vpdpwuud,vpdpwuuds xy,xy,xym | rvm | vex w0 0f 38 d2+g /r | nodup nasm3
vpdpwusd,vpdpwusds xy,xy,xym | rvm | vex p66 w0 0f 38 d2+g /r | nodup nasm3
vpdpwsud,vpdpwsuds xy,xy,xym | rvm | vex pf3 w0 0f 38 d2+g /r | nodup nasm3
# AVX-NE-CONVERT (NASM 3): bf16/fp16 broadcasts and even/odd element conversions; vcvtneps2bf16 also has an
# EVEX (AVX512-BF16) form, so its VEX form is a late one.
vbcstnebf162ps xy,m16 | rm | vex pf3 w0 0f 38 b1 /r | nasm3
vbcstnebf16ps xy,m16 | rm | vex pf3 w0 0f 38 b1 /r | nasm3
vbcstnesh2ps xy,m16 | rm | vex p66 w0 0f 38 b1 /r | nasm3
vcvtneebf162ps xy,mxy | rm | vex pf3 w0 0f 38 b0 /r | nasm3
vcvtneeph2ps xy,mxy | rm | vex p66 w0 0f 38 b0 /r | nasm3
vcvtneobf162ps xy,mxy | rm | vex pf2 w0 0f 38 b0 /r | nasm3
vcvtneoph2ps xy,mxy | rm | vex w0 0f 38 b0 /r | nasm3
vcvtneps2bf16 xmm,xmm | rm | vex pf3 w0 0f 38 72 /r | latevex nasm3
vcvtneps2bf16 xmm,ymm | rm | vex pf3 w0 l1 0f 38 72 /r | latevex nasm3
vcvtneps2bf16 xmm,m128 | rm | vex pf3 w0 0f 38 72 /r | latevex nasm3
vcvtneps2bf16 xmm,m256 | rm | vex pf3 w0 l1 0f 38 72 /r | latevex nasm3
# AVX-512 opmask instructions (VEX-encoded); b w d q by pp and W.
kmovw kreg,km16 | rm | vex w0 0f 90 /r
kmovb kreg,km8 | rm | vex p66 w0 0f 90 /r
kmovq kreg,km64 | rm | vex w1 0f 90 /r
kmovd kreg,km32 | rm | vex p66 w1 0f 90 /r
kmovw m16,kreg | mr | vex w0 0f 91 /r
kmovb m8,kreg | mr | vex p66 w0 0f 91 /r
kmovq m64,kreg | mr | vex w1 0f 91 /r
kmovd m32,kreg | mr | vex p66 w1 0f 91 /r
kmovw kreg,r32 | rm | vex w0 0f 92 /r
kmovb kreg,r32 | rm | vex p66 w0 0f 92 /r
kmovd kreg,r32 | rm | vex pf2 w0 0f 92 /r
kmovq kreg,r64 | rm | vex pf2 w1 0f 92 /r | long
# nasm also takes the byte and word register as the source of kmovb/kmovw (same encoding as the r32 form)
kmovb kreg,r8 | rm | vex p66 w0 0f 92 /r
kmovw kreg,r16 | rm | vex w0 0f 92 /r
kmovw r32,kreg | rm | vex w0 0f 93 /r
kmovb r32,kreg | rm | vex p66 w0 0f 93 /r
kmovd r32,kreg | rm | vex pf2 w0 0f 93 /r
kmovq r64,kreg | rm | vex pf2 w1 0f 93 /r | long
kandw,kandnw,-,-,korw,kxnorw,kxorw kreg,kreg,kreg | rvm | vex l1 w0 0f 41+g /r
kandb,kandnb,-,-,korb,kxnorb,kxorb kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 41+g /r
kandq,kandnq,-,-,korq,kxnorq,kxorq kreg,kreg,kreg | rvm | vex l1 w1 0f 41+g /r
kandd,kandnd,-,-,kord,kxnord,kxord kreg,kreg,kreg | rvm | vex l1 p66 w1 0f 41+g /r
kaddw kreg,kreg,kreg | rvm | vex l1 w0 0f 4a /r
kaddb kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 4a /r
kaddq kreg,kreg,kreg | rvm | vex l1 w1 0f 4a /r
kaddd kreg,kreg,kreg | rvm | vex l1 p66 w1 0f 4a /r
kunpckbw kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 4b /r
kunpckwd kreg,kreg,kreg | rvm | vex l1 w0 0f 4b /r
kunpckdq kreg,kreg,kreg | rvm | vex l1 w1 0f 4b /r
knotw kreg,kreg | rm | vex w0 0f 44 /r
kortestw,ktestw kreg,kreg | rm | vex w0 0f 98+g /r
knotb kreg,kreg | rm | vex p66 w0 0f 44 /r
kortestb,ktestb kreg,kreg | rm | vex p66 w0 0f 98+g /r
knotq kreg,kreg | rm | vex w1 0f 44 /r
kortestq,ktestq kreg,kreg | rm | vex w1 0f 98+g /r
knotd kreg,kreg | rm | vex p66 w1 0f 44 /r
kortestd,ktestd kreg,kreg | rm | vex p66 w1 0f 98+g /r
kshiftrb,kshiftrd,kshiftlb,kshiftld kreg,kreg,ib | rmi | vex p66 w0 0f 3a 30+g /r ib
kshiftrw,kshiftrq,kshiftlw,kshiftlq kreg,kreg,ib | rmi | vex p66 w1 0f 3a 30+g /r ib
# nasm's opmask mnemonics without a size letter: the first of the byte, word, dword and qword forms that fits.
kmov kreg,km8 | rm | vex p66 w0 0f 90 /r
kmov kreg,km16 | rm | vex w0 0f 90 /r
kmov kreg,km32 | rm | vex p66 w1 0f 90 /r
kmov kreg,km64 | rm | vex w1 0f 90 /r
kmov m8,kreg | mr | vex p66 w0 0f 91 /r | nosize
kmov m16,kreg | mr | vex w0 0f 91 /r
kmov m32,kreg | mr | vex p66 w1 0f 91 /r
kmov m64,kreg | mr | vex w1 0f 91 /r
kmov kreg,r8 | rm | vex p66 w0 0f 92 /r
kmov kreg,r16 | rm | vex w0 0f 92 /r
kmov kreg,r32 | rm | vex p66 w0 0f 92 /r
kmov kreg,r64 | rm | vex pf2 w1 0f 92 /r | long
kmov r32,kreg | rm | vex p66 w0 0f 93 /r
kmov r64,kreg | rm | vex pf2 w1 0f 93 /r | long
kand,kandn,-,-,kor,kxnor,kxor kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 41+g /r
kadd kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 4a /r
kunpck kreg,kreg,kreg | rvm | vex l1 p66 w0 0f 4b /r
knot kreg,kreg | rm | vex p66 w0 0f 44 /r
kortest,ktest kreg,kreg | rm | vex p66 w0 0f 98+g /r
kshiftr,-,kshiftl kreg,kreg,ib | rmi | vex p66 w0 0f 3a 30+g /r ib
# AMX (64-bit only; always the three-byte VEX of map 0f 38).
ldtilecfg m | m | vex w0 0f 38 49 /0 | long
sttilecfg m | m | vex p66 w0 0f 38 49 /0 | long
tilerelease | | vex w0 0f 38 49 c0 | long
# tilezero has no ModRM.rm operand: rm is 0 with mod 11.
tilezero tmm | r | vex pf2 w0 0f 38 49 /r | long
tileloadd tmm,sibm | rm | vex pf2 w0 0f 38 4b /r | long
tileloaddt1 tmm,sibm | rm | vex p66 w0 0f 38 4b /r | long
tilestored sibm,tmm | mr | vex pf3 w0 0f 38 4b /r | long
tdpbuud tmm,tmm,tmm | rmv | vex w0 0f 38 5e /r | long
tdpbusd tmm,tmm,tmm | rmv | vex p66 w0 0f 38 5e /r | long
tdpbsud tmm,tmm,tmm | rmv | vex pf3 w0 0f 38 5e /r | long
tdpbssd tmm,tmm,tmm | rmv | vex pf2 w0 0f 38 5e /r | long
tdpbf16ps tmm,tmm,tmm | rmv | vex pf3 w0 0f 38 5c /r | long
# AMX-FP16 and AMX-COMPLEX (NASM 3).
tdpfp16ps tmm,tmm,tmm | rmv | vex pf2 w0 0f 38 5c /r | long nasm3
tcmmrlfp16ps tmm,tmm,tmm | rmv | vex w0 0f 38 6c /r | long nasm3
tcmmimfp16ps tmm,tmm,tmm | rmv | vex p66 w0 0f 38 6c /r | long nasm3
# AMD XOP integer and fraction instructions (map 8: is4/immediate forms, map 9: two-operand forms); W0/W1 swap
# which source may be memory.
vpcmov xy,xy,xym,xy | rvms | xop8 w0 a2 /r is4
vpcmov xy,xy,xy,xym | rvsm | xop8 w1 a2 /r is4
vpperm xmm,xmm,xmm,xm128 | rvsm | xop8 w1 a3 /r is4
vpperm xmm,xmm,xm128,xmm | rvms | xop8 w0 a3 /r is4
vpmacssww,vpmacsswd,vpmacssdql xmm,xmm,xm128,xmm | rvms | xop8 w0 85+g /r is4
vpmacssdd,vpmacssdqh xmm,xmm,xm128,xmm | rvms | xop8 w0 8e+g /r is4
vpmacsww,vpmacswd,vpmacsdql xmm,xmm,xm128,xmm | rvms | xop8 w0 95+g /r is4
vpmacsdd,vpmacsdqh xmm,xmm,xm128,xmm | rvms | xop8 w0 9e+g /r is4
vpmadcsswd xmm,xmm,xm128,xmm | rvms | xop8 w0 a6 /r is4
vpmadcswd xmm,xmm,xm128,xmm | rvms | xop8 w0 b6 /r is4
vprotb,vprotw,vprotd,vprotq xmm,xm128,xmm | rmv | xop9 w0 90+g /r | dupm
vprotb,vprotw,vprotd,vprotq xmm,xmm,xm128 | rvm | xop9 w1 90+g /r
vprotb,vprotw,vprotd,vprotq xmm,xm128,ib | rmi | xop8 w0 c0+g /r ib | dupm
vpshlb,vpshlw,vpshld,vpshlq,vpshab,vpshaw,vpshad,vpshaq xmm,xm128,xmm | rmv | xop9 w0 94+g /r | dupm
vpshlb,vpshlw,vpshld,vpshlq,vpshab,vpshaw,vpshad,vpshaq xmm,xmm,xm128 | rvm | xop9 w1 94+g /r
vpcomb,vpcomw,vpcomd,vpcomq xmm,xmm,xm128,ib | rvmi | xop8 w0 cc+g /r ib
vpcomub,vpcomuw,vpcomud,vpcomuq xmm,xmm,xm128,ib | rvmi | xop8 w0 ec+g /r ib
-,vphaddbw,vphaddbd,vphaddbq,-,-,vphaddwd,vphaddwq,-,-,-,vphadddq xmm,xm128 | rm | xop9 w0 c0+g /r | dupm
-,vphaddubw,vphaddubd,vphaddubq,-,-,vphadduwd,vphadduwq,-,-,-,vphaddudq xmm,xm128 | rm | xop9 w0 d0+g /r | dupm
-,vphsubbw,vphsubwd,vphsubdq xmm,xm128 | rm | xop9 w0 e0+g /r | dupm
vfrczps,vfrczpd xy,xym | rm | xop9 w0 80+g /r | dupm
vfrczss xmm,xm32 | rm | xop9 w0 82 /r | dupm
vfrczsd xmm,xm64 | rm | xop9 w0 83 /r | dupm
# CMPccXADD: compare [m] with the second operand, add the third to [m] if the condition holds.
cmpccxadd m32,r32,r32 | mrv | vex p66 w0 0f 38 e0+cc /r | long
cmpccxadd m64,r64,r64 | mrv | vex p66 w1 0f 38 e0+cc /r | long
# AMD TBM and LWP (XOP maps 9 and 0a).
bextr rv,rmv,i32 | rmi | xopa 10 /r id
-,blcfill,blsfill,blcs,tzmsk,blcic,blsic,t1mskc rv,rmv | vm | xop9 01 /g
-,blcmsk,-,-,-,-,blci rv,rmv | vm | xop9 02 /g
llwpcb,slwpcb rv | m | xop9 12 /g
lwpins,lwpval rv,rm32,i32 | vmi | xopa 12 /g id
`;
