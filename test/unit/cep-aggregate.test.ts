import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import { CEP_OPERATOR, openPeriodBody } from '../helpers/fixtures';
import type { CepAggregate, CepCommand } from '../../domain/cep-aggregate';
import { applyCep, decideCep, openPeriod } from '../../domain/cep-aggregate';
import { carryOver, ledgered } from '../../domain/aggregate';
import type { CepEvent } from '../../domain/cep-schemas';

/** A CEP period shares the dossier's record rules (domain/aggregate.ts): ids, duplicates, confirmations. */
const operator = CEP_OPERATOR;
const other: Actor = { admin: false, partnerId: 'x', siret: '98765432100019', kind: 'CEP_OPERATEUR' };
const clock = { now: '2026-11-29T10:00:00.000Z' };
const body = openPeriodBody({ situation: 'JEUNE_NON_INSERE' });
const open = () =>
  openPeriod({ body, bodyHash: 'h-open', actor: operator, receivedAt: '2026-03-02T09:00:00Z' });

function send(agg: CepAggregate, event: CepEvent, bodyHash: string, actor: Actor = operator) {
  const cmd: CepCommand = { event, bodyHash, actor, receivedAt: '2026-11-29T10:00:00Z' };
  const decision = decideCep(agg, cmd, clock);
  return { decision, agg: applyCep(agg, cmd, decision, clock) };
}
const service: CepEvent = {
  eventId: 'e-1',
  type: 'SERVICE',
  date: '2026-03-10',
  service: 'ENTRETIEN',
  modalite: 'PRESENTIEL',
};

describe('a CEP period as a record', () => {
  it('opens with its CREATION entry, its operator and seq 1', () => {
    const agg = open();
    expect(agg.state.operateurSiret).toBe(operator.siret);
    expect(agg.unledgered).toEqual([
      expect.objectContaining({ seq: 1, type: 'CREATION', eventId: 'open-1', source: operator.siret }),
    ]);
  });

  it('numbers accepted events, answers a resent one as a duplicate and a reused id as a conflict', () => {
    const first = send(open(), service, 'h-1');
    expect(first.decision.kind).toBe('applied');
    expect(first.agg.unledgered.map((e) => [e.seq, e.type])).toEqual([
      [1, 'CREATION'],
      [2, 'SERVICE'],
    ]);
    expect(first.agg.state.services.ENTRETIEN).toBe(1);
    const again = send(first.agg, service, 'h-1');
    expect(again.decision.kind).toBe('duplicate');
    expect(again.agg).toBe(first.agg);
    const reused = send(first.agg, { ...service, date: '2026-03-11' }, 'h-2');
    expect(reused.decision).toMatchObject({ kind: 'refused', error: { code: 'EVENT_ID_CONFLICT' } });
  });

  it('hides the period from another operator before anything else, even a used eventId', () => {
    const { agg } = send(open(), service, 'h-1');
    expect(send(agg, service, 'h-1', other).decision).toMatchObject({
      kind: 'refused',
      error: { code: 'NOT_FOUND' },
    });
  });

  it('takes the same fact told again under a new id as a confirmation, changing nothing', () => {
    const closure: CepEvent = { eventId: 'c-1', type: 'CLOTURE', date: '2026-06-01', motif: 'ACCES_EMPLOI' };
    const closed = send(open(), closure, 'h-close').agg;
    const told = send(closed, { ...closure, eventId: 'c-2' }, 'h-close');
    expect(told.decision.kind).toBe('confirmation');
    expect(told.agg.state).toEqual(closed.state);
    expect(told.agg.unledgered.at(-1)).toMatchObject({ eventId: 'c-2', confirmation: true, seq: 3 });
  });

  it('forgets ledgered entries and carries only the last run ids', () => {
    const { agg } = send(open(), service, 'h-1');
    expect(ledgered(agg, 2).unledgered).toEqual([]);
    const carried = carryOver(ledgered(agg, 2), ['e-1']);
    expect(carried.seen).toEqual({ 'e-1': 'h-1' });
    expect(carried.seenAll).toBe(false);
    // Without the ledger's word, an unknown id cannot be told from an old one.
    const unknown = send(carried, { ...service, eventId: 'e-9' }, 'h-9');
    expect(unknown.decision).toMatchObject({ kind: 'refused', error: { code: 'UNAVAILABLE' } });
    expect(unknown.decision.kind === 'refused' && unknown.decision.error.message).toContain(
      "the period's record",
    );
  });
});
