/** `--watch`: waits until a project input (or a new source beside them) changes. */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Editors write a burst of events per save: wait this long after the last one. */
const SETTLE_MS = 150;
/** Files whose appearance or change matters even when no build read them yet (a new source). */
const SOURCE_NAME = /\.(asm|inc|mac|c|h|S|s|ld|lds|toml)$/;

/** Resolves once a watched file changes (settled), or at once when `signal` aborts. */
export function watchForChanges(paths: string[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const names = new Set(paths.map((path) => basename(path)));
    const directories = new Set<string>();
    for (const path of paths) {
      try {
        directories.add(statSync(path).isDirectory() ? path : dirname(path));
      } catch {
        directories.add(dirname(path));
      }
    }
    const watchers: FSWatcher[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const onEvent = (_event: string, file: string | Buffer | null) => {
      const name = file === null ? '' : String(file);
      if (name && !names.has(name) && !SOURCE_NAME.test(name)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, SETTLE_MS);
    };
    for (const directory of directories) {
      try {
        watchers.push(watch(directory, { persistent: true }, onEvent));
      } catch {
        // a directory that vanished is seen again once a build names it
      }
    }
    if (signal.aborted) finish();
    else signal.addEventListener('abort', finish, { once: true });
  });
}
