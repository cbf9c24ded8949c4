import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { CepCommand } from '../../domain/cep-aggregate';
import { applyCep, decideCep, openPeriod } from '../../domain/cep-aggregate';
import { readCepRecord, upsertCepRecord } from '../../db/cep-record';
import { openOrm } from '../../db/orm';
import { nirHasher } from '../../infra/pseudonym';
import { sealer } from '../../infra/sealing';
import { CEP_OPERATOR, TEST_DATA_KEY, openPeriodBody } from '../helpers/fixtures';

/** A CEP period's record in PostgreSQL: written once per seq, never overwritten by an older version. */
let orm: MikroORM;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => orm?.close());

const keys = {
  hashNir: nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY }),
  seal: sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).seal,
};
const operator = CEP_OPERATOR;
const clock = { now: '2026-11-29T10:00:00.000Z' };

describe('the CEP record', () => {
  it('keeps the newest version, each ledger entry once, and the NIR sealed apart', async () => {
    const nir = '269054958815780';
    const body = openPeriodBody({
      eventId: 'open',
      periodeId: `ML-${randomUUID().slice(0, 8)}`,
      beneficiaire: { nir, nom: 'Martin', prenom: 'Léa', dateNaissance: '2001-06-14' },
      situation: 'AUTRE',
    });
    const opened = openPeriod({ body, bodyHash: 'h0', actor: operator, receivedAt: clock.now });
    const cmd: CepCommand = {
      event: { eventId: 's', type: 'SERVICE', date: '2026-03-10', service: 'BILAN', modalite: 'PRESENTIEL' },
      bodyHash: 'h1',
      actor: operator,
      receivedAt: clock.now,
    };
    const served = applyCep(opened, cmd, decideCep(opened, cmd, clock), clock);
    const em = orm.em.fork();
    await upsertCepRecord(em, { state: served.state, entries: served.unledgered }, keys);
    // A late write of the opening changes nothing: older version, entries already there.
    await upsertCepRecord(em, { state: opened.state, entries: opened.unledgered }, keys);
    const record = await readCepRecord(em, body.periodeId);
    expect(record?.data).toMatchObject({
      version: 2,
      services: { BILAN: 1 },
      operateurSiret: operator.siret,
    });
    expect(record?.entries.map((e) => [e.seq, e.type])).toEqual([
      [1, 'CREATION'],
      [2, 'SERVICE'],
    ]);
    expect(JSON.stringify(record)).not.toContain(nir);
    const [row] = await em
      .getConnection()
      .execute<{ nir_hash: Buffer; nir_sealed: Buffer }[]>(
        'select nir_hash, nir_sealed from cep_periodes where periode_id = ?',
        [body.periodeId],
      );
    expect(row!.nir_hash.equals(keys.hashNir(nir))).toBe(true);
    expect(sealer({ AGORA_DATA_KEY: TEST_DATA_KEY }).open(row!.nir_sealed)).toBe(nir);
    expect(await readCepRecord(em, 'nobody')).toBeNull();
  });
});
