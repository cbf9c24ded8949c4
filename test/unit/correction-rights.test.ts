import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/authorization';
import { CORRECTION_RIGHTS, authorizeCorrection } from '../../domain/correction-rights';
import type { DossierAggregate, EventCommand } from '../../domain/dossier-aggregate';
import { applyDecision, createAggregate, decide } from '../../domain/dossier-aggregate';
import { partiesOf } from '../../domain/dossier-state';
import type { DossierEvent, RectificationChanges } from '../../domain/schemas';
import { bodyHash } from '../../infra/canonical-hash';
import { SIRETS, createBody } from '../helpers/fixtures';

const clock = { now: '2026-11-29T10:00:00.000Z' };
const financeur: Actor = {
  admin: false,
  partnerId: 'f',
  siret: SIRETS.region84,
  kind: 'REGION',
  region: '84',
};
const cofinanceur: Actor = { admin: false, partnerId: 'o', siret: SIRETS.opco, kind: 'OPCO' };
const organisme: Actor = {
  admin: false,
  partnerId: 'of',
  siret: SIRETS.organisme,
  kind: 'ORGANISME_FORMATION',
};

/** An exited dossier funded by the Region and an OPCO: every field has something to correct. */
function exited(): DossierAggregate {
  const body = createBody({
    financements: [
      { financeurSiret: SIRETS.region84, montantEngage: 6400 },
      { financeurSiret: SIRETS.opco, montantEngage: 1000 },
    ],
  });
  let agg = createAggregate({ body, bodyHash: bodyHash(body), actor: financeur, receivedAt: clock.now });
  for (const e of [
    { eventId: 'v', type: 'VALIDATION', date: '2026-01-20' },
    { eventId: 'e', type: 'ENTREE', date: '2026-02-01' },
    { eventId: 's', type: 'SORTIE', date: '2026-09-30', motif: 'FIN_FORMATION' },
  ] as DossierEvent[]) {
    const cmd = { event: e, bodyHash: bodyHash(e), actor: financeur, receivedAt: clock.now };
    agg = applyDecision(agg, cmd, decide(agg, cmd, clock), clock);
  }
  return agg;
}

/** A correction of one field, with a value the schema accepts. */
const VALUES: Record<string, Record<string, unknown>> = {
  dates: {
    creation: '2026-01-10',
    validation: '2026-01-21',
    entree: '2026-02-02',
    sortie: '2026-09-29',
    cloture: '2026-10-01',
  },
  stagiaire: { nom: 'Durand', prenom: 'Lou', dateNaissance: '1990-01-01' },
  organisme: { raisonSociale: 'Centre Renommé' },
  action: {
    intitule: 'Autre titre',
    dispositif: 'AIF',
    objectif: 'QUALIFIANTE',
    certification: 'RNCP1',
    nsf: '330',
    region: '11',
    departement: '75',
    qpv: true,
    dateDebutPrevue: '2026-02-02',
    dateFinPrevue: '2026-10-01',
    dureeHeures: 700,
  },
  sortie: { motif: 'ABANDON', heuresRealisees: 120 },
  // A field of its own (not a group): corrected as `changes.remunerateurSiret`.
  remunerateurSiret: { '': '18004315000015' },
};

describe('who corrects what: the whole matrix of sender x field', () => {
  const agg = exited();
  for (const [group, fields] of Object.entries(CORRECTION_RIGHTS)) {
    if (fields === 'by line') continue;
    const plain = Array.isArray(fields);
    for (const [field, rights] of plain ? [['', fields] as const] : Object.entries(fields)) {
      const value = VALUES[group]![field];
      const changes = (plain ? { [group]: value } : { [group]: { [field]: value } }) as RectificationChanges;
      const path = plain ? `changes.${group}` : `changes.${group}.${field}`;
      for (const [name, actor, as] of [
        ['the organisme', organisme, 'organisme'],
        ['a financeur', financeur, 'financeur'],
        ['a co-financeur', cofinanceur, 'financeur'],
      ] as const) {
        const allowed = (rights as readonly string[]).includes(as);
        it(`${name} correcting ${group}.${field}: ${allowed ? 'allowed' : '403'}`, () => {
          const denied = authorizeCorrection(actor, agg.state, changes);
          if (allowed) expect(denied).toBeNull();
          else
            expect(denied).toMatchObject({
              code: 'FORBIDDEN',
              details: [{ path }],
            });
        });
      }
      it(`the admin correcting ${group}.${field}: allowed`, () => {
        expect(authorizeCorrection({ admin: true }, agg.state, changes)).toBeNull();
      });
    }
  }

  const lines = (region: number, opco: number | null, extra?: string) => ({
    financements: [
      { financeurSiret: SIRETS.region84, montantEngage: region },
      ...(opco === null ? [] : [{ financeurSiret: SIRETS.opco, montantEngage: opco }]),
      ...(extra ? [{ financeurSiret: extra, montantEngage: 50 }] : []),
    ],
  });
  it.each([
    ['its own line changed', financeur, lines(7000, 1000), null],
    ["a new co-financeur's line added", financeur, lines(6400, 1000, SIRETS.franceTravail), null],
    [
      "another financeur's line changed",
      financeur,
      lines(6400, 2000),
      ['changes.financements[' + SIRETS.opco + ']'],
    ],
    [
      "another financeur's line removed",
      financeur,
      lines(6400, null),
      ['changes.financements[' + SIRETS.opco + ']'],
    ],
    ["the other's own line changed", cofinanceur, lines(6400, 1500), null],
    ['any line, by the organisme', organisme, lines(6400, 1000, SIRETS.organisme), ['changes.financements']],
  ] as const)('financements: %s', (_what, actor, changes, refused) => {
    const denied = authorizeCorrection(actor, exited().state, changes);
    if (refused === null) expect(denied).toBeNull();
    else expect(denied?.details).toEqual(refused.map((path) => ({ path, message: expect.any(String) })));
  });

  it('lists every field refused at once', () => {
    const denied = authorizeCorrection(organisme, exited().state, {
      action: { region: '11' },
      financements: [{ financeurSiret: SIRETS.organisme, montantEngage: 1 }],
      sortie: { heuresRealisees: 3 },
    });
    expect((denied?.details as { path: string }[]).map((d) => d.path)).toEqual([
      'changes.action.region',
      'changes.financements',
    ]);
  });
});

describe('parties', () => {
  const senders: Actor[] = [
    organisme,
    // A Region that sees the dossier through its territory only, and a stranger.
    { admin: false, partnerId: 'r', siret: '23110001500011', kind: 'REGION', region: '84' },
    { admin: false, partnerId: 'x', siret: SIRETS.franceTravail, kind: 'FRANCE_TRAVAIL' },
  ];
  const arbChanges = fc.record(
    {
      action: fc.record({ region: fc.constantFrom('84', '11'), dispositif: fc.constantFrom('PRF', 'AIF') }),
      financements: fc.array(
        fc.record({
          financeurSiret: fc.constantFrom(
            SIRETS.organisme,
            SIRETS.region84,
            SIRETS.opco,
            SIRETS.franceTravail,
          ),
          montantEngage: fc.integer({ min: 0, max: 10_000 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      organisme: fc.record({ raisonSociale: fc.constantFrom('A', 'B') }),
      sortie: fc.record({ heuresRealisees: fc.integer({ min: 0, max: 900 }) }),
    },
    { requiredKeys: [] },
  );
  const arbEvent = fc.oneof(
    fc.constantFrom(
      ...(['VALIDATION', 'ENTREE', 'INTERRUPTION', 'REPRISE', 'CLOTURE', 'ANNULATION'] as const).map(
        (type) => ({
          type,
        }),
      ),
    ),
    fc.constant({ type: 'SORTIE', motif: 'FIN_FORMATION' }),
    fc.record({
      type: fc.constant('VALIDATION'),
      financements: fc.constant([{ financeurSiret: SIRETS.organisme, montantEngage: 1 }]),
    }),
    arbChanges.map((changes) => ({ type: 'RECTIFICATION', changes })),
  );

  it('are never changed by any sequence of events from partners that are not financeurs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...senders), arbEvent), { maxLength: 25 }), (events) => {
        let agg = exited();
        const before = partiesOf(agg.state);
        events.forEach(([actor, e], i) => {
          const event = { eventId: `x${i}`, date: '2026-10-01', ...e } as DossierEvent;
          const cmd: EventCommand = { event, bodyHash: bodyHash(event), actor, receivedAt: clock.now };
          agg = applyDecision(agg, cmd, decide(agg, cmd, clock), clock);
        });
        expect(partiesOf(agg.state)).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });
});
