import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createBody, nir, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';
import { temporalJson } from '../helpers/temporal-cli';

let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let region: P;
let opco: P;
let of: P;
const person = nir(`2${String(Date.now()).slice(-12)}`);
const nom = `Zebulon${uid()}`;
const dateNaissance = '1977-07-17';
let dossierId = '';

beforeAll(async () => {
  stack = await startStack();
  region = await stack.partner('REGION', '84');
  opco = await stack.partner('OPCO');
  of = await stack.partner('ORGANISME_FORMATION');
  const body = createBody({
    stagiaire: { nir: person, nom, prenom: 'Alix', dateNaissance },
    organisme: { siret: of.siret, raisonSociale: 'OF' },
    financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
  });
  dossierId = body.dossierId;
  expect((await stack.call('POST', '/v1/dossiers', region.token, body)).status).toBe(201);
  await stack.call('POST', `/v1/dossiers/${dossierId}/events`, region.token, {
    eventId: randomUUID(),
    type: 'VALIDATION',
    date: '2026-01-20',
  });
});
afterAll(async () => stack?.stop());

describe('personal data', () => {
  it('lets a financeur find its dossiers by NIR, and nobody else', async () => {
    let items: { dossierId: string }[] = [];
    for (let i = 0; i < 50 && items.length === 0; i++) {
      items = (await stack.call('POST', '/v1/dossiers/search', region.token, { nir: person })).body.items;
      if (items.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(items.map((d) => d.dossierId)).toEqual([dossierId]);
    expect((await stack.call('POST', '/v1/dossiers/search', opco.token, { nir: person })).body.items).toEqual(
      [],
    );
    expect((await stack.call('POST', '/v1/dossiers/search', of.token, { nir: person })).status).toBe(403);
    expect(
      (await stack.call('POST', '/v1/dossiers/search', region.token, { nir: '180057512345628' })).status,
    ).toBe(400);
  });

  it('audits every read of a full NIR and every NIR search, for the admin only', async () => {
    await stack.call('GET', `/v1/dossiers/${dossierId}`, region.token);
    await stack.call('GET', `/v1/dossiers/${dossierId}`, of.token); // masked NIR: not a read of the NIR
    await stack.call('POST', '/v1/dossiers/search', region.token, { nir: person });
    expect((await stack.call('GET', '/v1/admin/audit', region.token)).status).toBe(403);
    const audit = (await stack.call('GET', '/v1/admin/audit?limit=1000', ADMIN_TOKEN)).body.items as {
      actorSiret: string;
      action: string;
      dossierId: string | null;
    }[];
    const mine = audit.filter((a) => a.actorSiret === region.siret);
    expect(mine.some((a) => a.action === 'DOSSIER_READ' && a.dossierId === dossierId)).toBe(true);
    expect(mine.some((a) => a.action === 'NIR_SEARCH')).toBe(true);
    expect(audit.some((a) => a.actorSiret === of.siret)).toBe(false);
    expect(JSON.stringify(audit)).not.toContain(person);
  });

  it('keeps the read model free of the clear NIR', async () => {
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query(
        'select data::text as data, nir_sealed, nir_hash from dossiers where dossier_id = $1',
        [dossierId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].data).not.toContain(person);
      expect(rows[0].nir_sealed.toString('latin1')).not.toContain(person);
      expect(rows[0].nir_hash).toHaveLength(32);
    } finally {
      await db.end();
    }
  });

  it('leaves no NIR, name or birth date in clear in the Temporal history', async () => {
    const show = temporalJson('show', `dossier-${dossierId}`);
    const text = show;
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of [person, nom, dateNaissance]) expect(text).not.toContain(secret);
    const described = temporalJson('describe', `dossier-${dossierId}`);
    for (const secret of [person, nom, dateNaissance]) expect(described).not.toContain(secret);
  });

  it('decodes payloads for the Temporal Web UI with the admin token only, and only from its origin', async () => {
    const show = temporalJson('show', `dossier-${dossierId}`);
    const history = JSON.parse(show) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: unknown[] } } }[];
    };
    const payloads = history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads;
    const decode = (headers: Record<string, string>) =>
      stack.app.request('/codec/decode', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:8233', ...headers },
        body: JSON.stringify({ payloads }),
      });
    expect((await decode({})).status).toBe(401);
    expect((await decode({ authorization: `Bearer ${region.token}` })).status).toBe(401);
    const ok = await decode({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    const out = (await ok.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(out.payloads[0]!.data, 'base64').toString()).toContain(nom);

    const signin = await stack.app.request('/codec/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(ADMIN_TOKEN)}`,
    });
    expect(signin.status).toBe(200);
    const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).not.toContain(ADMIN_TOKEN);
    expect((await decode({ cookie })).status).toBe(200);
    const preflight = await stack.app.request('/codec/decode', {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});
