import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, launchChromium, signInAsAgent, signInConsole } from '../helpers/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';
import { createBody, nir, siret, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, listen, startStack } from '../helpers/stack';

/**
 * The console in a real browser (Debian's Chromium driven by playwright-core): a case worker signs
 * in, searches, reads a dossier's timeline and situations and the dashboard; another partner
 * cannot reach that dossier. Each step saves a screenshot under test-artifacts/.
 */
const ARTIFACTS = join(ROOT, 'test-artifacts');
let stack: Stack;
let server: Awaited<ReturnType<typeof listen>>;
let base = '';
let browser: Browser;
type P = Awaited<ReturnType<Stack['partner']>>;
let ft: P;
let of: P;
let other: P;
let asp: P;
let certifier: P;
const run = uid();
const person = nir(`1850675${String(Date.now()).slice(-6)}`);
const ids = Array.from({ length: 12 }, (_, i) => `CONS-${run}-${String(i).padStart(2, '0')}`);

async function send(token: string, id: string, event: Record<string, unknown>) {
  const res = await stack.call('POST', `/v1/dossiers/${id}/events`, token, {
    eventId: `${id}-${String(event.type)}-${String(event.date)}`,
    ...event,
  });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  ft = await stack.partner('FRANCE_TRAVAIL');
  of = await stack.partner('ORGANISME_FORMATION');
  other = await stack.partner('OPCO');
  asp = await stack.partner('REMUNERATEUR');
  certifier = await stack.partner('CERTIFICATEUR');
  // The months of the first dossier's 3- and 6-month points: a CDI then two jobs.
  const employer = siret('7123456700001');
  for (const [mois, lines] of [
    ['2024-07', [`${person},${employer},6201Z,01,2024-06-03,,151.67`]],
    [
      '2024-10',
      [
        `${person},${employer},6201Z,01,2024-06-03,,151.67`,
        `${person},${siret('7223456700001')},5610A,02,2024-10-01,2024-12-31,20`,
      ],
    ],
  ] as const) {
    const res = await stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: ['nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures', ...lines].join('\n'),
    });
    expect(res.status).toBe(200);
  }
  for (const [i, id] of ids.entries()) {
    const b = createBody();
    const body = createBody({
      dossierId: id,
      date: '2023-12-01',
      stagiaire: {
        ...b.stagiaire,
        nir: i === 0 ? person : b.stagiaire.nir,
        nom: i === 0 ? 'Durand' : `Nom${i}`,
      },
      organisme: { siret: of.siret, raisonSociale: 'Centre de formation Exemple' },
      action: {
        ...b.action,
        dispositif: i % 2 ? 'AIF' : 'PRF',
        dateDebutPrevue: '2024-01-08',
        dateFinPrevue: '2024-04-30',
      },
      financements: [{ financeurSiret: ft.siret, montantEngage: 4200 }],
      ...(i === 1 ? { remunerateurSiret: asp.siret } : {}),
    });
    expect((await stack.call('POST', '/v1/dossiers', ft.token, body)).status).toBe(201);
    await send(ft.token, id, { type: 'VALIDATION', date: '2023-12-15' });
    if (i === 11) continue;
    await send(of.token, id, { type: 'ENTREE', date: '2024-01-08' });
    // The second trainee is paid during the training.
    if (i === 1) {
      await send(asp.token, id, {
        type: 'REMUNERATION_DEBUT',
        date: '2024-01-08',
        regime: 'RFPE',
        montantMensuel: 685,
      });
      await send(asp.token, id, {
        type: 'REMUNERATION_PAIEMENT',
        date: '2024-02-05',
        mois: '2024-01',
        montant: 685,
      });
    }
    await send(of.token, id, {
      type: 'SORTIE',
      date: '2024-04-30',
      motif: 'FIN_FORMATION',
      heuresRealisees: 600,
    });
  }
  // The third trainee obtained the certification.
  const result = await stack.call('POST', '/v1/certifications/resultats', certifier.token, {
    resultatId: `res-${run}`,
    certification: 'RNCP37674',
    obtention: 'TOTALE',
    blocs: [],
    dateObtention: '2024-06-01',
    modaliteAcces: 'FORMATION_CONTINUE',
    titulaire: { dossierId: ids[2] },
  });
  expect(result.body.statut).toBe('RAPPROCHE');
  await send(of.token, ids[0]!, {
    type: 'RECTIFICATION',
    date: '2024-05-02',
    changes: { dates: { entree: '2024-01-09' } },
  });
  await send(ft.token, ids[0]!, {
    type: 'CLOTURE',
    date: '2024-05-15',
    realisation: 'TOTALE',
    montantsRealises: [{ financeurSiret: ft.siret, montant: 4000 }],
  });
  // The situations are recorded and projected.
  for (let i = 0; i < 120; i++) {
    const d = (await stack.call('GET', `/v1/dossiers/${ids[0]}`, ft.token)).body;
    const listed = await stack.call('GET', `/v1/dossiers?financeur=${ft.siret}&limit=50`, ft.token);
    const m6 = d.situations?.find((s: { point: string }) => s.point === 'M6');
    if (
      m6?.statut === 'EMPLOI' &&
      listed.body.items.length === ids.length &&
      listed.body.items.some((x: { status: string }) => x.status === 'CLOS')
    )
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  server = await listen(stack.app);
  base = server.url;
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.stop();
});

const signIn = async (p: { siret: string }): Promise<Page> =>
  signInConsole(browser, base, await stack.agent(p.siret));

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

describe('the console in a browser', () => {
  it('walks every page at 390 and 1366 px: DSFR header and footer, no sideways scroll, axe-core clean', async () => {
    const agent = await stack.agent(ft.siret, { prenom: 'Alex', nom: 'Petit' });
    const pages = [
      ['tableau', '/console'],
      ['dossiers', '/console/dossiers'],
      ['dossier', `/console/dossiers/${ids[0]}`],
      ['remunerations', '/console/remunerations'],
      ['accessibilite', '/console/accessibilite'],
      ['mentions', '/console/mentions-legales'],
    ] as const;
    for (const width of [390, 1366]) {
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        locale: 'fr-FR',
        bypassCSP: true,
      });
      const page = await context.newPage();
      await page.goto(`${base}/console/connexion`);
      expect(await axeViolations(page), `connexion at ${width}`).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, `console-connexion-${width}.png`), fullPage: true });
      await signInAsAgent(page, agent.email, agent.motDePasse);
      await page.waitForURL(`${base}/console`);
      for (const [name, path] of pages) {
        await page.goto(`${base}${path}`);
        await expect(page.locator('.fr-header .fr-logo').first().textContent()).resolves.toMatch(
          /République\s*Française/,
        );
        await expect(page.locator('footer.fr-footer').textContent()).resolves.toContain('Accessibilité');
        expect(await axeViolations(page), `${name} at ${width}`).toEqual([]);
        const sideways = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
        expect(sideways, `${name} scrolls sideways at ${width}`).toBe(false);
        await page.screenshot({ path: join(ARTIFACTS, `console-${name}-${width}.png`), fullPage: true });
      }
      await context.close();
    }
  });

  it('shows the dashboard with its charts and figures', async () => {
    const page = await signIn(ft);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Tableau de bord');
    const kpi = await page.locator('.kpi').first().textContent();
    expect(kpi).toContain('12');
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(2);
    await expect(page.getByRole('img', { name: 'Dossiers par état' }).isVisible()).resolves.toBe(true);
    // Personal data: no page is kept by a browser or a proxy.
    const again = await page.goto(`${base}/console`);
    expect(again?.headers()['cache-control']).toBe('no-store');
    // Exact figures, partners by name, costs, and each panel's figures as CSV.
    expect(await page.content()).not.toContain('masqué');
    await expect(
      page.getByRole('img', { name: 'Coût horaire engagé par dispositif' }).isVisible(),
    ).resolves.toBe(true);
    expect(await page.locator('section[aria-labelledby=t-financeur]').textContent()).toContain(
      `FRANCE_TRAVAIL ${ft.siret}`,
    );
    expect(await page.locator('.meta').first().textContent()).toContain('Chargement des données');
    const csv = await page.request.get(
      `${base}/console/export.csv?stat=${encodeURIComponent('/v1/stats/dossiers?groupBy=status')}`,
    );
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('key,dossiers');
    expect(lines.slice(1).reduce((t, l) => t + Number(l.split(',')[1]), 0)).toBe(12);
    const refused = await page.request.get(
      `${base}/console/export.csv?stat=${encodeURIComponent('/v1/admin/partners')}`,
    );
    expect(refused.status()).toBe(400);
    await shot(page, 'tableau-de-bord');
    await page.context().close();
  });

  it('searches by dossier number and by NIR, filters and opens a dossier with its timeline and situations', async () => {
    const page = await signIn(ft);
    await page.getByRole('link', { name: 'Dossiers' }).click();
    await page.waitForURL(`${base}/console/dossiers`);
    expect(await page.locator('tbody tr').count()).toBeGreaterThanOrEqual(ids.length);
    await shot(page, 'liste');

    await page.getByLabel('État').selectOption('CLOS');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(/status=CLOS/);
    const closed = await page.locator('tbody tr').allTextContents();
    expect(closed).toHaveLength(1);
    expect(closed[0]).toContain(ids[0]);
    expect(closed[0]).toContain('Clos - Réalisation totale');

    await page.goto(`${base}/console/dossiers`);
    await page.getByLabel('N° de dossier, nom ou NIR').fill(person);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForLoadState();
    expect(await page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining(ids[0]!)]);
    // The NIR was posted, never put in the address (browser history, proxy logs).
    expect(page.url()).toBe(`${base}/console/dossiers`);

    // By name (posted too), whatever its case and accents: the trainee Durand.
    await page.getByLabel('N° de dossier, nom ou NIR').fill('durând');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForLoadState();
    expect(await page.locator('tbody tr').allTextContents()).toEqual([expect.stringContaining(ids[0]!)]);
    expect(page.url()).toBe(`${base}/console/dossiers`);
    // The start of a dossier number: the list of those it begins.
    await page.getByLabel('N° de dossier, nom ou NIR').fill(`CONS-${run}-0`);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(/q=CONS/);
    expect(await page.locator('tbody tr').count()).toBe(10);

    await page.getByLabel('N° de dossier, nom ou NIR').fill(ids[0]!);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForURL(`${base}/console/dossiers/${ids[0]}`);
    const h1 = await page.getByRole('heading', { level: 1 }).textContent();
    expect(h1).toContain('Clos - Réalisation totale');
    const timeline = await page.locator('ol.timeline > li').allTextContents();
    expect(timeline.map((t) => t.split(' le ')[0])).toEqual([
      'Création du dossier',
      'Validation du financement',
      'Entrée en formation',
      'Sortie de formation',
      'Rectification',
      'Clôture',
    ]);
    expect(timeline[3]).toContain('Fin de formation');
    // The correction with its before and after.
    const correction = await page.locator('ol.timeline > li.RECTIFICATION tbody tr').allTextContents();
    expect(correction).toEqual([expect.stringMatching(/Dates · entrée\s*08\/01\/2024\s*09\/01\/2024/)]);
    // The six points: a CDI at 3 months, still a CDI (with a second job) at 6.
    const strip = await page.locator('.strip .point').allTextContents();
    expect(strip).toHaveLength(6);
    expect(strip[3]).toMatch(/3 mois après.*CDI/);
    expect(strip[4]).toMatch(/6 mois après.*CDI.*multi-emploi/);
    // 12 months after an exit of April 2024: that month was never loaded, and 24 months have passed.
    expect(strip[5]).toMatch(/12 mois après.*Non disponible/);
    const financing = await page.locator('section[aria-labelledby=t-fin] tbody tr').allTextContents();
    expect(financing[0]).toMatch(/4\s200,00\s€.*4\s000,00\s€/);
    await shot(page, 'dossier');
    await page.context().close();
  });

  it('shows the certification and the pay on the dossier, the certification rate and the pay figures', async () => {
    const page = await signIn(ft);
    await page.goto(`${base}/console/dossiers/${ids[0]}`);
    // No result 12 months after an exit of April 2024: unknown, never "failed".
    expect(await page.locator('section[aria-labelledby=t-cert]').textContent()).toMatch(
      /RNCP37674.*Inconnue/,
    );
    await page.goto(`${base}/console/dossiers/${ids[2]}`);
    expect(await page.locator('section[aria-labelledby=t-cert]').textContent()).toMatch(
      /Obtenue.*01\/06\/2024/,
    );
    const timeline = await page.locator('ol.timeline > li.CERTIFICATION').textContent();
    expect(timeline).toContain('RNCP37674 obtenue en totalité');
    await page.goto(`${base}/console/dossiers/${ids[1]}`);
    const pay = await page.locator('section[aria-labelledby=t-remu] tbody tr').allTextContents();
    expect(pay).toEqual([
      expect.stringMatching(/RFPE.*08\/01\/2024.*30\/04\/2024.*fin de formation.*685,00\s€.*685,00\s€/),
    ]);
    await shot(page, 'dossier-remuneration');
    await page.goto(`${base}/console`);
    await expect(
      page.getByRole('img', { name: 'Taux de certification par dispositif' }).isVisible(),
    ).resolves.toBe(true);
    const certRows = await page
      .locator('section[aria-labelledby=t-certification] tbody tr')
      .allTextContents();
    expect(certRows.join(' ')).toMatch(/PRF/);
    await page.getByRole('link', { name: 'Rémunérations' }).click();
    await page.waitForURL(`${base}/console/remunerations`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Rémunération des stagiaires',
    );
    expect(await page.locator('.kpi').first().textContent()).toContain('1');
    expect(
      await page.locator('section[aria-labelledby=t-regime] .fr-table tbody tr').allTextContents(),
    ).toEqual([expect.stringMatching(/RFPE.*1.*685,00\s€/)]);
    await shot(page, 'remunerations');
    await page.context().close();
  });

  it("never shows a partner another partner's dossier", async () => {
    const page = await signIn(other);
    const res = await page.goto(`${base}/console/dossiers/${ids[0]}`);
    expect(res?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Dossier introuvable');
    await page.goto(`${base}/console/dossiers`);
    expect(await page.content()).not.toContain(ids[0]);
    // An OPCO that does not fund it cannot find it by NIR either.
    await page.getByLabel('N° de dossier, nom ou NIR').fill(person);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForLoadState();
    expect(await page.content()).toContain('Aucun dossier ne correspond');
    expect(await page.content()).not.toContain(ids[0]);
    // A NIR in an address is not searched.
    await page.goto(`${base}/console/dossiers?q=${person}`);
    expect(await page.content()).toContain('La recherche par NIR ou par nom passe par le formulaire');
    await shot(page, 'autre-partenaire');
    await page.context().close();
  });

  it('shows a Region reading by territory that it reads only, why the NIR is masked, the facts in words; the list as CSV', async () => {
    const region = await stack.partner('REGION', '84');
    const page = await signIn(region);
    await page.goto(`${base}/console/dossiers/${ids[0]}`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('Lecture seule : vous voyez ce dossier au titre de votre territoire');
    expect(text).toContain('(masqué)');
    expect(text).not.toContain(person);
    expect(text).toMatch(/Objectif\s*Certifiante/);
    expect(text).toMatch(/800 h prévues · 600 h réalisées/);
    // SIRETs read as the registered partners' names: the financeur, the sources.
    expect(text).toContain(`${ft.name} · ${ft.siret}`);
    expect(text).toContain(`source ${of.name} (${of.siret})`);
    // Its region filter offers its own region only.
    await page.goto(`${base}/console/dossiers`);
    expect(await page.getByLabel('Région').locator('option').allTextContents()).toEqual([
      'Tous',
      'Auvergne-Rhône-Alpes',
    ]);
    await page.context().close();

    // France Travail: "financés par nous", and the list as CSV with the same filters.
    const ftPage = await signIn(ft);
    await ftPage.goto(`${base}/console/dossiers`);
    // The dispositif filter offers those of its dossiers.
    expect(await ftPage.getByLabel('Dispositif').locator('option').allTextContents()).toEqual([
      'Tous',
      'AIF',
      'PRF',
    ]);
    await ftPage.getByLabel('Financés par nous').check();
    await ftPage.getByLabel('Par page').selectOption('20');
    await ftPage.getByRole('button', { name: 'Rechercher' }).click();
    await ftPage.waitForURL(/financeur=/);
    expect(await ftPage.locator('tbody tr').count()).toBe(ids.length);
    await expect(ftPage.locator('main p.meta[role=status]').textContent()).resolves.toMatch(/^12 dossiers/);
    const href = await ftPage.getByRole('link', { name: 'Télécharger la liste (CSV)' }).getAttribute('href');
    const csv = await ftPage.context().request.get(`${base}${href}`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'dossier,prenom,nom,etat,interrompu,dispositif,intitule,organisme,region,entree,sortie',
    );
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[0])
        .sort(),
    ).toEqual([...ids].sort());
    // Business dates: the dossiers that entered training (all but the last) from that day.
    await ftPage.getByRole('group', { name: 'Entrée en formation' }).getByLabel('du').fill('2024-01-08');
    await ftPage.getByRole('button', { name: 'Rechercher' }).click();
    await ftPage.waitForURL(/entreeFrom=2024-01-08/);
    await expect(ftPage.locator('main p.meta[role=status]').textContent()).resolves.toMatch(/^11 dossiers/);
    // An address the console does not have: a page in French.
    const lost = await ftPage.goto(`${base}/console/nimportequoi`);
    expect(lost?.status()).toBe(404);
    expect(await ftPage.getByRole('heading', { level: 1 }).textContent()).toBe('Page introuvable');
    await ftPage.goto(`${base}/console/dossiers?sortieTo=2024-02-31`);
    expect(await ftPage.getByRole('alert').textContent()).toContain('« Sortie au »');
    await ftPage.context().close();
  });
});
