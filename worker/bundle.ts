/**
 * `node scripts/bootstrap.mjs worker/bundle.ts FILE [--otel] [--stack-traces]`: the workflow code
 * bundled (webpack) into FILE, with the options of worker/bundle-options.ts (--otel:
 * OpenTelemetry's workflow interceptors too; --stack-traces: errors keep their call stacks). The
 * worker runs it in a child process of its own (worker/main.ts): webpack's memory goes with the
 * child, and the worker's stays that of its cache (docs/PERFORMANCE.md, "Worker memory").
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from './bundle-options';

const out = process.argv[2];
if (!out) {
  console.error('usage: worker/bundle.ts FILE [--otel] [--stack-traces]');
  process.exit(2);
}
const { code } = await bundleWorkflowCode(
  workflowBundleOptions({
    otel: process.argv.includes('--otel'),
    stackTraces: process.argv.includes('--stack-traces'),
  }),
);
writeFileSync(out, code);
