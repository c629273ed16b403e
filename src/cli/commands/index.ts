import type { Command } from 'commander';

type Register = (program: Command) => Command;

/**
 * Every subcommand, in the order `ostool --help` lists them, loaded on demand: each command module pulls in
 * its whole stage (assembler, linker, image builder…), and importing all of them costs ~100 ms of start-up
 * that `ostool asm` or `ostool link` in a build loop should not pay.
 */
export const commandModules: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['init', async () => (await import('./init.js')).register],
  ['build', async () => (await import('./build.js')).register],
  ['run', async () => (await import('./run.js')).register],
  ['test', async () => (await import('./test.js')).register],
  ['asm', async () => (await import('./asm.js')).register],
  ['link', async () => (await import('./link.js')).register],
  ['image', async () => (await import('./image.js')).register],
  ['limine', async () => (await import('./limine.js')).register],
  ['doctor', async () => (await import('./doctor.js')).register],
];
