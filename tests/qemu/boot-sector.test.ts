import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildBootDisk,
  buildBootSector,
  MIN_BOOTABLE_DISK_BYTES,
  type BootSectorEnding,
} from '../../src/qemu/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ostool-bootsector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same program in NASM syntax, assembled by nasm: the oracle for the hand-encoded bytes. */
function nasmBootSector(message: string, ending: BootSectorEnding): Uint8Array {
  const endingSource = {
    exit: `mov al, ${ending.kind === 'exit' ? ending.value : 0}\n out 0xf4, al\n`,
    hang: '',
    'triple-fault': 'lidt [idtr]\n int 3\n',
  }[ending.kind];
  const bytes = [...new TextEncoder().encode(message)].join(', ');
  const source = `bits 16
org 0x7c00
  cli
  xor ax, ax
  mov ds, ax
  mov si, msg
next:
  lodsb
  test al, al
  jz done
  mov dx, 0x3f8
  out dx, al
  jmp next
done:
  ${endingSource}
  cli
idle:
  hlt
  jmp idle
msg: db ${bytes}, 0
${ending.kind === 'triple-fault' ? 'idtr: dw 0\n dd 0' : ''}
times 510 - ($ - $$) db 0
dw 0xaa55
`;
  const name = `${ending.kind}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, `${name}.asm`), source);
  execFileSync('nasm', ['-f', 'bin', '-o', join(dir, `${name}.bin`), join(dir, `${name}.asm`)]);
  return new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
}

describe('buildBootSector', () => {
  const endings: BootSectorEnding[] = [
    { kind: 'exit', value: 0x10 },
    { kind: 'exit', value: 0x11 },
    { kind: 'hang' },
    { kind: 'triple-fault' },
  ];
  for (const ending of endings) {
    it(`encodes the ${ending.kind === 'exit' ? `exit 0x${ending.value.toString(16)}` : ending.kind} sector byte for byte as nasm does`, () => {
      const message = '1..2\nok 1 - a\nok 2 - b\n';
      expect(buildBootSector(message, ending)).toEqual(nasmBootSector(message, ending));
    });
  }

  it('rejects a message that does not fit in the sector', () => {
    expect(() => buildBootSector('x'.repeat(500), { kind: 'hang' })).toThrow(/too long/);
  });

  it('pads the disk to a size SeaBIOS on q35 boots, with the sector first', () => {
    const disk = buildBootDisk('hi\n', { kind: 'hang' });
    expect(disk.length).toBe(MIN_BOOTABLE_DISK_BYTES);
    expect(disk.subarray(0, 512)).toEqual(buildBootSector('hi\n', { kind: 'hang' }));
  });
});
