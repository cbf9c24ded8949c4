import { ApplicationFailure } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CepAggregate, CepCommand, CepDecision } from '../domain/cep-aggregate';
import { applyCep, decideCep, openPeriod } from '../domain/cep-aggregate';
import type { CepPoint, FormationEntry } from '../domain/cep-follow-up';
import { MAX_ENTRIES, cepPlan } from '../domain/cep-follow-up';
import { closeForInactivity, inactivityClosureDate, lateNewsUntil } from '../domain/cep-lifecycle';
import type { CepEvent } from '../domain/cep-schemas';
import type { CepState } from '../domain/cep-state';
import type { Clock } from '../domain/lifecycle';
import type { SituationState } from '../domain/situations';
import type { CepCarried, CepEventMessage, CepEventResult, CepWorkflowInput } from './cep-messages';
import { cepWorkflowId } from './cep-messages';
import { FollowUp } from './follow-up';
import { RecordEntity } from './record-entity';
import { cepSearchAttributeChanges } from './search-attributes';

const clock = (): Clock => ({ now: new Date().toISOString() });
const today = (): string => clock().now.slice(0, 10);

/** What the operator sees of a point (not the look-up bookkeeping). */
const visible = (s: SituationState<CepPoint>) =>
  JSON.stringify([s.statut, s.mois, s.meilleurEmploi, s.multiEmploi]);

/**
 * One living CEP period's state and decisions (the dossier's entity pattern): the workflow
 * function (cep-workflow.ts) wires its handlers here and runs the activities; no I/O here.
 */
export class CepEntity extends RecordEntity<CepState, CepEvent> {
  /** The follow-up after closure (workflows/follow-up.ts: the dossiers' bookkeeping and rule). */
  readonly followUp: FollowUp<CepPoint>;
  /** The person's training entries are to be read again (a dossier was entered, or never read yet). */
  private entriesStale = true;

  private constructor(agg: CepAggregate, carried: Omit<CepCarried, 'v' | 'agg'>, maxUpdatesPerRun?: number) {
    super(agg, carried, maxUpdatesPerRun);
    this.followUp = new FollowUp<CepPoint>(
      {
        situations: () => this.agg.state.suivi,
        plan: () => cepPlan(this.agg.state.dates),
        setSituations: (suivi) => this.setSuivi(suivi),
      },
      carried.signalledLoads,
    );
  }

  /** A new period, or one carried over from the run before. */
  static start(input: CepWorkflowInput): CepEntity {
    if (input.carried) return new CepEntity(input.carried.agg, input.carried, input.maxUpdatesPerRun);
    if (!input.open) throw ApplicationFailure.nonRetryable('cepWorkflow needs open or carried', 'BAD_INPUT');
    const entity = new CepEntity(
      openPeriod(input.open),
      { projectedVersion: 0, vouchKey: input.vouchKey ?? null, signalledLoads: {} },
      input.maxUpdatesPerRun,
    );
    entity.runIds.push(input.open.body.eventId);
    return entity;
  }

  /** What the next run starts from. */
  carried(): CepCarried {
    return { v: 1, ...this.carriedRecord(), signalledLoads: this.followUp.carried() };
  }

  /** A period's messages are vouched for its workflow id: never mistaken for a dossier's. */
  protected readonly noun = 'period';

  protected vouchedId(): string {
    return cepWorkflowId(this.agg.state.periodeId);
  }

  protected decide(cmd: CepCommand) {
    return decideCep(this.agg, cmd, clock());
  }

  protected apply(cmd: CepCommand, decision: CepDecision): CepAggregate {
    return applyCep(this.agg, cmd, decision, clock());
  }

  protected attributeChanges(before: CepState, after: CepState) {
    return cepSearchAttributeChanges(before, after);
  }

  /** An accepted event (RecordEntity.acceptEvent). */
  onEvent(cmd: CepEventMessage, upsert: (changes: SearchAttributeUpdatePair[]) => void): CepEventResult {
    return this.acceptEvent(cmd, upsert);
  }

  /** The day the period closes by itself, unless news comes first; null once closed. */
  closesOn(): string | null {
    return inactivityClosureDate(this.agg.state);
  }

  /** Six months without news have passed: the period closes, motif SANS_NOUVELLES. */
  closeIfSilent(upsert: (changes: SearchAttributeUpdatePair[]) => void): void {
    const on = this.closesOn();
    if (on === null || today() < on) return;
    const before = this.agg.state;
    this.agg = { ...this.agg, state: closeForInactivity(before, clock()) };
    this.upsertChanges(before, upsert);
  }

  // ---- The follow-up after closure -------------------------------------------------------------

  private setState(patch: Partial<CepState>, changed: boolean): void {
    const current = this.agg.state;
    this.agg = {
      ...this.agg,
      state: {
        ...current,
        ...patch,
        ...(changed ? { version: current.version + 1, updatedAt: clock().now } : {}),
      },
    };
  }

  /** New points; a new version when the operator would see the change. */
  private setSuivi(suivi: SituationState<CepPoint>[]): void {
    const current = this.agg.state.suivi;
    this.setState(
      { suivi },
      suivi.some((s, i) => visible(s) !== visible(current[i]!)),
    );
  }

  /** A dossier of the person was entered: its entries are read again (once the period is closed). */
  onFormation(): void {
    this.entriesStale = true;
  }

  /** Whether the person's entries are owed a read: closed, and stale. */
  entriesOwed(): boolean {
    return this.entriesStale && this.agg.state.statut === 'CLOSE';
  }

  /** The person's entries as just read. */
  entriesRead(entries: readonly FormationEntry[]): void {
    this.entriesStale = false;
    const kept = [...entries].sort((a, b) => a.entree.localeCompare(b.entree)).slice(0, MAX_ENTRIES);
    const changed = JSON.stringify(kept) !== JSON.stringify(this.agg.state.entreesFormation);
    if (changed) this.setState({ entreesFormation: kept }, true);
  }

  /** Closed, every point of its follow-up final, and the days for late news past. */
  finished(): boolean {
    return this.followedUp() && today() >= lateNewsUntil(this.agg.state);
  }

  private followedUp(): boolean {
    return this.agg.state.statut === 'CLOSE' && this.followUp.complete();
  }

  /**
   * Until when the loop may sleep, and what wakes it sooner: the inactivity closure or the next
   * day the follow-up's rule can change something (null: none), and the condition.
   */
  sleep(): { wake: string | null; wakeUp: () => boolean } {
    const closes = this.closesOn();
    const ends = this.followedUp() ? lateNewsUntil(this.agg.state) : null;
    const wake = [closes, this.followUp.nextWake(), ends]
      .filter((d): d is string => d !== null)
      .reduce<string | null>((a, b) => (a === null || b < a ? b : a), null);
    return {
      wake,
      wakeUp: () =>
        this.recordOwed() ||
        this.shouldContinueAsNew() ||
        this.closesOn() !== closes ||
        (this.followedUp() ? lateNewsUntil(this.agg.state) : null) !== ends ||
        this.followUp.owedLookups().length > 0 ||
        this.entriesOwed(),
    };
  }
}
