import { describe, expect, it } from 'vitest';
import { judgeTestRun, parseTestReport, testCmdline, TestProtocolParser } from '../../src/qemu/index.js';

const passingLog = [
  'limine: booting',
  'TAP version 13',
  '1..3',
  'ok 1 - pmm: allocates distinct frames',
  'kernel log line in between',
  'not ok 2 - heap: coalesces buddies',
  '# src/kernel/mm/heap.asm:88: expected 4096 (0x1000), actual 2048 (0x800)',
  '# second diagnostic',
  'ok 3 - cpu: breakpoint resumes # SKIP needs a debugger',
  '# tests 3, passed 1, failed 1, ignored 1',
  '',
].join('\r\n');

describe('parseTestReport', () => {
  it('reads the plan, results, diagnostics, directives and summary among ordinary kernel output', () => {
    const report = parseTestReport(passingLog);
    expect(report.plan).toBe(3);
    expect(report.tests.map((test) => [test.number, test.name, test.outcome])).toEqual([
      [1, 'pmm: allocates distinct frames', 'passed'],
      [2, 'heap: coalesces buddies', 'failed'],
      [3, 'cpu: breakpoint resumes', 'ignored'],
    ]);
    expect(report.tests[1]!.diagnostics).toEqual([
      'src/kernel/mm/heap.asm:88: expected 4096 (0x1000), actual 2048 (0x800)',
      'second diagnostic',
    ]);
    expect(report.tests[2]!.directive).toBe('SKIP needs a debugger');
    expect(report.summary).toEqual({ tests: 3, passed: 1, failed: 1, ignored: 1 });
    expect(report.problems).toEqual([]);
  });

  it('gives the same report whatever the chunking of the serial stream (split inside lines and CRLFs)', () => {
    const whole = parseTestReport(passingLog);
    for (const size of [1, 2, 7, 64]) {
      const parser = new TestProtocolParser();
      for (let at = 0; at < passingLog.length; at += size) parser.push(passingLog.slice(at, at + size));
      expect(parser.finish().report).toEqual(whole);
    }
  });

  it('emits one result event per test as soon as its line is complete', () => {
    const parser = new TestProtocolParser();
    expect(parser.push('1..2\nok 1 - a')).toEqual([{ kind: 'plan', count: 2 }]);
    const events = parser.push('\n');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'result', test: { number: 1, name: 'a', outcome: 'passed' } });
  });

  it('records out-of-order test numbers as protocol problems', () => {
    expect(parseTestReport('1..2\nok 2 - b\nok 1 - a\n').problems).toEqual([
      'test number 2 where 1 was expected',
      'test number 1 where 2 was expected',
    ]);
  });
});

describe('judgeTestRun', () => {
  const passed = { status: 0 as const, reason: 'the guest wrote 0x10' };
  it('passes a run that wrote 0x10 with a complete, all-passing report', () => {
    expect(
      judgeTestRun(passed, parseTestReport('1..2\nok 1 - a\nok 2 - b\n# tests 2, passed 2, failed 0\n')),
    ).toEqual({ status: 0, problems: [] });
  });
  it('fails a run that wrote 0x10 but reported a failing test', () => {
    expect(judgeTestRun(passed, parseTestReport('1..2\nok 1 - a\nnot ok 2 - b\n')).status).toBe(1);
  });
  it('fails a run that wrote 0x10 but reported fewer tests than planned', () => {
    const verdict = judgeTestRun(passed, parseTestReport('1..3\nok 1 - a\nok 2 - b\n'));
    expect(verdict).toEqual({ status: 1, problems: ['only 2 of 3 planned tests reported'] });
  });
  it('fails a run without a plan line', () => {
    expect(judgeTestRun(passed, parseTestReport('ok 1 - a\n')).status).toBe(1);
  });
  it('fails a run whose kernel summary disagrees with the results', () => {
    expect(
      judgeTestRun(passed, parseTestReport('1..1\nok 1 - a\n# tests 1, passed 0, failed 1\n')).problems[0],
    ).toMatch(/disagrees/);
  });
  it('fails on a bail-out', () => {
    expect(judgeTestRun(passed, parseTestReport('1..1\nBail out! no memory map\n')).problems).toContain(
      'bail out: no memory map',
    );
  });
  it('keeps a timeout (2) or crash (3) even when every reported test passed', () => {
    const report = parseTestReport('1..1\nok 1 - a\n');
    expect(judgeTestRun({ status: 3, reason: 'triple fault' }, report)).toEqual({
      status: 3,
      problems: ['triple fault'],
    });
    expect(judgeTestRun({ status: 2, reason: 'timed out' }, report).status).toBe(2);
  });
});

describe('testCmdline', () => {
  it('puts the kernel in test mode and passes the filter as filter=PATTERN', () => {
    expect(testCmdline()).toBe('test');
    expect(testCmdline('heap')).toBe('test filter=heap');
  });
  it('rejects a filter that cannot travel on a space-separated command line', () => {
    expect(() => testCmdline('two words')).toThrow(/without spaces/);
  });
});

describe('judgeTestRun with a failure exit', () => {
  it('explains a 0x11 exit by the failing tests, without a run-level problem', () => {
    expect(
      judgeTestRun({ status: 1, reason: 'the guest wrote 0x11' }, parseTestReport('1..1\nnot ok 1 - a\n')),
    ).toEqual({ status: 1, problems: [] });
  });
  it('reports a 0x11 exit with no failing test as a problem', () => {
    expect(
      judgeTestRun({ status: 1, reason: 'the guest wrote 0x11' }, parseTestReport('1..1\nok 1 - a\n'))
        .problems,
    ).toEqual(['the guest wrote 0x11']);
  });
});

describe('parseTestReport with firmware noise', () => {
  it('ignores the terminal control sequences OVMF writes on serial before and inside lines', () => {
    const report = parseTestReport('\x1b[2J\x1b[01;01H\x1b[=3h1..1\r\n\x1b[0mok 1 - a\r\n');
    expect(report.plan).toBe(1);
    expect(report.tests.map((test) => test.name)).toEqual(['a']);
  });
});
