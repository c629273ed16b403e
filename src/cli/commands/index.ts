import type { Command } from 'commander';
import { register as asm } from './asm.js';
import { register as build } from './build.js';
import { register as doctor } from './doctor.js';
import { register as image } from './image.js';
import { register as limine } from './limine.js';
import { register as link } from './link.js';
import { register as run } from './run.js';
import { register as test } from './test.js';

/** Every subcommand, in the order `ostool --help` lists them. Each file adds one command to the program. */
export const commands: Array<(program: Command) => Command> = [build, run, test, asm, link, image, limine, doctor];
