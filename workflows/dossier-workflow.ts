import { allHandlersFinished, condition, continueAsNew, setHandler, sleep } from '@temporalio/workflow';
import type { MonthLookup } from '../domain/situations';
import { DossierEntity } from './dossier-entity';
import type { DossierWorkflowInput } from './dossier-messages';
import {
  creationQuery,
  dsnMonthLoadedSignal,
  eventUpdate,
  eventsUpdate,
  recordQuery,
  stateQuery,
} from './dossier-messages';
import { db } from './record-activities';
import { upsertWhenRegistered } from './record-entity';
import { SA } from './search-attributes';

/**
 * One dossier while it lives: holds its state, applies partner events as Updates, and follows the
 * trainee's employment at six points from the DSN months, with durable timers. The record of every
 * accepted event is the ledger in PostgreSQL; the workflow keeps only what it needs to decide, and
 * ends once the dossier is closed, every point is final and its record is written. The state and
 * the decisions are the entity's (dossier-entity.ts): this function wires the handlers to it and
 * runs the loop, the one place that calls activities.
 */
export async function dossierWorkflow(input: DossierWorkflowInput): Promise<void> {
  const dossier = DossierEntity.start(input);
  const upsert = upsertWhenRegistered(SA.status);

  setHandler(stateQuery, () => dossier.agg.state);
  setHandler(recordQuery, () => dossier.record());
  setHandler(creationQuery, () => ({ ...dossier.agg.creation, state: dossier.agg.state }));
  setHandler(
    eventUpdate,
    (cmd) => dossier.onEvent(cmd, upsert),
    // A refusal in the validator never enters the history: the partner gets the reason, the
    // dossier is untouched.
    { validator: (cmd) => dossier.validate(cmd) },
  );
  setHandler(
    eventsUpdate,
    ({ messages }) => dossier.eachEvent(messages, (cmd) => dossier.onEvent(cmd, upsert)),
    { validator: (batch) => dossier.validateBatch(batch) },
  );
  setHandler(dsnMonthLoadedSignal, (load) => dossier.onMonthLoaded(load));

  /** Write the state and the entries the ledger may lack; false when the database refused for now. */
  const writeRecord = async (): Promise<boolean> => {
    const record = dossier.record();
    try {
      await db.projectDossier(record);
    } catch {
      return false;
    }
    dossier.recordWritten(record);
    return true;
  };

  for (;;) {
    // Nothing of the loop runs while a handler is in flight: an Update's completion always comes
    // before the timers and activities the loop starts after it. Temporal hands a worker that has
    // the workflow in its cache, one that replays it first, and a replay the same Update in
    // activations grouped differently; without this the order of those commands followed the
    // grouping, and a history written by one could not be replayed by another (docs/ARCHITECTURE.md).
    await condition(allHandlersFinished);
    // Continue-as-new, and the end, only once the ledger holds every entry: what the next run does
    // not carry, and what outlives the workflow, is there.
    const ending = dossier.shouldContinueAsNew() || dossier.finished();
    if ((ending && dossier.recordOwed()) || dossier.stateOwed()) {
      // A refused write is tried again a minute later, not in a tight loop.
      if (!(await writeRecord())) await sleep('1 minute');
      continue;
    }
    if (dossier.shouldContinueAsNew()) {
      await continueAsNew<typeof dossierWorkflow>({
        carried: dossier.carried(),
        ...(input.maxUpdatesPerRun ? { maxUpdatesPerRun: input.maxUpdatesPerRun } : {}),
      });
    }

    dossier.followUp.settle();
    dossier.settleCertification();
    if (dossier.stateOwed()) continue;
    const points = dossier.followUp.owedLookups();
    if (points.length > 0) {
      const { months, answered } = dossier.followUp.lookup(points);
      let found: Record<string, MonthLookup>;
      try {
        found = await db.lookupDsn({
          dossierId: dossier.agg.state.dossierId,
          nir: dossier.agg.state.stagiaire.nir,
          months,
        });
      } catch {
        dossier.followUp.lookupFailed(answered);
        continue;
      }
      dossier.followUp.lookedUp(points, found);
      continue;
    }

    // Closed and every point final: the end, once the handlers are done and the record written
    // (the turn that found it so waited for both, and nothing has run since).
    if (dossier.finished()) {
      if (ending) return;
      continue;
    }
    // Sleep until something is owed: an event, a month loaded, a point falling due, the horizon.
    const { wake, wakeUp } = dossier.sleep();
    if (wake === null) await condition(wakeUp);
    else await condition(wakeUp, Math.max(1000, Date.parse(`${wake}T00:00:00Z`) - Date.now()));
  }
}
