/**
 * The test oracle for the kernel build: the repo kernel assembled by nasm and linked by GNU ld from the same
 * sources, include path and linker script as its ostool.toml gives ostool (run from the project root, so
 * `__FILE__` names read the same), with the same backtrace table embedded afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedSymbolTable, repoKernelProject } from '../../src/build/index.js';

export function nasmLdKernel(work: string, defines: Record<string, string> = {}): { elf: Uint8Array } {
  const project = repoKernelProject();
  const object = join(work, 'oracle-kernel.o');
  const elf = join(work, 'oracle-kernel.elf');
  const defineFlags = Object.entries({ ...project.build.defines, ...defines }).map(([name, value]) =>
    value === '' ? `-D${name}` : `-D${name}=${value}`,
  );
  const includes = project.build.include.flatMap((dir) => ['-I', dir.endsWith('/') ? dir : `${dir}/`]);
  for (const source of project.build.sources)
    execFileSync('nasm', ['-f', 'elf64', ...includes, ...defineFlags, '-o', object, source], {
      cwd: project.root,
    });
  execFileSync('ld', [
    '-T',
    join(project.root, project.build.linkerScript!),
    '-nostdlib',
    '-static',
    '-z',
    'max-page-size=0x1000',
    '-o',
    elf,
    object,
  ]);
  return embedSymbolTable(new Uint8Array(readFileSync(elf)));
}
