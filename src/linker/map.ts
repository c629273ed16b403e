/**
 * The `-Map` file, printed the way GNU ld prints it (ldlang.c's print_statements): the common symbols allocated,
 * the discarded input sections, the memory regions, then the script walked in order: each assignment with its
 * value and the expression as ld prints it (folded constants, `ALIGN (0x10)`, `PROVIDE (x = .)`, `[!provide]`
 * for one ld skipped), each output section with its address and size, each input description and the input
 * sections it matched (address, size, object), the `*fill*` between them, data statements and the global
 * symbols defined in each input section; then the LOAD lines and OUTPUT().
 *
 * bfd's own empty sections of a static link (`.iplt`, `.rela.iplt`, `.got`, `.igot.plt`, ...) are listed under the
 * script's input descriptions that take them. Not printed yet: those sections when they are orphans (no
 * description takes them), the ones a -pie/-shared link makes, and the sizing-pass addresses at which ld prints
 * the removed large-model `.ldata` block of its built-in script.
 */
import type { GlobalSymbol, InputFile, InputSection, OutputSection } from './model.js';
import type { LayoutItem } from './mapping.js';
import type {
  AssertStatement,
  Assignment,
  DataStatement,
  Expression,
  InputSectionDescription,
  LinkerScript,
  SectionPattern,
} from './script/ast.js';
import { SHT_GROUP } from '../elf/constants.js';
import { bfdHash, BFD_HASH_SIZE } from './symtab.js';
import { wildcardMatcher } from './wildcard.js';
import { scriptBinary } from './layout.js';

export interface MapInput {
  files: InputFile[];
  script: LinkerScript;
  /** Whether the script is the user's (-T): ld's built-in one is not printed statement by statement. */
  userScript: boolean;
  items: LayoutItem[];
  /** The output sections that were written (kept ones). */
  sections: OutputSection[];
  discarded: InputSection[];
  removedByGc: InputSection[];
  symbols: Map<string, GlobalSymbol>;
  /** From Layout.trace: the value of each statement in the last layout walk. */
  trace: Map<object, { value: bigint; address?: bigint; provided: boolean }>;
  /** Command-line inputs, for the LOAD lines. */
  inputs: string[];
  /** ld prints the LOAD lines where the inputs came on the command line: before the script's statements or after. */
  inputsFirst: boolean;
  outputName?: string;
  format: string;
  /** Address width in hex digits: 16 for ELF64, 8 for ELF32. */
  width: number;
  /**
   * The empty sections bfd makes in its dynamic object (the first input) for every static link (`.iplt`,
   * `.rela.iplt`, `.got`, ...) that ostool did not make: listed where a script's input description takes them.
   */
  linkerMade?: string[];
}

const SYMBOL_GAP = ' '.repeat(16);
/** Where ld starts a value line's text: column 50 (after a 16-digit address and 16 spaces, or 8 digits and 24). */
const TEXT_COLUMN = 50;

export function writeMap(input: MapInput): string {
  const hex = (v: bigint) =>
    `0x${BigInt.asUintN(input.width * 4, v)
      .toString(16)
      .padStart(input.width, '0')}`;
  const size = (v: bigint | number) => `0x${BigInt(v).toString(16)}`.padStart(10);
  const lines: string[] = [];
  // ld's SECTION_NAME_MAP_LENGTH: a name of 15 characters or more goes on a line of its own.
  const column = (name: string) => (name.length >= 15 ? `${name}\n${' '.repeat(16)}` : name.padEnd(16));
  const valueLine = (value: bigint, text: string) => `${SYMBOL_GAP}${hex(value)}`.padEnd(TEXT_COLUMN) + text;

  const commons = commonSymbols(input.symbols);
  if (commons.length > 0) {
    lines.push('', 'Allocating common symbols', 'Common symbol       size              file', '');
    for (const s of commons) {
      const name = s.name.length >= 20 ? `${s.name}\n${' '.repeat(20)}` : s.name.padEnd(20);
      lines.push(
        `${name}${`0x${s.definition!.size.toString(16)}`.padEnd(18)}${s.definition!.section!.file.name}`,
      );
    }
  }
  // In file and section order, with the `.note.GNU-stack` markers when a /DISCARD/ takes them (else ld keeps
  // them as an empty orphan section, printed last).
  const stackNoteDiscarded = (input.script.sections ?? []).some(
    (c) =>
      c.kind === 'output-section' &&
      c.name === '/DISCARD/' &&
      c.commands.some(
        (i) => i.kind === 'input' && i.sections.some((p) => wildcardMatcher(p.pattern)('.note.GNU-stack')),
      ),
  );
  const stackNotes = input.files.filter((f) => f.elf.sections.some((s) => s.name === '.note.GNU-stack'));
  const dropped = new Set([...input.discarded, ...input.removedByGc].filter((s) => s.index >= 0));
  const discarded: Array<{ name: string; size: number; file: string }> = [];
  for (const file of input.files)
    for (const section of file.elf.sections) {
      const linked = file.sections[section.index];
      if (
        (linked && dropped.has(linked)) ||
        (!linked && section.name === '.note.GNU-stack' && stackNoteDiscarded) ||
        section.type === SHT_GROUP
      )
        discarded.push({ name: section.name, size: linked?.size ?? section.size, file: file.name });
    }
  if (discarded.length > 0) {
    lines.push('', 'Discarded input sections', '');
    for (const s of discarded) lines.push(`${column(` ${s.name}`)}${hex(0n)} ${size(s.size)} ${s.file}`);
  }
  lines.push(
    '',
    'Memory Configuration',
    '',
    'Name             Origin             Length             Attributes',
  );
  for (const region of input.script.memory) {
    const origin = input.trace.get(region.origin)?.value ?? 0n;
    const length = input.trace.get(region.length)?.value ?? 0n;
    lines.push(
      `${region.name.padEnd(17)}${hex(origin).padEnd(19)}${hex(length).padEnd(19)}${regionAttributes(region)}`.trimEnd(),
    );
  }
  lines.push(
    `${'*default*'.padEnd(17)}${hex(0n).padEnd(19)}${hex(-1n)}`,
    '',
    'Linker script and memory map',
    '',
  );
  const loads = input.inputs.map((name) => `LOAD ${name}`);
  if (input.inputsFirst) lines.push(...loads);

  const kept = new Set(input.sections);
  const linkerMade = linkerMadePlaces(input);
  const dynobj = input.files[0]?.name ?? '';
  // ld's statement list ends with the script, then the LOAD (inputs given after -T) and OUTPUT statements; orphans
  // placed after the script's last section come after those.
  let scriptEnd = -1;
  input.items.forEach((item, i) => {
    if (item.kind === 'statement' || !item.section.orphan) scriptEnd = i;
  });
  const finishScript = () => {
    for (const command of input.script.sections ?? []) {
      if (command.kind !== 'output-section' || command.name !== '/DISCARD/') continue;
      lines.push('', '/DISCARD/');
      for (const inner of command.commands)
        if (inner.kind === 'input') lines.push(` ${describeInput(inner)}`);
    }
    if (!input.inputsFirst) lines.push(...loads);
    if (input.outputName !== undefined) lines.push(`OUTPUT(${input.outputName} ${input.format})`);
  };
  if (scriptEnd < 0) finishScript();
  const statement = (s: Assignment | AssertStatement) => {
    const traced = input.trace.get(s);
    if (!traced) return;
    if (s.kind === 'assert') {
      lines.push(valueLine(traced.value, `ASSERT (${printExpression(s.condition)}, ${s.message})`));
      return;
    }
    const text = assignmentText(s);
    if (!traced.provided) lines.push(`${SYMBOL_GAP}[!provide]${' '.repeat(24)}${text}`);
    else lines.push(valueLine(traced.value, text));
  };
  if (input.userScript) for (const s of input.script.globals) statement(s);
  input.items.forEach((item, index) => {
    printItem(item);
    if (index === scriptEnd) finishScript();
  });
  if (input.userScript && !stackNoteDiscarded && stackNotes.length > 0) {
    lines.push('', column('.note.GNU-stack') + `${hex(0n)} ${size(0)}`);
    for (const file of stackNotes)
      lines.push(`${column(' .note.GNU-stack')}${hex(0n)} ${size(0)} ${file.name}`);
  }
  return `${lines.join('\n')}\n`;

  function printItem(item: LayoutItem): void {
    if (item.kind === 'statement') {
      if (input.userScript) statement(item.statement);
      return;
    }
    const section = item.section;
    const matched = section.contents.some((c) => c.kind === 'inputs' && c.sections.some((s) => s.live));
    // ld makes the output section for an assignment in it too (map_input_to_output_sections), so prints it
    // with an address even when nothing went in.
    const assigns = section.contents.some((c) => c.kind === 'assignment' || c.kind === 'assert');
    const takesLinkerMade = section.contents.some(
      (c) => c.kind === 'inputs' && c.description && linkerMade.has(c.description),
    );
    if (
      !kept.has(section) &&
      !matched &&
      !takesLinkerMade &&
      !(assigns && input.userScript && !section.orphan)
    ) {
      // An output section nothing went into: ld prints its name and its statements only.
      if (!input.userScript || section.orphan) return;
      lines.push('', section.name);
      for (const content of section.contents)
        if (content.kind === 'inputs' && content.description)
          lines.push(` ${describeInput(content.description)}`);
      return;
    }
    if (!kept.has(section)) {
      // Emptied (its inputs have no bytes): ld still prints it where `.` was, with those inputs.
      const at = input.trace.get(section)?.value ?? 0n;
      lines.push('', `${column(section.name)}${hex(at)} ${size(0)}`);
      for (const content of section.contents) {
        if (content.kind === 'assignment' || content.kind === 'assert') statement(content);
        if (content.kind !== 'inputs') continue;
        if (content.description) lines.push(` ${describeInput(content.description)}`);
        for (const name of (content.description && linkerMade.get(content.description)) ?? [])
          lines.push(`${column(` ${name}`)}${hex(at)} ${size(0)} ${dynobj}`);
        for (const s of content.sections)
          if (s.live) lines.push(`${column(` ${s.name}`)}${hex(at)} ${size(s.size)} ${s.file.name}`);
      }
      return;
    }
    const load = section.loadAddress !== section.address ? ` load address ${hex(section.loadAddress)}` : '';
    lines.push('', `${column(section.name)}${hex(section.address)} ${size(section.size)}${load}`);
    let cursor = section.address;
    const fillTo = (address: bigint) => {
      if (address > cursor) lines.push(` *fill*         ${hex(cursor)} ${size(address - cursor)} `);
      if (address > cursor) cursor = address;
    };
    for (const content of section.contents) {
      if (content.kind === 'inputs') {
        if (content.description) lines.push(` ${describeInput(content.description)}`);
        // bfd's empty sections come first: its dynamic object is the first input.
        for (const name of (content.description && linkerMade.get(content.description)) ?? [])
          lines.push(`${column(` ${name}`)}${hex(cursor)} ${size(0)} ${dynobj}`);
        for (const s of content.sections) {
          if (!s.live || s.output !== section) continue;
          const address = section.address + s.outputOffset;
          fillTo(address);
          // ld's own sections belong to its dynobj, the first input object.
          const owner = s.file.name === '<linker>' ? (input.files[0]?.name ?? s.file.name) : s.file.name;
          lines.push(`${column(` ${s.name}`)}${hex(address)} ${size(s.size)} ${owner}`);
          const original = s.index >= 0 ? s.file.elf.sections[s.index]?.size : undefined;
          if (original !== undefined && original !== s.size)
            lines.push(`${' '.repeat(19 + input.width)}${size(original)} (size before relaxing)`);
          // Symbols keep a 16-space gap whatever the address width (assignments align at column 50).
          for (const symbol of definedIn(s, input.symbols))
            lines.push(`${SYMBOL_GAP}${hex(symbol.value)}${SYMBOL_GAP}${symbol.name}`);
          cursor = address + BigInt(s.size);
        }
      } else if (content.kind === 'data') {
        const traced = input.trace.get(content);
        if (!traced) continue;
        fillTo(traced.address!);
        lines.push(
          `${SYMBOL_GAP}${hex(traced.address!)} ${size(content.size)} ${dataText(content, traced.value)}`,
        );
        cursor = traced.address! + BigInt(content.size);
      } else if (content.kind === 'assignment' || content.kind === 'assert') {
        statement(content);
        // ld pads after an assignment to `.` (the padding statement follows it).
        if (content.kind === 'assignment' && content.target === '.') {
          const traced = input.trace.get(content);
          if (traced) fillTo(traced.value);
        }
      }
    }
    fillTo(section.address + section.size);
  }
}

/** Which input description first takes each of bfd's empty sections, walking the script as ld does. */
function linkerMadePlaces(input: MapInput): Map<InputSectionDescription, string[]> {
  const places = new Map<InputSectionDescription, string[]>();
  const dynobj = input.files[0]?.name;
  if (!dynobj || !input.linkerMade?.length) return places;
  const left = new Set(input.linkerMade);
  for (const command of input.script.sections ?? []) {
    if (command.kind !== 'output-section') continue;
    for (const inner of command.commands) {
      if (inner.kind !== 'input' || !wildcardMatcher(inner.filePattern)(dynobj)) continue;
      for (const name of left) {
        const taken = inner.sections.some(
          (p) => wildcardMatcher(p.pattern)(name) && !p.excludeFiles.some((f) => wildcardMatcher(f)(dynobj)),
        );
        if (!taken) continue;
        left.delete(name);
        // A /DISCARD/ takes them out of the map as well.
        if (command.name !== '/DISCARD/') places.set(inner, [...(places.get(inner) ?? []), name]);
      }
    }
  }
  return places;
}

const LINKER_SYMBOLS = new Set(['_GLOBAL_OFFSET_TABLE_', '_DYNAMIC']);

/** Global symbols an input section defines, by address (what ld prints under it: locals are not listed). */
function definedIn(
  section: InputSection,
  symbols: Map<string, GlobalSymbol>,
): Array<{ name: string; value: bigint }> {
  const found: Array<{ name: string; value: bigint }> = [];
  for (const symbol of symbols.values()) {
    // The GOT and _DYNAMIC symbols ld defines in its own sections are listed under them.
    if (section.index < 0 && LINKER_SYMBOLS.has(symbol.name) && symbol.address !== undefined) {
      const start = section.output!.address + section.outputOffset;
      if (symbol.address >= start && symbol.address < start + BigInt(Math.max(section.size, 1)))
        found.push({ name: symbol.name, value: symbol.address });
      continue;
    }
    const d = symbol.definition;
    if (!d || d.section !== section || symbol.scriptDefined) continue;
    found.push({ name: symbol.name, value: section.output!.address + section.outputOffset + d.value });
  }
  return found.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** COMMON symbols that got space, in the order ld walks its symbol hash table (bucket by bucket, newest first). */
function commonSymbols(symbols: Map<string, GlobalSymbol>): GlobalSymbol[] {
  const order = new Map([...symbols.keys()].map((name, i) => [name, i]));
  return [...symbols.values()]
    .filter((s) => s.definition?.section?.name === 'COMMON' && s.definition.section.index < 0)
    .map((s) => ({ s, bucket: bfdHash(s.name) % BFD_HASH_SIZE, age: -(order.get(s.name) ?? 0) }))
    .sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : a.age - b.age))
    .map(({ s }) => s);
}

function regionAttributes(region: LinkerScript['memory'][number]): string {
  const attributes = region.attributes;
  const negated = attributes.includes('!');
  const [on, off] = negated ? attributes.split('!') : [attributes, ''];
  const ordered = (text: string) => [...'xrwail'].filter((c) => text.toLowerCase().includes(c)).join('');
  return `${ordered(on ?? '')}${off ? `!${ordered(off)}` : ''}`;
}

function describePattern(p: SectionPattern): string {
  let text = p.pattern;
  // ld keeps an EXCLUDE_FILE list newest first, so prints it reversed.
  if (p.excludeFiles.length > 0) text = `EXCLUDE_FILE(${[...p.excludeFiles].reverse().join(' ')}) ${text}`;
  if (p.sortNone) return `SORT_NONE(${text})`;
  const sort: Record<string, string> = {
    name: 'SORT_BY_NAME',
    alignment: 'SORT_BY_ALIGNMENT',
    'init-priority': 'SORT_BY_INIT_PRIORITY',
    'name-alignment': 'SORT_BY_NAME(SORT_BY_ALIGNMENT',
    'alignment-name': 'SORT_BY_ALIGNMENT(SORT_BY_NAME',
  };
  const wrapper = sort[p.sort];
  if (!wrapper) return text;
  return wrapper.includes('(') ? `${wrapper}(${text}))` : `${wrapper}(${text})`;
}

/** ld prints `*(.text .text.*)`, without KEEP. */
function describeInput(d: InputSectionDescription): string {
  return `${d.filePattern}(${d.sections.map(describePattern).join(' ')})`;
}

function assignmentText(a: Assignment): string {
  const value =
    a.operator === '='
      ? a.value
      : ({
          kind: 'binary',
          operator: a.operator.slice(0, -1),
          left:
            a.target === '.'
              ? { kind: 'dot', location: a.location }
              : { kind: 'symbol', name: a.target, location: a.location },
          right: a.value,
          location: a.location,
        } as Expression);
  const text = `${a.target} = ${printExpression(value)}`;
  return a.provide !== 'none' ? `PROVIDE (${text})` : text;
}

const DATA_NAMES: Record<number, string> = { 1: 'BYTE', 2: 'SHORT', 4: 'LONG', 8: 'QUAD' };

function dataText(d: DataStatement, value: bigint): string {
  const folded = fold(d.value);
  const name = DATA_NAMES[d.size]!;
  const shown = `0x${BigInt.asUintN(64, value).toString(16)}`;
  return folded.kind === 'number' ? `${name} ${shown}` : `${name} ${shown} ${printExpression(d.value)}`;
}

/** ld folds an operation on two constants when it parses it: `0x10 * 2` is printed `0x20`. */
function fold(e: Expression): Expression {
  if (e.kind === 'binary') {
    const left = fold(e.left);
    const right = fold(e.right);
    if (left.kind === 'number' && right.kind === 'number') {
      const value = scriptBinary(e.operator, left.value, right.value);
      if (value !== undefined) return { kind: 'number', value };
    }
    return { ...e, left, right };
  }
  if (e.kind === 'unary') {
    const operand = fold(e.operand);
    if (operand.kind === 'number') {
      const v = operand.value;
      const value =
        e.operator === '-' ? -v : e.operator === '~' ? ~v : e.operator === '!' ? (v === 0n ? 1n : 0n) : v;
      return { kind: 'number', value: BigInt.asUintN(64, value) };
    }
    return { ...e, operand };
  }
  if (e.kind === 'conditional')
    return { ...e, condition: fold(e.condition), then: fold(e.then), otherwise: fold(e.otherwise) };
  if (e.kind === 'call') return { ...e, args: e.args.map(fold) };
  return e;
}

/** An expression as ld's exp_print_tree writes it. */
export function printExpression(expression: Expression): string {
  const e = fold(expression);
  switch (e.kind) {
    case 'number':
      return `0x${BigInt.asUintN(64, e.value).toString(16)}`;
    case 'symbol':
      return e.name;
    case 'dot':
      return '.';
    case 'unary':
      return `${e.operator} (${printExpression(e.operand)})`;
    case 'binary':
      return `(${printExpression(e.left)} ${e.operator} ${printExpression(e.right)})`;
    case 'conditional':
      return `${printExpression(e.condition)}?${printExpression(e.then)}:${printExpression(e.otherwise)}`;
    case 'call': {
      if (e.function === 'SIZEOF_HEADERS') return 'SIZEOF_HEADERS';
      // ld stores DATA_SEGMENT_RELRO_END's operands swapped and prints them so.
      if (e.function === 'DATA_SEGMENT_RELRO_END' && e.args.length === 2)
        return `${e.function} (${printExpression(e.args[1]!)}, ${printExpression(e.args[0]!)})`;
      const args = [
        ...(e.name !== undefined
          ? [e.function === 'SEGMENT_START' && !e.name.startsWith('"') ? `"${e.name}"` : e.name]
          : []),
        ...e.args.map(printExpression),
      ];
      return `${e.function} (${args.join(', ')})`;
    }
  }
}
