import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HistoryType } from '../../domain/schemas';
import { importReferentiel } from '../../services/referentiel-import';
import { clearReferentiel, createBody, ev, nir, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, TEST_DATA_KEY, startStack } from '../helpers/stack';
import { nirHasher } from '../../infra/pseudonym';

/**
 * CONTRACT.md, "Certification results" and "Trainee remuneration": the routes on the real stack
 * (Temporal and PostgreSQL), from a partner's side.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
let asp: P;
let certifier: P;
let otherCertifier: P;
let opco: P;
/** The certifier the committed referential lists for RNCP37674, and the one it lists for RS5487. */
const MINISTERE = '13000000000013';
const AUTRE_CERTIFICATEUR = '78451200000018';
const FIXTURE = fileURLToPath(new URL('../fixtures/export-fiches-csv-2026-11-02.zip', import.meta.url));

/** A certifier of a SIRET the referential lists (the demo registers one of them too): a token of its own. */
async function fixedPartner(siret: string): Promise<P> {
  const created = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
    siret,
    name: `Certificateur ${siret}`,
    kind: 'CERTIFICATEUR',
  });
  if (created.status === 201)
    return { siret, token: created.body.token, id: created.body.id, name: `Certificateur ${siret}` };
  const all = await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN);
  const found = all.body.items.find((p: { siret: string }) => p.siret === siret);
  const token = await stack.call('POST', `/v1/admin/partners/${found.id}/tokens`, ADMIN_TOKEN);
  return { siret, token: token.body.token, id: found.id, name: found.name };
}

beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  asp = await stack.partner('REMUNERATEUR');
  certifier = await fixedPartner(MINISTERE);
  otherCertifier = await fixedPartner(AUTRE_CERTIFICATEUR);
  opco = await stack.partner('OPCO');
}, 120_000);
afterAll(async () => stack?.stop());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const person = () => ({
  nir: nir(`1${String(randomInt(10 ** 11, 10 ** 12))}0`.slice(0, 13)),
  nom: 'Durand',
  prenom: 'Sam',
  dateNaissance: '2001-06-14',
});

/** A dossier of the Region, entered (and exited) some days ago, paid by `asp` when asked. */
async function dossier(
  opts: {
    stagiaire?: ReturnType<typeof person>;
    entree?: number;
    sortie?: number;
    paid?: boolean;
    financeur?: P;
  } = {},
) {
  const financeur = opts.financeur ?? region;
  const body = createBody({
    dossierId: `R84-C-${uid()}`,
    date: day(-200),
    stagiaire: opts.stagiaire ?? person(),
    organisme: { siret: of.siret, raisonSociale: 'Centre' },
    financements: [{ financeurSiret: financeur.siret, montantEngage: 6400 }],
    ...(opts.paid ? { remunerateurSiret: asp.siret } : {}),
  });
  const created = await stack.call('POST', '/v1/dossiers', financeur.token, body);
  expect(created.status).toBe(201);
  const id = body.dossierId;
  const send = (token: string, e: Record<string, unknown>) =>
    stack.call('POST', `/v1/dossiers/${id}/events`, token, e);
  expect((await send(financeur.token, ev('VALIDATION', day(-190)))).status).toBe(200);
  if (opts.entree !== undefined)
    expect((await send(of.token, ev('ENTREE', day(opts.entree)))).status).toBe(200);
  if (opts.sortie !== undefined) {
    expect((await send(of.token, ev('SORTIE', day(opts.sortie), { motif: 'FIN_FORMATION' }))).status).toBe(
      200,
    );
  }
  return { id, body, send };
}

const result = (titulaire: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  resultatId: `res-${uid()}`,
  certification: 'RNCP37674',
  obtention: 'TOTALE',
  blocs: [],
  dateObtention: day(-5),
  modaliteAcces: 'FORMATION_CONTINUE',
  titulaire,
  ...over,
});

async function ndjson(token: string, lines: string[]) {
  const res = await stack.app.request('/v1/certifications/resultats', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('trainee remuneration', () => {
  it('has a ledger whose type column holds every event type', async () => {
    const [row] = await stack.orm.em
      .getConnection()
      .execute<{ n: number }[]>(
        "select character_maximum_length as n from information_schema.columns where table_name = 'dossier_events' and column_name = 'type'",
      );
    expect(Math.max(...HistoryType.options.map((t) => t.length))).toBeLessThanOrEqual(row!.n);
  });

  it('names a remunerator that must be registered as one', async () => {
    const body = createBody({
      dossierId: `R84-C-${uid()}`,
      financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
      remunerateurSiret: opco.siret,
    });
    const res = await stack.call('POST', '/v1/dossiers', region.token, body);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'UNKNOWN_REMUNERATEUR',
      details: { remunerateurSiret: opco.siret },
    });
  });

  it('lets the remunerator see the dossier without the amounts and report its pay, which follows the dossier', async () => {
    const d = await dossier({ paid: true, entree: -100 });
    // The remunerator sees it (not the amounts funded), lists it, and pays.
    const seen = await stack.call('GET', `/v1/dossiers/${d.id}`, asp.token);
    expect(seen.status).toBe(200);
    expect(seen.body.financements).toEqual([{ financeurSiret: region.siret }]);
    expect(seen.body.stagiaire.nir).toBeUndefined();
    // Nor the employment the DSN gives: it pays, nothing beyond.
    expect(seen.body.situations).toEqual([]);
    const list = await stack.call('GET', '/v1/dossiers?limit=500', asp.token);
    const listed = list.body.items.find((x: { dossierId: string }) => x.dossierId === d.id);
    expect(listed.financements).toEqual([{ financeurSiret: region.siret }]);
    expect(
      (await d.send(asp.token, ev('REMUNERATION_DEBUT', day(-100), { regime: 'AREF', montantMensuel: 1200 })))
        .status,
    ).toBe(200);
    expect(
      (
        await d.send(
          asp.token,
          ev('REMUNERATION_PAIEMENT', day(-60), { mois: day(-90).slice(0, 7), montant: 1200 }),
        )
      ).status,
    ).toBe(200);
    // The same payment told again is not paid twice.
    const again = await d.send(
      asp.token,
      ev('REMUNERATION_PAIEMENT', day(-60), { mois: day(-90).slice(0, 7), montant: 1200 }),
    );
    expect(again.status).toBe(200);
    // An interruption suspends the pay, a resumption resumes it.
    expect((await d.send(of.token, ev('INTERRUPTION', day(-50)))).status).toBe(200);
    let view = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    expect(view.remunerations).toMatchObject([{ regime: 'AREF', suspendue: true, totalVerse: 1200 }]);
    expect((await d.send(of.token, ev('REPRISE', day(-40)))).status).toBe(200);
    // AREF rights run out; RFF follows.
    expect((await d.send(asp.token, ev('REMUNERATION_FIN', day(-30), { motif: 'FIN_DROITS' }))).status).toBe(
      200,
    );
    expect(
      (await d.send(asp.token, ev('REMUNERATION_DEBUT', day(-29), { regime: 'RFF', montantMensuel: 700.5 })))
        .status,
    ).toBe(200);
    // The exit ends the open period at its date.
    expect((await d.send(of.token, ev('SORTIE', day(-10), { motif: 'FIN_FORMATION' }))).status).toBe(200);
    view = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    expect(view.remunerations).toEqual([
      {
        regime: 'AREF',
        remunerateurSiret: asp.siret,
        debut: day(-100),
        fin: day(-30),
        montantMensuel: 1200,
        totalVerse: 1200,
        suspendue: false,
        motifFin: 'FIN_DROITS',
      },
      {
        regime: 'RFF',
        remunerateurSiret: asp.siret,
        debut: day(-29),
        fin: day(-10),
        montantMensuel: 700.5,
        totalVerse: 0,
        suspendue: false,
        motifFin: 'FIN_FORMATION',
      },
    ]);
    const history = (await stack.call('GET', `/v1/dossiers/${d.id}/history`, region.token)).body.events;
    expect(
      history.filter((e: { source: string }) => e.source === asp.siret).map((e: { type: string }) => e.type),
    ).toEqual([
      'REMUNERATION_DEBUT',
      'REMUNERATION_PAIEMENT',
      'REMUNERATION_PAIEMENT',
      'REMUNERATION_FIN',
      'REMUNERATION_DEBUT',
    ]);
    expect(history.find((e: { confirmation?: boolean }) => e.confirmation)).toMatchObject({
      type: 'REMUNERATION_PAIEMENT',
    });
    // The record holds them too: the ledger, and the read model the lists and figures read.
    const ledger = await stack.orm.em
      .getConnection()
      .execute<{ type: string }[]>('select type from dossier_events where dossier_id = ? order by seq', [
        d.id,
      ]);
    expect(ledger.map((r) => r.type)).toContain('REMUNERATION_PAIEMENT');
    const record = await stack.orm.em
      .getConnection()
      .execute<{ n: number }[]>(
        "select jsonb_array_length(data->'remunerations') as n from dossiers where dossier_id = ?",
        [d.id],
      );
    expect(record[0]!.n).toBe(2);
  });

  it('refuses pay from anyone else, and lifecycle events from the remunerator', async () => {
    const d = await dossier({ paid: true, entree: -20 });
    const debut = ev('REMUNERATION_DEBUT', day(-20), { regime: 'RFPE', montantMensuel: 685 });
    expect((await d.send(region.token, debut)).body.error.code).toBe('FORBIDDEN');
    expect((await d.send(of.token, debut)).body.error.code).toBe('FORBIDDEN');
    expect((await d.send(asp.token, ev('SORTIE', day(0), { motif: 'ABANDON' }))).body.error.code).toBe(
      'FORBIDDEN',
    );
    // Another remunerator does not see it.
    const other = await stack.partner('REMUNERATEUR');
    expect((await d.send(other.token, debut)).status).toBe(404);
    expect((await stack.call('GET', `/v1/dossiers/${d.id}`, other.token)).status).toBe(404);
    // Pay before the entry: refused, and nothing changed.
    const early = await d.send(
      asp.token,
      ev('REMUNERATION_DEBUT', day(-25), { regime: 'RFPE', montantMensuel: 685 }),
    );
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('INCOHERENT_DATE');
    // A bad regime or month: 400 naming the field.
    const bad = await d.send(asp.token, ev('REMUNERATION_PAIEMENT', day(0), { mois: '2026-13', montant: 1 }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.mois');
    // A financeur names another remunerator by a correction: the first one no longer sees it.
    const named = await d.send(
      region.token,
      ev('RECTIFICATION', day(0), { changes: { remunerateurSiret: other.siret } }),
    );
    expect(named.status).toBe(200);
    expect((await stack.call('GET', `/v1/dossiers/${d.id}`, asp.token)).status).toBe(404);
    expect((await d.send(other.token, debut)).status).toBe(200);
  });
});

describe('certification results', () => {
  it('attaches a result by dossierId, once: a replay answers the same, another body under its id 409', async () => {
    const d = await dossier({ entree: -100, sortie: -10 });
    const r = result({ dossierId: d.id });
    const first = await stack.call('POST', '/v1/certifications/resultats', certifier.token, r);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ resultatId: r.resultatId, statut: 'RAPPROCHE', dossierId: d.id });
    const view = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    expect(view.certification).toMatchObject({
      code: 'RNCP37674',
      statut: 'OBTENUE_TOTALE',
      blocs: [],
      dateObtention: r.dateObtention,
    });
    const replay = await stack.call('POST', '/v1/certifications/resultats', certifier.token, r);
    expect(replay.body).toEqual(first.body);
    const history = (await stack.call('GET', `/v1/dossiers/${d.id}/history`, region.token)).body.events;
    expect(history.filter((e: { type: string }) => e.type === 'CERTIFICATION')).toMatchObject([
      { eventId: r.resultatId, source: certifier.siret, date: r.dateObtention },
    ]);
    const conflict = await stack.call('POST', '/v1/certifications/resultats', certifier.token, {
      ...r,
      obtention: 'PARTIELLE',
      blocs: ['RNCP37674BC01'],
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ statut: 'REFUSE', error: { code: 'EVENT_ID_CONFLICT' } });
  });

  it('never lets a result change the certification of a dossier aiming at another one', async () => {
    const d = await dossier({ entree: -100, sortie: -10 });
    expect(
      (await stack.call('POST', '/v1/certifications/resultats', certifier.token, result({ dossierId: d.id })))
        .status,
    ).toBe(200);
    const before = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    const other = await stack.call(
      'POST',
      '/v1/certifications/resultats',
      otherCertifier.token,
      result({ dossierId: d.id }, { certification: 'RS5487', modaliteAcces: 'VAE' }),
    );
    // The same answer as for a dossier that does not exist: nothing told of the dossier.
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({
      code: 'NO_MATCH',
      details: { dossierId: d.id, certification: 'RS5487' },
    });
    const missing = await stack.call(
      'POST',
      '/v1/certifications/resultats',
      otherCertifier.token,
      result({ dossierId: `NONE-${uid()}` }, { certification: 'RS5487' }),
    );
    expect(missing.body.error.code).toBe('NO_MATCH');
    expect(Object.keys(missing.body.error.details)).toEqual(Object.keys(other.body.error.details));
    const after = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    expect(after.certification).toEqual(before.certification);
    expect(after.version).toBe(before.version);
  });

  it('refuses a result for no dossier (409 NO_MATCH), a bad one (400), and one from a non-certifier (403)', async () => {
    const none = await stack.call(
      'POST',
      '/v1/certifications/resultats',
      certifier.token,
      result({ dossierId: `NONE-${uid()}` }),
    );
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('NO_MATCH');
    const partial = await stack.call(
      'POST',
      '/v1/certifications/resultats',
      certifier.token,
      result({ dossierId: 'X' }, { obtention: 'PARTIELLE' }),
    );
    expect(partial.status).toBe(400);
    expect(partial.body.error.details[0].path).toBe('body.blocs');
    // A holder in neither form: what form it was read as, and what it lacks there.
    const holder = async (titulaire: unknown) =>
      (
        await stack.call(
          'POST',
          '/v1/certifications/resultats',
          certifier.token,
          result(titulaire as Record<string, unknown>),
        )
      ).body.error.details[0];
    expect(await holder({})).toEqual({
      path: 'body.titulaire',
      message: 'send either {"dossierId"} or {"nir", "nom", "prenom", "dateNaissance"}',
    });
    expect((await holder({ nir: '180057512345627' })).message).toMatch(/^nom: .*\(send either/);
    expect((await holder({ dossierId: 'X', nir: '180057512345627' })).message).toBe(
      'Unrecognized key: "nir"',
    );
    const d = await dossier({ entree: -100, sortie: -10 });
    const future = await stack.call(
      'POST',
      '/v1/certifications/resultats',
      certifier.token,
      result({ dossierId: d.id }, { dateObtention: day(30) }),
    );
    expect([future.status, future.body.error.details?.field]).toEqual([409, 'dateObtention']);
    expect(
      (await stack.call('POST', '/v1/certifications/resultats', region.token, result({ dossierId: 'X' })))
        .status,
    ).toBe(403);
    expect(
      (await stack.call('POST', '/v1/certifications/resultats', ADMIN_TOKEN, result({ dossierId: 'X' })))
        .status,
    ).toBe(403);
    // A body that is not JSON: what is wrong and where, never V8's excerpt of it (a NIR, a name).
    const text = '{"titulaire": {"nom": "Dupont", "nir": "180057512345678"}, "x": oops}';
    const res = await stack.app.request('/v1/certifications/resultats', {
      method: 'POST',
      headers: { authorization: `Bearer ${certifier.token}`, 'content-type': 'application/json' },
      body: text,
    });
    expect(res.status).toBe(400);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toBe(`invalid body: Unexpected token 'o' in JSON at position ${text.indexOf('oops')}`);
  });

  it("matches by NIR the latest entry among the trainee's dossiers, and waits for a dossier not there yet", async () => {
    const who = person();
    const older = await dossier({ stagiaire: who, entree: -180, sortie: -120 });
    const newer = await dossier({ stagiaire: who, entree: -60, sortie: -20 });
    const byNir = await stack.call('POST', '/v1/certifications/resultats', certifier.token, result(who));
    expect(byNir.body).toMatchObject({ statut: 'RAPPROCHE', dossierId: newer.id });
    expect(
      (await stack.call('GET', `/v1/dossiers/${older.id}`, region.token)).body.certification.statut,
    ).toBe('EN_ATTENTE');

    // A result for a trainee with no dossier yet waits, then attaches when the dossier enters.
    const later = person();
    const waiting = result(later, { dateObtention: day(0) });
    const kept = await stack.call('POST', '/v1/certifications/resultats', certifier.token, waiting);
    expect(kept.body).toEqual({ resultatId: waiting.resultatId, statut: 'NON_RAPPROCHE' });
    const listed = await stack.call(
      'GET',
      '/v1/certifications/resultats?statut=NON_RAPPROCHE',
      certifier.token,
    );
    expect(listed.body.items.map((x: { resultatId: string }) => x.resultatId)).toContain(waiting.resultatId);
    const d = await dossier({ stagiaire: later });
    expect((await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body.certification.statut).toBe(
      'EN_ATTENTE',
    );
    expect((await d.send(of.token, ev('ENTREE', day(-30)))).status).toBe(200);
    const view = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
    expect(view.certification).toMatchObject({ statut: 'OBTENUE_TOTALE', dateObtention: day(0) });
    const attached = await stack.call(
      'GET',
      '/v1/certifications/resultats?statut=RAPPROCHE&limit=1000',
      certifier.token,
    );
    expect(
      attached.body.items.find((x: { resultatId: string }) => x.resultatId === waiting.resultatId),
    ).toMatchObject({
      statut: 'RAPPROCHE',
      dossierId: d.id,
    });
    // Replayed now, it answers where it went.
    const replay = await stack.call('POST', '/v1/certifications/resultats', certifier.token, waiting);
    expect(replay.body).toEqual({ resultatId: waiting.resultatId, statut: 'RAPPROCHE', dossierId: d.id });

    // A result left waiting though its dossier entered (the API died in between): the sweep
    // every API instance runs attaches it.
    const missed = person();
    const entered = await dossier({ stagiaire: missed, entree: -40 });
    const { titulaire: _titulaire, ...stored } = result({});
    await stack.orm.em.getConnection().execute(
      `insert into certification_results (certificateur_siret, resultat_id, body_hash, statut, certification,
         date_obtention, nir_hash, result)
       values (?, ?, 'x', 'NON_RAPPROCHE', ?, ?::date, ?, ?::jsonb)`,
      [
        certifier.siret,
        stored.resultatId,
        stored.certification,
        stored.dateObtention,
        nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY })(missed.nir),
        JSON.stringify(stored),
      ],
    );
    expect(await stack.app.sweepWaitingResults()).toBeGreaterThanOrEqual(1);
    const swept = (await stack.call('GET', `/v1/dossiers/${entered.id}`, region.token)).body;
    expect(swept.certification).toMatchObject({
      statut: 'OBTENUE_TOTALE',
      dateObtention: stored.dateObtention,
    });
    const row = await stack.orm.em
      .getConnection()
      .execute('select statut, dossier_id from certification_results where resultat_id = ?', [
        stored.resultatId,
      ]);
    expect(row[0]).toMatchObject({ statut: 'RAPPROCHE', dossier_id: entered.id });
    // Another certifier's results are not listed to this one.
    const others = await stack.call('GET', '/v1/certifications/resultats?limit=1000', otherCertifier.token);
    expect(others.body.items).toEqual([]);
  });

  it('takes an NDJSON batch of 1,000 results and answers each line; the same batch again changes nothing', async () => {
    const dossiers: Awaited<ReturnType<typeof dossier>>[] = [];
    for (let i = 0; i < 10; i++) dossiers.push(await dossier({ entree: -100, sortie: -10 }));
    const lines = Array.from({ length: 1000 }, (_, i) => {
      const to = dossiers[i % 10]!;
      // A hundred partial results on the ten dossiers, the rest for trainees without a dossier yet.
      const r =
        i < 100
          ? result(
              { dossierId: to.id },
              {
                obtention: 'PARTIELLE',
                blocs: [`RNCP37674BC0${(i % 3) + 1}`],
                resultatId: `b-${to.id}-${i}`,
              },
            )
          : result(person(), { resultatId: `b-${uid()}-${i}` });
      return JSON.stringify(r);
    });
    lines[500] = '{"resultatId": "broken", ';
    const first = await ndjson(certifier.token, lines);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ lignes: 1000, rapproches: 100, nonRapproches: 899, refuses: 1 });
    expect(first.body.resultats[500]).toMatchObject({
      ligne: 501,
      statut: 'REFUSE',
      error: { code: 'VALIDATION_ERROR' },
    });
    expect(first.body.resultats[7]).toMatchObject({
      ligne: 8,
      statut: 'RAPPROCHE',
      dossierId: dossiers[7]!.id,
    });
    const view = (await stack.call('GET', `/v1/dossiers/${dossiers[0]!.id}`, region.token)).body;
    expect(view.certification).toMatchObject({
      statut: 'OBTENUE_PARTIELLE',
      blocs: ['RNCP37674BC01', 'RNCP37674BC02', 'RNCP37674BC03'],
    });
    const version = view.version;
    const again = await ndjson(certifier.token, lines);
    expect(again.body).toMatchObject({ lignes: 1000, rapproches: 100, nonRapproches: 899, refuses: 1 });
    expect((await stack.call('GET', `/v1/dossiers/${dossiers[0]!.id}`, region.token)).body.version).toBe(
      version,
    );
    // Over 10,000 lines: refused as a whole.
    const tooMany = await ndjson(
      certifier.token,
      Array.from({ length: 10_001 }, () => '{}'),
    );
    expect(tooMany.status).toBe(413);
  }, 120_000);

  it('with a referential loaded: shows the title, and refuses a certifier it does not list (403)', async () => {
    const d = await dossier({ entree: -100, sortie: -10 });
    try {
      const loaded = await importReferentiel(inject('databaseUrl'), FIXTURE);
      expect(loaded).toMatchObject({ fiches: 7, blocs: 7, certificateurs: 6, nsf: 6, rejetsTotal: 2 });
      const refused = await stack.call(
        'POST',
        '/v1/certifications/resultats',
        otherCertifier.token,
        result({ dossierId: d.id }),
      );
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ statut: 'REFUSE', error: { code: 'FORBIDDEN' } });
      // Kept in the certifier's data-quality log, like a refused event.
      const log = await stack.call('GET', '/v1/quality/rejections', otherCertifier.token);
      expect(log.body.items ?? log.body).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ dossierId: d.id, type: 'CERTIFICATION', code: 'FORBIDDEN' }),
        ]),
      );
      // A block the referential does not list for the code: 400 naming it.
      const noSuchBlock = await stack.call(
        'POST',
        '/v1/certifications/resultats',
        certifier.token,
        result({ dossierId: d.id }, { obtention: 'PARTIELLE', blocs: ['RNCP37674BC09'] }),
      );
      expect(noSuchBlock.status).toBe(400);
      expect(noSuchBlock.body.error.details[0].path).toBe('body.blocs');
      const accepted = await stack.call(
        'POST',
        '/v1/certifications/resultats',
        certifier.token,
        result({ dossierId: d.id }),
      );
      expect(accepted.body.statut).toBe('RAPPROCHE');
      const view = (await stack.call('GET', `/v1/dossiers/${d.id}`, region.token)).body;
      expect(view.certification).toMatchObject({
        code: 'RNCP37674',
        intitule: 'Développeur web et web mobile',
        niveau: 'NIV5',
        statut: 'OBTENUE_TOTALE',
      });
      // An event's answer shows the dossier as a read does.
      const closed = await d.send(region.token, ev('CLOTURE', day(-5), { realisation: 'TOTALE' }));
      expect(closed.body.certification).toEqual({ ...view.certification });
      const fiche = await stack.call('GET', '/v1/referentiel/certifications/RNCP37674', region.token);
      expect(fiche.body).toMatchObject({
        intitule: 'Développeur web et web mobile',
        nsf: [{ code: '326' }],
        blocs: [{ code: 'RNCP37674BC01' }, { code: 'RNCP37674BC02' }],
        certificateurs: [{ siret: MINISTERE }],
      });
      // Loaded again from its folder: the same referential, replaced as a whole.
      const folder = fileURLToPath(new URL('../fixtures/referentiel', import.meta.url));
      expect(await importReferentiel(inject('databaseUrl'), folder)).toMatchObject({
        fiches: 7,
        certificateurs: 6,
      });
      await expect(
        importReferentiel(inject('databaseUrl'), fileURLToPath(new URL('../fixtures', import.meta.url))),
      ).rejects.toThrow(/not a France compétences export/);
    } finally {
      await clearReferentiel(stack.orm.em.getConnection());
    }
  });

  it('counts certification and pay exactly for a financeur, its remunerator seeing only what it pays', async () => {
    const opcoFunded = (o: Parameters<typeof dossier>[0]) => dossier({ ...o, financeur: opco });
    // Paid from the entry, then exited.
    const full = await opcoFunded({ entree: -100, paid: true });
    const partial = await opcoFunded({ entree: -100, paid: true });
    for (const [d, regime, mensuel, paid] of [
      [full, 'AREF', 1000, 1000],
      [partial, 'RFPE', 685.5, 500.25],
    ] as const) {
      expect(
        (await d.send(asp.token, ev('REMUNERATION_DEBUT', day(-100), { regime, montantMensuel: mensuel })))
          .status,
      ).toBe(200);
      expect(
        (
          await d.send(
            asp.token,
            ev('REMUNERATION_PAIEMENT', day(-50), { mois: day(-80).slice(0, 7), montant: paid }),
          )
        ).status,
      ).toBe(200);
      expect((await d.send(of.token, ev('SORTIE', day(-10), { motif: 'FIN_FORMATION' }))).status).toBe(200);
    }
    await opcoFunded({ entree: -100, sortie: -10 });
    await opcoFunded({ entree: -100 });
    const post = (r: object) => stack.call('POST', '/v1/certifications/resultats', certifier.token, r);
    expect((await post(result({ dossierId: full.id }))).status).toBe(200);
    expect(
      (await post(result({ dossierId: partial.id }, { obtention: 'PARTIELLE', blocs: ['RNCP37674BC01'] })))
        .status,
    ).toBe(200);
    const cert = await stack.call('GET', '/v1/stats/certification?groupBy=certification', opco.token);
    expect(cert.status).toBe(200);
    expect(cert.body.total).toEqual({
      sortants: 3,
      obtenuesTotales: 1,
      obtenuesPartielles: 1,
      inconnues: 0,
      enAttente: 1,
      taux: 0.333,
      tauxAvecPartielles: 0.667,
    });
    expect(cert.body.groups).toMatchObject([{ key: 'RNCP37674', sortants: 3 }]);
    const pay = await stack.call(
      'GET',
      '/v1/stats/remunerations?groupBy=regime&financeur=' + opco.siret,
      opco.token,
    );
    expect(pay.body.total).toEqual({
      stagiaires: 2,
      periodes: 2,
      montantVerse: 1500.25,
      montantMensuelMoyen: 842.75,
    });
    expect(pay.body.groups).toEqual([
      { key: 'AREF', stagiaires: 1, periodes: 1, montantVerse: 1000, montantMensuelMoyen: 1000 },
      { key: 'RFPE', stagiaires: 1, periodes: 1, montantVerse: 500.25, montantMensuelMoyen: 685.5 },
    ]);
    // The remunerator's figures: what it pays, never the amounts funded.
    const mine = await stack.call('GET', '/v1/stats/remunerations?financeur=' + opco.siret, asp.token);
    expect(mine.body.total).toMatchObject({ stagiaires: 2, montantVerse: 1500.25 });
    const funded = await stack.call('GET', '/v1/stats/financements?groupBy=financeur', asp.token);
    expect(funded.body.groups).toEqual([]);
    const insertion = await stack.call('GET', '/v1/stats/insertion?point=M3&groupBy=region', asp.token);
    expect(insertion.body.groups).toEqual([]);
  });
});
