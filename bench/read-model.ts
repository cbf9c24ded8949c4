import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { createApp } from '../api/app';
import { ADMIN } from '../domain/authorization';
import { insertionCopySql } from '../db/insertion-export';
import { refreshOpenData } from '../db/open-data';
import { migrate, openOrm } from '../db/orm';
import { createLogger } from '../infra/logger';
import { exportPseudonymizer } from '../infra/pseudonym';
import { ensureDatabase } from '../scripts/postgres';
import { timed } from './figures';
import { BENCH_KEY } from './bench-server';

const ADMIN_TOKEN = 'bench-admin';
const FINANCEURS = ['23840001500018', '13000460000018', '85131000000014', '26750000100013'];

/**
 * Seed `total` dossiers in bulk (SQL generate_series, not the workflows: this measures the read
 * side), `exportLines` of them in region 84 so that region's file has that many lines.
 */
async function seed(db: pg.Client, total: number, exportLines: number): Promise<number> {
  // Rows of an older seed (a record without its parts) are seeded again.
  const have = Number(
    (await db.query(`select count(*) as n from dossiers where data ? 'stagiaire'`)).rows[0].n,
  );
  if (have === total) return 0;
  const started = performance.now();
  await db.query('truncate dossiers cascade');
  const regions = `(array['11','24','27','28','32','44','52','53','75','76','93','94'])`;
  await db.query(
    `insert into dossiers (dossier_id, version, status, interrompu, issue, organisme_siret, financeur_sirets,
       region, dispositif, objectif, created_at, updated_at, data, nir_hash, nir_sealed)
     select 'B-' || lpad(i::text, 8, '0'), 5,
       (array['VALIDE','ENTRE','SORTI','CLOS'])[1 + i % 4], false,
       case when i % 4 = 3 then (array['REALISATION_TOTALE','REALISATION_PARTIELLE','NON_REALISEE'])[1 + i % 3] end,
       lpad((10000000000000 + i % 5000)::text, 14, '0'),
       array[(array[${FINANCEURS.map((f) => `'${f}'`).join(',')}])[1 + i % 4]]::varchar(14)[],
       case when i <= $2 then '84' else ${regions}[1 + i % 12] end,
       (array['PRF','AIF','CPF','PIC','POEI'])[1 + i % 5], (array['CERTIFIANTE','PROFESSIONNALISANTE'])[1 + i % 2],
       now() - (i || ' seconds')::interval, now(),
       jsonb_build_object('dossierId', 'B-' || lpad(i::text, 8, '0'), 'status', 'SORTI', 'version', 5,
         'stagiaire', jsonb_build_object('nirMasque', '1800575*******27', 'nom', 'Nom', 'prenom', 'Prenom',
           'dateNaissance', '1990-01-01'),
         'organisme', jsonb_build_object('siret', lpad((10000000000000 + i % 5000)::text, 14, '0'), 'raisonSociale', 'OF'),
         'action', jsonb_build_object('intitule', 'Formation', 'dispositif', 'PRF', 'objectif', 'CERTIFIANTE',
           'region', '84', 'dateDebutPrevue', '2025-01-06', 'dateFinPrevue', '2025-06-30'),
         'financements', jsonb_build_array(jsonb_build_object('financeurSiret', '${FINANCEURS[0]}', 'montantEngage', 1000)),
         'situations', '[]'::jsonb, 'remunerations', '[]'::jsonb, 'certification', null),
       sha256(i::text::bytea), null
     from generate_series(1, $1) i`,
    [total, exportLines],
  );
  await db.query(
    `insert into dossier_facts
     select d.dossier_id, d.status, d.issue, d.organisme_siret, d.financeur_sirets, d.region, null,
       d.dispositif, d.objectif, date '2025-01-06', case when d.status in ('SORTI','CLOS') then date '2025-06-30' end,
       case when d.status in ('SORTI','CLOS') then 'FIN_FORMATION' end,
       'SANS_EMPLOI', 'SANS_EMPLOI', 'SANS_EMPLOI',
       s.sit, s.sit, 'EN_ATTENTE', s.sit = 'CDI', s.sit = 'CDI', null, false, false, null,
       array[1000 + length(d.dossier_id)]::numeric[], array[case when d.status = 'CLOS' then 900 end]::numeric[],
       d.nir_hash
     from dossiers d,
       lateral (select (array['CDI','CDD','INTERIM','SANS_EMPLOI'])[1 + abs(hashtext(d.dossier_id)) % 4] as sit) s`,
  );
  await db.query('analyze dossiers; analyze dossier_facts');
  return (performance.now() - started) / 1000;
}

/**
 * The read side at scale: the list with filters and every stats query over HTTP (in process),
 * against the same SQL sent raw; the region file of `exportLines` lines against a raw COPY of
 * the same query, with the process's peak memory.
 */
export async function benchReadModel(
  baseUrl: string,
  total: number,
  exportLines: number,
): Promise<Record<string, number>> {
  const u = new URL(baseUrl);
  u.pathname = '/agora_bench_read';
  const databaseUrl = u.toString();
  await ensureDatabase(databaseUrl);
  const orm = await openOrm(databaseUrl, { poolMax: 4 });
  await migrate(orm);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const out: Record<string, number> = {};
  try {
    const seeded = await seed(db, total, exportLines);
    if (seeded) out.read_seed_s = seeded;
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const appWith = (statsCacheMs: number) =>
      createApp({
        client: new Client({ connection }),
        orm,
        logger: createLogger('silent', 'bench'),
        taskQueue: 'bench',
        adminToken: ADMIN_TOKEN,
        databaseUrl,
        hashNir: () => Buffer.alloc(32),
        seal: () => Buffer.alloc(1),
        unseal: () => '',
        vouchKey: '00',
        pseudonymise: exportPseudonymizer({ AGORA_DATA_KEY: BENCH_KEY }),
        statsCacheMs,
      });
    // Every figure is computed cold (no cache); the cached answer is measured once apart.
    const app = appWith(0);
    const cachedApp = appWith(60_000);
    const get = async (path: string) => {
      const res = await app.request(path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.text();
    };
    const runs = total >= 1_000_000 ? 10 : 20;
    const queries: [string, string, string][] = [
      [
        'list_filtered',
        '/v1/dossiers?region=84&status=SORTI&limit=50',
        `select data, created_at, dossier_id from dossiers where status = 'SORTI' and region = '84'
          order by created_at desc, dossier_id desc limit 51`,
      ],
      [
        'stats_by_status',
        '/v1/stats/dossiers?groupBy=status',
        'select status, count(*) from dossier_facts group by 1',
      ],
      [
        'stats_by_financeur',
        '/v1/stats/dossiers?groupBy=financeur',
        'select unnest(financeur_sirets), count(*) from dossier_facts group by 1',
      ],
      [
        'stats_insertion_m6_by_region',
        '/v1/stats/insertion?point=M6&groupBy=region',
        `select region, count(*), count(*) filter (where sit_m6 <> 'SANS_EMPLOI'), count(*) filter (where durable_m6)
           from dossier_facts where date_sortie is not null and sit_m6 in ('CDI','CDD','INTERIM','AUTRE','SANS_EMPLOI')
          group by 1`,
      ],
      [
        'stats_financements_by_financeur',
        '/v1/stats/financements?groupBy=financeur',
        `select x.k, count(*), sum(x.e), sum(x.r) from dossier_facts f,
           unnest(f.financeur_sirets, f.montants_engages, f.montants_realises) x(k, e, r) group by 1`,
      ],
      [
        'stats_couts_by_dispositif',
        '/v1/stats/couts?groupBy=dispositif',
        `select dispositif, count(*), sum(s.e), sum(s.r), sum(duree_heures), sum(heures_realisees)
           from dossier_facts f,
                lateral (select (select sum(e) from unnest(f.montants_engages) e) as e,
                                (select sum(r) from unnest(f.montants_realises) r) as r offset 0) s
          group by 1`,
      ],
    ];
    for (const [name, path, sql] of queries) {
      const ours = await timed(runs, () => get(path));
      const raw = await timed(runs, () => db.query(sql));
      out[`${name}_p50_ms`] = ours.p50;
      out[`${name}_p95_ms`] = ours.p95;
      out[`${name}_raw_p50_ms`] = raw.p50;
    }

    // The open data: the platform's version computed (its GROUP BY, the totals and the secrecy)
    // and written, against the raw SQL of its grouping.
    const openData = await timed(3, () => refreshOpenData(orm.em.fork()));
    const openDataRaw = await timed(3, () =>
      db.query(
        `select extract(year from date_sortie), region, dispositif, nsf, count(*),
                count(*) filter (where issue = 'REALISATION_TOTALE'),
                count(*) filter (where sit_m6 in ('CDI','CDD','INTERIM','AUTRE')),
                count(*) filter (where sit_m6 in ('CDI','CDD','INTERIM','AUTRE') and durable_m6),
                count(*) filter (where sit_m12 in ('CDI','CDD','INTERIM','AUTRE')),
                count(*) filter (where cert_statut = 'OBTENUE_TOTALE')
           from dossier_facts where date_sortie is not null group by 1, 2, 3, 4`,
      ),
    );
    out.open_data_p50_ms = openData.p50;
    out.open_data_raw_p50_ms = openDataRaw.p50;

    const cachedPath = '/v1/stats/insertion?point=M6&groupBy=region';
    const warm = await timed(runs, async () =>
      cachedApp.request(cachedPath, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    );
    out.stats_insertion_cached_p50_ms = warm.p50;

    // The region file: our HTTP export, then a raw COPY of the same query, both drained.
    const sink = () =>
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      });
    let peak = process.memoryUsage().rss;
    const before = peak;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let t = performance.now();
    const res = await app.request('/v1/exports/insertion.csv?region=84', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    let lines = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
    }
    out.export_seconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    out.export_lines = lines - 1;
    out.export_rss_growth_mb = (peak - before) / 1024 / 1024;
    t = performance.now();
    await pipeline(db.query(copyTo(insertionCopySql('84', ADMIN))), sink());
    out.export_raw_copy_seconds = (performance.now() - t) / 1000;
    await connection.close();
  } finally {
    await db.end();
    await orm.close();
  }
  return out;
}
