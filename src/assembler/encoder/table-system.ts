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
ptwrite rm32 | m | 0f ae /4 | nosize
ptwrite rm64 | m | o64 0f ae /4
# Cache, memory ordering and waiting.
cldemote m | m | 0f 1c /0
movdir64b r16,m512 | rm | p66 a16 0f 38 f8 /r | nolong
movdir64b r32,m512 | rm | p66 a32 0f 38 f8 /r
movdir64b r64,m512 | rm | p66 a64 0f 38 f8 /r | long
enqcmd r16,m512 | rm | pf2 a16 0f 38 f8 /r | nolong
enqcmd r32,m512 | rm | pf2 a32 0f 38 f8 /r
enqcmd r64,m512 | rm | pf2 a64 o64 0f 38 f8 /r
enqcmds r16,m512 | rm | pf3 a16 0f 38 f8 /r | nolong
enqcmds r32,m512 | rm | pf3 a32 0f 38 f8 /r
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
pop cs | - | 0f | nolong obsolete
ud2a | | 0f 0b
ud2b | | 0f b9
ud2b rv,rmv | rm | ov 0f b9 /r
int01 | | f1
int03 | | cc
rdtscp | | 0f 01 f9
wbinvd | | 0f 09
`;
