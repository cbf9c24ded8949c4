import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import { createApp } from '../api/app';
import { createPartnerWriter } from '../api/partner-writes';
import { openOrm } from '../db/orm';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { dataConverter } from '../infra/temporal';
import { stopChild } from '../scripts/temporal-server';
import { BENCH_ENV, benchCreation, benchBundles, benchTemporal, ensureBenchFinanceur } from './bench-server';
import { rawUpdate } from './raw-workflow';
import { dossiersAtOnce, fluxLots } from '../domain/flux';

/**
 * A partner file (`POST /v1/flux`) of `dossiers` x 5 lines (creation, validation, entry,
 * interruption, resumption), run by the worker in process; against the same number of raw
 * client Updates that set a search attribute, at the file's own concurrency (its shares x the
 * dossiers each runs at once). Everything in one process, as the partner events' default run.
 */
export async function benchFlux(databaseUrl: string, dossiers: number) {
  const { server, address } = await benchTemporal({ basePort: 21000, logName: 'temporal-flux.log' });
  const env = BENCH_ENV;
  const orm = await openOrm(databaseUrl, { poolMax: 20 });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const rawClient = new Client({ connection });
  const native = await NativeConnection.connect({ address });
  const [bundle, rawBundle] = await benchBundles();
  const logger = createLogger('silent', 'bench');
  const keys = { hashNir: nirHasher(env), seal: sealer(env).seal, unseal: sealer(env).open };
  const writer = createPartnerWriter({
    client,
    orm,
    logger,
    taskQueue: 'bench-flux',
    vouchKey: vouchKey(env),
    ...keys,
  });
  const worker = await Worker.create({
    connection: native,
    taskQueue: 'bench-flux',
    workflowBundle: bundle,
    activities: createActivities({ orm, client, ...keys, writer: () => writer }),
    dataConverter: dataConverter(env),
    maxConcurrentActivityTaskExecutions: 1000,
  });
  const rawWorker = await Worker.create({
    connection: native,
    taskQueue: 'bench-flux-raw',
    workflowBundle: rawBundle,
  });
  const running = Promise.all([worker.run(), rawWorker.run()]);
  const adminToken = 'bench-admin';
  const app = createApp({
    client,
    orm,
    logger,
    taskQueue: 'bench-flux',
    adminToken,
    databaseUrl,
    vouchKey: vouchKey(env),
    pseudonymise: exportPseudonymizer(env),
    ...keys,
  });
  try {
    await ensureBenchFinanceur(orm);
    const run = randomUUID().slice(0, 8);
    const lines: string[] = [];
    const ids = Array.from({ length: dossiers }, (_, i) => `FLX-${run}-${i}`);
    for (const id of ids) {
      lines.push(JSON.stringify({ op: 'CREATE', ...benchCreation(id, `c-${id}`) }));
    }
    // Events after the creations, one dossier after the other: each dossier's lines in order.
    for (const [type, date] of [
      ['VALIDATION', '2026-01-20'],
      ['ENTREE', '2026-02-01'],
      ['INTERRUPTION', '2026-03-01'],
      ['REPRISE', '2026-03-15'],
    ] as const) {
      for (const id of ids)
        lines.push(
          JSON.stringify({
            op: 'EVENT',
            dossierId: id,
            eventId: `${type}-${id}`,
            type,
            date,
            ...(type === 'INTERRUPTION' ? { motif: 'bench' } : {}),
          }),
        );
    }
    const t0 = performance.now();
    const sent = await app.request('/v1/flux', {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    if (sent.status !== 202) throw new Error(`POST /v1/flux: ${sent.status} ${await sent.text()}`);
    const { fluxId } = (await sent.json()) as { fluxId: string };
    const receivedSeconds = (performance.now() - t0) / 1000;
    let status: { statut: string; acceptees: number; refusees: number; traitees: number } = {
      statut: 'EN_COURS',
      acceptees: 0,
      refusees: 0,
      traitees: 0,
    };
    while (status.statut !== 'TERMINE') {
      await new Promise((r) => setTimeout(r, 200));
      const res = await app.request(`/v1/flux/${fluxId}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      status = (await res.json()) as typeof status;
    }
    const fileSeconds = (performance.now() - t0) / 1000;
    if (status.refusees > 0) throw new Error(`${status.refusees} lines of the bench file refused`);
    // The file's own concurrency (activities/flux.ts): AGORA_FLUX_CONCURRENCY over its shares.
    const lots = fluxLots(lines.length);
    const concurrency = Math.min(ids.length, lots * dossiersAtOnce(32, lots));

    // The raw baseline: as many Updates, each setting a search attribute, at the same concurrency.
    // Started a bounded number at a time: 20,000 starts at once overloaded the dev server (the
    // first failure then closed the connection under the others: "Channel has been shut down").
    let started = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = started++; i < ids.length; i = started++)
          await rawClient.workflow.start('rawWorkflow', {
            taskQueue: 'bench-flux-raw',
            workflowId: `raw-${ids[i]}`,
          });
      }),
    );
    const updates = lines.length;
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < updates; i = next++)
          await rawClient.workflow.getHandle(`raw-${ids[i % ids.length]}`).executeUpdate(rawUpdate, {
            args: [{ n: 1, status: `S${i}` }],
            updateId: randomUUID(),
          });
      }),
    );
    const rawSeconds = (performance.now() - t1) / 1000;
    return {
      flux_lines: lines.length,
      flux_concurrency: concurrency,
      flux_received_s: receivedSeconds,
      flux_seconds: fileSeconds,
      flux_lines_per_s: lines.length / fileSeconds,
      flux_raw_update_sa_per_s: updates / rawSeconds,
    };
  } finally {
    worker.shutdown();
    rawWorker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await orm.close();
    await stopChild(server);
  }
}
