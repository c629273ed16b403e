import { describe, expect, it } from 'vitest';
import { lastSerialLines } from '../../src/qemu/index.js';

describe('lastSerialLines', () => {
  it('keeps the last lines, without CRs, trailing blank lines or terminal control sequences', () => {
    const serial =
      '\x1b[2J\x1b[01;01Hfirmware\r\n' +
      Array.from({ length: 30 }, (_, i) => `line ${i}\r\n`).join('') +
      '\r\n\r\n';
    const tail = lastSerialLines(serial, 3);
    expect(tail).toEqual(['line 27', 'line 28', 'line 29']);
    expect(lastSerialLines('\x1b[2Jonly\n')).toEqual(['only']);
  });

  it('returns nothing for empty output', () => {
    expect(lastSerialLines('')).toEqual([]);
  });
});
