import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { CATEGORIES } from '../domain/code-lists';
import { type DossierFilters, Params, dossierWhere } from './visibility';

/** Statistical secrecy: a group of fewer dossiers than this is not shown. */
export const SECRECY_THRESHOLD = 5;

export const DOSSIER_GROUPS = ['status', 'issue', 'financeur', 'dispositif', 'region', 'objectif'] as const;
export const INSERTION_GROUPS = ['dispositif', 'organisme', 'region'] as const;
export const FINANCEMENT_GROUPS = ['financeur', 'dispositif', 'region'] as const;
export const INSERTION_POINTS = ['M3', 'M6', 'M12'] as const;

export type StatsFilters = DossierFilters;

const COLUMN = {
  status: 'f.status',
  issue: 'f.issue',
  dispositif: 'f.dispositif',
  region: 'f.region',
  objectif: 'f.objectif',
  organisme: 'f.organisme_siret',
} as const;

/** A point with a job: its column holds the job's category. */
const sqlList = (codes: readonly string[]) => `(${codes.map((c) => `'${c}'`).join(', ')})`;
const JOB = sqlList(CATEGORIES);
const KNOWN = sqlList([...CATEGORIES, 'SANS_EMPLOI']);

/** The WHERE clause of what the actor may see (as the list endpoint), plus the list's filters. */
function visibleWhere(
  actor: Actor,
  q: StatsFilters,
  opts: { beyondPay?: boolean } = {},
): { sql: string; params: unknown[] } {
  const params = new Params();
  const where = dossierWhere(actor, q, 'f', params, opts);
  return { sql: where.length ? where.join(' and ') : 'true', params: params.list };
}

/**
 * Statistical secrecy: groups under the threshold are withheld, and when only one would be, the
 * next smallest goes too, so it cannot be found back by subtracting from the total.
 */
function secret<G extends { dossiers: number }>(groups: G[]): { shown: G[]; hidden: number } {
  const small = groups.filter((g) => g.dossiers < SECRECY_THRESHOLD);
  const hide = new Set(small);
  if (small.length === 1 && groups.length > 1) {
    const next = groups.filter((g) => !hide.has(g)).sort((a, b) => a.dossiers - b.dossiers)[0];
    if (next) hide.add(next);
  }
  return { shown: groups.filter((g) => !hide.has(g)), hidden: hide.size };
}

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/** Visible dossiers counted per group, with the list's filters. */
export async function dossierStats(
  em: EntityManager,
  actor: Actor,
  q: StatsFilters & { groupBy: (typeof DOSSIER_GROUPS)[number] },
) {
  const { groupBy } = q;
  const w = visibleWhere(actor, q);
  const conn = em.getConnection();
  // Each dossier sits in exactly one group (null included), except per financeur: there it sits
  // in one group per financeur, and is counted once for the total by its first financeur (in the
  // same scan; a dossier without any, which the schemas rule out, would count in the null row).
  const sql =
    groupBy === 'financeur'
      ? `select u.key, count(*) as n, count(*) filter (where u.ord is null or u.ord = 1) as firsts
           from dossier_facts f left join lateral unnest(f.financeur_sirets) with ordinality as u(key, ord) on true
          where ${w.sql} group by 1 order by 1 nulls first`
      : `select ${COLUMN[groupBy]} as key, count(*) as n, count(*) as firsts from dossier_facts f where ${w.sql}
          group by 1 order by 1 nulls first`;
  const rows = await conn.execute<{ key: string | null; n: string; firsts: string }[]>(sql, w.params);
  const all = rows.reduce((t, r) => t + Number(r.firsts), 0);
  const groups = rows
    .filter((r) => groupBy !== 'financeur' || r.key !== null)
    .map((r) => ({ key: r.key, dossiers: Number(r.n) }));
  const { shown, hidden } = secret(groups);
  return {
    groupBy,
    total: all >= SECRECY_THRESHOLD ? all : null,
    groups: shown,
    hiddenGroups: hidden,
  };
}

/** Employment at a point after exit, per group, with the list's filters. */
export async function insertionStats(
  em: EntityManager,
  actor: Actor,
  q: StatsFilters & { point: (typeof INSERTION_POINTS)[number]; groupBy: (typeof INSERTION_GROUPS)[number] },
) {
  const { point, groupBy } = q;
  const w = visibleWhere(actor, q, { beyondPay: true });
  const p = point.toLowerCase();
  const sit = `f.sit_${p}`;
  const measures = `count(*) as n, count(*) filter (where ${sit} in ${JOB}) as emploi,
      count(*) filter (where ${sit} in ${JOB} and f.durable_${p}) as durable`;
  // Only exited dossiers whose point is known (a job or no job; not waiting, not unavailable).
  const base = `from dossier_facts f
    where f.date_sortie is not null and ${sit} in ${KNOWN}
      and ${w.sql}`;
  const rows = await em
    .getConnection()
    .execute<{ key: string | null; n: string; emploi: string; durable: string }[]>(
      `select ${COLUMN[groupBy]} as key, ${measures} ${base} group by 1 order by 1 nulls first`,
      w.params,
    );
  const figures = (dossiers: number, emploi: number, emploiDurable: number) => ({
    dossiers,
    emploi,
    emploiDurable,
    tauxEmploi: rate(emploi, dossiers),
    tauxEmploiDurable: rate(emploiDurable, dossiers),
  });
  const groups = rows.map((r) => ({
    key: r.key,
    ...figures(Number(r.n), Number(r.emploi), Number(r.durable)),
  }));
  // Each dossier sits in exactly one group: the total is the groups' sum.
  const sum = (k: 'dossiers' | 'emploi' | 'emploiDurable') => groups.reduce((t, g) => t + g[k], 0);
  const total = figures(sum('dossiers'), sum('emploi'), sum('emploiDurable'));
  const { shown, hidden } = secret(groups);
  return {
    point,
    groupBy,
    total: total.dossiers >= SECRECY_THRESHOLD ? total : null,
    groups: shown,
    hiddenGroups: hidden,
  };
}

/** Engaged and realised amounts per group, with the list's filters. */
export async function financementStats(
  em: EntityManager,
  actor: Actor,
  q: StatsFilters & { groupBy: (typeof FINANCEMENT_GROUPS)[number] },
) {
  const { groupBy } = q;
  const w = visibleWhere(actor, q, { beyondPay: true });
  // Amounts sit in arrays aligned with financeur_sirets: per financeur, unnest them together;
  // otherwise sum each dossier's amounts. One pass over the facts either way, no join.
  const sql =
    groupBy === 'financeur'
      ? `select x.k as key, count(*) as n, sum(x.e) as engage, sum(x.r) as realise, count(x.r) as realises
           from dossier_facts f,
                unnest(f.financeur_sirets, f.montants_engages, f.montants_realises) as x(k, e, r)
          where ${w.sql} group by 1 order by 1`
      : `select ${COLUMN[groupBy]} as key, count(*) as n,
            sum((select sum(e) from unnest(f.montants_engages) e)) as engage,
            sum((select sum(r) from unnest(f.montants_realises) r)) as realise,
            count(*) filter (where cardinality(array_remove(f.montants_realises, null)) > 0) as realises
           from dossier_facts f where ${w.sql} group by 1 order by 1`;
  const rows = await em
    .getConnection()
    .execute<{ key: string; n: string; engage: string; realise: string | null; realises: string }[]>(
      sql,
      w.params,
    );
  return {
    groupBy,
    groups: rows.map((r) => ({
      key: r.key,
      dossiers: Number(r.n),
      montantEngage: Number(r.engage),
      montantRealise: Number(r.realise ?? 0),
      dossiersRealises: Number(r.realises),
    })),
  };
}
