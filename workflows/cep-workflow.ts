import { allHandlersFinished, condition, continueAsNew, setHandler, sleep } from '@temporalio/workflow';
import type { MonthLookup } from '../domain/situations';
import { CepEntity } from './cep-entity';
import type { CepWorkflowInput } from './cep-messages';
import { cepEventUpdate, cepFormationSignal, cepRecordQuery, cepStateQuery } from './cep-messages';
import { dsnMonthLoadedSignal } from './dossier-messages';
import { db } from './record-activities';
import { upsertWhenRegistered } from './record-entity';
import { CEP_SA } from './search-attributes';

/**
 * One CEP period while it lives (CONTRACT.md, "CEP periods"): its operator's events as Updates,
 * the durable timer that closes it after six months without news, then its follow-up after
 * closure (FERMETURE, M6, M12: the DSN month of each point, woken by the month's load as dossiers
 * are, and the person's training entries, woken by a dossier's entry). It writes its record (state
 * and ledger entries) itself, and ends once closed, every point final (and a month for late news past) and its record written.
 */
export async function cepWorkflow(input: CepWorkflowInput): Promise<void> {
  const period = CepEntity.start(input);
  const upsert = upsertWhenRegistered(CEP_SA.statut);

  setHandler(cepStateQuery, () => period.agg.state);
  setHandler(cepRecordQuery, () => period.record());
  setHandler(cepEventUpdate, (cmd) => period.onEvent(cmd, upsert), {
    validator: (cmd) => period.validate(cmd),
  });
  setHandler(dsnMonthLoadedSignal, (load) => void period.followUp.onMonthLoaded(load));
  setHandler(cepFormationSignal, () => period.onFormation());

  for (;;) {
    // An Update's completion before whatever the loop starts after it (workflows/dossier-workflow.ts).
    await condition(allHandlersFinished);
    const ending = period.shouldContinueAsNew() || period.finished();
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
    period.followUp.settle();
    if (period.stateOwed()) continue;

    const points = period.followUp.owedLookups();
    if (points.length > 0 || period.entriesOwed()) {
      const { months, answered } = period.followUp.lookup(points);
      const state = period.agg.state;
      let found: { months: Record<string, MonthLookup>; entries: Parameters<CepEntity['entriesRead']>[0] };
      try {
        found = await db.followCep({
          periodeId: state.periodeId,
          nir: state.beneficiaire.nir,
          operateurSiret: state.operateurSiret,
          months,
        });
      } catch {
        period.followUp.lookupFailed(answered);
        await sleep('1 minute');
        continue;
      }
      period.followUp.lookedUp(points, found.months);
      period.entriesRead(found.entries);
      continue;
    }

    // Sleep until news (an event, a month loaded, a dossier entered) or the next day that matters.
    const { wake, wakeUp } = period.sleep();
    if (wake === null) await condition(wakeUp);
    else await condition(wakeUp, Math.max(1000, Date.parse(`${wake}T00:00:00Z`) - Date.now()));
  }
}
