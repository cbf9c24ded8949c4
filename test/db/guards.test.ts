import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ADMIN } from '../../domain/authorization';
import { createAggregate } from '../../domain/dossier-aggregate';
import { upsertDossier } from '../../db/dossier-read-model';
import { importDsnMonth } from '../../db/dsn-import';
import { lookupMonths } from '../../db/dsn-lookup';
import { HashKeyMismatchError } from '../../db/hash-key';
import { openOrm } from '../../db/orm';
import { bodyHash } from '../../infra/canonical-hash';
import { loadEnv } from '../../infra/env';
import { createLogger, redactDeep } from '../../infra/logger';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { TEST_DATA_KEY, createBody } from '../helpers/fixtures';

/** The guards around keys and logs (issue 14, items 10 and 12), on the real database. */
let orm: MikroORM;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => orm?.close());

const otherKey = Buffer.alloc(32, 9).toString('base64');
const header = 'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures\n';

describe('the NIR hash key', () => {
  it("refuses to import a month hashed with another key than the platform's", async () => {
    const err = await importDsnMonth({
      databaseUrl: inject('databaseUrl'),
      mois: '2001-02',
      format: 'csv',
      source: Readable.from([header]),
      hashNir: nirHasher({ AGORA_DATA_KEY: otherKey }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HashKeyMismatchError);
    expect((err as Error).message).toMatch(/another key/);
    const months = await orm.em.getConnection().execute("select 1 from dsn_months where mois = '2001-02'");
    expect(months).toEqual([]);
  });

  it('never reads a month hashed under another key as "no job": the look-up fails instead', async () => {
    const hashNir = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
    await importDsnMonth({
      databaseUrl: inject('databaseUrl'),
      mois: '2001-03',
      format: 'csv',
      source: Readable.from([header]),
      hashNir,
    });
    const ours = keyFingerprint(hashNir);
    expect(await lookupMonths(orm.em.fork(), 'T-key', hashNir('x'), ['2001-03'], ours)).toMatchObject({
      '2001-03': { lines: [] },
    });
    // As if the month had been loaded by a process with another key.
    await orm.em
      .getConnection()
      .execute("update dsn_months set hash_key = 'ffffffffffffffff' where mois = '2001-03'");
    await expect(
      lookupMonths(orm.em.fork(), 'T-key', hashNir('x'), ['2001-03'], ours),
    ).rejects.toBeInstanceOf(HashKeyMismatchError);
  });

  it('refuses a rotation of the data key without AGORA_HASH_KEY', () => {
    expect(() => loadEnv({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: otherKey })).toThrow(
      /AGORA_HASH_KEY/,
    );
    expect(
      loadEnv({ AGORA_DATA_KEY: TEST_DATA_KEY, AGORA_DATA_KEYS_OLD: otherKey, AGORA_HASH_KEY: otherKey })
        .AGORA_HASH_KEY,
    ).toBe(otherKey);
  });
});

describe('logs', () => {
  const capture = () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    return { lines, logger: createLogger('info', 'test', stream) };
  };

  it('redact personal fields at any depth', () => {
    const { lines, logger } = capture();
    logger.info(
      { a: { b: [{ stagiaire: { nom: 'Martin' } }, { c: { nir: '180057512345627', ok: 1 } }] } },
      'x',
    );
    expect(lines.join('')).not.toMatch(/Martin|180057512345627/);
    expect(JSON.parse(lines[0]!).a.b[1].c).toEqual({ nir: '[redacted]', ok: 1 });
    expect(redactDeep({ prenom: 'Lea', d: { dateNaissance: '1980-05-02' } })).toEqual({
      prenom: '[redacted]',
      d: { dateNaissance: '[redacted]' },
    });
  });

  it('never write a database error that echoes a row: its code only', async () => {
    const body = createBody({
      stagiaire: { nir: '180057512345627', nom: 'Zébulon', prenom: 'Lea', dateNaissance: '1980-05-02' },
    });
    const agg = createAggregate({
      body,
      bodyHash: bodyHash(body),
      actor: ADMIN,
      receivedAt: '2026-01-15T08:00:00Z',
    });
    // A date PostgreSQL refuses (year 0): the driver's message inlines the whole row.
    const state = { ...agg.state, dates: { ...agg.state.dates, entree: '0000-01-01' } };
    // Written as the sweeper writes, in a transaction (MikroORM's query, the values inlined).
    const err = await orm.em
      .fork()
      .transactional((tx) => upsertDossier(tx, state, { hash: Buffer.alloc(32), sealed: Buffer.alloc(1) }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain('Zébulon');
    const { lines, logger } = capture();
    logger.warn({ err }, 'projection failed');
    logger.warn({ nested: { cause: err } }, 'again');
    const text = lines.join('');
    expect(text).not.toContain('Zébulon');
    expect(text).toContain('message withheld');
  });
});
