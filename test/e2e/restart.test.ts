import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { Supervised } from '../../scripts/supervisor';
import { ROOT } from '../../infra/paths';
import { dataConverter } from '../../infra/temporal';
import {
  ANOMALY_REPORT_SCHEDULE,
  DOSSIER_RETENTION_SCHEDULE,
  DSN_RECHECK_SCHEDULE,
  DSN_RETENTION_SCHEDULE,
  INSERTION_EXPORT_SCHEDULE,
} from '../../services/schedules';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { freePort } from '../helpers/global-setup';
import { createBody, siret, uid } from '../helpers/fixtures';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';

/**
 * The real processes: a Temporal dev server on a SQLite file, the worker and the API as child
 * processes over HTTP. Everything is stopped and started again; nothing may be lost.
 */
const dir = mkdtempSync(join(tmpdir(), 'agora-restart-'));
let temporal: ChildProcess | null = null;
let children: Supervised[] = [];
/** Every line the worker and the API print, scanned for personal data at the end. */
const logLines: string[] = [];

async function up(ports: { temporal: number; api: number; workerMetrics: number }, taskQueue: string) {
  temporal = await startDevServer({
    temporalCli: inject('temporalCli'),
    dbFile: join(dir, 'temporal.db'),
    port: ports.temporal,
    headless: true,
    logFile: join(dir, 'temporal.log'),
  });
  const env = {
    ...process.env,
    PORT: String(ports.api),
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: inject('databaseUrl'),
    AGORA_ADMIN_TOKEN: ADMIN_TOKEN,
    AGORA_DATA_KEY: TEST_DATA_KEY,
    LOG_LEVEL: 'debug',
    AGORA_EXPORT_DIR: join(dir, 'exports'),
    AGORA_WORKER_METRICS: `127.0.0.1:${ports.workerMetrics}`,
  };
  const quiet = () => undefined;
  const keep = (line: string) => void logLines.push(line);
  children = [
    new Supervised('worker', 'worker/main.ts', ['--bundle', inject('workflowBundlePath')], env, quiet, keep),
    new Supervised('api', 'api/server.ts', [], env, quiet, keep),
  ];
  for (const c of children) c.start();
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`http://127.0.0.1:${ports.api}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the API did not become ready');
}

async function down() {
  await Promise.all(children.map((c) => c.stop()));
  if (temporal) await stopChild(temporal);
  temporal = null;
}

afterAll(down);

describe('a restart of the whole stack', () => {
  it('loses no dossier, no history and no deduplication', async () => {
    const ports = { temporal: await freePort(), api: await freePort(), workerMetrics: await freePort() };
    const taskQueue = `restart-${uid()}`;
    const startedAt = Date.now();
    await up(ports, taskQueue);
    const api = `http://127.0.0.1:${ports.api}`;
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const s = siret(`7${Date.now().toString().slice(-12)}`);
    const partner = await call('POST', '/v1/admin/partners', ADMIN_TOKEN, {
      siret: s,
      name: 'R',
      kind: 'REGION',
      region: '84',
    });
    expect(partner.status).toBe(201);
    const token = partner.body.token as string;
    const b = createBody({
      // Distinctive values, so that the scan of the logs below cannot match by chance.
      stagiaire: {
        nir: '279072B00123447',
        nom: `Quenotte${uid()}`,
        prenom: 'Ysoldine',
        dateNaissance: '1966-06-16',
      },
      financements: [{ financeurSiret: s, montantEngage: 100 }],
    });
    expect((await call('POST', '/v1/dossiers', token, b)).status).toBe(201);
    // The services run as operators run them (docs/OPERATIONS.md): compiled ahead of time, the
    // worker with its memory settings (scripts/supervisor.ts).
    const [workerPid, apiPid] = children.map((c) => c.pid!);
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(cmdline(workerPid!)).toContain('--max-semi-space-size=2');
    expect(readFileSync(`/proc/${workerPid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
    expect(cmdline(apiPid!)).not.toContain('--max-semi-space-size=2');
    for (const entry of ['worker-main.mjs', 'api-server.mjs']) {
      expect(statSync(join(ROOT, '.build', entry)).mtimeMs).toBeGreaterThan(startedAt - 1000);
    }
    const validation = { eventId: randomUUID(), type: 'VALIDATION', date: '2026-01-20' };
    expect((await call('POST', `/v1/dossiers/${b.dossierId}/events`, token, validation)).status).toBe(200);

    await down();
    await up(ports, taskQueue);

    // As partners do, a 503 right after the restart (the worker still starting) is retried.
    const retrying = async (method: string, path: string, body?: unknown) => {
      for (let i = 0; ; i++) {
        const res = await call(method, path, token, body);
        if (res.status !== 503 || i === 30) return res;
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    const read = await retrying('GET', `/v1/dossiers/${b.dossierId}`);
    expect(read.status, logLines.filter((l) => l.includes('"level":50')).join('\n')).toBe(200);
    expect(read.body).toMatchObject({ status: 'VALIDE', version: 2 });
    const again = await retrying('POST', `/v1/dossiers/${b.dossierId}/events`, validation);
    expect(again.body.version).toBe(2);
    const entree = await retrying('POST', `/v1/dossiers/${b.dossierId}/events`, {
      eventId: randomUUID(),
      type: 'ENTREE',
      date: '2026-02-01',
    });
    expect(entree.body).toMatchObject({ status: 'ENTRE', version: 3 });
    const history = await call('GET', `/v1/dossiers/${b.dossierId}/history`, token);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'CREATION',
      'VALIDATION',
      'ENTREE',
    ]);

    // The worker created the platform's Schedules.
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      const schedules = new Client({
        connection,
        dataConverter: dataConverter({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: undefined }),
      }).schedule;
      // The records of dossiers past their retention, purged daily.
      const purge = await schedules.getHandle(DOSSIER_RETENTION_SCHEDULE).describe();
      expect(purge.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dossierRetentionWorkflow' });
      expect(purge.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 3 }] });
      const anomalies = await schedules.getHandle(ANOMALY_REPORT_SCHEDULE).describe();
      expect(anomalies.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'anomalyReportWorkflow',
      });
      const schedule = await schedules.getHandle(DSN_RETENTION_SCHEDULE).describe();
      expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dsnRetentionWorkflow' });
      // The DSN follow-up's safety net, daily.
      const recheck = await schedules.getHandle(DSN_RECHECK_SCHEDULE).describe();
      expect(recheck.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dsnRecheckWorkflow' });
      expect(recheck.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 4 }] });
      // The weekly regional files: Monday 06:00 Paris time, and triggered by hand here.
      const exports = schedules.getHandle(INSERTION_EXPORT_SCHEDULE);
      const weekly = await exports.describe();
      expect(weekly.action).toMatchObject({ type: 'startWorkflow', workflowType: 'insertionExportWorkflow' });
      expect(weekly.spec.timezone).toBe('Europe/Paris');
      expect(weekly.spec.calendars?.[0]).toMatchObject({
        dayOfWeek: [{ start: 'MONDAY' }],
        hour: [{ start: 6 }],
      });
      await exports.trigger();
      const day = new Date().toISOString().slice(0, 10);
      const manifestPath = join(dir, 'exports', 'insertion', day, 'manifest.json');
      for (let i = 0; i < 120 && !existsSync(manifestPath); i++) await new Promise((r) => setTimeout(r, 250));
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      expect(manifest.files).toHaveLength(18);
      const r84 = manifest.files.find((f: { region: string }) => f.region === '84');
      expect(r84.rows).toBeGreaterThanOrEqual(1);
      const csv = readFileSync(join(dir, 'exports', 'insertion', day, r84.file), 'utf8');
      expect(csv).toContain(b.dossierId);
      expect(csv).not.toContain(b.stagiaire.nir);
    } finally {
      await connection.close();
    }

    // No personal datum in the logs of either process (at debug level), nor on the metrics page.
    const apiMetrics = await (
      await fetch(`${api}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    expect(apiMetrics).toMatch(/agora_dossiers\{status="[A-Z_]+"\} \d+/);
    // The worker's own Temporal metrics, on their own port.
    const workerMetrics = await (await fetch(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text();
    expect(workerMetrics).toMatch(/temporal_/);
    const metrics = apiMetrics + workerMetrics;
    expect(metrics).toContain('agora_http_requests_total');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [b.stagiaire.nir, b.stagiaire.nom, b.stagiaire.prenom, b.stagiaire.dateNaissance]) {
      expect(logLines.filter((l) => l.includes(secret))).toEqual([]);
      expect(metrics).not.toContain(secret);
    }
  }, 180_000);
});
