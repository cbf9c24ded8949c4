import type { Aggregate, AggregateRules, CommandOf, DecisionOf, LedgerEntryOf } from './aggregate';
import { aggregateOf, openAggregate } from './aggregate';
import type { Actor } from './authorization';
import { authorizeEvent } from './authorization';
import { authorizeCorrection } from './correction-rights';
import type { DossierState } from './dossier-state';
import { createState, partiesOf } from './dossier-state';
import { transition } from './lifecycle';
import type { CreateDossierBody, DossierEvent, EventType, HistoryEntry } from './schemas';
import { settle } from './situations';

export type { LedgerKnowledge } from './aggregate';
export { carryOver, ledgered } from './aggregate';

/** The dossier's instance of the shared record (domain/aggregate.ts). */

/** A history entry as the ledger keeps it: with the hash of the body that made it. */
export type LedgerEntry = LedgerEntryOf<EventType>;
export type DossierAggregate = Aggregate<DossierState, EventType>;
export type EventCommand = CommandOf<DossierEvent>;
export type Decision = DecisionOf<DossierState>;

export interface CreateCommand {
  body: CreateDossierBody;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
  /** The operator of the CEP period whose prescription the body names (looked up by the API). */
  prescriptionOperateur?: string;
}

const DOSSIER_RULES: AggregateRules<DossierState, DossierEvent> = {
  noun: 'dossier',
  authorize: (actor, state, event) =>
    authorizeEvent(actor, partiesOf(state), event.type) ??
    (event.type === 'RECTIFICATION' ? authorizeCorrection(actor, state, event.changes) : null),
  transition,
  // A date that moved moves the follow-up points anchored on it; a closure settles the points
  // that will never come.
  afterChange: (state, clock) => ({
    ...state,
    situations: settle(state.situations, state.dates, clock.now.slice(0, 10)),
  }),
};

export function createAggregate(cmd: CreateCommand): DossierAggregate {
  return openAggregate(createState(cmd.body, cmd.receivedAt, cmd.prescriptionOperateur), cmd);
}

const dossiers = aggregateOf(DOSSIER_RULES);
/** Decide what an event does to the dossier, without changing it (domain/aggregate.ts). */
export const decide = dossiers.decide;
/** Record a decision: the new aggregate (the input is not mutated). */
export const applyDecision = dossiers.apply;

/** A history entry as partners read it (without the ledger's body hash). */
export function publicEntry(e: LedgerEntry): HistoryEntry {
  const { bodyHash: _hash, ...entry } = e;
  return entry;
}
