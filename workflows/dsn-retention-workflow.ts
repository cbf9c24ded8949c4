import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// Dropping partitions is quick; a failed run is retried, and the next day's run tries again anyway.
const { purgeDsnMonths } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5 },
});

/** Run daily by the `dsn-retention` Schedule: drops the DSN months no dossier can use any more. */
export async function dsnRetentionWorkflow(): Promise<{ purged: string[] }> {
  return { purged: await purgeDsnMonths() };
}
