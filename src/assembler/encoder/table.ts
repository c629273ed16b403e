/**
 * The instruction set, as data: one line per instruction form, four fields separated by `|`,
 *
 *   mnemonic operands | roles | encoding | flags
 *
 * read once by `forms.ts`. `#` starts a comment line. Order matters: the first form that matches (and, for a
 * short branch, fits) wins, so shorter forms come first, as in NASM's own table.
 *
 * Mnemonic: one name; or a comma list (`add,or,adc,...`) whose position g feeds `/g`, `XX+g` and `XX+g8` (`-`
 *   skips a position); or jcc, setcc, cmovcc, expanded to every condition code (feeds `XX+cc`).
 * Operands (comma-separated patterns; a trailing `v` expands the line to 16-, 32- and 64-bit operand size, the
 *   64-bit copy being long-mode only):
 *   r8 r16 r32 r64      general register of that size     rm8..rm64       that register, or memory of that size
 *   m8..m256            memory of that size or unsized    m / ma          memory without size keyword / any size
 *   mfar16..mfar64      `far [mem]`                       far16 far32     `seg:offset` far pointer
 *   i8..i64             immediate for that operand size   sb16..sb64      immediate that fits a sign-extended byte
 *   imm / ib            immediate with no size keyword / a byte independent of the operand size (shift counts)
 *   mimm                an immediate read as an absolute address (`lea eax, 5`)
 *   u32 s32             `mov r64` immediates that fit a zero- / sign-extended dword
 *   one                 the constant 1 (shift by one)     rel8 rel        branch target (short / near)
 *   moffs8..moffs64     `[absolute]` of the a0-a3 `mov`s   sreg creg dreg treg  segment/control/debug/test reg
 *   xmm xm8..xm128 xmu  xmm register; xmm or memory (xmu: unsized memory); mmx mm32..mm128 mmu likewise for mm
 *   a register name     exactly that register (al, ax, eax, rax, cl, dx, es, ...)
 * Roles, one letter per operand: m ModRM.rm, r ModRM.reg, b both ModRM fields (`imul eax, 5`), i immediate,
 *   j relative branch, o register added to an opcode byte, f far pointer, x moffs, - implicit (not encoded),
 *   n the memory operand's index register written as its own operand (`bndstx [rax+3], bnd0, rbx`).
 * Encoding: o16 o32 o64 (operand size; o64 = REX.W), o64nw (64-bit in long mode without REX.W), wait (a 9b
 *   before all prefixes), a16 a32 a64 (address size the opcode implies), p66 pf2 pf3 (mandatory prefix), hex
 *   opcode bytes, XX+r, /r, /0../7, immediates ib ibs ibu iw id ids iq (`s`: the CPU sign-extends it; `u`:
 *   unsigned only), relative rb rv (rv: rel16 in 16-bit mode, rel32 otherwise), fp (far pointer).
 * Flags: long (64-bit mode only), nolong (not in 64-bit mode), nosize (unsized memory takes this form when its
 *   operand size is the mode's default), stk (an unsized immediate takes the mode's stack width), d64 (a dword
 *   keyword may size the 64-bit operation's immediate, as in `push dword 5`), dropsz (the operand size is
 *   encoded only at -O0/-O1: NASM's -Ox drops it from `mov ds, ax`), lock (`lock` fits when the first operand
 *   is memory; elsewhere NASM warns), obsolete (NASM warns that the form is obsolete), mib (MPX: the memory
 *   operand is never split), noop (NASM warns it was never implemented), rep (the f3 is a rep: `rep xsha1`),
 *   r8norex (spl..dil encode as ah..bh without REX, as NASM's pinsrb does), sized (memory needs a size
 *   keyword).
 * More patterns: fpu fputo (st0..st7, written with `to`), bnd bndm (bound register, or it or unsized memory);
 * `=XX` in the encoding: a constant byte after ModRM and displacement (`cmpeqps`' predicate).
 */
export const INSTRUCTION_TABLE = `
# Integer arithmetic and logic: add or adc sbb and sub xor (the group index picks opcode and /digit), cmp.
add,or,adc,sbb,and,sub,xor rm8,r8 | mr | 00+g8 /r | lock
cmp rm8,r8 | mr | 38 /r
add,or,adc,sbb,and,sub,xor rmv,rv | mr | ov 01+g8 /r | lock
cmp rmv,rv | mr | ov 39 /r
add,or,adc,sbb,and,sub,xor,cmp r8,rm8 | rm | 02+g8 /r
add,or,adc,sbb,and,sub,xor,cmp rv,rmv | rm | ov 03+g8 /r
add,or,adc,sbb,and,sub,xor rmv,sbv | mi | ov 83 /g ibs | lock
cmp rmv,sbv | mi | ov 83 /7 ibs
add,or,adc,sbb,and,sub,xor,cmp al,i8 | -i | 04+g8 ib
add,or,adc,sbb,and,sub,xor,cmp ax,i16 | -i | o16 05+g8 iw
add,or,adc,sbb,and,sub,xor,cmp eax,i32 | -i | o32 05+g8 id
add,or,adc,sbb,and,sub,xor,cmp rax,i64 | -i | o64 05+g8 ids
add,or,adc,sbb,and,sub,xor rm8,i8 | mi | 80 /g ib | lock
cmp rm8,i8 | mi | 80 /7 ib
add,or,adc,sbb,and,sub,xor rmv,iv | mi | ov 81 /g iv | lock
cmp rmv,iv | mi | ov 81 /7 iv
test rm8,r8 | mr | 84 /r
test rmv,rv | mr | ov 85 /r
test r8,rm8 | rm | 84 /r
test rv,rmv | rm | ov 85 /r
test al,i8 | -i | a8 ib
test ax,i16 | -i | o16 a9 iw
test eax,i32 | -i | o32 a9 id
test rax,i64 | -i | o64 a9 ids
test rm8,i8 | mi | f6 /0 ib
test rmv,iv | mi | ov f7 /0 iv
-,-,not,neg rm8 | m | f6 /g | lock
-,-,-,-,mul,imul,div,idiv rm8 | m | f6 /g
-,-,not,neg rmv | m | ov f7 /g | lock
-,-,-,-,mul,imul,div,idiv rmv | m | ov f7 /g
inc r16 | o | o16 40+r | nolong
inc r32 | o | o32 40+r | nolong
dec r16 | o | o16 48+r | nolong
dec r32 | o | o32 48+r | nolong
inc,dec rm8 | m | fe /g | lock
inc,dec rmv | m | ov ff /g | lock
imul rv,rmv | rm | ov 0f af /r
imul rv,rmv,sbv | rmi | ov 6b /r ibs
imul rv,rmv,iv | rmi | ov 69 /r iv | d64
imul rv,sbv | bi | ov 6b /r ibs
imul rv,iv | bi | ov 69 /r iv | d64
rol,ror,rcl,rcr,shl,shr,-,sar rm8,one | m- | d0 /g
sal rm8,one | m- | d0 /4
rol,ror,rcl,rcr,shl,shr,-,sar rmv,one | m- | ov d1 /g
sal rmv,one | m- | ov d1 /4
rol,ror,rcl,rcr,shl,shr,-,sar rm8,cl | m- | d2 /g
sal rm8,cl | m- | d2 /4
rol,ror,rcl,rcr,shl,shr,-,sar rmv,cl | m- | ov d3 /g
sal rmv,cl | m- | ov d3 /4
rol,ror,rcl,rcr,shl,shr,-,sar rm8,ib | mi | c0 /g ib
sal rm8,ib | mi | c0 /4 ib
rol,ror,rcl,rcr,shl,shr,-,sar rmv,ib | mi | ov c1 /g ib
sal rmv,ib | mi | ov c1 /4 ib
shld rmv,rv,imm | mri | ov 0f a4 /r ib
shld rmv,rv,cl | mr- | ov 0f a5 /r
shrd rmv,rv,imm | mri | ov 0f ac /r ib
shrd rmv,rv,cl | mr- | ov 0f ad /r
# Data movement.
mov al,moffs8 | -x | a0
mov ax,moffs16 | -x | o16 a1
mov eax,moffs32 | -x | o32 a1
mov rax,moffs64 | -x | o64 a1
mov moffs8,al | x- | a2
mov moffs16,ax | x- | o16 a3
mov moffs32,eax | x- | o32 a3
mov moffs64,rax | x- | o64 a3
mov rm8,r8 | mr | 88 /r
mov rmv,rv | mr | ov 89 /r
mov r8,rm8 | rm | 8a /r
mov rv,rmv | rm | ov 8b /r
mov r8,i8 | oi | b0+r ib
mov r16,i16 | oi | o16 b8+r iw
mov r32,i32 | oi | o32 b8+r id
mov r64,u32 | oi | o32 b8+r id | long
mov r64,s32 | mi | o64 c7 /0 ids
mov r64,i64 | oi | o64 b8+r iq
mov rm8,i8 | mi | c6 /0 ib
mov rmv,iv | mi | ov c7 /0 iv | d64
mov r16,sreg | mr | o16 8c /r
mov r32,sreg | mr | o32 8c /r
mov r64,sreg | mr | o64 8c /r | dropsz
mov m16,sreg | mr | 8c /r | nosize
mov m64,sreg | mr | o64 8c /r
mov sreg,r16 | rm | o16 8e /r | dropsz
mov sreg,r32 | rm | o32 8e /r | dropsz
mov sreg,r64 | rm | o64 8e /r | dropsz
mov sreg,m16 | rm | 8e /r | nosize
mov sreg,m64 | rm | o64 8e /r
mov r32,creg | mr | 0f 20 /r | nolong
mov r64,creg | mr | 0f 20 /r | long
mov creg,r32 | rm | 0f 22 /r | nolong
mov creg,r64 | rm | 0f 22 /r | long
mov r32,dreg | mr | 0f 21 /r | nolong
mov r64,dreg | mr | 0f 21 /r | long
mov dreg,r32 | rm | 0f 23 /r | nolong
mov dreg,r64 | rm | 0f 23 /r | long
mov r32,treg | mr | 0f 24 /r | nolong
mov treg,r32 | rm | 0f 26 /r | nolong
movzx rv,rm8 | rm | ov 0f b6 /r
movzx r32,rm16 | rm | o32 0f b7 /r
movzx r64,rm16 | rm | o64 0f b7 /r
movsx rv,rm8 | rm | ov 0f be /r
movsx r32,rm16 | rm | o32 0f bf /r
movsx r64,rm16 | rm | o64 0f bf /r
movsxd r64,rm32 | rm | o64 63 /r
movsx r64,rm32 | rm | o64 63 /r
lea rv,ma | rm | ov 8d /r
# NASM reads "lea eax, 5" as "lea eax, [5]".
lea rv,mimm | rm | ov 8d /r
xchg eax,eax | -- | o32 87 c0 | long
xchg ax,r16 | -o | o16 90+r
xchg r16,ax | o- | o16 90+r
xchg eax,r32 | -o | o32 90+r
xchg r32,eax | o- | o32 90+r
xchg rax,r64 | -o | o64 90+r
xchg r64,rax | o- | o64 90+r
xchg r8,rm8 | rm | 86 /r | lock
xchg rv,rmv | rm | ov 87 /r | lock
xchg rm8,r8 | mr | 86 /r | lock
xchg rmv,rv | mr | ov 87 /r | lock
xadd rm8,r8 | mr | 0f c0 /r | lock
xadd rmv,rv | mr | ov 0f c1 /r | lock
cmpxchg rm8,r8 | mr | 0f b0 /r | lock
cmpxchg rmv,rv | mr | ov 0f b1 /r | lock
cmpxchg8b m64 | m | 0f c7 /1 | lock
cmpxchg16b m128 | m | o64 0f c7 /1 | lock
bswap r32 | o | o32 0f c8+r
bswap r64 | o | o64 0f c8+r
movbe rv,mv | rm | ov 0f 38 f0 /r
movbe mv,rv | mr | ov 0f 38 f1 /r
cbw | | o16 98
cwde | | o32 98
cdqe | | o64 98
cwd | | o16 99
cdq | | o32 99
cqo | | o64 99
lahf | | 9f
sahf | | 9e
xlatb | | d7
xlat | | d7
# Bit operations.
bt rmv,rv | mr | ov 0f a3 /r
-,bts,btr,btc rmv,rv | mr | ov 0f a3+g8 /r | lock
-,-,-,-,bt rmv,ib | mi | ov 0f ba /g ib
-,-,-,-,-,bts,btr,btc rmv,ib | mi | ov 0f ba /g ib | lock
# NASM gives adcx, adox and crc32 r32,rm8 no operand-size prefix, even in 16-bit code.
adcx r32,rm32 | rm | p66 0f 38 f6 /r
adcx r64,rm64 | rm | p66 o64 0f 38 f6 /r
adox r32,rm32 | rm | pf3 0f 38 f6 /r
adox r64,rm64 | rm | pf3 o64 0f 38 f6 /r
crc32 r32,rm8 | rm | pf2 0f 38 f0 /r
crc32 r64,rm8 | rm | pf2 o64 0f 38 f0 /r
crc32 r32,rm16 | rm | pf2 o16 0f 38 f1 /r
crc32 r32,rm32 | rm | pf2 o32 0f 38 f1 /r
crc32 r64,rm64 | rm | pf2 o64 0f 38 f1 /r
bsf rv,rmv | rm | ov 0f bc /r
bsr rv,rmv | rm | ov 0f bd /r
popcnt rv,rmv | rm | pf3 ov 0f b8 /r
lzcnt rv,rmv | rm | pf3 ov 0f bd /r
tzcnt rv,rmv | rm | pf3 ov 0f bc /r
# Conditional moves and sets.
cmovcc rv,rmv | rm | ov 0f 40+cc /r
setcc rm8 | m | 0f 90+cc /0
# Stack.
push r16 | o | o16 50+r
push r32 | o | o32 50+r | nolong
push r64 | o | o64nw 50+r
pop r16 | o | o16 58+r
pop r32 | o | o32 58+r | nolong
pop r64 | o | o64nw 58+r
push rm16 | m | o16 ff /6
push rm32 | m | o32 ff /6 | nolong
push rm64 | m | o64nw ff /6
pop rm16 | m | o16 8f /0
pop rm32 | m | o32 8f /0 | nolong
pop rm64 | m | o64nw 8f /0
push sb16 | i | o16 6a ibs | stk
push sb32 | i | o32 6a ibs | stk nolong
push sb64 | i | o64nw 6a ibs | stk d64
push i16 | i | o16 68 iw | stk
push i32 | i | o32 68 ids | stk nolong
push i64 | i | o64nw 68 ids | stk d64
push es | - | 06 | nolong
push cs | - | 0e | nolong
push ss | - | 16 | nolong
push ds | - | 1e | nolong
push fs | - | 0f a0
push gs | - | 0f a8
pop es | - | 07 | nolong
pop ss | - | 17 | nolong
pop ds | - | 1f | nolong
pop fs | - | 0f a1
pop gs | - | 0f a9
pusha | | 60 | nolong
pushaw | | o16 60 | nolong
pushad | | o32 60 | nolong
popa | | 61 | nolong
popaw | | o16 61 | nolong
popad | | o32 61 | nolong
pushf | | 9c
pushfw | | o16 9c
pushfd | | o32 9c | nolong
pushfq | | 9c | long
popf | | 9d
popfw | | o16 9d
popfd | | o32 9d | nolong
popfq | | 9d | long
enter imm,imm | ii | c8 iw ib
leave | | c9
# Control transfer.
jmp rel8 | j | eb rb
jmp rel | j | e9 rv
jmp far16 | f | o16 ea fp | nolong
jmp far32 | f | o32 ea fp | nolong
jmp rm16 | m | o16 ff /4 | nosize nolong
jmp rm32 | m | o32 ff /4 | nosize nolong
jmp rm64 | m | o64nw ff /4 | nosize
jmp mfar16 | m | o16 ff /5 | nosize
jmp mfar32 | m | o32 ff /5 | nosize
jmp mfar64 | m | o64 ff /5 | nosize
call rel | j | e8 rv
call far16 | f | o16 9a fp | nolong
call far32 | f | o32 9a fp | nolong
call rm16 | m | o16 ff /2 | nosize nolong
call rm32 | m | o32 ff /2 | nosize nolong
call rm64 | m | o64nw ff /2 | nosize
call mfar16 | m | o16 ff /3 | nosize
call mfar32 | m | o32 ff /3 | nosize
call mfar64 | m | o64 ff /3 | nosize
jcc rel8 | j | 70+cc rb
jcc rel | j | 0f 80+cc rv
loopne,loope,loop rel8 | j | e0+g rb
loopnz,loopz rel8 | j | e0+g rb
loopne,loope,loop rel8,cx | j- | a16 e0+g rb | nolong
loopnz,loopz rel8,cx | j- | a16 e0+g rb | nolong
loopne,loope,loop rel8,ecx | j- | a32 e0+g rb
loopnz,loopz rel8,ecx | j- | a32 e0+g rb
loopne,loope,loop rel8,rcx | j- | a64 e0+g rb | long
loopnz,loopz rel8,rcx | j- | a64 e0+g rb | long
jcxz rel8 | j | a16 e3 rb | nolong
jecxz rel8 | j | a32 e3 rb
jrcxz rel8 | j | a64 e3 rb | long
ret,retn | | c3
ret,retn i16 | i | c2 iw
retw,retnw | | o16 c3
# NASM drops the operand-size prefix of retw with an immediate.
retw i16 | i | c2 iw
retnw i16 | i | o16 c2 iw
retd,retnd | | o32 c3 | nolong
retd,retnd i16 | i | o32 c2 iw | nolong
retq,retnq | | c3 | long
retq,retnq i16 | i | c2 iw | long
retf | | cb
retf i16 | i | ca iw
retfw | | o16 cb
retfw i16 | i | o16 ca iw
retfd | | o32 cb
retfd i16 | i | o32 ca iw
retfq | | o64 cb
retfq i16 | i | o64 ca iw
int i8 | i | cd ibu
int3 | | cc
int1 | | f1
icebp | | f1
into | | ce | nolong
iret | | cf
iretw | | o16 cf
iretd | | o32 cf
iretq | | o64 cf
syscall | | 0f 05
sysret | | 0f 07
sysenter | | 0f 34
sysexit | | 0f 35
# String instructions.
movsb | | a4
movsw | | o16 a5
movsd | | o32 a5
movsq | | o64 a5
cmpsb | | a6
cmpsw | | o16 a7
cmpsd | | o32 a7
cmpsq | | o64 a7
stosb | | aa
stosw | | o16 ab
stosd | | o32 ab
stosq | | o64 ab
lodsb | | ac
lodsw | | o16 ad
lodsd | | o32 ad
lodsq | | o64 ad
scasb | | ae
scasw | | o16 af
scasd | | o32 af
scasq | | o64 af
insb | | 6c
insw | | o16 6d
insd | | o32 6d
outsb | | 6e
outsw | | o16 6f
outsd | | o32 6f
# Port I/O.
in al,i8 | -i | e4 ibu
in ax,i8 | -i | o16 e5 ibu
in eax,i8 | -i | o32 e5 ibu
in al,dx | -- | ec
in ax,dx | -- | o16 ed
in eax,dx | -- | o32 ed
out i8,al | i- | e6 ibu
out i8,ax | i- | o16 e7 ibu
out i8,eax | i- | o32 e7 ibu
out dx,al | -- | ee
out dx,ax | -- | o16 ef
out dx,eax | -- | o32 ef
# Flags and processor control.
clc | | f8
stc | | f9
cli | | fa
sti | | fb
cld | | fc
std | | fd
cmc | | f5
hlt | | f4
nop | | 90
nop rmv | m | ov 0f 1f /0
pause | | pf3 90
wait | | 9b
fwait | | 9b
ud2 | | 0f 0b
ud0 | | 0f ff | obsolete
ud1 | | 0f b9
ud0 rv,rmv | rm | ov 0f ff /r
ud1 rv,rmv | rm | ov 0f b9 /r
cpuid | | 0f a2
rdtsc | | 0f 31
rdtscp | | 0f 01 f9
rdmsr | | 0f 32
wrmsr | | 0f 30
rdpmc | | 0f 33
rdpid r32 | m | pf3 0f c7 /7
rdpid r64 | m | pf3 0f c7 /7 | long
xgetbv | | 0f 01 d0
xsetbv | | 0f 01 d1
rdrand rv | m | ov 0f c7 /6
rdseed rv | m | ov 0f c7 /7
rdfsbase r32 | m | pf3 o32 0f ae /0 | long
rdfsbase r64 | m | pf3 o64 0f ae /0
rdgsbase r32 | m | pf3 o32 0f ae /1 | long
rdgsbase r64 | m | pf3 o64 0f ae /1
wrfsbase r32 | m | pf3 o32 0f ae /2 | long
wrfsbase r64 | m | pf3 o64 0f ae /2
wrgsbase r32 | m | pf3 o32 0f ae /3 | long
wrgsbase r64 | m | pf3 o64 0f ae /3
swapgs | | 0f 01 f8 | long
monitor | | 0f 01 c8
monitor eax,ecx,edx | --- | 0f 01 c8 | nolong
monitor rax,ecx,edx | --- | 0f 01 c8 | long
mwait | | 0f 01 c9
mwait eax,ecx | -- | 0f 01 c9
clac | | 0f 01 ca
stac | | 0f 01 cb
clts | | 0f 06
rsm | | 0f aa
serialize | | 0f 01 e8
wbnoinvd | | pf3 0f 09
invd | | 0f 08
wbinvd | | 0f 09
lfence | | 0f ae e8
mfence | | 0f ae f0
sfence | | 0f ae f8
# Descriptor tables and system registers.
sgdt m | m | 0f 01 /0
sidt m | m | 0f 01 /1
lgdt m | m | 0f 01 /2
lidt m | m | 0f 01 /3
smsw r16 | m | o16 0f 01 /4
smsw r32 | m | o32 0f 01 /4
smsw r64 | m | o64 0f 01 /4
smsw m16 | m | 0f 01 /4 | nosize
lmsw rm16 | m | 0f 01 /6 | nosize
invlpg m | m | 0f 01 /7
sldt r16 | m | o16 0f 00 /0
sldt r32 | m | o32 0f 00 /0
sldt r64 | m | 0f 00 /0 | long
sldt m16 | m | 0f 00 /0 | nosize
str r16 | m | o16 0f 00 /1
str r32 | m | o32 0f 00 /1
str r64 | m | o64 0f 00 /1
str m16 | m | 0f 00 /1 | nosize
lldt rm16 | m | 0f 00 /2 | nosize
ltr rm16 | m | 0f 00 /3 | nosize
verr rm16 | m | 0f 00 /4 | nosize
verw rm16 | m | 0f 00 /5 | nosize
lar rv,rm16 | rm | ov 0f 02 /r
lar rv,r32 | rm | ov 0f 02 /r
lar rv,r64 | rm | ov 0f 02 /r | long
lsl rv,rm16 | rm | ov 0f 03 /r
lsl rv,r32 | rm | ov 0f 03 /r
lsl rv,r64 | rm | ov 0f 03 /r | long
invpcid r32,m128 | rm | p66 0f 38 82 /r | nolong
invpcid r64,m128 | rm | p66 o64 0f 38 82 /r
clflush m | m | 0f ae /7
clflushopt m | m | p66 0f ae /7
clwb m | m | p66 0f ae /6
prefetchnta,prefetcht0,prefetcht1,prefetcht2 m8 | m | 0f 18 /g | nosize
prefetchw m64 | m | 0f 0d /1 | nosize
fxsave m | m | 0f ae /0
fxrstor m | m | 0f ae /1
fxsave64 m | m | o64 0f ae /0
fxrstor64 m | m | o64 0f ae /1
ldmxcsr m32 | m | 0f ae /2
stmxcsr m32 | m | 0f ae /3
xsave m | m | 0f ae /4
xrstor m | m | 0f ae /5
xsaveopt m | m | 0f ae /6
xsave64 m | m | o64 0f ae /4
xrstor64 m | m | o64 0f ae /5
xsaveopt64 m | m | o64 0f ae /6
xsavec m | m | 0f c7 /4
xsaves m | m | 0f c7 /5
xrstors m | m | 0f c7 /3
xsavec64 m | m | o64 0f c7 /4
xsaves64 m | m | o64 0f c7 /5
xrstors64 m | m | o64 0f c7 /3
# Legacy BCD and segment instructions (not in 64-bit mode).
aaa | | 37 | nolong
aas | | 3f | nolong
daa | | 27 | nolong
das | | 2f | nolong
aam | | d4 0a | nolong
aad | | d5 0a | nolong
aam i8 | i | d4 ibu | nolong
aad i8 | i | d5 ibu | nolong
salc | | d6
arpl rm16,r16 | mr | 63 /r | nolong
bound r16,m | rm | o16 62 /r | nolong
bound r32,m | rm | o32 62 /r | nolong
les,lds r16,m | rm | o16 c4+g /r | nolong
les,lds r32,m | rm | o32 c4+g /r | nolong
lss r16,m | rm | o16 0f b2 /r
lss r32,m | rm | o32 0f b2 /r
lss r64,m | rm | o64 0f b2 /r
lfs r16,m | rm | o16 0f b4 /r
lfs r32,m | rm | o32 0f b4 /r
lfs r64,m | rm | o64 0f b4 /r
lgs r16,m | rm | o16 0f b5 /r
lgs r32,m | rm | o32 0f b5 /r
lgs r64,m | rm | o64 0f b5 /r
# x87 control a kernel needs to initialise the FPU (f* waits first, fn* does not).
fninit | | db e3
finit | | wait db e3
fnclex | | db e2
fclex | | wait db e2
fldcw m16 | m | d9 /5 | nosize
fnstcw m16 | m | d9 /7 | nosize
fstcw m16 | m | wait d9 /7 | nosize
fnstsw ax | - | df e0
fstsw ax | - | wait df e0
fnstsw m16 | m | dd /7 | nosize
fstsw m16 | m | wait dd /7 | nosize
# SSE/SSE2 data movement and integer/logic operations.
movd xmm,rm32 | rm | p66 0f 6e /r
movd rm32,xmm | mr | p66 0f 7e /r
movd mmx,rm32 | rm | 0f 6e /r | nosize
movd rm32,mmx | mr | 0f 7e /r | nosize
movd mmx,rm64 | rm | o64 0f 6e /r
movd rm64,mmx | mr | o64 0f 7e /r
movq xmm,xm64 | rm | pf3 0f 7e /r
movq xm64,xmm | mr | p66 0f d6 /r
movq xmm,rm64 | rm | p66 o64 0f 6e /r
movq rm64,xmm | mr | p66 o64 0f 7e /r
movq mmx,mm64 | rm | 0f 6f /r
movq mm64,mmx | mr | 0f 7f /r
movq mmx,rm64 | rm | o64 0f 6e /r
movq rm64,mmx | mr | o64 0f 7e /r
movdqa xmm,xm128 | rm | p66 0f 6f /r
movdqa xm128,xmm | mr | p66 0f 7f /r
movdqu xmm,xm128 | rm | pf3 0f 6f /r
movdqu xm128,xmm | mr | pf3 0f 7f /r
movaps xmm,xm128 | rm | 0f 28 /r
movaps xm128,xmm | mr | 0f 29 /r
movups xmm,xm128 | rm | 0f 10 /r
movups xm128,xmm | mr | 0f 11 /r
movapd xmm,xm128 | rm | p66 0f 28 /r
movapd xm128,xmm | mr | p66 0f 29 /r
movupd xmm,xm128 | rm | p66 0f 10 /r
movupd xm128,xmm | mr | p66 0f 11 /r
movss xmm,xm32 | rm | pf3 0f 10 /r
movss m32,xmm | mr | pf3 0f 11 /r
movsd xmm,xm64 | rm | pf2 0f 10 /r
movsd m64,xmm | mr | pf2 0f 11 /r
movntdq m128,xmm | mr | p66 0f e7 /r
movntps m128,xmm | mr | 0f 2b /r
movntpd m128,xmm | mr | p66 0f 2b /r
ptest xmm,xm128 | rm | p66 0f 38 17 /r
palignr xmm,xmu,imm | rmi | p66 0f 3a 0f /r ib
movntdqa xmm,m128 | rm | p66 0f 38 2a /r
movnti m32,r32 | mr | 0f c3 /r
movnti m64,r64 | mr | o64 0f c3 /r
pmovmskb r32,xmm | rm | p66 0f d7 /r
pmovmskb r32,mmx | rm | 0f d7 /r
pxor xmm,xm128 | rm | p66 0f ef /r
pxor mmx,mm64 | rm | 0f ef /r
por xmm,xm128 | rm | p66 0f eb /r
por mmx,mm64 | rm | 0f eb /r
pand xmm,xm128 | rm | p66 0f db /r
pand mmx,mm64 | rm | 0f db /r
pandn xmm,xm128 | rm | p66 0f df /r
pandn mmx,mm64 | rm | 0f df /r
paddb xmm,xm128 | rm | p66 0f fc /r
paddb mmx,mm64 | rm | 0f fc /r
paddw xmm,xm128 | rm | p66 0f fd /r
paddw mmx,mm64 | rm | 0f fd /r
paddd xmm,xm128 | rm | p66 0f fe /r
paddd mmx,mm64 | rm | 0f fe /r
paddq xmm,xm128 | rm | p66 0f d4 /r
paddq mmx,mm64 | rm | 0f d4 /r
psubb xmm,xm128 | rm | p66 0f f8 /r
psubb mmx,mm64 | rm | 0f f8 /r
psubw xmm,xm128 | rm | p66 0f f9 /r
psubw mmx,mm64 | rm | 0f f9 /r
psubd xmm,xm128 | rm | p66 0f fa /r
psubd mmx,mm64 | rm | 0f fa /r
psubq xmm,xm128 | rm | p66 0f fb /r
# NASM sizes this MMX memory operand as an oword.
psubq mmx,mm128 | rm | 0f fb /r
pcmpeqb xmm,xm128 | rm | p66 0f 74 /r
pcmpeqb mmx,mm64 | rm | 0f 74 /r
pcmpeqw xmm,xm128 | rm | p66 0f 75 /r
pcmpeqw mmx,mm64 | rm | 0f 75 /r
pcmpeqd xmm,xm128 | rm | p66 0f 76 /r
pcmpeqd mmx,mm64 | rm | 0f 76 /r
pcmpgtb xmm,xm128 | rm | p66 0f 64 /r
pcmpgtb mmx,mm64 | rm | 0f 64 /r
pcmpgtw xmm,xm128 | rm | p66 0f 65 /r
pcmpgtw mmx,mm64 | rm | 0f 65 /r
pcmpgtd xmm,xm128 | rm | p66 0f 66 /r
pcmpgtd mmx,mm64 | rm | 0f 66 /r
punpcklbw xmm,xm128 | rm | p66 0f 60 /r
punpcklbw mmx,mm64 | rm | 0f 60 /r
punpcklwd xmm,xm128 | rm | p66 0f 61 /r
punpcklwd mmx,mm64 | rm | 0f 61 /r
punpckldq xmm,xm128 | rm | p66 0f 62 /r
punpckldq mmx,mm64 | rm | 0f 62 /r
punpckhbw xmm,xm128 | rm | p66 0f 68 /r
punpckhbw mmx,mm64 | rm | 0f 68 /r
punpckhwd xmm,xm128 | rm | p66 0f 69 /r
punpckhwd mmx,mm64 | rm | 0f 69 /r
punpckhdq xmm,xm128 | rm | p66 0f 6a /r
punpckhdq mmx,mm64 | rm | 0f 6a /r
pmullw xmm,xm128 | rm | p66 0f d5 /r
pmullw mmx,mm64 | rm | 0f d5 /r
pminub xmm,xm128 | rm | p66 0f da /r
pminub mmx,mm64 | rm | 0f da /r
pmaxub xmm,xm128 | rm | p66 0f de /r
pmaxub mmx,mm64 | rm | 0f de /r
pavgb xmm,xm128 | rm | p66 0f e0 /r
pavgb mmx,mm64 | rm | 0f e0 /r
psadbw xmm,xm128 | rm | p66 0f f6 /r
psadbw mmx,mm64 | rm | 0f f6 /r
psllw xmm,xm128 | rm | p66 0f f1 /r
psllw mmx,mm64 | rm | 0f f1 /r
pslld xmm,xm128 | rm | p66 0f f2 /r
pslld mmx,mm64 | rm | 0f f2 /r
psllq xmm,xm128 | rm | p66 0f f3 /r
psllq mmx,mm64 | rm | 0f f3 /r
psrlw xmm,xm128 | rm | p66 0f d1 /r
psrlw mmx,mm64 | rm | 0f d1 /r
psrld xmm,xm128 | rm | p66 0f d2 /r
psrld mmx,mm64 | rm | 0f d2 /r
psrlq xmm,xm128 | rm | p66 0f d3 /r
psrlq mmx,mm64 | rm | 0f d3 /r
psraw xmm,xm128 | rm | p66 0f e1 /r
psraw mmx,mm64 | rm | 0f e1 /r
psrad xmm,xm128 | rm | p66 0f e2 /r
psrad mmx,mm64 | rm | 0f e2 /r
punpcklqdq xmm,xm128 | rm | p66 0f 6c /r
punpckhqdq xmm,xm128 | rm | p66 0f 6d /r
pshufb xmm,xm128 | rm | p66 0f 38 00 /r
pshufb mmx,mm64 | rm | 0f 38 00 /r
xorps xmm,xm128 | rm | 0f 57 /r
xorpd xmm,xm128 | rm | p66 0f 57 /r
andps xmm,xm128 | rm | 0f 54 /r
andpd xmm,xm128 | rm | p66 0f 54 /r
andnps xmm,xm128 | rm | 0f 55 /r
andnpd xmm,xm128 | rm | p66 0f 55 /r
orps xmm,xm128 | rm | 0f 56 /r
orpd xmm,xm128 | rm | p66 0f 56 /r
psllw xmm,ib | mi | p66 0f 71 /6 ib
psllw mmx,imm | mi | 0f 71 /6 ib
psraw xmm,ib | mi | p66 0f 71 /4 ib
psraw mmx,imm | mi | 0f 71 /4 ib
psrlw xmm,ib | mi | p66 0f 71 /2 ib
psrlw mmx,imm | mi | 0f 71 /2 ib
pslld xmm,ib | mi | p66 0f 72 /6 ib
pslld mmx,imm | mi | 0f 72 /6 ib
psrad xmm,ib | mi | p66 0f 72 /4 ib
psrad mmx,imm | mi | 0f 72 /4 ib
psrld xmm,ib | mi | p66 0f 72 /2 ib
psrld mmx,imm | mi | 0f 72 /2 ib
psllq xmm,ib | mi | p66 0f 73 /6 ib
psllq mmx,imm | mi | 0f 73 /6 ib
psrlq xmm,ib | mi | p66 0f 73 /2 ib
psrlq mmx,imm | mi | 0f 73 /2 ib
pslldq xmm,ib | mi | p66 0f 73 /7 ib
psrldq xmm,ib | mi | p66 0f 73 /3 ib
pshufd xmm,xmu,imm | rmi | p66 0f 70 /r ib
pshuflw xmm,xmu,imm | rmi | pf2 0f 70 /r ib
pshufhw xmm,xmu,imm | rmi | pf3 0f 70 /r ib
pinsrw xmm,r32,imm | rmi | p66 0f c4 /r ib
pinsrw xmm,m16,imm | rmi | p66 0f c4 /r ib
pextrw r32,xmm,imm | rmi | p66 0f c5 /r ibu
pextrw r32,xmm,i8 | mri | p66 0f 3a 15 /r ibu
pextrw r64,xmm,imm | rmi | p66 o64 0f c5 /r ibu
pextrw r64,xmm,i8 | mri | p66 o64 0f 3a 15 /r ibu
pextrw r32,mmx,imm | rmi | 0f c5 /r ibu
movmskps r32,xmm | rm | 0f 50 /r
movmskps r64,xmm | rm | o64 0f 50 /r
movmskpd r32,xmm | rm | p66 0f 50 /r
movmskpd r64,xmm | rm | p66 o64 0f 50 /r
emms | | 0f 77
`;
