import type { Command } from 'commander';
import { UserError } from '../../errors.js';
import { fetchLimine, findLimine, LIMINE_VERSION } from '../../image/index.js';

export function register(program: Command): Command {
  const limine = program
    .command('limine')
    .description('Find or fetch the Limine bootloader ostool puts into images')
    .addHelpText(
      'after',
      '\nExamples:\n  ostool limine path --limine ~/limine-8.7.0\n  ostool limine fetch --url https://mirror.example/limine-8.7.0.tar.gz --sha256 <hex>',
    );
  limine
    .command('fetch')
    .description(`download a Limine binary release into the ostool cache (default version ${LIMINE_VERSION})`)
    .option('--version <version>', 'Limine version', LIMINE_VERSION)
    .option('--url <url>', 'download from this URL (a mirror) instead of the pinned one')
    .option(
      '--sha256 <hex>',
      'expected SHA-256 of the archive (needed when the version has no pinned checksum)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  ostool limine fetch --version 8.7.0 --sha256 <hex of the release archive>',
    )
    .action(async (options: { version: string; url?: string; sha256?: string }) => {
      const bar = progressBar();
      const dir = await fetchLimine({
        version: options.version,
        url: options.url,
        sha256: options.sha256,
        onProgress: bar.update,
      }).finally(bar.done);
      process.stdout.write(`${dir}\n`);
    })
    .exitOverride();
  limine
    .command('path')
    .description('print the Limine directory images would use, and which rule found it')
    .option('--limine <dir|tarball>', 'as for `ostool image --limine`')
    .addHelpText('after', '\nExample:\n  LIMINE_DIR=/opt/limine ostool limine path')
    .action(async (options: { limine?: string }) => {
      const found = await findLimine({ explicit: options.limine });
      if (!found) {
        throw new UserError(
          'no Limine found (--limine, LIMINE_DIR, the ostool cache, /usr/share/limine, /usr/local/share/limine): run `ostool limine fetch`',
        );
      }
      process.stdout.write(`${found.dir}\n`);
      process.stderr.write(`(found via ${found.source})\n`);
    })
    .exitOverride();
  return limine;
}

/** A one-line progress bar on a terminal; a single summary line otherwise. */
function progressBar(): { update: (received: number, total: number | undefined) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let received = 0;
  const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
  return {
    update(now, total) {
      received = now;
      if (!tty || Date.now() - last < 100) return;
      last = Date.now();
      const width = 30;
      const fraction = total ? Math.min(1, now / total) : 0;
      const filled = Math.round(fraction * width);
      const bar = total
        ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% `
        : '';
      process.stderr.write(`\r${bar}${mib(now)}${total ? `/${mib(total)}` : ''} MiB`);
    },
    done() {
      if (tty) process.stderr.write('\n');
      else if (received) process.stderr.write(`downloaded ${mib(received)} MiB\n`);
    },
  };
}
