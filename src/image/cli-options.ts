/** Parsing of the image command's option values (pure; the CLI files do the I/O). */
import { UserError } from '../errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  K: 1024,
  KB: 1024,
  KIB: 1024,
  M: 1024 ** 2,
  MB: 1024 ** 2,
  MIB: 1024 ** 2,
  G: 1024 ** 3,
  GB: 1024 ** 3,
  GIB: 1024 ** 3,
};

/** `64M`, `64MiB`, `1G`, `67108864` → bytes (binary units). */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*([A-Za-z]*)$/.exec(text.trim());
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined)
    throw new UserError(`--size '${text}': expected a number with an optional K, M or G suffix (like 64M)`);
  const bytes = Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UserError(`--size '${text}' is out of range`);
  return bytes;
}

/** `FILE[:CMDLINE]`: the module file and the command line Limine passes with it. */
export function parseModuleSpec(spec: string): { file: string; cmdline?: string } {
  const colon = spec.indexOf(':');
  if (colon === 0) throw new UserError(`--module '${spec}': no file name before ':'`);
  if (colon < 0) return { file: spec };
  return { file: spec.slice(0, colon), cmdline: spec.slice(colon + 1) || undefined };
}

export function parseTimeout(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new UserError(`--timeout '${text}': expected whole seconds`);
  return Number(text);
}

/** SOURCE_DATE_EPOCH as the reproducible-builds spec defines it: decimal seconds since 1970. */
export function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,12}$/.test(value))
    throw new UserError(`SOURCE_DATE_EPOCH='${value}' is not a whole number of seconds`);
  return Number(value);
}
