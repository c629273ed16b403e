import { describe, expect, it } from 'vitest';
import { isMnemonic } from '../../../src/assembler/encoder/index.js';

// The instructions issue 3 names explicitly (a kernel and a loader need them); cc forms spelled out.
const REQUIRED = `
lgdt lidt sgdt sidt ltr str lldt mov invlpg invpcid wbinvd clflush rdmsr wrmsr rdtsc rdtscp rdpid cpuid xgetbv
xsetbv in out insb insw insd outsb outsw outsd int int3 into iret iretd iretq sysenter sysexit syscall sysret
swapgs hlt cli sti pause nop lfence mfence sfence cmpxchg cmpxchg8b cmpxchg16b xadd xchg bswap bt bts btr btc
bsf bsr popcnt lzcnt tzcnt cmovz cmovne cmova cmovl setz setnz setb setge jz jnz jc jnc jb jae jl jg jle jge js
jns jo jp jmp call ret retf loop loope loopne jrcxz jecxz jcxz enter leave fxsave fxrstor fxsave64 fxrstor64
xsave xrstor xsave64 xrstor64 ud2 movd movq movdqa movdqu movaps movups pxor xorps por pand add or adc sbb and
sub xor cmp test not neg mul imul div idiv inc dec shl shr sal sar rol ror rcl rcr shld shrd movzx movsx movsxd
lea push pop pushf popf pushfq popfq cbw cwde cdqe cwd cdq cqo movsb movsw movsd movsq stosb stosw stosd stosq
lodsb lodsw lodsd lodsq scasb scasw scasd scasq cmpsb cmpsw cmpsd cmpsq cld std clc stc cmc lahf sahf
`
  .split(/\s+/)
  .filter(Boolean);

describe('instruction set coverage', () => {
  it.each(REQUIRED)('knows %s', (mnemonic) => {
    expect(isMnemonic(mnemonic)).toBe(true);
  });

  it('has no mnemonic that is also a prefix or a register-like word nasm would not parse as an instruction', () => {
    for (const word of ['lock', 'rep', 'byte', 'rax', 'ins', 'movs'])
      expect(isMnemonic(word), word).toBe(false);
  });
});
