/**
 * GNU ld script parser for the subset kernels use. ld's lexer changes state with context (a `-` is an operator in
 * an expression but part of a name in a file pattern), so this parser reads characters directly and asks for
 * "a name", "a pattern" or "an expression token" depending on where it is.
 */
import { UserError } from '../../errors.js';
import type {
  Assignment,
  AssertStatement,
  DataStatement,
  Expression,
  InputSectionDescription,
  LinkerScript,
  OutputSectionCommand,
  OutputSectionStatement,
  PhdrDefinition,
  SectionPattern,
  SectionsCommand,
  SortKind,
  SourceLocation,
} from './ast.js';

export interface ParseScriptOptions {
  /** Name used in `file:line:column` diagnostics. */
  fileName?: string;
  /** Reads an INCLUDEd file; returns undefined when it does not exist. */
  readFile?: (path: string) => Uint8Array | string | undefined;
}

export function parseLinkerScript(text: string, options: ParseScriptOptions = {}): LinkerScript {
  const script: LinkerScript = { globals: [], memory: [], externs: [] };
  new ScriptParser(text, options.fileName ?? '<script>', options, 0).parseTop(script);
  return script;
}

const ASSIGN_OPERATORS = ['<<=', '>>=', '+=', '-=', '*=', '/=', '&=', '|=', '='];
const BINARY_PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};
const SORT_KEYWORDS: Record<string, SortKind> = {
  SORT: 'name',
  SORT_BY_NAME: 'name',
  SORT_BY_ALIGNMENT: 'alignment',
  SORT_BY_INIT_PRIORITY: 'init-priority',
  SORT_NONE: 'none',
};
const SECTION_NAME_FUNCTIONS = new Set([
  'ADDR',
  'LOADADDR',
  'SIZEOF',
  'ALIGNOF',
  'DEFINED',
  'CONSTANT',
  'ORIGIN',
  'LENGTH',
  'SEGMENT_START',
]);
const MAX_INCLUDE_DEPTH = 16;

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 36;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
/** Characters allowed in section names, file names and wildcard patterns. */
function isPatternChar(c: number): boolean {
  return (
    isNameChar(c) ||
    c === 42 ||
    c === 63 ||
    c === 91 ||
    c === 93 ||
    c === 45 ||
    c === 47 ||
    c === 92 ||
    c === 126 ||
    c === 43 ||
    c === 33 ||
    c === 94 ||
    c === 58 ||
    c === 64
  );
}

class ScriptParser {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly options: ParseScriptOptions,
    private readonly depth: number,
  ) {}

  // ---- characters and tokens -------------------------------------------------------------------------------

  private location(): SourceLocation {
    return { file: this.file, line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private fail(message: string, at: SourceLocation = this.location()): never {
    throw new UserError(`${at.file}:${at.line}:${at.column}: ${message}`);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else if (c === 32 || c === 9 || c === 13 || c === 12) {
        this.pos++;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42) {
        const start = this.location();
        const end = t.indexOf('*/', this.pos + 2);
        if (end < 0) this.fail('unterminated comment', start);
        for (let i = this.pos; i < end; i++) {
          if (t.charCodeAt(i) === 10) {
            this.line++;
            this.lineStart = i + 1;
          }
        }
        this.pos = end + 2;
      } else if (c === 35 && this.atLineStartIgnoringSpace()) {
        // `#` comments at the start of a line are accepted by ld in scripts.
        while (this.pos < t.length && t.charCodeAt(this.pos) !== 10) this.pos++;
      } else {
        break;
      }
    }
  }

  private atLineStartIgnoringSpace(): boolean {
    for (let i = this.lineStart; i < this.pos; i++) {
      const c = this.text.charCodeAt(i);
      if (c !== 32 && c !== 9) return false;
    }
    return true;
  }

  private atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  private peekChar(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }

  private peekIs(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }

  private accept(s: string): boolean {
    if (this.peekIs(s)) {
      this.pos += s.length;
      return true;
    }
    return false;
  }

  private expect(s: string, context: string): void {
    if (!this.accept(s)) this.fail(`expected '${s}' ${context}, found ${this.describeNext()}`);
  }

  private describeNext(): string {
    this.skipSpace();
    if (this.pos >= this.text.length) return 'end of file';
    const rest = this.text.slice(this.pos, this.pos + 20).split(/\s/)[0];
    return `'${rest}'`;
  }

  /** An identifier or symbol name (also accepts a quoted string). */
  private readName(what: string): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') return this.readQuoted();
    const start = this.pos;
    if (!isNameStart(this.text.charCodeAt(this.pos)))
      this.fail(`expected ${what}, found ${this.describeNext()}`);
    while (this.pos < this.text.length && isNameChar(this.text.charCodeAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A section name, file name or wildcard pattern. */
  private readPattern(what: string, allowColon = false): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') return this.readQuoted();
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      // ':' ends an output section name (`.text :`) but joins `archive:member` in file patterns.
      if ((c === 58 && !allowColon) || !isPatternChar(c)) break;
      this.pos++;
    }
    if (start === this.pos) this.fail(`expected ${what}, found ${this.describeNext()}`);
    return this.text.slice(start, this.pos);
  }

  /** A command argument such as `i386:x86-64` or `"elf64-x86-64"`: everything up to `)`, `,` or a space. */
  private readArgument(what: string): string {
    this.skipSpace();
    if (this.text[this.pos] === '"') return this.readQuoted();
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s),]/.test(this.text[this.pos]!)) this.pos++;
    if (start === this.pos) this.fail(`expected ${what}, found ${this.describeNext()}`);
    return this.text.slice(start, this.pos);
  }

  private readQuoted(): string {
    const start = this.location();
    const end = this.text.indexOf('"', this.pos + 1);
    if (end < 0) this.fail('unterminated string', start);
    const value = this.text.slice(this.pos + 1, end);
    this.pos = end + 1;
    return value;
  }

  private peekWord(): string {
    this.skipSpace();
    let end = this.pos;
    while (end < this.text.length && isNameChar(this.text.charCodeAt(end))) end++;
    return this.text.slice(this.pos, end);
  }

  /** Consumes `word` when it is the next whole word followed (after spaces) by `(`, like `KEEP (`. */
  private acceptCall(word: string): boolean {
    if (this.peekWord() !== word) return false;
    const save = this.pos;
    this.pos += word.length;
    if (this.peekChar() === '(') {
      this.pos++;
      return true;
    }
    this.pos = save;
    return false;
  }

  // ---- top level ---------------------------------------------------------------------------------------------

  parseTop(script: LinkerScript): void {
    while (!this.atEnd()) {
      if (this.accept(';')) continue;
      const at = this.location();
      const word = this.peekWord();
      switch (word) {
        case 'ENTRY':
          this.pos += word.length;
          this.expect('(', 'after ENTRY');
          script.entry = this.readName('an entry symbol');
          this.expect(')', 'after the ENTRY symbol');
          break;
        case 'OUTPUT_FORMAT': {
          this.pos += word.length;
          this.expect('(', 'after OUTPUT_FORMAT');
          script.outputFormat = this.readArgument('an output format');
          while (this.accept(',')) this.readArgument('an output format');
          this.expect(')', 'after OUTPUT_FORMAT');
          break;
        }
        case 'OUTPUT_ARCH':
          this.pos += word.length;
          this.expect('(', 'after OUTPUT_ARCH');
          script.outputArch = this.readArgument('an architecture');
          this.expect(')', 'after OUTPUT_ARCH');
          break;
        case 'TARGET':
        case 'SEARCH_DIR':
        case 'OUTPUT':
        case 'STARTUP':
          this.pos += word.length;
          this.expect('(', `after ${word}`);
          this.readArgument('a name');
          this.expect(')', `after ${word}`);
          break;
        case 'INPUT':
        case 'GROUP': {
          this.pos += word.length;
          this.expect('(', `after ${word}`);
          const files: string[] = [];
          while (!this.accept(')')) {
            this.skipSpace();
            if (this.acceptCall('AS_NEEDED')) {
              while (!this.accept(')')) {
                files.push(this.readArgument('a file name'));
                this.accept(',');
              }
            } else files.push(this.readArgument('a file name'));
            this.accept(',');
          }
          (script.inputs ??= []).push({ files, group: word === 'GROUP', location: at });
          break;
        }
        case 'EXTERN':
          this.pos += word.length;
          this.expect('(', 'after EXTERN');
          while (!this.accept(')')) {
            script.externs.push(this.readName('a symbol'));
            this.accept(',');
          }
          break;
        case 'FORCE_COMMON_ALLOCATION':
        case 'INHIBIT_COMMON_ALLOCATION':
          this.pos += word.length;
          break;
        case 'NOCROSSREFS':
        case 'NOCROSSREFS_TO':
          this.pos += word.length;
          this.skipParenthesized();
          break;
        case 'INCLUDE':
          this.pos += word.length;
          this.include(at).parseTop(script);
          break;
        case 'PHDRS':
          this.pos += word.length;
          script.phdrs = [...(script.phdrs ?? []), ...this.parsePhdrs()];
          break;
        case 'MEMORY':
          this.pos += word.length;
          this.parseMemory(script);
          break;
        case 'SECTIONS':
          this.pos += word.length;
          this.expect('{', 'after SECTIONS');
          script.sections = [...(script.sections ?? []), ...this.parseSectionsBody()];
          break;
        case 'ASSERT':
          script.globals.push(this.parseAssert());
          break;
        default:
          script.globals.push(this.parseAssignment('after an assignment'));
      }
    }
  }

  private skipParenthesized(): void {
    this.expect('(', 'here');
    let depth = 1;
    while (depth > 0) {
      if (this.pos >= this.text.length) this.fail('unbalanced parentheses');
      const c = this.text[this.pos++];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === '\n') {
        this.line++;
        this.lineStart = this.pos;
      }
    }
  }

  private include(at: SourceLocation): ScriptParser {
    const path = this.readPattern('a file name after INCLUDE');
    if (this.depth >= MAX_INCLUDE_DEPTH) this.fail(`INCLUDE nested more than ${MAX_INCLUDE_DEPTH} deep`, at);
    let content: Uint8Array | string | undefined;
    try {
      content = this.options.readFile?.(path);
    } catch {
      content = undefined;
    }
    if (content === undefined) this.fail(`cannot find INCLUDE file ${path}`, at);
    const text = typeof content === 'string' ? content : new TextDecoder().decode(content);
    return new ScriptParser(text, path, this.options, this.depth + 1);
  }

  private parsePhdrs(): PhdrDefinition[] {
    this.expect('{', 'after PHDRS');
    const list: PhdrDefinition[] = [];
    while (!this.accept('}')) {
      const location = this.location();
      const name = this.readName('a program header name');
      const type = this.parsePhdrType();
      const phdr: PhdrDefinition = { name, type, fileHeader: false, programHeaders: false, location };
      for (;;) {
        const word = this.peekWord();
        if (word === 'FILEHDR') {
          this.pos += word.length;
          phdr.fileHeader = true;
        } else if (word === 'PHDRS') {
          this.pos += word.length;
          phdr.programHeaders = true;
        } else if (this.acceptCall('AT')) {
          phdr.at = this.parseExpression();
          this.expect(')', 'after AT(...');
        } else if (this.acceptCall('FLAGS')) {
          phdr.flags = this.parseExpression();
          this.expect(')', 'after FLAGS(...');
        } else break;
      }
      this.expect(';', `after the program header ${name}`);
      list.push(phdr);
    }
    return list;
  }

  private parsePhdrType(): Expression {
    const word = this.peekWord();
    const known: Record<string, number> = {
      PT_NULL: 0,
      PT_LOAD: 1,
      PT_DYNAMIC: 2,
      PT_INTERP: 3,
      PT_NOTE: 4,
      PT_SHLIB: 5,
      PT_PHDR: 6,
      PT_TLS: 7,
      PT_GNU_EH_FRAME: 0x6474e550,
      PT_GNU_STACK: 0x6474e551,
      PT_GNU_RELRO: 0x6474e552,
      PT_GNU_PROPERTY: 0x6474e553,
    };
    if (word in known) {
      this.pos += word.length;
      return { kind: 'number', value: BigInt(known[word]!) };
    }
    if (/^[0-9]/.test(word) || this.peekChar() === '(') return this.parsePrimary();
    this.fail(`unknown program header type ${this.describeNext()}`);
  }

  private parseMemory(script: LinkerScript): void {
    this.expect('{', 'after MEMORY');
    while (!this.accept('}')) {
      const name = this.readName('a memory region name');
      let attributes = '';
      if (this.accept('(')) {
        const end = this.text.indexOf(')', this.pos);
        if (end < 0) this.fail('unterminated memory attributes');
        attributes = this.text.slice(this.pos, end);
        this.pos = end + 1;
      }
      this.expect(':', `after the memory region ${name}`);
      const originWord = this.readName('ORIGIN');
      if (!['ORIGIN', 'org', 'o'].includes(originWord)) this.fail(`expected ORIGIN in memory region ${name}`);
      this.expect('=', 'after ORIGIN');
      const origin = this.parseExpression();
      this.expect(',', 'after the ORIGIN');
      const lengthWord = this.readName('LENGTH');
      if (!['LENGTH', 'len', 'l'].includes(lengthWord)) this.fail(`expected LENGTH in memory region ${name}`);
      this.expect('=', 'after LENGTH');
      const length = this.parseExpression();
      script.memory.push({ name, attributes, origin, length });
    }
  }

  // ---- SECTIONS ----------------------------------------------------------------------------------------------

  private parseSectionsBody(): SectionsCommand[] {
    const commands: SectionsCommand[] = [];
    while (!this.accept('}')) {
      if (this.atEnd()) this.fail('missing } at the end of SECTIONS');
      if (this.accept(';')) continue;
      const word = this.peekWord();
      if (word === 'INCLUDE') {
        const at = this.location();
        this.pos += word.length;
        const nested = this.include(at);
        const wrapped = new ScriptParser(`${nested.text}\n}`, nested.file, this.options, this.depth + 1);
        commands.push(...wrapped.parseSectionsBody());
        continue;
      }
      if (word === 'ASSERT') {
        commands.push(this.parseAssert());
        continue;
      }
      if (this.looksLikeAssignment()) {
        commands.push(this.parseAssignment('after an assignment in SECTIONS'));
        continue;
      }
      commands.push(this.parseOutputSection());
    }
    return commands;
  }

  /** True when the next statement is `name op= ...` or PROVIDE/HIDDEN(...), not an output section. */
  private looksLikeAssignment(): boolean {
    const word = this.peekWord();
    if (word === 'PROVIDE' || word === 'PROVIDE_HIDDEN' || word === 'HIDDEN') return true;
    if (word === '') return false;
    let i = this.pos + word.length;
    while (i < this.text.length && /\s/.test(this.text[i]!)) i++;
    const rest = this.text.slice(i, i + 3);
    return ASSIGN_OPERATORS.some((op) => rest.startsWith(op) && !(op === '=' && rest.startsWith('==')));
  }

  private parseAssignment(context: string): Assignment {
    const location = this.location();
    const word = this.peekWord();
    let provide: Assignment['provide'] = 'none';
    let hidden = false;
    let closeParen = false;
    if (word === 'PROVIDE' || word === 'PROVIDE_HIDDEN' || word === 'HIDDEN') {
      this.pos += word.length;
      this.expect('(', `after ${word}`);
      provide = word === 'PROVIDE' ? 'provide' : word === 'PROVIDE_HIDDEN' ? 'provide-hidden' : 'none';
      hidden = word !== 'PROVIDE';
      closeParen = true;
    }
    const target = this.readName('a symbol name or a statement');
    const operator = ASSIGN_OPERATORS.find((op) => this.peekIs(op));
    if (!operator)
      this.fail(`expected an assignment operator after '${target}', found ${this.describeNext()}`);
    this.pos += operator.length;
    const value = this.parseExpression();
    if (closeParen) this.expect(')', `to close ${word}(`);
    if (!this.accept(';') && !closeParen && this.peekChar() !== '}')
      this.fail(`expected ';' ${context}, found ${this.describeNext()}`);
    return { kind: 'assignment', target, operator, value, provide, hidden, location };
  }

  private parseAssert(): AssertStatement {
    const location = this.location();
    this.pos += 'ASSERT'.length;
    this.expect('(', 'after ASSERT');
    const condition = this.parseExpression();
    this.expect(',', 'after the ASSERT condition');
    this.skipSpace();
    const message = this.text[this.pos] === '"' ? this.readQuoted() : this.readPattern('an ASSERT message');
    this.expect(')', 'after the ASSERT message');
    this.accept(';');
    return { kind: 'assert', condition, message, location };
  }

  private parseOutputSection(): OutputSectionStatement {
    const location = this.location();
    const name = this.readPattern('an output section name');
    const statement: OutputSectionStatement = {
      kind: 'output-section',
      name,
      commands: [],
      phdrs: [],
      location,
    };
    // Optional address and (TYPE) before the ':'.
    if (!this.peekIs(':')) {
      if (this.peekIs('(')) {
        const save = this.pos;
        this.pos++;
        const word = this.peekWord();
        if (
          ['NOLOAD', 'DSECT', 'COPY', 'INFO', 'OVERLAY', 'READONLY'].includes(word) &&
          ((this.pos += word.length), this.accept(')'))
        ) {
          statement.type = word;
        } else {
          this.pos = save;
          statement.address = this.parseExpression();
        }
      } else {
        statement.address = this.parseExpression();
      }
      if (this.accept('(')) {
        statement.type = this.readName('a section type');
        this.expect(')', 'after the section type');
      }
    }
    this.expect(':', `after the output section name ${name}`);
    for (;;) {
      if (this.acceptCall('AT')) {
        statement.loadAddress = this.parseExpression();
        this.expect(')', 'after AT(...');
      } else if (this.acceptCall('ALIGN')) {
        statement.align = this.parseExpression();
        this.expect(')', 'after ALIGN(...');
      } else if (this.acceptCall('SUBALIGN')) {
        statement.subalign = this.parseExpression();
        this.expect(')', 'after SUBALIGN(...');
      } else if (this.peekWord() === 'ONLY_IF_RO' || this.peekWord() === 'ONLY_IF_RW') {
        statement.constraint = this.peekWord() as 'ONLY_IF_RO' | 'ONLY_IF_RW';
        this.pos += statement.constraint.length;
      } else break;
    }
    this.expect('{', `to open the output section ${name}`);
    statement.commands = this.parseOutputSectionCommands(name);
    for (;;) {
      if (this.accept('>')) {
        statement.region = this.readName('a memory region');
      } else if (this.peekIs('AT>') || this.peekIs('AT >')) {
        this.accept('AT');
        this.expect('>', 'in AT>');
        statement.loadRegion = this.readName('a memory region');
      } else if (this.peekIs(':') && !this.peekIs('::')) {
        this.pos++;
        statement.phdrs.push(this.readName('a program header name'));
      } else if (this.peekIs('=')) {
        this.pos++;
        statement.fill = this.parseExpression();
      } else break;
    }
    this.accept(',');
    return statement;
  }

  private parseOutputSectionCommands(sectionName: string): OutputSectionCommand[] {
    const commands: OutputSectionCommand[] = [];
    while (!this.accept('}')) {
      if (this.atEnd()) this.fail(`missing } at the end of output section ${sectionName}`);
      if (this.accept(';')) continue;
      const location = this.location();
      const word = this.peekWord();
      const dataSizes: Record<string, 1 | 2 | 4 | 8> = { BYTE: 1, SHORT: 2, LONG: 4, QUAD: 8, SQUAD: 8 };
      if (word in dataSizes && this.acceptCall(word)) {
        const value = this.parseExpression();
        this.expect(')', `after ${word}(...`);
        commands.push({ kind: 'data', size: dataSizes[word]!, value, location } satisfies DataStatement);
        continue;
      }
      if (this.acceptCall('FILL')) {
        const value = this.parseExpression();
        this.expect(')', 'after FILL(...');
        commands.push({ kind: 'fill', value });
        continue;
      }
      if (word === 'ASSERT') {
        commands.push(this.parseAssert());
        continue;
      }
      if (word === 'CONSTRUCTORS' || word === 'CREATE_OBJECT_SYMBOLS') {
        this.pos += word.length;
        continue;
      }
      // ld's default scripts' SORT(CONSTRUCTORS): like CONSTRUCTORS, nothing to do for ELF.
      if (word === 'SORT' && /^SORT\s*\(\s*CONSTRUCTORS\s*\)/.test(this.text.slice(this.pos))) {
        this.pos += /^SORT\s*\(\s*CONSTRUCTORS\s*\)/.exec(this.text.slice(this.pos))![0].length;
        continue;
      }
      if (this.looksLikeAssignment()) {
        commands.push(this.parseAssignment('after an assignment'));
        continue;
      }
      if (this.acceptCall('KEEP')) {
        const input = this.parseInputDescription(true);
        this.expect(')', 'to close KEEP(');
        commands.push(input);
        continue;
      }
      commands.push(this.parseInputDescription(false));
    }
    return commands;
  }

  private parseInputDescription(keep: boolean): InputSectionDescription {
    const location = this.location();
    let excludeFiles: string[] = [];
    if (this.acceptCall('EXCLUDE_FILE')) excludeFiles = this.readPatternList('EXCLUDE_FILE');
    let fileSort: SortKind = 'none';
    let filePattern: string;
    const sortWord = this.peekWord();
    if (sortWord in SORT_KEYWORDS && this.acceptCall(sortWord)) {
      fileSort = SORT_KEYWORDS[sortWord]!;
      filePattern = this.readPattern('a file name pattern', true);
      this.expect(')', `to close ${sortWord}(`);
    } else {
      filePattern = this.readPattern('an input section description', true);
    }
    const description: InputSectionDescription = {
      kind: 'input',
      filePattern,
      fileSort,
      excludeFiles,
      sections: [],
      keep,
      location,
    };
    if (!this.accept('(')) {
      // A bare file name: every section of that file.
      description.sections.push({ pattern: '*', sort: 'none', excludeFiles: [] });
      return description;
    }
    while (!this.accept(')')) {
      if (this.atEnd()) this.fail('missing ) in an input section description', location);
      this.accept(',');
      description.sections.push(...this.parseSectionPatterns());
    }
    return description;
  }

  private readPatternList(keyword: string): string[] {
    const list: string[] = [];
    while (!this.accept(')')) {
      if (this.atEnd()) this.fail(`missing ) after ${keyword}(`);
      list.push(this.readPattern('a file name pattern'));
    }
    return list;
  }

  private parseSectionPatterns(): SectionPattern[] {
    let excludeFiles: string[] = [];
    if (this.acceptCall('EXCLUDE_FILE')) excludeFiles = this.readPatternList('EXCLUDE_FILE');
    const word = this.peekWord();
    if (word in SORT_KEYWORDS && this.acceptCall(word)) {
      let sort = SORT_KEYWORDS[word]!;
      const inner = this.peekWord();
      if (inner in SORT_KEYWORDS && this.acceptCall(inner)) {
        const second = SORT_KEYWORDS[inner]!;
        if (sort === 'name' && second === 'alignment') sort = 'name-alignment';
        else if (sort === 'alignment' && second === 'name') sort = 'alignment-name';
        const patterns = this.readSortedPatterns(sort, excludeFiles);
        this.expect(')', `to close ${word}(`);
        return patterns;
      }
      const patterns = this.readSortedPatterns(sort, excludeFiles);
      if (word === 'SORT_NONE') for (const p of patterns) p.sortNone = true;
      return patterns;
    }
    return [{ pattern: this.readPattern('a section name pattern'), sort: 'none', excludeFiles }];
  }

  private readSortedPatterns(sort: SortKind, excludeFiles: string[]): SectionPattern[] {
    const patterns: SectionPattern[] = [];
    while (!this.accept(')')) {
      if (this.atEnd()) this.fail('missing ) after SORT(');
      patterns.push({ pattern: this.readPattern('a section name pattern'), sort, excludeFiles });
    }
    return patterns;
  }

  // ---- expressions -------------------------------------------------------------------------------------------

  parseExpression(): Expression {
    const condition = this.parseBinary(1);
    if (this.peekIs('?')) {
      this.pos++;
      const then = this.parseExpression();
      this.expect(':', 'in a ?: expression');
      const otherwise = this.parseExpression();
      return { kind: 'conditional', condition, then, otherwise };
    }
    return condition;
  }

  private peekBinaryOperator(): string | undefined {
    this.skipSpace();
    const t = this.text;
    const two = t.slice(this.pos, this.pos + 2);
    const three = t.slice(this.pos, this.pos + 3);
    if (three === '<<=' || three === '>>=') return undefined;
    if (['||', '&&', '==', '!=', '<=', '>=', '<<', '>>'].includes(two)) return two;
    const one = t[this.pos] ?? '';
    if ('|^&<>+-*/%'.includes(one) && one !== '' && t[this.pos + 1] !== '=') return one;
    return undefined;
  }

  private parseBinary(minPrecedence: number): Expression {
    let left = this.parseUnary();
    for (;;) {
      const operator = this.peekBinaryOperator();
      if (!operator) return left;
      const precedence = BINARY_PRECEDENCE[operator]!;
      if (precedence < minPrecedence) return left;
      const location = this.location();
      this.pos += operator.length;
      const right = this.parseBinary(precedence + 1);
      left = { kind: 'binary', operator, left, right, location };
    }
  }

  private parseUnary(): Expression {
    const c = this.peekChar();
    if (c === '-' || c === '!' || c === '~' || c === '+') {
      this.pos++;
      const operand = this.parseUnary();
      return c === '+' ? operand : { kind: 'unary', operator: c, operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expression {
    this.skipSpace();
    const location = this.location();
    const c = this.text.charCodeAt(this.pos);
    if (c === 40) {
      this.pos++;
      const inner = this.parseExpression();
      this.expect(')', 'to close (');
      return inner;
    }
    if (c >= 48 && c <= 57) return { kind: 'number', value: this.readNumber() };
    if (this.text[this.pos] === '"') return { kind: 'symbol', name: this.readQuoted(), location };
    if (this.text[this.pos] === '.' && !isNameChar(this.text.charCodeAt(this.pos + 1))) {
      this.pos++;
      return { kind: 'dot', location };
    }
    if (!isNameStart(c)) this.fail(`expected an expression, found ${this.describeNext()}`);
    const name = this.readName('an expression');
    if (this.peekChar() !== '(') {
      if (name === 'SIZEOF_HEADERS' || name === 'sizeof_headers')
        return { kind: 'call', function: 'SIZEOF_HEADERS', args: [], location };
      return { kind: 'symbol', name, location };
    }
    this.pos++;
    const fn = name.toUpperCase() === 'ALIGN' ? 'ALIGN' : name;
    if (SECTION_NAME_FUNCTIONS.has(fn)) {
      const argName = this.readPattern(`a name in ${fn}(`);
      const args: Expression[] = [];
      while (this.accept(',')) args.push(this.parseExpression());
      this.expect(')', `to close ${fn}(`);
      return { kind: 'call', function: fn, args, name: argName, location };
    }
    const args: Expression[] = [];
    if (!this.accept(')')) {
      do {
        if (fn === 'ASSERT' && args.length === 1) {
          this.skipSpace();
          const message =
            this.text[this.pos] === '"' ? this.readQuoted() : this.readPattern('an ASSERT message');
          this.expect(')', 'after the ASSERT message');
          return { kind: 'call', function: fn, args, name: message, location };
        }
        args.push(this.parseExpression());
      } while (this.accept(','));
      this.expect(')', `to close ${fn}(`);
    }
    return { kind: 'call', function: fn, args, location };
  }

  private readNumber(): bigint {
    const start = this.location();
    const m = /^(0[xX][0-9a-fA-F]+|\$[0-9a-fA-F]+|[0-9][0-9a-fA-F]*[hH]|[0-9]+)([KkMm]?)/.exec(
      this.text.slice(this.pos, this.pos + 40),
    );
    if (!m) this.fail('bad number', start);
    this.pos += m[0].length;
    if (isNameChar(this.text.charCodeAt(this.pos)))
      this.fail(`bad number '${m[0]}${this.text[this.pos]}'`, start);
    const digits = m[1]!;
    let value: bigint;
    if (/^0[xX]/.test(digits)) value = BigInt(digits);
    else if (digits.startsWith('$')) value = BigInt(`0x${digits.slice(1)}`);
    else if (/[hH]$/.test(digits)) value = BigInt(`0x${digits.slice(0, -1)}`);
    else if (digits.length > 1 && digits.startsWith('0')) {
      if (!/^[0-7]+$/.test(digits)) this.fail(`bad octal number '${digits}'`, start);
      value = BigInt(`0o${digits.slice(1)}`);
    } else value = BigInt(digits);
    const suffix = m[2]!.toUpperCase();
    if (suffix === 'K') value *= 1024n;
    else if (suffix === 'M') value *= 1024n * 1024n;
    return value;
  }
}
