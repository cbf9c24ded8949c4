import type { EntityManager } from '@mikro-orm/postgresql';
import type { CepFiguresScope } from '../domain/authorization';

/** The groups of `GET /v1/stats/cep` (CONTRACT.md, "CEP periods"). */
export const CEP_GROUPS = ['operateur', 'reseau', 'region', 'situation', 'objectif'] as const;
export type CepGroup = (typeof CEP_GROUPS)[number];

const KEY: Record<CepGroup, string> = {
  operateur: 'c.operateur_siret',
  // France Travail runs the CEP as its own kind: its network is itself.
  reseau: "coalesce(o.reseau, case when o.kind = 'FRANCE_TRAVAIL' then 'FRANCE_TRAVAIL' end)",
  region: 'c.region',
  situation: "c.data->>'situation'",
  objectif: "c.data->>'objectif'",
};

/** A point's DSN status in a record's follow-up. */
const pointStatut = (point: string) =>
  `(select s->>'statut' from jsonb_array_elements(c.data->'suivi') s where s->>'point' = '${point}')`;

const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);

interface Row {
  key: string | null;
  grouped: number;
  beneficiaires: string;
  periodes: string;
  ouvertes: string;
  closes: string;
  niveau2: string;
  duree: number | null;
  services: string;
  m6_echus: string;
  entrees6m: string;
  m6_connus: string;
  m6_emploi: string;
  m12_connus: string;
  m12_emploi: string;
}

/**
 * The CEP figures per group and in total, in one statement: persons (distinct NIR hashes),
 * periods open and closed, the share that reached an accompaniment (level 2), the median length
 * of closed periods, services per period, and after closure the share of the periods closed six
 * months ago or more whose M6 point shows an entry into training, and the job rates at M6 and M12
 * over the points known.
 */
export async function cepStats(
  em: EntityManager,
  scope: CepFiguresScope,
  q: { groupBy: CepGroup; region?: string | undefined },
  today: string = new Date().toISOString().slice(0, 10),
) {
  const where: string[] = [];
  const params: unknown[] = [];
  const filter = (sql: string, value: unknown) => {
    where.push(sql);
    params.push(value);
  };
  if ('region' in scope) filter('c.region = ?', scope.region);
  if ('operateur' in scope) filter('c.operateur_siret = ?', scope.operateur);
  if (q.region) filter('c.region = ?', q.region);
  const known = "in ('EMPLOI', 'SANS_EMPLOI')";
  const rows = await em.getConnection().execute<Row[]>(
    `select ${KEY[q.groupBy]} as key, grouping(${KEY[q.groupBy]}) as grouped,
            count(distinct c.nir_hash) as beneficiaires,
            count(*) as periodes,
            count(*) filter (where c.statut <> 'CLOSE') as ouvertes,
            count(*) filter (where c.statut = 'CLOSE') as closes,
            count(*) filter (where (c.data->>'niveau')::int = 2) as niveau2,
            percentile_cont(0.5) within group (order by c.closed_on - (c.data->'dates'->>'ouverture')::date)
              filter (where c.statut = 'CLOSE') as duree,
            coalesce(sum((select sum(v::int) from jsonb_each_text(c.data->'services') as x(k, v))), 0) as services,
            count(*) filter (where c.statut = 'CLOSE' and c.closed_on + interval '6 months' <= ?::date)
              as m6_echus,
            count(*) filter (where c.statut = 'CLOSE' and c.closed_on + interval '6 months' <= ?::date and exists (
              select 1 from jsonb_array_elements(c.data->'entreesFormation') e
               where e->>'entree' >= c.data->'dates'->>'ouverture'
                 and (e->>'entree')::date <= c.closed_on + interval '6 months')) as entrees6m,
            count(*) filter (where ${pointStatut('M6')} ${known}) as m6_connus,
            count(*) filter (where ${pointStatut('M6')} = 'EMPLOI') as m6_emploi,
            count(*) filter (where ${pointStatut('M12')} ${known}) as m12_connus,
            count(*) filter (where ${pointStatut('M12')} = 'EMPLOI') as m12_emploi
       from cep_periodes c left join partners o on o.siret = c.operateur_siret
      ${where.length ? `where ${where.join(' and ')}` : ''}
      group by grouping sets ((${KEY[q.groupBy]}), ())
      order by grouped, 1 nulls first`,
    [today, today, ...params],
  );
  const figures = (r: Row) => {
    const periodes = Number(r.periodes);
    const closes = Number(r.closes);
    return {
      beneficiaires: Number(r.beneficiaires),
      periodes,
      ouvertes: Number(r.ouvertes),
      closes,
      tauxAccompagnement: rate(Number(r.niveau2), periodes),
      dureeMedianeJours: r.duree === null ? null : Number(r.duree),
      servicesParPeriode: periodes === 0 ? null : Math.round((Number(r.services) / periodes) * 100) / 100,
      tauxEntreeFormation6m: rate(Number(r.entrees6m), Number(r.m6_echus)),
      tauxEmploi6m: rate(Number(r.m6_emploi), Number(r.m6_connus)),
      tauxEmploi12m: rate(Number(r.m12_emploi), Number(r.m12_connus)),
    };
  };
  // The empty grouping set gives its row even over no period at all.
  const total = rows.find((r) => Number(r.grouped) === 1)!;
  const names =
    q.groupBy === 'operateur'
      ? new Map(
          (
            await em
              .getConnection()
              .execute<{ siret: string; name: string }[]>(
                'select siret, name from partners where siret = any(array(select jsonb_array_elements_text(?::jsonb)))',
                [JSON.stringify(rows.map((r) => r.key).filter((k) => k !== null))],
              )
          ).map((p) => [p.siret, p.name]),
        )
      : null;
  return {
    groupBy: q.groupBy,
    total: figures(total),
    groups: rows
      .filter((r) => Number(r.grouped) === 0)
      .map((r) => ({
        key: r.key,
        ...(names && r.key !== null ? { nom: names.get(r.key) ?? null } : {}),
        ...figures(r),
      })),
  };
}
