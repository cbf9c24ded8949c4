import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../domain/authorization';
import { ADMIN, canSee } from '../../domain/authorization';
import { PARTNER_KINDS } from '../../domain/code-lists';
import type { DossierParties } from '../../domain/dossier-state';
import { Params, literals, visibleSql } from '../../db/visibility';
import { openOrm } from '../../db/orm';

/**
 * "Who may see a dossier" is written once (domain/authorization.ts) and translated to SQL
 * (db/visibility.ts): over a grid of actors and dossiers, the SQL with bind parameters, the SQL
 * with literals (the regional file's COPY) and `canSee` must select the same dossiers.
 */
let orm: MikroORM;
beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => orm?.close());

const A = '11111111111111';
const B = '22222222222222';
const C = '33333333333333';

const dossiers: (DossierParties & { id: string })[] = [];
for (const organismeSiret of [A, B])
  for (const financeurSirets of [[], [A], [B], [A, C]])
    for (const region of ['84', '11'])
      for (const remunerateurSiret of [null, C])
        dossiers.push({
          id: `D${dossiers.length}`,
          organismeSiret,
          financeurSirets,
          region,
          remunerateurSiret,
        });

const actors: Actor[] = [ADMIN];
for (const kind of PARTNER_KINDS)
  for (const siret of [A, B, C])
    for (const region of ['84', '11', undefined])
      actors.push({ admin: false, partnerId: 'p', siret, kind, ...(region ? { region } : {}) });

const grid = dossiers
  .map(
    (d) =>
      `('${d.id}', '${d.organismeSiret}', array[${d.financeurSirets.map((s) => `'${s}'`).join(',')}]::varchar(14)[], '${d.region}', ${d.remunerateurSiret ? `'${d.remunerateurSiret}'` : 'null'}::varchar(14))`,
  )
  .join(',\n');

async function selected(condition: string, params: unknown[]): Promise<string[]> {
  const rows = await orm.em.getConnection().execute<{ id: string }[]>(
    `with f(id, organisme_siret, financeur_sirets, region, remunerateur_siret) as (values ${grid})
     select id from f where ${condition} order by id`,
    params,
  );
  return rows.map((r) => r.id);
}

describe('visibility: one rule, in memory and in SQL', () => {
  it(`agrees for ${actors.length} actors x ${dossiers.length} dossiers`, async () => {
    let disagreements = 0;
    for (const actor of actors) {
      const expected = dossiers
        .filter((d) => canSee(actor, d))
        .map((d) => d.id)
        .sort();
      const params = new Params();
      const bound = await selected(visibleSql(actor, 'f', params), params.list);
      const inlined = await selected(visibleSql(actor, 'f', literals), []);
      expect({ actor, rows: bound }).toEqual({ actor, rows: expected });
      expect({ actor, rows: inlined }).toEqual({ actor, rows: expected });
      if (bound.join() !== expected.join()) disagreements++;
    }
    expect(disagreements).toBe(0);
    // The grid is not trivial: some actors see nothing, some all, some a part.
    const counts = new Set(actors.map((a) => dossiers.filter((d) => canSee(a, d)).length));
    expect(counts.size).toBeGreaterThan(3);
  });

  it('refuses to inline anything but a SIRET or a region code', () => {
    const forged: Actor = { admin: false, partnerId: 'p', siret: "1' or '1'='1", kind: 'OPCO' };
    expect(() => visibleSql(forged, 'f', literals)).toThrow(/not a SIRET/);
  });
});
