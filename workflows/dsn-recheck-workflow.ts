import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// A healthy platform has nothing to signal; after a loss, pages of signals with their progress.
const { recheckLoadedMonths } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Run daily by the `dsn-recheck` Schedule: the safety net of the DSN follow-up. A dossier still
 * waiting on a month loaded over an hour ago is signalled again, as the load would have.
 */
export async function dsnRecheckWorkflow(): Promise<{ signalled: number }> {
  return recheckLoadedMonths();
}
