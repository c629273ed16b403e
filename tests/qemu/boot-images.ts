import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBootDisk, type BootSectorEnding } from '../../src/qemu/index.js';

/** A temp folder for one test file's boot images; `cleanup()` in afterAll. */
export function bootImageDir(): {
  dir: string;
  write: (name: string, message: string, ending: BootSectorEnding) => string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'ostool-qemu-test-'));
  return {
    dir,
    write(name, message, ending) {
      const path = join(dir, name);
      writeFileSync(path, buildBootDisk(message, ending));
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const PASS: BootSectorEnding = { kind: 'exit', value: 0x10 };
export const FAIL: BootSectorEnding = { kind: 'exit', value: 0x11 };
export const HANG: BootSectorEnding = { kind: 'hang' };
export const TRIPLE_FAULT: BootSectorEnding = { kind: 'triple-fault' };

/** PIDs of live QEMU processes whose command line mentions `needle` (a unique temp path): finds orphans. */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      const program = cmdline.split('\0')[0] ?? '';
      if (program.includes('qemu-system') && cmdline.includes(needle) && state !== 'Z')
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
