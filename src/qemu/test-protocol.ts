/**
 * Host side of the in-kernel test protocol (TEST-PROTOCOL.md): TAP-like lines on serial. Pure: text in,
 * events and a report out; the timing comes from the caller's clock.
 */
import { UserError } from '../errors.js';
import type { RunStatus } from './exit-status.js';
import { stripTerminalControls } from './serial-tail.js';

export type TestOutcome = 'passed' | 'failed' | 'ignored';

export interface TestCase {
  number: number;
  name: string;
  outcome: TestOutcome;
  /** `SKIP reason` / `TODO reason` after `#` on the result line. */
  directive?: string;
  /** `# ...` lines that followed the result, without the leading `# `. */
  diagnostics: string[];
  /** Host time between the previous line of the protocol and this result (approximate test duration). */
  durationMs?: number;
}

export interface KernelSummary {
  /** Present in the kernel's summary line; absent in counts the host makes itself. */
  tests?: number;
  passed: number;
  failed: number;
  ignored: number;
}

export interface TestReport {
  /** N from the plan line `1..N`, or null when none was seen. */
  plan: number | null;
  tests: TestCase[];
  summary?: KernelSummary;
  bailOut?: string;
  /** Protocol violations (duplicate or out-of-order numbers, a second plan). */
  problems: string[];
}

export type TestEvent =
  | { kind: 'plan'; count: number }
  | { kind: 'result'; test: TestCase }
  | { kind: 'diagnostic'; test: TestCase; line: string }
  | { kind: 'summary'; summary: KernelSummary }
  | { kind: 'bail-out'; reason: string };

const PLAN = /^1\.\.(\d+)\s*$/;
const RESULT = /^(not )?ok (\d+)(?: -)?(?: (.*?))?\s*$/;
const SUMMARY = /^# tests (\d+), passed (\d+), failed (\d+)(?:, ignored (\d+))?\s*$/;
const BAIL_OUT = /^Bail out!\s*(.*)$/;
const DIAGNOSTIC = /^# ?(.*)$/;
/** A directive after an unescaped `#`: `ok 3 - name # SKIP filtered`. */
const DIRECTIVE = /^(.*?)\s+#\s+((SKIP|TODO)\b.*)$/i;

/** Incremental parser: feed serial text as it arrives, get protocol events back. */
export class TestProtocolParser {
  private pending = '';
  private lastResult: TestCase | undefined;
  private lastEventMs: number | undefined;
  private readonly report: TestReport = { plan: null, tests: [], problems: [] };

  /** Feeds a chunk of serial output; `nowMs` timestamps results for their durations. */
  push(text: string, nowMs?: number): TestEvent[] {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines.flatMap((line) => this.line(cleanLine(line), nowMs));
  }

  /** Ends the stream (a last line without newline counts) and returns the whole report. */
  finish(nowMs?: number): { events: TestEvent[]; report: TestReport } {
    const events = this.pending ? this.line(cleanLine(this.pending), nowMs) : [];
    this.pending = '';
    return { events, report: this.report };
  }

  private line(line: string, nowMs: number | undefined): TestEvent[] {
    const report = this.report;
    let match: RegExpMatchArray | null;
    if ((match = line.match(PLAN))) {
      if (report.plan !== null) report.problems.push(`second plan line "${line}"`);
      report.plan = Number(match[1]);
      this.lastResult = undefined;
      this.lastEventMs = nowMs;
      return [{ kind: 'plan', count: report.plan }];
    }
    if ((match = line.match(RESULT))) {
      const test = this.result(match[1] === undefined, Number(match[2]), match[3] ?? '', nowMs);
      return [{ kind: 'result', test }];
    }
    if ((match = line.match(SUMMARY))) {
      report.summary = {
        tests: Number(match[1]),
        passed: Number(match[2]),
        failed: Number(match[3]),
        ignored: Number(match[4] ?? 0),
      };
      this.lastResult = undefined;
      return [{ kind: 'summary', summary: report.summary }];
    }
    if ((match = line.match(BAIL_OUT))) {
      report.bailOut = match[1] || 'no reason given';
      return [{ kind: 'bail-out', reason: report.bailOut }];
    }
    if (this.lastResult && (match = line.match(DIAGNOSTIC))) {
      this.lastResult.diagnostics.push(match[1]!);
      return [{ kind: 'diagnostic', test: this.lastResult, line: match[1]! }];
    }
    // Any other line is ordinary kernel output; it also ends the diagnostics of the previous result.
    if (line.trim() !== '') this.lastResult = undefined;
    return [];
  }

  private result(ok: boolean, number: number, description: string, nowMs: number | undefined): TestCase {
    const directiveMatch = description.match(DIRECTIVE);
    const name = (directiveMatch ? directiveMatch[1]! : description).trim();
    const directive = directiveMatch?.[2]?.trim();
    const ignored = directive !== undefined;
    const test: TestCase = {
      number,
      name,
      outcome: ignored ? 'ignored' : ok ? 'passed' : 'failed',
      diagnostics: [],
    };
    if (directive) test.directive = directive;
    if (nowMs !== undefined && this.lastEventMs !== undefined) test.durationMs = nowMs - this.lastEventMs;
    this.lastEventMs = nowMs;
    const expected = this.report.tests.length + 1;
    if (number !== expected)
      this.report.problems.push(`test number ${number} where ${expected} was expected`);
    this.report.tests.push(test);
    this.lastResult = test;
    return test;
  }
}

/** A serial line without `\r` and without the terminal control sequences firmware writes (OVMF clears the screen). */
function cleanLine(line: string): string {
  return stripTerminalControls(line).replace(/\r/g, '');
}

/** Parses a complete serial log. */
export function parseTestReport(serial: string): TestReport {
  const parser = new TestProtocolParser();
  parser.push(serial);
  return parser.finish().report;
}

export function countOutcomes(report: TestReport): KernelSummary {
  const count = (outcome: TestOutcome) => report.tests.filter((test) => test.outcome === outcome).length;
  return { passed: count('passed'), failed: count('failed'), ignored: count('ignored') };
}

/**
 * The verdict of a test run: the run's own status, except that a guest that claimed success (0) still fails (1)
 * when its report does not hold up: a failing test, fewer results than planned, no plan, a bail-out, a
 * summary that disagrees with the results, or a protocol violation. `problems` lists what went wrong with the
 * run as a whole (the runner's reason first when it did not pass); failing tests are in the report itself.
 */
export function judgeTestRun(
  run: { status: RunStatus; reason: string },
  report: TestReport,
): { status: RunStatus; problems: string[] } {
  const problems: string[] = [];
  const counts = countOutcomes(report);
  // A failure exit (1) is explained by the failing tests; it is a problem of its own only without them.
  if (run.status >= 2 || (run.status === 1 && counts.failed === 0)) problems.push(run.reason);
  if (report.plan === null)
    problems.push('no plan line (1..N) on serial: the kernel did not start its tests');
  if (report.plan !== null && report.tests.length < report.plan) {
    problems.push(`only ${report.tests.length} of ${report.plan} planned tests reported`);
  }
  if (report.plan !== null && report.tests.length > report.plan) {
    problems.push(`${report.tests.length} tests reported but the plan said ${report.plan}`);
  }
  if (report.bailOut) problems.push(`bail out: ${report.bailOut}`);
  const summary = report.summary;
  if (
    summary &&
    (summary.tests !== report.tests.length ||
      summary.passed !== counts.passed ||
      summary.failed !== counts.failed ||
      summary.ignored !== counts.ignored)
  ) {
    problems.push(
      `kernel summary (tests ${summary.tests}, passed ${summary.passed}, failed ${summary.failed}, ignored ${summary.ignored}) ` +
        `disagrees with the results (tests ${report.tests.length}, passed ${counts.passed}, failed ${counts.failed}, ignored ${counts.ignored})`,
    );
  }
  problems.push(...report.problems);
  if (run.status !== 0) return { status: run.status, problems };
  // The guest said "all passed"; the report has the last word.
  return { status: counts.failed === 0 && problems.length === 0 ? 0 : 1, problems };
}

/** The kernel command line of a test run: `test`, plus `filter=PATTERN` for `--filter` (see TEST-PROTOCOL.md). */
export function testCmdline(filter?: string): string {
  if (filter === undefined) return 'test';
  if (!/^[\x21-\x7e]+$/.test(filter)) {
    throw new UserError(
      '--filter must be printable ASCII without spaces (it travels on the kernel command line)',
    );
  }
  return `test filter=${filter}`;
}
