import type { DomainError } from './codes';
import type { Actor } from './authorization';
import { authorizeEvent, sourceOf } from './authorization';
import { authorizeCorrection } from './correction-rights';
import type { DossierState } from './dossier-state';
import { createState, partiesOf } from './dossier-state';
import type { Clock } from './lifecycle';
import { transition } from './lifecycle';
import type { CreateDossierBody, DossierEvent, HistoryEntry } from './schemas';
import { settle } from './situations';

/** A history entry as the ledger keeps it: with the hash of the body that made it. */
export interface LedgerEntry extends HistoryEntry {
  bodyHash: string;
}

/**
 * What a dossier workflow holds, across continue-as-new too. Bounded: the ledger (PostgreSQL) is
 * the record of every accepted event; the workflow keeps only what it needs to decide.
 */
export interface DossierAggregate {
  state: DossierState;
  /** The creation's identity, to tell a resent creation from another one with the same dossierId. */
  creation: { eventId: string; bodyHash: string };
  /** The seq of the latest accepted event (the creation is 1). */
  lastSeq: number;
  /** Accepted events not known to be in the ledger yet, oldest first. */
  unledgered: LedgerEntry[];
  /** eventId -> body hash of the events this run and the one before accepted (and the creation). */
  seen: Record<string, string>;
  /** Whether `seen` holds every event of the dossier's life; once false, the ledger has the rest. */
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

/** A partner event as the workflow receives it. `bodyHash` is computed by the API on the canonical body. */
export interface EventCommand {
  event: DossierEvent;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
  /** Absent when the API could not read the ledger (database unreachable). */
  ledger?: LedgerKnowledge;
}

export interface CreateCommand {
  body: CreateDossierBody;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
}

export type Decision =
  | { kind: 'refused'; error: DomainError }
  | { kind: 'duplicate' }
  | { kind: 'confirmation' }
  | { kind: 'applied'; state: DossierState; entry: Pick<HistoryEntry, 'data' | 'before' | 'after'> };

export function createAggregate(cmd: CreateCommand): DossierAggregate {
  const { eventId, date } = cmd.body;
  const entry: LedgerEntry = {
    seq: 1,
    eventId,
    type: 'CREATION',
    date,
    receivedAt: cmd.receivedAt,
    source: sourceOf(cmd.actor),
    bodyHash: cmd.bodyHash,
  };
  return {
    state: createState(cmd.body, cmd.receivedAt),
    creation: { eventId, bodyHash: cmd.bodyHash },
    lastSeq: 1,
    unledgered: [entry],
    seen: { [eventId]: cmd.bodyHash },
    seenAll: true,
  };
}

/**
 * Decide what an event does to the dossier, without changing it. The order matters: a partner that
 * may not see the dossier learns nothing, not even whether an eventId was used.
 */
export function decide(agg: DossierAggregate, cmd: EventCommand, clock: Clock): Decision {
  const denied =
    authorizeEvent(cmd.actor, partiesOf(agg.state), cmd.event.type) ??
    (cmd.event.type === 'RECTIFICATION'
      ? authorizeCorrection(cmd.actor, agg.state, cmd.event.changes)
      : null);
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
        message: "the dossier's record cannot be read right now; send the event again later",
      },
    };
  }

  // "Dites-le nous une fois": the same fact told again is a confirmation, not an error. The body
  // hash covers the type, so a fact is known by its hash among the accepted events.
  const sameFact = (): boolean =>
    cmd.ledger?.sameFact === true || Object.values(agg.seen).includes(cmd.bodyHash);
  if (cmd.event.type === 'RECTIFICATION' && sameFact()) return { kind: 'confirmation' };

  const result = transition(agg.state, cmd.event, clock);
  if (result.ok) return { kind: 'applied', state: result.state, entry: result.entry };
  if (sameFact()) return { kind: 'confirmation' };
  return { kind: 'refused', error: result.error };
}

/** Record a decision: the new aggregate (the input is not mutated). */
export function applyDecision(
  agg: DossierAggregate,
  cmd: EventCommand,
  decision: Decision,
  clock: Clock,
): DossierAggregate {
  if (decision.kind === 'refused' || decision.kind === 'duplicate') return agg;
  const entry: LedgerEntry = {
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
    return { ...agg, ...recorded, unledgered: [...agg.unledgered, { ...entry, confirmation: true }] };
  }
  // A date that moved moves the follow-up points anchored on it; a closure settles the points
  // that will never come.
  const state = {
    ...decision.state,
    situations: settle(decision.state.situations, decision.state.dates, clock.now.slice(0, 10)),
    updatedAt: cmd.receivedAt,
  };
  return { ...agg, ...recorded, state, unledgered: [...agg.unledgered, { ...entry, ...decision.entry }] };
}

/** The ledger holds every entry up to `seq`: the workflow need not keep them. */
export function ledgered(agg: DossierAggregate, seq: number): DossierAggregate {
  if (agg.unledgered.length === 0 || agg.unledgered[0]!.seq > seq) return agg;
  return { ...agg, unledgered: agg.unledgered.filter((e) => e.seq > seq) };
}

/**
 * What a new run carries, once every entry is in the ledger: the state, and the eventIds of the
 * run that ends (`keep`): an API that read the ledger just before that run's last entries were
 * written may still send one of them to the new run.
 */
export function carryOver(agg: DossierAggregate, keep: readonly string[]): DossierAggregate {
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
export function publicEntry(e: LedgerEntry): HistoryEntry {
  const { bodyHash: _hash, ...entry } = e;
  return entry;
}
