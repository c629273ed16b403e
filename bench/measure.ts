/**
 * What bench:link and bench:image share: one command measured as a process, several times, and the machine's
 * description printed with the table (core count, load: other work on a shared machine only ever adds time).
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface Measurement {
  name: string;
  /** Best and median wall time over the runs (s). */
  seconds: number;
  median: number;
  /** Best user + system CPU time (s), children included: steadier than wall time on a shared machine. */
  cpu: number;
  /** Peak resident set of the largest process (MiB). */
  rssMiB: number;
  /** Size of the output file, when one was named. */
  size?: number;
}

export interface MeasureOptions {
  runs: number;
  /** Removed before each run, and its size reported. */
  output?: string;
  env?: NodeJS.ProcessEnv;
  /** Run once first, untimed (to fill caches such as ostool's V8 code cache). */
  warmUp?: boolean;
}

/**
 * Runs `command` under GNU time `runs` times: wall time from this process's clock (ms resolution), CPU time and
 * peak RSS from time's report (the rusage of the command and every process it waited for).
 */
export function measure(name: string, command: string[], options: MeasureOptions): Measurement | undefined {
  const runs: Array<{ seconds: number; cpu: number; rssMiB: number }> = [];
  for (let run = options.warmUp ? -1 : 0; run < options.runs; run++) {
    const started = performance.now();
    const result = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', ...command], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: options.env ?? process.env,
    });
    const seconds = (performance.now() - started) / 1000;
    const report = result.stderr
      .split('\n')
      .reverse()
      .find((line) => line.startsWith('TIME '));
    if (result.status !== 0 || !report) {
      process.stderr.write(`${name} failed: ${result.stderr.split('\n').slice(0, 5).join('\n')}\n`);
      return undefined;
    }
    const [user, system, rss] = report.slice(5).split(' ').map(Number);
    if (run >= 0) runs.push({ seconds, cpu: user! + system!, rssMiB: rss! / 1024 });
  }
  const walls = runs.map((r) => r.seconds).sort((x, y) => x - y);
  return {
    name,
    seconds: walls[0]!,
    median: walls[Math.floor(walls.length / 2)]!,
    cpu: Math.min(...runs.map((r) => r.cpu)),
    rssMiB: Math.max(...runs.map((r) => r.rssMiB)),
    size: options.output ? statSync(options.output).size : undefined,
  };
}

/** One line naming the machine: cores, Node, and the load average when the run started and now. */
export function machineLine(loadAtStart: number[]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  return `machine: ${availableParallelism()} cores, node ${process.version}, load average ${load(loadAtStart)} at start, ${load(loadavg())} at the end`;
}

/**
 * The environment without NODE_EXTRA_CA_CERTS, or undefined when it is not set. Node reads that bundle of
 * certificates at every start (~20 ms on a quiet machine here), before any of the tool's code runs; a user's
 * machine usually does not set it, so the benchmarks time ostool both ways.
 */
export function withoutExtraCaCerts(): NodeJS.ProcessEnv | undefined {
  if (!process.env.NODE_EXTRA_CA_CERTS) return undefined;
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Seconds with a resolution that fits values of a few ms. */
export function secs(value: number): string {
  return value.toFixed(3);
}
