import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ensureHashKey } from '../../db/hash-key';
import { migrate, openOrm } from '../../db/orm';
import { ROOT } from '../../infra/paths';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { ensureDatabase } from '../../scripts/postgres';
import { freePort } from '../helpers/global-setup';
import { ADMIN_TOKEN, TEST_DATA_KEY } from '../helpers/stack';

const dir = mkdtempSync(join(tmpdir(), 'agora-foreign-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `npm start` on a database that another install made (another clone's keys): said once, clearly,
 * and the start stops, rather than an API and a worker refused by the database again and again.
 */
describe('npm start on another install’s database', () => {
  it('stops at once and says which database and what to do', async () => {
    const u = new URL(inject('databaseUrl'));
    u.pathname = '/agora_test_foreign_install';
    const databaseUrl = u.toString();
    await ensureDatabase(databaseUrl, { fresh: true });
    const orm = await openOrm(databaseUrl, { poolMax: 1 });
    try {
      await migrate(orm);
      // The other install recorded its own key's fingerprint.
      const other = nirHasher({ AGORA_DATA_KEY: randomBytes(32).toString('base64') });
      await ensureHashKey(orm.em.fork(), keyFingerprint(other));
    } finally {
      await orm.close();
    }
    const start = spawn(process.execPath, [join(ROOT, 'scripts/bootstrap.mjs'), 'scripts/start.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        AGORA_DATA_DIR: dir,
        PORT: String(await freePort()),
        TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
        AGORA_TEMPORAL_EMBEDDED: '1',
        DATABASE_URL: databaseUrl,
        AGORA_ADMIN_TOKEN: ADMIN_TOKEN,
        AGORA_DATA_KEY: TEST_DATA_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a start that went on is stopped whole (its servers too).
      detached: true,
    });
    let output = '';
    for (const stream of [start.stdout!, start.stderr!]) stream.on('data', (d: Buffer) => (output += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        process.kill(-start.pid!, 'SIGKILL');
        resolve(null);
      }, 90_000);
      start.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, output).toBe(1);
    expect(output).toContain('/agora_test_foreign_install belongs to another install of agora-flow');
    expect(output).toContain('Set DATABASE_URL to another database');
    // Nothing was started: no Temporal server, no worker, no API.
    expect(output).not.toContain('starting the Temporal dev server');
  }, 120_000);
});
