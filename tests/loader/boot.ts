/**
 * Test helpers for the built-in loader: build the fixture kernels with the real tools and
 * boot images under QEMU + OVMF (TCG, headless, no network, fresh OVMF vars, a timeout,
 * QEMU killed on every path).
 *
 * Until `src/qemu`'s runImage() lands this runs QEMU itself with the same conventions
 * (q35, `-device isa-debug-exit,iobase=0xf4,iosize=0x04`: exit 33 = guest wrote 0x10,
 * 35 = guest wrote 0x11).
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
/** QEMU's exit status when the guest writes 0x10 / 0x11 to isa-debug-exit. */
export const EXIT_PASS = 33;
export const EXIT_FAIL = 35;

export interface BootResult {
  exitCode: number | undefined;
  timedOut: boolean;
  serial: string;
  stderr: string;
  /** Milliseconds from spawning QEMU to the first serial line containing `firstLineMarker`. */
  firstLineMs?: number;
}

export interface BootOptions {
  /** A raw disk image file, an ISO file (`.iso`), or a directory served as a FAT disk (vvfat). */
  media: { kind: 'hdd' | 'iso'; file: string } | { kind: 'dir'; dir: string };
  memory?: string;
  timeoutMs?: number;
  extraArgs?: string[];
  firstLineMarker?: string;
}

export async function bootUefi(options: BootOptions): Promise<BootResult> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-loader-boot-'));
  try {
    const vars = join(work, 'vars.fd');
    await copyFile(OVMF_VARS, vars);
    const media = options.media;
    const drive =
      media.kind === 'iso'
        ? ['-drive', `if=none,id=cd,format=raw,readonly=on,file=${media.file}`, '-device', 'ide-cd,drive=cd']
        : media.kind === 'hdd'
          ? ['-drive', `format=raw,file=${media.file}`]
          : ['-drive', `format=raw,file=fat:rw:${media.dir}`];
    const args = [
      '-machine', 'q35', '-accel', 'tcg', '-m', options.memory ?? '256M', '-nic', 'none',
      '-display', 'none', '-no-reboot', '-serial', 'stdio', '-monitor', 'none',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
      '-drive', `if=pflash,format=raw,file=${vars}`,
      ...drive,
      ...(options.extraArgs ?? []),
    ];
    const started = performance.now();
    const child = execa('qemu-system-x86_64', args, {
      stdin: 'ignore',
      reject: false,
      timeout: options.timeoutMs ?? 30_000,
      forceKillAfterDelay: 2_000,
      encoding: 'utf8',
    });
    let serial = '';
    let firstLineMs: number | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      serial += chunk.toString('latin1');
      if (firstLineMs === undefined && options.firstLineMarker && serial.includes(options.firstLineMarker)) {
        firstLineMs = performance.now() - started;
      }
    });
    const result = await child;
    return { exitCode: result.exitCode, timedOut: result.timedOut, serial, stderr: String(result.stderr ?? ''), firstLineMs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Assemble a fixture with nasm and link it with GNU ld and the fixtures' kernel.ld. */
export async function buildAsmKernel(work: string, source: string, defines: string[] = []): Promise<Uint8Array> {
  const object = join(work, `${source}.${defines.join('_') || 'plain'}.o`);
  const elf = join(work, `${source}.${defines.join('_') || 'plain'}.elf`);
  await execa('nasm', ['-f', 'elf64', ...defines.map((d) => `-D${d}`), '-o', object, join(FIXTURES, source)]);
  await execa('ld', ['-z', 'max-page-size=0x1000', '-T', join(FIXTURES, 'kernel.ld'), '-o', elf, object]);
  return new Uint8Array(await readFile(elf));
}

/** "key=value" lines of the test kernels' serial output; repeated keys keep every value. */
export function parseReport(serial: string): Map<string, string[]> {
  const report = new Map<string, string[]>();
  for (const raw of serial.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_.]+)=(.*)$/.exec(raw.trim());
    if (!match) continue;
    const values = report.get(match[1]) ?? [];
    values.push(match[2]);
    report.set(match[1], values);
  }
  return report;
}
