/**
 * The entry point of a link whose script has no ENTRY() and no -e: ld looks, without a warning, for its built-in
 * default symbol `start` (`_start` only comes from ld's default script), then the start of `.text`, else 0.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workdir } from './oracle.js';

const entry = (path: string) =>
  /Entry point address:\s+(\S+)/.exec(execFileSync('readelf', ['-h', path], { encoding: 'utf8' }))![1];

const CODE = (name: string) =>
  `section .text\nnop\nnop\nglobal ${name}\n${name}: hlt\nsection .foo progbits alloc exec\nnop\n`;

describe('the default entry point like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('text.ld', 'SECTIONS { . = 0x1000; .bar : { *(.foo) } .text : { *(.text) } }\n');
    work.file('no-text.ld', 'SECTIONS { . = 0x1000; .bar : { *(.foo) } .baz : { *(.text) } }\n');
  });
  afterAll(() => work.dispose());

  for (const symbol of ['start', '_start'])
    for (const script of ['text.ld', 'no-text.ld'])
      it(`a symbol named ${symbol}, ${script}`, async () => {
        const object = work.nasm(`entry-${symbol}`, CODE(symbol));
        const pair = await work.linkBoth(['-T', script, object], `${symbol}-${script}`);
        expect(entry(pair.ours)).toBe(entry(pair.ld));
        expect(pair.oursStderr).toBe('');
      });
});
