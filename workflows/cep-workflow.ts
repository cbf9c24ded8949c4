import { allHandlersFinished, condition, continueAsNew, setHandler, sleep } from '@temporalio/workflow';
import { CepEntity } from './cep-entity';
import type { CepWorkflowInput } from './cep-messages';
import { cepEventUpdate, cepRecordQuery, cepStateQuery } from './cep-messages';
import { db } from './record-activities';
import { upsertWhenRegistered } from './record-entity';
import { CEP_SA } from './search-attributes';

/**
 * One CEP period while it lives (CONTRACT.md, "CEP periods"): its operator's events as Updates,
 * and the durable timer that closes it after six months without news. It writes its record
 * (state and ledger entries) itself, and ends once closed and written.
 */
export async function cepWorkflow(input: CepWorkflowInput): Promise<void> {
  const period = CepEntity.start(input);
  const upsert = upsertWhenRegistered(CEP_SA.statut);

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
    // A confirmation changes no version but owes its ledger entry: it wakes the loop too.
    const wakeUp = () => period.recordOwed() || period.shouldContinueAsNew() || period.closesOn() !== on;
    await condition(wakeUp, Math.max(1000, Date.parse(`${on}T00:00:00Z`) - Date.now()));
  }
}
