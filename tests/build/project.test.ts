import { describe, expect, it } from 'vitest';
import { parseProject } from '../../src/build/index.js';

const FILE = '/p/ostool.toml';

function error(text: string): string {
  try {
    parseProject(text, FILE);
  } catch (caught) {
    return (caught as Error).message;
  }
  throw new Error('no error');
}

describe('ostool.toml', () => {
  it('reads every section, with paths relative to the file and defaults for what is left out', () => {
    const project = parseProject(
      [
        '[project]',
        'name = "demo"',
        '[build]',
        'sources = ["src/**/*.asm", "src/*.c"]',
        'include = ["inc"]',
        'defines = { DEBUG = "1", FAST = true }',
        'c_flags = ["-O1"]',
        'linker_script = "k.ld"',
        'link_flags = ["--gc-sections", "-z", "max-page-size=0x1000"]',
        '[image]',
        'media = "hdd"',
        'size = "128M"',
        'modules = ["initrd.tar:root"]',
        'cmdline = "log=debug"',
        '[run]',
        'smp = 4',
        'qemu_args = ["-d", "int"]',
        '[test]',
        'success_code = 0x21',
        'failure_code = 0x23',
        'timeout = 30',
      ].join('\n'),
      FILE,
    );
    expect(project.root).toBe('/p');
    expect(project.name).toBe('demo');
    expect(project.build.defines).toEqual({ DEBUG: '1', FAST: '' });
    expect(project.build.sources).toEqual(['src/**/*.asm', 'src/*.c']);
    expect(project.image).toMatchObject({
      media: 'hdd',
      size: '128M',
      bootloader: 'auto',
      cmdline: 'log=debug',
    });
    expect(project.run).toMatchObject({ smp: 4, qemuArgs: ['-d', 'int'] });
    expect(project.test).toMatchObject({ successCode: 0x21, failureCode: 0x23, timeout: 30 });
    expect(project.build.buildDir).toBe('build');
  });

  it('names the file and line of an unknown key, in a table or at the top', () => {
    expect(error('[build]\nsources = ["a.asm"]\n\nsourcse = ["b.asm"]\n')).toMatch(
      /^\/p\/ostool\.toml:4: unknown key `build\.sourcse`/,
    );
    expect(error('[build]\nsources = ["a.asm"]\n[imgae]\nmedia = "iso"\n')).toMatch(
      /^\/p\/ostool\.toml:3: unknown key `imgae`/,
    );
  });

  it('names the file and line of a bad value', () => {
    expect(error('[build]\nsources = ["a.asm"]\n[image]\nmedia = "floppy"\n')).toMatch(
      /^\/p\/ostool\.toml:4: `image\.media` must be iso or hdd \(got "floppy"\)/,
    );
    expect(error('[build]\nsources = ["a.asm"]\n[run]\n\nsmp = 0\n')).toMatch(
      /:5: `run\.smp` must be a whole number/,
    );
    expect(error('[build]\nsources = "a.asm"\n')).toMatch(/:2: `build\.sources` must be an array of strings/);
    expect(error('[build]\nsources = ["a.rs"]\n')).toMatch(/:2: source "a\.rs" is not \.asm, \.c or \.S/);
    expect(error('[build]\nsources = ["a.asm"]\nlink_flags = ["--frobnicate"]\n')).toMatch(
      /:3: unknown link flag "--frobnicate"/,
    );
  });

  it('reports TOML syntax errors with file, line and column', () => {
    expect(error('[build]\nsources = ["a.asm"\n')).toMatch(/^\/p\/ostool\.toml:\d+:\d+: /);
  });
});
