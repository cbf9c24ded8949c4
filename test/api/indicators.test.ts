import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, nir, siret, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, TEST_DATA_KEY, startStack } from '../helpers/stack';
import { exportPseudonymizer, nirHasher } from '../../infra/pseudonym';

/**
 * Indicators and the regional file on a fixed data set of 30 dossiers, whose expected figures are
 * computed here from the data set's own description, independently of the SQL behind them.
 */
const N = 30;
const run = uid();
const EXIT = '2025-03-31';
// Months loaded: the exit month (no job for anyone), M3 and M6. M12 (2026-03) is not loaded.
const MONTHS = { SORTIE: '2025-03', M3: '2025-06', M6: '2025-09' };

interface Spec {
  i: number;
  id: string;
  nir: string;
  region: string;
  dispositif: string;
  objectif: string;
  exited: boolean;
  closed: 'TOTALE' | 'PARTIELLE' | null;
  annulled: boolean;
  cofinanced: boolean;
  /** The best job's category at M3 and M6 (null: no job), and whether it is durable. */
  m3: { cat: string; durable: boolean } | null;
  m6: { cat: string; durable: boolean } | null;
  multi: boolean;
}

const specs: Spec[] = Array.from({ length: N }, (_, i) => {
  const kind = i % 4; // 0: CDI, 1: CDD of 8 months, 2: CDD of 2 months (M3 only), 3: no job
  const exited = i < 24;
  const closed = !exited || i % 3 !== 0 ? null : [3, 9, 15].includes(i) ? 'PARTIELLE' : 'TOTALE';
  const cdi = { cat: 'CDI', durable: true };
  const cdd8 = { cat: 'CDD', durable: true };
  return {
    i,
    id: `IND-${run}-${String(i).padStart(2, '0')}`,
    nir: nir(`2${String(900000000000 + Number.parseInt(run, 16) * 100 + i).slice(-12)}`),
    region: [1, 6, 29].includes(i) ? '93' : i === 2 ? '76' : i < 15 ? '84' : '11',
    dispositif: i % 5 === 0 ? 'AIF' : 'PRF',
    objectif: [4, 8].includes(i) ? 'PROFESSIONNALISANTE' : 'CERTIFIANTE',
    exited,
    closed,
    annulled: i === 29,
    cofinanced: i % 2 === 0,
    m3: !exited
      ? null
      : kind === 0
        ? cdi
        : kind === 1
          ? cdd8
          : kind === 2
            ? { cat: 'CDD', durable: false }
            : null,
    m6: !exited ? null : kind === 0 ? cdi : kind === 1 ? cdd8 : null,
    multi: exited && i % 8 === 0,
  };
});

type View = {
  situations: {
    point: string;
    statut: string;
    meilleurEmploi?: { categorie: string };
    multiEmploi?: boolean;
  }[];
};

let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let ft: P;
let opco: P;
let of: P;
let stranger: P;
const EMPLOYER = siret('5555555500001');

function dsnMonth(point: 'SORTIE' | 'M3' | 'M6'): string {
  const lines = ['nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures'];
  if (point === 'SORTIE') return lines.join('\n');
  for (const s of specs) {
    const job = s[point === 'M3' ? 'm3' : 'm6'];
    if (!job) continue;
    const { nature, end } =
      job.cat === 'CDI'
        ? { nature: '01', end: '' }
        : job.durable
          ? { nature: '02', end: '2026-01-15' }
          : { nature: '02', end: '2025-07-15' };
    lines.push(`${s.nir},${EMPLOYER},6201Z,${nature},2025-05-01,${end},120`);
    if (s.multi) lines.push(`${s.nir},${siret('6666666600001')},4711D,64,2025-05-10,,20`);
  }
  return lines.join('\n');
}

async function send(token: string, id: string, event: Record<string, unknown>) {
  const res = await stack.call('POST', `/v1/dossiers/${id}/events`, token, {
    eventId: `${id}-${String(event.type)}`,
    ...event,
  });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

beforeAll(async () => {
  stack = await startStack();
  ft = await stack.partner('FRANCE_TRAVAIL');
  opco = await stack.partner('OPCO');
  of = await stack.partner('ORGANISME_FORMATION');
  stranger = await stack.partner('FRANCE_TRAVAIL');
  for (const [point, mois] of Object.entries(MONTHS)) {
    const res = await stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: dsnMonth(point as 'SORTIE' | 'M3' | 'M6'),
    });
    expect(res.status).toBe(200);
  }
  await Promise.all(
    specs.map(async (s) => {
      const base = createBody();
      const body = createBody({
        dossierId: s.id,
        date: '2024-11-05',
        stagiaire: { ...base.stagiaire, nir: s.nir },
        organisme: { siret: of.siret, raisonSociale: 'OF indicateurs' },
        action: {
          ...base.action,
          region: s.region as '84',
          departement: s.region === '93' ? '13' : s.region === '76' ? '31' : s.region === '11' ? '75' : '69',
          dispositif: s.dispositif,
          objectif: s.objectif,
          dateDebutPrevue: '2024-12-02',
          dateFinPrevue: '2025-03-31',
        },
        financements: [
          { financeurSiret: ft.siret, montantEngage: 1000 },
          ...(s.cofinanced ? [{ financeurSiret: opco.siret, montantEngage: 500.5 }] : []),
        ],
      });
      const created = await stack.call('POST', '/v1/dossiers', ft.token, body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await send(ft.token, s.id, { type: 'VALIDATION', date: '2024-11-20' });
      if (s.annulled) return send(ft.token, s.id, { type: 'ANNULATION', date: '2024-11-25' });
      if (!s.exited) return;
      await send(of.token, s.id, { type: 'ENTREE', date: '2024-12-02' });
      await send(of.token, s.id, {
        type: 'SORTIE',
        date: EXIT,
        motif: 'FIN_FORMATION',
        ...(s.i % 2 ? { heuresRealisees: 600 } : {}),
      });
      if (s.closed) {
        await send(ft.token, s.id, {
          type: 'CLOTURE',
          date: '2025-04-15',
          realisation: s.closed,
          montantsRealises: [
            { financeurSiret: ft.siret, montant: 900 },
            ...(s.cofinanced ? [{ financeurSiret: opco.siret, montant: 450 }] : []),
          ],
        });
      }
    }),
  );
  // The read model catches up: every exited dossier has its M6 point, every dossier its last event.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const list = await stack.call('GET', `/v1/dossiers?financeur=${ft.siret}&limit=500`, ft.token);
    const items = list.body.items as {
      dossierId: string;
      status: string;
      situations: { point: string; statut: string }[];
    }[];
    const ready = specs.every((s) => {
      const d = items.find((x) => x.dossierId === s.id);
      if (!d) return false;
      if (d.status !== (s.closed || s.annulled ? 'CLOS' : s.exited ? 'SORTI' : 'VALIDE')) return false;
      return !s.exited || d.situations.find((p) => p.point === 'M6')?.statut !== 'EN_ATTENTE';
    });
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the read model did not catch up in 60 s');
    await new Promise((r) => setTimeout(r, 300));
  }
}, 180_000);
afterAll(async () => stack?.stop());

/** A partner's figures are exact: every group, however small; a partner's groups show its name. */
function exact<G extends { key: string | null }>(groupBy: string, groups: G[]) {
  if (groupBy !== 'financeur' && groupBy !== 'organisme') return { groups };
  const names = new Map([ft, opco, of].map((p) => [p.siret, p.name]));
  return { groups: groups.map(({ key, ...rest }) => ({ key, nom: names.get(key!) ?? null, ...rest })) };
}

function countBy<T>(items: T[], key: (t: T) => (string | null)[]) {
  const m = new Map<string | null, T[]>();
  for (const t of items) for (const k of key(t)) m.set(k, [...(m.get(k) ?? []), t]);
  return [...m.entries()].sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

const statusOf = (s: Spec) => (s.closed || s.annulled ? 'CLOS' : s.exited ? 'SORTI' : 'VALIDE');
const issueOf = (s: Spec) =>
  s.annulled
    ? 'NON_REALISEE'
    : s.closed === 'TOTALE'
      ? 'REALISATION_TOTALE'
      : s.closed === 'PARTIELLE'
        ? 'REALISATION_PARTIELLE'
        : null;

describe('indicators (GET /v1/stats/...)', () => {
  it('counts dossiers per every group-by, exactly: no group withheld, partners named', async () => {
    const keys: Record<string, (s: Spec) => (string | null)[]> = {
      status: (s) => [statusOf(s)],
      issue: (s) => [issueOf(s)],
      financeur: (s) => [ft.siret, ...(s.cofinanced ? [opco.siret] : [])],
      dispositif: (s) => [s.dispositif],
      region: (s) => [s.region],
      objectif: (s) => [s.objectif],
      nsf: () => ['326'],
      qpv: () => ['false'],
      trimestreEntree: (s) => [s.exited ? '2024-T4' : null],
    };
    for (const [groupBy, key] of Object.entries(keys)) {
      const res = await stack.call('GET', `/v1/stats/dossiers?groupBy=${groupBy}`, ft.token);
      expect(res.status).toBe(200);
      const want = exact(
        groupBy,
        countBy(specs, key).map(([k, v]) => ({ key: k, dossiers: v.length })),
      );
      expect(res.body, groupBy).toEqual({ groupBy, total: N, ...want });
    }
    // Groups of 2 and 1 are there, as the partner may open each of those dossiers.
    const byObjectif = await stack.call('GET', '/v1/stats/dossiers?groupBy=objectif', ft.token);
    expect(byObjectif.body.groups).toEqual([
      { key: 'CERTIFIANTE', dossiers: 28 },
      { key: 'PROFESSIONNALISANTE', dossiers: 2 },
    ]);
  });

  it('applies the list filters and visibility', async () => {
    const filtered = await stack.call('GET', '/v1/stats/dossiers?groupBy=status&dispositif=AIF', ft.token);
    expect(filtered.body.total).toBe(specs.filter((s) => s.dispositif === 'AIF').length);
    const theOpco = await stack.call('GET', '/v1/stats/dossiers?groupBy=region', opco.token);
    expect(theOpco.body.total).toBe(specs.filter((s) => s.cofinanced).length);
    // Per financeur a dossier sits in each of its financeurs' groups, and once in the total, even
    // for a caller that is its second financeur.
    const cofinanced = specs.filter((s) => s.cofinanced).length;
    const perFinanceur = await stack.call('GET', '/v1/stats/dossiers?groupBy=financeur', opco.token);
    expect(perFinanceur.body.total).toBe(cofinanced);
    expect(perFinanceur.body.groups).toEqual(
      [
        { key: ft.siret, nom: ft.name, dossiers: cofinanced },
        { key: opco.siret, nom: opco.name, dossiers: cofinanced },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    const none = await stack.call('GET', '/v1/stats/dossiers?groupBy=status', stranger.token);
    expect(none.body).toEqual({ groupBy: 'status', total: 0, groups: [] });
    const noInsertion = await stack.call('GET', '/v1/stats/insertion?point=M3', stranger.token);
    expect(noInsertion.body).toMatchObject({ total: { dossiers: 0, tauxEmploi: null }, groups: [] });
    // The organisme sees the same dossiers, from its side: exact too.
    const fromOf = await stack.call('GET', '/v1/stats/dossiers?groupBy=region', of.token);
    expect(fromOf.body.groups).toEqual(
      countBy(specs, (s) => [s.region]).map(([k, v]) => ({ key: k, dossiers: v.length })),
    );
    // A Region by its territory: the dossiers of its region, groups of 3 included (those of this
    // data set: other tests have dossiers in region 93 too).
    const region93 = await stack.partner('REGION', '93');
    const byTerritory = await stack.call(
      'GET',
      `/v1/stats/dossiers?groupBy=status&financeur=${ft.siret}`,
      region93.token,
    );
    const in93 = specs.filter((s) => s.region === '93');
    expect(byTerritory.body.total).toBe(in93.length);
    expect(byTerritory.body.groups).toEqual(
      countBy(in93, (s) => [statusOf(s)]).map(([k, v]) => ({ key: k, dossiers: v.length })),
    );
    const bad = await stack.call('GET', '/v1/stats/dossiers?groupBy=nom', ft.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    const badPoint = await stack.call('GET', '/v1/stats/insertion?point=M4', ft.token);
    expect(badPoint.status).toBe(400);
    expect((await stack.call('GET', '/v1/stats/dossiers', null)).status).toBe(401);
  });

  it('gives insertion at 3, 6 and 12 months for exited dossiers whose point is known', async () => {
    const keys: Record<string, (s: Spec) => (string | null)[]> = {
      dispositif: (s) => [s.dispositif],
      organisme: () => [of.siret],
      region: (s) => [s.region],
      nsf: () => ['326'],
      qpv: () => ['false'],
    };
    const rate = (n: number, d: number) => Math.round((n / d) * 1000) / 1000;
    const figures = (list: Spec[], point: 'm3' | 'm6') => {
      const emploi = list.filter((s) => s[point] !== null).length;
      const durable = list.filter((s) => s[point]?.durable).length;
      return {
        dossiers: list.length,
        emploi,
        emploiDurable: durable,
        tauxEmploi: rate(emploi, list.length),
        tauxEmploiDurable: rate(durable, list.length),
      };
    };
    const exited = specs.filter((s) => s.exited);
    for (const point of ['M3', 'M6'] as const) {
      for (const [groupBy, key] of Object.entries(keys)) {
        const res = await stack.call(
          'GET',
          `/v1/stats/insertion?point=${point}&groupBy=${groupBy}`,
          ft.token,
        );
        expect(res.status).toBe(200);
        const p = point === 'M3' ? 'm3' : 'm6';
        const want = exact(
          groupBy,
          countBy(exited, key).map(([k, v]) => ({ key: k, ...figures(v, p) })),
        );
        expect(res.body, `${point} by ${groupBy}`).toEqual({
          point,
          groupBy,
          total: figures(exited, p),
          ...want,
        });
      }
    }
    // The durable-job rule: a 2-month CDD is a job, not a durable one.
    const m3 = await stack.call('GET', '/v1/stats/insertion?point=M3&groupBy=organisme', ft.token);
    expect(m3.body.total).toMatchObject({ dossiers: 24, emploi: 18, emploiDurable: 12 });
    // Region 93 (2 exited) and 76 (1) are shown like 84 and 11.
    const byRegion = await stack.call('GET', '/v1/stats/insertion?point=M6&groupBy=region', ft.token);
    expect(byRegion.body.groups.map((g: { key: string }) => g.key)).toEqual(['11', '76', '84', '93']);
    // M12's month is not loaded: nothing is known yet.
    const m12 = await stack.call('GET', '/v1/stats/insertion?point=M12', ft.token);
    expect(m12.body).toMatchObject({ point: 'M12', total: { dossiers: 0 }, groups: [] });
  });

  it('sums engaged and realised amounts of co-financed dossiers', async () => {
    const closed = specs.filter((s) => s.closed);
    const res = await stack.call('GET', '/v1/stats/financements?groupBy=financeur', ft.token);
    expect(res.status).toBe(200);
    const want = [
      {
        key: ft.siret,
        dossiers: N,
        montantEngage: 1000 * N,
        montantRealise: 900 * closed.length,
        dossiersRealises: closed.length,
      },
      {
        key: opco.siret,
        dossiers: specs.filter((s) => s.cofinanced).length,
        montantEngage: 500.5 * specs.filter((s) => s.cofinanced).length,
        montantRealise: 450 * closed.filter((s) => s.cofinanced).length,
        dossiersRealises: closed.filter((s) => s.cofinanced).length,
      },
    ].sort((a, b) => a.key.localeCompare(b.key));
    expect(res.body).toEqual({ groupBy: 'financeur', ...exact('financeur', want) });
    const byDispositif = await stack.call('GET', '/v1/stats/financements?groupBy=dispositif', ft.token);
    const aif = specs.filter((s) => s.dispositif === 'AIF');
    expect(byDispositif.body.groups.find((g: { key: string }) => g.key === 'AIF')).toEqual({
      key: 'AIF',
      dossiers: aif.length,
      montantEngage: aif.reduce((t, s) => t + 1000 + (s.cofinanced ? 500.5 : 0), 0),
      montantRealise: aif.filter((s) => s.closed).reduce((t, s) => t + 900 + (s.cofinanced ? 450 : 0), 0),
      dossiersRealises: aif.filter((s) => s.closed).length,
    });
  });

  it('compares what a training costs: amounts, hours and hourly costs, per group and in total', async () => {
    const money = (n: number) => Math.round(n * 100) / 100;
    const closed = (s: Spec) => s.closed !== null;
    const hours = (s: Spec) => (s.exited && s.i % 2 ? 600 : 0);
    /** A group's figures from lines of (engaged, realised or null, planned hours, realised hours). */
    const costs = (lines: { e: number; r: number | null; p: number; h: number }[]) => {
      const withHours = lines.filter((l) => l.r !== null && l.h > 0);
      const sum = (xs: number[]) => xs.reduce((t, x) => t + x, 0);
      return {
        dossiers: lines.length,
        montantEngage: money(sum(lines.map((l) => l.e))),
        montantRealise: money(sum(lines.map((l) => l.r ?? 0))),
        heuresPrevues: sum(lines.map((l) => l.p)),
        heuresRealisees: sum(lines.map((l) => l.h)),
        coutHoraireEngage: money(sum(lines.map((l) => l.e)) / sum(lines.map((l) => l.p))),
        coutHoraireRealise: withHours.length
          ? money(sum(withHours.map((l) => l.r!)) / sum(withHours.map((l) => l.h)))
          : null,
      };
    };
    const dossierLine = (s: Spec) => ({
      e: 1000 + (s.cofinanced ? 500.5 : 0),
      r: closed(s) ? 900 + (s.cofinanced ? 450 : 0) : null,
      p: 800,
      h: hours(s),
    });
    const byDispositif = await stack.call('GET', '/v1/stats/couts?groupBy=dispositif', ft.token);
    expect(byDispositif.status).toBe(200);
    expect(byDispositif.body).toEqual({
      groupBy: 'dispositif',
      total: costs(specs.map(dossierLine)),
      groups: countBy(specs, (s) => [s.dispositif]).map(([k, v]) => ({
        key: k,
        ...costs(v.map(dossierLine)),
      })),
    });
    // Per financeur: its own lines, over the dossiers' hours.
    const byFinanceur = await stack.call('GET', '/v1/stats/couts?groupBy=financeur', ft.token);
    const ftLines = specs.map((s) => ({ e: 1000, r: closed(s) ? 900 : null, p: 800, h: hours(s) }));
    const opcoLines = specs
      .filter((s) => s.cofinanced)
      .map((s) => ({ e: 500.5, r: closed(s) ? 450 : null, p: 800, h: hours(s) }));
    expect(byFinanceur.body.groups).toEqual(
      [
        { key: ft.siret, nom: ft.name, ...costs(ftLines) },
        { key: opco.siret, nom: opco.name, ...costs(opcoLines) },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(byFinanceur.body.total).toEqual(costs(specs.map(dossierLine)));
    // Sanity of the hand computation: realised 900 over 600 hours where both are known.
    expect(costs(ftLines).coutHoraireRealise).toBe(1.5);
    const bad = await stack.call('GET', '/v1/stats/couts?groupBy=statut', ft.token);
    expect(bad.status).toBe(400);
  });
});

describe('the regional file (GET /v1/exports/insertion.csv)', () => {
  it('streams the exact header and rows, pseudonymised, and audits the export', async () => {
    const res = await stack.app.request('/v1/exports/insertion.csv?region=93', {
      headers: { authorization: `Bearer ${ft.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const pseudo = exportPseudonymizer({ AGORA_DATA_KEY: TEST_DATA_KEY });
    const hash = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
    const sit = (d: View, point: string) => {
      const s = d.situations.find((x) => x.point === point)!;
      return s.statut === 'EMPLOI' ? s.meilleurEmploi!.categorie : s.statut;
    };
    const multi = (d: View, point: string) => {
      const s = d.situations.find((x) => x.point === point)!;
      return s.multiEmploi === undefined ? '' : String(s.multiEmploi);
    };
    const rows: string[] = [];
    for (const s of specs.filter((x) => x.region === '93').sort((a, b) => a.id.localeCompare(b.id))) {
      const d = (await stack.call('GET', `/v1/dossiers/${s.id}`, ft.token)).body;
      rows.push(
        [
          s.id,
          pseudo(hash(s.nir)),
          '93',
          '13',
          s.dispositif,
          of.siret,
          s.exited ? '2024-12-02' : '',
          s.exited ? EXIT : '',
          s.exited ? 'FIN_FORMATION' : '',
          statusOf(s),
          issueOf(s) ?? '',
          ...['VALIDATION', 'ENTREE', 'SORTIE', 'M3', 'M6', 'M12'].map((p) => sit(d, p)),
          ...['M3', 'M6', 'M12'].map((p) => multi(d, p)),
        ].join(','),
      );
    }
    const header =
      'dossier_id,stagiaire_pseudo,region,departement,dispositif,organisme_siret,date_entree,date_sortie,motif_sortie,statut,issue,situation_validation,situation_entree,situation_sortie,situation_3m,situation_6m,situation_12m,multi_emploi_3m,multi_emploi_6m,multi_emploi_12m';
    expect(text).toBe([header, ...rows].join('\n') + '\n');
    // Hand-checked cells: dossier 01 has a durable CDD at M3 and M6; 06 a CDD at M3 only.
    expect(rows[0]).toContain(',SANS_EMPLOI,CDD,CDD,EN_ATTENTE,false,false,');
    expect(rows[1]).toContain(',SANS_EMPLOI,CDD,SANS_EMPLOI,EN_ATTENTE,false,false,');
    for (const s of specs) expect(text).not.toContain(s.nir);

    const audit = await stack.call('GET', '/v1/admin/audit?limit=1000', ADMIN_TOKEN);
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({ action: 'EXPORT', actorSiret: ft.siret }),
    );
  });

  it('gives a Region its own region only, and a partner only what it sees', async () => {
    const region93 = await stack.partner('REGION', '93');
    const own = await stack.app.request('/v1/exports/insertion.csv?region=93', {
      headers: { authorization: `Bearer ${region93.token}` },
    });
    expect(own.status).toBe(200);
    const ownText = await own.text();
    for (const s of specs.filter((x) => x.region === '93')) expect(ownText).toContain(s.id);
    const other = await stack.call('GET', '/v1/exports/insertion.csv?region=84', region93.token);
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
    const strangers = await stack.app.request('/v1/exports/insertion.csv?region=93', {
      headers: { authorization: `Bearer ${stranger.token}` },
    });
    expect((await strangers.text()).trim().split('\n')).toHaveLength(1);
    const bad = await stack.call('GET', '/v1/exports/insertion.csv?region=99', ft.token);
    expect(bad.status).toBe(400);
  });

  it('is written by the export workflow with its manifest, the same bytes as over HTTP', async () => {
    const result = await stack.client.workflow.execute('insertionExportWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `insertion-export-test-${run}`,
      args: [{ regions: ['93', '76'], date: '2030-01-07' }],
    });
    expect(result.files).toEqual([
      { region: '93', rows: expect.any(Number) },
      { region: '76', rows: expect.any(Number) },
    ]);
    const folder = join(stack.exportDir, 'insertion', '2030-01-07');
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'insertion', date: '2030-01-07' });
    const overHttp = await (
      await stack.app.request('/v1/exports/insertion.csv?region=93', {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).text();
    const file = readFileSync(join(folder, 'insertion-93.csv'));
    expect(file.toString('utf8')).toBe(overHttp);
    expect(manifest.files.find((f: { region: string }) => f.region === '93')).toEqual({
      region: '93',
      file: 'insertion-93.csv',
      rows: overHttp.trim().split('\n').length - 1,
      bytes: file.length,
      sha256: createHash('sha256').update(file).digest('hex'),
    });
    expect(readdirSync(folder).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});
