import { createRequire } from 'node:module';
import { type Browser, type Page, chromium } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium (installed by the test setup), headless, no sandbox (tests run as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: inject('chromiumPath'), args: ['--no-sandbox'], headless: true });
}

/** An agent's sign-in on the embedded provider's page, from the console's sign-in page. */
export async function signInAsAgent(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('link', { name: 'Se connecter', exact: true }).click();
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

/**
 * A case worker of the partner with that SIRET signed in to the console at `base` (an agent the
 * admin creates through `createAgent`), on its dashboard.
 */
export async function signInConsole(
  browser: Browser,
  base: string,
  agent: { email: string; motDePasse: string },
  viewport = { width: 1366, height: 900 },
): Promise<Page> {
  // CSP bypassed so that axe-core can be injected (the headers themselves: test/api/security.test.ts).
  const context = await browser.newContext({ viewport, locale: 'fr-FR', bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${base}/console`);
  if (!page.url().startsWith(`${base}/console/connexion`))
    throw new Error(`not asked to sign in: ${page.url()}`);
  await signInAsAgent(page, agent.email, agent.motDePasse);
  await page.waitForURL(`${base}/console`);
  return page;
}

/**
 * axe-core's serious and critical violations on the page as it is (WCAG 2.x A and AA rules), as
 * `rule: target` lines. The page's context must bypass CSP (axe is injected as a script).
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const result = (await page.evaluate(
    "axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as AxeResult;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}
interface AxeResult {
  violations: { id: string; impact: string | null; nodes: { target: string[] }[] }[];
}
