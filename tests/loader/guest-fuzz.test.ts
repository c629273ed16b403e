import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleObject, linkExecutable } from '../../src/build/toolchain.js';
import { buildHddImage } from '../../src/image/index.js';
import { buildDirectLoader, buildLoader, DIRECT_FW_CFG_PREFIX } from '../../src/loader/index.js';
import { runImage, type RunResult } from '../../src/qemu/index.js';

/**
 * In-guest fuzzing of the built-in loaders: mutated kernels (ELF header and program header fields, Limine
 * request IDs, revisions and pointers, random bytes) and mutated limine.conf files, each booted for real.
 * Every run must end in one of two ways: the loader's own error (status 1 and `ostool loader: error:` on
 * serial), or the kernel getting control (the loader's hand-off line on QEMU's debug console, port 0xe9;
 * what a mutated kernel does after that is its own business). A hang, a triple fault or a firmware crash
 * before the hand-off is a loader bug. Most mutants go through the direct loader (~0.2 s a boot); a sample
 * goes through the UEFI loader (~5 s a boot), whose platform layer differs.
 */
const work = mkdtempSync(join(tmpdir(), 'ostool-guest-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DIRECT_MUTANTS = Number(process.env.OSTOOL_GUEST_FUZZ_MUTANTS ?? 300);
const UEFI_MUTANTS = Number(process.env.OSTOOL_GUEST_FUZZ_UEFI_MUTANTS ?? 4);
const HANDOFF_LINE = 'ostool loader: entering the kernel';
const LOADER_ERROR = 'ostool loader: error:';
const KERNEL_LINE = 'fuzz kernel: running';

/** A kernel that asks for much of the protocol and needs none of it: it prints a line and exits 0x10. */
const KERNEL_SOURCE = `bits 64
%define MAGIC 0xc7b1dd30df4c8b88, 0x0a82e883a194f07b
section .requests_start_marker progbits alloc write noexec align=8
    dq 0xf6b8f4b39de7d1ae, 0xfab91a6940fcb9cf, 0x785c6ed015d3e316, 0x181e920a7852b9d9
section .requests progbits alloc write noexec align=8
base_revision:  dq 0xf9562b2d5c95a6c8, 0x6a7b384944536bdc, 3
bootloader:     dq MAGIC, 0xf55038d8e2a1202f, 0x279426fcf5f59740, 0, 0
hhdm:           dq MAGIC, 0x48dcf1cb8ad2b852, 0x63984e959a98244b, 0, 0
framebuffer:    dq MAGIC, 0x9d5827dcd881dd75, 0xa3148604f6fab11b, 1, 0
memmap:         dq MAGIC, 0x67cf3d9d378a806f, 0xe304acdfc50c3c62, 0, 0
modules:        dq MAGIC, 0x3e7e279702be32af, 0xca1c4f3bd1280cee, 1, 0, 1, internal_list
rsdp:           dq MAGIC, 0xc5e77b6b397e7b43, 0x27637845accdcf3c, 0, 0
mp:             dq MAGIC, 0x95a67b819a1b857e, 0xa0b61b723b6a73e0, 0, 0, 0
paging:         dq MAGIC, 0x95c1a0edab0944cb, 0xa4e5cb3842f7488a, 1, 0, 0, 1, 0
kernel_file:    dq MAGIC, 0xad97e90e83f1ed67, 0x31eb5d1c5ff23b69, 0, 0
kernel_address: dq MAGIC, 0x71ba76863cc55f63, 0xb2644a48c516a487, 0, 0
cmdline:        dq MAGIC, 0x4b161536e598651e, 0xb390ad4a2f1f303a, 0, 0
date:           dq MAGIC, 0x502746e184c088aa, 0xfbc5ec83e6327893, 0, 0
stack_size:     dq MAGIC, 0x224ef0460a8e8926, 0xe1cb0fc25f46ea3d, 0, 0, 0x10000
entry_point:    dq MAGIC, 0x13d86c035a1cd3e1, 0x2b0caa89d8f3026a, 0, 0, kmain
section .requests_end_marker progbits alloc write noexec align=8
    dq 0xadc0e0531bb10d03, 0x9572709f31764c62
section .data
internal_list:  dq internal_module
internal_module: dq internal_path, internal_string, 0
internal_path:  db "/boot/modules/extra.bin", 0
internal_string: db "an internal module", 0
section .rodata
line:           db "${KERNEL_LINE}", 10
LINE_BYTES equ $ - line
section .text
global kmain
kmain:
    lea rsi, [rel line]
    mov ecx, LINE_BYTES
.next:
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, 0x3f8
    lodsb
    out dx, al
    loop .next
    mov al, 0x10
    out 0xf4, al
.halt:
    hlt
    jmp .halt
`;

const LINKER_SCRIPT = `ENTRY(kmain)
PHDRS { text PT_LOAD FLAGS(5); rodata PT_LOAD FLAGS(4); data PT_LOAD FLAGS(6); }
SECTIONS {
  . = 0xffffffff80000000;
  .text : { *(.text) } :text
  . = ALIGN(4096);
  .rodata : { *(.rodata) } :rodata
  . = ALIGN(4096);
  .data : { *(.data) KEEP(*(.requests_start_marker)) KEEP(*(.requests)) KEEP(*(.requests_end_marker)) } :data
  .bss : { *(.bss) } :data
}
`;

const CONFIG = `timeout: 0
\${ROOT}=boot():/boot
/fuzz
    protocol: limine
    kernel_path: \${ROOT}/kernel
    cmdline: fuzz=1 quiet
    kaslr: no
    module_path: boot():/boot/modules/first.bin
    module_cmdline: the first module
    module_path: boot():/boot/modules/extra.bin
    module_string: the extra module
`;

/** The files the loaders read, by their path in limine.conf. */
const MODULES: Record<string, Uint8Array> = {
  '/boot/modules/first.bin': new TextEncoder().encode('first module contents\n'),
  '/boot/modules/extra.bin': new Uint8Array(5000).map((_, index) => index & 0xff),
};

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

interface Mutant {
  what: string;
  kernel: Uint8Array;
  config: string;
}

const EDGE_VALUES = [
  0n,
  1n,
  0xffn,
  0xffffn,
  0x7fffffffn,
  0xffffffffn,
  0xffffffffffffffffn,
  0x8000000000000000n,
];

/** ELF64 header fields: name, offset, size. */
const ELF_FIELDS: Array<[string, number, number]> = [
  ['EI_CLASS', 4, 1],
  ['EI_DATA', 5, 1],
  ['EI_VERSION', 6, 1],
  ['e_type', 16, 2],
  ['e_machine', 18, 2],
  ['e_version', 20, 4],
  ['e_entry', 24, 8],
  ['e_phoff', 32, 8],
  ['e_shoff', 40, 8],
  ['e_ehsize', 52, 2],
  ['e_phentsize', 54, 2],
  ['e_phnum', 56, 2],
  ['e_shnum', 60, 2],
  ['e_shstrndx', 62, 2],
];
const PHDR_FIELDS: Array<[string, number, number]> = [
  ['p_type', 0, 4],
  ['p_flags', 4, 4],
  ['p_offset', 8, 8],
  ['p_vaddr', 16, 8],
  ['p_paddr', 24, 8],
  ['p_filesz', 32, 8],
  ['p_memsz', 40, 8],
  ['p_align', 48, 8],
];

function readField(data: Uint8Array, offset: number, size: number): bigint {
  let value = 0n;
  for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[offset + i] ?? 0);
  return value;
}

function writeField(data: Uint8Array, offset: number, size: number, value: bigint): void {
  for (let i = 0; i < size; i++)
    if (offset + i < data.length) data[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

/** A value for a field: an edge value, a small change of the old one, or random bits. */
function fieldValue(old: bigint, size: number, random: () => number): bigint {
  const mask = (1n << BigInt(8 * size)) - 1n;
  const choice = random() % 4;
  if (choice === 0) return EDGE_VALUES[random() % EDGE_VALUES.length]! & mask;
  if (choice === 1) return (old + BigInt((random() % 0x4001) - 0x2000)) & mask;
  if (choice === 2) return (old ^ (1n << BigInt(random() % (8 * size)))) & mask;
  return ((BigInt(random()) << 32n) | BigInt(random())) & mask;
}

/** Offsets of every Limine request (its common magic) and of the base revision tag in the kernel file. */
function requestOffsets(kernel: Uint8Array): { requests: number[]; baseRevision: number } {
  const view = new DataView(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  const requests: number[] = [];
  let baseRevision = -1;
  for (let offset = 0; offset + 16 <= kernel.length; offset++) {
    const low = view.getBigUint64(offset, true);
    const high = view.getBigUint64(offset + 8, true);
    if (low === 0xc7b1dd30df4c8b88n && high === 0x0a82e883a194f07bn) requests.push(offset);
    if (low === 0xf9562b2d5c95a6c8n && high === 0x6a7b384944536bdcn) baseRevision = offset;
  }
  return { requests, baseRevision };
}

function mutateConfig(config: string, random: () => number): { what: string; config: string } {
  const lines = config.split('\n');
  const at = random() % lines.length;
  const line = lines[at]!;
  switch (random() % 8) {
    case 0:
      lines.splice(at, 1);
      return { what: `config: line ${at} deleted`, config: lines.join('\n') };
    case 1:
      lines.splice(at, 0, lines[random() % lines.length]!);
      return { what: `config: line duplicated before ${at}`, config: lines.join('\n') };
    case 2: {
      const cut = random() % (line.length + 1);
      lines[at] = line.slice(0, cut) + line.slice(cut + 1 + (random() % 5));
      return { what: `config: characters cut from line ${at}`, config: lines.join('\n') };
    }
    case 3: {
      const junk = [
        '${',
        '}',
        ':',
        '(',
        ')',
        '\0',
        '\t',
        '#',
        'boot(9):',
        'hdd(0:0):',
        'hdd(1:1):',
        'odd(1:):',
        'guid(x):',
        'fslabel(OSTOOL):',
        '\\',
        '\xff',
      ];
      const cut = random() % (line.length + 1);
      lines[at] = line.slice(0, cut) + junk[random() % junk.length] + line.slice(cut);
      return { what: `config: junk in line ${at}`, config: lines.join('\n') };
    }
    case 4: {
      const keys = [
        'kaslr: yes',
        'paging_mode: 5level',
        'resolution: 99999x1',
        'default_entry: 7',
        'protocol: linux',
      ];
      lines.splice(3 + (random() % (lines.length - 3)), 0, `    ${keys[random() % keys.length]}`);
      return { what: 'config: an extra key', config: lines.join('\n') };
    }
    case 5:
      return {
        what: 'config: a long command line',
        config: config.replace('cmdline: fuzz=1 quiet', `cmdline: ${'x'.repeat(1 + (random() % 9000))}`),
      };
    case 6:
      return {
        what: 'config: a module that is not there',
        config: config.replace('/boot/modules/first.bin', `/boot/modules/missing-${random() % 100}.bin`),
      };
    default:
      return { what: 'config: truncated', config: config.slice(0, random() % config.length) };
  }
}

function mutate(kernel: Uint8Array, index: number): Mutant {
  const random = lcg(0x5eed0000 + index);
  const data = new Uint8Array(kernel);
  const phoff = Number(readField(kernel, 32, 8));
  const phnum = Number(readField(kernel, 56, 2));
  const { requests, baseRevision } = requestOffsets(kernel);
  if (requests.length === 0 || baseRevision < 0) throw new Error('the fuzz kernel lost its Limine requests');
  switch (index % 6) {
    case 0: {
      const [name, offset, size] = ELF_FIELDS[random() % ELF_FIELDS.length]!;
      const value = fieldValue(readField(data, offset, size), size, random);
      writeField(data, offset, size, value);
      return { what: `${name} = 0x${value.toString(16)}`, kernel: data, config: CONFIG };
    }
    case 1:
    case 2: {
      const which = random() % phnum;
      const [name, field, size] = PHDR_FIELDS[random() % PHDR_FIELDS.length]!;
      const offset = phoff + which * 56 + field;
      const value = fieldValue(readField(data, offset, size), size, random);
      writeField(data, offset, size, value);
      return { what: `phdr ${which} ${name} = 0x${value.toString(16)}`, kernel: data, config: CONFIG };
    }
    case 3: {
      // A request: its ID, its revision, its response pointer, or a field after it (internal modules, flags).
      if (random() % 5 === 0 && baseRevision >= 0) {
        const value = fieldValue(3n, 8, random);
        writeField(data, baseRevision + 16, 8, value);
        return { what: `base revision = 0x${value.toString(16)}`, kernel: data, config: CONFIG };
      }
      const request = requests[random() % requests.length]!;
      const word = 2 + (random() % 6);
      const value = fieldValue(readField(data, request + 8 * word, 8), 8, random);
      writeField(data, request + 8 * word, 8, value);
      return {
        what: `request at 0x${request.toString(16)} word ${word} = 0x${value.toString(16)}`,
        kernel: data,
        config: CONFIG,
      };
    }
    case 4: {
      const flips = 1 + (random() % 16);
      for (let k = 0; k < flips; k++) data[random() % data.length] = random() & 0xff;
      if (random() % 3 === 0)
        return {
          what: `${flips} random bytes, truncated`,
          kernel: data.subarray(0, random() % data.length),
          config: CONFIG,
        };
      return { what: `${flips} random bytes`, kernel: data, config: CONFIG };
    }
    default: {
      const { what, config } = mutateConfig(CONFIG, random);
      return { what, kernel, config };
    }
  }
}

interface Outcome {
  result: RunResult;
  handedOff: boolean;
}

/** A run is fine when the loader refused with its own error, or handed the kernel control. */
function verdict(outcome: Outcome): 'refused' | 'kernel' | 'bad' {
  if (outcome.handedOff) return 'kernel';
  if (outcome.result.status === 1 && outcome.result.serial.includes(LOADER_ERROR)) return 'refused';
  return 'bad';
}

let directLoader: string;
let pristine: Uint8Array;

beforeAll(async () => {
  const { object } = assembleObject({ source: KERNEL_SOURCE, fileName: 'fuzz-kernel.asm' });
  pristine = linkExecutable({
    inputs: [{ name: 'fuzz-kernel.o', data: object }],
    script: LINKER_SCRIPT,
  }).output;
  directLoader = join(work, 'direct-loader.elf');
  writeFileSync(directLoader, (await buildDirectLoader()).elf);
  for (const [path, data] of Object.entries(MODULES)) writeFileSync(join(work, path.split('/').pop()!), data);
}, 180_000);

async function bootDirect(mutant: Mutant, slot: number): Promise<Outcome> {
  const kernel = join(work, `kernel-${slot}.elf`);
  const config = join(work, `limine-${slot}.conf`);
  const debugcon = join(work, `debugcon-${slot}.log`);
  writeFileSync(kernel, mutant.kernel);
  writeFileSync(config, mutant.config);
  writeFileSync(debugcon, '');
  const result = await runImage({
    firmware: 'direct',
    direct: {
      loader: directLoader,
      files: [
        { name: `${DIRECT_FW_CFG_PREFIX}/boot/limine.conf`, file: config },
        { name: `${DIRECT_FW_CFG_PREFIX}/boot/kernel`, file: kernel },
        ...Object.keys(MODULES).map((path) => ({
          name: `${DIRECT_FW_CFG_PREFIX}${path}`,
          file: join(work, path.split('/').pop()!),
        })),
      ],
    },
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 15,
    extraArgs: ['-debugcon', `file:${debugcon}`],
  });
  return { result, handedOff: readFileSync(debugcon, 'utf8').includes(HANDOFF_LINE) };
}

function describeBad(mutant: Mutant, outcome: Outcome): string {
  const tail = outcome.result.serial.split('\n').slice(-4).join('\n  | ');
  return `${mutant.what}: status ${outcome.result.status} (${outcome.result.reason})\n  | ${tail}`;
}

describe('in-guest fuzzing of the built-in loaders', () => {
  it('boots the pristine kernel through the direct loader: the hand-off line, then the kernel', async () => {
    const outcome = await bootDirect({ what: 'pristine', kernel: pristine, config: CONFIG }, 0);
    expect(outcome.handedOff, outcome.result.serial).toBe(true);
    expect(outcome.result.serial).toContain(KERNEL_LINE);
    expect(outcome.result.status).toBe(0);
  });

  it(`ends ${DIRECT_MUTANTS} mutated kernels and configs through the direct loader with its error or the kernel running`, async () => {
    const started = performance.now();
    const bad: string[] = [];
    const counts = { refused: 0, kernel: 0, bad: 0 };
    let next = 0;
    // Two QEMUs at a time: one per core.
    await Promise.all(
      [1, 2].map(async (slot) => {
        while (next < DIRECT_MUTANTS) {
          const mutant = mutate(pristine, next++);
          const outcome = await bootDirect(mutant, slot);
          const kind = verdict(outcome);
          counts[kind]++;
          if (kind === 'bad') bad.push(describeBad(mutant, outcome));
        }
      }),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `guest fuzzing, direct loader: ${DIRECT_MUTANTS} mutants in ${seconds} s: ${counts.refused} refused by the loader, ${counts.kernel} handed to the kernel, ${counts.bad} bad`,
    );
    expect(bad).toEqual([]);
    // Both outcomes must be common, or the mutants test only one path.
    expect(counts.refused).toBeGreaterThan(DIRECT_MUTANTS / 10);
    expect(counts.kernel).toBeGreaterThan(DIRECT_MUTANTS / 10);
  }, 900_000);

  it(`ends ${UEFI_MUTANTS} mutants through the UEFI loader the same way`, async () => {
    const efi = await buildLoader();
    const bad: string[] = [];
    const counts = { refused: 0, kernel: 0, bad: 0 };
    for (let index = 0; index < UEFI_MUTANTS; index++) {
      // Mutants of the direct run's sequence, one of each mutation class in turn (index * 7 ≡ index mod 6).
      const mutant = mutate(pristine, index * 7);
      const image = join(work, 'uefi.img');
      const debugcon = join(work, 'debugcon-uefi.log');
      writeFileSync(debugcon, '');
      const built = await buildHddImage({
        kernel: mutant.kernel,
        bootloader: { kind: 'builtin', efi },
        config: mutant.config,
        modules: Object.entries(MODULES).map(([path, data]) => ({ name: path.split('/').pop()!, data })),
        sizeBytes: 8 * 1024 * 1024,
      });
      writeFileSync(image, built.image.toBytes());
      const result = await runImage({
        image,
        firmware: 'uefi',
        accel: 'tcg',
        headless: true,
        timeoutSeconds: 60,
        extraArgs: ['-debugcon', `file:${debugcon}`],
      });
      const outcome = { result, handedOff: readFileSync(debugcon, 'utf8').includes(HANDOFF_LINE) };
      const kind = verdict(outcome);
      counts[kind]++;
      if (kind === 'bad') bad.push(describeBad(mutant, outcome));
    }
    console.log(
      `guest fuzzing, UEFI loader: ${UEFI_MUTANTS} mutants: ${counts.refused} refused, ${counts.kernel} handed to the kernel, ${counts.bad} bad`,
    );
    expect(bad).toEqual([]);
  }, 900_000);
});
