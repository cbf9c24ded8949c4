import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { upsertDossier } from '../../db/dossier-read-model';
import { type MikroORM, migrate, openOrm } from '../../db/orm';
import { createState, type DossierState } from '../../domain/dossier-state';
import { toView } from '../../domain/dossier-view';
import { ensureDatabase } from '../../scripts/postgres';
import { createBody, SIRETS } from '../helpers/fixtures';

// A database of its own, migrated step by step: the read model as the previous release left it,
// then the indicators migration, which must backfill exactly what the new projection writes.
const url = (() => {
  const u = new URL(inject('databaseUrl'));
  u.pathname = '/agora_test_upgrade';
  return u.toString();
})();
let orm: MikroORM;
let db: pg.Client;

beforeAll(async () => {
  await ensureDatabase(url, { fresh: true });
  orm = await openOrm(url, { poolMax: 2 });
  await orm.getMigrator().up({ to: 'Migration20261129030000_tokens' });
  db = new pg.Client({ connectionString: url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  await orm?.close();
});

function richState(dossierId: string): DossierState {
  const body = createBody({
    dossierId,
    financements: [
      { financeurSiret: SIRETS.region84, montantEngage: 6400 },
      { financeurSiret: SIRETS.opco, montantEngage: 1200.5 },
    ],
  });
  const s = createState(body, '2026-01-15T10:00:00.000Z');
  const job = {
    natureContrat: '02',
    categorie: 'CDD' as const,
    siretEmployeur: SIRETS.autreOrganisme,
    codeNaf: '6201Z',
    heures: 120,
    dateDebutContrat: '2026-10-01',
    dateFinContrat: '2027-06-30',
    emploiDurable: true,
  };
  return {
    ...s,
    status: 'CLOS',
    issue: 'REALISATION_PARTIELLE',
    financements: [
      { financeurSiret: SIRETS.region84, montantEngage: 6400, montantRealise: 5000 },
      { financeurSiret: SIRETS.opco, montantEngage: 1200.5 },
    ],
    dates: {
      ...s.dates,
      validation: '2026-01-20',
      entree: '2026-02-01',
      sortie: '2026-09-30',
      cloture: '2026-10-10',
    },
    sortie: { motif: 'ABANDON' },
    situations: s.situations.map((p) =>
      p.point === 'SORTIE'
        ? { ...p, mois: '2026-09', statut: 'SANS_EMPLOI', multiEmploi: false }
        : p.point === 'M3'
          ? { ...p, mois: '2026-12', statut: 'EMPLOI', meilleurEmploi: job, multiEmploi: true }
          : p.point === 'VALIDATION'
            ? { ...p, mois: '2026-01', statut: 'NON_DISPONIBLE' }
            : p,
    ),
    version: 7,
  };
}

describe('the indicators migration', () => {
  it('backfills the facts and financing of existing dossiers as the projection writes them', async () => {
    const old = richState('UPG-OLD');
    // The row as the previous release's projection wrote it.
    await db.query(
      `insert into dossiers (dossier_id, version, status, interrompu, issue, organisme_siret, financeur_sirets,
         region, dispositif, objectif, created_at, updated_at, data, nir_hash, nir_sealed)
       values ($1, $2, $3, false, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)`,
      [
        old.dossierId,
        old.version,
        old.status,
        old.issue,
        old.organisme.siret,
        old.financements.map((f) => f.financeurSiret),
        old.action.region,
        old.action.dispositif,
        old.action.objectif,
        old.createdAt,
        JSON.stringify(toView(old, { fullNir: false })),
        Buffer.alloc(32, 1),
        Buffer.alloc(8, 2),
      ],
    );
    await migrate(orm);
    await upsertDossier(orm.em.fork(), richState('UPG-NEW'), {
      hash: Buffer.alloc(32, 1),
      sealed: Buffer.alloc(8, 2),
    });

    const facts = await db.query(
      `select * from dossier_facts where dossier_id in ('UPG-OLD', 'UPG-NEW') order by dossier_id desc`,
    );
    expect(facts.rows).toHaveLength(2);
    const [backfilled, projected] = facts.rows.map(({ dossier_id: _id, ...rest }) => rest);
    expect(backfilled).toEqual(projected);
    expect(projected).toMatchObject({
      status: 'CLOS',
      motif_sortie: 'ABANDON',
      sit_validation: 'NON_DISPONIBLE',
      sit_sortie: 'SANS_EMPLOI',
      sit_m3: 'CDD',
      durable_m3: true,
      multi_m3: true,
      sit_m6: 'EN_ATTENTE',
      durable_m6: null,
      multi_m6: null,
    });

    expect(projected).toMatchObject({
      montants_engages: [6400, 1200.5],
      montants_realises: [5000, null],
    });
  });

  it('keeps the newest version when projections arrive out of order', async () => {
    const newer = { ...richState('UPG-ORDER'), version: 9, status: 'CLOS' as const };
    const older = { ...richState('UPG-ORDER'), version: 8, status: 'SORTI' as const, issue: null };
    await upsertDossier(orm.em.fork(), newer, { hash: Buffer.alloc(32), sealed: Buffer.alloc(1) });
    await upsertDossier(orm.em.fork(), older, { hash: Buffer.alloc(32), sealed: Buffer.alloc(1) });
    const row = await db.query(`select status, issue from dossier_facts where dossier_id = 'UPG-ORDER'`);
    expect(row.rows[0]).toEqual({ status: 'CLOS', issue: 'REALISATION_PARTIELLE' });
  });
});
