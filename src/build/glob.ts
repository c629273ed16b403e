/** Source globs of ostool.toml (`src/**\/*.asm`, `lib/{a,b}.c`) expanded against the project directory. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';

/** Directories a source glob never descends into. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

/** `*` any run of characters but `/`, `?` one of them, `**` any run of directories, `{a,b}` either. */
export function globToRegExp(pattern: string, what = 'source'): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*' && pattern[index + 1] === '*') {
      // `**/` matches zero or more whole directories; a trailing `**` anything below
      const slash = pattern[index + 2] === '/';
      source += slash ? '(?:[^/]+/)*' : '.*';
      index += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{') {
      const end = pattern.indexOf('}', index);
      if (end < 0) throw new UserError(`${what} glob "${pattern}": \`{\` without \`}\``);
      const options = pattern.slice(index + 1, end).split(',');
      source += `(?:${options.map((option) => option.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')).join('|')})`;
      index = end;
    } else source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The directory part before the first wildcard: where the walk starts. */
function literalPrefix(pattern: string): string {
  const segments = pattern.split('/');
  const literal: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (/[*?{]/.test(segment)) break;
    literal.push(segment);
  }
  return literal.join('/');
}

function walk(root: string, relative: string, skip: ReadonlySet<string>, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(join(root, relative), { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name) && !skip.has(path)) walk(root, path, skip, out);
    } else if (entry.isFile()) out.push(path);
  }
}

/** Every file under `root` (none when it does not exist), root-relative with `/`, sorted. */
export function filesUnder(root: string): string[] {
  const files: string[] = [];
  walk(root, '', new Set(), files);
  return files.sort();
}

/**
 * Every file under `root` one of the patterns matches, as root-relative paths with `/`, sorted and without
 * duplicates. A pattern that matches nothing is an error: a typo must not silently drop a source. `what`
 * names the patterns in that error, as the project file calls them (`source`, `initrd program`, ...).
 */
export function expandGlobs(
  root: string,
  patterns: string[],
  skipDirectories: string[] = [],
  what = 'source',
): string[] {
  const skip = new Set(skipDirectories.map((dir) => dir.replace(/^\.\/|\/$/g, '')));
  const found = new Set<string>();
  for (const raw of patterns) {
    const pattern = raw.replace(/^\.\//, '');
    if (!/[*?{]/.test(pattern)) {
      const files: string[] = [];
      walk(root, pattern.split('/').slice(0, -1).join('/'), skip, files);
      if (!files.includes(pattern)) throw new UserError(`${what} ${pattern} not found in ${root}`);
      found.add(pattern);
      continue;
    }
    const matcher = globToRegExp(pattern, what);
    const files: string[] = [];
    walk(root, literalPrefix(pattern), skip, files);
    const matched = files.filter((file) => matcher.test(file));
    if (matched.length === 0) throw new UserError(`${what} glob "${raw}" matches no file in ${root}`);
    for (const file of matched) found.add(file);
  }
  return [...found].sort();
}
