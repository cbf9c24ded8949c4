import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, nir, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/**
 * CONTRACT.md, "Open data (no token)": over every dossier of the platform, by year of exit x region
 * x dispositif x NSF, a group of 3 exits withheld and no withheld figure recoverable from the file.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
const run = uid();
const DISPOSITIF = `OD-${run}`;
const people: string[] = [];
const ids: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  // A year of exit no other test's dossiers have (the database is every test file's: their lines
  // beside these would decide what secrecy empties here). 12 exits in NSF 326 (9 in a job at 6 months... unknown here: no DSN), 3 in NSF 311.
  for (let i = 0; i < 15; i++) {
    const person = nir(`1${String(800000000000 + Number.parseInt(run, 16) * 20 + i).slice(-12)}`);
    people.push(person);
    const base = createBody();
    const body = createBody({
      dossierId: `OD-${run}-${i}`,
      date: '2011-11-05',
      stagiaire: { ...base.stagiaire, nir: person, nom: `Nom${run}${i}` },
      organisme: { siret: of.siret, raisonSociale: 'OF open data' },
      action: { ...base.action, dispositif: DISPOSITIF, nsf: i < 12 ? '326' : '311', region: '84' },
      financements: [{ financeurSiret: region.siret, montantEngage: 1000 }],
    });
    ids.push(body.dossierId);
    expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
    const send = async (token: string, e: Record<string, unknown>) =>
      expect(
        (
          await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, token, {
            eventId: `${body.dossierId}-${String(e.type)}`,
            ...e,
          })
        ).status,
      ).toBe(200);
    await send(region.token, { type: 'VALIDATION', date: '2011-11-20' });
    await send(of.token, { type: 'ENTREE', date: '2011-12-02' });
    await send(of.token, { type: 'SORTIE', date: '2012-03-31', motif: 'FIN_FORMATION' });
    if (i % 2 === 0) await send(region.token, { type: 'CLOTURE', date: '2012-04-15', realisation: 'TOTALE' });
  }
}, 120_000);
afterAll(async () => stack?.stop());

describe('open data (GET /open-data/...)', () => {
  it('serves every dossier of the platform without a token, a group of 3 withheld with the one beside it', async () => {
    // The admin publishes a version now (others: 403).
    expect((await stack.call('POST', '/v1/admin/open-data', region.token)).status).toBe(403);
    const published = await stack.call('POST', '/v1/admin/open-data', ADMIN_TOKEN);
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ generatedAt: expect.any(String), lines: expect.any(Number) });
    const res = await stack.app.request('/open-data/indicateurs.json');
    expect(res.status).toBe(200);
    const lines = (await res.json()) as Record<string, string | number | null>[];
    const mine = lines.filter((l) => l.dispositif === DISPOSITIF);
    const line = (nsf: string) => mine.find((l) => l.annee === '2012' && l.region === '84' && l.nsf === nsf)!;
    // The dispositif's total: 15 exits, 8 fully realised (closed TOTALE).
    expect(line('ENSEMBLE')).toMatchObject({
      sortants: 15,
      realisation_totale: 8,
      taux_realisation_totale: 0.533,
      emploi_6m: 0,
      certifies: 0,
    });
    // 3 exits: withheld; the 12 beside it too, or 15 - 12 would give them back.
    expect(line('311')).toMatchObject({ sortants: null, realisation_totale: null, taux_emploi_6m: null });
    expect(line('326')).toMatchObject({ sortants: null, emploi_12m: null });
    // No figure of fewer than 5 exits anywhere in the file.
    for (const l of lines) if (l.sortants !== null) expect(l.sortants).toBeGreaterThanOrEqual(5);
  });

  it('has the same lines as CSV, with no NIR, name, dossierId or SIRET, and a page that describes it', async () => {
    const res = await stack.app.request('/open-data/indicateurs.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await res.text();
    const [header, ...rows] = text.trim().split('\n');
    expect(header).toBe(
      'annee,region,dispositif,nsf,sortants,realisation_totale,emploi_6m,emploi_durable_6m,emploi_12m,certifies,taux_realisation_totale,taux_emploi_6m,taux_emploi_durable_6m,taux_emploi_12m,taux_certification',
    );
    expect(rows).toContain(`2012,84,${DISPOSITIF},311,,,,,,,,,,,`);
    expect(rows).toContain(`2012,84,${DISPOSITIF},ENSEMBLE,15,8,0,0,0,0,0.533,0,0,0,0`);
    for (const secret of [...people, ...ids, of.siret, region.siret, `Nom${run}0`])
      expect(text).not.toContain(secret);
    const json = (await (await stack.app.request('/open-data/indicateurs.json')).json()) as object[];
    expect(json).toHaveLength(rows.length);
    // Each JSON line's fields in the CSV's order.
    expect(Object.keys(json[0]!).join(',')).toBe(header);
    const page = await stack.app.request('/open-data/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Licence Ouverte 2.0');
    expect(html).toContain('Date des données');
    expect(html).toContain('taux_emploi_6m');
  });
});
