import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImportFormatError, ImportTooLargeError, importDsnMonth } from '../../db/dsn-import';
import { loadEnv } from '../../infra/env';
import { nirHasher } from '../../infra/pseudonym';
import { EVENT_MAX_BYTES } from '../../api/routes/dossiers';
import { TEST_DATA_KEY, createBody, siret, uid, ev } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/**
 * Issue 23, each item as a hostile partner would try it: dates PostgreSQL refuses, full NIRs in
 * answers, eventIds that reveal a dossier, other partners' prefixes, a line without end, a
 * dossier broken by its own parties, headers and /metrics.
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let of: P;
beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
});
afterAll(async () => stack?.stop());

const body = (overrides: Record<string, unknown> = {}) =>
  createBody({
    organisme: { siret: of.siret, raisonSociale: 'Centre Exemple' },
    financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
    ...overrides,
  });

describe('dates', () => {
  it('refuses a year 0000 (or any date before 2000-01-01) with 400, and stores nothing', async () => {
    const b = body({ date: '0000-01-01' });
    const res = await stack.call('POST', '/v1/dossiers', region.token, b);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ path: 'body.date' });
    const ok = body();
    expect((await stack.call('POST', '/v1/dossiers', region.token, ok)).status).toBe(201);
    for (const date of ['0000-01-01', '1999-12-31']) {
      const e = await stack.call(
        'POST',
        `/v1/dossiers/${ok.dossierId}/events`,
        region.token,
        ev('VALIDATION', date),
      );
      expect(e.status, date).toBe(400);
    }
    // A birth date is older than the platform: from 1900 on.
    expect(
      (
        await stack.call(
          'POST',
          '/v1/dossiers',
          region.token,
          body({ stagiaire: { ...b.stagiaire, dateNaissance: '1985-03-02' } }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await stack.call(
          'POST',
          '/v1/dossiers',
          region.token,
          body({ stagiaire: { ...b.stagiaire, dateNaissance: '0000-03-02' } }),
        )
      ).status,
    ).toBe(400);
  });

  it('rejects a DSN line dated in year 0000, and loads the others', async () => {
    const csv = [
      'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
      '180057512345627,73282932000074,6201Z,01,0000-01-01,,151.67',
      '180057512345627,73282932000074,6201Z,01,1998-09-01,,151.67',
    ].join('\n');
    const res = await stack.app.request('/v1/dsn/imports?mois=2003-01', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { lignes: number; rejets: { ligne: number }[] };
    expect(out.lignes).toBe(1);
    expect(out.rejets.map((r) => r.ligne)).toEqual([2]);
  });
});

describe('answers', () => {
  it('carry the masked NIR only, to creations and events; the full NIR is an audited read', async () => {
    const b = body();
    const created = await stack.call('POST', '/v1/dossiers', region.token, b);
    expect(created.body.stagiaire.nir).toBeUndefined();
    expect(created.body.stagiaire.nirMasque).toBeDefined();
    const v = ev('VALIDATION', '2026-01-20');
    const validated = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, v);
    expect(validated.body.stagiaire.nir).toBeUndefined();
    const resent = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, v);
    expect(resent.status).toBe(200);
    expect(JSON.stringify(resent.body)).not.toContain(b.stagiaire.nir);
    const read = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token);
    expect(read.body.stagiaire.nir).toBe(b.stagiaire.nir);
  });

  it('answer 404, not EVENT_ID_CONFLICT, for an eventId used on a dossier the sender cannot see', async () => {
    const b = body();
    await stack.call('POST', '/v1/dossiers', region.token, b);
    const v = ev('VALIDATION', '2026-01-20');
    expect((await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, v)).status).toBe(
      200,
    );
    const stranger = await stack.partner('OPCO');
    const reuse = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, stranger.token, {
      ...v,
      date: '2026-01-21',
    });
    expect(reuse.status).toBe(404);
    const same = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, stranger.token, v);
    expect(same.status).toBe(404);
  });
});

describe('prefixes', () => {
  it("refuses a dossierId in another partner's prefix (403), and lets the owner and the admin use it", async () => {
    const prefix = `R${uid()}-`;
    const ownerSiret = siret(`2${String(Date.now()).slice(-12)}`);
    const owner = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: ownerSiret,
      name: 'Region owner',
      kind: 'REGION',
      region: '84',
      prefixes: [prefix],
    });
    expect(owner.status, JSON.stringify(owner.body)).toBe(201);
    const squat = body({ dossierId: `${prefix}2026-000001` });
    const refused = await stack.call('POST', '/v1/dossiers', region.token, squat);
    expect(refused.status).toBe(403);
    expect(refused.body.error.details).toEqual({ prefix });
    const own = body({
      dossierId: `${prefix}2026-000001`,
      financements: [{ financeurSiret: ownerSiret, montantEngage: 1 }],
    });
    expect((await stack.call('POST', '/v1/dossiers', owner.body.token, own)).status).toBe(201);
    expect(
      (await stack.call('POST', '/v1/dossiers', ADMIN_TOKEN, body({ dossierId: `${prefix}2026-000002` })))
        .status,
    ).toBe(201);
    // A prefix overlapping an owned one is refused to another partner; the list shows them.
    const overlap = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: siret(`3${String(Date.now()).slice(-12)}`),
      name: 'Another',
      kind: 'OPCO',
      prefixes: [prefix.slice(0, -1)],
    });
    expect(overlap.status).toBe(409);
    expect(overlap.body.error.details).toEqual({
      prefix: prefix.slice(0, -1),
      overlaps: prefix,
      owner: ownerSiret,
    });
    expect(overlap.body.error.message).toContain(`the prefix ${prefix.slice(0, -1)} overlaps ${prefix}`);
    const list = await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN);
    expect(list.body.items.find((p: { siret: string }) => p.siret === ownerSiret).prefixes).toEqual([prefix]);
  });
});

describe('sizes', () => {
  it('stops a DSN line without end at its cap, and a month over its size', async () => {
    const hashNir = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
    const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n';
    const endless = Readable.from(
      (function* () {
        yield header;
        for (let i = 0; i < 1000; i++) yield 'x'.repeat(1024);
      })(),
    );
    await expect(
      importDsnMonth({
        databaseUrl: inject('databaseUrl'),
        mois: '2003-02',
        format: 'csv',
        source: endless,
        hashNir,
      }),
    ).rejects.toBeInstanceOf(ImportFormatError);
    const big = Readable.from([header, ...Array.from({ length: 100 }, () => 'a,b,c,d,e,f,g\n')]);
    await expect(
      importDsnMonth({
        databaseUrl: inject('databaseUrl'),
        mois: '2003-03',
        format: 'csv',
        source: big,
        hashNir,
        maxBytes: 500,
      }),
    ).rejects.toBeInstanceOf(ImportTooLargeError);
    // Over HTTP: a 400 that says why.
    const res = await stack.app.request('/v1/dsn/imports?mois=2003-04', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/x-ndjson' },
      body: 'y'.repeat(200 * 1024),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/longer than/);
  });

  it('caps an event far below the engine, and keeps a dossier working through hundreds of maximal corrections', async () => {
    const cofinanceurs = await Promise.all(Array.from({ length: 19 }, () => stack.partner('OPCO')));
    const b = body();
    await stack.call('POST', '/v1/dossiers', region.token, b);
    const long = (n: number) => 'é'.repeat(n);
    const maximal = (k: number) =>
      ev('RECTIFICATION', '2026-01-16', {
        changes: {
          stagiaire: { nom: long(100), prenom: long(100) },
          organisme: { raisonSociale: long(199) + String(k % 10) },
          action: { intitule: long(200), dispositif: long(64) },
          financements: [
            { financeurSiret: region.siret, montantEngage: 100 + k },
            ...cofinanceurs.map((p, j) => ({ financeurSiret: p.siret, montantEngage: 1000 + j })),
          ],
        },
      });
    // The largest event the schemas take is far below the cap (and the cap far below Temporal's 2 MB).
    expect(Buffer.byteLength(JSON.stringify(maximal(0)))).toBeLessThan(EVENT_MAX_BYTES / 2);
    for (let i = 0; i < 600; i += 6) {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, k) =>
          stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, maximal(i + k)),
        ),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    }
    const after = await stack.call(
      'POST',
      `/v1/dossiers/${b.dossierId}/events`,
      region.token,
      ev('VALIDATION', '2026-01-20'),
    );
    expect(after.status).toBe(200);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).status).toBe(200);
    const page = await stack.call(
      'GET',
      `/v1/dossiers/${b.dossierId}/history?limit=5&cursor=${Buffer.from('seq:600').toString('base64url')}`,
      region.token,
    );
    expect(page.body.events.map((e: { seq: number }) => e.seq)).toEqual([601, 602]);
  }, 180_000);
});

describe('exposure', () => {
  it('sends the security headers on every answer, pages and errors alike', async () => {
    for (const [path, token] of [
      ['/healthz', null],
      ['/v1/dossiers', region.token],
      ['/v1/dossiers', null],
      ['/console/connexion', null],
      ['/docs', null],
      ['/nowhere', null],
    ] as const) {
      const res = await stack.app.request(path, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
    }
    const docs = await (await stack.app.request('/docs')).text();
    expect(docs).not.toMatch(/<script>/);
    expect((await stack.app.request('/docs/assets/init.js')).status).toBe(200);
  });

  it('keeps /metrics behind a token, and the API on loopback unless told otherwise', async () => {
    expect((await stack.app.request('/metrics')).status).toBe(401);
    // A partner's token is known, but not for this (403); an unknown one is not known (401).
    expect(
      (await stack.app.request('/metrics', { headers: { authorization: `Bearer ${region.token}` } })).status,
    ).toBe(403);
    expect(
      (await stack.app.request('/metrics', { headers: { authorization: 'Bearer agp_not-a-token' } })).status,
    ).toBe(401);
    expect(
      (await stack.app.request('/metrics', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
    ).toBe(200);
    expect(loadEnv({}).HOST).toBe('127.0.0.1');
  });
});
