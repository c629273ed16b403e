/**
 * Make-style dependency files (`obj.o: src.asm inc/a.inc ...`), as `ostool asm -MD` and `cc -MD` write them,
 * with one ostool line on top: `# ostool-command: HASH`, the hash of the command that made the object, so a
 * changed flag rebuilds it like a changed file does.
 */

const COMMAND_LINE = /^# ostool-command: ([0-9a-f]+)$/m;

/** The prerequisites of every rule in the file (targets dropped), unescaped, in order, without duplicates. */
export function parseDependencies(text: string): string[] {
  const joined = text.replace(/^#.*$/gm, '').replace(/\\\r?\n/g, ' ');
  const found: string[] = [];
  for (const line of joined.split('\n')) {
    const colon = findRuleColon(line);
    if (colon < 0) continue;
    for (const word of splitWords(line.slice(colon + 1))) if (!found.includes(word)) found.push(word);
  }
  return found;
}

/** The first `:` that separates targets from prerequisites (not an escaped one, not a drive letter). */
function findRuleColon(line: string): number {
  for (let index = 0; index < line.length; index++) {
    if (line[index] === '\\') index++;
    else if (
      line[index] === ':' &&
      (line[index + 1] === ' ' || line[index + 1] === '\t' || index === line.length - 1)
    )
      return index;
  }
  return -1;
}

function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === '\\' && index + 1 < text.length && /[ #:\\]/.test(text[index + 1]!)) {
      word += text[++index];
    } else if (char === '$' && text[index + 1] === '$') {
      word += '$';
      index++;
    } else if (char === ' ' || char === '\t') {
      if (word) words.push(word);
      word = '';
    } else word += char;
  }
  if (word) words.push(word);
  return words;
}

function escape(path: string): string {
  return path.replace(/([ #\\])/g, '\\$1').replace(/\$/g, '$$$$');
}

export function formatDependencies(target: string, prerequisites: string[], commandHash: string): string {
  return `# ostool-command: ${commandHash}\n${escape(target)}: ${prerequisites.map(escape).join(' \\\n  ')}\n`;
}

/** Puts the command hash on top of a dependency file another tool (the C compiler) wrote. */
export function stampDependencies(text: string, commandHash: string): string {
  return `# ostool-command: ${commandHash}\n${text.replace(COMMAND_LINE, '').replace(/^\n/, '')}`;
}

export function commandHashOf(text: string): string | undefined {
  return COMMAND_LINE.exec(text)?.[1];
}
