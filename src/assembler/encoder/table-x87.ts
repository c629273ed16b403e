/**
 * The x87 instructions, in the DSL of `table.ts` (read after it, so `fninit`, `fldcw`, `fstsw` and the other
 * FPU control forms there come first). `fpu` is an st0..st7 register, `fputo` one written with NASM's `to`
 * keyword (`fadd to st1` is `dc c1`). Unsized memory takes the m32 form, as NASM's does.
 */
export const X87_TABLE = `
# Arithmetic and compares: m32 (d8), m64 (dc), st0 with st(i) (d8), st(i) with st0 (dc, also with to).
fadd,fmul,fcom,fcomp,fsub,fsubr,fdiv,fdivr m32 | m | d8 /g
fadd,fmul,fcom,fcomp,fsub,fsubr,fdiv,fdivr m64 | m | dc /g
fadd fputo | o | dc c0+r
fadd fpu | o | d8 c0+r
fadd fpu,st0 | o- | dc c0+r
fadd st0,fpu | -o | d8 c0+r
fmul fputo | o | dc c8+r
fmul fpu | o | d8 c8+r
fmul fpu,st0 | o- | dc c8+r
fmul st0,fpu | -o | d8 c8+r
fcom fpu | o | d8 d0+r
fcom st0,fpu | -o | d8 d0+r
fcomp fpu | o | d8 d8+r
fcomp st0,fpu | -o | d8 d8+r
fsub fputo | o | dc e8+r
fsub fpu | o | d8 e0+r
fsub fpu,st0 | o- | dc e8+r
fsub st0,fpu | -o | d8 e0+r
fsubr fputo | o | dc e0+r
fsubr fpu | o | d8 e8+r
fsubr fpu,st0 | o- | dc e0+r
fsubr st0,fpu | -o | d8 e8+r
fdiv fputo | o | dc f8+r
fdiv fpu | o | d8 f0+r
fdiv fpu,st0 | o- | dc f8+r
fdiv st0,fpu | -o | d8 f0+r
fdivr fputo | o | dc f0+r
fdivr fpu | o | d8 f8+r
fdivr fpu,st0 | o- | dc f0+r
fdivr st0,fpu | -o | d8 f8+r
fadd | | de c1
fmul | | de c9
fsub | | de e9
fsubr | | de e1
fdiv | | de f9
fdivr | | de f1
fcom | | d8 d1
fcomp | | d8 d9
fcompp | | de d9
# Popping arithmetic: st(i) <- st(i) op st0.
faddp | | de c1
faddp fpu | o | de c0+r
faddp fpu,st0 | o- | de c0+r
fmulp | | de c9
fmulp fpu | o | de c8+r
fmulp fpu,st0 | o- | de c8+r
fsubp | | de e9
fsubp fpu | o | de e8+r
fsubp fpu,st0 | o- | de e8+r
fsubrp | | de e1
fsubrp fpu | o | de e0+r
fsubrp fpu,st0 | o- | de e0+r
fdivp | | de f9
fdivp fpu | o | de f8+r
fdivp fpu,st0 | o- | de f8+r
fdivrp | | de f1
fdivrp fpu | o | de f0+r
fdivrp fpu,st0 | o- | de f0+r
# Integer memory operands: m32 (da/db), m16 (de/df).
fiadd,fimul,ficom,ficomp,fisub,fisubr,fidiv,fidivr m32 | m | da /g
fiadd,fimul,ficom,ficomp,fisub,fisubr,fidiv,fidivr m16 | m | de /g
# Loads and stores.
fld m32 | m | d9 /0
fld m64 | m | dd /0
fld m80 | m | db /5
fld fpu | o | d9 c0+r
fst m32 | m | d9 /2
fst m64 | m | dd /2
fst fpu | o | dd d0+r
fstp m32 | m | d9 /3
fstp m64 | m | dd /3
fstp m80 | m | db /7
fstp fpu | o | dd d8+r
fild m32 | m | db /0
fild m16 | m | df /0
fild m64 | m | df /5
fist m32 | m | db /2
fist m16 | m | df /2
fistp m32 | m | db /3
fistp m16 | m | df /3
fistp m64 | m | df /7
fisttp m32 | m | db /1
fisttp m16 | m | df /1
fisttp m64 | m | dd /1
fbld m80 | m | df /4
fbstp m80 | m | df /6
fxch | | d9 c9
fxch fpu | o | d9 c8+r
fxch fpu,st0 | o- | d9 c8+r
fxch st0,fpu | -o | d9 c8+r
# Compares that set EFLAGS, unordered compares, conditional moves.
fcomi fpu | o | db f0+r
fcomi st0,fpu | -o | db f0+r
fcomip fpu | o | df f0+r
fcomip st0,fpu | -o | df f0+r
fucomi fpu | o | db e8+r
fucomi st0,fpu | -o | db e8+r
fucomip fpu | o | df e8+r
fucomip st0,fpu | -o | df e8+r
fucom | | dd e1
fucom fpu | o | dd e0+r
fucom st0,fpu | -o | dd e0+r
fucomp | | dd e9
fucomp fpu | o | dd e8+r
fucomp st0,fpu | -o | dd e8+r
fucompp | | da e9
fcmovb fpu | o | da c0+r
fcmovb st0,fpu | -o | da c0+r
fcmove fpu | o | da c8+r
fcmove st0,fpu | -o | da c8+r
fcmovbe fpu | o | da d0+r
fcmovbe st0,fpu | -o | da d0+r
fcmovu fpu | o | da d8+r
fcmovu st0,fpu | -o | da d8+r
fcmovnb fpu | o | db c0+r
fcmovnb st0,fpu | -o | db c0+r
fcmovne fpu | o | db c8+r
fcmovne st0,fpu | -o | db c8+r
fcmovnbe fpu | o | db d0+r
fcmovnbe st0,fpu | -o | db d0+r
fcmovnu fpu | o | db d8+r
fcmovnu st0,fpu | -o | db d8+r
ffree fpu | o | dd c0+r
ffreep fpu | o | df c0+r
# Environment and state (f* waits first, fn* does not).
fldenv m | m | d9 /4
fnstenv m | m | d9 /6
fstenv m | m | wait d9 /6
frstor m | m | dd /4
fnsave m | m | dd /6
fsave m | m | wait dd /6
fndisi | | db e1
fdisi | | wait db e1
fneni | | db e0
feni | | wait db e0
fsetpm | | db e4
f2xm1 | | d9 f0
fabs | | d9 e1
fchs | | d9 e0
fcos | | d9 ff
fdecstp | | d9 f6
fincstp | | d9 f7
fld1 | | d9 e8
fldl2e | | d9 ea
fldl2t | | d9 e9
fldlg2 | | d9 ec
fldln2 | | d9 ed
fldpi | | d9 eb
fldz | | d9 ee
fnop | | d9 d0
fpatan | | d9 f3
fprem | | d9 f8
fprem1 | | d9 f5
fptan | | d9 f2
frndint | | d9 fc
fscale | | d9 fd
fsin | | d9 fe
fsincos | | d9 fb
fsqrt | | d9 fa
ftst | | d9 e4
fxam | | d9 e5
fxtract | | d9 f4
fyl2x | | d9 f1
fyl2xp1 | | d9 f9
# Without operands these act on st1.
fld | | d9 c1
fst | | dd d1
fstp | | dd d9
fcomi | | db f1
fcomip | | df f1
fucomi | | db e9
fucomip | | df e9
fcmovb | | da c1
fcmove | | da c9
fcmovbe | | da d1
fcmovu | | da d9
fcmovnb | | db c1
fcmovne | | db c9
fcmovnbe | | db d1
fcmovnu | | db d9
ffree | | dd c1
ffreep | | df c1
`;
