/**
 * Every relocation gcc emits in every x86-64 code model: one probe (data, calls, function pointers, strings, TLS)
 * compiled for small/kernel/medium/large, no-PIC/-fPIE/-fPIC, -O0/-O2, linked statically by GNU ld and by ostool.
 * The outputs must agree in program headers, loaded bytes, entry and symbol values; this pins PLTOFF64, GOTOFF64,
 * GOTPC32/64, GOT64, GOTPCRELX (kept for SHF_X86_64_LARGE data), TPOFF32, GOTTPOFF, TLSGD and TLSLD relaxation,
 * the .got/.got.plt that ld creates (slots in ld's symbol-table order) and the RELRO layout without -T.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describe as describeElf, Workdir } from './oracle.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;
const source = (name: string) => readFileSync(join(fixtures, 'sources', name), 'utf8');
const KERNEL_SCRIPT = `SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text*) } .rodata : { *(.rodata*) } .tdata : { *(.tdata*) } .tbss : { *(.tbss*) }
  .data : { *(.data*) } .bss : { *(.bss*) }
}`;

const CASES: Array<{ model: string; pic: string }> = [
  ...['small', 'medium', 'large'].flatMap((model) =>
    ['-fno-pic', '-fPIE', '-fPIC'].map((pic) => ({ model, pic })),
  ),
  { model: 'kernel', pic: '-fno-pic' },
];

describe('gcc code models link like GNU ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('kernel.ld', KERNEL_SCRIPT);
  });
  afterAll(() => work.dispose());

  for (const { model, pic } of CASES)
    it(`-mcmodel=${model} ${pic} at -O0 and -O2`, async () => {
      for (const opt of ['-O0', '-O2']) {
        const flags = ['-ffreestanding', '-fno-stack-protector', '-fno-asynchronous-unwind-tables'];
        flags.push(`-mcmodel=${model}`, pic, opt);
        const name = `${model}${pic}${opt}`;
        const objects = [
          work.gcc(`probe${name}`, source('code-model-probe.c'), flags),
          work.gcc(`lib${name}`, source('code-model-lib.c'), flags),
        ];
        const script = model === 'kernel' ? ['-T', 'kernel.ld'] : [];
        const pair = await work.linkBoth(['-static', ...script, ...objects], name);
        const expected = describeElf(pair.ld);
        const actual = describeElf(pair.ours);
        expect(actual.phdrs).toBe(expected.phdrs);
        expect(actual.sections).toEqual(expected.sections);
        expect(actual.image).toEqual(expected.image);
        expect(actual.symbols).toEqual(expected.symbols);
      }
    });
});
