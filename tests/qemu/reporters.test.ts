import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  judgeTestRun,
  junitXml,
  parseTestReport,
  TestProtocolParser,
  tapEvent,
  tapSummary,
  type RunStatus,
  type TestRunOutcome,
} from '../../src/qemu/index.js';

function outcomeOf(
  serial: string,
  run: { status: RunStatus; reason: string } = { status: 0, reason: 'the guest wrote 0x10' },
): TestRunOutcome {
  const report = parseTestReport(serial);
  const verdict = judgeTestRun(run, report);
  return { report, status: verdict.status, problems: verdict.problems, durationMs: 1234, serial };
}

/** Python's XML parser is the oracle: it reads back what a JUnit consumer would see. */
function readJunit(xml: string): {
  suite: Record<string, string>;
  cases: Array<{ name: string; classname: string; kind: string; message: string }>;
} {
  const script = `
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
suite = root.find('testsuite')
cases = []
for case in suite.findall('testcase'):
    child = next(iter(case), None)
    cases.append({'name': case.get('name'), 'classname': case.get('classname'),
                  'kind': child.tag if child is not None else 'passed',
                  'message': (child.get('message') or '') if child is not None else ''})
print(json.dumps({'suite': dict(suite.attrib), 'cases': cases, 'out': suite.find('system-out').text}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' }));
}

/** Perl's TAP::Parser is the oracle for the TAP reporter. */
function readTap(tap: string): {
  passed: number;
  failed: number;
  skipped: number;
  planned: number;
  bailed: boolean;
} {
  const script = `
use TAP::Parser;
my $tap = do { local $/; <STDIN> };
my $p = TAP::Parser->new({ tap => $tap });
my $bailed = 0;
while (my $r = $p->next) { $bailed = 1 if $r->is_bailout; }
my @failed = $p->failed; my @passed = $p->passed; my @skipped = $p->skipped;
printf "{\\"passed\\":%d,\\"failed\\":%d,\\"skipped\\":%d,\\"planned\\":%d,\\"bailed\\":%s}", scalar(@passed), scalar(@failed), scalar(@skipped), $p->tests_planned // 0, $bailed ? "true" : "false";
`;
  return JSON.parse(execFileSync('perl', ['-e', script], { input: tap, encoding: 'utf8' }));
}

function tapOf(serial: string, outcome: TestRunOutcome): string {
  const parser = new TestProtocolParser();
  const events = [...parser.push(serial), ...parser.finish().events];
  return 'TAP version 14\n' + events.map(tapEvent).join('') + tapSummary(outcome);
}

const mixed =
  '1..3\nok 1 - pmm: frees <all> & "more"\nnot ok 2 - heap: coalesces\n# expected 1, actual 2\nok 3 - cpu: int3 # SKIP later\n';

describe('junitXml', () => {
  it('writes one testcase per result, failures with their diagnostics, skips, and escapes names', () => {
    const junit = readJunit(junitXml(outcomeOf(mixed)));
    expect(junit.suite).toMatchObject({
      tests: '3',
      failures: '1',
      errors: '0',
      skipped: '1',
      time: '1.234',
    });
    expect(junit.cases).toEqual([
      { name: 'pmm: frees <all> & "more"', classname: 'kernel.pmm', kind: 'passed', message: '' },
      { name: 'heap: coalesces', classname: 'kernel.heap', kind: 'failure', message: 'expected 1, actual 2' },
      { name: 'cpu: int3', classname: 'kernel.cpu', kind: 'skipped', message: 'SKIP later' },
    ]);
  });

  it('adds an erroring "(test run)" case when the run itself failed, so CI never shows it green', () => {
    const junit = readJunit(
      junitXml(outcomeOf('1..2\nok 1 - a\n\x01', { status: 3 as const, reason: 'the guest triple-faulted' })),
    );
    expect(junit.suite).toMatchObject({ tests: '2', failures: '0', errors: '1' });
    expect(junit.cases[1]).toEqual({
      name: '(test run)',
      classname: 'kernel',
      kind: 'error',
      message: 'the guest triple-faulted',
    });
  });
});

describe('TAP reporter', () => {
  it('produces TAP that a TAP parser reads back with the same counts', () => {
    expect(readTap(tapOf(mixed, outcomeOf(mixed)))).toEqual({
      passed: 2,
      failed: 1,
      skipped: 1,
      planned: 3,
      bailed: false,
    });
  });

  it('ends with a bail-out when the run timed out', () => {
    const serial = '1..2\nok 1 - a\n';
    expect(
      readTap(tapOf(serial, outcomeOf(serial, { status: 2 as const, reason: 'timed out' }))),
    ).toMatchObject({ bailed: true, planned: 2 });
  });
});
