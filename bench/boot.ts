/**
 * `npm run bench:boot`: how long a boot takes, all in one run, on the repo kernel's test suite (`test` on its
 * command line): QEMU start -> the first kernel serial line, and -> the verdict (QEMU's exit after the kernel
 * wrote isa-debug-exit), for the direct loader on q35 and on `-M microvm` (no PCI, ACPI or HPET there: no
 * framebuffer, no I/O APIC, and the kernel's PIT fallback miscalibrates, so several tests fail; the timing counts) and on q35 with QEMU's qboot instead of SeaBIOS (it assigns no PCI
 * BARs: no framebuffer either), the built-in UEFI loader from an ISO under OVMF, and real Limine
 * (UEFI, ISO) when `--limine DIR|TARBALL` is given; then `ostool test` as users run it with a warm build cache.
 * Prints best and median wall time over BENCH_RUNS runs (default 5), best CPU time, peak RSS, the core count and
 * the load average (on a shared machine every number scales with it). Targets from the issue: `ostool test`
 * <= 0.5 s wall under TCG, first serial line <= 0.1 s after QEMU starts.
 *   node --import tsx bench/boot.ts [--limine DIR|TARBALL]
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDirectBoot, buildKernelImage, repoKernelProject } from '../src/build/index.js';
import {
  buildQemuArgs,
  findOvmf,
  qemuCommand,
  testCmdline,
  type DirectBoot,
  type QemuPlan,
} from '../src/qemu/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const limineIndex = process.argv.indexOf('--limine');
const LIMINE = limineIndex >= 0 ? process.argv[limineIndex + 1] : undefined;
const TIMEOUT_MS = 120_000;
const ROOT = new URL('..', import.meta.url).pathname;

interface Run {
  firstLine: number;
  verdict: number;
  cpu: number;
  rssMiB: number;
  exitCode: number | null;
}

/** One QEMU run under GNU time: seconds to the first serial line and to QEMU's exit, CPU time, peak RSS. */
function timeQemu(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstLine = NaN;
    let stderr = '';
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', qemuCommand(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      if (Number.isNaN(firstLine) && chunk.includes(10)) firstLine = (performance.now() - started) / 1000;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const verdict = (performance.now() - started) / 1000;
      const last = stderr.trim().split('\n').pop() ?? '';
      const status = /Command exited with non-zero status (\d+)/.exec(stderr);
      const [, user, system, rss] = last.split(' ').map(Number);
      resolve({
        firstLine,
        verdict,
        cpu: (user ?? NaN) + (system ?? NaN),
        rssMiB: (rss ?? NaN) / 1024,
        exitCode: status ? Number(status[1]) : 0,
      });
    });
  });
}

interface Row {
  name: string;
  runs: Run[];
  note?: string;
}

const best = (values: number[]) => Math.min(...values);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** QEMU exits with (0x10 << 1) | 1 when the kernel reports that every test passed. */
const verdictWord = (run: Run) =>
  run.exitCode === 33 ? 'pass' : run.exitCode === 35 ? 'fail' : `exit ${run.exitCode}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ostool-bench-boot-'));
  try {
    const project = repoKernelProject();
    const cmdline = testCmdline(undefined);
    const direct = await buildDirectBoot({ project, cmdline });
    const plan = (extra: Partial<QemuPlan>): string[] =>
      buildQemuArgs({
        firmware: 'direct',
        accel: 'tcg',
        memory: '256M',
        headless: true,
        extraArgs: [],
        ...extra,
      });
    const directBoot = (machine: DirectBoot['machine']): string[] =>
      plan({ direct: { loader: direct.loader, files: direct.files, machine } });
    const ovmf = findOvmf({});
    const uefiImage = async (bootloader: 'builtin' | 'limine', name: string) => {
      const image = await buildKernelImage({
        project,
        bootloader,
        limine: bootloader === 'limine' ? LIMINE : undefined,
        media: 'iso',
        cmdline,
        output: join(work, name),
      });
      return image.path;
    };
    const uefiArgs = (image: string): string[] => {
      if (!ovmf.found) throw new Error(ovmf.reason);
      const varsCopy = join(work, 'OVMF_VARS.fd');
      copyFileSync(ovmf.vars, varsCopy);
      return plan({ firmware: 'uefi', image, ovmf: { code: ovmf.code, varsCopy } });
    };

    const rows: Row[] = [];
    const measure = async (name: string, args: () => string[], note?: string) => {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await timeQemu(args()));
      rows.push({ name, runs, note });
    };
    await measure('direct, q35', () => directBoot('q35'));
    await measure(
      'direct, microvm',
      () => directBoot('microvm'),
      'no PCI, ACPI or HPET: the console, I/O APIC and timing tests fail',
    );
    // QEMU's qboot instead of SeaBIOS on q35: quicker, but it assigns no PCI BARs, so no framebuffer either.
    await measure(
      'direct, q35 with -bios qboot.rom',
      () => [...directBoot('q35'), '-bios', 'qboot.rom'],
      'qboot assigns no PCI BARs: no framebuffer',
    );
    const builtin = await uefiImage('builtin', 'builtin.iso');
    await measure('built-in UEFI loader, ISO, OVMF', () => uefiArgs(builtin));
    if (LIMINE) {
      const limine = await uefiImage('limine', 'limine.iso');
      await measure('Limine, ISO, OVMF', () => uefiArgs(limine));
    }

    // `ostool test` as users run it: the build cache is warm after the first (unmeasured) run.
    const cli = join(ROOT, 'bin', 'ostool.js');
    const command = [process.execPath, cli, 'test', '--accel', 'tcg'];
    spawnSync(command[0]!, command.slice(1), { cwd: project.root, stdio: 'ignore' });
    const tests: Array<{ wall: number; cpu: number; rss: number; status: number | null }> = [];
    for (let i = 0; i < RUNS; i++) {
      const result = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...command], {
        cwd: project.root,
        encoding: 'utf8',
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const [wall, user, system, rss] = result.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      tests.push({ wall: wall!, cpu: user! + system!, rss: rss! / 1024, status: result.status });
    }

    const seconds = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '-');
    console.log(
      `repo kernel test suite, TCG, 256 MiB, ${RUNS} runs each; ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    console.log('');
    console.log(
      '| boot | first serial line (s, best) | median (s) | verdict (s, best) | median (s) | CPU user+sys (s, best) | peak RSS (MiB) | verdict |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const row of rows) {
      const first = row.runs.map((r) => r.firstLine);
      const verdict = row.runs.map((r) => r.verdict);
      console.log(
        `| ${row.name} | ${seconds(best(first))} | ${seconds(median(first))} | ${seconds(best(verdict))} | ${seconds(median(verdict))} | ${seconds(best(row.runs.map((r) => r.cpu)))} | ${Math.max(...row.runs.map((r) => r.rssMiB)).toFixed(0)} | ${[...new Set(row.runs.map(verdictWord))].join(', ')}${row.note ? ` (${row.note})` : ''} |`,
      );
    }
    const walls = tests.map((t) => t.wall);
    console.log(
      `| \`ostool test\` (direct, warm build cache), whole command | - | - | ${seconds(best(walls))} | ${seconds(median(walls))} | ${seconds(best(tests.map((t) => t.cpu)))} | ${Math.max(...tests.map((t) => t.rss)).toFixed(0)} | ${[...new Set(tests.map((t) => (t.status === 0 ? 'pass' : `exit ${t.status}`)))].join(', ')} |`,
    );
    if (!LIMINE) console.log('\nreal Limine: not measured (pass --limine DIR|TARBALL)');
    const directFirst = best(rows[0]!.runs.map((r) => r.firstLine));
    console.log(
      `\ntargets: \`ostool test\` <= 0.5 s wall (best ${seconds(best(walls))} s: ${best(walls) <= 0.5 ? 'meets' : 'misses'}); ` +
        `first serial line <= 0.1 s after QEMU starts (direct q35 best ${seconds(directFirst)} s: ${directFirst <= 0.1 ? 'meets' : 'misses'})`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
