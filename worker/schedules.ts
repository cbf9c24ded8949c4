import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning } from '@temporalio/client';

export const DSN_RETENTION_SCHEDULE = 'dsn-retention';

/**
 * The platform's Schedules, created when missing by every worker at start (idempotent: the
 * first one wins, the others find it there). Operators see and trigger them in the Web UI.
 */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: DSN_RETENTION_SCHEDULE,
      spec: { calendars: [{ hour: 3, minute: 30 }], timezone: 'Europe/Paris' },
      action: {
        type: 'startWorkflow',
        workflowType: 'dsnRetentionWorkflow',
        taskQueue,
        workflowId: 'dsn-retention',
      },
      policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    });
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
  }
}
