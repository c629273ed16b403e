import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseAccel,
  decideAccel,
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
