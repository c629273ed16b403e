/** Where `ostool limine fetch` finds each Limine release layout (binary branch tags up to 11.x, release assets from 12). */
import { describe, expect, it } from 'vitest';
import { PINNED_RELEASES, limineReleaseUrl } from '../../src/image/limine.js';

describe('Limine release URLs', () => {
  it('uses the vN.x-binary branch tag tarball for 8.x to 11.x', () => {
    expect(limineReleaseUrl('8.2.0')).toBe(
      'https://github.com/limine-bootloader/limine/archive/refs/tags/v8.2.0-binary.tar.gz',
    );
    expect(limineReleaseUrl('11.4.1')).toBe(
      'https://github.com/limine-bootloader/limine/archive/refs/tags/v11.4.1-binary.tar.gz',
    );
  });

  it('uses the unsuffixed limine-binary.tar.gz release asset from 12.0.2 on', () => {
    expect(limineReleaseUrl('12.5.1')).toBe(
      'https://github.com/Limine-Bootloader/Limine/releases/download/v12.5.1/limine-binary.tar.gz',
    );
  });

  it('knows no URL for 12.0.0/12.0.1 (suffixed asset names) or a malformed version', () => {
    expect(limineReleaseUrl('12.0.1')).toBeUndefined();
    expect(limineReleaseUrl('latest')).toBeUndefined();
  });

  it('offers the newest release of every major series from 8 to 12', () => {
    expect(Object.keys(PINNED_RELEASES)).toEqual(['8.7.0', '9.6.7', '10.8.5', '11.4.1', '12.5.1']);
  });
});
