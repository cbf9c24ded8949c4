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
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { createActivities } from '../activities/index';
import { CepEntity } from './cep-entity';
import type { CepWorkflowInput } from './cep-messages';
import { cepEventUpdate, cepRecordQuery, cepStateQuery } from './cep-messages';
import { CEP_SA } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// The record in PostgreSQL, as the dossier's: retried for up to 10 minutes, then the loop tries again.
const db = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * One CEP period while it lives (CONTRACT.md, "CEP periods"): its operator's events as Updates,
 * and the durable timer that closes it after six months without news. It writes its record
 * (state and ledger entries) itself, and ends once closed and written.
 */
export async function cepWorkflow(input: CepWorkflowInput): Promise<void> {
  const period = CepEntity.start(input);
  // A run started without the custom attributes (the time-skipping test server) keeps none.
  const upsert = (changes: SearchAttributeUpdatePair[]) => {
    if (workflowInfo().typedSearchAttributes.get(CEP_SA.statut) !== undefined)
      upsertSearchAttributes(changes);
  };

  setHandler(cepStateQuery, () => period.agg.state);
  setHandler(cepRecordQuery, () => period.record());
  setHandler(cepEventUpdate, (cmd) => period.onEvent(cmd, upsert), {
    validator: (cmd) => period.validate(cmd),
  });

  for (;;) {
    const ending = period.shouldContinueAsNew() || period.finished();
    if (ending) await condition(allHandlersFinished);
    if (period.recordOwed()) {
      const record = period.record();
      try {
        await db.projectCep(record);
        period.recordWritten(record);
      } catch {
        // A refused write is tried again a minute later, not in a tight loop.
        await sleep('1 minute');
      }
      continue;
    }
    if (period.shouldContinueAsNew()) {
      await continueAsNew<typeof cepWorkflow>({
        carried: period.carried(),
        ...(input.maxUpdatesPerRun ? { maxUpdatesPerRun: input.maxUpdatesPerRun } : {}),
      });
    }
    if (period.finished()) {
      if (ending) return;
      continue;
    }
    period.closeIfSilent(upsert);
    if (period.stateOwed()) continue;
    // Sleep until news (an event) or the day six months after the latest one.
    const on = period.closesOn()!;
    const wakeUp = () => period.stateOwed() || period.shouldContinueAsNew() || period.closesOn() !== on;
    await condition(wakeUp, Math.max(1000, Date.parse(`${on}T00:00:00Z`) - Date.now()));
  }
}
