import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModuleSpec, parseSize, parseSourceDateEpoch } from '../../src/image/cli-options.js';
import { DiskImage, writeImageFile } from '../../src/image/index.js';
import { patternBytes, tempDir } from './helpers.js';

describe('DiskImage', () => {
  it('reads back writes that straddle page boundaries, and zeros everywhere else', () => {
    const image = new DiskImage(1024 * 1024);
    const data = patternBytes(200_000, 91);
    image.write(65_000, data);
    expect(image.read(65_000, data.length)).toEqual(data);
    expect(image.read(0, 65_000).every((byte) => byte === 0)).toBe(true);
    expect(image.read(265_000, 1000).every((byte) => byte === 0)).toBe(true);
    expect(image.allocatedBytes).toBeLessThanOrEqual(5 * 64 * 1024);
  });

  it('keeps shared data as it was when later writes land on its pages, and reads it back like a copy', () => {
    const image = new DiskImage(512 * 1024);
    const data = patternBytes(300_000, 94);
    const original = data.slice();
    image.share(65_000, data);
    const patch = patternBytes(70_000, 95);
    image.write(130_000, patch);
    const expected = new Uint8Array(512 * 1024);
    expected.set(original, 65_000);
    expected.set(patch, 130_000);
    // Buffer comparisons: toEqual walks half a MiB element by element for seconds.
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    expect(same(data, original)).toBe(true);
    expect(same(image.toBytes(), expected)).toBe(true);
    expect(same(image.read(60_000, 400_000), expected.subarray(60_000, 460_000))).toBe(true);
  });

  it('refuses writes past its end', () => {
    expect(() => new DiskImage(4096).write(4000, new Uint8Array(200))).toThrow(/past the image end/);
  });

  it('is written as a sparse file of the full size, with no temporary file left behind', async () => {
    const work = await tempDir();
    try {
      const image = new DiskImage(32 * 1024 * 1024);
      const head = patternBytes(1000, 92);
      const tail = patternBytes(1000, 93);
      image.write(0, head);
      image.write(32 * 1024 * 1024 - 1000, tail);
      const path = join(work.dir, 'disk.img');
      await writeImageFile(image, path);
      const info = await stat(path);
      expect(info.size).toBe(32 * 1024 * 1024);
      expect(info.blocks * 512).toBeLessThan(4 * 1024 * 1024);
      const bytes = new Uint8Array(await readFile(path));
      expect(bytes.subarray(0, 1000)).toEqual(head);
      expect(bytes.subarray(bytes.length - 1000)).toEqual(tail);
      expect(await readdir(work.dir)).toEqual(['disk.img']);
      await expect(writeImageFile(image, join(work.dir, 'missing', 'x.img'))).rejects.toThrow();
      expect(existsSync(join(work.dir, 'missing'))).toBe(false);
    } finally {
      await work.cleanup();
    }
  });
});

describe('image option parsing', () => {
  it('reads sizes with binary K/M/G suffixes', () => {
    expect(parseSize('64M')).toBe(64 * 1024 * 1024);
    expect(parseSize('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('512')).toBe(512);
    expect(() => parseSize('12Q')).toThrow(/--size '12Q'/);
    expect(() => parseSize('-1M')).toThrow(/--size/);
  });

  it('splits FILE:CMDLINE at the first colon', () => {
    expect(parseModuleSpec('initrd.tar')).toEqual({ file: 'initrd.tar' });
    expect(parseModuleSpec('initrd.tar:root=/dev/x a:b')).toEqual({
      file: 'initrd.tar',
      cmdline: 'root=/dev/x a:b',
    });
    expect(() => parseModuleSpec(':x')).toThrow(/no file name/);
  });

  it('accepts SOURCE_DATE_EPOCH only as whole seconds', () => {
    expect(parseSourceDateEpoch(undefined)).toBeUndefined();
    expect(parseSourceDateEpoch('1700000000')).toBe(1_700_000_000);
    expect(() => parseSourceDateEpoch('yesterday')).toThrow(/SOURCE_DATE_EPOCH='yesterday'/);
  });
});
