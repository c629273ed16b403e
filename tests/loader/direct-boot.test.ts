/**
 * The direct (PVH) loader: QEMU starts it firmware-less with `-kernel`, it reads limine.conf, the
 * kernel and modules from fw_cfg and speaks the same Limine protocol as the UEFI loader. Checked with
 * the repo kernel's whole test suite, with Limine's own test kernel against the UEFI loader's answers,
 * and with bad inputs (the loader's error on serial and the failure status, never a hang).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDirectBoot, repoKernelProject } from '../../src/build/index.js';
import { buildDirectLoader } from '../../src/loader/index.js';
import {
  machineKvmBoots,
  runImage,
  STATUS_NOT_STARTED,
  STATUS_RESET,
  STATUS_TIMEOUT,
  testCmdline,
  type RunResult,
} from '../../src/qemu/index.js';
import { buildAsmKernel, FIXTURES, parseReport, STATUS_FAIL, STATUS_PASS, TREE_DTB } from './boot.js';
import {
  CORPUS,
  HAVE_CORPUS,
  bootLimineTestKernel,
  buildLimineTestKernel,
  isMachineLine,
  parseFeatures,
  type Feature,
} from './limine-test.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-direct-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A direct boot of limine.conf + kernel (+ modules), named as the UEFI images name them. */
async function bootDirect(
  config: string | undefined,
  kernel: Uint8Array,
  modules: Array<{ name: string; data: Uint8Array }> = [],
  extraArgs: string[] = [],
  timeoutSeconds = 60,
  accel: 'tcg' | 'kvm' = 'tcg',
): Promise<RunResult> {
  const { elf } = await buildDirectLoader();
  const loader = join(work, 'loader.elf');
  await writeFile(loader, elf);
  const files = [];
  if (config !== undefined) {
    await writeFile(join(work, 'limine.conf'), config);
    files.push({ name: 'opt/ostool/boot/limine/limine.conf', file: join(work, 'limine.conf') });
  }
  await writeFile(join(work, 'kernel'), kernel);
  files.push({ name: 'opt/ostool/boot/kernel', file: join(work, 'kernel') });
  for (const module of modules) {
    await writeFile(join(work, module.name), module.data);
    files.push({ name: `opt/ostool/boot/modules/${module.name}`, file: join(work, module.name) });
  }
  return runImage({
    firmware: 'direct',
    direct: { loader, files },
    accel,
    headless: true,
    timeoutSeconds,
    memory: '256M',
    extraArgs,
  });
}

const ENTRY = ['timeout: 0', '/direct', '    protocol: limine', '    kernel_path: boot():/boot/kernel'];

describe('the repo kernel under the direct loader', () => {
  test('its whole in-kernel test suite passes', async () => {
    const project = repoKernelProject();
    const built = await buildDirectBoot({ project, cmdline: testCmdline(undefined) });
    const run = await runImage({
      firmware: 'direct',
      direct: { loader: built.loader, files: built.files },
      accel: 'tcg',
      headless: true,
      timeoutSeconds: 120,
    });
    const plan = /^1\.\.(\d+)$/m.exec(run.serial);
    expect(plan, run.serial.slice(-2000)).not.toBeNull();
    const planned = Number(plan![1]);
    const passed = run.serial.match(/^ok \d+ - /gm) ?? [];
    expect(run.serial).not.toMatch(/^not ok /m);
    expect(passed.length).toBe(planned);
    expect(run.serial).toMatch(/firmware: BIOS/);
    expect(run.status, run.reason).toBe(STATUS_PASS);
  }, 180_000);
});

const HHDM = 0xffff800000000000n;
const CMDLINE = 'console=ttyS0 answer=42';
const MODULES = [
  { name: 'initrd.txt', data: new TextEncoder().encode('module contents: 0123456789\n') },
  { name: 'second.bin', data: new Uint8Array(5000).map((_, i) => (i * 7) & 0xff) },
];
const MEMMAP_USABLE = 0n;
const MEMMAP_KERNEL_AND_MODULES = 6n;
const MEMMAP_FRAMEBUFFER = 7n;

function one(report: Map<string, string[]>, key: string): string {
  const values = report.get(key);
  if (!values || values.length !== 1)
    throw new Error(`expected one '${key}' line, got ${JSON.stringify(values)}`);
  return values[0]!;
}
const num = (report: Map<string, string[]>, key: string): bigint => BigInt(one(report, key));
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');
const memmapOf = (report: Map<string, string[]>) =>
  (report.get('memmap') ?? []).map((line) => {
    const [base, length, type] = line.split(',').map((v) => BigInt(v));
    return { base: base!, length: length!, type: type! };
  });

describe('the loader test kernel under the direct loader', () => {
  let kernel: Uint8Array;
  beforeAll(async () => {
    kernel = await buildAsmKernel(work, 'kernel.asm');
  });

  const config = [
    ...ENTRY,
    `    cmdline: ${CMDLINE}`,
    ...MODULES.map((m) => `    module_path: boot():/boot/modules/${m.name}`),
    '',
  ].join('\n');

  test('every response: x86 BIOS, no EFI tables, files from fw_cfg, the EDID mode, the memory map', async () => {
    const run = await bootDirect(config, kernel, MODULES, [
      '-vga',
      'none',
      '-device',
      'VGA,xres=1024,yres=768',
    ]);
    expect(run.serial).toContain('ostool-test-kernel: done');
    expect(run.status, run.reason).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect(num(report, 'firmware_type')).toBe(0n); // LIMINE_FIRMWARE_TYPE_X86BIOS
    expect(report.has('efi_system_table_address')).toBe(false);
    expect(report.has('efi_memmap_size')).toBe(false);
    expect(num(report, 'nonzero_registers')).toBe(0n);
    expect(num(report, 'return_address')).toBe(0n);
    expect(num(report, 'bss_nonzero_bytes')).toBe(0n);
    expect(num(report, 'pat') & 0xffffffffffffn).toBe(0x010500070406n);
    expect(num(report, 'pic_masks')).toBe(0xffffn);
    expect(num(report, 'hhdm')).toBe(HHDM);
    expect(one(report, 'kernel_file_path')).toBe('/boot/kernel');
    expect(one(report, 'kernel_file_cmdline')).toBe(CMDLINE);
    expect(num(report, 'kernel_file_size')).toBe(BigInt(kernel.length));
    expect(report.get('module_path')).toEqual(MODULES.map((m) => `/boot/modules/${m.name}`));
    expect(report.get('module_size')).toEqual(
      MODULES.map((m) => `0x${m.data.length.toString(16).padStart(16, '0')}`),
    );
    expect(one(report, 'rsdp_signature')).toBe(ascii('RSD PTR '));
    expect([ascii('_SM_'), ascii('_SM3')]).toContain(one(report, 'smbios_signature'));
    expect(Math.abs(Number(num(report, 'boot_time')) - Date.now() / 1000)).toBeLessThan(600);
    expect(num(report, 'tsc_frequency') > 1_000_000n).toBe(true);
    // the framebuffer: the mode QEMU's EDID prefers, programmed through the Bochs VBE registers
    expect(num(report, 'fb_width')).toBe(1024n);
    expect(num(report, 'fb_height')).toBe(768n);
    expect(num(report, 'fb_pitch')).toBe(1024n * 4n);
    expect(num(report, 'fb_bpp')).toBe(32n);
    expect(one(report, 'fb_masks')).toBe('081008080800');
    expect(num(report, 'fb_written')).toBe(1n);
    expect(report.get('fb_mode')).toContain(`0x${((1024n << 32n) | 768n).toString(16).padStart(16, '0')}`);
    const memmap = memmapOf(report);
    const fbEntry = memmap.find((e) => e.type === MEMMAP_FRAMEBUFFER);
    expect(fbEntry?.base).toBe(num(report, 'fb_address') - HHDM);
    for (let i = 1; i < memmap.length; i++) expect(memmap[i]!.base >= memmap[i - 1]!.base).toBe(true);
    const physicalBase = num(report, 'kernel_physical_base');
    expect(
      memmap.some(
        (e) =>
          e.type === MEMMAP_KERNEL_AND_MODULES && e.base <= physicalBase && physicalBase < e.base + e.length,
      ),
    ).toBe(true);
    expect(memmap.find((e) => e.type === MEMMAP_USABLE && e.base < 0x1000n)).toBeUndefined();
    expect(num(report, 'usable_page_failures')).toBe(0n);
  }, 90_000);

  test('SMP with -smp 4,maxcpus=8: every present CPU listed once (the MADT entries of absent ones are not enabled), each AP reaches goto_address in the BSP state, with the BSP MTRRs', async () => {
    const run = await bootDirect(config, kernel, MODULES, ['-smp', '4,maxcpus=8']);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect(num(report, 'smp_ap_mtrr_mismatches')).toBe(0n); // SeaBIOS leaves the APs' MTRRs unset
    expect(num(report, 'smp_cpu_count')).toBe(4n);
    expect(new Set(report.get('smp_cpu_lapic_id')).size).toBe(4);
    expect(num(report, 'smp_ap_arrivals')).toBe(3n);
    expect(num(report, 'smp_ap_bad_state')).toBe(0n);
  }, 90_000);

  test('SMP with the X2APIC flag and -cpu max,+x2apic: x2APIC exactly when the CPU has it, else xAPIC and flag 0', async () => {
    const x2apicKernel = await buildAsmKernel(work, 'kernel.asm', ['MP_X2APIC']);
    const run = await bootDirect(config, x2apicKernel, MODULES, ['-smp', '4', '-cpu', 'max,+x2apic']);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    const hasX2apic = num(report, 'cpu_has_x2apic');
    expect(num(report, 'smp_flags')).toBe(hasX2apic);
    expect(num(report, 'smp_bsp_x2apic_mode')).toBe(hasX2apic);
    expect(num(report, 'smp_bsp_id_matches')).toBe(1n);
    expect(num(report, 'smp_cpu_count')).toBe(4n);
    expect(num(report, 'smp_ap_arrivals')).toBe(3n);
    expect(num(report, 'smp_ap_bad_state')).toBe(0n);
  }, 150_000);

  test('bochs-display (no VGA ports, only the MMIO registers) gives its EDID mode too', async () => {
    const run = await bootDirect(config, kernel, MODULES, [
      '-vga',
      'none',
      '-device',
      'bochs-display,xres=800,yres=600',
    ]);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect([num(report, 'fb_width'), num(report, 'fb_height'), num(report, 'fb_pitch')]).toEqual([
      800n,
      600n,
      3200n,
    ]);
    expect(num(report, 'fb_written')).toBe(1n);
  }, 90_000);

  test('without a display device there is no framebuffer response, and the boot goes on', async () => {
    const run = await bootDirect(config, kernel, MODULES, ['-vga', 'none']);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect(report.has('fb_width')).toBe(false);
    expect(memmapOf(report).some((e) => e.type === MEMMAP_FRAMEBUFFER)).toBe(false);
  }, 90_000);
});

// x2APIC-mode MP needs KVM: QEMU 7.2's TCG has no x2APIC. The probe boot tells whether KVM works here at
// all (it may be far slower than TCG under nested virtualisation: these boots take ~10 s each then).
const KVM = await machineKvmBoots();
const KVM_X2APIC_CPU = ['-cpu', 'qemu64,+x2apic']; // `-cpu host` can fail where KVM cannot set every MSR
// Two sockets of 144 cores: socket 1's APIC IDs start at 0x100, above what an 8-bit xAPIC destination
// reaches. QEMU's MADT lists IDs of 0xff and above as Local x2APIC entries; with more than 255 possible
// IDs SeaBIOS hands over in x2APIC mode. Two CPUs of socket 0 plus two plugged into socket 1.
const SPARSE_APIC_IDS = [
  '-smp',
  '2,sockets=2,cores=144,threads=1,maxcpus=288',
  '-device',
  'qemu64-x86_64-cpu,socket-id=1,core-id=0,thread-id=0',
  '-device',
  'qemu64-x86_64-cpu,socket-id=1,core-id=1,thread-id=0',
];
const APIC_BASE_X2APIC = 1n << 10n;
const hex = (value: number) => `0x${value.toString(16).padStart(16, '0')}`;

describe.skipIf(!KVM.boots)(
  `x2APIC-mode MP under KVM${KVM.boots ? '' : ` (skipped: ${KVM.reason}; TCG has no x2APIC)`}`,
  () => {
    const config = [...ENTRY, ''].join('\n');
    let x2apicKernel: Uint8Array;
    let xapicKernel: Uint8Array;
    beforeAll(async () => {
      x2apicKernel = await buildAsmKernel(work, 'kernel.asm', ['MP_X2APIC']);
      xapicKernel = await buildAsmKernel(work, 'kernel.asm');
    });

    /** The SMP lines every x2APIC-mode boot must show: flag, BSP mode and ID, every AP at goto_address. */
    function expectX2apicMp(report: Map<string, string[]>, apicIds: number[]) {
      expect(num(report, 'cpu_has_x2apic')).toBe(1n);
      expect(num(report, 'smp_flags')).toBe(1n); // LIMINE_MP_RESPONSE_X86_64_X2APIC
      expect(num(report, 'apic_base_msr') & APIC_BASE_X2APIC).toBe(APIC_BASE_X2APIC);
      expect(num(report, 'smp_bsp_x2apic_mode')).toBe(1n);
      expect(num(report, 'smp_bsp_id_matches')).toBe(1n); // the response's BSP ID is the x2APIC ID MSR's
      expect(report.get('smp_cpu_lapic_id')).toEqual(apicIds.map(hex));
      expect(num(report, 'smp_cpu_count')).toBe(BigInt(apicIds.length));
      // each AP: its own ID in its x2APIC ID MSR, x2APIC mode, the BSP's CR0/CR3/CR4 and MTRRs, zeroed registers
      expect(num(report, 'smp_ap_arrivals')).toBe(BigInt(apicIds.length - 1));
      expect(num(report, 'smp_ap_bad_state')).toBe(0n);
      expect(num(report, 'smp_ap_mtrr_mismatches')).toBe(0n);
    }

    test('the X2APIC flag on a firmware xAPIC: every CPU switched to x2APIC mode and started through the ICR MSR', async () => {
      const run = await bootDirect(config, x2apicKernel, [], ['-smp', '4', ...KVM_X2APIC_CPU], 120, 'kvm');
      expect(run.status, run.reason).toBe(STATUS_PASS);
      expectX2apicMp(parseReport(run.serial), [0, 1, 2, 3]);
    }, 180_000);

    test('APIC IDs 0x100 and 0x101 (Local x2APIC entries): started in x2APIC mode, skipped in xAPIC mode as Limine does', async () => {
      const x2apic = await bootDirect(
        config,
        x2apicKernel,
        [],
        [...SPARSE_APIC_IDS, ...KVM_X2APIC_CPU],
        120,
        'kvm',
      );
      expect(x2apic.status, x2apic.reason).toBe(STATUS_PASS);
      expectX2apicMp(parseReport(x2apic.serial), [0, 1, 0x100, 0x101]);

      // Without the flag: SeaBIOS's x2APIC mode turned off on the BSP and on each AP it starts, and the
      // CPUs an 8-bit destination cannot reach are not started and not listed.
      const xapic = await bootDirect(
        config,
        xapicKernel,
        [],
        [...SPARSE_APIC_IDS, ...KVM_X2APIC_CPU],
        120,
        'kvm',
      );
      expect(xapic.status, xapic.reason).toBe(STATUS_PASS);
      const report = parseReport(xapic.serial);
      expect(num(report, 'smp_flags')).toBe(0n);
      expect(num(report, 'apic_base_msr') & APIC_BASE_X2APIC).toBe(0n);
      expect(num(report, 'smp_bsp_x2apic_mode')).toBe(0n);
      expect(num(report, 'smp_bsp_id_matches')).toBe(1n);
      expect(report.get('smp_cpu_lapic_id')).toEqual([0, 1].map(hex));
      expect(num(report, 'smp_ap_arrivals')).toBe(1n);
      expect(num(report, 'smp_ap_bad_state')).toBe(0n);
    }, 300_000);
  },
);

/** A higher-half kernel of a few instructions that ends the way `ending` says. */
async function endingKernel(ending: 'pass' | 'fail' | 'hang' | 'triple-fault'): Promise<Uint8Array> {
  const body = {
    pass: 'mov al, 0x10\nout 0xf4, al\ncli\nhlt',
    fail: 'mov al, 0x11\nout 0xf4, al\ncli\nhlt',
    hang: 'cli\n.spin: jmp .spin',
    'triple-fault': 'push 0\npush 0\nlidt [rsp]\nint3',
  }[ending];
  const source = join(work, `${ending}.asm`);
  await writeFile(source, `bits 64\nsection .text\nglobal kernel_entry\nkernel_entry:\n${body}\n`);
  await execa('nasm', ['-f', 'elf64', '-o', `${source}.o`, source]);
  await execa('ld', [
    '-z',
    'max-page-size=0x1000',
    '-T',
    join(FIXTURES, 'kernel.ld'),
    '-o',
    `${source}.elf`,
    `${source}.o`,
  ]);
  return new Uint8Array(await readFile(`${source}.elf`));
}

describe('which entry boots: the menu Limine would show, walked without drawing it', () => {
  let kernel: Uint8Array;
  beforeAll(async () => {
    kernel = await buildAsmKernel(work, 'kernel.asm');
  });
  /** An entry that boots the test kernel with its name as the command line. */
  const entry = (header: string, ...options: string[]) => [
    header,
    '    protocol: limine',
    '    kernel_path: boot():/boot/kernel',
    `    cmdline: ${header.replace(/^\/+\+?/, '')}`,
    ...options.map((option) => `    ${option}`),
  ];
  const bootedCmdline = async (lines: string[]): Promise<string[] | undefined> => {
    const run = await bootDirect(['timeout: 0', ...lines, ''].join('\n'), kernel);
    expect(run.status, `${run.reason} ${run.serial.slice(-300)}`).toBe(STATUS_PASS);
    return parseReport(run.serial).get('kernel_file_cmdline');
  };

  test('hidden entries (other firmware, other architectures) do not count; the first line shown boots', async () => {
    // the direct loader is a BIOS-type boot: UEFI-only entries are the hidden ones
    const lines = [
      ...entry('/uefi only', 'if_fw_type: UEFI'),
      ...entry('/other architectures', 'if_arch: aarch64 riscv64'),
      ...entry('/another loader architecture', 'if_loader_arch: ia-32'),
      '/an EFI application',
      '    protocol: efi',
      '    path: boot():/EFI/BOOT/BOOTX64.EFI',
      ...entry('/shown', 'if_fw_type: bios', 'if_arch: ia-32 X86-64', 'if_loader_arch: x86-64'),
      ...entry('/second'),
    ];
    expect(await bootedCmdline(lines)).toEqual(['shown']);
    expect(await bootedCmdline(['default_entry: 2', ...lines])).toEqual(['second']);
  }, 90_000);

  test("default_entry N counts the menu's lines: a collapsed directory's entries are not shown, an expanded one's are", async () => {
    const lines = [
      '/collapsed',
      ...entry('//inside collapsed'),
      '/+expanded',
      ...entry('//inside expanded'),
      '//nested collapsed',
      ...entry('///deep'),
      ...entry('/last'),
    ];
    // lines shown: collapsed, expanded, inside expanded, nested collapsed, last
    expect(await bootedCmdline(['default_entry: 3', ...lines])).toEqual(['inside expanded']);
    expect(await bootedCmdline(['default_entry: 5', ...lines])).toEqual(['last']);
    expect(await bootedCmdline(['default_entry: expanded/nested collapsed/deep', ...lines])).toEqual([
      'deep',
    ]);
  }, 90_000);

  test('where Limine would stop at its menu (a directory, no such line, no entry) or refuse the entry, the boot stops with a message', async () => {
    const refusals: Array<[string[], string]> = [
      [
        ['/a directory first', ...entry('//inside')],
        'the menu line to boot (default_entry, else the first) is a directory',
      ],
      [['default_entry: 4', ...entry('/one'), ...entry('/two')], 'does not exist'],
      [['default_entry: two/one', ...entry('/one'), ...entry('/two')], "default_entry 'two/one' is neither"],
      [['/no protocol', '    kernel_path: boot():/boot/kernel'], 'the entry has no protocol'],
    ];
    for (const [lines, message] of refusals) {
      const run = await bootDirect(['timeout: 0', ...lines, ''].join('\n'), kernel);
      expect(run.serial).toContain('ostool loader: error: ');
      expect(run.serial).toContain(message);
      expect(run.status, run.reason).toBe(STATUS_FAIL);
    }
  }, 120_000);
});

describe('entry options read as current Limine reads them', () => {
  test('paging_mode stands for max_paging_mode and min_paging_mode wherever it is; mode names in any case', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm', ['WANT_5LEVEL']);
    const pagingMode = async (options: string[]) => {
      const config = [...ENTRY, ...options.map((option) => `    ${option}`), ''].join('\n');
      const run = await bootDirect(config, kernel, [], ['-cpu', 'max']);
      expect(run.status, `${run.reason} ${run.serial.slice(-300)}`).toBe(STATUS_PASS);
      return num(parseReport(run.serial), 'paging_mode');
    };
    expect(await pagingMode([])).toBe(1n); // LIMINE_PAGING_MODE_X86_64_5LVL
    expect(await pagingMode(['max_paging_mode: 4LEVEL'])).toBe(0n);
    expect(await pagingMode(['paging_mode: 5level', 'max_paging_mode: 4level'])).toBe(1n);
    expect(await pagingMode(['max_paging_mode: 4level', 'paging_mode: 5Level'])).toBe(1n);
  }, 120_000);

  test('a config in the first string of an SMBIOS OEM Strings structure (limine:config:) comes before limine.conf', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm');
    const oem = join(work, 'oem-config.txt');
    await writeFile(oem, `limine:config:${[...ENTRY, '    cmdline: from smbios', ''].join('\n')}`);
    const file = [...ENTRY, '    cmdline: from the file', ''].join('\n');
    const run = await bootDirect(file, kernel, [], ['-smbios', `type=11,path=${oem}`]);
    expect(run.status, `${run.reason} ${run.serial.slice(-300)}`).toBe(STATUS_PASS);
    expect(parseReport(run.serial).get('kernel_file_cmdline')).toEqual(['from smbios']);
    // the config as the structure's second string is not taken
    const second = await bootDirect(
      file,
      kernel,
      [],
      ['-smbios', `type=11,value=some OEM string,path=${oem}`],
    );
    expect(second.status, second.reason).toBe(STATUS_PASS);
    expect(parseReport(second.serial).get('kernel_file_cmdline')).toEqual(['from the file']);
  }, 90_000);

  test('an option given twice counts once: the first (path, cmdline and their aliases, protocol)', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm');
    const config = [
      ...ENTRY,
      '    protocol: linux',
      '    path: boot():/boot/absent-kernel',
      '    kernel_cmdline: the first',
      '    cmdline: the second',
      '',
    ].join('\n');
    const run = await bootDirect(config, kernel);
    expect(run.status, `${run.reason} ${run.serial.slice(-300)}`).toBe(STATUS_PASS);
    expect(parseReport(run.serial).get('kernel_file_cmdline')).toEqual(['the first']);
  }, 90_000);

  test('paths: boot(N) is the fw_cfg files whatever N; hdd(), odd(), guid() and fslabel() are refused (no disks)', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm');
    const withKernelPath = (path: string) =>
      [ENTRY[0], ENTRY[1], ENTRY[2], `    kernel_path: ${path}`, ''].join('\n');
    const booted = await bootDirect(withKernelPath('boot(3):/boot/kernel'), kernel);
    expect(booted.status, `${booted.reason} ${booted.serial.slice(-300)}`).toBe(STATUS_PASS);
    for (const path of ['hdd(1:1):/boot/kernel', 'odd(1:0):/boot/kernel', 'fslabel(ESP):/boot/kernel']) {
      const refused = await bootDirect(withKernelPath(path), kernel);
      expect(refused.serial).toContain(
        `ostool loader: error: limine.conf: no volume for path '${path}' (the direct loader reads QEMU fw_cfg files`,
      );
      expect(refused.status).toBe(STATUS_FAIL);
    }
  }, 90_000);

  test('no module_path and no internal modules: no module response; protocol values are case-sensitive', async () => {
    const kernel = await buildAsmKernel(work, 'kernel.asm');
    const run = await bootDirect(`${ENTRY.join('\n')}\n`, kernel);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    expect(parseReport(run.serial).has('module_count')).toBe(false);
    const config = [ENTRY[0], ENTRY[1], '    protocol: Limine', ENTRY[3], ''].join('\n');
    const refused = await bootDirect(config, kernel);
    expect(refused.serial).toContain("ostool loader: error: limine.conf: the entry uses protocol 'Limine'");
    expect(refused.status).toBe(STATUS_FAIL);
  }, 90_000);
});

describe('the Device Tree Blob request (dtb_path, global_dtb, as Limine on x86-64)', () => {
  let kernel: Uint8Array;
  beforeAll(async () => {
    kernel = await buildAsmKernel(work, 'kernel.asm');
  });
  const TREE = { name: 'tree.dtb', data: TREE_DTB.blob };
  /** The blob the kernel must see: TREE_DTB with its memory node's tokens turned into FDT_NOP. */
  const stripped = (() => {
    const expected = Buffer.from(TREE_DTB.blob);
    for (let at = TREE_DTB.memoryNode[0]; at < TREE_DTB.memoryNode[1]; at += 4) expected.writeUInt32BE(4, at);
    return expected.toString('hex');
  })();
  const dtbSeen = (run: RunResult): string | undefined => {
    const lines = parseReport(run.serial).get('dtb_bytes');
    return lines ? lines.join('') : undefined;
  };

  test('global_dtb (anywhere in the file) when the entry has no dtb_path; the entry dtb_path wins over it', async () => {
    const global = [
      ...ENTRY.slice(0, 2),
      '    global_dtb: boot():/boot/modules/tree.dtb',
      ...ENTRY.slice(2),
      '',
    ].join('\n');
    const fromGlobal = await bootDirect(global, kernel, [TREE]);
    expect(fromGlobal.status, fromGlobal.reason).toBe(STATUS_PASS);
    expect(dtbSeen(fromGlobal)).toBe(stripped);
    const overridden = [
      'global_dtb: boot():/boot/modules/absent.dtb',
      ...ENTRY,
      '    dtb_path: boot():/boot/modules/tree.dtb',
      '',
    ].join('\n');
    const fromEntry = await bootDirect(overridden, kernel, [TREE]);
    expect(fromEntry.status, fromEntry.reason).toBe(STATUS_PASS);
    expect(dtbSeen(fromEntry)).toBe(stripped);
  }, 90_000);

  test('a $ dtb_path is a gzip blob, decompressed', async () => {
    const config = [...ENTRY, '    dtb_path: $boot():/boot/modules/tree.dtb.gz', ''].join('\n');
    const run = await bootDirect(config, kernel, [{ name: 'tree.dtb.gz', data: gzipSync(TREE_DTB.blob) }]);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    expect(dtbSeen(run)).toBe(stripped);
  }, 90_000);

  test('no DTB request: dtb_path is not read (a missing one does not matter), no response', async () => {
    const config = [...ENTRY, '    dtb_path: boot():/boot/modules/absent.dtb', ''].join('\n');
    const run = await bootDirect(config, await buildAsmKernel(work, 'kernel.asm', ['NO_DTB_REQUEST']));
    expect(run.status, run.reason).toBe(STATUS_PASS);
    expect(dtbSeen(run)).toBeUndefined();
  }, 90_000);

  test('without dtb_path and global_dtb there is no DTB on x86-64: no response', async () => {
    const run = await bootDirect(`${ENTRY.join('\n')}\n`, kernel, [TREE]);
    expect(run.status, run.reason).toBe(STATUS_PASS);
    expect(dtbSeen(run)).toBeUndefined();
  }, 90_000);

  test('a missing or malformed blob stops the boot (Limine panics), naming it', async () => {
    const missing = await bootDirect(
      [...ENTRY, '    dtb_path: boot():/boot/modules/absent.dtb', ''].join('\n'),
      kernel,
    );
    expect(missing.serial).toContain(
      'ostool loader: error: cannot open device tree blob file /boot/modules/absent.dtb (the dtb_path or global_dtb of limine.conf)',
    );
    expect(missing.status).toBe(STATUS_FAIL);
    const truncated = Buffer.from(TREE_DTB.blob);
    truncated.writeUInt32BE(truncated.length + 64, 4); // totalsize past the file
    const unbalanced = Buffer.from(TREE_DTB.blob);
    unbalanced.writeUInt32BE(4, TREE_DTB.memoryNode[1] - 4); // the memory node never closes
    for (const [data, problem] of [
      [new TextEncoder().encode('not a device tree at all, but long enough for a header'), 'bad magic'],
      [truncated, 'totalsize or blocks lie outside it'],
      [unbalanced, 'bad structure block'],
    ] as const) {
      const config = [...ENTRY, '    dtb_path: boot():/boot/modules/bad.dtb', ''].join('\n');
      const run = await bootDirect(config, kernel, [{ name: 'bad.dtb', data }]);
      expect(run.serial).toContain("ostool loader: error: device tree blob '/boot/modules/bad.dtb': ");
      expect(run.serial).toContain(problem);
      expect(run.status).toBe(STATUS_FAIL);
    }
  }, 120_000);
});

describe('a direct boot ends with the statuses of an image boot', () => {
  const config = `${ENTRY.join('\n')}\n`;
  test('pass 0, fail 1', async () => {
    expect((await bootDirect(config, await endingKernel('pass'))).status).toBe(STATUS_PASS);
    expect((await bootDirect(config, await endingKernel('fail'))).status).toBe(STATUS_FAIL);
  }, 90_000);

  test('timeout 2, QEMU stopped', async () => {
    const run = await bootDirect(config, await endingKernel('hang'), [], [], 2);
    expect(run.status, run.reason).toBe(STATUS_TIMEOUT);
  }, 90_000);

  test('triple fault 3', async () => {
    const run = await bootDirect(config, await endingKernel('triple-fault'));
    expect(run.status, run.reason).toBe(STATUS_RESET);
  }, 90_000);

  test('QEMU could not start 4: a missing loader, or an option QEMU refuses', async () => {
    const missing = await runImage({
      firmware: 'direct',
      direct: { loader: join(work, 'no-such-loader.elf'), files: [] },
      accel: 'tcg',
      headless: true,
      timeoutSeconds: 30,
    });
    expect(missing.status).toBe(STATUS_NOT_STARTED);
    expect(missing.reason).toContain('no-such-loader.elf does not exist');
    const refused = await bootDirect(config, await endingKernel('pass'), [], ['-no-such-option']);
    expect(refused.status, refused.reason).toBe(STATUS_NOT_STARTED);
  }, 90_000);
});

describe('buildDirectBoot', () => {
  test('names each file by its limine.conf path; a name fw_cfg cannot hold is refused by name', async () => {
    // Without its [initrd], whose archive would be one more module (a name checked the same way).
    const project = { ...repoKernelProject(), initrd: undefined };
    project.build.buildDir = join(work, 'build');
    const module = join(work, 'a-module-whose-name-is-far-too-long-for-fw-cfg.bin');
    await writeFile(module, 'data');
    project.image.modules = [module];
    await expect(buildDirectBoot({ project, cmdline: '' })).rejects.toThrow(
      /\/boot\/modules\/a-module-whose-name-is-far-too-long-for-fw-cfg\.bin: too long for a direct boot \(fw_cfg names are at most 55 characters/,
    );
    await writeFile(join(work, 'short.bin'), 'data');
    project.image.modules = [`${join(work, 'short.bin')}:its cmdline`];
    const built = await buildDirectBoot({ project, cmdline: 'x' });
    expect(built.files.map((file) => file.name)).toEqual([
      'opt/ostool/boot/limine/limine.conf',
      'opt/ostool/boot/kernel',
      'opt/ostool/boot/modules/short.bin',
    ]);
    const config = await readFile(built.files[0]!.file, 'utf8');
    expect(config).toContain('module_path: boot():/boot/modules/short.bin');
    expect(config).toContain('module_cmdline: its cmdline');
    expect(built.files[1]!.file).toBe(built.kernel.path);
  }, 120_000);
});

describe('the direct loader refuses bad inputs with its error on serial and the failure status', () => {
  let goodKernel: Uint8Array;
  beforeAll(async () => {
    goodKernel = await buildAsmKernel(work, 'kernel.asm');
  });

  function expectRefusal(run: RunResult, message: string): void {
    expect(run.serial, `${run.reason}: ${run.serial.slice(-600)}`).toContain(
      `ostool loader: error: ${message}`,
    );
    expect(run.status, run.reason).toBe(STATUS_FAIL);
  }

  test('a kernel that is not an ELF file', async () => {
    const run = await bootDirect(`${ENTRY.join('\n')}\n`, new TextEncoder().encode('not an elf at all'));
    expectRefusal(run, 'kernel /boot/kernel: not an ELF file');
  }, 90_000);

  test('a module_path with no fw_cfg file', async () => {
    const config = [...ENTRY, '    module_path: boot():/boot/modules/missing.bin', ''].join('\n');
    const run = await bootDirect(config, goodKernel);
    expectRefusal(run, 'cannot open module file /boot/modules/missing.bin');
    expect(run.serial).toContain('(QEMU has no fw_cfg file opt/ostool/boot/modules/missing.bin)');
  }, 90_000);

  test('a kernel_path with no fw_cfg file', async () => {
    const config = [...ENTRY.slice(0, 3), '    kernel_path: boot():/boot/other-kernel', ''].join('\n');
    const run = await bootDirect(config, goodKernel);
    expectRefusal(run, 'cannot open kernel file /boot/other-kernel named in limine.conf');
  }, 90_000);

  test('no limine.conf at all', async () => {
    const run = await bootDirect(undefined, goodKernel);
    expectRefusal(run, 'no limine.conf found');
  }, 90_000);
});

/** Features only a UEFI boot answers (the spec gives them no response otherwise). */
const UEFI_ONLY_FEATURES = /^(EFI system table|EFI memory map) feature/;

describe.skipIf(!HAVE_CORPUS)("Limine's test kernel: direct boot answers as the UEFI loader does", () => {
  let uefi: Feature[];
  let direct: Feature[];
  let directOutput = '';

  beforeAll(async () => {
    const kernel = await buildLimineTestKernel(work);
    const moduleData = new Uint8Array(await readFile(join(CORPUS, 'test', 'bg.jpg')));
    const [uefiRun, directRun] = [
      await bootLimineTestKernel({ work, kernel, moduleData, boot: 'uefi' }),
      await bootLimineTestKernel({ work, kernel, moduleData, boot: 'direct' }),
    ];
    uefi = parseFeatures(uefiRun.e9);
    direct = parseFeatures(directRun.e9);
    directOutput = `${directRun.reason}; e9:\n${directRun.e9}\nserial: ${directRun.serial.slice(-600)}`;
  }, 300_000);

  test('the same feature blocks, in the same order; the UEFI-only ones not passed', () => {
    // a UEFI-only request gets no response: the kernel prints "<feature> not passed" instead
    const expected = uefi.map((f) =>
      f.header.replace(/^(.*) feature, revision \d+$/, (header, name: string) =>
        UEFI_ONLY_FEATURES.test(header) ? `${name} not passed` : header,
      ),
    );
    expect(
      direct.map((f) => f.header),
      directOutput,
    ).toEqual(expected);
  });

  test('every protocol line is the same; the firmware type says x86 BIOS', () => {
    const mismatches: string[] = [];
    for (const block of uefi.filter((f) => !UEFI_ONLY_FEATURES.test(f.header))) {
      const ours = direct.find((f) => f.header === block.header);
      const protocol = (lines: string[]) => lines.filter((line) => !isMachineLine(line));
      const want = protocol(block.lines).map((line) =>
        block.header.startsWith('Firmware type')
          ? line.replace('Firmware type: 64-bit UEFI', 'Firmware type: x86 BIOS')
          : line,
      );
      const got = protocol(ours?.lines ?? []);
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${block.header}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
    expect(mismatches, directOutput).toEqual([]);
  });
  test('with -cpu max and -smp 4 it gets 5-level paging and four CPUs', async () => {
    const kernel = new Uint8Array(await readFile(join(work, 'kernel.elf')));
    const moduleData = new Uint8Array(await readFile(join(CORPUS, 'test', 'bg.jpg')));
    const run = await bootLimineTestKernel({
      work,
      kernel,
      moduleData,
      boot: 'direct',
      extraArgs: ['-cpu', 'max', '-smp', '4'],
    });
    expect(run.e9, `${run.reason}: ${run.serial.slice(-600)}`).toMatch(
      /Paging mode feature, revision 0\n {2}mode: 1\n/,
    );
    expect(run.e9).toContain('CPU count: 4');
  }, 120_000);
});
