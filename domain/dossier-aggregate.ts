import type { DomainError } from './codes';
import type { Actor } from './authorization';
import { authorizeEvent, sourceOf } from './authorization';
import type { DossierState } from './dossier-state';
import { createState, partiesOf } from './dossier-state';
import type { Clock } from './lifecycle';
import { transition } from './lifecycle';
import type { CreateDossierBody, DossierEvent, HistoryEntry } from './schemas';
import { reconcile } from './situations';

/** Everything a dossier workflow carries, across continue-as-new too. */
export interface DossierAggregate {
  state: DossierState;
  history: HistoryEntry[];
  /** eventId -> hash of its body without the eventId: a resent id has its effect once, ever. */
  seen: Record<string, string>;
}

/** A partner event as the workflow receives it. `bodyHash` is computed by the API on the canonical body. */
export interface EventCommand {
  event: DossierEvent;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
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
  return {
    state: createState(cmd.body, cmd.receivedAt),
    history: [
      { seq: 1, eventId, type: 'CREATION', date, receivedAt: cmd.receivedAt, source: sourceOf(cmd.actor) },
    ],
    seen: { [eventId]: cmd.bodyHash },
  };
}

/** The creation's identity, to tell a resent creation from another one with the same dossierId. */
export function creationOf(agg: DossierAggregate): { eventId: string; bodyHash: string } {
  const eventId = agg.history[0]?.eventId ?? '';
  return { eventId, bodyHash: agg.seen[eventId] ?? '' };
}

/**
 * Decide what an event does to the dossier, without changing it. The order matters: a partner that
 * may not see the dossier learns nothing, not even whether an eventId was used.
 */
export function decide(agg: DossierAggregate, cmd: EventCommand, clock: Clock): Decision {
  const denied = authorizeEvent(cmd.actor, partiesOf(agg.state), cmd.event.type);
  if (denied) return { kind: 'refused', error: denied };

  const known = agg.seen[cmd.event.eventId];
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

  // "Dites-le nous une fois": the same fact told again is a confirmation, not an error.
  const sameFact = (): boolean =>
    agg.history.some(
      (h) => !h.confirmation && h.type === cmd.event.type && agg.seen[h.eventId] === cmd.bodyHash,
    );
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
): DossierAggregate {
  if (decision.kind === 'refused' || decision.kind === 'duplicate') return agg;
  const entry: HistoryEntry = {
    seq: agg.history.length + 1,
    eventId: cmd.event.eventId,
    type: cmd.event.type,
    date: cmd.event.date,
    receivedAt: cmd.receivedAt,
    source: sourceOf(cmd.actor),
  };
  const seen = { ...agg.seen, [cmd.event.eventId]: cmd.bodyHash };
  if (decision.kind === 'confirmation') {
    return { state: agg.state, history: [...agg.history, { ...entry, confirmation: true }], seen };
  }
  // A date that moved moves the follow-up points anchored on it.
  const state = {
    ...decision.state,
    situations: reconcile(decision.state.situations, decision.state.dates),
    updatedAt: cmd.receivedAt,
  };
  return { state, history: [...agg.history, { ...entry, ...decision.entry }], seen };
}
