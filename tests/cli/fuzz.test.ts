import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

/**
 * Fuzzing through the command line, as a user's bad input arrives: every mutant ends with exit status 0 or a
 * user error (1 or 2) whose message is not an internal error or a JavaScript stack trace, and a failed command
 * leaves no output file. Commands run in-process through the CLI's own `main()`, so hundreds of runs are cheap.
 */
const work = mkdtempSync(join(tmpdir(), 'ostool-cli-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Outcome {
  status: number;
  stderr: string;
}

async function runCli(args: string[]): Promise<Outcome> {
  let stderr = '';
  const realStderr = process.stderr.write.bind(process.stderr);
  const realStdout = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.exitCode = undefined;
  try {
    const status = await main(['node', 'ostool', ...args]);
    return { status, stderr };
  } finally {
    process.stderr.write = realStderr;
    process.stdout.write = realStdout;
    process.exitCode = undefined;
  }
}

/**
 * A fuzzer whose every mutant fails at the first check tests nothing, and one whose mutants all pass tests no
 * error path: each run must see both outcomes.
 */
function expectBothOutcomes(statuses: number[], what: string): void {
  const passed = statuses.filter((status) => status === 0).length;
  expect(passed, `${what}: mutants accepted`).toBeGreaterThan(statuses.length / 20);
  expect(statuses.length - passed, `${what}: mutants rejected`).toBeGreaterThan(statuses.length / 20);
}

/** What no input may ever produce. */
function expectNoCrash(outcome: Outcome, what: string): void {
  const context = `${what}\nstatus ${outcome.status}\n${outcome.stderr}`;
  expect(outcome.stderr, context).not.toMatch(/internal error|this is a bug in ostool/);
  expect(outcome.stderr, context).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect([0, 1, 2], context).toContain(outcome.status);
}

/** A seeded generator, so a failure names a mutant that can be reproduced. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

function mutateBytes(data: Uint8Array, random: () => number): Uint8Array {
  const choice = random() % 4;
  if (choice === 0) return data.subarray(0, random() % (data.length + 1));
  const copy = new Uint8Array(data);
  const flips = 1 + (random() % 8);
  for (let k = 0; k < flips; k++) {
    const at = random() % copy.length;
    // Header fields matter most: half the flips land in the first 256 bytes.
    const where = choice === 1 && k % 2 === 0 ? at % Math.min(256, copy.length) : at;
    copy[where] = choice === 3 ? 0xff : random() & 0xff;
  }
  return copy;
}

function mutateText(text: string, random: () => number): string {
  const lines = text.split('\n');
  const edits = 1 + (random() % 4);
  for (let k = 0; k < edits; k++) {
    const at = random() % lines.length;
    const line = lines[at]!;
    switch (random() % 5) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[random() % lines.length]!);
        break;
      case 2: {
        const cut = random() % (line.length + 1);
        lines[at] = line.slice(0, cut) + line.slice(cut + 1 + (random() % 4));
        break;
      }
      case 3: {
        const cut = random() % (line.length + 1);
        const junk = '{}()[];:=,."\'\\*/+-<>$#%@!~\u00e9\u0000\t';
        lines[at] = line.slice(0, cut) + junk[random() % junk.length] + line.slice(cut);
        break;
      }
      default:
        lines[at] = line.split(/(\s+)/).reverse().join('');
    }
  }
  return lines.join('\n');
}

const ASM_SOURCE = `bits 64
%define COUNT 3
%macro emit 1
  db %1, 0
%endmacro
struc point
  .x: resq 1
  .y: resq 1
endstruc
section .text
global _start
_start:
  lea rdi, [rel message]
  mov ecx, COUNT
.again:
  call print
  loop .again
  mov rax, [rdi + point.y]
  jmp _start
print:
  push rbp
  mov rbp, rsp
  movaps xmm0, [rel table]
  vaddps ymm1, ymm2, [rdi + rcx*4 + 16]
  pop rbp
  ret
section .rodata
align 16
table: dd 1.5, 2.5, 3.5, 4.5
message: emit 'hello'
%rep COUNT
  dw $ - message
%endrep
section .bss
buffer: resb 64
`;

const LINKER_SCRIPT = `ENTRY(_start)
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text .text.*) } :text
  . = ALIGN(CONSTANT(MAXPAGESIZE));
  .rodata : { *(.rodata .rodata.*) } :text
  . = ALIGN(CONSTANT(MAXPAGESIZE));
  .data : { *(.data .data.*) } :data
  .bss : { *(COMMON) *(.bss .bss.*) } :data
  /DISCARD/ : { *(.note .note.*) *(.eh_frame*) }
}
`;

describe('command-line fuzzing: no internal error, no stack trace, no output after a failure', () => {
  it('ostool asm on mutated sources (bin, elf64, elf32)', async () => {
    const random = lcg(1);
    const input = join(work, 'in.asm');
    const output = join(work, 'out.o');
    const statuses: number[] = [];
    for (let round = 0; round < 400; round++) {
      const source = round % 10 === 0 ? ASM_SOURCE : mutateText(ASM_SOURCE, random);
      writeFileSync(input, source);
      rmSync(output, { force: true });
      const format = ['bin', 'elf64', 'elf32'][round % 3]!;
      const outcome = await runCli(['asm', '-f', format, '-o', output, input]);
      expectNoCrash(outcome, `asm -f ${format} round ${round}:\n${source}`);
      if (outcome.status !== 0) expect(existsSync(output), `asm round ${round} left ${output}`).toBe(false);
      statuses.push(outcome.status);
    }
    expectBothOutcomes(statuses, 'asm');
  });

  it('ostool link on byte-mutated objects and mutated linker scripts', async () => {
    const source = join(work, 'k.asm');
    writeFileSync(source, ASM_SOURCE);
    const object = join(work, 'k.o');
    expect((await runCli(['asm', '-f', 'elf64', '-o', object, source])).status).toBe(0);
    const pristine = new Uint8Array(readFileSync(object));
    const random = lcg(2);
    const mutant = join(work, 'mutant.o');
    const script = join(work, 'k.ld');
    const output = join(work, 'k.elf');
    const statuses: number[] = [];
    for (let round = 0; round < 400; round++) {
      const mutateScript = round % 2 === 1;
      writeFileSync(mutant, mutateScript ? pristine : mutateBytes(pristine, random));
      writeFileSync(script, mutateScript ? mutateText(LINKER_SCRIPT, random) : LINKER_SCRIPT);
      rmSync(output, { force: true });
      const flags = round % 5 === 0 ? ['--gc-sections', '-pie'] : [];
      const outcome = await runCli(['link', ...flags, '-T', script, '-o', output, mutant]);
      expectNoCrash(
        outcome,
        `link round ${round}${mutateScript ? `:\n${readFileSync(script, 'utf8')}` : ''}`,
      );
      if (outcome.status !== 0) expect(existsSync(output), `link round ${round} left ${output}`).toBe(false);
      statuses.push(outcome.status);
    }
    expectBothOutcomes(statuses, 'link');
  });

  it('ostool image on byte-mutated kernels and mutated limine.conf files', async () => {
    const kernelSource = join(work, 'kernel.asm');
    writeFileSync(kernelSource, ASM_SOURCE);
    const kernelObject = join(work, 'kernel.o');
    const kernel = join(work, 'kernel.elf');
    const script = join(work, 'kernel.ld');
    writeFileSync(script, LINKER_SCRIPT);
    expect((await runCli(['asm', '-f', 'elf64', '-o', kernelObject, kernelSource])).status).toBe(0);
    expect((await runCli(['link', '-T', script, '-o', kernel, kernelObject])).status).toBe(0);
    const pristine = new Uint8Array(readFileSync(kernel));
    const config = [
      'timeout: 0',
      '/ostool',
      '    protocol: limine',
      '    kernel_path: boot():/boot/kernel',
      '    cmdline: log=debug',
      '    module_path: boot():/boot/modules/m.bin',
    ].join('\n');
    const random = lcg(3);
    const mutantKernel = join(work, 'mutant.elf');
    const mutantConfig = join(work, 'limine.conf');
    const output = join(work, 'disk.img');
    const statuses: number[] = [];
    for (let round = 0; round < 150; round++) {
      const mutateConfig = round % 3 === 2;
      writeFileSync(mutantKernel, mutateConfig ? pristine : mutateBytes(pristine, random));
      writeFileSync(mutantConfig, mutateConfig ? mutateText(config, random) : config);
      rmSync(output, { force: true });
      const outcome = await runCli([
        'image',
        '--bootloader',
        'builtin',
        '--kernel',
        mutantKernel,
        '--config',
        mutantConfig,
        '--size',
        '2M',
        '--hdd',
        output,
      ]);
      expectNoCrash(outcome, `image round ${round}`);
      if (outcome.status !== 0) expect(existsSync(output), `image round ${round} left ${output}`).toBe(false);
      statuses.push(outcome.status);
    }
    expectBothOutcomes(statuses, 'image');
  });

  it('ostool build on mutated ostool.toml files and kernel sources of an `ostool init` project', async () => {
    const project = join(work, 'project');
    expect((await runCli(['init', project, '--template', 'asm'])).status).toBe(0);
    const projectFile = join(project, 'ostool.toml');
    const kernelSource = join(project, 'src', 'kernel.asm');
    const pristineProject = readFileSync(projectFile, 'utf8');
    const pristineKernel = readFileSync(kernelSource, 'utf8');
    const random = lcg(4);
    const statuses: number[] = [];
    const cwd = process.cwd();
    process.chdir(project);
    try {
      for (let round = 0; round < 80; round++) {
        const mutateProject = round % 2 === 0;
        writeFileSync(projectFile, mutateProject ? mutateText(pristineProject, random) : pristineProject);
        writeFileSync(kernelSource, mutateProject ? pristineKernel : mutateText(pristineKernel, random));
        const outcome = await runCli(['build', '--bootloader', 'builtin']);
        expectNoCrash(
          outcome,
          `build round ${round}:\n${readFileSync(mutateProject ? projectFile : kernelSource, 'utf8')}`,
        );
        statuses.push(outcome.status);
      }
    } finally {
      process.chdir(cwd);
    }
    expectBothOutcomes(statuses, 'build');
  });
});
