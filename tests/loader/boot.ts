/**
 * Test helpers for the built-in loader: build the fixture kernels with the real tools and
 * boot images with ostool's runner (`runImage`: q35, TCG, headless, no network, fresh OVMF
 * vars, a timeout, QEMU killed on every path; status 0 = the guest wrote 0x10 to
 * isa-debug-exit, 1 = it wrote 0x11).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { runImage } from '../../src/qemu/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** runImage statuses. */
export const STATUS_PASS = 0;
export const STATUS_FAIL = 1;

export interface BootResult {
  status: number;
  reason: string;
  serial: string;
  /** Milliseconds from starting QEMU to the first serial output containing `firstLineMarker`. */
  firstLineMs?: number;
}

export interface BootOptions {
  /** A raw disk image or an ISO (`.iso`) file. */
  image: string;
  memory?: string;
  timeoutSeconds?: number;
  extraArgs?: string[];
  firstLineMarker?: string;
}

export async function bootUefi(options: BootOptions): Promise<BootResult> {
  let serial = '';
  let firstLineMs: number | undefined;
  const started = performance.now();
  const result = await runImage({
    image: options.image,
    firmware: 'uefi',
    accel: 'tcg',
    headless: true,
    timeoutSeconds: options.timeoutSeconds ?? 90,
    memory: options.memory ?? '256M',
    extraArgs: options.extraArgs ?? [],
    onSerial: (text) => {
      serial += text;
      if (firstLineMs === undefined && options.firstLineMarker && serial.includes(options.firstLineMarker)) {
        firstLineMs = performance.now() - started;
      }
    },
  });
  return { status: result.status, reason: result.reason, serial: result.serial, firstLineMs };
}

/** Assemble a fixture with nasm and link it with GNU ld and the fixtures' kernel.ld. */
export async function buildAsmKernel(
  work: string,
  source: string,
  defines: string[] = [],
): Promise<Uint8Array> {
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
