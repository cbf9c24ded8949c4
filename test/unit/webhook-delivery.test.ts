import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  checkWebhookTarget,
  checkWebhookUrl,
  isPublicAddress,
  postBatch,
} from '../../services/webhook-delivery';
import { signatureHeader, verifySignature } from '../../infra/webhook-signature';

/** CONTRACT.md, "Change feed and webhooks": where webhooks may go, and their signature. */
describe('webhook targets (SSRF)', () => {
  it('tells public addresses from private, loopback, link-local and special ones', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2a00:1450:4007:80e::200e', '185.24.184.1'])
      expect(isPublicAddress(a), a).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      'not an address',
    ])
      expect(isPublicAddress(a), a).toBe(false);
  });

  it('takes https only, no credentials, unless private targets are allowed (then http too)', () => {
    expect(checkWebhookUrl('https://partenaire.example/agora', false).ok).toBe(true);
    expect(checkWebhookUrl('http://partenaire.example/agora', false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('http://127.0.0.1:9000/agora', true).ok).toBe(true);
    // The message says what the stack takes.
    expect(checkWebhookUrl('ftp://partenaire.example/', false)).toEqual({
      ok: false,
      message: 'url must be https://',
    });
    expect(checkWebhookUrl('ftp://partenaire.example/', true)).toMatchObject({ message: /or http:\/\// });
    expect(checkWebhookUrl('https://u:p@partenaire.example/', false)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('file:///etc/passwd', true)).toMatchObject({ ok: false });
    expect(checkWebhookUrl('nonsense', true)).toMatchObject({ ok: false });
  });

  it('refuses a host that resolves to a private address, and one that does not resolve', async () => {
    const local = await checkWebhookTarget(new URL('https://localhost/agora'), false);
    expect(local).toMatchObject({ ok: false, message: expect.stringMatching(/private, loopback/) });
    expect((await checkWebhookTarget(new URL('https://[::1]/x'), false)).ok).toBe(false);
    expect((await checkWebhookTarget(new URL('https://10.0.0.8/x'), false)).ok).toBe(false);
    expect((await checkWebhookTarget(new URL('https://localhost/agora'), true)).ok).toBe(true);
    const none = await checkWebhookTarget(new URL('https://no-such-host.invalid/'), false);
    expect(none).toMatchObject({ ok: false, message: expect.stringMatching(/does not resolve/) });
  });

  it('does not deliver to a private address at delivery time, nor follow a redirect, nor wait forever', async () => {
    let hits = 0;
    const server = createServer((req, res) => {
      hits++;
      if (req.url === '/slow') return; // never answers
      if (req.url === '/moved') return res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      // A name resolving to loopback is refused in the connection's own look-up.
      const byName = await postBatch(
        `http://localhost:${port}/`,
        '{}',
        {},
        { timeoutMs: 2000, allowPrivate: false },
      );
      expect(byName).toMatchObject({ status: null, error: expect.stringMatching(/non-public/) });
      const byIp = await postBatch(
        `http://127.0.0.1:${port}/`,
        '{}',
        {},
        { timeoutMs: 2000, allowPrivate: false },
      );
      expect(byIp).toMatchObject({ status: null, error: expect.stringMatching(/not a public address/) });
      expect(hits).toBe(0);
      const ok = await postBatch(
        `http://localhost:${port}/`,
        '{}',
        {},
        { timeoutMs: 2000, allowPrivate: true },
      );
      expect(ok).toMatchObject({ status: 204, error: null });
      const moved = await postBatch(
        `http://127.0.0.1:${port}/moved`,
        '{}',
        {},
        { timeoutMs: 2000, allowPrivate: true },
      );
      expect(moved).toMatchObject({ status: 302, error: expect.stringMatching(/not followed/) });
      const slow = await postBatch(
        `http://127.0.0.1:${port}/slow`,
        '{}',
        {},
        { timeoutMs: 300, allowPrivate: true },
      );
      expect(slow).toMatchObject({ status: null, error: expect.stringMatching(/no answer within/) });
      expect(hits).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('webhook signature', () => {
  it('signs "t.body" with HMAC-SHA256 and verifies within the tolerance', () => {
    const header = signatureHeader('whsec_test', '{"items":[]}', 1_790_000_000);
    // Computed independently: printf '1790000000.{"items":[]}' | openssl dgst -sha256 -hmac whsec_test
    expect(header).toBe('t=1790000000,v1=0132ba3c30600cfc53b2e9777a1835a58ba70dac1e830dd925b677876a0864ba');
    expect(verifySignature(header, '{"items":[]}', 'whsec_test', { now: 1_790_000_100 })).toBe(true);
    expect(verifySignature(header, '{"items":[]}', 'whsec_other', { now: 1_790_000_100 })).toBe(false);
    expect(verifySignature(header, '{"items":[1]}', 'whsec_test', { now: 1_790_000_100 })).toBe(false);
    expect(verifySignature(header, '{"items":[]}', 'whsec_test', { now: 1_790_001_000 })).toBe(false);
    expect(verifySignature('garbage', '{"items":[]}', 'whsec_test')).toBe(false);
  });
});
