import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ADMIN } from '../../domain/authorization';
import { createAggregate, type LedgerEntry } from '../../domain/dossier-aggregate';
import type { DossierState } from '../../domain/dossier-state';
import { upsertDossier } from '../../db/dossier-read-model';
import { openOrm } from '../../db/orm';
import { bodyHash } from '../../infra/canonical-hash';
import { createBody, uid } from '../helpers/fixtures';

/**
 * The change feed skips no version (CONTRACT.md, "Change feed and webhooks"), even when the
 * workflow records several of its own changes before its record is written once.
 */
let orm: MikroORM;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => orm?.close());

const nir = { hash: Buffer.alloc(32, 7), sealed: Buffer.alloc(1) };

async function fed(dossierId: string) {
  return orm.em
    .getConnection()
    .execute<{ version: number; type: string; source: string }[]>(
      "select version, type, source from changes where kind = 'DOSSIER' and entity_id = ? order by tx, id",
      [dossierId],
    );
}

describe("the platform's own changes in the feed", () => {
  it('publishes every version the record jumps over, typed by what changed', async () => {
    const body = createBody({ dossierId: `T-${uid()}` });
    const agg = createAggregate({
      body,
      bodyHash: bodyHash(body),
      actor: ADMIN,
      receivedAt: '2026-01-15T08:00:00Z',
    });
    const write = (state: DossierState, entries: LedgerEntry[] = []) =>
      upsertDossier(orm.em.fork(), state, nir, undefined, entries);
    await write(agg.state, agg.unledgered);
    // Two situations recorded, one write.
    const v3 = { ...agg.state, version: 3, updatedAt: '2026-03-01T08:00:00Z' };
    await write(v3);
    // A point recorded, then the certification settled: one write again.
    const v5: DossierState = {
      ...v3,
      version: 5,
      certification: { code: 'RNCP37674', statut: 'INCONNUE', blocs: [], dateObtention: null },
    };
    await write(v5);
    // A platform change, then a partner's event: the entry holds the latest version.
    const v7 = { ...v5, version: 7 };
    const entry: LedgerEntry = {
      seq: 2,
      eventId: `e-${uid()}`,
      type: 'VALIDATION',
      date: '2026-01-20',
      receivedAt: '2026-04-01T08:00:00Z',
      source: '12345678200010',
      version: 7,
      bodyHash: 'h',
    };
    await write(v7, [entry]);
    // Written again (the sweeper, a retry): nothing more.
    await write(v7, [entry]);
    // A later state still carrying that entry (its writer did not know it was ledgered): the
    // entry's version stays the entry's.
    const v8 = { ...v7, version: 8 };
    await write(v8, [entry]);
    // A certifier's result at the state's own version, a platform change before it: the change the
    // result made is not the platform's.
    const v10: DossierState = {
      ...v8,
      version: 10,
      certification: { code: 'RNCP37674', statut: 'OBTENUE_TOTALE', blocs: [], dateObtention: '2026-05-01' },
    };
    const result: LedgerEntry = {
      ...entry,
      seq: 3,
      eventId: `r-${uid()}`,
      type: 'CERTIFICATION',
      source: '98765432100017',
      version: 10,
    };
    // Another writer of the record (its snapshot older) published version 9 first: kept, not doubled.
    await orm.em.getConnection().execute(
      `insert into changes (kind, entity_id, version, type, received_at, source)
         values ('DOSSIER', ?, 9, 'SITUATION', now(), 'PLATEFORME')`,
      [body.dossierId],
    );
    await write(v10, [result]);
    expect(await fed(body.dossierId)).toEqual([
      { version: 1, type: 'CREATION', source: expect.any(String) },
      { version: 2, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 3, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 4, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 5, type: 'CERTIFICATION', source: 'PLATEFORME' },
      { version: 6, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 7, type: 'VALIDATION', source: '12345678200010' },
      { version: 8, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 9, type: 'SITUATION', source: 'PLATEFORME' },
      { version: 10, type: 'CERTIFICATION', source: '98765432100017' },
    ]);
  });
});
