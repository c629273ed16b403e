/**
 * A limine.conf path's `#hash` suffix (CONFIG.md), checked by the built-in loader as Limine checks it:
 * 128 hex digits are the BLAKE2b-512 digest of the file as read (a `$` gzip file's compressed bytes),
 * a mismatch stops the boot naming the path unless `hash_mismatch_panic: no`, which warns and boots
 * on. 64 or 256 digits are BLAKE3 (checked against its official test vectors). BLAKE2b digests come
 * from node's OpenSSL BLAKE2b-512 (the same as coreutils' b2sum). Direct (PVH) boots: the two loaders
 * share this code (boot.asm, dtb.asm).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDirectLoader } from '../../src/loader/index.js';
import { runImage, type RunResult } from '../../src/qemu/index.js';
import { buildAsmKernel, parseReport, STATUS_FAIL, STATUS_PASS, TREE_DTB } from './boot.js';

let work: string;
let kernel: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ostool-hash-'));
  kernel = await buildAsmKernel(work, 'kernel.asm');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const blake2b = (data: Uint8Array): string => createHash('blake2b512').update(data).digest('hex');

/** A different digest of the same length: the first digit changed. */
const wrong = (hash: string): string => (hash[0] === '0' ? '1' : '0') + hash.slice(1);

async function bootDirect(
  config: string,
  modules: Array<{ name: string; data: Uint8Array }>,
): Promise<RunResult> {
  const { elf } = await buildDirectLoader();
  const loader = join(work, 'loader.elf');
  await writeFile(loader, elf);
  await writeFile(join(work, 'limine.conf'), config);
  await writeFile(join(work, 'kernel'), kernel);
  const files = [
    { name: 'opt/ostool/boot/limine/limine.conf', file: join(work, 'limine.conf') },
    { name: 'opt/ostool/boot/kernel', file: join(work, 'kernel') },
  ];
  for (const module of modules) {
    await writeFile(join(work, module.name), module.data);
    files.push({ name: `opt/ostool/boot/modules/${module.name}`, file: join(work, module.name) });
  }
  return runImage({
    firmware: 'direct',
    direct: { loader, files },
    accel: 'tcg',
    headless: true,
    timeoutSeconds: 60,
    memory: '256M',
  });
}

const entry = (kernelPath: string, ...lines: string[]): string =>
  ['timeout: 0', '/hashed', '    protocol: limine', `    kernel_path: ${kernelPath}`, ...lines, ''].join(
    '\n',
  );

function expectRefusal(run: RunResult, message: string): void {
  expect(run.serial, `${run.reason}: ${run.serial.slice(-600)}`).toContain(
    `ostool loader: error: ${message}`,
  );
  expect(run.status, run.reason).toBe(STATUS_FAIL);
}

/** Bytes that differ from block to block, so a block counted or mixed wrongly shows. */
const bytes = (length: number, seed: number): Uint8Array =>
  new Uint8Array(length).map((_, i) => (i * 131 + seed + (i >> 7)) & 0xff);

describe('#hash: BLAKE2b-512 of the file read', () => {
  test('kernel and modules of 0, 1, 127, 128, 129, 256, 257 bytes and 1 MiB with their digests (one in upper case) boot', async () => {
    const sizes = [0, 1, 127, 128, 129, 256, 257, 1 << 20];
    const modules = sizes.map((size, i) => ({ name: `m${size}.bin`, data: bytes(size, i) }));
    const config = entry(
      `boot():/boot/kernel#${blake2b(kernel).toUpperCase()}`,
      ...modules.map((m) => `    module_path: boot():/boot/modules/${m.name}#${blake2b(m.data)}`),
    );
    const run = await bootDirect(config, modules);
    expect(run.status, `${run.reason}: ${run.serial.slice(-600)}`).toBe(STATUS_PASS);
    const report = parseReport(run.serial);
    expect(report.get('module_size')?.map((v) => Number(BigInt(v)))).toEqual(sizes);
    expect(report.get('module_path')).toEqual(modules.map((m) => `/boot/modules/${m.name}`));
  }, 120_000);

  test('a mismatch stops the boot naming the path (module, kernel, dtb)', async () => {
    const module = { name: 'initrd.bin', data: bytes(300, 7) };
    const badModule = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    module_path: boot():/boot/modules/initrd.bin#${wrong(blake2b(module.data))}`,
      ),
      [module],
    );
    expectRefusal(
      badModule,
      'Blake2b hash for /boot/modules/initrd.bin does not match the #hash of its limine.conf path',
    );
    const badKernel = await bootDirect(entry(`boot():/boot/kernel#${wrong(blake2b(kernel))}`), []);
    expectRefusal(
      badKernel,
      'Blake2b hash for /boot/kernel does not match the #hash of its limine.conf path',
    );
    const tree = { name: 'tree.dtb', data: TREE_DTB.blob };
    const badDtb = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    dtb_path: boot():/boot/modules/tree.dtb#${wrong(blake2b(tree.data))}`,
      ),
      [tree],
    );
    expectRefusal(
      badDtb,
      'Blake2b hash for /boot/modules/tree.dtb does not match the #hash of its limine.conf path',
    );
    const goodDtb = await bootDirect(
      entry('boot():/boot/kernel', `    dtb_path: boot():/boot/modules/tree.dtb#${blake2b(tree.data)}`),
      [tree],
    );
    expect(goodDtb.status, goodDtb.reason).toBe(STATUS_PASS);
    expect(parseReport(goodDtb.serial).has('dtb_bytes')).toBe(true);
  }, 120_000);

  test('hash_mismatch_panic: no (anywhere, the first counts) warns and boots; any other value than "yes" too', async () => {
    const module = { name: 'initrd.bin', data: bytes(1000, 3) };
    const line = `    module_path: boot():/boot/modules/initrd.bin#${wrong(blake2b(module.data))}`;
    for (const [setting, panics] of [
      ['hash_mismatch_panic: no', false],
      ['hash_mismatch_panic: yes', true],
      ['hash_mismatch_panic: No', false],
    ] as const) {
      const run = await bootDirect(
        `${setting}\nhash_mismatch_panic: yes\n${entry('boot():/boot/kernel', line)}`,
        [module],
      );
      if (panics) {
        expectRefusal(run, 'Blake2b hash for /boot/modules/initrd.bin does not match');
      } else {
        expect(run.serial).toContain(
          'ostool loader: warning: Blake2b hash for /boot/modules/initrd.bin does not match the #hash of its limine.conf path (hash_mismatch_panic: no, booting on)',
        );
        expect(run.status, run.reason).toBe(STATUS_PASS);
        expect(parseReport(run.serial).get('module_size')).toEqual(['0x00000000000003e8']);
      }
    }
  }, 120_000);

  test('a $ gzip file: the digest of its compressed bytes, as Limine hashes it', async () => {
    const plain = bytes(5000, 9);
    const module = { name: 'initrd.gz', data: gzipSync(plain) };
    const good = await bootDirect(
      entry(
        'boot():/boot/kernel',
        `    module_path: $boot():/boot/modules/initrd.gz#${blake2b(module.data)}`,
      ),
      [module],
    );
    expect(good.status, good.reason).toBe(STATUS_PASS);
    expect(parseReport(good.serial).get('module_size')).toEqual(['0x0000000000001388']);
    const ofPlain = await bootDirect(
      entry('boot():/boot/kernel', `    module_path: $boot():/boot/modules/initrd.gz#${blake2b(plain)}`),
      [module],
    );
    expectRefusal(ofPlain, 'Blake2b hash for /boot/modules/initrd.gz does not match');
  }, 120_000);

  test('a length other than 64, 128 or 256 digits, or a non-hex digit, is refused', async () => {
    const module = { name: 'initrd.bin', data: bytes(64, 1) };
    for (const hash of ['0123456789abcdef', `${blake2b(module.data).slice(0, 127)}g`]) {
      const run = await bootDirect(
        entry('boot():/boot/kernel', `    module_path: boot():/boot/modules/initrd.bin#${hash}`),
        [module],
      );
      expectRefusal(
        run,
        'the #hash of /boot/modules/initrd.bin in limine.conf is not 64, 128 or 256 hexadecimal digits',
      );
    }
  }, 120_000);
});

/**
 * BLAKE3's official test vectors (github.com/BLAKE3-team/BLAKE3, test_vectors/test_vectors.json): input
 * bytes 0, 1, ..., 250, 0, 1, ... of each length; `hash` is 131 bytes of extended output, whose first 32
 * bytes are the default-length digest.
 */
const BLAKE3_VECTORS: Array<[number, string]> = [
  [
    0,
    'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262e00f03e7b69af26b7faaf09fcd333050338ddfe085b8cc869ca98b206c08243a26f5487789e8f660afe6c99ef9e0c52b92e7393024a80459cf91f476f9ffdbda7001c22e159b402631f277ca96f2defdf1078282314e763699a31c5363165421cce14d',
  ],
  [
    1,
    '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213c3a6cb8bf623e20cdb535f8d1a5ffb86342d9c0b64aca3bce1d31f60adfa137b358ad4d79f97b47c3d5e79f179df87a3b9776ef8325f8329886ba42f07fb138bb502f4081cbcec3195c5871e6c23e2cc97d3c69a613eba131e5f1351f3f1da786545e5',
  ],
  [
    1023,
    '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11a182d27a591b05592b15607500e1e8dd56bc6c7fc063715b7a1d737df5bad3339c56778957d870eb9717b57ea3d9fb68d1b55127bba6a906a4a24bbd5acb2d123a37b28f9e9a81bbaae360d58f85e5fc9d75f7c370a0cc09b6522d9c8d822f2f28f485',
  ],
  [
    1024,
    '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af71cf8107265ecdaf8505b95d8fcec83a98a6a96ea5109d2c179c47a387ffbb404756f6eeae7883b446b70ebb144527c2075ab8ab204c0086bb22b7c93d465efc57f8d917f0b385c6df265e77003b85102967486ed57db5c5ca170ba441427ed9afa684e',
  ],
  [
    1025,
    'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444f4c4a22b4b399155358a994e52bf255de60035742ec71bd08ac275a1b51cc6bfe332b0ef84b409108cda080e6269ed4b3e2c3f7d722aa4cdc98d16deb554e5627be8f955c98e1d5f9565a9194cad0c4285f93700062d9595adb992ae68ff12800ab67a',
  ],
  [
    2049,
    '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b687952256303096de31d71d74103403822a2e0bc1eb193e7aecc9643a76b7bbc0c9f9c52e8783aae98764ca468962b5c2ec92f0c74eb5448d519713e09413719431c802f948dd5d90425a4ecdadece9eb178d80f26efccae630734dff63340285adec2aed3b51073ad3',
  ],
  [
    3072,
    'b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd29a3f6b0b978d6608335c09dc94ccf682f9951cdfc501bfe47b9c9189a6fc7b404d120258506341a6d802857322fbd20d3e5dae05b95c88793fa83db1cb08e7d8008d1599b6209d78336e24839724c191b2a52a80448306e0daa84a3fdb566661a37e11',
  ],
  [
    4096,
    '015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e9690289e9409ddb1b99768eafe1623da896faf7e1114bebeadc1be30829b6f8af707d85c298f4f0ff4d9438aef948335612ae921e76d411c3a9111df62d27eaf871959ae0062b5492a0feb98ef3ed4af277f5395172dbe5c311918ea0074ce0036454f620',
  ],
  [
    4097,
    '9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb99505f91b0b5600a11251652eacfa9497b31cd3c409ce2e45cfe6c0a016967316c426bd26f619eab5d70af9a418b845c608840390f361630bd497b1ab44019316357c61dbe091ce72fc16dc340ac3d6e009e050b3adac4b5b2c92e722cffdc46501531956',
  ],
  [
    5121,
    '628bd2cb2004694adaab7bbd778a25df25c47b9d4155a55f8fbd79f2fe154cff96adaab0613a6146cdaabe498c3a94e529d3fc1da2bd08edf54ed64d40dcd6777647eac51d8277d70219a9694334a68bc8f0f23e20b0ff70ada6f844542dfa32cd4204ca1846ef76d811cdb296f65e260227f477aa7aa008bac878f72257484f2b6c95',
  ],
  [
    7169,
    'a003fc7a51754a9b3c7fae0367ab3d782dccf28855a03d435f8cfe74605e781798a8b20534be1ca9eb2ae2df3fae2ea60e48c6fb0b850b1385b5de0fe460dbe9d9f9b0d8db4435da75c601156df9d047f4ede008732eb17adc05d96180f8a73548522840779e6062d643b79478a6e8dbce68927f36ebf676ffa7d72d5f68f050b119c8',
  ],
  [
    8193,
    'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3bb2282aa69be089359ea1154b9a9286c4a56af4de975a9aa4a5c497654914d279bea60bb6d2cf7225a2fa0ff5ef56bbe4b149f3ed15860f78b4e2ad04e158e375c1e0c0b551cd7dfc82f1b155c11b6b3ed51ec9edb30d133653bb5709d1dbd55f4e1ff6',
  ],
  [
    16384,
    'f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde49d764c270176e53e97bdffa58d549073f2c660be0e81293767ed4e4929f9ad34bbb39a529334c57c4a381ffd2a6d4bfdbf1482651b172aa883cc13408fa67758a3e47503f93f87720a3177325f7823251b85275f64636a8f1d599c2e49722f42e93893',
  ],
  [
    31744,
    '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47860cc51f2b0c28a7b77304bd55fe73af663c02d3f52ea053ba43431ca5bab7bfea2f5e9d7121770d88f70ae9649ea713087d1914f7f312147e247f87eb2d4ffef0ac978bf7b6579d57d533355aa20b8b77b13fd09748728a5cc327a8ec470f4013226f',
  ],
  [
    102400,
    'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085e01c59dab908c04c3342b816941a26d69c2605ebee5ec5291cc55e15b76146e6745f0601156c3596cb75065a9c57f35585a52e1ac70f69131c23d611ce11ee4ab1ec2c009012d236648e77be9295dd0426f29b764d65de58eb7d01dd42248204f45f8e',
  ],
];

describe('#hash: BLAKE3, 256-bit (64 digits) or extended output (256 digits)', () => {
  const vectorInput = (length: number): Uint8Array => new Uint8Array(length).map((_, i) => i % 251);

  test('the official test vectors boot, both lengths of each', async () => {
    for (const group of [BLAKE3_VECTORS.slice(0, 8), BLAKE3_VECTORS.slice(8)]) {
      // two module_path lines a vector: at most 16 modules
      const modules = group.map(([length]) => ({ name: `v${length}.bin`, data: vectorInput(length) }));
      const lines = group.flatMap(([length, hash]) => [
        `    module_path: boot():/boot/modules/v${length}.bin#${hash.slice(0, 64)}`,
        `    module_path: boot():/boot/modules/v${length}.bin#${hash.slice(0, 256)}`,
      ]);
      const run = await bootDirect(entry('boot():/boot/kernel', ...lines), modules);
      expect(run.status, `${run.reason}: ${run.serial.slice(-600)}`).toBe(STATUS_PASS);
      expect(parseReport(run.serial).get('module_size')).toHaveLength(2 * group.length);
    }
  }, 120_000);

  test('a mismatch in either length stops the boot naming the path', async () => {
    const [length, hash] = BLAKE3_VECTORS[4]!;
    const module = { name: 'v.bin', data: vectorInput(length) };
    for (const digits of [64, 256]) {
      // the last digit changed: a byte the 64-digit check does not see for the 256-digit one
      const bad = hash.slice(0, digits - 1) + (hash[digits - 1] === '0' ? '1' : '0');
      const run = await bootDirect(
        entry('boot():/boot/kernel', `    module_path: boot():/boot/modules/v.bin#${bad}`),
        [module],
      );
      expectRefusal(
        run,
        'BLAKE3 hash for /boot/modules/v.bin does not match the #hash of its limine.conf path',
      );
    }
  }, 120_000);
});
