/** A firmware-less boot: QEMU starts the direct loader through its PVH entry, files come from fw_cfg. */
export interface DirectBoot {
  /** The direct loader's ELF (`-kernel`). */
  loader: string;
  /** The files it reads: limine.conf, the kernel and modules (`-fw_cfg name=...,file=...`). */
  files: FwCfgFile[];
  /** QEMU machine; default q35 (microvm boots faster but has no PCI, so no framebuffer). */
  machine?: 'q35' | 'microvm';
}

export interface FwCfgFile {
  /** The fw_cfg name, `opt/ostool/<path>`. */
  name: string;
  /** The host file. */
  file: string;
}

/** Everything that decides QEMU's command line, already resolved (paths found, accelerator chosen). */
export interface QemuPlan {
  /** The disk or CD image; unused for a direct boot. */
  image?: string;
  firmware: 'uefi' | 'bios' | 'direct';
  /** For a direct boot: the loader and its fw_cfg files. */
  direct?: DirectBoot;
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
  const machine = plan.firmware === 'direct' ? (plan.direct?.machine ?? 'q35') : 'q35';
  const args = ['-machine', machine, '-accel', plan.accel, '-m', plan.memory];
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
  if (plan.firmware === 'direct') {
    if (!plan.direct) throw new Error('direct boot planned without its loader and files');
    // No firmware of ours and no disk: QEMU's PVH boot starts the loader, which reads fw_cfg.
    args.push('-kernel', plan.direct.loader);
    // The direct loader sets the framebuffer up through the Bochs VBE registers, not the VGA BIOS: the standard
    // VGA without its option ROM saves SeaBIOS running it (~8 ms of the ~100 ms to the kernel's first line).
    // Only when the user's own arguments choose no display device.
    if (machine === 'q35' && !choosesDisplayDevice(plan.extraArgs))
      args.push('-vga', 'none', '-device', 'VGA,romfile=');
    for (const file of plan.direct.files)
      args.push('-fw_cfg', `name=${escapeOptionValue(file.name)},file=${escapeOptionValue(file.file)}`);
  } else {
    if (plan.image === undefined) throw new Error('image boot planned without an image');
    if (plan.image.toLowerCase().endsWith('.iso')) {
      args.push('-drive', `media=cdrom,format=raw,readonly=on,file=${escapeOptionValue(plan.image)}`);
    } else {
      args.push('-drive', `media=disk,format=raw,file=${escapeOptionValue(plan.image)}`);
    }
  }
  if (plan.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${plan.gdbPort}`, '-S');
  args.push(...plan.extraArgs);
  return args;
}

/** Whether QEMU arguments pick the display device themselves (`-vga`, `-nodefaults`, `-device VGA`, ...). */
function choosesDisplayDevice(extraArgs: readonly string[]): boolean {
  return extraArgs.some(
    (arg, index) =>
      arg === '-vga' ||
      arg === '-nodefaults' ||
      (arg === '-device' &&
        /vga|bochs-display|ramfb|virtio-gpu|qxl|cirrus/i.test(extraArgs[index + 1] ?? '')),
  );
}

/** QEMU option values are comma-separated; a literal comma in a path is written twice. */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}
