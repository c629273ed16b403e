import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A minimal UEFI application (PE32+, one .text section, position-independent so OVMF needs no relocations)
 * that prints `message` on COM1 and writes `exitValue` to port 0xf4, on a FAT disk at \EFI\BOOT\BOOTX64.EFI.
 * Assembled by nasm and packed by mkfs.fat + mtools (all installed by set-up), so UEFI runs can be tested
 * before ostool's own loader and image builder exist.
 */
export function writeEfiDisk(dir: string, name: string, message: string, exitValue: number): string {
  const bytes = [...new TextEncoder().encode(message)].join(', ');
  const source = `bits 64
default rel
SECTION_RVA equ 0x1000
        dw 'MZ'
        times 0x3c - ($ - $$) db 0
        dd pe
pe:     db 'PE', 0, 0
        dw 0x8664, 1                    ; machine x86-64, one section
        dd 0, 0, 0
        dw opt_end - opt, 0x0022        ; executable, large address aware
opt:    dw 0x20b                        ; PE32+
        db 0, 0
        dd 0x200, 0, 0, SECTION_RVA, SECTION_RVA
        dq 0x140000000
        dd 0x1000, 0x200                ; section and file alignment
        dw 0, 0, 0, 0, 0, 0
        dd 0, 0x2000, 0x200, 0          ; size of image, size of headers
        dw 10, 0                        ; subsystem: EFI application
        dq 0x10000, 0x1000, 0x10000, 0x1000
        dd 0, 16
        times 16 dq 0
opt_end:
        db '.text', 0, 0, 0
        dd 0x200, SECTION_RVA, 0x200, 0x200, 0, 0
        dw 0, 0
        dd 0x60000020                   ; code, execute, read
        times 0x200 - ($ - $$) db 0
        lea rsi, [rel msg]
        mov dx, 0x3f8
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  mov al, ${exitValue}
        out 0xf4, al
        cli
.idle:  hlt
        jmp .idle
msg:    db ${bytes}, 0
        times 0x400 - ($ - $$) db 0
`;
  const asm = join(dir, `${name}.asm`);
  const efi = join(dir, `${name}.efi`);
  const disk = join(dir, `${name}.img`);
  writeFileSync(asm, source);
  execFileSync('nasm', ['-f', 'bin', '-o', efi, asm]);
  execFileSync('mkfs.fat', ['-C', disk, '32768'], {
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  execFileSync('mmd', ['-i', disk, '::/EFI', '::/EFI/BOOT']);
  execFileSync('mcopy', ['-i', disk, efi, '::/EFI/BOOT/BOOTX64.EFI']);
  return disk;
}
