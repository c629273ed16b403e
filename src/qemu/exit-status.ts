/**
 * The exit status shared by `ostool run` and `ostool test`:
 *   0 the guest wrote 0x10 to port 0xf4 (pass)     1 it wrote 0x11 or any other code (fail)
 *   2 timeout (QEMU killed)                         3 the guest reset or triple-faulted
 *   4 QEMU or the firmware could not be started
 */
export type RunStatus = 0 | 1 | 2 | 3 | 4;

export const STATUS_PASS = 0;
export const STATUS_FAIL = 1;
export const STATUS_TIMEOUT = 2;
export const STATUS_RESET = 3;
export const STATUS_NOT_STARTED = 4;

/** The byte a guest writes to port 0xf4 to report success / failure. */
export const GUEST_SUCCESS_CODE = 0x10;
export const GUEST_FAILURE_CODE = 0x11;

/** What is known about how a QEMU run ended. */
export interface QemuEnding {
  exitCode: number | null;
  timedOut: boolean;
  interrupted: boolean;
  /** Everything QEMU printed on stderr. */
  stderr: string;
  /** Set when QEMU could not be spawned at all (e.g. ENOENT). */
  spawnError?: string;
  timeoutSeconds?: number;
}

/**
 * Turns QEMU's ending into the run status. QEMU's own exit status is ambiguous: it is (value << 1) | 1
 * truncated to 8 bits for a guest write, so writes of 0x00 and 0x80 give 1, the same as QEMU's own start-up
 * errors; those are told apart by QEMU having printed an error message.
 */
export function classifyQemuEnding(ending: QemuEnding): { status: RunStatus; reason: string } {
  if (ending.spawnError) return { status: STATUS_NOT_STARTED, reason: ending.spawnError };
  if (ending.interrupted) return { status: STATUS_TIMEOUT, reason: 'interrupted (Ctrl-C): QEMU stopped' };
  if (ending.timedOut) {
    const after = ending.timeoutSeconds !== undefined ? ` after ${ending.timeoutSeconds} s` : '';
    return {
      status: STATUS_TIMEOUT,
      reason: `timed out${after}: the guest never wrote to port 0xf4; QEMU killed`,
    };
  }
  const signalled = ending.stderr.match(/terminating on signal (\d+)/);
  if (signalled)
    return { status: STATUS_TIMEOUT, reason: `QEMU was stopped from outside (signal ${signalled[1]})` };
  const code = ending.exitCode;
  const qemuError = qemuErrorMessage(ending.stderr);
  if (code === null)
    return { status: STATUS_NOT_STARTED, reason: qemuError ?? 'QEMU was killed by a signal' };
  if (code === 0) {
    return {
      status: STATUS_RESET,
      reason: 'the guest reset, triple-faulted or powered off without writing a success code to port 0xf4',
    };
  }
  if (code === ((GUEST_SUCCESS_CODE << 1) | 1))
    return { status: STATUS_PASS, reason: 'the guest wrote 0x10 (success) to port 0xf4' };
  if (code === 1 && qemuError) return { status: STATUS_NOT_STARTED, reason: `QEMU failed: ${qemuError}` };
  if (code === 1)
    return { status: STATUS_FAIL, reason: 'the guest wrote 0x00 or 0x80 (failure) to port 0xf4' };
  if ((code & 1) === 1) {
    const value = code >> 1;
    return {
      status: STATUS_FAIL,
      reason: `the guest wrote 0x${value.toString(16).padStart(2, '0')}${value === GUEST_FAILURE_CODE ? ' (failure)' : ''} to port 0xf4`,
    };
  }
  return {
    status: STATUS_NOT_STARTED,
    reason: `QEMU exited with status ${code}${qemuError ? `: ${qemuError}` : ''}`,
  };
}

/** QEMU's own error lines ("qemu-system-x86_64: -drive ...: Could not open ..."), joined; undefined if none. */
export function qemuErrorMessage(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/terminating on signal|warning:/i.test(line));
  if (lines.length === 0) return undefined;
  return lines.map((line) => line.replace(/^qemu-system-[\w-]+: /, '')).join('; ');
}
