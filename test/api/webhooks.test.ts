import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, uid } from '../helpers/fixtures';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';
import { webhookReceiver } from '../helpers/webhook-receiver';
import { SIGNATURE_HEADER, verifySignature } from '../../infra/webhook-signature';

/**
 * CONTRACT.md, "Change feed and webhooks": webhooks against a receiver the test runs, on the real
 * stack (the stack's webhooks back off from 300 ms instead of 10 s).
 */
let stack: Stack;
type P = Awaited<ReturnType<Stack['partner']>>;
let of: P;
beforeAll(async () => {
  stack = await startStack();
  of = await stack.partner('ORGANISME_FORMATION');
}, 120_000);
afterAll(async () => stack?.stop());

type Item = { id: string; version: number; type: string; source: string };

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, seconds = 30) {
  for (let i = 0; i < seconds * 10; i++) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`waited ${seconds} s for ${what}`);
}

/** A dossier of `fin` (a financeur without territory: it sees its own only), entered and exited. */
async function lifecycle(fin: P) {
  const body = createBody({
    dossierId: `WH-${uid()}`,
    date: '2026-01-15',
    organisme: { siret: of.siret, raisonSociale: 'OF' },
    financements: [{ financeurSiret: fin.siret, montantEngage: 100 }],
  });
  expect((await stack.call('POST', '/v1/dossiers', fin.token, body)).status).toBe(201);
  const send = async (token: string, e: Record<string, unknown>) =>
    expect(
      (
        await stack.call('POST', `/v1/dossiers/${body.dossierId}/events`, token, {
          eventId: uid() + uid(),
          ...e,
        })
      ).status,
    ).toBe(200);
  await send(fin.token, { type: 'VALIDATION', date: '2026-01-20' });
  await send(of.token, { type: 'ENTREE', date: '2026-02-02' });
  await send(of.token, { type: 'SORTIE', date: '2026-06-30', motif: 'FIN_FORMATION' });
  return { id: body.dossierId, send };
}

const partners = (xs: Item[]) => xs.filter((c) => c.source !== 'PLATEFORME');
/** Once each (id + version), in the order first given. */
const deduped = (xs: Item[]) => {
  const seen = new Set<string>();
  return xs.filter((c) => !seen.has(`${c.id}@${c.version}`) && seen.add(`${c.id}@${c.version}`));
};

describe('webhooks', () => {
  it('delivers every change signed and in order, again after refusals, until acknowledged', async () => {
    const fin = await stack.partner('AGEFIPH');
    // The first two deliveries are refused (503), then the receiver is back.
    const receiver = await webhookReceiver((n) => (n <= 2 ? 503 : 200));
    try {
      const created = await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({
        id: expect.any(String),
        secret: expect.stringMatching(/^whsec_/),
      });
      expect(created.body).toMatchObject({ statut: 'ACTIF', url: receiver.url });
      const { id, secret } = created.body;
      const d = await lifecycle(fin);
      const acked = await until('the four changes acknowledged', () => {
        const got = partners(deduped(receiver.acknowledged())).filter((c) => c.id === d.id);
        return got.length >= 4 ? got : undefined;
      });
      expect(acked.map((c) => [c.type, c.version])).toEqual([
        ['CREATION', 1],
        ['VALIDATION', 2],
        ['ENTREE', 3],
        ['SORTIE', 4],
      ]);
      // Every request signed with the secret over "t.body"; batches of 100 at most.
      expect(receiver.received.length).toBeGreaterThanOrEqual(3);
      for (const r of receiver.received) {
        const header = r.headers[SIGNATURE_HEADER.toLowerCase()] as string;
        expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(verifySignature(header, r.body, secret)).toBe(true);
        expect(verifySignature(header, `${r.body} `, secret)).toBe(false);
        expect(JSON.parse(r.body).items.length).toBeLessThanOrEqual(100);
      }
      expect(receiver.received.slice(0, 2).map((r) => r.status)).toEqual([503, 503]);
      // The refused batch came again from the same change.
      const first = (n: number) => JSON.parse(receiver.received[n]!.body).items[0];
      expect(first(1)).toEqual(first(0));
      expect(first(2)).toEqual(first(0));
      // What was acknowledged is the partner's feed, in its order.
      const feed = (await stack.call('GET', '/v1/changes?limit=1000', fin.token)).body.items as Item[];
      expect(partners(deduped(receiver.acknowledged()))).toEqual(partners(feed));
      const state = await until('the acknowledgement recorded', async () => {
        const w = (await stack.call('GET', `/v1/webhooks/${id}`, fin.token)).body;
        return w.dernierAcquittement ? w : undefined;
      });
      expect(state).toMatchObject({
        statut: 'ACTIF',
        echecs: 0,
        enEchecDepuis: null,
        motifDesactivation: null,
      });
      const attempts = (await stack.call('GET', `/v1/webhooks/${id}/livraisons`, fin.token)).body.items;
      expect(attempts.at(-1)).toMatchObject({ status: 503, error: 'the receiver answered 503' });
      expect(attempts[0]).toMatchObject({ status: 200, error: null });
      expect(attempts[0].durationMs).toBeGreaterThanOrEqual(0);
      expect(
        (await stack.call('GET', '/v1/webhooks', fin.token)).body.items.map((w: { id: string }) => w.id),
      ).toEqual([id]);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('pauses and resumes from the first change not acknowledged; filters by type; removed, it stops', async () => {
    const fin = await stack.partner('AGEFIPH');
    const receiver = await webhookReceiver();
    try {
      const { id } = (
        await stack.call('POST', '/v1/webhooks', fin.token, {
          url: receiver.url,
          events: ['ENTREE', 'SORTIE'],
        })
      ).body;
      const d = await lifecycle(fin);
      await until('the entry and exit', () => receiver.acknowledged().length >= 2 || undefined);
      expect(receiver.acknowledged().map((c) => [c.id, c.type])).toEqual([
        [d.id, 'ENTREE'],
        [d.id, 'SORTIE'],
      ]);
      // Turned off: nothing is sent from then on, even by a delivery already waiting for changes;
      // on again: what happened meanwhile comes.
      const off = await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, { actif: false });
      expect(off.body).toMatchObject({ statut: 'DESACTIVE', motifDesactivation: 'PARTENAIRE' });
      const before = receiver.received.length;
      const again = await lifecycle(fin);
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.received.length).toBe(before);
      const on = await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, { actif: true });
      expect(on.body).toMatchObject({ statut: 'ACTIF', motifDesactivation: null });
      await until(
        'the changes made while off',
        () => receiver.acknowledged().some((c) => c.id === again.id && c.type === 'SORTIE') || undefined,
      );
      expect(
        receiver
          .acknowledged()
          .filter((c) => c.id === again.id)
          .map((c) => c.type),
      ).toEqual(['ENTREE', 'SORTIE']);
      // Removed: gone for its partner, and nothing more sent.
      expect((await stack.call('DELETE', `/v1/webhooks/${id}`, fin.token)).status).toBe(204);
      expect((await stack.call('GET', `/v1/webhooks/${id}`, fin.token)).status).toBe(404);
      await new Promise((r) => setTimeout(r, 3500));
      const after = receiver.received.length;
      await d.send(fin.token, { type: 'CLOTURE', date: '2026-07-15', realisation: 'TOTALE' });
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.received.length).toBe(after);
      // A new one may be made (with a new secret).
      const renewed = await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url });
      expect(renewed.status).toBe(201);
      await stack.call('DELETE', `/v1/webhooks/${renewed.body.id}`, fin.token);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('keeps the run of failures when a failing webhook is told to try again (PUT actif: true)', async () => {
    const fin = await stack.partner('AGEFIPH');
    const receiver = await webhookReceiver(() => 503);
    try {
      const { id } = (await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url })).body;
      await lifecycle(fin);
      const failing = await until('a failure recorded', async () => {
        const w = (await stack.call('GET', `/v1/webhooks/${id}`, fin.token)).body;
        return w.echecs >= 1 ? w : undefined;
      });
      const metrics = await stack.call('GET', '/metrics', ADMIN_TOKEN);
      expect(String(metrics.body)).toMatch(/^agora_webhooks_failing [1-9]/m);
      expect(String(metrics.body)).toMatch(/^agora_webhooks\{statut="ACTIF"\} [1-9]/m);
      const again = await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, { actif: true });
      expect(again.body).toMatchObject({ statut: 'ACTIF', enEchecDepuis: failing.enEchecDepuis });
      expect(again.body.echecs).toBeGreaterThanOrEqual(1);
      // Tried again at once, and acknowledged once the receiver is back.
      receiver.respond = () => 204;
      await until('acknowledged', () => receiver.acknowledged().length > 0 || undefined);
      const ok = await until('the run of failures over', async () => {
        const w = (await stack.call('GET', `/v1/webhooks/${id}`, fin.token)).body;
        return w.echecs === 0 ? w : undefined;
      });
      expect(ok).toMatchObject({ enEchecDepuis: null, statut: 'ACTIF' });
      await stack.call('DELETE', `/v1/webhooks/${id}`, fin.token);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('refuses a second webhook (409), the admin (403), bad URLs and types (400), and shows none to others (404)', async () => {
    const fin = await stack.partner('AGEFIPH');
    const other = await stack.partner('OPCO');
    const receiver = await webhookReceiver();
    try {
      const { id } = (await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url })).body;
      const twice = await stack.call('POST', '/v1/webhooks', fin.token, { url: receiver.url });
      expect(twice.status).toBe(409);
      expect(twice.body.error).toMatchObject({ code: 'ALREADY_EXISTS', details: { id } });
      expect((await stack.call('POST', '/v1/webhooks', ADMIN_TOKEN, { url: receiver.url })).status).toBe(403);
      for (const url of ['ftp://example.org/x', 'not a url', 'https://user:pw@example.org/hook']) {
        const bad = await stack.call('POST', '/v1/webhooks', other.token, { url });
        expect(bad.status, url).toBe(400);
        expect(bad.body.error.details[0].path).toBe('body.url');
      }
      const host = await stack.call('POST', '/v1/webhooks', other.token, {
        url: 'https://no-such-host.invalid/hook',
      });
      expect(host.body.error.message).toMatch(/does not resolve/);
      const types = await stack.call('POST', '/v1/webhooks', other.token, {
        url: receiver.url,
        events: ['NOPE'],
      });
      expect(types.status).toBe(400);
      expect((await stack.call('GET', `/v1/webhooks/${id}`, other.token)).status).toBe(404);
      expect((await stack.call('PUT', `/v1/webhooks/${id}`, other.token, { actif: false })).status).toBe(404);
      expect((await stack.call('GET', `/v1/webhooks/${id}/livraisons`, other.token)).status).toBe(404);
      expect((await stack.call('PUT', `/v1/webhooks/${id}`, fin.token, {})).status).toBe(400);
      expect((await stack.call('GET', '/v1/webhooks/not-a-uuid', fin.token)).status).toBe(400);
      // The admin sees every webhook.
      const all = (await stack.call('GET', '/v1/webhooks', ADMIN_TOKEN)).body.items.map(
        (w: { id: string }) => w.id,
      );
      expect(all).toContain(id);
      await stack.call('DELETE', `/v1/webhooks/${id}`, fin.token);
    } finally {
      await receiver.close();
    }
  });
});
