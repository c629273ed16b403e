/** The parsed form of a GNU ld script: plain data the layout pass walks. */

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Expression =
  | { kind: 'number'; value: bigint }
  | { kind: 'symbol'; name: string; location: SourceLocation }
  | { kind: 'dot'; location: SourceLocation }
  | { kind: 'unary'; operator: string; operand: Expression }
  | { kind: 'binary'; operator: string; left: Expression; right: Expression; location: SourceLocation }
  | { kind: 'conditional'; condition: Expression; then: Expression; otherwise: Expression }
  /** Built-in functions; `name` carries a section or symbol name argument (ADDR, SIZEOF, DEFINED, CONSTANT...). */
  | { kind: 'call'; function: string; args: Expression[]; name?: string; location: SourceLocation };

export interface Assignment {
  kind: 'assignment';
  /** Symbol name, or `.` for the location counter. */
  target: string;
  /** `=`, `+=`, `-=`, `*=`, `/=`, `<<=`, `>>=`, `&=`, `|=`. */
  operator: string;
  value: Expression;
  provide: 'none' | 'provide' | 'provide-hidden';
  hidden: boolean;
  location: SourceLocation;
}

export interface AssertStatement {
  kind: 'assert';
  condition: Expression;
  message: string;
  location: SourceLocation;
}

export type SortKind = 'none' | 'name' | 'alignment' | 'name-alignment' | 'alignment-name' | 'init-priority';

export interface SectionPattern {
  pattern: string;
  sort: SortKind;
  excludeFiles: string[];
  /** Written SORT_NONE(...): sorts nothing, but ld's map prints it. */
  sortNone?: boolean;
}

export interface InputSectionDescription {
  kind: 'input';
  filePattern: string;
  fileSort: SortKind;
  excludeFiles: string[];
  sections: SectionPattern[];
  keep: boolean;
  location: SourceLocation;
}

export interface DataStatement {
  kind: 'data';
  size: 1 | 2 | 4 | 8;
  value: Expression;
  location: SourceLocation;
}

export interface FillStatement {
  kind: 'fill';
  value: Expression;
}

export type OutputSectionCommand =
  Assignment | AssertStatement | InputSectionDescription | DataStatement | FillStatement;

export interface OutputSectionStatement {
  kind: 'output-section';
  name: string;
  address?: Expression;
  /** NOLOAD, COPY, INFO, OVERLAY, DSECT: only NOLOAD changes anything (the section becomes NOBITS). */
  type?: string;
  loadAddress?: Expression;
  loadRegion?: string;
  align?: Expression;
  subalign?: Expression;
  constraint?: 'ONLY_IF_RO' | 'ONLY_IF_RW';
  commands: OutputSectionCommand[];
  region?: string;
  phdrs: string[];
  fill?: Expression;
  location: SourceLocation;
}

export type SectionsCommand = Assignment | AssertStatement | OutputSectionStatement;

export interface PhdrDefinition {
  name: string;
  type: Expression;
  fileHeader: boolean;
  programHeaders: boolean;
  at?: Expression;
  flags?: Expression;
  location: SourceLocation;
}

export interface MemoryRegion {
  name: string;
  attributes: string;
  origin: Expression;
  length: Expression;
}

export interface LinkerScript {
  entry?: string;
  outputFormat?: string;
  outputArch?: string;
  phdrs?: PhdrDefinition[];
  /** Undefined when the script has no SECTIONS command. */
  sections?: SectionsCommand[];
  /** Assignments and ASSERTs outside SECTIONS, in order (evaluated before the layout). */
  globals: Array<Assignment | AssertStatement>;
  memory: MemoryRegion[];
  /** EXTERN(...) names: undefined symbols that pull archive members and are GC roots. */
  externs: string[];
  /** INPUT(...) and GROUP(...) files, in script order. */
  inputs?: Array<{ files: string[]; group: boolean; location: SourceLocation }>;
}
