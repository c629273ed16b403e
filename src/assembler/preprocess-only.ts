/**
 * `-E`: the preprocessed source as text, in nasm 2.16.01's format. Each line is its tokens with one space
 * wherever the source had whitespace; `%line N+I FILE` markers keep the line numbers right for a later
 * assembly: a new file or a jump in the numbering gets a marker, a single skipped line a blank line instead.
 * Empty lines before a file's first non-empty one (and the including file's, after an include) are left out. Lines of a `.nolist` macro report the line that called it, with increment 0 after the first. nasm's
 * directives that are standard macros print in their expanded forms (`bits 32` as `[bits 32]`,
 * `global a, b` as one `[global ...]` per name, `align` as `sectalign` and `times`).
 */

import type { PreprocessedLine } from './preprocessor.js';
import { tokensToText, type Token } from './lexer.js';

interface OutputLine {
  file: string;
  line: number;
  text: string;
}

export function formatPreprocessed(lines: readonly PreprocessedLine[]): string {
  const out: string[] = [];
  let file: string | undefined;
  let prior = 0;
  // the line increment the last marker announced: 0 while lines repeat one number (a .nolist macro)
  let step = 1;
  for (const line of lines) {
    if (line.listOnly) continue;
    for (const o of outputLines(line)) {
      // nasm prints nothing for the empty lines before a file's first line with something in it, nor for
      // those of the including file before its next such line once the included one has ended
      if (o.text === '' && o.file !== file) continue;
      if (o.file !== file) {
        step = 1;
        out.push(`%line ${o.line}+1 ${quoteFileName(o.file)}`);
      } else {
        // nasm 2.16's rules (probed): one line skipped at increment 1 is a blank line; a line that follows
        // one line later starts increment 1, the same line again increment 0; other jumps keep it
        const skipped = o.line - (prior + step);
        if (skipped === 1 && step === 1) out.push('');
        else if (skipped !== 0) {
          if (skipped === 1) step = 1;
          else if (skipped === -1) step = 0;
          out.push(`%line ${o.line}+${step} ${quoteFileName(o.file)}`);
        }
      }
      out.push(o.text);
      file = o.file;
      prior = o.line;
    }
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

function outputLines(line: PreprocessedLine): OutputLine[] {
  let { file, line: number } = line.origin;
  if (line.nolist) {
    for (let l = line.origin.chain; l; l = l.parent)
      if (l.step.kind === 'macro') {
        file = l.step.location.file;
        number = l.step.location.line;
        break;
      }
  }
  return standardForms(line.tokens).map((text) => ({ file, line: number, text }));
}

function lineText(tokens: readonly Token[]): string {
  if (tokens.length === 0) return '';
  return (tokens[0]!.spaceBefore ? ' ' : '') + tokensToText(tokens);
}

const BRACKETED = new Set(['section', 'segment', 'common', 'default', 'cpu', 'org', 'absolute', 'float']);
const PER_NAME = new Set(['global', 'extern', 'static', 'required']);

/** The text nasm's standard macros turn a directive line into (one or more lines). */
function standardForms(tokens: Token[]): string[] {
  const first = tokens[0];
  if (!first || first.kind !== 'id') return [lineText(tokens)];
  const name = first.text.toLowerCase();
  const rest = tokens.slice(1);
  const args = tokensToText(rest);
  if (name === 'bits') return [`[bits ${args}]`];
  // `sectalign on|off` only sets what `align` does to the section (a macro variable): nothing is printed
  if (name === 'sectalign') return /^(on|off)$/i.test(args.trim()) ? [] : [`[sectalign ${args}]`];
  if (name === 'use16' || name === 'use32' || name === 'use64') return [`[bits ${name.slice(3)}]`];
  // the standard macros write the directive's name in lower case (`SECTION .text` is `[section .text]`)
  if (BRACKETED.has(name)) return [`[${name} ${args}]`.replace(' ]', ']')];
  if (PER_NAME.has(name)) return splitCommas(rest).map((n) => `[${name} ${tokensToText(n)}]`);
  if ((name === 'align' || name === 'alignb') && rest.length > 0) {
    const [boundaryTokens, ...fillParts] = splitCommas(rest);
    const boundary = tokensToText(boundaryTokens!);
    const pad = `(((${boundary}) - (($-$$) % (${boundary}))) % (${boundary}))`;
    const fill = fillParts.map((p) => tokensToText(p)).join(',');
    if (name === 'alignb' && fill === '')
      return [
        `[sectalign ${boundary}]`,
        '[warning push]',
        '[warning -zeroing]',
        `resb ${pad}`,
        '[warning pop]',
      ];
    return [`[sectalign ${boundary}]`, `times ${pad} ${fill || (name === 'align' ? 'nop' : 'resb 1')}`];
  }
  return [lineText(tokens)];
}

function splitCommas(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === ',') parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

/** File names print bare when they are plain, quoted like nasm's strings otherwise. */
function quoteFileName(name: string): string {
  if (/^[A-Za-z0-9_./+-]+$/.test(name)) return name;
  if (!name.includes("'")) return `'${name}'`;
  if (!name.includes('"')) return `"${name}"`;
  return '`' + name.replace(/[`\\]/g, (c) => '\\' + c) + '`';
}
