import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { DsnFormat, ImportResult } from '../db/dsn-import';
import { importDsnMonth } from '../db/dsn-import';
import { dsnMonthWorkflowId } from '../workflows/dossier-messages';

export interface DsnLoaderDeps {
  client: Client;
  databaseUrl: string;
  taskQueue: string;
  hashNir: (nir: string) => Buffer;
}

/**
 * Load a month and start the durable wake-up of the dossiers waiting on it. The wake-up is a
 * workflow: if this process dies right after the swap, it still happens (started before answering).
 */
export async function loadDsnMonth(
  deps: DsnLoaderDeps,
  opts: {
    mois: string;
    format: DsnFormat;
    source: Readable;
    onProgress?: (p: { lines: number; rejected: number }) => void;
  },
): Promise<ImportResult> {
  const result = await importDsnMonth({ databaseUrl: deps.databaseUrl, hashNir: deps.hashNir, ...opts });
  await deps.client.workflow.start('dsnMonthWorkflow', {
    workflowId: dsnMonthWorkflowId(result.mois, result.version),
    taskQueue: deps.taskQueue,
    args: [{ mois: result.mois, version: result.version }],
  });
  return result;
}
