import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, ev, nir, siret, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/** CONTRACT.md, "CEP periods": the routes, on the real stack (Temporal and PostgreSQL). */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let ml: P;
let ft: P;
let region: P;
let of: P;
beforeAll(async () => {
  stack = await startStack();
  ml = await stack.partner('CEP_OPERATEUR');
  ft = await stack.partner('FRANCE_TRAVAIL');
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
}, 120_000);
afterAll(async () => stack?.stop());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const person = () => ({
  nir: nir(`1${String(randomInt(10 ** 11, 10 ** 12))}0`.slice(0, 13)),
  nom: 'Durand',
  prenom: 'Sam',
  dateNaissance: '2001-06-14',
});
const opening = (over: Record<string, unknown> = {}) => ({
  eventId: `o-${uid()}`,
  periodeId: `ML-69-${uid()}`,
  date: day(-60),
  beneficiaire: person(),
  situation: 'DEMANDEUR_EMPLOI',
  region: '84',
  departement: '69',
  ...over,
});

/** Until `check` passes on the answer of `read` (the record is written a moment after the event). */
async function eventually<T>(read: () => Promise<T>, check: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('CEP periods', () => {
  it('registers a CEP operator with its network, and only it', async () => {
    const body = { siret: siret('7777777700001'), name: 'Mission locale', kind: 'CEP_OPERATEUR' };
    const missing = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, body);
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('body.reseau');
    const misplaced = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      ...body,
      kind: 'OPCO',
      reseau: 'APEC',
    });
    expect(misplaced.status).toBe(400);
    const list = await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN);
    const mine = list.body.items.find((p: { siret: string }) => p.siret === ml.siret);
    expect(mine).toMatchObject({ kind: 'CEP_OPERATEUR', reseau: 'MISSION_LOCALE' });
  });

  it('opens a period once: the same opening answers 200, another on its id 409', async () => {
    const body = opening();
    const first = await stack.call('POST', '/v1/cep/periodes', ml.token, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      periodeId: body.periodeId,
      statut: 'OUVERTE',
      niveau: 1,
      operateurSiret: ml.siret,
      services: { ENTRETIEN: 0, ATELIER: 0, PRESTATION: 0, BILAN: 0, AUTRE: 0 },
      prescriptions: [],
      formations: [],
      // The follow-up's points wait for the closure that dates them.
      suivi: ['FERMETURE', 'M6', 'M12'].map((point) => ({
        point,
        date: null,
        mois: null,
        emploi: { statut: 'EN_ATTENTE' },
        formation: false,
      })),
      periodePrecedente: null,
      periodesSuivantes: [],
    });
    // An answer never carries the full NIR: that is a read of its own, audited.
    expect(first.body.beneficiaire.nir).toBeUndefined();
    expect(first.body.beneficiaire.nirMasque).toMatch(/^\d.*\*/);

    const again = await stack.call('POST', '/v1/cep/periodes', ml.token, body);
    expect(again.status).toBe(200);
    expect(again.body.periodeId).toBe(body.periodeId);

    const other = await stack.call('POST', '/v1/cep/periodes', ml.token, { ...body, eventId: `o-${uid()}` });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('ALREADY_EXISTS');
    const changed = await stack.call('POST', '/v1/cep/periodes', ml.token, { ...body, situation: 'AUTRE' });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('EVENT_ID_CONFLICT');
    // Another operator may not take the id either, nor learn more than that it is taken.
    const taken = await stack.call('POST', '/v1/cep/periodes', ft.token, body);
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('ALREADY_EXISTS');
  });

  it('refuses openings that are not an operator’s or that are malformed, and logs them', async () => {
    expect((await stack.call('POST', '/v1/cep/periodes', ADMIN_TOKEN, opening())).status).toBe(403);
    const byRegion = await stack.call('POST', '/v1/cep/periodes', region.token, opening());
    expect(byRegion.status).toBe(403);
    expect(byRegion.body.error.code).toBe('FORBIDDEN');
    const future = await stack.call('POST', '/v1/cep/periodes', ml.token, opening({ date: day(30) }));
    expect(future.status).toBe(409);
    expect(future.body.error.code).toBe('INCOHERENT_DATE');
    const bad = await stack.call('POST', '/v1/cep/periodes', ml.token, opening({ situation: 'RETRAITE' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.situation');
    const unborn = await stack.call(
      'POST',
      '/v1/cep/periodes',
      ml.token,
      opening({ beneficiaire: { ...person(), dateNaissance: day(-10) } }),
    );
    expect(unborn.status).toBe(400);
    expect(unborn.body.error.details[0].path).toBe('body.beneficiaire.dateNaissance');
    const unknown = await stack.call(
      'POST',
      '/v1/cep/periodes',
      ml.token,
      opening({ periodePrecedente: 'NOPE-1' }),
    );
    expect(unknown.status).toBe(409);
    expect(unknown.body.error.code).toBe('NO_MATCH');

    const log = await stack.call('GET', '/v1/quality/rejections', ml.token);
    const mine = log.body.items.filter((r: { periodeId?: string }) => r.periodeId !== undefined);
    expect(mine.map((r: { code: string }) => r.code)).toEqual(
      expect.arrayContaining(['INCOHERENT_DATE', 'VALIDATION_ERROR', 'NO_MATCH']),
    );
    expect(mine.every((r: { type: string }) => r.type === 'CREATION')).toBe(true);
  });

  it('takes the operator’s events: services, accompaniment, prescriptions; refuses the rest', async () => {
    const body = opening();
    await stack.call('POST', '/v1/cep/periodes', ml.token, body);
    const path = `/v1/cep/periodes/${body.periodeId}/events`;
    const service = ev('SERVICE', day(-50), { service: 'ENTRETIEN', modalite: 'PRESENTIEL' });
    const s1 = await stack.call('POST', path, ml.token, service);
    expect(s1.status).toBe(200);
    expect(s1.body.services.ENTRETIEN).toBe(1);
    // The same event again is the same answer; its eventId with another body is refused; the
    // same service under another eventId is a confirmation, not a second service.
    expect((await stack.call('POST', path, ml.token, service)).body.services.ENTRETIEN).toBe(1);
    const told = await stack.call('POST', path, ml.token, { ...service, eventId: `again-${uid()}` });
    expect(told.status).toBe(200);
    expect(told.body).toMatchObject({ services: { ENTRETIEN: 1 }, version: s1.body.version });
    const reused = await stack.call('POST', path, ml.token, { ...service, service: 'BILAN' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('EVENT_ID_CONFLICT');

    const acc = await stack.call(
      'POST',
      path,
      ml.token,
      ev('ACCOMPAGNEMENT', day(-45), { objectif: 'RECONVERSION' }),
    );
    expect(acc.body).toMatchObject({ statut: 'ACCOMPAGNEMENT', niveau: 2, objectif: 'RECONVERSION' });
    const twice = await stack.call(
      'POST',
      path,
      ml.token,
      ev('ACCOMPAGNEMENT', day(-44), { objectif: 'EVOLUTION' }),
    );
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: { state: 'ACCOMPAGNEMENT', interrompu: false, event: 'ACCOMPAGNEMENT' },
    });
    const presc = await stack.call(
      'POST',
      path,
      ml.token,
      ev('PRESCRIPTION', day(-40), { prescriptionId: 'P-1', intitule: 'Titre pro développeur web' }),
    );
    expect(presc.body.prescriptions).toEqual([
      expect.objectContaining({ prescriptionId: 'P-1', statut: 'EMISE', date: day(-40) }),
    ]);

    // Another operator, or a period that does not exist: the same 404.
    const foreign = await stack.call(
      'POST',
      path,
      ft.token,
      ev('SERVICE', day(-1), { service: 'BILAN', modalite: 'DISTANCE' }),
    );
    expect(foreign.status).toBe(404);
    expect((await stack.call('GET', `/v1/cep/periodes/${body.periodeId}`, ft.token)).status).toBe(404);
    expect((await stack.call('GET', `/v1/cep/periodes/${body.periodeId}/history`, ft.token)).status).toBe(
      404,
    );
    // Another operator resending the operator's own event (its eventId, its body) learns nothing.
    const replayed = await stack.call('POST', path, ft.token, service);
    expect(replayed.status).toBe(404);
    expect(JSON.stringify(replayed.body)).not.toContain(body.beneficiaire.nom);
    const none = await stack.call('POST', `/v1/cep/periodes/NONE-${uid()}/events`, ml.token, service);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('NOT_FOUND');

    const read = await stack.call('GET', `/v1/cep/periodes/${body.periodeId}`, ml.token);
    expect(read.status).toBe(200);
    expect(read.body.beneficiaire.nir).toBe(body.beneficiaire.nir);
    expect(read.body.dates).toMatchObject({
      ouverture: body.date,
      accompagnement: day(-45),
      dernierEvenement: day(-40),
    });
    const audit = await stack.call('GET', `/v1/admin/audit?action=CEP_READ&actor=${ml.id}`, ADMIN_TOKEN);
    expect(
      audit.body.items.some(
        (a: { detail?: { periodeId?: string } }) => a.detail?.periodeId === body.periodeId,
      ),
    ).toBe(true);

    const history = await stack.call('GET', `/v1/cep/periodes/${body.periodeId}/history?limit=2`, ml.token);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['CREATION', 'SERVICE']);
    const all = await stack.call('GET', `/v1/cep/periodes/${body.periodeId}/history`, ml.token);
    expect(all.body.events[2]).toMatchObject({ type: 'SERVICE', confirmation: true });
    const rest = await stack.call(
      'GET',
      `/v1/cep/periodes/${body.periodeId}/history?cursor=${history.body.nextCursor}`,
      ml.token,
    );
    expect(rest.body.events.map((e: { type: string }) => e.type)).toEqual([
      'SERVICE',
      'ACCOMPAGNEMENT',
      'PRESCRIPTION',
    ]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('lists and searches an operator’s own periods only', async () => {
    const who = person();
    const a = opening({ beneficiaire: who });
    const b = opening({ beneficiaire: who, periodeId: `FT-${uid()}` });
    await stack.call('POST', '/v1/cep/periodes', ml.token, a);
    await stack.call('POST', '/v1/cep/periodes', ft.token, b);
    const search = await eventually(
      () => stack.call('POST', '/v1/cep/periodes/search', ml.token, { nir: who.nir }),
      (r) => r.body.items?.length > 0,
    );
    expect(search.body.items.map((p: { periodeId: string }) => p.periodeId)).toEqual([a.periodeId]);
    expect(search.body.items[0].beneficiaire.nir).toBeUndefined();
    const byAdmin = await eventually(
      () => stack.call('POST', '/v1/cep/periodes/search', ADMIN_TOKEN, { nir: who.nir }),
      (r) => r.body.items?.length === 2,
    );
    expect(byAdmin.body.items.map((p: { periodeId: string }) => p.periodeId).sort()).toEqual(
      [a.periodeId, b.periodeId].sort(),
    );

    const list = await stack.call('GET', '/v1/cep/periodes?limit=500&statut=OUVERTE', ft.token);
    expect(list.status).toBe(200);
    expect(list.body.items.every((p: { operateurSiret: string }) => p.operateurSiret === ft.siret)).toBe(
      true,
    );
    expect(list.body.items.map((p: { periodeId: string }) => p.periodeId)).toContain(b.periodeId);
    const paged = await stack.call('GET', '/v1/cep/periodes?limit=1', ml.token);
    expect(paged.body.items).toHaveLength(1);
    const next = await stack.call(
      'GET',
      `/v1/cep/periodes?limit=1&cursor=${paged.body.nextCursor}`,
      ml.token,
    );
    expect(next.body.items[0].periodeId).not.toBe(paged.body.items[0].periodeId);
    expect((await stack.call('GET', '/v1/cep/periodes?cursor=xyz', ml.token)).status).toBe(400);
    expect((await stack.call('GET', `/v1/cep/periodes?nir=${who.nir}`, ml.token)).status).toBe(400);
    expect((await stack.call('GET', '/v1/cep/periodes', region.token)).body.items).toEqual([]);
    const bySearch = await stack.call('POST', '/v1/cep/periodes/search', region.token, { nir: who.nir });
    expect(bySearch.status).toBe(403);
  });

  it('links a period to the one it continues, both ways, each operator seeing the other’s summary', async () => {
    const who = person();
    const first = opening({ beneficiaire: who, periodeId: `FT-${uid()}` });
    await stack.call('POST', '/v1/cep/periodes', ft.token, first);
    await stack.call(
      'POST',
      `/v1/cep/periodes/${first.periodeId}/events`,
      ft.token,
      ev('CLOTURE', day(-30), { motif: 'TRANSFERT' }),
    );
    const second = opening({ beneficiaire: who, date: day(-29), periodePrecedente: first.periodeId });
    const opened = await stack.call('POST', '/v1/cep/periodes', ml.token, second);
    expect(opened.status).toBe(201);
    expect(opened.body.periodePrecedente).toEqual({
      periodeId: first.periodeId,
      operateurSiret: ft.siret,
      statut: 'CLOSE',
      niveau: 1,
      dates: { ouverture: first.date, cloture: day(-30) },
    });
    const back = await eventually(
      () => stack.call('GET', `/v1/cep/periodes/${first.periodeId}`, ft.token),
      (r) => r.body.periodesSuivantes?.length === 1,
    );
    expect(back.body.periodesSuivantes).toEqual([
      {
        periodeId: second.periodeId,
        operateurSiret: ml.siret,
        statut: 'OUVERTE',
        niveau: 1,
        dates: { ouverture: day(-29), cloture: null },
      },
    ]);
    // A closed period takes no more services (its follow-up goes on).
    const late = await eventually(
      () =>
        stack.call(
          'POST',
          `/v1/cep/periodes/${first.periodeId}/events`,
          ft.token,
          ev('SERVICE', day(-1), { service: 'BILAN', modalite: 'DISTANCE' }),
        ),
      (r) => r.status === 409,
    );
    expect(late.body.error.code).toBe('INVALID_TRANSITION');
  });

  it('follows a prescription into the dossier that names it', async () => {
    const who = person();
    const body = opening({ beneficiaire: who });
    await stack.call('POST', '/v1/cep/periodes', ml.token, body);
    await stack.call(
      'POST',
      `/v1/cep/periodes/${body.periodeId}/events`,
      ml.token,
      ev('PRESCRIPTION', day(-40), { prescriptionId: 'P-7', intitule: 'Titre pro', dispositif: 'PRF' }),
    );
    const dossier = createBody({
      stagiaire: { ...who, nom: 'Durand', prenom: 'Sam' },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 5000 }],
      prescription: { periodeId: body.periodeId, prescriptionId: 'P-7' },
    });
    const wrong = await stack.call('POST', '/v1/dossiers', region.token, {
      ...dossier,
      prescription: { periodeId: body.periodeId, prescriptionId: 'P-8' },
    });
    expect(wrong.status).toBe(409);
    expect(wrong.body.error.code).toBe('NO_MATCH');
    const otherPerson = await stack.call('POST', '/v1/dossiers', region.token, {
      ...dossier,
      stagiaire: { ...person() },
    });
    expect(otherPerson.body.error.code).toBe('NO_MATCH');

    const created = await stack.call('POST', '/v1/dossiers', region.token, dossier);
    expect(created.status).toBe(201);
    expect(created.body.prescription).toEqual({
      periodeId: body.periodeId,
      prescriptionId: 'P-7',
      operateurSiret: ml.siret,
    });
    const period = await eventually(
      () => stack.call('GET', `/v1/cep/periodes/${body.periodeId}`, ml.token),
      (r) => r.body.formations?.length === 1,
    );
    expect(period.body.formations).toEqual([
      {
        dossierId: dossier.dossierId,
        prescriptionId: 'P-7',
        status: 'EN_COURS_ELABORATION',
        intitule: dossier.action.intitule,
        dispositif: dossier.action.dispositif,
        dates: {
          debutPrevue: dossier.action.dateDebutPrevue,
          finPrevue: dossier.action.dateFinPrevue,
          entree: null,
          sortie: null,
        },
      },
    ]);
    expect(period.body.prescriptions[0].statut).toBe('SUIVIE');
  });

  it('follows the person after closure: the DSN situation of each point and the entry into training', async () => {
    const who = person();
    const body = opening({ beneficiaire: who, date: '2025-12-01' });
    await stack.call('POST', '/v1/cep/periodes', ml.token, body);
    const path = `/v1/cep/periodes/${body.periodeId}/events`;
    const closed = await stack.call(
      'POST',
      path,
      ml.token,
      ev('CLOTURE', '2025-12-10', { motif: 'ABANDON' }),
    );
    expect(closed.status).toBe(200);
    expect(closed.body.dates.cloture).toBe('2025-12-10');

    // The period registers for its points' months when it looks them up: loaded after that, a
    // month reaches it by the load's signal (notifyMonthLoaded pages the CEP registrations too).
    await eventually(
      () =>
        stack.orm.em
          .fork()
          .getConnection()
          .execute<{ n: number }[]>(
            "select count(*)::int as n from cep_dsn_months where periode_id = ? and mois in ('2025-12', '2026-06')",
            [body.periodeId],
          ),
      (rows) => rows[0]?.n === 2,
    );
    // The closure's month: a CDI; the month six months later: no job for this person.
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures';
    const load = (mois: string, lines: string[]) =>
      stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
        body: [header, ...lines].join('\n'),
      });
    expect((await load('2025-12', [`${who.nir},${of.siret},6201Z,01,2025-11-01,,151.67`])).status).toBe(200);
    expect((await load('2026-06', [`${person().nir},${of.siret},6201Z,01,2026-01-01,,151.67`])).status).toBe(
      200,
    );

    // The person enters a training on 2026-03-01, in a dossier the operator is no party to.
    const dossier = createBody({
      stagiaire: { ...who },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 5000 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', region.token, dossier)).status).toBe(201);
    const dpath = `/v1/dossiers/${dossier.dossierId}/events`;
    expect((await stack.call('POST', dpath, region.token, ev('VALIDATION', '2026-01-20'))).status).toBe(200);
    expect((await stack.call('POST', dpath, of.token, ev('ENTREE', '2026-03-01'))).status).toBe(200);

    const done = (r: { body: { suivi?: { emploi: { statut: string }; formation: boolean }[] } }) =>
      r.body.suivi?.[0]?.emploi.statut === 'EMPLOI' &&
      r.body.suivi?.[1]?.emploi.statut === 'SANS_EMPLOI' &&
      r.body.suivi?.[1]?.formation === true;
    const read = await eventually(
      () => stack.call('GET', `/v1/cep/periodes/${body.periodeId}`, ml.token),
      done,
      30_000,
    );
    expect(read.body.suivi).toEqual([
      {
        point: 'FERMETURE',
        date: '2025-12-10',
        mois: '2025-12',
        emploi: {
          statut: 'EMPLOI',
          meilleurEmploi: expect.objectContaining({ categorie: 'CDI', natureContrat: '01', heures: 151.67 }),
          multiEmploi: false,
        },
        formation: false,
      },
      {
        point: 'M6',
        date: '2026-06-10',
        mois: '2026-06',
        emploi: { statut: 'SANS_EMPLOI', multiEmploi: false },
        formation: true,
      },
      {
        point: 'M12',
        date: '2026-12-10',
        mois: '2026-12',
        emploi: { statut: 'EN_ATTENTE' },
        formation: true,
      },
    ]);
    // The operator is no party to the dossier: it learns the entry, not which dossier.
    expect(read.body.suivi[1].dossierId).toBeUndefined();
  });

  it('computes the CEP figures an operator, a Region and the State read', async () => {
    const op = await stack.partner('CEP_OPERATEUR');
    const mayotte = await stack.partner('REGION', '06');
    const [p1, p2] = [person(), person()];
    const a = opening({ beneficiaire: p1, region: '06', departement: '976', date: '2026-01-05' });
    // Recent enough not to close by itself (six months without news).
    const b = opening({ beneficiaire: p1, region: '06', departement: '976', date: day(-10) });
    const c = opening({
      beneficiaire: p2,
      region: '06',
      departement: '976',
      date: '2026-02-01',
      situation: 'AUTRE',
    });
    const tell = async (id: string, ...events: Record<string, unknown>[]) => {
      for (const e of events) {
        const r = await stack.call('POST', `/v1/cep/periodes/${id}/events`, op.token, e);
        expect(r.status).toBe(200);
      }
    };
    for (const body of [a, b, c])
      expect((await stack.call('POST', '/v1/cep/periodes', op.token, body)).status).toBe(201);
    const service = (date: string) => ev('SERVICE', date, { service: 'ATELIER', modalite: 'PRESENTIEL' });
    await tell(
      a.periodeId,
      service('2026-01-10'),
      service('2026-01-20'),
      ev('ACCOMPAGNEMENT', '2026-01-25', { objectif: 'RECONVERSION' }),
      ev('CLOTURE', '2026-03-05', { motif: 'ENTREE_FORMATION' }),
    );
    await tell(b.periodeId, service(day(-9)));
    await tell(c.periodeId, ev('CLOTURE', '2026-02-21', { motif: 'ABANDON' }));
    // p2 enters a training on 2026-03-01, within six months of the closure of c.
    const dossier = createBody({
      stagiaire: { ...p2 },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      financements: [{ financeurSiret: region.siret, montantEngage: 5000 }],
    });
    await stack.call('POST', '/v1/dossiers', region.token, dossier);
    await stack.call(
      'POST',
      `/v1/dossiers/${dossier.dossierId}/events`,
      region.token,
      ev('VALIDATION', '2026-01-20'),
    );
    await stack.call(
      'POST',
      `/v1/dossiers/${dossier.dossierId}/events`,
      of.token,
      ev('ENTREE', '2026-03-01'),
    );

    // The M6 points' statuses depend on which months the suite loaded: read from the periods.
    const expected = async () => {
      const views = await Promise.all(
        [a, c].map(async (p) => (await stack.call('GET', `/v1/cep/periodes/${p.periodeId}`, op.token)).body),
      );
      const m6 = views.map((v) => v.suivi[1].emploi.statut as string);
      const known = m6.filter((st) => st === 'EMPLOI' || st === 'SANS_EMPLOI');
      return {
        beneficiaires: 2,
        periodes: 3,
        ouvertes: 1,
        closes: 2,
        tauxAccompagnement: 0.333,
        dureeMedianeJours: (59 + 20) / 2,
        servicesParPeriode: 1,
        tauxEntreeFormation6m: views.filter((v) => v.suivi[1].formation).length / 2,
        tauxEmploi6m: known.length === 0 ? null : known.filter((st) => st === 'EMPLOI').length / known.length,
        tauxEmploi12m: null,
      };
    };
    let want = await expected();
    const mine = await eventually(
      async () => {
        want = await expected();
        return stack.call('GET', '/v1/stats/cep?groupBy=reseau', op.token);
      },
      (r) => JSON.stringify(r.body.total) === JSON.stringify(want) && want.tauxEntreeFormation6m === 0.5,
      30_000,
    );
    expect(mine.body).toEqual({
      groupBy: 'reseau',
      total: want,
      groups: [{ key: 'MISSION_LOCALE', ...want }],
    });

    // The Region reads its region's figures (only this operator works in 06), by operator with its name.
    const regional = await stack.call('GET', '/v1/stats/cep?groupBy=operateur', mayotte.token);
    expect(regional.body.total).toEqual(want);
    expect(regional.body.groups).toEqual([{ key: op.siret, nom: `CEP_OPERATEUR ${op.siret}`, ...want }]);
    // ...but not the periods themselves.
    expect((await stack.call('GET', `/v1/cep/periodes/${a.periodeId}`, mayotte.token)).status).toBe(404);
    const bySituation = await stack.call('GET', '/v1/stats/cep?groupBy=situation&region=06', ADMIN_TOKEN);
    expect(
      bySituation.body.groups.map((g: { key: string; periodes: number }) => [g.key, g.periodes]),
    ).toEqual([
      ['AUTRE', 1],
      ['DEMANDEUR_EMPLOI', 2],
    ]);
    const byObjective = await stack.call('GET', '/v1/stats/cep?groupBy=objectif', op.token);
    expect(
      byObjective.body.groups.map((g: { key: string | null; periodes: number }) => [g.key, g.periodes]),
    ).toEqual([
      [null, 2],
      ['RECONVERSION', 1],
    ]);

    const state = await stack.partner('ETAT');
    const national = await stack.call('GET', '/v1/stats/cep', state.token);
    expect(national.body.total.periodes).toBeGreaterThanOrEqual(3);
    const forbidden = await stack.call('GET', '/v1/stats/cep', of.token);
    expect(forbidden.status).toBe(403);
    // A period closed less than six months ago does not count yet in the entry into training.
    const recent = await stack.partner('CEP_OPERATEUR');
    const r = opening({ date: day(-20) });
    await stack.call('POST', '/v1/cep/periodes', recent.token, r);
    await stack.call(
      'POST',
      `/v1/cep/periodes/${r.periodeId}/events`,
      recent.token,
      ev('CLOTURE', day(-10), { motif: 'AUTRE' }),
    );
    const soon = await eventually(
      () => stack.call('GET', '/v1/stats/cep', recent.token),
      (res) => res.body.total?.closes === 1,
    );
    expect(soon.body.total).toMatchObject({ closes: 1, dureeMedianeJours: 10, tauxEntreeFormation6m: null });
    // An operator with no period yet: zeros, no rate.
    const fresh = await stack.partner('CEP_OPERATEUR');
    const none = await stack.call('GET', '/v1/stats/cep', fresh.token);
    expect(none.body).toMatchObject({
      total: { periodes: 0, beneficiaires: 0, tauxAccompagnement: null },
      groups: [],
    });
    expect((await stack.call('GET', '/v1/stats/cep?groupBy=nope', op.token)).status).toBe(400);
  });
});
