import type { Command } from 'commander';
import { UserError } from '../../errors.js';

// Placeholder until the stage behind this command lands; owned by the issue that implements it.
export function register(program: Command): Command {
  return program
    .command('image')
    .description('(image: not implemented yet)')
    .action(() => {
      throw new UserError('ostool image is not implemented yet');
    });
}
