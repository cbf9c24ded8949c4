import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, uid, ev, siret } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P; // REGION 84, the financeur
let of: P; // the organisme de formation
let stranger: P; // an OPCO with no link to the dossiers
let otherRegion: P; // REGION 84 too, seeing dossiers of its territory without funding them

beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  of = await stack.partner('ORGANISME_FORMATION');
  stranger = await stack.partner('OPCO');
  otherRegion = await stack.partner('REGION', '84');
});
afterAll(async () => stack?.stop());

function body(overrides: Record<string, unknown> = {}) {
  return createBody({
    organisme: { siret: of.siret, raisonSociale: 'Centre Exemple' },
    financements: [{ financeurSiret: region.siret, montantEngage: 6400 }],
    ...overrides,
  });
}

async function create(overrides: Record<string, unknown> = {}) {
  const b = body(overrides);
  const res = await stack.call('POST', '/v1/dossiers', region.token, b);
  expect(res.status).toBe(201);
  return b;
}

const send = (id: string, token: string, event: unknown) =>
  stack.call('POST', `/v1/dossiers/${id}/events`, token, event);

describe('the lifecycle over HTTP', () => {
  it('takes a dossier through every state, with read-your-writes after each event', async () => {
    const b = await create();
    const steps: [string, string, Record<string, unknown>, string, string][] = [
      [region.token, 'VALIDATION', {}, '2026-01-20', 'VALIDE'],
      [of.token, 'ENTREE', {}, '2026-02-01', 'ENTRE'],
      [of.token, 'INTERRUPTION', { motif: 'maladie' }, '2026-03-01', 'ENTRE'],
      [of.token, 'REPRISE', {}, '2026-03-15', 'ENTRE'],
      [region.token, 'RECTIFICATION', { changes: { action: { dureeHeures: 750 } } }, '2026-04-01', 'ENTRE'],
      [of.token, 'SORTIE', { motif: 'FIN_FORMATION', heuresRealisees: 740 }, '2026-09-30', 'SORTI'],
      [
        region.token,
        'CLOTURE',
        { montantsRealises: [{ financeurSiret: region.siret, montant: 6000 }] },
        '2026-10-05',
        'CLOS',
      ],
    ];
    let version = 1;
    for (const [token, type, extra, date, status] of steps) {
      const res = await send(b.dossierId, token, ev(type, date, extra));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe(status);
      expect(res.body.version).toBe(++version);
      const read = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token);
      expect(read.body.version).toBe(version);
    }
    const final = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token);
    expect(final.body).toMatchObject({
      status: 'CLOS',
      issue: 'REALISATION_TOTALE',
      interrompu: false,
      sortie: { motif: 'FIN_FORMATION', heuresRealisees: 740 },
      dates: {
        creation: '2026-01-15',
        validation: '2026-01-20',
        entree: '2026-02-01',
        sortie: '2026-09-30',
        cloture: '2026-10-05',
      },
      financements: [{ financeurSiret: region.siret, montantEngage: 6400, montantRealise: 6000 }],
      action: { dureeHeures: 750 },
    });
    const history = await stack.call('GET', `/v1/dossiers/${b.dossierId}/history`, of.token);
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'CREATION',
      'VALIDATION',
      'ENTREE',
      'INTERRUPTION',
      'REPRISE',
      'RECTIFICATION',
      'SORTIE',
      'CLOTURE',
    ]);
    const rect = history.body.events[5];
    expect(rect).toMatchObject({
      seq: 6,
      source: region.siret,
      before: { action: { dureeHeures: 800 } },
      after: { action: { dureeHeures: 750 } },
    });
    expect(typeof rect.receivedAt).toBe('string');
  });

  it('closes a dossier cancelled before entry as NON_REALISEE, then archives it: readable, no more events', async () => {
    const b = await create();
    const res = await send(
      b.dossierId,
      region.token,
      ev('ANNULATION', '2026-01-16', { motif: 'désistement' }),
    );
    expect(res.body).toMatchObject({ status: 'CLOS', issue: 'NON_REALISEE' });
    // Never validated nor entered: no follow-up point can happen, so the workflow ends.
    await stack.client.workflow.getHandle(`dossier-${b.dossierId}`).result();
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.status).toBe('CLOS');
    const late = await send(
      b.dossierId,
      region.token,
      ev('RECTIFICATION', '2026-01-17', { changes: { action: { dureeHeures: 10 } } }),
    );
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'INVALID_TRANSITION', details: { state: 'CLOS' } });
    expect((await send(b.dossierId, stranger.token, ev('VALIDATION', '2026-01-17'))).status).toBe(404);
  });
});

describe('idempotence', () => {
  it('answers the same creation again with 200, another creation with ALREADY_EXISTS, a changed one with EVENT_ID_CONFLICT', async () => {
    const b = await create();
    const again = await stack.call('POST', '/v1/dossiers', region.token, b);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const other = await stack.call('POST', '/v1/dossiers', region.token, { ...b, eventId: randomUUID() });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('ALREADY_EXISTS');
    const changed = await stack.call('POST', '/v1/dossiers', region.token, { ...b, date: '2026-01-16' });
    expect(changed.body.error.code).toBe('EVENT_ID_CONFLICT');
  });

  it('applies a resent event once and refuses its eventId with another body', async () => {
    const b = await create();
    const e = ev('VALIDATION', '2026-01-20');
    expect((await send(b.dossierId, region.token, e)).body.version).toBe(2);
    const again = await send(b.dossierId, region.token, e);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
    const conflict = await send(b.dossierId, region.token, { ...e, date: '2026-01-21' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('EVENT_ID_CONFLICT');
    const history = await stack.call('GET', `/v1/dossiers/${b.dossierId}/history`, region.token);
    expect(history.body.events).toHaveLength(2);
  });

  it('applies the same event sent ten times at once exactly once', async () => {
    const b = await create();
    const e = ev('VALIDATION', '2026-01-20');
    const all = await Promise.all(Array.from({ length: 10 }, () => send(b.dossierId, region.token, e)));
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    const history = await stack.call('GET', `/v1/dossiers/${b.dossierId}/history`, region.token);
    expect(history.body.events.filter((x: { type: string }) => x.type === 'VALIDATION')).toHaveLength(1);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.version).toBe(2);
  });

  it('creates a dossier sent five times at once exactly once', async () => {
    const b = body();
    const all = await Promise.all(
      Array.from({ length: 5 }, () => stack.call('POST', '/v1/dossiers', region.token, b)),
    );
    expect(all.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
  });

  it('takes the same fact from the financeur after the organisme as a confirmation', async () => {
    const b = await create();
    await send(b.dossierId, region.token, ev('VALIDATION', '2026-01-20'));
    await send(b.dossierId, of.token, ev('ENTREE', '2026-02-01'));
    const confirm = await send(b.dossierId, region.token, ev('ENTREE', '2026-02-01'));
    expect(confirm.status).toBe(200);
    expect(confirm.body.version).toBe(3);
    const history = await stack.call('GET', `/v1/dossiers/${b.dossierId}/history`, region.token);
    expect(history.body.events.at(-1)).toMatchObject({
      type: 'ENTREE',
      confirmation: true,
      source: region.siret,
    });
    const different = await send(b.dossierId, region.token, ev('ENTREE', '2026-02-02'));
    expect(different.body.error.code).toBe('INVALID_TRANSITION');
  });
});

describe('refusals', () => {
  it('refuses out-of-order and incoherent events, changes nothing and logs them for the partner', async () => {
    const b = await create();
    const early = await send(b.dossierId, of.token, ev('SORTIE', '2026-02-01', { motif: 'ABANDON' }));
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({
      code: 'INVALID_TRANSITION',
      details: { state: 'EN_COURS_ELABORATION', interrompu: false, event: 'SORTIE' },
    });
    await send(b.dossierId, region.token, ev('VALIDATION', '2026-01-20'));
    const before = await send(b.dossierId, of.token, ev('ENTREE', '2026-01-19'));
    expect(before.body.error).toMatchObject({
      code: 'INCOHERENT_DATE',
      details: { field: 'date', date: '2026-01-19', previous: '2026-01-20' },
    });
    const future = await send(b.dossierId, of.token, ev('ENTREE', '2099-01-01'));
    expect(future.body.error.code).toBe('INCOHERENT_DATE');
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token)).body.version).toBe(2);
    const log = await stack.call('GET', '/v1/quality/rejections', of.token);
    const mine = log.body.items.filter((r: { dossierId: string }) => r.dossierId === b.dossierId);
    expect(mine.map((r: { code: string }) => r.code)).toEqual([
      'INVALID_TRANSITION',
      'INCOHERENT_DATE',
      'INCOHERENT_DATE',
    ]);
    expect(JSON.stringify(log.body)).not.toContain('180057512345627');
    const counts = await stack.call('GET', '/v1/quality/rejections/counts', of.token);
    expect(counts.body.items).toContainEqual({ partnerSiret: of.siret, code: 'INCOHERENT_DATE', count: 2 });
    expect(counts.body.items.every((c: { partnerSiret: string }) => c.partnerSiret === of.siret)).toBe(true);
    const all = await stack.call('GET', '/v1/quality/rejections/counts', ADMIN_TOKEN);
    expect(all.body.items.some((c: { partnerSiret: string }) => c.partnerSiret === of.siret)).toBe(true);
  });

  it('pages the data-quality log with a cursor, entries of one instant included', async () => {
    const partner = await stack.partner('ORGANISME_FORMATION');
    const at = new Date('2026-03-01T10:00:00Z');
    for (let i = 0; i < 7; i++) {
      await stack.orm.em
        .fork()
        .getConnection()
        .execute(
          `insert into rejections (partner_siret, dossier_id, event_id, event_type, code, message, at)
           values (?, ?, ?, 'ENTREE', 'INVALID_TRANSITION', 'refused', ?)`,
          [partner.siret, `D-${i}`, `e-${i}`, at.toISOString()],
        );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = await stack.call('GET', `/v1/quality/rejections?limit=3${q}`, partner.token);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((r: { eventId: string }) => r.eventId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-4', 'e-5', 'e-6']);
    expect(pages).toBe(3);
    const bad = await stack.call('GET', '/v1/quality/rejections?cursor=bm90LWEtY3Vyc29y', partner.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { path: 'query.cursor', message: 'not a cursor this API returned' },
    ]);
  });

  it('refuses a query parameter given twice, naming it', async () => {
    const res = await stack.call('GET', '/v1/dossiers?limit=5&limit=6', region.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.message).toContain('query.limit');
    expect(res.body.error.details).toEqual([
      { path: 'query.limit', message: 'given more than once: send each query parameter once' },
    ]);
    const since = await stack.call(
      'GET',
      '/v1/quality/rejections?since=2026-01-01&since=2026-01-02',
      of.token,
    );
    expect(since.body.error.details).toEqual([
      { path: 'query.since', message: 'given more than once: send each query parameter once' },
    ]);
    const statuses = await stack.call('GET', '/v1/dossiers?status=VALIDE&status=ENTRE', region.token);
    expect(statuses.body.error.details).toEqual([
      { path: 'query.status', message: 'given more than once: send each query parameter once' },
    ]);
  });

  it('refuses a trainee born after the dossier', async () => {
    const b = body();
    const unborn = await stack.call('POST', '/v1/dossiers', region.token, {
      ...b,
      stagiaire: { ...b.stagiaire, dateNaissance: '2026-02-01' },
    });
    expect(unborn.status).toBe(400);
    expect(unborn.body.error.details).toEqual([
      {
        path: 'body.stagiaire.dateNaissance',
        message: "after the dossier's date: a trainee is born before the dossier",
      },
    ]);
    // A date that is no date is that one problem, not a birth after it.
    const badDate = await stack.call('POST', '/v1/dossiers', region.token, { ...b, date: '15/01/2026' });
    expect(badDate.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.date']);
  });

  it('logs a refused creation once, and counts it once', async () => {
    const bad = body();
    bad.stagiaire.nir = '180057512345628';
    expect((await stack.call('POST', '/v1/dossiers', region.token, bad)).status).toBe(400);
    const counted = async () => {
      const text = String((await stack.call('GET', '/metrics', ADMIN_TOKEN)).body);
      const m =
        /agora_events_total\{kind="creation",type="CREATION",result="refused",code="VALIDATION_ERROR",status="400"\} (\d+)/.exec(
          text,
        );
      return Number(m?.[1] ?? 0);
    };
    const before = await counted();
    const again = body();
    again.stagiaire.nir = '180057512345628';
    expect((await stack.call('POST', '/v1/dossiers', region.token, again)).status).toBe(400);
    expect(await counted()).toBe(before + 1);
    const log = await stack.call('GET', '/v1/quality/rejections', region.token);
    const mine = log.body.items.filter((r: { dossierId: string }) => r.dossierId === again.dossierId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('logs a refused event whose dossierId and type are longer than the log keeps, cut', async () => {
    const id = `R84-${'X'.repeat(80)}`;
    const type = `T${'Y'.repeat(60)}`;
    const since = new Date(Date.now() - 1000).toISOString();
    const res = await stack.call('POST', `/v1/dossiers/${id}/events`, region.token, {
      eventId: `long-${randomUUID()}`,
      type,
      date: '2026-01-20',
    });
    expect(res.status).toBe(400);
    const log = await stack.call('GET', `/v1/quality/rejections?since=${since}`, region.token);
    const mine = log.body.items.filter((r: { dossierId: string }) => r.dossierId === id.slice(0, 64));
    expect(mine).toHaveLength(1);
    expect(mine[0].type).toBe(type.slice(0, 32));
    const vague = await stack.call('GET', '/v1/quality/rejections?since=yesterday', region.token);
    expect(vague.status).toBe(400);
    expect(JSON.stringify(vague.body.error)).toContain('an ISO 8601 instant');
  });

  it('answers 400 VALIDATION_ERROR with a path for each problem', async () => {
    const bad = body();
    bad.stagiaire.nir = '180057512345628';
    bad.organisme.siret = '12345678200011';
    const res = await stack.call('POST', '/v1/dossiers', region.token, bad);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain('body.stagiaire.nir');
    expect(paths).toContain('body.organisme.siret');
  });

  it.each([
    ['malformed JSON', '{"eventId":', 400],
    ['an unknown event type', JSON.stringify({ eventId: 'a', type: 'FOO', date: '2026-01-01' }), 400],
    ['an unknown field', JSON.stringify({ eventId: 'a', type: 'ENTREE', date: '2026-02-01', extra: 1 }), 400],
    ['an impossible date', JSON.stringify({ eventId: 'a', type: 'ENTREE', date: '2026-02-30' }), 400],
    ['a SORTIE without motif', JSON.stringify({ eventId: 'a', type: 'SORTIE', date: '2026-02-01' }), 400],
    [
      'a body of 100 kB',
      JSON.stringify({ eventId: 'a', type: 'ENTREE', date: '2026-02-01', x: 'y'.repeat(100_000) }),
      413,
    ],
  ])('refuses %s with a 4xx error body', async (_what, raw, status) => {
    const b = await create();
    const res = await stack.call('POST', `/v1/dossiers/${b.dossierId}/events`, region.token, undefined, raw);
    expect(res.status).toBe(status);
    expect(typeof res.body.error.message).toBe('string');
  });

  it('lists malformed JSON in details, as every other problem', async () => {
    const b = await create();
    const res = await stack.call(
      'POST',
      `/v1/dossiers/${b.dossierId}/events`,
      region.token,
      undefined,
      '{"eventId":',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'body', message: expect.any(String) }]);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], [null]])(
    'refuses a JSON body sent as %s with 400 VALIDATION_ERROR, never 500',
    async (type) => {
      const b = await create();
      const headers: Record<string, string> = { authorization: `Bearer ${region.token}` };
      if (type) headers['content-type'] = type;
      const event = { eventId: randomUUID(), type: 'INTERRUPTION', date: '2026-02-01' };
      const res = await stack.app.request(`/v1/dossiers/${b.dossierId}/events`, {
        method: 'POST',
        headers,
        body: JSON.stringify(event),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as {
        error: { code: string; message: string; details: unknown };
      };
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.message).toMatch(/application\/json/);
      expect(body.error.details).toEqual([
        { path: 'header.content-type', message: 'expected application/json' },
      ]);
    },
  );

  it('answers 405 with the methods it takes for a path it serves, 404 for a path it does not', async () => {
    const del = await stack.call('DELETE', '/v1/dossiers', region.token);
    expect(del.status).toBe(405);
    expect(del.body.error.code).toBe('METHOD_NOT_ALLOWED');
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
    const put = await stack.call('PUT', '/v1/dossiers/R84-1/events', region.token);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST');
    expect((await stack.call('GET', '/v1/nope', region.token)).status).toBe(404);
    expect((await stack.call('DELETE', '/v1/dossiers', null)).status).toBe(401);
  });

  it('answers 401 without a token or with an unknown one', async () => {
    expect((await stack.call('GET', '/v1/dossiers', null)).status).toBe(401);
    const res = await stack.call('GET', '/v1/dossiers', 'nope');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 404 for an unknown dossier and a malformed id', async () => {
    expect((await stack.call('GET', '/v1/dossiers/does-not-exist', region.token)).body.error.code).toBe(
      'NOT_FOUND',
    );
    expect((await send('does-not-exist', region.token, ev('ENTREE', '2026-02-01'))).status).toBe(404);
    expect((await stack.call('GET', '/v1/dossiers/bad%20id', region.token)).status).toBe(400);
  });
});

describe('visibility and permissions', () => {
  it('hides a dossier from a partner with no link to it (404 everywhere)', async () => {
    const b = await create();
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}`, stranger.token)).status).toBe(404);
    expect((await stack.call('GET', `/v1/dossiers/${b.dossierId}/history`, stranger.token)).status).toBe(404);
    expect((await send(b.dossierId, stranger.token, ev('VALIDATION', '2026-01-20'))).status).toBe(404);
  });

  it('lets a REGION read the dossiers of its territory but send nothing (403)', async () => {
    const b = await create();
    const read = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, otherRegion.token);
    expect(read.status).toBe(200);
    expect(read.body.stagiaire.nir).toBeUndefined();
    expect((await send(b.dossierId, otherRegion.token, ev('VALIDATION', '2026-01-20'))).status).toBe(403);
  });

  it('lets the organisme send ENTREE but not VALIDATION, and shows it the masked NIR only', async () => {
    const b = await create();
    const v = await send(b.dossierId, of.token, ev('VALIDATION', '2026-01-20'));
    expect(v.status).toBe(403);
    expect(v.body.error.code).toBe('FORBIDDEN');
    const read = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, of.token);
    expect(read.body.stagiaire).toEqual({
      nirMasque: '1800575*******27',
      nom: 'Martin',
      prenom: 'Lea',
      dateNaissance: '1980-05-02',
    });
    const fin = await stack.call('GET', `/v1/dossiers/${b.dossierId}`, region.token);
    expect(fin.body.stagiaire.nir).toBe('180057512345627');
  });

  it('lets only funding partners create, and only dossiers they fund', async () => {
    expect((await stack.call('POST', '/v1/dossiers', of.token, body())).status).toBe(403);
    expect((await stack.call('POST', '/v1/dossiers', stranger.token, body())).status).toBe(403);
  });

  it('keeps admin routes for the admin', async () => {
    const res = await stack.call('POST', '/v1/admin/partners', region.token, {
      siret: '12345678200010',
      name: 'x',
      kind: 'OPCO',
    });
    expect(res.status).toBe(403);
    // Guarded before validation: a partner learns nothing of the admin routes' inputs ...
    const invalid = await stack.call('POST', '/v1/admin/partners', region.token, { siret: 'x' });
    expect(invalid.status).toBe(403);
    for (const [method, path] of [
      ['GET', '/v1/admin/audit'],
      ['DELETE', `/v1/admin/partners/${randomUUID()}/tokens/${randomUUID()}`],
    ] as const) {
      expect((await stack.call(method, path, region.token)).status).toBe(403);
    }
    // ... and a path no route serves is still 404, a wrong method 405.
    expect((await stack.call('GET', '/v1/admin/nothing-here', region.token)).status).toBe(404);
    expect((await stack.call('PUT', '/v1/admin/partners', region.token, {})).status).toBe(405);
    const dup = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: region.siret,
      name: 'x',
      kind: 'OPCO',
    });
    expect(dup.status).toBe(409);
    const noRegion = await stack.call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: '12345678200010',
      name: 'x',
      kind: 'REGION',
    });
    expect(noRegion.status).toBe(400);
  });
});

describe('the list', () => {
  it('lists only visible dossiers, newest first, with filters and cursor paging', async () => {
    const dispositif = `D${uid()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const b = await create({ action: { ...createBody().action, dispositif } });
      ids.push(b.dossierId);
    }
    const b = await create({ action: { ...createBody().action, dispositif } });
    ids.push(b.dossierId);
    await send(b.dossierId, region.token, ev('VALIDATION', '2026-01-20'));
    // The read model may lag a little behind the workflows.
    let all: { dossierId: string; status: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await stack.call('GET', `/v1/dossiers?dispositif=${dispositif}&limit=500`, region.token);
      all = res.body.items;
      if (all.length === 6 && all[0]?.status === 'VALIDE') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(all.map((d) => d.dossierId)).toEqual([...ids].reverse());
    const valide = await stack.call(
      'GET',
      `/v1/dossiers?dispositif=${dispositif}&status=VALIDE`,
      region.token,
    );
    expect(valide.body.items.map((d: { dossierId: string }) => d.dossierId)).toEqual([b.dossierId]);
    expect(valide.body.items[0].stagiaire.nir).toBeUndefined();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { dossierId: string }[]; nextCursor: string | null } } = await stack.call(
        'GET',
        `/v1/dossiers?dispositif=${dispositif}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        region.token,
      );
      seen.push(...res.body.items.map((d) => d.dossierId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    expect(
      (await stack.call('GET', `/v1/dossiers?dispositif=${dispositif}`, stranger.token)).body.items,
    ).toEqual([]);
    expect(
      (await stack.call('GET', `/v1/dossiers?dispositif=${dispositif}`, otherRegion.token)).body.items,
    ).toHaveLength(6);
    expect((await stack.call('GET', '/v1/dossiers?limit=501', region.token)).status).toBe(400);
    expect((await stack.call('GET', '/v1/dossiers?cursor=zzz', region.token)).status).toBe(400);
    expect((await stack.call('GET', '/v1/dossiers?status=FOO', region.token)).status).toBe(400);
  });
});

describe('operations', () => {
  it('serves health, readiness, metrics, the OpenAPI document and its rendering', async () => {
    expect((await stack.call('GET', '/healthz', null)).status).toBe(200);
    const ready = await stack.call('GET', '/readyz', null);
    expect(ready.body).toEqual({ status: 'ok', temporal: 'ok', database: 'ok' });
    const doc = await stack.call('GET', '/openapi.json', null);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/dossiers',
        '/v1/dossiers/{dossierId}',
        '/v1/dossiers/{dossierId}/events',
        '/v1/dossiers/{dossierId}/history',
        '/v1/admin/partners',
      ]),
    );
    // Every /v1 operation documents the statuses any of them may answer.
    const paths = doc.body.paths as Record<string, Record<string, { responses: object }>>;
    for (const [path, item] of Object.entries(paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const op of Object.values(item)) {
        expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(['401', '429', '500', '503']));
      }
    }
    // Every schema in it is JSON Schema (no serialised zod object), and every reference resolves.
    const text = JSON.stringify(doc.body);
    expect(text).not.toContain('"def":');
    for (const [, ref] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.body.components.schemas, ref).toHaveProperty([ref!]);
    expect(doc.body.paths['/v1/dossiers'].get.responses['401'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(Object.keys(doc.body.paths['/v1/dossiers'].post.responses)).toContain('413');
    const docs = await stack.call('GET', '/docs', null);
    expect(docs.body).toContain('swagger-ui');
    expect((await stack.call('GET', '/docs/assets/swagger-ui-bundle.js', null)).status).toBe(200);
    // Events counted by type and code (a refusal first, so that one is there whatever ran before).
    const fresh = await create();
    expect(
      (await send(fresh.dossierId, of.token, ev('SORTIE', '2026-01-20', { motif: 'AUTRE' }))).status,
    ).toBe(409);
    const metrics = await stack.call('GET', '/metrics', ADMIN_TOKEN);
    expect(metrics.body).toContain('agora_http_requests_total');
    expect(metrics.body).toMatch(
      /agora_events_total\{kind="creation",type="CREATION",result="accepted",code="",status="201"\} \d+/,
    );
    expect(metrics.body).toMatch(/agora_events_total\{[^}]*type="SORTIE",result="refused",code="[A-Z_]+"/);
    expect(metrics.body).toMatch(/agora_dossiers\{status="EN_COURS_ELABORATION"\} \d+/);
    expect(metrics.body).toMatch(/agora_dsn_lines_loaded \d+/);
    expect(metrics.body).toMatch(/agora_projection_intent_oldest_seconds \d+/);
  });

  it('finds closed dossiers by search attribute in Temporal visibility', async () => {
    const b = await create();
    await send(b.dossierId, region.token, ev('ANNULATION', '2026-01-16'));
    let found: string[] = [];
    for (let i = 0; i < 50 && !found.includes(`dossier-${b.dossierId}`); i++) {
      found = [];
      for await (const w of stack.client.workflow.list({
        query: `DossierStatus='CLOS' AND OrganismeSiret='${of.siret}'`,
      })) {
        found.push(w.workflowId);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toContain(`dossier-${b.dossierId}`);
    // The Web UI's summary line: business keys, no personal data.
    const described = await stack.client.workflow.getHandle(`dossier-${b.dossierId}`).describe();
    const summary = await described.staticSummary();
    expect(summary).toBe(`Dossier ${b.dossierId} · PRF · région 84`);
    expect(await described.staticDetails()).toContain(`Organisme ${of.siret}`);
  });
});

describe('search by name and by the start of a dossier id', () => {
  it('finds a trainee by last name whatever its case, accents and hyphens, or its start; audited; never in a URL', async () => {
    // A name no other test uses: the read model is shared by every file.
    const nom = `Lefèvre-Dûval${uid().replace(/\d/g, '').slice(0, 4) || 'q'}`;
    const b = createBody();
    const mine = await create({ stagiaire: { ...b.stagiaire, nom, dateNaissance: '1990-04-12' } });
    const other = await create({ stagiaire: { ...b.stagiaire, nom, dateNaissance: '1991-01-01' } });
    // The same name at another financeur's: not visible to the organisme's search here.
    const elsewhere = createBody({ stagiaire: { ...b.stagiaire, nom } });
    expect(
      (
        await stack.call('POST', '/v1/dossiers', stranger.token, {
          ...elsewhere,
          financements: [{ financeurSiret: stranger.siret, montantEngage: 100 }],
        })
      ).status,
    ).toBe(201);
    const search = (token: string, q: Record<string, unknown>) =>
      stack.call('POST', '/v1/dossiers/search', token, q);
    const ids = (r: { body: { items: { dossierId: string }[] } }) =>
      r.body.items.map((d) => d.dossierId).sort();
    const upper = nom
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toUpperCase();
    for (const q of [nom, upper, upper.replace('-', ' '), nom.toLowerCase(), nom.slice(0, 9)]) {
      const res = await search(of.token, { nom: q });
      expect(res.status, q).toBe(200);
      expect(ids(res), q).toEqual([mine.dossierId, other.dossierId].sort());
    }
    const narrowed = await search(of.token, { nom, dateNaissance: '1990-04-12' });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    expect(ids(narrowed)).toEqual([mine.dossierId]);
    expect(ids(await search(stranger.token, { nom }))).toEqual([elsewhere.dossierId]);
    const audit = await stack.call(
      'GET',
      `/v1/admin/audit?actor=${of.siret}&action=NAME_SEARCH`,
      ADMIN_TOKEN,
    );
    expect(audit.body.items.length).toBeGreaterThanOrEqual(6);
    // Bad searches: 400 with the field to fix.
    for (const bad of [{}, { nom: 'x' }, { nom, nir: mine.stagiaire.nir }, { dateNaissance: '1990-04-12' }]) {
      const res = await search(region.token, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    // The start of a dossier id, in a URL (an id is no personal data); `_` and `%` are no wildcards.
    const prefix = mine.dossierId.slice(0, 8);
    const listed = await stack.call('GET', `/v1/dossiers?idPrefix=${prefix}&limit=500`, of.token);
    expect(listed.status).toBe(200);
    expect(listed.body.items.every((d: { dossierId: string }) => d.dossierId.startsWith(prefix))).toBe(true);
    expect(listed.body.items.map((d: { dossierId: string }) => d.dossierId)).toContain(mine.dossierId);
    const wild = await stack.call('GET', '/v1/dossiers?idPrefix=T_', of.token);
    expect(wild.body.items).toEqual([]);
    expect((await stack.call('GET', '/v1/dossiers?idPrefix=a%20b', of.token)).status).toBe(400);
  });
});

describe('list order and count', () => {
  it('sorts by number or age, pages in that order, and counts the whole list', async () => {
    const prefix = `SORT-${uid()}`;
    for (const n of ['2', '0', '1']) await create({ dossierId: `${prefix}-${n}` });
    const list = (q: string) => stack.call('GET', `/v1/dossiers?idPrefix=${prefix}&${q}`, region.token);
    const ids = (r: { body: { items: { dossierId: string }[] } }) => r.body.items.map((d) => d.dossierId);
    const first = await list('sort=numero&limit=2&withTotal=true');
    expect(ids(first)).toEqual([`${prefix}-0`, `${prefix}-1`]);
    expect(first.body).toMatchObject({ total: 3, totalExact: true });
    const second = await list(`sort=numero&limit=2&cursor=${first.body.nextCursor}`);
    expect(ids(second)).toEqual([`${prefix}-2`]);
    expect(second.body.nextCursor).toBeNull();
    expect(second.body.total).toBeUndefined();
    // Created 2, 0, 1: oldest first, newest first.
    expect(ids(await list('sort=ancien'))).toEqual([`${prefix}-2`, `${prefix}-0`, `${prefix}-1`]);
    expect(ids(await list(''))).toEqual([`${prefix}-1`, `${prefix}-0`, `${prefix}-2`]);
    // A cursor read in one order is refused in another.
    const mixed = await list(`sort=ancien&limit=2&cursor=${first.body.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect((await list('sort=alphabet')).status).toBe(400);
  });

  it('filters by the business dates of entry and exit, bounds included', async () => {
    const prefix = `DATES-${uid()}`;
    const enter = async (n: string, entree: string, sortie?: string) => {
      await create({ dossierId: `${prefix}-${n}` });
      const v = await send(`${prefix}-${n}`, region.token, ev('VALIDATION', '2026-01-20'));
      expect(v.status, JSON.stringify(v.body)).toBe(200);
      expect((await send(`${prefix}-${n}`, of.token, ev('ENTREE', entree))).status).toBe(200);
      if (sortie) {
        const out = await send(`${prefix}-${n}`, of.token, ev('SORTIE', sortie, { motif: 'FIN_FORMATION' }));
        expect(out.status, JSON.stringify(out.body)).toBe(200);
      }
    };
    await enter('a', '2026-02-01', '2026-06-30');
    await enter('b', '2026-03-15');
    await enter('c', '2026-04-01', '2026-07-01');
    const ids = async (q: string) => {
      const res = await stack.call('GET', `/v1/dossiers?idPrefix=${prefix}&sort=numero&${q}`, region.token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items.map((d: { dossierId: string }) => d.dossierId.slice(-1)).join('');
    };
    expect(await ids('entreeFrom=2026-03-15')).toBe('bc');
    expect(await ids('entreeTo=2026-03-15')).toBe('ab');
    expect(await ids('entreeFrom=2026-02-02&entreeTo=2026-03-31')).toBe('b');
    expect(await ids('sortieFrom=2026-06-30&sortieTo=2026-06-30')).toBe('a');
    expect(await ids('sortieFrom=2026-01-01')).toBe('ac');
    const bad = await stack.call('GET', '/v1/dossiers?entreeFrom=2026-13-01', region.token);
    expect(bad.status).toBe(400);
  });

  it('names registered partners by SIRET, leaving out the others', async () => {
    const res = await stack.call(
      'GET',
      `/v1/partenaires?siret=${of.siret}&siret=${region.siret}&siret=${siret('9999999999999')}`,
      stranger.token,
    );
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { siret: string }) => p.siret).sort()).toEqual(
      [of.siret, region.siret].sort(),
    );
    expect(res.body.items.find((p: { siret: string }) => p.siret === of.siret)).toMatchObject({
      type: 'ORGANISME_FORMATION',
    });
    expect((await stack.call('GET', '/v1/partenaires?siret=123', stranger.token)).status).toBe(400);
    // A route that takes a list keeps its own message when the list is wrong.
    const many = Array.from({ length: 51 }, (_, i) => `siret=${siret(String(1_000_000_000_000 + i))}`);
    const tooMany = await stack.call('GET', `/v1/partenaires?${many.join('&')}`, stranger.token);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).not.toContain('more than once');
  });
});
