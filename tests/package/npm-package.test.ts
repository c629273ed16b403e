/**
 * The npm package as a user gets it: packed, installed globally into a temporary prefix with no install scripts
 * and no network (the runtime dependencies travel bundled in the tarball), then `ostool --version`,
 * `ostool init` and `ostool test` in an empty directory whose PATH has no nasm, ld or gcc.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ostool-npm-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A PATH with node and QEMU only (and setpriv, which the runner uses when present). */
function minimalPath(): string {
  const bin = join(work, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['node', 'qemu-system-x86_64', 'setpriv']) {
    const found = (process.env.PATH ?? '')
      .split(':')
      .map((dir) => join(dir, tool))
      .find((path) => existsSync(path));
    if (found) symlinkSync(found, join(bin, tool));
  }
  return `${join(work, 'prefix', 'bin')}:${bin}`;
}

const built = existsSync(join(repo, 'dist', 'cli', 'main.js'));
let tarball = '';

beforeAll(async () => {
  if (!built) return;
  // dist/ is what `make test` just built; packing without scripts keeps prepack from rewriting it under other tests.
  await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: repo });
  tarball = join(
    work,
    readdirSync(work).find((name) => name.endsWith('.tgz'))!,
  );
  await execa(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      join(work, 'prefix'),
      '--ignore-scripts',
      '--offline',
      '--no-audit',
      '--no-fund',
      tarball,
    ],
    { env: { npm_config_cache: join(work, 'npm-cache') } },
  );
}, 180_000);

describe.skipIf(!built)('the npm package (needs dist/: run make or npm run build first)', () => {
  it('ships the CLI, the loader sources, the templates and the docs, but no tests or TypeScript sources', async () => {
    const { stdout } = await execa('tar', ['tzf', tarball]);
    const files = stdout.split('\n').filter((line) => !line.includes('/node_modules/'));
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/src/loader/main.asm');
    expect(files).toContain('package/templates/asm/ostool.toml');
    expect(files).toContain('package/templates/c/src/kernel.c');
    expect(files).toContain('package/README.md');
    expect(files.filter((file) => file.startsWith('package/tests/') || file.endsWith('.ts'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(manifest.scripts.prepack).toContain('tsc');
  });

  it('installed without scripts or network, runs --version, init and test with no nasm, ld or gcc', async () => {
    const project = join(work, 'empty');
    mkdirSync(project);
    const env = { PATH: minimalPath(), HOME: work, XDG_CACHE_HOME: join(work, 'cache') };
    const run = (...args: string[]) =>
      execa('ostool', args, { cwd: project, env, extendEnv: false, reject: false });
    const version = await run('--version');
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version);
    const init = await run('init');
    expect(init.exitCode, init.stderr).toBe(0);
    expect(existsSync(join(project, 'ostool.toml'))).toBe(true);
    expect(existsSync(join(project, '.gitignore'))).toBe(true);
    const test = await run('test', '--accel', 'tcg', '--timeout', '90');
    expect(test.exitCode, `${test.stdout}\n${test.stderr}`).toBe(0);
    expect(test.stderr).toMatch(/✓ math: 6 \* 7 is 42/);
    expect(test.stderr).toMatch(/tests: 1 passed, 0 failed/);
  }, 180_000);
});
