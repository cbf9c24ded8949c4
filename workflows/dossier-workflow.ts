import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import type { DossierAggregate } from '../domain/dossier-aggregate';
import { applyDecision, createAggregate, creationOf, decide } from '../domain/dossier-aggregate';
import { partiesOf } from '../domain/dossier-state';
import type { DossierWorkflowInput, EventResult } from './dossier-messages';
import { creationQuery, eventUpdate, historyQuery, stateQuery } from './dossier-messages';
import { SA, searchAttributeChanges } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// Projection: PostgreSQL may be down for minutes; the read model must catch up, so never give up.
const { projectDossier } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// Temporal caps a run at 2000 Updates; stay well below so continue-as-new has room to drain handlers.
const DEFAULT_MAX_UPDATES_PER_RUN = 1000;

/** One dossier for its whole life: holds its state and history, applies partner events as Updates. */
export async function dossierWorkflow(input: DossierWorkflowInput): Promise<void> {
  let agg: DossierAggregate;
  let projectedVersion: number;
  if (input.carried) {
    agg = input.carried.agg;
    projectedVersion = input.carried.projectedVersion;
  } else if (input.create) {
    agg = createAggregate(input.create);
    projectedVersion = 0;
  } else {
    throw ApplicationFailure.nonRetryable('dossierWorkflow needs create or carried', 'BAD_INPUT');
  }
  let updatesThisRun = 0;
  const maxUpdatesPerRun = input.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;

  setHandler(stateQuery, () => agg.state);
  setHandler(historyQuery, () => ({ parties: partiesOf(agg.state), events: agg.history }));
  setHandler(creationQuery, () => ({ ...creationOf(agg), state: agg.state }));

  setHandler(
    eventUpdate,
    (cmd): EventResult => {
      updatesThisRun++;
      const decision = decide(agg, cmd, { now: new Date().toISOString() });
      if (decision.kind === 'refused') {
        // Only reached if state changed between validation and execution, which Temporal rules out.
        throw ApplicationFailure.nonRetryable(
          decision.error.message,
          decision.error.code,
          decision.error.details,
        );
      }
      const before = agg.state;
      agg = applyDecision(agg, cmd, decision);
      // The client sets the attributes at start; a run started without them (the time-skipping test
      // server has no custom attributes) keeps none rather than failing its workflow tasks.
      if (workflowInfo().typedSearchAttributes.get(SA.status) !== undefined) {
        const changes = searchAttributeChanges(before, agg.state);
        if (changes.length > 0) upsertSearchAttributes(changes);
      }
      return { outcome: decision.kind, state: agg.state, bodyHash: cmd.bodyHash };
    },
    {
      validator: (cmd) => {
        // A refusal here never enters the history: the partner gets the reason, the dossier is untouched.
        const decision = decide(agg, cmd, { now: new Date().toISOString() });
        if (decision.kind === 'refused') {
          throw ApplicationFailure.nonRetryable(
            decision.error.message,
            decision.error.code,
            decision.error.details,
          );
        }
      },
    },
  );

  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested || updatesThisRun >= maxUpdatesPerRun;

  for (;;) {
    await condition(() => projectedVersion < agg.state.version || shouldContinueAsNew());
    if (projectedVersion < agg.state.version) {
      const version = agg.state.version;
      await projectDossier({ state: agg.state });
      projectedVersion = version;
      continue;
    }
    await condition(allHandlersFinished);
    await continueAsNew<typeof dossierWorkflow>({
      carried: { agg, projectedVersion },
      ...(input.maxUpdatesPerRun ? { maxUpdatesPerRun: input.maxUpdatesPerRun } : {}),
    });
  }
}
