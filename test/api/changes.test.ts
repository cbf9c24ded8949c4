import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, nir, openPeriodBody, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

/** CONTRACT.md, "Change feed and webhooks": `GET /v1/changes`, on the real stack. */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
/** A financeur that sees its own dossiers only (a Region also sees its territory's, every test's). */
let fin: P;
let of: P;
let opco: P;
let other: P;
beforeAll(async () => {
  stack = await startStack();
  fin = await stack.partner('AGEFIPH');
  of = await stack.partner('ORGANISME_FORMATION');
  opco = await stack.partner('OPCO');
  other = await stack.partner('FRANCE_TRAVAIL');
}, 120_000);
afterAll(async () => stack?.stop());

type Change = { kind: string; id: string; version: number; type: string; date: string; source: string };

/** Every change after `cursor`, page by page; the cursor to follow from. */
async function follow(
  token: string,
  cursor?: string,
  limit = 1000,
): Promise<{ items: Change[]; cursor: string }> {
  const items: Change[] = [];
  for (;;) {
    const res = await stack.call(
      'GET',
      `/v1/changes?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    expect(res.status).toBe(200);
    expect(typeof res.body.nextCursor).toBe('string');
    items.push(...res.body.items);
    if (res.body.items.length < limit || res.body.nextCursor === cursor)
      return { items, cursor: res.body.nextCursor };
    cursor = res.body.nextCursor;
  }
}

/** `follow` again until `check` holds (a change is offered once older transactions are over). */
async function followUntil(
  token: string,
  cursor: string | undefined,
  check: (items: Change[]) => boolean,
): Promise<{ items: Change[]; cursor: string }> {
  for (let i = 0; ; i++) {
    const page = await follow(token, cursor);
    if (check(page.items) || i === 100) return page;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A DSN month with no line (nobody of it employed): its load wakes the dossiers waiting on it. */
async function loadEmptyMonth(mois: string) {
  const load = await stack.app.request(`/v1/dsn/imports?mois=${mois}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
    body: 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n',
  });
  expect(load.status).toBe(200);
}

async function dossier(
  financements: { financeurSiret: string; montantEngage: number }[],
  token = fin.token,
  date = '2026-01-15',
  regionCode = '84',
) {
  const base = createBody();
  const body = createBody({
    dossierId: `CH-${uid()}`,
    date,
    action: { ...base.action, region: regionCode as '84' },
    stagiaire: {
      ...createBody().stagiaire,
      nir: nir(`1${String(randomInt(10 ** 11, 10 ** 12))}0`.slice(0, 13)),
    },
    organisme: { siret: of.siret, raisonSociale: 'OF' },
    financements,
  });
  expect((await stack.call('POST', '/v1/dossiers', token, body)).status).toBe(201);
  const send = async (t: string, e: Record<string, unknown>) => {
    const res = await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, t, {
      eventId: uid() + uid(),
      ...e,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  return { id: body.dossierId, send };
}

describe('the change feed', () => {
  it("shows a financeur the organisme's entry and exit of its dossier, in order, and nothing of another's", async () => {
    const mine = await dossier([{ financeurSiret: fin.siret, montantEngage: 100 }]);
    // Another financeur's, in another region (the Region of 84 sees its territory's dossiers).
    const theirs = await dossier(
      [{ financeurSiret: other.siret, montantEngage: 100 }],
      other.token,
      '2026-01-15',
      '11',
    );
    await mine.send(fin.token, { type: 'VALIDATION', date: '2026-01-20' });
    await mine.send(of.token, { type: 'ENTREE', date: '2026-02-02' });
    await theirs.send(other.token, { type: 'VALIDATION', date: '2026-01-20' });
    await mine.send(of.token, { type: 'SORTIE', date: '2026-06-30', motif: 'FIN_FORMATION' });
    // The same exit told again: a confirmation, which changes nothing and is no change in the feed
    // (below: one SORTIE).
    await mine.send(of.token, { type: 'SORTIE', date: '2026-06-30', motif: 'FIN_FORMATION' });
    await mine.send(fin.token, { type: 'CLOTURE', date: '2026-07-15', realisation: 'TOTALE' });
    const { items } = await followUntil(
      fin.token,
      undefined,
      (xs) => xs.filter((c) => c.id === mine.id && c.source !== 'PLATEFORME').length >= 5,
    );
    // The partners' events (the platform may add a SITUATION when another test loads a month).
    const ofMine = items.filter((c) => c.id === mine.id && c.source !== 'PLATEFORME');
    expect(ofMine.map((c) => [c.type, c.source])).toEqual([
      ['CREATION', fin.siret],
      ['VALIDATION', fin.siret],
      ['ENTREE', of.siret],
      ['SORTIE', of.siret],
      ['CLOTURE', fin.siret],
    ]);
    // Versions in order (the platform's own changes may come between).
    const versions = ofMine.map((c) => c.version);
    expect(versions.slice(0, 3)).toEqual([1, 2, 3]);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
    expect(ofMine[2]).toMatchObject({ kind: 'DOSSIER', date: '2026-02-02' });
    expect(items.some((c) => c.id === theirs.id)).toBe(false);
    // The organisme sees them too; the other financeur only its own.
    const partners = (xs: Change[]) => xs.filter((c) => c.source !== 'PLATEFORME');
    expect(partners((await follow(of.token)).items).filter((c) => c.id === mine.id)).toHaveLength(5);
    expect(partners((await follow(other.token)).items).map((c) => c.id)).toEqual([theirs.id, theirs.id]);
  });

  it('pages without skipping and resumes from any cursor; an empty page keeps its cursor', async () => {
    const d = await dossier([{ financeurSiret: fin.siret, montantEngage: 100 }]);
    await d.send(fin.token, { type: 'VALIDATION', date: '2026-01-20' });
    await d.send(of.token, { type: 'ENTREE', date: '2026-02-02' });
    const all = await followUntil(fin.token, undefined, (xs) => xs.filter((c) => c.id === d.id).length >= 3);
    // (The platform may add a situation meanwhile when another test loads a month: compared
    // without those.)
    const partners = (xs: Change[]) => xs.filter((c) => c.source !== 'PLATEFORME');
    const byTwo = await follow(fin.token, undefined, 2);
    expect(partners(byTwo.items)).toEqual(partners(all.items));
    // From the cursor after the third change: the rest, exactly.
    const third = await stack.call('GET', '/v1/changes?limit=3', fin.token);
    const rest = await follow(fin.token, third.body.nextCursor);
    expect(partners([...third.body.items, ...rest.items])).toEqual(partners(all.items));
    // Nothing for a partner: an empty page keeps its cursor, whatever others' changes.
    const quiet = await stack.partner('OPCO');
    const first = await stack.call('GET', '/v1/changes', quiet.token);
    expect(first.body.items).toEqual([]);
    await dossier([{ financeurSiret: other.siret, montantEngage: 100 }], other.token, '2026-01-15', '11');
    const again = await stack.call(
      'GET',
      `/v1/changes?cursor=${encodeURIComponent(first.body.nextCursor)}`,
      quiet.token,
    );
    expect(again.body).toEqual({ items: [], nextCursor: first.body.nextCursor });
    await d.send(of.token, { type: 'INTERRUPTION', date: '2026-03-01' });
    const next = await followUntil(fin.token, all.cursor, (xs) => partners(xs).length > 0);
    expect(partners(next.items).map((c) => [c.id, c.type])).toEqual([[d.id, 'INTERRUPTION']]);
  });

  it('never skips a change while events arrive concurrently (every accepted event is in the feed, once, in order)', async () => {
    const start = (await follow(opco.token)).cursor;
    const dossiers = await Promise.all(
      Array.from({ length: 12 }, () =>
        dossier([{ financeurSiret: opco.siret, montantEngage: 100 }], opco.token),
      ),
    );
    const seen: Change[] = [];
    let cursor = start;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const page = await follow(opco.token, cursor, 3);
        seen.push(...page.items);
        cursor = page.cursor;
      }
    })();
    await Promise.all(
      dossiers.map(async (d) => {
        await d.send(opco.token, { type: 'VALIDATION', date: '2026-01-20' });
        await d.send(of.token, { type: 'ENTREE', date: '2026-02-02' });
        await d.send(of.token, { type: 'INTERRUPTION', date: '2026-03-01' });
        await d.send(of.token, { type: 'REPRISE', date: '2026-03-10' });
      }),
    );
    writing = false;
    await reader;
    // What the last pages could not offer yet (older transactions still running) comes now.
    const expected = dossiers.length * 5;
    seen.push(...(await followUntil(opco.token, cursor, (xs) => seen.length + xs.length >= expected)).items);
    for (const d of dossiers) {
      const history = (await stack.call('GET', `/v1/dossiers/${d.id}/history`, opco.token)).body.events;
      expect(seen.filter((c) => c.id === d.id).map((c) => [c.type, c.version])).toEqual(
        history.map((e: { type: string; version: number }) => [e.type, e.version]),
      );
    }
  }, 60_000);

  it('shows a co-financeur the changes from the version that names it on, not those before', async () => {
    const d = await dossier([{ financeurSiret: fin.siret, montantEngage: 100 }]);
    await d.send(fin.token, { type: 'VALIDATION', date: '2026-01-20' });
    const before = await follow(other.token);
    expect(before.items.some((c) => c.id === d.id)).toBe(false);
    await d.send(fin.token, {
      type: 'RECTIFICATION',
      date: '2026-01-21',
      changes: {
        financements: [
          { financeurSiret: fin.siret, montantEngage: 100 },
          { financeurSiret: other.siret, montantEngage: 50 },
        ],
      },
    });
    await d.send(of.token, { type: 'ENTREE', date: '2026-02-02' });
    const after = await followUntil(
      other.token,
      before.cursor,
      (xs) => xs.filter((c) => c.id === d.id).length === 2,
    );
    expect(after.items.filter((c) => c.id === d.id).map((c) => c.type)).toEqual(['RECTIFICATION', 'ENTREE']);
  });

  it("records the platform's own changes, and a CEP period's changes for its operator only", async () => {
    const mois = `20${10 + Math.floor(Math.random() * 8)}-0${1 + Math.floor(Math.random() * 9)}`;
    const d = await dossier([{ financeurSiret: fin.siret, montantEngage: 100 }], fin.token, `${mois}-05`);
    const start = (await follow(fin.token)).cursor;
    await d.send(fin.token, { type: 'VALIDATION', date: `${mois}-10` });
    // The validation's month loaded: the platform records the situation it finds.
    await loadEmptyMonth(mois);
    let own: Change[] = [];
    for (let i = 0; i < 100 && own.length === 0; i++) {
      own = (await follow(fin.token, start)).items.filter((c) => c.id === d.id && c.source === 'PLATEFORME');
      if (own.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(own[0]).toMatchObject({ kind: 'DOSSIER', type: 'SITUATION' });
    // An entry in a month already loaded: its situation, found just after, is a change of its own.
    const entered = await d.send(of.token, { type: 'ENTREE', date: `${mois}-20` });
    const after = await followUntil(fin.token, start, (xs) =>
      xs.some((c) => c.id === d.id && c.type === 'SITUATION' && c.version > entered.version),
    );
    const versions = after.items.filter((c) => c.id === d.id).map((c) => c.version);
    expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
    expect(after.items.find((c) => c.id === d.id && c.version > entered.version)).toMatchObject({
      type: 'SITUATION',
      source: 'PLATEFORME',
    });
    const operator = await stack.partner('CEP_OPERATEUR');
    const body = openPeriodBody({ periodeId: `CH-${uid()}` });
    expect((await stack.call('POST', '/v1/cep/periodes', operator.token, body)).status).toBe(201);
    // The period's record (and its change) is written by its workflow, a moment after the answer.
    let ops = await follow(operator.token);
    for (let i = 0; i < 100 && ops.items.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ops = await follow(operator.token);
    }
    // Its opening; then (opened over six months ago, silent since) the platform's own closure.
    expect(ops.items[0]).toMatchObject({
      kind: 'CEP',
      id: body.periodeId,
      type: 'CREATION',
      source: operator.siret,
    });
    for (let i = 0; i < 100 && !ops.items.some((c) => c.type === 'CLOTURE'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ops = await follow(operator.token);
    }
    // The closure first, then the points of its follow-up: every version, none skipped, though the
    // workflow may record several before its record is written.
    const period = await stack.call('GET', `/v1/cep/periodes/${body.periodeId}`, operator.token);
    for (let i = 0; i < 100 && ops.items.at(-1)!.version < period.body.version; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ops = await follow(operator.token);
    }
    expect(ops.items.map((c) => c.version)).toEqual(ops.items.map((_, i) => i + 1));
    expect(ops.items.map((c) => c.type)).toEqual([
      'CREATION',
      'CLOTURE',
      ...ops.items.slice(2).map(() => 'SITUATION'),
    ]);
    for (const c of ops.items.slice(1)) {
      expect(c).toMatchObject({ kind: 'CEP', id: body.periodeId, source: 'PLATEFORME' });
    }
    // Dated as the period's closure (six months after its latest event), not the day it was seen.
    expect(period.body.dates.cloture).toBeTruthy();
    expect(ops.items[1]!.date).toBe(period.body.dates.cloture);
    expect((await follow(fin.token, start)).items.some((c) => c.id === body.periodeId)).toBe(false);
  });

  it('keeps the situations found from the party that only pays the trainee', async () => {
    const payer = await stack.partner('REMUNERATEUR');
    const mois = `20${10 + Math.floor(Math.random() * 8)}-1${Math.floor(Math.random() * 3)}`;
    const d = await dossier([{ financeurSiret: fin.siret, montantEngage: 100 }], fin.token, `${mois}-05`);
    await d.send(fin.token, {
      type: 'RECTIFICATION',
      date: `${mois}-06`,
      changes: { remunerateurSiret: payer.siret },
    });
    await d.send(fin.token, { type: 'VALIDATION', date: `${mois}-10` });
    await loadEmptyMonth(mois);
    const funder = await followUntil(fin.token, undefined, (xs) =>
      xs.some((c) => c.id === d.id && c.type === 'SITUATION'),
    );
    const found = funder.items.find((c) => c.id === d.id && c.type === 'SITUATION')!;
    expect(found).toBeDefined();
    const paid = (await follow(payer.token)).items.filter((c) => c.id === d.id);
    expect(paid.map((c) => c.type)).toEqual(['RECTIFICATION', 'VALIDATION']);
  });

  it('refuses a bad cursor or limit (400) and a missing token (401)', async () => {
    expect((await stack.call('GET', '/v1/changes?cursor=nope', fin.token)).status).toBe(400);
    // Forged cursors that read as cursors but hold what the database cannot read: 400, never 500.
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const forged: [string, string][] = [
      ['/v1/changes', b64('1:99999999999999999999')],
      ['/v1/changes', b64('99999999999999999999:1')],
      ['/v1/admin/audit', b64('2026-02-30T03:48:53Z|1')],
      ['/v1/admin/audit', b64('9999-99-99T99:99:99Z|1')],
      ['/v1/dossiers', b64(JSON.stringify({ c: '2026-02-30T03:47:33.213Z', d: 'x' }))],
      ['/v1/certifications/resultats', b64(JSON.stringify({ at: '2026-02-30T03:47:33Z', id: 'x' }))],
    ];
    for (const [route, cursor] of forged) {
      const res = await stack.call('GET', `${route}?cursor=${cursor}`, ADMIN_TOKEN);
      expect([route, res.status, res.body.error?.details?.[0]?.path]).toEqual([route, 400, 'query.cursor']);
    }
    expect((await stack.call('GET', '/v1/changes?limit=1001', fin.token)).status).toBe(400);
    expect((await stack.call('GET', '/v1/changes', null)).status).toBe(401);
  });
});
