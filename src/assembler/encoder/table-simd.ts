/**
 * MMX, SSE..SSE4.2, SSE4a, AES-NI, SHA, PCLMULQDQ and 3DNow! in their legacy (non-VEX) encodings, in the DSL
 * of `table.ts` (read after it and after the x87 table; the data movement and logic forms a kernel needs are
 * in `table.ts`). `=XX` is a constant byte after ModRM and displacement: NASM's `cmpeqps`-style predicates,
 * pclmul selectors and 3DNow!'s operation byte.
 */
export const SIMD_TABLE = `
# SSE/SSE2 floating point arithmetic: ps (none), ss (f3), pd (66), sd (f2).
addps xmm,xm128 | rm | 0f 58 /r
addss xmm,xm32 | rm | pf3 0f 58 /r
addpd xmm,xm128 | rm | p66 0f 58 /r
addsd xmm,xm64 | rm | pf2 0f 58 /r
mulps xmm,xm128 | rm | 0f 59 /r
mulss xmm,xm32 | rm | pf3 0f 59 /r
mulpd xmm,xm128 | rm | p66 0f 59 /r
mulsd xmm,xm64 | rm | pf2 0f 59 /r
subps xmm,xm128 | rm | 0f 5c /r
subss xmm,xm32 | rm | pf3 0f 5c /r
subpd xmm,xm128 | rm | p66 0f 5c /r
subsd xmm,xm64 | rm | pf2 0f 5c /r
minps xmm,xm128 | rm | 0f 5d /r
minss xmm,xm32 | rm | pf3 0f 5d /r
minpd xmm,xm128 | rm | p66 0f 5d /r
minsd xmm,xm64 | rm | pf2 0f 5d /r
divps xmm,xm128 | rm | 0f 5e /r
divss xmm,xm32 | rm | pf3 0f 5e /r
divpd xmm,xm128 | rm | p66 0f 5e /r
divsd xmm,xm64 | rm | pf2 0f 5e /r
maxps xmm,xm128 | rm | 0f 5f /r
maxss xmm,xm32 | rm | pf3 0f 5f /r
maxpd xmm,xm128 | rm | p66 0f 5f /r
maxsd xmm,xm64 | rm | pf2 0f 5f /r
sqrtps xmm,xm128 | rm | 0f 51 /r
sqrtss xmm,xm32 | rm | pf3 0f 51 /r
sqrtpd xmm,xm128 | rm | p66 0f 51 /r
sqrtsd xmm,xm64 | rm | pf2 0f 51 /r
rcpps xmm,xm128 | rm | 0f 53 /r
rcpss xmm,xm32 | rm | pf3 0f 53 /r
rsqrtps xmm,xm128 | rm | 0f 52 /r
rsqrtss xmm,xm32 | rm | pf3 0f 52 /r
unpcklps xmm,xm128 | rm | 0f 14 /r
unpcklpd xmm,xm128 | rm | p66 0f 14 /r
unpckhps xmm,xm128 | rm | 0f 15 /r
unpckhpd xmm,xm128 | rm | p66 0f 15 /r
shufps xmm,xm128,ib | rmi | 0f c6 /r ib
shufpd xmm,xm128,ib | rmi | p66 0f c6 /r ib
cmpps xmm,xm128,ib | rmi | 0f c2 /r ib
cmpss xmm,xm32,ib | rmi | pf3 0f c2 /r ib
cmppd xmm,xm128,ib | rmi | p66 0f c2 /r ib
# NASM sizes cmpsd's memory operand as an oword.
cmpsd xmm,xm128,ib | rmi | pf2 0f c2 /r ib
# NASM's compare pseudo-ops: the predicate is the immediate byte.
cmpeqps xmm,xm128 | rm | 0f c2 /r =00
cmpeqss xmm,xm32 | rm | pf3 0f c2 /r =00
cmpeqpd xmm,xm128 | rm | p66 0f c2 /r =00
cmpeqsd xmm,xm64 | rm | pf2 0f c2 /r =00
cmpltps xmm,xm128 | rm | 0f c2 /r =01
cmpltss xmm,xm32 | rm | pf3 0f c2 /r =01
cmpltpd xmm,xm128 | rm | p66 0f c2 /r =01
cmpltsd xmm,xm64 | rm | pf2 0f c2 /r =01
cmpleps xmm,xm128 | rm | 0f c2 /r =02
cmpless xmm,xm32 | rm | pf3 0f c2 /r =02
cmplepd xmm,xm128 | rm | p66 0f c2 /r =02
cmplesd xmm,xm64 | rm | pf2 0f c2 /r =02
cmpunordps xmm,xm128 | rm | 0f c2 /r =03
cmpunordss xmm,xm32 | rm | pf3 0f c2 /r =03
cmpunordpd xmm,xm128 | rm | p66 0f c2 /r =03
cmpunordsd xmm,xm64 | rm | pf2 0f c2 /r =03
cmpneqps xmm,xm128 | rm | 0f c2 /r =04
cmpneqss xmm,xm32 | rm | pf3 0f c2 /r =04
cmpneqpd xmm,xm128 | rm | p66 0f c2 /r =04
cmpneqsd xmm,xm64 | rm | pf2 0f c2 /r =04
cmpnltps xmm,xm128 | rm | 0f c2 /r =05
cmpnltss xmm,xm32 | rm | pf3 0f c2 /r =05
cmpnltpd xmm,xm128 | rm | p66 0f c2 /r =05
cmpnltsd xmm,xm64 | rm | pf2 0f c2 /r =05
cmpnleps xmm,xm128 | rm | 0f c2 /r =06
cmpnless xmm,xm32 | rm | pf3 0f c2 /r =06
cmpnlepd xmm,xm128 | rm | p66 0f c2 /r =06
cmpnlesd xmm,xm64 | rm | pf2 0f c2 /r =06
cmpordps xmm,xm128 | rm | 0f c2 /r =07
cmpordss xmm,xm32 | rm | pf3 0f c2 /r =07
cmpordpd xmm,xm128 | rm | p66 0f c2 /r =07
cmpordsd xmm,xm64 | rm | pf2 0f c2 /r =07
comiss xmm,xm32 | rm | 0f 2f /r
comisd xmm,xm64 | rm | p66 0f 2f /r
ucomiss xmm,xm32 | rm | 0f 2e /r
ucomisd xmm,xm64 | rm | p66 0f 2e /r
# Moves of halves and scalars.
movhlps xmm,xmm | rm | 0f 12 /r
movlhps xmm,xmm | rm | 0f 16 /r
movlps xmm,m64 | rm | 0f 12 /r
movlps m64,xmm | mr | 0f 13 /r
movhps xmm,m64 | rm | 0f 16 /r
movhps m64,xmm | mr | 0f 17 /r
movlpd xmm,m64 | rm | p66 0f 12 /r
movlpd m64,xmm | mr | p66 0f 13 /r
movhpd xmm,m64 | rm | p66 0f 16 /r
movhpd m64,xmm | mr | p66 0f 17 /r
movss xmm,xmm | rm | pf3 0f 10 /r
movsd xmm,xmm | rm | pf2 0f 10 /r
# Conversions.
cvtpi2ps xmm,mm64 | rm | 0f 2a /r
cvtps2pi mmx,xm64 | rm | 0f 2d /r
cvttps2pi mmx,xm64 | rm | 0f 2c /r
cvtpi2pd xmm,mm64 | rm | p66 0f 2a /r
cvtpd2pi mmx,xm128 | rm | p66 0f 2d /r
cvttpd2pi mmx,xm128 | rm | p66 0f 2c /r
cvtsi2ss xmm,rm32 | rm | pf3 0f 2a /r | nosize
cvtsi2ss xmm,rm64 | rm | pf3 o64 0f 2a /r
cvtsi2sd xmm,rm32 | rm | pf2 0f 2a /r | nosize
cvtsi2sd xmm,rm64 | rm | pf2 o64 0f 2a /r
cvtss2si r32,xm32 | rm | pf3 0f 2d /r
cvtss2si r64,xm32 | rm | pf3 o64 0f 2d /r
cvttss2si r32,xm32 | rm | pf3 0f 2c /r
cvttss2si r64,xm32 | rm | pf3 o64 0f 2c /r
cvtsd2si r32,xm64 | rm | pf2 0f 2d /r
cvtsd2si r64,xm64 | rm | pf2 o64 0f 2d /r
cvttsd2si r32,xm64 | rm | pf2 0f 2c /r
cvttsd2si r64,xm64 | rm | pf2 o64 0f 2c /r
cvtps2pd xmm,xm64 | rm | 0f 5a /r
cvtpd2ps xmm,xm128 | rm | p66 0f 5a /r
cvtss2sd xmm,xm32 | rm | pf3 0f 5a /r
cvtsd2ss xmm,xm64 | rm | pf2 0f 5a /r
cvtdq2ps xmm,xm128 | rm | 0f 5b /r
cvtps2dq xmm,xm128 | rm | p66 0f 5b /r
cvttps2dq xmm,xm128 | rm | pf3 0f 5b /r
cvtdq2pd xmm,xm64 | rm | pf3 0f e6 /r
cvtpd2dq xmm,xm128 | rm | pf2 0f e6 /r
cvttpd2dq xmm,xm128 | rm | p66 0f e6 /r
# MMX and SSE2 integer operations (mmx: no prefix; xmm: 66).
packsswb mmx,mm64 | rm | 0f 63 /r
packsswb xmm,xm128 | rm | p66 0f 63 /r
packssdw mmx,mm64 | rm | 0f 6b /r
packssdw xmm,xm128 | rm | p66 0f 6b /r
packuswb mmx,mm64 | rm | 0f 67 /r
packuswb xmm,xm128 | rm | p66 0f 67 /r
paddsb mmx,mm64 | rm | 0f ec /r
paddsb xmm,xm128 | rm | p66 0f ec /r
paddsw mmx,mm64 | rm | 0f ed /r
paddsw xmm,xm128 | rm | p66 0f ed /r
paddusb mmx,mm64 | rm | 0f dc /r
paddusb xmm,xm128 | rm | p66 0f dc /r
paddusw mmx,mm64 | rm | 0f dd /r
paddusw xmm,xm128 | rm | p66 0f dd /r
pmaddwd mmx,mm64 | rm | 0f f5 /r
pmaddwd xmm,xm128 | rm | p66 0f f5 /r
pmulhw mmx,mm64 | rm | 0f e5 /r
pmulhw xmm,xm128 | rm | p66 0f e5 /r
pmulhuw mmx,mm64 | rm | 0f e4 /r
pmulhuw xmm,xm128 | rm | p66 0f e4 /r
# NASM sizes this MMX memory operand as an oword.
pmuludq mmx,mm128 | rm | 0f f4 /r
pmuludq xmm,xm128 | rm | p66 0f f4 /r
psubsb mmx,mm64 | rm | 0f e8 /r
psubsb xmm,xm128 | rm | p66 0f e8 /r
psubsw mmx,mm64 | rm | 0f e9 /r
psubsw xmm,xm128 | rm | p66 0f e9 /r
psubusb mmx,mm64 | rm | 0f d8 /r
psubusb xmm,xm128 | rm | p66 0f d8 /r
psubusw mmx,mm64 | rm | 0f d9 /r
psubusw xmm,xm128 | rm | p66 0f d9 /r
pavgw mmx,mm64 | rm | 0f e3 /r
pavgw xmm,xm128 | rm | p66 0f e3 /r
pmaxsw mmx,mm64 | rm | 0f ee /r
pmaxsw xmm,xm128 | rm | p66 0f ee /r
pminsw mmx,mm64 | rm | 0f ea /r
pminsw xmm,xm128 | rm | p66 0f ea /r
psubq xmm,xm128 | rm | p66 0f fb /r
pshufw mmx,mmu,imm | rmi | 0f 70 /r ib
maskmovq mmx,mmx | rm | 0f f7 /r
maskmovdqu xmm,xmm | rm | p66 0f f7 /r
movntq m64,mmx | mr | 0f e7 /r
movdq2q mmx,xmm | rm | pf2 0f d6 /r
movq2dq xmm,mmx | rm | pf3 0f d6 /r
pinsrw mmx,r32,imm | rmi | 0f c4 /r ib
# NASM also takes a word register, with no operand-size prefix.
pinsrw mmx,r16,imm | rmi | 0f c4 /r ib
pinsrw xmm,r16,imm | rmi | p66 0f c4 /r ib
pinsrw mmx,m16,imm | rmi | 0f c4 /r ib
# SSE3.
addsubpd xmm,xm128 | rm | p66 0f d0 /r
addsubps xmm,xm128 | rm | pf2 0f d0 /r
haddpd xmm,xm128 | rm | p66 0f 7c /r
haddps xmm,xm128 | rm | pf2 0f 7c /r
hsubpd xmm,xm128 | rm | p66 0f 7d /r
hsubps xmm,xm128 | rm | pf2 0f 7d /r
movshdup xmm,xm128 | rm | pf3 0f 16 /r
movsldup xmm,xm128 | rm | pf3 0f 12 /r
movddup xmm,xm64 | rm | pf2 0f 12 /r
lddqu xmm,m128 | rm | pf2 0f f0 /r
# SSSE3 (0f 38, mmx and xmm).
phaddw mmx,mm64 | rm | 0f 38 01 /r
phaddw xmm,xm128 | rm | p66 0f 38 01 /r
phaddd mmx,mm64 | rm | 0f 38 02 /r
phaddd xmm,xm128 | rm | p66 0f 38 02 /r
phaddsw mmx,mm64 | rm | 0f 38 03 /r
phaddsw xmm,xm128 | rm | p66 0f 38 03 /r
pmaddubsw mmx,mm64 | rm | 0f 38 04 /r
pmaddubsw xmm,xm128 | rm | p66 0f 38 04 /r
phsubw mmx,mm64 | rm | 0f 38 05 /r
phsubw xmm,xm128 | rm | p66 0f 38 05 /r
phsubd mmx,mm64 | rm | 0f 38 06 /r
phsubd xmm,xm128 | rm | p66 0f 38 06 /r
phsubsw mmx,mm64 | rm | 0f 38 07 /r
phsubsw xmm,xm128 | rm | p66 0f 38 07 /r
psignb mmx,mm64 | rm | 0f 38 08 /r
psignb xmm,xm128 | rm | p66 0f 38 08 /r
psignw mmx,mm64 | rm | 0f 38 09 /r
psignw xmm,xm128 | rm | p66 0f 38 09 /r
psignd mmx,mm64 | rm | 0f 38 0a /r
psignd xmm,xm128 | rm | p66 0f 38 0a /r
pmulhrsw mmx,mm64 | rm | 0f 38 0b /r
pmulhrsw xmm,xm128 | rm | p66 0f 38 0b /r
pabsb mmx,mm64 | rm | 0f 38 1c /r
pabsb xmm,xm128 | rm | p66 0f 38 1c /r
pabsw mmx,mm64 | rm | 0f 38 1d /r
pabsw xmm,xm128 | rm | p66 0f 38 1d /r
pabsd mmx,mm64 | rm | 0f 38 1e /r
pabsd xmm,xm128 | rm | p66 0f 38 1e /r
palignr mmx,mm64,imm | rmi | 0f 3a 0f /r ib
# SSE4.1 and SSE4.2 (66 0f 38 / 66 0f 3a).
# NASM refuses an oword keyword on pblendvb's three-operand memory form.
pblendvb xmm,xmu,xmm0 | rm- | p66 0f 38 10 /r
pblendvb xmm,xm128 | rm | p66 0f 38 10 /r
blendvps xmm,xm128,xmm0 | rm- | p66 0f 38 14 /r
blendvps xmm,xm128 | rm | p66 0f 38 14 /r
blendvpd xmm,xm128,xmm0 | rm- | p66 0f 38 15 /r
blendvpd xmm,xm128 | rm | p66 0f 38 15 /r
pmovsxbw xmm,xm64 | rm | p66 0f 38 20 /r
pmovsxbd xmm,xm32 | rm | p66 0f 38 21 /r
pmovsxbq xmm,xm16 | rm | p66 0f 38 22 /r
pmovsxwd xmm,xm64 | rm | p66 0f 38 23 /r
pmovsxwq xmm,xm32 | rm | p66 0f 38 24 /r
pmovsxdq xmm,xm64 | rm | p66 0f 38 25 /r
pmovzxbw xmm,xm64 | rm | p66 0f 38 30 /r
pmovzxbd xmm,xm32 | rm | p66 0f 38 31 /r
pmovzxbq xmm,xm16 | rm | p66 0f 38 32 /r
pmovzxwd xmm,xm64 | rm | p66 0f 38 33 /r
pmovzxwq xmm,xm32 | rm | p66 0f 38 34 /r
pmovzxdq xmm,xm64 | rm | p66 0f 38 35 /r
pmuldq xmm,xm128 | rm | p66 0f 38 28 /r
pcmpeqq xmm,xm128 | rm | p66 0f 38 29 /r
packusdw xmm,xm128 | rm | p66 0f 38 2b /r
pcmpgtq xmm,xm128 | rm | p66 0f 38 37 /r
pminsb xmm,xm128 | rm | p66 0f 38 38 /r
pminsd xmm,xm128 | rm | p66 0f 38 39 /r
pminuw xmm,xm128 | rm | p66 0f 38 3a /r
pminud xmm,xm128 | rm | p66 0f 38 3b /r
pmaxsb xmm,xm128 | rm | p66 0f 38 3c /r
pmaxsd xmm,xm128 | rm | p66 0f 38 3d /r
pmaxuw xmm,xm128 | rm | p66 0f 38 3e /r
pmaxud xmm,xm128 | rm | p66 0f 38 3f /r
pmulld xmm,xm128 | rm | p66 0f 38 40 /r
phminposuw xmm,xm128 | rm | p66 0f 38 41 /r
roundps xmm,xm128,ib | rmi | p66 0f 3a 08 /r ib
roundpd xmm,xm128,ib | rmi | p66 0f 3a 09 /r ib
roundss xmm,xm32,ib | rmi | p66 0f 3a 0a /r ib
roundsd xmm,xm64,ib | rmi | p66 0f 3a 0b /r ib
blendps xmm,xm128,ib | rmi | p66 0f 3a 0c /r ib
blendpd xmm,xm128,ib | rmi | p66 0f 3a 0d /r ib
pblendw xmm,xm128,ib | rmi | p66 0f 3a 0e /r ib
insertps xmm,xm32,ib | rmi | p66 0f 3a 21 /r ib
dpps xmm,xm128,ib | rmi | p66 0f 3a 40 /r ib
dppd xmm,xm128,ib | rmi | p66 0f 3a 41 /r ib
mpsadbw xmm,xm128,ib | rmi | p66 0f 3a 42 /r ib
pclmulqdq xmm,xm128,ib | rmi | p66 0f 3a 44 /r ib
pcmpestrm xmm,xm128,ib | rmi | p66 0f 3a 60 /r ib
pcmpestri xmm,xm128,ib | rmi | p66 0f 3a 61 /r ib
pcmpistrm xmm,xm128,ib | rmi | p66 0f 3a 62 /r ib
pcmpistri xmm,xm128,ib | rmi | p66 0f 3a 63 /r ib
# NASM's pclmulqdq pseudo-ops: the quadword selector is the immediate byte.
pclmullqlqdq xmm,xm128 | rm | p66 0f 3a 44 /r =00
pclmulhqlqdq xmm,xm128 | rm | p66 0f 3a 44 /r =01
pclmullqhqdq xmm,xm128 | rm | p66 0f 3a 44 /r =10
pclmulhqhqdq xmm,xm128 | rm | p66 0f 3a 44 /r =11
pextrb r32,xmm,ib | mri | p66 0f 3a 14 /r ib
pextrb r64,xmm,ib | mri | p66 0f 3a 14 /r ib | long
pextrb m8,xmm,ib | mri | p66 0f 3a 14 /r ib
pextrw m16,xmm,ib | mri | p66 0f 3a 15 /r ib
pextrd rm32,xmm,ib | mri | p66 0f 3a 16 /r ib
pextrq rm64,xmm,ib | mri | p66 o64 0f 3a 16 /r ib
extractps rm32,xmm,ib | mri | p66 0f 3a 17 /r ib
extractps r64,xmm,ib | mri | p66 o64 0f 3a 17 /r ib
pinsrb xmm,r32,ib | rmi | p66 0f 3a 20 /r ib
pinsrb xmm,r8,ib | rmi | p66 0f 3a 20 /r ib | r8norex
pinsrb xmm,m8,ib | rmi | p66 0f 3a 20 /r ib
pinsrd xmm,rm32,ib | rmi | p66 0f 3a 22 /r ib
pinsrq xmm,rm64,ib | rmi | p66 o64 0f 3a 22 /r ib
# AES-NI, SHA (legacy encodings).
aesimc xmm,xm128 | rm | p66 0f 38 db /r
aesenc xmm,xm128 | rm | p66 0f 38 dc /r
aesenclast xmm,xm128 | rm | p66 0f 38 dd /r
aesdec xmm,xm128 | rm | p66 0f 38 de /r
aesdeclast xmm,xm128 | rm | p66 0f 38 df /r
aeskeygenassist xmm,xm128,ib | rmi | p66 0f 3a df /r ib
# Key Locker (NASM 3): AES with a handle in memory (384 bits for 128-bit keys, 512 for 256-bit ones).
aesenc128kl,aesdec128kl xmm,m | rm | pf3 0f 38 dc+g /r | nasm3
aesenc256kl,aesdec256kl xmm,m512 | rm | pf3 0f 38 de+g /r | nasm3
aesencwide128kl,aesdecwide128kl,aesencwide256kl,aesdecwide256kl m | m | pf3 0f 38 d8 /g | nasm3
encodekey128 r32,r32 | rm | pf3 0f 38 fa /r | nasm3
encodekey256 r32,r32 | rm | pf3 0f 38 fb /r | nasm3
loadiwkey xmm,xmm | rm | pf3 0f 38 dc /r | nasm3
sha1nexte xmm,xm128 | rm | 0f 38 c8 /r
sha1msg1 xmm,xm128 | rm | 0f 38 c9 /r
sha1msg2 xmm,xm128 | rm | 0f 38 ca /r
sha256msg1 xmm,xm128 | rm | 0f 38 cc /r
sha256msg2 xmm,xm128 | rm | 0f 38 cd /r
sha256rnds2 xmm,xm128,xmm0 | rm- | 0f 38 cb /r
sha256rnds2 xmm,xm128 | rm | 0f 38 cb /r
sha1rnds4 xmm,xm128,ib | rmi | 0f 3a cc /r ib
# SSE4a (AMD).
extrq xmm,imm,imm | mii | p66 0f 78 /0 ib ib
extrq xmm,xmm | rm | p66 0f 79 /r
insertq xmm,xmm,imm,imm | rmii | pf2 0f 78 /r ib ib
insertq xmm,xmm | rm | pf2 0f 79 /r
movntsd m64,xmm | mr | pf2 0f 2b /r
movntss m32,xmm | mr | pf3 0f 2b /r
# 3DNow!: 0f 0f /r, then the operation's byte.
pavgusb mmx,mm64 | rm | 0f 0f /r =bf
pf2id mmx,mm64 | rm | 0f 0f /r =1d
pf2iw mmx,mm64 | rm | 0f 0f /r =1c
pfacc mmx,mm64 | rm | 0f 0f /r =ae
pfadd mmx,mm64 | rm | 0f 0f /r =9e
pfcmpeq mmx,mm64 | rm | 0f 0f /r =b0
pfcmpge mmx,mm64 | rm | 0f 0f /r =90
pfcmpgt mmx,mm64 | rm | 0f 0f /r =a0
pfmax mmx,mm64 | rm | 0f 0f /r =a4
pfmin mmx,mm64 | rm | 0f 0f /r =94
pfmul mmx,mm64 | rm | 0f 0f /r =b4
pfnacc mmx,mm64 | rm | 0f 0f /r =8a
pfpnacc mmx,mm64 | rm | 0f 0f /r =8e
pfrcp mmx,mm64 | rm | 0f 0f /r =96
pfrcpit1 mmx,mm64 | rm | 0f 0f /r =a6
pfrcpit2 mmx,mm64 | rm | 0f 0f /r =b6
pfrsqit1 mmx,mm64 | rm | 0f 0f /r =a7
pfrsqrt mmx,mm64 | rm | 0f 0f /r =97
pfsub mmx,mm64 | rm | 0f 0f /r =9a
pfsubr mmx,mm64 | rm | 0f 0f /r =aa
pi2fd mmx,mm64 | rm | 0f 0f /r =0d
pi2fw mmx,mm64 | rm | 0f 0f /r =0c
pmulhrwa mmx,mm64 | rm | 0f 0f /r =b7
pswapd mmx,mm64 | rm | 0f 0f /r =bb
femms | | 0f 0e
prefetch m64 | m | 0f 0d /0
`;
