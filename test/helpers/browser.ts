import { type Browser, type Page, chromium } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium (installed by the test setup), headless, no sandbox (tests run as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: inject('chromiumPath'), args: ['--no-sandbox'], headless: true });
}

/** A case worker signed in to the console at `base` with a partner token, on its dashboard. */
export async function signInConsole(browser: Browser, base: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR' });
  const page = await context.newPage();
  await page.goto(`${base}/console`);
  if (page.url() !== `${base}/console/connexion`) throw new Error(`not asked to sign in: ${page.url()}`);
  await page.getByLabel("Jeton d'accès").fill(token);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/console`);
  return page;
}
