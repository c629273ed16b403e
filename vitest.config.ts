import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    // QEMU boots and oracle runs are slow under TCG on 2 cores; every test that boots sets its own timeout too.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
