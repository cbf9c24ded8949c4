import { Client, Connection } from '@temporalio/client';
import { openOrm } from '../db/orm';
import { loadEnv, oidcProvider } from '../infra/env';
import { createLogger } from '../infra/logger';
import { apiConnectionOptions, dataConverter, payloadCodec } from '../infra/temporal';
import { createApp } from './app';
import { serveApp } from './serve';
import { exportPseudonymizer, keyFingerprint, nirHasher, vouchKey } from '../infra/pseudonym';
import { ensureHashKey } from '../db/hash-key';
import { sealer } from '../infra/sealing';
import { startTelemetry } from '../infra/telemetry';

const env = loadEnv();
const logger = createLogger(env.LOG_LEVEL, 'api');
const telemetry = startTelemetry('api', env, logger);
if (!env.AGORA_ADMIN_TOKEN) logger.warn('AGORA_ADMIN_TOKEN is not set: admin routes are closed');
const orm = await openOrm(env.DATABASE_URL);
// An API hashing NIRs with another key than the platform's would find no trainee: it stops here.
await ensureHashKey(orm.em.fork(), keyFingerprint(nirHasher(env)));
// Lazy: the API starts and answers /readyz 503 while Temporal is unreachable.
const connection = Connection.lazy(apiConnectionOptions(env));
const client = new Client({
  connection,
  namespace: env.TEMPORAL_NAMESPACE,
  dataConverter: dataConverter(env),
  ...(telemetry.clientInterceptors ? { interceptors: telemetry.clientInterceptors } : {}),
});
const app = createApp({
  client,
  orm,
  logger,
  taskQueue: env.TEMPORAL_TASK_QUEUE,
  adminToken: env.AGORA_ADMIN_TOKEN,
  databaseUrl: env.DATABASE_URL,
  hashNir: nirHasher(env),
  seal: sealer(env).seal,
  unseal: sealer(env).open,
  vouchKey: vouchKey(env),
  pseudonymise: exportPseudonymizer(env),
  bodyLimit: env.AGORA_BODY_LIMIT,
  statsCacheMs: env.AGORA_STATS_CACHE_SECONDS * 1000,
  rateLimit: { perSecond: env.AGORA_RATE_LIMIT, burst: env.AGORA_RATE_BURST },
  metricsToken: env.AGORA_METRICS_TOKEN,
  tracer: telemetry.tracer,
  webhookAllowPrivate: env.AGORA_WEBHOOK_ALLOW_PRIVATE === '1',
  oidc: oidcProvider(env),
  codec: {
    codec: payloadCodec(env, { forDisplay: true }),
    uiOrigins: env.AGORA_UI_ORIGINS.split(',').map((o) => o.trim()),
  },
});
const { server } = await serveApp(app, {
  port: env.PORT,
  hostname: env.HOST,
  publicUrl: env.AGORA_PUBLIC_URL,
});
logger.info({ port: env.PORT }, 'api listening');

// Certification results a crash left waiting though their dossier is there: attached within
// minutes (every instance sweeps, with jitter; attaching is idempotent).
const sweep = setInterval(
  () => {
    app.sweepWaitingResults().then(
      (n) => n > 0 && logger.info({ trainees: n }, 'waiting certification results looked at again'),
      (err: unknown) => logger.warn({ err }, 'waiting certification results: sweep failed, next one soon'),
    );
  },
  (60 + Math.random() * 60) * 1000,
);
sweep.unref();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(sweep);
  logger.info({ signal }, 'api draining');
  // Stop accepting connections; requests in flight complete before close() calls back.
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await connection.close();
  await orm.close();
  await telemetry.shutdown();
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
