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
  const env = loadEnv({ TEMPORAL_ADDRESS: inject('temporalAddress'), AGORA_DATA_KEY: TEST_DATA_KEY });
  connection = Connection.lazy(apiConnectionOptions(env));
  app = createApp({
    client: new Client({ connection, dataConverter: dataConverter(env) }),
    orm,
    logger: createLogger('silent', 'test'),
    taskQueue: 'none',
    adminToken: ADMIN_TOKEN,
    databaseUrl: inject('databaseUrl'),
    hashNir: () => Buffer.alloc(32),
    rateLimit: { perSecond: 1, burst: 2 },
  });
});
afterAll(async () => {
  await connection?.close();
  await orm?.close();
});

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
