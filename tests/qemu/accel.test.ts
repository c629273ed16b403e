import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseAccel,
  decideAccel,
  kvmBoots,
  kvmProbeCacheFile,
  readProbeRecord,
  type Accel,
} from '../../src/qemu/index.js';

let cacheHome: string | undefined;
afterEach(() => cacheHome && rmSync(cacheHome, { recursive: true, force: true }));

/** A probe that reports given timings and counts its boots. */
function fakeProbe(timings: Record<Accel, { passed: boolean; durationMs: number }>) {
  const calls: Accel[] = [];
  return { calls, bootProbe: async (accel: Accel) => (calls.push(accel), timings[accel]) };
}

function freshEnv() {
  cacheHome = mkdtempSync(join(tmpdir(), 'ostool-accel-'));
  return { XDG_CACHE_HOME: cacheHome };
}

/** `--accel auto` on a machine where the (fake) probe finds KVM faster than TCG, with a cache of its own. */
function measuringKvmFaster() {
  const env = freshEnv();
  const probe = fakeProbe({ tcg: { passed: true, durationMs: 90 }, kvm: { passed: true, durationMs: 40 } });
  const options = {
    requested: 'auto' as const,
    qemuVersion: 'QEMU 7.2',
    bootProbe: probe.bootProbe,
    env,
    kvmDeviceUsable: () => true,
  };
  return { env, probe, options };
}

describe('decideAccel', () => {
  it('picks TCG when the KVM probe boot did not finish', () => {
    expect(decideAccel({ passed: true, durationMs: 80 }, { passed: false, durationMs: 3000 })).toMatchObject({
      accel: 'tcg',
    });
  });
  it('picks TCG when KVM finished but slower than TCG (nested virtualisation)', () => {
    const choice = decideAccel({ passed: true, durationMs: 80 }, { passed: true, durationMs: 2500 });
    expect(choice.accel).toBe('tcg');
    expect(choice.reason).toContain('2500 ms vs 80 ms');
  });
  it('picks KVM when it is at least as fast as TCG', () => {
    expect(decideAccel({ passed: true, durationMs: 300 }, { passed: true, durationMs: 60 })).toMatchObject({
      accel: 'kvm',
    });
  });
});

describe('chooseAccel', () => {
  it('does not probe when an accelerator is requested explicitly', async () => {
    const probe = fakeProbe({ tcg: { passed: true, durationMs: 1 }, kvm: { passed: true, durationMs: 1 } });
    expect(
      (await chooseAccel({ requested: 'kvm', qemuVersion: 'q', bootProbe: probe.bootProbe, env: freshEnv() }))
        .accel,
    ).toBe('kvm');
    expect(
      (await chooseAccel({ requested: 'tcg', qemuVersion: 'q', bootProbe: probe.bootProbe, env: freshEnv() }))
        .accel,
    ).toBe('tcg');
    expect(probe.calls).toEqual([]);
  });

  it('uses TCG without probing when /dev/kvm is not usable', async () => {
    const probe = fakeProbe({ tcg: { passed: true, durationMs: 1 }, kvm: { passed: true, durationMs: 1 } });
    const choice = await chooseAccel({
      requested: 'auto',
      qemuVersion: 'q',
      bootProbe: probe.bootProbe,
      env: freshEnv(),
      kvmDeviceUsable: () => false,
    });
    expect(choice.accel).toBe('tcg');
    expect(probe.calls).toEqual([]);
  });

  it('probes once per machine and QEMU build, then answers from the cache file', async () => {
    const { env, probe, options } = measuringKvmFaster();
    const first = await chooseAccel(options);
    const second = await chooseAccel(options);
    expect(first).toMatchObject({ accel: 'kvm', fromCache: false });
    expect(second).toMatchObject({ accel: 'kvm', fromCache: true });
    expect(probe.calls).toEqual(['tcg', 'kvm']);
    expect(readProbeRecord(kvmProbeCacheFile(env))).toMatchObject({
      accel: 'kvm',
      kvmMs: 40,
      tcgMs: 90,
    });

    await chooseAccel({ ...options, qemuVersion: 'QEMU 9.0' });
    await chooseAccel({ ...options, reprobe: true });
    expect(probe.calls).toHaveLength(6);
  });

  it('measures again when the cached decision is truncated or corrupted', async () => {
    const { env, probe, options } = measuringKvmFaster();
    await chooseAccel(options);
    const file = kvmProbeCacheFile(env);
    const intact = readFileSync(file);
    writeFileSync(file, intact.subarray(0, intact.length - 5));
    expect(await chooseAccel(options)).toMatchObject({ accel: 'kvm', fromCache: false });
    const flipped = readFileSync(file);
    flipped[flipped.length - 3] ^= 0x20;
    writeFileSync(file, flipped);
    expect(await chooseAccel(options)).toMatchObject({ accel: 'kvm', fromCache: false });
    expect(await chooseAccel(options)).toMatchObject({ accel: 'kvm', fromCache: true });
    expect(probe.calls).toEqual(['tcg', 'kvm', 'tcg', 'kvm', 'tcg', 'kvm']);
  });

  it('leaves one intact decision when parallel runs all find the cached one corrupt', async () => {
    const { env, options } = measuringKvmFaster();
    await chooseAccel(options);
    writeFileSync(kvmProbeCacheFile(env), 'not a cache file');
    const choices = await Promise.all(Array.from({ length: 4 }, () => chooseAccel(options)));
    for (const choice of choices) expect(choice).toMatchObject({ accel: 'kvm', fromCache: false });
    expect(readProbeRecord(kvmProbeCacheFile(env))).toMatchObject({ accel: 'kvm', kvmMs: 40, tcgMs: 90 });
    expect(await chooseAccel(options)).toMatchObject({ accel: 'kvm', fromCache: true });
  });
});

describe('kvmBoots (does KVM work at all, however slowly)', () => {
  const base = (
    env: Record<string, string>,
    bootProbe: (accel: Accel, timeout: number) => Promise<{ passed: boolean; durationMs: number }>,
  ) => ({
    qemuVersion: 'QEMU 7.2',
    bootProbe,
    env,
    kvmDeviceUsable: () => true,
  });

  it('answers from the speed probe when its KVM boot finished, with no boot of its own', async () => {
    const env = freshEnv();
    const probe = fakeProbe({ tcg: { passed: true, durationMs: 90 }, kvm: { passed: true, durationMs: 40 } });
    expect((await kvmBoots(base(env, probe.bootProbe))).boots).toBe(true);
    expect(probe.calls).toEqual(['tcg', 'kvm']);
    expect((await kvmBoots(base(env, probe.bootProbe))).boots).toBe(true);
    expect(probe.calls).toHaveLength(2);
  });

  it('tells slow from broken with one long KVM boot, cached in the same record', async () => {
    const env = freshEnv();
    const timeouts: number[] = [];
    const slow = async (accel: Accel, timeout: number) => {
      timeouts.push(timeout);
      if (accel === 'tcg') return { passed: true, durationMs: 500 };
      return timeout > 3 ? { passed: true, durationMs: 15_800 } : { passed: false, durationMs: 3000 };
    };
    const first = await kvmBoots(base(env, slow));
    expect(first).toMatchObject({ boots: true });
    expect(first.reason).toContain('15800 ms');
    expect(timeouts).toEqual([20, 3, 60]);
    expect(readProbeRecord(kvmProbeCacheFile(env))).toMatchObject({
      accel: 'tcg',
      kvmBoots: { passed: true },
    });
    await kvmBoots(base(env, slow));
    expect(timeouts).toHaveLength(3);
  });

  it('says KVM does not work when even the long boot fails, and when /dev/kvm is unusable', async () => {
    const env = freshEnv();
    const broken = async (accel: Accel) => ({ passed: accel === 'tcg', durationMs: 100 });
    const answer = await kvmBoots(base(env, broken));
    expect(answer.boots).toBe(false);
    expect(answer.reason).toContain('did not finish within 60 s');
    const noDevice = await kvmBoots({ ...base(env, broken), kvmDeviceUsable: () => false });
    expect(noDevice).toEqual({ boots: false, reason: '/dev/kvm is missing or not accessible' });
  });
});
