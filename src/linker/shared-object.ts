/**
 * -shared: which globals stay dynamic in a shared object, and what GNU ld builds for the references to them.
 *
 * A global is dynamic when another module may provide it at run time: defined here with default visibility and
 * exported, unless -Bsymbolic (every definition) or -Bsymbolic-functions (function definitions) binds it locally;
 * or not defined by any input (allowed unless -z defs/--no-undefined, always for a weak reference). Protected
 * definitions are exported but bound locally. References to a dynamic symbol go through the dynamic linker:
 * calls (R_X86_64_PLT32) through a lazy PLT entry with an R_X86_64_JUMP_SLOT in `.rela.plt`, GOT loads through
 * an unrelaxed slot with R_X86_64_GLOB_DAT, and 64-bit pointers as R_X86_64_64 with the symbol. Any other
 * relocation against one is refused as ld refuses it.
 */
import {
  R_X86_64,
  SHF_ALLOC,
  SHT_NOBITS,
  STB_LOCAL,
  STT_FUNC,
  STT_OBJECT,
  STV_DEFAULT,
  STV_PROTECTED,
  SHN_UNDEF,
} from '../elf/constants.js';
import { RelaTable } from '../elf/reader.js';
import { UserError } from '../errors.js';
import { bfdTraversalOrder } from './bfd-hash.js';
import type { SymbolRelocation } from './dynamic.js';
import type { GlobalSymbol, InputFile, InputSection } from './model.js';
import type { Target } from './target.js';

export interface SharedObjectOptions {
  /** -Bsymbolic: 'all'; -Bsymbolic-functions: 'functions'. */
  symbolic?: 'all' | 'functions';
  /** -z defs / --no-undefined: an undefined strong symbol fails the link. */
  noUndefined: boolean;
  /** A PIE with a dynamic linker: only its undefined weak symbols are dynamic (its definitions bind locally). */
  executable?: boolean;
  /** With `executable`: there is a dynamic linker to bind the undefined weak symbols (not --no-dynamic-linker). */
  dynamicLinker?: boolean;
  /**
   * With `executable`: exported names that neither an object nor the script defines. -E exports what an object
   * references (bfd's _bfd_elf_export_symbol takes ref_regular symbols): the `__tls_get_addr` of a TLS sequence
   * ld relaxed is the one such symbol a link can keep, and it stays dynamic.
   */
  exportedUndefined?: ReadonlySet<string>;
  /**
   * --gc-sections: an undefined symbol only removed sections refer to is no dynamic symbol (bfd's
   * elf_gc_sweep_symbol clears its references).
   */
  gcSections?: boolean;
}

export interface DynamicBinding {
  /** Is a reference to this symbol left to the dynamic linker? */
  isDynamic(global: GlobalSymbol): boolean;
  /**
   * Does a 64-bit pointer to it need the symbol? Dynamic symbols, and protected data too: ld keeps those pointers
   * symbolic so that an executable's copy of the data is what they point at.
   */
  isDynamicPointer(global: GlobalSymbol): boolean;
  /** Symbols with a lazy PLT entry, in ld's order (its hash-table walk). */
  plt: string[];
  /** Called symbols that also have a GOT slot: ld calls them through `.plt.got` (a jump through that slot). */
  pltGot: string[];
  /**
   * PLT entries ld reserves and then leaves zero, with a zero `.got.plt` slot and an R_X86_64_NONE: the
   * `__tls_get_addr` call of a TLSGD/TLSLD sequence it relaxed in an executable.
   */
  reserved: ReadonlySet<string>;
  /**
   * A PIE without a dynamic linker: undefined weak symbols it calls. ld calls those that kept a GOT slot (0)
   * through `.plt.got` too; the caller adds them to `pltGot` once the GOT is known.
   */
  staticWeakCalls: string[];
  /** `.dynsym`'s undefined symbols with their st_info type, in the order ld recorded them. */
  undefinedTypes: Map<string, number>;
  /** R_X86_64_64 relocations against dynamic symbols: `.rela.dyn` entries with a symbol. */
  symbolPointers: number;
  /** A shared object uses the initial-exec model (R_X86_64_GOTTPOFF): ld sets DF_STATIC_TLS. */
  staticTls: boolean;
}

/** Symbols the linker itself defines (and hides) in dynamic output. */
const LINKER_DEFINED = new Set(['_GLOBAL_OFFSET_TABLE_', '_DYNAMIC', '__GNU_EH_FRAME_HDR']);

const TLS_GET_ADDR = '__tls_get_addr';

const GOT_LOADS = new Set<number>([R_X86_64.GOTPCREL, R_X86_64.GOTPCRELX, R_X86_64.REX_GOTPCRELX]);

const TLS_TYPES = new Set<number>([
  R_X86_64.TLSGD,
  R_X86_64.TLSLD,
  R_X86_64.GOTTPOFF,
  R_X86_64.TPOFF32,
  R_X86_64.TPOFF64,
  R_X86_64.DTPOFF32,
  R_X86_64.DTPOFF64,
]);

/** Decides what is dynamic and checks every allocated relocation against a dynamic symbol (see the top). */
export function bindSharedObject(
  files: InputFile[],
  symbols: Map<string, GlobalSymbol>,
  exported: ReadonlySet<string>,
  options: SharedObjectOptions,
  target: Target,
): DynamicBinding {
  const isDynamic = (g: GlobalSymbol): boolean => {
    if (LINKER_DEFINED.has(g.name)) return false;
    if (options.executable) {
      const undefined = !g.definition && !g.common && !g.scriptDefined;
      if (options.exportedUndefined?.has(g.name)) return true;
      return (options.dynamicLinker ?? false) && g.weak && undefined && g.visibility === STV_DEFAULT;
    }
    if (g.visibility !== STV_DEFAULT || g.forcedLocal) return false;
    if (g.definition || g.common) {
      if (!exported.has(g.name)) return false;
      if (options.symbolic === 'all') return false;
      return !(options.symbolic === 'functions' && g.definition?.type === STT_FUNC);
    }
    if (g.scriptDefined) return false;
    return g.weak || !options.noUndefined;
  };
  const isDynamicPointer = (g: GlobalSymbol): boolean =>
    isDynamic(g) ||
    (!options.executable &&
      g.visibility === STV_PROTECTED &&
      g.definition?.type === STT_OBJECT &&
      exported.has(g.name) &&
      options.symbolic !== 'all');
  const plt = new Set<string>();
  const gotUsers = new Set<string>();
  const reserved = new Set<string>();
  const weakCalls = new Set<string>();
  const errors: string[] = [];
  let symbolPointers = 0;
  let staticTls = false;
  const referencedLive = new Set<string>();
  for (const file of files)
    for (const section of file.sections) {
      if (!section || !section.live || !(section.flags & SHF_ALLOC) || section.type === SHT_NOBITS) continue;
      const relocations = section.relocations;
      for (let i = 0; i < relocations.length; i++) {
        const type = relocations.type(i);
        const referenced = file.globals[relocations.symbol(i)];
        if (referenced) referencedLive.add(referenced.name);
        if (
          options.executable &&
          (type === R_X86_64.TLSGD || type === R_X86_64.TLSLD) &&
          i + 1 < relocations.length
        ) {
          const call = file.globals[relocations.symbol(i + 1)];
          if (relocations.type(i + 1) === R_X86_64.PLT32 && call?.name === TLS_GET_ADDR && !isDynamic(call))
            reserved.add(TLS_GET_ADDR);
        }
        // A shared object cannot know its TLS block's offset: the GOT entries of the general-dynamic,
        // local-dynamic and initial-exec models get dynamic relocations (x86-64.ts); local-exec is refused as ld
        // refuses it.
        if (!options.executable && TLS_TYPES.has(type)) {
          if (type === R_X86_64.GOTTPOFF) staticTls = true;
          const global = file.globals[relocations.symbol(i)];
          const where = () => `${file.name}:(${section.name}+0x${relocations.offset(i).toString(16)})`;
          const name = global?.name ?? file.elf.symbols[relocations.symbol(i)]?.name ?? '';
          if (type === R_X86_64.TPOFF32 && errors.length < 20)
            errors.push(
              `${where()}: relocation R_X86_64_TPOFF32 against \`${name}' can not be used when making a shared object; recompile with -fPIC`,
            );
          if (type === R_X86_64.TPOFF64 && errors.length < 20)
            errors.push(
              `${where()}: R_X86_64_TPOFF64 against \`${name}': ostool makes no TPOFF64 dynamic relocation for a TP offset stored in data`,
            );
          continue;
        }
        const global = file.globals[relocations.symbol(i)];
        if (!global) continue;
        if (type === R_X86_64['64'] && isDynamicPointer(global)) {
          symbolPointers++;
          continue;
        }
        if (!isDynamic(global)) {
          const undefinedWeak = global.weak && !global.definition && !global.common && !global.scriptDefined;
          if (options.executable && type === R_X86_64.PLT32 && undefinedWeak) weakCalls.add(global.name);
          continue;
        }
        if (type === R_X86_64.NONE) continue;
        if (GOT_LOADS.has(type)) gotUsers.add(global.name);
        else if (type === R_X86_64.PLT32) plt.add(global.name);
        else if (errors.length < 20)
          errors.push(refusal(file, section, relocations.offset(i), type, global, target));
      }
    }
  if (errors.length > 0) throw new UserError(errors.join('\n'));
  const undefinedTypes = new Map<string, number>();
  for (const file of files)
    file.elf.symbols.forEach((sym, index) => {
      const global = file.globals[index];
      if (sym.bind === STB_LOCAL || sym.shndx !== SHN_UNDEF || !global || undefinedTypes.has(global.name))
        return;
      if (options.gcSections && !referencedLive.has(global.name)) return;
      if (!global.definition && !global.common && isDynamic(global))
        undefinedTypes.set(global.name, sym.type);
    });
  // ld records dynamic symbols as it reads them: the undefined ones in the order their names first appeared.
  const names = [...symbols.keys()];
  const sortedUndefined = new Map(
    names.filter((n) => undefinedTypes.has(n)).map((n) => [n, undefinedTypes.get(n)!]),
  );
  const walk = bfdTraversalOrder(names);
  return {
    isDynamic,
    isDynamicPointer,
    plt: walk.filter((n) => (plt.has(n) && !gotUsers.has(n)) || reserved.has(n)),
    reserved,
    staticWeakCalls: walk.filter((n) => weakCalls.has(n)),
    pltGot: walk.filter((n) => plt.has(n) && gotUsers.has(n)),
    undefinedTypes: sortedUndefined,
    symbolPointers,
    staticTls,
  };
}

function refusal(
  file: InputFile,
  section: InputSection,
  offset: number,
  type: number,
  global: GlobalSymbol,
  target: Target,
): string {
  const where = `${file.name}:(${section.name}+0x${offset.toString(16)})`;
  const name = target.relocationName(type);
  if (TLS_TYPES.has(type))
    return `${where}: ${name} against dynamic symbol \`${global.name}': ostool makes no TLS dynamic relocations in a shared object (give the symbol hidden visibility or link with -Bsymbolic)`;
  const what = global.definition ? 'symbol' : 'undefined symbol';
  return `${where}: relocation ${name} against ${what} \`${global.name}' can not be used when making a shared object; recompile with -fPIC`;
}

const PLT_ENTRY = 16;

/**
 * ld's lazy PLT (elf_x86_64_lazy_plt): PLT0 pushes `.got.plt`+8 and jumps through `.got.plt`+16; entry N jumps
 * through its `.got.plt` slot, which first points back at its own `push N; jmp PLT0`. Returns the JUMP_SLOT
 * relocations for `.rela.plt`.
 */
export function fillPlt(
  plt: InputSection,
  gotPlt: InputSection,
  names: string[],
  reserved: ReadonlySet<string>,
): SymbolRelocation[] {
  const pltAddress = plt.output!.address + plt.outputOffset;
  const gotAddress = gotPlt.output!.address + gotPlt.outputOffset;
  const code = new DataView(plt.data.buffer, plt.data.byteOffset, plt.data.byteLength);
  const got = new DataView(gotPlt.data.buffer, gotPlt.data.byteOffset, gotPlt.data.byteLength);
  const rel32 = (at: number, to: bigint, next: bigint) => code.setInt32(at, Number(to - next), true);
  plt.data.set([0xff, 0x35, 0, 0, 0, 0, 0xff, 0x25, 0, 0, 0, 0, 0x0f, 0x1f, 0x40, 0x00], 0);
  rel32(2, gotAddress + 8n, pltAddress + 6n);
  rel32(8, gotAddress + 16n, pltAddress + 12n);
  return names.map((name, i) => {
    if (reserved.has(name)) return { place: 0n, type: R_X86_64.NONE, name: '', addend: 0n };
    const at = PLT_ENTRY * (i + 1);
    const entry = pltAddress + BigInt(at);
    const slot = gotAddress + BigInt(8 * (3 + i));
    plt.data.set([0xff, 0x25, 0, 0, 0, 0, 0x68, 0, 0, 0, 0, 0xe9, 0, 0, 0, 0], at);
    rel32(at + 2, slot, entry + 6n);
    code.setUint32(at + 7, i, true);
    rel32(at + 12, pltAddress, entry + 16n);
    got.setBigUint64(8 * (3 + i), entry + 6n, true);
    return { place: slot, type: R_X86_64.JUMP_SLOT, name, addend: 0n };
  });
}

const PLT_GOT_ENTRY = 8;

/** ld's `.plt.got` entries (elf_x86_64_non_lazy_plt): `jmp *slot(%rip); xchg %ax,%ax`, one per symbol. */
export function fillPltGot(pltGot: InputSection, slots: bigint[]): void {
  const start = pltGot.output!.address + pltGot.outputOffset;
  const code = new DataView(pltGot.data.buffer, pltGot.data.byteOffset, pltGot.data.byteLength);
  slots.forEach((slot, i) => {
    const at = PLT_GOT_ENTRY * i;
    pltGot.data.set([0xff, 0x25, 0, 0, 0, 0, 0x66, 0x90], at);
    code.setInt32(at + 2, Number(slot - (start + BigInt(at + 6))), true);
  });
}

export function pltGotEntryAddress(pltGot: InputSection, index: number): bigint {
  return pltGot.output!.address + pltGot.outputOffset + BigInt(PLT_GOT_ENTRY * index);
}

export const pltGotSize = (entries: number): number => PLT_GOT_ENTRY * entries;

/** PLT0 and the entries (a `.plt` holding PLT0 alone when every call goes through `.plt.got`). */
export function pltSize(entries: number): number {
  return PLT_ENTRY * (entries + 1);
}

/** A PLT entry's address, for the calls that go through it. */
export function pltEntryAddress(plt: InputSection, index: number): bigint {
  return plt.output!.address + plt.outputOffset + BigInt(PLT_ENTRY * (index + 1));
}

/** A version script's patterns: which globals stay global and which become local, over all its nodes. */
export interface VersionScript {
  global: string[];
  local: string[];
  /** Named version nodes in script order (ld numbers them from 2); none for an anonymous version. */
  versions: VersionNode[];
}

/** `NAME { global: ...; local: ...; } PARENT ...;` */
export interface VersionNode {
  name: string;
  global: string[];
  local: string[];
  /** The versions this one depends on (they follow the closing brace). */
  parents: string[];
}

/**
 * `--version-script`: ld's anonymous version (`{ global: a; b*; local: *; };`) or a list of named version
 * nodes (`VERS_1.0 { global: foo; local: *; }; VERS_2.0 { bar; } VERS_1.0;`).
 */
export function parseVersionScript(text: string, fileName: string): VersionScript {
  const script: VersionScript = { global: [], local: [], versions: [] };
  const tokens: Array<{ text: string; line: number; column: number }> = [];
  const pattern = /\/\*[\s\S]*?\*\/|#[^\n]*|\s+|"[^"]*"|[{};]|[^\s{};"]+/g;
  let line = 1;
  let lineStart = 0;
  for (const m of text.matchAll(pattern)) {
    const t = m[0];
    const at = m.index;
    if (!/^(\s|\/\*|#)/.test(t)) tokens.push({ text: t, line, column: at - lineStart + 1 });
    for (let k = t.indexOf('\n'); k >= 0; k = t.indexOf('\n', k + 1)) {
      line++;
      lineStart = at + k + 1;
    }
  }
  let i = 0;
  const fail = (message: string): never => {
    const t = tokens[Math.min(i, tokens.length - 1)];
    throw new UserError(`${fileName}:${t?.line ?? 1}:${t?.column ?? 1}: ${message}`);
  };
  const next = () => tokens[i++]?.text;
  if (tokens.length === 0) fail('empty version script');
  const body = (global: string[], local: string[]) => {
    let list = global;
    for (;;) {
      const t = next();
      if (t === undefined) fail("expected '}' before the end");
      if (t === '}') return;
      if (t === ';') continue;
      if (t === 'global:' || t === 'local:') {
        list = t === 'global:' ? global : local;
        continue;
      }
      if (t === 'extern') fail('extern "C++" blocks match demangled names, which ostool cannot demangle');
      if (t === '{') fail("unexpected '{'");
      const name = t!.startsWith('"') ? t!.slice(1, -1) : t!;
      list.push(name);
      if (global !== script.global) script[list === global ? 'global' : 'local'].push(name);
    }
  };
  if (tokens[0]!.text === '{') {
    next();
    body(script.global, script.local);
    if (next() !== ';') fail("expected ';' after the version's closing '}'");
    if (i < tokens.length)
      fail(`unexpected '${tokens[i]!.text}' after the version (only one anonymous version is allowed)`);
    return script;
  }
  while (i < tokens.length) {
    const name = next()!;
    if (/[{};]/.test(name)) fail(`expected a version name, found '${name}'`);
    if (script.versions.some((v) => v.name === name)) fail(`duplicate version tag \`${name}'`);
    if (next() !== '{') fail(`expected '{' after version name '${name}'`);
    const node: VersionNode = { name, global: [], local: [], parents: [] };
    body(node.global, node.local);
    for (let t = next(); t !== ';'; t = next()) {
      if (t === undefined) fail("expected ';' after the version's closing '}'");
      if (!script.versions.some((v) => v.name === t)) {
        i--; // point at the unknown name
        fail(`unknown version \`${t}' as a dependency of ${name}`);
      }
      node.parents.push(t!);
    }
    script.versions.push(node);
  }
  return script;
}

/** ld's CIE for its PLT unwind info: gcc's own x86-64 CIE, so ld's .eh_frame editing shares it with the objects'. */
const PLT_CIE = [
  0x14, 0, 0, 0, 0, 0, 0, 0, 1, 0x7a, 0x52, 0, 1, 0x78, 0x10, 1, 0x1b, 0x0c, 7, 8, 0x90, 1, 0, 0,
];

/**
 * The FDE bodies after pc_begin/pc_range (elf_x86_64_eh_frame_lazy_plt, ..._non_lazy_plt): the lazy PLT's CFA
 * is rsp+16 in PLT0 after its push, rsp+24 after the second, and in the entries rsp+8 or +16 depending on
 * whether the entry's push has run ((rip & 15) >= 11).
 */
const LAZY_PLT_CFA = [
  0, 0x0e, 0x10, 0x46, 0x0e, 0x18, 0x4a, 0x0f, 0x0b, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24,
  0x22, 0, 0, 0, 0,
];
const NON_LAZY_PLT_CFA = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The `.eh_frame` sections ld generates for its PLT and `.plt.got` (unless --no-ld-generated-unwind-info): a CIE
 * and one FDE covering the whole section, pc_begin relocated against the section (symbol `symbol` of its file).
 */
export function pltUnwindInfo(
  kind: 'lazy' | 'non-lazy',
  size: number,
  symbol: number,
): {
  data: Uint8Array;
  relocations: RelaTable;
} {
  const body = kind === 'lazy' ? LAZY_PLT_CFA : NON_LAZY_PLT_CFA;
  const fdeLength = 4 + 8 + body.length;
  const data = new Uint8Array(PLT_CIE.length + 4 + fdeLength);
  data.set(PLT_CIE, 0);
  const view = new DataView(data.buffer);
  const fde = PLT_CIE.length;
  view.setUint32(fde, fdeLength, true);
  view.setUint32(fde + 4, fde + 4, true); // back to the CIE
  view.setUint32(fde + 12, size, true);
  data.set(body, fde + 16);
  return {
    data,
    relocations: RelaTable.fromList([{ offset: fde + 8, type: R_X86_64.PC32, symbol, addend: 0n }]),
  };
}
