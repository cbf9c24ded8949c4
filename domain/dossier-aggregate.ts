import type { Aggregate, AggregateRules, CommandOf, DecisionOf, LedgerEntryOf } from './aggregate';
import { aggregateOf, openAggregate } from './aggregate';
import type { Actor } from './authorization';
import { authorizeEvent } from './authorization';
import { authorizeCorrection, authorizeValidationLines } from './correction-rights';
import type { DossierState } from './dossier-state';
import { createState, partiesOf } from './dossier-state';
import type { CreateDossierBody, EventType, HistoryEntry, RecordEvent } from './schemas';
import { settle } from './situations';
import { settleCertification } from './certification';
import { payContext, transition } from './lifecycle';
import { onDossierChange } from './remuneration';

export type { LedgerKnowledge } from './aggregate';
export { carryOver, ledgered } from './aggregate';

/** The dossier's instance of the shared record (domain/aggregate.ts). */

/** A history entry as the ledger keeps it: with the hash of the body that made it. */
export type LedgerEntry = LedgerEntryOf<EventType>;
export type DossierAggregate = Aggregate<DossierState, EventType>;
export type EventCommand = CommandOf<RecordEvent>;
export type Decision = DecisionOf<DossierState>;

export interface CreateCommand {
  body: CreateDossierBody;
  bodyHash: string;
  actor: Actor;
  receivedAt: string;
  /** The operator of the CEP period whose prescription the body names (looked up by the API). */
  prescriptionOperateur?: string;
}

const DOSSIER_RULES: AggregateRules<DossierState, RecordEvent> = {
  noun: 'dossier',
  authorize: (actor, state, event) =>
    authorizeEvent(actor, partiesOf(state), event.type) ??
    (event.type === 'RECTIFICATION'
      ? authorizeCorrection(actor, state, event.changes)
      : event.type === 'VALIDATION' && event.financements
        ? authorizeValidationLines(actor, state, event.financements)
        : null),
  transition,
  afterChange: (state, clock) => settleDossier(state, clock.now.slice(0, 10)),
};

/**
 * What the dossier's own life does besides its events, after each change and as days pass: a date
 * that moved moves the follow-up points anchored on it and a closure settles the points that will
 * never come; an interruption suspends the pay, an exit ends it; the certification is awaited,
 * then INCONNUE 12 months after exit without a result. The same state back when nothing changes.
 */
export function settleDossier(state: DossierState, today: string): DossierState {
  const situations = settle(state.situations, state.dates, today);
  const remunerations = onDossierChange(state.remunerations, payContext(state));
  const certification = settleCertification(
    state.certification,
    { certification: state.action.certification ?? null, sortie: state.dates.sortie },
    today,
  );
  const same =
    JSON.stringify([situations, remunerations, certification]) ===
    JSON.stringify([state.situations, state.remunerations, state.certification]);
  return same ? state : { ...state, situations, remunerations, certification };
}

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
