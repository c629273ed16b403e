/** The last `count` non-empty lines of serial output, for the report after a timeout, crash or failed start. */
export function lastSerialLines(serial: string, count = 20): string[] {
  const lines = serial.replace(/\r/g, '').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.slice(-count);
}
