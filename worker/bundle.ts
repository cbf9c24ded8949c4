/**
 * `node scripts/bootstrap.mjs worker/bundle.ts FILE [--otel]`: the workflow code bundled (webpack)
 * into FILE; with --otel, OpenTelemetry's workflow interceptors too (the worker's plugin cannot add
 * them to a bundle built beforehand: infra/telemetry.ts). The worker runs it in a child process of its own (worker/main.ts): webpack's memory goes
 * with the child, and the worker's stays that of its cache (docs/PERFORMANCE.md, "Worker memory").
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundleWorkflowCode } from '@temporalio/worker';

const out = process.argv[2];
if (!out) {
  console.error('usage: worker/bundle.ts FILE');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const { code } = await bundleWorkflowCode({
  workflowsPath: require.resolve('../workflows/index.ts'),
  ...(process.argv.includes('--otel')
    ? {
        workflowInterceptorModules: [
          require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
        ],
      }
    : {}),
  logger: {
    log: () => undefined,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => console.error(m),
    error: (m) => console.error(m),
  },
});
writeFileSync(out, code);
