import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;

describe('ostool CLI', () => {
  it('lists every command in --help', async () => {
    const { stdout, exitCode } = await execa('node', [ostool, '--help']);
    expect(exitCode).toBe(0);
    for (const name of ['build', 'run', 'test', 'asm', 'link', 'image', 'limine', 'doctor']) {
      expect(stdout).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    }
  });

  it('exits 2 with a clear message on an unknown option', async () => {
    const result = await execa('node', [ostool, '--no-such-option'], { reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-option'");
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('stops quietly when its reader goes away (`ostool link --help | head -c 10`)', async () => {
    const result = await execa('bash', ['-c', `node ${ostool} link --help | head -c 10`], { reject: false });
    expect(result.stdout).toBe('Usage: ost');
    expect(result.stderr).toBe('');
  });

  it('prints the package version', async () => {
    const { stdout } = await execa('node', [ostool, '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
