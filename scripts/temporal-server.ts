import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { registerSearchAttributes } from '../services/namespace-setup';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../workflows/search-attributes';

export interface DevServerOptions {
  temporalCli: string;
  /** SQLite file; omitted: in memory. */
  dbFile?: string;
  port: number;
  uiPort?: number;
  headless?: boolean;
  logFile: string;
  uiCodecEndpoint?: string;
  /** A namespace to create besides `default`. */
  namespace?: string;
  /** false: a bare server, as an operator's cluster is before `agora setup` (default true). */
  searchAttributes?: boolean;
  /**
   * In a process group of its own: a Ctrl-C in the terminal reaches the parent only, which stops
   * the worker and the API before the server (`npm start`).
   */
  detached?: boolean;
}

/**
 * Start `temporal server start-dev` and wait until it answers. The server picks some of its own
 * ports (HTTP API, metrics) at random; when another process takes one in the meantime it exits at
 * once, and it is started again (three tries).
 */
export async function startDevServer(opts: DevServerOptions): Promise<ChildProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (e) {
      if (!(e instanceof EarlyExit) || attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

class EarlyExit extends Error {}

async function startOnce(opts: DevServerOptions): Promise<ChildProcess> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
  ];
  if (opts.dbFile) {
    mkdirSync(dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.headless) args.push('--headless');
  else if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  if (opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  // Registered at start on a new database, on every namespace; registerSearchAttributes() adds
  // them to an existing one.
  const withAttributes = opts.searchAttributes ?? true;
  if (withAttributes)
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS))
      args.push('--search-attribute', `${name}=${type}`);
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.temporalCli, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new EarlyExit(`the Temporal server exited (${child.exitCode}); see ${opts.logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        if (withAttributes)
          for (const namespace of new Set(['default', opts.namespace ?? 'default']))
            await registerSearchAttributes(connection, namespace);
      } finally {
        await connection.close();
      }
      return child;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`the Temporal server did not answer on ${address} within 60 s: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/**
 * Set how long the namespace keeps a finished workflow. The platform's record lives in PostgreSQL
 * (CONTRACT.md, "The record outlives the engine"): this only bounds what the engine keeps.
 */
export async function setRetention(connection: Connection, namespace: string, days: number): Promise<void> {
  await connection.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(`${days} days`) },
  });
}

/** Stop a child process: SIGTERM, then SIGKILL after a grace period. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
