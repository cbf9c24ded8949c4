import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from '../activities/index';
import { createApp } from '../api/app';
import { migrate, openOrm } from '../db/orm';
import { completeSiret } from '../domain/siret';
import { nirKey } from '../domain/nir';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { dataConverter } from '../infra/temporal';
import { signatureHeader } from '../infra/webhook-signature';
import { postBatch } from '../services/webhook-delivery';
import { registerSearchAttributes } from '../services/namespace-setup';
import { ensureDatabase } from '../scripts/postgres';
import { stopChild } from '../scripts/temporal-server';
import { BENCH_ENV, benchBundles, benchTemporal } from './bench-server';
import { percentile, timed } from './figures';

const ADMIN = 'bench-admin-token-bench-admin-token';

/**
 * The change feed and the webhooks (issue 21). The feed read at `total` changes written straight
 * into the table (one financeur among 200 sees 1 in 200), a page of 1,000 through the API against
 * the raw SQL of the same rows; then a webhook to a local receiver: its delivery rate against a
 * raw loop POSTing the same signed batches, and the lag from an accepted creation to its delivery.
 */
export async function benchChanges(
  baseUrl: string,
  sizes: { total: number; delivered: number; lagEvents: number },
): Promise<Record<string, number>> {
  const u = new URL(baseUrl);
  u.pathname = '/agora_bench_feed';
  const databaseUrl = u.toString();
  await ensureDatabase(databaseUrl);
  const orm = await openOrm(databaseUrl, { poolMax: 8 });
  await migrate(orm);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const env = BENCH_ENV;
  const { server, address } = await benchTemporal({ basePort: 23000, logName: 'temporal-feed.log' });
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const native = await NativeConnection.connect({ address });
  const [bundle] = await benchBundles();
  const { seal, open } = sealer(env);
  const worker = await Worker.create({
    connection: native,
    taskQueue: 'bench-feed',
    workflowBundle: bundle,
    activities: createActivities({
      orm,
      hashNir: nirHasher(env),
      seal,
      client,
      unseal: open,
      webhooks: { allowPrivate: true },
    }),
    dataConverter: dataConverter(env),
  });
  const running = worker.run();
  const app = createApp({
    client,
    orm,
    logger: createLogger('silent', 'bench'),
    taskQueue: 'bench-feed',
    adminToken: ADMIN,
    databaseUrl,
    hashNir: nirHasher(env),
    seal,
    unseal: open,
    vouchKey: vouchKey(env),
    pseudonymise: exportPseudonymizer(env),
    rateLimit: { perSecond: 0, burst: 1 },
    webhookAllowPrivate: true,
  });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };
  const partner = async (kind: string, siret: string) => {
    await db.query('delete from partners where siret = $1', [siret]);
    const res = await call('POST', '/v1/admin/partners', ADMIN, { siret, name: `${kind} bench`, kind });
    return { siret, token: String(res.token) };
  };
  const sirets = Array.from({ length: 200 }, (_, i) =>
    completeSiret(`8${String(10_000_000 + i).padStart(12, '0')}`),
  );
  const out: Record<string, number> = {};
  try {
    // ---- The feed at `total` changes ----------------------------------------------------------
    const { rows } = await db.query<{ n: string }>('select count(*) as n from changes');
    if (Number(rows[0]!.n) < sizes.total) {
      const t = performance.now();
      await db.query('truncate changes');
      await db.query(
        `insert into changes (kind, entity_id, version, type, date, received_at, source, organisme_siret, financeur_sirets, region)
         select 'DOSSIER', 'B-' || (i / 6), (i % 6) + 1, (array['CREATION','VALIDATION','ENTREE','SITUATION','SORTIE','CLOTURE'])[(i % 6) + 1],
                date '2026-01-01' + (i % 300), now(), '13002526500013', '13002526500013',
                array[($1::text[])[((i / 6) % 200) + 1]]::varchar(14)[], '84'
           from generate_series(0, $2 - 1) i`,
        [sirets, sizes.total],
      );
      await db.query('analyze changes');
      out.feed_seed_s = (performance.now() - t) / 1000;
    }
    out.feed_changes = sizes.total;
    const fin = await partner('OPCO', sirets[7]!);
    const quiet = await partner('OPCO', completeSiret('8999999999999'));
    const raw = (after: { tx: string; id: string }) =>
      db.query(
        `select kind, entity_id, version, type, date, received_at, source from changes
          where (tx, id) > ($2::text::xid8, $3::bigint) and financeur_sirets @> array[$1]::varchar(14)[] order by tx, id limit 1000`,
        [fin.siret, after.tx, after.id],
      );
    const first = await timed(20, () => call('GET', '/v1/changes?limit=1000', fin.token));
    const firstRaw = await timed(20, () => raw({ tx: '0', id: '0' }));
    out.feed_first_page_p50_ms = first.p50;
    out.feed_first_page_p95_ms = first.p95;
    out.feed_first_page_raw_p95_ms = firstRaw.p95;
    // Resuming in the middle: the cursor after the first page.
    const cursor = String((await call('GET', '/v1/changes?limit=1000', fin.token)).nextCursor);
    const [tx, id] = Buffer.from(cursor, 'base64url').toString().split(':') as [string, string];
    const next = await timed(20, () => call('GET', `/v1/changes?limit=1000&cursor=${cursor}`, fin.token));
    const nextRaw = await timed(20, () => raw({ tx, id }));
    out.feed_next_page_p95_ms = next.p95;
    out.feed_next_page_raw_p95_ms = nextRaw.p95;
    // A partner that sees none of them: its empty page keeps the cursor, so it scans them all.
    const empty = await timed(5, () => call('GET', '/v1/changes?limit=1000', quiet.token));
    out.feed_empty_page_p95_ms = empty.p95;

    // ---- A webhook to a local receiver ----------------------------------------------------------
    const received = new Map<string, number>();
    let batches = 0;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        batches++;
        for (const c of (
          JSON.parse(Buffer.concat(chunks).toString()) as { items: { id: string; version: number }[] }
        ).items)
          if (!received.has(`${c.id}@${c.version}`)) received.set(`${c.id}@${c.version}`, at);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hooked = await partner('AGEFIPH', completeSiret('8888888888881'));
    const made = await call('POST', '/v1/webhooks', hooked.token, { url });
    // Throughput: `delivered` changes for it written at once.
    const run = randomUUID().slice(0, 6);
    const t0 = performance.now();
    await db.query(
      `insert into changes (kind, entity_id, version, type, date, received_at, source, financeur_sirets)
       select 'DOSSIER', $1 || '-' || (i / 4), (i % 4) + 1, 'VALIDATION', date '2026-01-01', now(), $2, array[$2]::varchar(14)[]
         from generate_series(0, $3 - 1) i`,
      [`W${run}`, hooked.siret, sizes.delivered],
    );
    while (received.size < sizes.delivered) await new Promise((r) => setTimeout(r, 20));
    const deliverySeconds = (performance.now() - t0) / 1000;
    out.webhook_changes = sizes.delivered;
    out.webhook_delivered_per_s = sizes.delivered / deliverySeconds;
    // The same batches signed and POSTed by a raw loop (no feed, no Temporal, no bookkeeping).
    const page = JSON.stringify({
      items: Array.from({ length: 100 }, (_, i) => ({
        kind: 'DOSSIER',
        id: `RAW-${i}`,
        version: 1,
        type: 'VALIDATION',
        date: '2026-01-01',
        receivedAt: new Date().toISOString(),
        source: hooked.siret,
      })),
    });
    const t1 = performance.now();
    for (let i = 0; i < sizes.delivered / 100; i++) {
      await postBatch(
        url,
        page,
        { 'X-Agora-Signature': signatureHeader(String(made.secret), page, Math.floor(Date.now() / 1000)) },
        { timeoutMs: 10_000, allowPrivate: true },
      );
    }
    out.webhook_raw_post_per_s = sizes.delivered / ((performance.now() - t1) / 1000);
    // Lag: creations accepted one by one through the API, each delivered as its own change.
    const of = await partner('ORGANISME_FORMATION', completeSiret('8777777777771'));
    const accepted = new Map<string, number>();
    for (let i = 0; i < sizes.lagEvents; i++) {
      const dossierId = `L${run}-${i}`;
      await call('POST', '/v1/dossiers', hooked.token, lagDossier(dossierId, hooked.siret, of.siret, i));
      accepted.set(`${dossierId}@1`, performance.now());
      await new Promise((r) => setTimeout(r, 50));
    }
    while ([...accepted.keys()].some((k) => !received.has(k))) await new Promise((r) => setTimeout(r, 20));
    const lags = [...accepted].map(([k, at]) => received.get(k)! - at).sort((a, b) => a - b);
    out.webhook_lag_p50_ms = percentile(lags, 50);
    out.webhook_lag_p99_ms = percentile(lags, 99);
    out.webhook_batches = batches;
    await call('DELETE', `/v1/webhooks/${String(made.id)}`, hooked.token);
    receiver.close();
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await native.close();
    await connection.close();
    await db.end();
    await orm.close();
    await stopChild(server);
  }
  return out;
}

function lagDossier(dossierId: string, financeur: string, organisme: string, i: number) {
  const n13 = `1850675${String(200000 + i).slice(-6)}`;
  const key = nirKey(n13);
  return {
    eventId: `${dossierId}-c`,
    dossierId,
    date: new Date().toISOString().slice(0, 10),
    stagiaire: {
      nir: `${n13}${String(key).padStart(2, '0')}`,
      nom: 'Bench',
      prenom: 'Lag',
      dateNaissance: '1985-06-01',
    },
    organisme: { siret: organisme, raisonSociale: 'OF bench' },
    action: {
      intitule: 'Bench',
      dispositif: 'PRF',
      objectif: 'CERTIFIANTE',
      region: '84',
      departement: '13',
      dateDebutPrevue: '2026-02-01',
      dateFinPrevue: '2026-06-30',
      dureeHeures: 400,
    },
    financements: [{ financeurSiret: financeur, montantEngage: 1000 }],
  };
}
