import { proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';

type Activities = ReturnType<typeof createActivities>;

/**
 * The activities every family's workflow calls on its record (and the dossier's DSN look-ups):
 * PostgreSQL may be down for a while. Each call retries for up to 10 minutes, then the workflow's
 * loop tries again, so the record catches up. Local activities: run by the worker holding the
 * workflow task and recorded as markers, so a month's wake-up is one workflow task with no activity
 * task on the server.
 */
export const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  // Short retries: after a database outage the record catches up within seconds.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});
