import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../../infra/paths';
import { ensureDatabase } from '../../scripts/postgres';
import { freePort } from '../helpers/global-setup';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';
import { partnerLoad, partners, verify, waitReady } from './harness';

/**
 * The embedded stack as `npm start` runs it (scripts/start.ts, its own Temporal dev server, worker
 * and API), its Temporal server killed with SIGKILL under partners' load: the supervisor brings it
 * back, nothing is lost, the partners see 503s and nothing worse, and Ctrl-C stops it all in order.
 */
const dir = `/tmp/agora-npm-start-${process.pid}`;
let start: ChildProcess;
const lines: string[] = [];
let api = '';
let databaseUrl = '';

const until = async (what: string, check: () => boolean, seconds = 120) => {
  for (let i = 0; i < seconds * 4 && !check(); i++) await new Promise((r) => setTimeout(r, 250));
  if (!check()) throw new Error(`timed out waiting for ${what}:\n${lines.slice(-30).join('\n')}`);
};

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_npm_start';
  databaseUrl = u.toString();
  await ensureDatabase(databaseUrl, { fresh: true });
  const [temporal, ui, port, metrics] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  api = `http://127.0.0.1:${port}`;
  start = spawn(process.execPath, [join(ROOT, 'scripts/bootstrap.mjs'), 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      AGORA_DATA_DIR: dir,
      PORT: String(port),
      TEMPORAL_ADDRESS: `127.0.0.1:${temporal}`,
      AGORA_TEMPORAL_EMBEDDED: '1',
      AGORA_TEMPORAL_UI_PORT: String(ui),
      AGORA_WORKER_METRICS: `127.0.0.1:${metrics}`,
      DATABASE_URL: databaseUrl,
      AGORA_ADMIN_TOKEN: ADMIN_TOKEN,
      AGORA_DATA_KEY: TEST_DATA_KEY,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [start.stdout!, start.stderr!])
    createInterface({ input: stream }).on('line', (l) => lines.push(l));
  await until('the stack', () => lines.some((l) => l.includes('agora-flow is running')));
  await waitReady(api);
}, 240_000);

afterAll(async () => {
  if (start && start.exitCode === null) start.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('brings its Temporal server back after a SIGKILL under load: nothing lost, 503s at worst, no person involved', async () => {
    const who = await partners(api);
    let killed: number | null = null;
    const load = await partnerLoad([api], who.tokens, who.parties, 20, {
      prefix: `NS-${process.pid}`,
      concurrency: 4,
      onProgress: (done, total) => {
        if (killed === null && done >= total * 0.25) {
          killed = Number(readFileSync(join(dir, 'temporal.pid'), 'utf8'));
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    expect(killed).not.toBeNull();
    expect(lines.some((l) => /the Temporal server exited/.test(l))).toBe(true);
    expect(lines.some((l) => /the Temporal server is back/.test(l))).toBe(true);
    const check = await verify(api, databaseUrl, load);
    expect({ ...check, accepted: load.accepted }).toEqual({
      lost: 0,
      duplicated: 0,
      unexpected: 0,
      readModelBehind: 0,
      ledgerBehind: 0,
      accepted: load.sent,
    });
    // The outage was seen as 503 (safe to retry), never as another server error.
    const serverErrors = Object.keys(load.failures).filter((s) => s.startsWith('5') && s !== '503');
    expect(serverErrors).toEqual([]);
    expect(load.failures.network ?? 0).toBe(0);
    console.log(`npm start, Temporal killed: ${JSON.stringify(load.failures)} of ${load.attempts} calls`);
  }, 300_000);

  it('stops on Ctrl-C: the worker and the API first, then the Temporal server, with no error after', async () => {
    const temporalPid = Number(readFileSync(join(dir, 'temporal.pid'), 'utf8'));
    const from = lines.length;
    start.kill('SIGINT');
    await until('the stop', () => start.exitCode !== null, 60);
    expect(start.exitCode).toBe(0);
    const after = lines.slice(from);
    expect(after.some((l) => l.includes('stopped'))).toBe(true);
    // No connection error from a worker whose server went first.
    const complaints = after.filter((l) => l.startsWith('[worker]') && /"level":(40|50|60)/.test(l));
    expect(complaints).toEqual([]);
    expect(() => process.kill(temporalPid, 0)).toThrow();
  }, 90_000);
});
