/**
 * npm run bench:image — ISO + HDD for the same kernel, built by ostool and by the Limine templates'
 * native pipeline (xorriso; dd + sgdisk + mtools; a dd stand-in for `limine bios-install`, which is
 * not available here), measured in the same run. Both run as processes: the native pipeline as a shell script of
 * its commands, ostool as `node bin/ostool.js image` (after one untimed run that fills its code cache), again
 * without NODE_EXTRA_CA_CERTS (when set) and without the code cache. Prints one table (best and median wall time,
 * best CPU time, peak RSS over BENCH_RUNS runs, default 7), the machine's cores and load, the ratio lines against
 * the target (>= 10x), and the image stage's in-process time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleObject, linkExecutable } from '../src/build/toolchain.js';
import { buildHddImage, buildIsoImage, readLimineDir, writeImageFile } from '../src/image/index.js';
import { machineLine, measure, secs, withoutExtraCaCerts } from './measure.js';

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

/** Median of RUNS runs of an in-process step (ms), printed with its spread. */
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
  const loadAtStart = loadavg();
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

    // The native pipeline as the Limine templates' Makefiles run it: shell commands, one process each.
    const root = join(work, 'iso_root');
    const hdd = join(work, 'native.hdd');
    const iso = join(work, 'native.iso');
    const q = (path: string) => `'${path}'`;
    const biosInstall = (image: string) => [
      `dd if=${q(join(limineDir, 'stages.bin'))} of=${q(image)} bs=512 count=1 conv=notrunc 2>/dev/null`,
      `dd if=${q(join(limineDir, 'stages.bin'))} of=${q(image)} bs=512 skip=1 seek=34 conv=notrunc 2>/dev/null`,
    ];
    const isoSteps = [
      `rm -rf ${q(root)}`,
      `mkdir -p ${q(join(root, 'boot/limine'))} ${q(join(root, 'EFI/BOOT'))}`,
      `cp ${q(kernelPath)} ${q(join(root, 'boot/kernel'))}`,
      `cp ${['limine-bios.sys', 'limine-bios-cd.bin', 'limine-uefi-cd.bin'].map((f) => q(join(limineDir, f))).join(' ')} ${q(join(work, 'limine.conf'))} ${q(join(root, 'boot/limine/'))}`,
      `cp ${q(join(limineDir, 'BOOTX64.EFI'))} ${q(join(root, 'EFI/BOOT/'))}`,
      `xorriso -as mkisofs -R -r -J -b boot/limine/limine-bios-cd.bin -no-emul-boot -boot-load-size 4 -boot-info-table -hfsplus -apm-block-size 2048 --efi-boot boot/limine/limine-uefi-cd.bin -efi-boot-part --efi-boot-image --protective-msdos-label ${q(root)} -o ${q(iso)} 2>/dev/null`,
      ...biosInstall(iso),
    ];
    const fat = `${q(`${hdd}@@1M`)}`;
    const hddSteps = [
      `rm -f ${q(hdd)}`,
      `dd if=/dev/zero bs=1M count=0 seek=64 of=${q(hdd)} 2>/dev/null`,
      `sgdisk ${q(hdd)} -n 1:2048 -t 1:ef00 >/dev/null`,
      ...biosInstall(hdd),
      `mformat -i ${fat}`,
      `mmd -i ${fat} ::/EFI ::/EFI/BOOT ::/boot ::/boot/limine`,
      `mcopy -i ${fat} ${q(kernelPath)} ::/boot/kernel`,
      `mcopy -i ${fat} ${q(join(work, 'limine.conf'))} ${q(join(limineDir, 'limine-bios.sys'))} ::/boot/limine`,
      `mcopy -i ${fat} ${q(join(limineDir, 'BOOTX64.EFI'))} ::/EFI/BOOT`,
    ];
    const script = (name: string, steps: string[]) => {
      const path = join(work, name);
      writeFileSync(path, `set -e\n${steps.join('\n')}\n`);
      return ['sh', path];
    };
    const cliArgs = (isoOut: string, hddOut: string) => [
      cli,
      'image',
      '--kernel',
      kernelPath,
      '--iso',
      isoOut,
      '--hdd',
      hddOut,
      '--limine',
      limineDir,
      '--config',
      join(work, 'limine.conf'),
    ];
    const cli = new URL('../bin/ostool.js', import.meta.url).pathname;
    const built = existsSync(new URL('../dist/cli/main.js', import.meta.url));
    const noCaCerts = withoutExtraCaCerts();
    const results = [
      measure('native: xorriso ISO + bios-install stand-in', script('iso.sh', isoSteps), {
        runs: RUNS,
        output: iso,
      }),
      measure('native: dd + sgdisk + bios-install stand-in + mtools HDD', script('hdd.sh', hddSteps), {
        runs: RUNS,
        output: hdd,
      }),
      measure('native: ISO + HDD', script('both.sh', [...isoSteps, ...hddSteps]), {
        runs: RUNS,
        output: hdd,
      }),
    ];
    const native = results[2];
    if (!built) console.log('(dist/ not built: the ostool CLI is not measured; run `npm run build`)');
    else {
      const command = [process.execPath, ...cliArgs(join(work, 'cli.iso'), join(work, 'cli.hdd'))];
      const output = join(work, 'cli.hdd');
      results.push(measure('ostool image --iso --hdd', command, { runs: RUNS, output, warmUp: true }));
      if (noCaCerts)
        results.push(
          measure('ostool image, no NODE_EXTRA_CA_CERTS', command, {
            runs: RUNS,
            output,
            env: noCaCerts,
            warmUp: true,
          }),
        );
      results.push(
        measure('ostool image, no code cache', command, {
          runs: RUNS,
          output,
          env: { ...(noCaCerts ?? process.env), NODE_DISABLE_COMPILE_CACHE: '1' },
        }),
      );
    }

    console.log(
      `bench:image — ${KERNEL_BYTES / 1024 / 1024} MiB kernel, synthetic Limine stages, 64 MiB disk, ${RUNS} runs each`,
    );
    console.log(machineLine(loadAtStart));
    console.log(
      '| pipeline | time (s, best) | median (s) | CPU user+sys (s) | peak RSS (MiB) | native ISO + HDD vs this |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results)
      if (r)
        console.log(
          `| ${r.name} | ${secs(r.seconds)} | ${secs(r.median)} | ${r.cpu.toFixed(2)} | ${r.rssMiB.toFixed(0)} | ${native ? `${(native.seconds / r.seconds).toFixed(1)}x` : '-'} |`,
        );
    const target = 10;
    if (native)
      for (const r of results)
        if (r?.name.startsWith('ostool'))
          console.log(
            `${r.name}: ${(native.seconds / r.seconds).toFixed(1)}x faster than the native pipeline (best), ${(native.median / r.median).toFixed(1)}x (median), ${(native.cpu / Math.max(r.cpu, 0.01)).toFixed(1)}x less CPU (target: at least ${target}x faster): ${native.seconds / r.seconds >= target ? 'met' : 'NOT met'}`,
          );

    // The image stage alone, in this process (no Node start-up, no module loading).
    const readInputs = async () => ({
      files: await readLimineDir(limineDir),
      kernel: new Uint8Array(await readFile(kernelPath)),
    });
    const oursIso = await median('in-process: buildIsoImage + writeImageFile', async () => {
      const { files, kernel: k } = await readInputs();
      const built = await buildIsoImage({
        kernel: k,
        bootloader: { kind: 'limine', files },
        config,
        sourceDateEpoch: 0,
      });
      await writeImageFile(built.image, join(work, 'ours.iso'));
    });
    const oursHdd = await median('in-process: buildHddImage + writeImageFile', async () => {
      const { files, kernel: k } = await readInputs();
      const built = await buildHddImage({
        kernel: k,
        bootloader: { kind: 'limine', files },
        config,
        sourceDateEpoch: 0,
      });
      await writeImageFile(built.image, join(work, 'ours.hdd'));
    });
    if (native)
      console.log(
        `in-process ISO + HDD: ${(oursIso + oursHdd).toFixed(1)} ms (median), ${((native.median * 1000) / (oursIso + oursHdd)).toFixed(1)}x the native pipeline's median`,
      );
    const { files: limineFiles } = await readInputs();
    const sample = await buildHddImage({
      kernel,
      bootloader: { kind: 'limine', files: limineFiles },
      config,
    });
    console.log(
      `64 MiB disk image held in memory as ${(sample.image.allocatedBytes / 1024 / 1024).toFixed(1)} MiB of written pages; peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

await main();
