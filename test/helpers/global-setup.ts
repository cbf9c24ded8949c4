import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate, openOrm } from '../../db/orm';
import { DATA_DIR } from '../../infra/paths';
import { ensureDatabase, ensurePostgres } from '../../scripts/postgres';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { ensureTools } from '../../scripts/tools';
import { ensureChromium } from '../../scripts/chromium';
import { startReaper } from './reaper';
import { workflowBundleOptions } from '../../worker/bundle-options';
import { SIRETS, TEST_DATA_KEY } from './fixtures';
import { ensureHashKey } from '../../db/hash-key';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    workflowBundlePath: string;
    temporalCli: string;
    testServerPath: string;
    chromiumPath: string;
  }
}

/** The first port of the kernel's ephemeral range: ports below it are never handed out by bind(0). */
function ephemeralStart(): number {
  try {
    const first = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    return Number.isInteger(first) && first > 12_000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * A free port for a server a test starts. Chosen at random below the ephemeral range: a port
 * taken from bind(0) and released can be handed again to any process's own random port (the
 * Temporal dev server picks several for its internal services), which made a worker's metrics
 * port answer HTTP/2 from a Temporal service. Below the range only explicit choices compete.
 */
export async function freePort(): Promise<number> {
  const top = ephemeralStart();
  const bottom = 10_000;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found below the ephemeral range');
}

let server: ChildProcess | null = null;
let stopReaper: (() => Promise<void>) | null = null;

/** One Temporal dev server, one fresh test database and one workflow bundle for the whole run. */
export async function setup(project: TestProject): Promise<void> {
  const tools = ensureTools();
  const chromiumPath = ensureChromium();
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/agora_test';
  await ensurePostgres(databaseUrl);
  await ensureDatabase(databaseUrl, { fresh: true });
  const orm = await openOrm(databaseUrl, { poolMax: 1 });
  await migrate(orm);
  // The fixtures' financeurs are registered partners, as CONTRACT.md requires of every financeur.
  for (const [siret, kind, region] of [
    [SIRETS.region84, 'REGION', '84'],
    [SIRETS.franceTravail, 'FRANCE_TRAVAIL', null],
    [SIRETS.opco, 'OPCO', null],
  ] as const) {
    await orm.em
      .getConnection()
      .execute(
        'insert into partners (id, siret, name, kind, region) values (gen_random_uuid(), ?, ?, ?, ?)',
        [siret, `${kind} (fixture)`, kind, region],
      );
  }
  // The platform's NIR hash key, as the first worker or API to start records it.
  await ensureHashKey(orm.em.fork(), keyFingerprint(nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY })));
  await orm.close();

  const port = await freePort();
  const dir = join(DATA_DIR, 'test');
  mkdirSync(dir, { recursive: true });
  const [child, bundle] = await Promise.all([
    startDevServer({ temporalCli: tools.temporal, port, headless: true, logFile: join(dir, 'temporal.log') }),
    bundleWorkflowCode(workflowBundleOptions()),
  ]);
  server = child;
  // Finished workflows are deleted within seconds (RECORD_HISTORIES keeps them to export them).
  if (process.env.RECORD_HISTORIES !== '1') stopReaper = await startReaper(`127.0.0.1:${port}`);
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', `127.0.0.1:${port}`);
  project.provide('databaseUrl', databaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalCli', tools.temporal);
  project.provide('testServerPath', tools.testServer);
  project.provide('chromiumPath', chromiumPath);
}

export async function teardown(): Promise<void> {
  await stopReaper?.();
  if (server) await stopChild(server, 5000);
}
