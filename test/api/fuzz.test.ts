import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createBody } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/**
 * Hostile input: malformed, wrongly typed, unicode-laden and oversized bodies, paths and queries
 * on every route. No 5xx, and every refusal is a 4xx with the contract's error body.
 */
let stack: Stack;
let token = '';
let dossierId = '';
beforeAll(async () => {
  stack = await startStack();
  const region = await stack.partner('REGION', '84');
  token = region.token;
  const body = createBody({ financements: [{ financeurSiret: region.siret, montantEngage: 1 }] });
  dossierId = body.dossierId;
  expect((await stack.call('POST', '/v1/dossiers', token, body)).status).toBe(201);
});
afterAll(async () => stack?.stop());

/**
 * A fixed seed keeps `npm test` reproducible; `FUZZ_SEED=<n>` explores another part of the space
 * (any failure prints the seed and path to replay it).
 */
const seed = Number(process.env.FUZZ_SEED ?? 20261129);
const runs = (numRuns: number) => ({ numRuns, seed });

const weird = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../..',
    '%00',
    'é\u202e',
    '😀'.repeat(20),
    '9'.repeat(400),
    'null',
    '[]',
    '{}',
  ),
);
const jsonish = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.anything({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
);
// Valid bodies with one field replaced by something hostile: the deepest checks get exercised.
const mutated = fc
  .tuple(
    fc.constantFrom('eventId', 'dossierId', 'date', 'stagiaire', 'organisme', 'action', 'financements'),
    jsonish,
  )
  .map(([k, v]) => ({ ...createBody(), [k]: v }));
const events = fc.record(
  {
    eventId: fc.oneof(fc.uuid(), weird),
    type: fc.oneof(
      fc.constantFrom('VALIDATION', 'ENTREE', 'SORTIE', 'CLOTURE', 'RECTIFICATION', 'REPRISE'),
      weird,
    ),
    date: fc.oneof(fc.constantFrom('2026-01-20', '2026-02-30', '0000-00-00', '9999-12-31'), weird),
    motif: fc.oneof(fc.constantFrom('FIN_FORMATION', 'AUTRE'), weird),
    changes: jsonish,
    financements: jsonish,
    realisation: weird,
  },
  { requiredKeys: [] },
);

async function expectClean(res: { status: number; body: unknown }) {
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
  if (res.status >= 400) {
    const err = (res.body as { error?: { code?: unknown; message?: unknown } }).error;
    expect(typeof err?.code).toBe('string');
    expect(typeof err?.message).toBe('string');
  }
}

describe('hostile input', () => {
  it('POST /v1/dossiers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, jsonish), async (body) => {
        await expectClean(await stack.call('POST', '/v1/dossiers', token, body));
      }),
      runs(150),
    );
  });

  it('POST /v1/dossiers/{id}/events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(events, jsonish),
        fc.oneof(fc.constant(dossierId), weird),
        async (body, id) => {
          await expectClean(
            await stack.call('POST', `/v1/dossiers/${encodeURIComponent(id)}/events`, token, body),
          );
        },
      ),
      runs(200),
    );
  });

  it('raw bodies that are not JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (raw) => {
        await expectClean(
          await stack.call('POST', `/v1/dossiers/${dossierId}/events`, token, undefined, raw),
        );
        await expectClean(await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, undefined, raw));
      }),
      runs(100),
    );
  });

  it('bodies under any media type, or none', async () => {
    const types = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'application/xml',
        'multipart/form-data',
        'application/json; charset=utf-8',
      ),
      fc.stringMatching(/^[a-z]{1,12}\/[a-z0-9+.-]{1,20}$/),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(types, fc.oneof(events, jsonish), async (type, body) => {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (type) headers['content-type'] = type;
        for (const path of [`/v1/dossiers/${dossierId}/events`, '/v1/dossiers']) {
          const res = await stack.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
          const text = await res.text();
          await expectClean({ status: res.status, body: JSON.parse(text) });
        }
      }),
      runs(100),
    );
  });

  it('queries and paths of the read routes', async () => {
    const keys = fc.constantFrom(
      'status',
      'financeur',
      'organisme',
      'region',
      'dispositif',
      'limit',
      'cursor',
      'nir',
      'since',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(keys, weird), { maxLength: 4 }), weird, async (params, id) => {
        const q = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        await expectClean(await stack.call('GET', `/v1/dossiers?${q}`, token));
        await expectClean(await stack.call('GET', `/v1/quality/rejections?${q}`, token));
        await expectClean(await stack.call('GET', `/v1/admin/audit?${q}`, ADMIN_TOKEN));
        await expectClean(await stack.call('GET', `/v1/dossiers/${encodeURIComponent(id)}`, token));
        await expectClean(await stack.call('GET', `/v1/dossiers/${encodeURIComponent(id)}/history`, token));
      }),
      runs(100),
    );
  });

  it('admin bodies and DSN months', async () => {
    await fc.assert(
      fc.asyncProperty(jsonish, weird, async (body, mois) => {
        await expectClean(await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, body));
        const res = await stack.app.request(`/v1/dsn/imports?mois=${encodeURIComponent(mois)}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        await expectClean({ status: res.status, body: await res.json() });
      }),
      runs(80),
    );
  });

  it('refuses control characters in every free-text field and query with 400, and stores nothing', async () => {
    const before = (await stack.call('GET', `/v1/dossiers/${dossierId}`, token)).body;
    for (const bad of ['\u0000', 'a\u0000b', 'x\ny', '\ud800']) {
      const body = createBody();
      const variants = [
        { ...body, stagiaire: { ...body.stagiaire, nom: bad } },
        { ...body, organisme: { ...body.organisme, raisonSociale: bad } },
        { ...body, action: { ...body.action, intitule: bad } },
        { ...body, action: { ...body.action, dispositif: bad } },
      ];
      for (const v of variants) {
        const res = await stack.call('POST', '/v1/dossiers', token, v);
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        expect(JSON.stringify(res.body)).toContain('control characters');
        expect((await stack.call('GET', `/v1/dossiers/${body.dossierId}`, token)).status).toBe(404);
      }
      const interruption = {
        eventId: `ctl-${bad.length}`,
        type: 'ANNULATION',
        date: '2026-01-20',
        motif: bad,
      };
      const res = await stack.call('POST', `/v1/dossiers/${dossierId}/events`, token, interruption);
      expect(res.status).toBe(400);
      if (bad !== '\ud800') {
        const list = await stack.call('GET', `/v1/dossiers?dispositif=${encodeURIComponent(bad)}`, token);
        expect(list.status).toBe(400);
      }
    }
    expect((await stack.call('GET', `/v1/dossiers/${dossierId}`, token)).body).toEqual(before);
  });
});
