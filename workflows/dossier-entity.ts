import { ApplicationFailure } from '@temporalio/workflow';
import type { Decision, DossierAggregate, EventCommand } from '../domain/dossier-aggregate';
import { applyDecision, createAggregate, decide } from '../domain/dossier-aggregate';
import type { DossierState } from '../domain/dossier-state';
import type { RecordEvent } from '../domain/schemas';
import type { Clock } from '../domain/lifecycle';
import type { Point, SituationState } from '../domain/situations';
import { dossierPlan, seenDigest, seenOf } from '../domain/situations';
import type { Carried, DossierWorkflowInput, EventMessage, EventResult } from './dossier-messages';
import { FollowUp } from './follow-up';
import { certificationAwaited, settleCertification, unknownOn } from '../domain/certification';
import { RecordEntity } from './record-entity';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { searchAttributeChanges } from './search-attributes';

const clock = (): Clock => ({ now: new Date().toISOString() });

/** A signal's load written ahead by the wake-up, well formed (the codec already checked its origin). */
function writtenAhead(load: unknown): { base: number; today: string; at: string; seen: string } | null {
  const ahead = (load as { ahead?: Record<string, unknown> } | null)?.ahead;
  if (typeof ahead !== 'object' || ahead === null) return null;
  const { base, today, at, seen } = ahead;
  return typeof base === 'number' &&
    typeof today === 'string' &&
    typeof at === 'string' &&
    typeof seen === 'string'
    ? { base, today, at, seen }
    : null;
}

/**
 * One living dossier's state and decisions, as Temporal's entity samples keep them: the workflow
 * function (dossier-workflow.ts) wires its handlers to these methods and runs the activities; this
 * class holds everything else (the aggregate, what the record holds, the follow-up's bookkeeping)
 * and does no I/O.
 */
export class DossierEntity extends RecordEntity<DossierState, RecordEvent> {
  /** The employment follow-up's bookkeeping (workflows/follow-up.ts). */
  readonly followUp: FollowUp<Point>;
  /** An event the caller projected may have moved the next wake-up: the loop looks again. */
  private rethink = false;

  private constructor(agg: DossierAggregate, carried: Omit<Carried, 'v' | 'agg'>, maxUpdatesPerRun?: number) {
    super(agg, carried, maxUpdatesPerRun);
    this.followUp = new FollowUp<Point>(
      {
        situations: () => this.agg.state.situations,
        plan: () => dossierPlan(this.agg.state.dates),
        setSituations: (situations) => this.setSituations(situations),
      },
      carried.signalledLoads,
    );
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
    return { v: 1, ...this.carriedRecord(), signalledLoads: this.followUp.carried() };
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
      if (cmd.dsnNotLoaded?.length) this.followUp.notLoaded(cmd.dsnNotLoaded);
      // The API projects the state it gets back, with the entries: no projection in this event's
      // history. Anything the workflow still owed (its own DSN changes) it projects itself.
      if (cmd.callerProjects && !owedBefore) {
        this.projectedVersion = this.agg.state.version;
        // Nothing else wakes the main loop for it: it looks again at what it owes and when.
        this.rethink = true;
      }
    });
  }

  // ---- The record ----------------------------------------------------------------------------

  /** Closed, every point of the follow-up final, and the certification no longer awaited. */
  finished(): boolean {
    const s = this.agg.state;
    return (
      this.followUp.complete() &&
      !certificationAwaited(s.certification, { sortie: s.dates.sortie, closed: s.status === 'CLOS' })
    );
  }

  // ---- The certification ---------------------------------------------------------------------

  /** The certification as today makes it (INCONNUE 12 months after exit): a new version if it changed. */
  settleCertification(): void {
    const s = this.agg.state;
    const now = clock().now;
    const certification = settleCertification(
      s.certification,
      { certification: s.action.certification ?? null, sortie: s.dates.sortie },
      now.slice(0, 10),
    );
    if (certification === s.certification) return;
    this.agg = {
      ...this.agg,
      state: { ...s, certification, version: s.version + 1, updatedAt: now },
    };
  }

  /** The next day the rules can change something by themselves: a follow-up point, the certification. */
  private nextWake(): string | null {
    const s = this.agg.state;
    const points = this.followUp.nextWake();
    const awaited = certificationAwaited(s.certification, {
      sortie: s.dates.sortie,
      closed: s.status === 'CLOS',
    });
    const unknown = awaited ? unknownOn({ sortie: s.dates.sortie }) : null;
    if (points === null || unknown === null) return points ?? unknown;
    return points < unknown ? points : unknown;
  }

  // ---- The employment follow-up --------------------------------------------------------------

  /**
   * A DSN month loaded (the signal). When the month's wake-up wrote this load's situations in the
   * record ahead of the workflow (`ahead`: the version it computed them from, its day and time;
   * activities/month-wake.ts) and the state is still that version, the load is taken as the wake-up
   * took it, on its day and with its time: the same new version, which the record already holds
   * when it shows the same. Otherwise the state's next version comes after the wake-up's, and the
   * workflow writes it.
   */
  onMonthLoaded(load: unknown): void {
    const ahead = writtenAhead(load);
    const base = this.agg.state.version;
    const adopt = ahead !== null && ahead.base === base && this.projectedVersion === base;
    this.stamp = adopt ? ahead.at : null;
    let adopted = false;
    try {
      const took = this.followUp.onMonthLoaded(load, adopt ? ahead.today : undefined);
      const state = this.agg.state;
      adopted = adopt && took && state.version === base + 1 && seenDigest(state.situations) === ahead.seen;
    } finally {
      this.stamp = null;
    }
    if (!ahead) return;
    const key = `${ahead.base}:${ahead.at}`;
    if (adopted) {
      this.projectedVersion = base + 1;
      this.adoptedAhead = key;
      // Nothing to write, but the next wake-up may have moved, or the follow-up ended.
      this.rethink = true;
      return;
    }
    // Not taken as written (the state had moved, found something else, or had a newer load): the
    // record holds the wake-up's version base + 1, which this state must come after, or its write
    // would be that version's and not newer. (The same load signalled again after it was taken as
    // written changes nothing.)
    const s = this.agg.state;
    if (s.version <= ahead.base + 1 && this.adoptedAhead !== key) {
      this.agg = { ...this.agg, state: { ...s, version: ahead.base + 2, updatedAt: clock().now } };
    }
  }

  /** The time a change of situations is stamped with: the wake-up's, while its load is taken. */
  private stamp: string | null = null;
  /** The last load written ahead that this run took as written (its base and time). */
  private adoptedAhead: string | null = null;

  /** New situations; a new version when a partner would see the change. */
  private setSituations(situations: SituationState[]): void {
    const current = this.agg.state;
    const changed = situations.some((s, i) => seenOf(s) !== seenOf(current.situations[i]!));
    this.agg = {
      ...this.agg,
      state: {
        ...current,
        situations,
        ...(changed ? { version: current.version + 1, updatedAt: this.stamp ?? clock().now } : {}),
      },
    };
  }

  /**
   * Until when the loop may sleep, and what wakes it sooner: the next day the rule can change
   * something (null: none), and the condition (an event, a month loaded, the record owed).
   */
  sleep(): { wake: string | null; wakeUp: () => boolean } {
    this.rethink = false;
    const wake = this.nextWake();
    // After an event the caller projected, only a new wake-up day or the end needs the loop.
    const rethought = () => this.rethink && (this.nextWake() !== wake || this.finished());
    return {
      wake,
      wakeUp: () =>
        rethought() ||
        this.stateOwed() ||
        this.followUp.owedLookups().length > 0 ||
        this.shouldContinueAsNew(),
    };
  }
}
