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

/**
 * A flattened device tree built by hand (no dtc here): root { memory@0 { reg }; chosen { reg } }.
 * memoryNode is the byte range of the memory node's tokens, which the loader must NOP out.
 */
export const TREE_DTB = (() => {
  const words: number[] = [];
  const token = (value: number) => words.push(value);
  const name = (text: string) => {
    const bytes = Buffer.alloc(Math.ceil((text.length + 1) / 4) * 4);
    bytes.write(text, 'latin1');
    for (let i = 0; i < bytes.length; i += 4) words.push(bytes.readUInt32BE(i));
  };
  const structOffset = 40 + 16;
  token(1);
  name('');
  const memoryStart = structOffset + words.length * 4;
  token(1);
  name('memory@0');
  token(3);
  token(4);
  token(0);
  token(0x10000000);
  token(2);
  const memoryEnd = structOffset + words.length * 4;
  token(1);
  name('chosen');
  token(3);
  token(4);
  token(0);
  token(0x1234);
  token(2);
  token(2);
  token(9);
  const structBytes = words.length * 4;
  const strings = Buffer.from('reg\0', 'latin1');
  const total = structOffset + structBytes + strings.length;
  const blob = Buffer.alloc(total);
  const header = [
    0xd00dfeed,
    total,
    structOffset,
    structOffset + structBytes,
    40,
    17,
    16,
    0,
    strings.length,
    structBytes,
  ];
  header.forEach((value, i) => blob.writeUInt32BE(value, i * 4));
  words.forEach((value, i) => blob.writeUInt32BE(value >>> 0, structOffset + i * 4));
  strings.copy(blob, structOffset + structBytes);
  return { blob: new Uint8Array(blob), memoryNode: [memoryStart, memoryEnd] as const };
})();
