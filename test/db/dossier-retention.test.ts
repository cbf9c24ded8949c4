import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createDossierGateway } from '../../api/dossier-gateway';
import { ApiError } from '../../api/errors';
import { ADMIN } from '../../domain/authorization';
import type { DossierAggregate } from '../../domain/dossier-aggregate';
import { applyDecision, createAggregate, decide } from '../../domain/dossier-aggregate';
import type { DossierEvent } from '../../domain/schemas';
import { createRecordStore } from '../../db/dossier-records';
import { purgeClosedDossiers, purgeClosedPeriods, retentionCutoff } from '../../db/dossier-retention';
import { createCepGateway } from '../../api/cep-gateway';
import { isPurgedPeriod, readCepRow, upsertCepRecord } from '../../db/cep-record';
import { openPeriod } from '../../domain/cep-aggregate';
import type { CepState } from '../../domain/cep-state';
import { CEP_OPERATOR, createBody, openPeriodBody } from '../helpers/fixtures';
import { migrate, openOrm } from '../../db/orm';
import { createProjector } from '../../db/projection-intents';
import { bodyHash } from '../../infra/canonical-hash';
import { sealer } from '../../infra/sealing';
import { ensureDatabase } from '../../scripts/postgres';
import { TEST_DATA_KEY } from '../helpers/stack';

// A database of its own: the purge deletes every dossier closed long enough ago, and other test
// files close dossiers concurrently.
const url = (() => {
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_dossier_retention';
  return u.toString();
})();
let orm: MikroORM;
const keys = sealer({ AGORA_DATA_KEY: TEST_DATA_KEY });

beforeAll(async () => {
  await ensureDatabase(url, { fresh: true });
  orm = await openOrm(url, { poolMax: 2 });
  await migrate(orm);
});
afterAll(async () => orm?.close());

const count = async (table: string, dossierId: string) =>
  (
    await orm.em
      .getConnection()
      .execute<{ n: number }[]>(`select count(*)::int as n from ${table} where dossier_id = ?`, [dossierId])
  )[0]!.n;

/** A dossier's whole life through the domain, written as the API writes it: claim, then record. */
async function dossier(dates: { creation: string; closed: string }, waitingPoint = false) {
  const projector = createProjector({ orm, hashNir: () => Buffer.alloc(32, 1), seal: keys.seal });
  const body = createBody({ date: dates.creation });
  const now = `${dates.closed}T12:00:00.000Z`;
  let agg: DossierAggregate = createAggregate({
    body,
    bodyHash: bodyHash(body),
    actor: ADMIN,
    receivedAt: now,
  });
  const events = [
    { eventId: randomUUID(), type: 'VALIDATION', date: dates.creation },
    { eventId: randomUUID(), type: 'ANNULATION', date: dates.closed },
  ] as DossierEvent[];
  for (const event of events) {
    const cmd = { event, bodyHash: bodyHash(event), actor: ADMIN, receivedAt: now };
    agg = applyDecision(agg, cmd, decide(agg, cmd, { now }), { now });
  }
  // The validation's month: final, unless the dossier is to keep one point waiting.
  const situations = agg.state.situations.map((s) =>
    s.point === 'VALIDATION' && !waitingPoint ? { ...s, statut: 'NON_DISPONIBLE' as const } : s,
  );
  const claim = await projector.claim(body.dossierId, agg.creation);
  await projector.project({ state: { ...agg.state, situations }, entries: agg.unledgered }, claim.intentId);
  return body;
}

describe('the retention purge of closed dossiers', () => {
  it('deletes the records closed before the cutoff whose follow-up is over, and keeps their ids', async () => {
    const old = await dossier({ creation: '2014-03-01', closed: '2015-06-30' });
    const waiting = await dossier({ creation: '2014-03-01', closed: '2015-06-30' }, true);
    const recent = await dossier({ creation: '2026-01-05', closed: '2026-01-20' });
    expect(await count('dossier_events', old.dossierId)).toBe(3);

    const later = new Date(Date.now() + 60_000);
    const purged = await purgeClosedDossiers(orm.em.fork(), {
      closedBefore: retentionCutoff(10),
      updatedBefore: later,
      batch: 1,
    });
    expect(purged).toEqual({ dossiers: 1, events: 3 });
    for (const table of [
      'dossiers',
      'dossier_facts',
      'dossier_events',
      'dossier_dsn_months',
      'projection_intents',
    ])
      expect(await count(table, old.dossierId), table).toBe(0);
    expect(await count('dossiers', waiting.dossierId)).toBe(1);
    expect(await count('dossiers', recent.dossierId)).toBe(1);

    // A short setting (a few days) takes the recent one too.
    expect(
      await purgeClosedDossiers(orm.em.fork(), {
        closedBefore: retentionCutoff(0.001),
        updatedBefore: later,
      }),
    ).toEqual({ dossiers: 1, events: 3 });
    // Nothing written since `updatedBefore` goes.
    const fresh = await dossier({ creation: '2014-03-01', closed: '2015-06-30' });
    expect(
      await purgeClosedDossiers(orm.em.fork(), {
        closedBefore: retentionCutoff(0.001),
        updatedBefore: new Date(0),
      }),
    ).toEqual({ dossiers: 0, events: 0 });
    expect(await count('dossiers', fresh.dossierId)).toBe(1);

    // Gone from the record, and the id is never reused, not even by its own creation.
    const records = createRecordStore(orm, keys.open);
    expect(await records.state(old.dossierId)).toBeNull();
    expect(await count('dossier_ids', old.dossierId)).toBe(1);
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    try {
      const gateway = createDossierGateway({
        client: new Client({ connection }),
        taskQueue: 'none',
        projector: createProjector({ orm, hashNir: () => Buffer.alloc(32), seal: keys.seal }),
        records,
        vouchKey: '00',
      });
      const err = await gateway.create(old, ADMIN, new Date().toISOString()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('ALREADY_EXISTS');
    } finally {
      await connection.close();
    }
  });

  it('counts a cutoff in days from a number of years', () => {
    expect(retentionCutoff(10, new Date('2026-11-29T10:00:00Z'))).toBe('2016-11-29');
    expect(retentionCutoff(0.01, new Date('2026-11-29T10:00:00Z'))).toBe('2026-11-25');
  });

  it("deletes a CEP period's record once its follow-up is over and its workflow has ended, keeping its id", async () => {
    const hashNir = () => Buffer.alloc(32, 2);
    const period = async (closed: string, statut: 'NON_DISPONIBLE' | 'EN_ATTENTE', updatedAt: string) => {
      const body = openPeriodBody({
        eventId: randomUUID(),
        periodeId: `ML-R-${randomUUID().slice(0, 8)}`,
        date: '2014-01-06',
      });
      const state: CepState = {
        ...openPeriod({ body, bodyHash: 'h', actor: CEP_OPERATOR, receivedAt: updatedAt }).state,
        statut: 'CLOSE',
        motifCloture: 'ABANDON',
        updatedAt,
      };
      state.dates = { ...state.dates, cloture: closed };
      state.suivi = state.suivi.map((p) => ({ ...p, mois: closed.slice(0, 7), statut }));
      const entry = {
        seq: 1,
        eventId: body.eventId,
        type: 'CREATION' as const,
        date: body.date,
        receivedAt: updatedAt,
        source: CEP_OPERATOR.siret,
        bodyHash: 'h',
      };
      await upsertCepRecord(orm.em.fork(), { state, entries: [entry] }, { hashNir, seal: keys.seal });
      return body;
    };
    const old = await period('2014-02-01', 'NON_DISPONIBLE', '2016-03-01T00:00:00.000Z');
    const waiting = await period('2014-02-01', 'EN_ATTENTE', '2016-03-01T00:00:00.000Z');
    const recent = await period('2024-02-01', 'NON_DISPONIBLE', '2026-03-01T00:00:00.000Z');
    const touched = await period('2014-02-01', 'NON_DISPONIBLE', new Date().toISOString());
    const purged = await purgeClosedPeriods(orm.em.fork(), {
      closedBefore: '2016-11-29',
      updatedBefore: new Date(Date.now() - 35 * 86_400_000),
    });
    expect(purged).toEqual({ periodes: 1, events: 1 });
    expect(await readCepRow(orm.em.fork(), old.periodeId)).toBeNull();
    for (const kept of [waiting, recent, touched])
      expect(await readCepRow(orm.em.fork(), kept.periodeId)).not.toBeNull();
    expect(await isPurgedPeriod(orm.em.fork(), old.periodeId)).toBe(true);
    expect(await isPurgedPeriod(orm.em.fork(), recent.periodeId)).toBe(false);
    // Its id is not reused: an opening with it is refused before any workflow starts.
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    try {
      const gateway = createCepGateway({
        client: new Client({ connection }),
        orm,
        taskQueue: 'none',
        unseal: keys.open,
        vouchKey: '00',
      });
      const err = await gateway.open(old, CEP_OPERATOR, new Date().toISOString()).catch((e: unknown) => e);
      expect((err as ApiError).code).toBe('ALREADY_EXISTS');
      expect((err as ApiError).message).toMatch(/retention/);
    } finally {
      await connection.close();
    }
  });
});
