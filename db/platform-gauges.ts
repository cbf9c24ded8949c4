import type { EntityManager } from '@mikro-orm/postgresql';
import { QUARANTINE_ATTEMPTS } from './projection-intents';

/**
 * The platform's gauges, from PostgreSQL (shared by every API instance), in Prometheus's text
 * format: dossiers by status, DSN months and lines loaded, read-model writes not yet settled,
 * webhooks on, off and failing.
 */
export async function platformGauges(em: EntityManager): Promise<string> {
  const conn = em.getConnection();
  const [byStatus, dsn, intents, hooks] = await Promise.all([
    conn.execute<{ status: string; n: string }[]>(
      'select status, count(*) as n from dossier_facts group by 1 order by 1',
    ),
    conn.execute<{ months: string; lines: string | null }[]>(
      'select count(*) as months, sum(lignes) as lines from dsn_months',
    ),
    conn.execute<{ n: string; oldest: number | null; quarantined: string }[]>(
      `select count(*) as n, extract(epoch from now() - min(created_at))::float8 as oldest,
              count(distinct dossier_id) filter (where attempts >= ${QUARANTINE_ATTEMPTS}) as quarantined
         from projection_intents`,
    ),
    conn.execute<{ actif: string; desactive: string; failing: string; oldest: number | null }[]>(
      `select count(*) filter (where actif) as actif, count(*) filter (where not actif) as desactive,
              count(*) filter (where actif and echecs > 0) as failing,
              extract(epoch from now() - min(en_echec_depuis) filter (where actif))::float8 as oldest
         from webhooks`,
    ),
  ]);
  return [
    '# TYPE agora_dossiers gauge',
    ...byStatus.map((r) => `agora_dossiers{status="${r.status}"} ${r.n}`),
    '# TYPE agora_dsn_months_loaded gauge',
    `agora_dsn_months_loaded ${dsn[0]?.months ?? 0}`,
    '# TYPE agora_dsn_lines_loaded gauge',
    `agora_dsn_lines_loaded ${dsn[0]?.lines ?? 0}`,
    // Read-model writes begun and not yet settled: near zero, and young, when all is well.
    '# TYPE agora_projection_intents gauge',
    `agora_projection_intents ${intents[0]?.n ?? 0}`,
    '# TYPE agora_projection_intent_oldest_seconds gauge',
    `agora_projection_intent_oldest_seconds ${Math.round(intents[0]?.oldest ?? 0)}`,
    // Dossiers whose record the database refused again and again: zero when all is well.
    '# TYPE agora_projection_quarantined gauge',
    `agora_projection_quarantined ${intents[0]?.quarantined ?? 0}`,
    // Webhooks: those failing now (and for how long), those off (DESACTIVE).
    '# TYPE agora_webhooks gauge',
    `agora_webhooks{statut="ACTIF"} ${hooks[0]?.actif ?? 0}`,
    `agora_webhooks{statut="DESACTIVE"} ${hooks[0]?.desactive ?? 0}`,
    '# TYPE agora_webhooks_failing gauge',
    `agora_webhooks_failing ${hooks[0]?.failing ?? 0}`,
    '# TYPE agora_webhook_failing_oldest_seconds gauge',
    `agora_webhook_failing_oldest_seconds ${Math.round(hooks[0]?.oldest ?? 0)}`,
  ].join('\n');
}
