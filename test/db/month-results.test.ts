import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { importDsnMonth } from '../../db/dsn-import';
import {
  dossierResultsUsingMonth,
  dossiersStillAwaiting,
  lookupMonths,
  periodsStillAwaiting,
} from '../../db/dsn-lookup';
import { openOrm } from '../../db/orm';
import type { MikroORM } from '../../db/orm';
import { type ContractLine, bestJob } from '../../domain/best-job';
import { keyFingerprint, nirHasher } from '../../infra/pseudonym';
import { nir, siret, uid } from '../helpers/fixtures';
import { TEST_DATA_KEY } from '../helpers/stack';

/**
 * The month's set-based wake-up (db/dsn-lookup.ts `dossierResultsUsingMonth`) reads, for every
 * dossier registered for a month, the same lines as the per-dossier look-up (`lookupMonths`), so
 * the same situation: on randomized months and people (fast-check, fixed seed; FUZZ_SEED=<n>).
 */
const hashNir = nirHasher({ AGORA_DATA_KEY: TEST_DATA_KEY });
const hashKey = keyFingerprint(hashNir);
let orm: MikroORM;
const created: string[] = [];

beforeAll(async () => {
  orm = await openOrm(inject('databaseUrl'), { poolMax: 2 });
});
afterAll(async () => {
  if (created.length)
    await orm.em
      .getConnection()
      .execute('delete from dossiers where dossier_id = any(?::varchar[])', [
        `{${created.map((id) => `"${id}"`).join(',')}}`,
      ]);
  await orm?.close();
});

// Months of the 1800s: no other test file uses them.
let counter = 0;
const freshMonth = () =>
  `18${String(10 + (counter++ % 89)).padStart(2, '0')}-${String((counter % 12) + 1).padStart(2, '0')}`;

const person = fc.integer({ min: 0, max: 11 });
const line = fc.record({
  who: person,
  employer: fc.integer({ min: 0, max: 3 }),
  naf: fc.constantFrom('6201Z', '4711D', '8559A'),
  nature: fc.constantFrom('01', '02', '03', '07', '29'),
  debut: fc.integer({ min: 0, max: 40 }),
  fin: fc.option(fc.integer({ min: 41, max: 70 }), { nil: null }),
  heures: fc.integer({ min: 1, max: 20_000 }),
});
const scenario = fc.record({
  lines: fc.array(line, { maxLength: 40 }),
  // Who has a dossier registered for the month (some with no line), and who is not in the read model yet.
  registered: fc.uniqueArray(person, { minLength: 1, maxLength: 12 }),
  unprojected: fc.uniqueArray(person, { maxLength: 3 }),
});

const nirOf = (i: number) => nir(`18005751234${String(i).padStart(2, '0')}`);
const day = (n: number) => new Date(Date.UTC(2019, 0, 1 + n * 9)).toISOString().slice(0, 10);
const sorted = (xs: ContractLine[]) =>
  xs
    .map((l) =>
      JSON.stringify([l.siret, l.naf, l.natureContrat, l.dateDebutContrat, l.dateFinContrat, l.heures]),
    )
    .sort();

describe("the month's set-based wake-up", () => {
  it('reads for each registered dossier the lines, and so the situation, of the per-dossier look-up', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261130);
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const mois = freshMonth();
        const csv = [
          'nir,siret,naf,natureContrat,dateDebutContrat,dateFinContrat,heures',
          ...s.lines.map(
            (l) =>
              `${nirOf(l.who)},${siret(`5555555500${String(l.employer).padStart(3, '0')}`)},${l.naf},${l.nature},${day(l.debut)},${l.fin === null ? '' : day(l.fin)},${(l.heures / 100).toFixed(2)}`,
          ),
        ].join('\n');
        const loaded = await importDsnMonth({
          databaseUrl: inject('databaseUrl'),
          mois,
          format: 'csv',
          source: Readable.from([csv]),
          hashNir,
        });
        const conn = orm.em.getConnection();
        const run = uid();
        const ids = s.registered.map((w) => `PROP-${run}-${String(w).padStart(2, '0')}`);
        for (const [i, w] of s.registered.entries()) {
          const id = ids[i]!;
          await conn.execute('insert into dossier_dsn_months (mois, dossier_id) values (?, ?)', [mois, id]);
          if (s.unprojected.includes(w)) continue;
          created.push(id);
          await conn.execute(
            `insert into dossiers (dossier_id, version, status, interrompu, organisme_siret, financeur_sirets,
               region, dispositif, objectif, created_at, updated_at, data, nir_hash)
             values (?, 1, 'CLOS', false, '00000000000000', '{}', '06', 'PROP', 'PROP', now(), now(), '{}'::jsonb, ?)`,
            [id, hashNir(nirOf(w))],
          );
        }
        const results = [];
        for (let after = ''; ;) {
          const page = await dossierResultsUsingMonth(
            orm.em.fork(),
            { mois, version: loaded.version, hashKey },
            after,
            5,
          );
          if (page.length === 0) break;
          results.push(...page);
          after = page.at(-1)!.id;
        }
        expect(results.map((r) => r.id)).toEqual([...ids].sort());
        for (const r of results) {
          const w = Number(r.id.slice(-2));
          if (s.unprojected.includes(w)) {
            // Not in the read model yet: the dossier looks the month up itself.
            expect(r.lines).toBeNull();
            continue;
          }
          const one = (await lookupMonths(orm.em.fork(), r.id, hashNir(nirOf(w)), [mois], hashKey))[mois];
          expect(one).not.toBeNull();
          expect(sorted(r.lines!)).toEqual(sorted(one!.lines));
          expect(bestJob(r.lines!)).toEqual(bestJob(one!.lines));
        }
        // A month since reloaded, or hashed with another key: nothing read, every dossier looks it up.
        const stale = await dossierResultsUsingMonth(
          orm.em.fork(),
          { mois, version: loaded.version - 1, hashKey },
          '',
          50,
        );
        expect(stale.every((r) => r.lines === null)).toBe(true);
        const foreign = await dossierResultsUsingMonth(
          orm.em.fork(),
          { mois, version: loaded.version, hashKey: 'other' },
          '',
          50,
        );
        expect(foreign.every((r) => r.lines === null)).toBe(true);
      }),
      { numRuns: 12, seed },
    );
  }, 120_000);

  it("tells which of the signalled dossiers still await the month (the wake-up's pace)", async () => {
    const mois = freshMonth();
    const run = uid();
    const conn = orm.em.getConnection();
    const situations = (statut: string, m = mois) =>
      JSON.stringify({ situations: [{ point: 'VALIDATION', mois: m, statut }] });
    // Ids as partners may choose them: NULL is an id like another.
    const rows: [string, string][] = [
      [`W-${run}-a`, situations('EN_ATTENTE')],
      [`W-${run}-b`, situations('EN_EMPLOI')],
      [`W-${run}-c`, situations('EN_ATTENTE', '1799-01')],
      ['NULL', situations('EN_ATTENTE')],
    ];
    for (const [id, data] of rows) {
      await conn.execute('delete from dossiers where dossier_id = ?', [id]);
      created.push(id);
      await conn.execute(
        `insert into dossiers (dossier_id, version, status, interrompu, organisme_siret, financeur_sirets,
           region, dispositif, objectif, created_at, updated_at, data, nir_hash)
         values (?, 1, 'VALIDE', false, '00000000000000', '{}', '06', 'PROP', 'PROP', now(), now(), ?::jsonb, null)`,
        [id, data],
      );
    }
    const asked = [...rows.map(([id]) => id), `W-${run}-not-there`];
    expect((await dossiersStillAwaiting(orm.em.fork(), mois, asked)).sort()).toEqual(['NULL', `W-${run}-a`]);
    expect(await dossiersStillAwaiting(orm.em.fork(), mois, [])).toEqual([]);
    expect(await periodsStillAwaiting(orm.em.fork(), mois, [`W-${run}-a`])).toEqual([]);
  });
});
