import { mkdirSync, writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * CI reads one plain closing line, `N passed, N failed, N skipped`, not vitest's own summary.
 * Counts are per test case (it/test), across every file.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no test cases; count it so it cannot pass silently.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    failed += unhandledErrors.length;
    // The Makefile prints this file after vitest's own output, so the line is the last one CI sees.
    const line = `${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    mkdirSync('build', { recursive: true });
    writeFileSync('build/test-summary.txt', line);
  }
}
