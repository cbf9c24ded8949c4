import { describe, expect, it } from 'vitest';
import { createState } from '../../domain/dossier-state';
import type { DossierState } from '../../domain/dossier-state';
import { defaultRealisation, transition } from '../../domain/lifecycle';
import type { EventType, RecordEvent } from '../../domain/schemas';
import { SIRETS, createBody } from '../helpers/fixtures';

const clock = { now: '2026-11-29T10:00:00.000Z' };
let n = 0;
const ev = (e: Record<string, unknown>): RecordEvent => ({ eventId: `e${++n}`, ...e }) as RecordEvent;

function run(...events: RecordEvent[]): DossierState {
  let state = createState(createBody({ remunerateurSiret: SIRETS.franceTravail }), '2026-01-15T08:00:00Z');
  for (const e of events) {
    const r = transition(state, e, clock);
    if (!r.ok) throw new Error(`${e.type}: ${r.error.code} ${r.error.message}`);
    state = r.state;
  }
  return state;
}

const validation = ev({ type: 'VALIDATION', date: '2026-01-20' });
const entree = ev({ type: 'ENTREE', date: '2026-02-01' });
const sortie = (motif = 'FIN_FORMATION') => ev({ type: 'SORTIE', date: '2026-09-30', motif });

describe('transition: the happy path', () => {
  it('goes EN_COURS_ELABORATION -> VALIDE -> ENTRE -> SORTI -> CLOS and bumps the version each time', () => {
    const s = run(validation, entree, sortie(), ev({ type: 'CLOTURE', date: '2026-10-05' }));
    expect(s.status).toBe('CLOS');
    expect(s.issue).toBe('REALISATION_TOTALE');
    expect(s.version).toBe(5);
    expect(s.dates).toEqual({
      creation: '2026-01-15',
      validation: '2026-01-20',
      entree: '2026-02-01',
      sortie: '2026-09-30',
      cloture: '2026-10-05',
    });
  });

  it('VALIDATION replaces the financements when it carries them', () => {
    const fin = [{ financeurSiret: '23840001500018', montantEngage: 7000 }];
    expect(run(ev({ type: 'VALIDATION', date: '2026-01-20', financements: fin })).financements).toEqual(fin);
  });

  it('interrupts and resumes any number of times while ENTRE', () => {
    const s = run(
      validation,
      entree,
      ev({ type: 'INTERRUPTION', date: '2026-03-01', motif: 'maladie' }),
      ev({ type: 'REPRISE', date: '2026-03-10' }),
      ev({ type: 'INTERRUPTION', date: '2026-04-01' }),
    );
    expect(s.interrompu).toBe(true);
    expect(s.interruptions).toEqual([
      { date: '2026-03-01', motif: 'maladie', reprise: '2026-03-10' },
      { date: '2026-04-01', reprise: null },
    ]);
    expect(
      run(
        validation,
        entree,
        ev({ type: 'INTERRUPTION', date: '2026-03-01' }),
        ev({ type: 'REPRISE', date: '2026-03-02' }),
      ).interrompu,
    ).toBe(false);
  });

  it('SORTIE while interrupted ends the interruption', () => {
    const s = run(validation, entree, ev({ type: 'INTERRUPTION', date: '2026-03-01' }), sortie('ABANDON'));
    expect(s.status).toBe('SORTI');
    expect(s.interrompu).toBe(false);
    expect(s.sortie).toEqual({ motif: 'ABANDON' });
  });
});

describe('transition: outcomes', () => {
  it.each([
    ['FIN_FORMATION', 'REALISATION_TOTALE'],
    ['ACCES_EMPLOI', 'REALISATION_TOTALE'],
    ['ABANDON', 'REALISATION_PARTIELLE'],
    ['EXCLUSION', 'REALISATION_PARTIELLE'],
    ['AUTRE', 'REALISATION_PARTIELLE'],
  ])('CLOTURE after SORTIE %s without realisation gives %s', (motif, issue) => {
    expect(run(validation, entree, sortie(motif), ev({ type: 'CLOTURE', date: '2026-10-01' })).issue).toBe(
      issue,
    );
  });

  it('CLOTURE with realisation takes it', () => {
    expect(
      run(
        validation,
        entree,
        sortie('ABANDON'),
        ev({ type: 'CLOTURE', date: '2026-10-01', realisation: 'TOTALE' }),
      ).issue,
    ).toBe('REALISATION_TOTALE');
  });

  it('CLOTURE before entry gives NON_REALISEE, and refuses TOTALE', () => {
    expect(run(validation, ev({ type: 'CLOTURE', date: '2026-01-25' })).issue).toBe('NON_REALISEE');
    const s = run(validation);
    const r = transition(s, ev({ type: 'CLOTURE', date: '2026-01-25', realisation: 'TOTALE' }), clock);
    expect(r.ok).toBe(false);
  });

  it('ANNULATION before entry closes as NON_REALISEE', () => {
    const s = run(ev({ type: 'ANNULATION', date: '2026-01-16', motif: 'désistement' }));
    expect(s.status).toBe('CLOS');
    expect(s.issue).toBe('NON_REALISEE');
    expect(run(validation, ev({ type: 'ANNULATION', date: '2026-01-21' })).issue).toBe('NON_REALISEE');
  });

  it('CLOTURE records montantsRealises per financeur and refuses an unknown financeur', () => {
    const s = run(
      validation,
      entree,
      sortie(),
      ev({
        type: 'CLOTURE',
        date: '2026-10-01',
        montantsRealises: [{ financeurSiret: '23840001500018', montant: 6000 }],
      }),
    );
    expect(s.financements[0]).toMatchObject({
      financeurSiret: '23840001500018',
      montantEngage: 6400,
      montantRealise: 6000,
    });
    const r = transition(
      run(validation, entree, sortie()),
      ev({
        type: 'CLOTURE',
        date: '2026-10-01',
        montantsRealises: [{ financeurSiret: '12345678200010', montant: 1 }],
      }),
      clock,
    );
    expect(r.ok || r.error.code).toBe('VALIDATION_ERROR');
  });

  it('defaultRealisation follows the contract', () => {
    expect(defaultRealisation(null)).toBe('NON_REALISEE');
    expect(defaultRealisation('FIN_FORMATION')).toBe('TOTALE');
    expect(defaultRealisation('ABANDON')).toBe('PARTIELLE');
  });
});

describe('transition: refusals', () => {
  const states: Record<string, () => DossierState> = {
    EN_COURS_ELABORATION: () => run(),
    VALIDE: () => run(validation),
    ENTRE: () => run(validation, entree),
    ENTRE_INTERROMPU: () => run(validation, entree, ev({ type: 'INTERRUPTION', date: '2026-03-01' })),
    SORTI: () => run(validation, entree, sortie()),
    CLOS: () => run(validation, entree, sortie(), ev({ type: 'CLOTURE', date: '2026-10-01' })),
  };
  // Every event type but RECTIFICATION (allowed everywhere) and the payments and ends of pay (they
  // need a period of pay: test/unit/dossier-pay.test.ts): a new type without its line fails tsc.
  const events: Record<
    Exclude<EventType, 'RECTIFICATION' | 'REMUNERATION_PAIEMENT' | 'REMUNERATION_FIN'>,
    Record<string, unknown>
  > = {
    VALIDATION: { type: 'VALIDATION' },
    ENTREE: { type: 'ENTREE' },
    INTERRUPTION: { type: 'INTERRUPTION' },
    REPRISE: { type: 'REPRISE' },
    SORTIE: { type: 'SORTIE', motif: 'FIN_FORMATION' },
    CLOTURE: { type: 'CLOTURE' },
    ANNULATION: { type: 'ANNULATION' },
    REMUNERATION_DEBUT: { type: 'REMUNERATION_DEBUT', regime: 'RFPE', montantMensuel: 685 },
    CERTIFICATION: {
      type: 'CERTIFICATION',
      certification: 'RNCP37674',
      obtention: 'TOTALE',
      blocs: [],
      modaliteAcces: 'FORMATION_CONTINUE',
    },
  };
  // The allowed (state, event) pairs of CONTRACT.md; every other pair is INVALID_TRANSITION.
  const allowed = new Set([
    'EN_COURS_ELABORATION/VALIDATION',
    'EN_COURS_ELABORATION/CLOTURE',
    'EN_COURS_ELABORATION/ANNULATION',
    'VALIDE/ENTREE',
    'VALIDE/CLOTURE',
    'VALIDE/ANNULATION',
    'ENTRE/INTERRUPTION',
    'ENTRE/SORTIE',
    'ENTRE_INTERROMPU/REPRISE',
    'ENTRE_INTERROMPU/SORTIE',
    'SORTI/CLOTURE',
    'VALIDE/REMUNERATION_DEBUT',
    'ENTRE/REMUNERATION_DEBUT',
    'ENTRE_INTERROMPU/REMUNERATION_DEBUT',
    ...Object.keys(states).map((s) => `${s}/CERTIFICATION`),
  ]);
  for (const [stateName, make] of Object.entries(states)) {
    for (const [eventName, e] of Object.entries(events)) {
      const pair = `${stateName}/${eventName}`;
      it(`${allowed.has(pair) ? 'accepts' : 'refuses with INVALID_TRANSITION'} ${eventName} in ${stateName}`, () => {
        const state = make();
        const r = transition(state, ev({ ...e, date: '2026-11-01' }), clock);
        if (allowed.has(pair)) {
          expect(r.ok).toBe(true);
        } else {
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(r.error.code).toBe('INVALID_TRANSITION');
            expect(r.error.details).toEqual({
              state: state.status,
              interrompu: state.interrompu,
              event: eventName,
            });
          }
        }
      });
    }
  }

  it('refuses ENTREE dated before the validation with INCOHERENT_DATE', () => {
    const r = transition(run(validation), ev({ type: 'ENTREE', date: '2026-01-19' }), clock);
    expect(r).toMatchObject({
      ok: false,
      error: {
        code: 'INCOHERENT_DATE',
        details: { field: 'date', date: '2026-01-19', previous: '2026-01-20' },
      },
    });
  });

  it('refuses SORTIE before ENTREE and REPRISE before the interruption', () => {
    expect(
      transition(run(validation, entree), ev({ type: 'SORTIE', date: '2026-01-31', motif: 'AUTRE' }), clock),
    ).toMatchObject({
      ok: false,
      error: { code: 'INCOHERENT_DATE' },
    });
    const s = run(validation, entree, ev({ type: 'INTERRUPTION', date: '2026-03-05' }));
    expect(transition(s, ev({ type: 'REPRISE', date: '2026-03-04' }), clock)).toMatchObject({
      ok: false,
      error: { code: 'INCOHERENT_DATE', details: { previous: '2026-03-05' } },
    });
  });

  it('accepts an event dated tomorrow and refuses one dated the day after', () => {
    expect(transition(run(), ev({ type: 'VALIDATION', date: '2026-11-30' }), clock).ok).toBe(true);
    expect(transition(run(), ev({ type: 'VALIDATION', date: '2026-12-01' }), clock)).toMatchObject({
      ok: false,
      error: {
        code: 'INCOHERENT_DATE',
        details: { field: 'date', date: '2026-12-01', previous: '2026-11-30' },
      },
    });
  });

  it('refuses nothing and changes nothing on refusal: the input state is untouched', () => {
    const s = run(validation);
    const copy = structuredClone(s);
    transition(s, ev({ type: 'SORTIE', date: '2026-03-01', motif: 'AUTRE' }), clock);
    expect(s).toEqual(copy);
  });
});

describe('transition: RECTIFICATION', () => {
  it('is allowed in every state and records before and after', () => {
    const s = run(validation, entree, sortie(), ev({ type: 'CLOTURE', date: '2026-10-01' }));
    const r = transition(
      s,
      ev({
        type: 'RECTIFICATION',
        date: '2026-10-02',
        changes: { dates: { entree: '2026-02-03' }, stagiaire: { nom: 'Martin-Dupont' } },
      }),
      clock,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.state.status).toBe('CLOS');
    expect(r.state.dates.entree).toBe('2026-02-03');
    expect(r.state.stagiaire.nom).toBe('Martin-Dupont');
    expect(r.entry.before).toEqual({ dates: { entree: '2026-02-01' }, stagiaire: { nom: 'Martin' } });
    expect(r.entry.after).toEqual({ dates: { entree: '2026-02-03' }, stagiaire: { nom: 'Martin-Dupont' } });
  });

  it('refuses a correction that breaks the order of the dates', () => {
    const s = run(validation, entree);
    const r = transition(
      s,
      ev({ type: 'RECTIFICATION', date: '2026-03-01', changes: { dates: { entree: '2026-01-10' } } }),
      clock,
    );
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'INCOHERENT_DATE', details: { field: 'dates.entree' } },
    });
  });

  it('refuses correcting a date the dossier does not have yet', () => {
    const r = transition(
      run(),
      ev({ type: 'RECTIFICATION', date: '2026-02-01', changes: { dates: { sortie: '2026-02-01' } } }),
      clock,
    );
    expect(r).toMatchObject({ ok: false, error: { code: 'INCOHERENT_DATE' } });
  });

  it('corrects action fields and amounts', () => {
    const fin = [{ financeurSiret: '23840001500018', montantEngage: 5000 }];
    const r = transition(
      run(validation),
      ev({
        type: 'RECTIFICATION',
        date: '2026-01-21',
        changes: { action: { dureeHeures: 700 }, financements: fin },
      }),
      clock,
    );
    expect(r.ok && r.state.action.dureeHeures).toBe(700);
    expect(r.ok && r.state.financements).toEqual(fin);
    expect(r.ok && r.entry.before).toEqual({
      action: { dureeHeures: 800 },
      financements: [{ financeurSiret: '23840001500018', montantEngage: 6400 }],
    });
  });
});
