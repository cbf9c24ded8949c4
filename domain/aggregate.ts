import type { DomainError } from './codes';
import type { Actor } from './authorization';
import { sourceOf } from './authorization';
import type { Clock, TransitionResult } from './lifecycle';

/**
 * What every workflow family's record shares (dossiers, CEP periods): dated events sent by
 * partners, numbered entries for the ledger, eventId idempotence, "dites-le nous une fois"
 * confirmations, and a bounded memory of the eventIds seen. A family brings its state, its events
 * and its `AggregateRules`; this file decides and records the same way for all of them.
 */

/** An event as a family's schema gives it: an id, a type, a business date. */
export interface DatedEvent {
  eventId: string;
  type: string;
  date: string;
}

/** An accepted event as the history shows it and the ledger keeps it (with its body hash). */
export interface LedgerEntryOf<T extends string = string> {
  seq: number;
  eventId: string;
  /** The event's type, or CREATION for the opening entry. */
  type: T | 'CREATION';
  date: string;
  receivedAt: string;
  source: string;
  /** The same fact told again by this source. */
  confirmation?: boolean;
  /** The record's version after this entry (entries written before it was kept lack it). */
  version?: number;
  data?: Record<string, unknown>;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  bodyHash: string;
}

/**
 * What a family's workflow holds, across continue-as-new too. Bounded: the ledger (PostgreSQL) is
 * the record of every accepted event; the workflow keeps only what it needs to decide.
 */
export interface Aggregate<S, T extends string = string> {
  state: S;
  /** The creation's identity, to tell a resent creation from another one with the same id. */
  creation: { eventId: string; bodyHash: string };
  /** The seq of the latest accepted event (the creation is 1). */
  lastSeq: number;
  /** Accepted events not known to be in the ledger yet, oldest first. */
  unledgered: LedgerEntryOf<T>[];
  /** eventId -> body hash of the events this run and the one before accepted (and the creation). */
  seen: Record<string, string>;
  /** Whether `seen` holds every event of the record's life; once false, the ledger has the rest. */
  seenAll: boolean;
}

/**
 * What the ledger knew of an event when the API sent it (read in the statement that opened its
 * projection intent): the body hash its eventId was first accepted with, whether the same fact
 * was accepted before, and the seq up to which every entry is in the ledger.
 */
export interface LedgerKnowledge {
  eventHash: string | null;
  sameFact: boolean;
  seq: number;
}

/** A partner event as a workflow receives it. `bodyHash` is computed by the API on the canonical body. */
export interface CommandOf<E extends DatedEvent> {
  event: E;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
  /** Absent when the API could not read the ledger (database unreachable). */
  ledger?: LedgerKnowledge;
}

export type DecisionOf<S> =
  | { kind: 'refused'; error: DomainError }
  | { kind: 'duplicate' }
  | { kind: 'confirmation' }
  | { kind: 'applied'; state: S; entry: Pick<LedgerEntryOf, 'data' | 'before' | 'after'> };

/** What an accepted event answers, in every family: its outcome and the record after it. */
export interface EventResultOf<S, T extends string> {
  outcome: 'applied' | 'duplicate' | 'confirmation';
  state: S;
  /** The hash of the event that produced this result (a resent Update id gets the first result). */
  bodyHash: string;
  /** This event's entry for the ledger (none for a duplicate): the caller writes it with the state. */
  entries: LedgerEntryOf<T>[];
}

/** A record's state and the accepted events not known to be in the ledger yet. */
export interface RecordOf<S, T extends string> {
  state: S;
  entries: LedgerEntryOf<T>[];
}

/** A family's own rules, which the shared decision calls. */
export interface AggregateRules<S extends { updatedAt: string; version: number }, E extends DatedEvent> {
  /** The record's name in messages: "dossier", "period". */
  noun: string;
  /** NOT_FOUND when the record is hidden from the actor, FORBIDDEN when not theirs to send. */
  authorize(actor: Actor, state: S, event: E): DomainError | null;
  transition(state: S, event: E, clock: Clock): TransitionResult<S>;
  /** What an accepted change brings besides (the dossier settles its follow-up points). */
  afterChange?(state: S, clock: Clock): S;
}

/** A new record: its state and the creation's entry (the creation command of its family). */
export function openAggregate<S extends { version: number }, T extends string>(
  state: S,
  creation: { body: { eventId: string; date: string }; bodyHash: string; actor: Actor; receivedAt: string },
): Aggregate<S, T> {
  const { eventId, date } = creation.body;
  const entry: LedgerEntryOf<T> = {
    seq: 1,
    eventId,
    type: 'CREATION',
    date,
    receivedAt: creation.receivedAt,
    source: sourceOf(creation.actor),
    version: state.version,
    bodyHash: creation.bodyHash,
  };
  return {
    state,
    creation: { eventId, bodyHash: creation.bodyHash },
    lastSeq: 1,
    unledgered: [entry],
    seen: { [eventId]: creation.bodyHash },
    seenAll: true,
  };
}

/** A family's decision and its recording, bound to its rules. */
export function aggregateOf<S extends { updatedAt: string; version: number }, E extends DatedEvent>(
  rules: AggregateRules<S, E>,
) {
  return {
    decide: (agg: Aggregate<S, E['type']>, cmd: CommandOf<E>, clock: Clock): DecisionOf<S> =>
      decideEvent(rules, agg, cmd, clock),
    apply: (
      agg: Aggregate<S, E['type']>,
      cmd: CommandOf<E>,
      decision: DecisionOf<S>,
      clock: Clock,
    ): Aggregate<S, E['type']> => applyEvent(rules, agg, cmd, decision, clock),
  };
}

/**
 * Decide what an event does to the record, without changing it. The order matters: a partner that
 * may not see the record learns nothing, not even whether an eventId was used.
 */
export function decideEvent<S extends { updatedAt: string; version: number }, E extends DatedEvent>(
  rules: AggregateRules<S, E>,
  agg: Aggregate<S, E['type']>,
  cmd: CommandOf<E>,
  clock: Clock,
): DecisionOf<S> {
  const denied = rules.authorize(cmd.actor, agg.state, cmd.event);
  if (denied) return { kind: 'refused', error: denied };

  const known = agg.seen[cmd.event.eventId] ?? cmd.ledger?.eventHash ?? undefined;
  if (known !== undefined) {
    if (known === cmd.bodyHash) return { kind: 'duplicate' };
    return {
      kind: 'refused',
      error: {
        code: 'EVENT_ID_CONFLICT',
        message: `eventId ${cmd.event.eventId} was already used with a different body; use a new eventId for a new event`,
        details: { eventId: cmd.event.eventId },
      },
    };
  }
  // Older events live in the ledger only: without the API's reading of it, a resent old eventId
  // could not be told from a new one.
  if (!agg.seenAll && !cmd.ledger) {
    return {
      kind: 'refused',
      error: {
        code: 'UNAVAILABLE',
        message: `the ${rules.noun}'s record cannot be read right now; send the event again later`,
      },
    };
  }

  // "Dites-le nous une fois": the same fact told again (the same type and business data under
  // another eventId, or by another source) is a confirmation, not an error nor a second fact (a
  // period's service is not counted twice). The body hash covers the type and leaves out the
  // eventId, so a fact is known by its hash among the accepted events.
  if (cmd.ledger?.sameFact === true || Object.values(agg.seen).includes(cmd.bodyHash)) {
    return { kind: 'confirmation' };
  }
  const result = rules.transition(agg.state, cmd.event, clock);
  if (result.ok) return { kind: 'applied', state: result.state, entry: result.entry };
  return { kind: 'refused', error: result.error };
}

/** Record a decision: the new aggregate (the input is not mutated). */
export function applyEvent<S extends { updatedAt: string; version: number }, E extends DatedEvent>(
  rules: AggregateRules<S, E>,
  agg: Aggregate<S, E['type']>,
  cmd: CommandOf<E>,
  decision: DecisionOf<S>,
  clock: Clock,
): Aggregate<S, E['type']> {
  if (decision.kind === 'refused' || decision.kind === 'duplicate') return agg;
  const entry: LedgerEntryOf<E['type']> = {
    seq: agg.lastSeq + 1,
    eventId: cmd.event.eventId,
    type: cmd.event.type,
    date: cmd.event.date,
    receivedAt: cmd.receivedAt,
    source: sourceOf(cmd.actor),
    bodyHash: cmd.bodyHash,
  };
  const recorded = {
    lastSeq: entry.seq,
    seen: { ...agg.seen, [cmd.event.eventId]: cmd.bodyHash },
  };
  if (decision.kind === 'confirmation') {
    return {
      ...agg,
      ...recorded,
      unledgered: [...agg.unledgered, { ...entry, confirmation: true, version: agg.state.version }],
    };
  }
  const changed = rules.afterChange ? rules.afterChange(decision.state, clock) : decision.state;
  const state = { ...changed, updatedAt: cmd.receivedAt };
  return {
    ...agg,
    ...recorded,
    state,
    unledgered: [...agg.unledgered, { ...entry, version: state.version, ...decision.entry }],
  };
}

/** The ledger holds every entry up to `seq`: the workflow need not keep them. */
export function ledgered<A extends Aggregate<unknown>>(agg: A, seq: number): A {
  if (agg.unledgered.length === 0 || agg.unledgered[0]!.seq > seq) return agg;
  return { ...agg, unledgered: agg.unledgered.filter((e) => e.seq > seq) };
}

/**
 * What a new run carries, once every entry is in the ledger: the state, and the eventIds of the
 * run that ends (`keep`): an API that read the ledger just before that run's last entries were
 * written may still send one of them to the new run.
 */
export function carryOver<A extends Aggregate<unknown>>(agg: A, keep: readonly string[]): A {
  const seen: Record<string, string> = {};
  for (const id of keep) if (agg.seen[id] !== undefined) seen[id] = agg.seen[id]!;
  return {
    ...agg,
    unledgered: [],
    seen,
    seenAll: agg.seenAll && Object.keys(seen).length === Object.keys(agg.seen).length,
  };
}

/** A history entry as partners read it (without the ledger's body hash). */
export function publicEntry<T extends string>(e: LedgerEntryOf<T>): Omit<LedgerEntryOf<T>, 'bodyHash'> {
  const { bodyHash: _hash, ...entry } = e;
  return entry;
}

/**
 * A page of a record's history: the ledger's entries after a seq (read `limit + 1` of them) and the
 * ones the workflow still holds, not written yet; `nextSeq` when more follow.
 */
export function historyPage<E extends { seq: number }>(
  stored: readonly E[],
  pending: readonly E[],
  limit: number,
): { events: E[]; nextSeq: number | null } {
  const bySeq = new Map(stored.map((e) => [e.seq, e]));
  for (const e of pending) if (!bySeq.has(e.seq)) bySeq.set(e.seq, e);
  const all = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const events = all.slice(0, limit);
  return { events, nextSeq: all.length > limit ? events[events.length - 1]!.seq : null };
}
