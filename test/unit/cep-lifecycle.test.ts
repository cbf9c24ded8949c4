import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import { authorizeCepEvent, authorizeCepOpen, canSeePeriod } from '../../domain/authorization';
import type { CepStatut, PartnerKind } from '../../domain/code-lists';
import { PARTNER_KINDS } from '../../domain/code-lists';
import {
  CEP_EVENT_RULES,
  cepTransition,
  closeForInactivity,
  inactivityClosureDate,
  MAX_PRESCRIPTIONS,
} from '../../domain/cep-lifecycle';
import type { CepEvent, CepEventType } from '../../domain/cep-schemas';
import { CepEvent as CepEventSchema, OpenPeriodBody } from '../../domain/cep-schemas';
import { CEP_OPERATOR, openPeriodBody } from '../helpers/fixtures';
import type { CepState } from '../../domain/cep-state';
import { createCepState } from '../../domain/cep-state';

const OPERATEUR = CEP_OPERATOR.siret;
const clock = { now: '2026-11-29T10:00:00.000Z' };
let n = 0;
const ev = (e: Record<string, unknown>): CepEvent => ({ eventId: `c${++n}`, ...e }) as CepEvent;

const openBody = openPeriodBody({ departement: '69' });
const opened = () => createCepState(openBody, OPERATEUR, '2026-03-02T09:00:00.000Z');

function run(...events: CepEvent[]): CepState {
  let s = opened();
  for (const e of events) {
    const r = cepTransition(s, e, clock);
    if (!r.ok) throw new Error(`${e.type}: ${r.error.message}`);
    s = r.state;
  }
  return s;
}

const service = (date = '2026-03-10') =>
  ev({ type: 'SERVICE', date, service: 'ENTRETIEN', modalite: 'PRESENTIEL' });
const accompagnement = (date = '2026-04-01') =>
  ev({ type: 'ACCOMPAGNEMENT', date, objectif: 'RECONVERSION' });
const cloture = (date = '2026-09-01') => ev({ type: 'CLOTURE', date, motif: 'ENTREE_FORMATION' });

describe('a CEP period: opening and levels', () => {
  it('opens at level 1, OUVERTE, with no service and the inactivity date six months on', () => {
    const s = opened();
    expect(s).toMatchObject({ statut: 'OUVERTE', niveau: 1, operateurSiret: OPERATEUR, version: 1 });
    expect(Object.values(s.services).every((v) => v === 0)).toBe(true);
    expect(inactivityClosureDate(s)).toBe('2026-09-02');
  });

  it('counts services by type and moves the inactivity date with the latest event', () => {
    const s = run(
      service('2026-03-10'),
      service('2026-05-20'),
      ev({ type: 'SERVICE', date: '2026-04-01', service: 'ATELIER', modalite: 'DISTANCE' }),
    );
    expect(s.services).toMatchObject({ ENTRETIEN: 2, ATELIER: 1, BILAN: 0 });
    expect(s.dates.dernierEvenement).toBe('2026-05-20');
    expect(inactivityClosureDate(s)).toBe('2026-11-20');
  });

  it('reaches level 2 with an accompaniment and its objectif', () => {
    const s = run(accompagnement('2026-04-01'));
    expect(s).toMatchObject({ statut: 'ACCOMPAGNEMENT', niveau: 2, objectif: 'RECONVERSION' });
    expect(s.dates.accompagnement).toBe('2026-04-01');
  });

  it('records prescriptions, EMISE until a dossier follows them, and refuses the same id twice', () => {
    const p = {
      type: 'PRESCRIPTION',
      date: '2026-05-01',
      prescriptionId: 'P-1',
      intitule: 'Titre pro soudeur',
    };
    const s = run(accompagnement(), ev(p));
    expect(s.prescriptions).toEqual([
      { prescriptionId: 'P-1', intitule: 'Titre pro soudeur', date: '2026-05-01', statut: 'EMISE' },
    ]);
    const again = cepTransition(s, ev({ ...p, date: '2026-05-02' }), clock);
    expect(again.ok ? null : again.error.code).toBe('ALREADY_EXISTS');
    // Bounded: past MAX_PRESCRIPTIONS, a new one is refused.
    const full = {
      ...s,
      prescriptions: Array.from({ length: MAX_PRESCRIPTIONS }, (_, i) => ({
        ...s.prescriptions[0]!,
        prescriptionId: `P-${i}`,
      })),
    };
    const more = cepTransition(full, ev({ ...p, prescriptionId: 'P-new' }), clock);
    expect(more.ok ? null : more.error.code).toBe('INVALID_TRANSITION');
  });

  it('closes with the operator motif', () => {
    const s = run(accompagnement(), cloture('2026-09-01'));
    expect(s).toMatchObject({ statut: 'CLOSE', motifCloture: 'ENTREE_FORMATION', niveau: 2 });
    expect(s.dates.cloture).toBe('2026-09-01');
    expect(inactivityClosureDate(s)).toBeNull();
  });
});

describe('a CEP period: every event in every state', () => {
  const states: Record<CepStatut, () => CepState> = {
    OUVERTE: () => opened(),
    ACCOMPAGNEMENT: () => run(accompagnement()),
    CLOSE: () => run(cloture('2026-06-01')),
  };
  // Every event type, written over the type so a new one without its line fails tsc.
  const events: Record<CepEventType, Record<string, unknown>> = {
    SERVICE: { type: 'SERVICE', service: 'BILAN', modalite: 'DISTANCE' },
    ACCOMPAGNEMENT: { type: 'ACCOMPAGNEMENT', objectif: 'INSERTION' },
    PRESCRIPTION: { type: 'PRESCRIPTION', prescriptionId: 'P-9', intitule: 'CAP cuisine' },
    CLOTURE: { type: 'CLOTURE', motif: 'ABANDON' },
    RECTIFICATION: { type: 'RECTIFICATION', changes: { situation: 'AUTRE' } },
  };
  const allowed = new Set([
    'OUVERTE/SERVICE',
    'OUVERTE/ACCOMPAGNEMENT',
    'OUVERTE/PRESCRIPTION',
    'OUVERTE/CLOTURE',
    'OUVERTE/RECTIFICATION',
    'ACCOMPAGNEMENT/SERVICE',
    'ACCOMPAGNEMENT/PRESCRIPTION',
    'ACCOMPAGNEMENT/CLOTURE',
    'ACCOMPAGNEMENT/RECTIFICATION',
    'CLOSE/RECTIFICATION',
  ]);
  for (const [stateName, make] of Object.entries(states)) {
    for (const [type, e] of Object.entries(events)) {
      const pair = `${stateName}/${type}`;
      it(`${allowed.has(pair) ? 'accepts' : 'refuses with INVALID_TRANSITION'} ${type} in ${stateName}`, () => {
        expect(CEP_EVENT_RULES[type as CepEventType].allowedIn.includes(stateName as CepStatut)).toBe(
          allowed.has(pair),
        );
        const r = cepTransition(make(), ev({ ...e, date: '2026-11-01' }), clock);
        if (allowed.has(pair)) expect(r.ok).toBe(true);
        else {
          expect(r.ok ? null : r.error).toMatchObject({
            code: 'INVALID_TRANSITION',
            details: { state: stateName, event: type },
          });
        }
      });
    }
  }

  it('says where an event is allowed', () => {
    const r = cepTransition(
      run(accompagnement()),
      ev({ ...events.ACCOMPAGNEMENT, date: '2026-05-01' }),
      clock,
    );
    expect(r.ok ? '' : r.error.message).toBe(
      'ACCOMPAGNEMENT is not allowed while the period is ACCOMPAGNEMENT; it is allowed in OUVERTE',
    );
  });
});

describe('a CEP period: dates', () => {
  it('refuses an event dated before the opening, and a closure before the accompaniment', () => {
    const before = cepTransition(opened(), service('2026-03-01'), clock);
    expect(before.ok ? null : before.error).toMatchObject({
      code: 'INCOHERENT_DATE',
      details: { previous: '2026-03-02' },
    });
    const early = cepTransition(run(accompagnement('2026-04-01')), cloture('2026-03-20'), clock);
    expect(early.ok ? null : early.error).toMatchObject({
      code: 'INCOHERENT_DATE',
      details: { previous: '2026-04-01' },
    });
  });

  it('refuses a closure dated before an event already recorded', () => {
    const r = cepTransition(run(service('2026-05-20')), cloture('2026-05-10'), clock);
    expect(r.ok ? null : r.error).toMatchObject({
      code: 'INCOHERENT_DATE',
      details: { previous: '2026-05-20' },
    });
  });

  it('refuses a date in the future', () => {
    const r = cepTransition(opened(), service('2026-12-05'), clock);
    expect(r.ok ? null : r.error.code).toBe('INCOHERENT_DATE');
  });

  it('accepts services out of order after the opening: the latest date drives inactivity', () => {
    const s = run(service('2026-06-01'), service('2026-04-01'));
    expect(s.dates.dernierEvenement).toBe('2026-06-01');
  });
});

describe('a CEP period: six months without news', () => {
  it('closes by itself on the latest event + 6 months, motif SANS_NOUVELLES', () => {
    const s = closeForInactivity(run(service('2026-04-10')), clock);
    expect(s).toMatchObject({ statut: 'CLOSE', motifCloture: 'SANS_NOUVELLES' });
    expect(s.dates.cloture).toBe('2026-10-10');
    expect(closeForInactivity(s, clock)).toBe(s);
  });

  it('records late news dated before that closure without reopening the period', () => {
    const closed = closeForInactivity(run(service('2026-04-10')), clock);
    const late = cepTransition(closed, service('2026-09-30'), clock);
    expect(late.ok).toBe(true);
    if (late.ok) expect(late.state).toMatchObject({ statut: 'CLOSE', services: { ENTRETIEN: 2 } });
    const lateLevel2 = cepTransition(closed, accompagnement('2026-05-01'), clock);
    if (!lateLevel2.ok) throw new Error(lateLevel2.error.message);
    expect(lateLevel2.state).toMatchObject({ statut: 'CLOSE', niveau: 2, objectif: 'RECONVERSION' });
    const earlierClosure = cepTransition(closed, cloture('2026-08-01'), clock);
    if (!earlierClosure.ok) throw new Error(earlierClosure.error.message);
    expect(earlierClosure.state).toMatchObject({ statut: 'CLOSE', motifCloture: 'ENTREE_FORMATION' });
    expect(earlierClosure.state.dates.cloture).toBe('2026-08-01');
  });

  it('judges late news in the state the period closed in', () => {
    const closedAtLevel2 = closeForInactivity(run(accompagnement('2026-04-10')), clock);
    const again = cepTransition(closedAtLevel2, accompagnement('2026-05-01'), clock);
    expect(again.ok ? null : again.error).toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('refuses news dated after that closure, and any news after an operator closure', () => {
    const closed = closeForInactivity(run(service('2026-04-10')), clock);
    const after = cepTransition(closed, service('2026-10-11'), clock);
    expect(after.ok ? null : after.error.code).toBe('INVALID_TRANSITION');
    const onTheDay = cepTransition(closed, service('2026-10-10'), clock);
    expect(onTheDay.ok ? null : onTheDay.error.code).toBe('INVALID_TRANSITION');
    const byOperator = cepTransition(run(cloture('2026-06-01')), service('2026-05-01'), clock);
    expect(byOperator.ok ? null : byOperator.error.code).toBe('INVALID_TRANSITION');
  });
});

describe('a CEP period: rectification', () => {
  it('corrects the operator declarations with before and after; a correction is news too', () => {
    const s = run(service('2026-05-01'));
    const r = cepTransition(
      s,
      ev({
        type: 'RECTIFICATION',
        date: '2026-06-01',
        changes: { situation: 'ACTIF_OCCUPE', beneficiaire: { nom: 'Martin-Durand' } },
      }),
      clock,
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.state).toMatchObject({
      situation: 'ACTIF_OCCUPE',
      beneficiaire: { nom: 'Martin-Durand', prenom: 'Léa' },
    });
    expect(r.entry).toEqual({
      before: { situation: 'DEMANDEUR_EMPLOI', 'beneficiaire.nom': 'Martin' },
      after: { situation: 'ACTIF_OCCUPE', 'beneficiaire.nom': 'Martin-Durand' },
    });
    // No event for six months closes the period (CONTRACT.md): a correction is an event.
    expect(r.state.dates.dernierEvenement).toBe('2026-06-01');
  });

  it('refuses a correction that changes nothing, a closure corrected on an open period, an incoherent closure', () => {
    const same = cepTransition(
      opened(),
      ev({ type: 'RECTIFICATION', date: '2026-04-01', changes: { region: '84' } }),
      clock,
    );
    expect(same.ok ? null : same.error.code).toBe('VALIDATION_ERROR');
    const open = cepTransition(
      opened(),
      ev({ type: 'RECTIFICATION', date: '2026-04-01', changes: { motifCloture: 'AUTRE' } }),
      clock,
    );
    expect(open.ok ? null : open.error.code).toBe('INVALID_TRANSITION');
    const closed = run(cloture('2026-06-01'));
    const incoherent = cepTransition(
      closed,
      ev({ type: 'RECTIFICATION', date: '2026-07-01', changes: { dates: { cloture: '2026-01-01' } } }),
      clock,
    );
    expect(incoherent.ok ? null : incoherent.error.code).toBe('INCOHERENT_DATE');
    const fixed = cepTransition(
      closed,
      ev({ type: 'RECTIFICATION', date: '2026-07-01', changes: { motifCloture: 'ACCES_EMPLOI' } }),
      clock,
    );
    expect(fixed.ok && fixed.state.motifCloture).toBe('ACCES_EMPLOI');
  });
});

describe('CEP bodies', () => {
  it('refuses a period that continues itself, an unknown situation and a SANS_NOUVELLES closure sent by a partner', () => {
    expect(OpenPeriodBody.safeParse({ ...openBody, periodePrecedente: openBody.periodeId }).success).toBe(
      false,
    );
    expect(OpenPeriodBody.safeParse({ ...openBody, situation: 'RETRAITE' }).success).toBe(false);
    expect(
      CepEventSchema.safeParse({ eventId: 'x', type: 'CLOTURE', date: '2026-05-01', motif: 'SANS_NOUVELLES' })
        .success,
    ).toBe(false);
    expect(
      CepEventSchema.safeParse({ eventId: 'x', type: 'SERVICE', date: '2026-05-01', service: 'ENTRETIEN' })
        .success,
    ).toBe(false);
  });
});

describe('CEP authorization', () => {
  const partner = (kind: PartnerKind, siret = OPERATEUR): Actor => ({
    admin: false,
    partnerId: 'p',
    siret,
    kind,
  });
  it.each(PARTNER_KINDS)('%s opening a period', (kind) => {
    const operator = kind === 'CEP_OPERATEUR' || kind === 'FRANCE_TRAVAIL';
    expect(authorizeCepOpen(partner(kind))?.code ?? null).toBe(operator ? null : 'FORBIDDEN');
  });

  it('shows a period to its operator and the platform only; others get NOT_FOUND', () => {
    expect(canSeePeriod(partner('CEP_OPERATEUR'), OPERATEUR)).toBe(true);
    expect(canSeePeriod({ admin: true }, OPERATEUR)).toBe(true);
    expect(authorizeCepOpen({ admin: true })?.code).toBe('FORBIDDEN');
    expect(canSeePeriod(partner('CEP_OPERATEUR', '99999999900011'), OPERATEUR)).toBe(false);
    expect(authorizeCepEvent(partner('REGION', '99999999900011'), OPERATEUR)?.code).toBe('NOT_FOUND');
    expect(authorizeCepEvent(partner('CEP_OPERATEUR'), OPERATEUR)).toBeNull();
  });
});
