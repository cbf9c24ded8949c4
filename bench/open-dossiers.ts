import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { createApp } from '../api/app';
import { openOrm } from '../db/orm';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { dataConverter } from '../infra/temporal';
import { dossierWorkflowId, dsnMonthWorkflowId } from '../workflows/dossier-messages';
import { DATA_DIR } from '../infra/paths';
import { Supervised } from '../scripts/supervisor';
import { stopChild } from '../scripts/temporal-server';
import { registerSearchAttributes } from '../services/namespace-setup';
import {
  BENCH_ENV,
  BENCH_KEY,
  BENCH_NIR,
  benchCreation,
  benchTemporal,
  ensureBenchFinanceur,
} from './bench-server';
import { processCpuMs } from './cpu';

const rssMb = (pid: number | undefined) => {
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};
const fileMb = (f: string) => {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(f + suffix).size;
    } catch {
      // not there
    }
  }
  return total / 1024 / 1024;
};

/**
 * Open dossiers and their wake-up: `count` dossiers created and validated (so each sleeps, waiting
 * on its validation month, with a weekly re-check timer), the worker (its own process) measured
 * as they accumulate, the server's database size per dossier; then that month is loaded and the
 * time until every dossier has recorded its situation is measured.
 */
export async function benchOpenDossiers(databaseUrl: string, count: number): Promise<Record<string, number>> {
  const dbFile = join(DATA_DIR, 'bench', 'open-dossiers.db');
  for (const s of ['', '-wal', '-shm']) rmSync(dbFile + s, { force: true });
  const { server, address } = await benchTemporal({ basePort: 19000, logName: 'temporal-open.log', dbFile });
  const env = BENCH_ENV;
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const orm = await openOrm(databaseUrl, { poolMax: 10 });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const taskQueue = 'bench-open';
  const worker = new Supervised(
    'worker',
    'worker/main.ts',
    [],
    {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: databaseUrl,
      AGORA_DATA_KEY: BENCH_KEY,
      AGORA_EXPORT_DIR: join(DATA_DIR, 'bench', 'exports'),
      LOG_LEVEL: 'error',
      // The production default (400) unless the run is smaller: flat memory means the same cache
      // holding a shrinking share of the open dossiers as they grow.
      // BENCH_WORKER_CACHE: another cache size, to measure what it costs.
      AGORA_WORKER_CACHE:
        process.env.BENCH_WORKER_CACHE ?? String(Math.min(400, Math.max(50, Math.floor(count / 4)))),
    },
    () => undefined,
    () => undefined,
  );
  worker.start();
  const adminToken = 'bench-admin';
  const app = createApp({
    client,
    orm,
    logger: createLogger('silent', 'bench'),
    taskQueue,
    adminToken,
    databaseUrl,
    hashNir: nirHasher(env),
    seal: sealer(env).seal,
    unseal: sealer(env).open,
    vouchKey: vouchKey(env),
    pseudonymise: exportPseudonymizer(env),
    rateLimit: { perSecond: 0, burst: 1 },
  });
  const post = async (path: string, body: unknown, type = 'application/json') => {
    for (let attempt = 0; ; attempt++) {
      const r = await app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': type },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      if (r.status < 300) return r.json();
      if (r.status !== 503 || attempt > 5) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    }
  };
  const out: Record<string, number> = {};
  try {
    await ensureBenchFinanceur(orm);
    // A month no dossier has used yet, so that every dossier waits on it.
    const loaded = new Set((await db.query('select mois from dsn_months')).rows.map((r) => r.mois as string));
    let mois = '';
    for (let y = 2019; y >= 2000 && !mois; y--) {
      for (let m = 1; m <= 12 && !mois; m++) {
        const candidate = `${y}-${String(m).padStart(2, '0')}`;
        if (!loaded.has(candidate)) mois = candidate;
      }
    }
    const nir = BENCH_NIR;
    const run = Math.random().toString(36).slice(2, 8);
    const ids = Array.from({ length: count }, (_, i) => `O-${run}-${i}`);
    let next = 0;
    // The point (10,000 open dossiers) in any run that passes it.
    const checkpoints = [
      ...new Set([Math.floor(count / 4), Math.floor(count / 2), ...(count > 10_000 ? [10_000] : []), count]),
    ].sort((a, b) => a - b);
    const started = performance.now();
    for (const upTo of checkpoints) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < upTo) {
            const id = ids[next++]!;
            await post(
              '/v1/dossiers',
              benchCreation(id, `${id}-c`, {
                date: `${mois}-01`,
                debut: `${mois}-20`,
                fin: `${mois}-28`,
                dispositif: 'OPEN',
              }),
            );
            await post(`/v1/dossiers/${id}/events`, {
              eventId: `${id}-v`,
              type: 'VALIDATION',
              date: `${mois}-10`,
            });
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 3000));
      out[`open_worker_rss_at_${upTo}_mb`] = rssMb(worker.pid);
    }
    out.open_dossiers = count;
    out.open_create_validate_s = (performance.now() - started) / 1000;
    out.open_server_db_kb_per_dossier = (fileMb(dbFile) * 1024) / count;

    // Every dossier waits on `mois`; load it (one line: the trainee has a CDI) and time the wake-up.
    const waiting = async () =>
      Number(
        (
          await db.query(
            `select count(*) as n from dossier_facts where dossier_id like $1 and sit_validation = 'CDI'`,
            [`O-${run}-%`],
          )
        ).rows[0].n,
      );
    const cpuBefore = { worker: processCpuMs(worker.pid), temporal: processCpuMs(server.pid) };
    const t = performance.now();
    await post(
      `/v1/dsn/imports?mois=${mois}`,
      `nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n${nir},73282932000074,6201Z,01,2010-01-01,,151.67\n`,
      'text/csv',
    );
    const imported = performance.now();
    let done = 0;
    while (done < count && performance.now() - imported < 600_000) {
      await new Promise((r) => setTimeout(r, 250));
      done = await waiting();
    }
    out.wakeup_import_s = (imported - t) / 1000;
    out.wakeup_all_recorded_s = (performance.now() - imported) / 1000;
    out.wakeup_recorded = done;
    out.wakeup_per_s = done / out.wakeup_all_recorded_s;
    // The records have their situations (written ahead: activities/month-wake.ts); the workflows
    // take the load from their signals after: until the wake-up's run has signalled them all and
    // no dossier has a workflow task left.
    const load = await db.query(`select version::int as v from dsn_months where mois = $1`, [mois]);
    await client.workflow.getHandle(dsnMonthWorkflowId(mois, Number(load.rows[0].v))).result();
    // Twenty minutes, or 25 ms a dossier for the largest runs (100,000 took 31 minutes, session 19).
    const tookCap = Math.max(1_200_000, count * 25);
    for (let busy = true; busy && performance.now() - imported < tookCap;) {
      const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(count / 20)) === 0 || i === count - 1);
      const described = await Promise.all(
        sample.map((id) => client.workflow.getHandle(dossierWorkflowId(id)).describe()),
      );
      busy = described.some((d) => d.raw.pendingWorkflowTask != null);
      if (busy) await new Promise((r) => setTimeout(r, 250));
    }
    out.wakeup_workflows_took_s = (performance.now() - imported) / 1000;
    // CPU per woken dossier: the worker (signals, workflow tasks, look-up and projection) and the server.
    out.wakeup_cpu_worker_ms = (processCpuMs(worker.pid) - cpuBefore.worker) / Math.max(1, done);
    out.wakeup_cpu_temporal_ms = (processCpuMs(server.pid) - cpuBefore.temporal) / Math.max(1, done);
    // The worker once it woke them all: its busiest moment.
    out.wakeup_worker_rss_mb = rssMb(worker.pid);
  } finally {
    await worker.stop();
    await db.end();
    await orm.close();
    await connection.close();
    await stopChild(server);
  }
  return out;
}
