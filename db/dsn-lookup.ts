import type { EntityManager } from '@mikro-orm/postgresql';
import type { MonthLookup } from '../domain/situations';
import type { ContractLine } from '../domain/best-job';
import { runPrepared } from './prepared';
import { HashKeyMismatchError } from './hash-key';
import type { PendingLoad } from './dossier-read-model';
import type { DossierViewT } from '../domain/schemas';

/** A PostgreSQL array literal of months (knex would spread a JS array into a list). */
export const monthArray = (months: string[]): string => {
  if (!months.every((m) => /^\d{4}-\d{2}$/.test(m))) throw new Error('invalid month');
  return `{${months.join(',')}}`;
};

/** The SQL registering a dossier as using months (bindings: dossier id, month array literal). */
export const REGISTER_MONTHS_SQL = `insert into dossier_dsn_months (mois, dossier_id)
  select m, ? from unnest(?::varchar[]) as m on conflict do nothing`;
/** The same for a CEP period's follow-up (bindings: period id, month array literal). */
export const REGISTER_CEP_MONTHS_SQL = `insert into cep_dsn_months (mois, periode_id)
  select m, ? from unnest(?::varchar[]) as m on conflict do nothing`;

/**
 * Which of the months are not loaded. Only meaningful after the dossier was registered as using
 * them (committed first): a month loaded after this read then wakes the dossier by its signal.
 */
export async function monthsNotLoaded(em: EntityManager, months: string[]): Promise<string[]> {
  if (months.length === 0) return [];
  const loaded = await runPrepared<{ mois: string }>(
    em,
    'agora_months_loaded',
    'select mois from dsn_months where mois = any($1::varchar[])',
    [monthArray(months)],
  );
  return months.filter((m) => !loaded.some((r) => r.mois === m));
}

/**
 * A person's DSN lines for some months, and which of those months are loaded. The dossier is first
 * registered as using those months, so that a month loaded right after this read still wakes it.
 */
export async function lookupMonths(
  em: EntityManager,
  dossierId: string,
  nirHash: Buffer,
  months: string[],
  /** The fingerprint of the key `nirHash` was made with (infra/pseudonym.ts). */
  hashKey: string,
  /** How the record is registered for the months: a dossier (default), or a CEP period. */
  registerSql: string = REGISTER_MONTHS_SQL,
): Promise<Record<string, MonthLookup>> {
  const conn = em.getConnection();
  if (months.length === 0) return {};
  await conn.execute(registerSql, [dossierId, monthArray(months)]);
  const loaded = await conn.execute<{ mois: string; version: string; hash_key: string | null }[]>(
    'select mois, version, hash_key from dsn_months where mois = any(?::varchar[])',
    [monthArray(months)],
  );
  // A month hashed under another key would find no line of anyone: never read it as "no job".
  const foreign = loaded.find((r) => r.hash_key !== null && r.hash_key !== hashKey);
  if (foreign)
    throw new HashKeyMismatchError(
      `DSN month ${foreign.mois} was hashed with another key (${foreign.hash_key}, ours ${hashKey}): reload it with the platform's key`,
    );
  const out: Record<string, MonthLookup> = Object.fromEntries(months.map((m) => [m, null]));
  if (loaded.length === 0) return out;
  for (const row of loaded) out[row.mois] = { version: Number(row.version), lines: [] };
  const lines = await conn.execute<
    {
      mois: string;
      siret: string;
      naf: string;
      nature: string;
      debut: string;
      fin: string | null;
      heures: number;
    }[]
  >(
    `select mois, siret, naf, nature, date_debut::text as debut, date_fin::text as fin, heures::float8 as heures
       from dsn_lines where mois = any(?::varchar[]) and nir_key = dsn_nir_key(?) and nir_hash = ?`,
    [monthArray(loaded.map((r) => r.mois)), nirHash, nirHash],
  );
  for (const l of lines) {
    out[l.mois]?.lines.push({
      siret: l.siret,
      naf: l.naf,
      natureContrat: l.nature,
      dateDebutContrat: l.debut,
      dateFinContrat: l.fin,
      heures: Number(l.heures),
    });
  }
  return out;
}

/** A dossier, and a load of a month to tell it about. */
export interface DossierMonthLoad {
  dossierId: string;
  mois: string;
  version: number;
  /** The person's lines of the month, read by the wake-up (absent: the record looks them up). */
  lines?: ContractLine[];
  /** The wake-up wrote the situations they give ahead of the workflow (workflows/dossier-messages.ts). */
  ahead?: { base: number; today: string; at: string; seen: string };
}

/**
 * These dossiers' workflows took a load in (or have ended, keeping the situations written ahead):
 * it is no longer pending on their records. One statement.
 */
export async function clearPendingLoads(
  em: EntityManager,
  dossierIds: readonly string[],
  load: { mois: string; version: number },
): Promise<void> {
  if (dossierIds.length === 0) return;
  await em.getConnection().execute(
    `update dossiers set pending_load = null
      where dossier_id = any(?::text[]) and pending_load->>'mois' = ? and (pending_load->>'version')::bigint = ?`,
    [textArray(dossierIds), load.mois, load.version],
  );
}

/**
 * The central re-check: dossiers registered for a month loaded in the window whose read model
 * still shows a point waiting on it, or a load of it written ahead that the workflow has not taken
 * (activities/month-wake.ts). Their signal was missed, or their look-up lost; a healthy platform
 * finds none. Paged by (month, dossier id), after `after`.
 */
export async function dossiersWaitingOnLoadedMonths(
  em: EntityManager,
  window: { loadedAfter: Date; loadedBefore: Date },
  after: { mois: string; dossierId: string },
  limit: number,
): Promise<DossierMonthLoad[]> {
  const rows = await em.getConnection().execute<{ dossier_id: string; mois: string; version: string }[]>(
    `select r.dossier_id, m.mois, m.version
       from dsn_months m
       join dossier_dsn_months r on r.mois = m.mois
       join dossiers d on d.dossier_id = r.dossier_id
      where m.loaded_at > ? and m.loaded_at < ?
        and (r.mois, r.dossier_id) > (?, ?)
        and (d.data->'situations' @> jsonb_build_array(jsonb_build_object('mois', m.mois, 'statut', 'EN_ATTENTE'))
             -- or its situations were written ahead and the workflow has not taken the load
             or d.pending_load->>'mois' = m.mois)
      order by r.mois, r.dossier_id
      limit ?`,
    [window.loadedAfter, window.loadedBefore, after.mois, after.dossierId, limit],
  );
  return rows.map((r) => ({ dossierId: r.dossier_id, mois: r.mois, version: Number(r.version) }));
}

/** A record registered for a month, with its person's lines of that month read in the same pass. */
export interface MonthResult {
  id: string;
  /**
   * The person's lines of the month (none: no job that month); null when they could not be read
   * here (the record not in the read model yet, the month hashed with another key, or reloaded
   * since): the record then looks the month up itself.
   */
  lines: ContractLine[] | null;
}

/** A person's lines of a month (one `?`: the month) as JSON, the hash of the NIR given by `nirHash`. */
const LINES_OF = (nirHash: string) => `(select jsonb_agg(jsonb_build_object(
                  'siret', l.siret, 'naf', l.naf, 'natureContrat', l.nature,
                  'dateDebutContrat', l.date_debut::text, 'dateFinContrat', l.date_fin::text,
                  'heures', l.heures::float8) order by l.siret, l.date_debut, l.nature, l.heures)
                 from dsn_lines l where l.mois = ? and l.nir_key = dsn_nir_key(${nirHash}) and l.nir_hash = ${nirHash})`;

/**
 * The month's wake-up, set-based: a page of the records registered for a month (by id) and, in
 * one statement, each one's lines of that month (the month's partition joined on the NIR's keyed
 * hash), when the month is still at `version` and was hashed with `hashKey`. No look-up per record.
 * `columns`: more of the record's columns (`d.`), in each result as they are read.
 */
const resultsUsingMonth =
  <X = object>(
    table: 'dossier_dsn_months' | 'cep_dsn_months',
    column: 'dossier_id' | 'periode_id',
    records: string,
    columns?: string,
  ) =>
  async (
    em: EntityManager,
    month: { mois: string; version: number; hashKey: string },
    after: string,
    limit: number,
  ): Promise<(MonthResult & X)[]> => {
    const rows = await em
      .getConnection()
      .execute<({ id: string; readable: boolean; lines: ContractLine[] | null } & X)[]>(
        `with m as (
         select (version = ? and (hash_key is null or hash_key = ?)) as ok from dsn_months where mois = ?
       ),
       r as (
         select x.${column} as id, d.nir_hash${columns ? `, ${columns}` : ''}
           from (select ${column} from ${table} where mois = ? and ${column} > ? order by ${column} limit ?) x
           left join ${records} d on d.${column} = x.${column}
       )
       select r.*, (r.nir_hash is not null and coalesce((select ok from m), false)) as readable,
              ${LINES_OF('r.nir_hash')} as lines
         from r order by r.id`,
        [month.version, month.hashKey, month.mois, month.mois, after, limit, month.mois],
      );
    return rows.map((r) => ({ ...r, lines: r.readable ? (r.lines ?? []) : null }) as MonthResult & X);
  };

/** The dossiers registered for a month, each with its trainee's lines of it and its pending load. */
export const dossierResultsUsingMonth = resultsUsingMonth<{ pending_load: PendingLoad | null }>(
  'dossier_dsn_months',
  'dossier_id',
  'dossiers',
  'd.pending_load',
);
/** The same with what the wake-up's write of each record needs (activities/month-wake.ts). */
export const dossierRecordsUsingMonth = resultsUsingMonth<{
  version: number;
  data: DossierViewT;
  nir_hash: Buffer;
  nir_sealed: Buffer;
  pending_load: PendingLoad | null;
}>('dossier_dsn_months', 'dossier_id', 'dossiers', 'd.version, d.data, d.nir_sealed, d.pending_load');
/** The CEP periods' follow-ups registered for a month, each with the person's lines of it. */
export const periodResultsUsingMonth = resultsUsingMonth('cep_dsn_months', 'periode_id', 'cep_periodes');

/**
 * The person's lines of a month for a dossier, read as the wake-up reads them (null: the month is
 * no longer at that version or hashed with another key, or the dossier is not in the record).
 */
export async function linesOfLoad(
  em: EntityManager,
  dossierId: string,
  load: { mois: string; version: number },
  hashKey: string,
): Promise<ContractLine[] | null> {
  const [row] = await em.getConnection().execute<{ ok: boolean | null; lines: ContractLine[] | null }[]>(
    `select (select version = ? and (hash_key is null or hash_key = ?) from dsn_months where mois = ?) as ok,
            ${LINES_OF('d.nir_hash')} as lines
       from dossiers d where d.dossier_id = ?`,
    [load.version, hashKey, load.mois, load.mois, dossierId],
  );
  return row?.ok ? (row.lines ?? []) : null;
}

/** A PostgreSQL array literal of these texts, each quoted (an id "NULL" stays a text). */
const textArray = (texts: readonly string[]): string =>
  `{${texts.map((t) => `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;

/**
 * Of these records, the ones whose record still shows a point awaiting the month: a wake-up's
 * signals not taken in yet (activities/wake-pacer.ts). One statement on the primary keys.
 */
const stillAwaiting =
  (
    records: 'dossiers' | 'cep_periodes',
    column: 'dossier_id' | 'periode_id',
    points: 'situations' | 'suivi',
  ) =>
  async (em: EntityManager, mois: string, ids: readonly string[]): Promise<string[]> => {
    if (ids.length === 0) return [];
    const rows = await em.getConnection().execute<{ id: string }[]>(
      `select ${column} as id from ${records}
        where ${column} = any(?::text[])
          and data->'${points}' @> jsonb_build_array(jsonb_build_object('mois', ?::text, 'statut', 'EN_ATTENTE'))`,
      [textArray(ids), mois],
    );
    return rows.map((r) => r.id);
  };

/** The dossiers, of these, whose record still awaits the month. */
export const dossiersStillAwaiting = stillAwaiting('dossiers', 'dossier_id', 'situations');
/** The CEP periods, of these, whose record still awaits the month. */
export const periodsStillAwaiting = stillAwaiting('cep_periodes', 'periode_id', 'suivi');
