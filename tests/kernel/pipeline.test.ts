import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildKernel,
  chooseBootloader,
  kernelCodeSymbols,
  listKernelTests,
  parseImageChoices,
  type KernelBuild,
} from '../../src/build/index.js';
import { UserError } from '../../src/errors.js';
import { nasmLdKernel } from './native-oracle.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-kernel-pipeline-'));
let ostool: KernelBuild;
let native: { elf: Uint8Array };

beforeAll(async () => {
  // ostool's own toolchain must not need nasm or ld: hide them.
  const path = process.env.PATH;
  process.env.PATH = '';
  try {
    ostool = await buildKernel();
  } finally {
    process.env.PATH = path;
  }
  native = nasmLdKernel(work);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function readelf(elf: Uint8Array, name: string, flags: string[]): string {
  const path = join(work, `${name}.elf`);
  writeFileSync(path, elf);
  return execFileSync('readelf', [...flags, path], { encoding: 'utf8' });
}

function loadSegments(elf: Uint8Array, name: string): Array<{ vaddr: bigint; flags: string; align: string }> {
  // readelf -lW: "LOAD 0x001000 0xffffffff80000000 0xffffffff80000000 0x003ee9 0x003ee9 R E 0x1000"
  return readelf(elf, name, ['-lW'])
    .split('\n')
    .filter((line) => line.trim().startsWith('LOAD'))
    .map((line) => {
      const match = /LOAD\s+\S+\s+(0x[0-9a-f]+)\s+\S+\s+\S+\s+\S+\s+(R?\s?W?\s?E?)\s+(0x[0-9a-f]+)/.exec(
        line,
      )!;
      return { vaddr: BigInt(match[1]!), flags: match[2]!.replace(/\s+/g, ' ').trim(), align: match[3]! };
    });
}

function indexOfWords(haystack: Uint8Array, words: bigint[]): number {
  const needle = new Uint8Array(words.length * 8);
  const view = new DataView(needle.buffer);
  words.forEach((word, index) => view.setBigUint64(index * 8, word, true));
  return Buffer.from(haystack).indexOf(Buffer.from(needle));
}

describe('kernel build pipeline', () => {
  it('builds with ostool asm + link alone (no nasm or ld on PATH)', () => {
    expect(ostool.toolchain).toBe('ostool');
    expect(ostool.elf.subarray(0, 4)).toEqual(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
  });

  it('loads byte for byte the same image as nasm + GNU ld build from the same sources and script', () => {
    // objcopy -O binary dumps the loaded bytes from the first PT_LOAD to the end of the last one's file part.
    const dump = (build: { elf: Uint8Array }, name: string) => {
      const elf = join(work, `${name}.elf`);
      const bin = join(work, `${name}.bin`);
      writeFileSync(elf, build.elf);
      execFileSync('objcopy', ['-O', 'binary', elf, bin]);
      return readFileSync(bin);
    };
    const ours = dump(ostool, 'same-ostool');
    const theirs = dump(native, 'same-native');
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
    expect(loadSegments(ostool.elf, 'same-ostool')).toEqual(loadSegments(native.elf, 'same-native'));
  });

  it('lays out text R E, rodata R and data RW as page-aligned segments at 0xffffffff80000000', () => {
    for (const [name, build] of [
      ['ostool', ostool],
      ['native', native],
    ] as const) {
      const segments = loadSegments(build.elf, name);
      expect(segments.map((segment) => segment.flags)).toEqual(['R E', 'R', 'RW']);
      expect(segments[0]!.vaddr).toBe(0xffffffff80000000n);
      for (const segment of segments) {
        expect(segment.align).toBe('0x1000');
        expect(segment.vaddr % 0x1000n).toBe(0n);
      }
    }
  });

  it('enters at kmain', () => {
    const header = readelf(ostool.elf, 'entry', ['-hW']);
    const entry = BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(header)![1]!);
    const kmain = kernelCodeSymbols(ostool.elf).find((symbol) => symbol.name === 'kmain');
    expect(kmain?.address).toBe(entry);
  });

  it('keeps base revision 2 and every request between the start and end markers, 8-byte aligned', () => {
    const elf = ostool.elf;
    const start = indexOfWords(elf, [
      0xf6b8f4b39de7d1aen,
      0xfab91a6940fcb9cfn,
      0x785c6ed015d3e316n,
      0x181e920a7852b9d9n,
    ]);
    const end = indexOfWords(elf, [0xadc0e0531bb10d03n, 0x9572709f31764c62n]);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    const revision = indexOfWords(elf, [0xf9562b2d5c95a6c8n, 0x6a7b384944536bdcn, 2n]);
    expect(revision).toBeGreaterThan(start);
    expect(revision).toBeLessThan(end);
    const common = [0xc7b1dd30df4c8b88n, 0x0a82e883a194f07bn];
    const requests: Record<string, bigint[]> = {
      'bootloader info': [0xf55038d8e2a1202fn, 0x279426fcf5f59740n],
      'firmware type': [0x8c2f75d90bef28a8n, 0x7045a4688eac00c3n],
      hhdm: [0x48dcf1cb8ad2b852n, 0x63984e959a98244bn],
      'memory map': [0x67cf3d9d378a806fn, 0xe304acdfc50c3c62n],
      framebuffer: [0x9d5827dcd881dd75n, 0xa3148604f6fab11bn],
      'kernel address': [0x71ba76863cc55f63n, 0xb2644a48c516a487n],
      'kernel file': [0xad97e90e83f1ed67n, 0x31eb5d1c5ff23b69n],
      rsdp: [0xc5e77b6b397e7b43n, 0x27637845accdcf3cn],
      'stack size': [0x224ef0460a8e8926n, 0xe1cb0fc25f46ea3dn],
      'paging mode': [0x95c1a0edab0944cbn, 0xa4e5cb3842f7488an],
    };
    for (const [name, id] of Object.entries(requests)) {
      const at = indexOfWords(elf, [...common, ...id]);
      expect(at, name).toBeGreaterThan(start);
      expect(at, name).toBeLessThan(end);
      expect(at % 8, name).toBe(0);
    }
  });

  it('registers tests for every subsystem, with unique names, identically with both toolchains', () => {
    const tests = listKernelTests(ostool.elf);
    const names = tests.map((test) => test.name);
    expect(new Set(names).size).toBe(names.length);
    for (const prefix of [
      'format:',
      'log:',
      'ksyms:',
      'cpu:',
      'panic:',
      'pmm:',
      'paging:',
      'heap:',
      'console:',
    ]) {
      expect(
        names.some((name) => name.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }
    expect(tests.find((test) => test.name.includes('stack overflow'))).toMatchObject({
      expect: 'exception',
      vector: 8,
    });
    expect(tests.some((test) => test.expect === 'panic')).toBe(true);
    expect(listKernelTests(native.elf)).toEqual(tests);
  });

  it('embeds a symbol table naming the same routines with both toolchains', () => {
    expect(ostool.symbolCount).toBeGreaterThan(100);
    const names = kernelCodeSymbols(ostool.elf).map((symbol) => symbol.name);
    for (const routine of ['kmain', 'panic', 'kmalloc', 'alloc_frame', 'map_page', 'exception_common'])
      expect(names).toContain(routine);
    expect(kernelCodeSymbols(native.elf).map((symbol) => symbol.name)).toEqual(names);
  });
});

describe('boot choices', () => {
  it('uses Limine when found, otherwise the built-in loader, for auto', () => {
    expect(chooseBootloader('auto', 'uefi', true)).toBe('limine');
    expect(chooseBootloader('auto', 'uefi', false)).toBe('builtin');
    expect(chooseBootloader('builtin', 'uefi', true)).toBe('builtin');
  });

  it('refuses BIOS without real Limine, and limine when none was found', () => {
    expect(() => chooseBootloader('builtin', 'bios', true)).toThrow(/UEFI-only/);
    expect(() => chooseBootloader('auto', 'bios', false)).toThrow(UserError);
    expect(() => chooseBootloader('limine', 'uefi', false)).toThrow(/no Limine found/);
    expect(chooseBootloader('limine', 'bios', true)).toBe('limine');
  });

  it('defaults to an ISO for UEFI and rejects unknown values with the flag name', () => {
    expect(parseImageChoices({})).toEqual({ bootloader: 'auto', media: 'iso', firmware: 'uefi' });
    expect(() => parseImageChoices({ media: 'floppy' })).toThrow(/--media must be iso or hdd/);
    expect(() => parseImageChoices({ firmware: 'coreboot' })).toThrow(/--firmware/);
    expect(() => parseImageChoices({ bootloader: 'grub' })).toThrow(/--bootloader/);
  });
});
