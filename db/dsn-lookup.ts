import type { EntityManager } from '@mikro-orm/postgresql';
import type { MonthLookup } from '../domain/situations';
import type { ContractLine } from '../domain/best-job';
import { runPrepared } from './prepared';
import { HashKeyMismatchError } from './hash-key';

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
       from dsn_lines where mois = any(?::varchar[]) and nir_hash = ?`,
    [monthArray(loaded.map((r) => r.mois)), nirHash],
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
}

/**
 * The central re-check: dossiers registered for a month loaded in the window whose read model
 * still shows a point waiting on it. Their signal was missed, or their look-up lost; a healthy
 * platform finds none. Paged by (month, dossier id), after `after`.
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
        and d.data->'situations' @> jsonb_build_array(jsonb_build_object('mois', m.mois, 'statut', 'EN_ATTENTE'))
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

/**
 * The month's wake-up, set-based: a page of the records registered for a month (by id) and, in
 * one statement, each one's lines of that month (the month's partition joined on the NIR's keyed
 * hash), when the month is still at `version` and was hashed with `hashKey`. No look-up per record.
 */
const resultsUsingMonth =
  (table: 'dossier_dsn_months' | 'cep_dsn_months', column: 'dossier_id' | 'periode_id', records: string) =>
  async (
    em: EntityManager,
    month: { mois: string; version: number; hashKey: string },
    after: string,
    limit: number,
  ): Promise<MonthResult[]> => {
    const rows = await em
      .getConnection()
      .execute<{ id: string; readable: boolean; lines: ContractLine[] | null }[]>(
        `with m as (
         select (version = ? and (hash_key is null or hash_key = ?)) as ok from dsn_months where mois = ?
       ),
       r as (
         select x.${column} as id, d.nir_hash
           from (select ${column} from ${table} where mois = ? and ${column} > ? order by ${column} limit ?) x
           left join ${records} d on d.${column} = x.${column}
       )
       select r.id, (r.nir_hash is not null and coalesce((select ok from m), false)) as readable,
              (select jsonb_agg(jsonb_build_object(
                  'siret', l.siret, 'naf', l.naf, 'natureContrat', l.nature,
                  'dateDebutContrat', l.date_debut::text, 'dateFinContrat', l.date_fin::text,
                  'heures', l.heures::float8) order by l.siret, l.date_debut, l.nature, l.heures)
                 from dsn_lines l where l.mois = ? and l.nir_hash = r.nir_hash) as lines
         from r order by r.id`,
        [month.version, month.hashKey, month.mois, month.mois, after, limit, month.mois],
      );
    return rows.map((r) => ({ id: r.id, lines: r.readable ? (r.lines ?? []) : null }));
  };

/** The dossiers registered for a month, each with its trainee's lines of it. */
export const dossierResultsUsingMonth = resultsUsingMonth('dossier_dsn_months', 'dossier_id', 'dossiers');
/** The CEP periods' follow-ups registered for a month, each with the person's lines of it. */
export const periodResultsUsingMonth = resultsUsingMonth('cep_dsn_months', 'periode_id', 'cep_periodes');

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
