import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DATA_DIR, ROOT } from '../../infra/paths';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { createBody } from '../helpers/fixtures';
import { freePort } from '../helpers/global-setup';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, listen, startStack } from '../helpers/stack';

/**
 * The Temporal Web UI of a dev server started as `npm start` does (`--ui-codec-endpoint` at the
 * API's /codec), in a real browser: it shows a dossier's payloads decoded only to an operator
 * signed in with the admin token; otherwise they stay encrypted.
 */
let temporal: ChildProcess;
let stack: Stack;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let ui = '';
let api = '';
const body = createBody({ stagiaire: { ...createBody().stagiaire, nom: 'Zebulon-Decode' } });

beforeAll(async () => {
  const [port, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  ui = `http://127.0.0.1:${uiPort}`;
  api = `http://127.0.0.1:${apiPort}`;
  temporal = await startDevServer({
    temporalCli: inject('temporalCli'),
    port,
    uiPort,
    uiCodecEndpoint: `${api}/codec`,
    logFile: join(DATA_DIR, 'test', 'temporal-ui.log'),
  });
  stack = await startStack({ temporalAddress: `127.0.0.1:${port}`, uiOrigins: [ui] });
  server = await listen(stack.app, apiPort);
  expect((await stack.call('POST', '/v1/dossiers', ADMIN_TOKEN, body)).status).toBe(201);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.stop();
  if (temporal) await stopChild(temporal);
});

async function workflowPage(signIn: boolean): Promise<string> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  // The UI's codec settings as the operator sets them once: this endpoint, with cross-origin
  // credentials (the UI keeps them in its local storage).
  await context.addInitScript(
    `window.localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
     window.localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(`${api}/codec`))});
     window.localStorage.setItem('includeCredentials', 'true');`,
  );
  const page = await context.newPage();
  if (signIn) {
    await page.goto(`${api}/codec/signin`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('networkidle');
  }
  await page.goto(`${ui}/namespaces/default/workflows/dossier-${body.dossierId}`);
  let text = '';
  for (let i = 0; i < 40 && !text.includes('Zebulon-Decode'); i++) {
    await page.waitForTimeout(500);
    text = await page.locator('body').innerText();
  }
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({
    path: join(ROOT, 'test-artifacts', `web-ui-${signIn ? 'decoded' : 'encrypted'}.png`),
  });
  await context.close();
  return text;
}

describe('the Temporal Web UI and the codec endpoint', () => {
  it('shows the payloads decoded to a signed-in operator, encrypted to anyone else', async () => {
    const decoded = await workflowPage(true);
    expect(decoded).toContain(body.dossierId);
    expect(decoded).toContain('Zebulon-Decode');
    const encrypted = await workflowPage(false);
    expect(encrypted).toContain(body.dossierId);
    expect(encrypted).not.toContain('Zebulon-Decode');
  }, 120_000);
});
