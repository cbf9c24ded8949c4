import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// Batches of deletes, progress in heartbeats; a failed run is retried, and tomorrow's run goes on anyway.
const { purgeClosedDossiers } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Run daily by the `dossier-retention` Schedule: deletes the records of the dossiers closed more
 * than `AGORA_RETENTION_YEARS` ago (their ids stay, never reused).
 */
export async function dossierRetentionWorkflow(): Promise<{ dossiers: number; events: number }> {
  return purgeClosedDossiers();
}
