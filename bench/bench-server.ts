import { join } from 'node:path';
import { DATA_DIR } from '../infra/paths';
import { startDevServer } from '../scripts/temporal-server';
import { ensureTools } from '../scripts/tools';

/** The data key of every benchmark (its data is thrown away), and the env that carries it. */
export const BENCH_KEY = Buffer.alloc(32, 3).toString('base64');
export const BENCH_ENV = { AGORA_DATA_KEY: BENCH_KEY, AGORA_DATA_KEYS_OLD: undefined };

/**
 * A Temporal dev server of the benchmark's own, headless, on a random port from `basePort`, its
 * log under .data/bench/ (`dbFile`: persisted in that SQLite file, otherwise in memory).
 */
export async function benchTemporal(opts: { basePort: number; logName: string; dbFile?: string }) {
  const port = opts.basePort + Math.floor(Math.random() * 1000);
  const server = await startDevServer({
    temporalCli: ensureTools().temporal,
    port,
    headless: true,
    logFile: join(DATA_DIR, 'bench', opts.logName),
    ...(opts.dbFile ? { dbFile: opts.dbFile } : {}),
  });
  return { server, port, address: `127.0.0.1:${port}` };
}
