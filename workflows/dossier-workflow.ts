import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index';
import type { DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import { applyDecision, createAggregate, creationOf, decide } from '../domain/dossier-aggregate';
import { partiesOf } from '../domain/dossier-state';
import type { MonthLookup, Point, SituationState } from '../domain/situations';
import {
  applyLookups,
  expireChecks,
  followUpComplete,
  nextWake,
  onMonthLoaded,
  pendingPoints,
} from '../domain/situations';
import type { DossierWorkflowInput, EventResult } from './dossier-messages';
import {
  creationQuery,
  dsnMonthLoadedSignal,
  eventUpdate,
  historyQuery,
  stateQuery,
} from './dossier-messages';
import { SA, searchAttributeChanges } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// Read model and DSN look-ups: PostgreSQL may be down for a while. Each call retries for up to
// 10 minutes; the loop then tries again, so the dossier catches up and never blocks continue-as-new.
const DB_CALLS = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  // Short retries: after a database outage the read model catches up within seconds.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds' },
} as const;
const remote = proxyActivities<Activities>(DB_CALLS);
// The same calls as local activities: run by the worker that holds the workflow task, recorded
// as markers, so a month's wake-up is one workflow task instead of three and two activity tasks
// (measured: 60% less Temporal server CPU, the wake-up 1.9 times faster).
const local = proxyLocalActivities<Activities>(DB_CALLS);

// Temporal caps a run at 2000 Updates; stay well below so continue-as-new has room to drain handlers.
const DEFAULT_MAX_UPDATES_PER_RUN = 1000;

/** Runs started before it projected every version themselves; they replay that way. */
const CALLER_PROJECTS = 'caller-projects';
/** Runs started before it looked up every month themselves. */
const PREFETCHED_MONTHS = 'prefetched-months';
/** Before it, a look-up that missed a load signalled meanwhile was taken as final (till the re-check). */
const MONTH_LOAD_RACE = 'month-load-race';
/** Before it, a refused projection was retried at once. */
const PROJECTION_BACKOFF = 'projection-backoff';
/** Before it, the look-ups and projections were activities of the task queue, not local ones. */
const LOCAL_DB_CALLS = 'local-db-calls';
/**
 * Before it, waiting points looked again every week (a timer from the validation on). The
 * `dsn-recheck` Schedule now signals again, once a day, the dossiers still waiting on a loaded
 * month: no timer for a month not loaded yet, whose load wakes the dossier anyway.
 */
const CENTRAL_RECHECK = 'central-recheck';
/**
 * Runs record one marker at their first task, for every patch of the newest set: each patch
 * marker comes with an upsert of TemporalChangeVersion, a visibility write of its own (measured:
 * ~4 ms of Temporal server CPU, at a dossier's first event and its first look-up). Runs started
 * under an older set take its patches, and ask the later ones where they apply; runs started
 * before any set ask each patch. Each replays the way it ran. Newest first.
 */
const FIRST_SET = [CALLER_PROJECTS, PREFETCHED_MONTHS, MONTH_LOAD_RACE, PROJECTION_BACKOFF];
const PATCH_SETS: readonly { marker: string; patches: readonly string[] }[] = [
  { marker: 'patches-at-start-3', patches: [...FIRST_SET, LOCAL_DB_CALLS, CENTRAL_RECHECK] },
  { marker: 'patches-at-start-2', patches: [...FIRST_SET, LOCAL_DB_CALLS] },
  { marker: 'patches-at-start', patches: FIRST_SET },
];

const today = (): string => new Date().toISOString().slice(0, 10);

/** What a partner or case worker sees of a situation (not the look-up bookkeeping). */
const visible = (s: SituationState) => JSON.stringify([s.statut, s.mois, s.meilleurEmploi, s.multiEmploi]);

/**
 * One dossier for its whole life: holds its state and history, applies partner events as Updates,
 * and follows the trainee's employment at six points from the DSN months, with durable timers.
 * It ends once the dossier is closed and every point that can happen is final.
 */
export async function dossierWorkflow(input: DossierWorkflowInput): Promise<void> {
  const atStart = new Set(PATCH_SETS.find((set) => patched(set.marker))?.patches ?? []);
  const applies = (patch: string): boolean => atStart.has(patch) || patched(patch);
  // Asked at each call: a run started before the patch takes it from its next new task on.
  const db = () => (applies(LOCAL_DB_CALLS) ? local : remote);
  let agg: DossierAggregate;
  let projectedVersion: number;
  if (input.carried) {
    agg = input.carried.agg;
    projectedVersion = input.carried.projectedVersion;
  } else if (input.create) {
    agg = createAggregate(input.create);
    projectedVersion = input.callerProjects && applies(CALLER_PROJECTS) ? agg.state.version : 0;
  } else {
    throw ApplicationFailure.nonRetryable('dossierWorkflow needs create or carried', 'BAD_INPUT');
  }
  // Month loads signalled since the last look-up of that month: a read that may have missed them
  // (a look-up running when the signal came, a caller's "not loaded") is not trusted for that month.
  const signalledLoads = new Map<string, number>(Object.entries(input.carried?.signalledLoads ?? {}));
  let updatesThisRun = 0;
  let rethink = false;
  const maxUpdatesPerRun = input.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;

  setHandler(stateQuery, () => agg.state);
  setHandler(historyQuery, () => ({ parties: partiesOf(agg.state), events: agg.history }));
  setHandler(creationQuery, () => ({ ...creationOf(agg), state: agg.state }));

  const owedLookups = () => pendingPoints(agg.state.situations, agg.state.dates, today());
  const monthOfPoint = (p: Point) => agg.state.situations.find((s) => s.point === p)?.mois ?? null;

  /** Record look-up results for the points still on those months; a new version if any visibly changed. */
  const recordLookups = (points: Point[], found: Record<string, MonthLookup>) => {
    const current = agg.state;
    // Dates may have moved while a look-up ran: apply it only to points still on those months.
    const stillOwed = points.filter((p) => (monthOfPoint(p) ?? '') in found);
    const situations = applyLookups(current.situations, stillOwed, found, current.dates, today());
    const changed = situations.some((s, i) => visible(s) !== visible(current.situations[i]!));
    agg = {
      ...agg,
      state: {
        ...current,
        situations,
        ...(changed ? { version: current.version + 1, updatedAt: new Date().toISOString() } : {}),
      },
    };
  };

  /** The decision on an event, or the refusal thrown as a non-retryable failure typed by its code. */
  const decideOrRefuse = (cmd: EventCommand) => {
    const decision = decide(agg, cmd, { now: new Date().toISOString() });
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
      agg = applyDecision(agg, cmd, decision);
      // The caller registered the dossier for these months, then found them not loaded: the points
      // on them wait without a look-up (a load signalled since then makes the workflow look).
      if (cmd.dsnNotLoaded?.length && applies(PREFETCHED_MONTHS)) {
        const notLoaded = cmd.dsnNotLoaded.filter((m) => !signalledLoads.has(m));
        const points = owedLookups().filter((p) => notLoaded.includes(monthOfPoint(p) ?? ''));
        if (points.length > 0) recordLookups(points, Object.fromEntries(notLoaded.map((m) => [m, null])));
      }
      // The API projects the state it gets back: no projection in this event's history. Anything
      // the workflow still owed (its own DSN changes) it projects, at the latest version.
      if (cmd.callerProjects && !owedBefore && applies(CALLER_PROJECTS)) {
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
      return { outcome: decision.kind, state: agg.state, bodyHash: cmd.bodyHash };
    },
    // A refusal in the validator never enters the history: the partner gets the reason, the dossier is untouched.
    { validator: (cmd) => void decideOrRefuse(cmd) },
  );

  setHandler(dsnMonthLoadedSignal, ({ mois, version }) => {
    agg = { ...agg, state: { ...agg.state, situations: onMonthLoaded(agg.state.situations, mois, version) } };
    signalledLoads.set(mois, Math.max(version, signalledLoads.get(mois) ?? 0));
  });

  const shouldContinueAsNew = (): boolean =>
    workflowInfo().continueAsNewSuggested || updatesThisRun >= maxUpdatesPerRun;

  for (;;) {
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof dossierWorkflow>({
        carried: {
          agg,
          projectedVersion,
          ...(signalledLoads.size > 0 ? { signalledLoads: Object.fromEntries(signalledLoads) } : {}),
        },
        ...(input.maxUpdatesPerRun ? { maxUpdatesPerRun: input.maxUpdatesPerRun } : {}),
      });
    }
    if (projectedVersion < agg.state.version) {
      const version = agg.state.version;
      try {
        await db().projectDossier({ state: agg.state });
        projectedVersion = version;
      } catch {
        // Retried by the next turn of the loop. Runs started before this patch retried at once,
        // which spins when the read model refuses the row outright; they replay that way.
        if (applies(PROJECTION_BACKOFF)) await sleep('1 minute');
      }
      continue;
    }

    // Asked once a turn (never in a condition's predicate): runs started before it switch at a new task.
    const weekly = !applies(CENTRAL_RECHECK);
    agg = {
      ...agg,
      state: {
        ...agg.state,
        situations: expireChecks(agg.state.situations, agg.state.dates, today(), weekly),
      },
    };
    const points = owedLookups();
    if (points.length > 0) {
      const months = [
        ...new Set(
          agg.state.situations.filter((s) => points.includes(s.point) && s.mois).map((s) => s.mois!),
        ),
      ];
      // Loads signalled from here on may be missed by this read: they are checked against it below.
      const signalledBefore = months.flatMap((m) => {
        const v = signalledLoads.get(m);
        return v === undefined ? [] : [[m, v] as const];
      });
      for (const m of months) signalledLoads.delete(m);
      let found: Awaited<ReturnType<Activities['lookupDsn']>>;
      try {
        found = await db().lookupDsn({
          dossierId: agg.state.dossierId,
          nir: agg.state.stagiaire.nir,
          months,
        });
      } catch {
        for (const [m, v] of signalledBefore) signalledLoads.set(m, Math.max(v, signalledLoads.get(m) ?? 0));
        continue;
      }
      // A load signalled while the read ran, that the read did not see: those points look again.
      const missed = months.filter((m) => {
        const v = signalledLoads.get(m);
        return v !== undefined && (found[m] === null || (found[m]?.version ?? 0) < v);
      });
      if (missed.length > 0 && applies(MONTH_LOAD_RACE)) {
        found = Object.fromEntries(Object.entries(found).filter(([m]) => !missed.includes(m)));
      }
      recordLookups(points, found);
      continue;
    }

    const finished = () =>
      agg.state.status === 'CLOS' && followUpComplete(agg.state.situations, agg.state.dates, true);
    if (finished()) {
      await condition(allHandlersFinished);
      if (projectedVersion === agg.state.version && owedLookups().length === 0) return;
      continue;
    }
    // Sleep until something is owed: an event, a month loaded, a point falling due, the horizon.
    rethink = false;
    const wake = nextWake(agg.state.situations, agg.state.dates, today(), weekly);
    // After an event the caller projected, only a new wake-up day or the end needs the loop.
    const rethought = () =>
      rethink && (nextWake(agg.state.situations, agg.state.dates, today(), weekly) !== wake || finished());
    const wakeCondition = () =>
      rethought() ||
      projectedVersion < agg.state.version ||
      owedLookups().length > 0 ||
      shouldContinueAsNew();
    if (wake === null) await condition(wakeCondition);
    else await condition(wakeCondition, Math.max(1000, Date.parse(`${wake}T00:00:00Z`) - Date.now()));
  }
}
