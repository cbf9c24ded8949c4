import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, signInAsAgent, signInConsole } from '../helpers/browser';
import { createBody, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, listen, startStack } from '../helpers/stack';

/**
 * Agents sign in to the console as persons (CONTRACT.md, "Console sign-in (agents)"): through
 * the embedded OpenID provider, and through an outside one with ProConnect's claims (a second
 * provider this test starts); sessions end at sign-out and expire; forms carry a CSRF token;
 * the access audit names the agent; a partner's API token does not open the console.
 */
let stack: Stack;
let server: Awaited<ReturnType<typeof listen>>;
let base = '';
let browser: Browser;
type P = Awaited<ReturnType<Stack['partner']>>;
let ft: P;
const run = uid();
const dossierId = `SIGN-${run}`;

beforeAll(async () => {
  stack = await startStack();
  ft = await stack.partner('FRANCE_TRAVAIL');
  const b = createBody();
  const created = await stack.call('POST', '/v1/dossiers', ft.token, {
    ...createBody({ dossierId, stagiaire: { ...b.stagiaire, nom: 'Lefebvre' } }),
    financements: [{ financeurSiret: ft.siret, montantEngage: 3000 }],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  server = await listen(stack.app);
  base = server.url;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await stack?.stop();
});

const newPage = async () => (await browser.newContext({ locale: 'fr-FR' })).newPage();

describe('agents signed in through the embedded provider', () => {
  it("serves the provider's answers with the platform's security headers", async () => {
    const res = await fetch(`${base}/oidc/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('signs an agent in: the header names the agent and the partner, the cookie is HttpOnly and Strict, the audit names the agent', async () => {
    const agent = await stack.agent(ft.siret, { prenom: 'Camille', nom: 'Roux' });
    const page = await signInConsole(browser, base, agent);
    await expect(page.locator('.who').textContent()).resolves.toContain(`Camille Roux (${agent.email})`);
    await expect(page.locator('.who').textContent()).resolves.toContain(ft.name);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'agora_console');
    expect(cookie).toEqual(expect.objectContaining({ httpOnly: true, sameSite: 'Strict' }));

    const res = await page.goto(`${base}/console/dossiers/${dossierId}`);
    expect(res?.headers()['cache-control']).toBe('no-store');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(dossierId);
    const audit = await stack.call(
      'GET',
      `/v1/admin/audit?actor=${encodeURIComponent(agent.email)}`,
      ADMIN_TOKEN,
    );
    expect(audit.body.items).toContainEqual(
      expect.objectContaining({
        action: 'DOSSIER_READ',
        dossierId,
        agent: agent.email,
        actorSiret: ft.siret,
      }),
    );
    await page.context().close();
  });

  it('refuses a wrong password and a disabled agent, and a partner token at the console', async () => {
    const agent = await stack.agent(ft.siret);
    const page = await newPage();
    await page.goto(`${base}/console`);
    await signInAsAgent(page, agent.email, 'not-the-password');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/mot de passe incorrect/);

    // A partner's API token is for its systems: the admin form refuses it.
    await page.goto(`${base}/console/connexion`);
    await page.locator('summary', { hasText: 'Administration de la plateforme' }).click();
    await page.getByLabel("Jeton d'administration").fill(ft.token);
    await page.getByRole('button', { name: 'Se connecter comme administrateur' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/compte personnel/);
    expect((await page.context().cookies()).find((c) => c.name === 'agora_console')).toBeUndefined();

    // Disabled: its session ends at its next page, and it can no longer sign in.
    const signed = await signInConsole(browser, base, agent);
    expect((await stack.call('DELETE', `/v1/admin/agents/${agent.id}`, ADMIN_TOKEN)).status).toBe(204);
    await signed.goto(`${base}/console/dossiers`);
    expect(signed.url()).toContain('/console/connexion');
    await signInAsAgent(signed, agent.email, agent.motDePasse);
    await expect(signed.getByRole('alert').textContent()).resolves.toMatch(/mot de passe incorrect/);
    await page.context().close();
    await signed.context().close();
  });

  it('signs out at once: Back shows nothing, the old cookie no longer works', async () => {
    const page = await signInConsole(browser, base, await stack.agent(ft.siret));
    await page.goto(`${base}/console/dossiers/${dossierId}`);
    await expect(page.content()).resolves.toContain('Lefebvre');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'agora_console')!;
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.waitForURL(/\/console\/connexion\?fin/);
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/déconnecté/);
    await page.goBack();
    expect(page.url()).toContain('/console/connexion');
    // Nothing of the dossier: neither its trainee's name nor the dossier's page.
    await expect(page.content()).resolves.not.toContain('Lefebvre');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Connexion');
    // The old session id, replayed: refused.
    const replay = await stack.app.request(`/console/dossiers/${dossierId}`, {
      headers: { cookie: `agora_console=${cookie.value}` },
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/console\/connexion/);
    await page.context().close();
  });

  it('brings an expired session back to the sign-in page with a message, then to the page asked for', async () => {
    const agent = await stack.agent(ft.siret);
    const page = await signInConsole(browser, base, agent);
    // 30 minutes idle, as the clock of the database sees it.
    await stack.orm.em
      .fork()
      .getConnection()
      .execute(
        `update sessions set expires_at = now() - interval '1 second' where kind = 'console' and data->>'email' = ?`,
        [agent.email],
      );
    await page.goto(`${base}/console/dossiers/${dossierId}`);
    expect(page.url()).toContain('/console/connexion');
    await expect(page.getByRole('status').textContent()).resolves.toMatch(/session a expiré/);
    await signInAsAgent(page, agent.email, agent.motDePasse);
    await page.waitForURL(`${base}/console/dossiers/${dossierId}`);
    await page.context().close();
  });

  it('refuses a form without the session\u2019s CSRF token', async () => {
    const page = await signInConsole(browser, base, await stack.agent(ft.siret));
    const cookie = (await page.context().cookies()).find((c) => c.name === 'agora_console')!;
    const post = (body: string) =>
      stack.app.request('/console/deconnexion', {
        method: 'POST',
        headers: {
          cookie: `agora_console=${cookie.value}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
    expect((await post('')).status).toBe(403);
    expect((await post('_csrf=forged')).status).toBe(403);
    // Still signed in: the forged sign-out changed nothing.
    await page.goto(`${base}/console/dossiers`);
    expect(page.url()).toBe(`${base}/console/dossiers`);
    await page.context().close();
  });
});

describe('the admin at the console', () => {
  it('signs in with the admin token and reads the Anomalies page, axe-core clean', async () => {
    const page = await (await browser.newContext({ locale: 'fr-FR', bypassCSP: true })).newPage();
    await page.goto(`${base}/console/anomalies`);
    await page.locator('summary', { hasText: 'Administration de la plateforme' }).click();
    await page.getByLabel("Jeton d'administration").fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Se connecter comme administrateur' }).click();
    // Back to the page asked for.
    await page.waitForURL(`${base}/console/anomalies`);
    await expect(page.locator('.who').textContent()).resolves.toContain('Plateforme (administration)');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Anomalies');
    expect(await axeViolations(page)).toEqual([]);
    await page.context().close();
  });
});

describe('an outside provider with ProConnect’s claims', () => {
  let outside: Stack;
  let provider: ReturnType<typeof createServer>;
  let consoleServer: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    // The console's port first: the provider registers its redirect URI.
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const consolePort = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    provider = createServer();
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', () => r()));
    const issuer = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const oidc = new Provider(issuer, {
      clients: [
        {
          client_id: 'agora-test',
          client_secret: 'agora-test-secret',
          redirect_uris: [`http://127.0.0.1:${consolePort}/console/oidc/callback`],
          // As ProConnect: the userinfo answered as a signed JWT.
          userinfo_signed_response_alg: 'RS256',
        },
      ],
      jwks: { keys: [{ ...key, alg: 'RS256', use: 'sig', kid: 'k1' }] },
      features: { jwtUserinfo: { enabled: true } },
      scopes: ['openid', 'email', 'given_name', 'usual_name', 'siret'],
      claims: {
        openid: ['sub'],
        email: ['email'],
        given_name: ['given_name'],
        usual_name: ['usual_name'],
        siret: ['siret'],
      },
      findAccount: (_ctx, id) => ({
        accountId: id,
        claims: () => ({
          sub: id,
          email: `${id}@administration.example.fr`,
          given_name: 'Jeanne',
          usual_name: 'Martin',
          siret: id === 'inconnu' ? '11111111111111' : ft.siret,
        }),
      }),
      async loadExistingGrant(ctx) {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId!,
        });
        grant.addOIDCScope('openid email given_name usual_name siret');
        await grant.save();
        return grant;
      },
    });
    provider.on('request', oidc.callback());
    outside = await startStack({
      oidc: { issuer, clientId: 'agora-test', clientSecret: 'agora-test-secret' },
    });
    consoleServer = await listen(outside.app, consolePort);
  }, 120_000);

  afterAll(async () => {
    await consoleServer?.close();
    await new Promise<void>((r) => provider?.close(() => r()));
    await outside?.stop();
  });

  /** The provider's development sign-in form: any login, no password checked. */
  async function signInThere(page: Page, login: string) {
    await page.goto(`${consoleServer.url}/console`);
    await page.getByRole('link', { name: 'Se connecter avec ProConnect' }).click();
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('x');
    await page.locator('button[type=submit]').click();
  }

  it('signs in the agent for the partner of its siret claim, and refuses one whose SIRET no partner has', async () => {
    const page = await newPage();
    await signInThere(page, `agent${run}`);
    await page.waitForURL(`${consoleServer.url}/console`);
    await expect(page.locator('.who').textContent()).resolves.toContain(
      `Jeanne Martin (agent${run}@administration.example.fr)`,
    );
    await page.goto(`${consoleServer.url}/console/dossiers/${dossierId}`);
    const audit = await outside.call(
      'GET',
      `/v1/admin/audit?dossierId=${dossierId}&action=DOSSIER_READ`,
      ADMIN_TOKEN,
    );
    expect(audit.body.items.map((i: { agent: string }) => i.agent)).toContain(
      `agent${run}@administration.example.fr`,
    );
    await page.context().close();

    const stranger = await newPage();
    await signInThere(stranger, 'inconnu');
    await stranger.waitForURL(/refus=partenaire/);
    await expect(stranger.getByRole('alert').textContent()).resolves.toMatch(/aucun partenaire/);
    await stranger.context().close();
  });
});
