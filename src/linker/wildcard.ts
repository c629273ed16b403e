/** ld's glob patterns (`*`, `?`, `[...]`) for file names and section names, compiled once and cached. */

const cache = new Map<string, (name: string) => boolean>();

export function wildcardMatcher(pattern: string): (name: string) => boolean {
  let matcher = cache.get(pattern);
  if (matcher) return matcher;
  if (pattern === '*') matcher = () => true;
  else if (!/[*?[]/.test(pattern)) matcher = (name) => name === pattern;
  else if (/^[^*?[]*\*$/.test(pattern)) {
    const prefix = pattern.slice(0, -1);
    matcher = (name) => name.startsWith(prefix);
  } else {
    let source = '^';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') source += '.*';
      else if (c === '?') source += '.';
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) source += '\\[';
        else {
          let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
          if (set.startsWith('!')) set = `^${set.slice(1)}`;
          source += `[${set}]`;
          i = end;
        }
      } else source += c.replace(/[.+^${}()|\\/\]]/g, '\\$&');
    }
    const re = new RegExp(`${source}$`, 's');
    matcher = (name) => re.test(name);
  }
  cache.set(pattern, matcher);
  return matcher;
}

/** File patterns: `archive:member`, `archive:` and `:member` forms as ld accepts them, else the plain name. */
export function fileMatches(pattern: string, fileName: string, archive: string | undefined): boolean {
  const colon = pattern.indexOf(':');
  if (colon > 0 || (colon === 0 && pattern.length > 1)) {
    const archivePattern = pattern.slice(0, colon);
    const memberPattern = pattern.slice(colon + 1);
    if (archive === undefined) return false;
    return (
      (archivePattern === '' ||
        wildcardMatcher(archivePattern)(archive) ||
        wildcardMatcher(archivePattern)(basename(archive))) &&
      (memberPattern === '' || wildcardMatcher(memberPattern)(fileName))
    );
  }
  return wildcardMatcher(pattern)(fileName);
}

function basename(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? path : path.slice(slash + 1);
}
