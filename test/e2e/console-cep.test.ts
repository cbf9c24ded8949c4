import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths';
import { axeViolations, launchChromium, signInConsole } from '../helpers/browser';
import { createBody, ev, nir, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { listen, startStack } from '../helpers/stack';

/**
 * The console's CEP pages in Chromium: an operator lists and searches its periods, reads one with
 * its services, prescription, the dossier it led to, the period continuing it and its follow-up,
 * and its dashboard; another operator cannot reach it; a Region reads figures and the dossier's
 * prescription, not the periods. Screenshots under test-artifacts/.
 */
const ARTIFACTS = join(ROOT, 'test-artifacts');
let stack: Stack;
let server: Awaited<ReturnType<typeof listen>>;
let base = '';
let browser: Browser;
type P = Awaited<ReturnType<Stack['partner']>>;
let ml: P;
let apec: P;
let region: P;
let of: P;
const run = uid();
const person = {
  nir: nir(`2950869${String(Date.now()).slice(-6)}`),
  nom: 'Lambert',
  prenom: 'Camille',
  dateNaissance: '1995-08-12',
};
const periodeId = `ML-69-${run}`;
const nextId = `APEC-${run}`;
const dossierId = `CEPD-${run}`;
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack();
  ml = await stack.partner('CEP_OPERATEUR');
  apec = await stack.partner('CEP_OPERATEUR');
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  const ok = async (p: Promise<{ status: number; body: unknown }>) => {
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  };
  await ok(
    stack.call('POST', '/v1/cep/periodes', ml.token, {
      eventId: `o-${run}`,
      periodeId,
      date: day(-60),
      beneficiaire: person,
      situation: 'DEMANDEUR_EMPLOI',
      region: '84',
      departement: '69',
    }),
  );
  const path = `/v1/cep/periodes/${periodeId}/events`;
  await ok(
    stack.call(
      'POST',
      path,
      ml.token,
      ev('SERVICE', day(-58), { service: 'ENTRETIEN', modalite: 'PRESENTIEL' }),
    ),
  );
  await ok(
    stack.call('POST', path, ml.token, ev('SERVICE', day(-50), { service: 'ATELIER', modalite: 'DISTANCE' })),
  );
  await ok(stack.call('POST', path, ml.token, ev('ACCOMPAGNEMENT', day(-45), { objectif: 'RECONVERSION' })));
  await ok(
    stack.call(
      'POST',
      path,
      ml.token,
      ev('PRESCRIPTION', day(-40), {
        prescriptionId: 'P-1',
        intitule: 'Titre pro Développeur web',
        dispositif: 'PRF',
      }),
    ),
  );
  await ok(
    stack.call(
      'POST',
      '/v1/dossiers',
      region.token,
      createBody({
        dossierId,
        stagiaire: person,
        organisme: { siret: of.siret, raisonSociale: 'Campus numérique' },
        financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
        prescription: { periodeId, prescriptionId: 'P-1' },
      }),
    ),
  );
  await ok(stack.call('POST', path, ml.token, ev('CLOTURE', day(-30), { motif: 'TRANSFERT' })));
  await ok(
    stack.call('POST', '/v1/cep/periodes', apec.token, {
      eventId: `o2-${run}`,
      periodeId: nextId,
      date: day(-29),
      beneficiaire: person,
      situation: 'DEMANDEUR_EMPLOI',
      region: '84',
      periodePrecedente: periodeId,
    }),
  );
  // Until the records hold what the pages read (written a moment after each event).
  for (let i = 0; i < 100; i++) {
    const p = (await stack.call('GET', `/v1/cep/periodes/${periodeId}`, ml.token)).body;
    const listed = (await stack.call('GET', '/v1/cep/periodes', ml.token)).body;
    if (p.periodesSuivantes?.length === 1 && p.formations?.length === 1 && listed.items?.length === 1) break;
    await new Promise((r) => setTimeout(r, 100));
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
  page.screenshot({ path: join(ARTIFACTS, `console-cep-${name}.png`), fullPage: true });
const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

describe('the console’s CEP pages in a browser', () => {
  it('lets an operator list, search and read its period, with what it led to', async () => {
    const page = await signIn(ml);
    await page.getByRole('link', { name: 'Périodes CEP' }).click();
    await page.waitForURL(`${base}/console/cep`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    expect(await axeViolations(page), 'periods').toEqual([]);
    await shot(page, 'liste');
    // A search by NIR is posted, never put in the URL.
    await page.getByLabel('N° de période ou NIR du bénéficiaire').fill(person.nir);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.waitForLoadState();
    expect(page.url()).not.toContain(person.nir);
    await expect(page.getByRole('link', { name: periodeId }).count()).resolves.toBe(1);

    await page.getByRole('link', { name: periodeId }).click();
    await page.waitForURL(`${base}/console/cep/${periodeId}`);
    await expect(h1(page)).resolves.toContain(`Période ${periodeId}`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(person.nir);
    expect(text).toContain('Reconversion');
    expect(text).toContain('Suivie d’un dossier');
    expect(text).toContain(dossierId);
    expect(text).toContain(nextId);
    expect(text).toContain('Transfert à un autre opérateur');
    await expect(page.locator('.strip .point').count()).resolves.toBe(3);
    const timeline = await page.locator('ol.timeline li strong').allTextContents();
    expect(timeline).toEqual([
      'Ouverture de la période',
      'Service rendu',
      'Service rendu',
      'Entrée en accompagnement personnalisé',
      'Prescription de formation',
      'Clôture',
    ]);
    expect(await axeViolations(page), 'period').toEqual([]);
    await shot(page, 'periode');

    await page.getByRole('link', { name: 'Tableau CEP' }).click();
    await page.waitForURL(`${base}/console/cep/tableau`);
    await expect(h1(page)).resolves.toBe('Tableau de bord CEP');
    await expect(page.locator('.kpi').first().textContent()).resolves.toContain('1');
    expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(4);
    expect(await axeViolations(page), 'CEP figures').toEqual([]);
    await shot(page, 'tableau');
    // At 390 px its tables scroll in their frame, never the page.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.context().close();
  });

  it('hides a period from another operator, and the periods from a Region that reads the figures', async () => {
    const other = await signIn(apec);
    const res = await other.goto(`${base}/console/cep/${periodeId}`);
    expect(res?.status()).toBe(404);
    await expect(h1(other)).resolves.toBe('Période introuvable');
    // Its own period names the one it continues.
    await other.goto(`${base}/console/cep/${nextId}`);
    expect((await other.locator('main').textContent()) ?? '').toContain(periodeId);
    await other.context().close();

    const page = await signIn(region);
    await expect(page.getByRole('link', { name: 'Périodes CEP' }).count()).resolves.toBe(0);
    expect((await page.goto(`${base}/console/cep`))?.status()).toBe(403);
    expect((await page.goto(`${base}/console/cep/tableau`))?.status()).toBe(200);
    await page.goto(`${base}/console/dossiers/${dossierId}`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('Prescrite en CEP');
    expect(text).toContain(`période ${periodeId}`);
    expect(text).toContain(ml.siret);
    await shot(page, 'dossier-prescrit');
    await page.context().close();
  });
});
