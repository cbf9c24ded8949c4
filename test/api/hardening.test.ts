import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sha256Hex } from '../../infra/canonical-hash';
import { loadEnv } from '../../infra/env';
import { createBody, uid, ev } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, apiOnly, startStack } from '../helpers/stack';

/**
 * The hardening of issue 14, each item as an attacker or a careless partner would meet it: who
 * corrects what, refused events leave nothing, one 404, bounded bodies everywhere, CSV formulas,
 * the NIR out of URLs, revocation, guessing tokens, the codec's session.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
let opco: P;
beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  opco = await stack.partner('OPCO');
});
afterAll(async () => stack?.stop());

const send = (id: string, token: string, event: unknown) =>
  stack.call('POST', `/v1/dossiers/${id}/events`, token, event);

async function dossier(overrides: Record<string, unknown> = {}) {
  const b = createBody({
    organisme: { siret: of.siret, raisonSociale: 'Centre Exemple' },
    financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
    ...overrides,
  });
  const res = await stack.call('POST', '/v1/dossiers', region.token, b);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return b;
}

describe('who corrects what', () => {
  it('refuses the organisme that adds itself as financeur or moves the dossier, listing the fields', async () => {
    const b = await dossier();
    const res = await send(
      b.dossierId,
      of.token,
      ev('RECTIFICATION', '2026-01-16', {
        changes: {
          financements: [
            { financeurSiret: region.siret, montantEngage: 6400 },
            { financeurSiret: opco.siret, montantEngage: 1 },
          ],
          action: { region: '11' },
        },
      }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([
      'changes.action.region',
      'changes.financements',
    ]);
    const d = (await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body;
    expect(d.financements).toHaveLength(1);
    expect(d.version).toBe(1);
    // What it may correct: the dates of its own events, its name.
    expect((await send(b.dossierId, region.token, ev('VALIDATION', '2026-01-20'))).status).toBe(200);
    expect((await send(b.dossierId, of.token, ev('ENTREE', '2026-02-01'))).status).toBe(200);
    const ok = await send(
      b.dossierId,
      of.token,
      ev('RECTIFICATION', '2026-02-02', {
        changes: { dates: { entree: '2026-02-02' }, organisme: { raisonSociale: 'Centre Renommé' } },
      }),
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const validation = await send(
      b.dossierId,
      of.token,
      ev('RECTIFICATION', '2026-02-02', { changes: { dates: { validation: '2026-01-21' } } }),
    );
    expect(validation.status).toBe(403);
  });

  it("lets a financeur add a co-financeur, but not change another financeur's line", async () => {
    const b = await dossier();
    const add = await send(
      b.dossierId,
      region.token,
      ev('RECTIFICATION', '2026-01-16', {
        changes: {
          financements: [
            { financeurSiret: region.siret, montantEngage: 6000 },
            { financeurSiret: opco.siret, montantEngage: 400 },
          ],
        },
      }),
    );
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    const remove = await send(
      b.dossierId,
      region.token,
      ev('RECTIFICATION', '2026-01-16', {
        changes: { financements: [{ financeurSiret: region.siret, montantEngage: 6400 }] },
      }),
    );
    expect(remove.status).toBe(403);
    expect(remove.body.error.details).toEqual([
      { path: `changes.financements[${opco.siret}]`, message: expect.any(String) },
    ]);
    // The other financeur changes its own line.
    const own = await send(
      b.dossierId,
      opco.token,
      ev('RECTIFICATION', '2026-01-16', {
        changes: {
          financements: [
            { financeurSiret: region.siret, montantEngage: 6000 },
            { financeurSiret: opco.siret, montantEngage: 500 },
          ],
        },
      }),
    );
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    // It leaves the dossier: its event is answered with the dossier as it left it (it no longer
    // sees it afterwards), and nothing of it goes to its data-quality log.
    const leave = ev('RECTIFICATION', '2026-01-17', {
      changes: { financements: [{ financeurSiret: region.siret, montantEngage: 6000 }] },
    });
    const left = await send(b.dossierId, opco.token, leave);
    expect(left.status, JSON.stringify(left.body)).toBe(200);
    expect(left.body.financements).toEqual([{ financeurSiret: region.siret, montantEngage: 6000 }]);
    expect(left.body.stagiaire.nir).toBeUndefined();
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, opco.token)).status).toBe(404);
    // Sent again (a retry): the same answer, nothing changed; another event of it: 404.
    const again = await send(b.dossierId, opco.token, leave);
    expect([again.status, again.body.version]).toEqual([200, left.body.version]);
    const other = await send(
      b.dossierId,
      opco.token,
      ev('RECTIFICATION', '2026-01-18', { changes: { organisme: { raisonSociale: 'X' } } }),
    );
    expect(other.status).toBe(404);
  });

  it("keeps another financeur's line through a VALIDATION that replaces the list", async () => {
    const b = await dossier({
      financements: [
        { financeurSiret: region.siret, montantEngage: 6000 },
        { financeurSiret: opco.siret, montantEngage: 50 },
      ],
    });
    const dropped = await send(
      b.dossierId,
      region.token,
      ev('VALIDATION', '2026-01-20', {
        financements: [{ financeurSiret: region.siret, montantEngage: 7000 }],
      }),
    );
    expect(dropped.status).toBe(403);
    expect(dropped.body.error.details).toEqual([
      { path: `financements[${opco.siret}]`, message: expect.any(String) },
    ]);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.version).toBe(1);
    // Its own line is its to change.
    const own = await send(
      b.dossierId,
      region.token,
      ev('VALIDATION', '2026-01-20', {
        financements: [
          { financeurSiret: region.siret, montantEngage: 7000 },
          { financeurSiret: opco.siret, montantEngage: 50 },
        ],
      }),
    );
    expect(own.status, JSON.stringify(own.body)).toBe(200);
  });

  it('refuses a financeurSiret that is not a registered funding partner: creation, VALIDATION, RECTIFICATION', async () => {
    const stranger = '55203253400646';
    const created = await stack.call(
      'POST',
      '/v1/dossiers',
      region.token,
      createBody({
        organisme: { siret: of.siret, raisonSociale: 'OF' },
        financements: [
          { financeurSiret: region.siret, montantEngage: 1 },
          { financeurSiret: stranger, montantEngage: 1 },
        ],
      }),
    );
    expect(created.status).toBe(409);
    expect(created.body.error).toMatchObject({
      code: 'UNKNOWN_FINANCEUR',
      details: { financeurSirets: [stranger] },
    });
    // A registered partner that does not fund (the organisme) is no financeur either.
    const b = await dossier();
    const lines = [
      { financeurSiret: region.siret, montantEngage: 1 },
      { financeurSiret: of.siret, montantEngage: 1 },
    ];
    const validation = await send(
      b.dossierId,
      region.token,
      ev('VALIDATION', '2026-01-20', { financements: lines }),
    );
    expect(validation.body.error?.code).toBe('UNKNOWN_FINANCEUR');
    const correction = await send(
      b.dossierId,
      region.token,
      ev('RECTIFICATION', '2026-01-20', { changes: { financements: lines } }),
    );
    expect(correction.body.error?.code).toBe('UNKNOWN_FINANCEUR');
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.version).toBe(1);
  });
});

describe('refused events', () => {
  const registered = async (dossierId: string) =>
    (
      await stack.orm.em
        .getConnection()
        .execute<{ mois: string }[]>(
          'select mois from dossier_dsn_months where dossier_id = ? order by mois',
          [dossierId],
        )
    ).map((r) => r.mois);

  it('leave no DSN registration behind (404, 403, 409), while accepted ones keep theirs', async () => {
    const b = await dossier({ date: '2025-03-01' });
    // 409 INVALID_TRANSITION: an exit before entry; 403: the organisme validating; 409 INCOHERENT_DATE.
    expect(
      (await send(b.dossierId, region.token, ev('SORTIE', '2025-04-10', { motif: 'AUTRE' }))).status,
    ).toBe(409);
    expect((await send(b.dossierId, of.token, ev('VALIDATION', '2025-05-10'))).status).toBe(403);
    expect((await send(b.dossierId, region.token, ev('VALIDATION', '2024-12-10'))).status).toBe(409);
    expect((await send(`NOPE-${uid()}`, region.token, ev('VALIDATION', '2025-06-10'))).status).toBe(404);
    expect(await registered(b.dossierId)).toEqual([]);
    expect((await send(b.dossierId, region.token, ev('VALIDATION', '2025-07-10'))).status).toBe(200);
    expect(await registered(b.dossierId)).toEqual(['2025-07']);
    // A refused ENTREE of the same month takes back nothing the validation needs.
    expect((await send(b.dossierId, of.token, ev('ENTREE', '2025-07-01'))).status).toBe(409);
    expect(await registered(b.dossierId)).toEqual(['2025-07']);
  });
});

describe('one answer for hidden and missing dossiers', () => {
  it('says the same on GET, history and events', async () => {
    const b = await dossier();
    const missing = `NOPE-${uid()}`;
    const answers = async (id: string) => [
      await stack.call('GET', `/v1/dossiers/${id}`, opco.token),
      await stack.call('GET', `/v1/dossiers/${id}/history`, opco.token),
      await send(id, opco.token, ev('ENTREE', '2026-02-01')),
    ];
    const hidden = (await answers(b.dossierId)).map((r) => [
      r.status,
      r.body.error.message.replace(b.dossierId, 'X'),
    ]);
    const absent = (await answers(missing)).map((r) => [
      r.status,
      r.body.error.message.replace(missing, 'X'),
    ]);
    expect(hidden).toEqual(absent);
    expect(hidden.every(([status]) => status === 404)).toBe(true);
  });
});

describe('bodies, files and URLs', () => {
  it('takes JSON in UTF-8 only: Latin-1 bytes or another charset are refused, not stored as U+FFFD', async () => {
    const b = await dossier();
    const event = JSON.stringify(
      ev('RECTIFICATION', '2026-01-16', { changes: { stagiaire: { nom: 'RenX' } } }),
    );
    const latin1 = Buffer.from(event, 'latin1');
    latin1[latin1.indexOf('RenX') + 3] = 0xe9; // "René" in Latin-1
    const post = (body: Uint8Array | string, type: string) =>
      stack.app.request(`/v1/dossiers/${b.dossierId}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${region.token}`, 'content-type': type },
        body,
      });
    const bytes = await post(latin1, 'application/json');
    expect(bytes.status).toBe(400);
    expect(((await bytes.json()) as { error: { details: unknown } }).error.details).toEqual([
      { path: 'body', message: expect.stringMatching(/^not valid UTF-8/) },
    ]);
    const charset = await post(event, 'application/json; charset=iso-8859-1');
    expect(charset.status).toBe(400);
    const read = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token);
    expect([read.body.version, read.body.stagiaire.nom]).toEqual([1, b.stagiaire.nom]);
    // UTF-8, said or not, goes through.
    const ok = await post(event.replace('RenX', 'René'), 'application/json; charset=UTF-8');
    expect(ok.status).toBe(200);
  });

  it('bounds every body, the sign-in forms included (413)', async () => {
    const big = 'x'.repeat(200 * 1024);
    for (const path of ['/console/connexion', '/codec/signin', '/v1/dossiers']) {
      const res = await stack.app.request(path, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(big.length + 6),
        },
        body: `token=${big}`,
      });
      expect(res.status, path).toBe(413);
    }
  });

  it('neutralises formulas in the regional file: a leading apostrophe', async () => {
    const dispositif = `=HYPERLINK("http://x")${uid()}`;
    const b = await dossier({
      action: { ...createBody().action, dispositif, region: '84' },
      dossierId: `-${uid()}`,
    });
    const res = await stack.app.request('/v1/exports/insertion.csv?region=84', {
      headers: { authorization: `Bearer ${region.token}` },
    });
    const line = (await res.text()).split('\n').find((l) => l.includes(b.dossierId))!;
    expect(line.startsWith(`'${b.dossierId},`)).toBe(true);
    expect(line).toContain(`"'=HYPERLINK(""http://x"")`);
  });

  it('never takes a NIR in a URL: GET ?nir= is a 400 pointing to POST /v1/dossiers/search', async () => {
    const b = await dossier();
    const get = await stack.call('GET', `/v1/dossiers?nir=${b.stagiaire.nir}`, region.token);
    expect(get.status).toBe(400);
    expect(get.body.error.message).toContain('POST /v1/dossiers/search');
    const found = await stack.call('POST', '/v1/dossiers/search', region.token, {
      nir: b.stagiaire.nir,
      limit: 500,
    });
    expect(found.status).toBe(200);
    expect(found.body.items.map((d: { dossierId: string }) => d.dossierId)).toContain(b.dossierId);
    expect((await stack.call('POST', '/v1/dossiers/search', of.token, { nir: b.stagiaire.nir })).status).toBe(
      403,
    );
    const audit = await stack.call('GET', '/v1/admin/audit?action=NIR_SEARCH&limit=5', ADMIN_TOKEN);
    expect(audit.body.items.some((a: { actorSiret: string }) => a.actorSiret === region.siret)).toBe(true);
    const bad = await stack.call('POST', '/v1/dossiers/search', region.token, { nir: '123' });
    expect(bad.status).toBe(400);
  });
});

describe('tokens', () => {
  it('refuses a revoked token at once where it was revoked, within seconds elsewhere, and on a database error', async () => {
    const p = await stack.partner('OPCO');
    const tokenId = (await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN)).body.items.find(
      (x: { id: string }) => x.id === p.id,
    ).tokens[0].id as string;
    // Another API instance, with a long cache: it learns the revocation from the database.
    const other = await apiOnly({ temporalAddress: inject('temporalAddress'), authCacheMs: 60_000 });
    const dead = await apiOnly({ temporalAddress: inject('temporalAddress'), authCacheMs: 60_000 });
    try {
      const me = async (app: { request: typeof stack.app.request }) =>
        (await app.request('/v1/me', { headers: { authorization: `Bearer ${p.token}` } })).status;
      expect(await me(other.app)).toBe(200);
      expect(await me(dead.app)).toBe(200);
      expect(
        (await stack.call('DELETE', `/v1/admin/partners/${p.id}/tokens/${tokenId}`, ADMIN_TOKEN)).status,
      ).toBe(204);
      expect(await me(stack.app)).toBe(401);
      let seconds = 0;
      while ((await me(other.app)) === 200 && seconds < 10) {
        await new Promise((r) => setTimeout(r, 250));
        seconds += 0.25;
      }
      expect(seconds).toBeLessThan(5);
      // Known revoked, then the database goes away: never accepted again.
      while ((await me(dead.app)) === 200) await new Promise((r) => setTimeout(r, 250));
      await dead.closeDatabase();
      expect(await me(dead.app)).not.toBe(200);
    } finally {
      await other.stop();
      await dead.stop();
    }
  });

  it('throttles an address that sends unknown tokens or wrong admin tokens, before any look-up', async () => {
    const app = await apiOnly({
      temporalAddress: inject('temporalAddress'),
      authFailures: { perSecond: 0.01, burst: 3 },
      adminToken: ADMIN_TOKEN,
    });
    try {
      const p = await stack.partner('OPCO');
      const call = (token: string) =>
        app.app.request('/v1/me', { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 3; i++) expect((await call(`agp_guess${i}`)).status).toBe(401);
      const limited = await call('agp_guess4');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // The address is throttled, whatever token it sends now.
      expect((await call(p.token)).status).toBe(429);
    } finally {
      await app.stop();
    }
  });

  it('refuses to start with a short admin token', () => {
    expect(() => loadEnv({ AGORA_ADMIN_TOKEN: 'short' })).toThrow(/at least 32 characters/);
    expect(loadEnv({ AGORA_ADMIN_TOKEN: ADMIN_TOKEN }).AGORA_ADMIN_TOKEN).toBe(ADMIN_TOKEN);
  });
});

describe("the codec's bad payloads", () => {
  const decode = (payloads: unknown) =>
    stack.app.request('/codec/decode', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads }),
    });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const encrypted = (keyId: string, data: string) => ({
    metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64(keyId) },
    data,
  });

  it('answers 400 naming the payload that cannot be read, never 500', async () => {
    const good = await stack.app.request('/codec/encode', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"a":1}') }],
      }),
    });
    const [sealed] = (
      (await good.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }
    ).payloads;
    const altered = Buffer.from(sealed!.data, 'base64');
    altered[20] = altered[20]! ^ 1;
    const cases: [unknown[], number, RegExp][] = [
      [[sealed, { ...sealed, data: altered.toString('base64') }], 1, /cannot be decrypted/],
      [[{ metadata: { encoding: b64('binary/encrypted') }, data: 'AAAA' }], 0, /no data key/],
      [[encrypted('unknown', '!!!')], 0, /no data key with id unknown/],
      [[null], 0, /expected/],
      [[{ metadata: { encoding: 5 } }], 0, /expected/],
    ];
    for (const [payloads, index, message] of cases) {
      const res = await decode(payloads);
      expect(res.status).toBe(400);
      const body = (await res.json()) as {
        error: { code: string; details: { path: string; message: string }[] };
      };
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.details[0]!.path).toBe(`body.payloads.${index}`);
      expect(body.error.details[0]!.message).toMatch(message);
    }
    const ok = await decode([sealed]);
    expect(ok.status).toBe(200);
  });
});

describe("the codec's sign-in", () => {
  const signIn = (url = 'http://127.0.0.1/codec/signin') =>
    stack.app.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(ADMIN_TOKEN)}`,
    });
  const decode = (cookie: string) =>
    stack.app.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ payloads: [] }),
    });

  it('is a random session kept server-side, with an expiry, Secure over HTTPS', async () => {
    const first = (await signIn()).headers.get('set-cookie')!;
    const second = (await signIn()).headers.get('set-cookie')!;
    const value = (c: string) => /agora_codec=([^;]+)/.exec(c)![1]!;
    expect(value(first)).not.toBe(value(second));
    expect(first).toMatch(/HttpOnly/i);
    expect(first).not.toMatch(/Secure/i);
    expect((await signIn('https://agora.example/codec/signin')).headers.get('set-cookie')).toMatch(/Secure/);
    expect((await decode(`agora_codec=${value(first)}`)).status).toBe(200);
    expect((await decode(`agora_codec=${randomUUID()}`)).status).toBe(401);
    // Expired: refused.
    await stack.orm.em
      .getConnection()
      .execute("update sessions set expires_at = now() - interval '1 second' where id_hash = ?", [
        sha256Hex(value(first)),
      ]);
    expect((await decode(`agora_codec=${value(first)}`)).status).toBe(401);
  });
});
