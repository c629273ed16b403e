/**
 * The standard macro packages `%use NAME` loads, written for ostool in NASM's macro language (names and
 * behaviour as in nasm 2.16.01's manual, checked by probing nasm; none of nasm's own macro text is used).
 * Loading a package also defines `__?USE_NAME?__`; a package is loaded at most once.
 */

const ALTREG_NAMES = ['a', 'c', 'd', 'b', 'sp', 'bp', 'si', 'di'];

/** `altreg`: r0..r7 (with b/l, w, d suffixes) for the legacy registers, r0h..r3h, r8l..r15l. */
function altreg(): string {
  const lines: string[] = [];
  ALTREG_NAMES.forEach((base, n) => {
    const legacy = base.length === 1;
    lines.push(`%idefine r${n} r${legacy ? base + 'x' : base}`);
    const low = legacy ? `${base}l` : `${base}l`;
    lines.push(`%idefine r${n}b ${low}`, `%idefine r${n}l ${low}`);
    lines.push(`%idefine r${n}w ${legacy ? base + 'x' : base}`);
    lines.push(`%idefine r${n}d e${legacy ? base + 'x' : base}`);
    if (legacy) lines.push(`%idefine r${n}h ${base}h`);
  });
  for (let n = 8; n < 16; n++) lines.push(`%idefine r${n}l r${n}b`);
  return lines.join('\n');
}

/** `fp`: float8()..float128h() as names for nasm's float functions, Inf/NaN/QNaN/SNaN, and `bf16`. */
const FP = [
  ...[
    'float8',
    'float16',
    'bfloat16',
    'float32',
    'float64',
    'float80m',
    'float80e',
    'float128l',
    'float128h',
  ].map((f) => `%define ${f}(x) __?${f}?__(x)`),
  '%define Inf __?Infinity?__',
  '%define NaN __?QNaN?__',
  '%define QNaN __?QNaN?__',
  '%define SNaN __?SNaN?__',
  // `bf16 a, b`: one bfloat16 word per value (there is no `dbf16` data directive)
  '%imacro bf16 1-*.nolist',
  '%rep %0',
  'dw __?bfloat16?__(%1)',
  '%rotate 1',
  '%endrep',
  '%endmacro',
].join('\n');

/** `ifunc`: ilog2 (exact: error otherwise), ilog2e, ilog2w (warns), ilog2f (down), ilog2c (up). */
const IFUNC = [
  '%define ilog2(x) __?ilog2e?__(x)',
  ...['e', 'w', 'f', 'c'].map((k) => `%define ilog2${k}(x) __?ilog2${k}?__(x)`),
].join('\n');

/**
 * `smartalign`: `alignmode MODE[, THRESHOLD]` chooses the padding `align N` emits in code (see
 * smartalign.ts); `align N, FILL` keeps its plain meaning. `__?ALIGNMODE?__` is `mode,threshold`. Like
 * nasm's package, each padding opens a context and ends at its `%$end` label (a local symbol in ELF).
 */
const SMARTALIGN = `%imacro alignmode 1-2.nolist
%ifidni %1, nop
%elifidni %1, generic
%elifidni %1, k7
%elifidni %1, k8
%elifidni %1, p6
%else
%error unknown alignment mode: %1
%exitmacro
%endif
%if %0 > 1
%xdefine __?ALIGNMODE?__ %1,%2
%elifidni %1, generic
%xdefine __?ALIGNMODE?__ %1,8
%else
%xdefine __?ALIGNMODE?__ %1,16
%endif
%endmacro
%imacro align 1-2+.nolist
sectalign %1
%if %0 > 1
times (((%1) - (($-$$) % (%1))) % (%1)) %2
%else
%push
__?smartalign?__ %1, __?ALIGNMODE?__
%$end:
%pop
%endif
%endmacro
alignmode generic`;

/** `masm`: the MASM spellings nasm's package accepts (`dword ptr`, `offset x`), rel addressing by default. */
const MASM = `%idefine ptr
%idefine offset
default rel`;

const PACKAGES: Record<string, () => string> = {
  altreg,
  fp: () => FP,
  ifunc: () => IFUNC,
  smartalign: () => SMARTALIGN,
  masm: () => MASM,
};

/** Source text of package `name` (case-insensitive), or undefined when there is no such package. */
export function packageSource(name: string): string | undefined {
  return PACKAGES[name.toLowerCase()]?.();
}
