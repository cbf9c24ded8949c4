import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, apiOnly } from '../helpers/stack';

let api: Awaited<ReturnType<typeof apiOnly>>;
let app: Awaited<ReturnType<typeof apiOnly>>['app'];

beforeAll(async () => {
  api = await apiOnly({ temporalAddress: '127.0.0.1:1', rateLimit: { perSecond: 1, burst: 2 } });
  app = api.app;
});
afterAll(async () => api?.stop());

describe('abuse limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the burst of a token', async () => {
    const get = () =>
      app.request('/v1/dossiers?limit=1', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    // Health checks are not limited.
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
