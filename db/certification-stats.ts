import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { fichesOf } from './referentiel';
import { named } from './stats';
import { type DossierFilters, Params, dossierWhere } from './visibility';

/**
 * The figures of certification and remuneration (CONTRACT.md): exact, over the dossiers the caller
 * may read one by one (its own figures: no group withheld).
 */

export const CERTIFICATION_GROUPS = [
  'dispositif',
  'organisme',
  'region',
  'certification',
  'nsf',
  'qpv',
] as const;
export const REMUNERATION_GROUPS = ['regime', 'dispositif', 'region', 'nsf', 'qpv'] as const;

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

const CERT_COLUMN: Record<(typeof CERTIFICATION_GROUPS)[number], string> = {
  dispositif: 'f.dispositif',
  organisme: 'f.organisme_siret',
  region: 'f.region',
  certification: 'f.certification',
  nsf: 'f.nsf',
  qpv: "case f.qpv when true then 'true' when false then 'false' end",
};

/** Exited dossiers aiming at a certification, and how many obtained it, per group. */
export async function certificationStats(
  em: EntityManager,
  actor: Actor,
  q: DossierFilters & { groupBy: (typeof CERTIFICATION_GROUPS)[number] },
) {
  const params = new Params();
  const where = dossierWhere(actor, q, 'f', params);
  const rows = await em
    .getConnection()
    .execute<{ key: string | null; n: string; totales: string; partielles: string; inconnues: string }[]>(
      `select ${CERT_COLUMN[q.groupBy]} as key, count(*) as n,
            count(*) filter (where f.cert_statut = 'OBTENUE_TOTALE') as totales,
            count(*) filter (where f.cert_statut = 'OBTENUE_PARTIELLE') as partielles,
            count(*) filter (where f.cert_statut = 'INCONNUE') as inconnues
       from dossier_facts f
      where f.date_sortie is not null and f.certification is not null
        ${where.length ? `and ${where.join(' and ')}` : ''}
      group by 1 order by 1 nulls first`,
      params.list,
    );
  const figures = (sortants: number, totales: number, partielles: number, inconnues: number) => ({
    sortants,
    obtenuesTotales: totales,
    obtenuesPartielles: partielles,
    inconnues,
    enAttente: sortants - totales - partielles - inconnues,
    taux: rate(totales, sortants),
    tauxAvecPartielles: rate(totales + partielles, sortants),
  });
  const titles =
    q.groupBy === 'certification'
      ? await fichesOf(
          em,
          rows.flatMap((r) => (r.key ? [r.key] : [])),
        )
      : new Map();
  const groups = rows.map((r) => ({
    key: r.key,
    ...(q.groupBy === 'certification' ? { intitule: titles.get(r.key ?? '')?.intitule ?? null } : {}),
    ...figures(Number(r.n), Number(r.totales), Number(r.partielles), Number(r.inconnues)),
  }));
  const sum = (k: 'sortants' | 'obtenuesTotales' | 'obtenuesPartielles' | 'inconnues') =>
    groups.reduce((t, g) => t + g[k], 0);
  return {
    groupBy: q.groupBy,
    total: figures(sum('sortants'), sum('obtenuesTotales'), sum('obtenuesPartielles'), sum('inconnues')),
    groups: await named(em, q.groupBy, groups),
  };
}

const PAY_COLUMN: Record<(typeof REMUNERATION_GROUPS)[number], string> = {
  regime: "r->>'regime'",
  dispositif: 'd.dispositif',
  region: 'd.region',
  nsf: "d.data->'action'->>'nsf'",
  qpv: "d.data->'action'->>'qpv'",
};

/** Trainees paid, amounts paid and the mean monthly pay, per regime, dispositif or region. */
export async function remunerationStats(
  em: EntityManager,
  actor: Actor,
  q: DossierFilters & { groupBy: (typeof REMUNERATION_GROUPS)[number] },
) {
  const params = new Params();
  const where = dossierWhere(actor, q, 'd', params);
  const from = `from dossiers d, jsonb_array_elements(d.data->'remunerations') r
     where jsonb_typeof(d.data->'remunerations') = 'array' ${where.length ? `and ${where.join(' and ')}` : ''}`;
  const measures = `count(distinct d.nir_hash) as stagiaires, count(*) as periodes,
       coalesce(sum((r->>'totalVerse')::numeric), 0) as verse,
       avg((r->>'montantMensuel')::numeric) as mensuel`;
  type Row = { stagiaires: string; periodes: string; verse: string; mensuel: string | null };
  const conn = em.getConnection();
  const rows = await conn.execute<(Row & { key: string | null })[]>(
    `select ${PAY_COLUMN[q.groupBy]} as key, ${measures} ${from} group by 1 order by 1 nulls first`,
    params.list,
  );
  // A trainee paid under two regimes is one trainee in the total: counted again, not summed.
  const [all] = await conn.execute<Row[]>(`select ${measures} ${from}`, params.list);
  const figures = (r: Row) => ({
    stagiaires: Number(r.stagiaires),
    periodes: Number(r.periodes),
    montantVerse: Math.round(Number(r.verse) * 100) / 100,
    montantMensuelMoyen: r.mensuel === null ? null : Math.round(Number(r.mensuel) * 100) / 100,
  });
  return {
    groupBy: q.groupBy,
    total: figures(all!),
    groups: rows.map((r) => ({ key: r.key, ...figures(r) })),
  };
}
