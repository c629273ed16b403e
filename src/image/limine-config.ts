/** limine.conf in Limine 8 syntax (CONFIG.md), for the single entry ostool boots. */
import { UserError } from '../errors.js';
import type { ImageModule } from './types.js';

export const KERNEL_PATH = '/boot/kernel';
export const CONFIG_PATH = '/boot/limine/limine.conf';
export const MODULE_DIR = '/boot/modules';

export interface LimineConfigOptions {
  cmdline?: string;
  modules?: Array<Pick<ImageModule, 'name' | 'cmdline'>>;
  timeout?: number;
  entryName?: string;
}

export function limineConfig(options: LimineConfigOptions = {}): string {
  const oneLine = (what: string, text: string) => {
    if (/[\r\n]/.test(text)) throw new UserError(`${what} must be a single line: ${JSON.stringify(text)}`);
    return text;
  };
  const lines = [
    `timeout: ${options.timeout ?? 0}`,
    // The bootloader's own messages then reach the runner's serial log.
    'serial: yes',
    '',
    `/${oneLine('entry name', options.entryName ?? 'ostool')}`,
    '    protocol: limine',
    `    kernel_path: boot():${KERNEL_PATH}`,
  ];
  if (options.cmdline) lines.push(`    cmdline: ${oneLine('--cmdline', options.cmdline)}`);
  for (const module of options.modules ?? []) {
    lines.push(`    module_path: boot():${MODULE_DIR}/${moduleFileName(module.name)}`);
    if (module.cmdline) lines.push(`    module_cmdline: ${oneLine('module cmdline', module.cmdline)}`);
  }
  return lines.join('\n') + '\n';
}

/** Module names become file names under /boot/modules: no directories, nothing odd. */
export function moduleFileName(name: string): string {
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new UserError(`module name '${name}' must be 1-64 of A-Z a-z 0-9 . _ + -`);
  }
  return name;
}
