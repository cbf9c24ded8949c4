import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate, openOrm } from '../../db/orm';
import { DATA_DIR } from '../../scripts/paths';
import { ensureDatabase, ensurePostgres } from '../../scripts/postgres';
import { startDevServer, stopChild } from '../../scripts/temporal-server';
import { ensureTools } from '../../scripts/tools';
import { ensureChromium } from '../../scripts/chromium';

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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

let server: ChildProcess | null = null;

/** One Temporal dev server, one fresh test database and one workflow bundle for the whole run. */
export async function setup(project: TestProject): Promise<void> {
  const tools = ensureTools();
  const chromiumPath = ensureChromium();
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/agora_test';
  await ensurePostgres(databaseUrl);
  await ensureDatabase(databaseUrl, { fresh: true });
  const orm = await openOrm(databaseUrl, { poolMax: 1 });
  await migrate(orm);
  await orm.close();

  const port = await freePort();
  const dir = join(DATA_DIR, 'test');
  mkdirSync(dir, { recursive: true });
  const [child, bundle] = await Promise.all([
    startDevServer({ temporalCli: tools.temporal, port, headless: true, logFile: join(dir, 'temporal.log') }),
    bundleWorkflowCode({
      workflowsPath: createRequire(import.meta.url).resolve('../../workflows/index.ts'),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: console.warn,
        error: console.error,
      },
    }),
  ]);
  server = child;
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
  if (server) await stopChild(server, 5000);
}
