/**
 * `node scripts/bootstrap.mjs worker/bundle.ts FILE [--otel]`: the workflow code bundled (webpack)
 * into FILE, with the options of worker/bundle-options.ts (--otel: OpenTelemetry's workflow
 * interceptors too). The worker runs it in a child process of its own (worker/main.ts): webpack's
 * memory goes with the child, and the worker's stays that of its cache (docs/PERFORMANCE.md,
 * "Worker memory").
 */
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from './bundle-options';

const out = process.argv[2];
if (!out) {
  console.error('usage: worker/bundle.ts FILE');
  process.exit(2);
}
const { code } = await bundleWorkflowCode(
  workflowBundleOptions({
    otel: process.argv.includes('--otel'),
    stackTraces: process.env.AGORA_WORKFLOW_STACK_TRACES === '1',
  }),
);
writeFileSync(out, code);
