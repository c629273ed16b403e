import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import tar from 'tar-stream';
import type { ImageFile } from '../../src/image/index.js';

/** A fresh directory under the system temp dir, removed by the returned cleanup. */
export async function tempDir(
  prefix = 'ostool-image-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Deterministic pseudo-random bytes (xorshift32), so fixture contents are known but not trivial. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** Renders bytes the way Limine's build renders limine-bios-hdd.bin into limine-bios-hdd.h. */
export function cArrayHeader(bytes: Uint8Array): string {
  const lines: string[] = ['const uint8_t binary_limine_hdd_bin_data[] = {'];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(
      '    ' +
        [...bytes.subarray(i, i + 16)].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ') +
        ',',
    );
  }
  lines.push('};');
  return lines.join('\n') + '\n';
}

/** Stage 2 as large as Limine 8's (42 sectors split 21 + 21): the size the issue measured 44 entries with. */
export const SYNTHETIC_STAGE2_BYTES = 21_000;

export function syntheticStages(stage1?: Uint8Array, stage2?: Uint8Array): Uint8Array {
  const first = stage1 ?? patternBytes(512, 11);
  const second = stage2 ?? patternBytes(SYNTHETIC_STAGE2_BYTES, 12);
  const out = new Uint8Array(512 + second.length);
  out.set(first.subarray(0, 512));
  out[510] = 0x55;
  out[511] = 0xaa;
  out.set(second, 512);
  return out;
}

/**
 * A directory laid out like a Limine binary release, with synthetic stage files whose bytes we control.
 * `uefiCd` is a real FAT image (made by mtools) holding `bootX64` as /EFI/BOOT/BOOTX64.EFI.
 */
export async function syntheticLimineDir(
  dir: string,
  parts: {
    stages?: Uint8Array;
    biosCd?: Uint8Array;
    biosSys?: Uint8Array;
    bootX64?: Uint8Array;
    bootIa32?: Uint8Array;
    /** The release version its limine-bios.sys names itself as (what bios-install's behaviour follows). */
    version?: string;
  } = {},
): Promise<{
  dir: string;
  stages: Uint8Array;
  biosCd: Uint8Array;
  biosSys: Uint8Array;
  bootX64: Uint8Array;
}> {
  await mkdir(dir, { recursive: true });
  const stages = parts.stages ?? syntheticStages();
  const biosCd = parts.biosCd ?? patternBytes(2048, 21);
  const biosSys = parts.biosSys ?? withVersionString(patternBytes(40_000, 22), parts.version ?? '8.2.0');
  const bootX64 = parts.bootX64 ?? patternBytes(3000, 23);
  await writeFile(join(dir, 'limine-bios-hdd.h'), cArrayHeader(stages));
  await writeFile(join(dir, 'limine-bios-cd.bin'), biosCd);
  await writeFile(join(dir, 'limine-bios.sys'), biosSys);
  await writeFile(join(dir, 'BOOTX64.EFI'), bootX64);
  if (parts.bootIa32) await writeFile(join(dir, 'BOOTIA32.EFI'), parts.bootIa32);
  const uefiCd = join(dir, 'limine-uefi-cd.bin');
  await tool('mformat', ['-C', '-i', uefiCd, '-f', '1440', '::']);
  await tool('mmd', ['-i', uefiCd, '::/EFI', '::/EFI/BOOT']);
  await tool('mcopy', ['-i', uefiCd, join(dir, 'BOOTX64.EFI'), '::/EFI/BOOT/BOOTX64.EFI']);
  return { dir, stages, biosCd, biosSys, bootX64 };
}

/** `bytes` with Limine's `"Limine " LIMINE_VERSION` string (NUL-terminated) placed in its middle. */
export function withVersionString(bytes: Uint8Array, version: string): Uint8Array {
  const text = new TextEncoder().encode(`Limine ${version}\0`);
  const out = bytes.slice();
  out.set(text, Math.floor((bytes.length - text.length) / 2));
  return out;
}

/** Runs an oracle tool; fails the test with its output when it exits non-zero (unless `allowFailure`). */
export async function tool(command: string, args: string[], options: { allowFailure?: boolean } = {}) {
  const result = await execa(command, args, {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: 60_000,
    env: { TZ: 'UTC', LC_ALL: 'C' },
  });
  if (!options.allowFailure && result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.exitCode}:\n${result.all}`);
  }
  return result;
}

/**
 * Assembles a fixture with nasm -f bin into `out` (never /dev/null: nasm deletes its output on error).
 * `%include` finds files next to the source (nasm itself searches only the current directory and `-i`).
 */
export async function nasmBin(source: string, out: string): Promise<void> {
  await tool('nasm', ['-f', 'bin', '-i', `${dirname(source)}/`, '-o', out, source]);
}

export const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

export function sample(path: string, data: Uint8Array): ImageFile {
  return { path, data };
}

export async function writeBytes(path: string, data: Uint8Array): Promise<string> {
  await writeFile(path, data);
  return path;
}

/** A .tar.gz (made by tar-stream) holding `entries`: files with mode 0644, directories with 0755. */
export async function tarball(
  entries: Array<{ name: string; data?: Uint8Array; type?: 'directory' | 'file' }>,
): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    if (entry.type === 'directory') pack.entry({ name: entry.name, type: 'directory', mode: 0o755 });
    else pack.entry({ name: entry.name, mode: 0o644 }, Buffer.from(entry.data ?? new Uint8Array(0)));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/**
 * The smallest kernel the loaders accept: an ELF64 x86-64 ET_EXEC with one R+X PT_LOAD at 0xffffffff80000000
 * holding `payload` (the entry is its first byte).
 */
export function minimalKernelElf(payload: Uint8Array): Uint8Array {
  const elf = new Uint8Array(0x1000 + payload.length);
  const view = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 62, true); // EM_X86_64
  view.setUint32(20, 1, true);
  view.setBigUint64(24, 0xffffffff80000000n, true);
  view.setBigUint64(32, 64n, true); // e_phoff
  view.setUint16(52, 64, true);
  view.setUint16(54, 56, true);
  view.setUint16(56, 1, true);
  view.setUint32(64, 1, true); // PT_LOAD
  view.setUint32(68, 5, true); // R + X
  view.setBigUint64(64 + 8, 0x1000n, true);
  view.setBigUint64(64 + 16, 0xffffffff80000000n, true);
  view.setBigUint64(64 + 24, 0x1000n, true);
  view.setBigUint64(64 + 32, BigInt(payload.length), true);
  view.setBigUint64(64 + 40, BigInt(payload.length), true);
  view.setBigUint64(64 + 48, 0x1000n, true);
  elf.set(payload, 0x1000);
  return elf;
}
