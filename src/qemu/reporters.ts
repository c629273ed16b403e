/**
 * The three faces of `ostool test`: pretty progress for people, TAP for TAP consumers, JUnit XML for CI systems.
 * Pure formatting; the command decides where the text goes.
 */
import type { RunStatus } from './exit-status.js';
import { countOutcomes, type TestCase, type TestEvent, type TestReport } from './test-protocol.js';

export type ReporterName = 'pretty' | 'tap' | 'junit';

/** Everything the end-of-run reports need about a finished test run. */
export interface TestRunOutcome {
  report: TestReport;
  status: RunStatus;
  /** Why the run has its status: the runner's reason plus the verdict's problems. */
  problems: string[];
  durationMs: number;
  serial: string;
}

/** Live progress lines (each ends with a newline) for one protocol event. */
export function prettyEvent(event: TestEvent): string {
  switch (event.kind) {
    case 'plan':
      return `running ${event.count} test${event.count === 1 ? '' : 's'}\n`;
    case 'result': {
      const test = event.test;
      const time = test.durationMs !== undefined ? ` (${formatMs(test.durationMs)})` : '';
      if (test.outcome === 'passed') return `  ✓ ${test.name}${time}\n`;
      if (test.outcome === 'failed') return `  ✗ ${test.name}${time}\n`;
      return `  - ${test.name} (${test.directive ?? 'ignored'})\n`;
    }
    case 'diagnostic':
      return `      ${event.line}\n`;
    case 'summary':
      return '';
    case 'bail-out':
      return `  Bail out! ${event.reason}\n`;
  }
}

export function prettySummary(outcome: TestRunOutcome): string {
  const counts = countOutcomes(outcome.report);
  const planned = outcome.report.plan === null ? 'no plan' : `${outcome.report.plan} planned`;
  let text = `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.ignored} ignored (${planned}) in ${formatMs(outcome.durationMs)}\n`;
  const failed = outcome.report.tests.filter((test) => test.outcome === 'failed');
  if (failed.length > 0)
    text += `failed:\n${failed.map((test) => `  ✗ ${test.number} ${test.name}\n`).join('')}`;
  for (const problem of outcome.problems) text += `problem: ${problem}\n`;
  return text;
}

/** A TAP 14 line stream for one event (the header is `TAP version 14`, written first by the command). */
export function tapEvent(event: TestEvent): string {
  switch (event.kind) {
    case 'plan':
      return `1..${event.count}\n`;
    case 'result': {
      const test = event.test;
      const directive = test.directive ? ` # ${test.directive}` : '';
      return `${test.outcome === 'failed' ? 'not ok' : 'ok'} ${test.number} - ${test.name}${directive}\n`;
    }
    case 'diagnostic':
      return `# ${event.line}\n`;
    case 'summary':
      return '';
    case 'bail-out':
      return `Bail out! ${event.reason}\n`;
  }
}

/** TAP's closing lines: the counts, and a bail-out when the run itself did not end well. */
export function tapSummary(outcome: TestRunOutcome): string {
  const counts = countOutcomes(outcome.report);
  let text = `# passed ${counts.passed}, failed ${counts.failed}, ignored ${counts.ignored}, ${formatMs(outcome.durationMs)}\n`;
  for (const problem of outcome.problems) text += `# problem: ${problem}\n`;
  if (outcome.status >= 2 && !outcome.report.bailOut)
    text += `Bail out! ${outcome.problems[0] ?? 'test run did not finish'}\n`;
  return text;
}

/**
 * JUnit XML as Jenkins/GitLab/GitHub read it: one suite, one testcase per reported test, `<failure>` for
 * `not ok`, `<skipped>` for SKIP/TODO, and one extra `(test run)` case with `<error>` when the run itself
 * failed (timeout, crash, missing results), so a CI system never shows a broken run as green.
 */
export function junitXml(outcome: TestRunOutcome, suiteName = 'kernel'): string {
  const counts = countOutcomes(outcome.report);
  const runFailed = outcome.problems.length > 0;
  const errors = runFailed ? 1 : 0;
  const tests = outcome.report.tests.length + errors;
  const seconds = (outcome.durationMs / 1000).toFixed(3);
  const attrs = `tests="${tests}" failures="${counts.failed}" errors="${errors}" skipped="${counts.ignored}" time="${seconds}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ostool test" ${attrs}>`,
    `  <testsuite name="${xmlEscape(suiteName)}" ${attrs}>`,
  ];
  for (const test of outcome.report.tests) lines.push(...junitCase(test, suiteName));
  if (runFailed) {
    const problems = outcome.problems;
    lines.push(`    <testcase name="(test run)" classname="${xmlEscape(suiteName)}" time="${seconds}">`);
    lines.push(
      `      <error message="${xmlEscape(problems[0] ?? 'test run failed')}">${xmlEscape(problems.join('\n'))}</error>`,
    );
    lines.push('    </testcase>');
  }
  lines.push(
    `    <system-out>${xmlEscape(outcome.serial)}</system-out>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  );
  return lines.join('\n');
}

function junitCase(test: TestCase, suiteName: string): string[] {
  // "heap: coalesces buddies" → classname "kernel.heap", so CI groups tests by subsystem.
  const colon = test.name.indexOf(':');
  const classname = colon > 0 ? `${suiteName}.${test.name.slice(0, colon).trim()}` : suiteName;
  const time = ((test.durationMs ?? 0) / 1000).toFixed(3);
  const open = `    <testcase name="${xmlEscape(test.name)}" classname="${xmlEscape(classname)}" time="${time}"`;
  if (test.outcome === 'passed') return [`${open}/>`];
  const body =
    test.outcome === 'failed'
      ? `      <failure message="${xmlEscape(test.diagnostics[0] ?? 'not ok')}">${xmlEscape(test.diagnostics.join('\n'))}</failure>`
      : `      <skipped message="${xmlEscape(test.directive ?? 'ignored')}"/>`;
  return [`${open}>`, body, '    </testcase>'];
}

/** Escapes text for XML content and attributes; control characters XML 1.0 forbids become U+FFFD. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
