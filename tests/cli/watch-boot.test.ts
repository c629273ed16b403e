import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { processesMentioning } from '../qemu/boot-images.js';

/**
 * `ostool run --watch` end to end, as a user works: an `ostool init` project boots, an edit to its source
 * rebuilds and reboots it with the new code, and Ctrl-C ends the watch with the shell's status 130 and no
 * QEMU left behind.
 */
const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'ostool-watch-boot-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function waitFor(read: () => string, pattern: RegExp, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(read())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${read()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

describe('ostool run --watch', () => {
  it('boots, reboots the edited kernel after a change, and stops on Ctrl-C with status 130', async () => {
    const project = join(work, 'kernel');
    await execa('node', [ostool, 'init', project, '--template', 'asm'], { stdin: 'ignore' });
    const source = join(project, 'src', 'kernel.asm');
    expect(readFileSync(source, 'utf8')).toContain('Hello from your ostool kernel!');

    const watch = execa(
      'node',
      [ostool, 'run', '--watch', '--headless', '--accel', 'tcg', '--timeout', '60'],
      {
        cwd: project,
        reject: false,
        stdin: 'ignore',
        all: true,
      },
    );
    let output = '';
    watch.all!.on('data', (chunk: Buffer) => (output += chunk.toString().replace(/\r/g, '')));
    const read = () => output;
    try {
      await waitFor(read, /Hello from your ostool kernel!\n[^]*ostool: pass: /, 'the first boot', 90_000);
      await waitFor(read, /watching for changes/, 'the watch to start', 10_000);

      writeFileSync(
        source,
        readFileSync(source, 'utf8').replace('Hello from your ostool kernel!', 'Hello again, edited kernel!'),
      );
      await waitFor(read, /change detected: rebuilding/, 'the rebuild', 20_000);
      await waitFor(read, /Hello again, edited kernel!\n[^]*ostool: pass: /, 'the second boot', 90_000);
      await waitFor(read, /watching for changes[^]*watching for changes/, 'the watch to resume', 10_000);
    } finally {
      watch.kill('SIGINT');
    }
    const result = await watch;
    expect(result.exitCode, output).toBe(130);
    expect(output.match(/^\s+asm src\/kernel\.asm$/gm)).toHaveLength(2);
    expect(processesMentioning(project)).toEqual([]);
  }, 240_000);
});
