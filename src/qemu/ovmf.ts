import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A UEFI firmware pair for QEMU's two pflash slots: the read-only code and the template for the writable vars. */
export interface OvmfFiles {
  code: string;
  vars: string;
  /** Where the pair came from, for `ostool doctor` and error messages. */
  source: string;
}

export type OvmfLookup = ({ found: true } & OvmfFiles) | { found: false; reason: string; searched: string[] };

export interface FindOvmfOptions {
  /** --ovmf-code / --ovmf-vars; they win over the environment. */
  code?: string;
  vars?: string;
  /** Defaults to process.env; read for OSTOOL_OVMF_CODE / OSTOOL_OVMF_VARS. */
  env?: Record<string, string | undefined>;
  /** Path of the QEMU binary, so QEMU's own `share/qemu/edk2-*` firmware next to it is found too. */
  qemuPath?: string;
  /** Defaults to fs.existsSync; tests pass a fake file system. */
  exists?: (path: string) => boolean;
}

/**
 * Code/vars pairs as distributions install them. A code file only works with the vars file built alongside
 * it (the 4 MiB and 2 MiB layouts differ), so the search is over pairs, never over the two files separately.
 */
export function ovmfCandidatePairs(qemuPath?: string): Array<{ code: string; vars: string; source: string }> {
  const qemuShareDirs = [
    ...(qemuPath ? [join(dirname(dirname(qemuPath)), 'share/qemu')] : []),
    '/usr/share/qemu',
    '/usr/local/share/qemu',
    '/opt/homebrew/share/qemu',
    '/home/linuxbrew/.linuxbrew/share/qemu',
  ];
  const pairs = [
    {
      code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
      vars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
      source: 'Debian/Ubuntu ovmf',
    },
    {
      code: '/usr/share/OVMF/OVMF_CODE.fd',
      vars: '/usr/share/OVMF/OVMF_VARS.fd',
      source: 'Debian/Ubuntu ovmf',
    },
    {
      code: '/usr/share/edk2/ovmf/OVMF_CODE.fd',
      vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd',
      source: 'Fedora edk2-ovmf',
    },
    {
      code: '/usr/share/edk2/x64/OVMF_CODE.4m.fd',
      vars: '/usr/share/edk2/x64/OVMF_VARS.4m.fd',
      source: 'Arch edk2-ovmf',
    },
    {
      code: '/usr/share/edk2/x64/OVMF_CODE.fd',
      vars: '/usr/share/edk2/x64/OVMF_VARS.fd',
      source: 'Arch edk2-ovmf',
    },
    {
      code: '/usr/share/edk2-ovmf/x64/OVMF_CODE.fd',
      vars: '/usr/share/edk2-ovmf/x64/OVMF_VARS.fd',
      source: 'Arch edk2-ovmf (old layout)',
    },
  ];
  for (const dir of qemuShareDirs) {
    const source =
      dir.includes('homebrew') || dir.includes('linuxbrew') ? 'Homebrew qemu' : "QEMU's own edk2";
    pairs.push({ code: join(dir, 'edk2-x86_64-code.fd'), vars: join(dir, 'edk2-i386-vars.fd'), source });
  }
  return dedupeByCode(pairs);
}

/** Finds the OVMF pair: explicit options, then OSTOOL_OVMF_CODE/OSTOOL_OVMF_VARS, then the distribution paths. */
export function findOvmf(options: FindOvmfOptions = {}): OvmfLookup {
  const env = options.env ?? process.env;
  const exists = options.exists ?? existsSync;
  const code = options.code ?? env.OSTOOL_OVMF_CODE;
  const vars = options.vars ?? env.OSTOOL_OVMF_VARS;
  const codeFrom = options.code ? '--ovmf-code' : 'OSTOOL_OVMF_CODE';
  const varsFrom = options.vars ? '--ovmf-vars' : 'OSTOOL_OVMF_VARS';
  const candidates = ovmfCandidatePairs(options.qemuPath);

  if (code !== undefined || vars !== undefined) {
    if (code !== undefined && !exists(code)) {
      return {
        found: false,
        reason: `OVMF code file ${code} (from ${codeFrom}) does not exist`,
        searched: [code],
      };
    }
    if (vars !== undefined && !exists(vars)) {
      return {
        found: false,
        reason: `OVMF vars file ${vars} (from ${varsFrom}) does not exist`,
        searched: [vars],
      };
    }
    if (code !== undefined && vars !== undefined)
      return { found: true, code, vars, source: `${codeFrom}, ${varsFrom}` };
    if (code !== undefined) {
      const pairedVars = guessVarsFor(code, candidates);
      if (pairedVars && exists(pairedVars)) return { found: true, code, vars: pairedVars, source: codeFrom };
      return {
        found: false,
        reason: `OVMF code file ${code} given (${codeFrom}) but no matching vars file found; give --ovmf-vars too`,
        searched: pairedVars ? [pairedVars] : [],
      };
    }
    const pairedCode = candidates.find((pair) => pair.vars === vars)?.code;
    if (pairedCode && exists(pairedCode))
      return { found: true, code: pairedCode, vars: vars!, source: varsFrom };
    return {
      found: false,
      reason: `OVMF vars file ${vars} given (${varsFrom}) but no matching code file found; give --ovmf-code too`,
      searched: pairedCode ? [pairedCode] : [],
    };
  }

  for (const pair of candidates) {
    if (exists(pair.code) && exists(pair.vars)) return { found: true, ...pair };
  }
  return {
    found: false,
    reason:
      'OVMF (UEFI firmware for QEMU) not found; install it (Debian/Ubuntu: apt install ovmf, Fedora: dnf install ' +
      'edk2-ovmf, Arch: pacman -S edk2-ovmf, macOS: brew install qemu) or point --ovmf-code/--ovmf-vars ' +
      '(OSTOOL_OVMF_CODE/OSTOOL_OVMF_VARS) at the files',
    searched: candidates.map((pair) => pair.code),
  };
}

/** The vars file that goes with a code file: the known pair, else the same name with CODE→VARS in the same folder. */
function guessVarsFor(code: string, candidates: Array<{ code: string; vars: string }>): string | undefined {
  const known = candidates.find((pair) => pair.code === code);
  if (known) return known.vars;
  const name = code.slice(dirname(code).length + 1);
  const renamed = name.replace('CODE', 'VARS').replace('x86_64-code', 'i386-vars').replace('code', 'vars');
  return renamed === name ? undefined : join(dirname(code), renamed);
}

function dedupeByCode<T extends { code: string }>(pairs: T[]): T[] {
  const seen = new Set<string>();
  return pairs.filter((pair) => !seen.has(pair.code) && seen.add(pair.code));
}
