import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findOvmf } from '../../src/qemu/index.js';

const fakeFs =
  (...files: string[]) =>
  (path: string) =>
    files.includes(path);

describe('findOvmf', () => {
  it('prefers the Debian 4M pair over the 2M pair', () => {
    const exists = fakeFs(
      '/usr/share/OVMF/OVMF_CODE.fd',
      '/usr/share/OVMF/OVMF_VARS.fd',
      '/usr/share/OVMF/OVMF_CODE_4M.fd',
      '/usr/share/OVMF/OVMF_VARS_4M.fd',
    );
    expect(findOvmf({ env: {}, exists })).toMatchObject({
      found: true,
      code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
      vars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
    });
  });

  it('finds the Fedora, Arch and QEMU-bundled layouts', () => {
    expect(
      findOvmf({
        env: {},
        exists: fakeFs('/usr/share/edk2/ovmf/OVMF_CODE.fd', '/usr/share/edk2/ovmf/OVMF_VARS.fd'),
      }),
    ).toMatchObject({ found: true, source: 'Fedora edk2-ovmf' });
    expect(
      findOvmf({
        env: {},
        exists: fakeFs('/usr/share/edk2/x64/OVMF_CODE.4m.fd', '/usr/share/edk2/x64/OVMF_VARS.4m.fd'),
      }),
    ).toMatchObject({ found: true, code: '/usr/share/edk2/x64/OVMF_CODE.4m.fd' });
    const bundled = fakeFs(
      '/opt/qemu/share/qemu/edk2-x86_64-code.fd',
      '/opt/qemu/share/qemu/edk2-i386-vars.fd',
    );
    expect(
      findOvmf({ env: {}, exists: bundled, qemuPath: '/opt/qemu/bin/qemu-system-x86_64' }),
    ).toMatchObject({ found: true, vars: '/opt/qemu/share/qemu/edk2-i386-vars.fd' });
  });

  it('never pairs a code file with a vars file of another layout', () => {
    expect(
      findOvmf({ env: {}, exists: fakeFs('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS.fd') })
        .found,
    ).toBe(false);
  });

  it('lets --ovmf-code/--ovmf-vars win over OSTOOL_OVMF_* and the system paths', () => {
    const exists = fakeFs(
      '/a/code.fd',
      '/a/vars.fd',
      '/b/code.fd',
      '/b/vars.fd',
      '/usr/share/OVMF/OVMF_CODE_4M.fd',
      '/usr/share/OVMF/OVMF_VARS_4M.fd',
    );
    const env = { OSTOOL_OVMF_CODE: '/b/code.fd', OSTOOL_OVMF_VARS: '/b/vars.fd' };
    expect(findOvmf({ env, exists })).toMatchObject({ code: '/b/code.fd', vars: '/b/vars.fd' });
    expect(findOvmf({ env, exists, code: '/a/code.fd', vars: '/a/vars.fd' })).toMatchObject({
      code: '/a/code.fd',
      vars: '/a/vars.fd',
    });
  });

  it('reports an override that points at a missing file instead of falling back to the system firmware', () => {
    const exists = fakeFs('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd');
    const lookup = findOvmf({ env: { OSTOOL_OVMF_CODE: '/missing/CODE.fd' }, exists });
    expect(lookup).toMatchObject({ found: false });
    expect(!lookup.found && lookup.reason).toContain(
      '/missing/CODE.fd (from OSTOOL_OVMF_CODE) does not exist',
    );
  });

  it('finds the vars file next to an overridden code file by name', () => {
    expect(
      findOvmf({ env: {}, exists: fakeFs('/fw/OVMF_CODE.fd', '/fw/OVMF_VARS.fd'), code: '/fw/OVMF_CODE.fd' }),
    ).toMatchObject({ found: true, vars: '/fw/OVMF_VARS.fd' });
  });

  it('says how to install OVMF when nothing is found', () => {
    const lookup = findOvmf({ env: {}, exists: () => false });
    expect(!lookup.found && lookup.reason).toMatch(/apt install ovmf/);
  });

  it('finds a pair that really exists on this machine (ovmf is installed by set-up)', () => {
    const lookup = findOvmf({ env: {} });
    expect(lookup.found).toBe(true);
    if (lookup.found) expect(existsSync(lookup.code) && existsSync(lookup.vars)).toBe(true);
  });
});
