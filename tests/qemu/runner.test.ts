import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findOvmf, runImage } from '../../src/qemu/index.js';
import { writeEfiDisk } from './efi-app.js';
import { bootImageDir, FAIL, HANG, PASS, processesMentioning, TRIPLE_FAULT } from './boot-images.js';

const images = bootImageDir();
afterAll(images.cleanup);

const bios = { firmware: 'bios' as const, accel: 'tcg' as const, headless: true };

/** Boots a hanging BIOS image and aborts the run once the serial output contains `marker`. */
async function runUntilSerial(image: string, marker: string) {
  const controller = new AbortController();
  let seen = '';
  const result = await runImage({
    ...bios,
    image,
    timeoutSeconds: 30,
    signal: controller.signal,
    onSerial: (text) => {
      seen += text;
      if (seen.includes(marker)) controller.abort();
    },
  });
  return { seen, result };
}

describe('runImage with real QEMU (BIOS, TCG)', () => {
  it('returns 0 and the serial output when the guest writes 0x10 to port 0xf4', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('pass.img', 'booted ok\r\n', PASS),
      timeoutSeconds: 20,
    });
    expect(result.status).toBe(0);
    expect(result.qemuExitCode).toBe(33);
    expect(result.serial).toBe('booted ok\r\n');
    expect(result.accel).toBe('tcg');
  });

  it('returns 1 when the guest writes 0x11', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('fail.img', 'failing\n', FAIL),
      timeoutSeconds: 20,
    });
    expect(result).toMatchObject({ status: 1, qemuExitCode: 35, serial: 'failing\n' });
    expect(result.reason).toContain('0x11');
  });

  it('returns 1, not 4, when the guest writes 0x00 (QEMU exits 1, as on its own errors, but prints nothing)', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('zero.img', 'zero\n', { kind: 'exit', value: 0 }),
      timeoutSeconds: 20,
    });
    expect(result).toMatchObject({ status: 1, qemuExitCode: 1 });
  });

  it('returns 1 for any other code, e.g. 0x42', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('other.img', 'other\n', { kind: 'exit', value: 0x42 }),
      timeoutSeconds: 20,
    });
    expect(result).toMatchObject({ status: 1, qemuExitCode: (0x42 << 1) | 1 });
    expect(result.reason).toContain('0x42');
  });

  it('returns 3 when the guest triple-faults (QEMU exits 0 under -no-reboot: a crash, never a pass)', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('triple.img', 'about to fault\n', TRIPLE_FAULT),
      timeoutSeconds: 20,
    });
    expect(result).toMatchObject({ status: 3, qemuExitCode: 0, serial: 'about to fault\n' });
  });

  it('returns 2 on timeout, keeps the serial output, and leaves no QEMU running', async () => {
    const image = images.write('hang.img', 'hanging now\n', HANG);
    const result = await runImage({ ...bios, image, timeoutSeconds: 1.5 });
    expect(result.status).toBe(2);
    expect(result.serial).toBe('hanging now\n');
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    expect(processesMentioning(image)).toEqual([]);
  });

  it('stops QEMU when the abort signal fires and reports the run as interrupted, leaving no QEMU running', async () => {
    const image = images.write('abort.img', 'waiting for ctrl-c\n', HANG);
    const { result } = await runUntilSerial(image, 'ctrl-c\n');
    expect(result.interrupted).toBe(true);
    expect(result.status).toBe(2);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(processesMentioning(image)).toEqual([]);
  });

  it('streams serial output to onSerial as it arrives, before QEMU exits', async () => {
    const image = images.write('stream.img', 'line one\nline two\n', HANG);
    // Only a live stream can see the text while the guest is still running (it hangs forever).
    const { seen, result } = await runUntilSerial(image, 'line two\n');
    expect(seen).toBe('line one\nline two\n');
    expect(result.interrupted).toBe(true);
  });

  it("returns 4 with QEMU's own message when QEMU rejects its arguments", async () => {
    const result = await runImage({
      ...bios,
      image: images.write('args.img', 'x\n', PASS),
      timeoutSeconds: 20,
      extraArgs: ['-no-such-option'],
    });
    expect(result.status).toBe(4);
    expect(result.reason).toContain('-no-such-option');
  });

  it('returns 4 without starting anything when the QEMU binary is missing', async () => {
    const result = await runImage({
      ...bios,
      image: images.write('noqemu.img', 'x\n', PASS),
      timeoutSeconds: 20,
      qemu: '/nonexistent/qemu-system-x86_64',
    });
    expect(result.status).toBe(4);
    expect(result.reason).toContain('/nonexistent/qemu-system-x86_64 not found');
    expect(result.command).toEqual([]);
  });

  it('returns 4 naming the file when the OVMF override points at a missing file', async () => {
    const result = await runImage({
      image: images.write('noovmf.img', 'x\n', PASS),
      firmware: 'uefi',
      accel: 'tcg',
      headless: true,
      timeoutSeconds: 20,
      ovmfCode: '/nonexistent/OVMF_CODE.fd',
    });
    expect(result.status).toBe(4);
    expect(result.reason).toContain('/nonexistent/OVMF_CODE.fd');
  });

  it('returns 4 when the image does not exist', async () => {
    const result = await runImage({ ...bios, image: `${images.dir}/missing.img`, timeoutSeconds: 20 });
    expect(result).toMatchObject({ status: 4 });
    expect(result.reason).toContain('missing.img does not exist');
  });
});

describe('runImage under UEFI (OVMF, TCG)', () => {
  const ovmf = findOvmf();
  it('boots a UEFI application from a private copy of the vars, returns its 0x10 as 0, and removes the copy', async () => {
    expect(ovmf.found).toBe(true);
    if (!ovmf.found) return;
    const before = { mtime: statSync(ovmf.vars).mtimeMs, bytes: readFileSync(ovmf.vars) };
    const image = writeEfiDisk(images.dir, 'uefi-pass', 'hello from uefi\n', 0x10);
    const result = await runImage({
      image,
      firmware: 'uefi',
      accel: 'tcg',
      headless: true,
      timeoutSeconds: 60,
    });
    expect(result.status).toBe(0);
    expect(result.serial).toContain('hello from uefi\n');
    const varsArg = result.command.find((arg) => arg.startsWith('if=pflash') && arg.includes('unit=1'));
    const varsCopy = varsArg!.split('file=')[1]!;
    expect(varsCopy).not.toBe(ovmf.vars);
    expect(existsSync(varsCopy)).toBe(false);
    expect(result.command).toContain(`if=pflash,format=raw,unit=0,readonly=on,file=${ovmf.code}`);
    expect(statSync(ovmf.vars).mtimeMs).toBe(before.mtime);
    expect(readFileSync(ovmf.vars)).toEqual(before.bytes);
  });

  it('returns 1 for a UEFI application that writes 0x11', async () => {
    const image = writeEfiDisk(images.dir, 'uefi-fail', 'failing under uefi\n', 0x11);
    const result = await runImage({
      image,
      firmware: 'uefi',
      accel: 'tcg',
      headless: true,
      timeoutSeconds: 60,
    });
    expect(result).toMatchObject({ status: 1, qemuExitCode: 35 });
    expect(result.serial).toContain('failing under uefi\n');
  });
});
