import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from '../activities/index';
import { createApp } from '../api/app';
import { createCepGateway } from '../api/cep-gateway';
import { openOrm } from '../db/orm';
import { nirKey } from '../domain/nir';
import { completeSiret } from '../domain/siret';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer, nirHasher, vouchKey } from '../infra/pseudonym';
import { sealer } from '../infra/sealing';
import { dataConverter } from '../infra/temporal';
import { stopChild } from '../scripts/temporal-server';
import { registerSearchAttributes } from '../services/namespace-setup';
import { BENCH_ENV, benchBundles, benchTemporal } from './bench-server';
import { percentile } from './figures';
import { rawSignal, rawUpdate } from './raw-workflow';

const noop = () => undefined;

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const nirOf = (i: number) => {
  const n13 = `1850675${String(100000 + i).slice(-6)}`;
  return `${n13}${String(nirKey(n13)).padStart(2, '0')}`;
};

/**
 * CEP periods (issue 15): their operator's events through the API against raw Updates on a trivial
 * workflow of the same server; then `waiting` closed periods of as many persons, each waiting on
 * its follow-up, woken by an entry into training of its person (found by the NIR's keyed hash, no
 * scan), against raw signals to as many trivial workflows.
 */
export async function benchCep(
  databaseUrl: string,
  sizes: { periods: number; waiting: number; concurrency: number },
): Promise<Record<string, number>> {
  const { server, address } = await benchTemporal({ basePort: 21000, logName: 'temporal-cep.log' });
  const env = BENCH_ENV;
  const connection = await Connection.connect({ address });
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection, dataConverter: dataConverter(env) });
  const rawClient = new Client({ connection });
  const native = await NativeConnection.connect({ address });
  const orm = await openOrm(databaseUrl, { poolMax: 10 });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const [bundle, rawBundle] = await benchBundles();
  const hashNir = nirHasher(env);
  const worker = await Worker.create({
    connection: native,
    taskQueue: 'bench-cep',
    workflowBundle: bundle,
    activities: createActivities({ orm, hashNir, seal: sealer(env).seal, client }),
    dataConverter: dataConverter(env),
  });
  const rawWorker = await Worker.create({
    connection: native,
    taskQueue: 'bench-raw',
    workflowBundle: rawBundle,
  });
  const running = Promise.all([worker.run(), rawWorker.run()]);
  const adminToken = 'bench-admin';
  const app = createApp({
    client,
    orm,
    logger: createLogger('silent', 'bench'),
    taskQueue: 'bench-cep',
    adminToken,
    databaseUrl,
    hashNir,
    seal: sealer(env).seal,
    unseal: sealer(env).open,
    vouchKey: vouchKey(env),
    pseudonymise: exportPseudonymizer(env),
    rateLimit: { perSecond: 0, burst: 1 },
  });
  const call = async (path: string, token: string, body: unknown) => {
    for (let attempt = 0; ; attempt++) {
      const r = await app.request(path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status < 300) return r.json() as Promise<Record<string, unknown>>;
      if (r.status !== 503 || attempt > 5) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    }
  };
  const run = randomUUID().slice(0, 6);
  const partner = async (kind: string, extra: Record<string, unknown> = {}) => {
    const siret = completeSiret(`9${String(Date.now() + Math.floor(Math.random() * 1e6)).slice(-12)}`);
    const res = await call('/v1/admin/partners', adminToken, {
      siret,
      name: `${kind} bench`,
      kind,
      ...extra,
    });
    return { siret, token: String(res.token) };
  };
  const out: Record<string, number> = {};
  try {
    const op = await partner('CEP_OPERATEUR', { reseau: 'MISSION_LOCALE' });
    const region = await partner('REGION', { region: '84' });
    const of = await partner('ORGANISME_FORMATION');
    const open = (id: string, i: number) =>
      call('/v1/cep/periodes', op.token, {
        eventId: `${id}-o`,
        periodeId: id,
        date: day(-10),
        beneficiaire: { nir: nirOf(i), nom: 'Bench', prenom: 'Cep', dateNaissance: '1985-06-01' },
        situation: 'DEMANDEUR_EMPLOI',
        region: '84',
      });

    // 1. Events through the API against raw Updates, the same number at the same concurrency.
    const ids = Array.from({ length: sizes.periods }, (_, i) => `B-${run}-${i}`);
    await pool(ids, sizes.concurrency, async (id) => void (await open(id, 0)));
    await pool(ids, sizes.concurrency, (id) =>
      rawClient.workflow.start('rawWorkflow', { taskQueue: 'bench-raw', workflowId: `raw-${id}` }).then(noop),
    );
    const jobs = ids.flatMap((id) => [0, 1, 2, 3].map((k) => ({ id, k })));
    const timed = async (fn: (job: { id: string; k: number }) => Promise<unknown>) => {
      const lat: number[] = [];
      const t = performance.now();
      await pool(jobs, sizes.concurrency, async (job) => {
        const s = performance.now();
        await fn(job);
        lat.push(performance.now() - s);
      });
      lat.sort((a, b) => a - b);
      return {
        perS: jobs.length / ((performance.now() - t) / 1000),
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
      };
    };
    const ours = await timed(({ id, k }) =>
      call(`/v1/cep/periodes/${id}/events`, op.token, {
        eventId: `${id}-s${k}`,
        type: 'SERVICE',
        date: day(-9),
        service: 'ATELIER',
        modalite: 'PRESENTIEL',
      }),
    );
    const raw = await timed(({ id }) =>
      rawClient.workflow
        .getHandle(`raw-${id}`)
        .executeUpdate(rawUpdate, { args: [{ n: 1 }], updateId: randomUUID() }),
    );
    out.cep_events = jobs.length;
    out.cep_event_per_s = ours.perS;
    out.cep_event_p50_ms = ours.p50;
    out.cep_event_p99_ms = ours.p99;
    out.cep_raw_update_per_s = raw.perS;
    out.cep_raw_update_p50_ms = raw.p50;
    out.cep_raw_update_p99_ms = raw.p99;

    // 2. `waiting` closed periods of as many persons, each waiting on its follow-up.
    const waiting = Array.from({ length: sizes.waiting }, (_, i) => ({ id: `W-${run}-${i}`, i: i + 1 }));
    let t = performance.now();
    await pool(waiting, sizes.concurrency, async ({ id, i }) => {
      await open(id, i);
      await call(`/v1/cep/periodes/${id}/events`, op.token, {
        eventId: `${id}-c`,
        type: 'CLOTURE',
        date: day(-8),
        motif: 'ABANDON',
      });
    });
    out.cep_waiting_periods = sizes.waiting;
    out.cep_waiting_setup_s = (performance.now() - t) / 1000;
    // One dossier entered through the API, its record copied for every other person (the dossiers'
    // own cost is not what this measures).
    const template = `BD-${run}-1`;
    await call('/v1/dossiers', region.token, {
      eventId: `${template}-c`,
      dossierId: template,
      date: day(-20),
      stagiaire: { nir: nirOf(1), nom: 'Bench', prenom: 'Cep', dateNaissance: '1985-06-01' },
      organisme: { siret: of.siret, raisonSociale: 'OF' },
      action: {
        intitule: 'T',
        dispositif: 'PRF',
        objectif: 'CERTIFIANTE',
        region: '84',
        dateDebutPrevue: day(-6),
        dateFinPrevue: day(60),
      },
      financements: [{ financeurSiret: region.siret, montantEngage: 100 }],
    });
    await call(`/v1/dossiers/${template}/events`, region.token, {
      eventId: `${template}-v`,
      type: 'VALIDATION',
      date: day(-15),
    });
    await call(`/v1/dossiers/${template}/events`, of.token, {
      eventId: `${template}-e`,
      type: 'ENTREE',
      date: day(-5),
    });
    const others = waiting.slice(1);
    await db.query(
      `insert into dossiers (dossier_id, version, status, interrompu, issue, organisme_siret, financeur_sirets, region,
         dispositif, objectif, created_at, updated_at, data, nir_hash, nir_sealed, closed_on)
       select 'BD-' || $2 || '-' || x.i, d.version, d.status, d.interrompu, d.issue, d.organisme_siret, d.financeur_sirets,
              d.region, d.dispositif, d.objectif, d.created_at, d.updated_at, d.data, x.h, d.nir_sealed, d.closed_on
         from dossiers d, unnest($3::int[], $4::bytea[]) as x(i, h)
        where d.dossier_id = $1`,
      [template, run, others.map((w) => w.i), others.map((w) => hashNir(nirOf(w.i)))],
    );
    // Until the template's own wake-up is done, then every other person's entry wakes its period,
    // as the API does after an ENTREE (api/cep-gateway.ts `wakeFollowUps`).
    const entered = async () =>
      Number(
        (
          await db.query(
            `select count(*) as n from cep_periodes where periode_id like $1 and jsonb_array_length(data->'entreesFormation') > 0`,
            [`W-${run}-%`],
          )
        ).rows[0].n,
      );
    while ((await entered()) < 1) await new Promise((r) => setTimeout(r, 100));
    const cep = createCepGateway({
      client,
      orm,
      taskQueue: 'bench-cep',
      unseal: sealer(env).open,
      vouchKey: vouchKey(env),
    });
    t = performance.now();
    await pool(others, sizes.concurrency, ({ i }) => cep.wakeFollowUps(hashNir(nirOf(i))));
    const signalled = performance.now();
    let done = 0;
    while (done < sizes.waiting && performance.now() - signalled < 600_000) {
      await new Promise((r) => setTimeout(r, 250));
      done = await entered();
    }
    out.cep_wake_signalled_s = (signalled - t) / 1000;
    out.cep_wake_all_recorded_s = (performance.now() - t) / 1000;
    out.cep_wake_recorded = done;
    out.cep_wake_per_s = (done - 1) / out.cep_wake_all_recorded_s;
    // The look-up of a person's waiting periods among all of them: an index, never a scan.
    const lookups: number[] = [];
    for (const w of waiting.slice(0, 200)) {
      const s = performance.now();
      await db.query(`select periode_id from cep_periodes where nir_hash = $1 and statut = 'CLOSE'`, [
        hashNir(nirOf(w.i)),
      ]);
      lookups.push(performance.now() - s);
    }
    lookups.sort((a, b) => a - b);
    out.cep_wake_lookup_p50_ms = percentile(lookups, 50);

    // The baseline: as many trivial workflows, each sent one signal, at the same concurrency.
    await pool(others, sizes.concurrency, ({ i }) =>
      rawClient.workflow
        .start('rawSignalledWorkflow', { taskQueue: 'bench-raw', workflowId: `raws-${run}-${i}` })
        .then(noop),
    );
    t = performance.now();
    await pool(others, sizes.concurrency, ({ i }) =>
      rawClient.workflow.getHandle(`raws-${run}-${i}`).signal(rawSignal),
    );
    out.cep_raw_signal_s = (performance.now() - t) / 1000;
    out.cep_raw_signal_per_s = others.length / out.cep_raw_signal_s;
  } finally {
    worker.shutdown();
    rawWorker.shutdown();
    await running.catch(noop);
    await native.close();
    await db.end();
    await orm.close();
    await connection.close();
    await stopChild(server);
  }
  return out;
}
