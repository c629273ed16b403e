/**
 * npm run bench:build — the repo kernel through the build driver: a clean build, an unchanged rebuild in the
 * process (what `ostool run --watch` pays per check; target ≤ 150 ms), and the whole `ostool build` command
 * for an unchanged tree next to bare `node -e 0` start-up, measured in the same run. Prints medians.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildDirectory, buildKernelImage, repoKernelProject } from '../src/build/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const TARGET_MS = 150;

async function median(label: string, body: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const value = times[Math.floor(times.length / 2)]!;
  console.log(
    `  ${label.padEnd(48)} ${value.toFixed(1).padStart(8)} ms   (min ${times[0]!.toFixed(1)}, max ${times.at(-1)!.toFixed(1)})`,
  );
  return value;
}

const project = repoKernelProject();
// A bench directory of its own, so the numbers do not depend on (or disturb) build/.
project.build.buildDir = join(project.build.buildDir, 'bench');
const output = join(buildDirectory(project), 'kernel.iso');
const build = () => buildKernelImage({ project, bootloader: 'builtin', output });

console.log(`repo kernel (${project.build.sources.join(', ')}), ${RUNS} runs each`);
const clean = await median('clean build (asm + link + image)', async () => {
  rmSync(buildDirectory(project), { recursive: true, force: true });
  await build();
});
const unchanged = await median('unchanged rebuild, in process', async () => {
  const built = await build();
  if (built.kernel.compiled.length > 0 || built.kernel.linked || built.written)
    throw new Error('an unchanged rebuild did work');
});
const cli = join(import.meta.dirname, '..', 'bin', 'ostool.js');
const command = await median('`ostool build`, unchanged (whole process)', () => {
  execFileSync('node', [cli, 'build'], { stdio: 'ignore', cwd: project.root });
});
const node = await median('`node -e 0` (start-up alone)', () => {
  execFileSync('node', ['-e', '0'], { stdio: 'ignore' });
});
console.log(
  `unchanged rebuild ${unchanged.toFixed(1)} ms in process (${unchanged <= TARGET_MS ? 'within' : 'over'} the ${TARGET_MS} ms target); ` +
    `the command ${command.toFixed(1)} ms of which node start-up ${node.toFixed(1)} ms; clean build ${clean.toFixed(0)} ms`,
);
