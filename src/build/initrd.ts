/**
 * The initrd of ostool.toml's `[initrd]`: a USTAR archive packed from a directory, its assembly programs built
 * into static ELF executables by ostool's own assembler and linker, its other files taken as they are. It goes
 * to the image (or the direct boot) as one more module. Rebuilt only when a file under the directory changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { UserError } from '../errors.js';
import { expandGlobs, filesUnder } from './glob.js';
import type { Project } from './project.js';

export interface InitrdMember {
  /** Path inside the archive, `/`-separated, no leading slash (`bin/init`). */
  path: string;
  data: Uint8Array;
  executable: boolean;
}

const BLOCK = 512;

function writeOctal(header: Uint8Array, offset: number, width: number, value: number): void {
  const text = value.toString(8).padStart(width - 1, '0');
  if (text.length > width - 1) throw new UserError(`initrd: ${value} does not fit a USTAR header field`);
  for (let i = 0; i < text.length; i++) header[offset + i] = text.charCodeAt(i);
}

function writeText(header: Uint8Array, offset: number, width: number, text: string, what: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > width) throw new UserError(`initrd: ${what} "${text}" is longer than USTAR allows`);
  header.set(bytes, offset);
}

/** One USTAR header block: `name` split into prefix/name as POSIX allows for long paths. */
function ustarHeader(path: string, size: number, mode: number, type: '0' | '5', mtime: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  let prefix = '';
  let name = path;
  if (new TextEncoder().encode(name).length > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0) throw new UserError(`initrd: path "${path}" is longer than USTAR allows`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  writeText(header, 0, 100, name, 'path');
  writeOctal(header, 100, 8, mode);
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, mtime);
  header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  header[156] = type.charCodeAt(0);
  writeText(header, 257, 6, 'ustar', 'magic');
  writeText(header, 263, 2, '00', 'version');
  writeText(header, 265, 32, 'root', 'owner');
  writeText(header, 297, 32, 'root', 'group');
  writeText(header, 345, 155, prefix, 'path prefix');
  let sum = 0;
  for (const byte of header) sum += byte;
  writeOctal(header, 148, 7, sum);
  header[155] = 0x20;
  return header;
}

/**
 * The archive: directories first where a member needs them, members in path order, every owner root, one
 * timestamp (so the same inputs give the same bytes), two zero blocks at the end.
 */
export function packUstar(members: InitrdMember[], mtime = 0): Uint8Array {
  const blocks: Uint8Array[] = [];
  const directories = new Set<string>();
  for (const member of [...members].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const parts = member.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const directory = `${parts.slice(0, depth).join('/')}/`;
      if (directories.has(directory)) continue;
      directories.add(directory);
      blocks.push(ustarHeader(directory, 0, 0o755, '5', mtime));
    }
    blocks.push(ustarHeader(member.path, member.data.length, member.executable ? 0o755 : 0o644, '0', mtime));
    blocks.push(member.data);
    const padding = (BLOCK - (member.data.length % BLOCK)) % BLOCK;
    if (padding) blocks.push(new Uint8Array(padding));
  }
  blocks.push(new Uint8Array(2 * BLOCK));
  const archive = new Uint8Array(blocks.reduce((total, block) => total + block.length, 0));
  let at = 0;
  for (const block of blocks) {
    archive.set(block, at);
    at += block.length;
  }
  return archive;
}

/** The members `[initrd]` asks for: each program assembled and linked, each file as it is. */
export async function initrdMembers(
  project: Project,
  onStep?: (step: string) => void,
): Promise<InitrdMember[]> {
  // Loaded only when the initrd is rebuilt: an unchanged one must not pay for loading the assembler and linker.
  const { assembleObject, linkExecutable } = await import('./toolchain.js');
  const initrd = project.initrd!;
  const dir = resolve(project.root, initrd.dir);
  if (!existsSync(dir))
    throw new UserError(`initrd directory ${dir} not found (initrd.dir in ${project.file})`);
  const members: InitrdMember[] = [];
  const readFile = (path: string) => (existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined);
  for (const source of initrd.programs.length
    ? expandGlobs(dir, initrd.programs, [], 'initrd program')
    : []) {
    if (!source.endsWith('.asm')) throw new UserError(`initrd program ${source} is not an .asm source`);
    onStep?.(`asm ${join(dir, source)}`);
    const { object } = assembleObject({
      source: new TextDecoder().decode(readFileSync(join(dir, source))),
      fileName: join(dir, source),
      includePaths: [`${dir}/`],
      readFile,
    });
    const { output } = linkExecutable({ inputs: [{ name: `${source}.o`, data: object }], entry: '_start' });
    members.push({ path: source.slice(0, -'.asm'.length), data: output, executable: true });
  }
  for (const file of initrd.files.length ? expandGlobs(dir, initrd.files, [], 'initrd file') : []) {
    if (members.some((member) => member.path === file))
      throw new UserError(`initrd: ${file} is both a program's output and a file`);
    members.push({ path: file, data: new Uint8Array(readFileSync(join(dir, file))), executable: false });
  }
  return members;
}

/**
 * Builds the project's initrd into its build directory when anything under `initrd.dir` changed, and returns
 * the archive's path (undefined when the project has none).
 */
export async function buildInitrd(
  project: Project,
  buildDir: string,
  onStep?: (step: string) => void,
): Promise<string | undefined> {
  if (!project.initrd) return undefined;
  const dir = resolve(project.root, project.initrd.dir);
  const path = join(buildDir, project.initrd.name);
  const stamp = createHash('sha256').update(JSON.stringify(project.initrd));
  for (const file of filesUnder(dir)) {
    const info = statSync(join(dir, file));
    stamp.update(`${file}\0${info.size}\0${info.mtimeMs}\0`);
  }
  stamp.update(process.env.SOURCE_DATE_EPOCH ?? '');
  const signature = stamp.digest('hex');
  const stampPath = `${path}.inputs`;
  if (existsSync(path) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === signature) return path;
  const mtime = Number(process.env.SOURCE_DATE_EPOCH ?? 0) || 0;
  const archive = packUstar(await initrdMembers(project, onStep), mtime);
  // Unchanged bytes keep the file (and so the image that holds it) as it is.
  if (!existsSync(path) || !readFileSync(path).equals(archive)) {
    onStep?.(`initrd ${path}`);
    writeFileAtomic(path, archive, { makeDirectory: true });
  }
  writeFileAtomic(stampPath, signature, { makeDirectory: true });
  return path;
}
