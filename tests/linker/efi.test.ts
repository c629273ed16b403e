/**
 * `--oformat efi-app-x86_64`: the PE32+ image is checked with objdump (the oracle for PE headers) and booted
 * under OVMF: the tiny app prints through ConOut->OutputString using an absolute pointer (so it only works if
 * the firmware applied our .reloc table) and exits QEMU with code 33 through isa-debug-exit.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { link } from '../../src/linker/index.js';
import { buildBaseRelocations, peChecksum } from '../../src/linker/pe.js';
import { readElf as summariseObject } from '../assembler/oracle.js';
import { Workdir } from './oracle.js';

const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const source = readFileSync(new URL('./fixtures/sources/efi-hello.asm', import.meta.url), 'utf8');

describe('EFI application output', () => {
  let work: Workdir;
  let image: Uint8Array;
  beforeAll(() => {
    work = new Workdir();
    // The whole path is ostool's own: assembled by ostool asm, linked by ostool link.
    const assembled = assemble({ source, fileName: 'efi-hello.asm', format: 'elf64' });
    if (!assembled.output) throw new Error(assembled.diagnostics.map((d) => d.message).join('\n'));
    work.file('hello.o', assembled.output);
    image = link({
      inputs: [{ name: 'hello.o', data: assembled.output }],
      oformat: 'efi-app-x86_64',
      entry: 'efi_main',
    }).output;
    work.file('hello.efi', image);
  });
  afterAll(() => work.dispose());

  it('assembles the app with ostool asm to the same sections, symbols and relocations nasm gives', () => {
    work.file('efi-hello.asm', source);
    // Run nasm in the work directory on the same relative name, so both objects carry the same STT_FILE name.
    execFileSync('nasm', ['-f', 'elf64', 'efi-hello.asm', '-o', 'nasm.o'], { cwd: work.path });
    expect(summariseObject(readFileSync(join(work.path, 'hello.o')))).toEqual(
      summariseObject(readFileSync(join(work.path, 'nasm.o'))),
    );
  });

  it('writes a PE32+ EFI application objdump understands: subsystem, entry, page-aligned sections, .reloc with DIR64', () => {
    const dump = execFileSync('objdump', ['-x', join(work.path, 'hello.efi')], { encoding: 'utf8' });
    expect(dump).toContain('file format pei-x86-64');
    expect(dump).toMatch(/Magic\s+020b\s+\(PE32\+\)/);
    expect(dump).toMatch(/Subsystem\s+0000000a\s+\(EFI application\)/);
    expect(dump).toMatch(/SectionAlignment\s+00001000/);
    expect(dump).toMatch(/reloc\s+0 offset\s+0 \[3000\] DIR64/);
    const sizeOfImage = Number.parseInt(/SizeOfImage\s+([0-9a-f]+)/.exec(dump)![1]!, 16);
    expect(sizeOfImage % 0x1000).toBe(0);
    const entry = Number.parseInt(/AddressOfEntryPoint\s+([0-9a-f]+)/.exec(dump)![1]!, 16);
    const text = /\.text\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(dump)!;
    const imageBase = Number.parseInt(/ImageBase\s+([0-9a-f]+)/.exec(dump)![1]!, 16);
    expect(entry).toBe(Number.parseInt(text[1]!, 16) - imageBase);
  });

  it('stores the PE checksum over the image with the checksum field skipped', () => {
    const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
    const peOffset = view.getUint32(0x3c, true);
    const checksumOffset = peOffset + 4 + 20 + 64;
    expect(view.getUint32(checksumOffset, true)).toBe(peChecksum(image, checksumOffset));
    // An independent sum: 16-bit words with end-around carry, then plus the file length.
    let sum = 0;
    for (let i = 0; i + 1 < image.length; i += 2) {
      if (i === checksumOffset || i === checksumOffset + 2) continue;
      sum += view.getUint16(i, true);
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    expect(view.getUint32(checksumOffset, true)).toBe(sum + image.length);
  });

  it('builds base relocation blocks per 4 KiB page, padded to 4 bytes', () => {
    const table = buildBaseRelocations([0x3008, 0x1010, 0x1000]);
    const view = new DataView(table.buffer);
    expect([
      view.getUint32(0, true),
      view.getUint32(4, true),
      view.getUint16(8, true),
      view.getUint16(10, true),
    ]).toEqual([0x1000, 12, 0xa000, 0xa010]);
    expect([
      view.getUint32(12, true),
      view.getUint32(16, true),
      view.getUint16(20, true),
      view.getUint16(22, true),
    ]).toEqual([0x3000, 12, 0xa008, 0]);
  });

  it('boots under OVMF, prints through ConOut and exits with isa-debug-exit code 33', async () => {
    const esp = join(work.path, 'esp');
    mkdirSync(join(esp, 'EFI', 'BOOT'), { recursive: true });
    writeFileSync(join(esp, 'EFI', 'BOOT', 'BOOTX64.EFI'), image);
    const vars = join(work.path, 'vars.fd');
    copyFileSync(OVMF_VARS, vars);
    const serial = join(work.path, 'serial.log');
    const result = await execa(
      'qemu-system-x86_64',
      [
        '-accel',
        'tcg',
        '-machine',
        'q35',
        '-m',
        '256',
        '-nic',
        'none',
        '-display',
        'none',
        '-no-reboot',
        '-drive',
        `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
        '-drive',
        `if=pflash,format=raw,file=${vars}`,
        '-drive',
        `format=raw,file=fat:rw:${esp}`,
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=0x04',
        '-serial',
        `file:${serial}`,
      ],
      { stdin: 'ignore', reject: false, timeout: 90_000, forceKillAfterDelay: 2_000 },
    );
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(33);
    expect(readFileSync(serial, 'latin1')).toContain('ostool EFI app says hello');
  }, 120_000);
});
