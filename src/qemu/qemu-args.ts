/** Everything that decides QEMU's command line, already resolved (paths found, accelerator chosen). */
export interface QemuPlan {
  image: string;
  firmware: 'uefi' | 'bios';
  /** For UEFI: the read-only code and this run's private copy of the vars. */
  ovmf?: { code: string; varsCopy: string };
  accel: 'kvm' | 'tcg';
  memory: string;
  headless: boolean;
  /** TCP port of the gdb server; QEMU then starts paused. */
  gdbPort?: number;
  extraArgs: string[];
}

/** The isa-debug-exit device: a guest write of v to port 0xf4 makes QEMU exit with status (v << 1) | 1. */
export const DEBUG_EXIT_DEVICE = 'isa-debug-exit,iobase=0xf4,iosize=0x04';

/** QEMU's command line for one run. Pure, so every flag the runner relies on can be pinned down by a test. */
export function buildQemuArgs(plan: QemuPlan): string[] {
  const args = ['-machine', 'q35', '-accel', plan.accel, '-m', plan.memory];
  // No network: no NIC option ROM to load (about 0.4 s per UEFI boot) and no PXE fallback to hang in.
  args.push('-nic', 'none');
  // A reset or triple fault ends the run (QEMU exits 0) instead of rebooting into the same crash forever.
  args.push('-no-reboot');
  args.push('-device', DEBUG_EXIT_DEVICE);
  // Guest serial on QEMU's stdout; the runner never gives QEMU a stdin, so no stray key can reach the firmware.
  args.push('-serial', 'stdio');
  if (plan.headless) args.push('-display', 'none', '-monitor', 'none');
  if (plan.firmware === 'uefi') {
    if (!plan.ovmf) throw new Error('UEFI run planned without OVMF files');
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${escapeOptionValue(plan.ovmf.code)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${escapeOptionValue(plan.ovmf.varsCopy)}`);
  }
  if (plan.image.toLowerCase().endsWith('.iso')) {
    args.push('-drive', `media=cdrom,format=raw,readonly=on,file=${escapeOptionValue(plan.image)}`);
  } else {
    args.push('-drive', `media=disk,format=raw,file=${escapeOptionValue(plan.image)}`);
  }
  if (plan.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${plan.gdbPort}`, '-S');
  args.push(...plan.extraArgs);
  return args;
}

/** QEMU option values are comma-separated; a literal comma in a path is written twice. */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}
