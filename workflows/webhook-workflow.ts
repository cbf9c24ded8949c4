import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import { type WebhookInput, webhookWakeSignal } from './webhook-messages';

type Activities = ReturnType<typeof createActivities>;

/** The partner's receiver failing this long without a 2xx: the webhook turns DESACTIVE. */
export const RETRY_WINDOW_MS = 72 * 60 * 60 * 1000;

/** The wait after the n-th failure in a row: 10 s, doubling, at most an hour. */
export function retryDelayMs(failures: number, baseMs = 10_000): number {
  return Math.min(baseMs * 2 ** Math.max(0, failures - 1), 60 * 60 * 1000);
}

// A delivery waits for changes up to its waitMs, heartbeating; the platform's own failures
// (database away) are retried by Temporal, the receiver's by the workflow below.
const { deliverWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const { deactivateWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * A webhook subscription (CONTRACT.md, "Change feed and webhooks"): deliver the partner's changes
 * in order, batch after batch; on failure wait (back-off) and send the same batch again; after 72
 * hours of failures, DESACTIVE until `PUT {"actif": true}` wakes it, from the first change not
 * acknowledged. Removed (DELETE): it ends. The position lives in PostgreSQL (db/webhooks.ts).
 */
export async function webhookWorkflow(input: WebhookInput): Promise<void> {
  const { webhookId } = input;
  const waitMs = input.waitMs ?? 20_000;
  let woken = false;
  setHandler(webhookWakeSignal, () => {
    woken = true;
  });
  let failingSince = input.failingSince ?? null;
  let failures = input.failures ?? 0;
  while (!workflowInfo().continueAsNewSuggested && workflowInfo().historyLength < 5000) {
    woken = false;
    const r = await deliverWebhook({ webhookId, waitMs });
    if (r.outcome === 'gone') return;
    if (r.outcome === 'paused') {
      failingSince = null;
      failures = 0;
      await condition(() => woken);
      continue;
    }
    if (r.outcome !== 'failed') {
      failingSince = null;
      failures = 0;
      continue;
    }
    failures++;
    failingSince ??= Date.now();
    if (Date.now() - failingSince >= RETRY_WINDOW_MS) {
      await deactivateWebhook({ webhookId });
      continue;
    }
    // A wake (the partner resumed or changed it) tries again at once.
    await condition(() => woken, retryDelayMs(failures, input.retryBaseMs));
  }
  await continueAsNew<typeof webhookWorkflow>({
    webhookId,
    failingSince,
    failures,
    ...(input.waitMs ? { waitMs: input.waitMs } : {}),
    ...(input.retryBaseMs ? { retryBaseMs: input.retryBaseMs } : {}),
  });
}
