/**
 * Kernel benchmarks: boots the kernel with `bench` on its command line (src/kernel/bench/bench.asm),
 * which measures cycles per operation with rdtsc (median of 15 rounds of 1000 operations): frames, heap
 * and paging (with interrupts off), IRQ entry/exit (`int` through the shared stub to a null handler),
 * context_switch_pair (yield to a thread that yields straight back: two switches with FPU state) and
 * syscall_null_roundtrip (getpid from ring 3, syscall to sysret, timed in user mode). It repeats the
 * boot RUNS times under TCG (and once under KVM with --kvm, for machines where KVM works; nested KVM
 * on CI machines hangs under OVMF), and prints the median of the runs next to the targets.
 *   node --import tsx bench/kernel.ts [runs] [--kvm]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildKernelImage } from '../src/build/index.js';
import { runImage, STATUS_PASS } from '../src/qemu/index.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const args = process.argv.slice(2);
const RUNS = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 5);
const WITH_KVM = args.includes('--kvm');
const KVM_TIMEOUT_MS = 30_000;
/** Cycle targets from the issue, per benchmark line. */
const TARGETS: Record<string, number> = {
  frame_alloc_free: 100,
  kmalloc_kfree_32_warm: 200,
  kmalloc_kfree_256_warm: 200,
  kmalloc_kfree_32_batch: 200,
  kmalloc_kfree_256_batch: 200,
};

async function bootBench(image: string, accel: 'tcg' | 'kvm'): Promise<Map<string, number>> {
  const run = await runImage({
    image,
    firmware: 'uefi',
    accel,
    headless: true,
    memory: '256M',
    timeoutSeconds: (accel === 'kvm' ? KVM_TIMEOUT_MS : 120_000) / 1000,
    ovmfCode: OVMF_CODE,
    ovmfVars: OVMF_VARS,
  });
  if (run.status !== STATUS_PASS) throw new Error(`${accel}: ${run.reason}`);
  const samples = new Map<string, number>();
  for (const line of run.serial.split('\n')) {
    const match = /^bench (\S+) (\d+)$/.exec(line.trim());
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-bench-kernel-'));
  try {
    const image = await buildKernelImage({
      bootloader: 'builtin',
      media: 'iso',
      cmdline: 'bench log=warn',
      output: join(work, 'bench.iso'),
    });
    process.stdout.write(`kernel built with ${image.kernel.toolchain}; ${RUNS} TCG boots\n`);
    const runs: Array<Map<string, number>> = [];
    for (let run = 0; run < RUNS; run++) runs.push(await bootBench(image.path, 'tcg'));
    let kvm: Map<string, number> | string = 'pass --kvm to try it';
    if (WITH_KVM) {
      try {
        kvm = await bootBench(image.path, 'kvm');
      } catch (error) {
        kvm = error instanceof Error ? error.message : String(error);
      }
    }
    const names = [...runs[0]!.keys()];
    const rows = names.map((name) => {
      const tcg = median(runs.map((samples) => samples.get(name) ?? NaN));
      const target = TARGETS[name];
      const kvmCycles = typeof kvm === 'string' ? '-' : String(kvm.get(name) ?? '-');
      const verdict =
        target === undefined
          ? ''
          : `${tcg <= target ? 'meets' : 'misses'} < ${target} (${(tcg / target).toFixed(2)}x)`;
      return [name, String(tcg), kvmCycles, verdict];
    });
    const header = ['operation', 'TCG cycles/op (median)', 'KVM cycles/op', 'target'];
    const widths = header.map((title, column) =>
      Math.max(title.length, ...rows.map((row) => row[column]!.length)),
    );
    const format = (row: string[]) =>
      `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
    process.stdout.write(
      `${format(header)}\n|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|\n${rows.map(format).join('\n')}\n`,
    );
    if (typeof kvm === 'string') process.stdout.write(`KVM: not measured (${kvm})\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
