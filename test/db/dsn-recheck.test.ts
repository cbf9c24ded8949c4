import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { dossiersWaitingOnLoadedMonths } from '../../db/dsn-lookup';
import { migrate, openOrm } from '../../db/orm';
import { ensureDatabase } from '../../scripts/postgres';

// A database of its own: the query looks at every loaded month, which other files load concurrently.
const url = (() => {
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_recheck';
  return u.toString();
})();
let db: pg.Client;
let orm: MikroORM;

beforeAll(async () => {
  await ensureDatabase(url, { fresh: true });
  orm = await openOrm(url, { poolMax: 2 });
  await migrate(orm);
  db = new pg.Client({ connectionString: url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await orm?.close();
});

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-29T04:00:00Z');

async function month(mois: string, version: number, hoursAgo: number) {
  await db.query(
    `insert into dsn_months (mois, version, lignes, partition_name, loaded_at) values ($1, $2, 0, 'none', $3)`,
    [mois, version, new Date(NOW - hoursAgo * HOUR)],
  );
}

async function dossier(id: string, situations: { mois: string; statut: string }[]) {
  await db.query(
    `insert into dossiers (dossier_id, version, status, interrompu, organisme_siret, financeur_sirets, region,
       dispositif, objectif, created_at, updated_at, data)
     values ($1, 1, 'VALIDE', false, '12345678200010', '{23840001500018}', '84', 'PRF', 'X', now(), now(), $2)`,
    [id, JSON.stringify({ situations: situations.map((s, i) => ({ point: `P${i}`, ...s })) })],
  );
  for (const mois of new Set(situations.map((s) => s.mois)))
    await db.query('insert into dossier_dsn_months (mois, dossier_id) values ($1, $2)', [mois, id]);
}

describe('the central re-check of the DSN follow-up', () => {
  it('finds the dossiers still waiting on a month loaded over an hour and under 35 days ago', async () => {
    await month('2026-09', 11, 24 * 20); // in the window
    await month('2026-10', 12, 30 * 24 * 2); // 60 days ago: out of the window
    await month('2026-11', 13, 0.5); // half an hour ago: its own wake-up may still be running
    await dossier('A-waiting', [{ mois: '2026-09', statut: 'EN_ATTENTE' }]);
    await dossier('B-found', [{ mois: '2026-09', statut: 'EMPLOI' }]);
    await dossier('C-other-month', [
      { mois: '2026-09', statut: 'SANS_EMPLOI' },
      { mois: '2026-08', statut: 'EN_ATTENTE' }, // not loaded: its load will signal it
    ]);
    await dossier('D-old-load', [{ mois: '2026-10', statut: 'EN_ATTENTE' }]);
    await dossier('E-new-load', [{ mois: '2026-11', statut: 'EN_ATTENTE' }]);
    await dossier('F-waiting', [
      { mois: '2026-09', statut: 'EMPLOI' },
      { mois: '2026-09', statut: 'EN_ATTENTE' },
    ]);
    // A registration whose dossier has no row yet (its first projection pending): nothing to say.
    await db.query("insert into dossier_dsn_months (mois, dossier_id) values ('2026-09', 'G-unprojected')");

    const window = { loadedAfter: new Date(NOW - 35 * 24 * HOUR), loadedBefore: new Date(NOW - HOUR) };
    const all = await dossiersWaitingOnLoadedMonths(orm.em.fork(), window, { mois: '', dossierId: '' }, 100);
    expect(all).toEqual([
      { dossierId: 'A-waiting', mois: '2026-09', version: 11 },
      { dossierId: 'F-waiting', mois: '2026-09', version: 11 },
    ]);
    // Paged: the second page starts after the first's last row.
    const first = await dossiersWaitingOnLoadedMonths(orm.em.fork(), window, { mois: '', dossierId: '' }, 1);
    expect(first.map((m) => m.dossierId)).toEqual(['A-waiting']);
    const next = await dossiersWaitingOnLoadedMonths(
      orm.em.fork(),
      window,
      { mois: '2026-09', dossierId: 'A-waiting' },
      1,
    );
    expect(next.map((m) => m.dossierId)).toEqual(['F-waiting']);
  });
});
