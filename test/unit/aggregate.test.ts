import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import type { DossierAggregate, EventCommand } from '../../domain/dossier-aggregate';
import { applyDecision, createAggregate, creationOf, decide } from '../../domain/dossier-aggregate';
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
  return { decision: d, agg: applyDecision(agg, c, d) };
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
  it('records the creation as the first history entry and remembers its eventId', () => {
    const agg = fresh();
    expect(agg.history).toHaveLength(1);
    expect(agg.history[0]).toMatchObject({ seq: 1, type: 'CREATION', source: SIRETS.region84 });
    expect(creationOf(agg).eventId).toBe(agg.history[0]?.eventId);
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
    expect(r.agg.history.at(-1)).toMatchObject({
      eventId: 'in-fin',
      type: 'ENTREE',
      confirmation: true,
      source: SIRETS.region84,
    });
    // The same type with other data is refused as usual.
    const other = decide(agg, cmd({ eventId: 'in-fin2', type: 'ENTREE', date: '2026-02-02' }), clock);
    expect(other).toMatchObject({ kind: 'refused', error: { code: 'INVALID_TRANSITION' } });
  });

  it('numbers history entries and stamps them with source and arrival time', () => {
    const r = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' }));
    expect(r.agg.history[1]).toEqual({
      seq: 2,
      eventId: 'v1',
      type: 'VALIDATION',
      date: '2026-01-20',
      receivedAt: '2026-11-29T10:00:00.000Z',
      source: SIRETS.region84,
    });
    expect(r.agg.state.updatedAt).toBe('2026-11-29T10:00:00.000Z');
  });

  it('hides the dossier (NOT_FOUND) from a stranger before looking at the eventId', () => {
    const agg = send(fresh(), cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-20' })).agg;
    const stranger: Actor = { admin: false, partnerId: 'p3', siret: SIRETS.opco, kind: 'OPCO' };
    const d = decide(agg, cmd({ eventId: 'v1', type: 'VALIDATION', date: '2026-01-21' }, stranger), clock);
    expect(d).toMatchObject({ kind: 'refused', error: { code: 'NOT_FOUND' } });
  });
});
