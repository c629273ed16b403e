/**
 * `npm run bench [asm|link|image|kernel]...`: runs the named benchmarks, or all of them, one after the other.
 * Each runs in its own process so that one's JIT and heap do not colour the next one's figures.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const all = ['asm', 'link', 'image', 'kernel'];
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (choose from ${all.join(', ')})\n`);
  process.exit(2);
}

let failed = 0;
for (const name of requested.length > 0 ? requested : all) {
  process.stdout.write(`\n=== bench:${name} ===\n`);
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
