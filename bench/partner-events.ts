import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import { createApp } from '../api/app';
import { createDossierGateway } from '../api/dossier-gateway';
import { createProjector } from '../db/projection-intents';
import { ADMIN } from '../domain/authorization';
import type { DossierEvent } from '../domain/schemas';
import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../db/orm';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { createRecordStore } from '../db/dossier-records';
import { dataConverter, payloadCodec } from '../infra/temporal';
import { DATA_DIR } from '../infra/paths';
import { stopChild } from '../scripts/temporal-server';
import {
  BENCH_ENV,
  BENCH_KEY,
  benchBundles,
  benchTemporal,
  benchCreation,
  ensureBenchFinanceur,
} from './bench-server';
import { cpuMeter, processCpuMs } from './cpu';
import { percentile } from './figures';
import { rawUpdate } from './raw-workflow';
import { Supervised } from '../scripts/supervisor';

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * BENCH_PROFILE=1: a CPU profile of this process's main thread over a phase, written to
 * .data/bench/{phase}.cpuprofile (open it in Chrome DevTools or speedscope).
 */
async function startProfile(): Promise<{ stop: (phase: string) => Promise<void> }> {
  if (process.env.BENCH_PROFILE !== '1') return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))),
    );
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(phase) {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      const file = join(DATA_DIR, 'bench', `${phase}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      console.error(`profile: ${file}`);
    },
  };
}

/** How many of the dossiers are not at the version in the read model, after a few seconds' grace. */
async function readModelBehind(orm: MikroORM, ids: string[], version: number): Promise<number> {
  let behind = ids.length;
  for (let i = 0; i < 50 && behind > 0; i++) {
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute<{ n: number }[]>(
        `select count(*)::int as n from dossiers d join dossier_facts f using (dossier_id)
          where d.dossier_id = any(?::varchar[]) and d.version >= ? and f.version >= ?`,
        [`{${ids.join(',')}}`, version, version],
      );
    behind = ids.length - rows[0]!.n;
    if (behind > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return behind;
}

/**
 * How the events reach the workflows: over HTTP (the product), or for finding where the time
 * goes, through the API's gateway in process (no HTTP), or through a gateway whose read model
 * writes nothing (no PostgreSQL either: the Temporal path alone).
 */
export const EVENTS_VIA = ['http', 'gateway', 'workflow'] as const;
export type EventsVia = (typeof EVENTS_VIA)[number];

/** The events each dossier of the benchmark takes, in order, after its creation. */
export const EVENT_TYPES = ['VALIDATION', 'ENTREE', 'INTERRUPTION', 'REPRISE'] as const;
/** Those that change the dossier's status (and so its search attribute). */
export const STATUS_CHANGES: ReadonlySet<string> = new Set(['VALIDATION', 'ENTREE']);

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait at least `minMs`, then until a process uses under 5% of a core for a second (at most `maxMs`); the seconds waited. */
async function settleUntilQuiet(cpuMs: () => number, minMs: number, maxMs: number): Promise<number> {
  const t0 = performance.now();
  await settle(minMs);
  while (performance.now() - t0 < maxMs) {
    const before = cpuMs();
    await settle(1000);
    if (cpuMs() - before < 50) break;
  }
  return (performance.now() - t0) / 1000;
}

/** Latencies, time and CPU summed over several rounds of one kind of call. */
function rounds(cpu: ReturnType<typeof cpuMeter>, name: string) {
  const latencies: number[] = [];
  let seconds = 0;
  const cpuTotals: Record<string, number> = {};
  return {
    async round(fn: (latencies: number[]) => Promise<void>) {
      const before = latencies.length;
      const stop = cpu.start();
      const t = performance.now();
      await fn(latencies);
      seconds += (performance.now() - t) / 1000;
      for (const [k, v] of Object.entries(stop(name, 1))) cpuTotals[k] = (cpuTotals[k] ?? 0) + v;
      return latencies.length - before;
    },
    last: (n: number) => latencies.slice(-n).sort((x, y) => x - y),
    figures(): Record<string, number> {
      const perCall = Object.fromEntries(
        Object.entries(cpuTotals).map(([k, v]) => [k, v / latencies.length]),
      );
      return { ...stats(name, latencies, seconds), ...perCall };
    },
  };
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
  opts: { processes?: boolean; via?: EventsVia } = {},
) {
  const via = opts.via ?? 'http';
  if (via !== 'http' && opts.processes) throw new Error('BENCH_EVENTS_VIA needs the API in process');
  const { server, port, address } = await benchTemporal({ basePort: 17000, logName: 'temporal.log' });
  const env = BENCH_ENV;
  const orm = await openOrm(databaseUrl, { poolMax: 10 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const rawClient = new Client({ connection });
  const native = await NativeConnection.connect({ address });
  const [bundle, rawBundle] = await benchBundles();
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
  // 32 characters at least: the API's configuration refuses a shorter one (BENCH_PROCESSES=1).
  const adminToken = 'bench-admin-token-0123456789abcdef';
  const apiPort = port + 1000;
  let apiServer: { close: () => void };
  let processes: Supervised[] = [];
  if (opts.processes) {
    const childEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: 'bench',
      DATABASE_URL: databaseUrl,
      AGORA_DATA_KEY: BENCH_KEY,
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
    apiServer = { close: () => undefined };
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
      unseal: sealer(env).open,
      vouchKey: vouchKey(env),
      pseudonymise: exportPseudonymizer(env),
      codec: { codec: payloadCodec(env, { forDisplay: true }), uiOrigins: [] },
    });
    apiServer = serve({ fetch: app.fetch, port: apiPort, hostname: '127.0.0.1' });
  }
  const api = `http://127.0.0.1:${apiPort}`;
  // The partners' HTTP client: node:http over kept-alive sockets, one per request in flight. Its
  // CPU counts as ours (same process), so it is kept as light as the raw side's client: fetch
  // cost 0.3 ms more a request, measured.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (path: string, body: unknown) =>
    new Promise<void>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = http.request(
        `${api}${path}`,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${adminToken}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 300) reject(new Error(`${path}: ${status} ${Buffer.concat(chunks).toString()}`));
            else resolve();
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  // BENCH_EVENTS_VIA (bench/run.ts): the events without HTTP, or without PostgreSQL too.
  const gateway =
    via === 'http'
      ? null
      : createDossierGateway({
          client,
          taskQueue: 'bench',
          projector:
            via === 'gateway'
              ? createProjector({ orm, hashNir: nirHasher(env), seal: sealer(env).seal })
              : {
                  project: async () => undefined,
                  openIntent: async (_id: string, _event: unknown, months: string[] = []) => ({
                    id: randomUUID(),
                    notLoaded: months,
                    registered: months,
                    ledger: { eventHash: null, sameFact: false, seq: 0 },
                    pendingLoad: null,
                  }),
                  claim: async () => ({ intentId: randomUUID(), claimed: true, holder: null }),
                  dropIntent: async () => undefined,
                },
          records: createRecordStore(orm, sealer(env).open),
          vouchKey: vouchKey(env),
        });
  const sendEvent = async (id: string, event: Record<string, unknown>) => {
    if (!gateway) return post(`/v1/dossiers/${id}/events`, event);
    await gateway.send(id, event as unknown as DossierEvent, ADMIN, new Date().toISOString());
  };

  const cpu = cpuMeter(server.pid, () => processes.map((p) => p.pid));
  try {
    await ensureBenchFinanceur(orm);
    const ids = Array.from({ length: dossiers }, (_, i) => `B-${randomUUID().slice(0, 8)}-${i}`);
    const createLat: number[] = [];
    let t = performance.now();
    let phase = cpu.start();
    await pool(ids, concurrency, async (id) => {
      const s = performance.now();
      await post('/v1/dossiers', benchCreation(id, randomUUID()));
      createLat.push(performance.now() - s);
    });
    const createSeconds = (performance.now() - t) / 1000;
    const createCpu = phase('creation', dossiers);

    const rawStartLat: number[] = [];
    t = performance.now();
    phase = cpu.start();
    await pool(ids, concurrency, async (id) => {
      const s = performance.now();
      await rawClient.workflow.start('rawWorkflow', { taskQueue: 'bench-raw', workflowId: `raw-${id}` });
      rawStartLat.push(performance.now() - s);
    });
    const rawStartSeconds = (performance.now() - t) / 1000;
    const rawStartCpu = phase('raw_start', dossiers);

    // Rounds taken in turns, ours then raw for each event type, so both see the same server state.
    const events = EVENT_TYPES;
    const ours = rounds(cpu, 'event');
    const raw = rounds(cpu, 'raw_update');
    const rawSa = rounds(cpu, 'raw_update_sa');
    const rawUpdates = (status?: string) => (lat: number[]) =>
      pool(ids, concurrency, async (id) => {
        const s = performance.now();
        await rawClient.workflow.getHandle(`raw-${id}`).executeUpdate(rawUpdate, {
          args: [{ n: 1, ...(status ? { status } : {}) }],
          updateId: randomUUID(),
        });
        lat.push(performance.now() - s);
      });
    const perType: Record<string, number> = {};
    const profile = await startProfile();
    // Let the server work through the starts' own tasks (visibility, transfers) first: measured,
    // they slowed the first round by 40% whichever side ran it. Quiet: under 5% of a core for a second.
    const quietAfter = await settleUntilQuiet(() => processCpuMs(server.pid), 5000, 120_000);
    perType.events_settle_s = quietAfter;
    for (const type of events) {
      const t0 = performance.now();
      const typeCpu = cpu.start();
      await ours.round((lat) =>
        pool(ids, concurrency, async (id) => {
          const s = performance.now();
          await sendEvent(id, { eventId: randomUUID(), type, date: '2026-03-01' });
          lat.push(performance.now() - s);
        }),
      );
      // Each type on its own line too: where a slow round comes from.
      const l = ours.last(ids.length);
      const name = `event_${type.toLowerCase()}`;
      perType[`${name}_per_s`] = ids.length / ((performance.now() - t0) / 1000);
      perType[`${name}_p99_ms`] = percentile(l, 99);
      Object.assign(perType, typeCpu(name, ids.length));
      await settle(1000);
      await raw.round(rawUpdates());
      await settle(1000);
      // The events that change the dossier's status also set its search attribute: against raw
      // Updates that set one too.
      if (STATUS_CHANGES.has(type)) {
        await rawSa.round(rawUpdates(`${type}-${Date.now()}`));
        await settle(1000);
      }
    }
    await profile.stop('events');
    // The figures count only if every event reached the read model (a failing projection is fast).
    // (Through a gateway that writes nothing, only the creations are there.)
    const behind = await readModelBehind(orm, ids, via === 'workflow' ? 1 : 1 + events.length);
    if (behind > 0) throw new Error(`${behind} dossiers of the benchmark are behind in the read model`);

    return {
      ...stats('creation', createLat, createSeconds),
      ...createCpu,
      ...stats('raw_start', rawStartLat, rawStartSeconds),
      ...rawStartCpu,
      ...ours.figures(),
      ...perType,
      ...raw.figures(),
      ...rawSa.figures(),
    };
  } finally {
    agent.destroy();
    apiServer.close();
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
