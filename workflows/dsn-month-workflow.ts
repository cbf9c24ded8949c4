import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// Waking a month's dossiers may take minutes for millions of them; heartbeats carry the progress.
const { notifyMonthLoaded } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Started by each DSN import once its month is swapped in: a durable wake-up of the waiting dossiers. */
export async function dsnMonthWorkflow(input: {
  mois: string;
  version: number;
}): Promise<{ signalled: number }> {
  return notifyMonthLoaded(input);
}
