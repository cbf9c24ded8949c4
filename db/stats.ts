import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../domain/authorization';
import { CATEGORIES } from '../domain/code-lists';
import { type DossierFilters, Params, dossierWhere } from './visibility';

/** Statistical secrecy, where figures leave the partners' circle (the open data): fewer than this is not shown. */
export const SECRECY_THRESHOLD = 5;

export const DOSSIER_GROUPS = [
  'status',
  'issue',
  'financeur',
  'dispositif',
  'region',
  'objectif',
  'nsf',
  'qpv',
  'trimestreEntree',
] as const;
export const INSERTION_GROUPS = ['dispositif', 'organisme', 'region', 'nsf', 'qpv'] as const;
export const FINANCEMENT_GROUPS = ['financeur', 'dispositif', 'region', 'nsf', 'qpv'] as const;
export const COUT_GROUPS = ['financeur', 'dispositif', 'region', 'nsf', 'objectif', 'qpv'] as const;
export const INSERTION_POINTS = ['M3', 'M6', 'M12'] as const;

export type StatsFilters = DossierFilters;

/** Each group-by's key, on the facts `f` (the financeur's is unnested where it is used). */
const COLUMN = {
  status: 'f.status',
  issue: 'f.issue',
  dispositif: 'f.dispositif',
  region: 'f.region',
  objectif: 'f.objectif',
  organisme: 'f.organisme_siret',
  nsf: 'f.nsf',
  qpv: "case f.qpv when true then 'true' when false then 'false' end",
  trimestreEntree: "to_char(f.date_entree, 'YYYY') || '-T' || extract(quarter from f.date_entree)",
} as const;

/** A point with a job: its column holds the job's category. */
const sqlList = (codes: readonly string[]) => `(${codes.map((c) => `'${c}'`).join(', ')})`;
const JOB = sqlList(CATEGORIES);
const KNOWN = sqlList([...CATEGORIES, 'SANS_EMPLOI']);

/**
 * The WHERE clause of what the actor may see (as the list endpoint), plus the list's filters.
 * `beyondPay`: figures the remunerator of a dossier does not read (amounts, employment).
 */
function visibleWhere(
  actor: Actor,
  q: StatsFilters,
  opts: { beyondPay?: boolean } = {},
): { sql: string; params: unknown[] } {
  const params = new Params();
  const where = dossierWhere(actor, q, 'f', params, opts);
  return { sql: where.length ? where.join(' and ') : 'true', params: params.list };
}

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

/**
 * The names of the partners whose SIRETs key groups: the registered partner's, else (an organisme
 * not registered) the raison sociale its dossiers give.
 */
export async function partnerNames(
  em: EntityManager,
  sirets: readonly (string | null)[],
): Promise<Map<string, string>> {
  const wanted = [...new Set(sirets.filter((s): s is string => s !== null && /^\d{14}$/.test(s)))];
  if (wanted.length === 0) return new Map();
  const rows = await em.getConnection().execute<{ siret: string; name: string | null }[]>(
    `select s.siret, coalesce(
        (select p.name from partners p where p.siret = s.siret),
        (select d.data->'organisme'->>'raisonSociale' from dossiers d where d.organisme_siret = s.siret
          order by d.updated_at desc limit 1)) as name
       from unnest(?::varchar[]) as s(siret)`,
    [`{${wanted.join(',')}}`],
  );
  return new Map(rows.flatMap((r) => (r.name ? [[r.siret, r.name] as [string, string]] : [])));
}

/** Groups keyed by a partner (financeur, organisme) show its name beside the SIRET. */
export async function named<G extends { key: string | null }>(
  em: EntityManager,
  groupBy: string,
  groups: G[],
): Promise<(G & { nom?: string | null })[]> {
  if (groupBy !== 'financeur' && groupBy !== 'organisme') return groups;
  const names = await partnerNames(
    em,
    groups.map((g) => g.key),
  );
  return groups.map(({ key, ...rest }) => ({
    key,
    nom: key === null ? null : (names.get(key) ?? null),
    ...rest,
  })) as (G & { nom?: string | null })[];
}

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
  const total = rows.reduce((t, r) => t + Number(r.firsts), 0);
  const groups = rows
    .filter((r) => groupBy !== 'financeur' || r.key !== null)
    .map((r) => ({ key: r.key, dossiers: Number(r.n) }));
  // Exact: the caller may read each of these dossiers one by one (CONTRACT.md).
  return { groupBy, total, groups: await named(em, groupBy, groups) };
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
  return { point, groupBy, total, groups: await named(em, groupBy, groups) };
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
  const groups = rows.map((r) => ({
    key: r.key,
    dossiers: Number(r.n),
    montantEngage: Number(r.engage),
    montantRealise: Number(r.realise ?? 0),
    dossiersRealises: Number(r.realises),
  }));
  return { groupBy, groups: await named(em, groupBy, groups) };
}

const money = (n: number | null) => (n === null ? null : Math.round(n * 100) / 100);

/**
 * What a training costs, per group (CONTRACT.md, `GET /v1/stats/couts`): the amounts engaged and
 * realised, the hours planned and realised, and the hourly costs: engaged over planned hours (the
 * dossiers with planned hours), realised over realised hours (the dossiers that have both). Per
 * financeur, its own lines' amounts over the dossiers' hours.
 */
export async function coutStats(
  em: EntityManager,
  actor: Actor,
  q: StatsFilters & { groupBy: (typeof COUT_GROUPS)[number] },
) {
  const { groupBy } = q;
  const w = visibleWhere(actor, q, { beyondPay: true });
  // One row per dossier (per financing line, per financeur): its key, amounts and hours. Each
  // dossier's sums over its amounts are computed once (a lateral kept apart by `offset 0`: inlined,
  // each aggregate below would compute them again, 3.6 times the time at 1.2 M dossiers).
  const perDossier = (key: string) => `select ${key} as key, s.engage, s.realise,
              f.duree_heures as prevues, f.heures_realisees as realisees
         from dossier_facts f,
              lateral (select (select sum(e) from unnest(f.montants_engages) e) as engage,
                              (select sum(r) from unnest(f.montants_realises) r) as realise offset 0) s
        where ${w.sql}`;
  const lines =
    groupBy === 'financeur'
      ? `select x.k as key, x.e as engage, x.r as realise, f.duree_heures as prevues, f.heures_realisees as realisees
         from dossier_facts f, unnest(f.financeur_sirets, f.montants_engages, f.montants_realises) as x(k, e, r)
        where ${w.sql}`
      : perDossier(COLUMN[groupBy]);
  const measures = `count(*) as n, sum(engage) as engage, sum(realise) as realise,
      sum(prevues) as prevues, sum(realisees) as realisees,
      sum(engage) filter (where prevues > 0) as engage_h, sum(prevues) filter (where prevues > 0) as prevues_h,
      sum(realise) filter (where realise is not null and realisees > 0) as realise_h,
      sum(realisees) filter (where realise is not null and realisees > 0) as realisees_h`;
  type Row = Record<
    | 'n'
    | 'engage'
    | 'realise'
    | 'prevues'
    | 'realisees'
    | 'engage_h'
    | 'prevues_h'
    | 'realise_h'
    | 'realisees_h',
    string | null
  >;
  const conn = em.getConnection();
  const rows = await conn.execute<(Row & { key: string | null })[]>(
    `with l as (${lines}) select key, ${measures} from l group by 1 order by 1 nulls first`,
    w.params,
  );
  // Each dossier sits in one group: the total is the groups' sums (one scan). Per financeur a
  // co-financed dossier sits in each group: the total counts it once, in a scan of its own.
  const sumOf = (k: keyof Row) => {
    const present = rows.filter((r) => r[k] !== null);
    return present.length === 0 ? null : String(present.reduce((t, r) => t + Number(r[k]), 0));
  };
  const all: Row =
    groupBy === 'financeur'
      ? (
          await conn.execute<Row[]>(`with l as (${perDossier('null')}) select ${measures} from l`, w.params)
        )[0]!
      : (Object.fromEntries(
          (
            [
              'n',
              'engage',
              'realise',
              'prevues',
              'realisees',
              'engage_h',
              'prevues_h',
              'realise_h',
              'realisees_h',
            ] as const
          ).map((k) => [k, k === 'n' ? String(rows.reduce((t, r) => t + Number(r.n), 0)) : sumOf(k)]),
        ) as Row);
  const num = (v: string | null) => (v === null ? null : Number(v));
  const figures = (r: Row) => {
    const [eh, ph, rh, hh] = [num(r.engage_h), num(r.prevues_h), num(r.realise_h), num(r.realisees_h)];
    return {
      dossiers: Number(r.n),
      montantEngage: money(num(r.engage) ?? 0)!,
      montantRealise: money(num(r.realise) ?? 0)!,
      heuresPrevues: num(r.prevues) ?? 0,
      heuresRealisees: num(r.realisees) ?? 0,
      coutHoraireEngage: eh !== null && ph ? money(eh / ph) : null,
      coutHoraireRealise: rh !== null && hh ? money(rh / hh) : null,
    };
  };
  const groups = rows.map((r) => ({ key: r.key, ...figures(r) }));
  return { groupBy, total: figures(all), groups: await named(em, groupBy, groups) };
}
