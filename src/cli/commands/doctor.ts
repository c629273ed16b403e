import type { Command } from 'commander';
import { execa } from 'execa';
import { projectCompiler } from '../../build/index.js';
import { findLimine } from '../../image/index.js';
import {
  chooseMachineAccel,
  findExecutable,
  findOvmf,
  kvmDeviceUsable,
  qemuCommand,
  qemuVersion,
} from '../../qemu/index.js';
import { resolveProject, shortPath } from '../project.js';

/** One line of the report. `required` checks decide the exit status: what `ostool run` cannot do without. */
export interface Check {
  ok: boolean;
  required: boolean;
  label: string;
  detail: string;
  /** What to do about it, shown when not ok. */
  fix?: string;
}

/** Tools the test suite compares ostool against; not needed to build or run a kernel. */
const ORACLES: Array<{ command: string; debianPackage: string }> = [
  { command: 'nasm', debianPackage: 'nasm' },
  { command: 'ld', debianPackage: 'binutils' },
  { command: 'readelf', debianPackage: 'binutils' },
  { command: 'objdump', debianPackage: 'binutils' },
  { command: 'objcopy', debianPackage: 'binutils' },
  { command: 'gcc', debianPackage: 'gcc' },
  { command: 'xorriso', debianPackage: 'xorriso' },
  { command: 'mdir', debianPackage: 'mtools' },
  { command: 'sgdisk', debianPackage: 'gdisk' },
  { command: 'fsck.fat', debianPackage: 'dosfstools' },
];

const MIN_NODE_MAJOR = 20;

export function register(program: Command): Command {
  return program
    .command('doctor')
    .description(
      'check what ostool needs on this machine (Node, QEMU, OVMF, KVM, Limine, the C compiler of a C project, test oracles); exit 0 when `ostool run` can work',
    )
    .option('--ovmf-code <file>', 'OVMF code file to check (or OSTOOL_OVMF_CODE)')
    .option('--ovmf-vars <file>', 'OVMF vars file to check (or OSTOOL_OVMF_VARS)')
    .option('--reprobe-kvm', 'measure KVM against TCG again instead of using the cached decision')
    .addHelpText('after', '\nExample:\n  ostool doctor --reprobe-kvm')
    .action(async (options: { ovmfCode?: string; ovmfVars?: string; reprobeKvm?: boolean }) => {
      const checks = await runChecks(options);
      for (const check of checks) process.stdout.write(formatCheck(check));
      const missing = checks.filter((check) => check.required && !check.ok);
      process.stdout.write(
        missing.length === 0
          ? '\nostool run has everything it needs.\n'
          : `\nostool run cannot work yet: fix ${missing.map((check) => check.label).join(', ')}.\n`,
      );
      process.exitCode = missing.length === 0 ? 0 : 1;
    });
}

export function formatCheck(check: Check): string {
  const mark = check.ok ? '✓' : '✗';
  const fix = !check.ok && check.fix ? `\n    fix: ${check.fix}` : '';
  return `${mark} ${check.label}: ${check.detail}${fix}\n`;
}

async function runChecks(options: {
  ovmfCode?: string;
  ovmfVars?: string;
  reprobeKvm?: boolean;
}): Promise<Check[]> {
  const checks: Check[] = [checkNode()];
  const qemu = findExecutable(qemuCommand());
  const version = qemu ? await qemuVersion(qemu) : undefined;
  checks.push(
    qemu && version
      ? { ok: true, required: true, label: 'qemu', detail: `${qemu} (${version})` }
      : {
          ok: false,
          required: true,
          label: 'qemu',
          detail: qemu
            ? `${qemu} does not run (--version failed)`
            : `${qemuCommand()} not found${qemuCommand().includes('/') ? '' : ' on PATH'}`,
          fix: 'apt install qemu-system-x86 (Fedora: dnf install qemu-system-x86, Arch: pacman -S qemu-system-x86, macOS: brew install qemu), or set OSTOOL_QEMU',
        },
  );
  const ovmf = findOvmf({ code: options.ovmfCode, vars: options.ovmfVars, qemuPath: qemu });
  checks.push(
    ovmf.found
      ? {
          ok: true,
          required: true,
          label: 'ovmf',
          detail: `code ${ovmf.code}, vars ${ovmf.vars} (${ovmf.source})`,
        }
      : {
          ok: false,
          required: true,
          label: 'ovmf',
          detail: ovmf.reason,
          fix: 'apt install ovmf, or --ovmf-code/--ovmf-vars (OSTOOL_OVMF_CODE/OSTOOL_OVMF_VARS)',
        },
  );
  checks.push(await checkKvm(qemu && version ? qemu : undefined, options.reprobeKvm ?? false));
  checks.push(await checkLimine());
  checks.push(await checkCompiler());
  checks.push(checkOracles());
  return checks;
}

function checkNode(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= MIN_NODE_MAJOR
    ? { ok: true, required: true, label: 'node', detail: `v${process.versions.node}` }
    : {
        ok: false,
        required: true,
        label: 'node',
        detail: `v${process.versions.node} is too old (need ${MIN_NODE_MAJOR} or newer)`,
        fix: `install Node.js ${MIN_NODE_MAJOR} LTS or newer`,
      };
}

/** KVM is never required: TCG always works. The line says what `--accel auto` will use and why. */
async function checkKvm(qemu: string | undefined, reprobe: boolean): Promise<Check> {
  const base = { required: false, label: 'kvm' };
  if (!kvmDeviceUsable()) {
    return {
      ...base,
      ok: false,
      detail: '/dev/kvm missing or not accessible; runs use TCG',
      fix: 'not needed (TCG works); for speed enable KVM and add yourself to the kvm group',
    };
  }
  if (!qemu) return { ...base, ok: false, detail: '/dev/kvm present, but no QEMU to probe it with' };
  const choice = await chooseMachineAccel(qemu, 'auto', reprobe);
  return choice.accel === 'kvm'
    ? { ...base, ok: true, detail: `usable, --accel auto picks KVM: ${choice.reason}` }
    : {
        ...base,
        ok: false,
        detail: `/dev/kvm present but not worth using, --accel auto picks TCG: ${choice.reason}`,
        fix: 'not needed (TCG works); nested virtualisation is the usual cause',
      };
}

async function checkLimine(): Promise<Check> {
  const base = { required: false, label: 'limine' };
  try {
    const found = await findLimine();
    return found
      ? { ...base, ok: true, detail: `${found.dir} (${found.source})` }
      : {
          ...base,
          ok: false,
          detail: 'not found (images use the built-in loader)',
          fix: 'ostool limine fetch, or --limine DIR / LIMINE_DIR',
        };
  } catch (error) {
    return {
      ...base,
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
      fix: 'point LIMINE_DIR at a Limine binary release',
    };
  }
}

/**
 * The C compiler is the one tool ostool does not bring: needed (and so required) only when the project here has
 * C or `.S` sources.
 */
async function checkCompiler(): Promise<Check> {
  let project;
  try {
    project = resolveProject();
  } catch (error) {
    return {
      ok: false,
      required: true,
      label: 'project',
      detail: error instanceof Error ? error.message : String(error),
      fix: 'fix ostool.toml',
    };
  }
  const compiler = projectCompiler(project);
  const where = shortPath(project.root) || '.';
  if (!compiler)
    return {
      ok: true,
      required: false,
      label: 'cc',
      detail: `not needed: the project in ${where} is all assembly`,
    };
  const path = findExecutable(compiler);
  const result = path
    ? await execa(path, ['--version'], { stdin: 'ignore', reject: false, timeout: 10_000 })
    : undefined;
  const version = result && !result.failed ? String(result.stdout).split('\n')[0]?.trim() : undefined;
  return path && version
    ? { ok: true, required: true, label: 'cc', detail: `${path} (${version}), for the C sources in ${where}` }
    : {
        ok: false,
        required: true,
        label: 'cc',
        detail: path
          ? `${path} does not run (--version failed); the project in ${where} has C sources`
          : `\`${compiler}\` not found on PATH; the project in ${where} has C sources`,
        fix: 'apt install gcc (or clang), or name one with build.cc in ostool.toml or $CC',
      };
}

function checkOracles(): Check {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
  const missing = ORACLES.filter((oracle) => !findExecutable(oracle.command, { PATH: path }));
  const packages = [...new Set(missing.map((oracle) => oracle.debianPackage))];
  return missing.length === 0
    ? {
        ok: true,
        required: false,
        label: 'test oracles',
        detail: `all installed (${ORACLES.map((o) => o.command).join(', ')})`,
      }
    : {
        ok: false,
        required: false,
        label: 'test oracles',
        detail: `missing ${missing.map((o) => o.command).join(', ')} (only \`make test\` needs them)`,
        fix: `scripts/ensure-deps.sh test (Debian: apt install ${packages.join(' ')})`,
      };
}
