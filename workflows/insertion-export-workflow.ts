import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import { REGION_CODES } from '../domain/code-lists';
import { isCalendarDate } from '../domain/dates';

type Activities = ReturnType<typeof createActivities>;

// A region's file is one COPY: minutes at most even for a million lines; heartbeats show progress.
const { writeInsertionExport, writeExportManifest } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 5 },
});

export interface InsertionExportInput {
  /** Regions to write (default: every region). */
  regions?: string[];
  /** The run's folder name (default: the day the run started, UTC). */
  date?: string;
}

/**
 * The weekly regional files, run every Monday by the `insertion-export` Schedule (or by hand):
 * each region's file in turn, then the run's manifest. A retried activity rewrites its file.
 */
export async function insertionExportWorkflow(
  input: InsertionExportInput = {},
): Promise<{ date: string; manifest: string; files: { region: string; rows: number }[] }> {
  const date = input.date ?? workflowInfo().startTime.toISOString().slice(0, 10);
  const regions = input.regions ?? REGION_CODES;
  // Its input names a folder and the files in it: checked before anything is written.
  if (!isCalendarDate(date))
    throw ApplicationFailure.nonRetryable(`date: not a calendar date: ${date}`, 'BAD_INPUT');
  const unknown = regions.filter((r) => !(REGION_CODES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw ApplicationFailure.nonRetryable(`regions: unknown ${unknown.join(', ')}`, 'BAD_INPUT');
  const files = [];
  for (const region of regions) files.push(await writeInsertionExport({ region, date }));
  const manifest = await writeExportManifest({ date, files });
  return { date, manifest, files: files.map((f) => ({ region: f.region, rows: f.rows })) };
}
