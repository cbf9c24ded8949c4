import type { Aggregate, AggregateRules, CommandOf, DecisionOf, LedgerEntryOf } from './aggregate';
import { applyEvent, decideEvent, openAggregate } from './aggregate';
import type { Actor } from './authorization';
import { authorizeCepEvent } from './authorization';
import type { Clock } from './lifecycle';
import { cepTransition } from './cep-lifecycle';
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
};

export function openPeriod(cmd: OpenPeriodCommand): CepAggregate {
  return openAggregate(createCepState(cmd.body, cmd.actor.siret, cmd.receivedAt), {
    eventId: cmd.body.eventId,
    date: cmd.body.date,
    bodyHash: cmd.bodyHash,
    actor: cmd.actor,
    receivedAt: cmd.receivedAt,
  });
}

export const decideCep = (agg: CepAggregate, cmd: CepCommand, clock: Clock): CepDecision =>
  decideEvent(CEP_RULES, agg, cmd, clock);

export const applyCep = (
  agg: CepAggregate,
  cmd: CepCommand,
  decision: CepDecision,
  clock: Clock,
): CepAggregate => applyEvent(CEP_RULES, agg, cmd, decision, clock);
