import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { PendingLoad } from '../db/dossier-read-model';
import { linesOfLoad } from '../db/dsn-lookup';
import { dossierWorkflowId, dsnMonthLoadedSignal } from '../workflows/dossier-messages';

/**
 * Have a dossier's workflow take a DSN load the month's wake-up wrote ahead of it
 * (activities/month-wake.ts), before its turn in the wake-up: the month's signal, with the
 * person's lines and what the wake-up wrote (a workflow still at that version takes it as written,
 * with nothing to write). A signal is in the workflow's history before any Update sent after it
 * returns, so an event sent next is decided on a state that has taken the load, and its projection
 * is not held back. A dossier whose workflow has ended needs none.
 */
export function pendingLoadTaker(client: Client, orm: MikroORM, hashKey: string) {
  return async (dossierId: string, load: PendingLoad): Promise<void> => {
    const lines = await linesOfLoad(orm.em.fork(), dossierId, load, hashKey);
    try {
      await client.workflow.getHandle(dossierWorkflowId(dossierId)).signal(dsnMonthLoadedSignal, {
        mois: load.mois,
        version: load.version,
        ...(lines
          ? { lines, ahead: { base: load.base, today: load.today, at: load.at, seen: load.seen } }
          : {}),
      });
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  };
}
