import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { bootImageDir, FAIL, HANG, PASS, processesMentioning, TRIPLE_FAULT } from '../qemu/boot-images.js';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const images = bootImageDir();
afterAll(images.cleanup);

function test(image: string, extra: string[] = []) {
  return execa(
    'node',
    [ostool, 'test', '--image', image, '--firmware', 'bios', '--timeout', '5', '--accel', 'tcg', ...extra],
    { reject: false, stdin: 'ignore' },
  );
}

const allPass =
  'boot log line\r\nTAP version 13\r\n1..2\r\nok 1 - pmm: frees\r\nok 2 - heap: grows\r\n# tests 2, passed 2, failed 0\r\n';

describe('ostool test', () => {
  it('exits 0 and prints progress and a summary when every planned test passes', async () => {
    const result = await test(images.write('pass.img', allPass, PASS));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/running 2 tests\n\s+✓ pmm: frees.*\n\s+✓ heap: grows/);
    expect(result.stderr).toMatch(/tests: 2 passed, 0 failed, 0 ignored \(2 planned\) in /);
  });

  it('exits 1 with the failing test and its diagnostics when the kernel reports failure', async () => {
    const result = await test(
      images.write(
        'fail.img',
        '1..2\nok 1 - a\nnot ok 2 - heap: leaks\n# heap.asm:12: expected 0, actual 8\n# tests 2, passed 1, failed 1\n',
        FAIL,
      ),
    );
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/✗ heap: leaks.*\n\s+heap\.asm:12: expected 0, actual 8/);
  });

  it('exits 1 when the kernel exits with success but reported a failing test', async () => {
    const result = await test(images.write('liar.img', '1..1\nnot ok 1 - a\n', PASS));
    expect(result.exitCode).toBe(1);
  });

  it('exits 1 when the kernel exits with success but reported fewer tests than its plan', async () => {
    const result = await test(images.write('short.img', '1..3\nok 1 - a\nok 2 - b\n', PASS));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('only 2 of 3 planned tests reported');
  });

  it('exits 3 when the kernel crashes during the tests, even though the reported tests passed', async () => {
    const result = await test(images.write('crash.img', '1..2\nok 1 - a\n', TRIPLE_FAULT));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('last serial lines:');
  });

  it('exits 2 when the kernel hangs during the tests, leaving no QEMU behind', async () => {
    const image = images.write('hang.img', '1..2\nok 1 - a\n', HANG);
    const result = await test(image, ['--timeout', '1']);
    expect(result.exitCode).toBe(2);
    expect(processesMentioning(image)).toEqual([]);
  });

  it('writes TAP on stdout with --reporter tap', async () => {
    const result = await test(images.write('tap.img', allPass, PASS), ['--reporter', 'tap']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(0, 4)).toEqual([
      'TAP version 14',
      '1..2',
      'ok 1 - pmm: frees',
      'ok 2 - heap: grows',
    ]);
  });

  it('writes JUnit XML to --output with --reporter junit', async () => {
    const output = join(images.dir, 'reports', 'junit.xml');
    const result = await test(images.write('junit.img', '1..2\nok 1 - a: one\nnot ok 2 - b: two\n', FAIL), [
      '--reporter',
      'junit',
      '--output',
      output,
    ]);
    expect(result.exitCode).toBe(1);
    expect(existsSync(output)).toBe(true);
    const xml = readFileSync(output, 'utf8');
    expect(xml).toContain('<testsuite name="kernel" tests="2" failures="1"');
    expect(xml).toContain('<testcase name="b: two" classname="kernel.b"');
  });

  it('refuses --filter with --image, explaining how the filter reaches the kernel', async () => {
    const result = await test(images.write('filter.img', allPass, PASS), ['--filter', 'heap']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('ostool: error: --filter travels on the kernel command line');
    expect(result.stderr).toContain('"test filter=heap"');
  });
});
