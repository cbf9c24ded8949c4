import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import { createApp } from '../api/app';
import { openOrm } from '../db/orm';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { dataConverter, payloadCodec } from '../infra/temporal';
import { nirKey } from '../domain/nir';
import { DATA_DIR } from '../scripts/paths';
import { startDevServer, stopChild } from '../scripts/temporal-server';
import { ensureTools } from '../scripts/tools';
import { rawUpdate } from './raw-workflow';
import { Supervised } from '../scripts/supervisor';

const require = createRequire(import.meta.url);

/** The p-th percentile of values sorted in ascending order. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function stats(name: string, latencies: number[], seconds: number): Record<string, number> {
  const s = [...latencies].sort((a, b) => a - b);
  return {
    [`${name}_per_s`]: latencies.length / seconds,
    [`${name}_p50_ms`]: percentile(s, 50),
    [`${name}_p95_ms`]: percentile(s, 95),
    [`${name}_p99_ms`]: percentile(s, 99),
  };
}

/**
 * Partner events over HTTP through the whole stack (API, Update, workflow, projection) against
 * raw client Updates on a trivial workflow of the same server, at the same concurrency.
 */
export async function benchPartnerEvents(
  databaseUrl: string,
  dossiers: number,
  concurrency: number,
  opts: { processes?: boolean } = {},
) {
  const tools = ensureTools();
  const port = 17000 + Math.floor(Math.random() * 1000);
  const server = await startDevServer({
    temporalCli: tools.temporal,
    port,
    headless: true,
    logFile: join(DATA_DIR, 'bench', 'temporal.log'),
  });
  const address = `127.0.0.1:${port}`;
  const key = Buffer.alloc(32, 3).toString('base64');
  const env = { AGORA_DATA_KEY: key, AGORA_DATA_KEYS_OLD: undefined };
  const orm = await openOrm(databaseUrl, { poolMax: 10 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const rawClient = new Client({ connection });
  const native = await NativeConnection.connect({ address });
  const [bundle, rawBundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: require.resolve('../workflows/index.ts'), logger: quietLogger }),
    bundleWorkflowCode({ workflowsPath: require.resolve('./raw-workflow.ts'), logger: quietLogger }),
  ]);
  // In process (one Node.js thread for the API, the worker and the load), or as the production
  // processes (worker/main.ts, api/server.ts) beside the load generator.
  const worker = opts.processes
    ? null
    : await Worker.create({
        connection: native,
        taskQueue: 'bench',
        workflowBundle: bundle,
        activities: createActivities({ orm, hashNir: nirHasher(env), seal: sealer(env).seal, client }),
        dataConverter: dataConverter(env),
      });
  const rawWorker = await Worker.create({
    connection: native,
    taskQueue: 'bench-raw',
    workflowBundle: rawBundle,
  });
  const running = Promise.all([worker?.run(), rawWorker.run()]);
  const adminToken = 'bench-admin';
  const apiPort = port + 1000;
  let http: { close: () => void };
  let processes: Supervised[] = [];
  if (opts.processes) {
    const childEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: 'bench',
      DATABASE_URL: databaseUrl,
      AGORA_DATA_KEY: key,
      AGORA_ADMIN_TOKEN: adminToken,
      PORT: String(apiPort),
      AGORA_RATE_LIMIT: '0',
      AGORA_EXPORT_DIR: join(DATA_DIR, 'bench', 'exports'),
      LOG_LEVEL: 'error',
    };
    processes = [
      new Supervised('worker', 'worker/main.ts', [], childEnv, noop, noop),
      new Supervised('api', 'api/server.ts', [], childEnv, noop, noop),
    ];
    for (const p of processes) p.start();
    for (let i = 0; i < 240; i++) {
      const ok = await fetch(`http://127.0.0.1:${apiPort}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // The worker bundles its workflows at start: wait until it has picked up a first dossier.
    await new Promise((r) => setTimeout(r, 8000));
    http = { close: () => undefined };
  } else {
    const app = createApp({
      client,
      orm,
      logger: createLogger('silent', 'bench'),
      taskQueue: 'bench',
      adminToken,
      databaseUrl,
      hashNir: nirHasher(env),
      seal: sealer(env).seal,
      pseudonymise: exportPseudonymizer(env),
      codec: { codec: payloadCodec(env), uiOrigins: [] },
    });
    http = serve({ fetch: app.fetch, port: apiPort, hostname: '127.0.0.1' });
  }
  const api = `http://127.0.0.1:${apiPort}`;
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  };

  try {
    const ids = Array.from({ length: dossiers }, (_, i) => `B-${randomUUID().slice(0, 8)}-${i}`);
    const n13 = '1800575123456';
    const nir = `${n13}${String(nirKey(n13)).padStart(2, '0')}`;
    const createLat: number[] = [];
    let t = performance.now();
    await pool(ids, concurrency, async (id) => {
      const s = performance.now();
      await post('/v1/dossiers', {
        eventId: randomUUID(),
        dossierId: id,
        date: '2026-01-15',
        stagiaire: { nir, nom: 'Bench', prenom: 'Mark', dateNaissance: '1980-05-02' },
        organisme: { siret: '12345678200010', raisonSociale: 'OF' },
        action: {
          intitule: 'T',
          dispositif: 'PRF',
          objectif: 'CERTIFIANTE',
          region: '84',
          dateDebutPrevue: '2026-02-01',
          dateFinPrevue: '2026-09-30',
        },
        financements: [{ financeurSiret: '23840001500018', montantEngage: 100 }],
      });
      createLat.push(performance.now() - s);
    });
    const createSeconds = (performance.now() - t) / 1000;

    const events = ['VALIDATION', 'ENTREE', 'INTERRUPTION', 'REPRISE'] as const;
    const eventLat: number[] = [];
    t = performance.now();
    for (const type of events) {
      await pool(ids, concurrency, async (id) => {
        const s = performance.now();
        await post(`/v1/dossiers/${id}/events`, { eventId: randomUUID(), type, date: '2026-03-01' });
        eventLat.push(performance.now() - s);
      });
    }
    const eventSeconds = (performance.now() - t) / 1000;

    const rawStartLat: number[] = [];
    t = performance.now();
    await pool(ids, concurrency, async (id) => {
      const s = performance.now();
      await rawClient.workflow.start('rawWorkflow', { taskQueue: 'bench-raw', workflowId: `raw-${id}` });
      rawStartLat.push(performance.now() - s);
    });
    const rawStartSeconds = (performance.now() - t) / 1000;
    const rawLat: number[] = [];
    t = performance.now();
    for (let k = 0; k < events.length; k++) {
      await pool(ids, concurrency, async (id) => {
        const s = performance.now();
        await rawClient.workflow
          .getHandle(`raw-${id}`)
          .executeUpdate(rawUpdate, { args: [{ n: 1 }], updateId: randomUUID() });
        rawLat.push(performance.now() - s);
      });
    }
    const rawSeconds = (performance.now() - t) / 1000;

    return {
      ...stats('creation', createLat, createSeconds),
      ...stats('raw_start', rawStartLat, rawStartSeconds),
      ...stats('event', eventLat, eventSeconds),
      ...stats('raw_update', rawLat, rawSeconds),
    };
  } finally {
    http.close();
    await Promise.all(processes.map((p) => p.stop()));
    worker?.shutdown();
    rawWorker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await orm.close();
    await stopChild(server);
  }
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
