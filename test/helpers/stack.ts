import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { serveApp } from '../../api/serve';
import { createDataSession } from '../../db/sessions';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index';
import { createApp } from '../../api/app';
import { type PartnerWriter, createPartnerWriter } from '../../api/partner-writes';
import { openOrm } from '../../db/orm';
import { createLogger } from '../../infra/logger';
import { apiConnectionOptions, dataConverter, payloadCodec } from '../../infra/temporal';
import { loadEnv } from '../../infra/env';
import { exportPseudonymizer, nirHasher, vouchKey } from '../../infra/pseudonym';
import { sealer } from '../../infra/sealing';
import { TEST_DATA_KEY, siret, uid } from './fixtures';

/** Long enough for the processes' own check (32 characters at least). */
type App = ReturnType<typeof createApp>;
export const ADMIN_TOKEN = 'admin-test-token-of-the-agora-test-suite';
export { TEST_DATA_KEY } from './fixtures';

export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * The API (in process, through app.request) and a worker on a task queue of its own, against the
 * shared Temporal dev server and the test database: real Temporal, real PostgreSQL.
 */
export async function startStack(
  opts: {
    temporalAddress?: string;
    uiOrigins?: string[];
    webhookTimeoutMs?: number;
    /** The console's outside OpenID provider (unset: the embedded one). */
    oidc?: { issuer: string; clientId: string; clientSecret: string };
    /** The worker's workflow cache (0: every workflow task replays its history first). */
    workerCache?: number;
  } = {},
) {
  const address = opts.temporalAddress ?? inject('temporalAddress');
  const taskQueue = `it-${uid()}`;
  const converter = dataConverter({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined });
  const orm = await openOrm(inject('databaseUrl'), { poolMax: 5 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: converter });
  const nativeConnection = await NativeConnection.connect({ address });
  const exportDir = mkdtempSync(join(tmpdir(), 'agora-exports-'));
  let writer: PartnerWriter | undefined;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: createActivities({
      orm,
      hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
      seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
      client,
      databaseUrl: inject('databaseUrl'),
      pseudonymise: exportPseudonymizer({ AGORA_DATA_KEY: TEST_DATA_KEY }),
      exportDir,
      unseal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open,
      // The tests' webhook receivers listen on 127.0.0.1 (AGORA_WEBHOOK_ALLOW_PRIVATE=1).
      webhooks: { allowPrivate: true, timeoutMs: opts.webhookTimeoutMs ?? 10_000 },
      writer: () =>
        (writer ??= createPartnerWriter({
          client,
          orm,
          logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test-worker'),
          taskQueue,
          hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
          seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
          unseal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open,
          vouchKey: vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY }),
        })),
    }),
    dataConverter: converter,
    ...(opts.workerCache !== undefined ? { maxCachedWorkflows: opts.workerCache } : {}),
  });
  const running = worker.run();
  const app = createApp({
    client,
    orm,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', 'test'),
    taskQueue,
    adminToken: ADMIN_TOKEN,
    databaseUrl: inject('databaseUrl'),
    hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
    seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
    unseal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open,
    vouchKey: vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY }),
    pseudonymise: exportPseudonymizer({ AGORA_DATA_KEY: TEST_DATA_KEY }),
    bodyLimit: 64 * 1024,
    webhookAllowPrivate: true,
    oidc: opts.oidc,
    webhookTiming: { retryBaseMs: 300, waitMs: 5000 },
    statsCacheMs: 0,
    authCacheMs: 0,
    // Tests send many unknown tokens from one address; test/api/tokens.test.ts tests the limit itself.
    authFailures: { perSecond: 1000, burst: 100_000 },
    codec: {
      codec: payloadCodec(
        { AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined },
        { forDisplay: true },
      ),
      uiOrigins: opts.uiOrigins ?? ['http://127.0.0.1:8233'],
    },
  });

  async function call(method: string, path: string, token: string | null, body?: unknown, raw?: string) {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || raw !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: any = null; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, body: json, headers: res.headers };
  }

  async function partner(kind: string, region?: string, fixedSiret?: string) {
    const s =
      fixedSiret ?? siret(`9${randomBytes(6).readUIntBE(0, 6).toString().padStart(12, '0').slice(0, 12)}`);
    const res = await call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: s,
      name: `${kind} ${s}`,
      kind,
      ...(region ? { region } : {}),
      ...(kind === 'CEP_OPERATEUR' ? { reseau: 'MISSION_LOCALE' } : {}),
    });
    if (res.status !== 201) throw new Error(`partner: ${res.status} ${JSON.stringify(res.body)}`);
    return { siret: s, token: res.body.token as string, id: res.body.id as string, name: `${kind} ${s}` };
  }

  /** A console agent of the partner with that SIRET, created by the admin: its login. */
  async function agent(partnerSiret: string, names: { nom?: string; prenom?: string } = {}) {
    const email = `agent-${uid()}@example.fr`;
    const res = await call('POST', '/v1/admin/agents', ADMIN_TOKEN, { email, siret: partnerSiret, ...names });
    if (res.status !== 201) throw new Error(`agent: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id as string, email, motDePasse: res.body.motDePasse as string };
  }

  /**
   * A console session of an agent of that partner, as the sign-in leaves it (test/e2e/
   * console-sign-in.test.ts signs in for real): the cookie to send, for pages read without a browser.
   */
  async function consoleCookie(p: { id: string }): Promise<string> {
    const data = {
      admin: false,
      partnerId: p.id,
      agentId: null,
      email: `agent-${uid()}@example.fr`,
      prenom: null,
      nom: null,
      idToken: '',
    };
    const id = await createDataSession(orm.em.fork(), 'console', 'agent', data, 30 * 60_000, 3600_000);
    return `agora_console=${id}`;
  }

  return {
    app,
    client,
    orm,
    taskQueue,
    exportDir,
    call,
    partner,
    agent,
    consoleCookie,
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await orm.close();
      rmSync(exportDir, { recursive: true, force: true });
    },
  };
}

/**
 * The API alone, with no worker, against a Temporal address of the test's choosing (port 1: down)
 * and the test database: for what the API does around Temporal.
 */
export async function apiOnly(opts: { temporalAddress: string } & Partial<Parameters<typeof createApp>[0]>) {
  const { temporalAddress, ...overrides } = opts;
  const orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
  const env = loadEnv({ TEMPORAL_ADDRESS: temporalAddress, AGORA_DATA_KEY: TEST_DATA_KEY });
  const connection = Connection.lazy(apiConnectionOptions(env));
  const app = createApp({
    client: new Client({ connection, dataConverter: dataConverter(env) }),
    orm,
    logger: createLogger('silent', 'test'),
    taskQueue: 'none',
    adminToken: ADMIN_TOKEN,
    databaseUrl: inject('databaseUrl'),
    hashNir: () => Buffer.alloc(32),
    seal: () => Buffer.alloc(1),
    unseal: () => '',
    vouchKey: vouchKey({ AGORA_DATA_KEY: TEST_DATA_KEY }),
    pseudonymise: () => '',
    ...overrides,
  });
  let ormOpen = true;
  return {
    app,
    /** The database goes away under the app (its pool closed): every query fails. */
    async closeDatabase() {
      ormOpen = false;
      await orm.close();
    },
    async stop() {
      await connection.close();
      if (ormOpen) await orm.close();
    },
  };
}

/** Serve an app over HTTP on 127.0.0.1 (port 0: any free one), for browsers and real clients. */
export async function listen(
  app: { fetch: (req: Request) => Response | Promise<Response> } & Partial<Pick<App, 'listening'>>,
  port = 0,
): Promise<{ url: string; close: () => Promise<void> }> {
  const { server, url } =
    'listening' in app && app.listening
      ? await serveApp(app as App, { port, hostname: '127.0.0.1' })
      : await new Promise<{ server: ServerType; url: string }>((resolve) => {
          const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
            resolve({ server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` }),
          );
        });
  return {
    url,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
