import { readCacheFile, writeCacheFile } from '../cache-file.js';
import { constants, accessSync } from 'node:fs';
import { hostname, homedir, release } from 'node:os';
import { join } from 'node:path';

export type Accel = 'kvm' | 'tcg';
export type AccelRequest = 'auto' | Accel;

/** The outcome of one timed probe boot. */
export interface ProbeBoot {
  passed: boolean;
  durationMs: number;
}

/** The cached decision for `--accel auto` on this machine. */
export interface KvmProbeRecord {
  key: string;
  accel: Accel;
  reason: string;
  kvmMs: number | null;
  tcgMs: number | null;
  measuredAt: string;
  /**
   * Whether KVM boots the probe at all within KVM_BOOTS_TIMEOUT_SECONDS, measured by kvmBoots only when
   * the speed probe's KVM boot did not finish (slow is not broken: nested KVM can be ~30x slower).
   */
  kvmBoots?: ProbeBoot;
}

/**
 * How long the KVM probe boot may take. A BIOS boot sector finishes in well under a second under TCG;
 * under a broken nested hypervisor KVM is ~50x slower or hangs, which this bound turns into a quick "no".
 */
export const KVM_PROBE_TIMEOUT_SECONDS = 3;
export const TCG_PROBE_TIMEOUT_SECONDS = 20;
/** How long a probe boot may take under KVM when the question is whether KVM works, not whether it is faster. */
export const KVM_BOOTS_TIMEOUT_SECONDS = 60;

export interface ChooseAccelOptions {
  requested: AccelRequest;
  /** Identifies the QEMU build in the cache key (its binary's path, size and modification time). */
  qemuVersion: string;
  /** Boots the probe image once under the given accelerator; injected so the decision logic stays testable. */
  bootProbe: (accel: Accel, timeoutSeconds: number) => Promise<ProbeBoot>;
  env?: Record<string, string | undefined>;
  /** Ignore a cached decision and measure again. */
  reprobe?: boolean;
  /** Defaults to checking that /dev/kvm is readable and writable. */
  kvmDeviceUsable?: () => boolean;
}

/** Picks the accelerator. `auto` uses a measured, cached probe: /dev/kvm existing says nothing about KVM working. */
export async function chooseAccel(
  options: ChooseAccelOptions,
): Promise<{ accel: Accel; reason: string; fromCache: boolean }> {
  if (options.requested === 'tcg') return { accel: 'tcg', reason: 'TCG requested', fromCache: false };
  if (options.requested === 'kvm') return { accel: 'kvm', reason: 'KVM requested', fromCache: false };
  const usable = options.kvmDeviceUsable ?? kvmDeviceUsable;
  if (!usable())
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible, using TCG', fromCache: false };

  const env = options.env ?? process.env;
  const cacheFile = kvmProbeCacheFile(env);
  const key = probeCacheKey(options.qemuVersion);
  if (!options.reprobe) {
    const cached = readProbeRecord(cacheFile);
    if (cached && cached.key === key)
      return {
        accel: cached.accel,
        reason: `${cached.reason} (cached ${cached.measuredAt})`,
        fromCache: true,
      };
  }
  const record = await measureKvm(options.bootProbe, key);
  writeProbeRecord(cacheFile, record);
  return { accel: record.accel, reason: record.reason, fromCache: false };
}

/**
 * Whether KVM boots guests here at all, for what only KVM offers (features TCG lacks, such as x2APIC):
 * the `auto` probe's record (cached or measured) answers when its KVM boot finished; otherwise one more
 * probe boot with a generous bound tells slow from broken, and its outcome is cached in the same record.
 */
export async function kvmBoots(
  options: Omit<ChooseAccelOptions, 'requested'>,
): Promise<{ boots: boolean; reason: string }> {
  const usable = options.kvmDeviceUsable ?? kvmDeviceUsable;
  if (!usable()) return { boots: false, reason: '/dev/kvm is missing or not accessible' };
  const env = options.env ?? process.env;
  const cacheFile = kvmProbeCacheFile(env);
  const key = probeCacheKey(options.qemuVersion);
  let record = options.reprobe ? undefined : readProbeRecord(cacheFile);
  if (!record || record.key !== key) {
    record = await measureKvm(options.bootProbe, key);
    writeProbeRecord(cacheFile, record);
  }
  if (record.kvmMs !== null)
    return { boots: true, reason: `the KVM probe boot took ${Math.round(record.kvmMs)} ms` };
  if (!record.kvmBoots) {
    record = { ...record, kvmBoots: await options.bootProbe('kvm', KVM_BOOTS_TIMEOUT_SECONDS) };
    writeProbeRecord(cacheFile, record);
  }
  return describeKvmBoots(record.kvmBoots!);
}

/** The words for kvmBoots' long probe, separated so they can be tested with made-up outcomes. */
export function describeKvmBoots(boot: ProbeBoot): { boots: boolean; reason: string } {
  return boot.passed
    ? {
        boots: true,
        reason: `KVM works but slowly: the probe boot took ${Math.round(boot.durationMs)} ms (nested virtualisation?)`,
      }
    : { boots: false, reason: `the KVM probe boot did not finish within ${KVM_BOOTS_TIMEOUT_SECONDS} s` };
}

/** Boots the probe under TCG and KVM and prefers KVM only when it passed and was not slower. */
export async function measureKvm(
  bootProbe: ChooseAccelOptions['bootProbe'],
  key: string,
): Promise<KvmProbeRecord> {
  const tcg = await bootProbe('tcg', TCG_PROBE_TIMEOUT_SECONDS);
  const kvm = await bootProbe('kvm', KVM_PROBE_TIMEOUT_SECONDS);
  return {
    key,
    ...decideAccel(tcg, kvm),
    kvmMs: kvm.passed ? kvm.durationMs : null,
    tcgMs: tcg.passed ? tcg.durationMs : null,
    measuredAt: new Date().toISOString(),
  };
}

/** The decision rule, separated from the measuring so it can be tested with made-up timings. */
export function decideAccel(tcg: ProbeBoot, kvm: ProbeBoot): { accel: Accel; reason: string } {
  const ms = (boot: ProbeBoot) => `${Math.round(boot.durationMs)} ms`;
  if (!kvm.passed) {
    return {
      accel: 'tcg',
      reason: `KVM probe boot did not finish within ${KVM_PROBE_TIMEOUT_SECONDS} s (TCG: ${tcg.passed ? ms(tcg) : 'failed too'}), using TCG`,
    };
  }
  if (!tcg.passed)
    return { accel: 'kvm', reason: `KVM probe boot took ${ms(kvm)} and TCG's failed, using KVM` };
  if (kvm.durationMs <= tcg.durationMs)
    return { accel: 'kvm', reason: `KVM probe boot took ${ms(kvm)} vs ${ms(tcg)} under TCG, using KVM` };
  return {
    accel: 'tcg',
    reason: `KVM probe boot took ${ms(kvm)} vs ${ms(tcg)} under TCG (KVM slower: nested virtualisation?), using TCG`,
  };
}

/** One decision per machine, kernel and QEMU build: any of them changing can change the answer. */
export function probeCacheKey(qemuVersion: string): string {
  return `${hostname()}|${release()}|${qemuVersion}`;
}

export function kvmProbeCacheFile(env: Record<string, string | undefined> = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cacheHome, 'ostool', 'kvm-probe');
}

/** The cached decision, or undefined when there is none or the file fails its checksum (then it is re-measured). */
export function readProbeRecord(file: string): KvmProbeRecord | undefined {
  const payload = readCacheFile(file);
  if (!payload) return undefined;
  try {
    const record = JSON.parse(new TextDecoder().decode(payload)) as KvmProbeRecord;
    return (record.accel === 'kvm' || record.accel === 'tcg') && typeof record.key === 'string'
      ? record
      : undefined;
  } catch {
    return undefined;
  }
}

export function writeProbeRecord(file: string, record: KvmProbeRecord): void {
  try {
    writeCacheFile(file, `${JSON.stringify(record, null, 2)}\n`);
  } catch {
    // A read-only cache only costs a re-probe next time.
  }
}

export function kvmDeviceUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
