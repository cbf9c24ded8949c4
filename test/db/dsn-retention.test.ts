import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { importDsnMonth, listMonths } from '../../db/dsn-import';
import { purgeDsnMonths } from '../../db/dsn-retention';
import { migrate, openOrm } from '../../db/orm';
import { ensureDatabase } from '../../scripts/postgres';
import { nirHasher } from '../../infra/pseudonym';
import { TEST_DATA_KEY } from '../helpers/stack';

// A database of its own: the purge drops months, which other test files load concurrently.
const url = (() => {
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_retention';
  return u.toString();
})();
let db: pg.Client;

beforeAll(async () => {
  await ensureDatabase(url, { fresh: true });
  const orm = await openOrm(url, { poolMax: 1 });
  await migrate(orm);
  await orm.close();
  db = new pg.Client({ connectionString: url });
  await db.connect();
});
afterAll(async () => db?.end());

async function month(mois: string) {
  await importDsnMonth({
    databaseUrl: url,
    mois,
    format: 'csv',
    source: Readable.from(['nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n']),
    hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
  });
}

async function dossier(id: string, dates: { sortie?: string; cloture?: string }, months: string[]) {
  await db.query(
    `insert into dossiers (dossier_id, version, status, interrompu, organisme_siret, financeur_sirets, region,
       dispositif, objectif, created_at, updated_at, data)
     values ($1, 1, 'SORTI', false, '12345678200010', '{23840001500018}', '84', 'PRF', 'X', now(), now(), $2)`,
    [id, JSON.stringify({ dates: { sortie: null, cloture: null, ...dates } })],
  );
  for (const m of months)
    await db.query('insert into dossier_dsn_months (mois, dossier_id) values ($1, $2)', [m, id]);
}

describe('DSN retention', () => {
  it('drops only the months that every dossier using them is past its 24-month horizon', async () => {
    for (const m of ['2020-01', '2020-02', '2020-03', '2020-04', '2020-05', '2026-10']) await month(m);
    await dossier('A', { sortie: '2021-01-31' }, ['2020-01']); // horizon 2023-01-31: past
    await dossier('B', { sortie: '2025-06-01' }, ['2020-02']); // horizon 2027: still in use
    await dossier('C', { cloture: '2020-12-01' }, ['2020-05']); // closed without exit: past
    await db.query(
      "insert into dossier_dsn_months (mois, dossier_id) values ('2020-04', 'NOT-PROJECTED-YET')",
    );

    const purged = await purgeDsnMonths(url, new Date('2026-11-29T00:00:00Z'));
    expect(purged).toEqual(['2020-01', '2020-03', '2020-05']);
    expect((await listMonths(async (sql) => (await db.query(sql)).rows)).map((m) => m.mois)).toEqual([
      '2020-02',
      '2020-04',
      '2026-10',
    ]);
    const { rows } = await db.query(
      "select to_regclass('dsn_lines') is not null as ok, count(*)::int as n from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relname like 'dsn_lines_2020_01%'",
    );
    expect(rows[0].n).toBe(0);
    expect(await purgeDsnMonths(url, new Date('2026-11-29T00:00:00Z'))).toEqual([]);
  });
});
