/**
 * System, virtualization and security instructions in the DSL of `table.ts` (read after it, the x87 and the
 * SIMD tables): SVM, VMX, SMX, CET, MPX, VIA PadLock, TSX, user interrupts and the newer cache and
 * synchronisation instructions. Forms whose register operand is an address (`invlpga eax, ecx`,
 * `movdir64b eax, [ebx]`) give the address size with a16/a32/a64.
 */
export const SYSTEM_TABLE = `
# AMD SVM.
invlpga | | 0f 01 df
invlpga ax,ecx | -- | a16 0f 01 df | nolong
invlpga eax,ecx | -- | a32 0f 01 df
invlpga rax,ecx | -- | a64 0f 01 df | long
vmrun | | 0f 01 d8
vmload | | 0f 01 da
vmsave | | 0f 01 db
vmmcall | | 0f 01 d9
vmgexit | | pf2 0f 01 c1
stgi | | 0f 01 dc
clgi | | 0f 01 dd
skinit | | 0f 01 de | long
clzero | | 0f 01 fc
clzero ax | - | a16 0f 01 fc | nolong
clzero eax | - | a32 0f 01 fc
clzero rax | - | a64 0f 01 fc | long
monitorx | | 0f 01 fa
monitorx ax,ecx,edx | --- | 0f 01 fa
monitorx eax,ecx,edx | --- | 0f 01 fa
monitorx rax,ecx,edx | --- | 0f 01 fa | long
mwaitx | | 0f 01 fb
mwaitx eax,ecx | -- | 0f 01 fb
# Intel VMX.
vmcall | | 0f 01 c1
vmlaunch | | 0f 01 c2
vmresume | | 0f 01 c3
vmxoff | | 0f 01 c4
vmfunc | | 0f 01 d4
vmread rm32,r32 | mr | 0f 78 /r | nolong
vmread rm64,r64 | mr | o64nw 0f 78 /r
vmwrite r32,rm32 | rm | 0f 79 /r | nolong
vmwrite r64,rm64 | rm | o64nw 0f 79 /r
vmclear m | m | p66 0f c7 /6
vmptrld m | m | 0f c7 /6
vmptrst m | m | 0f c7 /7
vmxon m | m | pf3 0f c7 /6
invept r32,m128 | rm | p66 0f 38 80 /r | nolong
invept r64,m128 | rm | p66 o64nw 0f 38 80 /r
invvpid r32,m128 | rm | p66 0f 38 81 /r | nolong
invvpid r64,m128 | rm | p66 o64nw 0f 38 81 /r
# SMX, SGX, TDX-free platform configuration.
getsec | | 0f 37
encls | | 0f 01 cf
enclu | | 0f 01 d7
enclv | | 0f 01 c0
pconfig | | 0f 01 c5
# Protection keys, TSX, user interrupts, tracing.
rdpkru | | 0f 01 ee | long
wrpkru | | 0f 01 ef | long
xend | | 0f 01 d5
xtest | | 0f 01 d6
xabort i8 | i | c6 f8 ib
xbegin rel | j | c7 f8 rv
xsusldtrk | | pf2 0f 01 e8
xresldtrk | | pf2 0f 01 e9
uiret | | pf3 0f 01 ec | long
testui | | pf3 0f 01 ed | long
clui | | pf3 0f 01 ee | long
stui | | pf3 0f 01 ef | long
senduipi r64 | m | pf3 0f c7 /6 | long
# NASM 2.16 emits ptwrite without its f3 prefix.
ptwrite rm32 | m | 0f ae /4 | sized
ptwrite rm64 | m | o64 0f ae /4 | sized
# Cache, memory ordering and waiting.
cldemote m | m | 0f 1c /0
movdir64b r16,m512 | rm | p66 a16 0f 38 f8 /r | nolong
movdir64b r32,m512 | rm | p66 a32 0f 38 f8 /r
movdir64b r64,m512 | rm | p66 a64 0f 38 f8 /r | long
enqcmd r16,m512 | rm | pf2 a16 0f 38 f8 /r | nolong
# NASM 2.16 gives enqcmd r32 a 67 prefix outside 64-bit mode.
enqcmd r32,m512 | rm | pf2 a16 0f 38 f8 /r | nolong
enqcmd r32,m512 | rm | pf2 a32 0f 38 f8 /r | long
enqcmd r64,m512 | rm | pf2 a64 o64 0f 38 f8 /r
enqcmds r16,m512 | rm | pf3 a16 0f 38 f8 /r | nolong
# NASM 2.16 gives enqcmds r32 a 67 prefix outside 64-bit mode.
enqcmds r32,m512 | rm | pf3 a16 0f 38 f8 /r | nolong
enqcmds r32,m512 | rm | pf3 a32 0f 38 f8 /r | long
enqcmds r64,m512 | rm | pf3 a64 o64 0f 38 f8 /r
pcommit | | p66 0f ae f8 | noop
movdiri m32,r32 | mr | 0f 38 f9 /r
movdiri m64,r64 | mr | o64 0f 38 f9 /r
umonitor r16 | m | pf3 a16 0f ae /6 | nolong
umonitor r32 | m | pf3 a32 0f ae /6
umonitor r64 | m | pf3 a64 0f ae /6 | long
umwait r32 | m | pf2 0f ae /6
umwait r32,edx,eax | m-- | pf2 0f ae /6
tpause r32 | m | p66 0f ae /6
tpause r32,edx,eax | m-- | p66 0f ae /6
hreset ib | i | pf3 0f 3a f0 c0 ib
hreset ib,eax | i- | pf3 0f 3a f0 c0 ib
# VIA PadLock.
xstore | | 0f a7 c0
xcryptecb | | pf3 0f a7 c8 | rep
xcryptcbc | | pf3 0f a7 d0 | rep
xcryptctr | | pf3 0f a7 d8 | rep
xcryptcfb | | pf3 0f a7 e0 | rep
xcryptofb | | pf3 0f a7 e8 | rep
montmul | | pf3 0f a6 c0 | rep
xsha1 | | pf3 0f a6 c8 | rep
xsha256 | | pf3 0f a6 d0 | rep
# CET shadow stacks and indirect branch tracking.
endbr64 | | pf3 0f 1e fa
endbr32 | | pf3 0f 1e fb
incsspd r32 | m | pf3 o32 0f ae /5
incsspq r64 | m | pf3 o64 0f ae /5
rdsspd r32 | m | pf3 o32 0f 1e /1
rdsspq r64 | m | pf3 o64 0f 1e /1
saveprevssp | | pf3 0f 01 ea
rstorssp m64 | m | pf3 0f 01 /5 | nosize
wrssd m32,r32 | mr | o32 0f 38 f6 /r
wrssq m64,r64 | mr | o64 0f 38 f6 /r
wrussd m32,r32 | mr | o32 p66 0f 38 f5 /r
wrussq m64,r64 | mr | p66 o64 0f 38 f5 /r
setssbsy | | pf3 0f 01 e8
clrssbsy m64 | m | pf3 0f ae /6 | nosize
# MPX.
bndmk bnd,m | rm | pf3 0f 1b /r | mib
bndcl bnd,m | rm | pf3 0f 1a /r
bndcl bnd,r32 | rm | pf3 0f 1a /r | nolong
bndcl bnd,r64 | rm | pf3 0f 1a /r | long
bndcu bnd,m | rm | pf2 0f 1a /r
bndcu bnd,r32 | rm | pf2 0f 1a /r | nolong
bndcu bnd,r64 | rm | pf2 0f 1a /r | long
bndcn bnd,m | rm | pf2 0f 1b /r
bndcn bnd,r32 | rm | pf2 0f 1b /r | nolong
bndcn bnd,r64 | rm | pf2 0f 1b /r | long
bndmov bnd,bndm | rm | p66 0f 1a /r
bndmov bndm,bnd | mr | p66 0f 1b /r
bndldx bnd,m | rm | 0f 1a /r | mib
bndstx m,bnd | mr | 0f 1b /r | mib
bndldx bnd,m,r32 | rmn | 0f 1a /r | mib nolong
bndldx bnd,m,r64 | rmn | 0f 1a /r | mib long
bndstx m,bnd,r32 | mrn | 0f 1b /r | mib nolong
bndstx m,bnd,r64 | mrn | 0f 1b /r | mib long
bndstx m,r32,bnd | mnr | 0f 1b /r | mib nolong
bndstx m,r64,bnd | mnr | 0f 1b /r | mib long
# Descriptor-cache loads and Cyrix/AMD system-management instructions.
loadall | | 0f 07 | obsolete
loadall286 | | 0f 05 | obsolete
smint | | 0f 38
smintold | | 0f 7e | obsolete
rdshr rm32 | m | o32 0f 36 /0
wrshr rm32 | m | o32 0f 37 /0
rsdc sreg,m80 | rm | 0f 79 /r
svdc m80,sreg | mr | 0f 78 /r
rsldt m80 | m | 0f 7b /0
svldt m80 | m | 0f 7a /0
rsts m80 | m | 0f 7d /0
svts m80 | m | 0f 7c /0
rdm | | 0f 3a
ibts rm16,r16 | mr | o16 0f a7 /r | obsolete
ibts rm32,r32 | mr | o32 0f a7 /r | obsolete
xbts r16,rm16 | rm | o16 0f a6 /r
xbts r32,rm32 | rm | o32 0f a6 /r
cmpxchg486 rm8,r8 | mr | 0f a6 /r | obsolete
cmpxchg486 rm16,r16 | mr | o16 0f a7 /r | obsolete
cmpxchg486 rm32,r32 | mr | o32 0f a7 /r | obsolete
umov rm8,r8 | mr | 0f 10 /r
umov rm16,r16 | mr | o16 0f 11 /r
umov rm32,r32 | mr | o32 0f 11 /r
umov r8,rm8 | rm | 0f 12 /r
umov r16,rm16 | rm | o16 0f 13 /r
umov r32,rm32 | rm | o32 0f 13 /r
# Miscellaneous.
pop cs | - | 0f | obsolete
ud2a | | 0f 0b
ud2b | | 0f b9
ud2b rv,rmv | rm | ov 0f b9 /r
int01 | | f1
int03 | | cc
rdtscp | | 0f 01 f9
wbinvd | | 0f 09
# RAO-INT atomic read-modify-writes.
aadd m32,r32 | mr | 0f 38 fc /r
aadd m64,r64 | mr | o64 0f 38 fc /r
aand m32,r32 | mr | p66 0f 38 fc /r
aand m64,r64 | mr | p66 o64 0f 38 fc /r
axor m32,r32 | mr | pf3 0f 38 fc /r
axor m64,r64 | mr | pf3 o64 0f 38 fc /r
# MSR lists, SEV-SNP, prefetch hints.
wrmsrns | | 0f 01 c6 | long
rdmsrlist | | pf2 0f 01 c6 | long
wrmsrlist | | pf3 0f 01 c6 | long
pvalidate | | pf2 0f 01 ff
rmpadjust | | pf3 0f 01 fe
prefetchwt1 m8 | m | 0f 0d /2 | nosize
prefetchit0 m8 | m | 0f 18 /7 | nosize
prefetchit1 m8 | m | 0f 18 /6 | nosize
# Galois field (legacy encoding).
gf2p8mulb xmm,xm128 | rm | p66 0f 38 cf /r
gf2p8affineqb xmm,xm128,ib | rmi | p66 0f 3a ce /r ib
gf2p8affineinvqb xmm,xm128,ib | rmi | p66 0f 3a cf /r ib
# Hint NOPs 0f 18..0f 1f with every ModRM reg digit.
hint_nop0 rmv | m | ov 0f 18 /0
hint_nop1 rmv | m | ov 0f 18 /1
hint_nop2 rmv | m | ov 0f 18 /2
hint_nop3 rmv | m | ov 0f 18 /3
hint_nop4 rmv | m | ov 0f 18 /4
hint_nop5 rmv | m | ov 0f 18 /5
hint_nop6 rmv | m | ov 0f 18 /6
hint_nop7 rmv | m | ov 0f 18 /7
hint_nop8 rmv | m | ov 0f 19 /0
hint_nop9 rmv | m | ov 0f 19 /1
hint_nop10 rmv | m | ov 0f 19 /2
hint_nop11 rmv | m | ov 0f 19 /3
hint_nop12 rmv | m | ov 0f 19 /4
hint_nop13 rmv | m | ov 0f 19 /5
hint_nop14 rmv | m | ov 0f 19 /6
hint_nop15 rmv | m | ov 0f 19 /7
hint_nop16 rmv | m | ov 0f 1a /0
hint_nop17 rmv | m | ov 0f 1a /1
hint_nop18 rmv | m | ov 0f 1a /2
hint_nop19 rmv | m | ov 0f 1a /3
hint_nop20 rmv | m | ov 0f 1a /4
hint_nop21 rmv | m | ov 0f 1a /5
hint_nop22 rmv | m | ov 0f 1a /6
hint_nop23 rmv | m | ov 0f 1a /7
hint_nop24 rmv | m | ov 0f 1b /0
hint_nop25 rmv | m | ov 0f 1b /1
hint_nop26 rmv | m | ov 0f 1b /2
hint_nop27 rmv | m | ov 0f 1b /3
hint_nop28 rmv | m | ov 0f 1b /4
hint_nop29 rmv | m | ov 0f 1b /5
hint_nop30 rmv | m | ov 0f 1b /6
hint_nop31 rmv | m | ov 0f 1b /7
hint_nop32 rmv | m | ov 0f 1c /0
hint_nop33 rmv | m | ov 0f 1c /1
hint_nop34 rmv | m | ov 0f 1c /2
hint_nop35 rmv | m | ov 0f 1c /3
hint_nop36 rmv | m | ov 0f 1c /4
hint_nop37 rmv | m | ov 0f 1c /5
hint_nop38 rmv | m | ov 0f 1c /6
hint_nop39 rmv | m | ov 0f 1c /7
hint_nop40 rmv | m | ov 0f 1d /0
hint_nop41 rmv | m | ov 0f 1d /1
hint_nop42 rmv | m | ov 0f 1d /2
hint_nop43 rmv | m | ov 0f 1d /3
hint_nop44 rmv | m | ov 0f 1d /4
hint_nop45 rmv | m | ov 0f 1d /5
hint_nop46 rmv | m | ov 0f 1d /6
hint_nop47 rmv | m | ov 0f 1d /7
hint_nop48 rmv | m | ov 0f 1e /0
hint_nop49 rmv | m | ov 0f 1e /1
hint_nop50 rmv | m | ov 0f 1e /2
hint_nop51 rmv | m | ov 0f 1e /3
hint_nop52 rmv | m | ov 0f 1e /4
hint_nop53 rmv | m | ov 0f 1e /5
hint_nop54 rmv | m | ov 0f 1e /6
hint_nop55 rmv | m | ov 0f 1e /7
hint_nop56 rmv | m | ov 0f 1f /0
hint_nop57 rmv | m | ov 0f 1f /1
hint_nop58 rmv | m | ov 0f 1f /2
hint_nop59 rmv | m | ov 0f 1f /3
hint_nop60 rmv | m | ov 0f 1f /4
hint_nop61 rmv | m | ov 0f 1f /5
hint_nop62 rmv | m | ov 0f 1f /6
hint_nop63 rmv | m | ov 0f 1f /7
# Cyrix and IA-64 leftovers.
jmpe rm16 | m | o16 0f 00 /6
jmpe rm32 | m | o32 0f 00 /6
smi | | f1
dmint | | 0f 39
bb0_reset | | 0f 3a | obsolete
bb1_reset | | 0f 3b | obsolete
cpu_write | | 0f 3c
cpu_read | | 0f 3d
paddsiw mmx,mm64 | rm | 0f 51 /r
paveb mmx,mm64 | rm | 0f 50 /r
pdistib mmx,m | rm | 0f 54 /r
pmachriw mmx,m | rm | 0f 5e /r
pmagw mmx,mm64 | rm | 0f 52 /r
pmulhriw mmx,mm64 | rm | 0f 5d /r
pmulhrwc mmx,mm64 | rm | 0f 59 /r
pmvgezb mmx,m64 | rm | 0f 5c /r
pmvlzb mmx,m64 | rm | 0f 5b /r
pmvnzb mmx,m64 | rm | 0f 5a /r
pmvzb mmx,m64 | rm | 0f 58 /r
psubsiw mmx,mm64 | rm | 0f 55 /r
pfrcpv mmx,mm64 | rm | 0f 0f /r =86
pfrsqrtv mmx,mm64 | rm | 0f 0f /r =87
`;
