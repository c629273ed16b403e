/**
 * AVX512-FP16 (maps 5 and 6, half-precision elements: `b16` broadcasts a word), in the DSL of `table-evex.ts`,
 * as nasm 2.16.01 encodes it. Its FP16 table has slips that its users' sources meet and that are kept here,
 * found by probing nasm: `vgetminph`/`vgetmaxph` for vminph/vmaxph, `vendscaleph` for vrndscaleph,
 * `vfmulcpch`/`vfcmulcpch` for vfmulcph/vfcmulcph, `vpmadd*`/`vpmsub*`/`vpnm*` names for most FMA forms (its
 * `vfmadd*ph` and `vfmsub*ph` take the nmadd/nmsub opcodes), `vcvtps2ph` with two operands for vcvtps2phx and
 * `vcvtusi2ss ..., r64, {er}` for vcvtusi2sh; the narrowing conversions keep the source's width, `vrcpph` has
 * a vvvv source, `vrsqrtph` an immediate, `vgetmantph` opcode 25, `vgetmantsh` no vvvv; `vaddph` and `vcmpph` take
 * no broadcast and only an unsized or `word` memory operand (`xyzw`, a full vector's disp8 scale), `vgetminph` no ymm register source but an xmm,
 * `vcmpph`/`vcmpsh` the two-operand shorthand with its opmask destination in vvvv;
 * `vreducesh` encodes its first source in ModRM.rm and its second in vvvv (a memory operand there is written as
 * its base register's number and otherwise dropped), `vcvtph2udq` takes quarter-width sources (an xmm register
 * for every length, m32/m64/m128 memory) with half-width disp8 scales and no broadcast on the xmm form.
 */
export const FP16_TABLE = `
# AVX512-FP16 arithmetic, square roots, reciprocals and scaling.
vaddph xyz,xyz,xyzw | rvm | evex map5 w0 58 /r | k z er
vmulph xyz,xyz,xyzm | rvm | evex map5 w0 b16 59 /r | k z
vsubph,-,vdivph xyz,xyz,xyzm | rvm | evex map5 w0 b16 5c+g /r | k z er
vaddsh,vmulsh,-,-,vsubsh,-,vdivsh xmm,xmm,xm16 | rvm | evex d8=4 map5 pf3 w0 58+g /r | k z er
vgetmaxph xyz,xyzm | rm | evex map5 w0 b16 5f /r | k z sae
vgetminph xmm,xm128 | rm | evex map5 w0 b16 5d /r | k z sae packed
vgetminph ymm,xmm | rm | evex map5 w0 l1 5d /r | k z sae packed
vgetminph ymm,m256 | rm | evex map5 w0 l1 b16 5d /r | k z sae packed
vgetminph zmm,zm512 | rm | evex map5 w0 l2 b16 5d /r | k z sae packed
vgetminsh,-,vgetmaxsh xmm,xm16 | rm | evex d8=4 map5 pf3 w0 5d+g /r | k z sae
vsqrtph xyz,xyzm | rm | evex map5 w0 b16 51 /r | k z er
vsqrtsh xmm,xmm,xm16 | rvm | evex d8=4 map5 pf3 w0 51 /r | k z er
vrcpph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 4c /r | k z
vrcpsh xmm,xmm,xm16 | rvm | evex d8=4 map6 p66 w0 4d /r | k z sae
vrsqrtph xyz,xyzm,ib | rmi | evex map6 p66 w0 b16 4e /r ib | k z sae
vrsqrtsh xmm,xmm,xm16,ib | rvmi | evex d8=4 map6 p66 w0 4f /r ib | k z sae
vscalefph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 2c /r | k z er
vscalefsh xmm,xmm,xm16 | rvm | evex d8=4 map6 p66 w0 2d /r | k z er
# AVX512-FP16 fused multiply-add (W0 of map 6, opcodes as FMA3's).
vpmadd132ph,-,vpmsub132ph,-,vfmadd132ph,-,vfmsub132ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 98+g /r | k z er
vpmadd213ph,-,vpmsub213ph,-,vfmadd213ph,-,vfmsub213ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 a8+g /r | k z er
vpmadd231ph,-,vpmsub231ph,-,vfmadd231ph,-,vfmsub231ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 b8+g /r | k z er
vfmaddsub132ph,vfmsubadd132ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 96+g /r | k z er
vfmaddsub213ph,vfmsubadd213ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 a6+g /r | k z er
vfmaddsub231ph,vfmsubadd231ph xyz,xyz,xyzm | rvm | evex map6 p66 w0 b16 b6+g /r | k z er
vpmadd132sh,-,vpmsub132sh,-,vpnmadd132sh,-,vpnmsub132sh xmm,xmm,xm16 | rvm | evex d8=4 map6 p66 w0 99+g /r | k z er
vpmadd213sh,-,vpmsub213sh,-,vpnmadd213sh,-,vpnmsub213sh xmm,xmm,xm16 | rvm | evex d8=4 map6 p66 w0 a9+g /r | k z er
vpmadd231sh,-,vpmsub231sh,-,vpnmadd231sh,-,vpnmsub231sh xmm,xmm,xm16 | rvm | evex d8=4 map6 p66 w0 b9+g /r | k z er
# AVX512-FP16 complex multiplies (pairs of halves: broadcast and scalar elements are dwords).
vfmaddcph xyz,xyz,xyzm | rvm | evex map6 pf3 w0 b32 56 /r | k z er
vfcmaddcph xyz,xyz,xyzm | rvm | evex map6 pf2 w0 b32 56 /r | k z er
vfmulcpch xyz,xyz,xyzm | rvm | evex map6 pf3 w0 b32 d6 /r | k z er
vfcmulcpch xyz,xyz,xyzm | rvm | evex map6 pf2 w0 b32 d6 /r | k z er
vfmaddcsh xmm,xmm,xm32 | rvm | evex map6 pf3 w0 57 /r | k z er
vfcmaddcsh xmm,xmm,xm32 | rvm | evex map6 pf2 w0 57 /r | k z er
vfmulcsh xmm,xmm,xm32 | rvm | evex map6 pf3 w0 d7 /r | k z er
vfcmulcsh xmm,xmm,xm32 | rvm | evex map6 pf2 w0 d7 /r | k z er
# AVX512-FP16 compares, classes, exponents, mantissas, reductions and roundings.
vcmpph kreg,xyz,xyzw,ib | rvmi | evex w0 0f 3a c2 /r ib | k sae dupk
vcmpsh kreg,xmm,xm16,ib | rvmi | evex d8=4 pf3 w0 0f 3a c2 /r ib | k sae dupk
vucomish xmm,xm16 | rm | evex d8=4 map5 w0 2e /r | sae
vcomish xmm,xm16 | rm | evex d8=16 map5 w0 2f /r | sae
vfpclassph kreg,xyzm,ib | rmi | evex w0 b16 0f 3a 66 /r ib | k
vfpclasssh kreg,xm16,ib | rmi | evex d8=4 w0 0f 3a 67 /r ib | k
vgetexpph xyz,xyzm | rm | evex map6 p66 w0 b16 42 /r | k z sae
vgetexpsh xmm,xm16 | rm | evex d8=4 map6 p66 w0 43 /r | k z sae
vgetmantph xyz,xyzm,ib | rmi | evex w0 b16 0f 3a 25 /r ib | k z sae
vgetmantsh xmm,xm16,ib | rmi | evex d8=4 w0 0f 3a 27 /r ib | k z sae
vreduceph xyz,xyzm,ib | rmi | evex w0 b16 0f 3a 56 /r ib | k z sae
vreducesh xmm,xmm,xm16,ib | rmvi | evex w0 0f 3a 57 /r ib | k z sae dupm
vendscaleph xyz,xyzm,ib | rmi | evex w0 b16 0f 3a 08 /r ib | k z sae
vendscalesh xmm,xmm,xm16,ib | rvmi | evex d8=4 w0 0f 3a 0a /r ib | k z sae
# AVX512-FP16 moves.
vmovsh xmm,m16 | rm | evex d8=4 map5 pf3 w0 10 /r | k z
vmovsh m16,xmm | mr | evex d8=4 map5 pf3 w0 11 /r | k
vmovsh xmm,xmm,xmm | rvm | evex map5 pf3 w0 10 /r | k z
vmovw xmm,rm16 | rm | evex d8=4 map5 p66 w0 6e /r | k z
vmovw rm16,xmm | mr | evex d8=4 map5 p66 w0 7e /r
# AVX512-FP16 conversions between vectors: the result's width in halves as nasm 2.16 has them.
vcvtph2w xyz,xyzm | rm | evex map5 p66 w0 b16 7d /r | k z er
vcvttph2w xyz,xyzm | rm | evex map5 p66 w0 b16 7c /r | k z sae
vcvtph2uw xyz,xyzm | rm | evex map5 w0 b16 7d /r | k z er
vcvttph2uw xyz,xyzm | rm | evex map5 w0 b16 7c /r | k z sae
vcvtw2ph xyz,xyzm | rm | evex map5 pf3 w0 b16 7d /r | k z er
vcvtuw2ph xyz,xyzm | rm | evex map5 pf2 w0 b16 7d /r | k z er
vcvtph2dq xyz,xyzhm | rm | evex map5 p66 w0 b16 5b /r | k z er
vcvttph2dq xyz,xyzhm | rm | evex map5 pf3 w0 b16 5b /r | k z sae
vcvttph2udq xyz,xyzhm | rm | evex map5 w0 b16 78 /r | k z sae
vcvtph2udq xmm,xm32 | rm | evex d8=8 map5 w0 79 /r | k z packed
vcvtph2udq ymm,xm64 | rm | evex d8=16 map5 w0 l1 b16 79 /r | k z packed
vcvtph2udq zmm,xm128 | rm | evex d8=32 map5 w0 l2 b16 79 /r | k z er packed
vcvtph2psx xyz,xyzhm | rm | evex map6 p66 w0 b16 13 /r | k z sae
vcvtdq2ph xyz,xyzm | rm | evex map5 w0 b32 5b /r | k z er
vcvtudq2ph xyz,xyzm | rm | evex map5 pf2 w0 b32 7a /r | k z
vcvtps2ph xyz,xyzm | rm | evex map5 p66 w0 b32 1d /r | k z er
vcvtpd2ph xyz,xyzm | rm | evex map5 p66 w1 b64 5a /r | k z er
vcvtqq2ph xyz,xyzm | rm | evex map5 w1 b64 5b /r | k z er
vcvtuqq2ph xyz,xyzm | rm | evex map5 pf2 w1 b32 7a /r | k z
vcvtph2qq xmm,xm32 | rm | evex map5 p66 w0 7b /r | k z er lowregs packed
vcvtph2qq ymm,xm64 | rm | evex d8=m map5 p66 w0 l1 b16 7b /r | k z er lowregs packed
vcvtph2qq zmm,xm128 | rm | evex d8=m map5 p66 w0 l2 b16 7b /r | k z er lowregs packed
vcvttph2qq xmm,xm32 | rm | evex map5 p66 w0 7a /r | k z sae lowregs packed
vcvttph2qq ymm,xm64 | rm | evex d8=4 map5 p66 w0 l1 b16 7a /r | k z sae lowregs packed
vcvttph2qq zmm,xm128 | rm | evex d8=4 map5 p66 w0 l2 b16 7a /r | k z sae lowregs packed
vcvtph2uqq xmm,xm32 | rm | evex map5 p66 w0 79 /r | k z er lowregs packed
vcvtph2uqq ymm,xm64 | rm | evex d8=m map5 p66 w0 l1 b16 79 /r | k z er lowregs packed
vcvtph2uqq zmm,xm128 | rm | evex d8=m map5 p66 w0 l2 b16 79 /r | k z er lowregs packed
vcvttph2uqq xmm,xm32 | rm | evex map5 p66 w0 78 /r | k z sae packed
vcvttph2uqq ymm,xm64 | rm | evex d8=4 map5 p66 w0 l1 b16 78 /r | k z sae packed
vcvttph2uqq zmm,xm128 | rm | evex d8=4 map5 p66 w0 l2 b16 78 /r | k z sae packed
vcvtph2pd xmm,xm32 | rm | evex map5 w0 5a /r | k z sae packed
vcvtph2pd ymm,xm64 | rm | evex d8=m map5 w0 l1 b16 5a /r | k z sae packed
vcvtph2pd zmm,xm128 | rm | evex d8=m map5 w0 l2 b16 5a /r | k z sae packed
# AVX512-FP16 scalar conversions.
vcvttsh2si r32,xm16 | rm | evex d8=4 map5 pf3 w0 2c /r | sae lowregs
vcvttsh2si r64,xm16 | rm | evex d8=8 map5 pf3 w1 2c /r | sae lowregs long
vcvtsh2si r32,xm16 | rm | evex d8=4 map5 pf3 w0 2d /r | er lowregs
vcvtsh2si r64,xm16 | rm | evex d8=8 map5 pf3 w1 2d /r | er lowregs long
vcvttsh2usi r32,xm16 | rm | evex d8=4 map5 pf3 w0 78 /r | sae lowregs
vcvttsh2usi r64,xm16 | rm | evex d8=8 map5 pf3 w1 78 /r | sae lowregs long
vcvtsh2usi r32,xm16 | rm | evex d8=4 map5 pf3 w0 79 /r | er lowregs
vcvtsh2usi r64,xm16 | rm | evex d8=8 map5 pf3 w1 79 /r | er lowregs long
vcvtsh2ss xmm,xmm,xm16 | rvm | evex d8=4 map6 w0 13 /r | k z sae
vcvtsh2sd xmm,xmm,xm16 | rvm | evex d8=4 map5 pf3 w0 5a /r | sae
vcvtss2sh xmm,xmm,xm32 | rvm | evex map5 w0 1d /r | er
vcvtsd2sh xmm,xmm,xm64 | rvm | evex map5 pf2 w1 5a /r | k z er
vcvtsi2sh xmm,xmm,rm32 | rvm | evex map5 pf3 w0 2a /r | er sized
vcvtsi2sh xmm,xmm,r64 | rvm | evex map5 pf3 w1 2a /r | er long
vcvtsi2sh xmm,xmm,m64 | rvm | evex map5 pf3 w1 2a /r | er sized
vcvtusi2sh xmm,xmm,rm32 | rvm | evex map5 pf3 w0 7b /r | er nodup
vcvtusi2ss xmm,xmm,r64 | rvm | evex map5 pf3 w1 7b /r | er long nodup
`;
