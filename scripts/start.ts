import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate, openOrm } from '../db/orm';
import { HashKeyMismatchError, ensureHashKey } from '../db/hash-key';
import { keyFingerprint, nirHasher } from '../infra/pseudonym';
import { loadEnv } from '../infra/env';
import { DATA_DIR } from '../infra/paths';
import { ensureDatabase, ensurePostgres } from './postgres';
import { localSecret, makeAdminToken, makeDataKey } from '../infra/local-secrets';
import { Supervised } from './supervisor';
import { setRetention, startDevServer, stopChild } from './temporal-server';
import { describeSetup, setupNamespace } from '../services/namespace-setup';
import { connectionOptions, dataConverter } from '../infra/temporal';
import { ensureTools } from './tools';
import { startReadOnlyUi } from './ui-proxy';
import { loadDemo } from '../cli/demo';

const log = (msg: string) => console.log(`[agora] ${msg}`);
const env = loadEnv();
/**
 * How long the embedded Temporal server keeps a finished workflow (docs/OPERATIONS.md): a day to
 * look at it in the Web UI; the dossier itself stays readable from PostgreSQL for years.
 */
const EMBEDDED_RETENTION_DAYS = 1;

/** A port the system says is free now (the embedded UI's inner one). */
function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const c = await Connection.connect({ address, connectTimeout: 1500 });
    await c.close();
    return true;
  } catch {
    return false;
  }
}

/** Where DATABASE_URL points, without its credentials (host, port and database). */
function databaseName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'of DATABASE_URL';
  }
}

async function main(): Promise<void> {
  const adminToken = env.AGORA_ADMIN_TOKEN ?? localSecret('admin-token', makeAdminToken);
  const dataKey = env.AGORA_DATA_KEY ?? localSecret('data-key', makeDataKey);

  log('checking PostgreSQL');
  await ensurePostgres(env.DATABASE_URL, log);
  await ensureDatabase(env.DATABASE_URL);
  const orm = await openOrm(env.DATABASE_URL, { poolMax: 1 });
  await migrate(orm);
  try {
    // The database may hold another install's dossiers (another clone's .data/, another key): the
    // API and the worker would refuse to start, again and again. Said once, here.
    const hashNir = nirHasher({ AGORA_DATA_KEY: dataKey, AGORA_HASH_KEY: env.AGORA_HASH_KEY });
    await ensureHashKey(orm.em.fork(), keyFingerprint(hashNir));
  } catch (err) {
    if (!(err instanceof HashKeyMismatchError)) throw err;
    console.error(
      `[agora] the database ${databaseName(env.DATABASE_URL)} belongs to another install of agora-flow: its NIRs are ` +
        `hashed with another key than this one's (${join(DATA_DIR, 'data-key')} or AGORA_DATA_KEY / AGORA_HASH_KEY). ` +
        'Set DATABASE_URL to another database (it is created), or start with the keys of the install that made it.',
    );
    await orm.close();
    process.exit(1);
  }
  await orm.close();
  log('database ready, migrations applied');
  // Then the Temporal binaries (installed on a fresh clone): not before the database said yes.
  const tools = ensureTools(log);

  let temporal: EmbeddedTemporal | null = null;
  const embedded =
    env.TEMPORAL_ADDRESS === '127.0.0.1:7233' ||
    env.TEMPORAL_ADDRESS === 'localhost:7233' ||
    env.AGORA_TEMPORAL_EMBEDDED === '1';
  let ui: Awaited<ReturnType<typeof startReadOnlyUi>> | null = null;
  if (embedded && !(await temporalAnswers(env.TEMPORAL_ADDRESS))) {
    log(`starting the Temporal dev server (${join(DATA_DIR, 'temporal.db')})`);
    // The UI listens inside; the read-only proxy answers on the UI's port (scripts/ui-proxy.ts).
    const innerUiPort = await freeLocalPort();
    temporal = new EmbeddedTemporal({
      temporalCli: tools.temporal,
      dbFile: join(DATA_DIR, 'temporal.db'),
      port: Number(env.TEMPORAL_ADDRESS.split(':').pop()),
      uiPort: innerUiPort,
      // The Web UI decodes payloads through the API's codec endpoint (admin only, see /codec/signin).
      uiCodecEndpoint: `http://127.0.0.1:${env.PORT}/codec`,
      namespace: env.TEMPORAL_NAMESPACE,
      logFile: join(DATA_DIR, 'temporal.log'),
      detached: true,
    });
    await temporal.start();
    ui = await startReadOnlyUi({ port: env.AGORA_TEMPORAL_UI_PORT, upstreamPort: innerUiPort });
  } else if (embedded) {
    log(`using the Temporal server already answering on ${env.TEMPORAL_ADDRESS}`);
  }
  // The namespace made ready, embedded or not (`npx agora setup` does the same): search
  // attributes, Schedules, retention. Where the credentials do not allow a step, stop here with the
  // commands: a stack that cannot file a dossier is not started.
  log(`checking the Temporal namespace ${env.TEMPORAL_NAMESPACE} on ${env.TEMPORAL_ADDRESS}`);
  const connection = await Connection.connect(connectionOptions(env));
  try {
    const client = new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      dataConverter: dataConverter({ AGORA_DATA_KEY: dataKey, AGORA_DATA_KEYS_OLD: env.AGORA_DATA_KEYS_OLD }),
    });
    if (embedded) await setRetention(connection, env.TEMPORAL_NAMESPACE, EMBEDDED_RETENTION_DAYS);
    const report = await setupNamespace({
      connection,
      client,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
    });
    if (report.problems.length) {
      console.error(describeSetup(report));
      await temporal?.stop();
      await ui?.close();
      throw new Error(`the namespace ${env.TEMPORAL_NAMESPACE} is not ready (above: what to run)`);
    }
    if (report.searchAttributes.added.length)
      log(`registered the search attributes ${report.searchAttributes.added.join(', ')}`);
  } finally {
    await connection.close();
  }
  if (embedded) {
    log(`Temporal keeps finished workflows ${EMBEDDED_RETENTION_DAYS} day(s); dossiers stay in PostgreSQL`);
  }

  const childEnv = {
    ...process.env,
    AGORA_ADMIN_TOKEN: adminToken,
    AGORA_DATA_KEY: dataKey,
    // One machine: a webhook receiver of one's own (http://127.0.0.1:...) is allowed.
    AGORA_WEBHOOK_ALLOW_PRIVATE: process.env.AGORA_WEBHOOK_ALLOW_PRIVATE ?? '1',
  };
  const children = [
    new Supervised(
      'worker',
      'worker/main.ts',
      [],
      { ...childEnv, AGORA_WORKER_METRICS: env.AGORA_WORKER_METRICS ?? '127.0.0.1:9464' },
      log,
    ),
    new Supervised('api', 'api/server.ts', [], childEnv, log),
  ];
  for (const c of children) c.start();

  const api = `http://127.0.0.1:${env.PORT}`;
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`${api}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`
  agora-flow is running
    API            ${api}
    Console        ${api}/console   (agents: POST /v1/admin/agents; --demo prints demo logins)
    API docs       ${api}/docs   (OpenAPI: ${api}/openapi.json)
    Metrics        ${api}/metrics, worker: http://${env.AGORA_WORKER_METRICS ?? '127.0.0.1:9464'}/metrics
    Temporal UI    ${embedded ? `http://127.0.0.1:${env.AGORA_TEMPORAL_UI_PORT} (read-only)` : `your cluster's own, namespace ${env.TEMPORAL_NAMESPACE}`}
    Admin token    ${adminToken}
    UI decoding    ${api}/codec/signin  (admin token; lets the Temporal UI show decrypted payloads)
  A first dossier, step by step: README.md, "What you then have". Operators: npx agora --help.
  Ctrl-C stops everything; data stays in .data/.
`);

  if (process.argv.includes('--demo')) {
    log('loading the demo data set (npx agora demo does the same)');
    let phase = '';
    loadDemo({
      base: api,
      adminToken,
      count: 1500,
      onProgress: (p) => {
        if (p.phase !== phase || p.done % 250 === 0) log(`demo: ${p.phase} ${p.done}/${p.total}`);
        phase = p.phase;
      },
      onAgents: (agents) =>
        log(
          `demo agents (sign in at ${api}/console, "Se connecter"): ${Object.entries(agents)
            .map(([key, a]) => `${key}: ${a.email} / ${a.motDePasse}`)
            .join('; ')}`,
        ),
    }).then(
      (r) =>
        log(
          `demo loaded: ${r.dossiers} dossiers, ${r.periods} CEP periods. Console: ${api}/console (agents above). API tokens: France Travail ${r.partners['france-travail']}, Région 84 ${r.partners['region-84']}, Mission locale de Lyon ${r.partners['ml-lyon']}`,
        ),
      (e: unknown) => log(`demo failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    // The worker and the API first, then the server they talk to (in a process group of its own,
    // a Ctrl-C did not reach it).
    await Promise.all(children.map((c) => c.stop()));
    await ui?.close();
    await temporal?.stop();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * The embedded Temporal dev server, supervised: restarted with back-off on the same database
 * file when it dies, as the worker and the API are. Its process id is in `.data/temporal.pid`.
 */
class EmbeddedTemporal {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restarts = 0;
  private startedAt = 0;

  constructor(private readonly opts: Parameters<typeof startDevServer>[0]) {}

  async start(): Promise<void> {
    this.startedAt = Date.now();
    const child = await startDevServer(this.opts);
    this.child = child;
    writeFileSync(join(DATA_DIR, 'temporal.pid'), `${child.pid}\n`);
    child.once('exit', (code, signal) => this.exited(signal ?? code));
  }

  private exited(how: unknown): void {
    if (this.stopping) return;
    // A server that ran a minute is healthy again: reset the back-off.
    if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
    const delay = Math.min(30_000, 1000 * 2 ** this.restarts++);
    log(
      `the Temporal server exited (${String(how)}); restarting it in ${delay / 1000} s (see ${this.opts.logFile})`,
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.start().then(
        () => log('the Temporal server is back'),
        (e: unknown) => {
          log(`the Temporal server did not start: ${e instanceof Error ? e.message : String(e)}`);
          this.exited('failed to start');
        },
      );
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child) await stopChild(this.child, 10_000);
  }
}

main().catch((e: unknown) => {
  console.error(`[agora] start failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
