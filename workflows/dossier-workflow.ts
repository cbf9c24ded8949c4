import {
  ApplicationFailure,
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
import type { DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import { applyDecision, carryOver, createAggregate, decide, ledgered } from '../domain/dossier-aggregate';
import type { Clock } from '../domain/lifecycle';
import type { MonthLookup, Point, SituationState } from '../domain/situations';
import {
  applyLookups,
  followUpComplete,
  nextWake,
  onMonthLoaded,
  pendingPoints,
  settle,
} from '../domain/situations';
import type { DossierWorkflowInput, EventResult } from './dossier-messages';
import {
  creationQuery,
  dsnMonthLoadedSignal,
  eventUpdate,
  recordQuery,
  stateQuery,
} from './dossier-messages';
import { MonthLoads } from './month-loads';
import { isRefusedPayload, isVouched } from '../domain/vouch';
import { SA, searchAttributeChanges } from './search-attributes';

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

// Temporal caps a run at 2000 Updates; stay well below so continue-as-new has room to drain handlers.
const DEFAULT_MAX_UPDATES_PER_RUN = 1000;
// And a run's history small enough for operators and clients to read it whole (a gRPC message is
// 4 MiB at most); each Update carries the dossier, so large dossiers continue sooner.
const MAX_RUN_HISTORY_BYTES = 2 * 1024 * 1024;

const clock = (): Clock => ({ now: new Date().toISOString() });
const today = (): string => clock().now.slice(0, 10);

/** What a partner or case worker sees of a situation (not the look-up bookkeeping). */
const visible = (s: SituationState) => JSON.stringify([s.statut, s.mois, s.meilleurEmploi, s.multiEmploi]);

/**
 * One dossier while it lives: holds its state, applies partner events as Updates, and follows the
 * trainee's employment at six points from the DSN months, with durable timers. The record of every
 * accepted event is the ledger in PostgreSQL; the workflow keeps only what it needs to decide, and
 * ends once the dossier is closed, every point is final and its record is written.
 */
export async function dossierWorkflow(input: DossierWorkflowInput): Promise<void> {
  let agg: DossierAggregate;
  let projectedVersion: number;
  /** The eventIds this run accepted: carried to the next run (see carryOver). */
  const runIds: string[] = [];
  if (input.carried) {
    agg = input.carried.agg;
    projectedVersion = input.carried.projectedVersion;
  } else if (input.create) {
    agg = createAggregate(input.create);
    projectedVersion = input.callerProjects ? agg.state.version : 0;
    runIds.push(input.create.body.eventId);
  } else {
    throw ApplicationFailure.nonRetryable('dossierWorkflow needs create or carried', 'BAD_INPUT');
  }
  const loads = new MonthLoads(input.carried?.signalledLoads);
  const vouchKey = input.carried?.vouchKey ?? input.vouchKey;
  let updatesThisRun = 0;
  let rethink = false;
  const maxUpdatesPerRun = input.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;

  setHandler(stateQuery, () => agg.state);
  setHandler(recordQuery, () => ({ state: agg.state, entries: agg.unledgered }));
  setHandler(creationQuery, () => ({ ...agg.creation, state: agg.state }));

  const owedLookups = () => pendingPoints(agg.state.situations, agg.state.dates, today());
  const monthOfPoint = (p: Point) => agg.state.situations.find((s) => s.point === p)?.mois ?? null;

  /** New situations; a new version when a partner would see the change. */
  const setSituations = (situations: SituationState[]) => {
    const current = agg.state;
    const changed = situations.some((s, i) => visible(s) !== visible(current.situations[i]!));
    agg = {
      ...agg,
      state: {
        ...current,
        situations,
        ...(changed ? { version: current.version + 1, updatedAt: clock().now } : {}),
      },
    };
  };
  const recordLookups = (points: Point[], found: Record<string, MonthLookup>) =>
    setSituations(applyLookups(agg.state.situations, points, found, agg.state.dates, today()));

  /** The decision on an event, or the refusal thrown as a non-retryable failure typed by its code. */
  const decideOrRefuse = (cmd: EventCommand) => {
    const decision = decide(agg, cmd, clock());
    if (decision.kind === 'refused') {
      throw ApplicationFailure.nonRetryable(
        decision.error.message,
        decision.error.code,
        decision.error.details,
      );
    }
    return decision;
  };

  setHandler(
    eventUpdate,
    (cmd): EventResult => {
      updatesThisRun++;
      // Refused here only if state changed between validation and execution, which Temporal rules out.
      const decision = decideOrRefuse(cmd);
      const before = agg.state;
      const owedBefore = projectedVersion < before.version;
      if (cmd.ledger) agg = ledgered(agg, cmd.ledger.seq);
      agg = applyDecision(agg, cmd, decision, clock());
      if (decision.kind !== 'duplicate') runIds.push(cmd.event.eventId);
      // The caller registered the dossier for these months, then found them not loaded: the points
      // on them wait without a look-up (a load signalled since then makes the workflow look).
      if (cmd.dsnNotLoaded?.length) {
        const notLoaded = loads.notLoaded(cmd.dsnNotLoaded);
        const points = owedLookups().filter((p) => notLoaded.includes(monthOfPoint(p) ?? ''));
        if (points.length > 0) recordLookups(points, Object.fromEntries(notLoaded.map((m) => [m, null])));
      }
      // The API projects the state it gets back, with the entries: no projection in this event's
      // history. Anything the workflow still owed (its own DSN changes) it projects itself.
      if (cmd.callerProjects && !owedBefore) {
        projectedVersion = agg.state.version;
        // Nothing else wakes the main loop for it: it looks again at what it owes and when.
        rethink = true;
      }
      // The client sets the attributes at start; a run started without them (the time-skipping test
      // server has no custom attributes) keeps none rather than failing its workflow tasks.
      if (workflowInfo().typedSearchAttributes.get(SA.status) !== undefined) {
        const changes = searchAttributeChanges(before, agg.state);
        if (changes.length > 0) upsertSearchAttributes(changes);
      }
      // The caller writes this event's entry; the others are their own callers' (or the sweeper's).
      const entries = decision.kind === 'duplicate' ? [] : agg.unledgered.slice(-1);
      return { outcome: decision.kind, state: agg.state, bodyHash: cmd.bodyHash, entries };
    },
    // A refusal in the validator never enters the history: the partner gets the reason, the dossier is
    // untouched. Only the platform writes here: a message without the API's vouch (sent with the
    // `temporal` CLI, the Web UI, a client of one's own) is refused before anything else. Validators
    // do not run on replay: the vouch is checked once, when the message arrives.
    {
      validator: (cmd) => {
        if (isRefusedPayload(cmd) || !vouchKey || !isVouched(vouchKey, agg.state.dossierId, cmd)) {
          throw ApplicationFailure.nonRetryable(
            'only the platform writes to a dossier: this message was not sent by its API',
            'FORBIDDEN',
          );
        }
        void decideOrRefuse(cmd);
      },
    },
  );

  setHandler(dsnMonthLoadedSignal, (load) => {
    // A signal not encrypted with a platform key (or malformed) changes nothing.
    if (isRefusedPayload(load) || typeof load?.mois !== 'string' || typeof load.version !== 'number') return;
    const { mois, version } = load;
    agg = { ...agg, state: { ...agg.state, situations: onMonthLoaded(agg.state.situations, mois, version) } };
    loads.signal(mois, version);
  });

  /** Write the state and the entries the ledger may lack; false when the database refused for now. */
  const writeRecord = async (): Promise<boolean> => {
    const { state, unledgered: entries } = agg;
    try {
      await db.projectDossier({ state, entries });
    } catch {
      return false;
    }
    projectedVersion = Math.max(projectedVersion, state.version);
    const last = entries[entries.length - 1];
    if (last) agg = ledgered(agg, last.seq);
    return true;
  };
  const recordOwed = () => projectedVersion < agg.state.version || agg.unledgered.length > 0;
  const shouldContinueAsNew = (): boolean => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      updatesThisRun >= maxUpdatesPerRun ||
      info.historySize >= MAX_RUN_HISTORY_BYTES
    );
  };
  const finished = () => followUpComplete(agg.state.situations, agg.state.dates);

  for (;;) {
    // Continue-as-new, and the end, only once the ledger holds every entry: what the next run does
    // not carry, and what outlives the workflow, is there.
    const ending = shouldContinueAsNew() || finished();
    if (ending) await condition(allHandlersFinished);
    if (((shouldContinueAsNew() || finished()) && recordOwed()) || projectedVersion < agg.state.version) {
      // A refused write is tried again a minute later, not in a tight loop.
      if (!(await writeRecord())) await sleep('1 minute');
      continue;
    }
    if (shouldContinueAsNew()) {
      await continueAsNew<typeof dossierWorkflow>({
        carried: { agg: carryOver(agg, runIds), projectedVersion, signalledLoads: loads.carried(), vouchKey },
        ...(input.maxUpdatesPerRun ? { maxUpdatesPerRun: input.maxUpdatesPerRun } : {}),
      });
    }

    setSituations(settle(agg.state.situations, agg.state.dates, today()));
    if (projectedVersion < agg.state.version) continue;
    const points = owedLookups();
    if (points.length > 0) {
      const months = [...new Set(points.map(monthOfPoint).filter((m): m is string => m !== null))];
      const answered = loads.beforeLookup(months);
      let found: Record<string, MonthLookup>;
      try {
        found = await db.lookupDsn({ dossierId: agg.state.dossierId, nir: agg.state.stagiaire.nir, months });
      } catch {
        loads.lookupFailed(answered);
        continue;
      }
      // A load signalled while the read ran, that the read did not see: those points look again.
      recordLookups(points, loads.trusted(found));
      continue;
    }

    // Closed and every point final: the end, once the handlers are done and the record written
    // (the turn that found it so waited for both, and nothing has run since).
    if (finished()) {
      if (ending) return;
      continue;
    }
    // Sleep until something is owed: an event, a month loaded, a point falling due, the horizon.
    rethink = false;
    const wake = nextWake(agg.state.situations, agg.state.dates, today());
    // After an event the caller projected, only a new wake-up day or the end needs the loop.
    const rethought = () =>
      rethink && (nextWake(agg.state.situations, agg.state.dates, today()) !== wake || finished());
    const wakeCondition = () =>
      rethought() ||
      projectedVersion < agg.state.version ||
      owedLookups().length > 0 ||
      shouldContinueAsNew();
    if (wake === null) await condition(wakeCondition);
    else await condition(wakeCondition, Math.max(1000, Date.parse(`${wake}T00:00:00Z`) - Date.now()));
  }
}
