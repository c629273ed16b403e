import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export const QEMU_COMMAND = 'qemu-system-x86_64';

/** The QEMU binary to run: OSTOOL_QEMU when set (a path or a command name), else qemu-system-x86_64 on PATH. */
export function qemuCommand(env: Record<string, string | undefined> = process.env): string {
  return env.OSTOOL_QEMU || QEMU_COMMAND;
}

/** Resolves a command name to its absolute path through PATH, or undefined when it is not installed. */
export function findExecutable(
  command: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : (env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, command));
  return candidates.find(isExecutable);
}

/**
 * What tells one QEMU build from another in the KVM probe's cache key: the binary's path, size and modification
 * time. A stat, where asking `--version` would start QEMU once more on every run.
 */
export function qemuBuildIdentity(qemuPath: string): string {
  const binary = statSync(qemuPath, { throwIfNoEntry: false });
  return binary ? `${qemuPath} ${binary.size} ${Math.round(binary.mtimeMs)}` : qemuPath;
}

/** The first line of `qemu --version` ("QEMU emulator version 7.2.22 (...)"), or undefined when it will not run. */
export async function qemuVersion(qemuPath: string): Promise<string | undefined> {
  // loaded here, not with this module: the runner imports it and must not pay for execa
  const { execa } = await import('execa');
  const result = await execa(qemuPath, ['--version'], { stdin: 'ignore', reject: false, timeout: 10_000 });
  if (result.failed) return undefined;
  return String(result.stdout).split('\n')[0]?.trim();
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
