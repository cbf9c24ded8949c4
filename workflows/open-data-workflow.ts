import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

// One GROUP BY over the facts: minutes at national scale.
const { refreshOpenData } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Run daily by the `open-data` Schedule: the open data's new version (CONTRACT.md, "Open data (no
 * token)"), computed over every dossier under statistical secrecy (domain/open-data.ts).
 */
export async function openDataWorkflow(): Promise<{ generatedAt: string; lines: number }> {
  return refreshOpenData();
}
