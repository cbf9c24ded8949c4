import type { EntityManager } from '@mikro-orm/postgresql';
import { CATEGORIES } from '../domain/code-lists';
import type { Counts, OpenDataKey, OpenDataLine } from '../domain/open-data';
import { ALL, OPEN_DATA_COUNTS, openDataLines } from '../domain/open-data';

/**
 * The open data's counts over every dossier of the platform (domain/open-data.ts decides what is
 * published), and its published versions: a daily Schedule writes one, the API serves the latest.
 */

const JOB = `(${CATEGORIES.map((c) => `'${c}'`).join(', ')})`;

/** A dimension's value that would read as a total is told apart. */
const dimension = (v: string | null | undefined, none: string): string =>
  v === null || v === undefined || v === '' ? none : v === ALL ? `${v} (valeur)` : v;

/** The finest counts: one per year of exit x region x dispositif x NSF. */
async function finestCounts(em: EntityManager): Promise<(OpenDataKey & Counts)[]> {
  const rows = await em.getConnection().execute<Record<string, string | null>[]>(
    `select extract(year from f.date_sortie)::int::text as annee, f.region, f.dispositif, f.nsf,
            count(*) as sortants,
            count(*) filter (where f.issue = 'REALISATION_TOTALE') as realisation_totale,
            count(*) filter (where f.sit_m6 in ${JOB}) as emploi_6m,
            count(*) filter (where f.sit_m6 in ${JOB} and f.durable_m6) as emploi_durable_6m,
            count(*) filter (where f.sit_m12 in ${JOB}) as emploi_12m,
            count(*) filter (where f.cert_statut = 'OBTENUE_TOTALE') as certifies
       from dossier_facts f where f.date_sortie is not null
      group by 1, 2, 3, 4`,
  );
  return rows.map((r) => ({
    annee: r.annee!,
    region: dimension(r.region, 'NON_RENSEIGNE'),
    dispositif: dimension(r.dispositif, 'NON_RENSEIGNE'),
    nsf: dimension(r.nsf, 'NON_RENSEIGNE'),
    ...(Object.fromEntries(OPEN_DATA_COUNTS.map((c) => [c, Number(r[c])])) as Counts),
  }));
}

export interface OpenDataSnapshot {
  generatedAt: string;
  dossiers: number;
  lines: OpenDataLine[];
}

/** Compute and publish a new version; the older ones go. */
export async function refreshOpenData(em: EntityManager): Promise<{ generatedAt: string; lines: number }> {
  const finest = await finestCounts(em);
  const lines = openDataLines(finest);
  const dossiers = finest.reduce((t, f) => t + f.sortants, 0);
  const conn = em.getConnection();
  const [row] = await conn.execute<{ id: string; generated_at: Date }[]>(
    'insert into open_data_snapshots (dossiers, lines) values (?, ?::json) returning id, generated_at',
    [dossiers, JSON.stringify(lines)],
  );
  await conn.execute('delete from open_data_snapshots where id < ?', [row!.id]);
  return { generatedAt: new Date(row!.generated_at).toISOString(), lines: lines.length };
}

/** The latest published version; computed now when none was ever published (a fresh platform). */
export async function latestOpenData(em: EntityManager): Promise<OpenDataSnapshot> {
  const read = async () =>
    (
      await em
        .getConnection()
        .execute<{ generated_at: Date; dossiers: number; lines: OpenDataLine[] }[]>(
          'select generated_at, dossiers, lines from open_data_snapshots order by id desc limit 1',
        )
    )[0];
  let row = await read();
  if (!row) {
    await refreshOpenData(em);
    row = await read();
  }
  return {
    generatedAt: new Date(row!.generated_at).toISOString(),
    dossiers: row!.dossiers,
    lines: row!.lines,
  };
}
