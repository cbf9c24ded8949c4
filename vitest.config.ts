import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/helpers/sequencer';

export default defineConfig({
  test: {
    pool: 'forks',
    // Two cores: two files at a time share the one Temporal dev server started in globalSetup.
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/quiet-runtime.ts'],
    include: ['test/**/*.test.ts'],
    // The longest files first (test/helpers/sequencer.ts): two forks end together.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
