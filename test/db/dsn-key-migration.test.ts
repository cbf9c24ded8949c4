import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { lookupMonths } from '../../db/dsn-lookup';
import { type MikroORM, openOrm } from '../../db/orm';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { ensureDatabase } from '../../scripts/postgres';
import { nir, siret } from '../helpers/fixtures';
import { TEST_DATA_KEY } from '../helpers/stack';

// A database of its own: a month loaded as the release before the key column left it (indexed on
// the 32 bytes of the hash), then the migration that keys it on their first 8 as a bigint.
const url = (() => {
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_dsn_key';
  return u.toString();
})();
const hashNir = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
const alice = nir('2850375123456');
const bob = nir('1920169123456');
const employer = siret('5555555500001');
const BEFORE = 'Migration20261220000000_pending_load';
const PARTITION = 'dsn_lines_2020_01_v1';
let orm: MikroORM;
let db: pg.Client;

beforeAll(async () => {
  await ensureDatabase(url, { fresh: true });
  orm = await openOrm(url, { poolMax: 2 });
  await orm.getMigrator().up({ to: BEFORE });
  db = new pg.Client({ connectionString: url });
  await db.connect();
  // The month as the import of that release wrote it.
  await db.query(
    `create table ${PARTITION} (like dsn_lines, constraint ${PARTITION}_mois check (mois = '2020-01'))`,
  );
  for (const [who, heures] of [
    [alice, 151.67],
    [alice, 20],
    [bob, 35],
  ] as const)
    await db.query(
      `insert into ${PARTITION} (mois, nir_hash, siret, naf, nature, date_debut, date_fin, heures)
       values ('2020-01', $1, $2, '6201Z', '01', '2019-06-01', null, $3)`,
      [hashNir(who), employer, heures],
    );
  await db.query(`create index ${PARTITION}_nir on ${PARTITION} (nir_hash)`);
  await db.query(`alter table dsn_lines attach partition ${PARTITION} for values in ('2020-01')`);
  await db.query(
    `insert into dsn_months (mois, version, lignes, partition_name, loaded_at, hash_key)
     values ('2020-01', 1, 3, $1, now(), $2)`,
    [PARTITION, keyFingerprint(hashNir)],
  );
});
afterAll(async () => {
  await db?.end();
  await orm?.close();
});

const indexes = async () =>
  (
    await db.query<{ indexname: string }>('select indexname from pg_indexes where tablename = $1', [
      PARTITION,
    ])
  ).rows
    .map((r) => r.indexname)
    .sort();
const hours = async (who: string) =>
  (await lookupMonths(orm.em.fork(), `T-${who}`, hashNir(who), ['2020-01'], keyFingerprint(hashNir)))[
    '2020-01'
  ]?.lines
    .map((l) => l.heures)
    .sort((a, b) => a - b);

describe('the DSN months keyed on the hash prefix (migration)', () => {
  it('gives a loaded month its keys and their index, and the look-ups still find each person', async () => {
    const file = async () =>
      (await db.query<{ f: string }>('select pg_relation_filenode($1)::text as f', [PARTITION])).rows[0]!.f;
    const before = await file();
    await orm.getMigrator().up();
    // Rewritten once, compact (an UPDATE would keep the file and double it).
    expect(await file()).not.toBe(before);
    const { rows } = await db.query<{ nir_hash: Buffer; nir_key: string }>(
      `select nir_hash, nir_key::text from dsn_lines where mois = '2020-01'`,
    );
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(BigInt(r.nir_key)).toBe(r.nir_hash.readBigInt64BE(0));
    expect(await indexes()).toEqual([`${PARTITION}_key`]);
    expect(await hours(alice)).toEqual([20, 151.67]);
    expect(await hours(bob)).toEqual([35]);
    // A look-up reads the key's index (the planner would scan three lines whole).
    await db.query('set enable_seqscan = off');
    const plan = await db.query(
      `explain select * from dsn_lines where mois = '2020-01' and nir_key = dsn_nir_key($1) and nir_hash = $1`,
      [hashNir(alice)],
    );
    expect(JSON.stringify(plan.rows)).toContain(`${PARTITION}_key`);
  });

  it('goes back down to the hash index', async () => {
    // Down to and including the key's migration, whatever comes after it.
    await orm.getMigrator().down({ to: 'Migration20261221000000_dsn_nir_key' });
    expect(await indexes()).toEqual([`${PARTITION}_nir`]);
    const { rows } = await db.query(
      `select column_name from information_schema.columns where table_name = 'dsn_lines' and column_name = 'nir_key'`,
    );
    expect(rows).toHaveLength(0);
  });
});
