/**
 * MBR boot code for images only UEFI can boot (built-in loader): a BIOS that boots the disk anyway
 * prints why on the screen and COM1 instead of hanging silently. Assembled by nasm from:
 *
 *   org 0x7c00
 *   start:  cli / xor ax,ax / mov ds,ax / mov ss,ax / mov sp,0x7c00 / sti
 *           mov si, message                 ; message follows the code, at 0x7c24
 *   .next:  lodsb / test al,al / jz .halt
 *           mov dx, 0x3f8 / out dx, al      ; COM1
 *           mov ah, 0x0e / mov bx, 7 / int 0x10   ; teletype output
 *           jmp .next
 *   .halt:  cli / hlt / jmp .halt
 */
// prettier-ignore
const CODE = Uint8Array.of(
  0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, 0xfb, 0xbe, 0x24, 0x7c, 0xac, 0x84, 0xc0, 0x74,
  0x0d, 0xba, 0xf8, 0x03, 0xee, 0xb4, 0x0e, 0xbb, 0x07, 0x00, 0xcd, 0x10, 0xeb, 0xee, 0xfa, 0xf4, 0xeb, 0xfc,
);
const MESSAGE_OFFSET = 0x24;

export const UEFI_ONLY_MESSAGE =
  'ostool: this image boots with UEFI only (built-in loader): use UEFI firmware, or build it with Limine for BIOS';

/** The boot code area (at most 440 bytes, before the disk signature and partition table). */
export function uefiOnlyBootCode(): Uint8Array {
  const text = new TextEncoder().encode(`\r\n${UEFI_ONLY_MESSAGE}\r\n\0`);
  const code = new Uint8Array(MESSAGE_OFFSET + text.length);
  code.set(CODE);
  code.set(text, MESSAGE_OFFSET);
  if (code.length > 440) throw new Error('UEFI-only boot code does not fit the MBR');
  return code;
}
