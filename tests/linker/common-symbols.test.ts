/**
 * COMMON symbols (gcc -fcommon, nasm `common`) get their addresses in the order ld walks its symbol hash table:
 * by bfd's string hash modulo the table size, later names first within a bucket, the table growing past three
 * quarters full. Each file's commons stay in that file's COMMON input section.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KERNEL_FLAGS, symbolValues, Workdir } from './oracle.js';

const SCRIPT =
  'ENTRY(kmain)\nSECTIONS { . = 0xffffffff80000000; .text : { *(.text) } .bss : { *(.bss) *(COMMON) } }\n';

/** Deterministic pseudo-random identifiers of varied lengths (MINSTD, exact in doubles, so the test needs no fixture file). */
function names(count: number, prefix: string, seed: number): string[] {
  const out = new Set<string>();
  let state = seed;
  const next = () => (state = (state * 48271) % 2147483647);
  while (out.size < count) {
    let name = prefix;
    for (let length = 2 + (next() % 30); length > 0; length--)
      name += 'abcdefghijklmnopqrstuvwxyz_'[next() % 27];
    out.add(name);
  }
  return [...out];
}

function source(globals: string[], types: string[], entry: boolean): string {
  // A type like `char[3]` is written `char name[3]`.
  const declare = (type: string, name: string) => type.replace(/^(\w+)(.*)$/, `$1 ${name}$2`);
  const declarations = globals.map((name, i) => `${declare(types[i % types.length]!, name)};\n`).join('');
  return entry ? `${declarations}void kmain(void) { ${globals[0]} = 1; }\n` : declarations;
}

describe('COMMON symbols like ld', () => {
  let work: Workdir;
  beforeAll(() => {
    work = new Workdir();
    work.file('common.ld', SCRIPT);
  });
  afterAll(() => work.dispose());

  const flags = [...KERNEL_FLAGS, '-fcommon'];

  it('hundreds of commons of mixed sizes and alignments in one object', async () => {
    const object = work.gcc(
      'commons',
      source(names(300, 'c_', 7), ['char', 'int', 'long', 'char[3]', 'short[5]'], true),
      flags,
    );
    const pair = await work.linkBoth(['-T', 'common.ld', object], 'commons');
    expect(symbolValues(pair.ours)).toEqual(symbolValues(pair.ld));
  });

  it('enough names to make bfd grow its table (rehashed buckets)', async () => {
    const object = work.gcc('many-commons', source(names(3600, 'g_', 11), ['int'], true), flags);
    const pair = await work.linkBoth(['-T', 'common.ld', object], 'many-commons');
    expect(symbolValues(pair.ours)).toEqual(symbolValues(pair.ld));
  });

  it('commons shared between objects: each goes to the file whose common is largest', async () => {
    const shared = names(40, 's_', 3);
    const first = work.gcc('first', source(shared, ['int'], true), flags);
    const second = work.gcc(
      'second',
      source([...shared.slice(0, 20), ...names(30, 't_', 5)], ['long[4]', 'char'], false),
      flags,
    );
    const pair = await work.linkBoth(['-T', 'common.ld', first, second], 'shared-commons');
    expect(symbolValues(pair.ours)).toEqual(symbolValues(pair.ld));
  });
});
