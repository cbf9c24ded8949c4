import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning } from '@temporalio/client';

export const DSN_RETENTION_SCHEDULE = 'dsn-retention';
export const DOSSIER_RETENTION_SCHEDULE = 'dossier-retention';
export const ANOMALY_REPORT_SCHEDULE = 'anomaly-report';
export const DSN_RECHECK_SCHEDULE = 'dsn-recheck';
export const INSERTION_EXPORT_SCHEDULE = 'insertion-export';

/**
 * The platform's Schedules, created when missing by every worker at start (idempotent: the
 * first one wins, the others find it there). Operators see and trigger them in the Web UI.
 */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  const create = async (options: Parameters<Client['schedule']['create']>[0]) => {
    try {
      await client.schedule.create(options);
    } catch (e) {
      if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    }
  };
  /** A workflow run every day at that time, Paris time, its workflow id the Schedule's. */
  const daily = (scheduleId: string, workflowType: string, hour: number, minute: number) =>
    create({
      scheduleId,
      spec: { calendars: [{ hour, minute }], timezone: 'Europe/Paris' },
      action: { type: 'startWorkflow', workflowType, taskQueue, workflowId: scheduleId },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    });
  await daily(DSN_RETENTION_SCHEDULE, 'dsnRetentionWorkflow', 3, 30);
  // The records of dossiers closed more than AGORA_RETENTION_YEARS ago.
  await daily(DOSSIER_RETENTION_SCHEDULE, 'dossierRetentionWorkflow', 3, 0);
  // The partners whose use of the platform stood out the day before (db/anomalies.ts).
  await daily(ANOMALY_REPORT_SCHEDULE, 'anomalyReportWorkflow', 5, 0);
  // The safety net of the DSN follow-up: dossiers still waiting on a loaded month, signalled again.
  await daily(DSN_RECHECK_SCHEDULE, 'dsnRecheckWorkflow', 4, 0);
  // Each Region's weekly file of its trainees' situations, Monday 06:00 Paris time.
  await create({
    scheduleId: INSERTION_EXPORT_SCHEDULE,
    spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 6, minute: 0 }], timezone: 'Europe/Paris' },
    action: {
      type: 'startWorkflow',
      workflowType: 'insertionExportWorkflow',
      taskQueue,
      workflowId: 'insertion-export',
      args: [{}],
    },
    policies: { overlap: 'SKIP', catchupWindow: '1 day' },
  });
}
