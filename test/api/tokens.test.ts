import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Stack } from '../helpers/stack';
import { ADMIN_TOKEN, startStack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

describe('partner tokens', () => {
  it('rotates: a second live token, then the first revoked answers 401 while the second works', async () => {
    const p = await stack.partner('OPCO');
    const first = p.token;
    const added = await stack.call('POST', `/v1/admin/partners/${p.id}/tokens`, ADMIN_TOKEN);
    expect(added.status).toBe(201);
    const second = added.body.token as string;
    expect(second).not.toBe(first);
    expect((await stack.call('GET', '/v1/dossiers', first)).status).toBe(200);
    expect((await stack.call('GET', '/v1/dossiers', second)).status).toBe(200);

    const list = await stack.call('GET', '/v1/admin/partners', ADMIN_TOKEN);
    const me = list.body.items.find((x: { id: string }) => x.id === p.id);
    expect(me.tokens).toHaveLength(2);
    expect(me.tokens.every((t: { lastUsedAt: string | null }) => t.lastUsedAt !== null)).toBe(true);
    expect(JSON.stringify(list.body)).not.toContain(first);

    const firstId = me.tokens.find((t: { id: string }) => t.id !== added.body.id).id as string;
    expect(
      (await stack.call('DELETE', `/v1/admin/partners/${p.id}/tokens/${firstId}`, ADMIN_TOKEN)).status,
    ).toBe(204);
    expect((await stack.call('GET', '/v1/dossiers', first)).status).toBe(401);
    expect((await stack.call('GET', '/v1/dossiers', second)).status).toBe(200);
  });

  it('answers 404 for an unknown partner or token, 400 for a malformed id, 403 to partners', async () => {
    const p = await stack.partner('OPCO');
    expect((await stack.call('POST', `/v1/admin/partners/${randomUUID()}/tokens`, ADMIN_TOKEN)).status).toBe(
      404,
    );
    expect(
      (await stack.call('DELETE', `/v1/admin/partners/${p.id}/tokens/${randomUUID()}`, ADMIN_TOKEN)).status,
    ).toBe(404);
    expect((await stack.call('POST', '/v1/admin/partners/not-a-uuid/tokens', ADMIN_TOKEN)).status).toBe(400);
    expect((await stack.call('POST', `/v1/admin/partners/${p.id}/tokens`, p.token)).status).toBe(403);
  });
});
