import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import type { DossierAggregate, EventCommand, LedgerEntry } from '../domain/dossier-aggregate';
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
import { isRefusedPayload, isVouched } from '../domain/vouch';
import type { Carried, DossierWorkflowInput, EventMessage, EventResult } from './dossier-messages';
import { MonthLoads } from './month-loads';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { searchAttributeChanges } from './search-attributes';

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
 * One living dossier's state and decisions, as Temporal's entity samples keep them: the workflow
 * function (dossier-workflow.ts) wires its handlers to these methods and runs the activities; this
 * class holds everything else (the aggregate, what the record holds, the follow-up's bookkeeping)
 * and does no I/O.
 */
export class DossierEntity {
  /** The dossier and what it needs to decide (domain/dossier-aggregate.ts). */
  agg: DossierAggregate;
  /** The version of the state the record (read model) holds. */
  private projectedVersion: number;
  /** The eventIds this run accepted: carried to the next run (see carryOver). */
  private readonly runIds: string[] = [];
  private readonly loads: MonthLoads;
  private readonly vouchKey: string | null;
  private readonly maxUpdatesPerRun: number;
  private updatesThisRun = 0;
  /** An event the caller projected may have moved the next wake-up: the loop looks again. */
  private rethink = false;

  private constructor(agg: DossierAggregate, carried: Omit<Carried, 'v' | 'agg'>, maxUpdatesPerRun: number) {
    this.agg = agg;
    this.projectedVersion = carried.projectedVersion;
    this.loads = new MonthLoads(carried.signalledLoads);
    this.vouchKey = carried.vouchKey;
    this.maxUpdatesPerRun = maxUpdatesPerRun;
  }

  /** A new dossier, or one carried over from the run before. */
  static start(input: DossierWorkflowInput): DossierEntity {
    const max = input.maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;
    if (input.carried) return new DossierEntity(input.carried.agg, input.carried, max);
    if (!input.create)
      throw ApplicationFailure.nonRetryable('dossierWorkflow needs create or carried', 'BAD_INPUT');
    const agg = createAggregate(input.create);
    const entity = new DossierEntity(
      agg,
      {
        projectedVersion: input.callerProjects ? agg.state.version : 0,
        signalledLoads: {},
        vouchKey: input.vouchKey ?? null,
      },
      max,
    );
    entity.runIds.push(input.create.body.eventId);
    return entity;
  }

  /** What the next run starts from. */
  carried(): Carried {
    return {
      v: 1,
      agg: carryOver(this.agg, this.runIds),
      projectedVersion: this.projectedVersion,
      signalledLoads: this.loads.carried(),
      vouchKey: this.vouchKey,
    };
  }

  // ---- Partner events ---------------------------------------------------------------------------

  /** The decision on an event, or the refusal thrown as a non-retryable failure typed by its code. */
  private decideOrRefuse(cmd: EventCommand) {
    const decision = decide(this.agg, cmd, clock());
    if (decision.kind === 'refused') {
      throw ApplicationFailure.nonRetryable(
        decision.error.message,
        decision.error.code,
        decision.error.details,
      );
    }
    return decision;
  }

  /**
   * The Update's validator: only the platform writes here. A message without the API's vouch (sent
   * with the `temporal` CLI, the Web UI, a client of one's own) is refused before anything else;
   * then the business rules. Validators do not run on replay: the vouch is checked once.
   */
  validate(cmd: EventMessage): void {
    if (isRefusedPayload(cmd) || !this.vouchKey || !isVouched(this.vouchKey, this.agg.state.dossierId, cmd)) {
      throw ApplicationFailure.nonRetryable(
        'only the platform writes to a dossier: this message was not sent by its API',
        'FORBIDDEN',
      );
    }
    void this.decideOrRefuse(cmd);
  }

  /**
   * An accepted event: the new state and this event's entry for the ledger, and the search
   * attributes to upsert (`upsert`: the run has them at all).
   */
  onEvent(cmd: EventMessage, upsert: (changes: SearchAttributeUpdatePair[]) => void): EventResult {
    this.updatesThisRun++;
    // Refused here only if state changed between validation and execution, which Temporal rules out.
    const decision = this.decideOrRefuse(cmd);
    const before = this.agg.state;
    const owedBefore = this.projectedVersion < before.version;
    if (cmd.ledger) this.agg = ledgered(this.agg, cmd.ledger.seq);
    this.agg = applyDecision(this.agg, cmd, decision, clock());
    if (decision.kind !== 'duplicate') this.runIds.push(cmd.event.eventId);
    // The caller registered the dossier for these months, then found them not loaded: the points
    // on them wait without a look-up (a load signalled since then makes the workflow look).
    if (cmd.dsnNotLoaded?.length) {
      const notLoaded = this.loads.notLoaded(cmd.dsnNotLoaded);
      const points = this.owedLookups().filter((p) => notLoaded.includes(this.monthOfPoint(p) ?? ''));
      if (points.length > 0) this.recordLookups(points, Object.fromEntries(notLoaded.map((m) => [m, null])));
    }
    // The API projects the state it gets back, with the entries: no projection in this event's
    // history. Anything the workflow still owed (its own DSN changes) it projects itself.
    if (cmd.callerProjects && !owedBefore) {
      this.projectedVersion = this.agg.state.version;
      // Nothing else wakes the main loop for it: it looks again at what it owes and when.
      this.rethink = true;
    }
    const changes = searchAttributeChanges(before, this.agg.state);
    if (changes.length > 0) upsert(changes);
    // The caller writes this event's entry; the others are their own callers' (or the sweeper's).
    const entries = decision.kind === 'duplicate' ? [] : this.agg.unledgered.slice(-1);
    return { outcome: decision.kind, state: this.agg.state, bodyHash: cmd.bodyHash, entries };
  }

  /** A DSN month was loaded; a signal not encrypted with a platform key (or malformed) changes nothing. */
  onMonthLoaded(load: unknown): void {
    if (isRefusedPayload(load)) return;
    const { mois, version } = (load ?? {}) as { mois?: unknown; version?: unknown };
    if (typeof mois !== 'string' || typeof version !== 'number') return;
    this.update({ situations: onMonthLoaded(this.agg.state.situations, mois, version) });
    this.loads.signal(mois, version);
  }

  // ---- The record ----------------------------------------------------------------------------

  /** The state and the entries the ledger may lack: what a write of the record sends. */
  record(): { state: DossierAggregate['state']; entries: LedgerEntry[] } {
    return { state: this.agg.state, entries: this.agg.unledgered };
  }

  /** A write of `record()` succeeded. */
  recordWritten(written: { state: DossierAggregate['state']; entries: LedgerEntry[] }): void {
    this.projectedVersion = Math.max(this.projectedVersion, written.state.version);
    const last = written.entries[written.entries.length - 1];
    if (last) this.agg = ledgered(this.agg, last.seq);
  }

  /** The record lags the state. */
  stateOwed(): boolean {
    return this.projectedVersion < this.agg.state.version;
  }

  /** The record lags the state, or the ledger lacks entries. */
  recordOwed(): boolean {
    return this.stateOwed() || this.agg.unledgered.length > 0;
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      this.updatesThisRun >= this.maxUpdatesPerRun ||
      info.historySize >= MAX_RUN_HISTORY_BYTES
    );
  }

  /** Closed, and every point of the follow-up final. */
  finished(): boolean {
    return followUpComplete(this.agg.state.situations, this.agg.state.dates);
  }

  // ---- The employment follow-up --------------------------------------------------------------

  private update(patch: { situations: SituationState[] }): void {
    this.agg = { ...this.agg, state: { ...this.agg.state, ...patch } };
  }

  /** New situations; a new version when a partner would see the change. */
  private setSituations(situations: SituationState[]): void {
    const current = this.agg.state;
    const changed = situations.some((s, i) => visible(s) !== visible(current.situations[i]!));
    this.agg = {
      ...this.agg,
      state: {
        ...current,
        situations,
        ...(changed ? { version: current.version + 1, updatedAt: clock().now } : {}),
      },
    };
  }

  /** The points whose status the rule decides today (domain/situations.ts `settle`). */
  settle(): void {
    this.setSituations(settle(this.agg.state.situations, this.agg.state.dates, today()));
  }

  owedLookups(): Point[] {
    return pendingPoints(this.agg.state.situations, this.agg.state.dates, today());
  }

  private monthOfPoint(p: Point): string | null {
    return this.agg.state.situations.find((s) => s.point === p)?.mois ?? null;
  }

  /** The look-up the owed points need: their months; and the loads it answers (for `lookupFailed`). */
  lookup(points: Point[]): { months: string[]; answered: ReturnType<MonthLoads['beforeLookup']> } {
    const months = [
      ...new Set(points.map((p) => this.monthOfPoint(p)).filter((m): m is string => m !== null)),
    ];
    return { months, answered: this.loads.beforeLookup(months) };
  }

  lookupFailed(answered: ReturnType<MonthLoads['beforeLookup']>): void {
    this.loads.lookupFailed(answered);
  }

  /** What a look-up found; a load signalled while the read ran, that the read did not see: those points look again. */
  lookedUp(points: Point[], found: Record<string, MonthLookup>): void {
    this.recordLookups(points, this.loads.trusted(found));
  }

  private recordLookups(points: Point[], found: Record<string, MonthLookup>): void {
    this.setSituations(applyLookups(this.agg.state.situations, points, found, this.agg.state.dates, today()));
  }

  /**
   * Until when the loop may sleep, and what wakes it sooner: the next day the rule can change
   * something (null: none), and the condition (an event, a month loaded, the record owed).
   */
  sleep(): { wake: string | null; wakeUp: () => boolean } {
    this.rethink = false;
    const wake = nextWake(this.agg.state.situations, this.agg.state.dates, today());
    // After an event the caller projected, only a new wake-up day or the end needs the loop.
    const rethought = () =>
      this.rethink &&
      (nextWake(this.agg.state.situations, this.agg.state.dates, today()) !== wake || this.finished());
    return {
      wake,
      wakeUp: () =>
        rethought() || this.stateOwed() || this.owedLookups().length > 0 || this.shouldContinueAsNew(),
    };
  }
}
