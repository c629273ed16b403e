import { spawn } from 'node:child_process';
import { findExecutable } from './qemu-binary.js';

/**
 * QEMU must never outlive ostool, even when ostool itself is killed with SIGKILL and gets no chance to clean up.
 * On Linux util-linux's `setpriv --pdeathsig KILL` makes the kernel kill QEMU when its parent dies; setpriv then
 * execs QEMU, so the PID we signal and wait for is QEMU's own. Where setpriv is absent, `watchParent` starts a
 * small detached watchdog instead.
 */
export interface GuardedCommand {
  command: string;
  args: string[];
  /** True when the kernel's parent-death signal guards the process; otherwise call `watchParent` after spawning. */
  guardedByKernel: boolean;
}

export function guardAgainstParentDeath(
  command: string,
  args: string[],
  env: Record<string, string | undefined> = process.env,
): GuardedCommand {
  const setpriv = process.platform === 'linux' ? findExecutable('setpriv', withSbin(env)) : undefined;
  const resolved = findExecutable(command, env);
  // An unresolvable QEMU is spawned directly so that the failure to start is reported as such, not as setpriv's.
  if (!setpriv || !resolved) return { command, args, guardedByKernel: false };
  return { command: setpriv, args: ['--pdeathsig', 'KILL', '--', resolved, ...args], guardedByKernel: true };
}

/**
 * Fallback guard: a detached shell polls this process once a second and SIGKILLs `childPid` when it is gone.
 * It ends by itself when the child ends first.
 */
export function watchParent(childPid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${childPid} 2>/dev/null || exit 0; sleep 1; done; kill -9 ${childPid} 2>/dev/null`;
  try {
    const watchdog = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
    watchdog.on('error', () => {});
    watchdog.unref();
  } catch {
    // No shell: the normal exit paths (timeout, Ctrl-C, abort) still stop QEMU.
  }
}

function withSbin(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...env, PATH: [env.PATH, '/usr/bin', '/bin', '/usr/sbin', '/sbin'].filter(Boolean).join(':') };
}
