import { ApplicationFailure } from '@temporalio/workflow';
import type { Decision, DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import { applyDecision, createAggregate, decide } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import type { DossierEvent } from '../domain/schemas';
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
import { isRefusedPayload } from '../domain/vouch';
import type { Carried, DossierWorkflowInput, EventMessage, EventResult } from './dossier-messages';
import { MonthLoads } from './month-loads';
import { RecordEntity } from './record-entity';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { searchAttributeChanges } from './search-attributes';

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
export class DossierEntity extends RecordEntity<DossierState, DossierEvent> {
  private readonly loads: MonthLoads;
  /** An event the caller projected may have moved the next wake-up: the loop looks again. */
  private rethink = false;

  private constructor(agg: DossierAggregate, carried: Omit<Carried, 'v' | 'agg'>, maxUpdatesPerRun?: number) {
    super(agg, carried, maxUpdatesPerRun);
    this.loads = new MonthLoads(carried.signalledLoads);
  }

  protected readonly noun = 'dossier';

  protected vouchedId(): string {
    return this.agg.state.dossierId;
  }

  protected decide(cmd: EventCommand) {
    return decide(this.agg, cmd, clock());
  }

  /** A new dossier, or one carried over from the run before. */
  static start(input: DossierWorkflowInput): DossierEntity {
    const max = input.maxUpdatesPerRun;
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
    return { v: 1, ...this.carriedRecord(), signalledLoads: this.loads.carried() };
  }

  // ---- Partner events ---------------------------------------------------------------------------

  protected apply(cmd: EventCommand, decision: Decision): DossierAggregate {
    return applyDecision(this.agg, cmd, decision, clock());
  }

  protected attributeChanges(before: DossierState, after: DossierState) {
    return searchAttributeChanges(before, after);
  }

  /** An accepted event (RecordEntity.acceptEvent), with what a dossier does besides. */
  onEvent(cmd: EventMessage, upsert: (changes: SearchAttributeUpdatePair[]) => void): EventResult {
    const owedBefore = this.stateOwed();
    return this.acceptEvent(cmd, upsert, () => {
      // The caller registered the dossier for these months, then found them not loaded: the points
      // on them wait without a look-up (a load signalled since then makes the workflow look).
      if (cmd.dsnNotLoaded?.length) {
        const notLoaded = this.loads.notLoaded(cmd.dsnNotLoaded);
        const points = this.owedLookups().filter((p) => notLoaded.includes(this.monthOfPoint(p) ?? ''));
        if (points.length > 0)
          this.recordLookups(points, Object.fromEntries(notLoaded.map((m) => [m, null])));
      }
      // The API projects the state it gets back, with the entries: no projection in this event's
      // history. Anything the workflow still owed (its own DSN changes) it projects itself.
      if (cmd.callerProjects && !owedBefore) {
        this.projectedVersion = this.agg.state.version;
        // Nothing else wakes the main loop for it: it looks again at what it owes and when.
        this.rethink = true;
      }
    });
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
