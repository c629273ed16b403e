/**
 * End-to-end boots under QEMU (TCG, through the project's runner): the images must start what they carry.
 * UEFI: a tiny EFI app (our stand-in for the built-in loader) from the ISO's El Torito EFI entry, from the
 * HDD's ESP and from the ISO attached as a disk. BIOS: synthetic Limine stages (fixtures) that check what
 * bios-install and the boot info table told them, from the HDD, the ISO as a CD and the ISO as a disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHddImage, buildIsoImage, writeImageFile, type ImageOptions } from '../../src/image/index.js';
import { UEFI_ONLY_MESSAGE } from '../../src/image/uefi-only-mbr.js';
import { runImage, STATUS_PASS, STATUS_TIMEOUT } from '../../src/qemu/index.js';
import { FIXTURES, nasmBin, patternBytes, syntheticLimineDir, syntheticStages, tempDir } from './helpers.js';

const UEFI_TIMEOUT_SECONDS = 90;
const BIOS_TIMEOUT_SECONDS = 30;
/** What the EFI app and the synthetic stages print on COM1 when all they checked was right. */
const EFI_APP_OK = 'OSTOOL-IMAGE-TEST-EFI-OK';
const STAGE2_WHOLE = 'FAKE-STAGE2 WHOLE';
const BOOT_INFO_TABLE_OK = 'FAKE-CD boot info table OK';

let work: Awaited<ReturnType<typeof tempDir>>;
let efiApp: Uint8Array;
let limineDir: string;
/** The same synthetic release as Limine 12 ships it: MBR disks, one stage-2 run. */
let limine12Dir: string;
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
  limine12Dir = (
    await syntheticLimineDir(join(work.dir, 'limine-12'), {
      stages: syntheticStages(await build('bios-stage1-single'), stage2),
      biosCd,
      bootX64: efiApp,
      version: '12.5.1',
    })
  ).dir;
});
afterAll(async () => work.cleanup());

/** What is booted and how QEMU sees it. */
interface Medium {
  layout: 'iso' | 'hdd';
  loader: 'builtin' | 'limine' | 'limine-12';
  /** The runner attaches a `.iso` file as a CD and anything else as a hard disk. */
  attachAs: 'cdrom' | 'disk';
}

interface BootCase extends Medium {
  /** The test's name: what this boot pins down. */
  name: string;
  /** A line the booted code prints on COM1 only when all it checked was right. */
  serialShows: string;
}

/** Builds the image, writes it under a name that makes the runner attach it as asked, and boots it. */
async function bootMedium(
  { layout, loader, attachAs }: Medium,
  fileStem: string,
  firmware: 'uefi' | 'bios',
  timeoutSeconds: number,
) {
  const options: ImageOptions = {
    kernel,
    bootloader:
      loader === 'builtin'
        ? { kind: 'builtin', efi: efiApp }
        : { kind: 'limine', dir: loader === 'limine' ? limineDir : limine12Dir },
  };
  const built = layout === 'iso' ? await buildIsoImage(options) : await buildHddImage(options);
  const image = join(work.dir, `${fileStem}.${attachAs === 'cdrom' ? 'iso' : 'img'}`);
  await writeImageFile(built.image, image);
  return runImage({ image, firmware, timeoutSeconds, headless: true });
}

/** One test per case, under the case's name: the boot must end with the pass code and show the case's line. */
function itBootsAndPasses(cases: BootCase[], firmware: 'uefi' | 'bios', timeoutSeconds: number) {
  for (const bootTest of cases) {
    it(
      bootTest.name,
      async () => {
        const fileStem = `${firmware}-${bootTest.layout}-${bootTest.loader}-as-${bootTest.attachAs}`;
        const run = await bootMedium(bootTest, fileStem, firmware, timeoutSeconds);
        expect(run.serial).toContain(bootTest.serialShows);
        expect(run.status, run.reason).toBe(STATUS_PASS);
      },
      (timeoutSeconds + 10) * 1000,
    );
  }
}

describe('UEFI boot (OVMF) of images carrying an EFI loader', () => {
  const cases: BootCase[] = [
    {
      name: 'boots the ISO from its El Torito EFI entry',
      layout: 'iso',
      loader: 'builtin',
      attachAs: 'cdrom',
      serialShows: EFI_APP_OK,
    },
    {
      name: 'boots the HDD from its GPT EFI System Partition',
      layout: 'hdd',
      loader: 'builtin',
      attachAs: 'disk',
      serialShows: EFI_APP_OK,
    },
    {
      name: 'boots the hybrid ISO attached as a hard disk, through its GPT ESP',
      layout: 'iso',
      loader: 'builtin',
      attachAs: 'disk',
      serialShows: EFI_APP_OK,
    },
    {
      name: 'boots a Limine ISO through limine-uefi-cd.bin',
      layout: 'iso',
      loader: 'limine',
      attachAs: 'cdrom',
      serialShows: EFI_APP_OK,
    },
    {
      name: 'boots the MBR disk made for Limine 12 from its type-EF partition',
      layout: 'hdd',
      loader: 'limine-12',
      attachAs: 'disk',
      serialShows: EFI_APP_OK,
    },
    {
      name: 'boots the Limine 12 ISO attached as a hard disk, through the MBR bios-install made of its GPT',
      layout: 'iso',
      loader: 'limine-12',
      attachAs: 'disk',
      serialShows: EFI_APP_OK,
    },
  ];
  itBootsAndPasses(cases, 'uefi', UEFI_TIMEOUT_SECONDS);
});

describe('BIOS boot (SeaBIOS) of Limine images with synthetic stages', () => {
  const cases: BootCase[] = [
    {
      name: 'runs stage 1 from the HDD MBR, which finds both stage-2 halves in the GPT arrays',
      layout: 'hdd',
      loader: 'limine',
      attachAs: 'disk',
      serialShows: STAGE2_WHOLE,
    },
    {
      name: 'boots the ISO as a CD through the El Torito BIOS entry with a correct boot info table',
      layout: 'iso',
      loader: 'limine',
      attachAs: 'cdrom',
      serialShows: BOOT_INFO_TABLE_OK,
    },
    {
      name: 'boots the same ISO attached as a hard disk through the installed stage 1 and 2',
      layout: 'iso',
      loader: 'limine',
      attachAs: 'disk',
      serialShows: STAGE2_WHOLE,
    },
  ];
  itBootsAndPasses(cases, 'bios', BIOS_TIMEOUT_SECONDS);
});

describe('BIOS boot (SeaBIOS) of images for Limine 10.1 and later, with synthetic stages', () => {
  const cases: BootCase[] = [
    {
      name: 'runs stage 1 from the MBR of the HDD, which reads stage 2 from the gap after the MBR',
      layout: 'hdd',
      loader: 'limine-12',
      attachAs: 'disk',
      serialShows: STAGE2_WHOLE,
    },
    {
      name: 'boots the ISO attached as a hard disk, its GPT turned into an MBR by bios-install',
      layout: 'iso',
      loader: 'limine-12',
      attachAs: 'disk',
      serialShows: STAGE2_WHOLE,
    },
  ];
  itBootsAndPasses(cases, 'bios', BIOS_TIMEOUT_SECONDS);
});

describe('BIOS boot of UEFI-only images (built-in loader)', () => {
  it('says on COM1 that the disk needs UEFI instead of hanging silently', async () => {
    const medium: Medium = { layout: 'hdd', loader: 'builtin', attachAs: 'disk' };
    const run = await bootMedium(medium, 'uefi-only', 'bios', 8);
    expect(run.serial).toContain(UEFI_ONLY_MESSAGE);
    // The message is all it does: the guest never exits, so the run ends by the runner's timeout.
    expect(run.status, run.reason).toBe(STATUS_TIMEOUT);
    expect(run.reason).toMatch(/^timed out/);
  }, 20_000);
});
