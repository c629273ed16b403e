import { describe, expect, it } from 'vitest';
import { TerminalFilter } from '../../src/cli/terminal-filter.js';

describe('serial output on the terminal', () => {
  it("drops OVMF's screen clears, cursor moves and mode switches but keeps the text", () => {
    const filter = new TerminalFilter();
    const out = filter.push(
      '\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\nkernel: hi\n',
    );
    expect(out).toBe('BdsDxe: loading Boot0001\r\nkernel: hi\n');
  });

  it("keeps the guest's colours", () => {
    expect(new TerminalFilter().push('\x1b[31merror\x1b[0m\n')).toBe('\x1b[31merror\x1b[0m\n');
  });

  it('recognises a sequence split across chunks', () => {
    const filter = new TerminalFilter();
    expect(filter.push('a\x1b[01')).toBe('a');
    expect(filter.push(';01Hb')).toBe('b');
    expect(filter.push('c\x1b')).toBe('c');
    expect(filter.flush()).toBe('\x1b');
  });
});
