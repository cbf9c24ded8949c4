import type { Aggregate, AggregateRules, CommandOf, DecisionOf, LedgerEntryOf } from './aggregate';
import { aggregateOf, openAggregate } from './aggregate';
import type { Actor } from './authorization';
import { authorizeCepEvent } from './authorization';
import { cepPlan } from './cep-follow-up';
import { cepTransition } from './cep-lifecycle';
import { settle } from './situations';
import type { CepEvent, CepEventType, OpenPeriodBody } from './cep-schemas';
import type { CepState } from './cep-state';
import { createCepState } from './cep-state';

/** A CEP period's instance of the shared record (domain/aggregate.ts): the dossier's rules of idempotence. */

export type CepLedgerEntry = LedgerEntryOf<CepEventType>;
export type CepAggregate = Aggregate<CepState, CepEventType>;
export type CepCommand = CommandOf<CepEvent>;
export type CepDecision = DecisionOf<CepState>;

export interface OpenPeriodCommand {
  body: OpenPeriodBody;
  bodyHash: string;
  /** The operator: a partner (domain/authorization.ts `authorizeCepOpen`). */
  actor: Extract<Actor, { admin: false }>;
  receivedAt: string;
}

const CEP_RULES: AggregateRules<CepState, CepEvent> = {
  noun: 'period',
  authorize: (actor, state) => authorizeCepEvent(actor, state.operateurSiret),
  transition: cepTransition,
  // A closure, or its date corrected, moves the follow-up's points.
  afterChange: (state, clock) => ({
    ...state,
    suivi: settle(state.suivi, cepPlan(state.dates), clock.now.slice(0, 10)),
  }),
};

export function openPeriod(cmd: OpenPeriodCommand): CepAggregate {
  return openAggregate(createCepState(cmd.body, cmd.actor.siret, cmd.receivedAt), cmd);
}

const periods = aggregateOf(CEP_RULES);
export const decideCep = periods.decide;
export const applyCep = periods.apply;
