/**
 * `--oformat efi-app-x86_64`: the PE32+ image is checked with objdump (the oracle for PE headers) and booted
 * under OVMF with the project's QEMU runner: the tiny app prints through ConOut->OutputString using an absolute
 * pointer (so it only works if the firmware applied our .reloc table) and exits QEMU with code 33 through
 * isa-debug-exit.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler/index.js';
import { link } from '../../src/linker/index.js';
import { runImage, STATUS_PASS } from '../../src/qemu/index.js';
import { buildBaseRelocations, peChecksum } from '../../src/linker/pe.js';
import { readElf as summariseObject } from '../assembler/oracle.js';
import { Workdir } from './oracle.js';

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
    // Each block: page RVA (u32), block size (u32), then u16 entries of type 0xa (DIR64) << 12 | page offset.
    const block = (at: number) => [
      view.getUint32(at, true),
      view.getUint32(at + 4, true),
      view.getUint16(at + 8, true),
      view.getUint16(at + 10, true),
    ];
    expect(block(0)).toEqual([0x1000, 12, 0xa000, 0xa010]);
    expect(block(12)).toEqual([0x3000, 12, 0xa008, 0]);
  });

  it('boots under OVMF, prints through ConOut and exits with isa-debug-exit code 33', async () => {
    // The ESP is a whole-disk FAT volume made by mtools (the oracle), holding the app at the removable-media path.
    const esp = join(work.path, 'esp.img');
    execFileSync('mformat', ['-C', '-i', esp, '-f', '1440', '::']);
    execFileSync('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT']);
    execFileSync('mcopy', ['-i', esp, join(work.path, 'hello.efi'), '::/EFI/BOOT/BOOTX64.EFI']);
    const run = await runImage({ image: esp, firmware: 'uefi', timeoutSeconds: 90, headless: true });
    expect(run.status, run.reason).toBe(STATUS_PASS);
    expect(run.qemuExitCode).toBe(33);
    expect(run.serial).toContain('ostool EFI app says hello');
  }, 120_000);
});
