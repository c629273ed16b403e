import { connect } from 'node:net';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { bootImageDir, FAIL, HANG, PASS, processesMentioning, TRIPLE_FAULT } from '../qemu/boot-images.js';

const ostool = new URL('../../bin/ostool.js', import.meta.url).pathname;
const images = bootImageDir();
afterAll(images.cleanup);

/** `ostool run --image X --firmware bios --headless --timeout T --accel tcg` and any extra arguments. */
function runArgs(image: string, timeoutSeconds: number, extra: string[] = []): string[] {
  const base = [
    'run',
    '--image',
    image,
    '--firmware',
    'bios',
    '--headless',
    '--timeout',
    String(timeoutSeconds),
  ];
  return [ostool, ...base, '--accel', 'tcg', ...extra];
}

/** The done-when command of the issue: `ostool run --image X --firmware bios --headless --timeout 5`. */
function run(image: string, extra: string[] = [], env: Record<string, string> = {}) {
  return execa('node', runArgs(image, 5, extra), { reject: false, stdin: 'ignore', env });
}

describe('ostool run', () => {
  it('exits 0 for a guest that reports success, with its serial output on stdout', async () => {
    const result = await run(images.write('pass.img', 'hello from the guest\n', PASS));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('hello from the guest');
    expect(result.stderr).toMatch(/ostool: pass: .*0x10/);
  });

  it('exits 1 for a guest that reports failure', async () => {
    expect((await run(images.write('fail.img', 'bad\n', FAIL))).exitCode).toBe(1);
  });

  it('exits 2 for a guest that hangs, shows the last serial lines and leaves no QEMU behind', async () => {
    const image = images.write('hang.img', 'stuck here\n', HANG);
    const result = await run(image, ['--timeout', '1']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('timed out after 1 s');
    expect(result.stderr).toContain('last serial lines:\n  | stuck here');
    expect(processesMentioning(image)).toEqual([]);
  });

  it('exits 3 for a guest that triple-faults, with the last serial lines', async () => {
    const result = await run(images.write('triple.img', 'faulting\n', TRIPLE_FAULT));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('  | faulting');
  });

  it('exits 4 with a clear message when the OVMF override points at a missing file', async () => {
    const image = images.write('uefi.img', 'x\n', PASS);
    const result = await execa(
      'node',
      [ostool, 'run', '--image', image, '--headless', '--timeout', '5', '--accel', 'tcg'],
      {
        reject: false,
        stdin: 'ignore',
        env: { OSTOOL_OVMF_CODE: '/nonexistent/OVMF_CODE.fd' },
      },
    );
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      'OVMF code file /nonexistent/OVMF_CODE.fd (from OSTOOL_OVMF_CODE) does not exist',
    );
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('exits 4 with a clear message when QEMU is missing', async () => {
    const result = await run(images.write('noqemu.img', 'x\n', PASS), [], {
      OSTOOL_QEMU: '/nonexistent/qemu',
    });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('/nonexistent/qemu not found');
  });

  it('passes arguments after -- to QEMU', async () => {
    const result = await run(images.write('extra.img', 'x\n', PASS), ['--', '-no-such-qemu-flag']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('-no-such-qemu-flag');
  });

  it('without --headless and without a display, runs headless and says so; --verbose shows the QEMU command', async () => {
    const image = images.write('windowless.img', 'no window\n', PASS);
    const result = await execa(
      'node',
      [
        ostool,
        'run',
        '--image',
        image,
        '--firmware',
        'bios',
        '--timeout',
        '20',
        '--accel',
        'tcg',
        '--memory',
        '64M',
        '--verbose',
      ],
      { reject: false, stdin: 'ignore', env: { DISPLAY: '', WAYLAND_DISPLAY: '' } },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('no graphical display (DISPLAY/WAYLAND_DISPLAY unset): running headless');
    expect(result.stderr).toMatch(/qemu command: \S*qemu-system-x86_64 .*-m 64M .*-display none/);
  });

  it('exits 4 when the image does not exist, without a stack trace', async () => {
    const result = await run(`${images.dir}/nope.img`);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('nope.img does not exist');
  });

  for (const target of ['ostool alone', 'ostool and QEMU (a terminal Ctrl-C)'] as const) {
    it(`stops QEMU on SIGINT to ${target}, exits 130 and leaves no QEMU behind`, async () => {
      const image = images.write(`sigint-${target.length}.img`, 'running until ctrl-c\n', HANG);
      const child = execa('node', runArgs(image, 60), {
        reject: false,
        stdin: 'ignore',
        detached: true,
      });
      await waitForText(child, 'stdout', (seen) => seen.includes('ctrl-c\n'));
      expect(processesMentioning(image)).toHaveLength(1);
      process.kill(target === 'ostool alone' ? child.pid! : -child.pid!, 'SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(130);
      expect(result.stderr).toContain('interrupted');
      expect(processesMentioning(image)).toEqual([]);
    });
  }

  it('reports SIGTERM by name, not as Ctrl-C, and exits 143 leaving no QEMU behind', async () => {
    const image = images.write('sigterm.img', 'running until sigterm\n', HANG);
    const child = execa('node', runArgs(image, 60), { reject: false, stdin: 'ignore' });
    await waitForText(child, 'stdout', (seen) => seen.includes('sigterm\n'));
    process.kill(child.pid!, 'SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    expect(result.stderr).toContain('stopped by SIGTERM');
    expect(result.stderr).not.toContain('Ctrl-C');
    expect(processesMentioning(image)).toEqual([]);
  });

  it('leaves no QEMU behind when ostool itself is killed with SIGKILL during a boot', async () => {
    const image = images.write('sigkill.img', 'running until killed\n', HANG);
    const child = execa('node', runArgs(image, 60), { reject: false, stdin: 'ignore' });
    await waitForText(child, 'stdout', (seen) => seen.includes('killed\n'));
    expect(processesMentioning(image)).toHaveLength(1);
    child.kill('SIGKILL');
    await child;
    await new Promise((done) => setTimeout(done, 1000));
    expect(processesMentioning(image)).toEqual([]);
  });

  it('with --gdb starts QEMU paused and prints a gdb command that connects and runs the guest', async () => {
    const image = images.write('gdb.img', 'resumed by gdb\n', PASS);
    const child = execa(
      'node',
      [
        ostool,
        'run',
        '--image',
        image,
        '--firmware',
        'bios',
        '--headless',
        '--accel',
        'tcg',
        '--gdb',
        '--kernel',
        '/tmp/kernel.elf',
        '--timeout',
        '30',
      ],
      {
        reject: false,
        stdin: 'ignore',
      },
    );
    const stderr = await waitForText(child, 'stderr', (seen) => /^\s*gdb .*\n/m.test(seen));
    const gdbLine = stderr
      .split('\n')
      .find((line) => line.trim().startsWith('gdb '))!
      .trim();
    expect(gdbLine).toContain("-ex 'file /tmp/kernel.elf'");
    const [host, port] = gdbLine.match(/target remote (127\.0\.0\.1):(\d+)/)!.slice(1) as [string, string];
    // Speak gdb's remote protocol directly (no gdb needed): ask why the target stopped, then continue.
    // The command is printed as QEMU starts; a person needs longer than QEMU to open the port, a test retries.
    const stopReply = await retry(() => gdbRemote(host, Number(port)));
    expect(stopReply).toMatch(/^\$[ST]05/);
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('resumed by gdb');
  });
});

/** Sends `?` (stop reason) and then `c` (continue) to a gdb server; returns the reply to `?`. */
function gdbRemote(host: string, port: number): Promise<string> {
  const packet = (body: string) => {
    const sum = [...body].reduce((total, char) => total + char.charCodeAt(0), 0) & 0xff;
    return `$${body}#${sum.toString(16).padStart(2, '0')}`;
  };
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(packet('?')));
    let received = '';
    let stopReply: string | undefined;
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const reply = received.match(/\$([^#]*)#[0-9a-f]{2}/);
      if (reply && stopReply === undefined) {
        stopReply = `$${reply[1]}`;
        socket.write(`+${packet('c')}`);
      }
    });
    socket.on('error', reject);
    socket.on('close', () =>
      stopReply ? resolve(stopReply) : reject(new Error(`no stop reply: ${received}`)),
    );
  });
}

async function retry<T>(attempt: () => Promise<T>, tries = 50): Promise<T> {
  for (let left = tries; ; left--) {
    try {
      return await attempt();
    } catch (error) {
      if (left <= 1 || !String(error).includes('ECONNREFUSED')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Resolves with the output so far once `done` accepts it; rejects (instead of hanging) if the child ends first. */
function waitForText(
  child: ResultPromise,
  stream: 'stdout' | 'stderr',
  done: (seen: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (done(seen)) resolve(seen);
    });
    child.then((result) =>
      reject(
        new Error(
          `ostool ended (exit ${result.exitCode}) before the expected ${stream}: ${String(result.stderr)}`,
        ),
      ),
    );
  });
}
