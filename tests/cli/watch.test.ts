import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchForChanges } from '../../src/cli/watch.js';

const work = mkdtempSync(join(tmpdir(), 'ostool-watch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('--watch', () => {
  it('wakes up when a watched source changes, and when a new source appears beside it', async () => {
    const source = join(work, 'kernel.asm');
    writeFileSync(source, 'nop\n');
    const changed = watchForChanges([source], new AbortController().signal);
    setTimeout(() => writeFileSync(source, 'hlt\n'), 50);
    await changed;
    const added = watchForChanges([source], new AbortController().signal);
    setTimeout(() => writeFileSync(join(work, 'new.c'), 'int x;\n'), 50);
    await added;
  });

  it('ignores files that are not sources (editor backups, build output)', async () => {
    const source = join(work, 'main.asm');
    writeFileSync(source, 'nop\n');
    const stop = new AbortController();
    let woke = false;
    const watching = watchForChanges([source], stop.signal).then(() => (woke = true));
    writeFileSync(join(work, 'main.asm~'), 'backup');
    writeFileSync(join(work, 'kernel.o'), 'object');
    await new Promise((done) => setTimeout(done, 400));
    expect(woke).toBe(false);
    stop.abort();
    await watching;
  });
});
