import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import type { MonthLookup } from '../domain/situations';
import { DossierEntity } from './dossier-entity';
import type { DossierWorkflowInput } from './dossier-messages';
import {
  creationQuery,
  dsnMonthLoadedSignal,
  eventUpdate,
  recordQuery,
  stateQuery,
} from './dossier-messages';
import { SA } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// The record (read model and ledger) and the DSN look-ups: PostgreSQL may be down for a while.
// Each call retries for up to 10 minutes, then the loop tries again, so the dossier catches up.
// Local activities: run by the worker holding the workflow task and recorded as markers, so a
// month's wake-up is one workflow task with no activity task on the server.
const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  // Short retries: after a database outage the read model catches up within seconds.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

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

  setHandler(stateQuery, () => dossier.agg.state);
  setHandler(recordQuery, () => dossier.record());
  setHandler(creationQuery, () => ({ ...dossier.agg.creation, state: dossier.agg.state }));
  setHandler(
    eventUpdate,
    // The client sets the attributes at start; a run started without them (the time-skipping test
    // server has no custom attributes) keeps none rather than failing its workflow tasks.
    (cmd) =>
      dossier.onEvent(cmd, (changes) => {
        if (workflowInfo().typedSearchAttributes.get(SA.status) !== undefined)
          upsertSearchAttributes(changes);
      }),
    // A refusal in the validator never enters the history: the partner gets the reason, the
    // dossier is untouched.
    { validator: (cmd) => dossier.validate(cmd) },
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
    // Continue-as-new, and the end, only once the ledger holds every entry: what the next run does
    // not carry, and what outlives the workflow, is there.
    const ending = dossier.shouldContinueAsNew() || dossier.finished();
    if (ending) await condition(allHandlersFinished);
    if (
      ((dossier.shouldContinueAsNew() || dossier.finished()) && dossier.recordOwed()) ||
      dossier.stateOwed()
    ) {
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

    dossier.settle();
    if (dossier.stateOwed()) continue;
    const points = dossier.owedLookups();
    if (points.length > 0) {
      const { months, answered } = dossier.lookup(points);
      let found: Record<string, MonthLookup>;
      try {
        found = await db.lookupDsn({
          dossierId: dossier.agg.state.dossierId,
          nir: dossier.agg.state.stagiaire.nir,
          months,
        });
      } catch {
        dossier.lookupFailed(answered);
        continue;
      }
      dossier.lookedUp(points, found);
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
