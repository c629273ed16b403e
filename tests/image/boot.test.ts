/**
 * End-to-end boots under QEMU (TCG): the images must start what they carry. UEFI: a tiny EFI app (our
 * stand-in for the built-in loader) from the ISO's El Torito EFI entry, from the HDD's ESP and from the
 * ISO attached as a disk. BIOS: synthetic Limine stages (fixtures) that check what bios-install and the
 * boot info table told them, from the HDD, the ISO as a CD and the ISO as a disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHddImage, buildIsoImage, writeImageFile } from '../../src/image/index.js';
import { UEFI_ONLY_MESSAGE } from '../../src/image/uefi-only-mbr.js';
import {
  bootImage,
  FIXTURES,
  nasmBin,
  patternBytes,
  syntheticLimineDir,
  syntheticStages,
  tempDir,
} from './helpers.js';

const PASS = 33; // isa-debug-exit: (0x10 << 1) | 1
const UEFI_TIMEOUT = 90_000;
const BIOS_TIMEOUT = 30_000;

let work: Awaited<ReturnType<typeof tempDir>>;
let efiApp: Uint8Array;
let limineDir: string;
const kernel = patternBytes(64 * 1024, 41);

beforeAll(async () => {
  work = await tempDir();
  const build = async (name: string) => {
    const out = join(work.dir, `${name}.bin`);
    await nasmBin(join(FIXTURES, `${name}.asm`), out);
    return new Uint8Array(await readFile(out));
  };
  efiApp = await build('hello-efi');
  const stage1 = await build('bios-stage1');
  const stage2 = await build('bios-stage2');
  const biosCd = await build('bios-cd');
  limineDir = (
    await syntheticLimineDir(join(work.dir, 'limine'), {
      stages: syntheticStages(stage1, stage2),
      biosCd,
      bootX64: efiApp,
    })
  ).dir;
});
afterAll(async () => work.cleanup());

async function written(
  built: Promise<{ image: Parameters<typeof writeImageFile>[0] }>,
  name: string,
): Promise<string> {
  const path = join(work.dir, name);
  await writeImageFile((await built).image, path);
  return path;
}

describe('UEFI boot (OVMF) of images carrying an EFI loader', () => {
  it(
    'boots the ISO from its El Torito EFI entry',
    async () => {
      const iso = await written(
        buildIsoImage({ kernel, bootloader: { kind: 'builtin', efi: efiApp } }),
        'uefi.iso',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'uefi',
        media: ['-cdrom', iso],
        timeoutMs: UEFI_TIMEOUT,
      });
      expect(run.serial).toContain('OSTOOL-IMAGE-TEST-EFI-OK');
      expect(run.exitCode).toBe(PASS);
    },
    UEFI_TIMEOUT + 10_000,
  );

  it(
    'boots the HDD from its GPT EFI System Partition',
    async () => {
      const hdd = await written(
        buildHddImage({ kernel, bootloader: { kind: 'builtin', efi: efiApp } }),
        'uefi.img',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'uefi',
        media: ['-drive', `format=raw,file=${hdd}`],
        timeoutMs: UEFI_TIMEOUT,
      });
      expect(run.serial).toContain('OSTOOL-IMAGE-TEST-EFI-OK');
      expect(run.exitCode).toBe(PASS);
    },
    UEFI_TIMEOUT + 10_000,
  );

  it(
    'boots the hybrid ISO attached as a hard disk, through its GPT ESP',
    async () => {
      const iso = await written(
        buildIsoImage({ kernel, bootloader: { kind: 'builtin', efi: efiApp } }),
        'uefi-disk.iso',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'uefi',
        media: ['-drive', `format=raw,file=${iso}`],
        timeoutMs: UEFI_TIMEOUT,
      });
      expect(run.serial).toContain('OSTOOL-IMAGE-TEST-EFI-OK');
      expect(run.exitCode).toBe(PASS);
    },
    UEFI_TIMEOUT + 10_000,
  );

  it(
    'boots a Limine ISO through limine-uefi-cd.bin',
    async () => {
      const iso = await written(
        buildIsoImage({ kernel, bootloader: { kind: 'limine', dir: limineDir } }),
        'limine-uefi.iso',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'uefi',
        media: ['-cdrom', iso],
        timeoutMs: UEFI_TIMEOUT,
      });
      expect(run.serial).toContain('OSTOOL-IMAGE-TEST-EFI-OK');
      expect(run.exitCode).toBe(PASS);
    },
    UEFI_TIMEOUT + 10_000,
  );
});

describe('BIOS boot (SeaBIOS) of Limine images with synthetic stages', () => {
  it(
    'runs stage 1 from the HDD MBR, which finds both stage-2 halves in the GPT arrays',
    async () => {
      const hdd = await written(
        buildHddImage({ kernel, bootloader: { kind: 'limine', dir: limineDir } }),
        'bios.img',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'bios',
        media: ['-drive', `format=raw,file=${hdd}`],
        timeoutMs: BIOS_TIMEOUT,
      });
      expect(run.serial).toContain('FAKE-STAGE2 WHOLE');
      expect(run.exitCode).toBe(PASS);
    },
    BIOS_TIMEOUT + 10_000,
  );

  it(
    'boots the ISO as a CD through the El Torito BIOS entry with a correct boot info table',
    async () => {
      const iso = await written(
        buildIsoImage({ kernel, bootloader: { kind: 'limine', dir: limineDir } }),
        'bios.iso',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'bios',
        media: ['-cdrom', iso],
        timeoutMs: BIOS_TIMEOUT,
      });
      expect(run.serial).toContain('FAKE-CD boot info table OK');
      expect(run.exitCode).toBe(PASS);
    },
    BIOS_TIMEOUT + 10_000,
  );

  it(
    'boots the same ISO attached as a hard disk through the installed stage 1 and 2',
    async () => {
      const iso = await written(
        buildIsoImage({ kernel, bootloader: { kind: 'limine', dir: limineDir } }),
        'bios-disk.iso',
      );
      const run = await bootImage({
        workDir: work.dir,
        firmware: 'bios',
        media: ['-drive', `format=raw,file=${iso}`],
        timeoutMs: BIOS_TIMEOUT,
      });
      expect(run.serial).toContain('FAKE-STAGE2 WHOLE');
      expect(run.exitCode).toBe(PASS);
    },
    BIOS_TIMEOUT + 10_000,
  );
});

describe('BIOS boot of UEFI-only images (built-in loader)', () => {
  it('says on COM1 that the disk needs UEFI instead of hanging silently', async () => {
    const hdd = await written(
      buildHddImage({ kernel, bootloader: { kind: 'builtin', efi: efiApp } }),
      'uefi-only.img',
    );
    const run = await bootImage({
      workDir: work.dir,
      firmware: 'bios',
      media: ['-drive', `format=raw,file=${hdd}`],
      timeoutMs: 8_000,
    });
    expect(run.serial).toContain(UEFI_ONLY_MESSAGE);
    expect(run.timedOut).toBe(true);
  }, 20_000);
});
