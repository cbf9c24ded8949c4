import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import { ensureSchedules } from '../services/schedules';
import { startIntentSweeper } from './intent-sweeper';
import { pendingLoadTaker } from '../services/pending-loads';
import { createProjector } from '../db/projection-intents';
import { openOrm } from '../db/orm';
import { loadEnv } from '../infra/env';
import { createLogger } from '../infra/logger';
import { connectionOptions, dataConverter } from '../infra/temporal';
import { exportPseudonymizer, keyFingerprint, nirHasher, vouchKey } from '../infra/pseudonym';
// The one API module the worker runs: partner files' lines go through the single call's routes
// (validation, authorization, idempotence, answers), in process, by design.
// eslint-disable-next-line no-restricted-imports
import { type PartnerWriter, createPartnerWriter } from '../api/partner-writes';
import { ensureHashKey } from '../db/hash-key';
import { DATA_DIR, ROOT } from '../infra/paths';
import { join } from 'node:path';
import { sealer } from '../infra/sealing';
import { startTelemetry } from '../infra/telemetry';
import { isNotAllowed } from '../services/namespace-setup';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'worker');
const telemetry = startTelemetry('worker', env, logger);
Runtime.install({
  // Temporal's own worker metrics (task slots, poll and schedule-to-start latencies, ...).
  ...(env.AGORA_WORKER_METRICS
    ? { telemetryOptions: { metrics: { prometheus: { bindAddress: env.AGORA_WORKER_METRICS } } } }
    : {}),
  logger: {
    log: (level, message, meta) =>
      logger[level === 'TRACE' ? 'trace' : (level.toLowerCase() as 'info')]({ ...meta }, message),
    trace: (m, meta) => logger.trace(meta ?? {}, m),
    debug: (m, meta) => logger.debug(meta ?? {}, m),
    info: (m, meta) => logger.info(meta ?? {}, m),
    warn: (m, meta) => logger.warn(meta ?? {}, m),
    error: (m, meta) => logger.error(meta ?? {}, m),
  },
});

const orm = await openOrm(env.DATABASE_URL);
// A worker hashing NIRs with another key than the platform's would look up nobody: it stops here.
await ensureHashKey(orm.em.fork(), keyFingerprint(nirHasher(env)));
const hashNir = nirHasher(env);
const { seal, open: unseal } = sealer(env);

/**
 * The workflow code's bundle: the file given (`--bundle FILE`), else built now by a child process
 * (worker/bundle.ts) into a file of its own. Bundling in this process would leave webpack's
 * memory in it for good (some 80 MiB of RSS, docs/PERFORMANCE.md).
 */
function workflowBundlePath(): string {
  if (process.argv[2] === '--bundle' && process.argv[3]) return process.argv[3];
  const dir = mkdtempSync(join(tmpdir(), 'agora-workflows-'));
  // Read again at each reconnection (a new Worker): kept until the process ends.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'bundle.js');
  const args = [join(ROOT, 'scripts/bootstrap.mjs'), 'worker/bundle.ts', out];
  // Traced: the workflow spans' interceptors go into the bundle (the plugin adds only the sink).
  if (telemetry.workerPlugin) args.push('--otel');
  if (env.AGORA_WORKFLOW_STACK_TRACES === '1') args.push('--stack-traces');
  const built = spawnSync(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`bundling the workflow code failed (exit ${built.status})`);
  return out;
}
const bundlePath = workflowBundlePath();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (stopping = true));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connect, waiting for Temporal as long as it takes (it may be starting, or restarting after a
 * crash): a worker waits and reconnects rather than exiting. Null once asked to stop.
 */
async function connectWhenReady<T>(what: string, connect: () => Promise<T>): Promise<T | null> {
  for (let attempt = 0; !stopping; attempt++) {
    try {
      return await connect();
    } catch (err) {
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
      if (attempt % 5 === 0)
        logger.warn({ err, retryInSeconds: delay / 1000 }, `waiting for Temporal (${what})`);
      await pause(delay);
    }
  }
  return null;
}

// Each turn runs the worker until it stops: asked to (SIGINT, SIGTERM), or lost its server.
for (let turn = 0; !stopping; turn++) {
  const connection = await connectWhenReady('worker', () => NativeConnection.connect(connectionOptions(env)));
  // The month wake-up activity signals dossiers through a client of its own.
  const clientConnection =
    connection && (await connectWhenReady('client', () => Connection.connect(connectionOptions(env))));
  if (!connection || !clientConnection) {
    await connection?.close();
    break;
  }
  const client = new Client({
    connection: clientConnection,
    namespace: env.TEMPORAL_NAMESPACE,
    dataConverter: dataConverter(env),
    ...(telemetry.clientInterceptors ? { interceptors: telemetry.clientInterceptors } : {}),
  });
  let stopSweeper: () => Promise<void> = async () => undefined;
  let writer: PartnerWriter | undefined;
  try {
    const worker = await Worker.create({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      workflowBundle: { codePath: bundlePath },
      activities: createActivities({
        orm,
        hashNir,
        seal,
        client,
        databaseUrl: env.DATABASE_URL,
        pseudonymise: exportPseudonymizer(env),
        exportDir: env.AGORA_EXPORT_DIR ?? join(DATA_DIR, 'exports'),
        retentionYears: env.AGORA_RETENTION_YEARS,
        unseal,
        webhooks: { allowPrivate: env.AGORA_WEBHOOK_ALLOW_PRIVATE === '1' },
        fluxConcurrency: env.AGORA_FLUX_CONCURRENCY,
        fluxRetentionDays: env.AGORA_FLUX_RETENTION_DAYS,
        writer: () =>
          (writer ??= createPartnerWriter({
            client,
            orm,
            logger,
            taskQueue: env.TEMPORAL_TASK_QUEUE,
            hashNir,
            seal,
            unseal,
            vouchKey: vouchKey(env),
          })),
      }),
      dataConverter: dataConverter(env),
      // Workflow, update and activity spans, joined to the caller's trace (infra/telemetry.ts).
      ...(telemetry.workerPlugin ? { plugins: [telemetry.workerPlugin] } : {}),
      // Bounded: memory stays flat however many dossiers are open (most sleep for months).
      maxCachedWorkflows: env.AGORA_WORKER_CACHE,
      // Most of them are webhook deliveries waiting for a change (cheap): many at once.
      maxConcurrentActivityTaskExecutions: env.AGORA_WORKER_ACTIVITIES,
    });
    // Credentials that may not create Schedules (Temporal Cloud without admin rights) leave that to
    // the operator (`npx agora setup` lists the commands): the worker serves dossiers all the same.
    await ensureSchedules(client, env.TEMPORAL_TASK_QUEUE).catch((err: unknown) => {
      if (!isNotAllowed(err)) throw err;
      logger.warn({ err }, 'the Schedules could not be created with these credentials: see npx agora setup');
    });
    // Read-model writes the API could not finish (it died, or the database was away) are done here.
    stopSweeper = startIntentSweeper({
      orm,
      client,
      projector: createProjector({
        orm,
        hashNir,
        seal,
        onBlocked: pendingLoadTaker(client, orm, keyFingerprint(hashNir)),
      }),
      logger,
    });
    logger.info(
      { taskQueue: env.TEMPORAL_TASK_QUEUE, namespace: env.TEMPORAL_NAMESPACE, turn },
      'worker ready',
    );
    // Returns after SIGINT/SIGTERM once in-flight tasks are done (the SDK's own signal handling).
    await worker.run();
  } catch (err) {
    if (!stopping) logger.warn({ err }, 'the worker lost Temporal: it reconnects');
  } finally {
    await stopSweeper();
    await connection.close().catch(() => undefined);
    await clientConnection.close().catch(() => undefined);
  }
  if (!stopping) await pause(1000);
}
await orm.close();
await telemetry.shutdown();
logger.info('worker stopped');
