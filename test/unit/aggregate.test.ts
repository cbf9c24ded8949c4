import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import type { DossierAggregate, EventCommand } from '../../domain/dossier-aggregate';
import { applyDecision, carryOver, createAggregate, decide, ledgered } from '../../domain/dossier-aggregate';
import type { DossierEvent } from '../../domain/schemas';
import { bodyHash } from '../../infra/canonical-hash';
import { SIRETS, createBody } from '../helpers/fixtures';

const clock = { now: '2026-11-29T10:00:00.000Z' };
const financeur: Actor = {
  admin: false,
  partnerId: 'p1',
  siret: SIRETS.region84,
  kind: 'REGION',
  region: '84',
};
const organisme: Actor = {
  admin: false,
  partnerId: 'p2',
  siret: SIRETS.organisme,
  kind: 'ORGANISME_FORMATION',
};

function cmd(event: Record<string, unknown>, actor: Actor = financeur): EventCommand {
  const e = event as DossierEvent;
  return { event: e, bodyHash: bodyHash(e), actor, receivedAt: '2026-11-29T10:00:00.000Z' };
}

function send(agg: DossierAggregate, c: EventCommand) {
  const d = decide(agg, c, clock);
  return { decision: d, agg: applyDecision(agg, c, d, clock) };
}

function fresh(): DossierAggregate {
  const body = createBody();
  return createAggregate({
    body,
    bodyHash: bodyHash(body),
    actor: financeur,
    receivedAt: '2026-01-15T08:00:00Z',
  });
}

describe('the dossier aggregate', () => {
  it('records the creation as the first entry for the ledger and remembers its eventId', () => {
    const agg = fresh();
    expect(agg.unledgered).toHaveLength(1);
    expect(agg.unledgered[0]).toMatchObject({ seq: 1, type: 'CREATION', source: SIRETS.region84 });
    expect(agg.creation.eventId).toBe(agg.unledgered[0]?.eventId);
    expect(agg.creation.bodyHash).toBe(agg.unledgered[0]?.bodyHash);
  });

  it('applies a resent eventId with the same body once', () => {
    const c = cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' });
    const first = send(fresh(), c);
    expect(first.decision.kind).toBe('applied');
    const again = send(first.agg, c);
    expect(again.decision.kind).toBe('duplicate');
    expect(again.agg).toBe(first.agg);
  });

  it('refuses a reused eventId with another body with EVENT_ID_CONFLICT', () => {
    const first = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' }));
    const d = decide(first.agg, cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-21' }), clock);
    expect(d).toMatchObject({ kind: 'refused', error: { code: 'EVENT_ID_CONFLICT' } });
  });

  it('takes the same fact from another source as a confirmation: 200, state unchanged, kept in history', () => {
    let agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    agg = send(agg, cmd({ eventId: 'in-of', type: 'ENTREE', date: '2026-02-01' }, organisme)).agg;
    const r = send(agg, cmd({ eventId: 'in-fin', type: 'ENTREE', date: '2026-02-01' }));
    expect(r.decision.kind).toBe('confirmation');
    expect(r.agg.state).toBe(agg.state);
    expect(r.agg.unledgered.at(-1)).toMatchObject({
      eventId: 'in-fin',
      type: 'ENTREE',
      confirmation: true,
      source: SIRETS.region84,
    });
    // The same type with other data is refused as usual.
    const other = decide(agg, cmd({ eventId: 'in-fin2', type: 'ENTREE', date: '2026-02-02' }), clock);
    expect(other).toMatchObject({ kind: 'refused', error: { code: 'INVALID_TRANSITION' } });
  });

  it('numbers history entries and stamps them with source, arrival time and the version after them', () => {
    const r = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' }));
    expect(r.agg.unledgered[0]).toMatchObject({ seq: 1, type: 'CREATION', version: 1 });
    expect(r.agg.unledgered[1]).toEqual({
      seq: 2,
      eventId: 'v1',
      type: 'VALIDATION',
      date: '2026-01-20',
      receivedAt: '2026-11-29T10:00:00.000Z',
      source: SIRETS.region84,
      version: 2,
      bodyHash: bodyHash({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' } as { eventId: string }),
    });
    expect(r.agg.state.updatedAt).toBe('2026-11-29T10:00:00.000Z');
  });

  it('hides the dossier (NOT_FOUND) from a stranger before looking at the eventId', () => {
    const agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    const stranger: Actor = { admin: false, partnerId: 'p3', siret: SIRETS.opco, kind: 'OPCO' };
    const d = decide(agg, cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-21' }, stranger), clock);
    expect(d).toMatchObject({ kind: 'refused', error: { code: 'NOT_FOUND' } });
  });

  it('keeps only the entries the ledger may lack', () => {
    let agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    agg = send(agg, cmd({ eventId: 'e1', type: 'ENTREE', date: '2026-02-01' })).agg;
    expect(agg.unledgered.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(ledgered(agg, 2).unledgered.map((e) => e.seq)).toEqual([3]);
    // What the API read of the ledger comes with the next event: the entries there are dropped.
    const next = {
      ...cmd({ eventId: 'i1', type: 'INTERRUPTION', date: '2026-02-10' }),
      ledger: { eventHash: null, sameFact: false, seq: 3 },
    };
    const r = send(ledgered(agg, next.ledger.seq), next);
    expect(r.agg.unledgered.map((e) => e.seq)).toEqual([4]);
  });

  it('answers an eventId from an earlier run by the ledger: the same body once, another refused', () => {
    let agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    // Two continue-as-new later: neither the creation's nor v1's id is kept.
    agg = carryOver(carryOver(agg, []), []);
    expect(agg.seenAll).toBe(false);
    expect(agg.seen).toEqual({});
    const v1 = cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' });
    const known = { eventHash: v1.bodyHash, sameFact: true, seq: 2 };
    expect(decide(agg, { ...v1, ledger: known }, clock).kind).toBe('duplicate');
    const other = cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-21' });
    expect(decide(agg, { ...other, ledger: known }, clock)).toMatchObject({
      kind: 'refused',
      error: { code: 'EVENT_ID_CONFLICT' },
    });
    // Without the ledger's word an unknown eventId cannot be judged: refused as unavailable (503).
    const fresh2 = cmd({ eventId: 'e1', type: 'ENTREE', date: '2026-02-01' });
    expect(decide(agg, fresh2, clock)).toMatchObject({ kind: 'refused', error: { code: 'UNAVAILABLE' } });
    const unknown = { eventHash: null, sameFact: false, seq: 2 };
    expect(decide(agg, { ...fresh2, ledger: unknown }, clock).kind).toBe('applied');
  });

  it('takes a fact the ledger holds from an earlier run as a confirmation', () => {
    let agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    agg = send(agg, cmd({ eventId: 'in-of', type: 'ENTREE', date: '2026-02-01' }, organisme)).agg;
    agg = carryOver(carryOver(agg, []), []);
    const again = cmd({ eventId: 'in-fin', type: 'ENTREE', date: '2026-02-01' });
    const ledger = { eventHash: null, sameFact: true, seq: 3 };
    expect(decide(agg, { ...again, ledger }, clock).kind).toBe('confirmation');
    expect(decide(agg, { ...again, ledger: { ...ledger, sameFact: false } }, clock)).toMatchObject({
      kind: 'refused',
      error: { code: 'INVALID_TRANSITION' },
    });
  });

  it('carries to the next run the ids of the run that ends, and nothing the ledger holds', () => {
    let agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    agg = send(agg, cmd({ eventId: 'e1', type: 'ENTREE', date: '2026-02-01' })).agg;
    const next = carryOver(agg, ['e1']);
    expect(next.unledgered).toEqual([]);
    expect(Object.keys(next.seen)).toEqual(['e1']);
    expect(next.seenAll).toBe(false);
    expect(next.lastSeq).toBe(3);
    expect(carryOver(agg, [agg.creation.eventId, 'v1', 'e1']).seenAll).toBe(true);
  });
});
