import type { EntityManager } from '@mikro-orm/postgresql';
import { addDays, addMonths } from '../domain/dates';

// Only dossiers whose follow-up is over (no point waiting): their workflow has ended.
const PURGE_BATCH_SQL = `with gone as (
      select dossier_id from dossiers
       where closed_on < ?::date and updated_at < ?::timestamptz
         and not data->'situations' @> '[{"statut": "EN_ATTENTE"}]'
       order by closed_on limit ? for update skip locked
    ),
    ids as (update dossier_ids i set purged_at = now() from gone where i.dossier_id = gone.dossier_id),
    events as (delete from dossier_events e using gone where e.dossier_id = gone.dossier_id returning 1),
    facts as (delete from dossier_facts f using gone where f.dossier_id = gone.dossier_id),
    months as (delete from dossier_dsn_months m using gone where m.dossier_id = gone.dossier_id),
    intents as (delete from projection_intents p using gone where p.dossier_id = gone.dossier_id),
    records as (delete from dossiers d using gone where d.dossier_id = gone.dossier_id returning 1)
  select (select count(*) from records)::int as records, (select count(*) from events)::int as events`;

/**
 * Delete the records of the dossiers closed before `closedBefore` (CONTRACT.md: kept
 * `AGORA_RETENTION_YEARS` after closure): ledger, read model, facts, DSN registrations, intents.
 * Their ids stay in `dossier_ids` (marked purged), never to be reused. Only dossiers whose
 * follow-up is over, and not written since `updatedBefore` (a late writer could bring a row back). In batches, each its own statement;
 * `onBatch` hears the running totals.
 */
export async function purgeClosedDossiers(
  em: EntityManager,
  opts: {
    closedBefore: string;
    updatedBefore: Date;
    batch?: number;
    onBatch?: (done: { dossiers: number; events: number }) => void;
  },
): Promise<{ dossiers: number; events: number }> {
  const total = await purgeInBatches(em, PURGE_BATCH_SQL, opts, (done) =>
    opts.onBatch?.({ dossiers: done.records, events: done.events }),
  );
  return { dossiers: total.records, events: total.events };
}

/** A purge statement run batch after batch (each its own statement) until it deletes nothing. */
async function purgeInBatches(
  em: EntityManager,
  sql: string,
  opts: { closedBefore: string; updatedBefore: Date; batch?: number },
  onBatch?: (done: { records: number; events: number }) => void,
): Promise<{ records: number; events: number }> {
  const total = { records: 0, events: 0 };
  for (;;) {
    const [row] = await em
      .getConnection()
      .execute<{ records: number; events: number }[]>(sql, [
        opts.closedBefore,
        opts.updatedBefore.toISOString(),
        opts.batch ?? 1000,
      ]);
    if (!row || row.records === 0) return total;
    total.records += row.records;
    total.events += row.events;
    onBatch?.(total);
  }
}

// Only periods whose follow-up is over and whose workflow has ended (a month of late news, then
// the end: nothing written for 35 days).
const PURGE_PERIODS_SQL = `with gone as (
      select periode_id from cep_periodes
       where closed_on < ?::date and updated_at < ?::timestamptz
         and not data->'suivi' @> '[{"statut": "EN_ATTENTE"}]'
       order by closed_on limit ? for update skip locked
    ),
    ids as (insert into cep_purged_ids (periode_id) select periode_id from gone on conflict do nothing),
    events as (delete from cep_events e using gone where e.periode_id = gone.periode_id returning 1),
    months as (delete from cep_dsn_months m using gone where m.periode_id = gone.periode_id),
    records as (delete from cep_periodes c using gone where c.periode_id = gone.periode_id returning 1)
  select (select count(*) from records)::int as records, (select count(*) from events)::int as events`;

/**
 * Delete the records of the CEP periods closed before `closedBefore`, as the dossiers' (the same
 * retention): ledger, record, DSN registrations. Their ids stay in `cep_purged_ids`, never to be
 * reused. Only periods whose follow-up is over and not written since `updatedBefore`.
 */
export async function purgeClosedPeriods(
  em: EntityManager,
  opts: { closedBefore: string; updatedBefore: Date; batch?: number },
): Promise<{ periodes: number; events: number }> {
  const total = await purgeInBatches(em, PURGE_PERIODS_SQL, opts);
  return { periodes: total.records, events: total.events };
}

/**
 * The first closure day still kept: `years` before `today` (calendar months for whole months,
 * days for a fraction, as short settings in tests use).
 */
export function retentionCutoff(years: number, today: Date = new Date()): string {
  const day = today.toISOString().slice(0, 10);
  const months = years * 12;
  if (Number.isInteger(months)) return addMonths(day, -months);
  return addDays(day, -Math.round(years * 365.25));
}
