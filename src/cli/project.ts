/**
 * Which project a command works on: `--kernel-dir DIR` (with `-T`), else the nearest ostool.toml upward from
 * the current directory, else (in an ostool checkout) the repository's own kernel.
 */
import { relative } from 'node:path';
import {
  DEFAULT_KERNEL_DIR,
  findProjectFile,
  kernelDirProject,
  loadProject,
  repoKernelProject,
  type Project,
} from '../build/index.js';

export interface ProjectFlags {
  kernelDir?: string;
  script?: string;
}

export function resolveProject(flags: ProjectFlags = {}): Project {
  if (flags.kernelDir || flags.script)
    return kernelDirProject(flags.kernelDir ?? DEFAULT_KERNEL_DIR, flags.script);
  const file = findProjectFile(process.cwd());
  return file ? loadProject(file) : repoKernelProject();
}

/** A path as the user would like to read it: relative to the current directory when that is shorter. */
export function shortPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') ? fromHere : path;
}

/** Prints the driver's steps (`asm src/kernel.asm`, `link build/kernel.elf`, `image build/kernel.iso`). */
export function printStep(step: string): void {
  process.stderr.write(`  ${step.replace(/ (\/\S+)$/, (_, path: string) => ` ${shortPath(path)}`)}\n`);
}
