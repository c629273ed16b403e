/**
 * Assembling and linking the kernel: with ostool's own assembler and linker, or — TEMPORARY FALLBACK,
 * only while ostool asm/link cannot build the kernel yet — with nasm and GNU ld. Remove `nativeBuild`
 * once `ostoolBuild` builds the kernel in CI.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { KERNEL_MAIN_SOURCE, type KernelSources } from './sources.js';

export type KernelToolchain = 'ostool' | 'nasm+ld';

/** The relocatable object's name in link diagnostics and maps. */
const OBJECT_NAME = 'kernel.o';

interface AssemblerDiagnostic {
  severity: 'error' | 'warning';
  message: string;
  location: { file: string; line: number; column: number };
}
interface AssemblerModule {
  assemble(options: {
    source: string;
    fileName: string;
    format?: string;
    readFile?: (path: string) => Uint8Array | undefined;
    includePaths?: string[];
    defines?: Record<string, string>;
  }): { output?: Uint8Array; diagnostics: AssemblerDiagnostic[] };
}
interface LinkerModule {
  link(options: {
    inputs: Array<{ name: string; data: Uint8Array }>;
    script?: string;
    scriptName?: string;
    maxPageSize?: number;
  }): { output: Uint8Array; warnings: string[] } | Promise<{ output: Uint8Array; warnings: string[] }>;
}

// Resolved at run time so this file compiles while the assembler and linker are still being written.
const ASSEMBLER_MODULE = '../assembler/index.js';
const LINKER_MODULE = '../linker/index.js';

/** Thrown when a toolchain cannot build the kernel; the message is the whole story. */
export class ToolchainError extends Error {}

export function formatAssemblerDiagnostic(diagnostic: AssemblerDiagnostic): string {
  const { file, line, column } = diagnostic.location;
  return `${file}:${line}:${column}: ${diagnostic.severity}: ${diagnostic.message}`;
}

/** The kernel ELF, built by ostool asm + ostool link. */
export async function ostoolBuild(
  sources: KernelSources,
  script: { path: string; text: string },
  defines: Record<string, string> = {},
): Promise<Uint8Array> {
  let assembler: AssemblerModule;
  let linker: LinkerModule;
  try {
    assembler = (await import(ASSEMBLER_MODULE)) as AssemblerModule;
    linker = (await import(LINKER_MODULE)) as LinkerModule;
  } catch (error) {
    throw new ToolchainError(
      `ostool's assembler or linker is not available (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (typeof assembler.assemble !== 'function' || typeof linker.link !== 'function') {
    throw new ToolchainError("ostool's assembler or linker does not export assemble()/link() yet");
  }
  let assembled: ReturnType<AssemblerModule['assemble']>;
  try {
    assembled = assembler.assemble({
      source: new TextDecoder().decode(sources.files.get(sources.mainPath)!),
      fileName: sources.mainPath,
      format: 'elf64',
      readFile: (path) => sources.files.get(resolve(sources.dir, path)),
      includePaths: [`${sources.dir}/`],
      defines,
    });
  } catch (error) {
    throw new ToolchainError(
      `ostool asm failed on the kernel: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const errors = assembled.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
  if (!assembled.output || errors.length > 0) {
    const shown = errors.slice(0, 5).map(formatAssemblerDiagnostic).join('\n');
    throw new ToolchainError(
      `ostool asm failed on the kernel:\n${shown}${errors.length > 5 ? `\n(${errors.length - 5} more errors)` : ''}`,
    );
  }
  try {
    const linked = await linker.link({
      inputs: [{ name: OBJECT_NAME, data: assembled.output }],
      script: script.text,
      scriptName: script.path,
      maxPageSize: 0x1000,
    });
    return linked.output;
  } catch (error) {
    throw new ToolchainError(
      `ostool link failed on the kernel: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** TEMPORARY FALLBACK: the kernel ELF, built by nasm + GNU ld from the same sources and script. */
export async function nativeBuild(
  sources: KernelSources,
  script: { path: string; text: string },
  defines: Record<string, string> = {},
): Promise<Uint8Array> {
  const work = await mkdtemp(join(tmpdir(), 'ostool-kernel-'));
  try {
    const object = join(work, OBJECT_NAME);
    const elf = join(work, 'kernel.elf');
    const scriptPath = join(work, 'linker.ld');
    await writeFile(scriptPath, script.text);
    const defineFlags = Object.entries(defines).map(([name, value]) =>
      value === '' ? `-D${name}` : `-D${name}=${value}`,
    );
    // Run from the source directory so that include paths, and so __FILE__, are relative as with ostool asm.
    await runTool('nasm', ['-f', 'elf64', ...defineFlags, '-o', object, KERNEL_MAIN_SOURCE], sources.dir);
    await runTool('ld', [
      '-T',
      scriptPath,
      '-nostdlib',
      '-static',
      '-z',
      'max-page-size=0x1000',
      '-o',
      elf,
      object,
    ]);
    return new Uint8Array(await readFile(elf));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function runTool(tool: string, args: string[], cwd?: string): Promise<void> {
  const result = await execa(tool, args, { reject: false, stdin: 'ignore', all: true, cwd });
  if (result.failed) {
    const output = (result.all ?? '').trim();
    const why =
      result.exitCode === undefined
        ? `could not run ${tool}`
        : `${tool} exited with status ${result.exitCode}`;
    throw new ToolchainError(`${why}${output ? `:\n${output}` : ''}`);
  }
}
