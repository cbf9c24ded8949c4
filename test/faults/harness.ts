import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate, openOrm } from '../../db/orm';
import { ROOT } from '../../infra/paths';
import { LocalCluster, ensureDatabase } from '../../scripts/postgres';
import { Supervised } from '../../scripts/supervisor';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { createBody, siret } from '../helpers/fixtures';
import { freePort } from '../helpers/global-setup';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';

/**
 * The whole platform as separate processes, for fault tests: a Temporal dev server on a SQLite
 * file, a PostgreSQL cluster of its own (so it can be stopped), two workers and two API
 * instances, each supervised (restarted with back-off when killed).
 */
export class Platform {
  temporal: ChildProcess | null = null;
  readonly workers: Supervised[] = [];
  readonly apis: Supervised[] = [];
  readonly ports: { temporal: number; apis: number[]; workerMetrics: number[] } = {
    temporal: 0,
    apis: [],
    workerMetrics: [],
  };
  readonly log: string[] = [];
  pg!: LocalCluster;

  constructor(readonly dir: string) {}

  get apiUrls(): string[] {
    return this.ports.apis.map((p) => `http://127.0.0.1:${p}`);
  }

  async startTemporal(): Promise<void> {
    this.temporal = await startDevServer({
      temporalCli: inject('temporalCli'),
      dbFile: join(this.dir, 'temporal.db'),
      port: this.ports.temporal,
      headless: true,
      logFile: join(this.dir, 'temporal.log'),
    });
  }

  async stopTemporal(): Promise<void> {
    if (this.temporal) await stopChild(this.temporal, 10_000);
    this.temporal = null;
  }

  async start(): Promise<void> {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    this.ports.temporal = await freePort();
    this.ports.apis = [await freePort(), await freePort()];
    this.ports.workerMetrics = [await freePort(), await freePort()];
    this.pg = new LocalCluster(join(this.dir, 'pg'), await freePort());
    await this.pg.start();
    await ensureDatabase(this.pg.url);
    const orm = await openOrm(this.pg.url, { poolMax: 1 });
    await migrate(orm);
    await orm.close();
    await this.startTemporal();
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: `127.0.0.1:${this.ports.temporal}`,
      DATABASE_URL: this.pg.url,
      AGORA_ADMIN_TOKEN: ADMIN_TOKEN,
      AGORA_DATA_KEY: TEST_DATA_KEY,
      AGORA_RATE_LIMIT: '0',
      AGORA_EXPORT_DIR: join(this.dir, 'exports'),
      // The tests' webhook receivers listen on 127.0.0.1.
      AGORA_WEBHOOK_ALLOW_PRIVATE: '1',
      LOG_LEVEL: 'warn',
    };
    const keep = (name: string) => (line: string) => void this.log.push(`[${name}] ${line}`);
    const note = (msg: string) => void this.log.push(`[supervisor] ${msg}`);
    for (const [i, port] of this.ports.workerMetrics.entries()) {
      this.workers.push(
        new Supervised(
          `worker${i + 1}`,
          'worker/main.ts',
          ['--bundle', inject('workflowBundlePath')],
          { ...env, AGORA_WORKER_METRICS: `127.0.0.1:${port}` },
          note,
          keep(`worker${i + 1}`),
        ),
      );
    }
    for (const [i, port] of this.ports.apis.entries()) {
      this.apis.push(
        new Supervised(
          `api${i + 1}`,
          'api/server.ts',
          [],
          { ...env, PORT: String(port) },
          note,
          keep(`api${i + 1}`),
        ),
      );
    }
    for (const c of [...this.workers, ...this.apis]) c.start();
    for (const url of this.apiUrls) await waitReady(url);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers, ...this.apis].map((c) => c.stop()));
    await this.stopTemporal();
    this.pg?.stop();
  }

  /** Write what happened where the next run (and the reader of RELIABILITY.md) can find it. */
  report(name: string, figures: Record<string, unknown>): void {
    const dir = join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `fault-${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`fault ${name}: ${JSON.stringify(figures)}`);
  }
}

export async function waitReady(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready`);
}

interface Step {
  token: 'financeur' | 'of';
  body: Record<string, unknown>;
}

/** What a load run sent and what the platform answered. */
export interface LoadResult {
  prefix: string;
  dossiers: string[];
  sent: number;
  accepted: number;
  attempts: number;
  retried: number;
  expected: Map<string, string[]>;
  /** When each accepted request was answered (ms since the epoch). */
  acceptedAt: number[];
  /** How many answers of each status other than 2xx, and requests that got no answer ('network'). */
  failures: Record<string, number>;
}

/**
 * Partners' traffic: `count` dossiers, each taken through its lifecycle (7 events), `concurrency`
 * at a time, spread over the API instances. A request that fails (network, 5xx) is retried with
 * the same event id on the next instance, as partner systems do, for up to 3 minutes.
 */
export async function partnerLoad(
  urls: string[],
  tokens: { financeur: string; of: string },
  parties: { financeur: string; of: string },
  count: number,
  opts: { concurrency?: number; prefix: string; onProgress?: (done: number, total: number) => void },
): Promise<LoadResult> {
  const result: LoadResult = {
    prefix: opts.prefix,
    dossiers: [],
    sent: 0,
    accepted: 0,
    attempts: 0,
    retried: 0,
    expected: new Map(),
    acceptedAt: [],
    failures: {},
  };
  const failed = (what: string) => (result.failures[what] = (result.failures[what] ?? 0) + 1);
  let rr = 0;
  const post = async (path: string, token: string, body: unknown) => {
    result.sent++;
    const deadline = Date.now() + 180_000;
    for (let attempt = 0; ; attempt++) {
      const url = urls[rr++ % urls.length]!;
      result.attempts++;
      if (attempt > 0) result.retried++;
      try {
        const res = await fetch(`${url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(20_000),
        });
        if (res.status < 300) {
          result.accepted++;
          result.acceptedAt.push(Date.now());
          return;
        }
        const text = await res.text();
        failed(String(res.status));
        if (res.status < 500 && res.status !== 429) throw new Error(`refused ${res.status} ${path}: ${text}`);
      } catch (e) {
        if ((e as Error).message.startsWith('refused')) throw e;
        failed('network');
      }
      if (Date.now() > deadline) throw new Error(`gave up on ${path} after ${attempt + 1} attempts`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  };
  const plans = Array.from({ length: count }, (_, i) => {
    const b = createBody({
      dossierId: `${opts.prefix}-${String(i).padStart(4, '0')}`,
      organisme: { siret: parties.of, raisonSociale: 'OF' },
      action: { ...createBody().action, dispositif: opts.prefix },
      financements: [{ financeurSiret: parties.financeur, montantEngage: 1000 }],
    });
    const id = b.dossierId;
    const steps: Step[] = [
      { token: 'financeur', body: { type: 'VALIDATION', date: '2026-01-20' } },
      { token: 'of', body: { type: 'ENTREE', date: '2026-02-02' } },
      { token: 'of', body: { type: 'INTERRUPTION', date: '2026-03-02', motif: 'maladie' } },
      { token: 'of', body: { type: 'REPRISE', date: '2026-03-16' } },
      { token: 'of', body: { type: 'SORTIE', date: '2026-06-30', motif: 'FIN_FORMATION' } },
      { token: 'financeur', body: { type: 'CLOTURE', date: '2026-07-10' } },
    ].map((s) => ({ ...s, body: { ...s.body, eventId: `${id}-${String(s.body.type)}` } })) as Step[];
    result.expected.set(id, [b.eventId, ...steps.map((s) => String(s.body.eventId))]);
    result.dossiers.push(id);
    return { b, steps };
  });
  let done = 0;
  const queue = [...plans];
  await Promise.all(
    Array.from({ length: opts.concurrency ?? 8 }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        await post('/v1/dossiers', tokens.financeur, p.b);
        for (const s of p.steps) await post(`/v1/dossiers/${p.b.dossierId}/events`, tokens[s.token], s.body);
        opts.onProgress?.(++done, count);
      }
    }),
  );
  return result;
}

/**
 * Every accepted event took effect exactly once (each dossier's history holds exactly the event
 * ids sent, each once, in order), the read model caught up with every workflow's version, and
 * the ledger in PostgreSQL holds every accepted event on its own.
 */
export async function verify(url: string, databaseUrl: string, load: LoadResult, seconds = 90) {
  let lost = 0;
  let duplicated = 0;
  let unexpected = 0;
  const versions = new Map<string, number>();
  for (const id of load.dossiers) {
    const h = await fetch(`${url}/v1/dossiers/${id}/history`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const events = ((await h.json()) as { events: { eventId: string }[] }).events.map((e) => e.eventId);
    const want = load.expected.get(id)!;
    for (const e of want) {
      const n = events.filter((x) => x === e).length;
      if (n === 0) lost++;
      if (n > 1) duplicated += n - 1;
    }
    unexpected += events.filter((e) => !want.includes(e)).length;
    const d = await fetch(`${url}/v1/dossiers/${id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    versions.set(id, ((await d.json()) as { version: number }).version);
  }
  // The read model equals the workflows' state (same version) once the projection caught up.
  let behind = load.dossiers.length;
  const deadline = Date.now() + seconds * 1000;
  while (behind > 0 && Date.now() < deadline) {
    behind = 0;
    const res = await fetch(`${url}/v1/dossiers?limit=500&dispositif=${encodeURIComponent(load.prefix)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const items = ((await res.json()) as { items: { dossierId: string; version: number }[] }).items;
    for (const id of load.dossiers)
      if (items.find((x) => x.dossierId === id)?.version !== versions.get(id)) behind++;
    if (behind > 0) await new Promise((r) => setTimeout(r, 500));
  }
  // The ledger alone (what answers once the workflows are gone): every expected event, in order.
  let ledgerBehind = load.dossiers.length;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    while (ledgerBehind > 0 && Date.now() < deadline) {
      const { rows } = await db.query<{ dossier_id: string; ids: string[] }>(
        `select dossier_id, array_agg(event_id order by seq) as ids from dossier_events
          where dossier_id = any($1::varchar[]) group by dossier_id`,
        [load.dossiers],
      );
      const ledger = new Map(rows.map((r) => [r.dossier_id, r.ids.join(',')]));
      ledgerBehind = load.dossiers.filter((id) => ledger.get(id) !== load.expected.get(id)!.join(',')).length;
      if (ledgerBehind > 0) await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await db.end();
  }
  return { lost, duplicated, unexpected, readModelBehind: behind, ledgerBehind };
}

export async function partners(url: string) {
  const make = async (kind: string, s: string, region?: string) => {
    const res = await fetch(`${url}/v1/admin/partners`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ siret: s, name: kind, kind, ...(region ? { region } : {}) }),
    });
    const body = (await res.json()) as { token: string };
    return { siret: s, token: body.token };
  };
  const f = await make('REGION', siret('2384000150001'), '84');
  const of = await make('ORGANISME_FORMATION', siret('4384000150001'));
  return { tokens: { financeur: f.token, of: of.token }, parties: { financeur: f.siret, of: of.siret } };
}
