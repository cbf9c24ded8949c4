import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning } from '@temporalio/client';

export const DSN_RETENTION_SCHEDULE = 'dsn-retention';
export const DOSSIER_RETENTION_SCHEDULE = 'dossier-retention';
export const ANOMALY_REPORT_SCHEDULE = 'anomaly-report';
export const DSN_RECHECK_SCHEDULE = 'dsn-recheck';
export const INSERTION_EXPORT_SCHEDULE = 'insertion-export';
export const OPEN_DATA_SCHEDULE = 'open-data';

/** One of the platform's Schedules: a workflow run at a time of day (Paris), on some days. */
export interface PlatformSchedule {
  id: string;
  workflowType: string;
  hour: number;
  minute: number;
  /** Every day when absent. */
  dayOfWeek?: 'MONDAY';
  why: string;
}

/** The platform's Schedules, each workflow's id the Schedule's own. */
export const SCHEDULES: readonly PlatformSchedule[] = [
  {
    id: DOSSIER_RETENTION_SCHEDULE,
    workflowType: 'dossierRetentionWorkflow',
    hour: 3,
    minute: 0,
    why: 'the records of dossiers closed more than AGORA_RETENTION_YEARS ago',
  },
  {
    id: DSN_RETENTION_SCHEDULE,
    workflowType: 'dsnRetentionWorkflow',
    hour: 3,
    minute: 30,
    why: 'the DSN months no dossier can use any more',
  },
  {
    id: OPEN_DATA_SCHEDULE,
    workflowType: 'openDataWorkflow',
    hour: 2,
    minute: 30,
    why: "the open data's new version, over every dossier, under statistical secrecy",
  },
  {
    id: DSN_RECHECK_SCHEDULE,
    workflowType: 'dsnRecheckWorkflow',
    hour: 4,
    minute: 0,
    why: "the DSN follow-up's safety net: dossiers still waiting on a loaded month, signalled again",
  },
  {
    id: ANOMALY_REPORT_SCHEDULE,
    workflowType: 'anomalyReportWorkflow',
    hour: 5,
    minute: 0,
    why: 'the partners whose use of the platform stood out the day before',
  },
  {
    id: INSERTION_EXPORT_SCHEDULE,
    workflowType: 'insertionExportWorkflow',
    hour: 6,
    minute: 0,
    dayOfWeek: 'MONDAY',
    why: "each Region's weekly file of its trainees' situations",
  },
];

/**
 * The platform's Schedules, created when missing by every worker at start and by `agora setup`
 * (idempotent: the first one wins, the others find it there). Operators see and trigger them in
 * the Web UI.
 */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  for (const s of SCHEDULES) {
    try {
      await client.schedule.create({
        scheduleId: s.id,
        spec: {
          calendars: [{ hour: s.hour, minute: s.minute, ...(s.dayOfWeek ? { dayOfWeek: s.dayOfWeek } : {}) }],
          timezone: 'Europe/Paris',
        },
        action: {
          type: 'startWorkflow',
          workflowType: s.workflowType,
          taskQueue,
          workflowId: s.id,
          args: [{}],
        },
        policies: { overlap: 'SKIP', catchupWindow: '1 day' },
      });
    } catch (e) {
      if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    }
  }
}

/** The `temporal` command that creates a Schedule, for an operator who must run it by hand. */
export function scheduleCommand(s: PlatformSchedule, namespace: string, taskQueue: string): string {
  const calendar = JSON.stringify({
    hour: String(s.hour),
    minute: String(s.minute),
    ...(s.dayOfWeek ? { dayOfWeek: s.dayOfWeek } : {}),
  });
  return [
    `temporal schedule create --namespace ${namespace} --schedule-id ${s.id}`,
    `--calendar '${calendar}' --time-zone Europe/Paris`,
    `--workflow-type ${s.workflowType} --workflow-id ${s.id} --task-queue ${taskQueue}`,
    `--input '{}' --codec-endpoint https://<api>/codec --codec-auth "Bearer <admin token>" --overlap-policy Skip`,
  ].join(' ');
}
