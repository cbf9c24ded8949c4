import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import { REGION_CODES } from '../domain/code-lists';

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
  const files = [];
  for (const region of regions) files.push(await writeInsertionExport({ region, date }));
  const manifest = await writeExportManifest({ date, files });
  return { date, manifest, files: files.map((f) => ({ region: f.region, rows: f.rows })) };
}
