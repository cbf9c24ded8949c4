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
    // The fault tests (real processes killed and restarted, minutes each) run with `npm run
    // test:faults`, which .ci/run runs after `npm test`: `npm test` stays under 10 minutes.
    exclude:
      process.env.AGORA_TEST_FAULTS === '1'
        ? ['**/node_modules/**']
        : ['**/node_modules/**', 'test/faults/**'],
    // The longest files first (test/helpers/sequencer.ts): two forks end together.
    sequence: { sequencer: LongestFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
