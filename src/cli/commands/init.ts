import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../atomic-write.js';
import { UserError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';

/** The kernel templates shipped with the package: templates/<name>/, next to dist/ and src/. */
const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
/** npm drops `.gitignore` from packages, so templates store it without the dot. */
const DOTFILES: Record<string, string> = { gitignore: '.gitignore' };

interface InitFlags {
  template: 'asm' | 'c';
  force?: boolean;
}

export function register(program: Command): Command {
  return program
    .command('init')
    .description(
      'write a small bootable Limine-protocol kernel project (ostool.toml, sources, linker script, a test)',
    )
    .argument('[dir]', 'where to create it (default: the current directory)', '.')
    .addOption(
      new Option('--template <kind>', 'asm (ostool asm) or c (your cc)').choices(['asm', 'c']).default('asm'),
    )
    .option('--force', 'write even into a directory that already has files')
    .addHelpText('after', '\nExample:\n  ostool init mykernel --template c && cd mykernel && ostool test')
    .action(async (dir: string, flags: InitFlags) => {
      const target = resolve(dir);
      const files = templateFiles(flags.template);
      if (existsSync(target)) {
        if (!statSync(target).isDirectory()) throw new UserError(`${dir} exists and is not a directory`);
        const clashes = files.filter((file) => existsSync(join(target, file.path)));
        if (clashes.length > 0 && !flags.force)
          throw new UserError(
            `${dir} already has ${clashes.map((file) => file.path).join(', ')}: nothing written (--force overwrites)`,
          );
      }
      mkdirSync(target, { recursive: true });
      const name = basename(target).replace(/[^A-Za-z0-9_.-]/g, '-') || 'kernel';
      for (const file of files)
        writeFileAtomic(join(target, file.path), file.text.replaceAll('{{name}}', name), {
          makeDirectory: true,
        });
      const where = relative(process.cwd(), target) || '.';
      process.stdout.write(
        `wrote ${flags.template === 'c' ? 'a C' : 'an assembly'} kernel project in ${where}: ${files.map((file) => file.path).join(', ')}\n` +
          `next: ${where === '.' ? '' : `cd ${where} && `}ostool run   (or ostool test)\n`,
      );
      if (flags.template === 'c') await warnWithoutCompiler();
    });
}

function templateFiles(template: string): Array<{ path: string; text: string }> {
  const root = join(TEMPLATES_DIR, template);
  if (!existsSync(root)) throw new UserError(`template ${template} not found in ${TEMPLATES_DIR}`);
  const out: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else
        out.push({
          path: dir ? path : (DOTFILES[entry.name] ?? path),
          text: readFileSync(join(root, path), 'utf8'),
        });
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The C template needs the user's compiler: say so now rather than at the first build. */
async function warnWithoutCompiler(): Promise<void> {
  const compiler = process.env.CC ?? 'cc';
  const { execa } = await import('execa');
  const probe = await execa(compiler, ['--version'], { reject: false, stdin: 'ignore' });
  if (probe.failed)
    process.stderr.write(
      `ostool: warning: no C compiler: \`${compiler}\` is not on PATH. The C template needs gcc or clang ` +
        '(Debian/Ubuntu: apt install gcc); set $CC or build.cc in ostool.toml to name another one\n',
    );
}
