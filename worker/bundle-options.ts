import { createRequire } from 'node:module';
import type { BundleOptions } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../infra/temporal';

const require = createRequire(import.meta.url);
const noop = () => undefined;

/**
 * How the platform's workflow code is bundled, the same for the worker (worker/bundle.ts), the
 * tests and the benchmarks:
 * - the failure converter that encodes failures' messages and stack traces (infra/temporal.ts):
 *   a bundle built without it would write them in clear in the histories;
 * - the workflow modules loaded once per V8 context and shared by every workflow it runs
 *   (`preloadModules`), rather than evaluated again for each workflow the worker creates or
 *   replays: they hold no per-workflow state (pure rules, handler definitions, activity proxies;
 *   the SDK freezes them), and a cached workflow no longer carries its own copy of them
 *   (docs/PERFORMANCE.md, "National scale, session 13");
 * - errors created by workflow code without a call stack (workflows/sandbox.ts), unless
 *   `stackTraces`;
 * - with `otel`, OpenTelemetry's workflow interceptors (the worker's plugin cannot add them to a
 *   bundle built beforehand: infra/telemetry.ts).
 */
export function workflowBundleOptions(opts: { otel?: boolean; stackTraces?: boolean } = {}): BundleOptions {
  const workflowsPath = require.resolve('../workflows/index.ts');
  const sandbox = opts.stackTraces ? [] : [require.resolve('../workflows/sandbox.ts')];
  return {
    workflowsPath,
    failureConverterPath: FAILURE_CONVERTER_PATH,
    preloadModules: [...sandbox, workflowsPath],
    ...(opts.otel
      ? {
          workflowInterceptorModules: [
            require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
          ],
        }
      : {}),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: console.error, error: console.error },
  };
}
