/**
 * npm run bench:image — ISO + HDD for the same kernel, built by ostool and by the Limine templates'
 * native pipeline (xorriso; dd + sgdisk + mtools; a dd stand-in for `limine bios-install`, which is
 * not available here), measured in the same run. Prints medians and the ratio.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleObject, linkExecutable } from '../src/build/toolchain.js';
import { buildHddImage, buildIsoImage, readLimineDir, writeImageFile } from '../src/image/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const KERNEL_BYTES = 2 * 1024 * 1024;

function pseudoRandom(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function median(label: string, body: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const value = times[Math.floor(times.length / 2)];
  console.log(
    `  ${label.padEnd(44)} ${value.toFixed(1).padStart(8)} ms   (min ${times[0].toFixed(1)}, max ${times.at(-1)!.toFixed(1)})`,
  );
  return value;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-bench-image-'));
  try {
    // Synthetic Limine release: real-sized stage files whose bytes we control.
    const limineDir = join(work, 'limine');
    await mkdir(limineDir);
    const stages = pseudoRandom(512 + 21_000, 1);
    stages[510] = 0x55;
    stages[511] = 0xaa;
    const header = `const uint8_t binary_limine_hdd_bin_data[] = {\n${[...stages].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}\n};\n`;
    await writeFile(join(limineDir, 'limine-bios-hdd.h'), header);
    await writeFile(join(limineDir, 'stages.bin'), stages);
    await writeFile(join(limineDir, 'limine-bios-cd.bin'), pseudoRandom(2048, 2));
    await writeFile(join(limineDir, 'limine-bios.sys'), pseudoRandom(40_000, 3));
    // Limine names its version in its loaders ("Limine " LIMINE_VERSION); 8.x: GPT embedding.
    const bootX64 = pseudoRandom(200_000, 4);
    bootX64.set(new TextEncoder().encode('Limine 8.2.0\0'), 100_000);
    await writeFile(join(limineDir, 'BOOTX64.EFI'), bootX64);
    run('mformat', ['-C', '-i', join(limineDir, 'limine-uefi-cd.bin'), '-f', '1440', '::']);
    run('mmd', ['-i', join(limineDir, 'limine-uefi-cd.bin'), '::/EFI', '::/EFI/BOOT']);
    run('mcopy', [
      '-i',
      join(limineDir, 'limine-uefi-cd.bin'),
      join(limineDir, 'BOOTX64.EFI'),
      '::/EFI/BOOT/',
    ]);
    // A real higher-half kernel ELF (the image commands check it as the loaders would) carrying a
    // pseudo-random payload so its size is KERNEL_BYTES.
    await writeFile(join(work, 'payload.bin'), pseudoRandom(KERNEL_BYTES, 5));
    const { object } = assembleObject({
      source: `section .text\nglobal kmain\nkmain: hlt\njmp kmain\nsection .rodata\nincbin "payload.bin"\n`,
      fileName: join(work, 'kernel.asm'),
      includePaths: [`${work}/`],
      readFile: (path) => (existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined),
    });
    const kernel = linkExecutable({
      inputs: [{ name: 'kernel.o', data: object }],
      script:
        'ENTRY(kmain) SECTIONS { . = 0xffffffff80000000; .text : { *(.text) } . = ALIGN(4096); .rodata : { *(.rodata) } }',
    }).output;
    const kernelPath = join(work, 'kernel');
    await writeFile(kernelPath, kernel);
    const config =
      'timeout: 0\nserial: yes\n\n/ostool\n    protocol: limine\n    kernel_path: boot():/boot/kernel\n';
    await writeFile(join(work, 'limine.conf'), config);

    console.log(
      `bench:image — ${KERNEL_BYTES / 1024 / 1024} MiB kernel, synthetic Limine stages, 64 MiB disk, median of ${RUNS}`,
    );
    console.log('native pipeline (Limine templates):');
    const nativeIso = await median('xorriso ISO + bios-install stand-in', () => {
      const root = join(work, 'iso_root');
      execFileSync('rm', ['-rf', root]);
      execFileSync('mkdir', ['-p', join(root, 'boot/limine'), join(root, 'EFI/BOOT')]);
      execFileSync('cp', [kernelPath, join(root, 'boot/kernel')]);
      execFileSync('cp', [
        join(work, 'limine.conf'),
        join(limineDir, 'limine-bios.sys'),
        join(limineDir, 'limine-bios-cd.bin'),
        join(limineDir, 'limine-uefi-cd.bin'),
        join(root, 'boot/limine/'),
      ]);
      execFileSync('cp', [join(limineDir, 'BOOTX64.EFI'), join(root, 'EFI/BOOT/')]);
      run('xorriso', [
        '-as',
        'mkisofs',
        '-R',
        '-r',
        '-J',
        '-b',
        'boot/limine/limine-bios-cd.bin',
        '-no-emul-boot',
        '-boot-load-size',
        '4',
        '-boot-info-table',
        '-hfsplus',
        '-apm-block-size',
        '2048',
        '--efi-boot',
        'boot/limine/limine-uefi-cd.bin',
        '-efi-boot-part',
        '--efi-boot-image',
        '--protective-msdos-label',
        root,
        '-o',
        join(work, 'native.iso'),
      ]);
      biosInstallStandIn(join(work, 'native.iso'), join(limineDir, 'stages.bin'));
    });
    const nativeHdd = await median('dd + sgdisk + bios-install stand-in + mtools', () => {
      const image = join(work, 'native.hdd');
      execFileSync('rm', ['-f', image]);
      run('dd', ['if=/dev/zero', 'bs=1M', 'count=0', 'seek=64', `of=${image}`]);
      run('sgdisk', [image, '-n', '1:2048', '-t', '1:ef00']);
      biosInstallStandIn(image, join(limineDir, 'stages.bin'));
      run('mformat', ['-i', `${image}@@1M`]);
      run('mmd', ['-i', `${image}@@1M`, '::/EFI', '::/EFI/BOOT', '::/boot', '::/boot/limine']);
      run('mcopy', ['-i', `${image}@@1M`, kernelPath, '::/boot/kernel']);
      run('mcopy', [
        '-i',
        `${image}@@1M`,
        join(work, 'limine.conf'),
        join(limineDir, 'limine-bios.sys'),
        '::/boot/limine',
      ]);
      run('mcopy', ['-i', `${image}@@1M`, join(limineDir, 'BOOTX64.EFI'), '::/EFI/BOOT']);
    });

    console.log('ostool (in-process: read inputs, build, write the file):');
    const readInputs = async () => ({
      files: await readLimineDir(limineDir),
      kernel: new Uint8Array(await import('node:fs/promises').then((fs) => fs.readFile(kernelPath))),
    });
    const oursIso = await median('buildIsoImage + writeImageFile', async () => {
      const { files, kernel: k } = await readInputs();
      const built = await buildIsoImage({
        kernel: k,
        bootloader: { kind: 'limine', files },
        config,
        sourceDateEpoch: 0,
      });
      await writeImageFile(built.image, join(work, 'ours.iso'));
    });
    const oursHdd = await median('buildHddImage + writeImageFile', async () => {
      const { files, kernel: k } = await readInputs();
      const built = await buildHddImage({
        kernel: k,
        bootloader: { kind: 'limine', files },
        config,
        sourceDateEpoch: 0,
      });
      await writeImageFile(built.image, join(work, 'ours.hdd'));
    });

    const { files: limineFiles } = await readInputs();
    const sample = await buildHddImage({
      kernel,
      bootloader: { kind: 'limine', files: limineFiles },
      config,
    });
    const pagesMiB = (sample.image.allocatedBytes / 1024 / 1024).toFixed(1);
    console.log(`  64 MiB disk image held in memory as ${pagesMiB} MiB of written pages`);

    let cliTotal: number | undefined;
    const cli = new URL('../bin/ostool.js', import.meta.url).pathname;
    if (existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
      console.log('ostool CLI (node bin/ostool.js image, process start included):');
      cliTotal = await median('ostool image --iso --hdd', () => {
        run('node', [
          cli,
          'image',
          '--kernel',
          kernelPath,
          '--iso',
          join(work, 'cli.iso'),
          '--hdd',
          join(work, 'cli.hdd'),
          '--limine',
          limineDir,
          '--config',
          join(work, 'limine.conf'),
        ]);
      });
    }

    const nativeTotal = nativeIso + nativeHdd;
    const oursTotal = oursIso + oursHdd;
    console.log('');
    console.log('| step | native (ms) | ostool (ms) | speed-up |');
    console.log('|---|---:|---:|---:|');
    console.log(
      `| ISO | ${nativeIso.toFixed(1)} | ${oursIso.toFixed(1)} | ${(nativeIso / oursIso).toFixed(1)}x |`,
    );
    console.log(
      `| HDD | ${nativeHdd.toFixed(1)} | ${oursHdd.toFixed(1)} | ${(nativeHdd / oursHdd).toFixed(1)}x |`,
    );
    console.log(
      `| ISO + HDD | ${nativeTotal.toFixed(1)} | ${oursTotal.toFixed(1)} | ${(nativeTotal / oursTotal).toFixed(1)}x |`,
    );
    if (cliTotal !== undefined)
      console.log(
        `| ISO + HDD via CLI process | ${nativeTotal.toFixed(1)} | ${cliTotal.toFixed(1)} | ${(nativeTotal / cliTotal).toFixed(1)}x |`,
      );
    console.log(
      `peak RSS of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (64 MiB disk images are sparse pages, written once)`,
    );
    const target = 10;
    console.log(`target ≥ ${target}x (in-process): ${nativeTotal / oursTotal >= target ? 'met' : 'NOT met'}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What `limine bios-install` costs at least: one more process writing stage 1 and stage 2. */
function biosInstallStandIn(image: string, stages: string): void {
  run('dd', [`if=${stages}`, `of=${image}`, 'bs=512', 'count=1', 'conv=notrunc']);
  run('dd', [`if=${stages}`, `of=${image}`, 'bs=512', 'skip=1', 'seek=34', 'conv=notrunc']);
}

await main();
