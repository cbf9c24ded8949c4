import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, apiOnly } from '../helpers/stack';

let api: Awaited<ReturnType<typeof apiOnly>>;
let app: Awaited<ReturnType<typeof apiOnly>>['app'];

beforeAll(async () => {
  // Nothing listens on port 1: Temporal is "down" for this API instance.
  api = await apiOnly({ temporalAddress: '127.0.0.1:1' });
  app = api.app;
});
afterAll(async () => api?.stop());

const auth = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('when Temporal cannot be reached', () => {
  it('answers 503 UNAVAILABLE with Retry-After, quickly, for reads and events', async () => {
    const read = await app.request('/v1/dossiers/X-1', { headers: auth });
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('5');
    expect(((await read.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
    const event = await app.request('/v1/dossiers/X-1/events', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ eventId: 'e', type: 'ENTREE', date: '2026-02-01' }),
    });
    expect(event.status).toBe(503);
  });

  it('says so on /readyz while the database is fine', async () => {
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', temporal: 'unreachable', database: 'ok' });
  });

  it('still serves the list from the read model', async () => {
    expect((await app.request('/v1/dossiers', { headers: auth })).status).toBe(200);
  });
});
