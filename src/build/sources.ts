/** Where the kernel's sources and linker script are, read once into memory for the toolchains. */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';

/** The repository root: this file is src/build/sources.ts or dist/build/sources.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_KERNEL_DIR = join(REPO_ROOT, 'src', 'kernel');
export const DEFAULT_LINKER_SCRIPT = join(REPO_ROOT, 'linker.ld');
/** The top file every other kernel source is `%include`d from. */
export const KERNEL_MAIN_SOURCE = 'kernel.asm';

export interface KernelSources {
  /** Absolute directory of the sources (also the include path). */
  dir: string;
  /** Absolute path of the top file. */
  mainPath: string;
  /** Every `.asm`/`.inc` file under `dir`, by absolute path. */
  files: Map<string, Uint8Array>;
}

export async function readKernelSources(dir: string = DEFAULT_KERNEL_DIR): Promise<KernelSources> {
  const root = resolve(dir);
  const files = new Map<string, Uint8Array>();
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch {
    throw new UserError(`kernel sources: cannot read ${root}`);
  }
  for (const entry of entries) {
    if (!entry.isFile() || !/\.(asm|inc)$/.test(entry.name)) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    files.set(path, new Uint8Array(await readFile(path)));
  }
  const mainPath = join(root, KERNEL_MAIN_SOURCE);
  if (!files.has(mainPath)) throw new UserError(`kernel sources: ${mainPath} not found`);
  return { dir: root, mainPath, files };
}

export async function readLinkerScript(
  path: string = DEFAULT_LINKER_SCRIPT,
): Promise<{ path: string; text: string }> {
  try {
    return { path, text: await readFile(path, 'utf8') };
  } catch {
    throw new UserError(`linker script ${path} not found`);
  }
}
