/**
 * The test initrd: the user programs of src/kernel/initrd/bin/ (assembly) built by ostool into static
 * ELF executables, with src/kernel/initrd/etc/, packed by GNU tar as a USTAR archive (the real tool as
 * the format's oracle) for the kernel to mount from a Limine module.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, repoKernelProject } from '../../src/build/index.js';
import type { Project } from '../../src/build/project.js';

const run = promisify(execFile);
export const INITRD_SOURCE_DIR = join(REPO_ROOT, 'src', 'kernel', 'initrd');
const OSTOOL = join(REPO_ROOT, 'bin', 'ostool.js');

/** Builds the initrd in `work` and returns the archive's path and its member list (tar's order). */
export async function buildTestInitrd(work: string): Promise<{ archive: string; members: string[] }> {
  const stage = join(work, 'initrd');
  await mkdir(join(stage, 'bin'), { recursive: true });
  await mkdir(join(stage, 'etc'), { recursive: true });
  for (const source of await readdir(join(INITRD_SOURCE_DIR, 'bin'))) {
    if (!source.endsWith('.asm')) continue;
    const name = source.slice(0, -'.asm'.length);
    const object = join(work, `${name}.o`);
    await run(process.execPath, [
      OSTOOL,
      'asm',
      '-f',
      'elf64',
      '-I',
      `${INITRD_SOURCE_DIR}/`,
      '-o',
      object,
      join(INITRD_SOURCE_DIR, 'bin', source),
    ]);
    await run(process.execPath, [OSTOOL, 'link', '-e', '_start', '-o', join(stage, 'bin', name), object]);
  }
  for (const file of await readdir(join(INITRD_SOURCE_DIR, 'etc')))
    await copyFile(join(INITRD_SOURCE_DIR, 'etc', file), join(stage, 'etc', file));
  const archive = join(work, 'initrd.tar');
  await run('tar', [
    '--format=ustar',
    '--sort=name',
    '--owner=0',
    '--group=0',
    '-cf',
    archive,
    '-C',
    stage,
    'bin',
    'etc',
  ]);
  const { stdout } = await run('tar', ['-tf', archive]);
  return { archive, members: stdout.split('\n').filter((line) => line !== '') };
}

/** The repository's kernel project with the GNU tar initrd as its one module. */
export function projectWithInitrd(archive: string): Project {
  const project = repoKernelProject();
  // GNU tar's archive instead of the one ostool.toml's [initrd] packs.
  return { ...project, initrd: undefined, image: { ...project.image, modules: [archive] } };
}
