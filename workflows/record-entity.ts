import { ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair, defineSearchAttributeKey } from '@temporalio/common';
import type {
  Aggregate,
  CommandOf,
  DatedEvent,
  DecisionOf,
  EventResultOf,
  LedgerEntryOf,
} from '../domain/aggregate';
import { carryOver, ledgered } from '../domain/aggregate';
import { isRefusedPayload, isVouched } from '../domain/vouch';

/** One message of a batch: what the single Update answers, or the reason it refuses. */
export type BatchOutcome<R> =
  { result: R } | { refused: { code: string; message: string; details?: unknown } };

// Temporal caps a run at 2000 Updates; stay well below so continue-as-new has room to drain handlers.
export const DEFAULT_MAX_UPDATES_PER_RUN = 1000;
// And a run's history small enough for operators and clients to read it whole (a gRPC message is
// 4 MiB at most); each Update carries the record, so large records continue sooner.
const MAX_RUN_HISTORY_BYTES = 2 * 1024 * 1024;

/**
 * Upserts search attributes when the run has them (`key`, one of its family's): the client sets
 * them at start, and a run started without them (the time-skipping test server has no custom
 * attributes, an attribute not registered yet) keeps none rather than failing its workflow tasks.
 */
export function upsertWhenRegistered(key: ReturnType<typeof defineSearchAttributeKey<'KEYWORD'>>) {
  return (changes: SearchAttributeUpdatePair[]): void => {
    if (workflowInfo().typedSearchAttributes.get(key) !== undefined) upsertSearchAttributes(changes);
  };
}

/**
 * What every family's entity (the dossier's, a CEP period's) does the same way: it holds the
 * aggregate (domain/aggregate.ts), checks that a message comes from the platform, keeps track of
 * what the record in PostgreSQL holds, and says when the run should continue as new.
 */
export abstract class RecordEntity<S extends { version: number }, E extends DatedEvent> {
  agg: Aggregate<S, E['type']>;
  /** The version of the state the record (PostgreSQL) holds. */
  protected projectedVersion: number;
  /** The eventIds this run accepted: carried to the next run (see carryOver). */
  protected readonly runIds: string[] = [];
  protected readonly vouchKey: string | null;
  private readonly maxUpdatesPerRun: number;
  protected updatesThisRun = 0;

  protected constructor(
    agg: Aggregate<S, E['type']>,
    carried: { projectedVersion: number; vouchKey: string | null },
    maxUpdatesPerRun: number | undefined,
  ) {
    this.agg = agg;
    this.projectedVersion = carried.projectedVersion;
    this.vouchKey = carried.vouchKey;
    this.maxUpdatesPerRun = maxUpdatesPerRun ?? DEFAULT_MAX_UPDATES_PER_RUN;
  }

  /** The id the API's vouch binds a message to. */
  protected abstract vouchedId(): string;
  /** The record's name in refusals: "dossier", "period". */
  protected abstract readonly noun: string;
  /** The family's decision (domain/aggregate.ts `decideEvent` with its rules). */
  protected abstract decide(cmd: CommandOf<E>): DecisionOf<S>;

  /** The family's recording of a decision (domain/aggregate.ts `applyEvent` with its rules). */
  protected abstract apply(cmd: CommandOf<E>, decision: DecisionOf<S>): Aggregate<S, E['type']>;
  /** The search attributes that take `before`'s to `after`'s (workflows/search-attributes.ts). */
  protected abstract attributeChanges(before: S, after: S): SearchAttributeUpdatePair[];

  /**
   * An accepted event, the same way in every family: the new state, this event's entry for the
   * ledger, the search attributes to upsert (`upsert`: the run has them at all). `also` runs after
   * the event is applied, before the attributes: what the family does besides.
   */
  protected acceptEvent(
    cmd: CommandOf<E>,
    upsert: (changes: SearchAttributeUpdatePair[]) => void,
    also?: () => void,
  ): EventResultOf<S, E['type']> {
    this.updatesThisRun++;
    // Refused here only if state changed between validation and execution, which Temporal rules out.
    const decision = this.decideOrRefuse(cmd);
    const before = this.agg.state;
    if (cmd.ledger) this.agg = ledgered(this.agg, cmd.ledger.seq);
    this.agg = this.apply(cmd, decision);
    if (decision.kind !== 'duplicate') this.runIds.push(cmd.event.eventId);
    also?.();
    this.upsertChanges(before, upsert);
    // The caller writes this event's entry; the others are their own callers' (or the sweeper's).
    const entries = decision.kind === 'duplicate' ? [] : this.agg.unledgered.slice(-1);
    return { outcome: decision.kind, state: this.agg.state, bodyHash: cmd.bodyHash, entries };
  }

  /** Upsert the attributes that changed since `before`, if any. */
  protected upsertChanges(before: S, upsert: (changes: SearchAttributeUpdatePair[]) => void): void {
    const changes = this.attributeChanges(before, this.agg.state);
    if (changes.length > 0) upsert(changes);
  }

  /** The decision on an event, or the refusal thrown as a non-retryable failure typed by its code. */
  protected decideOrRefuse(cmd: CommandOf<E>): Exclude<DecisionOf<S>, { kind: 'refused' }> {
    const decision = this.decide(cmd);
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
  validate(cmd: CommandOf<E> & { vouch?: string }): void {
    this.requireVouch(cmd);
    void this.decideOrRefuse(cmd);
  }

  /**
   * The validator of an Update of several messages (a partner file's consecutive lines for one
   * record): each one vouched for, or the whole Update refused. Their business rules are decided
   * in turn by the handler (`eachEvent`), each on the state the ones before it left.
   */
  validateBatch(batch: { messages?: unknown }): void {
    if (isRefusedPayload(batch) || !Array.isArray(batch.messages) || batch.messages.length === 0) {
      throw ApplicationFailure.nonRetryable('a batch of events holds one message or more', 'BAD_INPUT');
    }
    for (const cmd of batch.messages as (CommandOf<E> & { vouch?: string })[]) this.requireVouch(cmd);
  }

  /**
   * A batch's messages in order: each accepted as the single Update accepts it (`accept`), or
   * refused with the reason the single Update's validator gives, changing nothing.
   */
  eachEvent<C extends CommandOf<E>, R>(cmds: readonly C[], accept: (cmd: C) => R): BatchOutcome<R>[] {
    return cmds.map((cmd) => {
      const decision = this.decide(cmd);
      if (decision.kind !== 'refused') return { result: accept(cmd) };
      const { code, message, details } = decision.error;
      return { refused: { code, message, ...(details !== undefined ? { details } : {}) } };
    });
  }

  private requireVouch(cmd: CommandOf<E> & { vouch?: string }): void {
    if (isRefusedPayload(cmd) || !this.vouchKey || !isVouched(this.vouchKey, this.vouchedId(), cmd)) {
      throw ApplicationFailure.nonRetryable(
        `only the platform writes to a ${this.noun}: this message was not sent by its API`,
        'FORBIDDEN',
      );
    }
  }

  /** What every family carries to its next run: the aggregate (trimmed), what the record holds, the key. */
  protected carriedRecord(): {
    agg: Aggregate<S, E['type']>;
    projectedVersion: number;
    vouchKey: string | null;
  } {
    return {
      agg: carryOver(this.agg, this.runIds),
      projectedVersion: this.projectedVersion,
      vouchKey: this.vouchKey,
    };
  }

  /** The state and the entries the ledger may lack: what a write of the record sends. */
  record(): { state: S; entries: LedgerEntryOf<E['type']>[] } {
    return { state: this.agg.state, entries: this.agg.unledgered };
  }

  /** A write of `record()` succeeded. */
  recordWritten(written: { state: S; entries: LedgerEntryOf<E['type']>[] }): void {
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
}
