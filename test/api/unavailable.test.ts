import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { openOrm } from '../../db/orm';
import type { MikroORM } from '../../db/orm';
import { loadEnv } from '../../infra/env';
import { createLogger } from '../../infra/logger';
import { apiConnectionOptions, dataConverter } from '../../infra/temporal';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';

let orm: MikroORM;
let connection: Connection;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
  // Nothing listens on port 1: Temporal is "down" for this API instance.
  const env = loadEnv({ TEMPORAL_ADDRESS: '127.0.0.1:1', AGORA_DATA_KEY: TEST_DATA_KEY });
  connection = Connection.lazy(apiConnectionOptions(env));
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  app = createApp({
    client,
    orm,
    logger: createLogger('silent', 'test'),
    taskQueue: 'none',
    adminToken: ADMIN_TOKEN,
    databaseUrl: inject('databaseUrl'),
    hashNir: () => Buffer.alloc(32),
  });
});
afterAll(async () => {
  await connection?.close();
  await orm?.close();
});

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
