/**
 * Tiny BIOS boot sectors assembled from bytes: they print a message on COM1 and then end in a chosen way.
 * The KVM probe boots one, and the tests boot one per exit path, so the runner can be checked against a
 * real QEMU without any kernel, assembler or image builder.
 */

/** How the boot sector ends after printing its message. */
export type BootSectorEnding =
  | { kind: 'exit'; value: number } // write `value` to the isa-debug-exit port 0xf4
  | { kind: 'hang' } // cli; hlt forever (cheap for the host: TCG idles on hlt)
  | { kind: 'triple-fault' }; // load an empty IDT and raise int 3

/**
 * SeaBIOS on q35 (AHCI) refuses to boot disks smaller than 512 KiB ("could not read the boot disk",
 * measured with QEMU 7.2), so boot-sector images are padded to this size before QEMU sees them.
 */
export const MIN_BOOTABLE_DISK_BYTES = 1024 * 1024;

const SECTOR_BYTES = 512;
const LOAD_ADDRESS = 0x7c00;
const DEBUG_EXIT_PORT = 0xf4;

/**
 * Returns the 512-byte sector. The code is 16-bit real mode loaded at 0x7c00:
 *   cli; xor ax,ax; mov ds,ax; mov si,msg
 *   next: lodsb; test al,al; jz done; mov dx,0x3f8; out dx,al; jmp next
 *   done: <ending>
 *   msg: db <message>, 0   (then, for triple-fault, a zeroed 6-byte IDTR)
 */
export function buildBootSector(message: string, ending: BootSectorEnding): Uint8Array {
  const text = new TextEncoder().encode(message);
  if (text.includes(0)) throw new Error('boot sector message must not contain NUL bytes');
  // prettier-ignore
  const printLoop = [
    0xfa,                   // cli
    0x31, 0xc0,             // xor ax, ax
    0x8e, 0xd8,             // mov ds, ax
    0xbe, 0x00, 0x00,       // mov si, msg       (patched below)
    0xac,                   // next: lodsb
    0x84, 0xc0,             // test al, al
    0x74, 0x06,             // jz done
    0xba, 0xf8, 0x03,       // mov dx, 0x3f8     (COM1 data register)
    0xee,                   // out dx, al
    0xeb, 0xf5,             // jmp next
  ];
  const idleForever = [0xfa, 0xf4, 0xeb, 0xfd]; // cli; hlt; jmp back to hlt
  let endingBytes: number[];
  switch (ending.kind) {
    case 'exit':
      endingBytes = [0xb0, ending.value & 0xff, 0xe6, DEBUG_EXIT_PORT, ...idleForever]; // mov al, v; out 0xf4, al
      break;
    case 'hang':
      endingBytes = idleForever;
      break;
    case 'triple-fault':
      endingBytes = [0x0f, 0x01, 0x1e, 0x00, 0x00, 0xcd, 0x03, ...idleForever]; // lidt [idtr]; int 3
      break;
  }
  const code = [...printLoop, ...endingBytes];
  const messageOffset = code.length;
  const idtrOffset = messageOffset + text.length + 1;
  const needed = idtrOffset + (ending.kind === 'triple-fault' ? 6 : 0);
  if (needed > SECTOR_BYTES - 2) throw new Error(`boot sector message too long (${text.length} bytes)`);

  const sector = new Uint8Array(SECTOR_BYTES);
  sector.set(code, 0);
  sector.set(text, messageOffset);
  writeU16(sector, 6, LOAD_ADDRESS + messageOffset);
  if (ending.kind === 'triple-fault') writeU16(sector, printLoop.length + 3, LOAD_ADDRESS + idtrOffset);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The sector padded with zeros to a size SeaBIOS on q35 will boot. */
export function buildBootDisk(message: string, ending: BootSectorEnding): Uint8Array {
  const disk = new Uint8Array(MIN_BOOTABLE_DISK_BYTES);
  disk.set(buildBootSector(message, ending), 0);
  return disk;
}

function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >> 8) & 0xff;
}
