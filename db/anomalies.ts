import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The patterns that stand out in a partner's use of the platform (issue 23: the decree trusts
 * financeurs, so the platform's answer to a fabricated dossier is to see it). Each rule counts, per
 * partner, what it did over one day, and the report names the partners at or over the threshold.
 * docs/SECURITY.md lists them with their reasons.
 */
export const ANOMALY_RULES = {
  /** Dossiers created, then exited, within minutes: a life declared to read an employment. */
  LIFECYCLE_MINUTES: { threshold: 3, description: 'dossiers created and exited within 10 minutes' },
  /** Dossiers exited or cancelled within a day of their creation. */
  SHORT_LIVED: { threshold: 5, description: 'dossiers exited or cancelled within a day of their creation' },
  /** Corrections moving a date more than 90 days into the past (to reach older DSN months). */
  DATES_INTO_PAST: { threshold: 5, description: 'corrections moving a date over 90 days earlier' },
  /** NIR searches that found no dossier of the partner: looking for people, not for dossiers. */
  NIR_SEARCH_EMPTY: { threshold: 10, description: 'NIR searches that found no dossier' },
} as const;
export type AnomalyRule = keyof typeof ANOMALY_RULES;

export interface Anomaly {
  day: string;
  partnerSiret: string;
  rule: AnomalyRule;
  count: number;
  threshold: number;
  description: string;
}

/**
 * What each partner did on `day` (UTC), as counts per rule: from the ledger (who sent what, when)
 * and the access audit (NIR searches and their results).
 */
const COUNTS_SQL = `
  with window_ as (select ?::date as day),
  created as (
    select e.dossier_id, e.source as siret, e.received_at as at
      from dossier_events e, window_ w
     where e.seq = 1 and e.received_at >= w.day and e.received_at < w.day + 1
  ),
  ends as (
    select e.dossier_id, e.type, min(e.received_at) as at
      from dossier_events e join created c using (dossier_id)
     where e.type in ('SORTIE', 'ANNULATION') and not coalesce((e.entry->>'confirmation')::boolean, false)
     group by 1, 2
  ),
  lifecycle as (
    select c.siret, 'LIFECYCLE_MINUTES' as rule, count(distinct c.dossier_id) as n
      from created c join ends x using (dossier_id)
     where x.type = 'SORTIE' and x.at - c.at <= interval '10 minutes' group by 1
  ),
  short_lived as (
    select c.siret, 'SHORT_LIVED' as rule, count(distinct c.dossier_id) as n
      from created c join ends x using (dossier_id)
     where x.at - c.at <= interval '1 day' group by 1
  ),
  past as (
    select e.source as siret, 'DATES_INTO_PAST' as rule, count(*) as n
      from dossier_events e, window_ w,
           jsonb_each_text(coalesce(e.entry->'before'->'dates', '{}'::jsonb)) as b(field, was)
     where e.type = 'RECTIFICATION' and e.received_at >= w.day and e.received_at < w.day + 1
       and (e.entry->'after'->'dates'->>b.field)::date < b.was::date - 90
     group by 1
  ),
  searches as (
    select a.actor_siret as siret, 'NIR_SEARCH_EMPTY' as rule, count(*) as n
      from access_audit a, window_ w
     where a.action = 'NIR_SEARCH' and coalesce((a.detail->>'results')::int, 0) = 0
       and a.at >= w.day and a.at < w.day + 1 and a.actor_siret is not null
     group by 1
  )
  select siret, rule, n::int as n from lifecycle
  union all select siret, rule, n::int from short_lived
  union all select siret, rule, n::int from past
  union all select siret, rule, n::int from searches`;

/** The anomalies of `day`: each partner at or over a rule's threshold. */
export async function findAnomalies(em: EntityManager, day: string): Promise<Anomaly[]> {
  const rows = await em
    .getConnection()
    .execute<{ siret: string | null; rule: AnomalyRule; n: number }[]>(COUNTS_SQL, [day]);
  return rows
    .filter((r) => r.siret !== null && r.siret !== 'ADMIN' && r.n >= ANOMALY_RULES[r.rule].threshold)
    .map((r) => ({
      day,
      partnerSiret: r.siret!,
      rule: r.rule,
      count: r.n,
      threshold: ANOMALY_RULES[r.rule].threshold,
      description: ANOMALY_RULES[r.rule].description,
    }))
    .sort((a, b) => a.partnerSiret.localeCompare(b.partnerSiret) || a.rule.localeCompare(b.rule));
}

/** Keep the day's report (a run again replaces it). */
export async function saveAnomalies(
  em: EntityManager,
  day: string,
  anomalies: readonly Anomaly[],
): Promise<void> {
  await em.transactional(async (tx) => {
    const conn = tx.getConnection();
    const ctx = tx.getTransactionContext();
    await conn.execute('delete from anomalies where day = ?', [day], 'run', ctx);
    for (const a of anomalies) {
      await conn.execute(
        'insert into anomalies (day, partner_siret, rule, count, threshold) values (?, ?, ?, ?, ?)',
        [a.day, a.partnerSiret, a.rule, a.count, a.threshold],
        'run',
        ctx,
      );
    }
  });
}

/** The reports from `since` on, newest day first, with the partners' names. */
export async function listAnomalies(
  em: EntityManager,
  since: string,
): Promise<(Anomaly & { partnerName: string | null })[]> {
  const rows = await em.getConnection().execute<
    {
      day: string;
      partner_siret: string;
      rule: AnomalyRule;
      count: number;
      threshold: number;
      name: string | null;
    }[]
  >(
    `select to_char(a.day, 'YYYY-MM-DD') as day, a.partner_siret, a.rule, a.count, a.threshold, p.name
       from anomalies a left join partners p on p.siret = a.partner_siret
      where a.day >= ?::date order by a.day desc, a.partner_siret, a.rule`,
    [since],
  );
  return rows.map((r) => ({
    day: r.day,
    partnerSiret: r.partner_siret,
    partnerName: r.name,
    rule: r.rule,
    count: r.count,
    threshold: r.threshold,
    description: ANOMALY_RULES[r.rule]?.description ?? r.rule,
  }));
}
