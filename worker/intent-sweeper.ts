import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import { type ProjectedRecord, type Projector, sweepIntents } from '../db/projection-intents';
import type { Logger } from '../infra/logger';
import { dossierWorkflowId, recordQuery } from '../workflows/dossier-messages';

/**
 * The dossier's state and the entries the ledger may lack, as its workflow holds them (a query:
 * nothing written); null when no workflow holds it.
 */
export function workflowState(client: Client) {
  return async (dossierId: string): Promise<ProjectedRecord | null> => {
    try {
      return await client.connection.withDeadline(Date.now() + 10_000, () =>
        client.workflow.getHandle(dossierWorkflowId(dossierId)).query(recordQuery),
      );
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return null;
      throw e;
    }
  };
}

/**
 * Every `everyMs` (with jitter, so several workers do not sweep in step), project the dossiers
 * whose intents were left behind (db/projection-intents.ts). Returns a stop function.
 */
export function startIntentSweeper(deps: {
  orm: MikroORM;
  client: Client;
  projector: Projector;
  logger: Logger;
  everyMs?: number;
}): () => Promise<void> {
  const every = deps.everyMs ?? 5000;
  const current = workflowState(deps.client);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      let settled: number;
      do {
        const sweep = await sweepIntents(deps.orm, deps.projector, current);
        settled = sweep.settled;
        if (settled > 0) deps.logger.info({ settled }, 'projected dossiers left behind by the API');
        if (sweep.quarantined.length > 0) {
          deps.logger.error(
            { dossiers: sweep.quarantined },
            'dossiers quarantined: their record was refused again and again (see docs/OPERATIONS.md)',
          );
        }
        if (sweep.failed.length > 0) {
          // Ids only: what failed may echo a row with personal data.
          deps.logger.warn(
            { dossiers: sweep.failed },
            'dossiers left for the next sweep: their record could not be written',
          );
        }
      } while (settled > 0 && !stopped);
    } catch (err) {
      deps.logger.warn({ err }, 'intent sweep failed; next sweep soon');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = tick().finally(schedule);
      },
      every * (0.5 + Math.random()),
    );
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
