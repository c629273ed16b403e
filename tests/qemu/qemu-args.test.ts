import { describe, expect, it } from 'vitest';
import { buildQemuArgs, type QemuPlan } from '../../src/qemu/index.js';

const plan: QemuPlan = {
  image: '/tmp/os.img',
  firmware: 'bios',
  accel: 'tcg',
  memory: '256M',
  headless: true,
  extraArgs: [],
};

/** The value following `flag` each time it appears. */
function valuesOf(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1]!] : []));
}

describe('buildQemuArgs', () => {
  it('boots q35 with isa-debug-exit at 0xf4, -no-reboot, no NIC and serial on stdio', () => {
    const args = buildQemuArgs(plan);
    expect(valuesOf(args, '-machine')).toEqual(['q35']);
    expect(valuesOf(args, '-device')).toContain('isa-debug-exit,iobase=0xf4,iosize=0x04');
    expect(args).toContain('-no-reboot');
    expect(valuesOf(args, '-nic')).toEqual(['none']);
    expect(valuesOf(args, '-serial')).toEqual(['stdio']);
    expect(valuesOf(args, '-accel')).toEqual(['tcg']);
  });

  it('adds -display none only when headless', () => {
    expect(valuesOf(buildQemuArgs(plan), '-display')).toEqual(['none']);
    expect(valuesOf(buildQemuArgs({ ...plan, headless: false }), '-display')).toEqual([]);
  });

  it('attaches .iso images as a CD and anything else as a raw disk', () => {
    expect(valuesOf(buildQemuArgs({ ...plan, image: '/x/OS.ISO' }), '-drive')).toEqual([
      'media=cdrom,format=raw,readonly=on,file=/x/OS.ISO',
    ]);
    expect(valuesOf(buildQemuArgs(plan), '-drive')).toEqual(['media=disk,format=raw,file=/tmp/os.img']);
  });

  it('maps OVMF as pflash: code read-only in unit 0, the private vars copy writable in unit 1', () => {
    const drives = valuesOf(
      buildQemuArgs({ ...plan, firmware: 'uefi', ovmf: { code: '/fw/CODE.fd', varsCopy: '/run/VARS.fd' } }),
      '-drive',
    );
    expect(drives.slice(0, 2)).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd',
      'if=pflash,format=raw,unit=1,file=/run/VARS.fd',
    ]);
  });

  it('doubles commas in paths, as QEMU option syntax requires', () => {
    expect(valuesOf(buildQemuArgs({ ...plan, image: '/tmp/a,b.img' }), '-drive')).toEqual([
      'media=disk,format=raw,file=/tmp/a,,b.img',
    ]);
  });

  it('starts paused with a gdb server on the given port, and appends extra args last', () => {
    const args = buildQemuArgs({ ...plan, gdbPort: 4321, extraArgs: ['-d', 'int'] });
    expect(valuesOf(args, '-gdb')).toEqual(['tcp:127.0.0.1:4321']);
    expect(args).toContain('-S');
    expect(args.slice(-2)).toEqual(['-d', 'int']);
  });

  it('boots directly with -kernel and one -fw_cfg per file, no drive, on q35 or microvm', () => {
    const direct = {
      loader: '/c/loader.elf',
      files: [
        { name: 'opt/ostool/boot/kernel', file: '/b/kernel.elf' },
        { name: 'opt/ostool/boot/modules/a,b', file: '/b/a,b' },
      ],
    };
    const args = buildQemuArgs({ ...plan, image: undefined, firmware: 'direct', direct });
    expect(valuesOf(args, '-kernel')).toEqual(['/c/loader.elf']);
    expect(valuesOf(args, '-fw_cfg')).toEqual([
      'name=opt/ostool/boot/kernel,file=/b/kernel.elf',
      'name=opt/ostool/boot/modules/a,,b,file=/b/a,,b',
    ]);
    expect(valuesOf(args, '-drive')).toEqual([]);
    expect(valuesOf(args, '-machine')).toEqual(['q35']);
    const microvm = buildQemuArgs({ ...plan, firmware: 'direct', direct: { ...direct, machine: 'microvm' } });
    expect(valuesOf(microvm, '-machine')).toEqual(['microvm']);
    expect(valuesOf(microvm, '-device')).toContain('isa-debug-exit,iobase=0xf4,iosize=0x04');
  });

  it('gives a direct boot on q35 the standard VGA without its option ROM, unless the user picks a display device', () => {
    const direct = { loader: '/c/loader.elf', files: [] };
    const args = buildQemuArgs({ ...plan, image: undefined, firmware: 'direct', direct });
    expect(valuesOf(args, '-vga')).toEqual(['none']);
    expect(valuesOf(args, '-device')).toContain('VGA,romfile=');
    for (const extraArgs of [['-vga', 'virtio'], ['-device', 'bochs-display'], ['-nodefaults']]) {
      const own = buildQemuArgs({ ...plan, image: undefined, firmware: 'direct', direct, extraArgs });
      expect(valuesOf(own, '-device')).not.toContain('VGA,romfile=');
    }
    const microvm = buildQemuArgs({ ...plan, firmware: 'direct', direct: { ...direct, machine: 'microvm' } });
    expect(valuesOf(microvm, '-device')).not.toContain('VGA,romfile=');
    const imageBoot = buildQemuArgs(plan);
    expect(valuesOf(imageBoot, '-vga')).toEqual([]);
  });
});
