import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import { addDays } from '../domain/dates';

type Activities = ReturnType<typeof createActivities>;

// One query over a day of the ledger and the audit: minutes at national scale.
const { reportAnomalies } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  retry: { maximumAttempts: 5 },
});

/**
 * Run daily by the `anomaly-report` Schedule: the partners whose use of the platform stood out the
 * day before (db/anomalies.ts), kept for `GET /v1/admin/anomalies` and the console.
 */
export async function anomalyReportWorkflow(
  input: { day?: string } = {},
): Promise<{ day: string; anomalies: number }> {
  const day = input.day ?? addDays(workflowInfo().startTime.toISOString().slice(0, 10), -1);
  return reportAnomalies({ day });
}
