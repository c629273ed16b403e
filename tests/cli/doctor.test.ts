import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findExecutable,
  kvmProbeCacheFile,
  qemuCommand,
  qemuBuildIdentity,
  readProbeRecord,
  writeProbeRecord,
} from '../../src/qemu/index.js';
import { probeCacheKey } from '../../src/qemu/accel.js';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const cacheHomes: string[] = [];
afterAll(() => cacheHomes.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshCacheHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ostool-doctor-'));
  cacheHomes.push(dir);
  return dir;
}

/** A cache home holding a KVM decision for this machine, so a doctor run does not spend seconds probing. */
async function seededCacheHome(reason = 'seeded decision 1234'): Promise<string> {
  const cacheHome = freshCacheHome();
  const version = qemuBuildIdentity(findExecutable(qemuCommand())!);
  mkdirSync(join(cacheHome, 'ostool'), { recursive: true });
  const record = {
    key: probeCacheKey(version!),
    accel: 'tcg' as const,
    reason,
    kvmMs: null,
    tcgMs: 70,
    measuredAt: '2026-01-01T00:00:00.000Z',
  };
  writeProbeRecord(kvmProbeCacheFile({ XDG_CACHE_HOME: cacheHome }), record);
  return cacheHome;
}

function doctor(env: Record<string, string>, cwd?: string) {
  return execa('node', [ostool, 'doctor'], { reject: false, stdin: 'ignore', env, cwd });
}

describe('ostool doctor', () => {
  it('reports node, qemu and ovmf as found on this machine and exits 0', async () => {
    const result = await doctor({ XDG_CACHE_HOME: await seededCacheHome() });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^✓ node: v${process.versions.node}$`, 'm'));
    expect(result.stdout).toMatch(/^✓ qemu: \/\S+qemu-system-x86_64 \(QEMU emulator version [\d.]+/m);
    expect(result.stdout).toMatch(/^✓ ovmf: code \/\S+, vars \/\S+/m);
    expect(result.stdout).toMatch(/^[✓✗] limine: /m);
    expect(result.stdout).toMatch(/^[✓✗] test oracles: /m);
  });

  it('measures KVM against TCG with a probe boot, states the decision and caches it', async () => {
    const cacheHome = freshCacheHome();
    const result = await doctor({ XDG_CACHE_HOME: cacheHome });
    const line = result.stdout.split('\n').find((l) => / kvm: /.test(l));
    expect(line).toBeDefined();
    if (existsSync('/dev/kvm')) {
      expect(line).toMatch(/--accel auto picks (KVM|TCG): .*probe boot/);
      const record = readProbeRecord(kvmProbeCacheFile({ XDG_CACHE_HOME: cacheHome }))!;
      expect(line).toContain(record.reason);
      expect(record.tcgMs).toBeGreaterThan(0);
    } else {
      expect(line).toContain('/dev/kvm missing');
    }
  });

  it.runIf(existsSync('/dev/kvm'))(
    'answers the KVM question from the cache when it was measured before',
    async () => {
      const result = await doctor({ XDG_CACHE_HOME: await seededCacheHome() });
      expect(result.stdout).toMatch(/^✗ kvm: .*picks TCG: seeded decision 1234 \(cached 2026-01-01/m);
    },
  );

  it('exits 1 with ✗ and the fix when the OVMF override points at a missing file', async () => {
    const result = await doctor({
      XDG_CACHE_HOME: await seededCacheHome(),
      OSTOOL_OVMF_CODE: '/nonexistent/OVMF_CODE.fd',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /^✗ ovmf: OVMF code file \/nonexistent\/OVMF_CODE.fd \(from OSTOOL_OVMF_CODE\) does not exist\n\s+fix: /m,
    );
  });

  it('exits 1 with ✗ and the fix when QEMU is missing', async () => {
    const result = await doctor({
      XDG_CACHE_HOME: freshCacheHome(),
      OSTOOL_QEMU: '/nonexistent/qemu-system-x86_64',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^✗ qemu: .*not found.*\n\s+fix: apt install qemu-system-x86/m);
  });

  it('checks the C compiler only where the project has C sources, and requires it there', async () => {
    const projects = freshCacheHome();
    const init = (name: string, template: string) =>
      execa('node', [ostool, 'init', join(projects, name), '--template', template], { stdin: 'ignore' });
    await init('c-kernel', 'c');
    await init('asm-kernel', 'asm');
    const env = { XDG_CACHE_HOME: await seededCacheHome() };

    const asm = await doctor(env, join(projects, 'asm-kernel'));
    expect(asm.stdout).toMatch(/^✓ cc: not needed: the project in \S+ is all assembly$/m);

    const c = await doctor(env, join(projects, 'c-kernel'));
    expect(c.stdout).toMatch(/^✓ cc: \/\S+ \(.+\), for the C sources in /m);

    const noCompiler = await doctor({ ...env, CC: 'no-such-cc' }, join(projects, 'c-kernel'));
    expect(noCompiler.exitCode).toBe(1);
    expect(noCompiler.stdout).toMatch(/^✗ cc: `no-such-cc` not found on PATH; .*\n\s+fix: apt install gcc/m);
    expect(noCompiler.stdout).toMatch(/ostool run cannot work yet: fix cc\.$/m);
  });
});
