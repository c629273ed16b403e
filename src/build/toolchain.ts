/**
 * ostool's own assembler and linker behind one small in-memory seam for the build driver and the built-in
 * loader: source text in, an object out (or a UserError holding every diagnostic); objects in, an executable
 * out. No files are touched here: reading and writing is the driver's business.
 */
import { assemble, formatDiagnostic, type AssembleOptions, type Diagnostic } from '../assembler/index.js';
import { UserError } from '../errors.js';
import { link, type LinkOptions } from '../linker/index.js';

/** How many errors a failed build shows (the rest are counted). */
const ERRORS_SHOWN = 20;

export interface AssembledObject {
  object: Uint8Array;
  /** Every file `%include`d or `incbin`ed, as the assembler named them (the main file excluded). */
  dependencies: string[];
  warnings: Diagnostic[];
}

/** Assembles one source into an ELF64 object; any error throws a UserError listing the diagnostics. */
export function assembleObject(options: Omit<AssembleOptions, 'format'>): AssembledObject {
  const result = assemble({ ...options, format: 'elf64' });
  const errors = result.diagnostics.filter(
    (diagnostic) => diagnostic.severity === 'error' || diagnostic.severity === 'fatal',
  );
  if (!result.output || errors.length > 0) {
    const shown = errors.slice(0, ERRORS_SHOWN).map(formatDiagnostic).join('\n');
    const more = errors.length > ERRORS_SHOWN ? `\n(${errors.length - ERRORS_SHOWN} more errors)` : '';
    throw new UserError(shown ? `${shown}${more}` : `${options.fileName}: the assembler produced no output`);
  }
  return {
    object: result.output,
    dependencies: result.dependencies,
    warnings: result.diagnostics.filter((diagnostic) => diagnostic.severity === 'warning'),
  };
}

/** Links objects into an ELF64 executable or a PE32+ EFI application; bad input throws a UserError. */
export function linkExecutable(options: LinkOptions): { output: Uint8Array; warnings: string[] } {
  return link(options);
}

export { formatDiagnostic };
