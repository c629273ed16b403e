/** Terminal control sequences (OVMF clears the screen and sets modes on serial): noise in a report. */
const ANSI_CONTROL = /\x1b\[[0-9;=?]*[A-Za-z]|\x1b[()][A-Z0-9]/g;

export function stripTerminalControls(text: string): string {
  return text.replace(ANSI_CONTROL, '');
}

/** The last `count` non-empty lines of serial output, for the report after a timeout, crash or failed start. */
export function lastSerialLines(serial: string, count = 20): string[] {
  const lines = stripTerminalControls(serial).replace(/\r/g, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-count);
}
