/**
 * `--orphan-handling=place|discard|warn|error`: what ld reports for each section no script statement places, in
 * ld's words. ld also counts sections it never reads as input (`.note.GNU-stack`) and the sections it creates
 * itself in the first object (bfd's dynobj: `.got`, `.iplt`...), so those are listed too when the script does not
 * place them; they are empty in a static kernel link and leave nothing in the output.
 */
import { SHF_ALLOC, SHT_REL, SHT_RELA } from '../elf/constants.js';
import type { InputFile, InputSection } from './model.js';
import type { LinkerScript } from './script/ast.js';
import { DEFAULT_SCRIPT_ALSO_PLACES } from './script/defaults.js';
import { fileMatches, wildcardMatcher } from './wildcard.js';

export type OrphanHandling = 'place' | 'discard' | 'warn' | 'error';

/** Sections bfd's elf_x86_64 back end creates in the first object (in creation order). */
const LINKER_CREATED_STATIC = ['.rela.got', '.got', '.got.plt', '.iplt', '.rela.iplt', '.igot.plt'];
const LINKER_CREATED_PIE = [
  '.interp',
  '.gnu.version_d',
  '.gnu.version',
  '.gnu.version_r',
  '.dynsym',
  '.dynstr',
  '.dynamic',
  '.hash',
  '.gnu.hash',
  '.plt',
  '.rela.plt',
  '.rela.got',
  '.got',
  '.got.plt',
  '.dynbss',
  '.rela.bss',
  '.rela.data.rel.ro',
  '.rela.ifunc',
  '.plt.got',
  '.sframe',
];

export interface OrphanReport {
  /** One line per orphan, as ld words it for this mode (empty for `place` and `discard`). */
  lines: string[];
}

/**
 * The orphans ld would name, in its order: each file's sections in section-header order, and after the first
 * object's own sections the ones ld made in it.
 */
export function reportOrphans(
  mode: OrphanHandling,
  script: LinkerScript,
  userScript: boolean,
  files: InputFile[],
  orphans: InputSection[],
  linker: { pie: boolean; buildId: boolean },
): OrphanReport {
  if (mode === 'place' || mode === 'discard') return { lines: [] };
  const orphanSet = new Set(orphans);
  const lines: string[] = [];
  const say = (name: string, file: InputFile, destination: string) =>
    lines.push(
      mode === 'warn'
        ? `orphan section \`${name}' from \`${file.name}' being placed in section \`${destination}'`
        : `unplaced orphan section \`${name}' from \`${file.name}'`,
    );
  const placedByScript = (file: InputFile, name: string) =>
    scriptPlaces(script, file, name) ||
    (!userScript && DEFAULT_SCRIPT_ALSO_PLACES.some((p) => wildcardMatcher(p)(name)));
  const dynobj = files.find((f) => f.elf.header.type === 1 && f.order !== Number.MAX_SAFE_INTEGER);
  for (const file of files) {
    if (file.order === Number.MAX_SAFE_INTEGER) continue;
    for (const header of file.elf.sections) {
      const section = file.sections[header.index];
      if (section && orphanSet.has(section)) {
        if (!userScript && DEFAULT_SCRIPT_ALSO_PLACES.some((p) => wildcardMatcher(p)(section.name))) continue;
        say(section.name, file, destinationOf(section.name, section.type, section.flags));
      } else if (!section && header.name === '.note.GNU-stack' && !placedByScript(file, header.name))
        say(header.name, file, header.name);
    }
    if (file === dynobj && userScript) {
      const created = [
        ...(linker.buildId ? ['.note.gnu.build-id'] : []),
        ...(linker.pie ? LINKER_CREATED_PIE : LINKER_CREATED_STATIC),
      ];
      for (const name of created)
        if (!placedByScript(file, name)) say(name, file, name.startsWith('.rela.') ? '.rela.dyn' : name);
    }
  }
  return { lines };
}

/** ld's orphan placement sends allocated relocation sections to `.rela.dyn`; others keep their name. */
function destinationOf(name: string, type: number, flags: number): string {
  if ((type === SHT_RELA || type === SHT_REL) && flags & SHF_ALLOC)
    return type === SHT_RELA ? '.rela.dyn' : '.rel.dyn';
  return name;
}

/** Whether some input section statement of the script (`/DISCARD/` included) matches section `name` of `file`. */
function scriptPlaces(script: LinkerScript, file: InputFile, name: string): boolean {
  for (const command of script.sections ?? []) {
    if (command.kind !== 'output-section') continue;
    for (const inner of command.commands) {
      if (inner.kind !== 'input') continue;
      if (inner.filePattern !== '*' && !fileMatches(inner.filePattern, file.matchName, file.archive))
        continue;
      if (inner.excludeFiles.some((p) => fileMatches(p, file.matchName, file.archive))) continue;
      for (const pattern of inner.sections) {
        if (pattern.excludeFiles.some((p) => fileMatches(p, file.matchName, file.archive))) continue;
        if (wildcardMatcher(pattern.pattern)(name)) return true;
      }
    }
  }
  return false;
}
