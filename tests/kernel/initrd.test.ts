import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoKernelProject } from '../../src/build/index.js';
import { bootWithMonitor } from './boot-helpers.js';
import { buildTestInitrd, INITRD_SOURCE_DIR, projectWithInitrd } from './initrd-helpers.js';

// Builds the user programs and the archive (~2 s), boots under OVMF (TCG) and types: ~15-40 s.
const INITRD_TEST_TIMEOUT = 240_000;
const READY = 'echo: type here';

describe('the kernel booted with a USTAR initrd', () => {
  let work: string;
  let initrd: { archive: string; members: string[] };
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ostool-kernel-initrd-'));
    initrd = await buildTestInitrd(work);
  }, 60_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it(
    'runs /bin/init from it: /etc/motd read as archived, /bin listed as archived, an ELF child, then the echo console',
    async () => {
      const motd = await readFile(join(INITRD_SOURCE_DIR, 'etc', 'motd'), 'utf8');
      const binaries = initrd.members
        .filter((member) => /^bin\/[^/]+$/.test(member))
        .map((member) => member.slice('bin/'.length));
      expect(binaries).toEqual(['hello', 'init']);
      let echoed = false;
      const { serial } = await bootWithMonitor(
        { media: 'iso', cmdline: '', project: projectWithInitrd(initrd.archive), readyText: READY },
        async (session) => {
          for (const key of ['o', 'k', 'ret']) await session.monitor(`sendkey ${key}`);
          echoed = await session.waitForSerial(`${READY}\nok\n`, 30_000);
        },
      );
      const files = initrd.members.filter((member) => !member.endsWith('/')).length;
      const directories = initrd.members.length - files;
      expect(serial).toContain(`[info]  initrd: /boot/modules/initrd.tar (`);
      expect(serial).toContain(`mounted: ${files} files, ${directories} directories`);
      expect(serial).toContain('init: hello from the initrd\n');
      expect(serial).toContain(`init: /etc/motd says:\n${motd}`);
      expect(serial).toContain(`init: /bin holds:\n${binaries.join('\n')}\n`);
      expect(serial).toContain('hello from an ELF program in the initrd\n');
      expect(serial).not.toContain('killed');
      expect(echoed, serial.slice(-2000)).toBe(true);
    },
    INITRD_TEST_TIMEOUT,
  );

  it(
    "runs /bin/init from the initrd `ostool build` packs from ostool.toml's [initrd]",
    async () => {
      const project = repoKernelProject();
      expect(project.initrd?.dir).toBe('src/kernel/initrd');
      const { serial } = await bootWithMonitor(
        { media: 'iso', cmdline: '', project, readyText: READY },
        async () => {},
      );
      expect(serial).toMatch(
        /\[info\]  initrd: \/boot\/modules\/initrd\.tar \(\d+ bytes\) mounted: 3 files, 2 directories/,
      );
      expect(serial).toContain('init: hello from the initrd\n');
      expect(serial).toContain('init: /bin holds:\nhello\ninit\n');
      expect(serial).toContain('hello from an ELF program in the initrd\n');
    },
    INITRD_TEST_TIMEOUT,
  );
});
